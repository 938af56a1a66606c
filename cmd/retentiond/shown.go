package main

import (
	"strings"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"github.com/retentiond/retentiond/store/safetext"
)

// esc makes a name that comes from outside (a file share, a mailbox, an
// export, a bundle, text someone typed) safe to print: control, format and
// bidi characters and invalid UTF-8 are shown as escapes, the backslash as
// \\ (store/safetext). Every name a command prints goes through it.
func esc(s string) string { return safetext.Name(s) }

// escPattern is esc for a path pattern, whose backslashes are its own
// escapes (Elever/\*): they are shown as typed, everything else escaped.
func escPattern(s string) string { return safetext.Text(s) }

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

// shownEncoder escapes what the console logger writes to the terminal: a
// log line may name a file (the share's "part of the share skipped"), and
// zap escapes C0 controls and invalid UTF-8 but writes C1 controls and bidi
// overrides as they are. Tabs and line breaks are the encoder's own.
type shownEncoder struct{ zapcore.Encoder }

func (e shownEncoder) Clone() zapcore.Encoder { return shownEncoder{e.Encoder.Clone()} }

func (e shownEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	buf, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return buf, err
	}
	s := buf.String()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		cells := strings.Split(l, "\t")
		for j, c := range cells {
			cells[j] = safetext.Text(c)
		}
		lines[i] = strings.Join(cells, "\t")
	}
	if t := strings.Join(lines, "\n"); t != s {
		buf.Reset()
		buf.AppendString(t)
	}
	return buf, nil
}
