package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRequire runs a test that needs a missing program, outside CI (it
// skips) and in CI (it fails), and one whose program is there (it runs).
func TestRequire(t *testing.T) {
	if os.Getenv("TESTTOOL_CHILD") != "" {
		Require(t, os.Getenv("TESTTOOL_PROGRAM"), "some-package")
		t.Log("ran with the program")
		return
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "present-tool"), []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		program, ci string
		fails       bool
		want        string
	}{
		{"retentiond-no-such-tool", "", false, "SKIP: TestRequire"},
		{"retentiond-no-such-tool", "true", true, "apt-get install some-package"},
		{"present-tool", "true", false, "ran with the program"},
	} {
		cmd := exec.Command(bin, "-test.run=^TestRequire$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TESTTOOL_CHILD=1", "TESTTOOL_PROGRAM="+c.program, "CI="+c.ci, "PATH="+dir)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.fails || !strings.Contains(string(out), c.want) {
			t.Errorf("%s with CI=%q: err %v, want failure %v and %q in:\n%s", c.program, c.ci, err, c.fails, c.want, out)
		}
	}
}

// TestUnavailable: a test that cannot run here skips outside CI and fails
// in CI, saying why.
func TestUnavailable(t *testing.T) {
	if os.Getenv("TESTTOOL_CHILD") != "" {
		Unavailable(t, "it needs root")
		t.Log("went on")
		return
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ci    string
		fails bool
		want  string
	}{
		{"", false, "SKIP: TestUnavailable"},
		{"true", true, "CI must run this test, but it needs root"},
	} {
		cmd := exec.Command(bin, "-test.run=^TestUnavailable$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TESTTOOL_CHILD=1", "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.fails || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "went on") {
			t.Errorf("CI=%q: err %v, want failure %v and %q in:\n%s", c.ci, err, c.fails, c.want, out)
		}
	}
}
