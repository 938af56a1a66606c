package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"Elever/Anna Ærø/karakterer.pdf": "Elever/Anna Ærø/karakterer.pdf",
		"Fratra\u030adte/x.docx":         "Fratra\u030adte/x.docx", // NFD å: a letter and a combining ring, both visible
		"a\x1b[2Jb":                      `a\x1b[2Jb`,
		"ok.pdf\rsecret.docx":            `ok.pdf\rsecret.docx`,
		"line\nnext":                     `line\nnext`,
		"tab\there\x00nul\x7fdel":        `tab\there\x00nul\x7fdel`,
		`back\slash.txt`:                 `back\\slash.txt`,
		`C:\x1b`:                         `C:\\x1b`, // a literal backslash-x is not an escape
		"report\u202efdp.exe":            `report\u202efdp.exe`,
		"\u2066isolate\u2069 \u200bzw \u00adshy \ufeffbom": `\u2066isolate\u2069 \u200bzw \u00adshy \ufeffbom`,
		"c1\u0085nel\u009bcsi":                             `c1\u0085nel\u009bcsi`,
		"ls\u2028ps\u2029":                                 `ls\u2028ps\u2029`,
		"tag\U000e0041":                                    `tag\U000e0041`,
		"bad\xff\xc3(utf8":                                 `bad\xff\xc3(utf8`,
		"keep \ufffd replacement":                          "keep \ufffd replacement",
		"":                                                 "",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
		back, err := Unescape(want)
		if err != nil || back != in {
			t.Errorf("Unescape(%q) = %q, %v; want %q", want, back, err, in)
		}
	}
}

func TestCSV(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": `'=HYPERLINK("http://x")`,
		"+1":                       "'+1",
		"-2+3":                     "'-2+3",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\t=1":                     `\t=1`, // escaped: no longer a tab
		"\r=1":                     `\r=1`,
		"'quoted":                  "''quoted",
		"plain, with comma":        "plain, with comma",
		"a=b":                      "a=b",
		"\x1b[31mred":              `\x1b[31mred`,
		"":                         "",
	} {
		if got := CSV(in); got != want {
			t.Errorf("CSV(%q) = %q, want %q", in, got, want)
		}
		if back, err := UnCSV(want); err != nil || back != in {
			t.Errorf("UnCSV(%q) = %q, %v; want %q", want, back, err, in)
		}
	}
}

func TestUnescapeRefuses(t *testing.T) {
	for _, s := range []string{`end\`, `\q`, `\x4`, `\xzz`, `\u12`, `\U0011ffff`, `\ud800`} {
		if got, err := Unescape(s); err == nil {
			t.Errorf("Unescape(%q) = %q, want an error", s, got)
		}
	}
}

// visible checks that s could be shown anywhere: valid UTF-8 with no
// control, format or separator character.
func visible(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s %q is not valid UTF-8", what, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Fatalf("%s %q has %U", what, s, r)
		}
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"a\x1b[2Jb", "x\r\ny", `back\slash`, "r\u202eev", "\xff\xfe", "æøå", "\u0085", `\x41`, "=1", "'x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Name(s)
		visible(t, "Name", n)
		if back, err := Unescape(n); err != nil || back != s {
			t.Fatalf("Unescape(Name(%q)) = %q, %v", s, back, err)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return r == '\\' || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
		}) && n != s {
			t.Fatalf("Name(%q) = %q changed a plainly visible name", s, n)
		}
		visible(t, "Text", Text(s))
		c := CSV(s)
		visible(t, "CSV", c)
		if c != "" && strings.ContainsRune("=+-@\t\r\n\x00", rune(c[0])) {
			t.Fatalf("CSV(%q) = %q starts a formula", s, c)
		}
		if back, err := UnCSV(c); err != nil || back != s {
			t.Fatalf("UnCSV(CSV(%q)) = %q, %v", s, back, err)
		}
	})
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		`list "old/back\\slash.txt": invalid`: `list "old/back\\slash.txt": invalid`,
		`open C:\ProgramData\x: denied`:       `open C:\ProgramData\x: denied`,
		"list \"a\x1b[2J\u202eb\": \xff":      `list "a\x1b[2J\u202eb": \xff`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
		visible(t, "Text", Text(in))
	}
}
