// Package connectors defines the contract between retentiond and the systems
// that hold personal data: file shares, mailboxes, recording folders, exports.
//
// A connector lists items and deletes the ones it is told to delete. It never
// decides what is due (that is package policies) and never sees plans,
// approvals or the ledger (that is package store). Every implementation must
// pass the conformance suite in connectors/connectortest.
package connectors

import (
	"context"
	"time"
)

// Connector is one configured source of items.
//
// Implementations must be safe for use by one goroutine at a time; the
// scheduler never calls a connector concurrently with itself, except for
// DeleteBatch on a connector that implements ConcurrentDeleter. Errors returned
// by any method should be, or wrap, an *Error so that callers can classify
// them with CodeOf; bare errors are classified CodeOther.
type Connector interface {
	// Location describes the source for humans and logs, e.g.
	// "fileshare:/srv/share". It must not contain secrets.
	Location() string

	// List calls fn once for every item in the source that matches opts, in
	// a deterministic order, without building the whole listing in memory.
	// When fn returns an error, List stops and returns that error unwrapped.
	//
	// fn is called in the goroutine that called List. The Item passed to fn
	// may be retained by fn.
	//
	// If the source itself cannot be read (root missing, permission denied,
	// share unreachable), List must return an error and must not report the
	// source as empty. If only parts of it could not be read, List lists
	// everything else and then returns an *IncompleteError naming the parts
	// it skipped; callers may use what was listed, but must treat items in
	// the skipped parts as unknown (never as absent).
	List(ctx context.Context, opts ListOptions, fn func(Item) error) error

	// Stat returns the current state of the item with the given ref. If the
	// item does not exist, the error has CodeNotFound. A ref that could not
	// have been produced by List (malformed, escaping the source) gives an
	// error with CodeInvalid.
	Stat(ctx context.Context, ref string) (Item, error)

	// DeleteBatch deletes the targets and returns exactly one Result per
	// target, in the order given. An item that is already absent is a
	// result (OutcomeAbsent), not an error. An item whose current version
	// differs from Target.Version must not be deleted (OutcomeChanged); the
	// version check must happen as close to the deletion as the system
	// allows. Deletion must be effective: where the system keeps a recycle
	// bin, the implementation purges, and says so in Result.Method.
	//
	// The returned error is reserved for failures that prevented the
	// connector from producing results at all (e.g. the source became
	// unreachable before the first target); in that case the results are nil
	// and nothing was deleted. Per-target failures are reported in their
	// Result. Implementations must stop early when ctx is cancelled and
	// report the targets they did not attempt as OutcomeFailed with
	// CodeCancelled.
	DeleteBatch(ctx context.Context, targets []Target) ([]Result, error)

	// Close releases resources held by the connector.
	Close() error
}

// Pruner is implemented by connectors whose items live in containers that
// may be removed once empty (folders on a file share). It is optional.
type Pruner interface {
	// PruneEmpty removes each of the given containers if it is empty, and
	// then each of its ancestors that became empty, but never stopAt
	// itself, anything above it, or the source's root. Containers that are
	// not empty, or that do not exist, are left alone without error. It
	// returns the refs of the containers it removed, deepest first.
	PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error)
}

// Archiver is implemented by connectors that can move items into a
// restricted archive inside the same source, for data under archive duty
// (personnel files of staff born on the 1st of a month, managers). It is
// optional; without it such items are planned but never moved.
type Archiver interface {
	// Archive moves each target to the ref dest + "/" + target.Ref,
	// creating folders as needed. dest is a container ref inside the
	// source and never inside a target's own path. As DeleteBatch, it
	// returns one result per target in order: OutcomeArchived when the
	// item is now in the archive (also when an earlier call moved it and
	// the archived copy has the target's version), OutcomeAbsent when it
	// is neither at its ref nor in the archive, OutcomeChanged when its
	// version differs, and OutcomeFailed, with an error, when it cannot be
	// moved; an item already at the destination with another version is
	// never overwritten but fails with CodeConflict. The error return is
	// as for DeleteBatch: set only when nothing was attempted.
	Archive(ctx context.Context, targets []Target, dest string) ([]Result, error)
}

// Owners is implemented by connectors that know who owns an item (the
// owner of a file), for notices to owners before deletion. It is
// optional; without it owner notices go to the operators.
type Owners interface {
	// Owner returns the account that owns the item with the given ref, as
	// the system names it ("anna", `SKOLE\anna`), or "" when the item has
	// no owner the system can name (a deleted account). Errors are as for
	// Stat.
	Owner(ctx context.Context, ref string) (string, error)
}

// ConcurrentDeleter is implemented by connectors whose DeleteBatch may be
// called from several goroutines at once, each call with different
// targets: connectors that spend most of a call waiting on a remote
// service (mailboxes over Graph). It is optional; the scheduler calls
// other connectors' DeleteBatch one call at a time.
type ConcurrentDeleter interface {
	// DeleteConcurrency returns how many DeleteBatch calls may be in
	// flight at once; at least 1. Limits the system imposes across calls
	// (requests per mailbox, a request budget) remain the connector's to
	// enforce: the caller only bounds the number of calls.
	DeleteConcurrency() int
}

// BatchStater is implemented by connectors that can read many items in
// far fewer round trips than a Stat each (mailboxes: JSON batches of 20
// messages). It is optional; a reconciliation after an interrupted
// execution asks about a whole slice through it, and otherwise calls Stat
// for each item.
type BatchStater interface {
	// StatBatch returns, for each of refs in order, what Stat would: the
	// item, or an error classified as Stat's would be (CodeNotFound for
	// an item that is absent, CodeInvalid for a ref the connector refuses,
	// CodeCancelled once ctx has ended). One item's error does not stop
	// the others from being read.
	StatBatch(ctx context.Context, refs []string) []StatResult
}

// StatResult is what StatBatch found for one ref.
type StatResult struct {
	Item Item
	Err  error
}

// StableRefs is implemented by connectors some of whose refs name one
// item for its whole life: an id the system never gives to another item
// (an immutable Graph message id, a Gmail message id), unlike a path,
// where a new file may take a deleted one's place. It is optional; without
// it every ref is taken to be a path.
//
// It decides what a reconciliation after a crash makes of an item found
// at another version than the one approved: at a path, the approved
// version may have been deleted and another put in its place; at a stable
// ref, it is the approved item, changed since, and so not deleted.
type StableRefs interface {
	// StableRef reports whether ref names one item for its whole life. It
	// is cheap and does not reach the source; a ref the connector could
	// not have produced is not stable.
	StableRef(ref string) bool
}

// ContainerChunker is implemented by connectors whose deletions the
// system limits per container (requests per mailbox or per user, as
// Graph and Gmail do) rather than per source: splitting one container's
// items over several DeleteBatch calls only adds each call's own round
// trips (re-checking versions, verifying absence), while different
// containers go faster side by side. It is optional, and only a hint on
// how the caller groups targets: every call still re-checks versions and
// verifies absence, and the caller still re-reads holds and approvals
// before every call.
type ContainerChunker interface {
	// ContainerChunking returns how the caller groups a plan's items for
	// deletion.
	ContainerChunking() ContainerChunking
}

// ContainerChunking is how a plan's items are grouped for a connector
// that implements ContainerChunker.
type ContainerChunking struct {
	// MinItems: a chunk of a plan that holds at least this many items
	// ends where a container ends (1: every container starts a chunk of
	// its own). Small containers share a chunk up to MinItems items, so
	// that a source of many near-empty mailboxes is not cut into as many
	// chunks; a large container's items form chunks of their own, and a
	// ConcurrentDeleter's chunks run side by side, one container each.
	// Values below 1 mean 1.
	MinItems int

	// CallItems is the most targets the caller hands to one DeleteBatch
	// call (0: the caller's default). It is best a multiple of the
	// system's batch of requests (20 steps per Graph JSON batch) and
	// large enough that a call's fixed round trips are few against its
	// deletions; it also bounds the work between two re-reads of holds
	// and approvals, so it should not be much larger than that.
	CallItems int
}

// Item is one thing a connector lists: a file, a mail message, a recording.
type Item struct {
	// Ref identifies the item within its source. It is stable: listing an
	// unchanged source twice yields the same refs. For file shares it is the
	// slash-separated path relative to the root.
	Ref string

	// Version changes whenever the item is modified. It is opaque and
	// compared only for equality (size+mtime+file id, an ETag, a changeKey).
	Version string

	// Container is the ref of the folder or mailbox holding the item, or ""
	// at the top of the source.
	Container string

	// Kind is what the item is: KindFile, KindMessage, KindRecording.
	Kind string

	// Size in bytes; -1 if unknown.
	Size int64

	// The item's own dates; zero when the system does not know them.
	Modified time.Time
	Created  time.Time
	Received time.Time // mail: when it arrived
	Recorded time.Time // recordings: when the recording started

	// RecordedFrom says where Recorded came from when it is set, as a
	// phrase policies quote in reasons: "from the file name", "from the
	// modification time: the name has no time".
	RecordedFrom string

	// Labels are categories or flags the system attaches to the item
	// (Outlook categories, "contains CPR number"). May be nil.
	Labels []string
}

// Kinds of item.
const (
	KindFile      = "file"
	KindMessage   = "message"
	KindRecording = "recording"
)

// ListOptions narrows a listing. The zero value lists everything.
type ListOptions struct {
	// Prefix, when set, restricts the listing to refs inside the container
	// with this ref. A connector that cannot restrict lists everything.
	Prefix string

	// ReceivedBefore, when set, says the caller needs only messages
	// received before this instant: no rule could make a younger one due.
	// Connectors that can filter on receipt (mailboxes) skip younger
	// messages; others ignore it.
	ReceivedBefore time.Time

	// ContainerDone, when set, is called by connectors that list container
	// by container (mailboxes) once every item of a container has been
	// passed to fn, with a nil error, or once the container failed, with
	// the error that the final *IncompleteError also holds. It is called in
	// fn's goroutine, once per container listed, never for a container in
	// Skip. Callers use it to checkpoint a long listing; connectors that
	// list a tree never call it.
	ContainerDone func(container string, err error)

	// Ignored, when set, is called by connectors that leave files of
	// their source out of the listing on purpose because they are not
	// what the connector manages (a recorder's folder holding documents:
	// only recordings are listed), with each such file's ref and why, in
	// fn's goroutine. Such files are never passed to fn, so no rule can
	// select them; callers count and report them.
	Ignored func(ref, why string)

	// Skip holds containers a resumed listing already has. Connectors that
	// call ContainerDone list nothing of them; others ignore Skip.
	Skip map[string]bool
}

// Target is an item the caller wants deleted, at the version it was planned.
type Target struct {
	Ref     string
	Version string
}

// Outcome is what happened to one target of DeleteBatch.
type Outcome int

const (
	// OutcomeDeleted: the item existed at the expected version and is gone.
	OutcomeDeleted Outcome = iota + 1
	// OutcomeAbsent: the item was already absent; nothing was done.
	OutcomeAbsent
	// OutcomeChanged: the item's version differed; it was not touched.
	OutcomeChanged
	// OutcomeHeld: the system itself keeps the item despite the deletion
	// (e.g. a litigation hold on a mailbox); it must not be reported as
	// destroyed.
	OutcomeHeld
	// OutcomeFailed: the deletion failed; Result.Err says why.
	OutcomeFailed
	// OutcomeArchived: Archiver.Archive moved the item into the archive.
	OutcomeArchived
)

var outcomeNames = [...]string{
	OutcomeDeleted:  "deleted",
	OutcomeAbsent:   "absent",
	OutcomeChanged:  "changed",
	OutcomeHeld:     "held",
	OutcomeFailed:   "failed",
	OutcomeArchived: "archived",
}

func (o Outcome) String() string {
	if o > 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Result is the outcome for one Target.
type Result struct {
	Ref     string
	Outcome Outcome
	// Method names how the item was removed: "delete", "purge", "archive".
	Method string
	// Err is set when Outcome is OutcomeFailed or OutcomeHeld.
	Err error
}
