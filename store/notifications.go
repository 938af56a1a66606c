package store

import (
	"context"
	"fmt"
)

// Notification is one message sent to approvers or operators.
type Notification struct {
	Key        string `db:"key"`
	Kind       string `db:"kind"`
	Recipients string `db:"recipients"` // person ids, comma-separated
	SentAt     Time   `db:"sent_at"`
}

// Notified returns which of keys have been sent.
func (s *Store) Notified(ctx context.Context, keys ...string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	q, args, err := sqlxIn(`SELECT key FROM notification WHERE key IN (?)`, keys)
	if err != nil {
		return nil, err
	}
	var sent []string
	if err := s.r.SelectContext(ctx, &sent, q, args...); err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	for _, k := range sent {
		out[k] = true
	}
	return out, nil
}

// AddNotification records that n was sent. A key already recorded is
// left as it is.
func (s *Store) AddNotification(ctx context.Context, n Notification) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.NamedExecContext(ctx, `INSERT OR IGNORE INTO notification(key, kind, recipients, sent_at)
			VALUES (:key, :kind, :recipients, :sent_at)`, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		return nil
	})
}

// Notifications returns every notification sent, oldest first.
func (s *Store) Notifications(ctx context.Context) ([]Notification, error) {
	var ns []Notification
	if err := s.r.SelectContext(ctx, &ns, `SELECT * FROM notification ORDER BY sent_at, key`); err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	return ns, nil
}
