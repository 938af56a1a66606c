//go:build unix

package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileNames are file names that try to fake what a person sees: an
// escape sequence that clears the screen, a carriage return and a newline
// that overwrite or add a line, a right-to-left override that turns
// "txt.exe" around, a C1 control, invalid UTF-8, and a backslash (which no
// ref may hold: the share reports it as skipped).
var hostileNames = map[string]string{ // name → how it must be shown
	"esc\x1b[2Jclear.txt":               `esc\x1b[2Jclear.txt`,
	"cr\rok.pdf":                        `cr\rok.pdf`,
	"lf\n  2026-11-16  share: fake.txt": `lf\n  2026-11-16  share: fake.txt`,
	"rtl\u202etxt.exe":                  `rtl\u202etxt.exe`,
	"csi\u009b2J.txt":                   `csi\u009b2J.txt`,
	"bad\xffutf8.txt":                   `bad\xffutf8.txt`,
}

// TestNamesShownEscaped: names from a share come out escaped in the plan,
// in `batches show` and in the owner's notification mail: nothing a file's
// name holds reaches a terminal or a mail as a control, bidi or invalid
// character, and a name with a backslash is named as skipped.
func TestNamesShownEscaped(t *testing.T) {
	dir := t.TempDir()
	share := filepath.Join(dir, "share", "old")
	os.MkdirAll(share, 0o755)
	day0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	old := day0.AddDate(-4, 0, 0)
	for name := range hostileNames {
		p := filepath.Join(share, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	// Skipped, and so named in the plan's warning and the log line on
	// stderr, with a bidi override and a C1 control that zap does not escape.
	for _, name := range []string{`back\slash.txt`, "back\\slash\u202etxt.exe\u009b"} {
		if err := os.WriteFile(filepath.Join(share, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	srv, _, at := ownerNoticeShare(t, dir, day0)
	clean := func(what, s string) {
		t.Helper()
		if i := strings.IndexFunc(s, func(r rune) bool {
			return r == '\x1b' || r == '\r' || r == '\u202e' || r == '\u009b' || r == '\ufffd'
		}); i >= 0 {
			t.Errorf("%s shows a raw control or bidi character at byte %d:\n%q", what, i, s)
		}
		if !strings.Contains(s, "\n") || strings.Contains(s, "\n  2026-11-16  share: fake.txt") ||
			strings.Contains(s, "\nfake.txt") || strings.Contains(s, "\xff") {
			t.Errorf("%s shows a name's line break or invalid byte raw:\n%s", what, s)
		}
	}
	out := at(0, "plan", "--source", "share")
	clean("plan", out)
	if !strings.Contains(out, "skipped: list \"old/back\\\\slash.txt\": ref contains a backslash") {
		t.Errorf("the plan does not name the skipped file with a backslash:\n%s", out)
	}

	at(0, "notify")
	msgs, _ := srv.Received()
	mails := mailTo(t, msgs, me.Username+"@skole.example")
	if len(mails) != 1 {
		t.Fatalf("%d mails to the owner, want 1", len(mails))
	}
	for _, text := range mails {
		clean("the owner's mail", text)
		for name, shown := range hostileNames {
			if !strings.Contains(text, "2026-11-16  share: old/"+shown+"\n") {
				t.Errorf("the owner's mail does not list %q as %s:\n%s", name, shown, text)
			}
		}
	}

	out = at(0, "explain", "share:old/rtl\u202etxt.exe")
	clean("explain", out)
	if !strings.HasPrefix(out, "share: old/rtl\\u202etxt.exe\n") {
		t.Errorf("explain:\n%s", out)
	}

	// A hold's pattern keeps its own backslash escapes; what was typed
	// around them is escaped like a name.
	at(0, "holds", "add", "--as", "it", "--source", "share", "--path", "old/\\*nothing\x1b[2J", "--reason", "case\u202e7", "--owner", "IT")
	out = at(0, "holds", "list")
	clean("holds list", out)
	if !strings.Contains(out, `case\u202e7`) || !strings.Contains(out, `path=old/\*nothing\x1b[2J`) {
		t.Errorf("holds list:\n%s", out)
	}

	at(15, "plan", "--source", "share")
	out = at(15, "batches", "show", "1")
	clean("batches show", out)
	for name, shown := range hostileNames {
		if !strings.Contains(out, "\n  old/"+shown+"\n") {
			t.Errorf("batches show does not list %q as %s:\n%s", name, shown, out)
		}
	}
}
