// Package graphtest is a fake Microsoft Graph for tests and benchmarks: an
// HTTPS server on 127.0.0.1 that speaks the parts of Graph's wire protocol
// the mailbox connector uses, with the response shapes from Microsoft's
// documentation, so that the real msgraph-sdk-go client and the real
// azidentity credential can be driven against it.
//
// What it models:
//
//   - the Microsoft identity platform's client-credentials flow: tenant
//     discovery (/{tenant}/v2.0/.well-known/openid-configuration) and the
//     token endpoint (/{tenant}/oauth2/v2.0/token), with a client secret or
//     a certificate's signed client assertion, and AADSTS error bodies;
//   - bearer tokens required on every Graph request;
//   - users (GET /users, /users/{id|upn}), group members
//     (/groups/{id}/transitiveMembers/microsoft.graph.user);
//   - messages (GET /users/{u}/messages with $select, $filter on
//     receivedDateTime, $orderby, $top up to 1000, default page 10, paging
//     with an absolute @odata.nextLink; GET, DELETE (a move to Deleted
//     Items) and POST .../permanentDelete of one message);
//   - ids that change when a message moves unless the request carries
//     Prefer: IdType="ImmutableId";
//   - JSON batching (POST /$batch, at most 20 steps, unique ids, responses
//     in another order, each step with its own status and headers);
//   - throttling: at most Limit concurrent requests per mailbox, a batch
//     counting as up to 4, answered 429 ApplicationThrottled with a
//     Retry-After header (fractional seconds if so configured), on the
//     envelope or on each step;
//   - gzipped request bodies (Content-Encoding: gzip);
//   - Graph error bodies ({"error":{"code","message","innerError"}});
//   - Exchange holds: a permanently deleted message of a held mailbox is
//     kept in the Recoverable Items Purges folder, out of the user's (and
//     the API's) sight;
//   - faults injected by tests: any status and body, malformed JSON, a
//     nextLink that loops, a batch response with missing steps.
//
// It is a test-support package: nothing in the product imports it.
package graphtest

import (
	"cmp"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running fake Graph. Its URL serves both the identity
// platform (at the root) and Graph (under /v1.0).
type Server struct {
	// URL is the base URL, https://127.0.0.1:port.
	URL string
	srv *httptest.Server

	// Tenant and ClientID are the app registration the token endpoint
	// accepts, with Secret or the certificate given to AddCertificate.
	Tenant, ClientID, Secret string

	// Latency is added to every HTTP request (a batch is one request).
	Latency time.Duration
	// Limit is the number of concurrent requests per mailbox before 429;
	// 0 means no limit. A batch counts min(4, its steps) for each mailbox
	// it touches.
	Limit int
	// RetryAfter is the Retry-After value sent with a 429, e.g. "1" or
	// "0.25"; default "1".
	RetryAfter string

	mu       sync.Mutex
	users    []*user // in creation order
	byKey    map[string]*user
	groups   map[string][]string // group id -> user ids
	tokens   map[string]time.Time
	certs    map[string][]byte // thumbprint (hex sha1 or sha256) -> DER, see cert.go
	faults   []*Fault
	inflight map[string]int
	busy     int // mailboxes with requests in flight
	maxBusy  int
	maxSeen  map[string]int
	seq      int
	sent     []SentMail

	// Counters, read with Stats.
	requests, batches, steps, throttled, permanentDeletes, softDeletes, tokenRequests atomic.Int64
}

type user struct {
	id, upn   string
	noMailbox bool
	hold      bool
	denied    bool
	messages  map[string]*Message // by immutable id
	// sorted are the messages by receipt and immutable id, nil when
	// messages changed since they were sorted (listings page through it).
	sorted      []*Message
	purges      map[string]*Message
	revokeAfter int // deny after this many more requests, when > 0
}

// Message is a mail message as the fake stores it.
type Message struct {
	ImmutableID string
	// Folder is the well-known name or id of the folder holding it.
	Folder          string
	ChangeKey       string
	Received        time.Time
	LastModified    time.Time
	Subject         string
	BodyPreview     string
	Categories      []string
	moves, versions int
}

// restID is the id Graph gives without Prefer: IdType="ImmutableId": it
// changes whenever the message moves.
func (m *Message) restID() string {
	return "AAMk" + base64.RawURLEncoding.EncodeToString([]byte(m.ImmutableID+"#"+strconv.Itoa(m.moves)))
}

// Start starts a server and stops it when the test ends.
func Start(t interface{ Cleanup(func()) }) *Server {
	s := &Server{
		Tenant:   "11111111-2222-3333-4444-555555555555",
		ClientID: "66666666-7777-8888-9999-000000000000",
		Secret:   "fake-secret~" + randHex(8),
		byKey:    map[string]*user{},
		groups:   map[string][]string{},
		tokens:   map[string]time.Time{},
		certs:    map[string][]byte{},
		inflight: map[string]int{},
		maxSeen:  map[string]int{},
	}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertificatePEM returns the server's TLS certificate in PEM, for a CA file.
func (s *Server) CertificatePEM() []byte { return pemCert(s.srv.Certificate().Raw) }

// GraphURL is the base URL of Graph v1.0 on the server.
func (s *Server) GraphURL() string { return s.URL + "/v1.0" }

// AddUser adds a user with a mailbox and returns its object id.
func (s *Server) AddUser(upn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(upn).id
}

func (s *Server) addUser(upn string) *user {
	if u := s.byKey[strings.ToLower(upn)]; u != nil {
		return u
	}
	s.seq++
	u := &user{
		id:       fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq),
		upn:      upn,
		messages: map[string]*Message{},
		purges:   map[string]*Message{},
	}
	s.users = append(s.users, u)
	s.byKey[strings.ToLower(upn)] = u
	s.byKey[u.id] = u
	return u
}

// AddUserWithoutMailbox adds a user whose mailbox is not enabled (an
// unlicensed account or one whose mailbox is on premises).
func (s *Server) AddUserWithoutMailbox(upn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.addUser(upn)
	u.noMailbox = true
	return u.id
}

// AddGroup creates a group with the given members (UPNs) and returns its id.
func (s *Server) AddGroup(members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%08x-9999-4000-8000-%012x", s.seq, s.seq)
	for _, m := range members {
		s.groups[id] = append(s.groups[id], s.addUser(m).id)
	}
	return id
}

// SetHold puts a litigation or retention hold on a mailbox: permanently
// deleted messages are kept in Recoverable Items.
func (s *Server) SetHold(upn string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(upn).hold = on
}

// Deny answers 403 ErrorAccessDenied to every request for the mailbox from
// the next request on, or after the given number of further requests (the
// tenant admin removed it from the app's scope mid-run).
func (s *Server) Deny(upn string, afterRequests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(upn)
	if afterRequests <= 0 {
		u.denied = true
	} else {
		u.revokeAfter = afterRequests
	}
}

func (s *Server) mustUser(upn string) *user {
	u := s.byKey[strings.ToLower(upn)]
	if u == nil {
		panic("graphtest: no user " + upn)
	}
	return u
}

// Put stores a message in a mailbox (creating the user) with the given
// immutable id, and returns it. Folder defaults to "inbox".
func (s *Server) Put(upn string, m Message) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.addUser(upn)
	if m.ImmutableID == "" {
		s.seq++
		m.ImmutableID = fmt.Sprintf("AAkALg%06d", s.seq)
	}
	if m.Folder == "" {
		m.Folder = "inbox"
	}
	if m.LastModified.IsZero() {
		m.LastModified = m.Received
	}
	m.ChangeKey = changeKey(m.ImmutableID, 0)
	mm := m
	u.messages[m.ImmutableID] = &mm
	u.sorted = nil
	return &mm
}

func changeKey(id string, version int) string {
	sum := sha256.Sum256([]byte(id + "/" + strconv.Itoa(version)))
	return "CQAAABYAAA" + base64.StdEncoding.EncodeToString(sum[:9])
}

// Modify changes a message (e.g. a category is added) so that its
// changeKey changes.
func (s *Server) Modify(upn, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustUser(upn).messages[id]
	if m == nil {
		panic("graphtest: no message " + id)
	}
	m.versions++
	m.ChangeKey = changeKey(id, m.versions)
	m.LastModified = m.LastModified.Add(time.Minute)
}

// Move moves a message to another folder: its REST id changes, its
// immutable id does not.
func (s *Server) Move(upn, id, folder string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustUser(upn).messages[id]
	m.Folder = folder
	m.moves++
	m.versions++
	m.ChangeKey = changeKey(id, m.versions)
}

// Remove deletes a message behind the client's back.
func (s *Server) Remove(upn, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(upn)
	delete(u.messages, id)
	u.sorted = nil
}

// byReceipt returns the user's messages sorted by receipt and immutable
// id (a slice it does not change afterwards). s.mu must be held.
func (u *user) byReceipt() []*Message {
	if u.sorted == nil {
		u.sorted = slices.SortedFunc(maps.Values(u.messages), func(a, b *Message) int {
			return cmp.Or(a.Received.Compare(b.Received), strings.Compare(a.ImmutableID, b.ImmutableID))
		})
	}
	return u.sorted
}

// Get returns a copy of a message visible in the mailbox.
func (s *Server) Get(upn, id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byKey[strings.ToLower(upn)]
	if u == nil {
		return Message{}, false
	}
	m, ok := u.messages[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// InPurges reports whether a message was permanently deleted from a held
// mailbox and is kept by Exchange.
func (s *Server) InPurges(upn, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.mustUser(upn).purges[id]
	return ok
}

// Count returns the number of messages visible in a mailbox.
func (s *Server) Count(upn string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mustUser(upn).messages)
}

// Stats are the server's counters.
type Stats struct {
	Requests         int64 // HTTP requests to Graph (a batch is one)
	Batches          int64
	Steps            int64
	Throttled        int64 // 429 answers, envelopes and steps
	PermanentDeletes int64
	SoftDeletes      int64 // DELETE /messages/{id}: a move, not a deletion
	TokenRequests    int64
	// MaxInflight is the highest concurrency seen per mailbox (UPN).
	MaxInflight map[string]int
	// MaxMailboxes is the most mailboxes seen with requests in flight at
	// once.
	MaxMailboxes int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	max := make(map[string]int, len(s.maxSeen))
	for k, v := range s.maxSeen {
		max[k] = v
	}
	busy := s.maxBusy
	s.mu.Unlock()
	return Stats{
		Requests: s.requests.Load(), Batches: s.batches.Load(), Steps: s.steps.Load(),
		Throttled: s.throttled.Load(), PermanentDeletes: s.permanentDeletes.Load(),
		SoftDeletes: s.softDeletes.Load(), TokenRequests: s.tokenRequests.Load(), MaxInflight: max,
		MaxMailboxes: busy,
	}
}

// Fault is an injected failure. A request (or batch step) matches when
// its method matches Method (any if empty) and its path, without the
// /v1.0 prefix, contains Path.
type Fault struct {
	Method string
	Path   string
	// Step limits the fault to batch steps (true) or to top-level
	// requests (false, the default).
	Step bool
	// Times is how many matching requests fail; 0 means every one.
	Times int

	// The response: Status with a Graph error body for Code (or Body
	// verbatim when set) and extra Header values.
	Status int
	Code   string
	Body   string
	Header http.Header

	// Malformed answers 200 with a JSON body cut in half.
	Malformed bool
	// LoopNextLink makes a message page's @odata.nextLink point back at
	// the page itself.
	LoopNextLink bool
	// DropSteps removes this many responses from a batch envelope.
	DropSteps int

	hits int
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

func (s *Server) fault(method, path string, step bool, pick func(*Fault) bool) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		if f.Step != step || (f.Method != "" && f.Method != method) || !strings.Contains(path, f.Path) || !pick(f) {
			continue
		}
		f.hits++
		return f
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// response is what one request or batch step answers.
type response struct {
	status int
	header http.Header
	body   any    // marshalled as JSON when not nil
	raw    []byte // sent verbatim when set
}

func jsonResponse(status int, body any) response {
	return response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

// graphError is a Graph error body.
func graphError(status int, code, message string) response {
	now := time.Now().UTC().Format("2006-01-02T15:04:05")
	return jsonResponse(status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":              now,
			"request-id":        randUUID(),
			"client-request-id": randUUID(),
		},
	}})
}

func randUUID() string {
	h := randHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1.0/"):
		s.serveGraph(w, r)
	default:
		s.serveIdentity(w, r)
	}
}

func write(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	if resp.raw != nil {
		w.WriteHeader(resp.status)
		w.Write(resp.raw)
		return
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	w.Write(b)
}

// readBody reads a request body, inflating it if it was gzipped (the SDK's
// CompressionHandler does so by default).
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = zr
	}
	return io.ReadAll(io.LimitReader(rd, 4<<20))
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if !s.authorized(r) {
		write(w, graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid."))
		return
	}
	body, err := readBody(r)
	if err != nil {
		write(w, graphError(http.StatusBadRequest, "BadRequest", "Unable to read the request body: "+err.Error()))
		return
	}
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0")
	if path == "/$batch" || path == "/%24batch" {
		s.batches.Add(1)
		s.serveBatch(w, r, body)
		return
	}
	mailbox := s.mailboxOf(path)
	if mailbox != "" {
		if resp, ok := s.acquire(map[string]int{mailbox: 1}); !ok {
			write(w, resp)
			return
		}
		defer s.release(map[string]int{mailbox: 1})
	}
	time.Sleep(s.Latency)
	write(w, s.handle(r.Method, path, r.URL.RawQuery, r.Header, body, false))
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && time.Now().Before(exp)
}

// mailboxOf returns the key of the mailbox a path addresses, or "".
func (s *Server) mailboxOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/users/")
	if !ok {
		return ""
	}
	key, tail, _ := strings.Cut(rest, "/")
	if tail == "" {
		return "" // the directory object, not the mailbox
	}
	key, _ = url.PathUnescape(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.byKey[strings.ToLower(key)]; u != nil {
		return u.upn
	}
	return ""
}

// acquire takes concurrency slots on mailboxes, or answers 429.
func (s *Server) acquire(need map[string]int) (response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit > 0 {
		for m, n := range need {
			if s.inflight[m]+n > s.Limit {
				s.throttled.Add(1)
				return s.throttle(), false
			}
		}
	}
	for m, n := range need {
		s.take(m, n)
	}
	return response{}, true
}

// take adds n requests in flight on mailbox m. s.mu must be held.
func (s *Server) take(m string, n int) {
	if s.inflight[m] == 0 && n > 0 {
		s.busy++
		s.maxBusy = max(s.maxBusy, s.busy)
	}
	s.inflight[m] += n
	s.maxSeen[m] = max(s.maxSeen[m], s.inflight[m])
}

// grant takes up to n slots on a mailbox for a batch and returns how many
// it got; 0 counts as a throttled request.
func (s *Server) grant(m string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit > 0 {
		n = min(n, s.Limit-s.inflight[m])
	}
	if n <= 0 {
		s.throttled.Add(1)
		return 0
	}
	s.take(m, n)
	return n
}

func (s *Server) release(need map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for m, n := range need {
		if s.inflight[m] -= n; s.inflight[m] == 0 && n > 0 {
			s.busy--
		}
	}
}

func (s *Server) throttle() response {
	ra := s.RetryAfter
	if ra == "" {
		ra = "1"
	}
	resp := graphError(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	resp.header.Set("Retry-After", ra)
	return resp
}

// SentMail is a message accepted by POST /users/{id}/sendMail.
type SentMail struct {
	From            string // the mailbox's user principal name
	To              []string
	Subject         string
	ContentType     string // text or html
	Content         string
	SaveToSentItems bool
}

// Sent returns the mail sent so far.
func (s *Server) Sent() []SentMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMail(nil), s.sent...)
}
