package summary

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// Column is one column of the CSV summary.
type Column struct {
	Name string
	Doc  string
	get  func(r *Row) string
}

// Columns are the columns of WriteCSV, in order. The file has a header row
// of their names, then one row per rule and month that had activity,
// sorted by policy, rule and month; counts are plain integers. Each batch
// with approvals counts once, in one of batches_fully_approved,
// batches_partially_approved and batches_approved_stages_unrecorded (see
// docs/audit-counts.md).
//
//	policy                   policy id
//	rule                     rule id
//	policy_digest            short digests (sha256: and 12 hex digits) of the policy versions cited that month, space-separated
//	month                    YYYY-MM in the summary's time zone (Europe/Copenhagen unless configured)
//	deleted                  deletion entries with outcome deleted
//	bytes_deleted            sum of their sizes, in bytes
//	already_absent           outcome absent: the item was already gone
//	failed                   outcome failed; the failed_* columns split it by failure code
//	failed_<code>            failed entries with that code, one column per code of ledger.Codes, in that order
//	failed_unlisted          failed entries with no code or a code not in ledger.Codes
//	held_by_system           outcome held: the system itself keeps the item
//	skipped_by_hold          outcome skipped_hold: a retentiond hold covers the item
//	changed                  outcome changed: changed since planned, not touched
//	not_due                  outcome not_due: no longer due at execution, not touched
//	archived                 outcome archived
//	folders_pruned           prune entries: emptied folders removed
//	batches_planned          batch entries
//	batches_fully_approved   batches whose approval became complete that month: every stage the batch entry records has its count of distinct approvers, one not the planner; or approved automatically
//	batches_partially_approved  batches approved by people, not shown complete, in the month of their latest approval: a stage short, only the planner, or stages not recorded and never executed
//	batches_approved_stages_unrecorded  batches approved by people whose batch entry records no stages (older ledgers, or planned before the period) and whose execution started, in the month of their latest approval
//	automatic_approvals      approvals by no person (the rule needs no approval)
//	approvers                ids of the people who approved the rule's batches that month, sorted, space-separated
//	batches_rejected         rejections by a person
//	batches_superseded       batches a later plan replaced
//	batches_executed         execution_finished entries
//	owners_told              owner_notice entries: items whose owner, or the operators, were told ahead
//	withdrawn_at_execution   deletion entries with outcome withdrawn: a plan had withdrawn the item before the batch ran; not touched
//	items_withdrawn          withdrawal entries: items a plan withdrew from an open batch; the items_withdrawn_* columns split it by code
//	items_withdrawn_<code>   withdrawal entries with that code, one column per code of ledger.WithdrawalCodes, in that order
//	batches_with_withdrawals batches whose first withdrawal entry of the period falls in the month
//	batches_withdrawn        batches whose every planned item was withdrawn or excluded, in the month of the last
//	items_excluded           retention_decision entries with code excluded: an approver took the item out of its batch
//	decisions_rejected       retention_decision entries with code rejected: a rejected batch's items kept until a date
//	items_kept_by_rejection  the items those decisions keep
//	decisions_revoked        decision_revoked entries
//	escalations              escalation entries: batches that waited too long offered to a fallback group
//	decisions_taken          decisions people took (ledger.Decision): approvals and rejections by a person, exclusions, confirmations, holds placed or released, revocations; holds count in the month's row with empty policy and rule
//	decisions_<method>       those decisions authenticated by that method, one column per method of ledger.AuthMethods, in that order (os_user, oidc, link, trusted_cli, typed)
//	decisions_auth_unrecorded  those decisions whose entry records no method (written before entries recorded it)
//	decisions_auth_unlisted  those decisions with a method not in ledger.AuthMethods
//	decisions_verified       those decisions whose method verified who decided: os_user, oidc and link (ledger.VerifiedAuth)
//	verified_identities      distinct identities (Entry.Identity, a sign-in's keyed reference; never shown) that took the verified decisions
var Columns = columns()

func columns() []Column {
	n := func(f func(r *Row) int64) func(r *Row) string {
		return func(r *Row) string { return strconv.FormatInt(f(r), 10) }
	}
	cols := []Column{
		{"policy", "policy id", func(r *Row) string { return r.Policy }},
		{"rule", "rule id", func(r *Row) string { return r.Rule }},
		{"policy_digest", "short digests of the policy versions cited that month", func(r *Row) string { return strings.Join(r.Digests, " ") }},
		{"month", "YYYY-MM in the summary's time zone", func(r *Row) string { return r.Month }},
		{"deleted", "items deleted", n(func(r *Row) int64 { return r.Deleted })},
		{"bytes_deleted", "bytes deleted", n(func(r *Row) int64 { return r.BytesDeleted })},
		{"already_absent", "items already gone", n(func(r *Row) int64 { return r.Absent })},
		{"failed", "deletions failed", n(func(r *Row) int64 { return r.Failed })},
	}
	for _, code := range ledger.Codes {
		cols = append(cols, Column{"failed_" + code, "deletions failed with code " + code,
			n(func(r *Row) int64 { return r.FailureCodes[code] })})
	}
	cols = append(cols,
		Column{"failed_unlisted", "deletions failed with no code or an unlisted one", n(func(r *Row) int64 {
			var u int64
			for code, c := range r.FailureCodes {
				if !slices.Contains(ledger.Codes, code) {
					u += c
				}
			}
			return u
		})},
		Column{"held_by_system", "items the system itself keeps", n(func(r *Row) int64 { return r.Held })},
		Column{"skipped_by_hold", "items a retentiond hold covers", n(func(r *Row) int64 { return r.SkippedHold })},
		Column{"changed", "items changed since planned", n(func(r *Row) int64 { return r.Changed })},
		Column{"not_due", "items no longer due", n(func(r *Row) int64 { return r.NotDue })},
		Column{"archived", "items archived", n(func(r *Row) int64 { return r.Archived })},
		Column{"folders_pruned", "emptied folders removed", n(func(r *Row) int64 { return r.Pruned })},
		Column{"batches_planned", "batches planned", n(func(r *Row) int64 { return r.BatchesPlanned })},
		Column{"batches_fully_approved", "batches whose every recorded stage was complete (or approved automatically), in the month that completed it",
			n(func(r *Row) int64 { return r.BatchesFullyApproved })},
		Column{"batches_partially_approved", "batches approved by people but not shown complete, in the month of their latest approval",
			n(func(r *Row) int64 { return r.BatchesPartiallyApproved })},
		Column{"batches_approved_stages_unrecorded", "batches approved by people, stages not recorded, execution started",
			n(func(r *Row) int64 { return r.BatchesApprovedStagesUnrecorded })},
		Column{"automatic_approvals", "approvals by no person", n(func(r *Row) int64 { return r.AutomaticApprovals })},
		Column{"approvers", "ids of the approvers, space-separated", func(r *Row) string { return strings.Join(r.Approvers, " ") }},
		Column{"batches_rejected", "batches rejected by a person", n(func(r *Row) int64 { return r.BatchesRejected })},
		Column{"batches_superseded", "batches a later plan replaced", n(func(r *Row) int64 { return r.BatchesSuperseded })},
		Column{"batches_executed", "batches whose execution finished", n(func(r *Row) int64 { return r.BatchesExecuted })},
		Column{"owners_told", "items whose owner (or the operators) were told ahead (owner_notice)", n(func(r *Row) int64 { return r.OwnersTold })},
		Column{"withdrawn_at_execution", "items the execution found withdrawn from the batch (outcome withdrawn)", n(func(r *Row) int64 { return r.Withdrawn })},
		Column{"items_withdrawn", "items a plan withdrew from an open batch", n(func(r *Row) int64 { return r.ItemsWithdrawn })},
	)
	for _, code := range ledger.WithdrawalCodes {
		cols = append(cols, Column{"items_withdrawn_" + code, "items withdrawn with code " + code,
			n(func(r *Row) int64 { return r.WithdrawalCodes[code] })})
	}
	cols = append(cols,
		Column{"batches_with_withdrawals", "batches items were withdrawn from, in the month of the first", n(func(r *Row) int64 { return r.BatchesWithWithdrawals })},
		Column{"batches_withdrawn", "batches whose every item was withdrawn or excluded", n(func(r *Row) int64 { return r.BatchesWithdrawn })},
		Column{"items_excluded", "items an approver excluded from their batch", n(func(r *Row) int64 { return r.ItemsExcluded })},
		Column{"decisions_rejected", "rejections that keep a batch's items until a date", n(func(r *Row) int64 { return r.DecisionsRejected })},
		Column{"items_kept_by_rejection", "the items those rejections keep", n(func(r *Row) int64 { return r.ItemsKeptByRejection })},
		Column{"decisions_revoked", "retention decisions revoked", n(func(r *Row) int64 { return r.DecisionsRevoked })},
		Column{"escalations", "batches offered to a fallback group after waiting too long", n(func(r *Row) int64 { return r.Escalations })},
		Column{"decisions_taken", "decisions people took: approvals, rejections, exclusions, confirmations, holds, revocations",
			n(func(r *Row) int64 { return r.DecisionsTaken() })},
	)
	for _, m := range ledger.AuthMethods {
		cols = append(cols, Column{"decisions_" + m, "decisions authenticated by " + m, n(func(r *Row) int64 { return r.Decided[m] })})
	}
	cols = append(cols,
		Column{"decisions_auth_unrecorded", "decisions whose entry records no authentication (older ledgers)", n(func(r *Row) int64 { return r.Decided[""] })},
		Column{"decisions_auth_unlisted", "decisions with an authentication not in ledger.AuthMethods", n(func(r *Row) int64 {
			var u int64
			for m, c := range r.Decided {
				if m != "" && !slices.Contains(ledger.AuthMethods, m) {
					u += c
				}
			}
			return u
		})},
		Column{"decisions_verified", "decisions whose authentication verified who decided (os_user, oidc, link)",
			n(func(r *Row) int64 { return r.DecisionsVerified() })},
		Column{"verified_identities", "distinct signed-in identities that took the verified decisions", n(func(r *Row) int64 { return r.Identities })},
	)
	return cols
}

// WriteCSV writes the header row of Columns and one row per rule and
// month (Rows). Lines end in "\n"; fields are quoted only where RFC 4180
// needs it. Texts from the ledger are escaped (safetext.Name, when added)
// and a cell that a spreadsheet would read as a formula (starting with =,
// +, -, @) starts with a single quote (safetext.Formula).
func (s *Summary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(Columns))
	for i, c := range Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write summary csv: %w", err)
	}
	for _, r := range s.Rows() {
		for i, c := range Columns {
			rec[i] = safetext.Formula(c.get(&r))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write summary csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write summary csv: %w", err)
	}
	return nil
}
