package google

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/retentiond/retentiond/connectors"
)

// Google's HTTP batch endpoint (POST /batch/gmail/v1, multipart/mixed,
// up to 100 calls) is not supported by the Go clients: google.golang.org/api
// dropped batch support, and gmail/v1 has no batch call. Without it,
// reading the metadata the rules need (receipt, labels, subject, snippet)
// costs one HTTP request per message, since messages.list returns only
// ids: about 1 request per listed message against the target of
// 0.01 per deleted message. With it, up to 100 gets go in one request.
// So the batch is built here, on the core's authenticated and
// paced *http.Client (httpFor), and every answer is decoded into the
// gmail/v1 types; parseBatchResponse is fuzzed (FuzzParseBatchResponse).
// Quota is unchanged by batching: each call inside is charged as if sent
// alone (5 units a get), so the request's units are given to the
// transport with withUnits. A batch of 50 gets is one request for 50
// messages: 0.02 requests a message, and listing costs that plus a page
// of ids per 500 messages (see defaultBatchCalls for why not 100).

// maxBatchCalls is Gmail's limit of calls in one batch request.
const maxBatchCalls = 100

// defaultBatchCalls is the number of gets sent in one batch: 50, 250
// quota units, one second of a user's quota (250 units a second). Gmail
// charges every call of a batch as if sent alone, and a batch of 100
// (500 units) arrives as a burst of two seconds' quota, of which Gmail
// refuses what exceeds the user's rate with 429 per call: those calls
// must be sent again, so a batch of 100 costs as many requests as two of
// 50 and more waiting. Google's documentation advises at most 50 too.
// Measured against the fake (TestGmailRequestsPerMessage at 20 users of
// 500 messages, parallel_users 20, quota 250 units a user a second):
// 50 a batch, 206 batches, 10 calls refused, 11.6 s; 100 a batch, 200
// batches, 8,001 calls refused, 19.9 s.
const defaultBatchCalls = 50

// batchPart is one answer of a batch response.
type batchPart struct {
	ContentID  string // the request's Content-ID without "response-"
	StatusCode int
	Header     http.Header
	Body       []byte
}

// maxBatchResponse bounds the body read from one batch response: 100
// messages' metadata are a few hundred kB.
const maxBatchResponse = 64 << 20

// parseBatchResponse decodes a multipart/mixed batch response: each part
// an application/http response, named by Content-ID. It fails on anything
// it cannot read in full rather than returning a partial answer as
// complete; parts it cannot read are an error, not skipped.
func parseBatchResponse(contentType string, body io.Reader) ([]batchPart, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("batch response content type: %w", err)
	}
	if mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, fmt.Errorf("batch response is %q, not multipart/mixed with a boundary", mt)
	}
	// mime/multipart takes a body that ends after a boundary line for a
	// complete one: the closing boundary is looked for first, so that a
	// cut answer is an error.
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("reading the batch response: %w", err)
	}
	closing := "--" + params["boundary"] + "--"
	if !bytes.HasPrefix(b, []byte(closing)) && !bytes.Contains(b, []byte("\n"+closing)) {
		return nil, errors.New("batch response truncated: no closing boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(b), params["boundary"])
	var parts []batchPart
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("batch response part %d: %w", len(parts)+1, err)
		}
		if ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type")); err != nil || ct != "application/http" {
			return nil, fmt.Errorf("batch response part %d is not application/http", len(parts)+1)
		}
		id := strings.Trim(strings.TrimSpace(p.Header.Get("Content-ID")), "<>")
		if !strings.HasPrefix(id, "response-") {
			return nil, fmt.Errorf("batch response part %d has no Content-ID response-…", len(parts)+1)
		}
		res, err := http.ReadResponse(bufio.NewReader(p), nil)
		if err != nil {
			return nil, fmt.Errorf("batch response part %d: %w", len(parts)+1, err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("batch response part %d body: %w", len(parts)+1, err)
		}
		parts = append(parts, batchPart{ContentID: strings.TrimPrefix(id, "response-"), StatusCode: res.StatusCode, Header: res.Header, Body: b})
	}
}

// batchOutcome is what a batched get found of one message.
type batchOutcome struct {
	msg      *gmail.Message // 200
	notFound bool           // 404: the message does not exist
	err      error          // 200 with a body that is not a message
}

// maxBatchRounds bounds how often calls a batch answered with 429 or 5xx
// (or left out) are sent again.
const maxBatchRounds = 6

// batchGet gets the messages with the given ids of user's mailbox
// through batch requests of up to batchCalls gets, with the query
// (format, metadataHeaders, fields). Every id has an outcome in the
// returned map (a message, 404, or a 200 whose body is not a message),
// or the error says why not: an answer that is neither of those nor a
// retryable failure; or retryable failures that outlasted
// maxBatchRounds.
func (g *gmailService) batchGet(ctx context.Context, op, user string, ids []string, query url.Values) (map[string]batchOutcome, error) {
	svc, err := g.c.gmailFor(ctx, user)
	if err != nil {
		return nil, err
	}
	hc, err := g.c.httpFor(ctx, user)
	if err != nil {
		return nil, err
	}
	batchURL := googleapi.ResolveRelative(svc.BasePath, "batch/gmail/v1")
	out := make(map[string]batchOutcome, len(ids))
	pending := ids
	wait := g.backoff
	for round := 0; len(pending) > 0; round++ {
		if round == maxBatchRounds {
			return out, connectors.Errorf(connectors.CodeUnavailable, op, prefixGmail+"/"+user,
				fmt.Errorf("%d gets still refused after %d batch rounds", len(pending), round))
		}
		var again []string
		var retryAfter time.Duration
		for len(pending) > 0 {
			n := min(len(pending), g.batchCalls, maxBatchCalls)
			chunk := pending[:n]
			pending = pending[n:]
			parts, err := g.postBatch(ctx, hc, svc.BasePath, batchURL, op, user, chunk, query)
			if err != nil {
				return out, classifyError(op, prefixGmail+"/"+user, err)
			}
			seen := make([]bool, len(chunk))
			for _, p := range parts {
				i, err := strconv.Atoi(strings.TrimPrefix(p.ContentID, "item-"))
				if err != nil || i < 0 || i >= len(chunk) || seen[i] {
					return out, connectors.Errorf(connectors.CodeIO, op, prefixGmail+"/"+user,
						fmt.Errorf("batch response names a call it was not sent (%q)", p.ContentID))
				}
				seen[i] = true
				id := chunk[i]
				switch {
				case p.StatusCode == http.StatusOK:
					var m gmail.Message
					if err := json.Unmarshal(p.Body, &m); err != nil {
						out[id] = batchOutcome{err: fmt.Errorf("decoding a batched message: %w", err)}
						continue
					}
					if m.Id != id {
						return out, connectors.Errorf(connectors.CodeIO, op, prefixGmail+"/"+user,
							errors.New("batch answered a get with another message"))
					}
					out[id] = batchOutcome{msg: &m}
				case p.StatusCode == http.StatusNotFound:
					out[id] = batchOutcome{notFound: true}
				default:
					perr := googleapi.CheckResponse(&http.Response{StatusCode: p.StatusCode, Header: p.Header, Body: io.NopCloser(bytes.NewReader(p.Body))})
					if !retryablePart(perr) {
						return out, classifyError(op, prefixGmail+"/"+user, perr)
					}
					again = append(again, id)
					if s, err := strconv.Atoi(p.Header.Get("Retry-After")); err == nil && s > 0 {
						retryAfter = max(retryAfter, time.Duration(s)*time.Second)
					}
				}
			}
			for i, ok := range seen {
				if !ok {
					again = append(again, chunk[i]) // left out of the answer: ask again
				}
			}
		}
		if len(again) == 0 {
			break
		}
		d := max(wait, retryAfter)
		wait *= 2
		g.c.log.Debug("gmail batch calls retried", zap.Int("calls", len(again)), zap.Duration("after", d))
		select {
		case <-ctx.Done():
			return out, connectors.Errorf(connectors.CodeCancelled, op, prefixGmail+"/"+user, ctx.Err())
		case <-time.After(d):
		}
		pending = again
	}
	return out, nil
}

// retryablePart reports whether a call's failure inside a batch may
// succeed when sent again: 429, 403 rateLimitExceeded or
// userRateLimitExceeded, 5xx.
func retryablePart(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	if ge.Code == http.StatusTooManyRequests || ge.Code >= 500 {
		return true
	}
	if ge.Code == http.StatusForbidden {
		for _, e := range ge.Errors {
			if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
				return true
			}
		}
	}
	return false
}

// postBatch sends one batch of gets and parses its answer.
func (g *gmailService) postBatch(ctx context.Context, hc *http.Client, basePath, batchURL, op, user string, ids []string, query url.Values) ([]batchPart, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, id := range ids {
		u, err := url.Parse(googleapi.ResolveRelative(basePath, "gmail/v1/users/me/messages/"+url.PathEscape(id)))
		if err != nil {
			return nil, err
		}
		u.RawQuery = query.Encode()
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/http")
		h.Set("Content-ID", "<item-"+strconv.Itoa(i)+">")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(pw, "GET %s HTTP/1.1\r\n\r\n", u.RequestURI())
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(withUnits(ctx, 5*len(ids)), http.MethodPost, batchURL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if err := googleapi.CheckResponse(res); err != nil {
		return nil, err
	}
	parts, err := parseBatchResponse(res.Header.Get("Content-Type"), io.LimitReader(res.Body, maxBatchResponse))
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeIO, op, prefixGmail+"/"+user, err)
	}
	return parts, nil
}
