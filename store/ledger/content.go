package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Outcomes are the outcomes a deletion or prune entry may record.
var Outcomes = []string{
	"deleted",          // the item existed at the approved version and is gone
	"absent",           // the item was already gone
	"changed",          // the item changed since it was planned; not touched
	"held",             // the system itself keeps the item (e.g. a litigation hold)
	"failed",           // the deletion failed; Code says why
	"skipped_hold",     // a retentiond hold covers the item; not touched
	"not_due",          // the item was no longer due at execution; not touched
	"skipped_rejected", // the batch was rejected while it ran; not touched
	"archived",         // moved to the archive the policy names
	"pruned",           // a folder the batch emptied was removed
	"withdrawn",        // a plan withdrew the item from the batch before it ran (see TypeWithdrawal); not touched
}

// WithdrawalCodes are why a plan withdrew an item from an open batch
// (TypeWithdrawal's Code).
var WithdrawalCodes = []string{
	"changed",          // the item changed since the batch was cut: the new version is planned anew
	"absent",           // the item is gone
	"held",             // a hold covers it now
	"not_due",          // it is no longer due (a leaving date corrected, a rule changed)
	"kept_by_decision", // a retention decision keeps it
	"excluded",         // an approver took it out of the batch (batches exclude)
}

// DecisionCodes are the kinds of retention decision (TypeRetentionDecision's
// Code).
var DecisionCodes = []string{
	"rejected", // an approver rejected the whole batch: its items are kept until Until
	"excluded", // an approver took one item out of a batch: it is kept until Until
}

// AuthMethods are how a person acting was authenticated (Entry.Auth).
var AuthMethods = []string{
	"os_user",     // the operating-system account running the command is the one configured for the person
	"oidc",        // signed in to the web console with OpenID Connect
	"link",        // signed in to the web console with a one-time link an operator issued for the person
	"trusted_cli", // --as given on the command line, unverified, where the configuration trusts it (cli.trust_as)
	// "typed" is what ledgers written before cli.trust_as recorded for an
	// unverified --as; no build since writes it (such a command is now
	// refused, or recorded trusted_cli), but their entries stay valid.
	"typed",
}

// Codes are the failure codes an entry may record (see package connectors).
var Codes = []string{"other", "not_found", "permission_denied", "unavailable", "invalid", "held_by_system", "cancelled", "io_error", "conflict"}

// Methods are how an item was removed.
var Methods = []string{"delete", "purge", "archive"}

// ContentRules checks what entries mean, in ledger order: every policy
// digest an entry cites resolves to a policy entry earlier in the ledger
// whose text has that digest; every batch is recorded before anything that
// refers to it; nothing is executed or deleted before its batch was
// approved, and the approvers a deletion names approved that batch; an
// execution starts only on a batch fully approved at that point
// (ApprovalProgress: every stage its batch entry records has its count of
// distinct approvers, one of them not the planner, or the batch needs no
// stage and was approved automatically; a batch entry written before batch
// entries recorded stages only needs some approval, as then); no item is
// withdrawn or excluded from a batch whose execution started; outcomes,
// codes and methods are enumerated; key rotations name a key.
// Its memory grows with the number of batches and policy versions, not
// with the number of entries.
type ContentRules struct {
	digests map[string]int64 // policy digest -> index of its policy entry
	batches map[int64]*batchState
	// instructions issued so far, so that acknowledgements refer to one.
	instructions map[string]bool
	// refKeys are the reference key ids entries may use: the first one
	// the ledger uses, and each one a key_rotation entry introduced.
	refKeys []string
}

type batchState struct {
	created   int64
	approvers []string // actor ids; "" for an automatic approval
	approved  bool     // some approval entry exists
	progress  ApprovalProgress
	// rejected is the index of the batch's rejection entry, or -1.
	rejected int64
	// started and ended are the indexes of its execution_started and of
	// its execution_finished or execution_stopped entry, or -1.
	started, ended int64
}

// NewContentRules returns the rules for a ledger read from its first entry.
func NewContentRules() *ContentRules {
	return &ContentRules{digests: map[string]int64{}, batches: map[int64]*batchState{}, instructions: map[string]bool{}}
}

var _ ContentChecker = (*ContentRules)(nil)

// Check implements ContentChecker.
func (r *ContentRules) Check(i int64, e *Entry) string {
	if _, ok := r.digests[e.PolicyDigest]; e.PolicyDigest != "" && e.Type != TypePolicy && !ok {
		return fmt.Sprintf("%s entry cites policy %s with digest %s, which no earlier policy entry carries", e.Type, e.Policy, e.PolicyDigest)
	}
	switch e.Type {
	case TypePolicy:
		if e.Policy == "" || e.Text == "" {
			return "policy entry without a policy id or text"
		}
		sum := sha256.Sum256([]byte(e.Text))
		if want := "sha256:" + hex.EncodeToString(sum[:]); e.PolicyDigest != want {
			return fmt.Sprintf("policy %s: digest %s does not match its text (%s)", e.Policy, e.PolicyDigest, want)
		}
		if _, ok := r.digests[e.PolicyDigest]; !ok {
			r.digests[e.PolicyDigest] = i
		}
	case TypeBatch:
		if e.Batch <= 0 || e.Rule == "" {
			return "batch entry without a batch number or rule"
		}
		if b, ok := r.batches[e.Batch]; ok {
			return fmt.Sprintf("batch %d was already recorded at entry %d", e.Batch, b.created)
		}
		b := &batchState{created: i, rejected: -1, started: -1, ended: -1}
		if err := b.progress.Batch(e); err != nil {
			return fmt.Sprintf("batch %d: %v", e.Batch, err)
		}
		r.batches[e.Batch] = b
	case TypeApproval:
		b, reason := r.batch(e)
		if reason != "" {
			return reason
		}
		if e.Actor == "" && e.Reason == "" {
			return fmt.Sprintf("approval of batch %d names neither an approver nor why none was needed", e.Batch)
		}
		if n := len(b.progress.Stages); e.Actor != "" && n > 0 && (e.Stage < 1 || e.Stage > n) {
			return fmt.Sprintf("approval of batch %d by %s at stage %d: its batch entry records %d stage(s)", e.Batch, e.Actor, e.Stage, n)
		}
		b.approved = true
		b.progress.Approve(e)
		b.approvers = append(b.approvers, e.Actor)
	case TypeRejection, TypeConfirmation:
		b, reason := r.batch(e)
		if reason != "" {
			return reason
		}
		if e.Type == TypeRejection && b.rejected < 0 {
			b.rejected = i
		}
	case TypeExecutionStarted, TypeExecutionFinished, TypeExecutionStopped, TypeDeletion, TypePrune:
		b, reason := r.batch(e)
		if reason != "" {
			return reason
		}
		if !b.approved {
			return fmt.Sprintf("%s entry for batch %d, which no earlier entry approved", e.Type, e.Batch)
		}
		if e.Type == TypeExecutionStarted {
			if st := b.progress.Status(); st != ApprovalComplete && st != ApprovalStagesUnknown {
				return fmt.Sprintf("execution of batch %d started before it was fully approved: %s", e.Batch, b.progress.Missing())
			}
		}
		if reason := b.execution(i, e); reason != "" {
			return reason
		}
		for _, a := range e.Approvals {
			if !slices.Contains(b.approvers, a) {
				return fmt.Sprintf("deletion names approver %q, who did not approve batch %d before it", a, e.Batch)
			}
		}
		if e.Type == TypeDeletion || e.Type == TypePrune {
			if e.Outcome == "" {
				return fmt.Sprintf("%s entry without an outcome", e.Type)
			}
			if (e.Type == TypeDeletion) != (e.Item != "") {
				return fmt.Sprintf("%s entry must name an item reference exactly when it is a deletion", e.Type)
			}
		}
	case TypeWithdrawal:
		b, reason := r.batch(e)
		if reason != "" {
			return reason
		}
		if e.Item == "" || !slices.Contains(WithdrawalCodes, e.Code) {
			return fmt.Sprintf("withdrawal from batch %d must name an item reference and why (one of %s)", e.Batch, strings.Join(WithdrawalCodes, ", "))
		}
		if b.started >= 0 {
			return fmt.Sprintf("withdrawal from batch %d after its execution started at entry %d", e.Batch, b.started)
		}
		e2 := *e
		e2.Code = "" // not a failure code
		return r.rest(&e2)
	case TypeRetentionDecision:
		b, reason := r.batch(e)
		if reason != "" {
			return reason
		}
		if e.Decision == "" || e.Actor == "" || e.Reason == "" || !slices.Contains(DecisionCodes, e.Code) {
			return fmt.Sprintf("retention_decision entry must name its decision id, who decided, why, and its kind (one of %s)", strings.Join(DecisionCodes, ", "))
		}
		if !isDate(e.Until) {
			return fmt.Sprintf("retention_decision %s must say until when (YYYY-MM-DD), not %q", e.Decision, e.Until)
		}
		if (e.Code == "excluded") != (e.Item != "") {
			return fmt.Sprintf("retention_decision %s must name an item reference exactly when it excludes one item", e.Decision)
		}
		if e.Code == "excluded" && b.started >= 0 {
			return fmt.Sprintf("retention_decision %s excludes an item from batch %d after its execution started at entry %d", e.Decision, e.Batch, b.started)
		}
		e2 := *e
		e2.Code = ""
		return r.rest(&e2)
	case TypeDecisionRevoked:
		if e.Decision == "" || e.Actor == "" {
			return "decision_revoked entry must name the decision and who revoked it"
		}
	case TypeEscalation:
		if _, reason := r.batch(e); reason != "" {
			return reason
		}
		if e.Reason == "" {
			return fmt.Sprintf("escalation of batch %d must say to whom", e.Batch)
		}
	case TypeHoldAdded, TypeHoldReleased:
		if e.Hold == "" {
			return fmt.Sprintf("%s entry without a hold id", e.Type)
		}
	case TypeInstruction:
		if e.Instruction == "" || e.Rule == "" || e.Subject == "" || e.Due == "" {
			return "instruction entry without an instruction id, rule, subject reference or due date"
		}
		r.instructions[e.Instruction] = true
	case TypeAcknowledgement:
		if e.Instruction == "" || e.Actor == "" {
			return "acknowledgement entry without an instruction id or the person who recorded it"
		}
		if !r.instructions[e.Instruction] {
			return fmt.Sprintf("acknowledgement of instruction %s, which no earlier entry issued", e.Instruction)
		}
	case TypeInstructionWithdrawn:
		if e.Instruction == "" || e.Rule == "" || e.Subject == "" || e.Due == "" || e.Hold == "" {
			return "instruction_withdrawn entry without an instruction id, rule, subject reference, due date or the hold that withdrew the line"
		}
		if !r.instructions[e.Instruction] {
			return fmt.Sprintf("withdrawal of a line of instruction %s, which no earlier entry issued", e.Instruction)
		}
	case TypeOwnerNotice:
		if e.Item == "" || e.Rule == "" || e.Due == "" || (e.Role != "owner" && e.Role != "operator") {
			return "owner_notice entry must name an item reference, its rule, the first day it may go and who was told (owner or operator)"
		}
	case TypeLedgerStartedOver, TypeLedgerRolledBack:
		c, err := PeekCheckpoint([]byte(e.Text))
		switch {
		case err != nil:
			return fmt.Sprintf("%s entry must hold the previous ledger's last signed checkpoint: %v", e.Type, err)
		case c.N != e.Items || c.N <= 0:
			return fmt.Sprintf("%s entry: its items (%d) must be the size of the checkpoint it holds (%d)", e.Type, e.Items, c.N)
		case e.Actor == "":
			return fmt.Sprintf("%s entry must name who decided it", e.Type)
		case e.Type == TypeLedgerStartedOver && i != 0:
			return fmt.Sprintf("ledger_started_over entry at %d: only the first entry of a ledger may start it over", i)
		case e.Type == TypeLedgerRolledBack && c.N <= i:
			return fmt.Sprintf("ledger_rolled_back entry at %d holds a checkpoint of size %d, which the ledger already reaches: nothing was rolled back", i, c.N)
		}
	case TypeKeyRotation:
		if e.Key == "" || (e.Method != KeySigning && e.Method != KeyReference) {
			return "key rotation entry must name the new key and whether it signs checkpoints or makes references"
		}
		if e.Method == KeyReference {
			if !isKeyID(e.Key) {
				return fmt.Sprintf("reference key rotation names %q, which is not a reference key id", e.Key)
			}
			if !slices.Contains(r.refKeys, e.Key) {
				r.refKeys = append(r.refKeys, e.Key)
			}
		}
		return ""
	}
	return r.rest(e)
}

// rest checks what every entry must satisfy: its references use a known
// key, and its outcome, code, method and authentication are enumerated.
func (r *ContentRules) rest(e *Entry) string {
	if reason := r.refKeysOf(e); reason != "" {
		return reason
	}
	if e.Auth != "" && !slices.Contains(AuthMethods, e.Auth) {
		return fmt.Sprintf("authentication %q is not one of the enumerated methods", e.Auth)
	}
	if e.Outcome != "" && !slices.Contains(Outcomes, e.Outcome) {
		return fmt.Sprintf("outcome %q is not one of the enumerated outcomes", e.Outcome)
	}
	if e.Code != "" && !slices.Contains(Codes, e.Code) {
		return fmt.Sprintf("code %q is not one of the enumerated failure codes", e.Code)
	}
	if e.Method != "" && !slices.Contains(Methods, e.Method) {
		return fmt.Sprintf("method %q is not one of the enumerated methods", e.Method)
	}
	return ""
}

// isDate reports whether s is a civil date YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// PolicyEntry returns the index of the first policy entry with digest.
func (r *ContentRules) PolicyEntry(digest string) (int64, bool) {
	i, ok := r.digests[digest]
	return i, ok
}

func (r *ContentRules) batch(e *Entry) (*batchState, string) {
	if e.Batch <= 0 {
		return nil, fmt.Sprintf("%s entry without a batch number", e.Type)
	}
	b, ok := r.batches[e.Batch]
	if !ok {
		return nil, fmt.Sprintf("%s entry for batch %d, which no earlier batch entry records", e.Type, e.Batch)
	}
	return b, ""
}

// execution checks the order of a batch's execution entries: one
// execution, never started after the batch was rejected, and ended after
// a rejection only by execution_stopped. Deletion and prune entries may
// follow a rejection: the chunk that was in flight when the batch was
// rejected completes and is recorded.
func (b *batchState) execution(i int64, e *Entry) string {
	switch e.Type {
	case TypeExecutionStarted:
		if b.rejected >= 0 {
			return fmt.Sprintf("execution of batch %d started after its rejection at entry %d: a rejected batch must never be executed", e.Batch, b.rejected)
		}
		if b.started >= 0 {
			return fmt.Sprintf("second execution of batch %d: its execution already started at entry %d", e.Batch, b.started)
		}
		b.started = i
	case TypeExecutionFinished, TypeExecutionStopped:
		if b.started < 0 {
			return fmt.Sprintf("%s entry for batch %d, whose execution never started", e.Type, e.Batch)
		}
		if b.ended >= 0 {
			return fmt.Sprintf("second end of the execution of batch %d: it already ended at entry %d", e.Batch, b.ended)
		}
		if e.Type == TypeExecutionFinished && b.rejected >= 0 {
			return fmt.Sprintf("execution of batch %d finished after its rejection at entry %d: an execution that runs into a rejection must stop (execution_stopped)", e.Batch, b.rejected)
		}
		if e.Type == TypeExecutionStopped && e.Reason == "" {
			return fmt.Sprintf("execution_stopped entry for batch %d without a reason", e.Batch)
		}
		b.ended = i
	}
	return ""
}

// refKeysOf checks the key ids of the references an entry holds: the
// first one the ledger uses is its initial reference key, and every other
// one must have been introduced by an earlier key_rotation entry. A
// reference key swapped in without a rotation makes references nobody
// can answer for with the keys the ledger names.
func (r *ContentRules) refKeysOf(e *Entry) string {
	for _, ref := range [...]string{e.Item, e.Container, e.Subject, e.Identity} {
		if ref == "" {
			continue
		}
		id := ref[3:11] // h1:<key id>:<mac>; Marshal and Parse checked the form
		if slices.Contains(r.refKeys, id) {
			continue
		}
		if len(r.refKeys) == 0 {
			r.refKeys = append(r.refKeys, id)
			continue
		}
		return fmt.Sprintf("%s entry uses reference key %s, which no key_rotation entry introduced (the ledger's reference keys are %s): the reference key was replaced without a rotation; restore the right references.key from backup, or rotate it with 'retentiond ledger rotate-key --references'",
			e.Type, id, strings.Join(r.refKeys, ", "))
	}
	return ""
}

// Stage is one stage of a batch's approval as its batch entry records it
// (Entry.Stages): Count distinct people of Group must approve.
type Stage struct {
	Group string
	Count int
}

// ParseStages reads the Stages of a batch entry: "group:count" tokens, in
// order, count a positive integer.
func ParseStages(tokens []string) ([]Stage, error) {
	out := make([]Stage, 0, len(tokens))
	for _, t := range tokens {
		i := strings.LastIndexByte(t, ':')
		if i <= 0 {
			return nil, fmt.Errorf("stage %q is not group:count", t)
		}
		n, err := strconv.Atoi(t[i+1:])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("stage %q is not group:count with a positive count", t)
		}
		out = append(out, Stage{Group: t[:i], Count: n})
	}
	return out, nil
}

// ApprovalStatus is how far a batch's approval got, as its ledger entries
// show it.
type ApprovalStatus int

const (
	// ApprovalNone: no approval entry.
	ApprovalNone ApprovalStatus = iota
	// ApprovalPartial: approvals by people, but not every recorded stage
	// has its count of distinct approvers, or only the batch's planner
	// approved.
	ApprovalPartial
	// ApprovalComplete: every stage the batch entry records has its count
	// of distinct approvers and one of them is not the planner; or the
	// batch entry records no stages and an automatic approval ("automatic:
	// …", no person) approved it.
	ApprovalComplete
	// ApprovalStagesUnknown: approvals by people of a batch whose entry
	// records no stages (written before batch entries carried them) or
	// lies outside the entries read: the ledger alone cannot tell whether
	// every stage was complete.
	ApprovalStagesUnknown
)

// ApprovalProgress follows one batch's approval through its batch entry
// (Batch) and its approval entries (Approve), the way the scheduler decides
// that a batch is approved: every stage i has at least its count of
// distinct approvers with approval entries for stage i, and at least one
// approver is someone other than the planner (the batch entry's Actor).
// Approvals are not matched against the plan fingerprint: an approval of a
// set of items covers every subset that withdrawals leave.
type ApprovalProgress struct {
	Recorded  bool    // the batch entry was read
	Planner   string  // the batch entry's Actor
	Stages    []Stage // the batch entry's Stages
	Automatic bool    // an approval entry approved it with no person ("automatic: …")
	people    [][]string
	anyPerson bool
}

// Batch reads the batch's batch entry.
func (a *ApprovalProgress) Batch(e *Entry) error {
	st, err := ParseStages(e.Stages)
	if err != nil {
		return err
	}
	a.Recorded, a.Planner, a.Stages = true, e.Actor, st
	a.people = make([][]string, len(st))
	return nil
}

// IsAutomatic reports whether e is an automatic approval: no person, and a
// reason starting with "automatic".
func IsAutomatic(e *Entry) bool {
	return e.Type == TypeApproval && e.Actor == "" && strings.HasPrefix(e.Reason, "automatic")
}

// Approve reads one of the batch's approval entries.
func (a *ApprovalProgress) Approve(e *Entry) {
	switch {
	case IsAutomatic(e):
		a.Automatic = true
	case e.Actor == "":
		// Names nobody and is not automatic: it approves nothing.
	default:
		a.anyPerson = true
		if e.Stage >= 1 && e.Stage <= len(a.people) && !slices.Contains(a.people[e.Stage-1], e.Actor) {
			a.people[e.Stage-1] = append(a.people[e.Stage-1], e.Actor)
		}
	}
}

// Status says how far the approval got.
func (a *ApprovalProgress) Status() ApprovalStatus {
	switch {
	case len(a.Stages) > 0:
		if a.complete() {
			return ApprovalComplete
		}
		if a.anyPerson || a.Automatic {
			return ApprovalPartial
		}
		return ApprovalNone
	case a.anyPerson:
		return ApprovalStagesUnknown
	case a.Automatic:
		return ApprovalComplete
	}
	return ApprovalNone
}

func (a *ApprovalProgress) complete() bool {
	others := false
	for i, s := range a.Stages {
		if len(a.people[i]) < s.Count {
			return false
		}
		for _, p := range a.people[i] {
			others = others || p != a.Planner
		}
	}
	return others
}

// Missing says, for a batch whose recorded stages are not all complete,
// what is missing: the first stage short of approvers, or an approver
// other than the planner.
func (a *ApprovalProgress) Missing() string {
	if len(a.Stages) == 0 {
		return "nobody approved it"
	}
	for i, s := range a.Stages {
		if n := len(a.people[i]); n < s.Count {
			return fmt.Sprintf("stage %d (%s) has %d of %d approval(s)", i+1, s.Group, n, s.Count)
		}
	}
	if !a.complete() {
		return fmt.Sprintf("only its planner %s approved it", a.Planner)
	}
	return ""
}
