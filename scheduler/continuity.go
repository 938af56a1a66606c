package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler/anchor"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// A lost database must never silently become a new ledger. Two things
// outside the database remember the ledger: a marker beside the signing
// key holding the latest checkpoint the key signed (written, owner-only and
// atomically, whenever a checkpoint is signed), and the checkpoints sent to
// anchor directories. Every command opens the pipeline through New, which
// refuses a database whose ledger does not extend them:
//
//   - lost: the database is missing, empty or has no entries, yet the key
//     signed before. Restore it from backup; only if there is none,
//     --start-new-ledger starts a new ledger whose first entry
//     (ledger_started_over) holds the previous ledger's last checkpoint.
//   - behind: the database has fewer entries than the signed checkpoint:
//     it was restored from an older backup (or cut short). Its entries
//     cannot be proven a prefix of the signed tree without the missing
//     ones, so this is not accepted silently either: restore the newest
//     backup; if there is none newer, --accept-rollback continues from it
//     and records a ledger_rolled_back entry holding the checkpoint whose
//     later entries are lost.
//   - diverged: the database has at least as many entries but a different
//     tree at the signed size: another or a rewritten ledger. No flag
//     accepts it.
//
// Checkpoint never signs, and Anchor never sends, a tree that does not
// extend the marker and the checkpoints already anchored (a tlog tree
// proof against each), unless a ledger_started_over or ledger_rolled_back
// entry accepted that reference.

// ErrLedgerLost is wrapped by the errors that refuse a database whose
// ledger does not continue the one this host signed or anchored.
var ErrLedgerLost = errors.New("the database does not continue the signed ledger")

// MarkerPath is the file beside the signing key that holds the latest
// checkpoint the key signed.
func MarkerPath(cfg *configs.Config) string { return cfg.Keys.Signing + ".checkpoint" }

// reference is a signed checkpoint kept outside the database that the
// database's ledger must extend.
type reference struct {
	what string // where it is kept, for messages
	note []byte
	cp   ledger.Checkpoint
}

// readReferences reads the marker and the latest checkpoint of this
// ledger in each anchor directory, without checking signatures yet. An
// anchor directory that cannot be read is logged and skipped: the marker
// is the guard that is always there.
func readReferences(cfg *configs.Config, log *zap.Logger) ([]reference, error) {
	var refs []reference
	path := MarkerPath(cfg)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read the ledger marker: %w", err)
	default:
		c, err := ledger.PeekCheckpoint(b)
		if err != nil {
			return nil, fmt.Errorf("the ledger marker %s does not hold a signed checkpoint (%v): restore it from backup with the signing key, or move it aside if it is not this ledger's", path, err)
		}
		refs = append(refs, reference{what: "the marker " + path, note: b, cp: c})
	}
	for _, a := range cfg.Anchors {
		if a.Dir == "" {
			continue
		}
		r, ok, err := latestAnchoredFile(a.Dir, cfg.Origin)
		if err != nil {
			log.Warn("cannot read the anchor directory to check the ledger against it", zap.String("dir", a.Dir), zap.Error(err))
			continue
		}
		if ok {
			refs = append(refs, r)
		}
	}
	return refs, nil
}

// latestAnchoredFile reads the checkpoint of origin with the largest size
// in an anchor directory.
func latestAnchoredFile(dir, origin string) (reference, bool, error) {
	prefix := strings.TrimSuffix(anchor.FileName(origin, 0), "000000000000.checkpoint")
	des, err := os.ReadDir(dir)
	if err != nil {
		return reference{}, false, err
	}
	best, bestN := "", int64(-1)
	for _, de := range des {
		rest, ok := strings.CutPrefix(de.Name(), prefix)
		if !ok {
			continue
		}
		digits, ok := strings.CutSuffix(rest, ".checkpoint")
		if !ok || len(digits) != 12 {
			continue
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n <= bestN {
			continue
		}
		best, bestN = de.Name(), n
	}
	if best == "" {
		return reference{}, false, nil
	}
	path := filepath.Join(dir, best)
	b, err := os.ReadFile(path)
	if err != nil {
		return reference{}, false, err
	}
	c, err := ledger.PeekCheckpoint(b)
	if err != nil || c.Origin != origin || c.N != bestN {
		return reference{}, false, fmt.Errorf("%s is not a checkpoint of size %d of ledger %s", path, bestN, origin)
	}
	return reference{what: "the anchored checkpoint " + path, note: b, cp: c}, true, nil
}

// authentic keeps the references whose signature verifies with vs. A
// marker that does not verify is an error; an anchored file that does not
// is logged and skipped (it is not this key's).
func authentic(refs []reference, vs note.Verifiers, log *zap.Logger) ([]reference, error) {
	var out []reference
	for _, r := range refs {
		if _, err := ledger.OpenCheckpoint(r.note, vs); err != nil {
			if strings.HasPrefix(r.what, "the marker") {
				return nil, fmt.Errorf("%s is not signed by this ledger's signing key (%v): restore the key and the marker that belong together from backup, or move the marker aside if it is not this ledger's", r.what, err)
			}
			log.Warn("an anchored checkpoint is not signed by this ledger's key; not checked against it", zap.String("file", r.what), zap.Error(err))
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Continuity problems.
const (
	ledgerLost     = "lost"
	ledgerBehind   = "behind"
	ledgerDiverged = "diverged"
)

// discontinuity is a reference the database's ledger does not extend.
type discontinuity struct {
	kind string
	ref  reference
	n    int64 // the database's ledger size
}

func (d *discontinuity) err(db string) error {
	c := d.ref.cp
	switch d.kind {
	case ledgerLost:
		return fmt.Errorf("the database %s holds no ledger, but ledger %s had %d entries (%s): the database was lost or replaced. Restore it from backup (with its -wal file). Only if no backup exists, start a new ledger with --start-new-ledger: its first entry records that it started over from that checkpoint: %w",
			db, c.Origin, c.N, d.ref.what, ErrLedgerLost)
	case ledgerBehind:
		return fmt.Errorf("the database %s holds %d ledger entries, but ledger %s had %d (%s): the database is older than the ledger (restored from an older backup, or cut short); entries %d to %d are not in it. Restore the newest backup. Only if there is none newer, continue from this one with --accept-rollback, which records in the ledger that those entries were lost: %w",
			db, d.n, c.Origin, c.N, d.ref.what, d.n, c.N-1, ErrLedgerLost)
	default:
		return fmt.Errorf("the database %s holds a different ledger: its tree of %d entries does not have the root hash of the checkpoint of that size (%s): it was replaced or its history rewritten. Restore the database from backup and run 'retentiond ledger verify': %w",
			db, c.N, d.ref.what, ErrLedgerLost)
	}
}

// continuity returns the first reference the ledger in st does not extend
// and that no ledger_started_over or ledger_rolled_back entry accepted,
// or nil.
func continuity(ctx context.Context, st *store.Store, refs []reference) (*discontinuity, error) {
	n, err := st.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	var accepted []ledger.Checkpoint
	readAccepted := false
	for _, r := range refs {
		var d *discontinuity
		switch {
		case n == 0:
			d = &discontinuity{kind: ledgerLost, ref: r}
		case n < r.cp.N:
			d = &discontinuity{kind: ledgerBehind, ref: r, n: n}
		default:
			h, err := st.TreeHash(ctx, r.cp.N)
			if err != nil {
				return nil, err
			}
			if h != r.cp.Hash {
				d = &discontinuity{kind: ledgerDiverged, ref: r, n: n}
			}
		}
		if d == nil {
			continue
		}
		if !readAccepted {
			if accepted, err = acceptedCheckpoints(ctx, st); err != nil {
				return nil, err
			}
			readAccepted = true
		}
		if !isAccepted(accepted, r.cp) {
			return d, nil
		}
	}
	return nil, nil
}

// acceptedCheckpoints returns the previous ledgers' checkpoints that
// ledger_started_over and ledger_rolled_back entries hold.
func acceptedCheckpoints(ctx context.Context, st *store.Store) ([]ledger.Checkpoint, error) {
	leaves, err := st.LedgerResets(ctx)
	if err != nil {
		return nil, err
	}
	var out []ledger.Checkpoint
	for _, l := range leaves {
		e, err := ledger.Parse(l.Data)
		if err != nil || (e.Type != ledger.TypeLedgerStartedOver && e.Type != ledger.TypeLedgerRolledBack) {
			continue
		}
		if c, err := ledger.PeekCheckpoint([]byte(e.Text)); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// isAccepted reports whether a reset accepted the loss of c: it holds c
// or a later checkpoint of the same ledger (one that c is a prefix of, as
// far as anyone can tell without the lost entries).
func isAccepted(accepted []ledger.Checkpoint, c ledger.Checkpoint) bool {
	for _, a := range accepted {
		if a.Origin == c.Origin && (a.N > c.N || a.N == c.N && a.Hash == c.Hash) {
			return true
		}
	}
	return false
}

// databaseFresh reports whether the database file is missing or empty:
// opening it would create a new ledger.
func databaseFresh(file string) bool {
	st, err := os.Stat(file)
	return errors.Is(err, fs.ErrNotExist) || err == nil && st.Mode().IsRegular() && st.Size() == 0
}

// refuseNewLedger is checked by New before the database is opened (and
// created): a missing or empty database where the key signed before, or an
// anchor exists, is refused unless a new ledger was asked for.
func refuseNewLedger(cfg *configs.Config, deps Deps, refs []reference) error {
	if !databaseFresh(cfg.Database) || len(refs) == 0 || deps.StartNewLedger {
		return nil
	}
	d := &discontinuity{kind: ledgerLost, ref: largest(refs)}
	return d.err(cfg.Database)
}

func largest(refs []reference) reference {
	best := refs[0]
	for _, r := range refs[1:] {
		if r.cp.N > best.cp.N {
			best = r
		}
	}
	return best
}

// guardContinuity is New's check once the keys are loaded: the database's
// ledger must extend the marker and the anchored checkpoints, or the
// operator must have accepted the loss, which is recorded. It writes the
// marker for a ledger that has checkpoints but no marker yet (one from
// before markers were kept).
func (p *Pipeline) guardContinuity(ctx context.Context, deps Deps, raw []reference) error {
	if deps.StartNewLedger && len(raw) > 0 {
		// Started over, with the keys or without (then the previous
		// ledger's checkpoints no longer verify): on the record either way.
		n, err := p.Store.TreeSize(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return p.recordReset(ctx, ledger.TypeLedgerStartedOver, largest(raw), deps.Actor,
				"started over: the database holding the previous ledger was lost")
		}
	}
	refs, err := authentic(raw, p.verifiers(), p.Log)
	if err != nil {
		return err
	}
	d, err := continuity(ctx, p.Store, refs)
	if err != nil {
		return err
	}
	if d != nil {
		switch {
		case d.kind == ledgerBehind && deps.AcceptRollback:
			last := largest(refs)
			return p.recordReset(ctx, ledger.TypeLedgerRolledBack, last, deps.Actor,
				fmt.Sprintf("continued from a backup with %d entries: entries %d to %d are lost", d.n, d.n, last.cp.N-1))
		}
		return d.err(p.Config.Database)
	}
	if _, err := os.Stat(MarkerPath(p.Config)); errors.Is(err, fs.ErrNotExist) {
		if c, ok, err := p.Store.LatestCheckpoint(ctx); err == nil && ok {
			if _, err := ledger.OpenCheckpoint(c.Note, p.verifiers()); err == nil {
				if err := writeMarker(MarkerPath(p.Config), c.Note, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// recordReset appends the entry that accepts the loss of ref's entries and
// signs a checkpoint over it, which replaces the marker.
func (p *Pipeline) recordReset(ctx context.Context, t ledger.Type, ref reference, actor, reason string) error {
	if actor == "" {
		actor = "unknown"
	}
	e := p.entry(t)
	e.Text, e.Items, e.Actor, e.Role, e.Reason = string(ref.note), ref.cp.N, actor, "operator", reason
	if err := p.Store.Write(ctx, func(tx *store.Tx) error { return appendEntries(tx, e) }); err != nil {
		return fmt.Errorf("record %s: %w", t, err)
	}
	p.Log.Warn("the ledger does not continue the signed one; recorded as asked", zap.String("entry", string(t)),
		zap.Int64("previous_size", ref.cp.N), zap.String("reference", ref.what))
	return p.Checkpoint(ctx)
}

// CheckContinuity checks, for 'ledger verify', that the database st of
// cfg extends the marker beside its signing key and the checkpoints in its
// anchor directories that verify with vs, or that the ledger records the
// acceptance of their loss.
func CheckContinuity(ctx context.Context, cfg *configs.Config, st *store.Store, vs note.Verifiers, log *zap.Logger) error {
	refs, err := readReferences(cfg, log)
	if err != nil {
		return err
	}
	if refs, err = authentic(refs, vs, log); err != nil {
		return err
	}
	d, err := continuity(ctx, st, refs)
	if err != nil || d == nil {
		return err
	}
	return d.err(cfg.Database)
}

// extends checks that the tree of size n with root h extends the
// checkpoint c, with a tlog tree proof from the stored hashes.
func (p *Pipeline) extends(ctx context.Context, n int64, h tlog.Hash, c ledger.Checkpoint) error {
	switch {
	case n < c.N:
		return fmt.Errorf("the tree has %d entries, fewer than the %d of the checkpoint", n, c.N)
	case n == c.N:
		if h != c.Hash {
			return errors.New("the tree has the checkpoint's size but another root hash")
		}
		return nil
	}
	proof, err := tlog.ProveTree(n, c.N, p.Store.HashReader(ctx))
	if err != nil {
		return fmt.Errorf("prove the tree extends the checkpoint: %w", err)
	}
	if err := tlog.CheckTree(proof, n, h, c.N, c.Hash); err != nil {
		return fmt.Errorf("the tree of size %d does not extend the checkpoint of size %d: %w", n, c.N, err)
	}
	return nil
}

// checkMarker refuses to sign the tree of size n with root h unless it
// extends the marker, or a reset accepted the marker's loss (reset is
// then set: the marker is to be replaced).
func (p *Pipeline) checkMarker(ctx context.Context, n int64, h tlog.Hash) (reset bool, err error) {
	b, err := os.ReadFile(MarkerPath(p.Config))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the ledger marker: %w", err)
	}
	c, err := ledger.PeekCheckpoint(b)
	if err != nil {
		return false, fmt.Errorf("the ledger marker %s does not hold a checkpoint: %w", MarkerPath(p.Config), err)
	}
	if err := p.extends(ctx, n, h, c); err != nil {
		accepted, aerr := acceptedCheckpoints(ctx, p.Store)
		if aerr != nil {
			return false, aerr
		}
		if isAccepted(accepted, c) {
			return true, nil
		}
		return false, fmt.Errorf("refusing to sign the ledger of %d entries: it does not extend the checkpoint of size %d this key signed (%s): %v: %w", n, c.N, MarkerPath(p.Config), err, ErrLedgerLost)
	}
	return false, nil
}

// writeMarker replaces the marker with note, atomically and owner-only,
// unless the marker already holds a larger checkpoint of the same ledger
// (another process signed one meanwhile) and this is not a reset.
func writeMarker(path string, msg []byte, reset bool) error {
	c, err := ledger.PeekCheckpoint(msg)
	if err != nil {
		return fmt.Errorf("write the ledger marker: %w", err)
	}
	if old, err := os.ReadFile(path); err == nil && !reset {
		if oc, err := ledger.PeekCheckpoint(old); err == nil && oc.Origin == c.Origin && oc.N > c.N {
			return nil
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write the ledger marker: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone after the rename
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(msg)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write the ledger marker: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// anchorExtends refuses to send latest to the anchor named name (dir is
// its directory, or "" for a target that cannot be read back) unless it
// extends the last checkpoint this database recorded sending there and
// the largest one of this ledger in the directory, each proven with a
// tlog tree proof, or a reset in the ledger accepted their loss.
func (p *Pipeline) anchorExtends(ctx context.Context, name, dir string, latest store.Checkpoint) error {
	lc, err := ledger.OpenCheckpoint(latest.Note, p.verifiers())
	if err != nil {
		return fmt.Errorf("the latest checkpoint (size %d) does not verify with the signing key: %v: %w", latest.N, err, ErrLedgerTampered)
	}
	var refs []reference
	if n, err := p.Store.LastAnchored(ctx, name); err != nil {
		return err
	} else if n > 0 {
		cps, err := p.Store.Checkpoints(ctx)
		if err != nil {
			return err
		}
		for _, c := range cps {
			if c.N == n {
				if pc, err := ledger.PeekCheckpoint(c.Note); err == nil {
					refs = append(refs, reference{what: fmt.Sprintf("recorded as sent to %s", name), note: c.Note, cp: pc})
				}
			}
		}
	}
	if dir != "" {
		r, ok, err := latestAnchoredFile(dir, p.Config.Origin)
		if err != nil {
			return fmt.Errorf("read the checkpoints already anchored in %s: %w", dir, err)
		}
		if ok {
			if refs, err = authentic(append(refs, r), p.verifiers(), p.Log); err != nil {
				return err
			}
		}
	}
	var (
		accepted []ledger.Checkpoint
		read     bool
	)
	for _, r := range refs {
		perr := p.extends(ctx, lc.N, lc.Hash, r.cp)
		if perr == nil {
			continue
		}
		if !read {
			if accepted, err = acceptedCheckpoints(ctx, p.Store); err != nil {
				return err
			}
			read = true
		}
		if isAccepted(accepted, r.cp) {
			continue
		}
		return fmt.Errorf("refusing to anchor the checkpoint of size %d: it does not extend the checkpoint of size %d already anchored (%s): %v. The database is not the ledger that was anchored: restore it from backup, and check it with 'retentiond ledger verify --anchor': %w",
			lc.N, r.cp.N, r.what, perr, ErrLedgerLost)
	}
	return nil
}

// checkRefKey refuses a reference key that is not the ledger's: the one
// the last reference key rotation introduced, or, before any, the one the
// ledger's first reference was made with. A references.key swapped without
// a rotation would make references nobody can answer for, and ledger
// verify refuses them.
func (p *Pipeline) checkRefKey(ctx context.Context) error {
	rotations, err := p.Store.KeyRotations(ctx)
	if err != nil {
		return err
	}
	want, how := "", ""
	for _, r := range rotations {
		if r.Method == ledger.KeyReference {
			want, how = r.NewKey, fmt.Sprintf("the reference key rotation at ledger entry %d", r.Index)
		}
	}
	if want == "" {
		l, ok, err := p.Store.FirstReference(ctx)
		if err != nil || !ok {
			return err
		}
		e, err := ledger.Parse(l.Data)
		if err != nil {
			return nil // ledger verify says what is wrong with it
		}
		for _, ref := range []string{e.Item, e.Container, e.Subject} {
			if ref != "" {
				want, how = ref[3:11], fmt.Sprintf("ledger entry %d, the first reference", l.Index)
				break
			}
		}
		if want == "" {
			return nil
		}
	}
	if got := p.Refs.ID(); got != want {
		return fmt.Errorf("the reference key %s has key id %s, but the ledger makes its references with key %s (%s): restore the references.key that belongs to this ledger from backup (a retired one is kept as %s.<key id>), or replace it only with 'retentiond ledger rotate-key --references'",
			p.Config.Keys.References, got, want, how, p.Config.Keys.References)
	}
	return nil
}
