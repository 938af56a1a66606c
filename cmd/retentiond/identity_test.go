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
// recorded; a person without os_users acts typed, with a warning.
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

	people("", "")
	out = mustRun(t, "batches", "approve", "5", "--as", "bo", "--config", cfg)
	if !strings.Contains(out, "warning: --as bo is typed, not verified") || !strings.Contains(out, "os_users") {
		t.Errorf("an unverified approval does not warn:\n%s", out)
	}
	if got := approvalsBy(t, dir, "bo"); len(got) == 0 || got[len(got)-1].Auth != "typed" || got[len(got)-1].Batch != 5 {
		t.Fatalf("bo's approvals %+v, want the last of batch 5 with auth typed", got)
	}
}
