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

	offered := fmt.Sprintf(`It was offered to group %s (%s): its approvers may now approve the
stage it waits for (stage %d, group %s) in that group's place.`, rule.EscalateTo, strings.Join(cfg.GroupMembers(rule.EscalateTo), ", "), stage+1, group)
	if rule.EscalateTo == "" {
		offered = fmt.Sprintf(`Rule %s names no escalate_to group, so only group %s can approve
stage %d: ask them to decide, or have the batch rejected.`, b.Rule, group, stage+1)
	}
	out := n.alert(fmt.Sprintf("escalated-ops:%d", b.ID), "escalated",
		fmt.Sprintf("retentiond: batch %d (%s) has waited more than %s for approval", b.ID, b.Rule, after.Human()),
		fmt.Sprintf(`Batch %d of rule %s (%s) holds %s and has waited more
than %s (the rule's escalate_after, %s) for approval.

Planned:   %s by %s
Approval:  %s

%s

Nothing is %s by waiting: the batch still needs every approval.

    %s
`, b.ID, b.Rule, rule.Title, what, after.Human(), after, planned, b.Planner, progress, offered, verb, n.cmd("batches show %d", b.ID)))
	for _, p := range deputies {
		out = append(out, message{key: fmt.Sprintf("escalated:%d:%s", b.ID, p.ID), kind: "escalated", person: p,
			subject: fmt.Sprintf("retentiond: batch %d was escalated to you (%s, %s)", b.ID, b.Rule, what),
			text: fmt.Sprintf(`Batch %d has waited more than %s for approval from group %s.
Its rule names group %s, which you are in, as the fallback: you may now
approve stage %d in place of group %s.

Rule:      %s, %s
Source:    %s
Items:     %d (%s), to be %s
Planned:   %s by %s
Approval:  %s

See every item and the reason it is due, then approve or reject it:

    %s
    %s
    %s

Nothing is %s until the batch is approved: waiting never approves it.
`, b.ID, after.Human(), group, rule.EscalateTo, stage+1, group, b.Rule, rule.Title, b.Source, b.Items, size(b.Bytes), verb, planned, b.Planner, progress,
				n.cmd("batches show %d", b.ID), n.cmd("batches approve %d --as %s", b.ID, p.ID), n.cmd(`batches reject %d --as %s --reason "..."`, b.ID, p.ID), verb)})
	}
	return out
}
