package notify

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// ownerMailItems bounds the files one owner notice lists; more go in
// further mails of the same pass.
const ownerMailItems = 500

// ownerNotices tells owners about their items that rules with
// owner_notice will delete, one mail per address listing the items and
// the first day each may go. Items whose owner has no address (unknown,
// or no notify.owner_email) are told to the operators. A notice is
// recorded as sent once its mail is accepted (for the operators: by at
// least one of them), with an owner_notice entry per item in the ledger;
// the days its rule gives the owner count from then.
func (n *Notifier) ownerNotices(ctx context.Context) error {
	pending, err := n.P.Store.PendingOwnerNotices(ctx)
	if err != nil {
		return err
	}
	for len(pending) > 0 {
		end := 1
		for end < len(pending) && end < ownerMailItems && pending[end].Email == pending[0].Email {
			end++
		}
		group := pending[:end]
		pending = pending[end:]
		if err := n.ownerMail(ctx, group); err != nil {
			return err
		}
	}
	return nil
}

// ownerMail sends one notice about group, whose items share an address.
func (n *Notifier) ownerMail(ctx context.Context, group []store.OwnerNotice) error {
	cfg := n.P.Config
	now := n.P.Clock.Now()
	today := cfg.Policies.Today(now)
	w := n.words()
	operators := n.operators()
	var ops, contacts []string
	for _, p := range operators {
		ops = append(ops, p.ID)
		contacts = append(contacts, fmt.Sprintf("%s <%s>", p.Name, p.Email))
	}
	var list strings.Builder
	first := ""
	for _, no := range group {
		from := n.P.OwnerNoticeEnd(no, today)
		if first == "" || from < first {
			first = from
		}
		title := ""
		if r := cfg.Policies.Rule(no.Rule); r != nil && r.Title != "" {
			title = ": " + r.Title
		}
		list.WriteString(w.F("owner.line", from, no.Source, safetext.Name(no.Ref), no.Rule, title))
	}
	to := []string{group[0].Email}
	files := int64(len(group))
	intro := w.plural("owner.intro", files)
	subject := w.F("owner.subject", len(group), first)
	recipients, role := "owner", "owner"
	if group[0].Email == "" {
		to = nil
		for _, p := range operators {
			to = append(to, p.Email)
		}
		intro = w.plural("owner.ops.intro", files)
		subject = w.F("owner.ops.subject", w.count("file", files), first)
		recipients, role = strings.Join(ops, ","), "operator"
	}
	ask := w.F("owner.ask", strings.Join(contacts, "\n    "))
	if role == "operator" {
		ask = w.F("owner.ops.ask", n.cmd("holds add --as YOUR-ID --source SOURCE --ref PATH --reason WHY --owner WHO"))
	}
	text := intro + "\n" + w.plural("owner.rules", files) + "\n\n" + ask + "\n\n" + list.String()
	took := 0
	for _, addr := range to {
		if err := n.Sender.Send(ctx, Mail{To: addr, Subject: subject, Text: text}); err != nil {
			n.Log.Warn("owner notice not sent; it is tried again at the next run", zap.Int("items", len(group)), zap.Error(err))
			if n.Unsent != nil {
				n.Unsent("owner-notice", err)
			}
			continue
		}
		took++
	}
	if took == 0 {
		return nil
	}
	if err := n.P.RecordOwnerNotices(ctx, group, role); err != nil {
		return err
	}
	if err := n.P.Store.AddNotification(ctx, store.Notification{Key: fmt.Sprintf("owner-notice:%s:%d", group[0].Source, now.UnixNano()),
		Kind: "owner_notice", Recipients: recipients, SentAt: store.Time{Time: now}}); err != nil {
		return err
	}
	n.Log.Info("owner notice sent", zap.Int("items", len(group)), zap.String("recipients", recipients))
	return nil
}
