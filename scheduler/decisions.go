package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// ErrLedgerTampered is returned when the decisions a deletion would rest on
// are not what the signed ledger says: an approval the database counts has
// no entry in the signed tree, an entry's bytes or stored hashes were
// changed, or the latest checkpoint does not verify.
var ErrLedgerTampered = errors.New("the database does not match the signed ledger; nothing of the batch is deleted: run 'retentiond ledger verify', find out who changed the database, and restore it from backup")

// CheckBatchDecisions checks, before a chunk of batch b is deleted, that the
// decisions it rests on are in the signed ledger:
//
//   - the latest stored checkpoint verifies with the pipeline's keys (the
//     current signing key and the retired ones still co-signing), and the
//     stored tree hash at its size is its root hash;
//   - every approval the workflow counts (a row of the approval table for
//     b at b's fingerprint in one of the rule's stages) has its own
//     approval entry (same batch, approver, stage and fingerprint) whose
//     bytes are included in that checkpoint's tree (tlog.CheckRecord with
//     an inclusion proof from the stored hashes), and the approvals so
//     proven complete the batch's approval; a batch of a rule that needs no
//     approval has an automatic approval entry at its fingerprint;
//   - no rejection entry of b is in the ledger.
//
// An approval entry that is not yet covered by a checkpoint (a checkpoint
// after the approval failed) is covered by signing one, after checking
// that the stored tree extends the latest signed one (Checkpoint).
//
// It returns the approvers, as recorded, in the order of the rule's
// stages, for the deletion entries; none for an automatic approval. A
// refusal wraps ErrLedgerTampered and says what differs. What it proved is
// kept per batch and checkpoint, so the check before the next chunk costs
// two small queries unless the approvals or the checkpoint changed.
func (p *Pipeline) CheckBatchDecisions(ctx context.Context, b *store.Batch) (approvers []string, err error) {
	rule := p.Config.Policies.Rule(b.Rule)
	if rule == nil {
		return nil, fmt.Errorf("batch %d: rule %s is no longer in the policies; plan again: %w", b.ID, b.Rule, ErrState)
	}
	rows, err := p.Store.Approvals(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	var counted []store.Approval
	for _, a := range rows {
		if a.Fingerprint == b.Fingerprint && a.Stage >= 0 && a.Stage < len(rule.Approval.Stages) {
			counted = append(counted, a)
		}
	}
	cp, err := p.signedCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	key := decisionKey(b, counted)
	if got, ok := p.decisions.get(b.ID, key, cp); ok {
		return got, nil
	}
	for attempt := 0; ; attempt++ {
		approvers, uncovered, err := p.proveDecisions(ctx, b, rule.Approval.Automatic(), counted, cp)
		if err != nil {
			return nil, err
		}
		if !uncovered {
			if !rule.Approval.Automatic() {
				if st := approvalState(rule, b, counted); !st.Complete {
					return nil, fmt.Errorf("batch %d: the approvals in the signed ledger do not complete its approval (the database says it is %s): %w", b.ID, b.Status, ErrLedgerTampered)
				}
			}
			p.decisions.put(b.ID, key, cp, approvers)
			return approvers, nil
		}
		if attempt > 0 {
			return nil, fmt.Errorf("batch %d: its approval entries are not covered by the signed checkpoint of size %d: %w", b.ID, cp.N, ErrLedgerTampered)
		}
		// An approval whose checkpoint was not signed (the command was
		// stopped right after it): sign one, if the stored tree extends
		// the signed one, and prove again.
		if err := p.Checkpoint(ctx); err != nil {
			return nil, fmt.Errorf("batch %d: sign a checkpoint over its approvals: %w", b.ID, err)
		}
		if cp, err = p.signedCheckpoint(ctx); err != nil {
			return nil, err
		}
	}
}

// proveDecisions finds the decision entries of b in the ledger, proves the
// ones it needs against cp, and matches them with the counted approvals.
// uncovered reports that a needed entry lies beyond cp.
func (p *Pipeline) proveDecisions(ctx context.Context, b *store.Batch, automatic bool, counted []store.Approval, cp ledger.Checkpoint) (approvers []string, uncovered bool, err error) {
	leaves, err := p.Store.DecisionEntries(ctx, b.ID)
	if err != nil {
		return nil, false, err
	}
	type found struct {
		idx  int64
		data []byte
		e    ledger.Entry
		used bool
	}
	var approvals []*found
	for _, l := range leaves {
		e, err := ledger.Parse(l.Data)
		if err != nil || e.Batch != b.ID {
			// Not an entry of b (the index only narrows the search), or
			// bytes that no longer parse: an approval so changed is missed
			// below, which refuses.
			continue
		}
		switch e.Type {
		case ledger.TypeRejection:
			if cur, err := p.Store.Batch(ctx, b.ID); err == nil && (cur.Status == store.StatusRejected || cur.Status == store.StatusSuperseded) {
				return nil, false, fmt.Errorf("batch %d was %s meanwhile (ledger entry %d): %w", b.ID, cur.Status, l.Index, ErrState)
			}
			return nil, false, fmt.Errorf("batch %d was rejected or superseded at ledger entry %d, but the database says it is %s: %w", b.ID, l.Index, b.Status, ErrLedgerTampered)
		case ledger.TypeApproval:
			if e.Plan == b.Fingerprint {
				approvals = append(approvals, &found{idx: l.Index, data: l.Data, e: e})
			}
		}
	}
	hr := p.Store.HashReader(ctx)
	prove := func(f *found) error {
		if f.idx >= cp.N {
			uncovered = true
			return nil
		}
		hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, f.idx)})
		if err != nil {
			return fmt.Errorf("batch %d: read the stored hash of ledger entry %d: %w", b.ID, f.idx, err)
		}
		leaf := tlog.RecordHash(f.data)
		if hs[0] != leaf {
			return fmt.Errorf("batch %d: ledger entry %d, an approval, was altered: its bytes no longer hash to its stored leaf hash: %w", b.ID, f.idx, ErrLedgerTampered)
		}
		proof, err := tlog.ProveRecord(cp.N, f.idx, hr)
		if err == nil {
			err = tlog.CheckRecord(proof, cp.N, cp.Hash, f.idx, leaf)
		}
		if err != nil {
			return fmt.Errorf("batch %d: ledger entry %d, an approval, is not in the tree the checkpoint of size %d signs (%v): %w", b.ID, f.idx, cp.N, err, ErrLedgerTampered)
		}
		return nil
	}
	if automatic {
		for _, f := range approvals {
			if f.e.Actor == "" && strings.HasPrefix(f.e.Reason, "automatic") {
				if err := prove(f); err != nil {
					return nil, false, err
				}
				return nil, uncovered, nil
			}
		}
		return nil, false, fmt.Errorf("batch %d: its rule needs no approval, but the ledger holds no automatic approval of it at fingerprint %s: %w", b.ID, b.Fingerprint, ErrLedgerTampered)
	}
	byStage := make([][]string, 0, 4)
	for _, a := range counted {
		i := slices.IndexFunc(approvals, func(f *found) bool {
			return !f.used && f.e.Actor == a.Approver && f.e.Stage == a.Stage+1
		})
		if i < 0 {
			return nil, false, fmt.Errorf("batch %d: the approval by %s (stage %d) has no approval entry in the ledger: the approval table was changed outside retentiond: %w", b.ID, a.Approver, a.Stage+1, ErrLedgerTampered)
		}
		f := approvals[i]
		f.used = true
		if err := prove(f); err != nil {
			return nil, false, err
		}
		for len(byStage) <= a.Stage {
			byStage = append(byStage, nil)
		}
		byStage[a.Stage] = append(byStage[a.Stage], f.e.Actor)
	}
	for _, s := range byStage {
		approvers = append(approvers, s...)
	}
	return approvers, uncovered, nil
}

// signedCheckpoint returns the latest stored checkpoint once its signature
// verified with the pipeline's keys and the stored tree hash at its size
// is its root hash.
func (p *Pipeline) signedCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	c, ok, err := p.Store.LatestCheckpoint(ctx)
	if err != nil {
		return ledger.Checkpoint{}, err
	}
	if !ok {
		return ledger.Checkpoint{}, fmt.Errorf("the ledger has no signed checkpoint: %w", ErrLedgerTampered)
	}
	if cp, ok := p.decisions.opened(c.Note); ok {
		return cp, nil
	}
	cp, err := ledger.OpenCheckpoint(c.Note, p.verifiers())
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("the latest checkpoint (size %d) does not verify with the signing key: %v: %w", c.N, err, ErrLedgerTampered)
	}
	if cp.N != c.N || cp.Origin != p.Config.Origin {
		return ledger.Checkpoint{}, fmt.Errorf("the latest checkpoint is stored as size %d of %q but signs size %d of %q: %w", c.N, p.Config.Origin, cp.N, cp.Origin, ErrLedgerTampered)
	}
	h, err := p.Store.TreeHash(ctx, cp.N)
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("the stored tree of size %d: %v: %w", cp.N, err, ErrLedgerTampered)
	}
	if h != cp.Hash {
		return ledger.Checkpoint{}, fmt.Errorf("the stored tree hash at size %d is not the one its signed checkpoint carries: %w", cp.N, ErrLedgerTampered)
	}
	p.decisions.open(c.Note, cp)
	return cp, nil
}

// verifiers are the keys whose signature on a checkpoint this pipeline
// trusts: its own signing key and the retired ones it still co-signs with.
func (p *Pipeline) verifiers() note.Verifiers {
	vs := []note.Verifier{p.Signer.Verifier()}
	for _, r := range p.retired {
		vs = append(vs, r.s.Verifier())
	}
	return note.VerifierList(vs...)
}

// decisionKey identifies the approvals counted for a batch.
func decisionKey(b *store.Batch, counted []store.Approval) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s|%s|%s", b.Fingerprint, b.Rule, b.PolicyDigest)
	for _, a := range counted {
		fmt.Fprintf(&sb, "|%d:%q", a.Stage, a.Approver)
	}
	return sb.String()
}

// decisionCache keeps what CheckBatchDecisions proved: per batch, the
// approvals and the checkpoint they were proven against; and the last
// checkpoint note whose signature verified.
type decisionCache struct {
	mu      sync.Mutex
	batches map[int64]provenDecisions
	note    string
	cp      ledger.Checkpoint
}

type provenDecisions struct {
	key       string
	cp        ledger.Checkpoint
	approvers []string
}

func (c *decisionCache) get(batch int64, key string, cp ledger.Checkpoint) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.batches[batch]
	if !ok || d.key != key || d.cp != cp {
		return nil, false
	}
	return slices.Clone(d.approvers), true
}

func (c *decisionCache) put(batch int64, key string, cp ledger.Checkpoint, approvers []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batches == nil {
		c.batches = map[int64]provenDecisions{}
	}
	c.batches[batch] = provenDecisions{key: key, cp: cp, approvers: slices.Clone(approvers)}
}

func (c *decisionCache) opened(msg []byte) (ledger.Checkpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cp, c.note != "" && c.note == string(msg)
}

func (c *decisionCache) open(msg []byte, cp ledger.Checkpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.note, c.cp = string(msg), cp
}
