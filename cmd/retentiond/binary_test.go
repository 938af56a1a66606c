package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// builtDir is the directory of the binary docsBinary built, removed when
// the package's tests end.
var builtDir string

// docsBinary builds the binary once for the tests that run it as a user
// would (the documentation's commands, a closed pipe); it lasts until
// every test of the package has run.
var docsBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "retentiond-test-bin-")
	if err != nil {
		return "", err
	}
	builtDir = dir
	bin := filepath.Join(dir, "retentiond")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}
