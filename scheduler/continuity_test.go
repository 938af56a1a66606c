package scheduler

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler/anchor"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// closeDB closes the pipeline and checkpoints the WAL into the database
// file, so that the file alone is the database (as a backup would be).
func (e *env) closeDB() {
	e.t.Helper()
	db := e.rawDB()
	e.exec(db, `PRAGMA wal_checkpoint(TRUNCATE)`)
	db.Close()
	if err := e.p.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func removeDB(t testing.TB, file string) {
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(file + s); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

func (e *env) open(deps Deps) (*Pipeline, error) {
	deps.Clock = FixedClock{now}
	p, err := New(context.Background(), e.cfg, deps)
	if err == nil {
		e.p = p
		e.t.Cleanup(func() { p.Close() })
	}
	return p, err
}

func wantLost(t *testing.T, err error, what ...string) {
	t.Helper()
	if !errors.Is(err, ErrLedgerLost) {
		t.Fatalf("got %v; want ErrLedgerLost", err)
	}
	for _, w := range what {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error lacks %q: %v", w, err)
		}
	}
}

// TestLostDatabaseIsNotANewLedger (issue 17, finding 5): a removed,
// truncated or garbage database is refused, saying to restore it; nothing
// is created; --start-new-ledger starts a new ledger whose first entry
// holds the previous ledger's last checkpoint.
func TestLostDatabaseIsNotANewLedger(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.approvedBatch()
	n, _ := e.p.Store.TreeSize(ctx)
	marker := MarkerPath(e.cfg)
	st, err := os.Stat(marker)
	if err != nil {
		t.Fatalf("no marker after signing: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("marker mode %v, want 0600", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "\n"+itoa(n)+"\n") {
		t.Fatalf("marker does not hold the checkpoint of size %d:\n%s", n, b)
	}
	e.closeDB()

	removeDB(t, e.cfg.Database)
	_, err = e.open(Deps{})
	wantLost(t, err, "holds no ledger", "Restore it from backup", "--start-new-ledger", marker)
	if _, err := os.Stat(e.cfg.Database); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused start created the database: %v", err)
	}
	os.WriteFile(e.cfg.Database, nil, 0o600) // : > retentiond.db
	_, err = e.open(Deps{})
	wantLost(t, err, "holds no ledger")
	os.WriteFile(e.cfg.Database, []byte(strings.Repeat("garbage ", 1000)), 0o600)
	_, err = e.open(Deps{})
	wantLost(t, err, "damaged or replaced", "restore it from backup")

	// The rare real case, on the record.
	removeDB(t, e.cfg.Database)
	p, err := e.open(Deps{StartNewLedger: true, Actor: "it"})
	if err != nil {
		t.Fatalf("--start-new-ledger: %v", err)
	}
	es := e.entries()
	if len(es) != 1 || es[0].Type != ledger.TypeLedgerStartedOver || es[0].Items != n || es[0].Actor != "it" {
		t.Fatalf("new ledger begins %+v", es)
	}
	if c, err := ledger.PeekCheckpoint([]byte(es[0].Text)); err != nil || c.N != n {
		t.Fatalf("started_over holds %q: %v", es[0].Text, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// From then on the new ledger is the one the marker holds.
	if _, err := e.open(Deps{}); err != nil {
		t.Fatalf("reopen the new ledger: %v", err)
	}
	e.approvedBatch()
}

// TestRestoredOlderBackup (issue 17, finding 5): a database older than the
// last signed checkpoint is refused unless the rollback is accepted, which
// is recorded; one with another history at the signed size is refused
// always.
func TestRestoredOlderBackup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put("old/a.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	e.closeDB()
	backup := filepath.Join(e.dir, "backup.db")
	copyFile(t, e.cfg.Database, backup)
	e.reopen()
	if res := e.plan(); len(res.Batches) != 0 || res.InOpenBatches != 1 {
		t.Fatalf("a re-plan cut %+v; want the item kept in batch %d", res.Batches, b.ID)
	}
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	signed, _ := e.p.Store.TreeSize(ctx)
	e.closeDB()

	removeDB(t, e.cfg.Database)
	copyFile(t, backup, e.cfg.Database)
	_, err := e.open(Deps{})
	wantLost(t, err, "older than the ledger", "Restore the newest backup", "--accept-rollback")

	// Another history of at least the signed size: no flag accepts it.
	st, err := store.Open(ctx, e.cfg.Database, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	have, _ := st.TreeSize(ctx)
	err = st.Write(ctx, func(tx *store.Tx) error {
		for i := have; i < signed; i++ {
			b, _ := ledger.Entry{Type: ledger.TypeHoldAdded, Time: now, Hold: "H-" + itoa(i)}.Marshal()
			if _, err := tx.Append(b); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.open(Deps{AcceptRollback: true, StartNewLedger: true})
	wantLost(t, err, "holds a different ledger")

	// The older backup, accepted.
	removeDB(t, e.cfg.Database)
	copyFile(t, backup, e.cfg.Database)
	p, err := e.open(Deps{AcceptRollback: true, Actor: "it"})
	if err != nil {
		t.Fatalf("--accept-rollback: %v", err)
	}
	es := e.entries()
	last := es[len(es)-1]
	if last.Type != ledger.TypeLedgerRolledBack || last.Items != signed || !strings.Contains(last.Reason, "are lost") {
		t.Fatalf("rollback recorded as %+v", last)
	}
	p.Close()
	if _, err := e.open(Deps{}); err != nil {
		t.Fatalf("reopen after the rollback: %v", err)
	}
}

// TestCheckpointExtendsMarker (issue 17, finding 5): Checkpoint refuses to
// sign a tree that does not extend the checkpoint the key signed last.
func TestCheckpointExtendsMarker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.approvedBatch()
	n, _ := e.p.Store.TreeSize(ctx)
	// The key signed a longer history elsewhere (this database is not it).
	forged, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: e.cfg.Origin, N: n + 10, Hash: tlog.Hash{1}}, e.p.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeMarker(MarkerPath(e.cfg), forged, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "case", Owner: "it", Source: "src", Path: "old/**"}); err == nil {
		t.Fatal("signed a checkpoint that does not extend the marker")
	} else {
		wantLost(t, err, "refusing to sign")
	}
	cps, _ := e.p.Store.Checkpoints(ctx)
	if last := cps[len(cps)-1]; last.N != n {
		t.Fatalf("a checkpoint of size %d was stored", last.N)
	}
	// A marker not signed by the key refuses the start.
	other, err := ledger.CreateSigner(filepath.Join(t.TempDir(), "other.key"), e.cfg.Origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := ledger.SignCheckpoint(ledger.Checkpoint{Origin: e.cfg.Origin, N: 1, Hash: tlog.Hash{2}}, other)
	os.WriteFile(MarkerPath(e.cfg), foreign, 0o600)
	e.p.Close()
	if _, err := e.open(Deps{}); err == nil || !strings.Contains(err.Error(), "is not signed by this ledger's signing key") {
		t.Fatalf("foreign marker: %v", err)
	}
}

// TestAnchorExtendsAnchored (issue 17, finding 5): a database lost with its
// marker is still refused when an anchor directory holds the ledger's
// checkpoint, and Anchor never writes a checkpoint that does not extend
// the one anchored.
func TestAnchorExtendsAnchored(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	e.cfg.Anchors = []configs.Anchor{{Dir: dir}}
	e.approvedBatch()
	if _, err := e.p.Anchor(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := e.p.Store.TreeSize(ctx)
	if _, err := os.Stat(filepath.Join(dir, anchor.FileName(e.cfg.Origin, n))); err != nil {
		t.Fatalf("not anchored: %v", err)
	}
	// The anchored ledger is longer than this database.
	forged, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: e.cfg.Origin, N: n + 100, Hash: tlog.Hash{1}}, e.p.Signer)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, anchor.FileName(e.cfg.Origin, n+100)), forged, 0o644)
	if _, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "case", Owner: "it", Source: "src", Path: "old/**"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.p.Anchor(ctx)
	wantLost(t, err, "refusing to anchor", "does not extend the checkpoint of size "+itoa(n+100))
	if len(res) != 1 || res[0].Err == nil {
		t.Fatalf("results %+v", res)
	}
	m, _ := e.p.Store.TreeSize(ctx)
	if _, err := os.Stat(filepath.Join(dir, anchor.FileName(e.cfg.Origin, m))); err == nil {
		t.Fatal("anchored a checkpoint that does not extend the anchored one")
	}
	os.Remove(filepath.Join(dir, anchor.FileName(e.cfg.Origin, n+100)))

	// Database and marker both lost: the anchor still refuses the start.
	e.closeDB()
	removeDB(t, e.cfg.Database)
	os.Remove(MarkerPath(e.cfg))
	_, err = e.open(Deps{})
	wantLost(t, err, "holds no ledger", "the anchored checkpoint "+dir)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSwappedReferenceKeyRefused (issue 17, finding 6): a references.key
// replaced without a rotation is refused at start, before it makes a
// reference; one rotated in is not.
func TestSwappedReferenceKeyRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.approvedBatch()
	if _, err := e.p.Execute(ctx, 0, "it"); err != nil {
		t.Fatal(err)
	}
	e.p.Close()
	path := e.cfg.Keys.References
	saved := path + ".saved"
	if err := os.Rename(path, saved); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.CreateRefKey(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.open(Deps{}); err == nil || !strings.Contains(err.Error(), "but the ledger makes its references with key") {
		t.Fatalf("swapped reference key: %v", err)
	}
	os.Remove(path)
	if err := os.Rename(saved, path); err != nil {
		t.Fatal(err)
	}
	p, err := e.open(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.RotateRefKey(ctx, "it"); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if _, err := e.open(Deps{}); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
}
