package m365

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
)

// The hot paths (message pages, JSON batches) go through the SDK's request
// adapter, so that authentication, the middleware (our retry handler and
// request budget, redirects, telemetry headers) and the mapping of Graph
// error responses to typed errors are the SDK's, but their bodies are
// decoded here into the few fields the connector reads. The SDK's
// generic decoding builds a tree of every JSON value and then a map of
// some sixty field deserializers per message, and its batch code
// round-trips every step through map[string]any: that was most of the
// client's CPU time and memory in bench/graph.sh.

// wireMessage is a message as listed with $select=listFields (or fewer).
type wireMessage struct {
	ID           string   `json:"id"`
	ChangeKey    string   `json:"changeKey"`
	Received     string   `json:"receivedDateTime"`
	LastModified string   `json:"lastModifiedDateTime"`
	Created      string   `json:"createdDateTime"`
	Subject      string   `json:"subject"`
	BodyPreview  string   `json:"bodyPreview"`
	Categories   []string `json:"categories"`
}

// wirePage is one page of a message collection.
type wirePage struct {
	Value    []wireMessage `json:"value"`
	NextLink string        `json:"@odata.nextLink"`
}

// parseTime reads a Graph DateTimeOffset; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

// sendRaw sends a request through the adapter and returns the body of a
// successful response (nil when it has none). An error response is the
// SDK's typed error (errorMapping).
func (c *Connector) sendRaw(ctx context.Context, ri *abstractions.RequestInformation) ([]byte, error) {
	res, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return nil, err
	}
	b, _ := res.([]byte)
	return b, nil
}

// getPage fetches one page of messages at u into a page, whose slice of
// messages it reuses.
func (c *Connector) getPage(ctx context.Context, u *url.URL, into *wirePage) error {
	// encoding/json decodes into the elements already there without
	// zeroing them first: clear them, or a field missing from a message
	// would keep an earlier message's value.
	v := into.Value[:cap(into.Value)]
	clear(v)
	into.Value, into.NextLink = v[:0], ""
	return c.getJSON(ctx, u, into)
}

// getJSON GETs u (with immutable ids) and decodes the response into into.
func (c *Connector) getJSON(ctx context.Context, u *url.URL, into any) error {
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.GET
	ri.SetUri(*u)
	ri.Headers.Add("Accept", "application/json")
	ri.Headers.Add("Prefer", immutableIDs)
	body, err := c.sendRaw(ctx, ri)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return errors.New("empty response from Graph")
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decode Graph response: %w", err)
	}
	return nil
}

const immutableIDs = `IdType="ImmutableId"`

// batchStepReq is one step of a JSON batch request.
type batchStepReq struct {
	id     int
	method string
	url    string // relative to the Graph base URL, starting with /
}

// batchReply is one step's answer.
type batchReply struct {
	ID      string            `json:"id"`
	Status  *int              `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// retryAfter returns a step's Retry-After header, however it is spelt.
func (r *batchReply) retryAfter() string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Retry-After") {
			return v
		}
	}
	return ""
}

// sendBatch sends steps as one JSON batch (POST /$batch, at most 20 steps,
// each with the Prefer header for immutable ids) and returns the answers
// as Graph sent them: in any order, possibly incomplete.
func (c *Connector) sendBatch(ctx context.Context, steps []batchStepReq) ([]batchReply, error) {
	buf := bytes.NewBuffer(make([]byte, 0, 64+len(steps)*(160+len(steps[0].url))))
	buf.WriteString(`{"requests":[`)
	for i, s := range steps {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":"`)
		buf.WriteString(strconv.Itoa(s.id))
		buf.WriteString(`","method":"`)
		buf.WriteString(s.method)
		buf.WriteString(`","url":`)
		u, _ := json.Marshal(s.url)
		buf.Write(u)
		buf.WriteString(`,"headers":{"Accept":"application/json","Prefer":"IdType=\"ImmutableId\""}}`)
	}
	buf.WriteString(`]}`)
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.POST
	ri.SetUri(*c.batchURL)
	ri.Headers.Add("Accept", "application/json")
	ri.SetStreamContentAndContentType(buf.Bytes(), "application/json")
	body, err := c.sendRaw(ctx, ri)
	if err != nil {
		return nil, err
	}
	var env struct {
		Responses []batchReply `json:"responses"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode batch response: %w", err)
	}
	return env.Responses, nil
}

// messagePath is the path, under the Graph base URL, of a message of a
// mailbox, each segment escaped as the SDK's URL templates escape it.
func messagePath(mailbox, id string) string {
	return "/users/" + escapeSegment(mailbox) + "/messages/" + escapeSegment(id)
}

// escapeSegment percent-encodes everything but RFC 3986's unreserved
// characters, as an RFC 6570 simple expansion does.
func escapeSegment(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if unreserved(ch) {
			b = append(b, ch)
			continue
		}
		b = append(b, '%', hex[ch>>4], hex[ch&15])
	}
	return string(b)
}

func unreserved(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~'
}

// stepError reads the Graph error of a batch step's body.
func stepError(status int, body json.RawMessage) *GraphError {
	ge := &GraphError{Status: status}
	if len(body) == 0 {
		return ge
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		ge.Code, ge.Message = e.Error.Code, e.Error.Message
	}
	return ge
}
