package auth_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/oauth2"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/web/auth"
	"github.com/retentiond/retentiond/web/auth/oidctest"
)

// clock is the tests' injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a console (a real HTTP server with the Manager's routes and a
// page showing who is signed in) and a test OIDC provider.
type env struct {
	t     *testing.T
	clock *clock
	idp   *oidctest.Provider
	cfg   *configs.Config
	st    *store.Store
	refs  *ledger.RefKey
	m     *auth.Manager
	srv   *httptest.Server
	logs  *observer.ObservedLogs
}

// People of the tests: anna by her Entra object id, bo and cy by user
// name on their first sign-in, dan with no OIDC at all.
func people() []configs.Person {
	return []configs.Person{
		{ID: "anna", Name: "Anna Andersen", Roles: []string{configs.RoleApprover}, Groups: []string{"leaders"}, OIDCSubject: "oid-anna"},
		{ID: "bo", Name: "Bo Berg", Roles: []string{configs.RoleApprover}, Groups: []string{"leaders"}, OIDCUsername: "Bo@Skole.example"},
		{ID: "cy", Name: "Cy Carlsen", Roles: []string{configs.RoleAuditor}, OIDCUsername: "cy@mail.example"},
		{ID: "dan", Name: "Dan Dahl", Roles: []string{configs.RoleOperator}},
	}
}

func newEnv(t *testing.T, edit func(*configs.Web)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}}
	e.idp = oidctest.Start(t, oidctest.Options{Now: e.clock.Now})
	dir := t.TempDir()
	var err error
	if e.st, err = store.Open(context.Background(), filepath.Join(dir, "r.db"), store.Options{Create: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if e.refs, err = ledger.NewRefKey([]byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte(e.idp.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.cfg = &configs.Config{File: filepath.Join(dir, "retentiond.yaml"), People: people(), Web: &configs.Web{
		Listen: "127.0.0.1:0", URL: e.srv.URL, Links: true, Locale: "da",
		SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour,
		OIDC: &configs.OIDC{Issuer: e.idp.Issuer, ClientID: e.idp.ClientID, ClientSecretFile: secret, Scopes: configs.DefaultScopes},
	}}
	if edit != nil {
		edit(e.cfg.Web)
	}
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	e.m, err = auth.New(context.Background(), auth.Options{Config: e.cfg, Store: e.st, Refs: e.refs, Clock: e.clock.Now,
		Log: zap.New(core), HTTPClient: e.idp.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e.m.Routes(mux)
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "sign-in page") })
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		if errors.Is(err, auth.ErrNoSession) {
			fmt.Fprintf(w, "%s: not signed in", r.URL.RequestURI())
			return
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s: %s by %s", r.URL.RequestURI(), s.Person, s.Method)
	})
	return e
}

// browser is an HTTP client with its own cookies, following redirects
// (between the console and the provider) and recording them.
type browser struct {
	*http.Client
	e     *env
	hops  []*http.Response
	jar   http.CookieJar
	setBy map[string][]*http.Cookie // Set-Cookie headers seen, by URL path
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{e: e, jar: jar, setBy: map[string][]*http.Cookie{}}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		return nil
	}, Transport: recorder{b}}
	return b
}

type recorder struct{ b *browser }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.b.hops = append(r.b.hops, resp)
		r.b.setBy[req.URL.Path] = append(r.b.setBy[req.URL.Path], resp.Cookies()...)
	}
	return resp, err
}

// get fetches path of the console (or a full URL) and returns the final
// status and body.
func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.e.srv.URL + path
	}
	resp, err := b.Get(u)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signIn signs in through the provider as u and returns the final status
// and body.
func (b *browser) signIn(u *oidctest.User, next string) (int, string) {
	b.e.t.Helper()
	b.e.idp.SetUser(u)
	path := "/auth/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	return b.get(path)
}

// sessionCookie is the browser's session cookie, nil when it has none.
func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == auth.CookieName {
			return c
		}
	}
	return nil
}

// session is the browser's session as the Manager sees it.
func (b *browser) session() (*auth.Session, error) {
	req := httptest.NewRequest("GET", "/", nil)
	if c := b.sessionCookie(); c != nil {
		req.AddCookie(c)
	}
	return b.e.m.Session(req)
}

var anna = &oidctest.User{Subject: "pairwise-anna", OID: "oid-anna", PreferredUsername: "anna@skole.example", Email: "anna@skole.example"}

func TestOIDCSignIn(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	status, body := b.signIn(anna, "/batches/2?page=3")
	if status != 200 || body != "/batches/2?page=3: anna by oidc" {
		t.Fatalf("after sign-in: %d %q", status, body)
	}
	s, err := b.session()
	if err != nil {
		t.Fatal(err)
	}
	want := e.refs.Ref("oidc:"+e.idp.Issuer, "oid-anna") // Entra's oid, not the pairwise sub
	if s.Person != "anna" || s.Method != auth.MethodOIDC || s.Subject != want || len(s.CSRF) < 32 || !s.Created.Equal(e.clock.Now()) {
		t.Fatalf("session %+v, want anna by oidc with subject %s", s, want)
	}
	// The login sent PKCE (S256), state and nonce to the provider.
	login := b.hops[0]
	to, _ := url.Parse(login.Header.Get("Location"))
	q := to.Query()
	if login.StatusCode != http.StatusFound || !strings.HasPrefix(to.String(), e.idp.Issuer+"/authorize") ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" ||
		q.Get("redirect_uri") != e.srv.URL+"/auth/callback" || q.Get("scope") != "openid profile email" {
		t.Fatalf("login redirected to %s (%d)", to, login.StatusCode)
	}
	// The session cookie: HttpOnly, SameSite=Lax, the whole site; the
	// begun sign-in's cookie is deleted.
	var sess, pending *http.Cookie
	for _, c := range b.setBy["/auth/callback"] {
		switch c.Name {
		case auth.CookieName:
			sess = c
		case "retentiond_signin":
			pending = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure {
		t.Errorf("session cookie %+v", sess)
	}
	if pending == nil || pending.MaxAge >= 0 {
		t.Errorf("the begun sign-in's cookie is not deleted: %+v", pending)
	}
	if got := e.logs.FilterMessage("signed in").All(); len(got) != 1 || got[0].ContextMap()["identity_ref"] != want {
		t.Errorf("sign-in log %+v", got)
	}
	noNames(t, e)

	// The callback URL again (a replay): refused, and the session stays.
	cb := b.hops[len(b.hops)-2]
	if cb.Request.URL.Path != "/auth/callback" {
		t.Fatalf("hops: %v", cb.Request.URL)
	}
	if status, _ := b.get(cb.Request.URL.String()); status != http.StatusBadRequest {
		t.Errorf("replayed callback: %d", status)
	}
	if s, err := b.session(); err != nil || s.Person != "anna" {
		t.Errorf("after the replay: %+v, %v", s, err)
	}
}

func TestOIDCSecureCookies(t *testing.T) {
	e := newEnv(t, nil)
	m, err := auth.New(context.Background(), auth.Options{Config: e.cfg, Store: e.st, Refs: e.refs, Clock: e.clock.Now,
		HTTPClient: e.idp.Client(), Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	m.Routes(mux)
	path, err := m.IssueLink(context.Background(), "dan")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	cs := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("%d %+v", rec.Code, cs)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", rec.Header())
	}
}

// noNames checks that nothing personal of the test people reached the
// log.
func noNames(t *testing.T, e *env) {
	t.Helper()
	for _, entry := range e.logs.All() {
		text := entry.Message + fmt.Sprint(entry.ContextMap())
		for _, bad := range []string{"anna", "Anna", "skole.example", "mail.example", "oid-", "pairwise", "evil", "bo@", "Bo@"} {
			if strings.Contains(text, bad) {
				t.Errorf("log names %q: %s", bad, text)
			}
		}
	}
}

func TestTamperedTokensRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name   string
		tamper oidctest.Tamper
		log    string
	}{
		{"signed with another key", oidctest.Tamper{OtherKey: true}, "signature"},
		{"wrong audience", oidctest.Tamper{WrongAudience: true}, "audience"},
		{"expired", oidctest.Tamper{Expired: true}, "expired"},
		{"wrong nonce", oidctest.Tamper{WrongNonce: true}, "nonce"},
		{"wrong issuer", oidctest.Tamper{WrongIssuer: true}, "issued by a different provider"},
		{"issued to another client", oidctest.Tamper{OtherParty: true}, "azp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.idp.SetTamper(tc.tamper)
			defer e.idp.SetTamper(oidctest.Tamper{})
			issued := e.idp.Issued()
			b := e.browser()
			status, body := b.signIn(anna, "/")
			if status != http.StatusForbidden || !shows(body, auth.CodeSigninFailed) {
				t.Errorf("%d %q", status, body)
			}
			if e.idp.Issued() != issued+1 {
				t.Errorf("the provider issued no token: the refusal is not the verifier's")
			}
			if c := b.sessionCookie(); c != nil {
				t.Errorf("session cookie set: %+v", c)
			}
			if s, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("session %+v, %v", s, err)
			}
			refused := e.logs.FilterMessageSnippet("sign-in refused").All()
			if len(refused) == 0 || !strings.Contains(refused[len(refused)-1].Message+fmt.Sprint(refused[len(refused)-1].ContextMap()), tc.log) {
				t.Errorf("logged %+v, want %q", refused, tc.log)
			}
		})
	}
	// And untampered, the same browser flow signs in.
	if status, body := e.browser().signIn(anna, "/"); status != 200 || body != "/: anna by oidc" {
		t.Fatalf("untampered: %d %q", status, body)
	}
	noNames(t, e)
}

func TestProviderRequiresPKCE(t *testing.T) {
	e := newEnv(t, nil)
	e.idp.SetUser(anna)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirect := e.srv.URL + "/auth/callback"
	authorize := func(challenge string) url.Values {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {e.idp.ClientID}, "redirect_uri": {redirect},
			"scope": {"openid"}, "state": {"s"}, "nonce": {"n"}}
		if challenge != "" {
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
		}
		resp, err := noFollow.Get(e.idp.Issuer + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc.Query()
	}
	token := func(code, verifier string) int {
		t.Helper()
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
			"client_id": {e.idp.ClientID}, "client_secret": {e.idp.ClientSecret}}
		if verifier != "" {
			form.Set("code_verifier", verifier)
		}
		resp, err := http.PostForm(e.idp.Issuer+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := authorize(""); got.Get("error") != "invalid_request" || got.Get("code") != "" {
		t.Errorf("authorize without a challenge: %v", got)
	}
	verifier := "a-verifier-of-at-least-43-characters-0123456789"
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	if code := authorize(challenge).Get("code"); token(code, "") != http.StatusBadRequest {
		t.Errorf("token without a verifier was given")
	}
	if code := authorize(challenge).Get("code"); token(code, verifier+"x") != http.StatusBadRequest {
		t.Errorf("token with a wrong verifier was given")
	}
	code := authorize(challenge).Get("code")
	if got := token(code, verifier); got != http.StatusOK {
		t.Errorf("token with the right verifier: %d", got)
	}
	if got := token(code, verifier); got != http.StatusBadRequest {
		t.Errorf("a code used twice: %d", got)
	}
	want := []string{"pkce: no S256 code_challenge", "pkce: no code_verifier", "pkce: code_verifier does not match", "token: unknown or used code"}
	if got := e.idp.Refusals(); !slices.Equal(got, want) {
		t.Errorf("provider refused %q, want %q", got, want)
	}
}

func TestBindByUsername(t *testing.T) {
	e := newEnv(t, nil)
	bo := &oidctest.User{Subject: "sub-bo", OID: "oid-bo", PreferredUsername: "bo@skole.example"}
	if status, body := e.browser().signIn(bo, "/"); status != 200 || body != "/: bo by oidc" {
		t.Fatalf("bo's first sign-in: %d %q", status, body)
	}
	wi, err := e.st.WebIdentityOf(context.Background(), "bo", e.idp.Issuer)
	if err != nil || wi.Subject != "oid-bo" {
		t.Fatalf("binding %+v, %v", wi, err)
	}
	// Again, and with the user name changed at the provider: the subject
	// counts now.
	renamed := *bo
	renamed.PreferredUsername = "bo.berg@skole.example"
	if status, body := e.browser().signIn(&renamed, "/"); status != 200 || body != "/: bo by oidc" {
		t.Fatalf("bo again: %d %q", status, body)
	}
	// Another account with bo's user name (a re-created account, or a
	// provider letting the name be chosen): refused.
	evil := &oidctest.User{Subject: "sub-evil", OID: "oid-evil", PreferredUsername: "BO@skole.example"}
	b := e.browser()
	if status, body := b.signIn(evil, "/"); status != http.StatusForbidden || !shows(body, auth.CodeUnknownIdentity) {
		t.Fatalf("a second subject for bo: %d %q", status, body)
	}
	if b.sessionCookie() != nil {
		t.Error("session cookie set")
	}
	refused := e.logs.FilterMessageSnippet("sign-in refused").All()
	if len(refused) != 1 || refused[0].ContextMap()["identity_ref"] != e.refs.Ref("oidc:"+e.idp.Issuer, "oid-evil") {
		t.Errorf("refusal logged as %+v", refused)
	}

	// cy binds by email only when the provider verified it.
	cy := &oidctest.User{Subject: "sub-cy", PreferredUsername: "cy-login", Email: "cy@mail.example"}
	if status, _ := e.browser().signIn(cy, "/"); status != http.StatusForbidden {
		t.Errorf("cy with an unverified email: %d", status)
	}
	cy.EmailVerified = true
	if status, body := e.browser().signIn(cy, "/"); status != 200 || body != "/: cy by oidc" {
		t.Errorf("cy with a verified email: %d %q", status, body)
	}
	if wi, err := e.st.WebIdentityOf(context.Background(), "cy", e.idp.Issuer); err != nil || wi.Subject != "sub-cy" {
		t.Errorf("cy bound to %+v, %v (want sub: no oid)", wi, err)
	}

	// bo's user name no longer configured: the binding no longer signs in.
	e.cfg.People[1].OIDCUsername = ""
	if status, _ := e.browser().signIn(bo, "/"); status != http.StatusForbidden {
		t.Errorf("bo without oidc_username: %d", status)
	}
	noNames(t, e)
}

func TestUnknownIdentityRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []*oidctest.User{
		{Subject: "sub-x", OID: "oid-x", PreferredUsername: "x@skole.example"},
		// anna's user name, but anna signs in with her configured subject only.
		{Subject: "sub-y", OID: "oid-y", PreferredUsername: "anna@skole.example", Email: "anna@skole.example", EmailVerified: true},
		// dan has no OIDC: his id as a user name is nothing.
		{Subject: "dan", PreferredUsername: "dan"},
	} {
		b := e.browser()
		status, body := b.signIn(u, "/")
		if status != http.StatusForbidden || !shows(body, auth.CodeUnknownIdentity) {
			t.Errorf("%+v: %d %q", u, status, body)
		}
		if b.sessionCookie() != nil {
			t.Errorf("%+v: session cookie set", u)
		}
		want := e.refs.Ref("oidc:"+e.idp.Issuer, u.Subject)
		if u.OID != "" {
			want = e.refs.Ref("oidc:"+e.idp.Issuer, u.OID)
		}
		refused := e.logs.FilterMessageSnippet("sign-in refused").All()
		if last := refused[len(refused)-1]; last.ContextMap()["identity_ref"] != want {
			t.Errorf("%+v: logged %+v", u, last)
		}
	}
	if _, err := e.st.WebIdentityOf(context.Background(), "anna", e.idp.Issuer); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("anna bound: %v", err)
	}
	noNames(t, e)
}

func TestProviderDenies(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	if status, body := b.signIn(nil, "/"); status != http.StatusForbidden || !shows(body, auth.CodeSigninDenied) {
		t.Fatalf("%d %q", status, body)
	}
	// A callback this browser did not begin.
	if status, _ := e.browser().get("/auth/callback?code=x&state=y"); status != http.StatusBadRequest {
		t.Errorf("callback without a begun sign-in: %d", status)
	}
	// A begun sign-in finished after its ten minutes.
	e.idp.SetUser(anna)
	noFollow := e.browser()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(e.srv.URL + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.clock.Add(10*time.Minute + time.Second)
	status, body := noFollow.get(resp.Header.Get("Location")) // authorize → back to the callback (not followed)
	_ = body
	if status != http.StatusFound {
		t.Fatalf("authorize: %d", status)
	}
	cb := noFollow.hops[len(noFollow.hops)-1].Header.Get("Location")
	noFollow.CheckRedirect = nil
	if status, body := noFollow.get(cb); status != http.StatusBadRequest || !shows(body, auth.CodeSigninExpired) {
		t.Errorf("late callback: %d %q", status, body)
	}
}

func TestNextMustBeLocal(t *testing.T) {
	e := newEnv(t, nil)
	for next, want := range map[string]string{
		"/batches/7":                 "/batches/7",
		"https://evil.example/x":     "/",
		"//evil.example/x":           "/",
		"/\\evil.example":            "/",
		"javascript:alert(1)":        "/",
		"batches/7":                  "/",
		"/auth/logout":               "/",
		"/\t/evil.example":           "/",
		"http:/evil.example":         "/",
		"/batches/7?q=a%20b#details": "/batches/7?q=a%20b",
	} {
		status, body := e.browser().signIn(anna, next)
		if status != 200 || body != want+": anna by oidc" {
			t.Errorf("next %q: %d %q, want %s", next, status, body, want)
		}
		e.clock.Add(time.Minute) // stay under the rate limit
	}
}

func TestLinks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.m.IssueLink(ctx, "nobody"); !errors.Is(err, auth.ErrUnknownPerson) {
		t.Errorf("link for nobody: %v", err)
	}
	path, err := e.m.IssueLink(ctx, "dan")
	if err != nil || !strings.HasPrefix(path, "/auth/link/") || len(path) != len("/auth/link/")+43 {
		t.Fatalf("link %q, %v", path, err)
	}
	b := e.browser()
	// A link checker's HEAD does not use it up.
	if resp, err := b.Head(e.srv.URL + path); err != nil || resp.StatusCode != 200 || len(resp.Cookies()) != 0 {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	if status, body := b.get(path); status != 200 || body != "/: dan by link" {
		t.Fatalf("link: %d %q", status, body)
	}
	if s, err := b.session(); err != nil || s.Method != auth.MethodLink || s.Subject != "" || s.Person != "dan" {
		t.Fatalf("session %+v, %v", s, err)
	}
	// Used once only, by anyone.
	other := e.browser()
	if status, body := other.get(path); status != http.StatusForbidden || !shows(body, auth.CodeLinkInvalid) {
		t.Errorf("second use: %d %q", status, body)
	}
	if other.sessionCookie() != nil {
		t.Error("second use set a session cookie")
	}
	// Expired after ten minutes.
	path, _ = e.m.IssueLink(ctx, "anna")
	e.clock.Add(auth.LinkTTL)
	if status, _ := e.browser().get(path); status != http.StatusForbidden {
		t.Errorf("expired link: %d", status)
	}
	// Just in time.
	path, _ = e.m.IssueLink(ctx, "anna")
	e.clock.Add(auth.LinkTTL - time.Second)
	if status, body := e.browser().get(path); status != 200 || body != "/: anna by link" {
		t.Errorf("link in time: %d %q", status, body)
	}
	// Malformed and unknown tokens.
	for _, p := range []string{"/auth/link/abc", "/auth/link/" + strings.Repeat("A", 43)} {
		if status, _ := e.browser().get(p); status != http.StatusForbidden {
			t.Errorf("%s: %d", p, status)
		}
	}
	// A link's person removed from the configuration: refused.
	path, _ = e.m.IssueLink(ctx, "cy")
	e.cfg.People = slices.DeleteFunc(e.cfg.People, func(p configs.Person) bool { return p.ID == "cy" })
	if status, _ := e.browser().get(path); status != http.StatusForbidden {
		t.Errorf("link of a removed person: %d", status)
	}
	noNames(t, e)
}

func TestLinksOff(t *testing.T) {
	e := newEnv(t, func(w *configs.Web) { w.Links = false })
	if _, err := e.m.IssueLink(context.Background(), "dan"); !errors.Is(err, auth.ErrLinksOff) {
		t.Errorf("issue with links off: %v", err)
	}
	if status, _ := e.browser().get("/auth/link/" + strings.Repeat("A", 43)); status != http.StatusNotFound {
		t.Errorf("use with links off: %d", status)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	signIn := func() *browser {
		t.Helper()
		path, err := e.m.IssueLink(ctx, "dan")
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		if status, _ := b.get(path); status != 200 {
			t.Fatalf("link: %d", status)
		}
		return b
	}

	// Idle: 30 minutes without a request.
	b := signIn()
	for range 3 {
		e.clock.Add(29 * time.Minute)
		if _, err := b.session(); err != nil {
			t.Fatalf("used within the idle time: %v", err)
		}
	}
	cookie := b.sessionCookie()
	e.clock.Add(30 * time.Minute)
	if _, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("idle 30 minutes: %v", err)
	}
	e.clock.Add(-time.Hour) // it is gone, not only expired
	if _, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("an ended session came back: %v", err)
	}
	e.clock.Add(time.Hour)
	if cookie == nil {
		t.Fatal("no cookie")
	}
	if status, body := b.get("/"); status != 200 || body != "/: not signed in" {
		t.Errorf("page after expiry: %q", body)
	}

	// Absolute: 12 hours, however busy.
	b = signIn()
	start := e.clock.Now()
	for e.clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
		e.clock.Add(20 * time.Minute)
		if _, err := b.session(); err != nil {
			t.Fatalf("after %v: %v", e.clock.Now().Sub(start), err)
		}
	}
	e.clock.Add(12*time.Hour - e.clock.Now().Sub(start))
	if _, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("after 12 hours: %v", err)
	}

	// A person removed from the configuration is signed out.
	b = signIn()
	e.cfg.People = slices.DeleteFunc(e.cfg.People, func(p configs.Person) bool { return p.ID == "dan" })
	if _, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("removed person: %v", err)
	}

	// A cookie no session has.
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: strings.Repeat("A", 43)})
	if _, err := e.m.Session(req); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("forged cookie: %v", err)
	}
}

func TestLogoutNeedsCSRF(t *testing.T) {
	e := newEnv(t, nil)
	path, _ := e.m.IssueLink(context.Background(), "dan")
	b := e.browser()
	b.get(path)
	s, err := b.session()
	if err != nil {
		t.Fatal(err)
	}
	post := func(form url.Values, header string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+"/auth/logout", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := post(nil, ""); status != http.StatusForbidden || !shows(body, auth.CodeCSRF) {
		t.Errorf("no token: %d %q", status, body)
	}
	if status, _ := post(url.Values{"csrf": {s.CSRF + "x"}}, ""); status != http.StatusForbidden {
		t.Errorf("wrong token: %d", status)
	}
	if status, _ := post(nil, s.CSRF[:len(s.CSRF)-1]); status != http.StatusForbidden {
		t.Errorf("wrong header: %d", status)
	}
	// Another session's token.
	other := e.browser()
	p2, _ := e.m.IssueLink(context.Background(), "anna")
	other.get(p2)
	s2, _ := other.session()
	if status, _ := post(url.Values{"csrf": {s2.CSRF}}, ""); status != http.StatusForbidden {
		t.Errorf("another session's token: %d", status)
	}
	if _, err := b.session(); err != nil {
		t.Fatalf("refused sign-outs ended the session: %v", err)
	}
	if status, body := post(url.Values{"csrf": {s.CSRF}}, ""); status != 200 || body != "sign-in page" {
		t.Errorf("sign-out: %d %q", status, body)
	}
	if _, err := b.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("after sign-out: %v", err)
	}
	if b.sessionCookie() != nil {
		t.Error("cookie kept")
	}
	// By header.
	if status, _ := func() (int, string) { b = other; return post(nil, s2.CSRF) }(); status != 200 {
		t.Errorf("sign-out by header: %d", status)
	}
	if _, err := other.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("after sign-out by header: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser()
	bogus := "/auth/link/" + strings.Repeat("B", 43)
	for i := range auth.AttemptsPerMinute {
		if status, _ := b.get(bogus); status != http.StatusForbidden {
			t.Fatalf("attempt %d: %d", i+1, status)
		}
	}
	// Over the limit: links, logins and callbacks alike, even a good link.
	good, _ := e.m.IssueLink(context.Background(), "dan")
	for _, p := range []string{bogus, "/auth/login", "/auth/callback?code=x&state=y", good} {
		status, body := b.get(p)
		if status != http.StatusTooManyRequests || !shows(body, auth.CodeRateLimited) {
			t.Errorf("%s over the limit: %d", p, status)
		}
	}
	if got := e.logs.FilterMessage("sign-in attempts over the limit").All(); len(got) == 0 || got[0].ContextMap()["client_ref"] == "" ||
		strings.Contains(fmt.Sprint(got[0].ContextMap()), "127.0.0.1") {
		t.Errorf("logged %+v", got)
	}
	// Pages other than sign-in are not limited.
	if status, _ := b.get("/"); status != 200 {
		t.Errorf("page: %d", status)
	}
	// A minute later the good link (not used up by the refusal) works.
	e.clock.Add(time.Minute)
	if status, body := b.get(good); status != 200 || body != "/: dan by link" {
		t.Errorf("a minute later: %d %q", status, body)
	}
}

func TestNewRefuses(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := auth.New(context.Background(), auth.Options{Config: &configs.Config{}, Store: e.st, Refs: e.refs}); err == nil {
		t.Error("no web section accepted")
	}
	cfg := *e.cfg
	w := *cfg.Web
	o := *w.OIDC
	o.ClientSecretFile = filepath.Join(t.TempDir(), "missing")
	w.OIDC, cfg.Web = &o, &w
	if _, err := auth.New(context.Background(), auth.Options{Config: &cfg, Store: e.st, Refs: e.refs}); err == nil || !strings.Contains(err.Error(), "client_secret_file") {
		t.Errorf("missing secret: %v", err)
	}
}

// shows reports whether the page body shows the message of code.
func shows(body, code string) bool {
	return strings.Contains(body, html.EscapeString(auth.Messages[code]))
}

// TestSetConfigSignsOutRemovedPeople: after a reload without a person,
// that person's session ends at their next request, and no link can be
// issued for them; the others stay signed in.
func TestSetConfigSignsOutRemovedPeople(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	signIn := func(person string) *browser {
		path, err := e.m.IssueLink(ctx, person)
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		if status, _ := b.get(path); status != 200 {
			t.Fatalf("link for %s: %d", person, status)
		}
		return b
	}
	dan, anna := signIn("dan"), signIn("anna")
	cfg := *e.cfg
	cfg.People = nil
	for _, p := range e.cfg.People {
		if p.ID != "dan" {
			cfg.People = append(cfg.People, p)
		}
	}
	e.m.SetConfig(&cfg)
	if _, err := dan.session(); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session of a person the reload removed: %v", err)
	}
	if s, err := anna.session(); err != nil || s.Person != "anna" {
		t.Errorf("session of a person still configured: %+v %v", s, err)
	}
	if _, err := e.m.IssueLink(ctx, "dan"); !errors.Is(err, auth.ErrUnknownPerson) {
		t.Errorf("link for a removed person: %v", err)
	}
}
