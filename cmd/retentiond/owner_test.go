//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/store/testtool"
)

// stateConfig writes a configuration whose database and keys are in
// dir/state, with one empty file share, and returns its path.
func stateConfig(t *testing.T, dir, database string) string {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "share"), 0o755)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
id: shares
rules:
  - id: old-files
    title: Files untouched for 3 years
    type: delete_after
    sources: [share]
    from: item.modified
    keep: P3Y
    approval: none
`), 0o644)
	cfg := filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(cfg, []byte(`version: 1
timezone: Europe/Copenhagen
database: `+database+`
keys: {signing: state/keys/ledger.key, references: state/keys/references.key}
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: it, name: IT, email: it@skole.example, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
`), 0o644)
	return cfg
}

// TestDatabaseDirectoryAndModes: with `database: state/x.db` and no
// state/, check says the first command creates both, and plan does (0700,
// 0600 under umask 022); a database others can read is reported by check
// with the chmod to run.
func TestDatabaseDirectoryAndModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	cfg := stateConfig(t, dir, "state/x.db")
	db := filepath.Join(dir, "state", "x.db")
	out := mustRun(t, "check", "--config", cfg)
	if !strings.Contains(out, "database "+db+": not created yet (the first command that uses it, plan for example, creates it and its directory "+filepath.Join(dir, "state")) {
		t.Errorf("check before the first plan:\n%s", out)
	}
	mustRun(t, "plan", "--config", cfg)
	for f, want := range map[string]os.FileMode{filepath.Join(dir, "state"): 0o700, db: 0o600} {
		if fi, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", f, fi.Mode().Perm(), want)
		}
	}
	if out := mustRun(t, "check", "--config", cfg); !strings.Contains(out, "database "+db+": ok") {
		t.Errorf("check after the plan:\n%s", out)
	}
	os.Chmod(db, 0o644)
	out, err := run(t, "check", "--config", cfg)
	// The -wal file beside it (kept between runs, with the database's
	// mode when it was made) may be named too.
	if err == nil || !strings.Contains(err.Error(), "can be read by other users ("+db+" has mode 0644") ||
		!strings.Contains(err.Error(), "\n    chmod 600 "+db) {
		t.Errorf("check of a database others can read: %v\n%s", err, out)
	}
}

// TestCommandLine: the command to run instead names the command, its
// arguments and flags, quoted for the shell, and the configuration by its
// absolute path.
func TestCommandLine(t *testing.T) {
	a := newApp(nil, nil)
	root := a.root()
	var got string
	root.SetArgs([]string{"holds", "add", "--as", "it", "--source", "share", "--path", "Elever/Anna's/**", "--reason", "a case", "--config", "rel.yaml"})
	show, _, _ := root.Find([]string{"holds", "add"})
	show.RunE = func(cmd *cobra.Command, args []string) error { got = a.invocation; return nil }
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("rel.yaml")
	want := `retentiond holds add --as it --path 'Elever/Anna'\''s/**' --reason 'a case' --source share --config ` + abs
	if got != want {
		t.Errorf("invocation\n%s\nwant\n%s", got, want)
	}
	e := &WrongUserError{Dir: "/var/lib/retentiond", Owner: "retentiond", User: "root", Command: "sudo -u retentiond " + want}
	if !strings.Contains(e.Error(), "belongs to retentiond, but this command runs as root") || !strings.HasSuffix(e.Error(), "Run it as retentiond:\n    sudo -u retentiond "+want) {
		t.Errorf("refusal: %s", e)
	}
}

// asRoot skips a test that needs root, saying why, except in CI, which
// runs as root: there it fails.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testtool.Unavailable(t, "it needs root: it runs commands as another user")
	}
}

// TestWrongUser: a command run as root against a state directory that
// belongs to another user (the service's) refuses, creates nothing there,
// and says what to run instead; check reports it without opening the
// database. Files left by another user make the service fail with the
// permission error they cause, not with a rotation that never happened.
func TestWrongUser(t *testing.T) {
	asRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		testtool.Unavailable(t, "it needs the account nobody: "+err.Error())
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	for d := filepath.Dir(filepath.Dir(dir)); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Skipf("nobody cannot reach the test's directory: %s is not searchable by others (set TMPDIR)", d)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	cfg := stateConfig(t, dir, "state/retentiond.db")
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	os.Chown(state, uid, gid)

	out, err := run(t, "plan", "--source", "share", "--config", cfg)
	var wrong *WrongUserError
	if !errors.As(err, &wrong) || wrong.Owner != "nobody" || wrong.User != "root" ||
		wrong.Command != "sudo -u nobody retentiond plan --source share --config "+cfg ||
		!strings.Contains(err.Error(), "Run it as nobody:\n    sudo -u nobody retentiond plan --source share --config "+cfg) {
		t.Fatalf("plan as root: %v\n%s", err, out)
	}
	if ents, _ := os.ReadDir(state); len(ents) != 0 {
		t.Errorf("the refused command left %d files in the state directory", len(ents))
	}
	out = mustRun(t, "check", "--config", cfg)
	if !strings.Contains(out, "not opened: its directory belongs to nobody and this command runs as root; check it as nobody:\n    sudo -u nobody retentiond check --config "+cfg) {
		t.Errorf("check as root:\n%s", out)
	}

	// The same commands as nobody, through the binary, work.
	bin := filepath.Join(dir, "retentiond")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	asNobody := func(args ...string) (string, error) {
		c := exec.Command(bin, append(args, "--config", cfg)...)
		c.Dir = dir
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		b, err := c.CombinedOutput()
		return string(b), err
	}
	if out, err := asNobody("plan"); err != nil {
		t.Fatalf("plan as nobody: %v\n%s", err, out)
	}
	// What a command run as root used to leave behind: the keys directory
	// as root's. The service must say it may not read it.
	keys := filepath.Join(state, "keys")
	os.Chown(keys, 0, 0)
	out, err = asNobody("plan")
	if err == nil || !strings.Contains(out, "permission denied") || strings.Contains(out, "rotation") || !strings.Contains(out, keys) {
		t.Errorf("plan as nobody with root's keys directory: %v\n%s", err, out)
	}
	if out, err := asNobody("check"); err == nil || !strings.Contains(out, "permission denied: every file of the state must belong to nobody") {
		t.Errorf("check as nobody with root's keys directory: %v\n%s", err, out)
	}
	os.Chown(keys, uid, gid)
	// A key file of root's: check names it and says how to give it back.
	os.Chown(filepath.Join(keys, "ledger.key.pub"), 0, 0)
	if out, err := asNobody("check"); err == nil || !strings.Contains(out, "1 files of the state belong to root, not to nobody") ||
		!strings.Contains(out, "sudo chown nobody "+filepath.Join(keys, "ledger.key.pub")) {
		t.Errorf("check as nobody with a key file of root's: %v\n%s", err, out)
	}
	os.Chown(filepath.Join(keys, "ledger.key.pub"), uid, gid)
	if out, err := asNobody("check"); err != nil || !strings.Contains(out, "database "+filepath.Join(state, "retentiond.db")+": ok") {
		t.Errorf("check as nobody: %v\n%s", err, out)
	}
	// Root's database file: a permission error, not "unable to open".
	os.Chown(filepath.Join(state, "retentiond.db"), 0, 0)
	out, err = asNobody("plan")
	if err == nil || !strings.Contains(out, "open database: open "+filepath.Join(state, "retentiond.db")+": permission denied") {
		t.Errorf("plan as nobody with root's database file: %v\n%s", err, out)
	}
}

// TestDemoAndInstructionsOwnerOnly: under umask 022, the demo directory,
// its database and the instruction files are their owner's only.
func TestDemoAndInstructionsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "demo")
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	out := mustRun(t, "instructions", "--as", "it", "--config", cfg, "--out", "instructions")
	if !strings.Contains(out, ".pdf, .md, .csv and .note") {
		t.Fatalf("the demo issued no instruction:\n%s", out)
	}
	modes := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "retentiond.db"): 0o600, filepath.Join(dir, "instructions"): 0o700}
	files, _ := filepath.Glob(filepath.Join(dir, "instructions", "*"))
	if len(files) < 4 {
		t.Fatalf("instruction files: %v", files)
	}
	for _, f := range files {
		modes[f] = 0o600
	}
	for f, want := range modes {
		if fi, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", f, fi.Mode().Perm(), want)
		}
	}
}
