package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/store"
)

// IssueLink makes a one-time sign-in link for person and returns its path
// ("/auth/link/<token>"; the console's web.url goes before it). The link
// signs in whoever opens it first, once, within LinkTTL; the database
// keeps only the token's SHA-256. It is refused unless web.links is set,
// and for an id that is not a configured person.
func (m *Manager) IssueLink(ctx context.Context, person string) (string, error) {
	if !m.web.Links {
		return "", ErrLinksOff
	}
	if _, ok := m.cfg.Load().Person(person); !ok {
		return "", fmt.Errorf("%q: %w %s", person, ErrUnknownPerson, m.cfg.Load().File)
	}
	token := random()
	now := m.now()
	if err := m.st.AddWebLink(ctx, store.WebLink{Hash: hash(token), Person: person,
		CreatedAt: store.Time{Time: now}, ExpiresAt: store.Time{Time: now.Add(LinkTTL)}}); err != nil {
		return "", fmt.Errorf("issue sign-in link: %w", err)
	}
	return "/auth/link/" + token, nil
}

// link uses a one-time sign-in link: it is deleted whatever happens next,
// and starts a session (method link) if it had not expired.
func (m *Manager) link(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		return // a link checker's HEAD does not use the link up
	}
	if !m.allow(w, r) {
		return
	}
	if !m.web.Links {
		m.ErrorPage(w, r, http.StatusNotFound, CodeNotConfigured)
		return
	}
	refuse := func(reason string) {
		m.log.Warn("sign-in link refused: " + reason)
		m.ErrorPage(w, r, http.StatusForbidden, CodeLinkInvalid)
	}
	token := r.PathValue("token")
	if !wellFormed(token) {
		refuse("malformed")
		return
	}
	l, err := m.st.TakeWebLink(r.Context(), hash(token))
	if errors.Is(err, store.ErrNotFound) {
		refuse("unknown, or used already")
		return
	}
	if err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	if !m.now().Before(l.ExpiresAt.Time) {
		refuse("expired")
		return
	}
	if _, ok := m.cfg.Load().Person(l.Person); !ok {
		refuse("its person is no longer configured")
		return
	}
	if err := m.startSession(w, r, Identity{Person: l.Person, Method: MethodLink}); err != nil {
		m.internal(w, r, "sign-in failed", err)
		return
	}
	m.log.Info("signed in", zap.String("method", MethodLink))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
