package connectortest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// DirFixture arranges files in a directory with the os package directly,
// for connectors whose source is a folder on a real file system.
type DirFixture struct{ Dir string }

// Path returns the file-system path of ref.
func (f DirFixture) Path(ref string) string { return filepath.Join(f.Dir, filepath.FromSlash(ref)) }

func (f DirFixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.Path(ref)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.Path(ref), content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.Path(ref), modified, modified); err != nil {
		t.Fatal(err)
	}
}

func (f DirFixture) Modify(t testing.TB, ref string) {
	t.Helper()
	fh, err := os.OpenFile(f.Path(ref), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteString(" and more"); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

func (f DirFixture) Remove(t testing.TB, ref string) {
	t.Helper()
	if err := os.Remove(f.Path(ref)); err != nil {
		t.Fatal(err)
	}
}

func (f DirFixture) Exists(t testing.TB, ref string) bool {
	t.Helper()
	_, err := os.Lstat(f.Path(ref))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func (f DirFixture) ContainerExists(t testing.TB, ref string) bool {
	t.Helper()
	st, err := os.Lstat(f.Path(ref))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil && st.IsDir()
}

// openTest opens a connector on a fresh directory, logging to an observer.
