package fileshare

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
)

type fixture struct{ dir string }

func (f fixture) p(ref string) string { return filepath.Join(f.dir, filepath.FromSlash(ref)) }

func (f fixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.p(ref)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.p(ref), content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.p(ref), modified, modified); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) Modify(t testing.TB, ref string) {
	t.Helper()
	if err := os.WriteFile(f.p(ref), []byte("modified, and longer than before"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) Remove(t testing.TB, ref string) {
	t.Helper()
	if err := os.Remove(f.p(ref)); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) Exists(t testing.TB, ref string) bool {
	_, err := os.Lstat(f.p(ref))
	return err == nil
}

func (f fixture) ContainerExists(t testing.TB, ref string) bool {
	st, err := os.Lstat(f.p(ref))
	return err == nil && st.IsDir()
}

func open(t testing.TB) (*Conn, fixture) {
	dir := t.TempDir()
	c, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, fixture{dir}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			c, f := open(t)
			return c, f
		},
		Pruner:      true,
		InvalidRefs: []string{"a\\b", "./a"},
	})
}

func listRefs(t *testing.T, c *Conn) ([]string, error) {
	var refs []string
	err := c.List(context.Background(), connectors.ListOptions{}, func(it connectors.Item) error {
		refs = append(refs, it.Ref)
		return nil
	})
	return refs, err
}

func TestSymlinksAreNotFollowed(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside the root"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, f := open(t)
	f.Put(t, "in/file.txt", []byte("x"), time.Now())
	if err := os.Symlink(outside, filepath.Join(f.dir, "in", "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(f.dir, "in", "linkfile.txt")); err != nil {
		t.Fatal(err)
	}
	refs, err := listRefs(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(refs, ",") != "in/file.txt" {
		t.Fatalf("listed %v; links must be neither items nor folders", refs)
	}
	if _, err := c.Stat(context.Background(), "in/linkdir/secret.txt"); err == nil {
		t.Fatal("Stat through a linked folder succeeded")
	}
	rs, err := c.DeleteBatch(context.Background(), []connectors.Target{{Ref: "in/linkdir/secret.txt", Version: "x"}, {Ref: "in/linkfile.txt", Version: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome == connectors.OutcomeDeleted {
			t.Errorf("%s: deleted through a link", r.Ref)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "secret.txt")); err != nil {
		t.Fatalf("file outside the root is gone: %v", err)
	}
}

func TestUnreadableFolderMakesListingIncomplete(t *testing.T) {
	c, f := open(t)
	f.Put(t, "a/1.txt", nil, time.Now())
	f.Put(t, "locked/2.txt", nil, time.Now())
	f.Put(t, "z/3.txt", nil, time.Now())
	old := readDir
	t.Cleanup(func() { readDir = old })
	readDir = func(d *os.File, n int) ([]fs.DirEntry, error) {
		if filepath.Base(d.Name()) == "locked" {
			return nil, &fs.PathError{Op: "readdirent", Path: d.Name(), Err: fs.ErrPermission}
		}
		return old(d, n)
	}
	refs, err := listRefs(t, c)
	var inc *connectors.IncompleteError
	if !errors.As(err, &inc) || len(inc.Skipped) != 1 || connectors.CodeOf(inc.Skipped[0]) != connectors.CodePermission {
		t.Fatalf("err = %v, want an IncompleteError naming the locked folder", err)
	}
	if strings.Join(refs, ",") != "a/1.txt,z/3.txt" {
		t.Fatalf("listed %v", refs)
	}
}

func TestUnreadableRootIsAnError(t *testing.T) {
	dir := t.TempDir()
	old := readDir
	t.Cleanup(func() { readDir = old })
	readDir = func(d *os.File, n int) ([]fs.DirEntry, error) {
		return nil, &fs.PathError{Op: "readdirent", Path: d.Name(), Err: fs.ErrPermission}
	}
	if _, err := Open(dir, nil); connectors.CodeOf(err) != connectors.CodePermission {
		t.Fatalf("Open of an unreadable root = %v, want a permission error", err)
	}
}

func TestBadRoots(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		root string
		code connectors.Code
		msg  string
	}{
		{filepath.Join(dir, "missing"), connectors.CodeNotFound, "does not exist"},
		{file, connectors.CodeInvalid, "not a folder"},
		{"/", connectors.CodeInvalid, "root of a file system"},
	} {
		_, err := Open(tc.root, nil)
		if connectors.CodeOf(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Open(%q) = %v, want %v containing %q", tc.root, err, tc.code, tc.msg)
		}
	}
	if err := (&Options{Root: "/"}).Validate(); err == nil {
		t.Error("Validate accepted / as root")
	}
	if err := (&Options{}).Validate(); err == nil {
		t.Error("Validate accepted an empty root")
	}
}

func TestReadOnlyFileIsDeleted(t *testing.T) {
	c, f := open(t)
	f.Put(t, "ro.txt", []byte("x"), time.Now())
	os.Chmod(f.p("ro.txt"), 0o444)
	it, err := c.Stat(context.Background(), "ro.txt")
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := c.DeleteBatch(context.Background(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if rs[0].Outcome != connectors.OutcomeDeleted || f.Exists(t, "ro.txt") {
		t.Fatalf("read-only file: %v %v", rs[0].Outcome, rs[0].Err)
	}
}

func TestKindResolvesRelativeRoot(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "share"), 0o755)
	k := Kind()
	opts := k.NewConfig().(*Options)
	opts.Root = "share"
	c, err := k.Open(context.Background(), connectors.Env{BaseDir: base}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if want := "fileshare:" + filepath.Join(base, "share"); c.Location() != want {
		t.Fatalf("location %q, want %q", c.Location(), want)
	}
}

func FuzzValidRef(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "a/./b", "/x", "a//b", "Æ/ø.txt", "a\\b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if ValidRef(ref) != nil {
			return
		}
		if filepath.IsAbs(ref) || strings.HasPrefix(ref, "/") {
			t.Fatalf("accepted absolute %q", ref)
		}
		for _, seg := range strings.Split(ref, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("accepted %q", ref)
			}
		}
		if !filepath.IsLocal(filepath.FromSlash(ref)) {
			t.Fatalf("accepted non-local %q", ref)
		}
	})
}

func BenchmarkList(b *testing.B) {
	dir := b.TempDir()
	for i := range 10000 {
		p := filepath.Join(dir, "d"+string(rune('a'+i%20)), "e"+string(rune('a'+i/20%20)), "f"+strings.Repeat("x", i%7)+string(rune('0'+i%10))+".txt")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	c, err := Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		c.List(context.Background(), connectors.ListOptions{}, func(connectors.Item) error { n++; return nil })
	}
}
