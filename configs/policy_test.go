package configs

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusFile is one file of a bad-input corpus and the error it must give.
type corpusFile struct {
	path string
	data []byte
	want string
}

// wantEmpty is the want of the corpus files that are empty as a whole: the
// only problems reported without a line.
const wantEmpty = "the file is empty"

// lineAndField matches a want that names a line (":9: ").
var lineAndField = regexp.MustCompile(`:[1-9][0-9]*: `)

// readCorpus returns the files of a bad-input corpus under testdata/dir, in
// name order, each with the error it must give, from its first line:
// "# want: <substring>".
func readCorpus(t testing.TB, dir string) []corpusFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	slices.Sort(files)
	var out []corpusFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		want, ok := strings.CutPrefix(first, "# want: ")
		if !ok || strings.TrimSpace(want) == "" {
			t.Fatalf("%s: first line must be `# want: <error>`", f)
		}
		out = append(out, corpusFile{path: f, data: b, want: want})
	}
	return out
}

// wantLine returns the line a corpus want names (":9: "), or 0.
func wantLine(want string) int {
	m := lineAndField.FindString(want)
	if m == "" {
		return 0
	}
	n, _ := strconv.Atoi(strings.Trim(m, ": "))
	return n
}

// fieldErrors returns the problems of err, failing t unless err is a
// *LoadError with at least one.
func fieldErrors(t testing.TB, err error) []*FieldError {
	t.Helper()
	le, ok := err.(*LoadError)
	if !ok {
		t.Fatalf("error is %T, not a *LoadError: %v", err, err)
	}
	if len(le.Errs) == 0 {
		t.Fatal("a *LoadError without problems")
	}
	return le.Errs
}

func TestBadPolicies(t *testing.T) {
	corpus := readCorpus(t, "bad-policies")
	if len(corpus) < 25 {
		t.Fatalf("the bad-policy corpus has only %d files", len(corpus))
	}
	for _, c := range corpus {
		t.Run(strings.TrimSuffix(filepath.Base(c.path), ".yaml"), func(t *testing.T) {
			empty := c.want == wantEmpty
			if !empty && !lineAndField.MatchString(c.want) {
				t.Fatalf("want %q names no line", c.want)
			}
			p, err := ParsePolicy(c.path, c.data)
			if err == nil {
				t.Fatalf("parsed without error into %d rule(s)", len(p.Rules))
			}
			if p != nil {
				t.Error("a policy returned along with an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, c.want)
			}
			errs := fieldErrors(t, err)
			// The want is about one problem, not spread over two lines.
			i := slices.IndexFunc(errs, func(fe *FieldError) bool { return strings.Contains(fe.Error(), c.want) })
			if i < 0 {
				t.Errorf("no single problem contains %q:\n%v", c.want, err)
			} else if line := wantLine(c.want); errs[i].Line != line {
				t.Errorf("problem on line %d, want line %d: %v", errs[i].Line, line, errs[i])
			}
			for _, fe := range errs {
				if fe.File != c.path {
					t.Errorf("problem names file %q, want %q: %v", fe.File, c.path, fe)
				}
				if empty {
					if fe.Line != 0 {
						t.Errorf("an empty file has no line to blame: %v", fe)
					}
				} else if fe.Line <= 0 {
					t.Errorf("problem without a line: %+v", *fe)
				}
			}
			// LoadPolicyFile reads the same file to the same result.
			_, lerr := LoadPolicyFile(c.path)
			if lerr == nil || lerr.Error() != err.Error() {
				t.Errorf("LoadPolicyFile gave\n%v\nParsePolicy\n%v", lerr, err)
			}
		})
	}
}

func TestGoodPolicyParses(t *testing.T) {
	file := filepath.Join("testdata", "good-policy.yaml")
	p, err := LoadPolicyFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "good" || p.File != file || len(p.Rules) != 1 {
		t.Fatalf("policy %q from %q with %d rules", p.ID, p.File, len(p.Rules))
	}
	r := p.Rules[0]
	if r.ID != "G1" || r.Policy != p || r.Keep.String() != "P30D" || r.From.String() != "item.modified" ||
		!slices.Equal(r.Sources, []string{"share"}) || len(r.Approval.Stages) != 1 ||
		r.Approval.Stages[0].Group != "leaders" || r.Approval.Stages[0].Count != 1 {
		t.Errorf("rule not read as written: %+v", r)
	}
	b, _ := os.ReadFile(file)
	if string(p.Text) != string(b) || !strings.HasPrefix(p.Digest, "sha256:") {
		t.Errorf("text or digest not kept: %q", p.Digest)
	}
}

func TestMissingPolicyFile(t *testing.T) {
	_, err := LoadPolicyFile(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "read policy file") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

// TestAllProblemsReportedInLineOrder checks that one load reports every
// problem in a file, each with its line, sorted by line although the
// validator meets them in another order (approval before keep here, the
// policy id after the rules).
func TestAllProblemsReportedInLineOrder(t *testing.T) {
	src := `version: 1
rules:
  - id: A
    approval: sometimes
    type: delete_after
    from: item.nope
    keep: P3X
  - id: B
    type: maybe
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 0}
    exemptions:
      - when: {label: x, path: "a/**"}
        then: keep
        note: two conditions
id: "not an id"
`
	_, err := ParsePolicy("p.yaml", []byte(src))
	if err == nil {
		t.Fatal("parsed without error")
	}
	errs := fieldErrors(t, err)
	want := []string{
		`p.yaml:4: rules[0].approval: want ` + "`none`",
		`p.yaml:6: rules[0].from: "item.nope" is not an item date`,
		`p.yaml:7: rules[0].keep: "P3X" is not a duration`,
		`p.yaml:9: rules[1].type: "maybe" is not a rule type`,
		`p.yaml:13: rules[1].approval[0].count: must be at least 1`,
		`p.yaml:15: rules[1].exemptions[0].when: give exactly one condition`,
		`p.yaml:18: id: "not an id" is not a valid id`,
	}
	if len(errs) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("problem %d = %q, want prefix %q", i, errs[i], w)
		}
	}
	if got := strings.Split(err.Error(), "\n"); len(got) != len(want) {
		t.Errorf("Error() has %d lines, want one per problem", len(got))
	}
}

// TestDecodeProblemsAllReported: unknown keys, duplicates and type errors
// are all reported by one load, not only the first.
func TestDecodeProblemsAllReported(t *testing.T) {
	src := `version: 1
id: p
titel: x
rules:
  - id: A
    typ: delete_after
    keep: [P1D]
    keep: P2D
`
	_, err := ParsePolicy("p.yaml", []byte(src))
	if err == nil {
		t.Fatal("parsed without error")
	}
	errs := fieldErrors(t, err)
	want := []string{"p.yaml:3: titel: unknown field", "p.yaml:6: rules[0].typ: unknown field",
		"p.yaml:7: rules[0].keep: want a single value, got a list", "p.yaml:8: rules[0].keep: given twice"}
	if len(errs) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("problem %d = %q, want prefix %q", i, errs[i], w)
		}
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, c := range []struct {
		fe   FieldError
		want string
	}{
		{FieldError{File: "p.yaml", Line: 9, Field: "rules[0].keep", Msg: "bad"}, "p.yaml:9: rules[0].keep: bad"},
		{FieldError{File: "p.yaml", Line: 3, Msg: "invalid YAML: x"}, "p.yaml:3: invalid YAML: x"},
		{FieldError{File: "p.yaml", Msg: "the file is empty"}, "p.yaml: the file is empty"},
	} {
		if got := c.fe.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.fe, got, c.want)
		}
	}
	le := &LoadError{Errs: []*FieldError{{File: "a", Line: 1, Msg: "x"}, {File: "a", Line: 2, Msg: "y"}}}
	if le.Error() != "a:1: x\na:2: y" {
		t.Errorf("LoadError: %q", le.Error())
	}
	var fe *FieldError
	if !errors.As(error(le), &fe) || fe.Line != 1 {
		t.Errorf("errors.As does not reach the first FieldError: %v", fe)
	}
}
