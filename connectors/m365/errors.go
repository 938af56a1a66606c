package m365

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

func policyTokenOptions() policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{graphScope}}
}

// GraphError is a Graph error response: the HTTP status and the error
// code from the body ("ErrorItemNotFound", "ApplicationThrottled").
type GraphError struct {
	Status  int
	Code    string
	Message string
}

func (e *GraphError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("Graph answered %d", e.Status)
	}
	return fmt.Sprintf("Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// graphErrorOf extracts the status and code of an SDK error.
func graphErrorOf(err error) (*GraphError, bool) {
	var ge *GraphError
	if errors.As(err, &ge) {
		return ge, true
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		g := &GraphError{Status: oe.ResponseStatusCode}
		if me := oe.GetErrorEscaped(); me != nil {
			g.Code, g.Message = deref(me.GetCode()), deref(me.GetMessage())
		}
		return g, true
	}
	var ae *abstractions.ApiError
	if errors.As(err, &ae) {
		return &GraphError{Status: ae.ResponseStatusCode, Message: ae.Message}, true
	}
	return nil, false
}

// codeOf classifies a Graph status and error code.
func codeOf(status int, code string) connectors.Code {
	switch {
	case code == "ErrorItemNotFound":
		return connectors.CodeNotFound
	case code == "ErrorInvalidUser" || code == "Request_ResourceNotFound" || code == "ResourceNotFound":
		return connectors.CodeNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return connectors.CodePermission
	case status == http.StatusTooManyRequests || status >= 500:
		return connectors.CodeUnavailable
	case status == http.StatusNotFound:
		return connectors.CodeNotFound
	case status >= 400:
		return connectors.CodeInvalid
	}
	return connectors.CodeOther
}

// connectorError turns an error of a Graph call into a classified
// connectors.Error.
func connectorError(op, ref string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return connectors.Errorf(connectors.CodeCancelled, op, ref, err)
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		return classifyAuth(op, err)
	}
	if ge, ok := graphErrorOf(err); ok {
		if ge.Code == "MailboxNotEnabledForRESTAPI" {
			return connectors.Errorf(connectors.CodeNotFound, op, ref, fmt.Errorf("%w: %w", errNoMailbox, ge))
		}
		return connectors.Errorf(codeOf(ge.Status, ge.Code), op, ref, ge)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return connectors.Errorf(connectors.CodeUnavailable, op, ref, err)
	}
	// Anything else is a response the SDK could not parse.
	return connectors.Errorf(connectors.CodeIO, op, ref, fmt.Errorf("unreadable response from Graph: %w", err))
}

// classifyAuth explains a failure to get a token.
func classifyAuth(op string, err error) error {
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse != nil {
		return connectors.Errorf(connectors.CodePermission, op, "", fmt.Errorf("authenticate to Microsoft Entra ID (check tenant_id, client_id and the credential): %w", err))
	}
	return connectors.Errorf(connectors.CodeUnavailable, op, "", fmt.Errorf("authenticate to Microsoft Entra ID: %w", err))
}

func isUnauthenticated(err error) bool {
	ge, ok := graphErrorOf(err)
	return ok && ge.Status == http.StatusUnauthorized
}

// retryPolicy bounds the retries of throttled and failed requests.
type retryPolicy struct {
	// Throttled requests (429, 503 with Retry-After) are retried up to
	// Throttled times, waiting as long as Graph asks but at most MaxWait.
	Throttled int
	// Server errors (5xx) are retried up to Failed times with exponential
	// backoff from Backoff, with jitter.
	Failed  int
	Backoff time.Duration
	MaxWait time.Duration
}

var defaultRetry = retryPolicy{Throttled: 8, Failed: 4, Backoff: time.Second, MaxWait: 5 * time.Minute}

// retryAfter parses a Retry-After value: seconds, possibly fractional
// ("2.128"), or an HTTP date. ok is false when there is none.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			return 0, true
		}
		return time.Duration(f * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// wait returns how long to wait before attempt n (1-based) of a request
// that failed with status and Retry-After header ra.
func (p retryPolicy) wait(status int, ra string, attempt int, now time.Time) time.Duration {
	if d, ok := retryAfter(ra, now); ok {
		return min(d, p.MaxWait)
	}
	if status == http.StatusTooManyRequests {
		// Throttled without a Retry-After: Graph's guidance is to back off
		// exponentially.
		attempt++
	}
	d := p.Backoff << min(attempt-1, 8)
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return min(d, p.MaxWait)
}

func (p retryPolicy) retries(status int) int {
	switch {
	case status == http.StatusTooManyRequests:
		return p.Throttled
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout || status == http.StatusBadGateway || status == http.StatusInternalServerError:
		return p.Failed
	}
	return 0
}

// retryMiddleware replaces kiota's retry handler: it spends the source's
// request budget before every attempt, and retries throttled and failed
// requests, honouring fractional Retry-After values exactly.
type retryMiddleware struct{ c *Connector }

func (m *retryMiddleware) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		if err := m.c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		r := req.Clone(ctx)
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		resp, err := pipeline.Next(r, index)
		if err != nil {
			var ne net.Error
			if req.Method == http.MethodGet && errors.As(err, &ne) && attempt < m.c.retry.Failed && ctx.Err() == nil {
				if err := connectors.Sleep(ctx, m.c.retry.wait(0, "", attempt+1, m.c.now())); err != nil {
					return nil, err
				}
				continue
			}
			return resp, err
		}
		if attempt >= m.c.retry.retries(resp.StatusCode) {
			return resp, nil
		}
		d := m.c.retry.wait(resp.StatusCode, resp.Header.Get("Retry-After"), attempt+1, m.c.now())
		m.c.log.Debug("retrying Graph request", zap.Int("status", resp.StatusCode), zap.Duration("wait", d))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := connectors.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}
