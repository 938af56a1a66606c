package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// Pipeline is everything the scheduler works with. Build it with New.
type Pipeline struct {
	// Config is the configuration in force. A job of the pipeline (a
	// plan, an execution, a command) reads it directly. Only SetConfig
	// replaces it, and the daemon calls SetConfig only while no job runs,
	// so a job sees one configuration from start to end. Code that runs
	// beside the jobs and across a reload (the metrics and health
	// handlers) reads it through CurrentConfig.
	Config *configs.Config
	// configMu orders SetConfig against CurrentConfig.
	configMu sync.RWMutex

	Store  *store.Store
	Signer *ledger.Signer
	Refs   *ledger.RefKey
	// retired are rotated-out signing keys that co-sign checkpoints until
	// their overlap ends.
	retired []retiredSigner
	Clock   Clock
	Log     *zap.Logger
	// Host and Software are recorded in ledger entries.
	Host, Software string
	// Auth is how the person acting through this pipeline (--as) was
	// authenticated, one of ledger.AuthMethods; approvals and retention
	// decisions record it. Empty means "typed".
	Auth string

	// CheckpointItems and CheckpointContainers say how often a listing
	// that reports finished containers (mailboxes) is checkpointed: at the
	// first container boundary after that many items or containers. Zero
	// means 20,000 items or 100 containers.
	CheckpointItems      int64
	CheckpointContainers int

	// Open opens a source's connector; by default Source.Open.
	Open func(ctx context.Context, src configs.Source) (connectors.Connector, error)

	// people caches the index of people from the exports between the
	// imports that change it.
	people peopleCache

	// slice, when non-zero, replaces ExecSlice (benchmarks compare sizes).
	slice int
	// decisions caches what CheckBatchDecisions proved.
	decisions decisionCache
	// execCommits counts the transactions execution committed (tests
	// count them per slice).
	execCommits commitCount
}

// Deps are what New needs beyond the configuration.
type Deps struct {
	Clock    Clock
	Log      *zap.Logger
	Host     string
	Software string
	// MayCreateKeys allows creating missing key files. Only a database with
	// an empty ledger may get new keys: otherwise a lost key must be
	// restored, not silently replaced.
	MayCreateKeys bool
	// StartNewLedger allows starting a new ledger although the signing
	// key signed a previous one (or one was anchored) and the database
	// holding it is lost; AcceptRollback allows continuing from a
	// database older than the last signed checkpoint. Either is recorded
	// in the ledger as decided by Actor. See continuity.go.
	StartNewLedger, AcceptRollback bool
	Actor                          string
	// Auth is how the person acting was authenticated (Pipeline.Auth).
	Auth string
}

// ErrKeyMissing is returned by New when a key file is missing for a
// ledger that already has entries.
var ErrKeyMissing = ledger.ErrKeyMissing

// New opens the store and the keys named in cfg.
func New(ctx context.Context, cfg *configs.Config, deps Deps) (*Pipeline, error) {
	if deps.Clock == nil {
		deps.Clock = SystemClock{}
	}
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	marks, err := readReferences(cfg, deps.Log)
	if err != nil {
		return nil, err
	}
	if err := refuseNewLedger(cfg, deps, marks); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Database, store.Options{Create: true})
	if err != nil {
		if errors.Is(err, store.ErrNotRetentiond) && len(marks) > 0 {
			return nil, fmt.Errorf("%w; ledger %s had %d entries (%s): the database was damaged or replaced: restore it from backup: %w",
				err, cfg.Origin, largest(marks).cp.N, largest(marks).what, ErrLedgerLost)
		}
		return nil, err
	}
	n, err := st.TreeSize(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	mayCreate := n == 0
	if err := recoverRotations(ctx, cfg, st, deps.Log); err != nil {
		st.Close()
		return nil, err
	}
	signer, _, err := ledger.LoadOrCreateSigner(cfg.Keys.Signing, cfg.Origin, nil, mayCreate)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("ledger signing key: %w", err)
	}
	if signer.Name() != cfg.Origin {
		st.Close()
		return nil, fmt.Errorf("the signing key %s is for ledger %q, but the configuration names ledger.origin %q: use the key that belongs to this ledger", cfg.Keys.Signing, signer.Name(), cfg.Origin)
	}
	refs, _, err := ledger.LoadOrCreateRefKey(cfg.Keys.References, nil, mayCreate)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("ledger reference key: %w", err)
	}
	retired, err := loadRetired(ctx, cfg, st, deps.Clock.Now(), deps.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	p := &Pipeline{Config: cfg, Store: st, Signer: signer, retired: retired, Refs: refs, Clock: deps.Clock, Log: deps.Log,
		Host: deps.Host, Software: deps.Software, Auth: deps.Auth}
	p.Open = func(ctx context.Context, src configs.Source) (connectors.Connector, error) {
		return src.Open(ctx, connectors.Env{Source: src.Name, BaseDir: cfg.Dir, Logger: p.Log.Named("connector").With(zap.String("source", src.Name)), Now: p.Clock.Now})
	}
	if err := p.guardContinuity(ctx, deps, marks); err != nil {
		st.Close()
		return nil, err
	}
	if err := p.checkRefKey(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return p, nil
}

// SetConfig puts cfg in force. No job of the pipeline may be running (see
// Config); readers on other goroutines see it through CurrentConfig.
func (p *Pipeline) SetConfig(cfg *configs.Config) {
	p.configMu.Lock()
	defer p.configMu.Unlock()
	p.Config = cfg
}

// CurrentConfig returns the configuration in force. Unlike the Config
// field, it may be read while the daemon reloads the configuration.
func (p *Pipeline) CurrentConfig() *configs.Config {
	p.configMu.RLock()
	defer p.configMu.RUnlock()
	return p.Config
}

// Close closes the store.
func (p *Pipeline) Close() error { return p.Store.Close() }

// entry starts a ledger entry of type t, stamped now.
func (p *Pipeline) entry(t ledger.Type) ledger.Entry {
	return ledger.Entry{Type: t, Time: p.Clock.Now().UTC(), Host: p.Host, Software: p.Software}
}

// appendEntries marshals and appends entries in tx.
func appendEntries(tx *store.Tx, entries ...ledger.Entry) error {
	leaves := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := e.Marshal()
		if err != nil {
			return fmt.Errorf("encode ledger entry: %w", err)
		}
		leaves[i] = b
	}
	_, err := tx.Append(leaves...)
	return err
}

// Checkpoint signs and stores a checkpoint of the ledger if it has grown
// since the last one. The store runs with synchronous=FULL, so everything
// the checkpoint covers is on disk before it is signed.
func (p *Pipeline) Checkpoint(ctx context.Context) error {
	n, err := p.Store.TreeSize(ctx)
	if err != nil {
		return err
	}
	cps, err := p.Store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	if n == 0 || len(cps) > 0 && cps[len(cps)-1].N == n {
		return nil
	}
	h, err := p.Store.TreeHash(ctx, n)
	if err != nil {
		return err
	}
	reset, err := p.checkMarker(ctx, n, h)
	if err != nil {
		return err
	}
	note, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: p.Config.Origin, N: n, Hash: h}, p.signers()...)
	if err != nil {
		return fmt.Errorf("sign checkpoint: %w", err)
	}
	if err := p.Store.AddCheckpoint(ctx, n, note, store.Time{Time: p.Clock.Now()}); err != nil {
		return err
	}
	if err := writeMarker(MarkerPath(p.Config), note, reset); err != nil {
		return err
	}
	p.Log.Debug("checkpoint signed", zap.Int64("tree_size", n))
	return nil
}

// signers are the keys that sign a checkpoint now: the current one and the
// retired ones whose overlap has not ended.
func (p *Pipeline) signers() []*ledger.Signer {
	out := []*ledger.Signer{p.Signer}
	now := p.Clock.Now()
	for _, r := range p.retired {
		if now.Before(r.until) {
			out = append(out, r.s)
		}
	}
	return out
}

// today is the policy date now.
func (p *Pipeline) today() policies.Date {
	return p.CurrentConfig().Policies.Today(p.Clock.Now())
}

// policyEnv is what decisions on day depend on besides the items: the
// holds in force, and the people from the school-system exports with the
// holds their pending cases make.
func (p *Pipeline) policyEnv(ctx context.Context, day policies.Date) (*policies.Env, error) {
	holds, released, err := p.holds(ctx)
	if err != nil {
		return nil, err
	}
	subjects, err := p.subjects(ctx)
	if err != nil {
		return nil, err
	}
	env := &policies.Env{Today: day, Holds: append(holds, subjects.Holds...), Released: released, Subjects: subjects}
	if !slices.ContainsFunc(p.Config.Sources, isSubjectKind) {
		env.Subjects = nil // reasons then say that no export is configured
	}
	return env, nil
}

// holds returns the active holds as the policy engine sees them, and the
// released evidence holds, whose footage is due at once.
func (p *Pipeline) holds(ctx context.Context) (active, released []*policies.Hold, err error) {
	stored, err := p.Store.Holds(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range stored {
		if h.ReleasedAt != nil && !h.Evidence {
			continue
		}
		ph, err := p.policyHold(h)
		if err != nil {
			return nil, nil, err
		}
		if h.ReleasedAt != nil {
			ph.Released = p.Config.Policies.Today(h.ReleasedAt.Time)
			released = append(released, ph)
			continue
		}
		active = append(active, ph)
	}
	return active, released, nil
}

func (p *Pipeline) policyHold(h store.Hold) (*policies.Hold, error) {
	ph := &policies.Hold{ID: h.ID, Reason: h.Reason, Owner: h.Owner, Source: h.Source, Ref: h.Ref, Subject: h.Subject}
	if h.Path != "" {
		pat, err := policies.CompilePattern(h.Path, true)
		if err != nil {
			return nil, fmt.Errorf("hold %s: %w", h.ID, err)
		}
		ph.Path = pat
	}
	if h.Until != "" {
		d, err := policies.ParseDate(h.Until)
		if err != nil {
			return nil, fmt.Errorf("hold %s: %w", h.ID, err)
		}
		ph.Until = d
	}
	for _, w := range []struct {
		s string
		t *time.Time
	}{{h.RecordedFrom, &ph.RecordedFrom}, {h.RecordedUntil, &ph.RecordedUntil}} {
		if w.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, w.s)
		if err != nil {
			return nil, fmt.Errorf("hold %s: recording window: %w", h.ID, err)
		}
		*w.t = t
	}
	ph.Evidence = h.Evidence
	return ph, nil
}

// lockSource takes the per-source lock that keeps two planners or executors
// (the daemon and an operator's command) from working on one source at once.
func (p *Pipeline) lockSource(ctx context.Context, source string) (func(), error) {
	dir := filepath.Join(filepath.Dir(p.Config.Database), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	l := flock.New(filepath.Join(dir, "source-"+strings.ReplaceAll(source, string(filepath.Separator), "_")+".lock"))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock source %q: %w", source, err)
	}
	if !ok {
		return nil, fmt.Errorf("source %q: %w", source, ErrBusy)
	}
	return func() { l.Unlock() }, nil
}

// ErrBusy is returned when another process is planning or executing the
// same source.
var ErrBusy = errors.New("another retentiond process is working on it; try again when it has finished")

// Identity is how the person acting in one call was authenticated: the
// web console puts the sign-in's into each request's context
// (WithIdentity); otherwise Pipeline.Auth (the command line's) applies.
type Identity struct {
	Method string // one of ledger.AuthMethods
	// Subject is a reference (Refs.Ref) of the issuer and subject of an
	// OIDC sign-in, "" for other methods.
	Subject string
	// Person is the configured person who signed in; AppRoles says that
	// their identity provider gave them Roles at sign-in (Entra app
	// roles, web.oidc.app_roles): for what this Person does under this
	// identity, Roles replace the roles the configuration gives them.
	Person   string
	AppRoles bool
	Roles    []string
}

type identityKey struct{}

// WithIdentity returns ctx carrying id for the decisions taken under it.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// identity is how the person acting under ctx was authenticated.
func (p *Pipeline) identity(ctx context.Context) Identity {
	if id, ok := ctx.Value(identityKey{}).(Identity); ok && id.Method != "" {
		return id
	}
	if p.Auth == "" {
		return Identity{Method: "typed"}
	}
	return Identity{Method: p.Auth}
}

// Person returns the configured person id as they act under ctx: with
// the roles their identity provider gave them at sign-in when ctx carries
// such an identity of theirs (Identity.AppRoles), else with the roles the
// configuration gives them.
func (p *Pipeline) Person(ctx context.Context, id string) (configs.Person, bool) {
	who, ok := p.Config.Person(id)
	if !ok {
		return who, false
	}
	if idt, _ := ctx.Value(identityKey{}).(Identity); idt.AppRoles && idt.Person == id {
		who.Roles = slices.Clone(idt.Roles)
	}
	return who, true
}

// signed sets on e how its actor, acting under ctx, was authenticated.
func (p *Pipeline) signed(ctx context.Context, e *ledger.Entry) {
	id := p.identity(ctx)
	e.Auth, e.Identity = id.Method, id.Subject
}
