//go:build unix

package bundle

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestUnfinishedExportsRemoved: the temporary directories that killed
// exports to the same destination left are removed by the next export and
// reported; one an export still writes to (it holds the lock) is not, and
// neither is another destination's, a name os.MkdirTemp cannot have made,
// or (as root) another user's. The bundle is its owner's only, whatever
// the umask.
func TestUnfinishedExportsRemoved(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	f := newFixture(t, nil, nil)
	parent := t.TempDir()
	dir := filepath.Join(parent, "bundle")
	var stale []string
	for range 2 {
		d, err := os.MkdirTemp(parent, ".bundle.tmp-")
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(d, DirCheckpoints), 0o700)
		os.WriteFile(filepath.Join(d, FileEntries), []byte("{}\n"), 0o600)
		stale = append(stale, d)
	}
	keep := []string{filepath.Join(parent, ".other.tmp-123"), filepath.Join(parent, ".bundle.tmp-notdigits")}
	if os.Geteuid() == 0 {
		d := filepath.Join(parent, ".bundle.tmp-999")
		keep = append(keep, d)
		defer os.Chown(d, 0, 0)
	}
	for _, d := range keep {
		os.Mkdir(d, 0o700)
	}
	if os.Geteuid() == 0 {
		os.Chown(keep[2], 65534, 65534)
	}

	// A live export holds the lock: a second one refuses and removes nothing.
	unlock, err := lockDestination(parent, "bundle")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(context.Background(), dir, f.input()); err == nil || !strings.Contains(err.Error(), "another export to "+dir+" is running") {
		t.Fatalf("export during another: %v", err)
	}
	for _, d := range stale {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("removed %s while an export held the lock: %v", d, err)
		}
	}
	unlock()
	// A killed export also leaves its lock file, which no one holds.
	os.WriteFile(filepath.Join(parent, ".bundle.lock"), nil, 0o600)

	res, err := Write(context.Background(), dir, f.input())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stale)
	if !slices.Equal(res.Removed, stale) {
		t.Errorf("Removed = %v, want %v", res.Removed, stale)
	}
	for _, d := range stale {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s is still there", d)
		}
	}
	for _, d := range keep {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("removed %s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, ".bundle.lock")); err == nil {
		t.Error("the lock file is left behind")
	}
	if _, err := Verify(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
}
