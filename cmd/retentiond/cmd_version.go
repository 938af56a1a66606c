package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by packaging with -ldflags "-X main.buildVersion=… -X main.buildCommit=…
// -X main.buildDate=…"; otherwise taken from the module and VCS information
// Go records in the binary.
var buildVersion, buildCommit, buildDate string

// buildInfo is what version prints.
type buildInfo struct {
	Version, Commit, Date string
	Modified              bool
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: buildVersion, Commit: buildCommit, Date: buildDate}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true" && buildCommit == ""
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprint(a.out, versionText())
		},
	}
}

// versionText is what `retentiond version` and `retentiond --version` print.
func versionText() string {
	b := readBuildInfo()
	commit, date := b.Commit, b.Date
	if commit == "" {
		commit = "unknown (not built from a git checkout)"
	} else if b.Modified {
		commit += " (with uncommitted changes)"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("retentiond %s\ncommit %s\nbuilt %s\n%s %s/%s\n", b.Version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
