package main

import (
	"strings"

	"github.com/retentiond/retentiond/internal/safetext"
)

// esc makes a name that comes from outside (a file share, a mailbox, an
// export, a bundle, text someone typed) safe to print: control, format and
// bidi characters and invalid UTF-8 are shown as escapes, the backslash as
// \\ (internal/safetext). Every name a command prints goes through it.
func esc(s string) string { return safetext.Name(s) }

// escLines is for a text of several lines that may hold names, an error
// for example: each line is escaped by safetext.Text (which keeps
// backslashes: an error quotes a name with %q, or holds a Windows path)
// and the line breaks between them are kept.
func escLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safetext.Text(l)
	}
	return strings.Join(lines, "\n")
}
