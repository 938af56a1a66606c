package connectortest

import (
	"errors"
	"fmt"
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

// WriteMkTree writes bench/mktree's tree of n one-byte files under dir,
// for benchmarks that time a real file system: folders of 100 files,
// dNNN/eNNN/fNN/fileNNNNNNN.dat, modified 0 to 59 days and 12 hours
// before at, never 30 days (so that find's -mtime +30 and a 30-day rule
// agree at any hour).
func WriteMkTree(tb testing.TB, dir string, n int, at time.Time) {
	tb.Helper()
	for i := range n {
		folder := filepath.Join(dir, fmt.Sprintf("d%03d", i/100000), fmt.Sprintf("e%03d", i/1000%100), fmt.Sprintf("f%02d", i/100%10))
		if i%100 == 0 {
			if err := os.MkdirAll(folder, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		p := filepath.Join(folder, fmt.Sprintf("file%07d.dat", i))
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			tb.Fatal(err)
		}
		age := time.Duration(i*7919%60) * 24 * time.Hour
		if age/(24*time.Hour) == 30 {
			age += 2 * 24 * time.Hour
		}
		t := at.Add(-age - 12*time.Hour)
		if err := os.Chtimes(p, t, t); err != nil {
			tb.Fatal(err)
		}
	}
}
