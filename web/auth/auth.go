// Package auth signs people in to the web console and keeps their
// sessions: OpenID Connect (authorization code flow with PKCE, state and
// nonce; Microsoft Entra ID, Google Workspace, Keycloak or any other
// provider) and one-time sign-in links (`retentiond web link PERSON`, for
// the demo and for a console without a provider).
//
// A sign-in is matched to a configured person by the provider's stable
// subject (people[].oidc_subject: the Entra oid claim, else sub), or on the
// person's first sign-in by their oidc_username (preferred_username, or a
// verified email), after which that subject is pinned to the person and no
// other subject signs in as them. Nobody else gets a session.
//
// Sessions live in the database (store: web_session) under the SHA-256 of
// a random id held in the cookie retentiond_session (HttpOnly,
// SameSite=Lax, Secure behind TLS); each has its own CSRF token and ends
// after web.session.idle without a request, and after web.session.max in
// any case. Sign-in attempts (starts, callbacks, link uses) are limited
// per client address.
//
// Nothing personal is logged: refusals name the keyed reference
// (ledger.RefKey) of the issuer and subject, or of the client address.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// CookieName is the session cookie's name.
const CookieName = "retentiond_session"

// pendingCookie binds a begun OIDC sign-in to the browser that began it.
const pendingCookie = "retentiond_signin"

const (
	// LinkTTL is how long a sign-in link can be used.
	LinkTTL = 10 * time.Minute
	// pendingTTL is how long a begun OIDC sign-in can be finished.
	pendingTTL = 10 * time.Minute
	// touchEvery: a session's last_seen is written at most this often, so
	// a session may end up to this much before its idle time is up,
	// never after.
	touchEvery = time.Minute
	// AttemptsPerMinute is how many sign-in attempts (starts, callbacks,
	// link uses) one client address may make per minute.
	AttemptsPerMinute = 20
	// purgeEvery is how often ended sessions, links and pending sign-ins
	// are deleted.
	purgeEvery = 10 * time.Minute
)

// Methods of sign-in (ledger.AuthMethods).
const (
	MethodOIDC = "oidc"
	MethodLink = "link"
)

// ErrNoSession is returned by Session when the request carries no live
// session.
var ErrNoSession = errors.New("not signed in")

// ErrLinksOff is returned by IssueLink unless web.links is set.
var ErrLinksOff = errors.New("sign-in links are off: set web.links: true in the configuration to allow them")

// ErrUnknownPerson is returned by IssueLink for an id that is not a
// configured person.
var ErrUnknownPerson = errors.New("not a person in the configuration")

// Identity is who a session belongs to and how they signed in.
type Identity struct {
	Person  string // configured person id
	Method  string // MethodOIDC or MethodLink
	Subject string // keyed reference of the OIDC issuer and subject; "" for a link
	// AppRoles says Roles are the roles the ID token's roles claim gave
	// the person (web.oidc.app_roles): they hold those and no others in
	// the console. Otherwise the configuration's roles apply.
	AppRoles bool
	Roles    []string
}

// Session is a signed-in browser.
type Session struct {
	// ID identifies the session: the SHA-256 of its cookie's value (hex),
	// not the value, so it may be shown or logged.
	ID string
	Identity
	// CSRF is the session's token that forms changing state carry (form
	// field csrf, or header X-CSRF-Token); see CheckCSRF.
	CSRF     string
	Created  time.Time
	LastSeen time.Time
}

// CheckCSRF reports whether r carries the session's CSRF token, in the
// header X-CSRF-Token or the form field csrf (compared in constant time).
func (s *Session) CheckCSRF(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if r.PostForm == nil {
			r.ParseForm() // a bad form simply has no token
		}
		got = r.PostForm.Get("csrf")
	}
	return got != "" && s.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// Options for New.
type Options struct {
	Config     *configs.Config // with Web set
	Store      *store.Store
	Refs       *ledger.RefKey // for the references logged and recorded
	Clock      func() time.Time
	Log        *zap.Logger
	HTTPClient *http.Client // for the OIDC provider; nil: a client with a timeout
	Secure     bool         // cookies Secure (the console is served over TLS, or behind a TLS proxy)
}

// Manager signs people in and keeps their sessions.
type Manager struct {
	// cfg is the configuration whose people may sign in: the one given
	// to New, then each one SetConfig gives (a reload).
	cfg    atomic.Pointer[configs.Config]
	web    configs.Web
	st     *store.Store
	refs   *ledger.RefKey
	now    func() time.Time
	log    *zap.Logger
	client *http.Client
	secure bool

	oauth   *oauth2.Config // nil without web.oidc; Endpoint set on discovery
	limiter *limiter
	proxies []netip.Prefix

	mu        sync.Mutex
	provider  *oidc.Provider
	verifier  *oidc.IDTokenVerifier
	lastPurge time.Time

	// ErrorPage writes the page for a refused sign-in or sign-out: status
	// is the HTTP status, code one of the Code constants. The default is
	// a minimal English page linking to /signin; the console sets its own
	// (in the reader's language) before serving.
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, code string)
}

// Codes of refusals, for ErrorPage.
const (
	CodeUnknownIdentity = "unknown_identity"     // the provider signed in someone who is not a person here
	CodeSigninFailed    = "signin_failed"        // the provider's answer was wrong (token refused, state mismatch, exchange failed)
	CodeSigninExpired   = "signin_expired"       // no begun sign-in for this browser (took too long, cookies blocked)
	CodeSigninDenied    = "signin_denied"        // the provider refused (the person cancelled, or may not use the app)
	CodeLinkInvalid     = "link_invalid"         // a link unknown, used or expired
	CodeRateLimited     = "rate_limited"         // too many attempts from this address
	CodeCSRF            = "csrf"                 // a state change without the session's token
	CodeUnavailable     = "provider_unavailable" // the provider could not be reached
	CodeNotConfigured   = "not_configured"       // that way of signing in is not configured
	CodeNoAppRole       = "no_app_role"          // web.oidc.app_roles, and the token has no retentiond role
)

// Messages are the default ErrorPage's texts, in English.
var Messages = map[string]string{
	CodeUnknownIdentity: "You signed in, but your account is not one that may use retentiond. Ask an operator to add you to the configuration.",
	CodeSigninFailed:    "The sign-in could not be completed. Please try again.",
	CodeSigninExpired:   "The sign-in took too long or was started in another browser. Please start again.",
	CodeSigninDenied:    "The identity provider did not sign you in.",
	CodeLinkInvalid:     "This sign-in link is not valid: it was used already, has expired, or never existed. Ask an operator for a new one.",
	CodeRateLimited:     "Too many sign-in attempts from your address. Wait a minute and try again.",
	CodeCSRF:            "The request did not carry this session's token. Reload the page and try again.",
	CodeUnavailable:     "The identity provider could not be reached. Please try again later.",
	CodeNotConfigured:   "This way of signing in is not configured.",
	CodeNoAppRole:       "You are signed in, but no role in retentiond is assigned to you in the identity provider. Ask IT operations to assign you one of the app roles approver, operator or auditor.",
}

// New makes a Manager. It reads the OIDC client secret but does not
// contact the provider: that happens on the first sign-in (and again
// after a failure), so that the console starts while the provider is
// unreachable.
func New(ctx context.Context, o Options) (*Manager, error) {
	switch {
	case o.Config == nil || o.Config.Web == nil:
		return nil, errors.New("start sign-in: the configuration has no web section")
	case o.Store == nil:
		return nil, errors.New("start sign-in: no store")
	case o.Refs == nil:
		return nil, errors.New("start sign-in: no reference key")
	}
	m := &Manager{web: *o.Config.Web, st: o.Store, refs: o.Refs, now: o.Clock, log: o.Log,
		client: o.HTTPClient, secure: o.Secure, limiter: newLimiter(AttemptsPerMinute)}
	m.cfg.Store(o.Config)
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = zap.NewNop()
	}
	if m.client == nil {
		m.client = &http.Client{Timeout: 30 * time.Second}
	}
	if m.web.SessionIdle <= 0 {
		m.web.SessionIdle = configs.DefaultSessionIdle
	}
	if m.web.SessionMax <= 0 {
		m.web.SessionMax = configs.DefaultSessionMax
	}
	for _, p := range m.web.TrustedProxies {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			m.proxies = append(m.proxies, pfx.Masked())
		}
	}
	m.ErrorPage = defaultErrorPage
	if oc := m.web.OIDC; oc != nil {
		secret, err := os.ReadFile(oc.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("read web.oidc.client_secret_file: %w", err)
		}
		s := strings.TrimSpace(string(secret))
		if s == "" {
			return nil, fmt.Errorf("read web.oidc.client_secret_file: %s is empty", oc.ClientSecretFile)
		}
		scopes := oc.Scopes
		if len(scopes) == 0 {
			scopes = configs.DefaultScopes
		}
		m.oauth = &oauth2.Config{ClientID: oc.ClientID, ClientSecret: s, RedirectURL: m.web.URL + "/auth/callback", Scopes: scopes}
	}
	return m, nil
}

// Routes registers the sign-in endpoints on mux: GET /auth/login (begins
// an OIDC sign-in; ?next=/local/path), GET /auth/callback, GET
// /auth/link/{token} and POST /auth/logout. The sign-in page itself
// (/signin) is the console's.
func (m *Manager) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /auth/login", m.noStore(m.login))
	mux.HandleFunc("GET /auth/callback", m.noStore(m.callback))
	mux.HandleFunc("GET /auth/link/{token}", m.noStore(m.link))
	mux.HandleFunc("POST /auth/logout", m.noStore(m.logout))
}

// SetConfig makes the people of cfg (a reloaded configuration) the ones
// who may sign in and keep their sessions: a person removed from the
// configuration is signed out at their next request. The web section's
// other settings (the OIDC client, session lengths, links) stay those the
// Manager was made with until the service restarts.
func (m *Manager) SetConfig(cfg *configs.Config) {
	if cfg != nil {
		m.cfg.Store(cfg)
	}
}

// Session returns the live session of r's cookie, and records that it
// was used. A session past its idle or absolute end, or of a person no
// longer configured, is deleted: ErrNoSession, as for none.
func (m *Manager) Session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || !wellFormed(c.Value) {
		return nil, ErrNoSession
	}
	ctx := r.Context()
	h := hash(c.Value)
	ws, err := m.st.WebSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	now := m.now()
	_, known := m.cfg.Load().Person(ws.Person)
	if !now.Before(ws.ExpiresAt.Time) || now.Sub(ws.LastSeen.Time) >= m.web.SessionIdle || !known {
		if err := m.st.DeleteWebSession(ctx, h); err != nil {
			return nil, fmt.Errorf("end session: %w", err)
		}
		return nil, ErrNoSession
	}
	if now.Sub(ws.LastSeen.Time) >= touchEvery {
		if err := m.st.TouchWebSession(ctx, h, now); err != nil {
			return nil, fmt.Errorf("record session use: %w", err)
		}
		ws.LastSeen = store.Time{Time: now}
	}
	id := Identity{Person: ws.Person, Method: ws.Method, Subject: ws.Subject, AppRoles: ws.AppRoles}
	if ws.Roles != "" {
		id.Roles = strings.Split(ws.Roles, ",")
	}
	return &Session{ID: h, Identity: id, CSRF: ws.CSRF,
		Created: ws.CreatedAt.Time, LastSeen: ws.LastSeen.Time}, nil
}

// Context returns ctx carrying the session's identity, so that the
// decisions the Pipeline takes under it record how the person signed in.
func (m *Manager) Context(ctx context.Context, s *Session) context.Context {
	return scheduler.WithIdentity(ctx, scheduler.Identity{Method: s.Method, Subject: s.Subject,
		Person: s.Person, AppRoles: s.AppRoles, Roles: slices.Clone(s.Roles)})
}

// startSession begins a session for id in the browser of r, ending the
// one it had.
func (m *Manager) startSession(w http.ResponseWriter, r *http.Request, id Identity) error {
	ctx := r.Context()
	if c, err := r.Cookie(CookieName); err == nil && wellFormed(c.Value) {
		if err := m.st.DeleteWebSession(ctx, hash(c.Value)); err != nil {
			return err
		}
	}
	raw, csrf := random(), random()
	now := m.now()
	if err := m.st.AddWebSession(ctx, store.WebSession{IDHash: hash(raw), Person: id.Person, Method: id.Method, Subject: id.Subject,
		CSRF: csrf, AppRoles: id.AppRoles, Roles: strings.Join(id.Roles, ","), CreatedAt: store.Time{Time: now}, LastSeen: store.Time{Time: now}, ExpiresAt: store.Time{Time: now.Add(m.web.SessionMax)}}); err != nil {
		return err
	}
	http.SetCookie(w, m.cookie(CookieName, raw, "/", 0))
	m.purge(ctx)
	return nil
}

// logout ends the session; it needs the session's CSRF token.
func (m *Manager) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	s, err := m.Session(r)
	if errors.Is(err, ErrNoSession) {
		http.SetCookie(w, m.cookie(CookieName, "", "/", -1))
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if err != nil {
		m.internal(w, r, "sign-out failed", err)
		return
	}
	if !s.CheckCSRF(r) {
		m.log.Warn("sign-out refused: no valid csrf token", zap.String("session", s.ID[:12]))
		m.ErrorPage(w, r, http.StatusForbidden, CodeCSRF)
		return
	}
	if err := m.st.DeleteWebSession(r.Context(), s.ID); err != nil {
		m.internal(w, r, "sign-out failed", err)
		return
	}
	http.SetCookie(w, m.cookie(CookieName, "", "/", -1))
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// purge deletes ended sessions, links and pending sign-ins, at most every
// purgeEvery.
func (m *Manager) purge(ctx context.Context) {
	now := m.now()
	m.mu.Lock()
	due := now.Sub(m.lastPurge) >= purgeEvery
	if due {
		m.lastPurge = now
	}
	m.mu.Unlock()
	if !due {
		return
	}
	if _, err := m.st.PurgeWeb(ctx, now, m.web.SessionIdle); err != nil {
		m.log.Warn("could not delete ended sessions", zap.Error(err))
	}
}

// cookie is a cookie of the Manager's: HttpOnly, SameSite=Lax, Secure
// when the console is. maxAge < 0 deletes it; 0 lasts as long as the
// browser session.
func (m *Manager) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode}
}

// noStore keeps the answers of the sign-in endpoints out of caches and
// their URLs (which may carry a link's token or a code) out of Referer.
func (m *Manager) noStore(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h(w, r)
	}
}

// allow counts a sign-in attempt from r's client and reports whether it
// is within the limit; when it is not, it answers 429.
func (m *Manager) allow(w http.ResponseWriter, r *http.Request) bool {
	ip := m.clientIP(r)
	if m.limiter.allow(ip, m.now()) {
		return true
	}
	m.log.Warn("sign-in attempts over the limit", zap.String("client_ref", m.refs.Ref("web:client", ip.String())),
		zap.Int("per_minute", AttemptsPerMinute))
	w.Header().Set("Retry-After", "60")
	m.ErrorPage(w, r, http.StatusTooManyRequests, CodeRateLimited)
	return false
}

// clientIP is the address of r's client: the connection's peer, or, when
// that is a trusted proxy, the last address in X-Forwarded-For that is
// not one.
func (m *Manager) clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if !m.trusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip
		}
		a = a.Unmap()
		if !m.trusted(a) {
			return a
		}
		ip = a
	}
	return ip
}

func (m *Manager) trusted(ip netip.Addr) bool {
	for _, p := range m.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (m *Manager) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	m.log.Error(what, zap.Error(err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in – retentiond</title></head>
<body><main><h1>Sign-in</h1><p role="alert">{{.}}</p><p><a href="/signin">Back to sign-in</a></p></main></body></html>
`))

func defaultErrorPage(w http.ResponseWriter, _ *http.Request, status int, code string) {
	msg, ok := Messages[code]
	if !ok {
		msg = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	errorTmpl.Execute(w, msg)
}

// random is 32 random bytes, base64url without padding (43 characters).
func random() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormed reports whether s looks like a value of random: anything
// else is not looked up.
func wellFormed(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// hash is what the store keeps of a secret value: its SHA-256, in hex.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// localPath returns next if it is a path on this site ("/batches/2?page=3"),
// else "/": a sign-in never sends the browser elsewhere.
func localPath(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsRune(next, '\\') || strings.ContainsFunc(next, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return next
}
