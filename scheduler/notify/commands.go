package notify

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store/safetext"
)

// cmd is a command for the reader of a mail to run: "retentiond " and the
// command formatted, followed by --config and the configuration's path
// when the configuration in force is not the one the command line reads
// without --config (configs.IsDefaultFile). A service started with
// --config /etc/retentiond/retentiond.yaml thus mails commands that work
// as they are, not ones that fail for want of ./retentiond.yaml.
//
// When the configuration has web.url, the command that shows a batch
// ("batches show %d") comes after the link to the batch's page in the
// console, on a line of its own with the same indentation: an approver
// opens the page instead of a shell.
func (n *Notifier) cmd(format string, args ...any) string {
	c := "retentiond " + fmt.Sprintf(format, args...)
	if f := ConfigFlag(n.P.Config.File); f != "" {
		c += " " + f
	}
	if format == "batches show %d" && len(args) == 1 {
		if link := BatchLink(n.P.Config, args[0]); link != "" {
			c = link + "\n    " + c
		}
	}
	return c
}

// BatchLink is the address of a batch's page in the web console,
// web.url + "/batches/ID", or "" without web.url.
func BatchLink(cfg *configs.Config, id any) string {
	if cfg == nil || cfg.Web == nil || cfg.Web.URL == "" {
		return ""
	}
	return fmt.Sprintf("%s/batches/%v", strings.TrimSuffix(cfg.Web.URL, "/"), id)
}

// ConfigFlag is what a command line needs to read the configuration file
// (absolute, as configs.Config.File): "" for the default one, otherwise
// "--config PATH", the path quoted for a shell where it needs it.
func ConfigFlag(file string) string {
	if file == "" || configs.IsDefaultFile(file) {
		return ""
	}
	return "--config " + shellQuote(file, runtime.GOOS == "windows")
}

// shellQuote quotes s for a POSIX shell (windows: for cmd.exe and
// PowerShell) unless it needs none, and escapes what no terminal should
// be given (safetext.Text).
func shellQuote(s string, windows bool) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:,@=", r) ||
			windows && r == '\\'
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	if windows {
		// A Windows path holds no double quote; both shells read "...".
		return safetext.Text(`"` + s + `"`)
	}
	return safetext.Text("'" + strings.ReplaceAll(s, "'", `'\''`) + "'")
}
