//go:build unix

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
	"github.com/retentiond/retentiond/scheduler/monitor"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// TestOwnerNotices follows a file share whose rule tells owners 14 days
// ahead (owner_notice: P14D), against a real SMTP relay: items due are not
// batched until their owners have been told and the 14 days have passed;
// each owner gets one mail naming their files and the first day each may
// go; files without an owner to write to are told to the operators; an
// owner who asks in time gets a hold, and the held file survives.
func TestOwnerNotices(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share")
	day0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]time.Time{
		"old/a.txt":    day0.AddDate(-4, 0, 0),  // due long ago
		"old/b.txt":    day0.AddDate(-4, 0, 0),  // due long ago, owned by nobody (as root)
		"old/held.txt": day0.AddDate(-4, 0, 0),  // due, and its owner asks for a hold
		"soon/c.txt":   day0.AddDate(-3, 0, 7),  // due in 7 days: told now
		"later/d.txt":  day0.AddDate(-3, 0, 20), // due in 20 days: not yet told
		"new/e.txt":    day0.AddDate(0, 0, -1),  // years to go
		"old/orphan":   day0.AddDate(-4, 0, 0),  // owned by a uid no account has (as root)
	}
	for ref, mod := range files {
		p := filepath.Join(share, ref)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(ref), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mod, mod)
	}
	asRoot := os.Geteuid() == 0
	owners := map[string]string{"old/a.txt": me.Username, "old/b.txt": me.Username, "old/held.txt": me.Username,
		"soon/c.txt": me.Username, "old/orphan": me.Username}
	if asRoot {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		os.Lchown(filepath.Join(share, "old/b.txt"), uid, -1)
		owners["old/b.txt"] = "nobody"
		os.Lchown(filepath.Join(share, "old/orphan"), 54321, -1)
		owners["old/orphan"] = ""
	}
	srv, cfg, at := ownerNoticeShare(t, dir, day0)
	exists := func(ref string) bool {
		_, err := os.Stat(filepath.Join(share, ref))
		return err == nil
	}

	// Day 0: four files are due, none has been told: no batch.
	out := at(0, "plan", "--source", "share")
	if !strings.Contains(out, "0 due") || !strings.Contains(out, "4 of the kept are due but wait until their owners have been told") {
		t.Fatalf("day 0 plan:\n%s", out)
	}
	out = at(0, "explain", "share:old/a.txt")
	if !strings.Contains(out, "kept until its owner has been told and has had 14 days to ask for a hold") {
		t.Errorf("explain before the notice:\n%s", out)
	}
	metrics := func(days int) string {
		t.Helper()
		a := newApp(io.Discard, io.Discard)
		a.configFile, a.clock = cfg, scheduler.FixedClock{T: day0.AddDate(0, 0, days)}
		p, err := a.pipeline(context.Background(), zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		rec := httptest.NewRecorder()
		monitor.New(p, zap.NewNop()).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	if m := metrics(0); !strings.Contains(m, `retentiond_owner_notices{rule="old-files",source="share",state="unsent"} 5`) ||
		!strings.Contains(m, `retentiond_owner_notices{rule="old-files",source="share",state="sent"} 0`) {
		t.Errorf("metrics before notify:\n%s", m)
	}
	at(0, "notify")
	if m := metrics(0); !strings.Contains(m, `retentiond_owner_notices{rule="old-files",source="share",state="unsent"} 0`) ||
		!strings.Contains(m, `retentiond_owner_notices{rule="old-files",source="share",state="sent"} 5`) {
		t.Errorf("metrics after notify:\n%s", m)
	}
	msgs, _ := srv.Received()
	byOwner := map[string][]string{} // address → the files its mail lists
	for _, m := range msgs {
		for _, text := range mailTo(t, msgs, m.To[0]) {
			for ref := range files {
				if strings.Contains(text, "share: "+ref+"\n") && !slices.Contains(byOwner[m.To[0]], ref) {
					byOwner[m.To[0]] = append(byOwner[m.To[0]], ref)
				}
			}
		}
	}
	wantTold := map[string][]string{}
	for _, ref := range []string{"old/a.txt", "old/b.txt", "old/held.txt", "old/orphan", "soon/c.txt"} {
		addr := "it@skole.example"
		if owners[ref] != "" {
			addr = owners[ref] + "@skole.example"
		}
		wantTold[addr] = append(wantTold[addr], ref)
	}
	if fmt.Sprint(sorted(byOwner)) != fmt.Sprint(sorted(wantTold)) {
		t.Fatalf("mails list %v, want %v", sorted(byOwner), sorted(wantTold))
	}
	mine := mailTo(t, msgs, me.Username+"@skole.example")
	for subject, text := range mine {
		// Told on day 0 (2 November): nothing goes before 16 November.
		if !strings.HasPrefix(subject, "retentiond: ") || !strings.HasSuffix(subject, "of your files will be deleted from 2026-11-16") ||
			!strings.Contains(text, "2026-11-16  share: old/a.txt") || !strings.Contains(text, "IT <it@skole.example>") ||
			!strings.Contains(text, "retentiond holds add") {
			t.Errorf("the owner's mail:\n%s\n%s", subject, text)
		}
	}
	if asRoot {
		ops := mailTo(t, msgs, "it@skole.example")
		for subject, text := range ops {
			if subject != "retentiond: 1 file with no owner to tell will be deleted from 2026-11-16" ||
				!strings.Contains(text, "no owner retentiond can write to") || !strings.Contains(text, "retentiond holds add --as YOUR-ID") ||
				!strings.Contains(text, "2026-11-16  share: old/orphan") {
				t.Errorf("the operators' mail:\n%s\n%s", subject, text)
			}
		}
		if len(ops) != 1 {
			t.Errorf("the operators got %d mails, want 1", len(ops))
		}
	}
	// Told once: notify again sends nothing.
	at(0, "notify")
	if again, _ := srv.Received(); len(again) != len(msgs) {
		t.Errorf("a second notify sent %d more mails", len(again)-len(msgs))
	}

	// Day 5: the owner of old/held.txt asked for a hold.
	at(5, "holds", "add", "--as", "it", "--source", "share", "--ref", "old/held.txt", "--reason", "complaint 2026-7 pending", "--owner", "IT")

	// Day 13: the notice is 13 days old: still nothing to delete.
	if out := at(13, "plan", "--source", "share"); !strings.Contains(out, "0 due") {
		t.Fatalf("day 13 plan:\n%s", out)
	}
	// Day 14: the owners have had their 14 days.
	out = at(14, "plan", "--source", "share")
	if !strings.Contains(out, "4 due") || strings.Contains(out, "wait until their owners") {
		t.Fatalf("day 14 plan:\n%s", out)
	}
	at(14, "execute", "--as", "it")
	for ref, want := range map[string]bool{"old/a.txt": false, "old/b.txt": false, "old/orphan": false, "soon/c.txt": false,
		"old/held.txt": true, "later/d.txt": true, "new/e.txt": true} {
		if exists(ref) != want {
			t.Errorf("day 14: %s exists %v, want %v", ref, exists(ref), want)
		}
	}
	// later/d.txt (due on day 20) was told on day 14, when it came within
	// 14 days; it goes on day 28, not on its due date.
	at(14, "notify")
	if out := at(27, "plan", "--source", "share"); !strings.Contains(out, "1 of the kept are due but wait") {
		t.Errorf("day 27 plan:\n%s", out)
	}
	if out := at(28, "plan", "--source", "share"); !strings.Contains(out, "1 due") {
		t.Errorf("day 28 plan:\n%s", out)
	}

	// The ledger holds one owner_notice entry per file told, with the
	// reference its deletion entry carries, and verifies.
	at(28, "ledger", "verify")
	st, err := store.Open(context.Background(), filepath.Join(dir, "retentiond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	notices := map[string]ledger.Entry{} // item reference → its notice
	var deleted []ledger.Entry
	err = st.Entries(context.Background(), func(_ int64, b []byte) error {
		e, err := ledger.Parse(b)
		switch {
		case err != nil:
			return err
		case e.Type == ledger.TypeOwnerNotice:
			notices[e.Item] = e
		case e.Type == ledger.TypeDeletion && e.Outcome == "deleted":
			deleted = append(deleted, e)
		}
		if strings.Contains(string(b), ".txt") || strings.Contains(string(b), "@skole.example") {
			t.Errorf("a path or an address in the ledger: %s", b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 6 || len(deleted) != 4 {
		t.Fatalf("%d owner_notice entries (want 6: five on day 0, one on day 14), %d deletions (want 4)", len(notices), len(deleted))
	}
	roles := map[string]int{}
	for _, e := range notices {
		roles[e.Role]++
		if e.Rule != "old-files" || e.Period != "P14D" || e.Source != "share" || e.Due < "2026-11-16" {
			t.Errorf("owner_notice entry %+v", e)
		}
	}
	if asRoot && (roles["owner"] != 5 || roles["operator"] != 1) {
		t.Errorf("notices by role: %v, want 5 to owners and 1 to the operators", roles)
	}
	// The auditor's summary counts them per rule and month.
	bundleDir := filepath.Join(dir, "bundle")
	at(28, "ledger", "export", "--out", bundleDir)
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(bundleDir, "summary.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col, told := slices.Index(rows[0], "owners_told"), 0
	for _, r := range rows[1:] {
		n, _ := strconv.Atoi(r[col])
		told += n
	}
	if col < 0 || told != 6 {
		t.Errorf("summary.csv counts %d owners told (column %d), want 6", told, col)
	}
	for _, d := range deleted {
		n, ok := notices[d.Item]
		if !ok || d.Time.Sub(n.Time) < 14*24*time.Hour {
			t.Errorf("deleted %s without an owner notice 14 days before (notice %+v)", d.Item, n)
		}
	}
}

func sorted(m map[string][]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		s := append([]string(nil), v...)
		slices.Sort(s)
		out[k] = strings.Join(s, ",")
	}
	return out
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// ownerNoticeShare writes the policy and configuration of a share in dir
// whose rule tells owners 14 days ahead (owner_notice: P14D) through a
// real SMTP relay, and returns the relay, the configuration file and a
// function that runs retentiond days after day0 and fails the test on an
// error.
func ownerNoticeShare(t *testing.T, dir string, day0 time.Time) (srv *smtptest.Server, cfg string, at func(days int, args ...string) string) {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
id: shares
rules:
  - id: old-files
    title: Files untouched for 3 years
    type: delete_after
    sources: [share]
    from: item.modified
    keep: P3Y
    owner_notice: P14D
    approval: none
`), 0o644)
	srv = smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	os.WriteFile(filepath.Join(dir, "smtp.password"), []byte(smtptest.Password), 0o600)
	cfg = filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 1
locale: en
timezone: Europe/Copenhagen
database: retentiond.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: it, name: IT, email: it@skole.example, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
notify:
  smtp: {host: %s, port: %d, from: retentiond@skole.example, username: %s, password_file: smtp.password, ca_file: %s}
  owner_email: "{user}@skole.example"
`, srv.Host, srv.Port, smtptest.User, srv.CAFile)), 0o644)
	at = func(days int, args ...string) string {
		t.Helper()
		out, err := runAt(t, day0.AddDate(0, 0, days), append(args, "--config", cfg)...)
		if err != nil {
			t.Fatalf("day %d: retentiond %s: %v\n%s", days, strings.Join(args, " "), err, out)
		}
		return out
	}
	return srv, cfg, at
}
