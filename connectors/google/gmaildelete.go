package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/retentiond/retentiond/connectors"
)

// maxBatchDelete is Gmail's limit of ids per users.messages.batchDelete.
const maxBatchDelete = 1000

// historyPage is the page size of users.history.list (Gmail's maximum).
const historyPage = 500

// verifyTimeout bounds the verification of deletions already sent when
// the caller's context ends: what was sent is verified, so that its
// outcome is recorded truthfully.
const verifyTimeout = 2 * time.Minute

type gstate int

const (
	gsPending   gstate = iota // version matched; to be deleted
	gsSent                    // batchDelete sent (answered or not): verification decides
	gsConfirmed               // verified gone after batchDelete
	gsAbsent                  // gone before anything was sent
	gsChanged                 // version differs; not touched
	gsFailed
)

type gmailTarget struct {
	idx     int
	id      string
	version uint64
	state   gstate
	err     error
}

// deleteBatch implements service. Targets are grouped by mailbox; up to
// ParallelUsers mailboxes are worked on at once.
func (g *gmailService) deleteBatch(ctx context.Context, targets []connectors.Target) []connectors.Result {
	results := make([]connectors.Result, len(targets))
	groups := map[string][]*gmailTarget{}
	var order []string
	for i, t := range targets {
		results[i].Ref = t.Ref
		user, id, err := parseGmailRef(t.Ref)
		if err != nil {
			results[i].Outcome, results[i].Err = connectors.OutcomeFailed, connectors.Errorf(connectors.CodeInvalid, "delete", t.Ref, err)
			continue
		}
		gt := &gmailTarget{idx: i, id: id}
		if v, err := strconv.ParseUint(t.Version, 10, 64); err == nil && v > 0 {
			gt.version = v
		} else {
			gt.state = gsChanged // not a version this connector gives: never delete on it
		}
		if _, ok := groups[user]; !ok {
			order = append(order, user)
		}
		groups[user] = append(groups[user], gt)
	}
	held := make(map[string]bool, len(order))
	var mu sync.Mutex
	sem := make(chan struct{}, max(1, g.c.opts.ParallelUsers))
	var wg sync.WaitGroup
	for _, user := range order {
		if err := ctx.Err(); err != nil {
			for _, t := range groups[user] {
				if t.state == gsPending {
					t.state, t.err = gsFailed, connectors.Errorf(connectors.CodeCancelled, "delete", gmailRef(user, t.id), err)
				}
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			h := g.deleteUser(ctx, user, groups[user])
			mu.Lock()
			held[user] = h
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, user := range order {
		for _, t := range groups[user] {
			r := &results[t.idx]
			switch t.state {
			case gsConfirmed:
				r.Outcome, r.Method = connectors.OutcomeDeleted, "purge"
				if held[user] {
					r.Outcome = connectors.OutcomeHeld
					r.Err = connectors.Errorf(connectors.CodeHeld, "delete", r.Ref,
						errors.New("the user's mail is under a Google Vault hold: the message left the mailbox but Vault keeps it until the hold ends"))
				}
			case gsAbsent:
				r.Outcome = connectors.OutcomeAbsent
			case gsChanged:
				r.Outcome = connectors.OutcomeChanged
			default:
				r.Outcome, r.Err = connectors.OutcomeFailed, t.err
				if r.Err == nil {
					r.Err = connectors.Errorf(connectors.CodeOther, "delete", r.Ref, errors.New("deletion not confirmed"))
				}
			}
		}
	}
	return results
}

// deleteUser runs the three steps for one mailbox's targets and reports
// whether the mailbox is under a Vault hold on mail.
func (g *gmailService) deleteUser(ctx context.Context, user string, ts []*gmailTarget) (held bool) {
	ctrRef := prefixGmail + "/" + user
	log := g.c.log.With(zap.String("container", ctrRef))
	fail := func(err error) {
		for _, t := range ts {
			if t.state == gsPending {
				t.state, t.err = gsFailed, gerr("delete", gmailRef(user, t.id), err)
			}
		}
	}
	var pending []*gmailTarget
	for _, t := range ts {
		if t.state == gsPending {
			pending = append(pending, t)
		}
	}
	if len(pending) == 0 {
		return false
	}
	held, err := g.c.heldByVault(ctx, user, "MAIL")
	if err != nil {
		log.Warn("cannot read Vault holds; nothing deleted in this mailbox", zap.Error(err))
		fail(fmt.Errorf("reading Vault holds: %w", err))
		return false
	}
	svc, err := g.c.gmailFor(ctx, user)
	if err != nil {
		fail(err)
		return held
	}

	// 1. Versions.
	mark, err := g.recheck(ctx, svc, user, pending)
	if err != nil {
		log.Warn("cannot check versions; nothing deleted in this mailbox", zap.Error(err))
		fail(err)
		return held
	}
	var queue []*gmailTarget
	for _, t := range pending {
		if t.state == gsPending {
			queue = append(queue, t)
		}
	}

	// 2. Delete, permanently.
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			for _, t := range queue {
				t.state, t.err = gsFailed, connectors.Errorf(connectors.CodeCancelled, "delete", gmailRef(user, t.id), err)
			}
			break
		}
		n := min(len(queue), maxBatchDelete)
		chunk := queue[:n]
		queue = queue[n:]
		ids := make([]string, n)
		for i, t := range chunk {
			ids[i] = t.id
			t.state = gsSent
		}
		err := svc.Users.Messages.BatchDelete("me", &gmail.BatchDeleteMessagesRequest{Ids: ids}).Context(withUnits(ctx, 50)).Do()
		if err != nil {
			// Perhaps deleted, perhaps not: verification decides.
			log.Warn("gmail batchDelete failed", zap.Int("messages", n), zap.Error(err))
			for _, t := range chunk {
				t.err = gerr("delete", gmailRef(user, t.id), err)
			}
		}
	}

	// 3. Verify what was sent, even when ctx ended meanwhile.
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	if err := g.verify(vctx, svc, user, mark, pending); err != nil {
		log.Warn("cannot verify deletions", zap.Error(err))
		for _, t := range pending {
			if t.state == gsSent {
				t.state, t.err = gsFailed, gerr("delete", gmailRef(user, t.id), fmt.Errorf("verifying the deletion: %w", err))
			}
		}
	}
	return held
}

// recheck sets the state of pending targets whose version no longer
// holds (absent, changed) and returns the mailbox's history id at the
// check, from which verification reads.
func (g *gmailService) recheck(ctx context.Context, svc *gmail.Service, user string, ts []*gmailTarget) (uint64, error) {
	lowest := ts[0].version
	byID := make(map[string]*gmailTarget, len(ts))
	for _, t := range ts {
		lowest = min(lowest, t.version)
		byID[t.id] = t
	}
	mark, err := g.history(ctx, svc, user, lowest, []string{"labelAdded", "labelRemoved", "messageDeleted"}, func(h *gmail.History) {
		touched := func(m *gmail.Message, deleted bool) {
			if m == nil {
				return
			}
			t := byID[m.Id]
			if t == nil || h.Id <= t.version || t.state == gsAbsent {
				return
			}
			if deleted {
				t.state = gsAbsent
			} else {
				t.state = gsChanged
			}
		}
		for _, x := range h.MessagesDeleted {
			touched(x.Message, true)
		}
		for _, x := range h.LabelsAdded {
			touched(x.Message, false)
		}
		for _, x := range h.LabelsRemoved {
			touched(x.Message, false)
		}
	})
	if err == nil {
		for _, t := range ts {
			if t.state == gsPending && t.version > mark {
				t.state = gsChanged // a version the mailbox never had
			}
		}
		return mark, nil
	}
	if !isNotFound(err) {
		return 0, err
	}
	// The planned history ids are older than Gmail keeps records of:
	// read the mailbox's history id first, then each target.
	g.c.log.Info("gmail history expired; versions checked message by message", zap.String("container", prefixGmail+"/"+user), zap.Int("messages", len(ts)))
	prof, err := svc.Users.GetProfile("me").Context(withUnits(ctx, 1)).Do()
	if err != nil {
		return 0, fmt.Errorf("reading the mailbox's history id: %w", err)
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.id
	}
	got, err := g.batchGet(ctx, "delete", user, ids, versionQuery)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		o := got[t.id]
		switch {
		case o.notFound:
			t.state = gsAbsent
		case o.err != nil:
			t.state, t.err = gsFailed, connectors.Errorf(connectors.CodeIO, "delete", gmailRef(user, t.id), o.err)
		case o.msg.HistoryId != t.version:
			t.state = gsChanged
		}
	}
	return prof.HistoryId, nil
}

// verify confirms the deletion of the targets sent: those named deleted
// in the history since mark. The others are read with gets: present,
// the deletion failed; 404, they were absent before the deletion (a
// message that never existed shows no change in the history of the
// check), or, when the history since mark could not be read (404),
// deleted.
func (g *gmailService) verify(ctx context.Context, svc *gmail.Service, user string, mark uint64, ts []*gmailTarget) error {
	sent := map[string]*gmailTarget{}
	for _, t := range ts {
		if t.state == gsSent {
			sent[t.id] = t
		}
	}
	if len(sent) == 0 {
		return nil
	}
	_, err := g.history(ctx, svc, user, mark, []string{"messageDeleted"}, func(h *gmail.History) {
		for _, x := range h.MessagesDeleted {
			if x.Message == nil {
				continue
			}
			if t := sent[x.Message.Id]; t != nil {
				t.state, t.err = gsConfirmed, nil
				delete(sent, t.id)
			}
		}
	})
	historyRead := err == nil
	if err != nil && !isNotFound(err) {
		return err
	}
	if len(sent) == 0 {
		return nil
	}
	ids := make([]string, 0, len(sent))
	for _, t := range ts {
		if sent[t.id] != nil {
			ids = append(ids, t.id)
		}
	}
	got, err := g.batchGet(ctx, "delete", user, ids, versionQuery)
	if err != nil {
		return err
	}
	for _, id := range ids {
		t := sent[id]
		if got[id].notFound {
			if historyRead {
				// Gone, but not deleted since the check: it was
				// never there at the planned version's id (history
				// shows a deletion after the plan as absent).
				t.state, t.err = gsAbsent, nil
			} else {
				t.state, t.err = gsConfirmed, nil
			}
			continue
		}
		t.state = gsFailed
		if t.err == nil {
			t.err = connectors.Errorf(connectors.CodeIO, "delete", gmailRef(user, id), errors.New("the message is still in the mailbox after batchDelete"))
		}
	}
	return nil
}

// history pages through users.history.list from start, calling fn for
// each record, and returns the mailbox's history id from the first page.
// A page token that repeats is an error.
func (g *gmailService) history(ctx context.Context, svc *gmail.Service, user string, start uint64, types []string, fn func(*gmail.History)) (uint64, error) {
	call := svc.Users.History.List("me").StartHistoryId(start).HistoryTypes(types...).MaxResults(historyPage)
	seen := map[string]bool{}
	var mark uint64
	for page := 1; ; page++ {
		res, err := call.Context(withUnits(ctx, 2)).Do()
		if err != nil {
			return 0, fmt.Errorf("reading the mailbox's history, page %d: %w", page, err)
		}
		if res.HistoryId == 0 {
			return 0, connectors.Errorf(connectors.CodeIO, "delete", prefixGmail+"/"+user, fmt.Errorf("history page %d without historyId", page))
		}
		if mark == 0 {
			mark = res.HistoryId
		}
		for _, h := range res.History {
			if h == nil || h.Id == 0 {
				return 0, connectors.Errorf(connectors.CodeIO, "delete", prefixGmail+"/"+user, fmt.Errorf("history page %d has a record without id", page))
			}
			fn(h)
		}
		if res.NextPageToken == "" {
			return mark, nil
		}
		if seen[res.NextPageToken] {
			return 0, connectors.Errorf(connectors.CodeIO, "delete", prefixGmail+"/"+user, fmt.Errorf("history page %d repeats an earlier page token (a loop)", page))
		}
		seen[res.NextPageToken] = true
		call.PageToken(res.NextPageToken)
	}
}

// isNotFound reports whether err is Gmail's 404.
func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}
