// Package safetext makes names that come from outside (a file share, a
// mailbox, a school-system export, a ledger bundle) safe to show to a
// person: in a terminal, an e-mail, a PDF or a CSV file. A name is data,
// never layout: a file called "a\x1b[2Jb" must not clear an approver's
// screen, and "report\u202efdp.exe" must not read as "reportexe.pdf".
//
// [Name] makes every character that is not plainly visible into an escape
// sequence in the style of Go string literals:
//
//   - the backslash itself becomes \\, so the output is unambiguous;
//   - C0 controls and DEL become \a \b \t \n \v \f \r or \xNN;
//   - C1 controls (U+0080–U+009F), Unicode format characters (category Cf:
//     bidi overrides and isolates such as U+202E, zero-width characters,
//     the soft hyphen, tags) and the line and paragraph separators
//     (U+2028, U+2029) become \uNNNN or \UNNNNNNNN;
//   - a byte that is not part of valid UTF-8 becomes \xNN.
//
// Everything else, letters of every script (æ, ø, å, also decomposed as a
// letter and a combining mark), digits, punctuation and spaces, is kept as
// it is. [Unescape] reverses Name exactly, so no two names look alike.
//
// [CSV] is Name for a cell of a CSV file, which also neutralises
// spreadsheet formula injection as OWASP recommends: a cell that starts
// with = + - @ (or a tab, CR, LF or NUL, which Name has already escaped)
// gets a leading single quote, which spreadsheets read as "this is text".
// So that the quote is unambiguous, a cell that already starts with one
// gets another.
//
// The package imports nothing of the project: every front end (cmd, the
// notifications, the ledger summary, the instruction documents) uses it.
package safetext

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Name returns s with every character that is not plainly visible, and
// the backslash, escaped. A name that needs no escaping is returned as it
// is.
func Name(s string) string { return escape(s, true) }

// Text is Name for a text that is not itself a name but may hold names: an
// error message, which quotes a name with %q or holds a Windows path. Its
// backslashes are kept as they are; everything else Name escapes is
// escaped. Text is not reversible: show names with Name.
func Text(s string) string { return escape(s, false) }

func escape(s string, backslash bool) string {
	if !needs(s, backslash) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			hexByte(&b, s[i])
		case r == '\\' && backslash:
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			switch r {
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\v':
				b.WriteString(`\v`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				hexByte(&b, byte(r))
			}
		case hidden(r):
			if r <= 0xffff {
				b.WriteString(`\u`)
				writeHex(&b, uint32(r), 4)
			} else {
				b.WriteString(`\U`)
				writeHex(&b, uint32(r), 8)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needs reports whether escape would change s.
func needs(s string, backslash bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' && backslash {
			return true
		}
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || r == '\\' && backslash || hidden(r) {
					return true // RuneError: invalid UTF-8, or a literal U+FFFD (kept by Name)
				}
			}
			return false
		}
	}
	return false
}

// hidden reports whether the valid rune r >= 0x80 is escaped: C1
// controls, format characters and the line and paragraph separators.
func hidden(r rune) bool {
	if r < 0x80 {
		return false
	}
	return r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func hexByte(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

func writeHex(b *strings.Builder, v uint32, digits int) {
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(v>>shift)&0xf])
	}
}

// ErrSyntax is returned by Unescape for text Name cannot have produced.
var ErrSyntax = errors.New("not an escaped name")

// Unescape returns the name that Name escaped into s.
func Unescape(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", ErrSyntax
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
			if i+n >= len(s) {
				return "", ErrSyntax
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", ErrSyntax
			}
			if s[i] == 'x' {
				b.WriteByte(byte(v))
			} else {
				if !utf8.ValidRune(rune(v)) {
					return "", ErrSyntax
				}
				b.WriteRune(rune(v))
			}
			i += n
		default:
			return "", ErrSyntax
		}
	}
	return b.String(), nil
}

// CSV returns s escaped by Name for a cell of a CSV file, with a single
// quote in front when the cell would otherwise start with a character a
// spreadsheet reads as the start of a formula (= + - @, tab, CR, LF, NUL)
// or with a single quote. The CSV writer still quotes the cell as RFC 4180
// asks (commas, double quotes).
func CSV(s string) string {
	return Formula(Name(s))
}

// UnCSV returns the name CSV turned into the cell s.
func UnCSV(s string) (string, error) {
	return Unescape(strings.TrimPrefix(s, "'"))
}

// Formula returns the already escaped cell t with a single quote in front
// when it starts with a character a spreadsheet reads as the start of a
// formula, or with a single quote: CSV(s) is Formula(Name(s)).
func Formula(t string) string {
	if t != "" && strings.IndexByte("=+-@\t\r\n\x00'", t[0]) >= 0 {
		return "'" + t
	}
	return t
}
