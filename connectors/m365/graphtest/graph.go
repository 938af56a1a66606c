package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const immutablePrefer = `IdType="ImmutableId"`

// handle answers one Graph request or batch step. path is escaped and
// without the /v1.0 prefix.
func (s *Server) handle(method, path, rawQuery string, header http.Header, body []byte, step bool) response {
	plain, err := url.PathUnescape(path)
	if err != nil {
		return graphError(http.StatusBadRequest, "BadRequest", "Invalid path.")
	}
	if f := s.fault(method, plain, step, func(f *Fault) bool { return f.Status != 0 || f.Malformed }); f != nil {
		if f.Malformed {
			return response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}},
				raw: []byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users('x')/messages","value":[{"id":"AAMk`)}
		}
		resp := graphError(f.Status, f.Code, "Injected fault.")
		if f.Body != "" {
			resp.body, resp.raw = nil, []byte(f.Body)
		}
		for k, vs := range f.Header {
			resp.header[k] = vs
		}
		if f.Status == http.StatusTooManyRequests {
			s.throttled.Add(1)
		}
		return resp
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return graphError(http.StatusBadRequest, "BadRequest", "Invalid query: "+err.Error())
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, sg := range segs {
		if segs[i], err = url.PathUnescape(sg); err != nil {
			return graphError(http.StatusBadRequest, "BadRequest", "Invalid path.")
		}
	}
	immutable := strings.Contains(header.Get("Prefer"), immutablePrefer)
	switch {
	case method == http.MethodGet && len(segs) == 1 && segs[0] == "users":
		return s.listUsers(path, q, nil)
	case method == http.MethodGet && len(segs) == 2 && segs[0] == "users":
		s.mu.Lock()
		u := s.byKey[strings.ToLower(segs[1])]
		s.mu.Unlock()
		if u == nil {
			return graphError(http.StatusNotFound, "Request_ResourceNotFound",
				fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]))
		}
		return jsonResponse(http.StatusOK, userJSON(u))
	case method == http.MethodGet && len(segs) == 4 && segs[0] == "groups" && segs[2] == "transitiveMembers" && segs[3] == "microsoft.graph.user":
		s.mu.Lock()
		ids, ok := s.groups[segs[1]]
		s.mu.Unlock()
		if !ok {
			return graphError(http.StatusNotFound, "Request_ResourceNotFound",
				fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]))
		}
		return s.listUsers(path, q, ids)
	case method == http.MethodPost && len(segs) == 3 && segs[0] == "users" && segs[2] == "sendMail":
		u, resp, ok := s.mailbox(segs[1])
		if !ok {
			return resp
		}
		return s.sendMail(u, body)
	case len(segs) >= 3 && segs[0] == "users" && segs[2] == "messages":
		u, resp, ok := s.mailbox(segs[1])
		if !ok {
			return resp
		}
		switch {
		case len(segs) == 3 && method == http.MethodGet:
			return s.listMessages(u, path, q, immutable)
		case len(segs) == 4 && method == http.MethodGet:
			return s.getMessage(u, segs[3], q, immutable)
		case len(segs) == 4 && method == http.MethodDelete:
			return s.softDelete(u, segs[3])
		case len(segs) == 5 && method == http.MethodPost && segs[4] == "permanentDelete":
			return s.permanentDelete(u, segs[3])
		}
	}
	return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
}

// sendMail answers POST /users/{id}/sendMail as Graph does: 202 with no
// body once the message is accepted, 400 ErrorInvalidRecipients without a
// valid recipient.
func (s *Server) sendMail(u *user, body []byte) response {
	var req struct {
		Message *struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []struct {
				EmailAddress struct {
					Address string `json:"address"`
				} `json:"emailAddress"`
			} `json:"toRecipients"`
		} `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Message == nil {
		return graphError(http.StatusBadRequest, "ErrorInvalidRequest", "Cannot read the request body.")
	}
	m := SentMail{From: u.upn, Subject: req.Message.Subject, ContentType: strings.ToLower(req.Message.Body.ContentType),
		Content: req.Message.Body.Content, SaveToSentItems: req.SaveToSentItems == nil || *req.SaveToSentItems}
	for _, r := range req.Message.ToRecipients {
		a := r.EmailAddress.Address
		if !strings.Contains(a, "@") {
			return graphError(http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient is not valid., Recipient '"+a+"' is not resolved. All recipients must be resolved before a message can be submitted.")
		}
		m.To = append(m.To, a)
	}
	if len(m.To) == 0 {
		return graphError(http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient is not valid., A message can't be sent because it contains no recipients.")
	}
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	return response{status: http.StatusAccepted, header: http.Header{}}
}

func userJSON(u *user) map[string]any {
	return map[string]any{"id": u.id, "userPrincipalName": u.upn, "mail": u.upn, "displayName": u.upn}
}

// mailbox resolves the mailbox a message path names.
func (s *Server) mailbox(key string) (*user, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byKey[strings.ToLower(key)]
	switch {
	case u == nil:
		return nil, graphError(http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", key)), false
	case u.noMailbox:
		return nil, graphError(http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."), false
	}
	if u.revokeAfter > 0 {
		u.revokeAfter--
		if u.revokeAfter == 0 {
			u.denied = true
		}
	}
	if u.denied {
		return nil, graphError(http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again."), false
	}
	return u, response{}, true
}

// page cuts one page out of n items: $top (default 10, at most 1000) from
// $skip, and the absolute nextLink Graph sends when more follow.
func (s *Server) page(path string, q url.Values, n int) (from, to int, next string, resp response, ok bool) {
	top := 10
	if v := q.Get("$top"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || t < 1 {
			return 0, 0, "", graphError(http.StatusBadRequest, "BadRequest", "Invalid value for $top."), false
		}
		top = min(t, 1000)
	}
	if v := q.Get("$skip"); v != "" {
		sk, err := strconv.Atoi(v)
		if err != nil || sk < 0 {
			return 0, 0, "", graphError(http.StatusBadRequest, "BadRequest", "Invalid value for $skip."), false
		}
		from = sk
	}
	from = min(from, n)
	to = min(from+top, n)
	if to < n {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("$skip", strconv.Itoa(to))
		next = s.URL + "/v1.0" + path + "?" + strings.ReplaceAll(nq.Encode(), "%24", "$")
	}
	return from, to, next, response{}, true
}

func (s *Server) listUsers(path string, q url.Values, ids []string) response {
	s.mu.Lock()
	var us []*user
	for _, u := range s.users {
		if ids == nil || slices.Contains(ids, u.id) {
			us = append(us, u)
		}
	}
	s.mu.Unlock()
	from, to, next, resp, ok := s.page(path, q, len(us))
	if !ok {
		return resp
	}
	value := []map[string]any{}
	for _, u := range us[from:to] {
		j := userJSON(u)
		j["@odata.type"] = "#microsoft.graph.user"
		value = append(value, j)
	}
	out := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": value}
	if next != "" {
		out["@odata.nextLink"] = next
	}
	return jsonResponse(http.StatusOK, out)
}

// filter is a parsed $filter on receivedDateTime.
type filter []struct {
	op string
	t  time.Time
}

func (f filter) match(m *Message) bool {
	for _, c := range f {
		r := m.Received
		var ok bool
		switch c.op {
		case "lt":
			ok = r.Before(c.t)
		case "le":
			ok = !r.After(c.t)
		case "gt":
			ok = r.After(c.t)
		case "ge":
			ok = !r.Before(c.t)
		case "eq":
			ok = r.Equal(c.t)
		}
		if !ok {
			return false
		}
	}
	return true
}

// span returns the messages of ms (sorted by receipt, see byReceipt) that
// match f: ms[lo:hi].
func (f filter) span(ms []*Message) (lo, hi int) {
	hi = len(ms)
	first := func(p func(time.Time) bool) int {
		return sort.Search(len(ms), func(i int) bool { return p(ms[i].Received) })
	}
	for _, c := range f {
		notBefore := func(r time.Time) bool { return !r.Before(c.t) }
		after := func(r time.Time) bool { return r.After(c.t) }
		switch c.op {
		case "ge":
			lo = max(lo, first(notBefore))
		case "gt":
			lo = max(lo, first(after))
		case "lt":
			hi = min(hi, first(notBefore))
		case "le":
			hi = min(hi, first(after))
		case "eq":
			lo, hi = max(lo, first(notBefore)), min(hi, first(after))
		}
	}
	return lo, max(lo, hi)
}

func parseFilter(s string) (filter, error) {
	var f filter
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, clause := range strings.Split(s, " and ") {
		fields := strings.Fields(clause)
		if len(fields) != 3 || fields[0] != "receivedDateTime" {
			return nil, fmt.Errorf("invalid filter clause %q", clause)
		}
		switch fields[1] {
		case "lt", "le", "gt", "ge", "eq":
		default:
			return nil, fmt.Errorf("invalid operator %q", fields[1])
		}
		t, err := time.Parse(time.RFC3339Nano, fields[2])
		if err != nil {
			return nil, fmt.Errorf("invalid DateTimeOffset %q", fields[2])
		}
		f = append(f, struct {
			op string
			t  time.Time
		}{fields[1], t})
	}
	return f, nil
}

var messageProps = []string{"id", "changeKey", "categories", "receivedDateTime", "lastModifiedDateTime",
	"createdDateTime", "subject", "bodyPreview", "parentFolderId", "body", "from", "isDraft"}

func selectOf(q url.Values) ([]string, *response) {
	v := q.Get("$select")
	if v == "" {
		return messageProps, nil
	}
	sel := strings.Split(v, ",")
	for _, p := range sel {
		if !slices.Contains(messageProps, p) {
			r := graphError(http.StatusBadRequest, "RequestBroker--ParseUri",
				fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.message'.", p))
			return nil, &r
		}
	}
	return sel, nil
}

// messageOut is a message as Graph sends it: @odata.etag and id always,
// the other properties when selected.
type messageOut struct {
	ETag                 string         `json:"@odata.etag"`
	ID                   string         `json:"id"`
	ChangeKey            *string        `json:"changeKey,omitempty"`
	Categories           *[]string      `json:"categories,omitempty"`
	ReceivedDateTime     *string        `json:"receivedDateTime,omitempty"`
	CreatedDateTime      *string        `json:"createdDateTime,omitempty"`
	LastModifiedDateTime *string        `json:"lastModifiedDateTime,omitempty"`
	Subject              *string        `json:"subject,omitempty"`
	BodyPreview          *string        `json:"bodyPreview,omitempty"`
	ParentFolderID       *string        `json:"parentFolderId,omitempty"`
	IsDraft              *bool          `json:"isDraft,omitempty"`
	Body                 map[string]any `json:"body,omitempty"`
	From                 map[string]any `json:"from,omitempty"`
}

func (s *Server) messageJSON(m *Message, sel []string, immutable bool) *messageOut {
	j := &messageOut{ETag: `W/"` + m.ChangeKey + `"`, ID: m.ImmutableID}
	if !immutable {
		j.ID = m.restID()
	}
	str := func(v string) *string { return &v }
	for _, p := range sel {
		switch p {
		case "changeKey":
			j.ChangeKey = str(m.ChangeKey)
		case "categories":
			c := append([]string{}, m.Categories...)
			j.Categories = &c
		case "receivedDateTime":
			j.ReceivedDateTime = str(m.Received.UTC().Format(time.RFC3339))
		case "createdDateTime":
			j.CreatedDateTime = str(m.Received.UTC().Format(time.RFC3339))
		case "lastModifiedDateTime":
			j.LastModifiedDateTime = str(m.LastModified.UTC().Format(time.RFC3339))
		case "subject":
			j.Subject = str(m.Subject)
		case "bodyPreview":
			j.BodyPreview = str(m.BodyPreview)
		case "parentFolderId":
			j.ParentFolderID = str("AQMkAD" + m.Folder)
		case "isDraft":
			d := m.Folder == "drafts"
			j.IsDraft = &d
		case "body":
			j.Body = map[string]any{"contentType": "text", "content": m.BodyPreview}
		case "from":
			j.From = map[string]any{"emailAddress": map[string]any{"name": "Sender", "address": "sender@example.org"}}
		}
	}
	return j
}

func (s *Server) listMessages(u *user, path string, q url.Values, immutable bool) response {
	f, err := parseFilter(q.Get("$filter"))
	if err != nil {
		return graphError(http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
	}
	desc := true
	if ob := q.Get("$orderby"); ob != "" {
		prop, dir, _ := strings.Cut(ob, " ")
		if prop != "receivedDateTime" {
			return graphError(http.StatusBadRequest, "BadRequest", "Invalid $orderby.")
		}
		if q.Get("$filter") != "" && !strings.HasPrefix(q.Get("$filter"), prop) {
			return graphError(http.StatusBadRequest, "InefficientFilter", "The restriction or sort order is too complex for this operation.")
		}
		desc = dir != "asc"
	}
	sel, bad := selectOf(q)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	all := u.byReceipt()
	lo, hi := f.span(all)
	from, to, next, resp, ok := s.page(path, q, hi-lo)
	if !ok {
		s.mu.Unlock()
		return resp
	}
	value := make([]*messageOut, 0, to-from)
	for k := from; k < to; k++ {
		m := all[lo+k]
		if desc {
			m = all[hi-1-k]
		}
		value = append(value, s.messageJSON(m, sel, immutable))
	}
	s.mu.Unlock()
	out := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('" + u.id + "')/messages", "value": value}
	plain, _ := url.PathUnescape(path)
	if s.fault(http.MethodGet, plain, false, func(f *Fault) bool { return f.LoopNextLink }) != nil {
		out["@odata.nextLink"] = s.URL + "/v1.0" + path + "?" + strings.ReplaceAll(q.Encode(), "%24", "$")
	} else if next != "" {
		out["@odata.nextLink"] = next
	}
	resp = jsonResponse(http.StatusOK, out)
	if immutable {
		resp.header.Set("Preference-Applied", immutablePrefer)
	}
	return resp
}

// find looks a message up by its immutable or current REST id.
func (u *user) find(id string) *Message {
	if m := u.messages[id]; m != nil {
		return m
	}
	for _, m := range u.messages {
		if m.restID() == id {
			return m
		}
	}
	return nil
}

func notFound() response {
	return graphError(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
}

func (s *Server) getMessage(u *user, id string, q url.Values, immutable bool) response {
	sel, bad := selectOf(q)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := u.find(id)
	if m == nil {
		return notFound()
	}
	return jsonResponse(http.StatusOK, s.messageJSON(m, sel, immutable))
}

func (s *Server) softDelete(u *user, id string) response {
	s.softDeletes.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := u.find(id)
	if m == nil {
		return notFound()
	}
	m.Folder = "deleteditems"
	m.moves++
	m.versions++
	m.ChangeKey = changeKey(m.ImmutableID, m.versions)
	return response{status: http.StatusNoContent}
}

func (s *Server) permanentDelete(u *user, id string) response {
	s.permanentDeletes.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := u.find(id)
	if m == nil {
		if _, purged := u.purges[id]; purged {
			return graphError(http.StatusForbidden, "ErrorCannotDeleteObject", "The specified object cannot be deleted.")
		}
		return notFound()
	}
	delete(u.messages, m.ImmutableID)
	u.sorted = nil
	if u.hold {
		u.purges[m.ImmutableID] = m
	}
	return response{status: http.StatusNoContent}
}

// batch request and response envelopes, as documented for JSON batching.
type batchRequest struct {
	Requests []struct {
		ID        string            `json:"id"`
		Method    string            `json:"method"`
		URL       string            `json:"url"`
		Headers   map[string]string `json:"headers"`
		Body      json.RawMessage   `json:"body"`
		DependsOn []string          `json:"dependsOn"`
	} `json:"requests"`
}

type batchStep struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, body []byte) {
	if f := s.fault(http.MethodPost, "/$batch", false, func(f *Fault) bool { return f.Status != 0 || f.Malformed }); f != nil {
		if f.Malformed {
			write(w, response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, raw: []byte(`{"responses":[{"id":"1","status":20`)})
			return
		}
		resp := graphError(f.Status, f.Code, "Injected fault.")
		for k, vs := range f.Header {
			resp.header[k] = vs
		}
		if f.Status == http.StatusTooManyRequests {
			s.throttled.Add(1)
		}
		write(w, resp)
		return
	}
	var br batchRequest
	if err := json.Unmarshal(body, &br); err != nil {
		write(w, graphError(http.StatusBadRequest, "BadRequest", "Invalid batch payload format."))
		return
	}
	if len(br.Requests) == 0 || len(br.Requests) > 20 {
		write(w, graphError(http.StatusBadRequest, "BadRequest", "Number of requests in a batch must be between 1 and 20."))
		return
	}
	ids := map[string]bool{}
	need := map[string]int{}
	for _, rq := range br.Requests {
		if rq.ID == "" || ids[rq.ID] {
			write(w, graphError(http.StatusBadRequest, "BadRequest", "Batch request ids must be unique and not empty."))
			return
		}
		ids[rq.ID] = true
		p, _, _ := strings.Cut(rq.URL, "?")
		if m := s.mailboxOf("/" + strings.TrimPrefix(p, "/")); m != "" {
			need[m] = min(need[m]+1, 4)
		}
	}
	s.steps.Add(int64(len(br.Requests)))
	// Outlook runs up to 4 steps of a batch in parallel; they count against
	// the mailbox's concurrency, as many as there is room for. Mailboxes
	// without any room get 429 steps.
	granted, refused := map[string]int{}, map[string]bool{}
	for m, n := range need {
		if g := s.grant(m, n); g > 0 {
			granted[m] = g
		} else {
			refused[m] = true
			s.throttled.Add(-1) // counted per step below
		}
	}
	defer s.release(granted)
	time.Sleep(s.Latency)

	status := map[string]int{}
	var out []batchStep
	for _, rq := range br.Requests {
		u, err := url.Parse("/" + strings.TrimPrefix(rq.URL, "/"))
		if err != nil {
			out = append(out, stepOf(rq.ID, graphError(http.StatusBadRequest, "BadRequest", "Invalid URL.")))
			status[rq.ID] = http.StatusBadRequest
			continue
		}
		h := http.Header{}
		for k, v := range rq.Headers {
			h.Set(k, v)
		}
		var resp response
		failedDep := slices.ContainsFunc(rq.DependsOn, func(d string) bool { return status[d] >= 400 || status[d] == 0 })
		switch {
		case failedDep:
			resp = graphError(http.StatusFailedDependency, "FailedDependency", "Dependency failed.")
		case refused[s.mailboxOf(u.EscapedPath())]:
			s.throttled.Add(1)
			resp = s.throttle()
		default:
			resp = s.handle(rq.Method, u.EscapedPath(), u.RawQuery, h, rq.Body, true)
		}
		status[rq.ID] = resp.status
		out = append(out, stepOf(rq.ID, resp))
	}
	// Responses come back in another order than the requests.
	slices.Reverse(out)
	if f := s.fault(http.MethodPost, "/$batch", false, func(f *Fault) bool { return f.DropSteps > 0 }); f != nil {
		out = out[:max(0, len(out)-f.DropSteps)]
	}
	write(w, jsonResponse(http.StatusOK, map[string]any{"responses": out}))
}

func stepOf(id string, resp response) batchStep {
	st := batchStep{ID: id, Status: resp.status, Headers: map[string]string{}}
	for k := range resp.header {
		st.Headers[k] = resp.header.Get(k)
	}
	switch {
	case resp.raw != nil:
		st.Body = resp.raw
	case resp.body != nil:
		b, _ := json.Marshal(resp.body)
		st.Body = b
	}
	return st
}
