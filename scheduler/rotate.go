package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// Key rotation replaces the checkpoint signing key or the reference key.
//
// A signing key rotation creates the new key beside the current one
// (<key>.next), appends a key_rotation entry naming the new verifier key and
// signs the next checkpoint with both keys, so that a verifier who trusts
// the old key learns to trust the new one from the ledger itself. The old
// key is then kept as <key>.<key hash> and, until the overlap ends, still
// co-signs every checkpoint. A reference key rotation keeps the old key as
// <key>.<key id>: references already in the ledger stay answerable.
//
// The key files move only after the rotation is committed to the ledger;
// an interrupted rotation is finished (or, if it never reached the ledger,
// undone) by the next New.

// DefaultOverlap is how long a retired signing key keeps co-signing.
const DefaultOverlap = 30 * 24 * time.Hour

func nextPath(path string) string { return path + ".next" }

// retiredSigningPath is where a retired signing key is kept.
func retiredSigningPath(path string, v *ledger.VerifierKey) string { return path + "." + v.HashHex() }

// RetiredRefPath is where a retired reference key is kept.
func RetiredRefPath(path, id string) string { return path + "." + id }

// RotateSigningKey replaces the checkpoint signing key, as person (an
// operator). The retired key co-signs checkpoints for overlap.
func (p *Pipeline) RotateSigningKey(ctx context.Context, person string, overlap time.Duration) (*ledger.Signer, error) {
	who, err := p.person(ctx, person, configs.RoleOperator)
	if err != nil {
		return nil, err
	}
	if overlap < 0 {
		return nil, errors.New("rotate signing key: the overlap must not be negative")
	}
	path := p.Config.Keys.Signing
	next, err := ledger.CreateSigner(nextPath(path), p.Config.Origin, nil)
	if err != nil {
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	old := p.Signer
	oldKey, err := ledger.ParseVerifierKey(old.VerifierKey())
	if err != nil {
		return nil, err
	}
	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		e := p.entry(ledger.TypeKeyRotation)
		e.Method, e.Key, e.Actor, e.Role = ledger.KeySigning, next.VerifierKey(), who.ID, configs.RoleOperator
		e.Period = isoDays(overlap)
		idx, err := appendEntry(tx, e)
		if err != nil {
			return err
		}
		return tx.AddKeyRotation(store.KeyRotation{Index: idx, Method: ledger.KeySigning, NewKey: next.VerifierKey(),
			OldKey: old.VerifierKey(), At: store.Time{Time: now}, OverlapUntil: store.Time{Time: now.Add(overlap)}})
	})
	if err != nil {
		removeKey(nextPath(path))
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	// From here the rotation is in the ledger: the new key signs.
	p.Signer = next
	p.retired = append(p.retired, retiredSigner{old, now.Add(overlap)})
	if err := p.Checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("rotate signing key: sign the first checkpoint with both keys: %w", err)
	}
	if err := finishMove(path, nextPath(path), retiredSigningPath(path, oldKey), true); err != nil {
		return nil, fmt.Errorf("rotate signing key: the rotation is recorded, but moving the key files failed (the next start finishes it): %w", err)
	}
	p.Log.Info("signing key rotated", zap.String("old_key", oldKey.ID()), zap.String("new_key", keyIDOf(next)), zap.Duration("overlap", overlap))
	return next, nil
}

// RotateRefKey replaces the reference key, as person (an operator).
func (p *Pipeline) RotateRefKey(ctx context.Context, person string) (*ledger.RefKey, error) {
	who, err := p.person(ctx, person, configs.RoleOperator)
	if err != nil {
		return nil, err
	}
	path := p.Config.Keys.References
	next, err := ledger.CreateRefKey(nextPath(path), nil)
	if err != nil {
		return nil, fmt.Errorf("rotate reference key: %w", err)
	}
	old := p.Refs
	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		e := p.entry(ledger.TypeKeyRotation)
		e.Method, e.Key, e.Actor, e.Role = ledger.KeyReference, next.ID(), who.ID, configs.RoleOperator
		idx, err := appendEntry(tx, e)
		if err != nil {
			return err
		}
		return tx.AddKeyRotation(store.KeyRotation{Index: idx, Method: ledger.KeyReference, NewKey: next.ID(),
			OldKey: old.ID(), At: store.Time{Time: now}, OverlapUntil: store.Time{Time: now}})
	})
	if err != nil {
		removeKey(nextPath(path))
		return nil, fmt.Errorf("rotate reference key: %w", err)
	}
	p.Refs = next
	if err := p.Checkpoint(ctx); err != nil {
		return nil, err
	}
	if err := finishMove(path, nextPath(path), RetiredRefPath(path, old.ID()), false); err != nil {
		return nil, fmt.Errorf("rotate reference key: the rotation is recorded, but moving the key files failed (the next start finishes it): %w", err)
	}
	p.Log.Info("reference key rotated", zap.String("old_key_id", old.ID()), zap.String("new_key_id", next.ID()))
	return next, nil
}

// recoverRotations finishes or undoes a rotation interrupted before its
// key files were moved. It runs before the keys are loaded.
func recoverRotations(ctx context.Context, cfg *configs.Config, st *store.Store, log *zap.Logger) error {
	rotations, err := st.KeyRotations(ctx)
	if err != nil {
		return err
	}
	recorded := func(method, key string) (store.KeyRotation, bool) {
		for _, r := range rotations {
			if r.Method == method && r.NewKey == key {
				return r, true
			}
		}
		return store.KeyRotation{}, false
	}
	// Signing key.
	path := cfg.Keys.Signing
	if found, err := present(nextPath(path)); err != nil {
		return err
	} else if found {
		next, err := ledger.LoadSigner(nextPath(path))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return notPermitted(err, nextPath(path))
			}
			return fmt.Errorf("interrupted signing key rotation: %w", err)
		}
		if r, ok := recorded(ledger.KeySigning, next.VerifierKey()); ok {
			oldKey, err := ledger.ParseVerifierKey(r.OldKey)
			if err != nil {
				return err
			}
			if err := finishMove(path, nextPath(path), retiredSigningPath(path, oldKey), true); err != nil {
				return fmt.Errorf("finish interrupted signing key rotation: %w", err)
			}
			log.Warn("finished an interrupted signing key rotation", zap.String("new_key", keyIDOf(next)))
		} else {
			removeKey(nextPath(path))
			log.Warn("removed the key of a signing key rotation that never reached the ledger")
		}
	}
	// Reference key.
	path = cfg.Keys.References
	if found, err := present(nextPath(path)); err != nil {
		return err
	} else if found {
		next, err := ledger.LoadRefKey(nextPath(path))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return notPermitted(err, nextPath(path))
			}
			return fmt.Errorf("interrupted reference key rotation: %w", err)
		}
		if r, ok := recorded(ledger.KeyReference, next.ID()); ok {
			if err := finishMove(path, nextPath(path), RetiredRefPath(path, r.OldKey), false); err != nil {
				return fmt.Errorf("finish interrupted reference key rotation: %w", err)
			}
			log.Warn("finished an interrupted reference key rotation", zap.String("new_key_id", next.ID()))
		} else {
			removeKey(nextPath(path))
			log.Warn("removed the key of a reference key rotation that never reached the ledger")
		}
	}
	return nil
}

// loadRetired loads the retired signing keys whose overlap has not ended.
func loadRetired(ctx context.Context, cfg *configs.Config, st *store.Store, now time.Time, log *zap.Logger) ([]retiredSigner, error) {
	rotations, err := st.KeyRotations(ctx)
	if err != nil {
		return nil, err
	}
	var out []retiredSigner
	for _, r := range rotations {
		if r.Method != ledger.KeySigning || !now.Before(r.OverlapUntil.Time) {
			continue
		}
		oldKey, err := ledger.ParseVerifierKey(r.OldKey)
		if err != nil {
			return nil, err
		}
		s, err := ledger.LoadSigner(retiredSigningPath(cfg.Keys.Signing, oldKey))
		if errors.Is(err, ledger.ErrKeyMissing) {
			log.Warn("retired signing key is gone before its overlap ended; checkpoints are signed by the new key only",
				zap.String("key", oldKey.ID()), zap.Time("overlap_until", r.OverlapUntil.Time))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("retired signing key: %w", err)
		}
		out = append(out, retiredSigner{s, r.OverlapUntil.Time})
	}
	return out, nil
}

// retiredSigner is a rotated-out signing key and the end of its overlap.
type retiredSigner struct {
	s     *ledger.Signer
	until time.Time
}

// RotatedVerifierKeys returns the verifier keys that key rotations retired
// and introduced, for verification and export.
func RotatedVerifierKeys(ctx context.Context, st *store.Store) ([]string, error) {
	rotations, err := st.KeyRotations(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rotations {
		if r.Method == ledger.KeySigning {
			out = append(out, r.OldKey, r.NewKey)
		}
	}
	return out, nil
}

// finishMove moves the current key to retired and next to current, each
// step only if it is still to do, so that it can resume after a crash.
func finishMove(current, next, retired string, withPub bool) error {
	type move struct{ from, to string }
	var moves []move
	if withPub {
		moves = append(moves, move{current + ".pub", retired + ".pub"})
	}
	moves = append(moves, move{current, retired})
	if withPub {
		moves = append(moves, move{next + ".pub", current + ".pub"})
	}
	moves = append(moves, move{next, current})
	for _, m := range moves {
		if !exists(m.from) || exists(m.to) {
			continue
		}
		if err := os.Rename(m.from, m.to); err != nil {
			return err
		}
	}
	if exists(next) {
		return fmt.Errorf("%s is still in place of %s", next, current)
	}
	return nil
}

// present reports whether path exists, for recoverRotations: that it
// cannot tell (permission denied, above all: files that a command run as
// another user left behind) is an error, and never taken for the trace of
// an interrupted rotation.
func present(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, notPermitted(fmt.Errorf("read the keys: %w", err), path)
}

// notPermitted returns err, which concerns path, as a permission error
// that says what to do when it is one; any other error as it is.
func notPermitted(err error, path string) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	me := "this user"
	if u, uerr := user.Current(); uerr == nil {
		me = u.Username
	}
	dir := filepath.Dir(path)
	return fmt.Errorf("%w: retentiond runs as %s, who may not read %s; every file of the state directory must belong to the user the service runs as "+
		"(a command run as root or another user creates files there it cannot use): give them back, e.g. chown -R %s %s", err, me, dir, me, dir)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func removeKey(path string) {
	os.Remove(path)
	os.Remove(path + ".pub")
}

func keyIDOf(s *ledger.Signer) string {
	k, err := ledger.ParseVerifierKey(s.VerifierKey())
	if err != nil {
		return s.Name()
	}
	return k.ID()
}

// isoDays writes d as an ISO 8601 period of whole days, rounded up.
func isoDays(d time.Duration) string {
	days := (d + 24*time.Hour - 1) / (24 * time.Hour)
	return fmt.Sprintf("P%dD", days)
}

// appendEntry marshals and appends one entry in tx and returns its index.
func appendEntry(tx *store.Tx, e ledger.Entry) (int64, error) {
	b, err := e.Marshal()
	if err != nil {
		return 0, fmt.Errorf("encode ledger entry: %w", err)
	}
	return tx.Append(b)
}
