package summary

import (
	"bytes"
	"encoding/csv"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// eachMethod returns a ledger (one that ledger verify's content rules
// accept) whose decisions use every authentication method: in December
// 2026, for rule fravær, an approval verified by the OS account, three
// OIDC sign-ins by two identities, an exclusion through a sign-in link,
// a confirmation trusted on the command line, a typed rejection (with its
// retention decision, which is part of it) and a revocation recorded
// before entries carried a method; a hold placed trusted on the command
// line in December and released verified by the OS account in January.
// It returns the identity references too, which no summary may show.
func eachMethod(t *testing.T) ([]ledger.Entry, []string) {
	t.Helper()
	refs, err := ledger.NewRefKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	idA := refs.Ref("identity", "https://login.example/tenant/v2.0 9b1c-anna")
	idB := refs.Ref("identity", "https://login.example/tenant/v2.0 41f0-bo")
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var out []ledger.Entry
	add := func(es ...ledger.Entry) {
		for _, e := range es {
			if e.Time.IsZero() {
				at = at.Add(time.Minute)
				e.Time = at
			}
			switch e.Type {
			case ledger.TypePolicy, ledger.TypeDecisionRevoked, ledger.TypeHoldAdded, ledger.TypeHoldReleased:
			default:
				e.Rule = "fravær"
			}
			out = append(out, e)
		}
	}
	batch := func(id, items int64, stages ...string) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeBatch, Batch: id, Source: "fælles", SourceKind: "fileshare", Policy: "elevdata",
			PolicyDigest: "sha256:09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847", Items: items, Size: items * 100,
			Actor: "it", Stages: stages}
	}
	approve := func(id int64, who string, stage int, auth, identity string) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeApproval, Batch: id, Actor: who, Role: "approver", Stage: stage, Auth: auth, Identity: identity}
	}
	add(ledger.Entry{Type: ledger.TypePolicy, Policy: "elevdata", PolicyDigest: "sha256:09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847",
		Text: "version: 1\n"})
	add(batch(1, 1, "ledere:1", "dpo:1"), approve(1, "anna", 1, "os_user", ""), approve(1, "bo", 2, "oidc", idB))
	add(batch(2, 1, "ledere:1"), approve(2, "anna", 1, "oidc", idA))
	add(batch(3, 2, "ledere:1"),
		ledger.Entry{Type: ledger.TypeRejection, Batch: 3, Actor: "bo", Role: "approver", Reason: "not yet", Auth: "typed"},
		ledger.Entry{Type: ledger.TypeRetentionDecision, Batch: 3, Decision: "D-1", Code: "rejected", Items: 2, Actor: "bo",
			Role: "approver", Reason: "not yet", Until: "2027-06-01", Auth: "typed"})
	add(batch(4, 2, "ledere:1"),
		ledger.Entry{Type: ledger.TypeRetentionDecision, Batch: 4, Decision: "D-2", Code: "excluded", Item: refs.Ref("item:fileshare:fælles", "4-a"),
			Actor: "anna", Role: "approver", Reason: "case open", Until: "2027-06-01", Auth: "link"},
		approve(4, "bo", 1, "oidc", idB),
		ledger.Entry{Type: ledger.TypeConfirmation, Batch: 4, Actor: "it", Role: "operator", Auth: "trusted_cli"})
	add(ledger.Entry{Type: ledger.TypeHoldAdded, Hold: "H-1", Source: "fælles", Actor: "it", Role: "operator", Reason: "case", Auth: "trusted_cli"})
	add(ledger.Entry{Type: ledger.TypeDecisionRevoked, Decision: "D-2", Actor: "anna", Role: "approver"})
	add(ledger.Entry{Type: ledger.TypeHoldReleased, Time: time.Date(2027, 1, 5, 8, 0, 0, 0, time.UTC), Hold: "H-1", Actor: "it",
		Role: "operator", Auth: "os_user"})
	return out, []string{idA, idB}
}

// TestAuthentication: the summary counts every decision under the method
// its entry records, in its rule's row (a hold's in the month's row with
// no rule), with the verified ones and the distinct signed-in identities,
// in the rows, the CSV and the PDF; the identities' references are shown
// nowhere.
func TestAuthentication(t *testing.T) {
	entries, ids := eachMethod(t)
	rules := ledger.NewContentRules()
	for i, e := range entries {
		if reason := rules.Check(int64(i), &e); reason != "" {
			t.Fatalf("ledger verify refuses entry %d (%s): %s", i, e.Type, reason)
		}
	}
	s := build(entries)

	want := map[[2]string]map[string]int64{
		{"fravær", "2026-12"}: {"os_user": 1, "oidc": 3, "link": 1, "trusted_cli": 1, "typed": 1, "": 1},
		{"", "2026-12"}:       {"trusted_cli": 1},
		{"", "2027-01"}:       {"os_user": 1},
	}
	got := map[[2]string]Row{}
	for _, r := range s.Rows() {
		if r.Decided != nil {
			got[[2]string{r.Rule, r.Month}] = r
		}
	}
	if len(got) != len(want) {
		t.Fatalf("rows with decisions %v, want %v", got, want)
	}
	for k, w := range want {
		if r := got[k]; !maps.Equal(r.Decided, w) {
			t.Errorf("%v decided %v, want %v", k, r.Decided, w)
		}
	}
	if r := got[[2]string{"fravær", "2026-12"}]; r.DecisionsTaken() != 8 || r.DecisionsVerified() != 5 || r.Identities != 2 || r.Policy != "elevdata" {
		t.Errorf("fravær: %d decisions, %d verified, %d identities, policy %q; want 8, 5, 2, elevdata",
			r.DecisionsTaken(), r.DecisionsVerified(), r.Identities, r.Policy)
	}
	if r := got[[2]string{"", "2026-12"}]; r.Policy != "" || r.DecisionsVerified() != 0 || r.Identities != 0 {
		t.Errorf("December's holds %+v", r)
	}
	decided, identities := s.Authentication()
	if w := map[string]int64{"os_user": 2, "oidc": 3, "link": 1, "trusted_cli": 2, "typed": 1, "": 1}; !maps.Equal(decided, w) || identities != 2 {
		t.Errorf("Authentication() = %v, %d; want %v, 2", decided, identities, w)
	}

	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	csvText := buf.String()
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[[2]string]map[string]string{}
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, name := range recs[0] {
			m[name] = rec[i]
		}
		rows[[2]string{m["rule"], m["month"]}] = m
	}
	for k, w := range map[[2]string]map[string]string{
		{"fravær", "2026-12"}: {"decisions_taken": "8", "decisions_os_user": "1", "decisions_oidc": "3", "decisions_link": "1",
			"decisions_trusted_cli": "1", "decisions_typed": "1", "decisions_auth_unrecorded": "1", "decisions_auth_unlisted": "0",
			"decisions_verified": "5", "verified_identities": "2", "batches_rejected": "1", "items_excluded": "1", "decisions_revoked": "1"},
		{"", "2026-12"}: {"policy": "", "decisions_taken": "1", "decisions_trusted_cli": "1", "decisions_verified": "0", "batches_planned": "0"},
		{"", "2027-01"}: {"decisions_taken": "1", "decisions_os_user": "1", "decisions_verified": "1", "verified_identities": "0"},
	} {
		for name, v := range w {
			if rows[k][name] != v {
				t.Errorf("CSV %v %s = %q, want %s", k, name, rows[k][name], v)
			}
		}
	}

	flat := squash(strings.Join(pages(t, writePDF(t, s, Meta{Origin: "o", Generated: time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC)}, "each-method.pdf")), "\n"))
	for _, want := range []string{
		"Decisions by people 10", "Verified decisions 6", "Unverified decisions 4", "Signed-in identities 2",
		"How decisions were authenticated",
		"fravær (elevdata) 2026-12 8 1 3 1 1 1 1 5 2",
		"(no rule) 2026-12 1 0 0 0 1 0 0 0 0",
		"(no rule) 2027-01 1 1 0 0 0 0 0 1 0",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, flat)
		}
	}
	for _, id := range ids {
		if strings.Contains(flat, id) || strings.Contains(csvText, id) {
			t.Errorf("the summary shows the identity reference %s", id)
		}
	}
}

// TestAuthenticationUnlisted: a method retentiond does not know (a ledger
// that verification would refuse, summarised anyway) still counts, in
// decisions_auth_unlisted and in a note under the PDF's row, escaped.
func TestAuthenticationUnlisted(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	s := build([]ledger.Entry{
		{Type: ledger.TypeBatch, Time: at, Batch: 1, Policy: "p", Rule: "r", Items: 1, Actor: "it", Stages: []string{"ledere:1"}},
		{Type: ledger.TypeApproval, Time: at, Batch: 1, Rule: "r", Actor: "anna", Stage: 1, Auth: "smart\u202ecard"},
	})
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for i, name := range recs[0] {
		m[name] = recs[1][i]
	}
	if m["decisions_taken"] != "1" || m["decisions_auth_unlisted"] != "1" || m["decisions_verified"] != "0" {
		t.Errorf("CSV %v", m)
	}
	flat := squash(strings.Join(pages(t, writePDF(t, s, Meta{Origin: "o", Generated: at}, "unlisted-method.pdf")), "\n"))
	if !strings.Contains(flat, `Other methods: smart\u202ecard 1`) || strings.Contains(flat, "\u202e") {
		t.Errorf("the report's note on the unknown method:\n%s", flat)
	}
}
