package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
)

// fixture arranges files in a directory with the os package directly.
type fixture = connectortest.DirFixture

func openTest(t testing.TB) (*Conn, fixture, *observer.ObservedLogs) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "share")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	c, err := Open(dir, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, fixture{Dir: dir}, logs
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			dir := t.TempDir()
			c, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c, fixture{Dir: dir}
		},
		Pruner:     true,
		Archiver:   true,
		Owners:     true,
		Concurrent: true,
	})
}

var when = time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)

func listAll(t *testing.T, c *Conn, prefix string) ([]connectors.Item, error) {
	t.Helper()
	var items []connectors.Item
	err := c.List(t.Context(), connectors.ListOptions{Prefix: prefix}, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	})
	return items, err
}

func refsOf(items []connectors.Item) []string {
	var rs []string
	for _, it := range items {
		rs = append(rs, it.Ref)
	}
	return rs
}

func mustList(t *testing.T, c *Conn, prefix string) []string {
	t.Helper()
	items, err := listAll(t, c, prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return refsOf(items)
}

func code(err error) connectors.Code { return connectors.CodeOf(err) }

func TestItemFields(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "dir/x.bin", []byte("12345"), when)
	items, err := listAll(t, c, "")
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %v", items, err)
	}
	it := items[0]
	if it.Ref != "dir/x.bin" || it.Container != "dir" || it.Kind != connectors.KindFile || it.Size != 5 || !it.Modified.Equal(when) {
		t.Fatalf("item %+v", it)
	}
	want := fmt.Sprintf("s5-m%d", when.UnixNano())
	if !strings.HasPrefix(it.Version, want) {
		t.Fatalf("version %q, want prefix %q", it.Version, want)
	}
	if c.Location() != "fileshare:"+f.Dir {
		t.Fatalf("location %q", c.Location())
	}
}

// injectReadFailure makes reading the folders in refs fail with err.
func injectReadFailure(c *Conn, err error, refs ...string) {
	orig := c.readNames
	c.readNames = func(dir *os.Root, ref string) ([]string, error) {
		if slices.Contains(refs, ref) {
			return nil, &fs.PathError{Op: "readdirent", Path: ref, Err: err}
		}
		return orig(dir, ref)
	}
}

// Runs as root too: the failure is injected where a real permission error
// would surface.
func TestUnreadableFolderInjected(t *testing.T) {
	c, f, logs := openTest(t)
	for _, ref := range []string{"a/1.txt", "b/2.txt", "b/c/3.txt", "d/e/4.txt", "z.txt"} {
		f.Put(t, ref, []byte(ref), when)
	}
	injectReadFailure(c, fs.ErrPermission, "b")
	injectReadFailure(c, syscall.EIO, "d/e")
	items, err := listAll(t, c, "")
	if got := refsOf(items); !slices.Equal(got, []string{"a/1.txt", "z.txt"}) {
		t.Errorf("listed %q", got)
	}
	var inc *connectors.IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("List = %v, want *IncompleteError", err)
	}
	if len(inc.Skipped) != 2 {
		t.Fatalf("skipped %v", inc.Skipped)
	}
	for i, want := range []struct {
		ref  string
		code connectors.Code
	}{{"b", connectors.CodePermission}, {"d/e", connectors.CodeIO}} {
		var ce *connectors.Error
		if !errors.As(inc.Skipped[i], &ce) || ce.Ref != want.ref || ce.Code != want.code {
			t.Errorf("skipped[%d] = %v, want %s with %v", i, inc.Skipped[i], want.ref, want.code)
		}
	}
	if logs.FilterMessage("part of the share skipped").Len() != 2 {
		t.Errorf("skips not logged: %v", logs.All())
	}
	// Listing the unreadable folder itself is an error, not an empty or
	// incomplete listing.
	items, err = listAll(t, c, "b")
	if len(items) != 0 || code(err) != connectors.CodePermission || errors.As(err, &inc) {
		t.Fatalf("List(b) = %v, %v", items, err)
	}
}

func TestUnreadableRootInjected(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a.txt", nil, when)
	injectReadFailure(c, fs.ErrPermission, "")
	called := false
	err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { called = true; return nil })
	var inc *connectors.IncompleteError
	if err == nil || errors.As(err, &inc) || code(err) != connectors.CodePermission || called {
		t.Fatalf("List of an unreadable root = %v (called %v), want a permission error", err, called)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		root string
		code connectors.Code
		msg  string
	}{
		{filepath.Join(dir, "missing"), connectors.CodeNotFound, "does not exist: check options.root"},
		{file, connectors.CodeInvalid, "is not a directory"},
		{"/", connectors.CodeInvalid, "root of a whole file system"},
		{string(filepath.Separator), connectors.CodeInvalid, "root of a whole file system"},
		{"", connectors.CodeInvalid, "root is empty"},
	} {
		c, err := Open(tc.root, nil)
		if c != nil || code(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Open(%q) = %v (code %v), want %v containing %q", tc.root, err, code(err), tc.code, tc.msg)
		}
	}
}

func TestValidateOptions(t *testing.T) {
	for _, root := range []string{"", "  ", "/", "//", "/..", "/./", `C:\`, "C:/", "c:", `D:\\`, `\`} {
		if err := (&Options{Root: root}).Validate(); err == nil {
			t.Errorf("Validate accepted root %q", root)
		}
	}
	for _, root := range []string{"/srv/share", "share", ".", `\\server\share`, `C:\Shares\HR`, "//server/share"} {
		if err := (&Options{Root: root}).Validate(); err != nil {
			t.Errorf("Validate(root %q): %v", root, err)
		}
	}
	for _, name := range []string{"", "a/b", `a\b`, "..", "."} {
		if err := (&Options{Root: "share", Exclude: []string{name}}).Validate(); err == nil {
			t.Errorf("Validate accepted exclude %q", name)
		}
	}
	if err := (&Options{Root: "share", Exclude: []string{"Thumbs.db", "$RECYCLE.BIN", "System Volume Information"}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestKindOpen(t *testing.T) {
	base := t.TempDir()
	f := fixture{Dir: filepath.Join(base, "share")}
	f.Put(t, "keep/a.txt", []byte("a"), when)
	f.Put(t, "keep/Thumbs.db", []byte("t"), when)
	f.Put(t, "$RECYCLE.BIN/S-1-5/old.txt", []byte("r"), when)
	k := Kind()
	if k.Name != "fileshare" {
		t.Fatalf("kind %q", k.Name)
	}
	connectors.NewRegistry(k)
	opts, ok := k.NewConfig().(*Options)
	if !ok {
		t.Fatalf("NewConfig returned %T", k.NewConfig())
	}
	opts.Root = "share"
	opts.Exclude = []string{"Thumbs.db", "$RECYCLE.BIN"}
	core, logs := observer.New(zapcore.DebugLevel)
	conn, err := k.Open(t.Context(), connectors.Env{Source: "s", BaseDir: base, Logger: zap.New(core)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if want := "fileshare:" + filepath.Join(base, "share"); conn.Location() != want {
		t.Fatalf("location %q, want %q", conn.Location(), want)
	}
	c := conn.(*Conn)
	if got := mustList(t, c, ""); !slices.Equal(got, []string{"keep/a.txt"}) {
		t.Fatalf("listed %q", got)
	}
	if got := mustList(t, c, "$RECYCLE.BIN/S-1-5"); len(got) != 0 {
		t.Fatalf("listed %q inside an excluded folder", got)
	}
	if logs.FilterMessage("excluded name skipped").Len() != 2 {
		t.Errorf("exclusions not logged: %v", logs.All())
	}
	for _, bad := range []any{&Options{Root: "/"}, &Options{Root: "missing"}, struct{}{}} {
		if c, err := k.Open(t.Context(), connectors.Env{BaseDir: base}, bad); c != nil || err == nil {
			t.Errorf("Open(%+v) = %v, %v", bad, c, err)
		}
	}
	if _, err := k.Open(t.Context(), connectors.Env{BaseDir: base}, &Options{Root: "missing"}); code(err) != connectors.CodeNotFound ||
		!strings.Contains(err.Error(), filepath.Join(base, "missing")) {
		t.Errorf("missing relative root: %v", err)
	}
}

func TestReadOnlyFileIsDeleted(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "ro/file.txt", []byte("x"), when)
	if err := os.Chmod(f.Path("ro/file.txt"), 0o444); err != nil {
		t.Fatal(err)
	}
	it, err := c.Stat(t.Context(), "ro/file.txt")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if err != nil || rs[0].Outcome != connectors.OutcomeDeleted || rs[0].Method != "delete" || f.Exists(t, "ro/file.txt") {
		t.Fatalf("read-only file: %+v, %v", rs, err)
	}
}

// removeFails makes c.remove fail with errno for the first n attempts.
// DeleteBatch removes files side by side: the count is taken under a lock
// and read once DeleteBatch has returned.
func removeFails(c *Conn, errno error, n int) *int {
	attempts := 0
	var mu sync.Mutex
	orig := c.remove
	c.remove = func(dir *os.Root, name string) error {
		mu.Lock()
		attempts++
		refused := attempts <= n
		mu.Unlock()
		if refused {
			return &fs.PathError{Op: "unlinkat", Path: name, Err: errno}
		}
		return orig(dir, name)
	}
	return &attempts
}

// The Windows read-only attribute, as it looks from here: the first removal
// is refused, the retry after making the file writable succeeds.
func TestReadOnlyAttributeCleared(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "ro.txt", []byte("x"), when)
	if err := os.Chmod(f.Path("ro.txt"), 0o444); err != nil {
		t.Fatal(err)
	}
	it, _ := c.Stat(t.Context(), "ro.txt")
	attempts := removeFails(c, fs.ErrPermission, 1)
	rs, _ := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if rs[0].Outcome != connectors.OutcomeDeleted || *attempts != 2 || f.Exists(t, "ro.txt") {
		t.Fatalf("%+v after %d attempts", rs[0], *attempts)
	}
}

// A read-only file in a folder whose entries may not be changed: both
// attempts are refused, the result is a permission failure and the file
// keeps its mode. Runs as root too: the refusal is injected.
func TestUndeletableFileInjected(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "locked/ro.txt", []byte("x"), when)
	f.Put(t, "locked/rw.txt", []byte("x"), when)
	if err := os.Chmod(f.Path("locked/ro.txt"), 0o444); err != nil {
		t.Fatal(err)
	}
	items, _ := listAll(t, c, "")
	attempts := removeFails(c, syscall.EACCES, 3)
	targets := []connectors.Target{{Ref: items[0].Ref, Version: items[0].Version}, {Ref: items[1].Ref, Version: items[1].Version}}
	rs, err := c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome != connectors.OutcomeFailed || code(r.Err) != connectors.CodePermission {
			t.Errorf("%s: %v %v, want a permission failure", r.Ref, r.Outcome, r.Err)
		}
		if !f.Exists(t, r.Ref) {
			t.Errorf("%s is gone", r.Ref)
		}
	}
	if *attempts != 3 { // two for the read-only file, one for the other
		t.Errorf("%d removal attempts, want 3", *attempts)
	}
	if st, _ := os.Stat(f.Path("locked/ro.txt")); st.Mode().Perm()&0o200 != 0 {
		t.Errorf("mode of the read-only file not restored: %v", st.Mode())
	}
}

func TestDeleteOtherFailure(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a.txt", []byte("x"), when)
	it, _ := c.Stat(t.Context(), "a.txt")
	removeFails(c, syscall.EIO, 1)
	rs, _ := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if rs[0].Outcome != connectors.OutcomeFailed || code(rs[0].Err) != connectors.CodeIO || !errors.Is(rs[0].Err, syscall.EIO) {
		t.Fatalf("%+v", rs[0])
	}
	// A removal that reports success but leaves the file is not a deletion.
	c.remove = func(*os.Root, string) error { return nil }
	rs, _ = c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if rs[0].Outcome != connectors.OutcomeFailed || code(rs[0].Err) != connectors.CodeIO || !f.Exists(t, "a.txt") {
		t.Fatalf("unconfirmed removal: %+v", rs[0])
	}
}

func TestDeleteAfterClose(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a.txt", []byte("x"), when)
	it, _ := c.Stat(t.Context(), "a.txt")
	c.Close()
	rs, err := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if rs != nil || err == nil {
		t.Fatalf("DeleteBatch on a closed connector: %v, %v", rs, err)
	}
	if !f.Exists(t, "a.txt") {
		t.Fatal("deleted through a closed connector")
	}
}

func TestStatFoldersAreNotItems(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "dir/sub/a.txt", []byte("x"), when)
	for ref, want := range map[string]connectors.Code{
		"dir":             connectors.CodeNotFound,
		"dir/sub":         connectors.CodeNotFound,
		"dir/sub/a.txt/x": connectors.CodeNotFound,
		"dir/none/a.txt":  connectors.CodeNotFound,
		`dir\sub\a.txt`:   connectors.CodeInvalid,
	} {
		if _, err := c.Stat(t.Context(), ref); code(err) != want {
			t.Errorf("Stat(%q) = %v, want %v", ref, err, want)
		}
	}
	// A folder where a file was planned: changed, and left alone.
	rs, _ := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: "dir/sub", Version: "s0-m0"}, {Ref: "dir/sub/a.txt/x", Version: "v"}})
	if rs[0].Outcome != connectors.OutcomeChanged || rs[1].Outcome != connectors.OutcomeAbsent || !f.ContainerExists(t, "dir/sub") {
		t.Fatalf("%+v", rs)
	}
}

func TestPrefix(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/b/1.txt", nil, when)
	f.Put(t, "a/b2/2.txt", nil, when)
	f.Put(t, "file.txt", nil, when)
	if got := mustList(t, c, "a/b"); !slices.Equal(got, []string{"a/b/1.txt"}) {
		t.Errorf("prefix a/b listed %q", got)
	}
	for _, p := range []string{"missing", "a/missing/deeper", "file.txt"} {
		if got := mustList(t, c, p); len(got) != 0 {
			t.Errorf("prefix %q listed %q", p, got)
		}
	}
	for _, p := range []string{"../a", "/a", "a/", "a//b", `a\b`} {
		if _, err := listAll(t, c, p); code(err) != connectors.CodeInvalid {
			t.Errorf("prefix %q: %v, want invalid", p, err)
		}
	}
}

func TestListCancelled(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a.txt", nil, when)
	f.Put(t, "b.txt", nil, when)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := c.List(ctx, connectors.ListOptions{}, func(connectors.Item) error {
		n++
		cancel()
		return nil
	})
	if code(err) != connectors.CodeCancelled || !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("List after cancel: %v after %d items", err, n)
	}
	if err := c.List(ctx, connectors.ListOptions{}, func(connectors.Item) error { return nil }); code(err) != connectors.CodeCancelled {
		t.Fatalf("List with a cancelled context: %v", err)
	}
	if _, err := c.Stat(ctx, "a.txt"); code(err) != connectors.CodeCancelled {
		t.Fatalf("Stat with a cancelled context: %v", err)
	}
	if _, err := c.PruneEmpty(ctx, []string{"x"}, ""); code(err) != connectors.CodeCancelled {
		t.Fatalf("PruneEmpty with a cancelled context: %v", err)
	}
}

// treeRefs builds a random tree of n files in f, with folder and file names
// that sort differently by bytes and by creation order, and returns the
// refs created.
func treeRefs(t testing.TB, f fixture, n int, seed uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	names := []string{"A", "a", "b", "B-1", "b.1", "b_1", "0", "10", "9", "Ω", "é", "e", "z z"}
	var refs []string
	seen := map[string]bool{}
	for len(refs) < n {
		depth := rng.IntN(6)
		var parts []string
		for range depth {
			parts = append(parts, "d"+names[rng.IntN(len(names))])
		}
		parts = append(parts, names[rng.IntN(len(names))]+".txt")
		ref := path.Join(parts...)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		refs = append(refs, ref)
		f.Put(t, ref, []byte(ref), when.Add(time.Duration(rng.IntN(1000))*time.Second))
	}
	return refs
}

func TestDeepTreeOrder(t *testing.T) {
	c, f, _ := openTest(t)
	treeRefs(t, f, 300, 1)
	first := mustList(t, c, "")
	if len(first) != 300 {
		t.Fatalf("listed %d of 300", len(first))
	}
	// The order is filepath.WalkDir's: depth first, names sorted by bytes
	// in each folder, files and folders interleaved.
	var want []string
	err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(f.Dir, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, want) {
		t.Fatalf("order differs from WalkDir's:\n%q\n%q", first, want)
	}
	for range 3 {
		if again := mustList(t, c, ""); !slices.Equal(first, again) {
			t.Fatal("listings of an unchanged tree differ")
		}
	}
}

func TestPruneLeavesFilesAndMissing(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/b/c.txt", nil, when)
	if err := os.MkdirAll(f.Path("a/empty/deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := c.PruneEmpty(t.Context(), []string{"a/b/c.txt", "a/b", "a/gone", "a/empty/deeper"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"a/empty/deeper", "a/empty"}) || !f.Exists(t, "a/b/c.txt") || !f.ContainerExists(t, "a") {
		t.Fatalf("removed %q", removed)
	}
	for _, bad := range [][]string{{"../x"}, {""}, {"a/"}} {
		if _, err := c.PruneEmpty(t.Context(), bad, ""); code(err) != connectors.CodeInvalid {
			t.Errorf("PruneEmpty(%q) = %v, want invalid", bad, err)
		}
	}
	if _, err := c.PruneEmpty(t.Context(), []string{"a/b"}, "/abs"); code(err) != connectors.CodeInvalid {
		t.Errorf("PruneEmpty with stopAt /abs = %v, want invalid", err)
	}
}

func TestValidRef(t *testing.T) {
	for _, ref := range []string{"a", "a/b", "Æble/ø.txt", "a b/c d", "...", "a..b/.c", "$RECYCLE.BIN/x"} {
		if err := ValidRef(ref); err != nil {
			t.Errorf("ValidRef(%q): %v", ref, err)
		}
	}
	for _, ref := range []string{"", ".", "..", "../x", "a/..", "a/./b", "/a", "a/", "a//b", `a\b`, "a\x00b", "./a"} {
		err := ValidRef(ref)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != connectors.CodeInvalid || ce.Ref != ref {
			t.Errorf("ValidRef(%q) = %v, want an invalid-ref error naming it", ref, err)
		}
	}
}

func FuzzValidRef(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "a/./b", "/x", "a//b", "Æ/ø.txt", `a\b`, "", "a/", ".", "..", "...", "a\x00", "C:/x", "c:x", "NUL", "a/NUL.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		err := ValidRef(ref)
		if err != nil {
			if code(err) != connectors.CodeInvalid {
				t.Fatalf("ValidRef(%q) = %v, not CodeInvalid", ref, err)
			}
			return
		}
		if path.Clean(ref) != ref {
			t.Fatalf("accepted %q, which path.Clean changes to %q", ref, path.Clean(ref))
		}
		if path.IsAbs(ref) || filepath.IsAbs(filepath.FromSlash(ref)) || filepath.VolumeName(filepath.FromSlash(ref)) != "" {
			t.Fatalf("accepted absolute %q", ref)
		}
		for seg := range strings.SplitSeq(ref, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("accepted %q with segment %q", ref, seg)
			}
		}
		if strings.ContainsAny(ref, "\\\x00") {
			t.Fatalf("accepted %q", ref)
		}
		if !filepath.IsLocal(filepath.FromSlash(ref)) {
			t.Fatalf("accepted non-local %q", ref)
		}
		dir, name := splitRef(ref)
		if joinRef(dir, name) != ref || strings.Contains(name, "/") || (dir != "" && ValidRef(dir) != nil) {
			t.Fatalf("split %q into %q, %q", ref, dir, name)
		}
	})
}

func BenchmarkList(b *testing.B) {
	dir := b.TempDir()
	const folders, perFolder = 100, 100 // 10,000 files in two levels
	for i := range folders {
		sub := filepath.Join(dir, fmt.Sprintf("g%d", i%10), fmt.Sprintf("d%03d", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range perFolder {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.txt", j)), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	c, err := Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := c.List(b.Context(), connectors.ListOptions{}, func(connectors.Item) error { n++; return nil })
		if err != nil || n != folders*perFolder {
			b.Fatalf("listed %d files: %v", n, err)
		}
	}
	b.ReportMetric(float64(folders*perFolder), "files/op")
}
