package google

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

const (
	dAdmin = "admin@skole.test"
	dAnna  = "anna@skole.test"
	dBo    = "bo@skole.test"
)

// driveFixture is a fake Google with users anna and bo (each with a My
// Drive) and a connector managing their Drives only.
type driveFixture struct {
	srv *googletest.Server
	c   *Connector
}

func newDriveFixture(t testing.TB, edit func(*Options)) *driveFixture {
	t.Helper()
	srv := googletest.New()
	t.Cleanup(srv.Close)
	for _, u := range []string{dAdmin, dAnna, dBo} {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/"})
	}
	srv.AddDrive(dAnna)
	srv.AddDrive(dBo)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.json")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(keyFile, srv.Key(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	no := false
	o := Options{
		KeyFile: keyFile,
		CAFile:  caFile,
		Admin:   dAdmin,
		Users:   []string{dAnna, dBo},
		Gmail:   &no,
		APIURL:  srv.URL,
	}
	if edit != nil {
		edit(&o)
	}
	c, err := Open(context.Background(), connectors.Env{Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &driveFixture{srv: srv, c: c}
}

// listAll lists under prefix, returning the items by ref, the ignored
// refs with their reasons, and List's error.
func (f *driveFixture) listAll(t testing.TB, prefix string) (map[string]connectors.Item, map[string]string, error) {
	t.Helper()
	items := map[string]connectors.Item{}
	ignored := map[string]string{}
	err := f.c.List(t.Context(), connectors.ListOptions{Prefix: prefix, Ignored: func(ref, why string) { ignored[ref] = why }}, func(it connectors.Item) error {
		if _, dup := items[it.Ref]; dup {
			t.Errorf("%q listed twice", it.Ref)
		}
		items[it.Ref] = it
		return nil
	})
	return items, ignored, err
}

func (f *driveFixture) mustList(t testing.TB, prefix string) map[string]connectors.Item {
	t.Helper()
	items, _, err := f.listAll(t, prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return items
}

func refsOf(items map[string]connectors.Item) []string {
	var rs []string
	for r := range items {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return rs
}

func (f *driveFixture) delete(t testing.TB, targets ...connectors.Target) []connectors.Result {
	t.Helper()
	rs, err := f.c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatalf("DeleteBatch: %v", err)
	}
	if len(rs) != len(targets) {
		t.Fatalf("%d results for %d targets", len(rs), len(targets))
	}
	return rs
}

func target(it connectors.Item) connectors.Target {
	return connectors.Target{Ref: it.Ref, Version: it.Version}
}

func wantOutcome(t testing.TB, r connectors.Result, want connectors.Outcome, code connectors.Code) {
	t.Helper()
	if r.Outcome != want {
		t.Errorf("%q: outcome %v (err %v), want %v", r.Ref, r.Outcome, r.Err, want)
		return
	}
	if (want == connectors.OutcomeFailed || want == connectors.OutcomeHeld) && connectors.CodeOf(r.Err) != code {
		t.Errorf("%q: %v with code %v (%v), want %v", r.Ref, want, connectors.CodeOf(r.Err), r.Err, code)
	}
	if (want == connectors.OutcomeDeleted || want == connectors.OutcomeHeld) && r.Method != "purge" {
		t.Errorf("%q: method %q, want purge", r.Ref, r.Method)
	}
}

// TestDriveConformance runs the connector conformance suite on one
// user's My Drive: refs are given to the suite below "drive/<user>/".
func TestDriveConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			f := newDriveFixture(t, nil)
			return &underDrive{c: f.c, base: prefixDrive + "/" + dAnna}, &driveSuiteFixture{srv: f.srv, user: dAnna}
		},
		Pruner: true,
	})
}

// underDrive shows one container of a Connector as a source of its own:
// refs relative to base.
type underDrive struct {
	c    *Connector
	base string
}

func (u *underDrive) Location() string { return u.c.Location() + " " + u.base }
func (u *underDrive) Close() error     { return u.c.Close() }

func (u *underDrive) in(ref string) string { return u.base + "/" + ref }

func (u *underDrive) out(ref string) string {
	if ref == u.base {
		return ""
	}
	return strings.TrimPrefix(ref, u.base+"/")
}

func (u *underDrive) rel(it connectors.Item) connectors.Item {
	it.Ref = u.out(it.Ref)
	it.Container = u.out(it.Container)
	return it
}

func (u *underDrive) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if opts.Prefix == "" {
		opts.Prefix = u.base
	} else {
		opts.Prefix = u.in(opts.Prefix)
	}
	return u.c.List(ctx, opts, func(it connectors.Item) error { return fn(u.rel(it)) })
}

func (u *underDrive) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	it, err := u.c.Stat(ctx, u.in(ref))
	return u.rel(it), err
}

func (u *underDrive) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	ts := make([]connectors.Target, len(targets))
	for i, t := range targets {
		ts[i] = connectors.Target{Ref: u.in(t.Ref), Version: t.Version}
	}
	rs, err := u.c.DeleteBatch(ctx, ts)
	for i := range rs {
		rs[i].Ref = u.out(rs[i].Ref)
	}
	return rs, err
}

func (u *underDrive) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	cs := make([]string, len(containers))
	for i, c := range containers {
		cs[i] = u.in(c)
	}
	if stopAt != "" {
		stopAt = u.in(stopAt)
	}
	removed, err := u.c.PruneEmpty(ctx, cs, stopAt)
	for i := range removed {
		removed[i] = u.out(removed[i])
	}
	return removed, err
}

// driveSuiteFixture arranges a user's My Drive in the fake.
type driveSuiteFixture struct {
	srv  *googletest.Server
	user string
}

func (f *driveSuiteFixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	f.srv.PutFile(f.user, ref, googletest.File{Content: content, Modified: modified})
}

func (f *driveSuiteFixture) id(t testing.TB, ref string) string {
	id, ok := f.srv.FileID(f.user, ref)
	if !ok {
		t.Fatalf("no %q in the fake", ref)
	}
	return id
}

func (f *driveSuiteFixture) Modify(t testing.TB, ref string) { f.srv.ModifyFile(f.id(t, ref)) }
func (f *driveSuiteFixture) Remove(t testing.TB, ref string) { f.srv.RemoveFile(f.id(t, ref)) }

func (f *driveSuiteFixture) Exists(t testing.TB, ref string) bool {
	id, ok := f.srv.FileID(f.user, ref)
	if !ok {
		return false
	}
	file, ok := f.srv.FileByID(id)
	return ok && !file.IsFolder()
}

func (f *driveSuiteFixture) ContainerExists(t testing.TB, ref string) bool {
	id, ok := f.srv.FileID(f.user, ref)
	if !ok {
		return false
	}
	file, ok := f.srv.FileByID(id)
	return ok && file.IsFolder()
}

// TestDriveRefs: names Drive allows but paths do not (a slash, a percent
// sign, "." and ".."), and two files of one name in a folder, get
// distinct, stable refs that Stat and DeleteBatch resolve.
func TestDriveRefs(t *testing.T) {
	f := newDriveFixture(t, nil)
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	folder := f.srv.Folder(dAnna, "Udmeldte elever/Bo B")
	names := []string{"a/b.txt", "100%.txt", ".", "..", "~", "Referat.docx"}
	for i, n := range names {
		f.srv.PutFileIn(folder, googletest.File{Name: n, Content: []byte(n), Created: t0.Add(time.Duration(i) * time.Minute)})
	}
	second := f.srv.PutFileIn(folder, googletest.File{Name: "Referat.docx", Content: []byte("later"), Created: t0.Add(time.Hour)})
	third := f.srv.PutFileIn(folder, googletest.File{Name: "Referat.docx", Content: []byte("latest"), Created: t0.Add(2 * time.Hour)})
	noExt := f.srv.PutFileIn(folder, googletest.File{Name: "~", Content: []byte("x"), Created: t0.Add(3 * time.Hour)})
	unnamed := f.srv.PutFileIn(folder, googletest.File{Name: "", Content: []byte("?"), Created: t0})
	dotTwo := f.srv.PutFileIn(folder, googletest.File{Name: ".", Content: []byte("."), Created: t0.Add(4 * time.Hour)})

	base := "drive/" + dAnna + "/Udmeldte elever/Bo B/"
	want := []string{
		base + "%2E", base + "%2E%2E", base + "100%25.txt", base + "Referat.docx",
		base + "Referat~" + second + ".docx", base + "Referat~" + third + ".docx",
		base + "a%2Fb.txt", base + "~", base + "~" + unnamed, base + "~~" + noExt, base + ".~" + dotTwo,
	}
	slices.Sort(want)
	items := f.mustList(t, "")
	if got := refsOf(items); !slices.Equal(got, want) {
		t.Fatalf("refs\n got %q\nwant %q", got, want)
	}
	for ref, it := range items {
		if it.Container != strings.TrimSuffix(base, "/") {
			t.Errorf("%q: container %q", ref, it.Container)
		}
		st, err := f.c.Stat(t.Context(), ref)
		if err != nil || st.Version != it.Version {
			t.Errorf("Stat(%q) = %v, %v; listed version %q", ref, st.Version, err, it.Version)
		}
	}
	// Listing again gives the same refs and versions.
	again := f.mustList(t, "")
	for ref, it := range items {
		if again[ref].Version != it.Version {
			t.Errorf("%q: version %q then %q", ref, it.Version, again[ref].Version)
		}
	}
	// The oldest "Referat.docx" goes; the later ones keep their refs.
	oldest := items[base+"Referat.docx"]
	rs := f.delete(t, target(oldest), target(items[base+"a%2Fb.txt"]))
	wantOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
	wantOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
	if !f.srv.HasFile(second) || !f.srv.HasFile(third) {
		t.Fatal("a file of the same name was deleted with the oldest")
	}
	rs = f.delete(t, target(items[base+"Referat~"+third+".docx"]))
	wantOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
	if f.srv.HasFile(third) || !f.srv.HasFile(second) {
		t.Fatal("the ref with an id deleted another file")
	}
	// Now "second" is the only Referat.docx: it is listed under the plain
	// name, and a plan made for the plain name before (the oldest's
	// version) does not delete it.
	after := f.mustList(t, "")
	if it, ok := after[base+"Referat.docx"]; !ok || !strings.HasPrefix(it.Version, second+":") {
		t.Fatalf("after the oldest went, Referat.docx is %+v", it)
	}
	rs = f.delete(t, target(oldest))
	wantOutcome(t, rs[0], connectors.OutcomeChanged, 0)
	if !f.srv.HasFile(second) {
		t.Fatal("a stale target deleted the file that took its name")
	}
	// The target planned for "second" under its id still finds it.
	if st, err := f.c.Stat(t.Context(), base+"Referat~"+second+".docx"); err != nil || !strings.HasPrefix(st.Version, second+":") {
		t.Errorf("Stat by the id form: %+v, %v", st, err)
	}
	rs = f.delete(t, target(items[base+"Referat~"+second+".docx"]))
	wantOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
	if f.srv.HasFile(second) {
		t.Fatal("the target with an id did not delete its file")
	}
}

// TestDriveOwnership: only files the user owns are items. Files of
// another user of the domain and of an outside account in the user's
// folders are reported as ignored, cannot be statted, and are never
// deleted, whatever the target says.
func TestDriveOwnership(t *testing.T) {
	f := newDriveFixture(t, nil)
	shared := f.srv.Folder(dAnna, "Delt mappe")
	own := f.srv.PutFileIn(shared, googletest.File{Name: "mine.txt", Content: []byte("a")})
	bos := f.srv.PutFileIn(shared, googletest.File{Name: "bos.txt", Content: []byte("b"), Owner: dBo})
	outside := f.srv.PutFileIn(shared, googletest.File{Name: "outside.txt", Content: []byte("c"), Owner: "someone@gmail.com"})
	// A file shared with anna from bo's drive is not in her tree at all.
	f.srv.PutFile(dBo, "Bo/til anna.txt", googletest.File{Content: []byte("d"), SharedWith: []string{dAnna}})

	items, ignored, err := f.listAll(t, "drive/"+dAnna)
	if err != nil {
		t.Fatal(err)
	}
	base := "drive/" + dAnna + "/Delt mappe/"
	if got := refsOf(items); !slices.Equal(got, []string{base + "mine.txt"}) {
		t.Fatalf("listed %q", got)
	}
	if !strings.Contains(ignored[base+"bos.txt"], "another account") || !strings.Contains(ignored[base+"outside.txt"], "outside") || len(ignored) != 2 {
		t.Errorf("ignored: %q", ignored)
	}
	for _, ref := range []string{base + "bos.txt", base + "outside.txt"} {
		if _, err := f.c.Stat(t.Context(), ref); !connectors.IsNotFound(err) {
			t.Errorf("Stat(%q): %v, want not found", ref, err)
		}
	}
	// Targets made up with the right versions are still refused.
	var targets []connectors.Target
	for _, id := range []string{bos, outside} {
		file, _ := f.srv.FileByID(id)
		targets = append(targets, connectors.Target{Ref: base + file.Name, Version: fmt.Sprintf("%s:%d:%s", id, file.Version, file.MD5)})
	}
	rs := f.delete(t, targets...)
	for _, r := range rs {
		wantOutcome(t, r, connectors.OutcomeChanged, 0)
	}
	if !f.srv.HasFile(bos) || !f.srv.HasFile(outside) || !f.srv.HasFile(own) {
		t.Fatal("a file not the user's was deleted")
	}
	// bo's own listing has his file in his own drive only; the file he
	// owns in anna's folder is reported, not listed.
	bob, bIgnored, err := f.listAll(t, "drive/"+dBo)
	if err != nil {
		t.Fatal(err)
	}
	if got := refsOf(bob); !slices.Equal(got, []string{"drive/" + dBo + "/Bo/til anna.txt"}) {
		t.Errorf("bo's drive listed %q", got)
	}
	if why := bIgnored["drive/"+dBo+"/~"+bos]; !strings.Contains(why, "outside their My Drive") || len(bIgnored) != 1 {
		t.Errorf("bo's ignored files: %q", bIgnored)
	}
}

// TestDriveTrashedAndDocs: a trashed file is listed, labelled, and
// purged; a Google Doc (no checksum) is a file whose version follows
// Drive's version counter.
func TestDriveTrashedAndDocs(t *testing.T) {
	f := newDriveFixture(t, nil)
	trashed := f.srv.PutFile(dAnna, "Kladder/gammel.txt", googletest.File{Content: []byte("old"), Trashed: true})
	doc := f.srv.PutFile(dAnna, "Kladder/Statusrapport", googletest.File{MimeType: "application/vnd.google-apps.document"})
	items := f.mustList(t, "")
	tr := items["drive/"+dAnna+"/Kladder/gammel.txt"]
	if !slices.Contains(tr.Labels, labelTrashed) {
		t.Errorf("trashed file: %+v", tr)
	}
	d := items["drive/"+dAnna+"/Kladder/Statusrapport"]
	if d.Ref == "" || !strings.HasPrefix(d.Version, doc+":1:") || strings.Count(d.Version, ":") != 2 || !strings.HasSuffix(d.Version, ":") {
		t.Fatalf("doc: %+v", d)
	}
	f.srv.ModifyFile(doc)
	rs := f.delete(t, target(d), target(tr))
	wantOutcome(t, rs[0], connectors.OutcomeChanged, 0)
	wantOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
	if f.srv.HasFile(trashed) {
		t.Error("the trashed file is still in Trash")
	}
	if !f.srv.HasFile(doc) {
		t.Error("the changed doc was deleted")
	}
}

// TestDriveDeleteOutcomes: every outcome of a deletion in one call.
func TestDriveDeleteOutcomes(t *testing.T) {
	f := newDriveFixture(t, nil)
	put := func(p string) string { return f.srv.PutFile(dAnna, p, googletest.File{Content: []byte(p)}) }
	gone := put("a/gone.txt")
	changed := put("a/changed.txt")
	moved := put("a/moved.txt")
	replaced := put("a/replaced.txt")
	ok := put("b/ok.txt")
	denied := put("b/denied.txt")
	vanish := put("b/vanish.txt")
	lost := put("b/lost.txt")
	stays := put("c/stays.txt")
	dirGone := put("d/e/in-gone-folder.txt")
	items := f.mustList(t, "")
	tgt := func(p string) connectors.Target { return target(items["drive/"+dAnna+"/"+p]) }

	f.srv.RemoveFile(gone)
	f.srv.ModifyFile(changed)
	f.srv.MoveFile(moved, f.srv.Folder(dAnna, "b"))
	f.srv.RemoveFile(replaced)
	f.srv.PutFile(dAnna, "a/replaced.txt", googletest.File{Content: []byte("a/replaced.txt")})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "delete", File: denied, Status: 403, Reason: "insufficientFilePermissions"})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "delete", File: vanish, Status: 404, Reason: "notFound"})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "delete", File: stays, KeepOnDelete: true})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "delete", File: lost, DeleteThenFail: true, Status: 400, Reason: "badRequest"})
	id, _ := f.srv.FileID(dAnna, "d/e")
	f.srv.RemoveFile(id)
	_ = dirGone

	targets := []connectors.Target{
		tgt("a/gone.txt"), tgt("a/changed.txt"), tgt("a/moved.txt"), tgt("a/replaced.txt"),
		tgt("b/ok.txt"), tgt("b/denied.txt"), tgt("b/vanish.txt"), tgt("c/stays.txt"),
		tgt("d/e/in-gone-folder.txt"), {Ref: "drive/" + dAnna + "/../x", Version: "v"},
		tgt("b/lost.txt"),
	}
	rs := f.delete(t, targets...)
	wantOutcome(t, rs[0], connectors.OutcomeAbsent, 0)
	wantOutcome(t, rs[1], connectors.OutcomeChanged, 0)
	wantOutcome(t, rs[2], connectors.OutcomeAbsent, 0)
	wantOutcome(t, rs[3], connectors.OutcomeChanged, 0)
	wantOutcome(t, rs[4], connectors.OutcomeDeleted, 0)
	wantOutcome(t, rs[5], connectors.OutcomeFailed, connectors.CodePermission)
	wantOutcome(t, rs[6], connectors.OutcomeAbsent, 0)
	wantOutcome(t, rs[7], connectors.OutcomeFailed, connectors.CodeIO)
	wantOutcome(t, rs[8], connectors.OutcomeAbsent, 0)
	wantOutcome(t, rs[9], connectors.OutcomeFailed, connectors.CodeInvalid)
	// Deleted, though its answer was an error: the verification decides.
	wantOutcome(t, rs[10], connectors.OutcomeDeleted, 0)
	for id, want := range map[string]bool{changed: true, moved: true, ok: false, denied: true, stays: true, lost: false} {
		if f.srv.HasFile(id) != want {
			t.Errorf("file %s exists: %v, want %v", id, !want, want)
		}
	}
	if id, found := f.srv.FileID(dAnna, "a/replaced.txt"); !found || !f.srv.HasFile(id) {
		t.Error("the replacement was deleted")
	}
}

// TestDriveVaultHold: a user under a Vault hold on Drive: deletions are
// made but reported held (Vault keeps the files); a changed file is still
// not touched.
func TestDriveVaultHold(t *testing.T) {
	f := newDriveFixture(t, func(o *Options) { o.VaultHolds = []string{dAnna} })
	a := f.srv.PutFile(dAnna, "x/a.txt", googletest.File{Content: []byte("a")})
	b := f.srv.PutFile(dAnna, "x/b.txt", googletest.File{Content: []byte("b")})
	c := f.srv.PutFile(dBo, "x/c.txt", googletest.File{Content: []byte("c")})
	items := f.mustList(t, "")
	f.srv.ModifyFile(b)
	rs := f.delete(t, target(items["drive/"+dAnna+"/x/a.txt"]), target(items["drive/"+dAnna+"/x/b.txt"]), target(items["drive/"+dBo+"/x/c.txt"]))
	wantOutcome(t, rs[0], connectors.OutcomeHeld, connectors.CodeHeld)
	wantOutcome(t, rs[1], connectors.OutcomeChanged, 0)
	wantOutcome(t, rs[2], connectors.OutcomeDeleted, 0)
	if f.srv.HasFile(a) || !f.srv.HasFile(b) || f.srv.HasFile(c) {
		t.Error("files left after the deletion differ from the outcomes")
	}
}

// TestDriveSharedDrive: a shared drive in the configuration is listed as
// shared/<id>/…, every file of it whoever created it; the configured
// organizer deletes; an account that is only a member cannot, and nothing
// is deleted.
func TestDriveSharedDrive(t *testing.T) {
	const id = "0AsharedDriveTest01"
	for _, organizer := range []bool{true, false} {
		t.Run(fmt.Sprintf("organizer=%v", organizer), func(t *testing.T) {
			var srv *googletest.Server
			f := newDriveFixture(t, func(o *Options) {
				no := false
				o.Drive = &no
				o.SharedDrives = []string{id}
			})
			srv = f.srv
			orgs, members := []string{dAdmin}, []string(nil)
			if !organizer {
				orgs, members = []string{dBo}, []string{dAdmin}
			}
			srv.AddSharedDrive(id, "Ledelse", orgs, members)
			x := srv.PutFile(id, "Fratrådte/Carl/kontrakt.pdf", googletest.File{Content: []byte("k")})
			items := f.mustList(t, "")
			ref := "shared/" + id + "/Fratrådte/Carl/kontrakt.pdf"
			if got := refsOf(items); !slices.Equal(got, []string{ref}) {
				t.Fatalf("listed %q", got)
			}
			if items[ref].Container != "shared/"+id+"/Fratrådte/Carl" {
				t.Errorf("container %q", items[ref].Container)
			}
			rs := f.delete(t, target(items[ref]))
			if organizer {
				wantOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
				removed, err := f.c.PruneEmpty(t.Context(), []string{"shared/" + id + "/Fratrådte/Carl"}, "shared/"+id+"/Fratrådte")
				if err != nil || !slices.Equal(removed, []string{"shared/" + id + "/Fratrådte/Carl"}) {
					t.Errorf("PruneEmpty: %q, %v", removed, err)
				}
			} else {
				wantOutcome(t, rs[0], connectors.OutcomeFailed, connectors.CodePermission)
			}
			if srv.HasFile(x) == organizer {
				t.Errorf("file exists: %v", !organizer)
			}
			if _, err := f.c.Stat(t.Context(), "shared/0AnotConfigured/x.txt"); connectors.CodeOf(err) != connectors.CodeInvalid {
				t.Errorf("Stat of another shared drive: %v", err)
			}
		})
	}
}

// TestDriveIncomplete: a folder that cannot be read (vanished mid-walk,
// a malformed page, a missing or unreadable field, a looping page token,
// a server that keeps failing) is named in an IncompleteError with its
// subtree; everything else is listed; a deletion in such a folder deletes
// nothing.
func TestDriveIncomplete(t *testing.T) {
	cases := []struct {
		name  string
		fault googletest.DriveFault
		many  bool // the folder needs more than one page
	}{
		{name: "vanished", fault: googletest.DriveFault{Op: "list", Status: 404, Reason: "notFound"}},
		{name: "vanishes mid-walk", fault: googletest.DriveFault{Op: "list", VanishAfter: 1}, many: true},
		{name: "malformed", fault: googletest.DriveFault{Op: "list", Malformed: true}},
		{name: "no version", fault: googletest.DriveFault{Op: "list", DropField: "version"}},
		{name: "bad version", fault: googletest.DriveFault{Op: "list", BadField: "version"}},
		{name: "no owner", fault: googletest.DriveFault{Op: "list", DropField: "owners"}},
		{name: "no parents", fault: googletest.DriveFault{Op: "list", DropField: "parents"}},
		{name: "bad date", fault: googletest.DriveFault{Op: "list", BadField: "modifiedTime"}},
		{name: "no id", fault: googletest.DriveFault{Op: "list", DropField: "id"}},
		{name: "page loop", fault: googletest.DriveFault{Op: "list", LoopPages: true}, many: true},
		{name: "server error", fault: googletest.DriveFault{Op: "list", Status: 500, Reason: "backendError"}},
		{name: "denied", fault: googletest.DriveFault{Op: "list", Status: 403, Reason: "insufficientFilePermissions"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newDriveFixture(t, func(o *Options) { o.Timeout = 5 * time.Second })
			f.c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() } // retries without waiting
			keep := f.srv.PutFile(dAnna, "A/keep.txt", googletest.File{Content: []byte("k")})
			f.srv.PutFile(dAnna, "top.txt", googletest.File{Content: []byte("t")})
			bad := f.srv.Folder(dAnna, "B")
			inBad := f.srv.PutFile(dAnna, "B/C/deep.txt", googletest.File{Content: []byte("d")})
			f.srv.PutFile(dAnna, "B/x.txt", googletest.File{Content: []byte("x")})
			if tc.many {
				for i := range drivePageSize + 5 {
					f.srv.PutFileIn(bad, googletest.File{Name: fmt.Sprintf("f%04d", i)})
				}
			}
			before := f.mustList(t, "")
			fault := tc.fault
			fault.Folder = bad
			f.srv.SetDriveFault(dAnna, fault)
			items, _, err := f.listAll(t, "")
			var ie *connectors.IncompleteError
			if !errors.As(err, &ie) {
				t.Fatalf("List: %v, want an IncompleteError", err)
			}
			if len(ie.Skipped) != 1 || !strings.Contains(ie.Skipped[0].Error(), `"drive/`+dAnna+`/B"`) {
				t.Errorf("skipped %v, want the folder B named", ie.Skipped)
			}
			for _, ref := range []string{"drive/" + dAnna + "/A/keep.txt", "drive/" + dAnna + "/top.txt", "drive/" + dBo} {
				if _, ok := items[ref]; !ok && !strings.HasPrefix(ref, "drive/"+dBo) {
					t.Errorf("%q not listed", ref)
				}
			}
			for ref := range items {
				if strings.HasPrefix(ref, "drive/"+dAnna+"/B/") {
					t.Errorf("%q listed from the unreadable folder", ref)
				}
			}
			// Deleting in the folder while it cannot be read deletes
			// nothing; the readable folder's file goes.
			rs := f.delete(t, target(before["drive/"+dAnna+"/B/x.txt"]), target(before["drive/"+dAnna+"/A/keep.txt"]))
			if tc.name == "vanished" || tc.name == "vanishes mid-walk" {
				if rs[0].Outcome == connectors.OutcomeDeleted {
					t.Errorf("B/x.txt: %v", rs[0].Outcome)
				}
			} else {
				wantOutcome(t, rs[0], connectors.OutcomeFailed, connectors.CodeOf(rs[0].Err))
			}
			wantOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
			if f.srv.HasFile(keep) {
				t.Error("A/keep.txt was not deleted")
			}
			if tc.name != "vanishes mid-walk" && !f.srv.HasFile(inBad) {
				t.Error("a file under the unreadable folder was deleted")
			}
		})
	}
}

// TestDriveQuotaRetried: throttling and server errors on Drive are
// retried (by the connector's transport) and the listing and deletion
// complete.
func TestDriveQuotaRetried(t *testing.T) {
	f := newDriveFixture(t, nil)
	f.srv.PutFile(dAnna, "a/1.txt", googletest.File{Content: []byte("1")})
	f.srv.PutFile(dAnna, "a/2.txt", googletest.File{Content: []byte("2")})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "list", Times: 1, Status: 403, Reason: "userRateLimitExceeded", RetryAfter: "0"})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "list", Times: 1, Status: 429, Reason: "rateLimitExceeded", RetryAfter: "0"})
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "delete", Times: 1, Status: 503, Reason: "backendError"})
	items := f.mustList(t, "")
	if len(items) != 2 {
		t.Fatalf("listed %q", refsOf(items))
	}
	var targets []connectors.Target
	for _, it := range items {
		targets = append(targets, target(it))
	}
	for _, r := range f.delete(t, targets...) {
		wantOutcome(t, r, connectors.OutcomeDeleted, 0)
	}
}

// TestDrivePruneSafety: a folder holding only trashed files, a folder
// another user owns, and the root are never pruned; a folder emptied is.
func TestDrivePruneSafety(t *testing.T) {
	f := newDriveFixture(t, nil)
	f.srv.PutFile(dAnna, "U/trash/x.txt", googletest.File{Trashed: true})
	foreign := f.srv.PutFileIn(f.srv.Folder(dAnna, "U"), googletest.File{Name: "bos", MimeType: googletest.FolderMime, Owner: dBo})
	f.srv.Folder(dAnna, "U/empty")
	p := "drive/" + dAnna
	removed, err := f.c.PruneEmpty(t.Context(), []string{p + "/U/trash", p + "/U/bos", p + "/U/empty", p}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{p + "/U/empty"}) {
		t.Errorf("removed %q", removed)
	}
	if !f.srv.HasFile(foreign) {
		t.Error("bo's folder was removed")
	}
	if _, ok := f.srv.FileID(dAnna, "U/trash/x.txt"); !ok {
		t.Error("the trashed file was purged with its folder")
	}

	// A file arrives while the empty folder is being pruned (after it
	// went to Trash): the folder is restored, the file kept.
	late := f.srv.Folder(dAnna, "V/late")
	f.srv.SetDriveFault(dAnna, googletest.DriveFault{Op: "update", File: late, Times: 1, Arrive: "arrived.txt"})
	removed, err = f.c.PruneEmpty(t.Context(), []string{p + "/V/late"}, "")
	if err != nil || len(removed) != 0 {
		t.Errorf("PruneEmpty with a file arriving: %q, %v", removed, err)
	}
	folder, ok := f.srv.FileByID(late)
	if !ok || folder.Trashed {
		t.Errorf("the folder is %+v (exists %v), want restored from Trash", folder, ok)
	}
	if _, ok := f.srv.FileID(dAnna, "V/late/arrived.txt"); !ok {
		t.Error("the file that arrived was deleted")
	}
}

// TestDriveRequestsPerFile: deleting 1,000 files of one user in 10
// folders, or 200 files one a folder, costs one files.delete each plus
// two listings (check, verify) a window of folders and the resolution of
// the folders above them.
func TestDriveRequestsPerFile(t *testing.T) {
	for _, layout := range []struct{ folders, per int }{{10, 100}, {200, 1}} {
		t.Run(fmt.Sprintf("%dx%d", layout.folders, layout.per), func(t *testing.T) {
			f := newDriveFixture(t, nil)
			for i := range layout.folders {
				id := f.srv.Folder(dAnna, fmt.Sprintf("Udmeldte elever/elev %03d", i))
				for j := range layout.per {
					f.srv.PutFileIn(id, googletest.File{Name: fmt.Sprintf("f%03d.txt", j), Content: []byte{byte(j)}})
				}
			}
			before := f.srv.DriveStats(dAnna)
			items := f.mustList(t, "drive/"+dAnna)
			listed := f.srv.DriveStats(dAnna)
			var targets []connectors.Target
			for _, ref := range refsOf(items) {
				targets = append(targets, target(items[ref]))
			}
			for _, r := range f.delete(t, targets...) {
				wantOutcome(t, r, connectors.OutcomeDeleted, 0)
			}
			after := f.srv.DriveStats(dAnna)
			n := layout.folders * layout.per
			listReq := listed.Requests - before.Requests
			delReq := after.Requests - listed.Requests
			t.Logf("%d files in %d folders: listing %d requests (%.4f a file), deletion %d requests (%.3f a file: %d deletes, %d listings)",
				n, layout.folders, listReq, float64(listReq)/float64(n), delReq, float64(delReq)/float64(n), after.Deletes-listed.Deletes, after.Lists-listed.Lists)
			if after.Deletes-listed.Deletes != n {
				t.Errorf("%d files.delete for %d files", after.Deletes-listed.Deletes, n)
			}
			// Windows: up to 50 folders and about 100 targets; two
			// listings each, plus the root's and "Udmeldte elever"'s.
			windows := 0
			for folders, items := 0, 0; folders < layout.folders; windows++ {
				k, m := 0, 0
				for folders+k < layout.folders && k < driveFoldersPerQuery && m < driveWindowItems {
					k++
					m += layout.per
				}
				folders += k
				items += m
			}
			if max := n + 2*windows + 2; delReq > max {
				t.Errorf("deletion took %d requests, want at most %d", delReq, max)
			}
			// The walk: the root's id, its listing, "Udmeldte elever"'s,
			// and its subfolders 50 a query; then the user's files 1000
			// a page, for those outside the tree.
			if max := 3 + (layout.folders+driveFoldersPerQuery-1)/driveFoldersPerQuery + (n+drivePageSize-1)/drivePageSize; listReq > max {
				t.Errorf("listing took %d requests, want at most %d", listReq, max)
			}
		})
	}
}

// BenchmarkDriveDelete deletes the files of 4 users (500 a user for
// "project", 2,000 for "per_user", in folders of 50), one DeleteBatch
// call a user, the calls side by side as the
// executor runs them, against the fake with 10 ms latency, and reports
// deletions a second against the quota-bound rate. Drive allows 12,000
// requests a minute a user and as many for the whole project: with the
// default drive_requests_per_minute the bound is 200 files.delete a
// second in all ("project"); with a project quota raised to 1,000,000 a
// minute it is 200 a second a user ("per_user"). x_bound is wall time
// over that minimum.
func BenchmarkDriveDelete(b *testing.B) {
	b.Run("project", func(b *testing.B) { benchDriveDelete(b, 0, 10) })
	b.Run("per_user", func(b *testing.B) { benchDriveDelete(b, 1_000_000, 40) })
}

// benchDriveDelete: folders of 50 files for each of 4 users (the
// limiters' one-second burst, 200 requests, is a smaller share of larger
// runs).
func benchDriveDelete(b *testing.B, projectPerMinute, folders int) {
	const users, per = 4, 50
	names := make([]string, users)
	f := newDriveFixture(b, func(o *Options) {
		o.DriveRequestsPerMinute = projectPerMinute
		o.Users = nil
		for i := range names {
			names[i] = fmt.Sprintf("elev%02d@skole.test", i)
			o.Users = append(o.Users, names[i])
		}
	})
	for _, u := range names {
		f.srv.AddUser(googletest.User{Email: u, OrgUnit: "/"})
		f.srv.AddDrive(u)
	}
	f.srv.SetLatency(10 * time.Millisecond)
	var files, requests int
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		for _, u := range names {
			for i := range folders {
				id := f.srv.Folder(u, fmt.Sprintf("Udmeldte elever/elev %02d", i))
				for j := range per {
					f.srv.PutFileIn(id, googletest.File{Name: fmt.Sprintf("f%03d.txt", j), Content: []byte{byte(j)}})
				}
			}
		}
		byUser := make([][]connectors.Target, users)
		items, _, err := f.listAll(b, "")
		if err != nil {
			b.Fatal(err)
		}
		for ref, it := range items {
			for i, u := range names {
				if strings.HasPrefix(ref, "drive/"+u+"/") {
					byUser[i] = append(byUser[i], target(it))
				}
			}
		}
		before := f.srv.TotalDriveStats()
		b.StartTimer()
		start := time.Now()
		errs := make(chan error, users)
		for i := range names {
			go func() {
				rs, err := f.c.DeleteBatch(context.Background(), byUser[i])
				for _, r := range rs {
					if err == nil && r.Outcome != connectors.OutcomeDeleted {
						err = fmt.Errorf("%s: %v %v", r.Ref, r.Outcome, r.Err)
					}
				}
				errs <- err
			}()
		}
		for range names {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		wall += time.Since(start)
		b.StopTimer()
		after := f.srv.TotalDriveStats()
		files += users * folders * per
		requests += after.Requests - before.Requests
		b.StartTimer()
	}
	perSec := float64(files) / wall.Seconds()
	bound := min(float64(f.c.opts.DriveRequestsPerMinute)/60, float64(users*driveUnitsPerSecond))
	b.ReportMetric(perSec, "files/s")
	b.ReportMetric(float64(requests)/float64(files), "req/file")
	b.ReportMetric(bound/perSec, "x_bound")
}

// TestDrivePruneScope: PruneEmpty refuses folders of a user outside the
// source's scope and malformed refs, and removes nothing of them.
func TestDrivePruneScope(t *testing.T) {
	f := newDriveFixture(t, func(o *Options) { o.Users = []string{dAnna} })
	empty := f.srv.Folder(dBo, "tom")
	removed, err := f.c.PruneEmpty(t.Context(), []string{"drive/" + dBo + "/tom", "drive/" + dAnna + "/../x"}, "")
	if connectors.CodeOf(err) != connectors.CodeInvalid || len(removed) != 0 {
		t.Errorf("PruneEmpty: %q, %v", removed, err)
	}
	if !f.srv.HasFile(empty) {
		t.Error("a folder of a user outside the scope was removed")
	}
}

// TestDriveVaultAPI: holds read with the Vault API. A DRIVE hold on an
// account placed between the plan and the deletion makes its deletions
// held; a MAIL hold does not; a DRIVE hold that includes
// shared drive files holds the shared drive's deletions.
func TestDriveVaultAPI(t *testing.T) {
	const shared = "0AvaultShared"
	f := newDriveFixture(t, func(o *Options) {
		o.Vault = vaultAPI
		o.SharedDrives = []string{shared}
	})
	f.srv.AddUser(googletest.User{Email: "carl@skole.test", OrgUnit: "/Ansatte"})
	f.srv.AddSharedDrive(shared, "Fælles", []string{dAdmin}, nil)
	a := f.srv.PutFile(dAnna, "x/a.txt", googletest.File{Content: []byte("a")})
	b := f.srv.PutFile(dBo, "x/b.txt", googletest.File{Content: []byte("b")})
	s := f.srv.PutFile(shared, "x/s.txt", googletest.File{Content: []byte("s")})
	items := f.mustList(t, "")
	f.srv.AddMatter(googletest.Matter{Name: "sag", Holds: []googletest.Hold{
		{Name: "anna", Corpus: "DRIVE", Accounts: []string{dAnna}},
		{Name: "bo mail", Corpus: "MAIL", Accounts: []string{dBo}},
		{Name: "fælles", Corpus: "DRIVE", SharedDriveFiles: true, Accounts: []string{"carl@skole.test"}},
	}})
	rs := f.delete(t, target(items["drive/"+dAnna+"/x/a.txt"]), target(items["drive/"+dBo+"/x/b.txt"]), target(items["shared/"+shared+"/x/s.txt"]))
	wantOutcome(t, rs[0], connectors.OutcomeHeld, connectors.CodeHeld)
	wantOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
	wantOutcome(t, rs[2], connectors.OutcomeHeld, connectors.CodeHeld)
	for _, id := range []string{a, b, s} {
		if f.srv.HasFile(id) {
			t.Errorf("file %s was not deleted", id)
		}
	}
}

// TestDrivePrefix: a prefix inside a My Drive lists that folder's
// subtree only; a prefix naming a file or nothing lists nothing, without
// error; a malformed one is invalid.
func TestDrivePrefix(t *testing.T) {
	f := newDriveFixture(t, nil)
	f.srv.PutFile(dAnna, "Elever/7a/x.txt", googletest.File{Content: []byte("x")})
	f.srv.PutFile(dAnna, "Elever/7b/y.txt", googletest.File{Content: []byte("y")})
	f.srv.PutFile(dAnna, "Elever.txt", googletest.File{Content: []byte("z")})
	p := "drive/" + dAnna
	for prefix, want := range map[string][]string{
		p + "/Elever":          {p + "/Elever/7a/x.txt", p + "/Elever/7b/y.txt"},
		p + "/Elever/7a/":      {p + "/Elever/7a/x.txt"},
		p + "/Elever.txt":      nil,
		p + "/Elever/7c":       nil,
		p + "/Nothing/Here/At": nil,
	} {
		items, _, err := f.listAll(t, prefix)
		if err != nil {
			t.Errorf("List(%q): %v", prefix, err)
		}
		if got := refsOf(items); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
	if _, _, err := f.listAll(t, p+"/../x"); err == nil {
		t.Error("a prefix with .. was listed")
	}
}

// A caller that gives up while files are being deleted still gets their
// deletion verified and recorded truthfully: the verification runs
// without the caller's cancellation, as Gmail's does.
func TestDriveCancelAfterDelete(t *testing.T) {
	f := newDriveFixture(t, nil)
	id := f.srv.PutFile(dAnna, "a/x.txt", googletest.File{Content: []byte("x")})
	items := f.mustList(t, "")
	it := items["drive/"+dAnna+"/a/x.txt"]
	f.srv.SetLatency(200 * time.Millisecond)
	r := deleteCancelledWhen(t, f.c, target(it), "the file was deleted", func() bool { return !f.srv.HasFile(id) })
	wantOutcome(t, r, connectors.OutcomeDeleted, 0)
}
