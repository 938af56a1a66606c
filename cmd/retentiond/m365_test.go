package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors/m365/graphtest"
)

// A mailbox source configured in YAML goes through check, plan, approval,
// execution and verification against the fake Graph: old mail is purged,
// sensitive mail after a month, the rest is kept, and the ledger verifies.
func TestMailboxSourceEndToEnd(t *testing.T) {
	srv := graphtest.Start(t)
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	os.WriteFile(filepath.Join(dir, "graph.secret"), []byte(srv.Secret), 0o600)
	os.WriteFile(filepath.Join(dir, "graph-ca.pem"), srv.CertificatePEM(), 0o644)
	pol, _ := configs.DefaultPolicy("mail.yaml")
	os.WriteFile(filepath.Join(dir, "policies", "mail.yaml"), pol, 0o644)
	cfg := filepath.Join(dir, "retentiond.yaml")
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "  - policies/fileshare.yaml\n", "  - policies/fileshare.yaml\n  - policies/mail.yaml\n", 1)
	text = strings.Replace(text, "execute:\n", `  - name: mail
    kind: m365
    schedule: "0 3 * * *"
    options:
      tenant_id: `+srv.Tenant+`
      client_id: `+srv.ClientID+`
      client_secret_file: graph.secret
      mailboxes: [anna@skole.test, bo@skole.test]
      categories: [Elevsag]
      graph_url: `+srv.GraphURL()+`
      login_url: `+srv.URL+`/
      ca_file: graph-ca.pem
      timeout: 30s
execute:
`, 1)
	os.WriteFile(cfg, []byte(text), 0o644)

	now := fixedNow
	srv.Put("anna@skole.test", graphtest.Message{ImmutableID: "old", Received: now.AddDate(-3, 0, -2), Subject: "Skema"})
	srv.Put("anna@skole.test", graphtest.Message{ImmutableID: "cpr", Received: now.AddDate(0, -2, 0), Subject: "Elev 010215-1234"})
	srv.Put("bo@skole.test", graphtest.Message{ImmutableID: "cat", Received: now.AddDate(0, -1, -3), Subject: "Møde", Categories: []string{"Elevsag"}})
	srv.Put("bo@skole.test", graphtest.Message{ImmutableID: "new", Received: now.Add(-48 * time.Hour), Subject: "Elev 010215-1234"})
	srv.Put("bo@skole.test", graphtest.Message{ImmutableID: "ordinary", Received: now.AddDate(-1, 0, 0), Subject: "Frokost"})

	mustRun(t, "check", "--config", cfg)
	out := mustRun(t, "plan", "--config", cfg, "--source", "mail", "--examples", "3")
	for _, want := range []string{"M1", "M2"} {
		if !strings.Contains(out, want) {
			t.Fatalf("plan lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "010215") {
		t.Fatalf("the plan shows a CPR number:\n%s", out)
	}
	// The mail plan cut one batch for M1 and one for M2.
	ids := regexp.MustCompile(`batch (\d+): pending`).FindAllStringSubmatch(out, -1)
	if len(ids) != 2 {
		t.Fatalf("mail plan cut %d batches:\n%s", len(ids), out)
	}
	for _, id := range ids {
		mustRun(t, "batches", "approve", id[1], "--config", cfg, "--as", "anna")
	}
	if ex := mustRun(t, "execute", "--config", cfg, "--as", "it"); !strings.Contains(ex, "batch "+ids[0][1]+": 2 deleted") || !strings.Contains(ex, "batch "+ids[1][1]+": 1 deleted") {
		t.Fatalf("execute:\n%s", ex)
	}
	for mb, ids := range map[string][]string{"anna@skole.test": {"old", "cpr"}, "bo@skole.test": {"cat"}} {
		for _, id := range ids {
			if _, ok := srv.Get(mb, id); ok {
				t.Errorf("%s/%s was not deleted", mb, id)
			}
		}
	}
	for _, id := range []string{"new", "ordinary"} {
		if _, ok := srv.Get("bo@skole.test", id); !ok {
			t.Errorf("bo@skole.test/%s was deleted", id)
		}
	}
	if st := srv.Stats(); st.SoftDeletes != 0 || st.PermanentDeletes != 3 {
		t.Errorf("%d DELETEs, %d permanentDeletes", st.SoftDeletes, st.PermanentDeletes)
	}
	if v := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(v, "OK") {
		t.Fatalf("verify:\n%s", v)
	}
}
