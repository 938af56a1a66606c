package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

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
	Err     error // why the batch was not (fully) executed
}

// Execute executes every approved batch (or only batch id, when non-zero)
// and returns a result per batch. A batch whose policy changed, whose
// stored items no longer match the fingerprint that was approved, or
// whose source cannot be opened is not touched.
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
		r := p.executeBatch(ctx, &batches[i], executor)
		results = append(results, r)
	}
	return results, ctx.Err()
}

// chunkRun is the work on one chunk of a batch.
type chunkRun struct {
	b        *store.Batch
	rule     *policies.Rule
	src      configs.Source
	conn     connectors.Connector
	env      *policies.Env
	approved []string
	executor string
}

func (p *Pipeline) executeBatch(ctx context.Context, b *store.Batch, executor string) (res ExecuteResult) {
	res.Batch, res.Method = b.ID, b.Method
	log := p.Log.With(zap.Int64("batch", b.ID), zap.String("source", b.Source), zap.String("rule", b.Rule))
	fail := func(err error) ExecuteResult {
		res.Err = err
		log.Error("batch not executed", zap.Error(err))
		return res
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
	st, err := p.Approval(ctx, b)
	if err != nil {
		return fail(err)
	}
	if !rule.Approval.Automatic() && !st.Complete {
		return fail(fmt.Errorf("batch %d: approvals are incomplete: %w", b.ID, ErrState))
	}
	unlock, err := p.lockSource(ctx, b.Source)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	conn, err := p.Open(ctx, src)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	env, err := p.policyEnv(ctx, p.today())
	if err != nil {
		return fail(err)
	}
	run := &chunkRun{b: b, rule: rule, src: src, conn: conn, env: env, executor: executor}
	for _, ss := range st.Stages {
		run.approved = append(run.approved, ss.Approvers...)
	}

	if b.Status == store.StatusApproved {
		err := p.Store.Write(ctx, func(tx *store.Tx) error {
			if err := tx.SetStatus(b.ID, store.StatusExecuting, "", p.Clock.Now()); err != nil {
				return err
			}
			e := p.entry(ledger.TypeExecutionStarted)
			e.Batch, e.Rule, e.Plan, e.Source, e.Items, e.Actor, e.Role = b.ID, b.Rule, b.Fingerprint, b.Source, b.Items, executor, configs.RoleOperator
			return appendEntries(tx, e)
		})
		if err != nil {
			return fail(err)
		}
	}
	parallel := 1
	if cd, ok := conn.(connectors.ConcurrentDeleter); ok {
		parallel = max(1, cd.DeleteConcurrency())
	}
	log.Info("executing batch", zap.Int64("items", b.Items), zap.Int("parallel_chunks", parallel))
	var (
		mu         sync.Mutex
		containers []string
	)
	err = p.eachChunk(ctx, b.ID, parallel, func(c store.Chunk, done int) error {
		cr, err := p.runChunk(ctx, run, c, done, 0)
		mu.Lock()
		defer mu.Unlock()
		res.Deleted += cr.deleted
		res.Skipped += cr.skipped
		res.Failed += cr.failed
		containers = append(containers, cr.emptied...)
		return err
	})
	if err == nil && rule.PruneEmpty && len(containers) > 0 {
		var pruned int64
		pruned, err = p.prune(ctx, run, containers)
		res.Pruned = pruned
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
		if err := tx.SetStatus(b.ID, store.StatusDone, "", p.Clock.Now()); err != nil {
			return err
		}
		cur, err := tx.Batch(b.ID)
		if err != nil {
			return err
		}
		e := p.entry(ledger.TypeExecutionFinished)
		e.Batch, e.Rule, e.Plan, e.Source, e.Items, e.Actor, e.Role = b.ID, b.Rule, b.Fingerprint, b.Source, cur.Deleted, executor, configs.RoleOperator
		return appendEntries(tx, e)
	})
	if err != nil {
		return fail(err)
	}
	if err := p.Checkpoint(ctx); err != nil {
		return fail(err)
	}
	log.Info("batch executed", zap.Int64("deleted", res.Deleted), zap.Int64("skipped", res.Skipped), zap.Int64("failed", res.Failed), zap.Int64("pruned", res.Pruned))
	return res
}

// eachChunk calls fn for every chunk of the batch that has items without
// a recorded outcome, with the number of items that have one, running up
// to parallel calls at once. Each chunk has its own intent, so chunks run
// concurrently are recorded, and after a crash reconciled, independently.
// After the first error no further chunk is started; those running
// finish, and the first error is returned. With parallel 1, fn runs in the
// calling goroutine.
func (p *Pipeline) eachChunk(ctx context.Context, batch int64, parallel int, fn func(c store.Chunk, done int) error) error {
	var (
		g      errgroup.Group
		failed atomic.Bool
	)
	g.SetLimit(parallel)
	err := p.Store.BatchChunks(ctx, batch, func(c store.Chunk) error {
		done, err := p.Store.ChunkProgress(ctx, batch, c.Seq)
		if err != nil {
			return err
		}
		if done >= len(c.Items) {
			return nil
		}
		if parallel == 1 {
			return fn(c, done)
		}
		g.Go(func() error { // waits while parallel chunks are running
			if failed.Load() {
				return nil
			}
			err := fn(c, done)
			if err != nil {
				failed.Store(true)
			}
			return err
		})
		if failed.Load() {
			return errStopChunks
		}
		return nil
	})
	if gErr := g.Wait(); gErr != nil {
		return gErr // the chunk's error, not errStopChunks
	}
	return err
}

// errStopChunks stops the iteration over chunks after a chunk failed.
var errStopChunks = errors.New("a chunk failed")

type chunkOutcome struct {
	deleted, skipped, failed int64
	emptied                  []string // containers of deleted items
}

// runChunk executes items [from, len) of a chunk: decide which items may
// still go (holds, due date), open an intent, delete, record every outcome
// and close the intent in one transaction. With a non-zero intent it
// finishes the work of an intent left open by an interrupted run: items
// found absent are then recorded as deleted by that run.
func (p *Pipeline) runChunk(ctx context.Context, run *chunkRun, c store.Chunk, from int, intent int64) (chunkOutcome, error) {
	reconciling := intent != 0
	archiving := run.b.Method == store.MethodArchive
	items := c.Items[from:]
	var out chunkOutcome
	skip := make([]string, len(items)) // outcome for items not handed to the connector
	var targets []connectors.Target
	var targetIdx []int
	for i := range items {
		it := &items[i]
		pit := policies.Item{Source: run.b.Source, Ref: it.Ref, Path: it.Ref}
		if h := matchHold(run.env, &pit, it.Subject); h != nil && windowed(h) {
			// The plan does not keep recording times: ask the source, and
			// keep the item held if it cannot say.
			if st, err := run.conn.Stat(ctx, it.Ref); err == nil {
				pit.Recorded = st.Recorded
			}
		}
		if h := matchHold(run.env, &pit, it.Subject); h != nil {
			skip[i] = "skipped_hold"
			continue
		}
		if d, err := policies.ParseDate(it.Due); err != nil || run.env.Today.Before(d) {
			skip[i] = "not_due"
			continue
		}
		if it.Subject != "" {
			// The exports may have changed since the plan: the facts
			// about the person must still make the item due.
			if due, why := run.rule.Recheck(it.Subject, run.env, archiving); why != "" || run.env.Today.Before(due) {
				skip[i] = "not_due"
				continue
			}
		}
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		targetIdx = append(targetIdx, i)
	}
	if !reconciling {
		var err error
		if intent, err = p.openIntent(ctx, run.b.ID, c.Seq, from); err != nil {
			return out, err
		}
	}
	results := make([]connectors.Result, len(items))
	if len(targets) > 0 {
		var rs []connectors.Result
		var err error
		if archiving {
			a, ok := run.conn.(connectors.Archiver)
			if !ok {
				return out, fmt.Errorf("batch %d archives, but %s cannot move items", run.b.ID, run.conn.Location())
			}
			rs, err = a.Archive(ctx, targets, run.rule.ArchiveTo)
		} else {
			rs, err = run.conn.DeleteBatch(ctx, targets)
		}
		if err != nil && reconciling {
			return out, fmt.Errorf("reconcile batch %d: %w", run.b.ID, err)
		}
		if err != nil {
			// Nothing was deleted: withdraw the intent so the chunk is tried again.
			if dropErr := p.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return tx.DropIntent(intent) }); dropErr != nil {
				return out, errors.Join(err, dropErr)
			}
			return out, fmt.Errorf("delete items of batch %d: %w", run.b.ID, err)
		}
		if len(rs) != len(targets) {
			return out, fmt.Errorf("connector %s returned %d results for %d targets; the intent stays open for reconciliation", run.conn.Location(), len(rs), len(targets))
		}
		for k, r := range rs {
			results[targetIdx[k]] = r
		}
	}
	// Record outcomes up to the first target the connector did not attempt.
	progress := len(items)
	for i := range items {
		if skip[i] == "" && results[i].Outcome == connectors.OutcomeFailed && connectors.CodeOf(results[i].Err) == connectors.CodeCancelled {
			progress = i
			break
		}
	}
	entries := make([]ledger.Entry, 0, progress)
	for i := range items[:progress] {
		e := p.deletionEntry(run, &items[i])
		switch {
		case skip[i] != "":
			e.Outcome = skip[i]
			out.skipped++
		default:
			r := results[i]
			if reconciling && !archiving && r.Outcome == connectors.OutcomeAbsent {
				// The interrupted run most likely deleted it before it
				// could record so; the ledger must not miss a deletion.
				r.Outcome, r.Method = connectors.OutcomeDeleted, "delete"
				e.Reason = "reconciled after an interrupted execution: found absent"
			}
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
		entries = append(entries, e)
	}
	err := p.Store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if err := appendEntries(tx, entries...); err != nil {
			return err
		}
		if err := tx.AddCounts(run.b.ID, out.deleted, out.skipped, out.failed); err != nil {
			return err
		}
		return tx.CloseIntent(intent, from+progress, p.Clock.Now())
	})
	if err != nil {
		return out, err
	}
	if progress < len(items) {
		return out, fmt.Errorf("batch %d: %w", run.b.ID, context.Canceled)
	}
	return out, nil
}

func (p *Pipeline) openIntent(ctx context.Context, batch, seq int64, from int) (int64, error) {
	var id int64
	err := p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.OpenIntent(batch, seq, from, p.Clock.Now())
		return err
	})
	return id, err
}

// deletionEntry is the ledger entry for one item of a batch, without its
// outcome.
func (p *Pipeline) deletionEntry(run *chunkRun, it *store.PlanItem) ledger.Entry {
	e := p.entry(ledger.TypeDeletion)
	kindDomain := run.src.Kind.Name + ":" + run.src.Name
	e.Batch, e.Source, e.SourceKind = run.b.ID, run.b.Source, run.src.Kind.Name
	e.Item = p.Refs.Ref("item:"+kindDomain, it.Ref)
	if it.Container != "" {
		e.Container = p.Refs.Ref("container:"+kindDomain, it.Container)
	}
	if it.Subject != "" {
		e.Subject = p.Refs.Ref("subject", it.Subject)
	}
	e.Size = max(it.Size, 0)
	e.Policy, e.PolicyDigest, e.Rule = run.rule.Policy.ID, run.rule.Policy.Digest, run.rule.ID
	e.Period, e.Basis, e.Anchor, e.Due = run.rule.Keep.String(), run.rule.From.String(), it.Anchor, it.Due
	e.Plan, e.Approvals, e.Actor = run.b.Fingerprint, run.approved, run.executor
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
