// Package anchor sends signed ledger checkpoints out of the host: to a
// directory (a share the data protection officer owns) and by e-mail. A
// checkpoint kept where the host's administrators cannot rewrite it lets a
// later verification detect a rewritten history even if whoever rewrote it
// had the signing key (retentiond ledger verify --anchor).
package anchor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Checkpoint is a signed checkpoint to anchor.
type Checkpoint struct {
	Origin string
	N      int64
	Note   []byte // the signed note, verbatim
	At     time.Time
}

// Target sends checkpoints out of the host.
//
// Send delivers cp or returns an error; it never reports success for a
// partial delivery. Sending the same checkpoint again is harmless. Send
// must not alter cp.Note.
type Target interface {
	// Name identifies the target in logs and records, without secrets,
	// e.g. "dir:/mnt/dpo/anchors" or "smtp:dpo@school.dk".
	Name() string
	Send(ctx context.Context, cp Checkpoint) error
}

// ErrConflict is wrapped by a Dir target's error when the directory
// already holds a different checkpoint of the same size: two histories of
// the ledger were signed.
var ErrConflict = errors.New("a different checkpoint of the same size was anchored before")

// Result is the outcome of sending to one target.
type Result struct {
	Target string
	Err    error
}

// SendAll sends cp to every target, each regardless of the others'
// failures, and returns one result per target.
func SendAll(ctx context.Context, targets []Target, cp Checkpoint, log *zap.Logger) []Result {
	out := make([]Result, 0, len(targets))
	for _, t := range targets {
		err := t.Send(ctx, cp)
		if err != nil {
			err = fmt.Errorf("anchor checkpoint %d to %s: %w", cp.N, t.Name(), err)
			log.Error("anchoring failed", zap.String("target", t.Name()), zap.Int64("tree_size", cp.N), zap.Error(err))
		} else {
			log.Info("checkpoint anchored", zap.String("target", t.Name()), zap.Int64("tree_size", cp.N))
		}
		out = append(out, Result{Target: t.Name(), Err: err})
	}
	return out
}

// FileName is the name an anchored checkpoint gets: the origin with
// characters other than letters, digits, '-' and '.' replaced by '_', and
// the size padded to 12 digits, so that names sort by size.
func FileName(origin string, n int64) string {
	b := []byte(origin)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return fmt.Sprintf("%s-%012d.checkpoint", b, n)
}
