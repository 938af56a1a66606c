//go:build unix

package fileshare

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/retentiond/retentiond/connectors"
)

// asRoot reports whether permission bits do not stop this process, as in
// CI containers running as uid 0. Tests that rely on them then check what
// a privileged process sees instead, and the injected variants of the same
// tests (TestUnreadableFolderInjected, TestUndeletableFileInjected) cover
// the failure path.
var asRoot = os.Geteuid() == 0

func TestSymlinksAreNotFollowed(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside the root"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, f, logs := openTest(t)
	f.Put(t, "in/file.txt", []byte("x"), when)
	f.Put(t, "inside/target.txt", []byte("y"), when)
	for link, target := range map[string]string{
		"in/linkdir":       outside,
		"in/linkfile.txt":  secret,
		"in/inner":         filepath.Join(f.Dir, "inside"),
		"in/relative":      "../inside",
		"in/dangling.txt":  filepath.Join(outside, "nothing"),
		"in/linkfile2.txt": "../inside/target.txt",
	} {
		if err := os.Symlink(target, f.Path(link)); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustList(t, c, ""); !slices.Equal(got, []string{"in/file.txt", "inside/target.txt"}) {
		t.Fatalf("listed %q; links must be neither items nor folders", got)
	}
	if n := logs.FilterMessage("symbolic link not followed").Len(); n != 6 {
		t.Errorf("%d links logged, want 6: %v", n, logs.All())
	}
	for _, e := range logs.FilterMessage("symbolic link not followed").All() {
		if _, ok := e.ContextMap()["ref"]; !ok {
			t.Errorf("log entry without ref: %v", e)
		}
	}
	for _, ref := range []string{"in/linkdir/secret.txt", "in/inner/target.txt", "in/relative/target.txt", "in/linkfile.txt", "in/linkfile2.txt"} {
		if _, err := c.Stat(t.Context(), ref); code(err) != connectors.CodeInvalid {
			t.Errorf("Stat(%q) = %v, want invalid", ref, err)
		}
	}
	for _, p := range []string{"in/linkdir", "in/inner"} {
		if _, err := listAll(t, c, p); code(err) != connectors.CodeInvalid {
			t.Errorf("List(prefix %q) = %v, want invalid", p, err)
		}
	}
	// Targets with the right versions of what the links point to.
	secretInfo, _ := os.Stat(secret)
	innerInfo, _ := os.Stat(f.Path("inside/target.txt"))
	targets := []connectors.Target{
		{Ref: "in/linkdir/secret.txt", Version: version(secretInfo)},
		{Ref: "in/inner/target.txt", Version: version(innerInfo)},
		{Ref: "in/linkfile.txt", Version: version(secretInfo)},
	}
	rs, err := c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		outcome connectors.Outcome
		code    connectors.Code
	}{
		{connectors.OutcomeFailed, connectors.CodeInvalid},
		{connectors.OutcomeFailed, connectors.CodeInvalid},
		{connectors.OutcomeChanged, connectors.CodeOther},
	}
	for i, r := range rs {
		if r.Outcome != want[i].outcome || (r.Err != nil && code(r.Err) != want[i].code) {
			t.Errorf("%s: %v %v, want %v %v", r.Ref, r.Outcome, r.Err, want[i].outcome, want[i].code)
		}
	}
	for _, p := range []string{secret, f.Path("inside/target.txt"), f.Path("in/linkfile.txt")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s is gone: %v", p, err)
		}
	}
	// A linked folder is never pruned, and nothing behind it is touched.
	if err := os.Remove(f.Path("inside/target.txt")); err != nil {
		t.Fatal(err)
	}
	removed, err := c.PruneEmpty(t.Context(), []string{"in/inner", "in/linkdir"}, "")
	if err != nil || len(removed) != 0 {
		t.Fatalf("pruned %q, %v", removed, err)
	}
	if _, err := os.Lstat(f.Path("in/inner")); err != nil {
		t.Fatal("link removed")
	}
}

// The root may itself be a link (a mount point configured through one);
// it is resolved once, at Open.
func TestRootThroughLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	f := fixture{Dir: real}
	f.Put(t, "a.txt", []byte("a"), when)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c, err := Open(link, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := mustList(t, c, ""); !slices.Equal(got, []string{"a.txt"}) {
		t.Fatalf("listed %q", got)
	}
}

func TestUnreadableFolderChmod(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/1.txt", nil, when)
	f.Put(t, "locked/2.txt", nil, when)
	f.Put(t, "z/3.txt", nil, when)
	if err := os.Chmod(f.Path("locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(f.Path("locked"), 0o755) })
	items, err := listAll(t, c, "")
	got := refsOf(items)
	if asRoot {
		// Permission bits do not stop root: everything is listed.
		if err != nil || !slices.Equal(got, []string{"a/1.txt", "locked/2.txt", "z/3.txt"}) {
			t.Fatalf("as root: listed %q, %v", got, err)
		}
		return
	}
	var inc *connectors.IncompleteError
	if !errors.As(err, &inc) || len(inc.Skipped) != 1 || code(inc.Skipped[0]) != connectors.CodePermission {
		t.Fatalf("List = %v, want an IncompleteError naming the locked folder", err)
	}
	var ce *connectors.Error
	if !errors.As(inc.Skipped[0], &ce) || ce.Ref != "locked" {
		t.Fatalf("skipped %v", inc.Skipped[0])
	}
	if !slices.Equal(got, []string{"a/1.txt", "z/3.txt"}) {
		t.Fatalf("listed %q", got)
	}
	if _, err := c.Stat(t.Context(), "locked/2.txt"); code(err) != connectors.CodePermission {
		t.Fatalf("Stat inside the locked folder: %v", err)
	}
}

func TestUnreadableRootChmod(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "share")
	if err := os.Mkdir(dir, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	c, err := Open(dir, nil)
	if asRoot {
		if err != nil {
			t.Fatalf("as root: %v", err)
		}
		c.Close()
		return
	}
	if c != nil || code(err) != connectors.CodePermission {
		t.Fatalf("Open of an unreadable root = %v, want a permission error", err)
	}
}

func TestReadOnlyFolderChmod(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "ro/ro.txt", []byte("x"), when)
	f.Put(t, "ro/rw.txt", []byte("x"), when)
	if err := os.Chmod(f.Path("ro/ro.txt"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.Path("ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(f.Path("ro"), 0o755) })
	items, _ := listAll(t, c, "")
	targets := []connectors.Target{{Ref: items[0].Ref, Version: items[0].Version}, {Ref: items[1].Ref, Version: items[1].Version}}
	rs, err := c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if asRoot {
			// Root may change any folder: the files go.
			if r.Outcome != connectors.OutcomeDeleted || f.Exists(t, r.Ref) {
				t.Errorf("as root: %s: %v %v", r.Ref, r.Outcome, r.Err)
			}
			continue
		}
		if r.Outcome != connectors.OutcomeFailed || code(r.Err) != connectors.CodePermission || !f.Exists(t, r.Ref) {
			t.Errorf("%s: %v %v, want a permission failure", r.Ref, r.Outcome, r.Err)
		}
	}
	if !asRoot {
		if st, _ := os.Stat(f.Path("ro/ro.txt")); st.Mode().Perm() != 0o444 {
			t.Errorf("mode of the read-only file not restored: %v", st.Mode())
		}
	}
}

// A file replaced by another of the same size and modification time has a
// new inode and so a new version.
func TestReplacedFileChangesVersion(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a.txt", []byte("same"), when)
	before, err := c.Stat(t.Context(), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.Put(t, "new.tmp", []byte("same"), when)
	if err := os.Rename(f.Path("new.tmp"), f.Path("a.txt")); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Stat(t.Context(), "a.txt")
	if after.Size != before.Size || !after.Modified.Equal(before.Modified) || after.Version == before.Version {
		t.Fatalf("versions %q and %q", before.Version, after.Version)
	}
	rs, _ := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: "a.txt", Version: before.Version}})
	if rs[0].Outcome != connectors.OutcomeChanged || !f.Exists(t, "a.txt") {
		t.Fatalf("%+v", rs[0])
	}
}

func TestOwner(t *testing.T) {
	c, f, _ := openTest(t)
	f.Put(t, "a/mine.txt", []byte("x"), when)
	f.Put(t, "a/theirs.txt", []byte("x"), when)
	f.Put(t, "a/orphan.txt", []byte("x"), when)
	f.Put(t, "a/link-target.txt", []byte("x"), when)
	if err := os.Symlink("link-target.txt", f.Path("a/link.txt")); err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a/mine.txt": me.Username}
	if asRoot {
		// Files owned by another account, and by a uid no account has.
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		if err := os.Lchown(f.Path("a/theirs.txt"), uid, -1); err != nil {
			t.Fatal(err)
		}
		want["a/theirs.txt"] = "nobody"
		if err := os.Lchown(f.Path("a/orphan.txt"), 54321, -1); err != nil {
			t.Fatal(err)
		}
		if _, err := user.LookupId("54321"); err == nil {
			t.Fatal("uid 54321 has an account here; the test needs one that has none")
		}
		want["a/orphan.txt"] = ""
	}
	for ref, w := range want {
		got, err := c.Owner(context.Background(), ref)
		if err != nil || got != w {
			t.Errorf("Owner(%s) = %q, %v; want %q", ref, got, err, w)
		}
	}
	for ref, code := range map[string]connectors.Code{
		"a/missing.txt": connectors.CodeNotFound,
		"../escape.txt": connectors.CodeInvalid,
		"a":             connectors.CodeNotFound, // a folder is not an item, as for Stat
		"a/link.txt":    connectors.CodeInvalid,  // nor is a link
	} {
		if _, err := c.Owner(context.Background(), ref); connectors.CodeOf(err) != code {
			t.Errorf("Owner(%s): %v, want code %v", ref, err, code)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Owner(ctx, "a/mine.txt"); connectors.CodeOf(err) != connectors.CodeCancelled {
		t.Errorf("Owner with a cancelled context: %v", err)
	}
}
