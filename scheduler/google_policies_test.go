package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/google"
	"github.com/retentiond/retentiond/connectors/google/googletest"
	"github.com/retentiond/retentiond/store/ledger"
)

// googleConfig is a Google school: one google source over the staff's
// organisational unit, the student and staff exports the file rules link
// people with, and the shipped policy files, unchanged.
const googleConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policies/mail.yaml, policies/fileshare.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [leaders, dpo]}
  - {id: it, roles: [operator]}
sources:
  - name: google
    kind: google
    options:
      key_file: google-key.json
      admin: it@skole.dk
      org_unit: /Personale
      keywords: [diagnose]
      labels: [Elevsag]
      api_url: %s
      ca_file: google-ca.pem
%s  - name: elever
    kind: export
    options: {dir: elever, preset: tea-students}
  - name: hr
    kind: export
    options: {dir: hr, preset: hr}
`

// TestShippedPoliciesApplyToGoogle: the default mail rules (M1, M2 of
// configs/policies/mail.yaml) select Gmail messages and the default file
// rules (S3, S4, O1 of configs/policies/fileshare.yaml) select Drive files
// by their path, with no policy change: a real plan of a google source
// against the fake Google, approved and executed through the pipeline,
// deletes exactly what is due and keeps the rest.
func TestShippedPoliciesApplyToGoogle(t *testing.T) {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	const anna, kontor = "anna@skole.dk", "kontor@skole.dk"
	srv.AddUser(googletest.User{Email: "it@skole.dk", OrgUnit: "/IT"})
	srv.AddUser(googletest.User{Email: anna, OrgUnit: "/Personale"})
	srv.AddUser(googletest.User{Email: kontor, OrgUnit: "/Personale/Kontor"})
	srv.AddUser(googletest.User{Email: "elev@skole.dk", OrgUnit: "/Elever"}) // outside the scope
	srv.AddUser(googletest.User{Email: "bo@skole.dk", OrgUnit: "/Ledelse"})  // outside the scope
	for _, u := range []string{anna, kontor, "bo@skole.dk"} {
		srv.AddDrive(u)
	}

	days := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	type msg struct {
		user string
		m    googletest.Message
		want string // "due M1", "keep M2", or "" when too young to be listed
	}
	msgs := map[string]*msg{
		"cpr":       {anna, googletest.Message{Internal: days(40), Subject: "Elevsag", Snippet: "Vedr. eleven, cpr 010203-1234, se vedhæftede"}, "due M1"},
		"cpr-young": {anna, googletest.Message{Internal: days(20), Subject: "Elevsag", Snippet: "cpr 010203-1234"}, ""},
		"keyword":   {anna, googletest.Message{Internal: days(40), Subject: "Ny diagnose", Snippet: "Hej"}, "due M1"},
		"label":     {kontor, googletest.Message{Internal: days(40), Subject: "Til sagen", Snippet: "Hej", Labels: []string{"INBOX", "Elevsag"}}, "due M1"},
		"plain":     {anna, googletest.Message{Internal: days(40), Subject: "Frokost", Snippet: "Hej alle"}, "keep M2"},
		"old":       {anna, googletest.Message{Internal: days(4 * 365), Subject: "Referat", Snippet: "Hej alle"}, "due M2"},
		"old-sent":  {anna, googletest.Message{Internal: days(4 * 365), Subject: "Svar", Snippet: "Tak", Labels: []string{"SENT"}}, "due M2"},
		"old-trash": {kontor, googletest.Message{Internal: days(4 * 365), Subject: "Slettet", Snippet: "Hej", Labels: []string{"TRASH"}}, "due M2"},
		"old-spam":  {kontor, googletest.Message{Internal: days(4 * 365), Subject: "Tilbud", Snippet: "Køb", Labels: []string{"SPAM"}}, "due M2"},
		"2y":        {kontor, googletest.Message{Internal: days(2 * 365), Subject: "Referat", Snippet: "Hej alle"}, "keep M2"},
	}
	ids := map[string]string{} // message name → id
	for name, m := range msgs {
		ids[name] = srv.PutMessage(m.user, m.m)
	}
	srv.PutMessage("elev@skole.dk", googletest.Message{Internal: days(4 * 365), Subject: "Old", Snippet: "x"})

	type file struct {
		drive, path string
		f           googletest.File
		want        string // "" when never listed
	}
	files := map[string]*file{
		"draft":     {anna, "Kladder/statusrapport.docx", googletest.File{Content: []byte("udkast"), Modified: days(60)}, "due S4"},
		"draft-doc": {anna, "Kladder/Månedsrapport", googletest.File{MimeType: "application/vnd.google-apps.document", Modified: days(60)}, "due S4"},
		"draft-new": {anna, "Kladder/ny.docx", googletest.File{Content: []byte("nyt"), Modified: days(5)}, "keep S4"},
		"left":      {kontor, "Elever/Udmeldte elever/1001/elevplan.pdf", googletest.File{Content: []byte("plan"), Modified: days(400)}, "due S3"},
		"staying":   {kontor, "Elever/Udmeldte elever/1002/elevplan.pdf", googletest.File{Content: []byte("plan"), Modified: days(400)}, "keep S3"},
		"album":     {anna, "Sociale medier/Skolefest 2022/billede.jpg", googletest.File{Content: []byte("jpg"), Modified: days(4 * 365)}, "due O1"},
		"other":     {anna, "Undervisning/noter.txt", googletest.File{Content: []byte("noter"), Modified: days(4 * 365)}, "keep"},
		// Owned outside the domain, in anna's folder: never touched.
		"foreign": {anna, "Kladder/fra-forlag.docx", googletest.File{Content: []byte("x"), Modified: days(60), Owner: "redaktion@forlag.example"}, ""},
	}
	fileIDs := map[string]string{}
	for name, f := range files {
		fileIDs[name] = srv.PutFile(f.drive, f.path, f.f)
	}
	// bo's draft, shared with anna: never listed for her (bo is not in
	// the scope).
	shared := srv.PutFile("bo@skole.dk", "Kladder/delt.docx", googletest.File{Content: []byte("delt"), Modified: days(60), SharedWith: []string{anna}})

	e := newGoogleEnv(t, srv, "")
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;20-06-2026;12-05-2010\n1002;B;01-08-2019;;12-05-2010\n")
	e.export("hr", 1, hrHeader)
	res := e.planShareAs("google")
	got := e.verdicts(res)

	// The plan keeps the items it found due and those about a person
	// (S3's student 1002); a kept item that is about no one is counted,
	// not stored.
	want := map[string]string{}
	listed := 0
	for name, m := range msgs {
		if m.want != "" {
			listed++
		}
		if strings.HasPrefix(m.want, "due ") {
			want["gmail/"+m.user+"/"+ids[name]] = m.want
		}
	}
	for _, f := range files {
		if f.want != "" {
			listed++
		}
		if strings.HasPrefix(f.want, "due ") || f.want == "keep S3" {
			want["drive/"+f.drive+"/"+f.path] = f.want
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("plan of the google source:\n%v\nwant\n%v", got, want)
	}
	if res.Plan.Listed != int64(listed) {
		t.Errorf("listed %d items, want %d (the messages old enough for a rule, the files the users own)", res.Plan.Listed, listed)
	}

	// Approve every batch (the shipped rules ask a leader) and execute.
	var approved []string
	for _, b := range res.Batches {
		if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint); err != nil {
			t.Fatalf("approve batch %d (%s): %v", b.ID, b.Rule, err)
		}
		approved = append(approved, b.Rule)
	}
	slices.Sort(approved)
	if fmt.Sprint(approved) != "[M1 M2 O1 S3 S4]" {
		t.Errorf("batches %v, want one for each of M1 M2 O1 S3 S4", approved)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil {
		t.Fatal(err)
	}
	var deleted int64
	for _, r := range rs {
		if r.Err != nil || r.Failed != 0 || r.Skipped != 0 {
			t.Errorf("batch %d: %+v", r.Batch, r)
		}
		deleted += r.Deleted
	}
	due := 0
	for _, v := range want {
		if strings.HasPrefix(v, "due ") {
			due++
		}
	}
	if deleted != int64(due) {
		t.Errorf("deleted %d, want the %d due", deleted, due)
	}
	for name, m := range msgs {
		if has := srv.HasMessage(m.user, ids[name]); has == strings.HasPrefix(m.want, "due ") {
			t.Errorf("message %s (%s): still there %v", name, m.want, has)
		}
	}
	for name, f := range files {
		if has := srv.HasFile(fileIDs[name]); has == strings.HasPrefix(f.want, "due ") {
			t.Errorf("file %s (%s): still there %v", name, f.want, has)
		}
	}
	if !srv.HasFile(shared) {
		t.Error("a file shared with a user was deleted")
	}
	// S3 prunes the folders it emptied: 1001's, not the parent that
	// still holds 1002's.
	if _, ok := srv.FileID(kontor, "Elever/Udmeldte elever/1001"); ok {
		t.Error("the emptied folder of student 1001 was not pruned")
	}
	if _, ok := srv.FileID(kontor, "Elever/Udmeldte elever"); !ok {
		t.Error("a folder that is not empty was pruned")
	}
	outcomes := e.outcomeCounts()
	if outcomes["deleted"] != due || len(outcomes) != 1 {
		t.Errorf("ledger outcomes %v, want %d deleted", outcomes, due)
	}
}

// newGoogleEnv is newEnvWith for a google source served by srv: its key
// and CA files beside the configuration, the shipped policy files copied
// unchanged into policies/, and the registry's google kind. options are
// more lines of the source's options (indented six spaces).
func newGoogleEnv(t *testing.T, srv *googletest.Server, options string) *subjEnv {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"elever", "hr", "policies"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"mail.yaml", "fileshare.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "configs", "policies", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "policies", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "google-key.json"), srv.Key(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "google-ca.pem"), srv.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(googleConfig, srv.URL, options)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(google.Kind(), exports.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfg: cfg}
	e.reopen()
	return &subjEnv{e}
}

// TestGoogleVaultHoldAfterPlan: a Google Vault hold placed on an org
// unit's mail and on an account's Drive after the plan was approved
// (vault: api) makes those deletions held, recorded as such in the
// ledger, never as destroyed; the unheld items are deleted.
func TestGoogleVaultHoldAfterPlan(t *testing.T) {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	const anna, kontor = "anna@skole.dk", "kontor@skole.dk"
	srv.AddUser(googletest.User{Email: "it@skole.dk", OrgUnit: "/IT"})
	srv.AddUser(googletest.User{Email: anna, OrgUnit: "/Personale"})
	srv.AddUser(googletest.User{Email: kontor, OrgUnit: "/Personale/Kontor"})
	old := now.AddDate(-4, 0, 0)
	mail := map[string]string{} // id → user
	for _, u := range []string{anna, anna, kontor} {
		mail[srv.PutMessage(u, googletest.Message{Internal: old, Subject: "Referat", Snippet: "Hej alle"})] = u
	}
	srv.AddDrive(anna)
	srv.AddDrive(kontor)
	srv.PutFile(anna, "Kladder/rapport.docx", googletest.File{Content: []byte("udkast"), Modified: old})

	e := newGoogleEnv(t, srv, "      vault: api\n")
	e.export("elever", 1, teaHeader)
	e.export("hr", 1, hrHeader)
	res := e.planShareAs("google")
	for _, b := range res.Batches {
		if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint); err != nil {
			t.Fatalf("approve batch %d (%s): %v", b.ID, b.Rule, err)
		}
	}
	if len(res.Batches) != 2 || res.Plan.Due != 4 {
		t.Fatalf("plan: %d due in batches %+v; want 4 in M2 and S4", res.Plan.Due, res.Batches)
	}
	// Approved; then the DPO's matter puts the office's mail and anna's
	// Drive on hold.
	srv.AddMatter(googletest.Matter{Name: "Klagesag", Holds: []googletest.Hold{
		{Name: "kontor mail", Corpus: "MAIL", OrgUnit: "/Personale/Kontor"},
		{Name: "anna drive", Corpus: "DRIVE", Accounts: []string{anna}},
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil {
		t.Fatal(err)
	}
	var deleted, skipped int64
	for _, r := range rs {
		if r.Err != nil || r.Failed != 0 {
			t.Errorf("batch %d: %+v", r.Batch, r)
		}
		deleted += r.Deleted
		skipped += r.Skipped
	}
	if deleted != 2 || skipped != 2 {
		t.Errorf("deleted %d, skipped %d; want anna's 2 messages deleted, the held message and file skipped", deleted, skipped)
	}
	outcomes := e.outcomeCounts()
	if fmt.Sprint(outcomes) != "map[deleted:2 held:2]" {
		t.Errorf("ledger outcomes %v, want 2 deleted and 2 held", outcomes)
	}
	for id, u := range mail {
		if u == anna && srv.HasMessage(u, id) {
			t.Errorf("anna's unheld message %s was not deleted", id)
		}
	}
}

// TestGoogleChangesAfterPlan: between the approval and the execution a
// message is starred and another deleted by its user, a file edited,
// another deleted and a third replaced by a new file of the same name.
// The changed and replaced ones are not deleted (changed), the vanished
// ones are recorded absent, the rest deleted; every outcome is in the
// ledger.
func TestGoogleChangesAfterPlan(t *testing.T) {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	const anna = "anna@skole.dk"
	srv.AddUser(googletest.User{Email: "it@skole.dk", OrgUnit: "/IT"})
	srv.AddUser(googletest.User{Email: anna, OrgUnit: "/Personale"})
	srv.AddDrive(anna)
	old := now.AddDate(-4, 0, 0)
	var msgs []string
	for range 3 {
		msgs = append(msgs, srv.PutMessage(anna, googletest.Message{Internal: old, Subject: "Referat", Snippet: "Hej alle"}))
	}
	var files []string
	for i := range 4 {
		files = append(files, srv.PutFile(anna, fmt.Sprintf("Kladder/rapport-%d.docx", i), googletest.File{Content: []byte("udkast"), Modified: old}))
	}
	e := newGoogleEnv(t, srv, "")
	e.export("elever", 1, teaHeader)
	e.export("hr", 1, hrHeader)
	res := e.planShareAs("google")
	for _, b := range res.Batches {
		if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint); err != nil {
			t.Fatalf("approve batch %d (%s): %v", b.ID, b.Rule, err)
		}
	}
	if res.Plan.Due != 7 {
		t.Fatalf("plan: %d due, want 7", res.Plan.Due)
	}
	srv.ModifyMessage(anna, msgs[0])
	srv.RemoveMessage(anna, msgs[1])
	srv.ModifyFile(files[0])
	srv.RemoveFile(files[1])
	srv.RemoveFile(files[2])
	replaced := srv.PutFile(anna, "Kladder/rapport-2.docx", googletest.File{Content: []byte("udkast"), Modified: old})

	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil || r.Failed != 0 {
			t.Errorf("batch %d: %+v", r.Batch, r)
		}
	}
	outcomes := e.outcomeCounts()
	if fmt.Sprint(outcomes) != "map[absent:2 changed:3 deleted:2]" {
		t.Errorf("ledger outcomes %v, want 2 deleted, 3 changed (a starred message, an edited file, a replaced file), 2 absent", outcomes)
	}
	if !srv.HasMessage(anna, msgs[0]) || srv.HasMessage(anna, msgs[2]) {
		t.Errorf("the starred message kept %v (want true), the unchanged one kept %v (want false)", srv.HasMessage(anna, msgs[0]), srv.HasMessage(anna, msgs[2]))
	}
	if !srv.HasFile(files[0]) || !srv.HasFile(replaced) || srv.HasFile(files[3]) {
		t.Errorf("edited file kept %v, replacing file kept %v (want both true); unchanged file kept %v (want false)", srv.HasFile(files[0]), srv.HasFile(replaced), srv.HasFile(files[3]))
	}
}

// planShareAs plans one source.
func (e *subjEnv) planShareAs(source string) *PlanResult {
	e.t.Helper()
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: source, Planner: "it", Samples: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// outcomeCounts counts the ledger's deletion entries by outcome.
func (e *env) outcomeCounts() map[string]int {
	out := map[string]int{}
	for _, en := range e.entries() {
		if en.Type == ledger.TypeDeletion {
			out[en.Outcome]++
		}
	}
	return out
}
