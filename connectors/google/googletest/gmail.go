package googletest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/gmail/v1"
)

// The fake's Gmail: users.messages.list/get/batchDelete,
// users.labels.list, users.history.list, users.getProfile, and Google's
// HTTP batch endpoint POST /batch/gmail/v1 (multipart/mixed, up to 100
// calls); for the live test's sacrificial path also users.messages.insert
// (a raw RFC 822 message in the JSON body), modify and delete. Bodies are
// the gmail/v1 types, so the wire format is the real client's. Quota
// units as Gmail charges them: list, get and modify 5, delete 10, insert
// 25, batchDelete 50, history.list 2, labels.list and getProfile 1; each
// call inside a batch is charged as if sent alone, as Gmail does.

func init() {
	handle("GET /gmail/v1/users/{userId}/messages", (*Server).gmailList)
	handle("GET /gmail/v1/users/{userId}/messages/{id}", (*Server).gmailGet)
	handle("POST /gmail/v1/users/{userId}/messages/batchDelete", (*Server).gmailBatchDelete)
	handle("GET /gmail/v1/users/{userId}/labels", (*Server).gmailLabels)
	handle("GET /gmail/v1/users/{userId}/history", (*Server).gmailHistory)
	handle("GET /gmail/v1/users/{userId}/profile", (*Server).gmailProfile)
	handle("POST /batch/gmail/v1", (*Server).gmailBatch)
	handle("POST /gmail/v1/users/{userId}/messages", (*Server).gmailInsert)
	handle("POST /gmail/v1/users/{userId}/messages/{id}/modify", (*Server).gmailModify)
	handle("DELETE /gmail/v1/users/{userId}/messages/{id}", (*Server).gmailDelete)
}

// Scopes Gmail accepts: reading with any of them, permanent deletion
// (batchDelete) only with the full scope.
const (
	scopeMailFull     = "https://mail.google.com/"
	scopeMailModify   = "https://www.googleapis.com/auth/gmail.modify"
	scopeMailReadonly = "https://www.googleapis.com/auth/gmail.readonly"
	scopeMailMetadata = "https://www.googleapis.com/auth/gmail.metadata"
)

// Limits of the real service.
const (
	gmailMaxPage        = 500  // messages.list and history.list maxResults
	gmailDefaultPage    = 100  // their default
	gmailMaxBatchDelete = 1000 // ids per batchDelete
	gmailMaxBatchCalls  = 100  // calls per HTTP batch request
)

// Mailbox is one user's Gmail. Its fields are guarded by Server.mu.
type Mailbox struct {
	user      string
	messages  map[string]*gmail.Message
	labels    []*gmail.Label // system labels first, then the user's
	historyID uint64         // the mailbox's current history id
	history   []*gmail.History
	// oldest is the lowest startHistoryId history.list still accepts;
	// below it the answer is 404, as when Gmail has expired the records.
	oldest uint64

	faults GmailFaults
	stats  GmailStats
}

// Message is a message put into a fake mailbox.
type Message struct {
	// ID is the message id; empty: a new random one (16 hex digits, as
	// Gmail's).
	ID       string
	ThreadID string // default: the message id
	// Labels are label ids (INBOX, SENT, SPAM, TRASH, STARRED, ...) or
	// names of user labels, created when missing. Default: INBOX.
	Labels   []string
	Internal time.Time // internalDate: when Gmail received it
	Subject  string
	Snippet  string
	Date     string // the Date header; default: Internal in RFC 5322 form
	Size     int64  // sizeEstimate
}

// GmailFaults make one mailbox misbehave. Set them with SetGmailFaults.
type GmailFaults struct {
	// MalformedPage: the n-th answer of messages.list (1-based, counted
	// from when the faults were set) is not JSON.
	MalformedPage int
	// LoopFromPage: from the n-th answer of messages.list on, every
	// page's nextPageToken is the token that asked for it (a loop).
	LoopFromPage int
	// NoInternalDate: ids whose get answers without internalDate.
	NoInternalDate map[string]bool
	// BadInternalDate: ids whose get answers internalDate "soon" (not a
	// number).
	BadInternalDate map[string]bool
	// PartStatus: ids whose get inside an HTTP batch answers this status
	// (429 rateLimitExceeded, 403 userRateLimitExceeded, 500
	// backendError, 503) PartTimes times each.
	PartStatus map[string]int
	PartTimes  int
	// DropPart: ids whose get is left out of an HTTP batch's answer
	// (once each).
	DropPart map[string]bool
	// KeepOnDelete: ids batchDelete answers 204 for but keeps.
	KeepOnDelete map[string]bool
	// VanishOnGet: ids removed (permanently, with a history record) by
	// the first get that asks for them, which then answers 404: a
	// message deleted between list and get.
	VanishOnGet map[string]bool
	// HistoryNotFound: history.list answers 404 for any start.
	HistoryNotFound bool

	listPages   int
	partRefused map[string]int
}

// GmailStats count what a mailbox was asked. Requests counts HTTP
// requests that reached the mailbox's routes (an HTTP batch is one);
// the others count calls, those inside a batch included.
type GmailStats struct {
	Requests    int
	Batches     int // HTTP batch requests
	List        int
	Get         int
	BatchDelete int
	History     int
	Labels      int
	Profile     int
	Insert      int
	Modify      int
	Delete      int
	Units       int // quota units charged
}

// PutMessage adds a message to user's mailbox (made when missing) and
// returns its id.
func (s *Server) PutMessage(user string, m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(user)
	id := m.ID
	if id == "" {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	if _, dup := mb.messages[id]; dup {
		panic("googletest: message " + id + " exists")
	}
	thread := m.ThreadID
	if thread == "" {
		thread = id
	}
	labels := m.Labels
	if labels == nil {
		labels = []string{"INBOX"}
	}
	var ids []string
	for _, l := range labels {
		ids = append(ids, mb.labelID(l))
	}
	date := m.Date
	if date == "" && !m.Internal.IsZero() {
		date = m.Internal.Format(time.RFC1123Z)
	}
	size := m.Size
	msg := &gmail.Message{
		Id: id, ThreadId: thread, LabelIds: ids,
		InternalDate: m.Internal.UnixMilli(), SizeEstimate: size, Snippet: m.Snippet,
		Payload: &gmail.MessagePart{MimeType: "text/plain", Headers: []*gmail.MessagePartHeader{
			{Name: "From", Value: "someone@example.org"},
			{Name: "Subject", Value: m.Subject},
			{Name: "Date", Value: date},
		}},
	}
	mb.messages[id] = msg
	mb.record(&gmail.History{MessagesAdded: []*gmail.HistoryMessageAdded{{Message: brief(msg)}}}, msg)
	return id
}

// ModifyMessage changes a message as a user would: it adds the label
// STARRED, or removes it when present. Its historyId changes.
func (s *Server) ModifyMessage(user, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, msg := s.messageLocked(user, id)
	if i := slices.Index(msg.LabelIds, "STARRED"); i >= 0 {
		msg.LabelIds = slices.Delete(msg.LabelIds, i, i+1)
		mb.record(&gmail.History{LabelsRemoved: []*gmail.HistoryLabelRemoved{{LabelIds: []string{"STARRED"}, Message: brief(msg)}}}, msg)
		return
	}
	msg.LabelIds = append(msg.LabelIds, "STARRED")
	mb.record(&gmail.History{LabelsAdded: []*gmail.HistoryLabelAdded{{LabelIds: []string{"STARRED"}, Message: brief(msg)}}}, msg)
}

// RemoveMessage deletes a message permanently behind the connector's
// back.
func (s *Server) RemoveMessage(user, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, _ := s.messageLocked(user, id)
	mb.remove(id)
}

// HasMessage reports whether user's mailbox holds the message.
func (s *Server) HasMessage(user, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxes[strings.ToLower(user)]
	return mb != nil && mb.messages[id] != nil
}

// MessageIDs returns the ids of user's messages, sorted.
func (s *Server) MessageIDs(user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	if mb := s.mailboxes[strings.ToLower(user)]; mb != nil {
		for id := range mb.messages {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// EnableGmail gives user an empty mailbox (PutMessage makes one too). A
// user without one gets Gmail's 400 failedPrecondition "Mail service not
// enabled".
func (s *Server) EnableGmail(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailboxLocked(user)
}

// ExpireHistory makes history.list answer 404 for every start before the
// mailbox's current history id, as Gmail does once records expire.
func (s *Server) ExpireHistory(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(user)
	mb.oldest = mb.historyID
	mb.history = nil
}

// SetGmailFaults replaces the faults of user's mailbox.
func (s *Server) SetGmailFaults(user string, f GmailFaults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailboxLocked(user).faults = f
}

// GmailStats returns what user's mailbox was asked; user "" sums every
// mailbox.
func (s *Server) GmailStats(user string) GmailStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum GmailStats
	for u, mb := range s.mailboxes {
		if user != "" && u != strings.ToLower(user) {
			continue
		}
		st := mb.stats
		sum.Requests += st.Requests
		sum.Batches += st.Batches
		sum.List += st.List
		sum.Get += st.Get
		sum.BatchDelete += st.BatchDelete
		sum.History += st.History
		sum.Labels += st.Labels
		sum.Profile += st.Profile
		sum.Insert += st.Insert
		sum.Modify += st.Modify
		sum.Delete += st.Delete
		sum.Units += st.Units
	}
	return sum
}

// ResetGmailStats zeroes every mailbox's counters.
func (s *Server) ResetGmailStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mb := range s.mailboxes {
		mb.stats = GmailStats{}
	}
}

func (s *Server) mailboxLocked(user string) *Mailbox {
	user = strings.ToLower(user)
	mb := s.mailboxes[user]
	if mb == nil {
		mb = &Mailbox{user: user, messages: map[string]*gmail.Message{}, historyID: 1000, oldest: 1000}
		for _, l := range []string{"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "STARRED", "IMPORTANT", "UNREAD",
			"CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS"} {
			mb.labels = append(mb.labels, &gmail.Label{Id: l, Name: l, Type: "system"})
		}
		s.mailboxes[user] = mb
	}
	return mb
}

func (s *Server) messageLocked(user, id string) (*Mailbox, *gmail.Message) {
	mb := s.mailboxes[strings.ToLower(user)]
	if mb == nil || mb.messages[id] == nil {
		panic("googletest: no message " + id + " of " + user)
	}
	return mb, mb.messages[id]
}

// labelID returns the id of the label with the given id or name, making a
// user label when there is none.
func (mb *Mailbox) labelID(l string) string {
	for _, x := range mb.labels {
		if x.Id == l || x.Name == l {
			return x.Id
		}
	}
	id := fmt.Sprintf("Label_%d", len(mb.labels)+1)
	mb.labels = append(mb.labels, &gmail.Label{Id: id, Name: l, Type: "user"})
	return id
}

// record appends a history record, giving it and msg (when not nil) the
// next history id. Ids grow by 3, as Gmail's are increasing but not
// contiguous.
func (mb *Mailbox) record(h *gmail.History, msg *gmail.Message) {
	mb.historyID += 3
	h.Id = mb.historyID
	if msg != nil {
		msg.HistoryId = mb.historyID
		h.Messages = []*gmail.Message{brief(msg)}
	}
	mb.history = append(mb.history, h)
}

func (mb *Mailbox) remove(id string) {
	msg := mb.messages[id]
	delete(mb.messages, id)
	b := brief(msg)
	mb.record(&gmail.History{Messages: []*gmail.Message{b}, MessagesDeleted: []*gmail.HistoryMessageDeleted{{Message: b}}}, nil)
}

// brief is a message as history records show it: id, thread, labels.
func brief(m *gmail.Message) *gmail.Message {
	return &gmail.Message{Id: m.Id, ThreadId: m.ThreadId, LabelIds: slices.Clone(m.LabelIds)}
}

// inBatch marks the context of a call inside an HTTP batch: the batch is
// the request counted.
type inBatch struct{}

// gmailUser authorizes the request and returns the user's mailbox, or
// writes the error. userId must be "me" or the impersonated user.
func (s *Server) gmailUser(w http.ResponseWriter, r *http.Request, full bool) (string, bool) {
	scopes := []string{scopeMailFull}
	if !full {
		scopes = append(scopes, scopeMailModify, scopeMailReadonly, scopeMailMetadata)
	}
	subject, ok := s.authorize(w, r, scopes...)
	if !ok {
		return "", false
	}
	subject = strings.ToLower(subject)
	if u := strings.ToLower(r.PathValue("userId")); u != "me" && u != subject {
		writeError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+subject)
		return "", false
	}
	s.mu.Lock()
	mb := s.mailboxes[subject]
	if mb != nil && r.Context().Value(inBatch{}) == nil {
		mb.stats.Requests++
	}
	s.mu.Unlock()
	if mb == nil {
		writeError(w, http.StatusBadRequest, "failedPrecondition", "Mail service not enabled")
		return "", false
	}
	return subject, true
}

// gmailCharge charges units to the user's quota and counts them and the
// call (the counter count returns).
func (s *Server) gmailCharge(w http.ResponseWriter, user string, units int, count func(*GmailStats) *int) bool {
	if !s.charge(w, user, units) {
		return false
	}
	s.mu.Lock()
	if mb := s.mailboxes[user]; mb != nil {
		mb.stats.Units += units
		*count(&mb.stats)++
	}
	s.mu.Unlock()
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backendError", "Backend Error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

// pageSize reads maxResults: default def, at most gmailMaxPage.
func pageSize(w http.ResponseWriter, r *http.Request, def int) (int, bool) {
	v := r.URL.Query().Get("maxResults")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid value for maxResults")
		return 0, false
	}
	return min(n, gmailMaxPage), true
}

// gmailQuery is the part of Gmail's search syntax the fake knows:
// before: and after: with epoch seconds or a date (yyyy/mm/dd, yyyy-mm-dd,
// mm/dd/yyyy; dates are midnight Pacific time, as Gmail reads them).
// Anything else is refused with 400, so that a test never passes on a
// query the fake ignored.
type gmailQuery struct {
	before, after int64 // ms since the epoch; 0: unset
}

var pacific = func() *time.Location {
	if l, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		return l
	}
	return time.FixedZone("PST", -8*3600)
}()

func parseGmailQuery(q string) (gmailQuery, error) {
	var out gmailQuery
	for _, term := range strings.Fields(q) {
		op, v, ok := strings.Cut(term, ":")
		if !ok || (op != "before" && op != "after") {
			return out, fmt.Errorf("the fake supports only before: and after:, not %q", term)
		}
		var t int64
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			t = n * 1000
		} else {
			var d time.Time
			for _, layout := range []string{"2006/1/2", "2006-1-2", "1/2/2006"} {
				if d, err = time.ParseInLocation(layout, v, pacific); err == nil {
					break
				}
			}
			if err != nil {
				return out, fmt.Errorf("invalid date %q", v)
			}
			t = d.UnixMilli()
		}
		if op == "before" {
			out.before = t
		} else {
			out.after = t
		}
	}
	return out, nil
}

func (q gmailQuery) match(m *gmail.Message) bool {
	return (q.before == 0 || m.InternalDate < q.before) && (q.after == 0 || m.InternalDate >= q.after)
}

// listKey orders messages as Gmail lists them: newest first.
func listLess(a, b *gmail.Message) int {
	if a.InternalDate != b.InternalDate {
		if a.InternalDate > b.InternalDate {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Id, b.Id)
}

func (s *Server) gmailList(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 5, func(st *GmailStats) *int { return &st.List }) {
		return
	}
	qv := r.URL.Query()
	q, err := parseGmailQuery(qv.Get("q"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid query: "+err.Error())
		return
	}
	n, ok := pageSize(w, r, gmailDefaultPage)
	if !ok {
		return
	}
	spamTrash := qv.Get("includeSpamTrash") == "true"
	labels := qv["labelIds"]
	var after *gmail.Message // the page starts after it
	token := qv.Get("pageToken")
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		ms, id, ok := strings.Cut(string(b), ":")
		t, err2 := strconv.ParseInt(ms, 10, 64)
		if err != nil || !ok || err2 != nil {
			writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid pageToken")
			return
		}
		after = &gmail.Message{Id: id, InternalDate: t}
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	f := &mb.faults
	f.listPages++
	malformed := f.MalformedPage > 0 && f.listPages == f.MalformedPage
	loop := f.LoopFromPage > 0 && f.listPages >= f.LoopFromPage
	var all []*gmail.Message
	for _, m := range mb.messages {
		if !spamTrash && (slices.Contains(m.LabelIds, "SPAM") || slices.Contains(m.LabelIds, "TRASH")) {
			continue
		}
		if !q.match(m) || (after != nil && listLess(m, after) <= 0) {
			continue
		}
		if !containsAll(m.LabelIds, labels) {
			continue
		}
		all = append(all, m)
	}
	slices.SortFunc(all, listLess)
	resp := &gmail.ListMessagesResponse{ResultSizeEstimate: int64(len(all))}
	for _, m := range all[:min(n, len(all))] {
		resp.Messages = append(resp.Messages, &gmail.Message{Id: m.Id, ThreadId: m.ThreadId})
	}
	if len(all) > n {
		last := all[n-1]
		resp.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.InternalDate, 10) + ":" + last.Id))
	}
	s.mu.Unlock()
	if loop && token != "" {
		resp.NextPageToken = token
	}
	if malformed {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		io.WriteString(w, `{"messages": [{"id": "`)
		return
	}
	writeJSON(w, resp)
}

func containsAll(have, want []string) bool {
	for _, l := range want {
		if !slices.Contains(have, l) {
			return false
		}
	}
	return true
}

func (s *Server) gmailGet(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 5, func(st *GmailStats) *int { return &st.Get }) {
		return
	}
	id := r.PathValue("id")
	qv := r.URL.Query()
	format := qv.Get("format")
	if format == "" {
		format = "full"
	}
	if !slices.Contains([]string{"minimal", "metadata", "full", "raw"}, format) {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid value for format")
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	if mb.faults.VanishOnGet[id] && mb.messages[id] != nil {
		delete(mb.faults.VanishOnGet, id)
		mb.remove(id)
	}
	m := mb.messages[id]
	var out gmail.Message
	if m != nil {
		out = *m
		out.LabelIds = slices.Clone(m.LabelIds)
		switch format {
		case "minimal":
			out.Payload = nil
		case "metadata":
			p := &gmail.MessagePart{MimeType: m.Payload.MimeType}
			want := qv["metadataHeaders"]
			for _, h := range m.Payload.Headers {
				if len(want) == 0 || slices.ContainsFunc(want, func(n string) bool { return strings.EqualFold(n, h.Name) }) {
					p.Headers = append(p.Headers, h)
				}
			}
			out.Payload = p
		case "full":
			p := *m.Payload
			p.Body = &gmail.MessagePartBody{Size: m.SizeEstimate, Data: base64.URLEncoding.EncodeToString([]byte(m.Snippet))}
			out.Payload = &p
		case "raw":
			out.Payload = nil
			out.Raw = base64.URLEncoding.EncodeToString([]byte("Subject: x\r\n\r\n" + m.Snippet))
		}
	}
	noDate, badDate := mb.faults.NoInternalDate[id], mb.faults.BadInternalDate[id]
	s.mu.Unlock()
	if m == nil {
		writeError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	if noDate {
		out.InternalDate = 0
	}
	b, _ := json.Marshal(out)
	if badDate {
		b = bytes.Replace(b, []byte(`"internalDate":"`+strconv.FormatInt(m.InternalDate, 10)+`"`), []byte(`"internalDate":"soon"`), 1)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

func (s *Server) gmailBatchDelete(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, true)
	if !ok || !s.gmailCharge(w, user, 50, func(st *GmailStats) *int { return &st.BatchDelete }) {
		return
	}
	var req gmail.BatchDeleteMessagesRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "badRequest", "Invalid JSON payload received.")
		return
	}
	if len(req.Ids) == 0 {
		writeError(w, http.StatusBadRequest, "invalidArgument", "ids must be specified")
		return
	}
	if len(req.Ids) > gmailMaxBatchDelete {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Too many ids: at most 1000")
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	for _, id := range req.Ids {
		// Ids that do not exist are ignored, as Gmail does.
		if mb.messages[id] != nil && !mb.faults.KeepOnDelete[id] {
			mb.remove(id)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) gmailLabels(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 1, func(st *GmailStats) *int { return &st.Labels }) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	resp := &gmail.ListLabelsResponse{}
	for _, l := range mb.labels {
		c := *l
		resp.Labels = append(resp.Labels, &c)
	}
	s.mu.Unlock()
	writeJSON(w, resp)
}

func (s *Server) gmailProfile(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 1, func(st *GmailStats) *int { return &st.Profile }) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	resp := &gmail.Profile{EmailAddress: user, HistoryId: mb.historyID, MessagesTotal: int64(len(mb.messages))}
	threads := map[string]bool{}
	for _, m := range mb.messages {
		threads[m.ThreadId] = true
	}
	resp.ThreadsTotal = int64(len(threads))
	s.mu.Unlock()
	writeJSON(w, resp)
}

var historyTypes = map[string]bool{"messageAdded": true, "messageDeleted": true, "labelAdded": true, "labelRemoved": true}

func (s *Server) gmailHistory(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 2, func(st *GmailStats) *int { return &st.History }) {
		return
	}
	qv := r.URL.Query()
	start, err := strconv.ParseUint(qv.Get("startHistoryId"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid startHistoryId")
		return
	}
	n, ok := pageSize(w, r, gmailDefaultPage)
	if !ok {
		return
	}
	types := qv["historyTypes"]
	for _, t := range types {
		if !historyTypes[t] {
			writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid value for historyTypes")
			return
		}
	}
	from := start
	if tok := qv.Get("pageToken"); tok != "" {
		if from, err = strconv.ParseUint(tok, 10, 64); err != nil || from < start {
			writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid pageToken")
			return
		}
	}
	labelID := qv.Get("labelId")
	s.mu.Lock()
	mb := s.mailboxes[user]
	if start < mb.oldest || mb.faults.HistoryNotFound {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	resp := &gmail.ListHistoryResponse{HistoryId: mb.historyID}
	for _, h := range mb.history {
		if h.Id <= from {
			continue
		}
		if h2 := filterHistory(h, types, labelID); h2 != nil {
			if len(resp.History) == n {
				resp.NextPageToken = strconv.FormatUint(resp.History[n-1].Id, 10)
				break
			}
			resp.History = append(resp.History, h2)
		}
	}
	s.mu.Unlock()
	writeJSON(w, resp)
}

// filterHistory returns the part of h of the given types touching the
// label, or nil.
func filterHistory(h *gmail.History, types []string, labelID string) *gmail.History {
	want := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	hasLabel := func(m *gmail.Message) bool { return labelID == "" || slices.Contains(m.LabelIds, labelID) }
	out := &gmail.History{Id: h.Id}
	if want("messageAdded") {
		for _, x := range h.MessagesAdded {
			if hasLabel(x.Message) {
				out.MessagesAdded = append(out.MessagesAdded, x)
			}
		}
	}
	if want("messageDeleted") {
		for _, x := range h.MessagesDeleted {
			if hasLabel(x.Message) {
				out.MessagesDeleted = append(out.MessagesDeleted, x)
			}
		}
	}
	if want("labelAdded") {
		for _, x := range h.LabelsAdded {
			if hasLabel(x.Message) {
				out.LabelsAdded = append(out.LabelsAdded, x)
			}
		}
	}
	if want("labelRemoved") {
		for _, x := range h.LabelsRemoved {
			if hasLabel(x.Message) || slices.Contains(x.LabelIds, labelID) {
				out.LabelsRemoved = append(out.LabelsRemoved, x)
			}
		}
	}
	if len(out.MessagesAdded)+len(out.MessagesDeleted)+len(out.LabelsAdded)+len(out.LabelsRemoved) == 0 {
		return nil
	}
	out.Messages = h.Messages
	return out
}

// gmailBatch serves Google's HTTP batch endpoint: a multipart/mixed body
// of up to 100 parts, each an application/http request to a Gmail path,
// answered by a multipart/mixed body of application/http responses with
// Content-ID "response-" + the part's Content-ID. The calls run on the
// Gmail routes with the batch's Authorization, each authorized and
// charged on its own.
func (s *Server) gmailBatch(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.authorize(w, r, scopeMailFull, scopeMailModify, scopeMailReadonly, scopeMailMetadata)
	if !ok {
		return
	}
	subject = strings.ToLower(subject)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		writeError(w, http.StatusBadRequest, "badRequest", "Batch requests must be multipart/mixed")
		return
	}
	type call struct {
		contentID string
		req       *http.Request
	}
	var calls []call
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "badRequest", "Malformed multipart body")
			return
		}
		if len(calls) == gmailMaxBatchCalls {
			writeError(w, http.StatusBadRequest, "badRequest", "A batch request may hold at most 100 calls")
			return
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "application/http" {
			writeError(w, http.StatusBadRequest, "badRequest", "Each part must be application/http")
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(p))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/gmail/v1/") {
			writeError(w, http.StatusBadRequest, "badRequest", "Malformed request in a batch part")
			return
		}
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		req = req.WithContext(context.WithValue(r.Context(), inBatch{}, true))
		calls = append(calls, call{p.Header.Get("Content-ID"), req})
	}
	if len(calls) == 0 {
		writeError(w, http.StatusBadRequest, "badRequest", "Empty batch")
		return
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		if strings.Contains(rt.pattern, " /gmail/v1/") {
			h := rt.h
			mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		}
	}
	s.mu.Lock()
	mb := s.mailboxes[subject]
	s.mu.Unlock()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, c := range calls {
		_, id, _ := strings.Cut(strings.TrimPrefix(c.req.URL.Path, "/gmail/v1/users/"), "/messages/")
		status, drop := 0, false
		s.mu.Lock()
		if mb != nil && id != "" {
			f := &mb.faults
			if st := f.PartStatus[id]; st != 0 && f.partRefused[id] < f.PartTimes {
				status = st
				if f.partRefused == nil {
					f.partRefused = map[string]int{}
				}
				f.partRefused[id]++
			}
			if f.DropPart[id] {
				drop = true
				delete(f.DropPart, id)
			}
		}
		s.mu.Unlock()
		if drop {
			continue
		}
		rec := httptest.NewRecorder()
		switch status {
		case 0:
			mux.ServeHTTP(rec, c.req)
		case http.StatusTooManyRequests:
			writeError(rec, status, "rateLimitExceeded", "Too many concurrent requests for user.")
		case http.StatusForbidden:
			writeError(rec, status, "userRateLimitExceeded", "User Rate Limit Exceeded")
		default:
			writeError(rec, status, "backendError", "Backend Error")
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/http")
		if c.contentID != "" {
			h.Set("Content-ID", "<response-"+strings.Trim(c.contentID, "<>")+">")
		}
		pw, _ := mw.CreatePart(h)
		res := rec.Result()
		fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", res.StatusCode, http.StatusText(res.StatusCode))
		res.Header.Write(pw)
		io.WriteString(pw, "\r\n")
		io.Copy(pw, res.Body)
	}
	mw.Close()
	s.mu.Lock()
	if mb != nil {
		mb.stats.Requests++
		mb.stats.Batches++
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.Write(body.Bytes())
}

// gmailInsert is users.messages.insert with the message in the JSON
// body's raw field (base64url RFC 822): Subject and Date from its
// headers, the snippet from its body; internalDate from the Date header
// with internalDateSource=dateHeader, else the server's clock.
func (s *Server) gmailInsert(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 25, func(st *GmailStats) *int { return &st.Insert }) {
		return
	}
	var req gmail.Message
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Raw == "" {
		writeError(w, http.StatusBadRequest, "invalidArgument", "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return
	}
	raw, err := base64.URLEncoding.DecodeString(req.Raw)
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(req.Raw, "="))
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid value for ByteString")
		return
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid RFC822 message")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(msg.Body, 1<<20))
	snippet := strings.Join(strings.Fields(string(body)), " ")
	if len(snippet) > 200 {
		snippet = snippet[:200]
	}
	internal := s.now()
	src := r.URL.Query().Get("internalDateSource")
	if src != "" && src != "receivedTime" && src != "dateHeader" {
		writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid value for internalDateSource")
		return
	}
	if src == "dateHeader" {
		if d, err := msg.Header.Date(); err == nil {
			internal = d
		}
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	for _, l := range req.LabelIds {
		if !slices.ContainsFunc(mb.labels, func(x *gmail.Label) bool { return x.Id == l }) {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid label: "+l)
			return
		}
	}
	s.mu.Unlock()
	labels := req.LabelIds
	if labels == nil {
		labels = []string{}
	}
	id := s.PutMessage(user, Message{ThreadID: req.ThreadId, Labels: labels, Internal: internal,
		Subject: msg.Header.Get("Subject"), Date: msg.Header.Get("Date"), Snippet: snippet, Size: int64(len(raw))})
	s.mu.Lock()
	m := brief(s.mailboxes[user].messages[id])
	s.mu.Unlock()
	writeJSON(w, m)
}

// gmailModify is users.messages.modify: labels added and removed, each
// change a history record and a new historyId.
func (s *Server) gmailModify(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, false)
	if !ok || !s.gmailCharge(w, user, 5, func(st *GmailStats) *int { return &st.Modify }) {
		return
	}
	var req gmail.ModifyMessageRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "badRequest", "Invalid JSON payload received.")
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	m := mb.messages[r.PathValue("id")]
	if m == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	for _, l := range slices.Concat(req.AddLabelIds, req.RemoveLabelIds) {
		if !slices.ContainsFunc(mb.labels, func(x *gmail.Label) bool { return x.Id == l }) {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "invalidArgument", "Invalid label: "+l)
			return
		}
	}
	var added, removed []string
	for _, l := range req.AddLabelIds {
		if !slices.Contains(m.LabelIds, l) {
			m.LabelIds = append(m.LabelIds, l)
			added = append(added, l)
		}
	}
	for _, l := range req.RemoveLabelIds {
		if i := slices.Index(m.LabelIds, l); i >= 0 {
			m.LabelIds = slices.Delete(m.LabelIds, i, i+1)
			removed = append(removed, l)
		}
	}
	if len(added) > 0 {
		mb.record(&gmail.History{LabelsAdded: []*gmail.HistoryLabelAdded{{LabelIds: added, Message: brief(m)}}}, m)
	}
	if len(removed) > 0 {
		mb.record(&gmail.History{LabelsRemoved: []*gmail.HistoryLabelRemoved{{LabelIds: removed, Message: brief(m)}}}, m)
	}
	out := brief(m)
	out.HistoryId = m.HistoryId
	s.mu.Unlock()
	writeJSON(w, out)
}

// gmailDelete is users.messages.delete: permanent, the full scope only.
func (s *Server) gmailDelete(w http.ResponseWriter, r *http.Request) {
	user, ok := s.gmailUser(w, r, true)
	if !ok || !s.gmailCharge(w, user, 10, func(st *GmailStats) *int { return &st.Delete }) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxes[user]
	id := r.PathValue("id")
	found := mb.messages[id] != nil
	if found {
		mb.remove(id)
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
