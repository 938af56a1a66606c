package scheduler

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/store"
)

// Reconcile repairs what an interrupted execution (a crash, kill -9, a
// power cut) left behind. An intent that is still open means a chunk of
// items was handed to a connector and its outcomes were not recorded. For
// each, the chunk is run again under the same intent: items still present
// at their planned version are deleted (they were approved), items found
// absent are recorded as deleted by the interrupted run, changed items are
// left alone, and the intent is closed with every outcome in the ledger.
// Nothing outside the approved batch is touched.
func (p *Pipeline) Reconcile(ctx context.Context) error {
	intents, err := p.Store.OpenIntents(ctx)
	if err != nil {
		return err
	}
	for _, in := range intents {
		if err := p.reconcileIntent(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) reconcileIntent(ctx context.Context, in store.Intent) error {
	b, err := p.Store.Batch(ctx, in.BatchID)
	if err != nil {
		return err
	}
	log := p.Log.With(zap.Int64("batch", b.ID), zap.Int64("chunk", in.Seq))
	rule, err := p.batchRule(b)
	if err != nil {
		return fmt.Errorf("batch %d was interrupted during execution and cannot be reconciled: %w; restore the policy it ran under, then run again", b.ID, err)
	}
	src, ok := p.Config.Source(b.Source)
	if !ok {
		return fmt.Errorf("batch %d was interrupted during execution and its source %q is no longer configured: restore it to reconcile", b.ID, b.Source)
	}
	unlock, err := p.lockSource(ctx, b.Source)
	if err != nil {
		return err
	}
	defer unlock()
	// Another process may have reconciled it while we waited.
	open, err := p.Store.OpenIntents(ctx)
	if err != nil {
		return err
	}
	still := false
	for _, o := range open {
		still = still || o.ID == in.ID
	}
	if !still {
		return nil
	}
	c, err := p.Store.Chunk(ctx, b.ID, in.Seq)
	if err != nil {
		return err
	}
	withdrawn, err := p.Store.Withdrawn(ctx, b.ID)
	if err != nil {
		return err
	}
	conn, err := p.Open(ctx, src)
	if err != nil {
		return fmt.Errorf("reconcile batch %d: %w", b.ID, err)
	}
	defer conn.Close()
	until := in.Until
	if until <= in.Progress || until > len(c.Items) {
		until = len(c.Items) // intents written before slices had an end
	}
	run := &chunkRun{b: b, rule: rule, src: src, conn: conn, executor: "reconcile", withdrawn: withdrawn}
	out, err := p.runSlice(ctx, run, c, in.Progress, until, in.ID)
	if err != nil {
		return err
	}
	log.Warn("reconciled interrupted execution", zap.Int64("deleted", out.deleted), zap.Int64("skipped", out.skipped), zap.Int64("failed", out.failed))
	return p.Checkpoint(ctx)
}
