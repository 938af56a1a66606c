package configs

import (
	"errors"
	"strings"
	"testing"
)

// TestSyntaxErrorLines: a YAML syntax error names the 1-based line it is
// on, whichever part of yaml found it: the scanner (whose lines yaml counts
// from 1), the parser (whose lines yaml counts from 0, and leaves out on the
// first line), the reader (which gives no line) or the composer (an alias of
// an unknown anchor, no line either).
func TestSyntaxErrorLines(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"scanner", "a: 1\n  b: 2\n", 2, "mapping values are not allowed in this context"},
		{"scanner on line 1", "\ta: 1\n", 1, "found character that cannot start any token"},
		{"scanner, multi-line key", "a: b\nc\nd: e\n", 2, "could not find expected ':'"},
		{"parser: unclosed flow list", "a: 1\nb: [1,\nc: 2\n", 2, "did not find expected ',' or ']'"},
		{"parser: unclosed flow mapping", "a: 1\n\nb: {x: 1\nc: 2\n", 3, "did not find expected ',' or '}'"},
		{"parser: list after mapping", "a: 1\nb: 2\n- c\n", 3, "did not find expected key"},
		{"parser: key in a list", "a: 1\nb:\n  - x\n  y: 2\n", 3, "did not find expected '-' indicator"},
		{"parser on line 1", "[a, b\n", 1, "did not find expected ',' or ']'"},
		{"parser on line 1 after a mapping", "- a\nb: 1\n", 2, "did not find expected '-' indicator"},
		{"parser: undefined tag handle", "a: 1\nb: !x!y c\n", 2, "found undefined tag handle"},
		{"parser: text after document end", "a: 1\n...\nfoo\n", 3, "did not find expected <document start>"},
		{"parser at the end of the text", "a: 1\nb: [\n", 2, "did not find expected node content"},
		{"parser at the end, no final newline", "a: 1\nb: [", 2, "did not find expected node content"},
		{"reader: control character", "a: 1\nb: 2\nc: \"x\x07\"\n", 3, "control characters are not allowed"},
		{"reader: control character after CRLF", "a: 1\r\nb: 2\r\nc: x\x1b\r\n", 3, "control characters are not allowed"},
		{"reader: control character after NEL", "a: \"1\u0085\"\nb: \x00\n", 3, "control characters are not allowed"},
		{"reader: Latin-1", "a: 1\n\nb: Sl\xf8r\n", 3, "invalid leading UTF-8 octet"},
		{"reader: cut UTF-8", "a: 1\nb: \xc3", 2, "incomplete UTF-8 octet sequence"},
		{"reader: line 1", "a: \xff\n", 1, "invalid leading UTF-8 octet"},
		{"reader: UTF-16 lone surrogate", "\xff\xfea\x00:\x00 \x001\x00\n\x00b\x00:\x00 \x00\x00\xdc\n\x00", 2, "unexpected low surrogate area"},
		{"composer: unknown anchor", "a: &x 1\nb: \"*y\"\nc: [*x, *y]\n", 3, "unknown anchor 'y' referenced"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseDoc("f.yaml", []byte(c.text))
			var le *LoadError
			if !errors.As(err, &le) || len(le.Errs) != 1 {
				t.Fatalf("got %v, want one problem", err)
			}
			fe := le.Errs[0]
			if fe.File != "f.yaml" || fe.Line != c.line || fe.Field != "" || fe.Msg != "invalid YAML: "+c.msg {
				t.Errorf("got %q (line %d), want line %d: invalid YAML: %s", fe, fe.Line, c.line, c.msg)
			}
		})
	}
}

// TestOneDocumentPerFile: text after a second document start is not
// ignored; it is an error at the line the document starts.
func TestOneDocumentPerFile(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int // 0: the text is one document
	}{
		{"one", "a: 1\n", 0},
		{"one, started explicitly", "---\na: 1\n", 0},
		{"one, ended explicitly", "a: 1\n...\n# the end\n", 0},
		{"two", "a: 1\n---\nb: 2\n", 2},
		{"two, the second empty", "a: 1\n\n---\n", 3},
		{"two, the second after an end", "a: 1\n...\n--- b\n", 3},
		{"three", "a: 1\n---\nb: 2\n---\nc: 3\n", 2},
		{"the first empty", "---\n---\na: 1\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseDoc("f.yaml", []byte(c.text))
			if c.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *LoadError
			if !errors.As(err, &le) || len(le.Errs) != 1 {
				t.Fatalf("got %v, want one problem", err)
			}
			if fe := le.Errs[0]; fe.Line != c.line || !strings.HasPrefix(fe.Msg, "a second YAML document starts here") {
				t.Errorf("got %q (line %d), want a second document at line %d", fe, fe.Line, c.line)
			}
		})
	}
}

// TestAliasBudget: aliases may share parts of a policy, but not expand a
// small file into a huge one; through an approval, which is decoded after
// the rest of the rule, as much as anywhere else. Only that is reported.
func TestAliasBudget(t *testing.T) {
	rule := func(approval string) string {
		return "version: 1\nid: p\nrules:\n" +
			"  - &r\n    id: R0\n    type: delete_after\n    from: item.modified\n    keep: P1D\n    approval: " + approval + "\n"
	}
	shared := rule("&a [{group: leaders, count: 1}, {group: dpo, count: 1}]") +
		"  - {id: R1, type: delete_after, from: item.modified, keep: P2D, approval: *a}\n" +
		"  - {id: R2, type: delete_after, from: item.modified, keep: P3D, approval: *a, exemptions: [&e {when: {label: x}, then: keep, note: n}, *e]}\n"
	p, err := ParsePolicy("p.yaml", []byte(shared))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 3 || len(p.Rules[1].Approval.Stages) != 2 || p.Rules[1].Approval.Stages[1].Group != "dpo" || len(p.Rules[2].Exemptions) != 2 {
		t.Errorf("shared parts not read through their aliases: %+v", p.Rules)
	}

	// 100 stages in each rule's approval, 200 rules: 20,000 stages, from
	// 200 lines.
	bomb := rule("&a [&s {group: leaders, count: 1}"+strings.Repeat(", *s", 99)+"]") +
		strings.Repeat("  - {id: R, type: delete_after, from: item.modified, keep: P1D, approval: *a}\n", 200)
	_, err = ParsePolicy("p.yaml", []byte(bomb))
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errs) != 1 {
		t.Fatalf("got %v, want one problem", err)
	}
	// Rule R0's 99 aliased stages count 3 values each (the stage, its group
	// and its count), each later rule's approval 1 + 100·3: the budget runs
	// out in rules[32], on line 41.
	want := "p.yaml:41: rules[32].approval: the file's aliases expand to more than 10000 values"
	if got := le.Errs[0].Error(); !strings.HasPrefix(got, want) {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
