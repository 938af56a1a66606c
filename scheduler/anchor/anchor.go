// Package anchor sends signed ledger checkpoints out of the host: to a
// directory (a share the data protection officer owns, possibly an SMB or
// NFS mount) and by e-mail. A checkpoint kept where the host's
// administrators cannot rewrite it lets a later verification detect a
// rewritten history even if whoever rewrote it had the signing key
// (retentiond ledger verify --anchor FILE).
//
// The e-mail target uses the standard library's net/smtp client rather
// than a third-party mail library such as github.com/wneessen/go-mail. The
// package is frozen, which here means stable: it is maintained with Go
// itself (security fixes included), adds no dependency to a tool whose job
// is evidence, and covers the whole protocol needed for one message
// (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA). What it lacks is small and
// written here: context cancellation (connection deadlines), the LOGIN
// mechanism, and the MIME message, which is built with mime/multipart so
// that the attached checkpoint is byte-exact and the Date and Message-ID
// headers come from the checkpoint's time.
package anchor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Checkpoint is a signed checkpoint to anchor.
type Checkpoint struct {
	Origin string    // the ledger's origin line, e.g. "skole.example/ledger"
	N      int64     // the tree size the checkpoint covers
	Note   []byte    // the signed note (C2SP tlog-checkpoint), verbatim
	At     time.Time // when the checkpoint was signed; the e-mail's Date
}

// check rejects a checkpoint no target can send faithfully.
func (cp Checkpoint) check() error {
	switch {
	case strings.TrimSpace(cp.Origin) == "":
		return errors.New("checkpoint has no origin")
	case strings.ContainsFunc(cp.Origin, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("checkpoint origin %q has a control character", cp.Origin)
	case cp.N < 0:
		return fmt.Errorf("checkpoint size %d is negative", cp.N)
	case len(cp.Note) == 0:
		return errors.New("checkpoint has an empty note")
	}
	return nil
}

// Target sends signed checkpoints out of the host.
//
// Implementations must be safe for concurrent use by several goroutines.
type Target interface {
	// Name identifies the target in logs and in the ledger's record of
	// what was anchored where, e.g. "dir:/mnt/dpo/anchors" or
	// "smtp:dpo@school.dk". It never contains a secret. It must stay the
	// same for the same configuration from one release to the next:
	// records of earlier deliveries are looked up by it.
	Name() string

	// Send delivers cp out of the host, or returns an error. It never
	// reports success for a partial delivery: a nil error means the whole
	// note was written durably (a directory) or accepted by the relay for
	// every recipient (e-mail).
	//
	// Sending the same checkpoint again is harmless: a directory keeps
	// one file, a mail recipient gets another copy. A target that can
	// see an earlier, different checkpoint of the same origin and size
	// must not replace it and must return an error wrapping ErrConflict:
	// that is the sign of a rewritten history.
	//
	// Send returns promptly when ctx is cancelled, with an error that
	// wraps ctx's. It must not modify cp.Note.
	Send(ctx context.Context, cp Checkpoint) error
}

// ErrConflict is wrapped by a target's error when it already holds a
// different checkpoint of the same origin and size: two histories of the
// ledger were signed.
var ErrConflict = errors.New("a different checkpoint of the same size was anchored before")

// Result is the outcome of sending to one target.
type Result struct {
	Target string // the target's Name
	Err    error  // nil if the checkpoint was delivered
}

// SendAll sends cp to every target in order, each regardless of the
// others' failures, and returns one result per target, in the same order.
// A nil log logs nothing.
func SendAll(ctx context.Context, targets []Target, cp Checkpoint, log *zap.Logger) []Result {
	if log == nil {
		log = zap.NewNop()
	}
	out := make([]Result, 0, len(targets))
	for _, t := range targets {
		name := t.Name()
		err := t.Send(ctx, cp)
		if err != nil {
			err = fmt.Errorf("anchor checkpoint %d to %s: %w", cp.N, name, err)
			log.Error("anchoring failed", zap.String("target", name), zap.String("origin", cp.Origin),
				zap.Int64("tree_size", cp.N), zap.Bool("conflict", errors.Is(err, ErrConflict)), zap.Error(err))
		} else {
			log.Info("checkpoint anchored", zap.String("target", name), zap.String("origin", cp.Origin), zap.Int64("tree_size", cp.N))
		}
		out = append(out, Result{Target: name, Err: err})
	}
	return out
}

// Errors joins the errors of results; nil if every target succeeded.
func Errors(results []Result) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// FileName is the name an anchored checkpoint gets, in a directory and as
// an e-mail attachment: the origin with every character other than ASCII
// letters, digits, '-' and '.' replaced by '_', a '-', and the size padded
// to 12 digits so that names sort by size, then ".checkpoint". For
// example "skole.example/ledger" at size 42 gives
// "skole.example_ledger-000000000042.checkpoint".
//
// The mapping must never change: a directory target detects a second
// history only because both checkpoints of a size get the same name.
func FileName(origin string, n int64) string {
	b := []byte(origin)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return fmt.Sprintf("%s-%012d.checkpoint", b, n)
}
