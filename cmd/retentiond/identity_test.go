package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/testtool"
)

// approvalsBy returns the approval entries of the demo's ledger by person.
func approvalsBy(t *testing.T, dir, person string) []ledger.Entry {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "retentiond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []ledger.Entry
	err = st.Entries(context.Background(), func(_ int64, b []byte) error {
		e, err := ledger.Parse(b)
		if err != nil {
			return err
		}
		if e.Type == ledger.TypeApproval && e.Actor == person {
			got = append(got, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestIdentityVerifiedByOSUser: a person whose os_users list the account
// the command runs as acts verified (auth os_user in the ledger); a person
// whose os_users do not is refused, naming the account, and nothing is
// recorded, even where cli.trust_as is set; a person without os_users acts
// trusted_cli where the configuration trusts --as, and is otherwise
// refused, with nothing recorded.
func TestIdentityVerifiedByOSUser(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		testtool.Unavailable(t, fmt.Sprintf("the test needs the account it runs as: %v", err))
	}
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	people := func(anna, bo string) {
		t.Helper()
		s := strings.Replace(string(b), "groups: [leaders]}", "groups: [leaders]"+anna+"}", 1)
		s = strings.Replace(s, "groups: [dpo, leaders]}", "groups: [dpo, leaders]"+bo+"}", 1)
		if s == string(b) && (anna != "" || bo != "") {
			t.Fatal("the demo's people are not where the test expects them")
		}
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	people(fmt.Sprintf(", os_users: [%q]", me.Username), fmt.Sprintf(", os_users: [%q]", "not-"+me.Username))

	out := mustRun(t, "batches", "approve", "1", "--as", "anna", "--config", cfg)
	if strings.Contains(out, "not verified") || strings.Contains(out, "typed") {
		t.Errorf("a verified approval warns:\n%s", out)
	}
	if got := approvalsBy(t, dir, "anna"); len(got) != 1 || got[0].Auth != "os_user" || got[0].Batch != 1 {
		t.Fatalf("anna's approvals %+v, want one of batch 1 with auth os_user", got)
	}

	out, err = run(t, "batches", "approve", "5", "--as", "bo", "--config", cfg)
	want := fmt.Sprintf("--as bo refused: this command runs as the account %q, which is not one of bo's os_users", me.Username)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"not-`+me.Username+`"`) {
		t.Fatalf("bo from another account: %v\n%s\nwant %s", err, out, want)
	}
	if got := approvalsBy(t, dir, "bo"); len(got) != 0 {
		t.Fatalf("a refused identity recorded %+v", got)
	}

	if runtime.GOOS != "windows" {
		// Run through sudo as an account that is nobody's (the service
		// account): the person is the one sudo names...
		t.Setenv("SUDO_USER", "not-"+me.Username)
		people("", fmt.Sprintf(", os_users: [%q]", "not-"+me.Username))
		mustRun(t, "batches", "approve", "3", "--as", "bo", "--config", cfg)
		if got := approvalsBy(t, dir, "bo"); len(got) != 1 || got[0].Auth != "os_user" || got[0].Batch != 3 {
			t.Fatalf("bo's approvals through sudo %+v, want one of batch 3 with auth os_user", got)
		}
		// ...but not when the account run as is someone's own.
		people(fmt.Sprintf(", os_users: [%q]", me.Username), fmt.Sprintf(", os_users: [%q]", "not-"+me.Username))
		if _, err := run(t, "batches", "approve", "5", "--as", "bo", "--config", cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("SUDO_USER taken from anna's own account: %v", err)
		}
		t.Setenv("SUDO_USER", "")
	}

	// Without os_users, the demo's configuration trusts --as
	// (cli.trust_as): taken on its word, recorded trusted_cli, no warning.
	people("", "")
	out = mustRun(t, "batches", "approve", "5", "--as", "bo", "--config", cfg)
	if strings.Contains(out, "warning") || strings.Contains(out, "typed") {
		t.Errorf("a trusted --as warns:\n%s", out)
	}
	if got := approvalsBy(t, dir, "bo"); len(got) == 0 || got[len(got)-1].Auth != "trusted_cli" || got[len(got)-1].Batch != 5 {
		t.Fatalf("bo's approvals %+v, want the last of batch 5 with auth trusted_cli", got)
	}

	// Without cli.trust_as, a person without os_users is refused, with
	// the reason and both ways out, and nothing is recorded.
	trusting, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	strict := strings.Replace(string(trusting), "cli:\n  trust_as: true\n", "", 1)
	if strict == string(trusting) {
		t.Fatal("the demo's configuration does not set cli.trust_as where the test expects it")
	}
	if err := os.WriteFile(cfg, []byte(strict), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(approvalsBy(t, dir, "anna"))
	out, err = run(t, "batches", "approve", "2", "--as", "anna", "--config", cfg)
	want = "--as anna: anna has no os_users in " + cfg + ", so the command line cannot verify who you are"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "os_users") || !strings.Contains(err.Error(), "cli.trust_as: true") {
		t.Fatalf("anna without os_users and trust_as: %v\n%s\nwant %s", err, out, want)
	}
	if got := approvalsBy(t, dir, "anna"); len(got) != before {
		t.Fatalf("a refused --as recorded %+v", got[before:])
	}
	// The same holds for reading commands: --as is refused before any
	// command runs, whatever it is.
	if _, err := run(t, "batches", "list", "--as", "anna", "--config", cfg); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("batches list --as anna without os_users and trust_as: %v", err)
	}
	// A verified person still acts.
	people(fmt.Sprintf(", os_users: [%q]", me.Username), "")
	mustRun(t, "batches", "approve", "2", "--as", "anna", "--config", cfg)
	if got := approvalsBy(t, dir, "anna"); len(got) != before+1 || got[before].Auth != "os_user" || got[before].Batch != 2 {
		t.Fatalf("anna's approvals %+v, want a new one of batch 2 with auth os_user", got)
	}

	// ledger verify says how the decisions were authenticated.
	out = mustRun(t, "ledger", "verify", "--config", cfg)
	want = "decisions by authentication: os_user=3 trusted_cli=1 (3 of 4 verified)"
	if runtime.GOOS == "windows" {
		want = "decisions by authentication: os_user=2 trusted_cli=1 (2 of 3 verified)"
	}
	if !strings.Contains(out, want) {
		t.Errorf("ledger verify:\n%s\nwant %s", out, want)
	}
}

// TestDemoYesNeedsTrustAs: demo --yes acts as the configuration's people
// without verifying them, so it refuses a configuration that does not
// trust --as; on its own sandbox it records trusted_cli.
func TestDemoYesNeedsTrustAs(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	strict := strings.Replace(string(b), "cli:\n  trust_as: true\n", "", 1)
	if err := os.WriteFile(cfg, []byte(strict), 0o600); err != nil {
		t.Fatal(err)
	}
	if strict == string(b) {
		t.Fatal("the demo's configuration does not set cli.trust_as where the test expects it")
	}
	if _, err := run(t, "demo", "--dir", dir, "--yes"); err == nil || !strings.Contains(err.Error(), "cli.trust_as: true") {
		t.Fatalf("demo --yes on a configuration without trust_as: %v", err)
	}
	if got := approvalsBy(t, dir, "anna"); len(got) != 0 {
		t.Fatalf("a refused demo walk approved %+v", got)
	}
	// A new sandbox trusts --as, and the walk approves its batches.
	dir = t.TempDir()
	mustRun(t, "demo", "--dir", dir, "--yes")
	got := approvalsBy(t, dir, "anna")
	if len(got) == 0 {
		t.Fatal("the demo walk approved nothing as anna")
	}
	for _, e := range got {
		if e.Auth != "trusted_cli" {
			t.Fatalf("the demo walk recorded auth %q: %+v", e.Auth, e)
		}
	}
	out := mustRun(t, "ledger", "verify", "--config", filepath.Join(dir, "retentiond.yaml"))
	if !strings.Contains(out, "decisions by authentication: trusted_cli=") || !strings.Contains(out, " (0 of ") {
		t.Errorf("ledger verify of the demo:\n%s", out)
	}
}
