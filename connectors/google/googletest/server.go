// Package googletest is a fake Google Workspace for tests and benchmarks:
// an HTTPS server that speaks the wire protocol of the OAuth 2.0 token
// endpoint (a service account's signed JWT, verified, with its sub), the
// Admin SDK Directory API, Gmail, Drive and Vault, as the real
// google.golang.org/api clients use them through option.WithEndpoint.
//
// Paths are those of the real services below their base URLs: Gmail
// /gmail/v1/..., Drive /drive/v3/..., the Directory API
// /admin/directory/v1/..., Vault /v1/matters..., the token endpoint
// /token. The connector's api_url is Server.URL; its ca_file holds
// CertificatePEM.
//
// Files: server.go (state, token endpoint, auth, faults, quota, latency),
// directory.go and vault.go (Admin SDK, Vault), gmail.go, drive.go.
// Each file registers its handlers from an init func with handle.
package googletest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// OAuth scopes the fake knows, as the connector asks for them.
const (
	ScopeMail        = "https://mail.google.com/"
	ScopeDrive       = "https://www.googleapis.com/auth/drive"
	ScopeUsers       = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeMembers     = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
	ScopeOrgUnits    = "https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
	ScopeEDiscovery  = "https://www.googleapis.com/auth/ediscovery.readonly"
	tokenLifetime    = time.Hour
	defaultUserUnits = 250
)

// AllScopes are the scopes granted by default.
var AllScopes = []string{ScopeMail, ScopeDrive, ScopeUsers, ScopeMembers, ScopeOrgUnits, ScopeEDiscovery}

// route is one handler of the fake, registered with handle.
type route struct {
	pattern string
	h       func(*Server, http.ResponseWriter, *http.Request)
}

// routes are the handlers New mounts, filled by init funcs of this
// package's files.
var routes []route

// handle registers h for a net/http ServeMux pattern with a method and
// wildcards, e.g. "GET /gmail/v1/users/{userId}/messages". Call it from
// an init func; every Server built by New serves it, after the server's
// faults, latency and request counting.
func handle(pattern string, h func(*Server, http.ResponseWriter, *http.Request)) {
	routes = append(routes, route{pattern, h})
}

func init() {
	handle("POST /token", (*Server).token)
}

// Server is a running fake. Its state is guarded by mu; handlers in every
// file take it.
type Server struct {
	// URL is the base URL: give it as the connector's api_url. Key()
	// returns a service account key whose token_uri points here.
	URL string

	// Now is the server's clock; nil means time.Now. Set it before the
	// first request.
	Now func() time.Time

	// ClientEmail and ClientID name the service account of Key.
	ClientEmail, ClientID string

	srv     *httptest.Server
	key     *rsa.PrivateKey
	keyID   string
	mux     *http.ServeMux
	latency atomic.Int64 // time.Duration

	requests, tokenRequests, throttled atomic.Int64
	// inFlight counts the requests being served; peak is its highest
	// value since the last ResetPeak.
	inFlight, peak atomic.Int64

	mu    sync.Mutex
	users map[string]*User // by primary email, lower case

	// Set by the owners of each file, under mu.
	mailboxes map[string]*Mailbox // by user, lower case (gmail.go)
	drives    map[string]*Drive   // by user or shared drive id (drive.go)

	groups   map[string][]string // group email → member groups (users name their groups)
	orgUnits map[string]string   // path → id, besides those of users
	matters  []*Matter           // vault.go
	granted  []string            // delegated scopes of the client
	tokens   map[string]accessToken
	faults   []*Fault
	byRoute  map[string]int64

	qmu          sync.Mutex
	userUnits    int
	projectUnits int // 0: unlimited
	userQuota    map[string]*rate.Limiter
	projectQuota *rate.Limiter
}

// User is a directory user.
type User struct {
	Email     string
	OrgUnit   string // "/Elever/7a"
	Suspended bool
	Groups    []string // group emails the user is a member of
}

type accessToken struct {
	subject string
	scopes  []string
	expires time.Time
}

// New starts a fake with no users, granting the service account every
// scope, with Gmail's per-user quota of 250 units a second and no
// project limit.
func New() *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s := &Server{
		key:         key,
		keyID:       randHex(20),
		ClientEmail: "retentiond@skole-retention.iam.gserviceaccount.com",
		ClientID:    "1" + strconv.FormatInt(time.Now().UnixNano()%1e17, 10),
		users:       map[string]*User{},
		mailboxes:   map[string]*Mailbox{},
		drives:      map[string]*Drive{},
		groups:      map[string][]string{},
		orgUnits:    map[string]string{"/": "id:root"},
		granted:     slices.Clone(AllScopes),
		tokens:      map[string]accessToken{},
		byRoute:     map[string]int64{},
		userUnits:   defaultUserUnits,
		userQuota:   map[string]*rate.Limiter{},
	}
	s.mux = http.NewServeMux()
	for _, rt := range routes {
		h, pattern := rt.h, rt.pattern
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.byRoute[pattern]++
			s.mu.Unlock()
			h(s, w, r)
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "notFound", "The requested URL "+r.URL.Path+" was not found on this server.")
	})
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertificatePEM returns the server's TLS certificate in PEM, for a CA
// file.
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// Key returns the service account's JSON key, as the Cloud console
// downloads it, with token_uri pointing at this server.
func (s *Server) Key() []byte { return s.keyFor(s.ClientEmail, s.ClientID, s.key, s.keyID) }

// ForeignKey returns a well-formed key of a service account the server
// does not know (its own RSA key, another client email and id).
func (s *Server) ForeignKey() []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return s.keyFor("stranger@other-project.iam.gserviceaccount.com", "999", key, randHex(20))
}

// StaleKey returns a key of the known service account whose private key
// is not the registered one (a deleted or rotated key).
func (s *Server) StaleKey() []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return s.keyFor(s.ClientEmail, s.ClientID, key, randHex(20))
}

func (s *Server) keyFor(email, id string, key *rsa.PrivateKey, keyID string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "skole-retention",
		"private_key_id":              keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   id,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.URL + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return b
}

// Grant sets the scopes domain-wide delegation grants the service
// account's client id (the Admin console's list), replacing the default
// of AllScopes.
func (s *Server) Grant(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.granted = slices.Clone(scopes)
}

// AddUser adds or replaces a directory user; its org unit (and the units
// above it) and groups come into being.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.OrgUnit == "" {
		u.OrgUnit = "/"
	}
	s.users[strings.ToLower(u.Email)] = &u
	s.addOrgUnitLocked(u.OrgUnit)
	for _, g := range u.Groups {
		if _, ok := s.groups[strings.ToLower(g)]; !ok {
			s.groups[strings.ToLower(g)] = nil
		}
	}
}

// SetSuspended suspends a user or lifts the suspension.
func (s *Server) SetSuspended(email string, suspended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToLower(email)]; u != nil {
		u.Suspended = suspended
	}
}

// AddGroup creates a group; memberGroups are groups nested in it (users
// name their groups in User.Groups).
func (s *Server) AddGroup(email string, memberGroups ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := strings.ToLower(email)
	s.groups[g] = append(s.groups[g], memberGroups...)
	for _, m := range memberGroups {
		if _, ok := s.groups[strings.ToLower(m)]; !ok {
			s.groups[strings.ToLower(m)] = nil
		}
	}
}

// AddOrgUnit creates an organisational unit (and those above it).
func (s *Server) AddOrgUnit(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addOrgUnitLocked(path)
}

func (s *Server) addOrgUnitLocked(path string) {
	for p := path; p != "/" && p != ""; p = p[:strings.LastIndex(p, "/")] {
		if _, ok := s.orgUnits[p]; !ok {
			s.orgUnits[p] = "id:" + randHex(6)
		}
	}
}

// OrgUnitID returns the id of an organisational unit ("id:…"), as Vault
// names org units in holds.
func (s *Server) OrgUnitID(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgUnits[path]
}

// SetQuota sets the per-user quota in units a second (0: Gmail's 250)
// and the project's (0: unlimited). A request over either is answered
// 429 rateLimitExceeded.
func (s *Server) SetQuota(userUnitsPerSecond, projectUnitsPerSecond int) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if userUnitsPerSecond <= 0 {
		userUnitsPerSecond = defaultUserUnits
	}
	s.userUnits, s.projectUnits = userUnitsPerSecond, projectUnitsPerSecond
	s.userQuota = map[string]*rate.Limiter{}
	s.projectQuota = nil
	if projectUnitsPerSecond > 0 {
		s.projectQuota = rate.NewLimiter(rate.Limit(projectUnitsPerSecond), projectUnitsPerSecond)
	}
}

// SetLatency delays every request by d before it is answered.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Stats are the server's counters.
type Stats struct {
	Requests      int64 // HTTP requests, the token endpoint's included (a batch is one)
	TokenRequests int64
	Throttled     int64 // 429 answers for quota
	// ByRoute counts the requests each registered pattern answered
	// ("POST /gmail/v1/users/{userId}/messages/batchDelete"); requests
	// answered by a fault are not counted here.
	ByRoute map[string]int64
	// Peak is the most requests served at once since the server started
	// or ResetPeak was called (latency included).
	Peak int64
}

// ResetPeak starts Stats.Peak afresh.
func (s *Server) ResetPeak() { s.peak.Store(s.inFlight.Load()) }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := make(map[string]int64, len(s.byRoute))
	for k, v := range s.byRoute {
		by[k] = v
	}
	return Stats{Requests: s.requests.Load(), TokenRequests: s.tokenRequests.Load(), Throttled: s.throttled.Load(), ByRoute: by, Peak: s.peak.Load()}
}

// Fault is an injected failure. A request matches when its method
// matches Method (any if empty) and its path contains Path.
type Fault struct {
	Method string
	Path   string
	// Nth: the fault starts with the Nth matching request (1 = the
	// first; 0 too). Times: how many matching requests it answers from
	// then on; 0 means every one.
	Nth, Times int

	// The answer: Status with Google's error body for Reason and Message
	// (or Body verbatim when set), and Header (e.g. Retry-After).
	Status  int
	Reason  string
	Message string
	Body    string
	Header  http.Header

	// Malformed lets the handler answer and then sends only the first
	// half of its body.
	Malformed bool

	seen, hits int
}

// Inject adds a fault; faults are tried in the order they were added.
func (s *Server) Inject(f Fault) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return &f
}

// Hits returns how many requests the fault answered.
func (s *Server) Hits(f *Fault) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.hits
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) fault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if (f.Method != "" && f.Method != r.Method) || !strings.Contains(r.URL.Path, f.Path) {
			continue
		}
		f.seen++
		if f.seen < f.Nth || f.Times > 0 && f.hits >= f.Times {
			continue
		}
		f.hits++
		return f
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	f := s.fault(r)
	switch {
	case f == nil:
		s.mux.ServeHTTP(w, r)
	case f.Malformed:
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		body := rec.Body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)/2))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
	default:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(f.Status)
			w.Write([]byte(f.Body))
			return
		}
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		writeError(w, f.Status, f.Reason, msg)
	}
}

// token is the OAuth 2.0 token endpoint for service accounts: a JWT
// bearer grant (RFC 7523) signed with the account's key.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	fail := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request", "Invalid request body.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		fail("unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		fail("invalid_request", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Iss, Scope, Aud, Sub string
		Exp, Iat             int64
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		fail("invalid_grant", "Invalid JWT: malformed.")
		return
	}
	if claims.Iss != s.ClientEmail {
		fail("invalid_grant", "Invalid grant: account not found")
		return
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if header.Alg != "RS256" || rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		fail("invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := s.now()
	if claims.Aud != s.URL+"/token" {
		fail("invalid_grant", "Invalid JWT: Failed audience check. The right audience is "+s.URL+"/token")
		return
	}
	iat, exp := time.Unix(claims.Iat, 0), time.Unix(claims.Exp, 0)
	if exp.Sub(iat) > tokenLifetime || iat.After(now.Add(5*time.Minute)) || exp.Before(now) {
		fail("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	scopes := strings.Fields(claims.Scope)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(scopes) == 0 {
		fail("invalid_scope", "Invalid oauth scope or ID token audience provided.")
		return
	}
	for _, sc := range scopes {
		if !slices.Contains(s.granted, sc) {
			fail("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	}
	if claims.Sub != "" {
		u := s.users[strings.ToLower(claims.Sub)]
		if u == nil {
			fail("invalid_grant", "Invalid email or User ID")
			return
		}
		if u.Suspended {
			fail("invalid_grant", "Invalid email or User ID")
			return
		}
	}
	tok := "ya29.fake-" + randHex(24)
	s.tokens[tok] = accessToken{subject: strings.ToLower(claims.Sub), scopes: scopes, expires: now.Add(tokenLifetime)}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": int(tokenLifetime/time.Second) - 1, "token_type": "Bearer"})
}

// authorize checks the request's bearer token, issued by the token
// endpoint, for one of the given OAuth scopes, and returns the
// impersonated subject (the JWT's sub). On failure it has written the
// error reply (401 or 403 in Google's error format) and returns ok false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scopes ...string) (subject string, ok bool) {
	h := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	t, known := s.tokens[tok]
	s.mu.Unlock()
	if !found || !known || !s.now().Before(t.expires) {
		writeErrorBody(w, http.StatusUnauthorized, map[string]any{
			"message": "Invalid Credentials", "domain": "global", "reason": "authError",
			"location": "Authorization", "locationType": "header",
		}, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
		return "", false
	}
	for _, sc := range scopes {
		if slices.Contains(t.scopes, sc) {
			return t.subject, true
		}
	}
	writeError(w, http.StatusForbidden, "insufficientPermissions", "Request had insufficient authentication scopes.")
	return "", false
}

// charge takes units from the user's per-second quota (and the
// project's); when the quota is exhausted it writes Google's 429
// rateLimitExceeded reply and returns false. Faults and latency are
// applied by the server before handlers run. It takes its own lock: do
// not hold s.mu.
func (s *Server) charge(w http.ResponseWriter, user string, units int) bool {
	s.qmu.Lock()
	now := time.Now()
	l := s.userQuota[user]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.userUnits), s.userUnits)
		s.userQuota[user] = l
	}
	userOK := l.AllowN(now, units)
	projectOK := true
	if userOK && s.projectQuota != nil {
		projectOK = s.projectQuota.AllowN(now, units)
	}
	s.qmu.Unlock()
	switch {
	case !userOK:
		s.throttled.Add(1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rateLimitExceeded",
			"User-rate limit exceeded.  Retry after "+now.Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z"))
		return false
	case !projectOK:
		s.throttled.Add(1)
		writeError(w, http.StatusTooManyRequests, "rateLimitExceeded",
			"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service for consumer 'project_number:1'.")
		return false
	}
	return true
}

var statuses = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	409: "ABORTED", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
	502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

var domains = map[string]string{
	"rateLimitExceeded": "usageLimits", "userRateLimitExceeded": "usageLimits",
	"dailyLimitExceeded": "usageLimits", "quotaExceeded": "usageLimits",
}

// writeError writes a Google API error body:
// {"error":{"code":code,"message":msg,"errors":[{"reason":reason,...}],"status":...}}.
func writeError(w http.ResponseWriter, code int, reason, msg string) {
	if reason == "" {
		reason = "backendError"
		if code < 500 {
			reason = "failedPrecondition"
		}
	}
	domain := domains[reason]
	if domain == "" {
		domain = "global"
	}
	writeErrorBody(w, code, map[string]any{"message": msg, "domain": domain, "reason": reason}, msg)
}

func writeErrorBody(w http.ResponseWriter, code int, item map[string]any, msg string) {
	status := statuses[code]
	if status == "" {
		status = "UNKNOWN"
	}
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "errors": []any{item}, "status": status,
	}})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	}
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// replyJSON writes a 200 answer.
func replyJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, 500, "backendError", fmt.Sprintf("encode: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

// pageOf returns the slice of n elements a request's pageToken and page
// size select (a token is the index of the first element), the next
// token ("" on the last page), or ok false after writing a 400 for a bad
// token or size.
func pageOf(w http.ResponseWriter, r *http.Request, n int, sizeParam string, defaultSize, maxSize int) (lo, hi int, next string, ok bool) {
	size := defaultSize
	if v := r.URL.Query().Get(sizeParam); v != "" {
		s, err := strconv.Atoi(v)
		if err != nil || s < 1 {
			writeError(w, 400, "invalid", "Invalid value for "+sizeParam+": "+v)
			return 0, 0, "", false
		}
		size = min(s, maxSize)
	}
	if t := r.URL.Query().Get("pageToken"); t != "" {
		i, err := strconv.Atoi(strings.TrimPrefix(t, "p"))
		if err != nil || !strings.HasPrefix(t, "p") || i < 0 || i > n {
			writeError(w, 400, "invalid", "Invalid page token.")
			return 0, 0, "", false
		}
		lo = i
	}
	hi = min(n, lo+size)
	if hi < n {
		next = "p" + strconv.Itoa(hi)
	}
	return lo, hi, next, true
}

// now is the server's clock (Vault hold times, Drive modifiedTime
// defaults); tests may set Server.Now.
func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
