// Package oidctest is an OpenID Connect provider for tests: a real HTTP
// server (httptest) with discovery, a JWKS, an authorization endpoint that
// consents at once for the user the test chose, and a token endpoint that
// checks PKCE (S256) and returns an ID token signed RS256 with the
// provider's own key, which the real go-oidc verifies. A test can make it
// issue tampered tokens (another key, another audience or issuer, expired,
// another nonce) to see them refused.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// User is who the provider signs in: the claims of the ID tokens it
// issues. Empty fields leave their claim out.
type User struct {
	Subject           string // sub
	OID               string // oid, as Microsoft Entra ID sends it
	PreferredUsername string // preferred_username
	Email             string
	EmailVerified     bool // email_verified: true
	Roles             []string
}

// Tamper makes the provider issue ID tokens that a relying party must
// refuse.
type Tamper struct {
	OtherKey      bool // signed with a key that is not in the JWKS (with the JWKS key's id)
	WrongAudience bool // aud is another client
	WrongIssuer   bool // iss is another issuer
	Expired       bool // exp an hour ago
	WrongNonce    bool // nonce is not the one the authorization request sent
	// OtherParty: aud names this client and another, and azp (the party
	// the token was issued to) is the other.
	OtherParty bool
}

// Options for Start.
type Options struct {
	ClientID     string           // default "retentiond-test"
	ClientSecret string           // default "test-secret"
	Now          func() time.Time // the clock for iat and exp; default time.Now
}

// Provider is a running test provider.
type Provider struct {
	Issuer       string // its URL, the issuer of its tokens
	ClientID     string
	ClientSecret string

	srv           *httptest.Server
	now           func() time.Time
	key, otherKey *rsa.PrivateKey
	kid           string

	mu       sync.Mutex
	user     *User
	tamper   Tamper
	codes    map[string]*grant
	refusals []string
	issued   int
}

type grant struct {
	user        User
	clientID    string
	redirectURI string
	nonce       string
	challenge   string
}

// Start starts a provider; it is closed when the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "retentiond-test"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "test-secret"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: o.ClientID, ClientSecret: o.ClientSecret, now: o.Now, key: key, otherKey: other,
		kid: "test-" + random(6), codes: map[string]*grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SetUser makes the provider sign in u from now on; nil makes it deny
// every authorization (error=access_denied).
func (p *Provider) SetUser(u *User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u == nil {
		p.user = nil
		return
	}
	c := *u
	c.Roles = slices.Clone(u.Roles)
	p.user = &c
}

// SetTamper makes the tokens issued from now on tampered as t says; the
// zero Tamper issues good tokens again.
func (p *Provider) SetTamper(t Tamper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = t
}

// Refusals returns why the provider refused requests so far (e.g. "pkce:
// code_verifier does not match"), in order.
func (p *Provider) Refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}

// Issued is how many ID tokens the provider issued.
func (p *Provider) Issued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issued
}

// Client is an HTTP client for the provider.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// authorize consents at once: it redirects back to redirect_uri with a
// code and the state, or with an error.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		p.refuse("authorize: bad redirect_uri")
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != p.ClientID {
		p.refuse("authorize: unknown client_id")
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		v.Set("state", q.Get("state"))
		u := *redirect
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		p.refuse("authorize: response_type is not code")
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		p.refuse("pkce: no S256 code_challenge")
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with S256 is required"}})
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		p.refuse("authorize: no openid scope")
		back(url.Values{"error": {"invalid_scope"}})
		return
	}
	p.mu.Lock()
	user := p.user
	var code string
	if user != nil {
		code = random(24)
		p.codes[code] = &grant{user: *user, clientID: p.ClientID, redirectURI: redirect.String(),
			nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
	}
	p.mu.Unlock()
	if user == nil {
		p.refuse("authorize: no user (denied)")
		back(url.Values{"error": {"access_denied"}})
		return
	}
	back(url.Values{"code": {code}})
}

// token exchanges a code for tokens, once, checking the client's secret,
// the redirect_uri and the PKCE code_verifier.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.tokenError(w, "invalid_request", "token: bad form")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		p.refuse("token: bad client credentials")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		p.tokenError(w, "unsupported_grant_type", "token: grant_type is not authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g := p.codes[code]
	delete(p.codes, code) // a code is used once, whatever happens
	tamper := p.tamper
	p.mu.Unlock()
	switch {
	case g == nil:
		p.tokenError(w, "invalid_grant", "token: unknown or used code")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		p.tokenError(w, "invalid_grant", "token: redirect_uri differs from the authorization's")
		return
	case r.PostForm.Get("code_verifier") == "":
		p.tokenError(w, "invalid_grant", "pkce: no code_verifier")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		p.tokenError(w, "invalid_grant", "pkce: code_verifier does not match")
		return
	}
	idToken, err := p.idToken(g, tamper)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.issued++
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": random(24),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     idToken,
	})
}

// IDToken signs an ID token for u with the provider's key (or as tamper
// says), as the token endpoint would issue it for an authorization with
// nonce. Tests that hand a token to a verifier directly use it.
func (p *Provider) IDToken(u User, nonce string, tamper Tamper) (string, error) {
	return p.idToken(&grant{user: u, clientID: p.ClientID, nonce: nonce}, tamper)
}

func (p *Provider) idToken(g *grant, tamper Tamper) (string, error) {
	now := p.now()
	claims := map[string]any{
		"iss": p.Issuer,
		"aud": g.clientID,
		"sub": g.user.Subject,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range map[string]string{"oid": g.user.OID, "preferred_username": g.user.PreferredUsername, "email": g.user.Email} {
		if v != "" {
			claims[k] = v
		}
	}
	if g.user.EmailVerified {
		claims["email_verified"] = true
	}
	if len(g.user.Roles) > 0 {
		claims["roles"] = g.user.Roles
	}
	if tamper.WrongAudience {
		claims["aud"] = "another-client"
	}
	if tamper.OtherParty {
		claims["aud"] = []string{g.clientID, "another-client"}
		claims["azp"] = "another-client"
	}
	if tamper.WrongIssuer {
		claims["iss"] = p.Issuer + "/another-tenant"
	}
	if tamper.Expired {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	if tamper.WrongNonce {
		claims["nonce"] = "not-" + g.nonce
	}
	key := p.key
	if tamper.OtherKey {
		key = p.otherKey
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("make signer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign id token: %w", err)
	}
	return jws.CompactSerialize()
}

func (p *Provider) refuse(why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusals = append(p.refusals, why)
}

func (p *Provider) tokenError(w http.ResponseWriter, code, why string) {
	p.refuse(why)
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": why})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
