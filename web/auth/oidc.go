package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
)

// errUnknown is a sign-in that matches no person (or matches one who may
// not sign in with it); the reason is for the log.
type errUnknown struct{ reason string }

func (e errUnknown) Error() string { return "unknown identity: " + e.reason }

// claims are the ID token's claims a sign-in is matched by.
type claims struct {
	Subject           string `json:"sub"`
	OID               string `json:"oid"` // Microsoft Entra ID: the user's object id, the same for every app of the tenant
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"` // true, or "true" from some providers
	AuthorizedParty   string `json:"azp"`            // must be this client when aud names several
	// Roles are the app roles assigned to the user (Entra ID puts the
	// values of the app registration's roles assigned to the user or
	// their groups here); taken only with web.oidc.app_roles.
	Roles []string `json:"roles"`
}

// appRoles returns the retentiond roles among an ID token's app roles
// (values compared without regard to case; others are ignored) and how
// many values were not retentiond roles.
func appRoles(values []string) (roles []string, ignored int) {
	for _, v := range values {
		r := strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains([]string{configs.RoleApprover, configs.RoleOperator, configs.RoleAuditor}, r) {
			ignored++
			continue
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	slices.Sort(roles)
	return roles, ignored
}

// subject is the stable claim a person is known by: Entra's oid, else
// sub.
func (c claims) subject() string {
	if c.OID != "" {
		return c.OID
	}
	return c.Subject
}

// names are what an oidc_username may match: preferred_username, and the
// email when the provider says it verified it (Entra does not send
// email_verified, and lets some accounts choose their email, so there
// preferred_username, the sign-in name the tenant gave, is what counts).
func (c claims) names() []string {
	var n []string
	if c.PreferredUsername != "" {
		n = append(n, c.PreferredUsername)
	}
	if v := c.EmailVerified; c.Email != "" && (v == true || v == "true") {
		n = append(n, c.Email)
	}
	return n
}

// discover returns the provider and the verifier of its ID tokens,
// fetching the provider's discovery document the first time (and after a
// failure).
func (m *Manager) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.provider != nil {
		return m.provider, m.verifier, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, m.client), m.web.OIDC.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the OIDC provider %s: %w", m.web.OIDC.Issuer, err)
	}
	m.provider = p
	m.oauth.Endpoint = p.Endpoint()
	m.verifier = p.Verifier(&oidc.Config{ClientID: m.web.OIDC.ClientID, Now: m.now})
	return m.provider, m.verifier, nil
}

// login begins an OIDC sign-in: it records state, nonce, PKCE verifier
// and where to go afterwards (next, a local path) under a random value
// the browser keeps in a cookie, and sends the browser to the provider.
func (m *Manager) login(w http.ResponseWriter, r *http.Request) {
	if !m.allow(w, r) {
		return
	}
	if m.oauth == nil {
		m.ErrorPage(w, r, http.StatusNotFound, CodeNotConfigured)
		return
	}
	ctx := r.Context()
	if _, _, err := m.discover(ctx); err != nil {
		m.log.Error("sign-in: provider unavailable", zap.Error(err))
		m.ErrorPage(w, r, http.StatusBadGateway, CodeUnavailable)
		return
	}
	now := m.now()
	bind, state, nonce, verifier := random(), random(), random(), oauth2.GenerateVerifier()
	if err := m.st.AddWebPending(ctx, store.WebPending{IDHash: hash(bind), State: state, Nonce: nonce, Verifier: verifier,
		Next: localPath(r.URL.Query().Get("next")), CreatedAt: store.Time{Time: now}, ExpiresAt: store.Time{Time: now.Add(pendingTTL)}}); err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	http.SetCookie(w, m.cookie(pendingCookie, bind, "/auth/", int(pendingTTL.Seconds())))
	m.mu.Lock()
	to := m.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	m.mu.Unlock()
	m.purge(ctx)
	http.Redirect(w, r, to, http.StatusFound)
}

// callback finishes an OIDC sign-in: the begun sign-in of this browser,
// used once; its state; the code exchanged with its PKCE verifier; the ID
// token verified (signature, issuer, audience, expiry) and its nonce;
// and the person it names.
func (m *Manager) callback(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		return // a prefetch does not use the begun sign-in up
	}
	if !m.allow(w, r) {
		return
	}
	if m.oauth == nil {
		m.ErrorPage(w, r, http.StatusNotFound, CodeNotConfigured)
		return
	}
	ctx := r.Context()
	refuse := func(status int, code, reason string, fields ...zap.Field) {
		m.log.Warn("sign-in refused: "+reason, fields...)
		m.ErrorPage(w, r, status, code)
	}
	c, err := r.Cookie(pendingCookie)
	if err != nil || !wellFormed(c.Value) {
		refuse(http.StatusBadRequest, CodeSigninExpired, "no sign-in begun in this browser")
		return
	}
	http.SetCookie(w, m.cookie(pendingCookie, "", "/auth/", -1))
	pend, err := m.st.TakeWebPending(ctx, hash(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusBadRequest, CodeSigninExpired, "the sign-in begun is unknown or was finished")
		return
	}
	if err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	if !m.now().Before(pend.ExpiresAt.Time) {
		refuse(http.StatusBadRequest, CodeSigninExpired, "the sign-in begun has expired")
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pend.State)) != 1 {
		refuse(http.StatusBadRequest, CodeSigninFailed, "state does not match")
		return
	}
	if e := q.Get("error"); e != "" {
		refuse(http.StatusForbidden, CodeSigninDenied, "the provider answered with an error", zap.String("oidc_error", safeCode(e)))
		return
	}
	code := q.Get("code")
	if code == "" {
		refuse(http.StatusBadRequest, CodeSigninFailed, "no code")
		return
	}
	_, verifier, err := m.discover(ctx)
	if err != nil {
		m.log.Error("sign-in: provider unavailable", zap.Error(err))
		m.ErrorPage(w, r, http.StatusBadGateway, CodeUnavailable)
		return
	}
	tok, err := m.oauth.Exchange(oidc.ClientContext(ctx, m.client), code, oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		refuse(http.StatusForbidden, CodeSigninFailed, "the code could not be exchanged", zap.Error(err))
		return
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		refuse(http.StatusForbidden, CodeSigninFailed, "the provider returned no ID token")
		return
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		refuse(http.StatusForbidden, CodeSigninFailed, "ID token not valid", zap.Error(err))
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pend.Nonce)) != 1 {
		refuse(http.StatusForbidden, CodeSigninFailed, "ID token's nonce is not this sign-in's")
		return
	}
	var cl claims
	if err := idt.Claims(&cl); err != nil {
		refuse(http.StatusForbidden, CodeSigninFailed, "ID token's claims unreadable", zap.Error(err))
		return
	}
	if len(idt.Audience) > 1 && cl.AuthorizedParty != m.web.OIDC.ClientID {
		refuse(http.StatusForbidden, CodeSigninFailed, "ID token for several audiences is not authorized for this client (azp)")
		return
	}
	subject := cl.subject()
	ref := m.refs.Ref("oidc:"+idt.Issuer, subject)
	person, err := m.match(ctx, idt.Issuer, cl)
	var unknown errUnknown
	if errors.As(err, &unknown) {
		refuse(http.StatusForbidden, CodeUnknownIdentity, unknown.reason, zap.String("identity_ref", ref))
		return
	}
	if err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	id := Identity{Person: person, Method: MethodOIDC, Subject: ref}
	if m.web.OIDC.AppRoles {
		roles, ignored := appRoles(cl.Roles)
		if len(roles) == 0 {
			refuse(http.StatusForbidden, CodeNoAppRole, "the ID token has no retentiond app role (web.oidc.app_roles)",
				zap.String("identity_ref", ref), zap.Int("roles_ignored", ignored))
			return
		}
		id.AppRoles, id.Roles = true, roles
	}
	if err := m.startSession(w, r, id); err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	m.log.Info("signed in", zap.String("method", MethodOIDC), zap.String("identity_ref", ref))
	http.Redirect(w, r, pend.Next, http.StatusSeeOther)
}

// match finds the person the verified claims of issuer name: the one
// whose oidc_subject is the subject; or the one the subject was bound to
// on an earlier sign-in; or, on a first sign-in, the one whose
// oidc_username is the preferred_username (or verified email), to whom
// the subject is then bound for good. A person with an oidc_subject signs
// in with that subject only, and a person bound to one subject with no
// other.
func (m *Manager) match(ctx context.Context, issuer string, c claims) (string, error) {
	subject := c.subject()
	if subject == "" {
		return "", errUnknown{"the ID token has no subject"}
	}
	for _, p := range m.cfg.Load().People {
		if p.OIDCSubject != "" && p.OIDCSubject == subject {
			return p.ID, nil
		}
	}
	wi, err := m.st.WebIdentityBySubject(ctx, issuer, subject)
	switch {
	case err == nil:
		p, ok := m.cfg.Load().Person(wi.Person)
		if !ok || p.OIDCSubject != "" || p.OIDCUsername == "" {
			return "", errUnknown{"the subject was bound to a person who no longer signs in by user name"}
		}
		return p.ID, nil
	case !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	for _, p := range m.cfg.Load().People {
		if p.OIDCUsername == "" || p.OIDCSubject != "" {
			continue
		}
		for _, n := range c.names() {
			if !strings.EqualFold(p.OIDCUsername, n) {
				continue
			}
			err := m.st.BindWebIdentity(ctx, store.WebIdentity{Person: p.ID, Issuer: issuer, Subject: subject, BoundAt: store.Time{Time: m.now()}})
			if errors.Is(err, store.ErrBound) {
				return "", errUnknown{"the user name is of a person bound to another subject"}
			}
			if err != nil {
				return "", err
			}
			m.log.Info("subject bound to a person on first sign-in", zap.String("identity_ref", m.refs.Ref("oidc:"+issuer, subject)))
			return p.ID, nil
		}
	}
	return "", errUnknown{"no person has this subject or user name"}
}

// safeCode is an OAuth error code fit for a log: letters, digits and
// underscores, at most 40.
func safeCode(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '?'
	}, s)
}
