package scheduler

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// PlanOptions are the inputs of a dry run.
type PlanOptions struct {
	Source string
	// Today is the date to plan for; zero means today by the clock. A plan
	// for any other date is saved for reading only: no batches are cut
	// from it, so asking "what will be due on 1 August?" can never delete
	// anything early.
	Today policies.Date
	// Planner is who asked for the plan. The planner can never be the
	// only approver of a batch cut from it.
	Planner string
	// Samples is how many items per rule and verdict PlanResult keeps for
	// display (the full plan is in the store).
	Samples int
	// NoImport plans with the people already imported, without reading
	// the school-system exports first.
	NoImport bool
}

// PlanResult is what a dry run found.
type PlanResult struct {
	// Imports are what reading the school-system exports before planning
	// did.
	Imports []ImportResult
	Plan    *store.Plan
	Totals  []store.RuleTotal
	Batches []store.Batch // cut from this plan
	// Superseded are open batches this plan replaced because their rule
	// left the policies or their policy changed (Successor: the batch of
	// the rule cut from this plan, if any).
	Superseded []store.Batch
	// Samples holds the first items of each rule and verdict, keyed
	// "rule/verdict".
	Samples map[string][]store.PlanItem
	// Incomplete is set when parts of the source could not be listed; the
	// items in them are unknown and are not in the plan.
	Incomplete *connectors.IncompleteError
	// AwaitingNotice counts the due items kept until their owners have
	// had the notice their rule's owner_notice gives.
	AwaitingNotice int64
	// Ignored counts the files the connector left out because they are
	// not what it manages (files of a cctv source that are not
	// recordings): never planned, never deleted. IgnoredSamples holds the
	// first of them (refs as listed) and why.
	Ignored        int64
	IgnoredSamples []IgnoredFile

	// InOpenBatches counts the due items that were already in an open
	// batch (pending, guarded or approved): they stay there, keep its
	// approvals, and are not batched again.
	InOpenBatches int64
	// Withdrawn are the items this plan withdrew from open batches, per
	// batch and reason (ledger.WithdrawalCodes).
	Withdrawn []WithdrawnCount
	// KeptByDecision counts the items a person's retention decision keeps
	// (a rejection with a date, an exclusion): they are not proposed
	// before the decision's date. Their plan items are verdict keep, with
	// a note that says whose decision, why, and until when.
	KeptByDecision int64
}

// WithdrawnCount is how many items a plan withdrew from one open batch
// for one reason.
type WithdrawnCount struct {
	Batch int64
	Code  string // one of ledger.WithdrawalCodes
	Items int64
	// Successor is the batch cut from this plan that the items' new
	// versions went into (changed items), or 0.
	Successor int64
	// Emptied is set when the batch has no items left: its status is
	// now withdrawn.
	Emptied bool
}

// IgnoredFile is a file a connector left out of the listing, and why.
type IgnoredFile struct {
	Ref, Why string
}

// ignoredSamples is how many ignored files a plan names.
const ignoredSamples = 10

// Plan lists one source, evaluates every item and saves the result as a
// plan. Planning for today also cuts the due items into batches, one per
// rule, each waiting for the approvals its rule asks for (or approved at
// once for rules that need none), and supersedes the source's earlier
// batches that were still waiting. A listing that fails saves nothing.
func (p *Pipeline) Plan(ctx context.Context, opts PlanOptions) (*PlanResult, error) {
	src, ok := p.Config.Source(opts.Source)
	if !ok {
		return nil, fmt.Errorf("no source named %q in %s", opts.Source, p.Config.File)
	}
	log := p.Log.With(zap.String("source", src.Name))
	unlock, err := p.lockSource(ctx, src.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()

	today := p.today()
	forToday := opts.Today.IsZero() || opts.Today == today
	if !opts.Today.IsZero() {
		today = opts.Today
	}
	var imports []ImportResult
	if !opts.NoImport {
		// Facts from the school-system exports first: a leaving date
		// corrected since the last run changes due dates in this plan.
		if imports, err = p.ImportSubjects(ctx, ImportOptions{}); err != nil {
			return nil, err
		}
	}
	env, err := p.policyEnv(ctx, today)
	if err != nil {
		return nil, err
	}
	set := p.Config.Policies

	conn, err := p.Open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	now := p.Clock.Now()
	want := store.Plan{Source: src.Name, SourceKind: src.Kind.Name, CreatedAt: store.Time{Time: now},
		Today: today.String(), Planner: opts.Planner, PolicyDigest: set.Digest(), DryRun: !forToday}
	scope, err := sourceDigest(src)
	if err != nil {
		return nil, err
	}
	w, callerState, done, err := p.Store.ResumePlan(ctx, want, scope)
	if err != nil {
		return nil, err
	}
	var rs resumeState
	resumed := w != nil
	if w != nil {
		if err := json.Unmarshal(callerState, &rs); err != nil {
			return nil, fmt.Errorf("resume plan %d: %w", w.ID(), err)
		}
		log.Info("resuming an interrupted plan", zap.Int64("plan", w.ID()), zap.Int("containers_done", len(done)), zap.Int64("listed", rs.Listed))
	} else if w, err = p.Store.NewPlan(ctx, want); err != nil {
		return nil, err
	}
	// Chunks are committed behind the listing (store.PlanWriter.Add): a
	// plan that fails leaves nothing being written when it returns.
	defer func() { _ = w.Drain() }()
	if cc, ok := conn.(connectors.ContainerChunker); ok {
		// Deletions limited per container (mailboxes): chunks that end
		// where a container ends, run side by side by the executor.
		cs := cc.ContainerChunking()
		w.ChunkAtContainers(cs.MinItems, cs.CallItems)
	}
	res := &PlanResult{Samples: map[string][]store.PlanItem{}, Imports: imports}
	open, err := p.loadOpenSet(ctx, src.Name)
	if err != nil {
		return nil, err
	}
	notices, err := p.ownerNotices(ctx, src.Name, today)
	if err != nil {
		return nil, err
	}
	listed, keep, earlier := rs.Listed, rs.Keep, len(rs.Failed)
	dates := dateStrings{}
	pit := policies.Item{Source: src.Name}
	lopts := connectors.ListOptions{Skip: done}
	lopts.Ignored = func(ref, why string) {
		res.Ignored++
		if len(res.IgnoredSamples) < ignoredSamples {
			res.IgnoredSamples = append(res.IgnoredSamples, IgnoredFile{Ref: ref, Why: why})
		}
	}
	if cutoff, ok := set.ReceivedCutoff(src.Name, today); ok {
		// Mail younger than every rule's period cannot be due: mailboxes
		// need not send it at all.
		lopts.ReceivedBefore = cutoff
	}
	// Connectors that list container by container (mailboxes) report each
	// finished container; the plan is checkpointed between containers now
	// and then, so that an interrupted listing resumes where it was.
	var (
		newlyDone []string
		cpErr     error // a failed checkpoint stops the listing at the next item
	)
	sinceItems, sinceContainers := int64(0), 0
	lopts.ContainerDone = func(container string, err error) {
		newlyDone = append(newlyDone, container)
		if err != nil {
			rs.Failed = append(rs.Failed, err.Error())
		}
		if sinceContainers++; sinceItems < p.checkpointItems() && sinceContainers < p.checkpointContainers() {
			return
		}
		rs.Listed, rs.Keep = listed, keep
		state, _ := json.Marshal(rs) // plain data: cannot fail
		if cpErr = w.Checkpoint(ctx, scope, newlyDone, state); cpErr != nil {
			return
		}
		newlyDone, sinceItems, sinceContainers = nil, 0, 0
	}
	listErr := conn.List(ctx, lopts, func(it connectors.Item) error {
		if cpErr != nil {
			return cpErr
		}
		listed++
		sinceItems++
		pit = policyItem(src.Name, it)
		d := set.Evaluate(&pit, env)
		awaiting := notices.check(&it, &d)
		var decided, earlier *store.RetentionDecision
		if d.Verdict == policies.Due || d.Verdict == policies.Archive {
			decided, earlier = open.decision(it.Ref, today)
		}
		inBatch := open.place(it.Ref, it.Version, d.Verdict, decided != nil)
		if decided != nil {
			// A person decided to keep it until a date: it is not
			// proposed again before then.
			d.Verdict = policies.Keep
			res.KeptByDecision++
		}
		if d.Verdict == policies.Keep {
			keep++
			if d.Subject == "" && awaiting == "" && decided == nil {
				return nil
			}
			// Items about a person are kept in the plan too, so that
			// "explain" can list everything held about them, and so are
			// due items waiting for their owners' notice and items kept
			// by a person's decision.
		}
		pi := planItem(it, &d, dates)
		if pi.InBatch = inBatch; inBatch != 0 {
			res.InOpenBatches++
		}
		switch {
		case awaiting != "":
			pi.Note = awaiting
		case decided != nil:
			pi.Note = "kept by " + decisionWords(decided)
		case earlier != nil:
			pi.Note = p.Explain(pi) + "; proposed again after " + decisionWords(earlier)
		}
		if opts.Samples > 0 {
			// The key is built only when samples are kept: once per item
			// of a plan is an allocation per due item.
			if key := pi.Rule + "/" + pi.Verdict; len(res.Samples[key]) < opts.Samples {
				if pi.Note == "" {
					pi.Note = d.Reason()
				}
				res.Samples[key] = append(res.Samples[key], pi)
			}
		}
		return w.Add(ctx, pi)
	})
	if cpErr != nil {
		return nil, fmt.Errorf("plan source %q: checkpoint: %w (nothing was planned)", src.Name, cpErr)
	}
	var inc *connectors.IncompleteError
	switch {
	case listErr == nil:
	case errors.As(listErr, &inc):
	default:
		return nil, fmt.Errorf("list source %q: %w (nothing was planned)", src.Name, listErr)
	}
	if earlier > 0 {
		// Containers that failed before the interruption stay failed: their
		// items are unknown, as if the listing had not been interrupted.
		merged := &connectors.IncompleteError{}
		for _, f := range rs.Failed[:earlier] {
			merged.Skipped = append(merged.Skipped, errors.New(f))
		}
		if inc != nil {
			merged.Skipped = append(merged.Skipped, inc.Skipped...)
		}
		inc = merged
	}
	if inc != nil {
		res.Incomplete = inc
		log.Warn("source listed incompletely", zap.Int("skipped_parts", len(inc.Skipped)))
	}
	if res.Ignored > 0 {
		names := make([]string, len(res.IgnoredSamples))
		for i, f := range res.IgnoredSamples {
			names[i] = safetext.Name(f.Ref)
		}
		log.Warn("files left out: they are not what the source manages and are never deleted by it", zap.Int64("files", res.Ignored), zap.Strings("first", names))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("plan source %q: %w", src.Name, err)
	}
	incomplete := ""
	if inc != nil {
		incomplete = inc.Error()
	}
	res.AwaitingNotice = notices.Deferred
	if forToday {
		// Recorded before the plan is finished: a plan whose notices
		// could not be recorded is not finished either, and resumes.
		if err := p.recordOwnerNotices(ctx, conn, notices, inc == nil && !resumed, log); err != nil {
			return nil, fmt.Errorf("plan source %q: %w (nothing was planned)", src.Name, err)
		}
	}
	if inc == nil && !resumed {
		// The whole source was listed in one go: an open batch's item
		// not found is gone. (Not after an incomplete or resumed
		// listing, which did not see every item.)
		for i := range open.items {
			if !open.items[i].seen {
				open.items[i].withdraw = wAbsent
			}
		}
	}
	if forToday {
		if err := open.resolve(ctx, p.Store); err != nil {
			return nil, err
		}
	}
	plan, totals, err := w.Finish(ctx, store.Plan{Listed: listed, Keep: keep, Incomplete: incomplete}, func(tx *store.Tx, plan *store.Plan, totals []store.RuleTotal) error {
		if !forToday {
			return nil
		}
		_, canArchive := conn.(connectors.Archiver)
		return p.cutBatches(tx, src, plan, totals, res, canArchive, open)
	})
	if err != nil {
		return nil, err
	}
	res.Plan, res.Totals = plan, totals
	if err := p.Checkpoint(ctx); err != nil {
		return nil, err
	}
	log.Info("planned", zap.Int64("plan", plan.ID), zap.Int64("listed", listed), zap.Int64("due", plan.Due),
		zap.Int64("review", plan.Review), zap.Int64("held", plan.Held), zap.Int64("awaiting_owner_notice", res.AwaitingNotice), zap.Int("batches", len(res.Batches)))
	return res, nil
}

// resumeState is the planner's part of a plan checkpoint.
type resumeState struct {
	Listed int64    `json:"listed"`
	Keep   int64    `json:"keep"`
	Failed []string `json:"failed,omitempty"` // containers that could not be listed
}

// A plan is checkpointed at the first container boundary after this many
// items or containers.
const (
	defaultCheckpointItems      = 20000
	defaultCheckpointContainers = 100
)

func (p *Pipeline) checkpointItems() int64 {
	if p.CheckpointItems > 0 {
		return p.CheckpointItems
	}
	return defaultCheckpointItems
}

func (p *Pipeline) checkpointContainers() int {
	if p.CheckpointContainers > 0 {
		return p.CheckpointContainers
	}
	return defaultCheckpointContainers
}

// sourceDigest identifies a source's settings: a plan interrupted under
// other settings (another list of mailboxes) is not resumed.
func sourceDigest(src configs.Source) (string, error) {
	b, err := json.Marshal(src.Options)
	if err != nil {
		return "", fmt.Errorf("digest the settings of source %q: %w", src.Name, err)
	}
	sum := sha256.Sum256(append([]byte(src.Kind.Name+"\x00"), b...))
	return hex.EncodeToString(sum[:]), nil
}

// policyItem is what the policy engine knows about a listed item.
func policyItem(source string, it connectors.Item) policies.Item {
	return policies.Item{Source: source, Kind: it.Kind, Ref: it.Ref, Path: it.Ref, Size: it.Size, Labels: it.Labels,
		Modified: it.Modified, Created: it.Created, Received: it.Received, Recorded: it.Recorded, RecordedFrom: it.RecordedFrom}
}

// dateStrings holds each date a plan has written once: a plan's items
// share few dates, and formatting one costs more than the lookup.
type dateStrings map[policies.Date]string

func (m dateStrings) of(d policies.Date) string {
	s, ok := m[d]
	if !ok {
		s = d.String()
		m[d] = s
	}
	return s
}

// planItem is the stored form of an item that is not simply kept.
func planItem(it connectors.Item, d *policies.Decision, dates dateStrings) store.PlanItem {
	pi := store.PlanItem{Ref: it.Ref, Version: it.Version, Container: it.Container, Size: it.Size,
		Verdict: d.Verdict.String(), Subject: d.Subject}
	if d.Rule != nil {
		pi.Rule = d.Rule.ID
	}
	if !d.Anchor.IsZero() {
		pi.Anchor = dates.of(d.Anchor)
	}
	if !d.Due.IsZero() {
		pi.Due = dates.of(d.Due)
	}
	plainKeep := d.Verdict == policies.Keep && d.Exemption == nil && d.Retain == nil && d.Unknown == "" && d.Hold == nil
	if d.Verdict != policies.Due && !plainKeep {
		// Due items, and items kept only because their date has not come,
		// are explained from their rule, anchor and due date (see
		// Explain); the rest need their reason kept.
		pi.Note = d.Reason()
	}
	return pi
}

// cutBatches records the plan's decisions about batches, in the
// transaction that completes the plan: it supersedes the open batches that
// cannot run under the policies in force, withdraws from open batches the
// items the plan found changed, gone, held, no longer due or kept by a
// decision, and creates one batch per rule with due items that are in no
// open batch, recording the policies and all of it in the ledger.
func (p *Pipeline) cutBatches(tx *store.Tx, src configs.Source, plan *store.Plan, totals []store.RuleTotal, res *PlanResult, canArchive bool, open *openSet) error {
	now := p.Clock.Now()
	var entries []ledger.Entry
	for _, pol := range p.Config.Policies.Policies {
		isNew, err := tx.AddPolicyText(pol.Digest, pol.ID, pol.Text)
		if err != nil {
			return err
		}
		if isNew {
			e := p.entry(ledger.TypePolicy)
			e.Policy, e.PolicyDigest, e.Text = pol.ID, pol.Digest, string(pol.Text)
			entries = append(entries, e)
		}
	}
	newBatch := map[string]int64{} // rule+"/"+method -> batch cut now
	for _, t := range totals {
		method := store.MethodDelete
		switch t.Verdict {
		case policies.Due.String():
		case policies.Archive.String():
			// Items under archive duty are moved into the rule's archive,
			// where the connector can move them; elsewhere they stay in
			// the plan for a person to move.
			method = store.MethodArchive
			if !canArchive || p.Config.Policies.Rule(t.Rule).ArchiveTo == "" {
				continue
			}
		default:
			continue
		}
		if t.NewItems == 0 {
			continue // every due item is in an open batch already
		}
		rule := p.Config.Policies.Rule(t.Rule)
		b := store.Batch{PlanID: plan.ID, Source: src.Name, Rule: rule.ID, Policy: rule.Policy.ID, PolicyDigest: rule.Policy.Digest,
			CreatedAt: store.Time{Time: now}, UpdatedAt: store.Time{Time: now}, Planner: plan.Planner,
			Items: t.NewItems, Bytes: t.NewBytes, Fingerprint: t.NewFingerprint, Status: store.StatusPending, Method: method}
		last, err := tx.LastExecuted(src.Name, rule.ID)
		if err != nil {
			return err
		}
		if last < 0 && rule.Approval.Automatic() {
			// Nobody reviews a batch of a rule that needs no approval:
			// its first batch on this source counts as growth from
			// nothing, so that a source pointed at the wrong folder
			// cannot delete thousands of files unconfirmed.
			last = 0
		}
		if why := guardReason(rule.Guard, t.NewItems, last); why != "" {
			b.Status, b.StatusNote = store.StatusGuarded, why
		} else if rule.Approval.Automatic() {
			b.Status, b.StatusNote = store.StatusApproved, "the rule needs no approval"
		}
		if _, err := tx.CreateBatch(&b); err != nil {
			return err
		}
		// The console's summary and search index of the batch, written
		// with it (store/batchindex.go).
		if err := tx.IndexBatch(b.ID); err != nil {
			return err
		}
		newBatch[rule.ID+"/"+method] = b.ID
		res.Batches = append(res.Batches, b)
		e := p.entry(ledger.TypeBatch)
		e.Batch, e.Plan, e.Source, e.SourceKind = b.ID, b.Fingerprint, src.Name, src.Kind.Name
		e.Policy, e.PolicyDigest, e.Rule, e.Period = rule.Policy.ID, rule.Policy.Digest, rule.ID, rule.Keep.String()
		e.Basis, e.Items, e.Size, e.Actor = rule.From.String(), b.Items, b.Bytes, plan.Planner
		e.Stages = stageTokens(rule)
		if method == store.MethodArchive {
			e.Method = method
		}
		entries = append(entries, e)
		if b.Status == store.StatusApproved {
			a := p.entry(ledger.TypeApproval)
			a.Batch, a.Rule, a.Plan, a.Reason = b.ID, rule.ID, b.Fingerprint, "automatic: the rule needs no approval"
			entries = append(entries, a)
		}
	}
	for _, ob := range open.stale {
		// Its rule left the policies or its policy changed: it can never
		// run as approved. The items due under the policies in force are
		// in this plan's batch of the rule, if any.
		note := fmt.Sprintf("its policy changed; plan %d replaced it", plan.ID)
		if err := tx.ChangeStatus(ob.ID, store.WithdrawableStatuses, store.StatusSuperseded, note, now); errors.Is(err, store.ErrStatusChanged) {
			continue // decided meanwhile
		} else if err != nil {
			return err
		}
		succ := newBatch[ob.Rule+"/"+ob.Method]
		if err := tx.SetSuccessor(ob.ID, succ); err != nil {
			return err
		}
		ob.Successor = succ
		res.Superseded = append(res.Superseded, ob)
		e := p.entry(ledger.TypeRejection)
		e.Batch, e.Source, e.Rule, e.Reason = ob.ID, ob.Source, ob.Rule, "superseded by plan "+fmt.Sprint(plan.ID)+": its policy changed"
		entries = append(entries, e)
	}
	withdrawn, err := p.withdraw(tx, src, plan, open, newBatch, res)
	if err != nil {
		return err
	}
	entries = append(entries, withdrawn...)
	return appendEntries(tx, entries...)
}

// withdraw withdraws from the open batches that have not begun to run
// the items the plan found changed, gone, held, no longer due or kept by
// a decision, and marks a batch with nothing left withdrawn. Each batch's
// status is read again here, in the transaction that completes the plan.
func (p *Pipeline) withdraw(tx *store.Tx, src configs.Source, plan *store.Plan, open *openSet, newBatch map[string]int64, res *PlanResult) ([]ledger.Entry, error) {
	now := p.Clock.Now()
	type key struct {
		batch int64
		code  string
	}
	counts := map[key]*WithdrawnCount{}
	batches := map[int64]*store.Batch{}
	var entries []ledger.Entry
	for i := range open.items {
		oi := &open.items[i]
		if oi.withdraw == 0 {
			continue
		}
		ref, id := open.refs[int32(i)], open.batches[oi.b].ID
		if ref == "" {
			return nil, fmt.Errorf("plan %d: an item withdrawn from batch %d was not found again in it", plan.ID, id)
		}
		b := batches[id]
		if b == nil {
			var err error
			if b, err = tx.Batch(id); err != nil {
				return nil, err
			}
			batches[id] = b
		}
		if !slices.Contains(store.WithdrawableStatuses, b.Status) {
			continue // it has begun to run, or was decided meanwhile
		}
		w := store.Withdrawal{BatchID: b.ID, Ref: ref, Version: open.versions[int32(i)], Code: withdrawalCode(oi.withdraw), PlanID: plan.ID, At: store.Time{Time: now}}
		if oi.newVersion {
			w.Successor = newBatch[b.Rule+"/"+b.Method]
		}
		ok, err := tx.Withdraw(w)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		b.Withdrawn++
		c := counts[key{b.ID, w.Code}]
		if c == nil {
			c = &WithdrawnCount{Batch: b.ID, Code: w.Code}
			counts[key{b.ID, w.Code}] = c
		}
		c.Items++
		if w.Successor != 0 {
			c.Successor = w.Successor
			b.Successor = w.Successor
		}
		e := p.entry(ledger.TypeWithdrawal)
		e.Batch, e.Source, e.SourceKind, e.Rule, e.Plan = b.ID, src.Name, src.Kind.Name, b.Rule, b.Fingerprint
		e.Item = p.Refs.Ref("item:"+src.Kind.Name+":"+src.Name, ref)
		e.Code = w.Code
		entries = append(entries, e)
	}
	ids := slices.Sorted(maps.Keys(batches))
	for _, id := range ids {
		b := batches[id]
		if b.Successor != 0 {
			if err := tx.SetSuccessor(b.ID, b.Successor); err != nil {
				return nil, err
			}
		}
		if b.Withdrawn < b.Items || !slices.Contains(store.WithdrawableStatuses, b.Status) {
			continue
		}
		note := fmt.Sprintf("plan %d withdrew every item", plan.ID)
		if b.Successor != 0 {
			note += fmt.Sprintf("; the changed items are in batch %d", b.Successor)
		}
		if err := tx.ChangeStatus(b.ID, store.WithdrawableStatuses, store.StatusWithdrawn, note, now); err != nil {
			return nil, err
		}
		for _, c := range counts {
			if c.Batch == b.ID {
				c.Emptied = true
			}
		}
	}
	for _, c := range counts {
		res.Withdrawn = append(res.Withdrawn, *c)
	}
	slices.SortFunc(res.Withdrawn, func(a, b WithdrawnCount) int {
		if a.Batch != b.Batch {
			return cmp.Compare(a.Batch, b.Batch)
		}
		return strings.Compare(a.Code, b.Code)
	})
	return entries, nil
}

// stageTokens is what a rule's approval asks for, as the ledger's batch
// entry records it ("group:count" per stage, in order).
func stageTokens(r *policies.Rule) []string {
	var out []string
	for _, st := range r.Approval.Stages {
		out = append(out, fmt.Sprintf("%s:%d", st.Group, st.Count))
	}
	return out
}

// guardReason says why a batch of n items is held by the blast-radius
// guard, given the size of the rule's last executed batch (-1: none).
func guardReason(g policies.Guard, n, last int64) string {
	if g.MaxItems > 0 && n > int64(g.MaxItems) {
		return fmt.Sprintf("%d items is more than the rule's limit of %d per batch", n, g.MaxItems)
	}
	if g.MaxGrowth > 0 && last >= 0 && n >= int64(g.MinItems) && float64(n) > g.MaxGrowth*float64(max(last, 1)) {
		if last == 0 {
			return fmt.Sprintf("%d items is the first batch of a rule that needs no approval on this source: an operator confirms it", n)
		}
		return fmt.Sprintf("%d items is more than %g times the %d of the rule's last executed batch", n, g.MaxGrowth, last)
	}
	return ""
}

// Explain renders why a stored plan item is in the plan.
func (p *Pipeline) Explain(it store.PlanItem) string {
	if it.Note != "" {
		return it.Note
	}
	r := p.Config.Policies.Rule(it.Rule)
	if r == nil {
		return fmt.Sprintf("%s under rule %s (no longer in the policies)", it.Verdict, it.Rule)
	}
	var b strings.Builder
	switch {
	case it.Verdict == policies.Keep.String() && it.Due == "":
		fmt.Fprintf(&b, "kept under rule %s", r.ID)
		if r.Title != "" {
			fmt.Fprintf(&b, " (%s)", r.Title)
		}
		if r.From.Event == "left" {
			fmt.Fprintf(&b, ": %s has not left", it.Subject)
		} else {
			fmt.Fprintf(&b, ": %s has no %s date", it.Subject, strings.ReplaceAll(r.From.Event, "_", " "))
		}
		return b.String()
	case it.Verdict == policies.Keep.String():
		fmt.Fprintf(&b, "kept until %s under rule %s", it.Due, r.ID)
	default:
		fmt.Fprintf(&b, "due since %s under rule %s", it.Due, r.ID)
	}
	if r.Title != "" {
		fmt.Fprintf(&b, " (%s)", r.Title)
	}
	fmt.Fprintf(&b, ": %s %s", anchorWords(r.From), it.Anchor)
	if r.FromEndOf != policies.NoBoundary {
		fmt.Fprintf(&b, ", counted from the end of that %s", strings.ReplaceAll(r.FromEndOf.String(), "_", " "))
	}
	fmt.Fprintf(&b, ", kept %s", r.Keep.Human())
	if r.ByEndOf != policies.NoBoundary {
		fmt.Fprintf(&b, ", at the latest on the last day of that %s", strings.ReplaceAll(r.ByEndOf.String(), "_", " "))
	}
	return b.String()
}

func anchorWords(a policies.Anchor) string {
	if a.IsSubject() {
		if a.Event == "born" {
			return fmt.Sprintf("birthday %d on", a.Years)
		}
		return "subject " + strings.ReplaceAll(a.Event, "_", " ") + " on"
	}
	return a.Item.String()
}

// OverdueByRule counts, per rule, the due items of plan whose due date is
// before day (yyyy-mm-dd): due, and still there when the plan was made.
func (p *Pipeline) OverdueByRule(ctx context.Context, plan int64, day string) (map[string]int64, error) {
	c := map[string]int64{}
	err := p.Store.PlanItems(ctx, plan, "due", "", func(ch store.Chunk) error {
		for _, it := range ch.Items {
			if it.Due != "" && it.Due < day {
				c[it.Rule]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count overdue items of plan %d: %w", plan, err)
	}
	return c, nil
}
