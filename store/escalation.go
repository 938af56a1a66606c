package store

import (
	"fmt"
	"time"
)

// MarkEscalated records that batch id, still pending and not escalated
// before, was offered to its rule's escalate_to group at at. It reports
// false, changing nothing, when the batch is no longer pending or was
// escalated already: a batch is escalated once.
func (tx *Tx) MarkEscalated(id int64, at time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE batch SET escalated_at = ? WHERE id = ? AND status = ? AND escalated_at = ''`, Time{at}, id, StatusPending)
	if err != nil {
		return false, fmt.Errorf("escalate batch %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("escalate batch %d: %w", id, err)
	}
	return n == 1, nil
}
