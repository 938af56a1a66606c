package main

import (
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
