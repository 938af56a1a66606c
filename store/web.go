package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The web console's sign-ins (migration 015, used by package web/auth):
// sessions, one-time links, pending OIDC sign-ins, and the provider
// subjects bound to people on their first sign-in. Rows are found by the
// hex SHA-256 of the random value the browser holds, never by the value.

// ErrBound is returned by BindWebIdentity when the person already signs
// in with another subject of the issuer, or the subject already signs in
// as another person.
var ErrBound = errors.New("already bound to another sign-in")

// WebSession is a signed-in browser.
type WebSession struct {
	IDHash  string `db:"id_hash"`
	Person  string `db:"person"`
	Method  string `db:"method"`  // oidc, link
	Subject string `db:"subject"` // keyed reference; "" for link
	CSRF    string `db:"csrf"`
	// AppRoles says Roles (comma-separated) are what the identity
	// provider gave the person at sign-in, in place of the configured
	// roles (migration 018).
	AppRoles  bool   `db:"app_roles"`
	Roles     string `db:"roles"`
	CreatedAt Time   `db:"created_at"`
	LastSeen  Time   `db:"last_seen"`
	ExpiresAt Time   `db:"expires_at"`
}

// AddWebSession stores a new session.
func (s *Store) AddWebSession(ctx context.Context, ws WebSession) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.NamedExecContext(ctx, `INSERT INTO web_session(id_hash, person, method, subject, csrf, app_roles, roles, created_at, last_seen, expires_at)
			VALUES (:id_hash, :person, :method, :subject, :csrf, :app_roles, :roles, :created_at, :last_seen, :expires_at)`, &ws); err != nil {
			return fmt.Errorf("add web session: %w", err)
		}
		return nil
	})
}

// WebSession returns the session with idHash, or ErrNotFound.
func (s *Store) WebSession(ctx context.Context, idHash string) (WebSession, error) {
	var ws WebSession
	if err := s.r.GetContext(ctx, &ws, `SELECT * FROM web_session WHERE id_hash = ?`, idHash); err != nil {
		return WebSession{}, notFound(err, "web session")
	}
	return ws, nil
}

// TouchWebSession records that the session was used at at.
func (s *Store) TouchWebSession(ctx context.Context, idHash string, at time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE web_session SET last_seen = ? WHERE id_hash = ?`, Time{at}, idHash); err != nil {
			return fmt.Errorf("touch web session: %w", err)
		}
		return nil
	})
}

// DeleteWebSession ends the session with idHash; ending one that does not
// exist is no error.
func (s *Store) DeleteWebSession(ctx context.Context, idHash string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM web_session WHERE id_hash = ?`, idHash); err != nil {
			return fmt.Errorf("delete web session: %w", err)
		}
		return nil
	})
}

// WebLink is a one-time sign-in link.
type WebLink struct {
	Hash      string `db:"hash"`
	Person    string `db:"person"`
	CreatedAt Time   `db:"created_at"`
	ExpiresAt Time   `db:"expires_at"`
}

// AddWebLink stores a new link.
func (s *Store) AddWebLink(ctx context.Context, l WebLink) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.NamedExecContext(ctx, `INSERT INTO web_link(hash, person, created_at, expires_at)
			VALUES (:hash, :person, :created_at, :expires_at)`, &l); err != nil {
			return fmt.Errorf("add sign-in link: %w", err)
		}
		return nil
	})
}

// TakeWebLink removes the link with hash and returns it, expired or not
// (the caller checks): a link is used at most once, even by two requests
// at the same moment. ErrNotFound when there is none.
func (s *Store) TakeWebLink(ctx context.Context, hash string) (WebLink, error) {
	var l WebLink
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.tx.GetContext(ctx, &l, `DELETE FROM web_link WHERE hash = ? RETURNING *`, hash); err != nil {
			return notFound(err, "sign-in link")
		}
		return nil
	})
	return l, err
}

// WebPending is an OIDC sign-in begun and not yet finished.
type WebPending struct {
	IDHash    string `db:"id_hash"`
	State     string `db:"state"`
	Nonce     string `db:"nonce"`
	Verifier  string `db:"verifier"`
	Next      string `db:"next"`
	CreatedAt Time   `db:"created_at"`
	ExpiresAt Time   `db:"expires_at"`
}

// AddWebPending stores a sign-in begun.
func (s *Store) AddWebPending(ctx context.Context, p WebPending) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.NamedExecContext(ctx, `INSERT INTO web_pending(id_hash, state, nonce, verifier, next, created_at, expires_at)
			VALUES (:id_hash, :state, :nonce, :verifier, :next, :created_at, :expires_at)`, &p); err != nil {
			return fmt.Errorf("add pending sign-in: %w", err)
		}
		return nil
	})
}

// TakeWebPending removes the pending sign-in with idHash and returns it,
// expired or not (the caller checks). ErrNotFound when there is none.
func (s *Store) TakeWebPending(ctx context.Context, idHash string) (WebPending, error) {
	var p WebPending
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.tx.GetContext(ctx, &p, `DELETE FROM web_pending WHERE id_hash = ? RETURNING *`, idHash); err != nil {
			return notFound(err, "pending sign-in")
		}
		return nil
	})
	return p, err
}

// WebIdentity is the subject of an issuer bound to a person.
type WebIdentity struct {
	Person  string `db:"person"`
	Issuer  string `db:"issuer"`
	Subject string `db:"subject"`
	BoundAt Time   `db:"bound_at"`
}

// WebIdentityBySubject returns the binding of issuer's subject, or
// ErrNotFound.
func (s *Store) WebIdentityBySubject(ctx context.Context, issuer, subject string) (WebIdentity, error) {
	var wi WebIdentity
	if err := s.r.GetContext(ctx, &wi, `SELECT * FROM web_identity WHERE issuer = ? AND subject = ?`, issuer, subject); err != nil {
		return WebIdentity{}, notFound(err, "web identity")
	}
	return wi, nil
}

// WebIdentityOf returns the subject of issuer bound to person, or
// ErrNotFound.
func (s *Store) WebIdentityOf(ctx context.Context, person, issuer string) (WebIdentity, error) {
	var wi WebIdentity
	if err := s.r.GetContext(ctx, &wi, `SELECT * FROM web_identity WHERE person = ? AND issuer = ?`, person, issuer); err != nil {
		return WebIdentity{}, notFound(err, "web identity")
	}
	return wi, nil
}

// BindWebIdentity binds wi.Subject of wi.Issuer to wi.Person for good.
// Binding the same again is no error; a person already bound to another
// subject, or a subject already bound to another person, is ErrBound.
func (s *Store) BindWebIdentity(ctx context.Context, wi WebIdentity) error {
	return s.Write(ctx, func(tx *Tx) error {
		var have []WebIdentity
		if err := tx.tx.SelectContext(ctx, &have, `SELECT * FROM web_identity
			WHERE issuer = ? AND (person = ? OR subject = ?)`, wi.Issuer, wi.Person, wi.Subject); err != nil {
			return fmt.Errorf("read web identities: %w", err)
		}
		for _, h := range have {
			if h.Person != wi.Person || h.Subject != wi.Subject {
				return fmt.Errorf("bind web identity: %w", ErrBound)
			}
		}
		if len(have) > 0 {
			return nil
		}
		if _, err := tx.tx.NamedExecContext(ctx, `INSERT INTO web_identity(person, issuer, subject, bound_at)
			VALUES (:person, :issuer, :subject, :bound_at)`, &wi); err != nil {
			return fmt.Errorf("bind web identity: %w", err)
		}
		return nil
	})
}

// PurgeWeb deletes the sessions that expired (at their absolute end, or
// idle since now-idle), and the links and pending sign-ins past their
// expiry. It returns how many rows it deleted.
func (s *Store) PurgeWeb(ctx context.Context, now time.Time, idle time.Duration) (int64, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM web_session WHERE julianday(expires_at) <= julianday(?) OR julianday(last_seen) <= julianday(?)`,
				[]any{Time{now}, Time{now.Add(-idle)}}},
			{`DELETE FROM web_link WHERE julianday(expires_at) <= julianday(?)`, []any{Time{now}}},
			{`DELETE FROM web_pending WHERE julianday(expires_at) <= julianday(?)`, []any{Time{now}}},
		} {
			res, err := tx.tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return fmt.Errorf("purge web sign-ins: %w", err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return n, err
}
