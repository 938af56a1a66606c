package configs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsDefaultFile: the configuration the command line reads without
// --config is ./retentiond.yaml (on Linux), resolved against the current
// directory; any other file is not the default.
func TestIsDefaultFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// On Windows the file in the current directory is the default only
	// when it exists.
	if err := os.WriteFile(filepath.Join(dir, "retentiond.yaml"), []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if !IsDefaultFile(filepath.Join(wd, DefaultFile())) {
		t.Errorf("%s is not the default in %s", DefaultFile(), wd)
	}
	for _, other := range []string{filepath.Join(wd, "other.yaml"), filepath.Join(wd, "sub", "retentiond.yaml"), "/etc/retentiond/retentiond.yaml"} {
		if IsDefaultFile(other) {
			t.Errorf("%s counts as the default in %s", other, wd)
		}
	}
}
