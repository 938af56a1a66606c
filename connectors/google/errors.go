package google

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/retentiond/retentiond/connectors"
)

// classifyError turns an error from a Google API call into a
// *connectors.Error with the right Code (404 → CodeNotFound, 403
// permission → CodePermission, quota and 5xx after retries →
// CodeUnavailable, cancelled → CodeCancelled).
func classifyError(op, ref string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	return connectors.Errorf(codeOf(err), op, ref, err)
}

// codeOf classifies an error of a Google API call.
func codeOf(err error) connectors.Code {
	var ge *googleapi.Error
	var re *oauth2.RetrieveError
	var ne net.Error
	var te *timeoutError
	switch {
	case errors.As(err, &te):
		return connectors.CodeUnavailable
	case (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && !errors.As(err, &ge):
		return connectors.CodeCancelled
	case errors.As(err, &ge):
		return codeOfStatus(ge.Code, reasons(ge))
	case errors.As(err, &re):
		if re.Response != nil && re.Response.StatusCode >= 500 {
			return connectors.CodeUnavailable
		}
		return connectors.CodePermission
	case errors.As(err, &ne):
		return connectors.CodeUnavailable
	}
	return connectors.CodeIO
}

func reasons(ge *googleapi.Error) []string {
	var rs []string
	for _, e := range ge.Errors {
		rs = append(rs, e.Reason)
	}
	return rs
}

// codeOfStatus classifies a Google API error answer by its status and
// reasons.
func codeOfStatus(status int, reasons []string) connectors.Code {
	for _, r := range reasons {
		switch r {
		case "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded", "backendError":
			return connectors.CodeUnavailable
		}
	}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return connectors.CodeNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return connectors.CodePermission
	case status == http.StatusTooManyRequests || status >= 500 || status == http.StatusRequestTimeout:
		return connectors.CodeUnavailable
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return connectors.CodeConflict
	case status == http.StatusBadRequest:
		return connectors.CodeInvalid
	}
	return connectors.CodeOther
}

// errorf is fmt.Errorf classified with code.
func errorf(code connectors.Code, op, ref, format string, args ...any) error {
	return connectors.Errorf(code, op, ref, fmt.Errorf(format, args...))
}
