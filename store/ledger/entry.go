// Package ledger defines retentiond's ledger: the entries recorded for every
// decision and deletion, their one canonical encoding, the keyed references
// that stand in for names and paths, the signing key, C2SP checkpoints and
// offline verification. It does no I/O beyond key files; package store keeps
// each entry's canonical bytes as a leaf of an RFC 6962 tree
// (golang.org/x/mod/sumdb/tlog) and keeps the signed checkpoints.
//
// The ledger holds no personal data: items, folders and subjects appear only
// as HMAC-SHA256 references under a secret kept outside the database
// (RefKey), and outcomes and failures are enumerated codes, never error
// text. Entry.Marshal refuses entries that break either rule.
package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Type is the kind of an entry.
type Type string

// Entry types. The set is closed: Marshal and Parse reject any other.
const (
	TypePolicy               Type = "policy"                // a policy text came into force
	TypeBatch                Type = "batch"                 // a batch was cut from a plan
	TypeApproval             Type = "approval"              // someone (or a rule needing none) approved a batch
	TypeRejection            Type = "rejection"             // a batch was rejected or superseded
	TypeConfirmation         Type = "confirmation"          // an operator confirmed a guarded batch's size
	TypeDeletion             Type = "deletion"              // the outcome for one item of a batch
	TypePrune                Type = "prune"                 // an emptied folder was removed
	TypeHoldAdded            Type = "hold_added"            // a hold was placed
	TypeHoldReleased         Type = "hold_released"         // a hold was released
	TypeExecutionStarted     Type = "execution_started"     // execution of a batch began
	TypeExecutionFinished    Type = "execution_finished"    // execution of a batch ended
	TypeExecutionStopped     Type = "execution_stopped"     // execution of a batch was stopped before its end (Reason says why, e.g. "rejected")
	TypeKeyRotation          Type = "key_rotation"          // a new signing key took over
	TypeInstruction          Type = "instruction"           // a deletion instruction was issued
	TypeAcknowledgement      Type = "acknowledgement"       // an instruction was confirmed carried out
	TypeInstructionWithdrawn Type = "instruction_withdrawn" // a hold withdrew a line of an instruction before it was carried out
	TypeOwnerNotice          Type = "owner_notice"          // an item's owner (role owner), or the operators, were told ahead of its deletion
	// TypeWithdrawal records that a plan withdrew one item (Item) from an
	// open batch (Batch) because it changed, vanished, became held, is no
	// longer due or was excluded (Code, one of WithdrawalCodes). The
	// batch's approvals stand for the rest of its items.
	TypeWithdrawal Type = "withdrawal"
	// TypeRetentionDecision records a person's decision to keep items a
	// batch proposed (Code "rejected": the whole batch, Items its size;
	// "excluded": one item, Item), until a date (Until), and why (Reason).
	TypeRetentionDecision Type = "retention_decision"
	// TypeDecisionRevoked records that a person revoked a retention
	// decision (Decision) before its date.
	TypeDecisionRevoked Type = "decision_revoked"
	// TypeEscalation records that a batch waiting longer than its rule's
	// escalate_after was offered to a fallback group (Reason names it).
	TypeEscalation Type = "escalation"
	// TypeLedgerStartedOver is the first entry of a ledger started over
	// when the database that held the previous one was lost: Text holds
	// the previous ledger's last signed checkpoint, Items its size.
	TypeLedgerStartedOver Type = "ledger_started_over"
	// TypeLedgerRolledBack records that the ledger continues from a
	// database restored from a backup older than the last signed
	// checkpoint: Text holds that checkpoint, Items its size; the entries
	// from this entry's index up to it are lost.
	TypeLedgerRolledBack Type = "ledger_rolled_back"
)

func knownType(t Type) bool {
	switch t {
	case TypePolicy, TypeBatch, TypeApproval, TypeRejection, TypeConfirmation, TypeDeletion, TypePrune,
		TypeHoldAdded, TypeHoldReleased, TypeExecutionStarted, TypeExecutionFinished, TypeExecutionStopped, TypeKeyRotation,
		TypeInstruction, TypeAcknowledgement, TypeOwnerNotice, TypeInstructionWithdrawn,
		TypeLedgerStartedOver, TypeLedgerRolledBack, TypeWithdrawal, TypeRetentionDecision, TypeDecisionRevoked, TypeEscalation:
		return true
	}
	return false
}

// Entry is one ledger record. It is flat; every field is optional except
// Type and Time, and zero values are left out of the canonical form. An
// entry's position in the ledger is its leaf index, which is not part of the
// entry.
//
// Item, Container and Subject hold references made by RefKey.Ref, never
// names or paths; Outcome, Code, Method and Role hold enumerated tokens
// (lower-case letters, digits and underscores), never free text. Marshal
// enforces both so that no personal data reaches the append-only ledger.
type Entry struct {
	Type         Type      `json:"type"`
	Time         time.Time `json:"time"`                  // encoded as time.RFC3339Nano of Time.UTC()
	Source       string    `json:"source,omitempty"`      // configured source name, e.g. "admin-share"
	SourceKind   string    `json:"source_kind,omitempty"` // connector kind: "fileshare", "m365"
	Item         string    `json:"item,omitempty"`        // reference of the item (never a path)
	Container    string    `json:"container,omitempty"`   // reference of its folder
	Subject      string    `json:"subject,omitempty"`     // reference of the data subject
	Size         int64     `json:"size,omitempty"`
	Policy       string    `json:"policy,omitempty"`        // policy id
	PolicyDigest string    `json:"policy_digest,omitempty"` // "sha256:<hex>"
	Rule         string    `json:"rule,omitempty"`
	Period       string    `json:"period,omitempty"` // "P30D"
	Basis        string    `json:"basis,omitempty"`  // the anchor: "item.modified", "subject.left"
	Anchor       string    `json:"anchor,omitempty"` // civil date YYYY-MM-DD
	Due          string    `json:"due,omitempty"`    // civil date YYYY-MM-DD
	Batch        int64     `json:"batch,omitempty"`
	Plan         string    `json:"plan,omitempty"`  // plan fingerprint "sha256:<hex>"
	Items        int64     `json:"items,omitempty"` // count, for batch and execution entries
	Actor        string    `json:"actor,omitempty"` // configured person id who approved, rejected, confirmed or executed
	Role         string    `json:"role,omitempty"`  // "approver", "operator"; "owner" for owner notices
	Stage        int       `json:"stage,omitempty"`
	Approvals    []string  `json:"approvals,omitempty"` // ids of the approvers, for deletion entries
	Outcome      string    `json:"outcome,omitempty"`   // deleted, absent, changed, held, failed, skipped_hold, not_due, archived, pruned
	Code         string    `json:"code,omitempty"`      // enumerated error code, e.g. "permission_denied"; never error text
	Method       string    `json:"method,omitempty"`    // delete, purge, archive
	Verified     bool      `json:"verified,omitempty"`  // absence verified after deletion
	Host         string    `json:"host,omitempty"`
	Software     string    `json:"software,omitempty"`
	Hold         string    `json:"hold,omitempty"`        // hold id
	Instruction  string    `json:"instruction,omitempty"` // deletion instruction id
	Reason       string    `json:"reason,omitempty"`      // short non-personal reason set by operators
	Text         string    `json:"text,omitempty"`        // policy text (TypePolicy) or instruction text
	Key          string    `json:"key,omitempty"`         // verifier key in note format (TypeKeyRotation)
	// Until is the civil date YYYY-MM-DD a retention decision keeps its
	// items until.
	Until string `json:"until,omitempty"`
	// Decision is a retention decision's id.
	Decision string `json:"decision,omitempty"`
	// Auth is how the Actor was authenticated, one of AuthMethods.
	Auth string `json:"auth,omitempty"`
	// Identity is a reference (RefKey.Ref) of the issuer and subject the
	// Actor signed in with (OIDC), so that decisions by one verified
	// identity can be counted without naming it.
	Identity string `json:"identity,omitempty"`
	// Stages is what a batch's rule asks for, in order, as
	// "group:count" tokens ("leaders:1", "dpo:1"); empty for a rule that
	// needs no approval. ledger verify checks executions against it.
	Stages []string `json:"stages,omitempty"`
}

// ErrNotCanonical is wrapped by Parse's error for bytes that decode to an
// entry but are not that entry's one canonical encoding.
var ErrNotCanonical = errors.New("entry is not in canonical form")

// Marshal returns the canonical bytes of e: compact JSON with the keys in
// the order of the struct fields, zero fields left out, no insignificant
// whitespace, no trailing newline, HTML characters not escaped, and the
// time as time.RFC3339Nano of e.Time.UTC() (trailing zeros of the fraction
// trimmed). The bytes are what encoding/json produces for the same entry
// with SetEscapeHTML(false), but they are built here so that a change in
// encoding/json cannot change the encoding of entries already in a ledger.
//
// Marshal fails if Type is empty or unknown, Time is zero or its year is
// outside 0000-9999, a string is not valid UTF-8, Item, Container or
// Subject is set but is not a reference (see ParseRef), or Outcome, Code,
// Method or Role is set but is not a token of [a-z0-9_].
func (e Entry) Marshal() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, fmt.Errorf("marshal entry: %w", err)
	}
	w := encoder{b: make([]byte, 0, e.sizeHint())}
	w.b = append(w.b, `{"type":`...)
	w.b = appendString(w.b, string(e.Type))
	w.b = append(w.b, `,"time":"`...)
	w.b = e.Time.UTC().AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.str("source", e.Source)
	w.str("source_kind", e.SourceKind)
	w.str("item", e.Item)
	w.str("container", e.Container)
	w.str("subject", e.Subject)
	w.int("size", e.Size)
	w.str("policy", e.Policy)
	w.str("policy_digest", e.PolicyDigest)
	w.str("rule", e.Rule)
	w.str("period", e.Period)
	w.str("basis", e.Basis)
	w.str("anchor", e.Anchor)
	w.str("due", e.Due)
	w.int("batch", e.Batch)
	w.str("plan", e.Plan)
	w.int("items", e.Items)
	w.str("actor", e.Actor)
	w.str("role", e.Role)
	w.int("stage", int64(e.Stage))
	if len(e.Approvals) > 0 {
		w.key("approvals")
		w.b = append(w.b, '[')
		for i, a := range e.Approvals {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, a)
		}
		w.b = append(w.b, ']')
	}
	w.str("outcome", e.Outcome)
	w.str("code", e.Code)
	w.str("method", e.Method)
	if e.Verified {
		w.key("verified")
		w.b = append(w.b, "true"...)
	}
	w.str("host", e.Host)
	w.str("software", e.Software)
	w.str("hold", e.Hold)
	w.str("instruction", e.Instruction)
	w.str("reason", e.Reason)
	w.str("text", e.Text)
	w.str("key", e.Key)
	w.str("until", e.Until)
	w.str("decision", e.Decision)
	w.str("auth", e.Auth)
	w.str("identity", e.Identity)
	if len(e.Stages) > 0 {
		w.key("stages")
		w.b = append(w.b, '[')
		for i, a := range e.Stages {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, a)
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
	return w.b, nil
}

// sizeHint is a generous estimate of the length of e's encoding, so that
// Marshal allocates once in the common case.
func (e *Entry) sizeHint() int {
	n := 96 + len(e.Type) + 8*20 // braces, type and time; the numbers
	for _, s := range [...]string{e.Source, e.SourceKind, e.Item, e.Container, e.Subject, e.Policy, e.PolicyDigest,
		e.Rule, e.Period, e.Basis, e.Anchor, e.Due, e.Plan, e.Actor, e.Role, e.Outcome, e.Code, e.Method, e.Host,
		e.Software, e.Hold, e.Instruction, e.Reason, e.Text, e.Key, e.Until, e.Decision, e.Auth, e.Identity} {
		if s != "" {
			n += len(s) + len(s)/8 + 20 // escapes; key, quotes and comma
		}
	}
	for _, a := range append(e.Approvals, e.Stages...) {
		n += len(a) + len(a)/8 + 3
	}
	return n
}

// check enforces what Marshal promises to refuse.
func (e *Entry) check() error {
	if e.Type == "" {
		return errors.New("type is not set")
	}
	if !knownType(e.Type) {
		return fmt.Errorf("unknown type %q", e.Type)
	}
	if e.Time.IsZero() {
		return fmt.Errorf("%s entry: time is not set", e.Type)
	}
	if y := e.Time.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s entry: year %d cannot be written in RFC 3339", e.Type, y)
	}
	for _, f := range [...]struct{ name, v string }{
		{"source", e.Source}, {"source_kind", e.SourceKind}, {"item", e.Item}, {"container", e.Container},
		{"subject", e.Subject}, {"policy", e.Policy}, {"policy_digest", e.PolicyDigest}, {"rule", e.Rule},
		{"period", e.Period}, {"basis", e.Basis}, {"anchor", e.Anchor}, {"due", e.Due}, {"plan", e.Plan},
		{"actor", e.Actor}, {"role", e.Role}, {"outcome", e.Outcome}, {"code", e.Code}, {"method", e.Method},
		{"host", e.Host}, {"software", e.Software}, {"hold", e.Hold}, {"instruction", e.Instruction}, {"reason", e.Reason}, {"text", e.Text},
		{"key", e.Key}, {"until", e.Until}, {"decision", e.Decision},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s entry: %s is not valid UTF-8", e.Type, f.name)
		}
	}
	for i, a := range e.Approvals {
		if !utf8.ValidString(a) {
			return fmt.Errorf("%s entry: approval %d is not valid UTF-8", e.Type, i)
		}
	}
	for i, a := range e.Stages {
		if !utf8.ValidString(a) {
			return fmt.Errorf("%s entry: stage %d is not valid UTF-8", e.Type, i)
		}
	}
	for _, f := range [...]struct{ name, v string }{{"item", e.Item}, {"container", e.Container}, {"subject", e.Subject}, {"identity", e.Identity}} {
		if f.v == "" {
			continue
		}
		if !isRefByTable(f.v) {
			return fmt.Errorf("%s entry: %s must be a reference made by RefKey.Ref (h1:<key id>:<mac>), never a name or path", e.Type, f.name)
		}
	}
	for _, f := range [...]struct{ name, v string }{{"outcome", e.Outcome}, {"code", e.Code}, {"method", e.Method}, {"role", e.Role}, {"auth", e.Auth}} {
		if f.v != "" && !isToken(f.v) {
			return fmt.Errorf("%s entry: %s %q is not an enumerated token of [a-z0-9_] (never error or free text)", e.Type, f.name, f.v)
		}
	}
	return nil
}

const maxToken = 64

// isToken reports whether s is a non-empty string of at most maxToken
// lower-case ASCII letters, digits and underscores.
func isToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// encoder appends the optional members of an entry.
type encoder struct{ b []byte }

func (w *encoder) key(k string) {
	w.b = append(w.b, ',', '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *encoder) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = appendString(w.b, v)
}

func (w *encoder) int(k string, v int64) {
	if v == 0 {
		return
	}
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s, which must be valid UTF-8, as a JSON string
// escaped exactly as encoding/json does with SetEscapeHTML(false): '"' and
// '\\' and the control characters \b, \f, \n, \r, \t get short escapes,
// other bytes below 0x20 become \u00xx, U+2028 and U+2029 become \u2028
// and \u2029, and everything else is written as is.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Parse decodes the canonical bytes of an entry. It is strict, so that
// every entry has exactly one encoding and therefore one leaf hash: it
// rejects invalid UTF-8, unknown fields, data after the entry, and any
// bytes that are not exactly what Marshal produces for the decoded entry
// (reordered or duplicate keys, whitespace, needless escapes, zero values
// written out, a time not in UTC); the error for those wraps
// ErrNotCanonical. Whatever Marshal refuses, Parse refuses too. The
// returned entry's Time is in UTC.
func Parse(b []byte) (Entry, error) {
	// Canonical bytes, which is what a ledger holds, are recognised as
	// they are read; anything else goes to parseGeneral, which refuses it
	// with the reason.
	if e, ok := parseCanonical(b); ok {
		return e, nil
	}
	return parseGeneral(b)
}

// parseGeneral is Parse for any bytes: it decodes them, re-encodes the
// entry and compares, and says what is wrong with bytes it refuses.
func parseGeneral(b []byte) (Entry, error) {
	if !utf8.Valid(b) {
		return Entry{}, errors.New("parse entry: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("parse entry: %w", err)
	}
	if dec.InputOffset() != int64(len(b)) {
		return Entry{}, errors.New("parse entry: data after the entry")
	}
	again, err := e.Marshal()
	if err != nil {
		return Entry{}, fmt.Errorf("parse entry: %w", err)
	}
	if !bytes.Equal(again, b) {
		return Entry{}, fmt.Errorf("parse entry: %w", ErrNotCanonical)
	}
	e.Time = e.Time.UTC()
	return e, nil
}
