// Package googletest is a fake Google Workspace for tests and benchmarks:
// an HTTP server that speaks the wire protocol of the OAuth 2.0 token
// endpoint (a service account's signed JWT, verified, with its sub), the
// Admin SDK Directory API, Gmail, Drive and Vault, as the real
// google.golang.org/api clients use them through option.WithEndpoint.
//
// Paths are those of the real services below their base URLs: Gmail
// /gmail/v1/..., Drive /drive/v3/..., the Directory API
// /admin/directory/v1/..., Vault /v1/matters..., the token endpoint
// /token. The connector's api_url is Server.URL.
//
// Files: server.go (state, token endpoint, auth, faults, quota, latency;
// owner G1), directory.go and vault.go (G1), gmail.go (G2), drive.go (G3).
// Each file registers its handlers from an init func with handle.
package googletest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

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

// Server is a running fake. Its state is guarded by mu; handlers in every
// file take it.
type Server struct {
	// URL is the base URL: give it as the connector's api_url. Key()
	// returns a service account key whose token_uri points here.
	URL string

	// Now is the server's clock; nil means time.Now. Set it before the
	// first request.
	Now func() time.Time

	srv *httptest.Server

	mu    sync.Mutex
	users map[string]*User // by primary email, lower case

	// Set by the owners of each file, under mu.
	mailboxes map[string]*Mailbox // by user, lower case (gmail.go)
	drives    map[string]*Drive   // by user or shared drive id (drive.go)
}

// User is a directory user.
type User struct {
	Email     string
	OrgUnit   string // "/Elever/7a"
	Suspended bool
	Groups    []string // group emails the user is a member of
}

// New starts a fake with no users.
func New() *Server {
	s := &Server{
		users:     map[string]*User{},
		mailboxes: map[string]*Mailbox{},
		drives:    map[string]*Drive{},
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.h
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
	}
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// authorize checks the request's bearer token, issued by the token
// endpoint, for one of the given OAuth scopes, and returns the
// impersonated subject (the JWT's sub). On failure it has written the
// error reply (401 or 403 in Google's error format) and returns ok false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scopes ...string) (subject string, ok bool) {
	panic("G1")
}

// charge takes units from the user's per-second quota (and the
// project's); when the quota is exhausted it writes Google's 429
// rateLimitExceeded reply and returns false. Faults and latency are
// applied by the server before handlers run.
func (s *Server) charge(w http.ResponseWriter, user string, units int) bool {
	panic("G1")
}

// writeError writes a Google API error body:
// {"error":{"code":code,"message":msg,"errors":[{"reason":reason,...}],"status":...}}.
func writeError(w http.ResponseWriter, code int, reason, msg string) {
	panic("G1")
}

// now is the server's clock (Vault hold times, Drive modifiedTime
// defaults); tests may set Server.Now.
func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
