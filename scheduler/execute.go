package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// ExecuteResult sums up the execution of one batch.
type ExecuteResult struct {
	Batch   int64
	Method  string // store.MethodDelete or store.MethodArchive
	Deleted int64  // deleted (or archived) now, or found so after an interrupted run
	Skipped int64  // changed, already absent, held, no longer due
	Failed  int64
	Pruned  int64 // empty folders removed
	// Stopped is set when a person's decision stopped the batch while it
	// ran (it was rejected): what was deleted before stays recorded, the
	// rest is not touched. It says who decided and why.
	Stopped string
	Err     error // why the batch was not (fully) executed
}

// ExecSlice is the most items handed to a connector under one intent.
// Before each slice, in the transaction that writes its intent, the batch's
// status, its approvals (and their entries in the signed ledger) and the
// holds are read again: a rejection or a hold placed while a batch runs
// stops everything but the slice in flight.
const ExecSlice = 256

// sliceSize is ExecSlice, or the size a benchmark set.
func (p *Pipeline) sliceSize() int {
	if p.slice > 0 {
		return p.slice
	}
	return ExecSlice
}

// Execute executes every approved batch (or only batch id, when non-zero)
// and returns a result per batch. A batch whose policy changed, whose
// stored items no longer match the fingerprint that was approved, or
// whose source cannot be opened is not touched.
//
// The list of batches is only a list of candidates: whether a batch may
// run is decided again under its source's lock, and before every slice of
// its items, from what the database says then.
func (p *Pipeline) Execute(ctx context.Context, id int64, executor string) ([]ExecuteResult, error) {
	if err := p.Reconcile(ctx); err != nil {
		return nil, err
	}
	var batches []store.Batch
	if id != 0 {
		b, err := p.Store.Batch(ctx, id)
		if err != nil {
			return nil, err
		}
		if b.Status != store.StatusApproved && b.Status != store.StatusExecuting {
			return nil, fmt.Errorf("batch %d is %s, not approved: %w", id, b.Status, ErrState)
		}
		batches = []store.Batch{*b}
	} else {
		var err error
		if batches, err = p.Store.Batches(ctx, store.StatusApproved, store.StatusExecuting); err != nil {
			return nil, err
		}
		slices.Reverse(batches) // oldest first
	}
	var results []ExecuteResult
	for i := range batches {
		if ctx.Err() != nil {
			break
		}
		r, ran := p.executeBatch(ctx, &batches[i], executor)
		if !ran && id != 0 {
			r.Err = fmt.Errorf("batch %d was executed meanwhile by another run: %w", id, ErrState)
		}
		if ran || id != 0 {
			results = append(results, r)
		}
	}
	return results, ctx.Err()
}

// chunkRun is the work on one chunk of a batch.
type chunkRun struct {
	b        *store.Batch
	rule     *policies.Rule
	src      configs.Source
	conn     connectors.Connector
	executor string
	// withdrawn are the items withdrawn from the batch before it began
	// (by ref, why): no item is withdrawn from a batch once it runs, so
	// they are read once, after the batch became executing.
	withdrawn map[string]string
}

// StoppedError is returned when a batch may no longer run because a
// person decided otherwise after it started (or after it was listed): it
// was rejected, or it is no longer approved.
type StoppedError struct {
	Batch  int64
	Status string // the batch's status now
	Note   string // who decided, and why
}

func (e *StoppedError) Error() string {
	if e.Note != "" {
		return fmt.Sprintf("batch %d is %s (%s)", e.Batch, e.Status, e.Note)
	}
	return fmt.Sprintf("batch %d is %s", e.Batch, e.Status)
}

// Is makes a StoppedError an ErrState.
func (e *StoppedError) Is(target error) bool { return target == ErrState }

// executeBatch executes one batch. It reports ran false when the batch,
// once read again under its source's lock, turned out not to be for this
// run (another process executed it, or it was decided otherwise before it
// began): such a batch is no longer the caller's concern.
func (p *Pipeline) executeBatch(ctx context.Context, listed *store.Batch, executor string) (res ExecuteResult, ran bool) {
	b := listed
	res.Batch, res.Method = b.ID, b.Method
	log := p.Log.With(zap.Int64("batch", b.ID), zap.String("source", b.Source), zap.String("rule", b.Rule))
	fail := func(err error) (ExecuteResult, bool) {
		res.Err = err
		log.Error("batch not executed", zap.Error(err))
		return res, true
	}
	rule, err := p.batchRule(b)
	if err != nil {
		return fail(err)
	}
	src, ok := p.Config.Source(b.Source)
	if !ok {
		return fail(fmt.Errorf("batch %d: source %q is no longer configured", b.ID, b.Source))
	}
	fp, n, err := p.Store.Fingerprint(ctx, b.ID)
	if err != nil {
		return fail(err)
	}
	if fp != b.Fingerprint || n != b.Items {
		return fail(fmt.Errorf("batch %d: stored items do not match the approved fingerprint; refusing to execute: %w", b.ID, ErrState))
	}
	unlock, err := p.lockSource(ctx, b.Source)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	// Nothing is recorded for a batch whose approvals are not those of the
	// signed ledger, not even that its execution started. (A refusal for
	// another reason, such as a rejection, is decided from the status.)
	if _, err := p.CheckBatchDecisions(ctx, b); errors.Is(err, ErrLedgerTampered) {
		return fail(err)
	}
	// Under the lock: what the batch is now, not what it was when listed.
	b, started, err := p.startExecution(ctx, b, rule, executor)
	if stop := (*StoppedError)(nil); errors.As(err, &stop) {
		if stop.Status == store.StatusDone {
			log.Info("batch was executed meanwhile by another run")
			return res, false
		}
		// Decided otherwise after it was listed: nothing of it runs.
		res.Stopped = stop.Error()
		log.Warn("batch not executed: decided otherwise before it began", zap.String("status", stop.Status))
		return res, true
	}
	if err != nil {
		return fail(err)
	}
	withdrawn, err := p.Store.Withdrawn(ctx, b.ID)
	if err != nil {
		return fail(err)
	}
	conn, err := p.Open(ctx, src)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	run := &chunkRun{b: b, rule: rule, src: src, conn: conn, executor: executor, withdrawn: withdrawn}
	parallel := 1
	if cd, ok := conn.(connectors.ConcurrentDeleter); ok {
		parallel = max(1, cd.DeleteConcurrency())
	}
	log.Info("executing batch", zap.Int64("items", b.Items), zap.Int("parallel_chunks", parallel), zap.Bool("resumed", !started))
	var (
		mu         sync.Mutex
		containers []string
	)
	// Chunks run one at a time share one slicer, so that a chunk's last
	// slice is recorded with the next chunk's first intent; chunks run in
	// parallel have one each.
	seq := &slicer{p: p, run: run}
	_, byContainer := conn.(connectors.ContainerChunker)
	err = p.eachChunk(ctx, b.ID, parallel, byContainer, func(c store.Chunk, done int) error {
		s := seq
		if parallel > 1 {
			s = &slicer{p: p, run: run}
		}
		for from := done; from < len(c.Items); {
			until := min(from+p.callSize(run.conn), len(c.Items))
			cr, err := s.next(ctx, c, from, until)
			mu.Lock()
			res.Deleted += cr.deleted
			res.Skipped += cr.skipped
			res.Failed += cr.failed
			containers = append(containers, cr.emptied...)
			mu.Unlock()
			if err != nil {
				return err
			}
			from = until
		}
		if s != seq {
			return s.flush(ctx, nil)
		}
		return nil
	})
	err = seq.flush(ctx, err)
	if err == nil && rule.PruneEmpty && len(containers) > 0 {
		var pruned int64
		pruned, err = p.prune(ctx, run, containers)
		res.Pruned = pruned
	}
	var stop *StoppedError
	if errors.As(err, &stop) {
		// A person decided while the batch ran: record that it stopped,
		// and why, once.
		if recErr := p.recordStopped(context.WithoutCancel(ctx), b, stop, executor); recErr != nil {
			return fail(errors.Join(err, recErr))
		}
		res.Stopped = stop.Error()
		log.Warn("execution stopped by a decision taken while it ran", zap.String("status", stop.Status), zap.Int64("deleted", res.Deleted))
		if cpErr := p.Checkpoint(context.WithoutCancel(ctx)); cpErr != nil {
			return fail(cpErr)
		}
		return res, true
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			log.Info("execution interrupted; it resumes on the next run")
		}
		if cpErr := p.Checkpoint(context.WithoutCancel(ctx)); cpErr != nil {
			log.Error("checkpoint failed", zap.Error(cpErr))
		}
		return fail(err)
	}
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ChangeStatus(b.ID, []string{store.StatusExecuting}, store.StatusDone, "", p.Clock.Now()); err != nil {
			return err
		}
		cur, err := tx.Batch(b.ID)
		if err != nil {
			return err
		}
		e := p.entry(ledger.TypeExecutionFinished)
		e.Batch, e.Rule, e.Plan, e.Source, e.Items, e.Actor, e.Role = b.ID, b.Rule, b.Fingerprint, b.Source, cur.Deleted, executor, configs.RoleOperator
		p.signedIfGiven(ctx, &e)
		return appendEntries(tx, e)
	})
	if errors.Is(err, store.ErrStatusChanged) {
		// Rejected after the last slice was recorded: nothing was left to
		// delete, but the batch is not "done".
		cur, rErr := p.Store.Batch(context.WithoutCancel(ctx), b.ID)
		if rErr == nil {
			stop := &StoppedError{Batch: b.ID, Status: cur.Status, Note: cur.StatusNote}
			if recErr := p.recordStopped(context.WithoutCancel(ctx), b, stop, executor); recErr == nil {
				res.Stopped = stop.Error()
				return res, true
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	if err := p.Checkpoint(ctx); err != nil {
		return fail(err)
	}
	log.Info("batch executed", zap.Int64("deleted", res.Deleted), zap.Int64("skipped", res.Skipped), zap.Int64("failed", res.Failed), zap.Int64("pruned", res.Pruned))
	return res, true
}

// startExecution decides, in one write transaction under the source's
// lock, whether batch b runs now: an approved batch whose approvals are
// complete becomes executing (a compare-and-set) and its execution_started
// entry is written; an executing batch (an earlier run was interrupted)
// resumes. Anything else is a StoppedError. It returns the batch as it is
// now, and whether this call started it.
func (p *Pipeline) startExecution(ctx context.Context, listed *store.Batch, rule *policies.Rule, executor string) (*store.Batch, bool, error) {
	var (
		b       *store.Batch
		started bool
	)
	err := p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if b, err = tx.Batch(listed.ID); err != nil {
			return err
		}
		switch b.Status {
		case store.StatusExecuting:
			return nil
		case store.StatusApproved:
		default:
			return &StoppedError{Batch: b.ID, Status: b.Status, Note: b.StatusNote}
		}
		if err := p.checkApproved(tx, b, rule); err != nil {
			return err
		}
		if err := tx.ChangeStatus(b.ID, []string{store.StatusApproved}, store.StatusExecuting, "", p.Clock.Now()); err != nil {
			return err
		}
		b.Status, started = store.StatusExecuting, true
		e := p.entry(ledger.TypeExecutionStarted)
		e.Batch, e.Rule, e.Plan, e.Source, e.Items, e.Actor, e.Role = b.ID, b.Rule, b.Fingerprint, b.Source, b.Items, executor, configs.RoleOperator
		p.signedIfGiven(ctx, &e)
		return appendEntries(tx, e)
	})
	return b, started, err
}

// checkApproved refuses a batch whose approvals, read in tx, are not
// complete. (That they are those of the signed ledger is
// CheckBatchDecisions's part, which reads outside the transaction.)
func (p *Pipeline) checkApproved(tx *store.Tx, b *store.Batch, rule *policies.Rule) error {
	as, err := tx.Approvals(b.ID)
	if err != nil {
		return err
	}
	if st := approvalState(rule, b, as); !rule.Approval.Automatic() && !st.Complete {
		return fmt.Errorf("batch %d: approvals are incomplete: %w", b.ID, ErrState)
	}
	return nil
}

// recordStopped writes the execution_stopped entry of a batch that a
// decision stopped while it ran.
func (p *Pipeline) recordStopped(ctx context.Context, b *store.Batch, stop *StoppedError, executor string) error {
	return p.Store.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.Batch(b.ID)
		if err != nil {
			return err
		}
		e := p.entry(ledger.TypeExecutionStopped)
		e.Batch, e.Rule, e.Plan, e.Source, e.Items, e.Actor, e.Role = b.ID, b.Rule, b.Fingerprint, b.Source, cur.Deleted, executor, configs.RoleOperator
		p.signedIfGiven(ctx, &e)
		e.Reason = "the batch is " + stop.Status
		return appendEntries(tx, e)
	})
}

// eachChunk calls fn for every chunk of the batch that has items without
// a recorded outcome, with the number of items that have one, running up
// to parallel calls at once. Each chunk has its own intents, so chunks run
// concurrently are recorded, and after a crash reconciled, independently,
// whatever the order they ran in. With parallel 1, fn runs in the calling
// goroutine, chunk after chunk in the plan's order. Otherwise chunks start
// as chunkQueue orders them: with byContainer, never two at once that
// share a container, and round robin over the containers. After the first
// error no further chunk is started; those running finish, and the first
// error is returned.
func (p *Pipeline) eachChunk(ctx context.Context, batch int64, parallel int, byContainer bool, fn func(c store.Chunk, done int) error) error {
	byContainer = byContainer && parallel > 1
	infos, err := p.Store.BatchChunkInfos(ctx, batch, byContainer)
	if err != nil {
		return err
	}
	q := newChunkQueue(infos, byContainer)
	if parallel == 1 {
		for !q.empty() {
			ci, _ := q.take()
			c, err := p.Store.Chunk(ctx, batch, ci.Seq)
			if err != nil {
				return err
			}
			if err := fn(c, ci.Done); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu       sync.Mutex
		changed  = sync.NewCond(&mu)
		running  int
		firstErr error
		wg       sync.WaitGroup
	)
	mu.Lock()
	for firstErr == nil && !q.empty() {
		if running >= parallel {
			changed.Wait() // until a chunk finished
			continue
		}
		ci, ok := q.take()
		if !ok {
			// Every chunk left shares a container with one running (so
			// one is running).
			changed.Wait()
			continue
		}
		running++
		mu.Unlock()
		c, err := p.Store.Chunk(ctx, batch, ci.Seq)
		mu.Lock()
		if err != nil {
			running--
			q.release(ci)
			firstErr = err
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(c, ci.Done)
			mu.Lock()
			defer mu.Unlock()
			running--
			q.release(ci)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			changed.Signal()
		}()
	}
	mu.Unlock()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}

// commitCount counts the transactions execution committed.
type commitCount struct{ atomic.Int64 }

type chunkOutcome struct {
	deleted, skipped, failed int64
	emptied                  []string // containers of deleted items
}

// Outcomes of items execution does not hand to the connector (see
// ledger.Outcomes).
const (
	outcomeSkippedHold     = "skipped_hold"
	outcomeNotDue          = "not_due"
	outcomeSkippedRejected = "skipped_rejected"
	outcomeWithdrawn       = "withdrawn"
)

// slice is one slice of a chunk on its way to the connector: what was
// asked of the source and decided about its items.
type slice struct {
	c           store.Chunk
	from, until int
	// intent is the slice's intent: the one being reconciled, or the one
	// decideSlice opened.
	intent      int64
	reconciling bool
	items       []store.PlanItem
	// stats is what the source said about each item, where it was asked:
	// for a reconciliation, every item; otherwise the items a hold limited
	// to a recording window may cover.
	stats []*connectors.Item
	gone  []string // reconciliation: why the approved version is gone
	skip  []string // outcome for items not handed to the connector
	// approvers are those the ledger check proved; decErr is its refusal
	// for a reason other than tampering, decided from the batch's status.
	approvers []string
	decErr    error
	targets   []connectors.Target
	targetIdx []int
}

// sliceOutcomes are the outcomes of a slice the connector worked on, to be
// recorded (with the closing of its intent) in one transaction.
type sliceOutcomes struct {
	intent   int64
	progress int // the chunk's items [0, progress) have their outcomes once recorded
	entries  []ledger.Entry
	out      chunkOutcome
	// cut is set when the connector stopped before the end of the slice
	// (ctx was cancelled): the items after progress were not attempted.
	cut bool
}

// runSlice executes items [from, until) of a chunk, in two transactions:
// decideSlice's (which opens the slice's intent) before the connector is
// called, recordSlice's after. Execution runs its slices through a slicer,
// which records a slice's outcomes in the transaction that decides the
// next one; runSlice is the whole of one slice, as a reconciliation needs.
//
// With intent 0 it first decides whether the batch may still run and
// which items may go (see decideSlice); then it hands those to the
// connector and records every outcome and closes the intent in one
// transaction, which a cancelled ctx does not cut short.
//
// With a non-zero intent it finishes the work of an intent an interrupted
// run left open. It first asks the source about every item: one whose
// approved version is gone (absent, or another version now at its ref)
// was deleted by the interrupted run and is recorded so; the others are
// decided as above, except that a batch no longer executing leaves them
// alone (skipped_rejected) rather than stopping.
func (p *Pipeline) runSlice(ctx context.Context, run *chunkRun, c store.Chunk, from, until int, intent int64) (chunkOutcome, error) {
	s, err := p.prepareSlice(ctx, run, c, from, until, intent)
	if err != nil {
		return chunkOutcome{}, err
	}
	if err := p.write(ctx, func(tx *store.Tx) error { return p.decideSlice(ctx, tx, run, s, p.Clock.Now()) }); err != nil {
		return chunkOutcome{}, err
	}
	o, err := p.deleteSlice(ctx, run, s)
	if err != nil {
		return chunkOutcome{}, err
	}
	// The deletions happened: record them even if ctx was cancelled
	// meanwhile (SIGTERM stops after the slice in flight is recorded).
	if err := p.write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return p.recordSlice(tx, run, o, p.Clock.Now()) }); err != nil {
		return o.out, err
	}
	if o.cut {
		return o.out, fmt.Errorf("batch %d: %w", run.b.ID, context.Canceled)
	}
	return o.out, nil
}

// slicer runs the slices of a batch one after the other: every chunk's
// when the chunks run one at a time, one chunk's when they run in
// parallel (each has its own slicer). It records a slice's outcomes, and
// closes its intent, in the transaction that then decides the next slice
// and opens its intent: one synchronous commit per slice instead of two.
// The last slice's outcomes, and those of a slice after which the batch
// stops, are recorded in a transaction of their own (flush).
//
// Merging moves no decision earlier: the next slice's holds, approvals,
// status and ledger check are read after the previous slice was deleted,
// under the source's lock, and its status, approvals and holds again in
// the transaction that opens its intent, as for a slice of its own. A
// crash before that transaction commits leaves the previous slice's
// intent open, which Reconcile finishes (its items are found absent and
// recorded deleted); after it, the next slice's intent is open before
// anything of it is deleted.
type slicer struct {
	p   *Pipeline
	run *chunkRun
	// pending are the outcomes of the last slice, not recorded yet.
	pending *sliceOutcomes
}

// next executes items [from, until) of chunk c, recording the previous
// slice's outcomes on the way. It returns the slice's counts (its
// outcomes are recorded by the next call or by flush). On an error,
// whatever it deleted is recorded before it returns.
func (s *slicer) next(ctx context.Context, c store.Chunk, from, until int) (chunkOutcome, error) {
	p, run := s.p, s.run
	sl, err := p.prepareSlice(ctx, run, c, from, until, 0)
	if err != nil {
		return chunkOutcome{}, s.flush(ctx, err)
	}
	pending := s.pending
	s.pending = nil
	var decided error // why the slice may not run; the previous one's outcomes are recorded anyway
	err = p.write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		at := p.Clock.Now()
		if pending != nil {
			if err := p.recordSlice(tx, run, pending, at); err != nil {
				return err
			}
		}
		if decided = ctx.Err(); decided == nil {
			decided = p.decideSlice(ctx, tx, run, sl, at)
		}
		if decided != nil && pending == nil {
			return decided // nothing to commit
		}
		return nil
	})
	if err != nil {
		if pending != nil {
			// Whatever failed, the deletions happened: try recording them
			// alone. (A recordSlice that did commit cannot be recorded
			// twice: CloseIntent refuses a closed intent.)
			s.pending = pending
			return chunkOutcome{}, s.flush(ctx, err)
		}
		return chunkOutcome{}, err
	}
	if decided != nil {
		return chunkOutcome{}, decided
	}
	o, err := p.deleteSlice(ctx, run, sl)
	if err != nil {
		return chunkOutcome{}, err
	}
	s.pending = o
	if o.cut {
		return o.out, s.flush(ctx, fmt.Errorf("batch %d: %w", run.b.ID, context.Canceled))
	}
	return o.out, nil
}

// flush records the outcomes of the last slice, if not yet recorded, in a
// transaction of its own that a cancelled ctx does not cut short, and
// returns err joined with what failed.
func (s *slicer) flush(ctx context.Context, err error) error {
	o := s.pending
	if o == nil {
		return err
	}
	s.pending = nil
	if rErr := s.p.write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return s.p.recordSlice(tx, s.run, o, s.p.Clock.Now()) }); rErr != nil {
		if err == nil {
			return rErr
		}
		return errors.Join(err, rErr)
	}
	return err
}

// statSlice returns what the source says about items[i], for a
// reconciliation: through connectors.BatchStater, all items but those
// withdrawn from the batch in one call (a mailbox's messages 20 to a
// request), or else one Stat per item, asked when its turn comes.
func (p *Pipeline) statSlice(ctx context.Context, run *chunkRun, items []store.PlanItem) func(i int) (connectors.Item, error) {
	bs, ok := run.conn.(connectors.BatchStater)
	if !ok {
		return func(i int) (connectors.Item, error) { return run.conn.Stat(ctx, items[i].Ref) }
	}
	refs := make([]string, 0, len(items))
	at := make([]int, len(items)) // items[i]'s index in refs
	for i := range items {
		if _, ok := run.withdrawn[items[i].Ref]; !ok {
			at[i] = len(refs)
			refs = append(refs, items[i].Ref)
		}
	}
	rs := bs.StatBatch(ctx, refs)
	if len(rs) != len(refs) {
		err := connectors.Errorf(connectors.CodeIO, "stat", "", fmt.Errorf("the connector answered %d of %d items", len(rs), len(refs)))
		return func(int) (connectors.Item, error) { return connectors.Item{}, err }
	}
	return func(i int) (connectors.Item, error) { return rs[at[i]].Item, rs[at[i]].Err }
}

// prepareSlice reads what deciding items [from, until) of chunk c needs
// and cannot read in the transaction that decides it: for a
// reconciliation (intent non-zero), what the source says about every item
// (see runSlice); otherwise, for items a hold limited to a recording
// window may cover, their recording times; then the ledger check of the
// batch's approvals (CheckBatchDecisions, which may sign a checkpoint). A
// batch whose approvals are not those of the signed ledger is refused
// here.
func (p *Pipeline) prepareSlice(ctx context.Context, run *chunkRun, c store.Chunk, from, until int, intent int64) (*slice, error) {
	items := c.Items[from:until]
	s := &slice{
		c: c, from: from, until: until, intent: intent, reconciling: intent != 0, items: items,
		stats: make([]*connectors.Item, len(items)),
		gone:  make([]string, len(items)),
		skip:  make([]string, len(items)),
	}
	archiving := run.b.Method == store.MethodArchive
	if s.reconciling {
		stable, _ := run.conn.(connectors.StableRefs)
		stat := p.statSlice(ctx, run, items)
		for i := range items {
			if _, ok := run.withdrawn[items[i].Ref]; ok {
				continue // never handed to the connector
			}
			st, err := stat(i)
			switch {
			case connectors.CodeOf(err) == connectors.CodeNotFound:
				s.gone[i] = "reconciled after an interrupted execution: found absent"
			case err != nil:
				return nil, fmt.Errorf("reconcile batch %d: ask the source about an item: %w (the intent stays open; run again)", run.b.ID, err)
			case st.Version != items[i].Version:
				s.stats[i] = &st
				// At a stable ref it is the approved item, changed since
				// (and so not deleted): the connector finds it changed.
				if !archiving && (stable == nil || !stable.StableRef(items[i].Ref)) {
					s.gone[i] = "reconciled after an interrupted execution: the approved version is gone; another version now at its place was left alone"
				}
			default:
				s.stats[i] = &st
			}
		}
		if err := p.movedWithinBatch(ctx, run, c, from, until, s.stats, s.gone); err != nil {
			return nil, err
		}
	} else if held, _, err := p.holds(ctx); err != nil {
		return nil, err
	} else {
		env := &policies.Env{Today: p.today(), Holds: held}
		for i := range items {
			pit := policies.Item{Source: run.b.Source, Ref: items[i].Ref, Path: items[i].Ref}
			if h := matchHold(env, &pit, ""); h != nil && windowed(h) {
				// The plan does not keep recording times: ask the source,
				// and keep the item held if it cannot say.
				if st, err := run.conn.Stat(ctx, items[i].Ref); err == nil {
					s.stats[i] = &st
				}
			}
		}
	}

	// The approvals must be those of the signed ledger. This reads (and
	// may sign) checkpoints, so it runs before the transaction that
	// decides the slice, which reads the batch's status and approvals
	// again. A refusal for any other reason (a rejection it found) is
	// decided in that transaction, from the batch's status.
	approvers, decErr := p.CheckBatchDecisions(ctx, run.b)
	if errors.Is(decErr, ErrLedgerTampered) {
		return nil, decErr
	}
	s.approvers, s.decErr = approvers, decErr
	return s, nil
}

// decideSlice decides, in tx, whether the batch may still run (it must
// still be executing, its approvals complete and, as prepareSlice found,
// in the signed ledger) and which items of the slice may go (holds read
// again, due date, the people's current facts); for a slice that is not a
// reconciliation it then opens the slice's intent, at. Its reads go
// through ctx; they see what was committed when tx began, and nothing
// can be committed before tx ends.
func (p *Pipeline) decideSlice(ctx context.Context, tx *store.Tx, run *chunkRun, s *slice, at time.Time) error {
	archiving := run.b.Method == store.MethodArchive
	s.targets, s.targetIdx = s.targets[:0], s.targetIdx[:0]
	b, err := tx.Batch(run.b.ID)
	if err != nil {
		return err
	}
	stopped := b.Status != store.StatusExecuting
	if stopped && !s.reconciling {
		return &StoppedError{Batch: b.ID, Status: b.Status, Note: b.StatusNote}
	}
	if !stopped {
		if s.decErr != nil {
			return s.decErr // the ledger check refused
		}
		if err := p.checkApproved(tx, b, run.rule); err != nil {
			return err
		}
	} else {
		s.approvers = nil
	}
	env, err := p.policyEnv(ctx, p.today())
	if err != nil {
		return err
	}
	for i := range s.items {
		it := &s.items[i]
		s.skip[i] = ""
		if _, ok := run.withdrawn[it.Ref]; ok {
			s.skip[i] = outcomeWithdrawn
			continue
		}
		switch {
		case s.gone[i] != "":
			continue // recorded as deleted
		case stopped:
			s.skip[i] = outcomeSkippedRejected
			continue
		}
		pit := policies.Item{Source: run.b.Source, Ref: it.Ref, Path: it.Ref}
		if s.stats[i] != nil {
			pit.Recorded = s.stats[i].Recorded
		}
		if h := matchHold(env, &pit, it.Subject); h != nil {
			s.skip[i] = outcomeSkippedHold
			continue
		}
		if d, err := policies.ParseDate(it.Due); err != nil || env.Today.Before(d) {
			s.skip[i] = outcomeNotDue
			continue
		}
		if it.Subject != "" {
			// The exports may have changed since the plan: the facts
			// about the person must still make the item due.
			if due, why := run.rule.Recheck(it.Subject, env, archiving); why != "" || env.Today.Before(due) {
				s.skip[i] = outcomeNotDue
				continue
			}
		}
		s.targets = append(s.targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		s.targetIdx = append(s.targetIdx, i)
	}
	if s.reconciling {
		return nil
	}
	s.intent, err = tx.OpenIntent(run.b.ID, s.c.Seq, s.from, s.until, at)
	return err
}

// deleteSlice hands the slice's targets to the connector (its intent is
// committed) and returns every outcome as a ledger entry, up to the first
// target the connector did not attempt. When the connector fails as a
// whole, nothing was deleted: the intent is dropped so that the slice is
// tried again.
func (p *Pipeline) deleteSlice(ctx context.Context, run *chunkRun, s *slice) (*sliceOutcomes, error) {
	archiving := run.b.Method == store.MethodArchive
	items := s.items
	results := make([]connectors.Result, len(items))
	if len(s.targets) > 0 {
		var rs []connectors.Result
		var err error
		if archiving {
			a, ok := run.conn.(connectors.Archiver)
			if !ok {
				return nil, fmt.Errorf("batch %d archives, but %s cannot move items", run.b.ID, run.conn.Location())
			}
			rs, err = a.Archive(ctx, s.targets, run.rule.ArchiveTo)
		} else {
			rs, err = run.conn.DeleteBatch(ctx, s.targets)
		}
		if err != nil && s.reconciling {
			return nil, fmt.Errorf("reconcile batch %d: %w", run.b.ID, err)
		}
		if err != nil {
			// Nothing was deleted: withdraw the intent so the slice is tried again.
			if dropErr := p.write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return tx.DropIntent(s.intent) }); dropErr != nil {
				return nil, errors.Join(err, dropErr)
			}
			return nil, fmt.Errorf("delete items of batch %d: %w", run.b.ID, err)
		}
		if len(rs) != len(s.targets) {
			return nil, fmt.Errorf("connector %s returned %d results for %d targets; the intent stays open for reconciliation", run.conn.Location(), len(rs), len(s.targets))
		}
		for k, r := range rs {
			results[s.targetIdx[k]] = r
		}
	}
	// Outcomes up to the first target the connector did not attempt.
	progress := len(items)
	for i := range items {
		if s.skip[i] == "" && s.gone[i] == "" && results[i].Outcome == connectors.OutcomeFailed && connectors.CodeOf(results[i].Err) == connectors.CodeCancelled {
			progress = i
			break
		}
	}
	o := &sliceOutcomes{intent: s.intent, progress: s.from + progress, cut: progress < len(items)}
	out := &o.out
	o.entries = make([]ledger.Entry, 0, progress)
	var refs entryRefs
	for i := range items[:progress] {
		e := p.deletionEntry(run, &items[i], s.approvers, &refs)
		switch {
		case s.gone[i] != "":
			// The interrupted run deleted it before it could record so;
			// the ledger must not miss a deletion.
			e.Outcome, e.Method, e.Reason, e.Verified = connectors.OutcomeDeleted.String(), "delete", s.gone[i], true
			out.deleted++
			out.emptied = append(out.emptied, items[i].Container)
		case s.skip[i] != "":
			e.Outcome = s.skip[i]
			out.skipped++
		default:
			r := results[i]
			e.Outcome, e.Method = r.Outcome.String(), r.Method
			switch r.Outcome {
			case connectors.OutcomeDeleted, connectors.OutcomeArchived:
				e.Verified = true
				out.deleted++
				out.emptied = append(out.emptied, items[i].Container)
			case connectors.OutcomeFailed, connectors.OutcomeHeld:
				e.Code = connectors.CodeOf(r.Err).String()
				if r.Outcome == connectors.OutcomeFailed {
					out.failed++
				} else {
					out.skipped++
				}
				p.Log.Warn("item not deleted", zap.Int64("batch", run.b.ID), zap.String("outcome", r.Outcome.String()), zap.String("code", e.Code))
			default:
				out.skipped++
			}
		}
		o.entries = append(o.entries, e)
	}
	return o, nil
}

// recordSlice records a slice's outcomes in tx: every entry in the
// ledger, the batch's counts, and the closing of its intent at.
func (p *Pipeline) recordSlice(tx *store.Tx, run *chunkRun, o *sliceOutcomes, at time.Time) error {
	if err := appendEntries(tx, o.entries...); err != nil {
		return err
	}
	if err := tx.AddCounts(run.b.ID, o.out.deleted, o.out.skipped, o.out.failed); err != nil {
		return err
	}
	return tx.CloseIntent(o.intent, o.progress, at)
}

// write is Store.Write for execution, counting its commits.
func (p *Pipeline) write(ctx context.Context, fn func(*store.Tx) error) error {
	if err := p.Store.Write(ctx, fn); err != nil {
		return err
	}
	p.execCommits.Add(1)
	return nil
}

// movedWithinBatch corrects a reconciliation's "the approved version is
// gone" for items whose approved version now stands at another path of
// the batch: someone moved or swapped files between the crash and the
// restart; the data was not deleted, so its deletion must not be recorded.
// Such items are handed to the connector like the others, which finds them
// changed or absent. Only when some item's version is gone does it ask the
// source about the rest of the batch, and then in one listing of the
// source, not an item at a time: after a crash most items of the slice in
// flight are gone (the interrupted run deleted them), and asking about
// every other item of the batch once per open intent cost a request per
// item for a mailbox (hours for a batch of 100,000 messages). Versions are
// compared as connectors make them (a file's size, modification time and
// file id, which a rename keeps). A file moved outside the batch is not
// found: it is recorded deleted at its path, and the next plan finds it at
// its new one. When the listing is incomplete (a part of the source could
// not be read), the batch's other items are asked about one at a time
// instead, and any that cannot be read keeps the intent open: a version
// the source could not show is not taken to be deleted. An item at a
// stable ref (connectors.StableRefs: a message's id) cannot have moved to
// another ref, so its absence is not looked into.
func (p *Pipeline) movedWithinBatch(ctx context.Context, run *chunkRun, c store.Chunk, from, until int, stats []*connectors.Item, gone []string) error {
	missing := map[string][]int{} // approved version -> items of the slice
	stable, _ := run.conn.(connectors.StableRefs)
	for k, g := range gone {
		if stable != nil && stable.StableRef(c.Items[from+k].Ref) {
			continue
		}
		if g != "" && c.Items[from+k].Version != "" {
			v := c.Items[from+k].Version
			missing[v] = append(missing[v], k)
		}
	}
	found := func(version string) {
		for _, k := range missing[version] {
			gone[k] = ""
		}
		delete(missing, version)
	}
	for k := range stats {
		if stats[k] != nil {
			found(stats[k].Version)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// Where the source now holds a missing version: refs by version.
	at := map[string][]string{}
	listErr := run.conn.List(ctx, connectors.ListOptions{}, func(it connectors.Item) error {
		if _, ok := missing[it.Version]; ok {
			at[it.Version] = append(at[it.Version], it.Ref)
		}
		return nil
	})
	if incomplete := (*connectors.IncompleteError)(nil); errors.As(listErr, &incomplete) {
		p.Log.Warn("reconciling: the source's listing is incomplete; asking about the batch's items one at a time", zap.Int64("batch", run.b.ID), zap.Error(listErr))
		return p.movedWithinBatchByStat(ctx, run, c, from, until, missing, found)
	} else if listErr != nil {
		return fmt.Errorf("reconcile batch %d: list the source: %w (the intent stays open; run again)", run.b.ID, listErr)
	}
	if len(at) == 0 {
		return nil
	}
	where := map[string]string{} // ref -> the missing version the source holds there
	for v, refs := range at {
		for _, r := range refs {
			where[r] = v
		}
	}
	return p.searchBatch(ctx, run, c, from, until, missing, func(ref string) error {
		if v, ok := where[ref]; ok {
			found(v)
		}
		return nil
	})
}

// movedWithinBatchByStat is movedWithinBatch's search when the source
// cannot be listed in full: every other item of the batch is asked about,
// until each missing version is found; an item that cannot be read is an
// error, and the intent stays open.
func (p *Pipeline) movedWithinBatchByStat(ctx context.Context, run *chunkRun, c store.Chunk, from, until int, missing map[string][]int, found func(string)) error {
	return p.searchBatch(ctx, run, c, from, until, missing, func(ref string) error {
		st, err := run.conn.Stat(ctx, ref)
		switch {
		case connectors.CodeOf(err) == connectors.CodeNotFound:
		case err != nil:
			return fmt.Errorf("reconcile batch %d: ask the source about an item: %w (the intent stays open; run again)", run.b.ID, err)
		default:
			found(st.Version)
		}
		return nil
	})
}

// searchBatch calls look with the ref of every item of the batch outside
// items [from, until) of chunk c (the slice, asked about already), until
// look (through found) has emptied missing or fails.
func (p *Pipeline) searchBatch(ctx context.Context, run *chunkRun, c store.Chunk, from, until int, missing map[string][]int, look func(ref string) error) error {
	errFound := errors.New("every version found")
	err := p.Store.BatchChunks(ctx, run.b.ID, func(ch store.Chunk) error {
		for i := range ch.Items {
			if ch.Seq == c.Seq && i >= from && i < until {
				continue
			}
			if err := look(ch.Items[i].Ref); err != nil {
				return err
			}
			if len(missing) == 0 {
				return errFound
			}
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return nil
	}
	return err
}

// entryRefs keeps, for the deletion entries of one slice, the domains of
// their references and the last container's reference: a slice's items
// come container by container (a mailbox's messages), and the keyed hash
// of a container is the same for each of its items.
type entryRefs struct {
	itemDomain, containerDomain string
	container, containerRef     string
}

// deletionEntry is the ledger entry for one item of a batch, without its
// outcome. refs carries what the entries of one slice share.
func (p *Pipeline) deletionEntry(run *chunkRun, it *store.PlanItem, approvers []string, refs *entryRefs) ledger.Entry {
	e := p.entry(ledger.TypeDeletion)
	if refs.itemDomain == "" {
		kindDomain := run.src.Kind.Name + ":" + run.src.Name
		refs.itemDomain, refs.containerDomain = "item:"+kindDomain, "container:"+kindDomain
	}
	e.Batch, e.Source, e.SourceKind = run.b.ID, run.b.Source, run.src.Kind.Name
	e.Item = p.Refs.Ref(refs.itemDomain, it.Ref)
	if it.Container != "" {
		if refs.containerRef == "" || refs.container != it.Container {
			refs.container, refs.containerRef = it.Container, p.Refs.Ref(refs.containerDomain, it.Container)
		}
		e.Container = refs.containerRef
	}
	if it.Subject != "" {
		e.Subject = p.Refs.Ref("subject", it.Subject)
	}
	e.Size = max(it.Size, 0)
	e.Policy, e.PolicyDigest, e.Rule = run.rule.Policy.ID, run.rule.Policy.Digest, run.rule.ID
	e.Period, e.Basis, e.Anchor, e.Due = run.rule.Keep.String(), run.rule.From.String(), it.Anchor, it.Due
	e.Plan, e.Approvals, e.Actor = run.b.Fingerprint, approvers, run.executor
	return e
}

// windowed reports whether h covers only recordings made in a window.
func windowed(h *policies.Hold) bool { return !h.RecordedFrom.IsZero() || !h.RecordedUntil.IsZero() }

// matchHold returns an active hold on the item, if any.
func matchHold(env *policies.Env, it *policies.Item, subject string) *policies.Hold {
	var subjects []string
	if subject != "" {
		subjects = []string{subject}
	}
	for _, h := range env.Holds {
		if h.ActiveOn(env.Today) && h.Matches(it, subjects) {
			return h
		}
	}
	return nil
}

// prune removes folders the batch emptied, never the folder that matched the
// rule's last plain folder name or anything above it (see
// policies.Pattern.PruneStop).
func (p *Pipeline) prune(ctx context.Context, run *chunkRun, containers []string) (int64, error) {
	pr, ok := run.conn.(connectors.Pruner)
	if !ok {
		return 0, nil
	}
	slices.Sort(containers)
	containers = slices.Compact(containers)
	// Group by the folder above which nothing may be removed.
	byStop := map[string][]string{}
	for _, c := range containers {
		if run.rule.Path == nil {
			return 0, nil
		}
		stop, ok := run.rule.Path.PruneStop(c)
		if !ok || stop == c {
			continue
		}
		byStop[stop] = append(byStop[stop], c)
	}
	var total int64
	for stop, cs := range byStop {
		removed, err := pr.PruneEmpty(ctx, cs, stop)
		if err != nil {
			return total, fmt.Errorf("remove emptied folders: %w", err)
		}
		if len(removed) == 0 {
			continue
		}
		entries := make([]ledger.Entry, 0, len(removed))
		for _, r := range removed {
			e := p.entry(ledger.TypePrune)
			e.Batch, e.Source, e.SourceKind, e.Rule = run.b.ID, run.b.Source, run.src.Kind.Name, run.rule.ID
			e.Container = p.Refs.Ref("container:"+run.src.Kind.Name+":"+run.src.Name, r)
			e.Outcome, e.Method, e.Verified = "pruned", "delete", true
			entries = append(entries, e)
		}
		if err := p.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return appendEntries(tx, entries...) }); err != nil {
			return total, err
		}
		total += int64(len(removed))
	}
	return total, nil
}
