package google

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

// confSharedDrive is the shared drive of the combined source.
const confSharedDrive = "0AconformanceShared"

// combinedSource starts a fake where each user of the flat samples has a
// mailbox and a My Drive, plus a shared drive, and opens ONE connector
// managing all of it. Every part but the one under test (a ref prefix:
// "gmail", "drive/<user>", "shared/<id>") holds an item the suite never
// names ("noise"); when the test ends each must still be there: what the
// suite does through one part never reaches another.
func combinedSource(t testing.TB, under string) (*googletest.Server, *Connector) {
	t.Helper()
	srv := googletest.New()
	t.Cleanup(srv.Close)
	srv.AddUser(googletest.User{Email: coreAdmin})
	users := connectortest.FlatContainers
	noiseAt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	type noise struct{ user, id string }
	var mail []noise
	var files []string
	for _, u := range users {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/Elever"})
		srv.EnableGmail(u)
		srv.AddDrive(u)
		if under != prefixGmail {
			mail = append(mail, noise{u, srv.PutMessage(u, googletest.Message{ID: "noise-" + u, Internal: noiseAt, Size: 5})})
		}
		if under != prefixDrive+"/"+u {
			files = append(files, srv.PutFile(u, "noise/keep.txt", googletest.File{Content: []byte("keep"), Modified: noiseAt}))
		}
	}
	srv.AddSharedDrive(confSharedDrive, "Fælles", []string{coreAdmin}, nil)
	if under != prefixShared+"/"+confSharedDrive {
		files = append(files, srv.PutFile(confSharedDrive, "noise/keep.txt", googletest.File{Content: []byte("keep"), Modified: noiseAt}))
	}
	t.Cleanup(func() {
		for _, m := range mail {
			if !srv.HasMessage(m.user, m.id) {
				t.Errorf("noise message of %s was deleted", m.user)
			}
		}
		for _, id := range files {
			if !srv.HasFile(id) {
				t.Errorf("noise file %s was deleted", id)
			}
		}
	})
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.json")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(keyFile, srv.Key(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{KeyFile: keyFile, CAFile: caFile, Admin: coreAdmin, OrgUnit: "/Elever",
		SharedDrives: []string{confSharedDrive}, APIURL: srv.URL}
	c, err := Open(context.Background(), connectors.Env{Source: "google", Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return srv, c
}

// scoped shows the part of a Connector below base ("gmail", or one
// drive's container) as a source of its own, refs relative to base.
type scoped struct {
	c    *Connector
	base string
}

func (u *scoped) Location() string { return u.c.Location() + " " + u.base }
func (u *scoped) Close() error     { return u.c.Close() }

func (u *scoped) DeleteConcurrency() int { return u.c.DeleteConcurrency() }

func (u *scoped) in(ref string) string {
	if ref == "" {
		return u.base
	}
	return u.base + "/" + ref
}

func (u *scoped) out(ref string) string {
	if ref == u.base {
		return ""
	}
	return strings.TrimPrefix(ref, u.base+"/")
}

func (u *scoped) rel(it connectors.Item) connectors.Item {
	it.Ref = u.out(it.Ref)
	it.Container = u.out(it.Container)
	return it
}

func (u *scoped) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	opts.Prefix = u.in(opts.Prefix)
	if done := opts.ContainerDone; done != nil {
		opts.ContainerDone = func(ct string, err error) { done(u.out(ct), err) }
	}
	if opts.Skip != nil {
		skip := map[string]bool{}
		for ct, v := range opts.Skip {
			skip[u.in(ct)] = v
		}
		opts.Skip = skip
	}
	if ign := opts.Ignored; ign != nil {
		opts.Ignored = func(ref, why string) { ign(u.out(ref), why) }
	}
	return u.c.List(ctx, opts, func(it connectors.Item) error {
		if !strings.HasPrefix(it.Ref, u.base+"/") {
			panic("item " + it.Ref + " listed outside the prefix " + u.base)
		}
		return fn(u.rel(it))
	})
}

func (u *scoped) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	it, err := u.c.Stat(ctx, u.in(ref))
	return u.rel(it), err
}

func (u *scoped) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
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

func (u *scoped) StatBatch(ctx context.Context, refs []string) []connectors.StatResult {
	in := make([]string, len(refs))
	for i, ref := range refs {
		in[i] = u.in(ref)
	}
	rs := u.c.StatBatch(ctx, in)
	for i := range rs {
		rs[i].Item = u.rel(rs[i].Item)
	}
	return rs
}

// scopedPruner is a scoped Drive, which prunes emptied folders.
type scopedPruner struct{ *scoped }

func (u scopedPruner) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	cs := make([]string, len(containers))
	for i, ct := range containers {
		cs[i] = u.in(ct)
	}
	removed, err := u.c.PruneEmpty(ctx, cs, u.in(stopAt))
	for i := range removed {
		removed[i] = u.out(removed[i])
	}
	return removed, err
}

// TestConformance runs the conformance suite on each part of one
// connector that manages Gmail, My Drives and a shared drive at once:
// the mailboxes (flat: "<user>/<id>" below "gmail"), a user's My Drive
// and the shared drive (trees below their containers). The connector
// deletes concurrently; Drive prunes emptied folders.
func TestConformance(t *testing.T) {
	t.Run("gmail", func(t *testing.T) {
		connectortest.Run(t, connectortest.Harness{
			New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
				srv, c := combinedSource(t, prefixGmail)
				return &scoped{c: c, base: prefixGmail}, &gmailSuiteFixture{srv: srv}
			},
			Flat:       true,
			Concurrent: true,
			BatchStat:  true,
		})
	})
	t.Run("drive", func(t *testing.T) {
		user := connectortest.FlatContainers[1]
		connectortest.Run(t, connectortest.Harness{
			New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
				srv, c := combinedSource(t, prefixDrive+"/"+user)
				return scopedPruner{&scoped{c: c, base: prefixDrive + "/" + user}}, &driveSuiteFixture{srv: srv, user: user}
			},
			Pruner:     true,
			Concurrent: true,
			BatchStat:  true,
		})
	})
	t.Run("shared", func(t *testing.T) {
		connectortest.Run(t, connectortest.Harness{
			New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
				srv, c := combinedSource(t, prefixShared+"/"+confSharedDrive)
				return scopedPruner{&scoped{c: c, base: prefixShared + "/" + confSharedDrive}}, &driveSuiteFixture{srv: srv, user: confSharedDrive}
			},
			Pruner:     true,
			Concurrent: true,
			BatchStat:  true,
		})
	})
}

// TestCombinedList: one listing of the combined source gives each
// user's mailbox, then the user's My Drive, users in order, then the
// shared drive, each container reported done after its items.
func TestCombinedList(t *testing.T) {
	srv, c := combinedSource(t, "")
	t.Cleanup(func() { c.Close() })
	srv.PutMessage("bo@skole.test", googletest.Message{ID: "m1", Internal: time.Now().Add(-time.Hour), Size: 3})
	srv.PutFile("bo@skole.test", "a/b.txt", googletest.File{Content: []byte("b")})
	var order, done []string
	err := c.List(t.Context(), connectors.ListOptions{ContainerDone: func(ct string, err error) {
		if err != nil {
			t.Errorf("ContainerDone(%q, %v)", ct, err)
		}
		done = append(done, ct)
	}}, func(it connectors.Item) error {
		if n := len(order); n == 0 || order[n-1] != it.Container {
			order = append(order, it.Container)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, u := range connectortest.FlatContainers {
		want = append(want, "gmail/"+u, "drive/"+u)
	}
	want = append(want, "shared/"+confSharedDrive)
	if strings.Join(done, " ") != strings.Join(want, " ") {
		t.Errorf("containers done:\n%v\nwant\n%v", done, want)
	}
	var mailOrDrive []string
	for _, ct := range order {
		p, rest, _ := strings.Cut(ct, "/")
		owner, _, _ := strings.Cut(rest, "/")
		if k := p + "/" + owner; len(mailOrDrive) == 0 || mailOrDrive[len(mailOrDrive)-1] != k {
			mailOrDrive = append(mailOrDrive, k)
		}
	}
	if strings.Join(mailOrDrive, " ") != strings.Join(want, " ") {
		t.Errorf("items came from\n%v\nwant\n%v", mailOrDrive, want)
	}
	// Refs of one part are never another's: a Gmail ref with a Drive
	// prefix is simply not found, a ref of no part is invalid.
	for ref, code := range map[string]connectors.Code{
		"drive/bo@skole.test/m1":          connectors.CodeNotFound,
		"mail/bo@skole.test/m1":           connectors.CodeInvalid,
		"gmail/nobody@skole.test/m1":      connectors.CodeInvalid,
		"shared/0Aother/x.txt":            connectors.CodeInvalid,
		"gmail":                           connectors.CodeInvalid,
		"gmail/Bo@skole.test/m1":          connectors.CodeInvalid,
		"gmail/bo@skole.test/../drive/m1": connectors.CodeInvalid,
	} {
		if _, err := c.Stat(t.Context(), ref); connectors.CodeOf(err) != code {
			t.Errorf("Stat(%q): %v (code %v), want %v", ref, err, connectors.CodeOf(err), code)
		}
	}
}
