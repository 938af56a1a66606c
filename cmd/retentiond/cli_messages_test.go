package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestUnknownSubcommandFailsWithSuggestion: a mistyped subcommand of any
// group fails (exit status 1 in main) and names the closest commands; a
// group without a word still prints its help.
func TestUnknownSubcommandFailsWithSuggestion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"batches", "lst"}, `unknown command "lst" for "retentiond batches"; did you mean "list"?`},
		{[]string{"hold"}, `unknown command "hold" for "retentiond"; did you mean "holds"?`},
		{[]string{"holds", "relase", "H-1"}, `unknown command "relase" for "retentiond holds"; did you mean "release"?`},
		{[]string{"ledger", "verfy"}, `unknown command "verfy" for "retentiond ledger"; did you mean "verify"?`},
		{[]string{"subjects", "imprt"}, `unknown command "imprt" for "retentiond subjects"; did you mean "import" or "imports"?`},
		{[]string{"instructions", "lst"}, `unknown command "lst" for "retentiond instructions"; did you mean "list"?`},
		{[]string{"notify", "tset"}, `unknown command "tset" for "retentiond notify"; did you mean "test"?`},
		{[]string{"ledger", "xyzzy"}, `unknown command "xyzzy" for "retentiond ledger"; its commands are anchor, export, prove, rotate-key, verify, verify-proof`},
	} {
		out, err := run(t, c.args...)
		if err == nil {
			t.Errorf("retentiond %s succeeded:\n%s", strings.Join(c.args, " "), out)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("retentiond %s: %v\nwant %s", strings.Join(c.args, " "), err, c.want)
		}
		if strings.Contains(out, "Usage:") {
			t.Errorf("retentiond %s printed the help as if it were an answer:\n%s", strings.Join(c.args, " "), out)
		}
	}
	// Every group refuses, whatever its name (service differs by system).
	root := newApp(nil, nil).root()
	for _, g := range root.Commands() {
		if !g.HasSubCommands() {
			continue
		}
		out, err := run(t, g.Name(), "no-such-command")
		if err == nil || !strings.Contains(err.Error(), `unknown command "no-such-command" for "retentiond `+g.Name()+`"`) {
			t.Errorf("retentiond %s no-such-command: %v\n%s", g.Name(), err, out)
		}
	}
	out, err := run(t, "batches")
	if err != nil || !strings.Contains(out, "Available Commands:") || !strings.Contains(out, "approve") {
		t.Fatalf("retentiond batches: %v\n%s", err, out)
	}
}

// TestVersionFlag: --version prints what the version command prints.
func TestVersionFlag(t *testing.T) {
	want := mustRun(t, "version")
	if !strings.HasPrefix(want, "retentiond ") || !strings.Contains(want, "\ncommit ") {
		t.Fatalf("version:\n%s", want)
	}
	if got := mustRun(t, "--version"); got != want {
		t.Fatalf("--version printed\n%s\nversion printed\n%s", got, want)
	}
}

// TestHoldThatCoversNothingNeedsForce: `holds add --path` with a typo is
// refused, naming what was checked in every source, and places nothing;
// --force places it; a path that covers files is placed at once.
func TestHoldThatCoversNothingNeedsForce(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	add := func(extra ...string) (string, error) {
		return run(t, append([]string{"holds", "add", "--config", cfg, "--as", "it", "--reason", "case 14", "--owner", "dpo"}, extra...)...)
	}
	out, err := add("--path", "Personale/Fratrådt/**")
	if err == nil {
		t.Fatalf("a hold covering nothing was placed:\n%s", out)
	}
	for _, want := range []string{
		`hold covers no item: no file under "Personale/Fratrådt/**" in source skoledrev now, and none in its latest plan (plan 1)`,
		`in source nvr now`,
		"; check the path, or add --force to place it anyway",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal: %v\nwant it to say %s", err, want)
		}
	}
	if h := mustRun(t, "holds", "list", "--config", cfg); !strings.Contains(h, "no holds") {
		t.Fatalf("the refused hold was placed:\n%s", h)
	}
	if out := mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "case 14", "--owner", "dpo", "--path", "Personale/Fratrådt/**", "--force"); !strings.Contains(out, "hold H-1 added") {
		t.Fatalf("--force:\n%s", out)
	}
	// Files plainly kept are in no plan, but the share is listed.
	if out := mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "case 15", "--owner", "dpo", "--source", "skoledrev", "--path", "Personale/Ansatte/4713/**"); !strings.Contains(out, "hold H-2 added") {
		t.Fatalf("a hold over kept files:\n%s", out)
	}
}
