package notify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// Notifier decides who must be told what, from the store, and tells them
// through Sender. It reads the configuration in force (P.Config) at each
// call, so a reload changes the people and settings it uses.
type Notifier struct {
	P      *scheduler.Pipeline
	Sender Sender
	Log    *zap.Logger
	// Unsent, when set, is also told of each message the sender did not
	// take.
	Unsent func(key string, err error)
}

var _ scheduler.Notifier = (*Notifier)(nil)

// message is one mail to one person, and the key that makes it once.
type message struct {
	key, kind string
	// also is a key recorded with key: the reminder a first mail about a
	// batch that has already waited stands for.
	also    string
	person  configs.Person
	subject string
	text    string
}

// send sends the messages not sent before and records each one sent.
// Several new messages to one person about batches that await them go as
// one mail, so that a plan that cuts six batches sends each approver one
// mail, not six. A message the sender did not take is logged and left
// unrecorded, to be tried again at the next look, and the others go on:
// only a store that fails is an error.
func (n *Notifier) send(ctx context.Context, msgs []message) error {
	if len(msgs) == 0 {
		return nil
	}
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		keys[i] = m.key
	}
	sent, err := n.P.Store.Notified(ctx, keys...)
	if err != nil {
		return err
	}
	var mails [][]message      // each a mail: one message, or a digest
	digest := map[string]int{} // person → index in mails of their digest
	for _, m := range msgs {
		if sent[m.key] {
			continue
		}
		sent[m.key] = true // a key twice in msgs is sent once
		if m.kind == "awaiting" || m.kind == "remind" {
			if i, ok := digest[m.person.ID]; ok {
				mails[i] = append(mails[i], m)
				continue
			}
			digest[m.person.ID] = len(mails)
		}
		mails = append(mails, []message{m})
	}
	for _, ms := range mails {
		m := ms[0]
		mail := Mail{To: m.person.Email, Subject: m.subject, Text: m.text}
		if len(ms) > 1 {
			w := n.words()
			mail.Subject = w.F("digest.subject", len(ms))
			if m.kind == "remind" {
				mail.Subject = w.F("digest.remind", len(ms))
			}
			texts := make([]string, len(ms))
			for i, x := range ms {
				texts[i] = x.text
			}
			mail.Text = strings.Join(texts, "\n----------------------------------------------------------------------\n\n")
		}
		if err := n.Sender.Send(ctx, mail); err != nil {
			n.Log.Warn("notification not sent; it is tried again at the next run", zap.String("notification", m.key),
				zap.Int("messages", len(ms)), zap.String("person", m.person.ID), zap.Error(err))
			if n.Unsent != nil {
				n.Unsent(m.key, err)
			}
			continue
		}
		for _, x := range ms {
			for _, k := range []string{x.key, x.also} {
				if k == "" {
					continue
				}
				if err := n.P.Store.AddNotification(ctx, store.Notification{Key: k, Kind: x.kind, Recipients: x.person.ID,
					SentAt: store.Time{Time: n.P.Clock.Now()}}); err != nil {
					return err
				}
			}
		}
		n.Log.Info("notification sent", zap.String("notification", m.key), zap.Int("messages", len(ms)), zap.String("person", m.person.ID))
	}
	return nil
}

// operators are the people operator alerts go to.
func (n *Notifier) operators() []configs.Person {
	var out []configs.Person
	for _, id := range n.P.Config.Notify.Operators {
		if p, ok := n.P.Config.Person(id); ok && p.Email != "" {
			out = append(out, p)
		}
	}
	return out
}

// alert is one message per operator.
func (n *Notifier) alert(key, kind, subject, text string) []message {
	var out []message
	for _, p := range n.operators() {
		out = append(out, message{key: key + ":" + p.ID, kind: kind, person: p, subject: subject, text: text})
	}
	return out
}

// SourceFailed tells the operators that a source could not be planned:
// once per source and day, however often it fails.
func (n *Notifier) SourceFailed(ctx context.Context, source string, cause error) error {
	if n.P.Config.Notify == nil {
		return nil
	}
	day := n.P.Config.Policies.Today(n.P.Clock.Now()).String()
	w := n.words()
	text := w.F("sourcefailed.text", source, shown(cause), n.cmd("plan --source %s", source))
	return n.send(ctx, n.alert("source-failed:"+source+":"+day, "source_failed", w.F("sourcefailed.subject", source), text))
}

// BatchFailed tells the operators that a batch's execution stopped with an
// error.
func (n *Notifier) BatchFailed(ctx context.Context, batch int64, cause error) error {
	if n.P.Config.Notify == nil {
		return nil
	}
	w := n.words()
	text := w.F("batchfailed.text", batch, shown(cause), n.cmd("batches show %d", batch))
	return n.send(ctx, n.alert(fmt.Sprintf("batch-failed:%d", batch), "batch_failed", w.F("batchfailed.subject", batch), text))
}

// Pass looks at the store and tells what has not been told: batches that
// await approval (to the approvers still needed) or an operator's
// confirmation, reminders for those that have waited RemindAfter (and
// again after each further period), batches that waited longer than
// their rule's escalate_after (to the operators and the escalate_to
// group: Pass escalates them first, see scheduler.Escalate, also without
// a notify section), batches that failed to delete items, overdue items
// per source and day, overdue deletion instructions, and the notices
// owners are given before their files are deleted.
func (n *Notifier) Pass(ctx context.Context) error {
	if _, err := n.P.Escalate(ctx); err != nil {
		return err
	}
	cfg := n.P.Config
	if cfg.Notify == nil {
		return nil
	}
	w := n.words()
	var msgs []message
	waiting, err := n.P.Store.Batches(ctx, store.StatusPending, store.StatusGuarded)
	if err != nil {
		return err
	}
	for i := range waiting {
		m, err := n.awaiting(ctx, &waiting[i])
		if err != nil {
			return err
		}
		msgs = append(msgs, m...)
	}
	done, err := n.P.Store.Batches(ctx, store.StatusDone)
	if err != nil {
		return err
	}
	for _, b := range done {
		if b.Failed > 0 {
			msgs = append(msgs, n.alert(fmt.Sprintf("batch-failed:%d", b.ID), "batch_failed",
				w.F("itemsfailed.subject", w.count("item", b.Failed), b.ID),
				w.F("itemsfailed.text", b.ID, b.Rule, b.Source, b.Deleted, b.Skipped, b.Failed, n.cmd("batches show %d", b.ID)))...)
		}
	}
	m, err := n.overdue(ctx)
	if err != nil {
		return err
	}
	msgs = append(msgs, m...)
	instr, err := n.P.OverdueInstructions(ctx)
	if err != nil {
		return err
	}
	for _, in := range instr {
		msgs = append(msgs, n.instructionOverdue(w, in)...)
	}
	if err := n.send(ctx, msgs); err != nil {
		return err
	}
	return n.ownerNotices(ctx)
}

// instructionOverdue tells the operators that a deletion instruction was
// not confirmed by its deadline.
func (n *Notifier) instructionOverdue(w words, in store.Instruction) []message {
	return n.alert("instruction-overdue:"+in.ID, "instruction_overdue", w.F("instroverdue.subject", in.ID, in.System),
		w.F("instroverdue.text", in.ID, in.System, w.count("line", in.Lines), in.Deadline,
			n.cmd("instructions show %s", in.ID), n.cmd("instructions confirm %s --by NAME", in.ID)))
}

// awaiting is what to tell about a batch that waits: its approvers, or
// the operators for a batch the blast-radius guard holds.
func (n *Notifier) awaiting(ctx context.Context, b *store.Batch) ([]message, error) {
	cfg := n.P.Config
	rule := cfg.Policies.Rule(b.Rule)
	if rule == nil {
		return nil, nil // its policy changed; executing it is refused anyway
	}
	w := n.words()
	what := w.F("what", w.count("item", b.Items), w.size(b.Bytes), b.Source)
	verb := w.T("verb.delete")
	if b.Method == store.MethodArchive {
		verb = w.T("verb.archive")
	}
	if b.Status == store.StatusGuarded {
		return n.alert(fmt.Sprintf("guarded:%d", b.ID), "guarded", w.F("guarded.subject", b.ID, b.Rule),
			w.F("guarded.text", b.ID, b.Rule, rule.Title, what, n.cmd("batches show %d", b.ID), n.cmd("batches confirm %d --as YOUR-ID", b.ID), verb)), nil
	}
	state, err := n.P.Approval(ctx, b)
	if err != nil {
		return nil, err
	}
	approved := map[string]bool{}
	var progress []string
	for i, st := range state.Stages {
		for _, a := range st.Approvers {
			approved[a] = true
		}
		progress = append(progress, w.F("progress", i+1, len(st.Approvers), st.Stage.Count, st.Stage.Group))
	}
	var needed []configs.Person
	seen := map[string]bool{}
	for _, st := range state.Stages {
		if st.Done() && !state.PlannerOnly {
			continue
		}
		for _, id := range cfg.GroupMembers(st.Stage.Group) {
			p, _ := cfg.Person(id)
			if approved[id] || seen[id] || p.Email == "" {
				continue
			}
			seen[id] = true
			needed = append(needed, p)
		}
	}
	sort.Slice(needed, func(i, j int) bool { return needed[i].ID < needed[j].ID })
	now := n.P.Clock.Now()
	waited := now.Sub(b.CreatedAt.Time)
	period := int(waited / cfg.Notify.RemindAfter)
	var out []message
	if !b.EscalatedAt.IsZero() {
		out = n.escalated(b, rule, state, approved, strings.Join(progress, "; "), what, verb)
	}
	for _, p := range needed {
		text := w.F("awaiting.text", b.ID, b.Rule, rule.Title, b.Source, b.Items, w.size(b.Bytes), verb,
			b.CreatedAt.Time.In(cfg.Location).Format("2006-01-02 15:04"), b.Planner, strings.Join(progress, "; "),
			n.cmd("batches show %d", b.ID), n.cmd("batches approve %d --as %s", b.ID, p.ID),
			n.cmd(`batches reject %d --as %s --reason "..."`, b.ID, p.ID))
		out = append(out, message{key: fmt.Sprintf("awaiting:%d:%s", b.ID, p.ID), kind: "awaiting", person: p,
			subject: w.F("awaiting.subject", b.ID, b.Rule, what), text: text})
		if period >= 1 {
			// A reminder per period waited; the first mail about a batch
			// that has already waited counts as this period's reminder.
			key := fmt.Sprintf("remind:%d:%s:%d", b.ID, p.ID, period)
			sent, err := n.P.Store.Notified(ctx, out[len(out)-1].key)
			if err != nil {
				return nil, err
			}
			if !sent[out[len(out)-1].key] {
				out[len(out)-1].also = key
				continue
			}
			out = append(out, message{key: key, kind: "remind", person: p,
				subject: w.F("remind.subject", b.ID, w.days(waited)),
				text:    w.F("remind.text", b.ID, w.days(waited)) + text})
		}
	}
	return out, nil
}

// overdue tells the operators, once a day per source, which rules have
// items that were due before today and were still there at the source's
// latest plan.
func (n *Notifier) overdue(ctx context.Context) ([]message, error) {
	day := n.P.Config.Policies.Today(n.P.Clock.Now()).String()
	w := n.words()
	plans, err := n.P.Store.LatestTodayPlans(ctx)
	if err != nil {
		return nil, err
	}
	var out []message
	for _, pl := range plans {
		counts, err := n.P.OverdueByRule(ctx, pl.ID, day)
		if err != nil {
			return nil, err
		}
		if len(counts) == 0 {
			continue
		}
		rules := make([]string, 0, len(counts))
		var total int64
		for r, c := range counts {
			rules = append(rules, r)
			total += c
		}
		sort.Strings(rules)
		var lines strings.Builder
		for _, r := range rules {
			fmt.Fprintf(&lines, "    %-8s %s\n", r, w.count("item", counts[r]))
		}
		out = append(out, n.alert("overdue:"+pl.Source+":"+day, "overdue",
			w.F("overdue.subject", w.count("item", total), pl.Source),
			w.F("overdue.text", pl.Source, w.count("item", total), lines.String(), n.cmd("batches list")))...)
	}
	return out, nil
}

// days formats how long something has waited, in whole days (hours
// under a day).
func (w words) days(d time.Duration) string {
	if d < 24*time.Hour {
		return w.count("hour", int64(d.Hours()))
	}
	return w.count("day", int64(d.Hours()/24))
}

// shown is the text of err for a mail, each line escaped (safetext.Text):
// an error can hold a file's name, and a name is never layout.
func shown(err error) string {
	lines := strings.Split(fmt.Sprint(err), "\n")
	for i, l := range lines {
		lines[i] = safetext.Text(l)
	}
	return strings.Join(lines, "\n    ")
}
