package notify

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

// escalated is what to tell, once, about a pending batch that was
// escalated (scheduler.Escalate): the operators, and the approvers of its
// rule's escalate_to group that it may now wait for. Waiting approves
// nothing, and every mail says so.
func (n *Notifier) escalated(b *store.Batch, rule *policies.Rule, state scheduler.ApprovalState, approved map[string]bool, progress, what, verb string) []message {
	cfg := n.P.Config
	after := rule.EscalateAfter
	if after.IsZero() {
		after = policies.DefaultEscalateAfter
	}
	stage := -1
	for i, st := range state.Stages {
		if !st.Done() || state.PlannerOnly && i == len(state.Stages)-1 {
			stage = i
			break
		}
	}
	if stage < 0 {
		return nil // it has its approvals; it is no longer waiting
	}
	group := state.Stages[stage].Stage.Group
	var deputies []configs.Person
	for _, id := range cfg.GroupMembers(rule.EscalateTo) {
		p, _ := cfg.Person(id)
		if rule.EscalateTo == "" || p.Email == "" || approved[id] || slices.Contains(p.Groups, group) {
			continue // the stage's own group has its own mails
		}
		deputies = append(deputies, p)
	}
	sort.Slice(deputies, func(i, j int) bool { return deputies[i].ID < deputies[j].ID })
	planned := b.CreatedAt.Time.In(cfg.Location).Format("2006-01-02 15:04")
	w := n.words()

	offered := w.F("escalated.offered", rule.EscalateTo, strings.Join(cfg.GroupMembers(rule.EscalateTo), ", "), stage+1, group)
	if rule.EscalateTo == "" {
		offered = w.F("escalated.nofallback", b.Rule, group, stage+1)
	}
	out := n.alert(fmt.Sprintf("escalated-ops:%d", b.ID), "escalated",
		w.F("escalated.ops.subject", b.ID, b.Rule, w.period(after)),
		w.F("escalated.ops.text", b.ID, b.Rule, rule.Title, what, w.period(after), after, planned, b.Planner, progress, offered, verb,
			n.cmd("batches show %d", b.ID)))
	for _, p := range deputies {
		out = append(out, message{key: fmt.Sprintf("escalated:%d:%s", b.ID, p.ID), kind: "escalated", person: p,
			subject: w.F("escalated.subject", b.ID, b.Rule, what),
			text: w.F("escalated.text", b.ID, w.period(after), group, rule.EscalateTo, stage+1, b.Rule, rule.Title, b.Source, b.Items,
				w.size(b.Bytes), verb, planned, b.Planner, progress,
				n.cmd("batches show %d", b.ID), n.cmd("batches approve %d --as %s", b.ID, p.ID), n.cmd(`batches reject %d --as %s --reason "..."`, b.ID, p.ID))})
	}
	return out
}
