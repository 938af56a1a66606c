// Package ledger defines retentiond's ledger: the entries recorded for every
// decision and deletion, their one canonical encoding, the keyed references
// that stand in for names and paths, the signing key, C2SP checkpoints and
// offline verification. It does no I/O beyond key files; package store keeps
// the entries as leaves of an RFC 6962 tree (golang.org/x/mod/sumdb/tlog).
//
// The ledger holds no personal data: items, folders and subjects appear only
// as HMAC-SHA256 references under a secret kept outside the database, and
// outcomes are enumerated codes, never error text.
package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Type is the kind of an entry.
type Type string

// Entry types.
const (
	TypePolicy            Type = "policy"             // a policy text came into force
	TypeBatch             Type = "batch"              // a batch was cut from a plan
	TypeApproval          Type = "approval"           // someone (or a rule needing none) approved a batch
	TypeRejection         Type = "rejection"          // a batch was rejected or superseded
	TypeConfirmation      Type = "confirmation"       // an operator confirmed a guarded batch's size
	TypeDeletion          Type = "deletion"           // the outcome for one item of a batch
	TypePrune             Type = "prune"              // an emptied folder was removed
	TypeHoldAdded         Type = "hold_added"         // a hold was placed
	TypeHoldReleased      Type = "hold_released"      // a hold was released
	TypeExecutionStarted  Type = "execution_started"  // execution of a batch began
	TypeExecutionFinished Type = "execution_finished" // execution of a batch ended
	TypeKeyRotation       Type = "key_rotation"       // a new signing key took over
	TypeInstruction       Type = "instruction"        // a deletion instruction was issued
	TypeAcknowledgement   Type = "acknowledgement"    // an instruction was confirmed carried out
)

var knownTypes = map[Type]bool{
	TypePolicy: true, TypeBatch: true, TypeApproval: true, TypeRejection: true, TypeConfirmation: true,
	TypeDeletion: true, TypePrune: true, TypeHoldAdded: true, TypeHoldReleased: true,
	TypeExecutionStarted: true, TypeExecutionFinished: true, TypeKeyRotation: true,
	TypeInstruction: true, TypeAcknowledgement: true,
}

// Entry is one ledger record. It is flat; every field but Type and Time is
// optional, and zero values are left out of the canonical form. Item,
// Container and Subject are references made by RefKey.Ref, never names.
type Entry struct {
	Type         Type      `json:"type"`
	Time         time.Time `json:"time"`
	Source       string    `json:"source,omitempty"`      // configured source name
	SourceKind   string    `json:"source_kind,omitempty"` // connector kind
	Item         string    `json:"item,omitempty"`
	Container    string    `json:"container,omitempty"`
	Subject      string    `json:"subject,omitempty"`
	Size         int64     `json:"size,omitempty"`
	Policy       string    `json:"policy,omitempty"`
	PolicyDigest string    `json:"policy_digest,omitempty"`
	Rule         string    `json:"rule,omitempty"`
	Period       string    `json:"period,omitempty"` // "P30D"
	Basis        string    `json:"basis,omitempty"`  // the anchor: "item.modified", "subject.left"
	Anchor       string    `json:"anchor,omitempty"` // civil date
	Due          string    `json:"due,omitempty"`    // civil date
	Batch        int64     `json:"batch,omitempty"`
	Plan         string    `json:"plan,omitempty"` // batch fingerprint
	Items        int64     `json:"items,omitempty"`
	Actor        string    `json:"actor,omitempty"` // configured person id
	Role         string    `json:"role,omitempty"`
	Stage        int       `json:"stage,omitempty"`
	Approvals    []string  `json:"approvals,omitempty"`
	Outcome      string    `json:"outcome,omitempty"` // deleted, absent, changed, held, failed, skipped_hold, not_due, pruned
	Code         string    `json:"code,omitempty"`    // enumerated error code
	Method       string    `json:"method,omitempty"`  // delete, purge, archive
	Verified     bool      `json:"verified,omitempty"`
	Host         string    `json:"host,omitempty"`
	Software     string    `json:"software,omitempty"`
	Hold         string    `json:"hold,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Text         string    `json:"text,omitempty"` // policy or instruction text
	Key          string    `json:"key,omitempty"`  // verifier key, for key rotation
}

// wireEntry is Entry with the time as canonical text.
type wireEntry struct {
	Type         Type     `json:"type"`
	Time         string   `json:"time"`
	Source       string   `json:"source,omitempty"`
	SourceKind   string   `json:"source_kind,omitempty"`
	Item         string   `json:"item,omitempty"`
	Container    string   `json:"container,omitempty"`
	Subject      string   `json:"subject,omitempty"`
	Size         int64    `json:"size,omitempty"`
	Policy       string   `json:"policy,omitempty"`
	PolicyDigest string   `json:"policy_digest,omitempty"`
	Rule         string   `json:"rule,omitempty"`
	Period       string   `json:"period,omitempty"`
	Basis        string   `json:"basis,omitempty"`
	Anchor       string   `json:"anchor,omitempty"`
	Due          string   `json:"due,omitempty"`
	Batch        int64    `json:"batch,omitempty"`
	Plan         string   `json:"plan,omitempty"`
	Items        int64    `json:"items,omitempty"`
	Actor        string   `json:"actor,omitempty"`
	Role         string   `json:"role,omitempty"`
	Stage        int      `json:"stage,omitempty"`
	Approvals    []string `json:"approvals,omitempty"`
	Outcome      string   `json:"outcome,omitempty"`
	Code         string   `json:"code,omitempty"`
	Method       string   `json:"method,omitempty"`
	Verified     bool     `json:"verified,omitempty"`
	Host         string   `json:"host,omitempty"`
	Software     string   `json:"software,omitempty"`
	Hold         string   `json:"hold,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Text         string   `json:"text,omitempty"`
	Key          string   `json:"key,omitempty"`
}

// ErrNotCanonical is wrapped by Parse for bytes that decode but are not the
// entry's one canonical encoding.
var ErrNotCanonical = errors.New("entry is not in canonical form")

// Marshal returns the canonical bytes of e: compact JSON with the fields in
// the order of the struct, zero fields left out, HTML characters not
// escaped, the time in UTC (RFC 3339 with nanoseconds trimmed), no trailing
// newline. Every entry has exactly one encoding, so its tree hash is stable.
func (e Entry) Marshal() ([]byte, error) {
	if !knownTypes[e.Type] {
		return nil, fmt.Errorf("marshal entry: unknown type %q", e.Type)
	}
	if e.Time.IsZero() {
		return nil, fmt.Errorf("marshal %s entry: time is not set", e.Type)
	}
	w := toWire(e)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&w); err != nil {
		return nil, fmt.Errorf("marshal %s entry: %w", e.Type, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if !utf8.Valid(b) || bytes.Contains(b, []byte(`\ufffd`)) {
		return nil, fmt.Errorf("marshal %s entry: a field is not valid UTF-8", e.Type)
	}
	return b, nil
}

func toWire(e Entry) wireEntry {
	return wireEntry{Type: e.Type, Time: e.Time.UTC().Format(time.RFC3339Nano), Source: e.Source, SourceKind: e.SourceKind,
		Item: e.Item, Container: e.Container, Subject: e.Subject, Size: e.Size, Policy: e.Policy, PolicyDigest: e.PolicyDigest,
		Rule: e.Rule, Period: e.Period, Basis: e.Basis, Anchor: e.Anchor, Due: e.Due, Batch: e.Batch, Plan: e.Plan,
		Items: e.Items, Actor: e.Actor, Role: e.Role, Stage: e.Stage, Approvals: e.Approvals, Outcome: e.Outcome,
		Code: e.Code, Method: e.Method, Verified: e.Verified, Host: e.Host, Software: e.Software, Hold: e.Hold,
		Reason: e.Reason, Text: e.Text, Key: e.Key}
}

// Parse decodes canonical entry bytes. It rejects unknown fields, trailing
// data, and any encoding other than the canonical one (ErrNotCanonical).
func Parse(b []byte) (Entry, error) {
	if !utf8.Valid(b) {
		return Entry{}, fmt.Errorf("parse entry: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireEntry
	if err := dec.Decode(&w); err != nil {
		return Entry{}, fmt.Errorf("parse entry: %w", err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("parse entry: data after the entry")
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("parse entry: time: %w", err)
	}
	e := Entry{Type: w.Type, Time: t, Source: w.Source, SourceKind: w.SourceKind, Item: w.Item, Container: w.Container,
		Subject: w.Subject, Size: w.Size, Policy: w.Policy, PolicyDigest: w.PolicyDigest, Rule: w.Rule, Period: w.Period,
		Basis: w.Basis, Anchor: w.Anchor, Due: w.Due, Batch: w.Batch, Plan: w.Plan, Items: w.Items, Actor: w.Actor,
		Role: w.Role, Stage: w.Stage, Approvals: w.Approvals, Outcome: w.Outcome, Code: w.Code, Method: w.Method,
		Verified: w.Verified, Host: w.Host, Software: w.Software, Hold: w.Hold, Reason: w.Reason, Text: w.Text, Key: w.Key}
	again, err := e.Marshal()
	if err != nil {
		return Entry{}, fmt.Errorf("parse entry: %w", err)
	}
	if !bytes.Equal(again, b) {
		return Entry{}, fmt.Errorf("parse entry: %w", ErrNotCanonical)
	}
	return e, nil
}
