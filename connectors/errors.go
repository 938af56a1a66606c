package connectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Code classifies a connector error. Codes are recorded in the ledger in
// place of error text, which may echo file names or subjects.
type Code int

const (
	// CodeOther is an error nobody classified.
	CodeOther Code = iota
	// CodeNotFound: the item or container does not exist.
	CodeNotFound
	// CodePermission: the service account may not read or delete it.
	CodePermission
	// CodeUnavailable: the system could not be reached or asked us to back
	// off; trying again later may succeed.
	CodeUnavailable
	// CodeInvalid: the request was malformed (a ref that escapes the root, a
	// config the system rejects). Retrying will not help.
	CodeInvalid
	// CodeHeld: the system refuses because it holds the item itself.
	CodeHeld
	// CodeCancelled: the caller's context ended before the operation ran.
	CodeCancelled
	// CodeIO: a local or remote I/O failure that is not one of the above.
	CodeIO
	// CodeConflict: the destination of a move holds another item.
	CodeConflict
)

var codeNames = [...]string{
	CodeOther:       "other",
	CodeNotFound:    "not_found",
	CodePermission:  "permission_denied",
	CodeUnavailable: "unavailable",
	CodeInvalid:     "invalid",
	CodeHeld:        "held_by_system",
	CodeCancelled:   "cancelled",
	CodeIO:          "io_error",
	CodeConflict:    "conflict",
}

// String returns the code's stable snake_case name, as written to the ledger.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "other"
}

// Retryable reports whether an operation that failed with c may succeed if
// tried again later.
func (c Code) Retryable() bool { return c == CodeUnavailable || c == CodeIO }

// Error is a classified connector error.
type Error struct {
	Code Code
	Op   string // "list", "stat", "delete", "open"
	Ref  string // may be empty
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Ref != "" {
		fmt.Fprintf(&b, " %q", e.Ref)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Code.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given classification.
func Errorf(code Code, op, ref string, err error) error {
	return &Error{Code: code, Op: op, Ref: ref, Err: err}
}

// CodeOf classifies err. Context errors are CodeCancelled; an error without
// an *Error in its chain is CodeOther.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOther
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeCancelled
	}
	return CodeOther
}

// IsNotFound reports whether err says the item does not exist.
func IsNotFound(err error) bool { return CodeOf(err) == CodeNotFound }

// IncompleteError is returned by List when it listed what it could but had to
// skip parts of the source. Callers must treat the skipped parts as unknown.
type IncompleteError struct {
	// Skipped holds one entry per part that could not be read; each is an
	// *Error whose Ref names the part.
	Skipped []error
}

func (e *IncompleteError) Error() string {
	const show = 3
	var parts []string
	for i, err := range e.Skipped {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Skipped)-show))
			break
		}
		parts = append(parts, err.Error())
	}
	return fmt.Sprintf("listing incomplete, %d part(s) skipped: %s", len(e.Skipped), strings.Join(parts, "; "))
}

func (e *IncompleteError) Unwrap() []error { return e.Skipped }

// EachTarget calls one for each target in order and returns the results.
// Once ctx ends, the targets not yet attempted fail with CodeCancelled, as
// the contract of DeleteBatch and Archive asks; op names the operation in
// their errors.
func EachTarget(ctx context.Context, op string, targets []Target, one func(Target) Result) []Result {
	results := make([]Result, len(targets))
	for i, t := range targets {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(targets); j++ {
				results[j] = Result{Ref: targets[j].Ref, Outcome: OutcomeFailed, Err: Errorf(CodeCancelled, op, targets[j].Ref, err)}
			}
			break
		}
		results[i] = one(t)
	}
	return results
}
