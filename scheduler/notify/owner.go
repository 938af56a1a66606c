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
		fmt.Fprintf(&list, "  %s  %s: %s\n              (rule %s%s)\n", from, no.Source, safetext.Name(no.Ref), no.Rule, title)
	}
	to := []string{group[0].Email}
	intro := fmt.Sprintf("You own the %d file(s) below.", len(group))
	subject := fmt.Sprintf("retentiond: %d of your files will be deleted from %s", len(group), first)
	recipients, role := "owner", "owner"
	if group[0].Email == "" {
		to = nil
		for _, p := range operators {
			to = append(to, p.Email)
		}
		intro = fmt.Sprintf("The %d file(s) below have no owner retentiond can write to (the owner is\nunknown, or notify.owner_email is not set), so you are told instead.", len(group))
		subject = fmt.Sprintf("retentiond: %s with no owner to tell will be deleted from %s", files(len(group)), first)
		recipients, role = strings.Join(ops, ","), "operator"
	}
	ask := fmt.Sprintf(`If one must be kept (a case is still open, a complaint or a lawsuit is
pending, it falls under a duty to archive), write before that date to

    %s

naming the file and why; they place a hold on it (retentiond holds add).`, strings.Join(contacts, "\n    "))
	if role == "operator" {
		ask = `If one must be kept (a case is still open, a complaint or a lawsuit is
pending, it falls under a duty to archive), place a hold on it before that
date:

    ` + n.cmd("holds add --as YOUR-ID --source SOURCE --ref PATH --reason WHY --owner WHO")
	}
	text := fmt.Sprintf(`%s The retention rules make them due for deletion,
and they will be deleted on or after the date given, once the deletion is
approved, unless a hold keeps them.

%s

%s`, intro, ask, list.String())
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

// files is "1 file" or "N files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}
