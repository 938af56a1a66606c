// Package summary makes the human summary of a ledger export: per rule and
// month, how many items were deleted, already gone, failed, held or
// skipped, and how many bytes were deleted; how many batches were fully
// or partially approved, rejected or superseded; which items were withdrawn
// from open batches or excluded, the retention decisions, their
// revocations and the escalations; every batch with who planned and
// approved it, at which stage and when, and when it was executed; holds,
// policy versions and key rotations. It writes that as CSV
// (WriteCSV) and as an A4 PDF report (WritePDF) that a data protection
// officer can attach to the annual review.
//
// The summary is not evidence and says so (Notice): it is computed from the
// signed entries, which are. It is derived from ledger entries only, and it
// carries no reference to an item, a folder or a data subject (Entry.Item,
// Container and Subject are never read), and no free text an operator typed
// (Entry.Reason is read only to tell an automatic approval and to show to
// whom an escalation offered a batch, which retentiond writes; Text is
// never read; Entry.Identity, the keyed reference of a sign-in, only to
// count distinct identities): only counts, sizes, policy, rule, batch and
// hold ids, policy digests, key ids, the configured ids of the people who
// acted and how they were authenticated.
//
// A Summary reads entries one at a time, in ledger order (Add). Its memory
// grows with the rules × months that had activity, with the batches, and
// with the holds, policy versions, key rotations and signed-in identities
// of the period: never with the number of deletion entries.
package summary

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// DefaultLocation is the time zone New uses when given none.
const DefaultLocation = "Europe/Copenhagen"

// Notice is the statement every summary carries: the PDF on its first page
// and in every page's footer.
const Notice = "This summary is not authoritative; the signed entries.jsonl and checkpoints are. " +
	"Verify with `retentiond ledger verify`."

// Counts are the deletion entries of a rule in a month, or of a batch, by
// outcome.
type Counts struct {
	Deleted      int64 // outcome "deleted": the item is gone
	Absent       int64 // outcome "absent": the item was already gone
	Failed       int64 // outcome "failed"; FailureCodes says why
	Held         int64 // outcome "held": the system itself keeps the item (e.g. a litigation hold)
	SkippedHold  int64 // outcome "skipped_hold": a retentiond hold covers the item; not touched
	Changed      int64 // outcome "changed": changed since it was planned; not touched
	NotDue       int64 // outcome "not_due": no longer due at execution; not touched
	Archived     int64 // outcome "archived": moved to the archive the policy names
	Withdrawn    int64 // outcome "withdrawn": a plan had withdrawn the item from the batch before it ran; not touched
	Pruned       int64 // prune entries: folders the batch emptied and removed
	BytesDeleted int64 // the sum of Entry.Size over the "deleted" entries
	// FailureCodes counts the failed entries by Entry.Code ("" where an
	// entry has none). It is nil when nothing failed.
	FailureCodes map[string]int64
}

// Entries is the number of deletion entries counted (prunes excluded).
func (c *Counts) Entries() int64 {
	return c.Deleted + c.Absent + c.Failed + c.Held + c.SkippedHold + c.Changed + c.NotDue + c.Archived + c.Withdrawn
}

func (c *Counts) add(e *ledger.Entry) {
	switch e.Outcome {
	case "deleted":
		c.Deleted++
		c.BytesDeleted += max(e.Size, 0)
	case "absent":
		c.Absent++
	case "failed":
		c.Failed++
		if c.FailureCodes == nil {
			c.FailureCodes = map[string]int64{}
		}
		c.FailureCodes[e.Code]++
	case "held":
		c.Held++
	case "skipped_hold":
		c.SkippedHold++
	case "changed":
		c.Changed++
	case "not_due":
		c.NotDue++
	case "archived":
		c.Archived++
	case "withdrawn":
		c.Withdrawn++
	}
}

func (c *Counts) merge(o *Counts) {
	c.Deleted += o.Deleted
	c.Absent += o.Absent
	c.Failed += o.Failed
	c.Held += o.Held
	c.SkippedHold += o.SkippedHold
	c.Changed += o.Changed
	c.NotDue += o.NotDue
	c.Archived += o.Archived
	c.Withdrawn += o.Withdrawn
	c.Pruned += o.Pruned
	c.BytesDeleted += o.BytesDeleted
	for code, n := range o.FailureCodes {
		if c.FailureCodes == nil {
			c.FailureCodes = map[string]int64{}
		}
		c.FailureCodes[code] += n
	}
}

func (c Counts) clone() Counts {
	c.FailureCodes = maps.Clone(c.FailureCodes)
	return c
}

// Row is one rule in one month: what its deletion entries recorded and
// what happened to its batches.
type Row struct {
	Policy  string   // policy id (Entry.Policy)
	Rule    string   // rule id (Entry.Rule)
	Digests []string // short forms (ShortDigest) of the policy versions the month's entries cite, sorted
	Month   string   // YYYY-MM, in the summary's time zone

	Counts

	BatchesPlanned int64 // batch entries
	// BatchesFullyApproved are the batches whose approval became complete
	// this month (ledger.ApprovalComplete: every stage their batch entry
	// records has its count of distinct approvers, one of them not the
	// planner; or approved automatically), counted in the month of the
	// approval entry that completed it.
	BatchesFullyApproved int64
	// BatchesPartiallyApproved are the batches approved by people whose
	// approval the period's entries do not show complete, counted in the
	// month of their latest approval: a stage short of approvers, only
	// the planner, or stages not recorded and never executed.
	BatchesPartiallyApproved int64
	// BatchesApprovedStagesUnrecorded are the batches approved by people
	// whose batch entry records no stages (written before batch entries
	// carried them, or planned before the period) and whose execution
	// started, counted in the month of their latest approval: retentiond
	// executes only approved batches, but the ledger alone cannot show
	// that every stage was complete.
	BatchesApprovedStagesUnrecorded int64
	AutomaticApprovals              int64    // approval entries with no person: the rule needs no approval
	BatchesRejected                 int64    // rejection entries naming the person who rejected
	BatchesSuperseded               int64    // rejection entries naming nobody: a later plan replaced the batch
	BatchesExecuted                 int64    // execution_finished entries
	OwnersTold                      int64    // owner_notice entries: items whose owner (or the operators) were told ahead
	Approvers                       []string // ids of the people who approved the rule's batches this month, sorted

	ItemsWithdrawn int64 // withdrawal entries: items a plan withdrew from an open batch
	// WithdrawalCodes counts the withdrawal entries by Entry.Code (one of
	// ledger.WithdrawalCodes). It is nil when nothing was withdrawn.
	WithdrawalCodes        map[string]int64
	BatchesWithWithdrawals int64 // batches whose first withdrawal entry in the period falls in this month
	BatchesWithdrawn       int64 // batches whose every planned item was withdrawn or excluded, in the month of the last
	ItemsExcluded          int64 // retention_decision entries with code excluded: an approver took the item out of its batch
	DecisionsRejected      int64 // retention_decision entries with code rejected: a batch's items kept until a date
	ItemsKeptByRejection   int64 // the items those decisions keep (their Items)
	DecisionsRevoked       int64 // decision_revoked entries
	Escalations            int64 // escalation entries: a batch that waited too long offered to a fallback group

	// Decided counts the decisions people took under the rule that month
	// (ledger.Decision: approvals and rejections by a person, exclusions,
	// confirmations, holds placed or released, revocations) by how the
	// person was authenticated (Entry.Auth, one of ledger.AuthMethods; ""
	// for entries written before entries recorded it). Holds, which
	// concern no rule, count in the month's row with no policy and rule,
	// as do revocations of decisions made before the period. Nil when
	// nobody decided.
	Decided map[string]int64
	// Identities is how many distinct identities (Entry.Identity: the
	// keyed reference of a sign-in's issuer and subject) took the
	// verified ones among those decisions. The references themselves are
	// never shown.
	Identities int64
}

// DecisionsTaken is the number of decisions Decided counts.
func (r *Row) DecisionsTaken() int64 {
	var n int64
	for _, c := range r.Decided {
		n += c
	}
	return n
}

// DecisionsVerified is the number of decisions Decided counts whose
// authentication verified who took them (ledger.VerifiedAuth: os_user,
// oidc, link).
func (r *Row) DecisionsVerified() int64 {
	var n int64
	for m, c := range r.Decided {
		if ledger.Verified(m) {
			n += c
		}
	}
	return n
}

// Batch is one batch and what the period's entries say happened to it.
type Batch struct {
	ID      int64
	Policy  string
	Rule    string
	Source  string // configured source name
	Digest  string // short form of the policy version it was planned under
	Items   int64  // items planned
	Bytes   int64  // bytes planned
	Planned time.Time
	Planner string // who planned it; "" for the scheduler

	ConfirmedBy string // operator who confirmed a batch the size guard held
	Confirmed   time.Time

	Approvals []Approval // in ledger order
	// Stages are the stages its batch entry records ("group:count");
	// none for a rule that needs no approval or a batch entry written
	// before batch entries recorded them.
	Stages []string
	// Approval is how far its approval got by the period's entries.
	Approval ledger.ApprovalStatus

	RejectedBy string // who rejected it; "" if nobody did
	Rejected   time.Time
	Superseded time.Time // when a later plan replaced it; zero if none did

	StartedBy string // who executed it
	Started   time.Time
	Finished  time.Time
	// Stopped is when its execution was stopped before the end (after a
	// rejection, say), with StopReason; zero if it was not.
	Stopped    time.Time
	StopReason string

	Outcomes Counts // its deletion and prune entries in the period

	Withdrawn   int64  // withdrawal entries: items a plan withdrew from it
	Excluded    int64  // items an approver excluded (retention_decision, excluded)
	KeptUntil   string // the date a rejection decision keeps its items until; "" if none
	Escalated   time.Time
	EscalatedTo string // the escalation entry's reason: to whom it was offered
}

// Approval is one approval entry of a batch.
type Approval struct {
	By        string // person id; "" for an automatic approval
	Stage     int    // 1-based; 0 for an automatic approval
	At        time.Time
	Automatic bool // no person: the rule needs no approval ("automatic: ..." reason)
}

// Hold is a hold placed or released in the period.
type Hold struct {
	ID         string
	Source     string // "" for every source
	PlacedBy   string
	Placed     time.Time // zero: placed before the period
	Until      string    // civil date the hold ends by itself; "" for none
	ReleasedBy string
	Released   time.Time // zero: not released in the period
}

// Instruction is a deletion instruction for a system without a deletion
// API: how many lines (person and category) it had and who confirmed it
// was carried out. The people are not shown: the ledger names them only by
// references.
type Instruction struct {
	ID          string
	Lines       int64 // lines issued in the period
	Withdrawn   int64 // of its lines, those a hold withdrew in the period
	FirstDue    string
	IssuedBy    string
	Issued      time.Time // zero: issued before the period
	System      string    // from the entries' text, "" if none
	ConfirmedBy string    // the operator who recorded the confirmation
	CarriedOut  string    // who carried it out, as recorded
	Confirmed   time.Time // zero: not confirmed in the period
}

// PolicyVersion is a policy text that came into force.
type PolicyVersion struct {
	At     time.Time
	Policy string
	Digest string // "sha256:<hex>", as the entry gives it
}

// KeyRotation is a new signing or reference key taking over.
type KeyRotation struct {
	At      time.Time
	Kind    string // ledger.KeySigning or ledger.KeyReference
	KeyID   string // the new key's id; "" if the entry's key cannot be read
	By      string
	Overlap string // how long the old signing key still signs, e.g. "P7D"
}

type rowKey struct{ policy, rule, month string }

type row struct {
	Row
	digests    map[string]struct{}
	approvers  map[string]struct{}
	identities map[string]struct{} // Entry.Identity of verified decisions
}

// approvalCount is which approval count of a row counts a batch.
type approvalCount int

const (
	countedNone approvalCount = iota
	countedFull
	countedPartial
	countedUnrecorded
)

type batch struct {
	Batch
	progress ledger.ApprovalProgress
	counted  approvalCount // which count of row countedIn counts it
	// countedIn is the row counting it in counted; lastApproval the row
	// of its latest approval entry.
	countedIn, lastApproval rowKey
	// takenOut counts the items taken out of it: withdrawal entries but
	// those with code excluded, and exclusion decisions (an exclusion may
	// be recorded as both, or as a decision only).
	takenOut     int64
	withdrawnAll bool // counted in BatchesWithdrawn
}

// Summary accumulates ledger entries. The zero value is not usable: call
// New.
type Summary struct {
	loc        *time.Location
	rows       map[rowKey]*row
	batches    map[int64]*batch
	holds      map[string]*Hold
	holdOrder  []string
	instr      map[string]*Instruction
	instrOrder []string
	policies   []PolicyVersion
	rotations  []KeyRotation
	rulePolicy map[string]string   // rule id -> the policy id entries last gave it
	decisions  map[string]rowKey   // retention decision id -> its policy and rule
	identities map[string]struct{} // Entry.Identity of every verified decision

	entries     int64 // entries added
	first, last int64 // their ledger indexes
}

// New returns an empty summary that counts months in loc. A nil loc means
// DefaultLocation (Europe/Copenhagen), or UTC on a machine that has no
// time zone database; Location says which.
func New(loc *time.Location) *Summary {
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(DefaultLocation); err != nil {
			loc = time.UTC
		}
	}
	return &Summary{loc: loc, rows: map[rowKey]*row{}, batches: map[int64]*batch{}, holds: map[string]*Hold{},
		instr: map[string]*Instruction{}, rulePolicy: map[string]string{}, decisions: map[string]rowKey{},
		identities: map[string]struct{}{}}
}

// Location is the time zone whose calendar months the summary counts.
func (s *Summary) Location() *time.Location { return s.loc }

// Add counts entry e, which is entry index of the ledger. Entries must come
// in ledger order, as they were appended.
func (s *Summary) Add(index int64, e ledger.Entry) {
	if s.entries == 0 {
		s.first = index
	}
	s.last = index
	s.entries++
	shown(&e)
	month := e.Time.In(s.loc).Format("2006-01")
	if e.Policy != "" && e.Rule != "" {
		s.rulePolicy[e.Rule] = e.Policy
	}
	switch e.Type {
	case ledger.TypeDeletion, ledger.TypePrune:
		b := s.batchOf(&e)
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		r.digest(e.PolicyDigest)
		var c *Counts
		if b != nil {
			c = &b.Outcomes
		}
		if e.Type == ledger.TypePrune {
			r.Pruned++
			if c != nil {
				c.Pruned++
			}
			break
		}
		r.add(&e)
		if c != nil {
			c.add(&e)
		}
	case ledger.TypeBatch:
		b := s.batchOf(&e)
		if b == nil {
			break
		}
		b.Policy, b.Rule, b.Source, b.Digest = e.Policy, e.Rule, e.Source, ShortDigest(e.PolicyDigest)
		b.Items, b.Bytes, b.Planned, b.Planner = e.Items, e.Size, e.Time, e.Actor
		if err := b.progress.Batch(&e); err == nil {
			b.Stages = slices.Clone(e.Stages)
		}
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		r.digest(e.PolicyDigest)
		r.BatchesPlanned++
	case ledger.TypeApproval:
		b := s.batchOf(&e)
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		a := Approval{By: e.Actor, Stage: e.Stage, At: e.Time, Automatic: e.Actor == "" && strings.HasPrefix(e.Reason, "automatic")}
		switch {
		case a.Automatic:
			r.AutomaticApprovals++
		case a.By != "":
			if r.approvers == nil {
				r.approvers = map[string]struct{}{}
			}
			r.approvers[a.By] = struct{}{}
		}
		if b == nil {
			break
		}
		b.Approvals = append(b.Approvals, a)
		b.progress.Approve(&e)
		k := rowKey{r.Policy, r.Rule, r.Month}
		b.lastApproval = k
		switch b.progress.Status() {
		case ledger.ApprovalComplete:
			if b.counted != countedFull {
				s.count(b, countedFull, k)
			}
		case ledger.ApprovalPartial:
			s.count(b, countedPartial, k)
		case ledger.ApprovalStagesUnknown:
			if b.Started.IsZero() && b.Finished.IsZero() && b.Stopped.IsZero() {
				s.count(b, countedPartial, k)
			} else {
				s.count(b, countedUnrecorded, k)
			}
		}
	case ledger.TypeRejection:
		b := s.batchOf(&e)
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		if e.Actor == "" {
			r.BatchesSuperseded++
		} else {
			r.BatchesRejected++
		}
		if b != nil {
			if e.Actor == "" {
				b.Superseded = e.Time
			} else {
				b.RejectedBy, b.Rejected = e.Actor, e.Time
			}
		}
	case ledger.TypeConfirmation:
		if b := s.batchOf(&e); b != nil {
			b.ConfirmedBy, b.Confirmed = e.Actor, e.Time
		}
	case ledger.TypeExecutionStarted:
		if b := s.batchOf(&e); b != nil {
			b.StartedBy, b.Started = e.Actor, e.Time
			s.executed(b)
		}
	case ledger.TypeExecutionFinished:
		b := s.batchOf(&e)
		s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month).BatchesExecuted++
		if b != nil {
			b.Finished = e.Time
			if b.StartedBy == "" {
				b.StartedBy = e.Actor
			}
			s.executed(b)
		}
	case ledger.TypeExecutionStopped:
		if b := s.batchOf(&e); b != nil {
			b.Stopped, b.StopReason = e.Time, e.Reason
			s.executed(b)
		}
	case ledger.TypeWithdrawal:
		b := s.batchOf(&e)
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		r.ItemsWithdrawn++
		if r.WithdrawalCodes == nil {
			r.WithdrawalCodes = map[string]int64{}
		}
		r.WithdrawalCodes[e.Code]++
		if b == nil {
			break
		}
		if b.Withdrawn++; b.Withdrawn == 1 {
			r.BatchesWithWithdrawals++
		}
		if e.Code != "excluded" {
			b.takeOut(r)
		}
	case ledger.TypeRetentionDecision:
		b := s.batchOf(&e)
		r := s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month)
		if e.Decision != "" {
			s.decisions[e.Decision] = rowKey{policy: r.Policy, rule: r.Rule}
		}
		switch e.Code {
		case "excluded":
			r.ItemsExcluded++
			if b != nil {
				b.Excluded++
				b.takeOut(r)
			}
		case "rejected":
			r.DecisionsRejected++
			r.ItemsKeptByRejection += max(e.Items, 0)
			if b != nil {
				b.KeptUntil = e.Until
			}
		}
	case ledger.TypeDecisionRevoked:
		s.revocationRow(&e, month).DecisionsRevoked++
	case ledger.TypeEscalation:
		b := s.batchOf(&e)
		s.row(s.policyOf(&e, b), s.ruleOf(&e, b), month).Escalations++
		if b != nil {
			b.Escalated, b.EscalatedTo = e.Time, e.Reason
		}
	case ledger.TypeOwnerNotice:
		s.row(s.policyOf(&e, nil), e.Rule, month).OwnersTold++
	case ledger.TypeHoldAdded:
		h := s.hold(e.Hold)
		h.Source, h.PlacedBy, h.Placed, h.Until = e.Source, e.Actor, e.Time, e.Due
	case ledger.TypeHoldReleased:
		h := s.hold(e.Hold)
		h.ReleasedBy, h.Released = e.Actor, e.Time
	case ledger.TypeInstruction:
		in := s.instruction(e.Instruction)
		in.Lines++
		if in.Issued.IsZero() {
			in.Issued, in.IssuedBy = e.Time, e.Actor
		}
		if in.FirstDue == "" || e.Due < in.FirstDue {
			in.FirstDue = e.Due
		}
		if sys, ok := strings.CutPrefix(e.Text, "system "); ok {
			in.System, _, _ = strings.Cut(sys, ";")
		}
	case ledger.TypeInstructionWithdrawn:
		s.instruction(e.Instruction).Withdrawn++
	case ledger.TypeAcknowledgement:
		in := s.instruction(e.Instruction)
		in.ConfirmedBy, in.Confirmed = e.Actor, e.Time
		in.CarriedOut = strings.TrimPrefix(e.Reason, "carried out by ")
	case ledger.TypePolicy:
		s.policies = append(s.policies, PolicyVersion{At: e.Time, Policy: e.Policy, Digest: e.PolicyDigest})
	case ledger.TypeKeyRotation:
		s.rotations = append(s.rotations, KeyRotation{At: e.Time, Kind: e.Method, KeyID: keyID(e.Method, e.Key), By: e.Actor, Overlap: e.Period})
	}
	if ledger.Decision(&e) {
		s.decided(&e, month)
	}
}

// revocationRow is the row a decision_revoked entry counts in: its rule's,
// or that of the decision it revokes.
func (s *Summary) revocationRow(e *ledger.Entry, month string) *row {
	b := s.batchOf(e)
	policy, rule := s.policyOf(e, b), s.ruleOf(e, b)
	if d, ok := s.decisions[e.Decision]; ok && rule == "" {
		policy, rule = d.policy, d.rule
	}
	return s.row(policy, rule, month)
}

// decided counts decision e (ledger.Decision) by its authentication, in
// its rule's row; a hold's in the month's row with no rule.
func (s *Summary) decided(e *ledger.Entry, month string) {
	var r *row
	switch e.Type {
	case ledger.TypeHoldAdded, ledger.TypeHoldReleased:
		r = s.row("", "", month)
	case ledger.TypeDecisionRevoked:
		r = s.revocationRow(e, month)
	default:
		b := s.batchOf(e)
		r = s.row(s.policyOf(e, b), s.ruleOf(e, b), month)
	}
	if r.Decided == nil {
		r.Decided = map[string]int64{}
	}
	r.Decided[e.Auth]++
	if e.Identity != "" && ledger.Verified(e.Auth) {
		if r.identities == nil {
			r.identities = map[string]struct{}{}
		}
		r.identities[e.Identity] = struct{}{}
		s.identities[e.Identity] = struct{}{}
	}
}

// Authentication returns the decisions people took in the period by how
// they were authenticated (Row.Decided, summed over the rows), and how
// many distinct identities took the verified ones.
func (s *Summary) Authentication() (decided map[string]int64, identities int64) {
	decided = map[string]int64{}
	for _, r := range s.rows {
		for m, n := range r.Decided {
			decided[m] += n
		}
	}
	return decided, int64(len(s.identities))
}

// shown escapes every text of e the summary may show (safetext.Name), so
// that what a bundle's entries say is shown as data in the PDF and the CSV,
// never as layout: a control or bidi character becomes visible.
func shown(e *ledger.Entry) {
	for _, f := range []*string{&e.Source, &e.Policy, &e.PolicyDigest, &e.Rule, &e.Period, &e.Due, &e.Actor,
		&e.Outcome, &e.Code, &e.Method, &e.Hold, &e.Instruction, &e.Reason, &e.Text, &e.Key, &e.Until, &e.Decision} {
		*f = safetext.Name(*f)
	}
	if len(e.Stages) > 0 {
		e.Stages = slices.Clone(e.Stages) // the caller's entry stays as it was
		for i := range e.Stages {
			e.Stages[i] = safetext.Name(e.Stages[i])
		}
	}
}

// batchOf returns the batch e names, made on first mention: a batch planned
// before the period is known only by what later entries say.
func (s *Summary) batchOf(e *ledger.Entry) *batch {
	if e.Batch == 0 {
		return nil
	}
	b, ok := s.batches[e.Batch]
	if !ok {
		b = &batch{Batch: Batch{ID: e.Batch, Rule: e.Rule, Policy: e.Policy, Source: e.Source}}
		s.batches[e.Batch] = b
	}
	if b.Rule == "" {
		b.Rule = e.Rule
	}
	if b.Policy == "" {
		b.Policy = cmp.Or(e.Policy, s.rulePolicy[b.Rule])
	}
	if b.Source == "" {
		b.Source = e.Source
	}
	if b.Digest == "" {
		b.Digest = ShortDigest(e.PolicyDigest)
	}
	return b
}

func (s *Summary) ruleOf(e *ledger.Entry, b *batch) string {
	if e.Rule == "" && b != nil {
		return b.Rule
	}
	return e.Rule
}

// policyOf is the policy of e's rule: e's own, its batch's, or the one the
// rule had in earlier entries (approval and execution entries name none).
func (s *Summary) policyOf(e *ledger.Entry, b *batch) string {
	if e.Policy != "" {
		return e.Policy
	}
	if b != nil && b.Policy != "" {
		return b.Policy
	}
	return s.rulePolicy[s.ruleOf(e, b)]
}

// takeOut counts an item taken out of b in row r; r counts b as withdrawn
// when no planned item is left.
func (b *batch) takeOut(r *row) {
	b.takenOut++
	if !b.withdrawnAll && b.Items > 0 && b.takenOut >= b.Items {
		b.withdrawnAll = true
		r.BatchesWithdrawn++
	}
}

// executed notes that batch b's execution started (its start or end is
// in the period): a batch whose stages are not recorded then counts as
// approved with stages not recorded, in the month of its latest approval.
func (s *Summary) executed(b *batch) {
	if b.counted == countedPartial && b.progress.Status() == ledger.ApprovalStagesUnknown {
		s.count(b, countedUnrecorded, b.lastApproval)
	}
}

// count moves batch b's approval count to count how in row k.
func (s *Summary) count(b *batch, how approvalCount, k rowKey) {
	if b.counted == how && b.countedIn == k {
		return
	}
	if old, ok := s.rows[b.countedIn]; ok {
		*old.approvalCount(b.counted)--
	}
	b.counted, b.countedIn = how, k
	*s.rows[k].approvalCount(how)++
}

func (r *row) approvalCount(how approvalCount) *int64 {
	switch how {
	case countedFull:
		return &r.BatchesFullyApproved
	case countedPartial:
		return &r.BatchesPartiallyApproved
	case countedUnrecorded:
		return &r.BatchesApprovedStagesUnrecorded
	}
	var discard int64
	return &discard
}

func (s *Summary) row(policy, rule, month string) *row {
	k := rowKey{policy, rule, month}
	r, ok := s.rows[k]
	if !ok {
		r = &row{Row: Row{Policy: policy, Rule: rule, Month: month}}
		s.rows[k] = r
	}
	return r
}

func (r *row) digest(d string) {
	if d == "" {
		return
	}
	if r.digests == nil {
		r.digests = map[string]struct{}{}
	}
	r.digests[ShortDigest(d)] = struct{}{}
}

func (s *Summary) hold(id string) *Hold {
	h, ok := s.holds[id]
	if !ok {
		h = &Hold{ID: id}
		s.holds[id] = h
		s.holdOrder = append(s.holdOrder, id)
	}
	return h
}

func (s *Summary) instruction(id string) *Instruction {
	in, ok := s.instr[id]
	if !ok {
		in = &Instruction{ID: id}
		s.instr[id] = in
		s.instrOrder = append(s.instrOrder, id)
	}
	return in
}

// Instructions returns the deletion instructions issued or confirmed in the
// period, in ledger order.
func (s *Summary) Instructions() []Instruction {
	out := make([]Instruction, 0, len(s.instrOrder))
	for _, id := range s.instrOrder {
		out = append(out, *s.instr[id])
	}
	return out
}

// Rows returns one row per rule and month that had activity, sorted by
// policy, rule and month. A rule whose early entries in the period named
// no policy (approvals of a batch planned before the period) is counted
// under the policy later entries give it.
func (s *Summary) Rows() []Row {
	merged := map[rowKey]*Row{}
	digests := map[rowKey]map[string]struct{}{}
	approvers := map[rowKey]map[string]struct{}{}
	identities := map[rowKey]map[string]struct{}{}
	for k, r := range s.rows {
		if k.policy == "" {
			k.policy = s.rulePolicy[k.rule]
		}
		m, ok := merged[k]
		if !ok {
			m = &Row{Policy: k.policy, Rule: k.rule, Month: k.month}
			merged[k] = m
			digests[k], approvers[k], identities[k] = map[string]struct{}{}, map[string]struct{}{}, map[string]struct{}{}
		}
		m.merge(&r.Row)
		maps.Copy(digests[k], r.digests)
		maps.Copy(approvers[k], r.approvers)
		maps.Copy(identities[k], r.identities)
	}
	out := make([]Row, 0, len(merged))
	for k, m := range merged {
		m.Digests = slices.Sorted(maps.Keys(digests[k]))
		m.Approvers = slices.Sorted(maps.Keys(approvers[k]))
		m.Identities = int64(len(identities[k]))
		if m.empty() {
			continue // a month whose only approval was followed by a later one
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Month, b.Month))
	})
	return out
}

// merge adds o's counts (not its ids, digests, approvers and identities)
// to r's.
func (r *Row) merge(o *Row) {
	r.Counts.merge(&o.Counts)
	r.BatchesPlanned += o.BatchesPlanned
	r.BatchesFullyApproved += o.BatchesFullyApproved
	r.BatchesPartiallyApproved += o.BatchesPartiallyApproved
	r.BatchesApprovedStagesUnrecorded += o.BatchesApprovedStagesUnrecorded
	r.AutomaticApprovals += o.AutomaticApprovals
	r.BatchesRejected += o.BatchesRejected
	r.BatchesSuperseded += o.BatchesSuperseded
	r.BatchesExecuted += o.BatchesExecuted
	r.OwnersTold += o.OwnersTold
	r.ItemsWithdrawn += o.ItemsWithdrawn
	for code, n := range o.WithdrawalCodes {
		if r.WithdrawalCodes == nil {
			r.WithdrawalCodes = map[string]int64{}
		}
		r.WithdrawalCodes[code] += n
	}
	r.BatchesWithWithdrawals += o.BatchesWithWithdrawals
	r.BatchesWithdrawn += o.BatchesWithdrawn
	r.ItemsExcluded += o.ItemsExcluded
	r.DecisionsRejected += o.DecisionsRejected
	r.ItemsKeptByRejection += o.ItemsKeptByRejection
	r.DecisionsRevoked += o.DecisionsRevoked
	r.Escalations += o.Escalations
	for m, n := range o.Decided {
		if r.Decided == nil {
			r.Decided = map[string]int64{}
		}
		r.Decided[m] += n
	}
}

// empty reports whether r counts nothing.
func (r *Row) empty() bool {
	return r.Entries() == 0 && r.Pruned == 0 && r.BatchesPlanned == 0 && r.approvals() == 0 && r.AutomaticApprovals == 0 &&
		r.BatchesRejected == 0 && r.BatchesSuperseded == 0 && r.BatchesExecuted == 0 && r.OwnersTold == 0 && len(r.Approvers) == 0 &&
		r.decisions() == 0 && len(r.Decided) == 0
}

// approvals is the batches r counts as approved, fully, partially or with
// stages not recorded.
func (r *Row) approvals() int64 {
	return r.BatchesFullyApproved + r.BatchesPartiallyApproved + r.BatchesApprovedStagesUnrecorded
}

// decisions is the sum of r's withdrawal, decision and escalation counts.
func (r *Row) decisions() int64 {
	return r.ItemsWithdrawn + r.BatchesWithWithdrawals + r.BatchesWithdrawn + r.ItemsExcluded + r.DecisionsRejected +
		r.ItemsKeptByRejection + r.DecisionsRevoked + r.Escalations
}

// Batches returns the batches the period's entries name, by number.
func (s *Summary) Batches() []Batch {
	out := make([]Batch, 0, len(s.batches))
	for _, b := range s.batches {
		c := b.Batch
		c.Approvals = slices.Clone(b.Approvals)
		c.Stages = slices.Clone(b.Stages)
		c.Approval = b.progress.Status()
		c.Outcomes = b.Outcomes.clone()
		if c.Policy == "" {
			c.Policy = s.rulePolicy[c.Rule]
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Batch) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Holds returns the holds placed or released in the period, in the order
// the ledger first names them.
func (s *Summary) Holds() []Hold {
	out := make([]Hold, 0, len(s.holdOrder))
	for _, id := range s.holdOrder {
		out = append(out, *s.holds[id])
	}
	return out
}

// PolicyVersions returns the policy versions that came into force in the
// period, in ledger order.
func (s *Summary) PolicyVersions() []PolicyVersion { return slices.Clone(s.policies) }

// KeyRotations returns the key rotations of the period, in ledger order.
func (s *Summary) KeyRotations() []KeyRotation { return slices.Clone(s.rotations) }

// Entries returns how many entries were added and the ledger indexes of the
// first and the last.
func (s *Summary) Entries() (n, first, last int64) { return s.entries, s.first, s.last }

// ShortDigest is the short form of a policy digest that the summary prints:
// "sha256:" and the first 12 hex digits. The bundle's policies/ directory
// names each text by its full digest.
func ShortDigest(d string) string {
	if d == "" {
		return ""
	}
	hex, ok := strings.CutPrefix(d, "sha256:")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if ok {
		return "sha256:" + hex
	}
	return hex
}

// keyID is the id of the key a rotation entry names.
func keyID(kind, key string) string {
	if kind != ledger.KeySigning {
		return key // a reference key's entry holds its id
	}
	k, err := ledger.ParseVerifierKey(key)
	if err != nil {
		return ""
	}
	return k.ID()
}
