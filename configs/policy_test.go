package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readCorpus returns the files of a bad-input corpus with the error each
// must give, from its first line: "# want: <substring>".
func readCorpus(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		want, ok := strings.CutPrefix(first, "# want: ")
		if !ok {
			t.Fatalf("%s: first line must be `# want: <error>`", f)
		}
		out[f] = want
	}
	return out
}

func TestBadPolicies(t *testing.T) {
	for file, want := range readCorpus(t, "bad-policies") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := LoadPolicyFile(file)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is %T, not a *LoadError", err)
			}
			for _, fe := range le.Errs {
				if fe.File != file || fe.Line == 0 && !strings.Contains(fe.Msg, "empty") {
					t.Errorf("problem without file and line: %+v", fe)
				}
			}
		})
	}
}

func TestAllProblemsReportedInLineOrder(t *testing.T) {
	src := `version: 1
id: p
rules:
  - id: A
    type: delete_after
    from: item.nope
    keep: P3X
    approval: none
  - id: B
    type: maybe
    from: item.modified
    keep: P1D
    approval: none
`
	_, err := ParsePolicy("p.yaml", []byte(src))
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errs) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for i, want := range []string{"p.yaml:6: rules[0].from", "p.yaml:7: rules[0].keep", "p.yaml:10: rules[1].type"} {
		if !strings.HasPrefix(le.Errs[i].Error(), want) {
			t.Errorf("problem %d = %q, want prefix %q", i, le.Errs[i], want)
		}
	}
}
