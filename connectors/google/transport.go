package google

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// api is the Google API a client talks to: it decides the quota a
// request is paced against.
type api int

const (
	apiGmail api = iota + 1
	apiDrive
	apiAdmin
	apiVault
	apiToken
)

func (a api) String() string {
	switch a {
	case apiGmail:
		return "gmail"
	case apiDrive:
		return "drive"
	case apiAdmin:
		return "directory"
	case apiVault:
		return "vault"
	case apiToken:
		return "token"
	}
	return "unknown"
}

// Drive allows 12,000 queries a minute per user: 200 a second, a
// request costing 1. The project's limit (drive_requests_per_minute,
// 12,000 by default) is shared by every user: the pacer's project
// limiter.
const driveUnitsPerSecond = 200

// retryPolicy says which failed requests are retried and how long to
// wait: throttled ones (429, 403 rateLimitExceeded/userRateLimitExceeded)
// up to Throttled times, server errors (5xx) and lost connections up to
// Failed times, with exponential backoff from Backoff, jittered, capped
// at MaxWait; a Retry-After header is honoured (capped at MaxWait too).
type retryPolicy struct {
	Throttled int
	Failed    int
	Backoff   time.Duration
	MaxWait   time.Duration
}

// Google's guidance: exponential backoff from 1s, up to 64s.
var defaultRetry = retryPolicy{Throttled: 8, Failed: 4, Backoff: time.Second, MaxWait: 64 * time.Second}

// Stats are the connector's request counters.
type Stats struct {
	Requests  int64 // HTTP requests sent, retries included (a batch is one)
	Retries   int64 // of which were retries
	Throttled int64 // answers that asked us to slow down (429, 403 rate limits)
	Units     int64 // quota units paced
	// Waited is the time spent waiting for the per-user pacing.
	Waited time.Duration
}

type counters struct {
	requests, retries, throttled, units, waited atomic.Int64
}

// Stats returns the connector's request counters, for benchmarks.
func (c *Connector) Stats() Stats {
	return Stats{Requests: c.stats.requests.Load(), Retries: c.stats.retries.Load(),
		Throttled: c.stats.throttled.Load(), Units: c.stats.units.Load(), Waited: time.Duration(c.stats.waited.Load())}
}

type unitsKey struct{}

// withUnits returns a context whose requests the transport charges units
// quota units (a batch of inner requests costs theirs), instead of the
// cost of the request's method and path.
func withUnits(ctx context.Context, units int) context.Context {
	return context.WithValue(ctx, unitsKey{}, units)
}

// gmailUnits is the quota cost of a Gmail request
// (developers.google.com/gmail/api/reference/quota).
func gmailUnits(method, path string) int {
	i := strings.Index(path, "/users/")
	if i < 0 {
		return 5
	}
	rest := path[i+len("/users/"):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[j+1:]
	} else {
		return 1
	}
	seg := strings.Split(rest, "/")
	switch {
	case seg[0] == "profile", seg[0] == "labels":
		return 1
	case seg[0] == "history":
		return 2
	case seg[0] == "threads":
		return 10
	case seg[0] == "messages" && len(seg) == 2 && (seg[1] == "batchDelete" || seg[1] == "batchModify"):
		return 50
	case seg[0] == "messages" && len(seg) == 2 && method == http.MethodDelete:
		return 10
	case seg[0] == "messages" && len(seg) == 1 && method == http.MethodPost, // insert
		seg[0] == "messages" && len(seg) == 2 && seg[1] == "import":
		return 25
	case seg[0] == "messages" && len(seg) == 2 && seg[1] == "send":
		return 100
	}
	return 5
}

// paceMargin: requests are paced at 95% of the per-user rate. They reach
// Google a varying time after they leave, and at exactly the rate a late
// one lands in a bucket Google has just emptied: 2% of batched gets came
// back 429 in the fake at 100%, none at 95%.
const paceMargin = 0.95

// pacer holds the per-user limiters of Gmail and Drive, and Drive's
// project-wide one.
type pacer struct {
	mu           sync.Mutex
	gmail        map[string]*rate.Limiter
	drive        map[string]*rate.Limiter
	driveProject *rate.Limiter
}

func (c *Connector) limiter(a api, user string) *rate.Limiter {
	p := &c.pace
	p.mu.Lock()
	defer p.mu.Unlock()
	m, per := p.gmail, c.opts.UserUnitsPerSecond
	if a == apiDrive {
		m, per = p.drive, driveUnitsPerSecond
	}
	l := m[user]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(float64(per)*paceMargin), per)
		m[user] = l
	}
	return l
}

// wait paces a request of units for user: it returns once the user's
// quota allows it, or with ctx's error. Pacing measures the time that
// passes with paceNow, the system's monotonic clock, not Env.Now: the
// clock of a run may be fixed (tests, a dry run at a given date) or step,
// and a quota refills in real seconds. Env.Now reads Retry-After dates.
func (c *Connector) wait(ctx context.Context, a api, user string, units int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a != apiGmail && a != apiDrive {
		return nil
	}
	c.stats.units.Add(int64(units))
	if a == apiDrive {
		if err := c.reserve(ctx, c.driveProject(), units); err != nil {
			return err
		}
	}
	return c.reserve(ctx, c.limiter(a, user), units)
}

// driveProject returns the project-wide Drive limiter.
func (c *Connector) driveProject() *rate.Limiter {
	p := &c.pace
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.driveProject == nil {
		per := max(1, c.opts.DriveRequestsPerMinute/60)
		p.driveProject = rate.NewLimiter(rate.Limit(float64(c.opts.DriveRequestsPerMinute)/60*paceMargin), per)
	}
	return p.driveProject
}

// reserve takes units from l, waiting as long as it says, in pieces of
// at most its burst.
func (c *Connector) reserve(ctx context.Context, l *rate.Limiter, units int) error {
	for units > 0 {
		n := min(units, l.Burst())
		units -= n
		now := c.paceNow()
		r := l.ReserveN(now, n)
		d := r.DelayFrom(now)
		if d <= 0 {
			continue
		}
		c.stats.waited.Add(int64(d))
		if err := c.sleep(ctx, d); err != nil {
			r.CancelAt(c.paceNow())
			return err
		}
	}
	return nil
}

// transport is the RoundTripper under the OAuth transport of one user's
// client for one API: it paces requests against the user's quota, bounds
// each attempt by the timeout, counts requests and retries throttled and
// failed ones.
type transport struct {
	c    *Connector
	api  api
	user string
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c := t.c
	units := 1
	if u, ok := ctx.Value(unitsKey{}).(int); ok {
		units = u
	} else if t.api == apiGmail {
		units = gmailUnits(req.Method, req.URL.Path)
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	throttled, failed := 0, 0
	for attempt := 0; ; attempt++ {
		if err := t.c.wait(ctx, t.api, t.user, units); err != nil {
			return nil, err
		}
		r := req.Clone(ctx)
		if attempt > 0 {
			c.stats.retries.Add(1)
			if req.GetBody != nil {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = b
			}
		}
		actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		r = r.WithContext(actx)
		c.stats.requests.Add(1)
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
				err = &timeoutError{timeout: c.opts.Timeout, err: err}
			}
			cancel()
			var ne net.Error
			if ctx.Err() == nil && replayable && failed < c.retry.Failed && (errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)) {
				failed++
				c.log.Debug("retrying google request", zap.Stringer("api", t.api), zap.String("error_kind", "transport"), zap.Int("attempt", attempt+1))
				if err := c.sleep(ctx, c.retry.backoff(failed)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		kind := retryKind(resp)
		var limit, n *int
		switch kind {
		case "throttled":
			c.stats.throttled.Add(1)
			limit, n = &c.retry.Throttled, &throttled
		case "failed":
			limit, n = &c.retry.Failed, &failed
		}
		if limit == nil || *n >= *limit || !replayable {
			resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		*n++
		d := c.retry.backoff(*n)
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
			d = min(ra, c.retry.MaxWait)
		}
		c.log.Debug("retrying google request", zap.Stringer("api", t.api), zap.Int("status", resp.StatusCode),
			zap.String("error_kind", kind), zap.Duration("wait", d), zap.Int("attempt", attempt+1))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		if err := c.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// retryKind reads whether a response asks for a retry: "throttled" (429;
// 403 with a rate-limit reason), "failed" (5xx) or "". For a 403 it reads
// the error body and puts it back.
func retryKind(resp *http.Response) string {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return "throttled"
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return "failed"
	case resp.StatusCode != http.StatusForbidden:
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	if err != nil {
		return ""
	}
	var e struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	for _, x := range e.Error.Errors {
		if rateLimited(x.Reason) {
			return "throttled"
		}
	}
	return ""
}

func rateLimited(reason string) bool {
	return reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"
}

// backoff is the wait before retry n (1-based): Backoff·2^(n-1) plus up
// to a quarter of jitter, at most MaxWait.
func (p retryPolicy) backoff(n int) time.Duration {
	d := p.Backoff << min(n-1, 10)
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return min(d, p.MaxWait)
}

// retryAfter parses a Retry-After value: seconds (possibly fractional) or
// an HTTP date. ok is false when there is none.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f != f {
			return 0, true
		}
		return time.Duration(min(f, 1e6) * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// cancelBody ends an attempt's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// timeoutError is an attempt that ran out of the timeout option while
// the caller's context was still live: the service is slow, not the
// caller gone.
type timeoutError struct {
	timeout time.Duration
	err     error
}

func (e *timeoutError) Error() string {
	return "no answer within the timeout of " + e.timeout.String()
}
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
