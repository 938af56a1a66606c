package scheduler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// StateError says why a batch is not in a state that allows what was
// asked, and what to do instead. It is an ErrState (errors.Is).
type StateError struct {
	Batch  int64
	Status string
	// Successor is the batch that took over its items (a superseded or
	// withdrawn batch), 0 for none.
	Successor int64
	Msg       string
}

func (e *StateError) Error() string { return e.Msg }

// Is makes a StateError an ErrState.
func (e *StateError) Is(target error) bool { return target == ErrState }

// stateError explains that batch b, in status b.Status, cannot be approved
// or confirmed (what, "approve" or "confirm") and says what to do instead.
func (p *Pipeline) stateError(tx *store.Tx, b *store.Batch, what string) error {
	e := &StateError{Batch: b.ID, Status: b.Status, Successor: b.Successor}
	when := func(t store.Time) string { return t.Time.In(p.Config.Location).Format("2006-01-02 15:04") }
	by := func() (string, error) {
		as, err := tx.Approvals(b.ID)
		if err != nil {
			return "", err
		}
		var ids []string
		for _, a := range as {
			if !slices.Contains(ids, a.Approver) {
				ids = append(ids, a.Approver)
			}
		}
		if len(ids) == 0 {
			return "automatically: its rule needs no approval", nil
		}
		return "by " + strings.Join(ids, ", "), nil
	}
	switch b.Status {
	case store.StatusGuarded:
		e.Msg = fmt.Sprintf("batch %d is held by the blast-radius guard (%s): an operator must confirm its size first: retentiond batches confirm %d --as OPERATOR",
			b.ID, safetext.Text(b.StatusNote), b.ID)
	case store.StatusPending:
		// Only Confirm asks for a guarded batch.
		e.Msg = fmt.Sprintf("batch %d is not held by the blast-radius guard: it waits for its approvals, and there is nothing to %s; see retentiond batches show %d", b.ID, what, b.ID)
	case store.StatusApproved:
		who, err := by()
		if err != nil {
			return err
		}
		e.Msg = fmt.Sprintf("batch %d is already approved (%s): nothing more is needed; it runs at the next execute", b.ID, who)
	case store.StatusExecuting:
		who, err := by()
		if err != nil {
			return err
		}
		e.Msg = fmt.Sprintf("batch %d is already approved (%s) and being executed: nothing more is needed", b.ID, who)
	case store.StatusDone:
		e.Msg = fmt.Sprintf("batch %d was executed on %s (%d done, %d skipped, %d failed): nothing more is needed; see retentiond batches show %d",
			b.ID, when(b.UpdatedAt), b.Deleted, b.Skipped, b.Failed, b.ID)
	case store.StatusSuperseded:
		if b.Successor != 0 {
			e.Msg = fmt.Sprintf("batch %d was superseded by batch %d: review and approve that one", b.ID, b.Successor)
		} else {
			e.Msg = fmt.Sprintf("batch %d was superseded (%s): its items are planned again; see retentiond batches list", b.ID, safetext.Text(b.StatusNote))
		}
	case store.StatusWithdrawn:
		e.Msg = fmt.Sprintf("every item of batch %d was withdrawn before it ran (changed, gone, held, no longer due or excluded): there is nothing left to %s", b.ID, what)
		if b.Successor != 0 {
			e.Msg += fmt.Sprintf("; the changed items are in batch %d: review and approve that one", b.Successor)
		}
	case store.StatusRejected:
		// The note is "rejected by PERSON: REASON".
		head, reason, _ := strings.Cut(b.StatusNote, ": ")
		if !strings.HasPrefix(head, "rejected") {
			head, reason = "rejected", b.StatusNote
		}
		e.Msg = fmt.Sprintf("batch %d was %s on %s", b.ID, safetext.Text(head), when(b.UpdatedAt))
		if reason != "" {
			e.Msg += fmt.Sprintf(" (%s)", safetext.Text(reason))
		}
		e.Msg += ": it will not be executed"
	default:
		e.Msg = fmt.Sprintf("batch %d is %s: there is nothing to %s", b.ID, b.Status, what)
	}
	return e
}
