package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// WrongUserError is the refusal of a command run as a user other than the
// owner of the state directory (the directory of the database): what it
// created there (a -shm file, keys, locks) would belong to that user, and
// the service, running as the owner, could no longer use it.
type WrongUserError struct {
	Dir, Owner, User string
	Command          string // the command line to run instead
}

func (e *WrongUserError) Error() string {
	return fmt.Sprintf("%s, the directory of the database, belongs to %s, but this command runs as %s: "+
		"files it created there would belong to %s and the service could no longer use them. Run it as %s:\n    %s",
		e.Dir, e.Owner, e.User, e.User, e.Owner, e.Command)
}

// checkOwner refuses to go on when this process does not run as the owner
// of the directory holding database (Unix only; nothing to check where
// the directory does not exist yet).
func (a *app) checkOwner(database string) error {
	dir := filepath.Dir(database)
	owner, me, ok, err := stateOwner(dir)
	if err != nil || ok {
		return err
	}
	line := a.invocation
	if line == "" { // not run through root's PersistentPreRun
		parts := []string{"retentiond"}
		for _, arg := range os.Args[1:] {
			parts = append(parts, shellQuote(arg))
		}
		line = strings.Join(parts, " ")
	}
	return &WrongUserError{Dir: dir, Owner: owner, User: me, Command: "sudo -u " + shellQuote(owner) + " " + line}
}

// commandLine is the command line that runs cmd with args and the flags
// that were given, with --config as an absolute path (sudo does not keep
// the environment or, necessarily, the directory) and --as when it came
// from the environment.
func (a *app) commandLine(cmd *cobra.Command, args []string) string {
	parts := strings.Fields(cmd.CommandPath())
	for _, arg := range args {
		parts = append(parts, shellQuote(arg))
	}
	seen := map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		seen[f.Name] = true
		if f.Name == "config" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				parts = append(parts, "--"+f.Name, shellQuote(v))
			}
			return
		}
		if f.Value.Type() == "bool" {
			if f.Value.String() == "true" {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, "--"+f.Name+"=false")
			}
			return
		}
		parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
	})
	if !seen["as"] && a.as != "" {
		parts = append(parts, "--as", shellQuote(a.as))
	}
	config := a.configFile
	if abs, err := filepath.Abs(config); err == nil {
		config = abs
	}
	return strings.Join(append(parts, "--config", shellQuote(config)), " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell where it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
