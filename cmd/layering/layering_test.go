// Package layering holds the test that keeps the module's layers apart, as
// DESIGN.md ("Who may import whom") draws them: configs returns plain data
// and imports nothing of the workflow; connectors are leaves that never see
// policies or the store; the store knows no workflow and no external
// system; policies are pure; the transports (SMTP, anchor drops) import
// nothing of the workflow that uses them; nothing imports cmd.
package layering_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/retentiond/retentiond"

// rules says, for the packages under each directory of the module, which
// of the module's packages they must not import (a directory forbids its
// whole subtree). Test files are held to the same rules: a test that needs
// the workflow belongs with the workflow.
var rules = []struct {
	dir    string
	not    []string
	reason string
}{
	{"configs", []string{"scheduler", "store", "cmd"},
		"configs reads and validates files and returns plain data; the workflow builds transports from it"},
	{"connectors", []string{"policies", "store", "scheduler", "configs", "cmd"},
		"a connector never decides what is due and never sees plans, approvals or the ledger"},
	{"store", []string{"scheduler", "configs", "connectors", "policies", "cmd"},
		"the store knows no workflow and no external system"},
	{"policies", []string{"connectors", "store", "scheduler", "configs", "cmd"},
		"policies are pure: they reason about facts the scheduler gives them"},
	{"scheduler/mailer", []string{"scheduler", "store", "policies", "connectors", "cmd"},
		"a transport is a leaf the workflow uses and imports nothing of it"},
	{"scheduler/anchor", []string{"scheduler", "store", "policies", "connectors", "cmd"},
		"a transport is a leaf the workflow uses and imports nothing of it"},
	{"", []string{"cmd"}, "cmd wires everything and nothing imports it"},
}

// allowed are imports a rule's forbidden subtree would catch but which are
// themselves leaves of the same kind: the anchor drops send mail through
// the SMTP transport (and test against its relay).
var allowed = map[string][]string{
	"scheduler/anchor": {"scheduler/mailer", "scheduler/mailer/smtptest"},
}

// topLevel are the only directories the module's root may hold (the
// layout of the developers' guide); a package anywhere else is in the
// wrong place.
var topLevel = []string{".ci", ".git", "bench", "cmd", "configs", "connectors", "deploy", "docs", "policies", "scheduler", "store", "testdata", "web"}

func TestTopLevelLayout(t *testing.T) {
	root := moduleRoot(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(topLevel, e.Name()) {
			t.Errorf("%s/ is not a directory of the layout (%s): put the package where its layer is", e.Name(), strings.Join(topLevel, ", "))
		}
	}
}

func TestLayers(t *testing.T) {
	root := moduleRoot(t)
	imports := moduleImports(t, root)
	if len(imports["configs"]) == 0 || len(imports["scheduler"]) == 0 {
		t.Fatalf("found no imports of configs or scheduler under %s: is this the module's root?", root)
	}
	for pkg, imps := range imports {
		for imp, file := range imps {
			if why, bad := forbidden(pkg, imp); bad {
				t.Errorf("%s imports %s/%s: %s", file, module, imp, why)
			}
		}
	}
}

// forbidden says whether package pkg may not import imp (both relative to
// the module), and why.
func forbidden(pkg, imp string) (string, bool) {
	for _, r := range rules {
		if !within(pkg, r.dir) || r.dir != "" && within(imp, r.dir) {
			continue // another layer's rule, or a package of the same layer
		}
		for _, not := range r.not {
			if within(imp, not) && !allowedImport(r.dir, imp) {
				return r.reason, true
			}
		}
	}
	return "", false
}

// TestLayersCatchAViolation: the rules see an import of the workflow from
// configs, as the one this test was written against (configs imported
// scheduler/anchor and scheduler/mailer).
func TestLayersCatchAViolation(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		bad      bool
	}{
		{"configs", "scheduler/anchor", true},
		{"configs", "scheduler/mailer", true},
		{"configs", "configs/relay", false},
		{"connectors/fileshare", "policies", true},
		{"connectors/exports", "store/ledger", true},
		{"store", "scheduler", true},
		{"scheduler/anchor", "scheduler/mailer", false},
		{"scheduler/mailer", "scheduler", true},
		{"scheduler", "cmd/retentiond", true},
		{"scheduler", "store", false},
		{"scheduler/mailer/smtptest", "scheduler/mailer", false},
		{"cmd/retentiond", "scheduler/anchor", false},
	} {
		if _, bad := forbidden(c.pkg, c.imp); bad != c.bad {
			t.Errorf("%s importing %s: forbidden %v, want %v", c.pkg, c.imp, bad, c.bad)
		}
	}
}

// within reports whether pkg is dir or under it; every package is within "".
func within(pkg, dir string) bool {
	return dir == "" || pkg == dir || strings.HasPrefix(pkg, dir+"/")
}

func allowedImport(dir, imp string) bool {
	for _, a := range allowed[dir] {
		if imp == a {
			return true
		}
	}
	return false
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module "+module+"\n") {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("no go.mod of %s above the test's directory", module)
		}
		dir = up
	}
}

// moduleImports parses every Go file of the module (whatever its build
// constraints, so Windows-only files count too) and returns, for each
// package directory relative to the root, the module's packages it
// imports, each with one file that does.
func moduleImports(t *testing.T, root string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if pkg == "." {
			pkg = ""
		}
		file, _ := filepath.Rel(root, path)
		for _, is := range f.Imports {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				return err
			}
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			if out[pkg] == nil {
				out[pkg] = map[string]string{}
			}
			out[pkg][strings.TrimPrefix(strings.TrimPrefix(p, module), "/")] = filepath.ToSlash(file)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the module's imports: %v", err)
	}
	return out
}
