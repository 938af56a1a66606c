//go:build linux

package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/retentiond/retentiond/connectors"
)

// The listing reads folders through their descriptors (walkFD) unless a
// test replaced readNames, which the walk must then call with an os.Root.
func TestPlainRead(t *testing.T) {
	c, _, _ := openTest(t)
	if !c.plainRead() {
		t.Fatal("a new connection does not read folders itself")
	}
	injectReadFailure(c, syscall.EIO, "x")
	if c.plainRead() {
		t.Fatal("a replaced readNames is not called")
	}
}

// readDir gives every name of a folder that takes several getdents calls,
// each followed by a NUL in memory, so that fstatat can take it as it is:
// statDir then describes each entry as os.Lstat does.
func TestReadDirNames(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 3000 { // about 120 KB of dirents, beyond the 32 KB buffer
		name := fmt.Sprintf("file-%05d-%s.txt", i, strings.Repeat("x", i%40))
		if i%500 == 0 {
			name = fmt.Sprintf("folder-%d", i)
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &walker{}
	names, err := w.readDir(int(f.Fd()), nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("read %d names, want %d", len(names), len(want))
	}
	st := &statDir{fd: int(f.Fd()), nul: true}
	for _, name := range names {
		var e entry
		st.lstat(name, &e)
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || e.err != nil {
			t.Fatalf("%s: %v %v", name, err, e.err)
		}
		s := info.Sys().(*syscall.Stat_t)
		if e.mode != info.Mode() || e.size != info.Size() || e.mtime != info.ModTime().UnixNano() || e.id != s.Ino || e.dev != uint64(s.Dev) { //nolint:unconvert
			t.Fatalf("%s: entry %+v, Lstat %v %d %v ino %d", name, e, info.Mode(), info.Size(), info.ModTime(), s.Ino)
		}
	}
}

// enterFD walks a folder only when what it opens is the folder lstat
// described: one replaced by another folder since is skipped (CodeIO),
// one replaced by a link is not followed, one removed is not an error.
func TestEnterFDChecksFolder(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/in.txt", []byte("a"), when)
	f.Put(t, "b/in.txt", []byte("b"), when)
	f.Put(t, "gone/in.txt", []byte("g"), when)
	top, err := os.Open(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	fd := int(top.Fd())
	lookup := func(name string) *entry {
		var e entry
		(&statDir{fd: fd}).lstat(name, &e)
		if e.err != nil {
			t.Fatal(e.err)
		}
		return &e
	}
	var listed []string
	w := walker{shared: &shared{c: c, ctx: context.Background()}}
	walk := func(name string, e *entry) {
		t.Helper()
		if err := w.enterFD(fd, "", name, e, 1); err != nil {
			t.Fatal(err)
		}
		for _, it := range w.batch {
			listed = append(listed, it.Ref)
		}
		w.batch = w.batch[:0]
	}

	walk("a", lookup("a"))
	if !slices.Equal(listed, []string{"a/in.txt"}) || len(w.skipped) != 0 {
		t.Fatalf("listed %q, skipped %v", listed, w.skipped)
	}

	// b described, then swapped for a itself.
	eb := lookup("b")
	if err := os.Rename(filepath.Join(f.Dir, "b"), filepath.Join(f.Dir, "b.old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(f.Dir, "a"), filepath.Join(f.Dir, "b")); err != nil {
		t.Fatal(err)
	}
	walk("b", eb)
	var ce *connectors.Error
	if len(w.skipped) != 1 || !errors.As(w.skipped[0], &ce) || ce.Ref != "b" || ce.Code != connectors.CodeIO || !errors.Is(w.skipped[0], errMoved) {
		t.Fatalf("swapped folder: skipped %v", w.skipped)
	}

	// b described, then replaced by a link to a folder.
	eb = lookup("b")
	if err := os.Rename(filepath.Join(f.Dir, "b"), filepath.Join(f.Dir, "a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(f.Dir, "b")); err != nil {
		t.Fatal(err)
	}
	walk("b", eb)
	if len(listed) != 1 || len(w.skipped) != 2 || !errors.As(w.skipped[1], &ce) || ce.Code != connectors.CodeIO || !errors.Is(w.skipped[1], errMoved) {
		t.Fatalf("link: listed %q, skipped %v", listed, w.skipped)
	}

	eg := lookup("gone")
	if err := os.RemoveAll(filepath.Join(f.Dir, "gone")); err != nil {
		t.Fatal(err)
	}
	walk("gone", eg)
	if len(listed) != 1 || len(w.skipped) != 2 {
		t.Fatalf("removed folder: listed %q, skipped %v", listed, w.skipped)
	}
}

// A folder that cannot be read below the top is skipped and named, as on
// the os.Root path; the top itself is an error.
func TestWalkFDUnreadable(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/in.txt", []byte("a"), when)
	w := walker{shared: &shared{c: c, ctx: context.Background()}}
	bad, err := unix.Open(filepath.Join(f.Dir, "a", "in.txt"), unix.O_RDONLY|unix.O_CLOEXEC, 0) // getdents: ENOTDIR
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(bad)
	if err := w.walkFD(bad, "a", 1); err != nil {
		t.Fatal(err)
	}
	var ce *connectors.Error
	if len(w.skipped) != 1 || !errors.As(w.skipped[0], &ce) || ce.Ref != "a" || !errors.Is(w.skipped[0], syscall.ENOTDIR) {
		t.Fatalf("skipped %v", w.skipped)
	}
	err = w.walkFD(bad, "a", 0)
	if !errors.As(err, &ce) || ce.Ref != "a" || ce.Code != connectors.CodeNotFound {
		t.Fatalf("top: %v", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "readdirent" {
		t.Fatalf("top: %v", err)
	}
}
