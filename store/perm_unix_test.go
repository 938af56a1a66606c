//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreatedOwnerOnly: under the common umask 022, which would make a
// new file 0644, the database, its -wal and -shm files and the directory
// Open creates for it are the owner's only; OwnerOnly names the files that
// others can read.
func TestCreatedOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state", "sub")
	file := filepath.Join(dir, "x.db")
	s, err := Open(context.Background(), file, Options{Create: true})
	if err != nil {
		t.Fatalf("Open with a missing directory: %v", err)
	}
	defer s.Close()
	if err := s.Write(context.Background(), func(tx *Tx) error {
		return tx.AddHold(Hold{ID: "H-1", Reason: "test", Owner: "it", Source: "share", Path: "a/**"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), m)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("directory %s: %v, %v; want 0700", d, fi.Mode(), err)
		}
	}
	if open, err := OwnerOnly(file); err != nil || len(open) != 0 {
		t.Errorf("OwnerOnly = %v, %v", open, err)
	}
	os.Chmod(file, 0o644)
	os.Chmod(file+"-shm", 0o640)
	open, err := OwnerOnly(file)
	if err != nil || len(open) != 2 || open[0] != (OpenFile{file, 0o644}) || open[1] != (OpenFile{file + "-shm", 0o640}) {
		t.Errorf("OwnerOnly = %v, %v", open, err)
	}
}
