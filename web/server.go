// Package web is retentiond's web console: the pages approvers (and later
// operators and auditors) use instead of a shell on the server. Sign-in
// and sessions are web/auth's; this package renders the pages and calls the
// Pipeline's methods under the signed-in person's identity, which check
// every role (the same place the command line's are checked).
//
// Every response carries a Content-Security-Policy without inline script
// or style; every state change is a POST that needs a session, its CSRF
// token and a same-origin request (http.CrossOriginProtection). Pages are
// html/template, assets are embedded, nothing personal goes into URLs or
// logs.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/web/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every response: nothing inline, nothing
// from elsewhere, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// Options are what a Server is built from.
type Options struct {
	// Pipeline is the console's own pipeline (not the daemon's: the
	// console's requests run beside the daemon's jobs). Its Config has a
	// web section.
	Pipeline *scheduler.Pipeline
	Auth     *auth.Manager
	Log      *zap.Logger
}

// Server is the console, an http.Handler.
type Server struct {
	p    *scheduler.Pipeline
	auth *auth.Manager
	log  *zap.Logger
	h    http.Handler

	// mu orders SetConfig (write) against requests (read): a request sees
	// one configuration from start to end.
	mu sync.RWMutex
	// writeMu lets one decision through at a time: each signs a
	// checkpoint after its transaction.
	writeMu sync.Mutex

	pages map[string]*template.Template

	// ops are the plans and executions operators started (ops.go).
	ops *opsJobs
}

// New builds the console.
func New(o Options) (*Server, error) {
	if o.Pipeline == nil || o.Auth == nil {
		return nil, errors.New("web console: a pipeline and a sign-in manager are needed")
	}
	if o.Pipeline.Config.Web == nil {
		return nil, errors.New("web console: the configuration has no web section")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	s := &Server{p: o.Pipeline, auth: o.Auth, log: o.Log, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("web console: template %s: %w", page, err)
		}
		s.pages[page] = t
	}
	mux := http.NewServeMux()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheAssets(http.FileServerFS(static))))
	mux.HandleFunc("GET /signin", s.signin)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("/", s.unknownPath)
	mux.HandleFunc("GET /waiting", s.signedIn(s.waiting))
	mux.HandleFunc("GET /batches/{id}", s.signedIn(s.batch))
	mux.HandleFunc("GET /batches/{id}/items.csv", s.batchCSV)
	mux.HandleFunc("GET /batches/{id}/items.xlsx", s.batchXLSX)
	mux.HandleFunc("POST /batches/{id}/approve", s.decision(s.approve))
	mux.HandleFunc("POST /batches/{id}/reject", s.decision(s.reject))
	mux.HandleFunc("POST /batches/{id}/exclude", s.decision(s.exclude))
	s.opsRoutes(mux)
	s.dashboardRoutes(mux)
	s.auth.Routes(mux)
	// Refused sign-ins and sign-outs in the reader's language.
	s.auth.ErrorPage = func(w http.ResponseWriter, r *http.Request, status int, code string) {
		l := s.locale(r)
		msg := l.T("autherr." + code)
		if msg == "autherr."+code {
			msg = auth.Messages[code]
		}
		s.errorPage(w, r, nil, status, msg)
	}

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", zap.String("method", r.Method), zap.String("route", route(r)))
		s.errorPage(w, r, nil, http.StatusForbidden, s.locale(r).T("err.origin"))
	}))
	s.h = securityHeaders(cop.Handler(mux))
	return s, nil
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// SetConfig puts a reloaded configuration in force once the requests
// running have finished.
func (s *Server) SetConfig(cfg *configs.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.SetConfig(cfg)
	s.auth.SetConfig(cfg)
}

// config is the configuration in force (s.mu held).
func (s *Server) config() *configs.Config { return s.p.Config }

func (s *Server) locale(r *http.Request) Locale {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return locale(s.config().Web, r)
}

// securityHeaders sets the headers every response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func cacheAssets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// route is a request's path with numbers replaced, for logs: batch ids
// are not personal, but a log line never needs more than the route.
func route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "?"
}

// page is what every page's template gets.
type page struct {
	L      Locale
	Title  string
	Person string // the signed-in person's name, "" on the sign-in page
	Roles  []string
	// Can is what the person's roles let them see: the navigation shows
	// the pages of their roles (the Pipeline checks every action anyway).
	Can    struct{ Approve, Operate, Audit bool }
	CSRF   string
	Error  string
	Notice string
	Data   any
}

// handler is a page of a signed-in person.
type handler func(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (status int, name string)

// signedIn runs h for a signed-in person, under the configuration lock;
// anyone else goes to the sign-in page, which brings them back (the path
// only: a query may hold a search).
func (s *Server) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.auth.Session(r)
		if err != nil {
			s.toSignin(w, r, err)
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		pg := s.newPage(r, sess)
		status, name := h(w, r, sess, pg)
		if name == "" {
			return // h answered
		}
		s.render(w, status, name, pg)
	}
}

func (s *Server) toSignin(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrNoSession) {
		s.log.Error("reading the session failed", zap.String("route", route(r)), zap.Error(err))
	}
	next := r.URL.Path
	if r.Method == http.MethodPost {
		next = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(next, "/approve"), "/reject"), "/exclude")
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
}

func (s *Server) newPage(r *http.Request, sess *auth.Session) *page {
	cfg := s.config()
	pg := &page{L: locale(cfg.Web, r)}
	if sess != nil {
		pg.CSRF = sess.CSRF
		pg.Person = sess.Person
		// The roles in force for this session: with Entra app roles, those
		// of the sign-in (the Pipeline decides, as for every check).
		if who, ok := s.p.Person(s.auth.Context(r.Context(), sess), sess.Person); ok {
			if who.Name != "" {
				pg.Person = who.Name
			}
			for _, role := range who.Roles {
				pg.Roles = append(pg.Roles, pg.L.T("role."+role))
			}
			pg.Can.Approve = who.Has(configs.RoleApprover)
			pg.Can.Operate = who.Has(configs.RoleOperator)
			pg.Can.Audit = who.Has(configs.RoleAuditor)
		}
	}
	return pg
}

func (s *Server) render(w http.ResponseWriter, status int, name string, pg *page) {
	t, ok := s.pages[name]
	if !ok {
		t = s.pages["error"]
	}
	var b strings.Builder
	if err := t.Execute(&b, pg); err != nil {
		s.log.Error("rendering a page failed", zap.String("page", name), zap.Error(err))
		http.Error(w, pg.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// errorPage answers with a page that says msg.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, sess *auth.Session, status int, msg string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pg := s.newPage(r, sess)
	pg.Title, pg.Error = pg.L.T("err.title"), msg
	s.render(w, status, "error", pg)
}

// signin is the sign-in page: "Sign in with Microsoft" when OIDC is
// configured, a note about one-time links when they are allowed.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if _, err := s.auth.Session(r); err == nil {
		next := r.URL.Query().Get("next")
		if !safeNext(next) {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	pg := s.newPage(r, nil)
	pg.Title = pg.L.T("signin.title")
	web := s.config().Web
	login := "/auth/login"
	if next := r.URL.Query().Get("next"); safeNext(next) {
		login += "?next=" + url.QueryEscape(next)
	}
	pg.Data = struct {
		OIDC  bool
		Links bool
		Login string
	}{web.OIDC != nil, web.Links, login}
	s.render(w, http.StatusOK, "signin", pg)
}

// safeNext reports whether next is a path of this console to return to:
// absolute, not scheme-relative, no backslashes.
func safeNext(next string) bool {
	return strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n")
}

// waited says how long since t, in days or hours.
func waited(l Locale, d time.Duration) string {
	switch {
	case d < time.Hour:
		return l.T("dur.less_hour")
	case d < 24*time.Hour:
		return l.F("dur.hours", int(d/time.Hour))
	case d < 48*time.Hour:
		return l.T("dur.day")
	}
	return l.F("dur.days", int(d/(24*time.Hour)))
}

var funcs = template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
}

// ctxTimeout bounds a page's work.
func ctxTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 2*time.Minute)
}

// checkForm reads a posted form of at most maxForm bytes and checks it
// carries the session's CSRF token (the CrossOriginProtection around every
// handler has refused cross-origin posts already). On a mistake it answers
// with an error page (400 or 403) and returns false.
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request, sess *auth.Session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, sess, http.StatusBadRequest, s.locale(r).F("err.bad_input", "form"))
		return false
	}
	if tok := r.PostForm.Get("csrf"); tok == "" || sess.CSRF == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
		s.log.Warn("form without its session's token refused", zap.String("route", route(r)))
		s.errorPage(w, r, sess, http.StatusForbidden, s.locale(r).T("err.csrf"))
		return false
	}
	return true
}

// home sends a signed-in person to the first page of their roles: an
// approver to Waiting for me, an operator to the operators' page, anyone
// else (an auditor) to the dashboard; the signed-out to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess, err := s.auth.Session(r)
	if err != nil {
		s.toSignin(w, r, err)
		return
	}
	s.mu.RLock()
	pg := s.newPage(r, sess)
	s.mu.RUnlock()
	to := "/dashboard"
	switch {
	case pg.Can.Approve:
		to = "/waiting"
	case pg.Can.Operate:
		to = "/ops"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// unknownPath answers a path the console does not have with a page of the
// console (in the reader's language, with the navigation when signed in).
func (s *Server) unknownPath(w http.ResponseWriter, r *http.Request) {
	sess, err := s.auth.Session(r)
	if err != nil {
		sess = nil
	}
	s.errorPage(w, r, sess, http.StatusNotFound, s.locale(r).T("err.not_found"))
}
