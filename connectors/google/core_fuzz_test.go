package google

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/retentiond/retentiond/connectors"
)

// FuzzRetryAfter: any Retry-After value gives a wait that is not
// negative, or none.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "7", "2.128", "-1", "NaN", "1e300", "Mon, 07 Dec 2026 02:00:00 GMT", "soon", " 3 "} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := retryAfter(v, now)
		if d < 0 {
			t.Fatalf("retryAfter(%q) = %v", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("retryAfter(%q) = %v without a value", v, d)
		}
		if ok && strings.TrimSpace(v) == "" {
			t.Fatalf("retryAfter(%q) found a value", v)
		}
	})
}

// FuzzRetryKind: a 403 body of any shape is read without error, is
// "throttled" exactly when it names a rate-limit reason, and is given
// back whole to the caller.
func FuzzRetryKind(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":403,"message":"User Rate Limit Exceeded","errors":[{"message":"User Rate Limit Exceeded","domain":"usageLimits","reason":"userRateLimitExceeded"}],"status":"PERMISSION_DENIED"}}`,
		`{"error":{"code":403,"errors":[{"reason":"forbidden"},{"reason":"rateLimitExceeded"}]}}`,
		`{"error":{"code":403,"errors":[{"reason":"insufficientPermissions"}]}}`,
		`{"error":"unauthorized"}`, `{"error":{"errors":{}}}`, `<html>403</html>`, ``, `{"error":{"errors":[{"reason":`,
	} {
		f.Add(s, 403)
	}
	f.Add(`{}`, 429)
	f.Add(`{}`, 503)
	f.Fuzz(func(t *testing.T, body string, status int) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}
		kind := retryKind(resp)
		got, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(got, []byte(body)) {
			t.Fatalf("body given back %q, %v; want %q", got, err, body)
		}
		switch {
		case status == 429:
			if kind != "throttled" {
				t.Fatalf("429 is %q", kind)
			}
		case status >= 500 && status != 501:
			if kind != "failed" {
				t.Fatalf("%d is %q", status, kind)
			}
		case status != 403:
			if kind != "" {
				t.Fatalf("%d is %q", status, kind)
			}
		case kind == "throttled" && !strings.Contains(body, "RateLimitExceeded") && !strings.Contains(body, "rateLimitExceeded"):
			t.Fatalf("403 %q read as throttled", body)
		}
	})
}

// FuzzClassifyAuth: any token endpoint refusal is classified (never
// CodeOther) and never read as a success.
func FuzzClassifyAuth(f *testing.F) {
	for _, s := range []string{
		`{"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}`,
		`{"error":"invalid_grant","error_description":"Invalid email or User ID"}`,
		`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`,
		`{"error":"invalid_grant","error_description":"Invalid grant: account not found"}`,
		`{"error":5}`, `not json`, ``,
	} {
		f.Add(s, 400)
	}
	f.Add(`{"error":"internal_failure"}`, 503)
	o := Options{KeyFile: "k", Admin: "admin@skole.test", OrgUnit: "/"}
	c := &Connector{opts: o.withDefaults(), clientID: "123"}
	f.Fuzz(func(t *testing.T, body string, status int) {
		re := &oauth2.RetrieveError{Response: &http.Response{StatusCode: status}, Body: []byte(body)}
		err := c.classifyAuth("open", "", "anna@skole.test", scopesDirectory, re)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code == connectors.CodeOther {
			t.Fatalf("unclassified: %v", err)
		}
		if status >= 500 && ce.Code != connectors.CodeUnavailable {
			t.Fatalf("%d is %v", status, ce.Code)
		}
	})
}
