package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

// googleConfig writes a demo configuration with a google source of anna
// and bo's Gmail on the fake, and returns its path.
func googleConfig(t *testing.T, srv *googletest.Server) string {
	t.Helper()
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	os.WriteFile(filepath.Join(dir, "google-key.json"), srv.Key(), 0o600)
	os.WriteFile(filepath.Join(dir, "google-ca.pem"), srv.CertificatePEM(), 0o644)
	pol, _ := configs.DefaultPolicy("mail.yaml")
	os.WriteFile(filepath.Join(dir, "policies", "mail.yaml"), pol, 0o644)
	cfg := filepath.Join(dir, "retentiond.yaml")
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "  - policies/fileshare.yaml\n", "  - policies/fileshare.yaml\n  - policies/mail.yaml\n", 1)
	text = strings.Replace(text, "execute:\n", `  - name: gmail
    kind: google
    schedule: "0 3 * * *"
    options:
      key_file: google-key.json
      admin: admin@skole.test
      org_unit: /Elever
      drive: false
      labels: [Elevsag]
      api_url: `+srv.URL+`
      ca_file: google-ca.pem
      timeout: 30s
execute:
`, 1)
	os.WriteFile(cfg, []byte(text), 0o644)
	return cfg
}

// A Google source configured in YAML goes through check, plan, approval,
// execution and verification against the fake Google: old mail is
// purged, sensitive mail after a month, the rest is kept, and the ledger
// verifies.
func TestGoogleSourceEndToEnd(t *testing.T) {
	srv := googletest.New()
	defer srv.Close()
	srv.AddUser(googletest.User{Email: "admin@skole.test", OrgUnit: "/"})
	for _, u := range []string{"anna@skole.test", "bo@skole.test"} {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/Elever/7a"})
		srv.EnableGmail(u)
	}
	cfg := googleConfig(t, srv)
	now := fixedNow
	put := func(user, id string, received time.Time, subject string, labels ...string) {
		srv.PutMessage(user, googletest.Message{ID: id, Internal: received, Subject: subject, Labels: append([]string{"INBOX"}, labels...), Size: 100})
	}
	put("anna@skole.test", "old", now.AddDate(-3, 0, -2), "Skema")
	put("anna@skole.test", "cpr", now.AddDate(0, -2, 0), "Elev 010215-1234")
	put("bo@skole.test", "lbl", now.AddDate(0, -1, -3), "Møde", "Elevsag")
	put("bo@skole.test", "new", now.Add(-48*time.Hour), "Elev 010215-1234")
	put("bo@skole.test", "ordinary", now.AddDate(-1, 0, 0), "Frokost")

	mustRun(t, "check", "--config", cfg)
	out := mustRun(t, "plan", "--config", cfg, "--source", "gmail", "--examples", "3")
	for _, want := range []string{"M1", "M2"} {
		if !strings.Contains(out, want) {
			t.Fatalf("plan lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "010215") {
		t.Fatalf("the plan shows a CPR number:\n%s", out)
	}
	ids := regexp.MustCompile(`batch (\d+): pending`).FindAllStringSubmatch(out, -1)
	if len(ids) != 2 {
		t.Fatalf("the plan cut %d batches:\n%s", len(ids), out)
	}
	for _, id := range ids {
		mustRun(t, "batches", "approve", id[1], "--config", cfg, "--as", "anna")
	}
	ex := mustRun(t, "execute", "--config", cfg, "--as", "it")
	if !strings.Contains(ex, "2 deleted") || !strings.Contains(ex, "1 deleted") {
		t.Fatalf("execute:\n%s", ex)
	}
	for user, ids := range map[string][]string{"anna@skole.test": {"old", "cpr"}, "bo@skole.test": {"lbl"}} {
		for _, id := range ids {
			if srv.HasMessage(user, id) {
				t.Errorf("%s/%s was not deleted", user, id)
			}
		}
	}
	for _, id := range []string{"new", "ordinary"} {
		if !srv.HasMessage("bo@skole.test", id) {
			t.Errorf("bo@skole.test/%s was deleted", id)
		}
	}
	if v := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(v, "OK") {
		t.Fatalf("verify:\n%s", v)
	}
}

// check stops with a clear error when domain-wide delegation lacks a
// scope, or the key was replaced.
func TestGoogleCheckCredentials(t *testing.T) {
	srv := googletest.New()
	defer srv.Close()
	srv.AddUser(googletest.User{Email: "admin@skole.test", OrgUnit: "/"})
	cfg := googleConfig(t, srv)

	srv.Grant(googletest.ScopeUsers, googletest.ScopeMembers)
	out, err := run(t, "check", "--config", cfg)
	if err == nil {
		t.Fatalf("check passed without the Gmail scope:\n%s", out)
	}
	wantIn(t, "check without the Gmail scope", out+err.Error(), "gmail", "unauthorized_client", "Domain-wide delegation", "https://mail.google.com/", srv.ClientID)

	srv.Grant(googletest.AllScopes...)
	os.WriteFile(filepath.Join(filepath.Dir(cfg), "google-key.json"), srv.StaleKey(), 0o600)
	out, err = run(t, "check", "--config", cfg)
	if err == nil {
		t.Fatalf("check passed with a replaced key:\n%s", out)
	}
	wantIn(t, "check with a replaced key", out+err.Error(), "gmail", "the key was refused")
}
