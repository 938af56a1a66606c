package m365

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

// How a deletion goes, per mailbox:
//
//  1. Re-check versions. Few targets: JSON batches of GETs (20 per
//     request). Many: one listing of the mailbox filtered to the targets'
//     receipt span, $select=id,changeKey — about one request per 1000
//     messages. A target that is gone is absent; one whose change key
//     differs is changed and not touched.
//  2. Delete with permanentDelete in JSON batches of up to 20 steps, one
//     batch in flight per mailbox (a batch of 4 or more steps uses all 4 of
//     the mailbox's concurrent requests). Each step is handled on its own:
//     204 deleted; 404 already gone; 429 re-queued after its own
//     Retry-After; 5xx re-queued with backoff; a step missing from the
//     response re-sent; 403 ErrorCannotDeleteObject left to step 3.
//  3. Verify absence of everything a deletion was sent for, the same way
//     as step 1. Only a message confirmed gone is reported deleted; in a
//     mailbox under an Exchange hold it is reported held, since Exchange
//     keeps it in Recoverable Items.

// listThreshold is the number of targets in a mailbox from which versions
// are checked by a filtered listing rather than by batched GETs.
const listThreshold = 60

// maxBatch is Graph's limit of steps per JSON batch.
const maxBatch = 20

type state int

const (
	stPending   state = iota // version matched; to be deleted
	stConfirmed              // Graph answered 204
	stAbsent                 // gone before we sent anything
	stChanged                // version differs; not touched
	stUnclear                // sent, answer unknown or ErrorCannotDeleteObject: verification decides
	stFailed
)

type delTarget struct {
	idx       int
	id        string
	changeKey string
	received  time.Time
	versionOK bool

	state    state
	sent     bool // a permanentDelete was sent at least once
	attempts int
	err      error
}

// DeleteConcurrency implements connectors.ConcurrentDeleter: a call spends
// its time waiting on Graph, so as many calls may run as mailboxes may be
// worked on at once (parallel_mailboxes). All calls share that bound, the
// limit of concurrent requests per mailbox and the request budget.
func (c *Connector) DeleteConcurrency() int { return c.opts.ParallelMailboxes }

// callItems is the most targets the executor hands to one DeleteBatch
// call (ContainerChunking): 50 JSON batches, and about one page of the
// filtered listings that re-check versions and verify absence, so that
// those two round trips are few against the deletions' 50.
const callItems = 50 * maxBatch

// ContainerChunking implements connectors.ContainerChunker: Graph limits
// requests per mailbox, so a mailbox's messages go faster in one call
// than in slices that each re-check and verify, and mailboxes go faster
// side by side. A chunk of a plan ends where a mailbox ends once it holds
// a JSON batch's worth of messages (smaller mailboxes share a chunk and
// are worked on side by side within one call).
func (c *Connector) ContainerChunking() connectors.ContainerChunking {
	return connectors.ContainerChunking{MinItems: maxBatch, CallItems: callItems}
}

// DeleteBatch implements connectors.Connector.
func (c *Connector) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	results := make([]connectors.Result, len(targets))
	if len(targets) == 0 {
		return results, nil
	}
	groups := map[string][]*delTarget{}
	var order []string
	for i, t := range targets {
		results[i].Ref = t.Ref
		if err := ctx.Err(); err != nil {
			results[i].Outcome, results[i].Err = connectors.OutcomeFailed, connectors.Errorf(connectors.CodeCancelled, "delete", t.Ref, err)
			continue
		}
		mb, id, err := c.checkRef(ctx, "delete", t.Ref)
		if err != nil {
			results[i].Outcome, results[i].Err = connectors.OutcomeFailed, err
			continue
		}
		dt := &delTarget{idx: i, id: id}
		dt.changeKey, dt.received, dt.versionOK = parseVersion(t.Version)
		if _, dup := groups[mb]; !dup {
			order = append(order, mb)
		}
		groups[mb] = append(groups[mb], dt)
	}
	var wg sync.WaitGroup
	for _, mb := range order {
		if err := c.enterMailbox(ctx, mb); err != nil {
			for _, t := range groups[mb] {
				t.state, t.err = stFailed, connectors.Errorf(connectors.CodeCancelled, "delete", mb+"/"+t.id, err)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.leaveMailbox(mb)
			c.deleteMailbox(ctx, mb, groups[mb])
		}()
	}
	wg.Wait()
	for _, mb := range order {
		held := c.holds[mb]
		for _, t := range groups[mb] {
			r := &results[t.idx]
			switch t.state {
			case stConfirmed:
				r.Outcome, r.Method = connectors.OutcomeDeleted, "purge"
				if held {
					r.Outcome = connectors.OutcomeHeld
					r.Err = connectors.Errorf(connectors.CodeHeld, "delete", r.Ref,
						errors.New("the mailbox is under an Exchange hold: the message left the mailbox but Exchange keeps it in Recoverable Items until the hold ends"))
				}
			case stAbsent:
				r.Outcome = connectors.OutcomeAbsent
			case stChanged:
				r.Outcome = connectors.OutcomeChanged
			default:
				r.Outcome, r.Err = connectors.OutcomeFailed, t.err
				if r.Err == nil {
					r.Err = connectors.Errorf(connectors.CodeOther, "delete", r.Ref, errors.New("deletion not confirmed"))
				}
			}
		}
	}
	return results, nil
}

// deleteMailbox runs the three steps for the targets of one mailbox.
func (c *Connector) deleteMailbox(ctx context.Context, mb string, ts []*delTarget) {
	log := c.log.With(zap.String("mailbox", mb))
	failAll := func(ts []*delTarget, err error) {
		for _, t := range ts {
			t.state, t.err = stFailed, err
		}
	}
	// 1. Versions.
	present, err := c.present(ctx, mb, ts)
	if err != nil {
		log.Warn("cannot check versions; nothing deleted in this mailbox", zap.Error(err))
		failAll(ts, err)
		return
	}
	var queue []*delTarget
	for _, t := range ts {
		ck, ok := present[t.id]
		switch {
		case !ok:
			t.state = stAbsent
		case !t.versionOK || ck != t.changeKey:
			t.state = stChanged
		default:
			queue = append(queue, t)
		}
	}

	// 2. Delete.
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			for _, t := range queue {
				t.state, t.err = stFailed, connectors.Errorf(connectors.CodeCancelled, "delete", mb+"/"+t.id, err)
				if t.sent {
					t.state = stUnclear
				}
			}
			break
		}
		n := min(len(queue), maxBatch)
		chunk := queue[:n]
		queue = queue[n:]
		again, wait := c.deleteChunk(ctx, mb, chunk)
		if len(again) > 0 {
			queue = append(again, queue...)
			if err := connectors.Sleep(ctx, wait); err != nil {
				continue // the loop's check reports the rest as cancelled
			}
		}
	}

	// 3. Verify.
	var check []*delTarget
	for _, t := range ts {
		if t.state == stConfirmed || t.state == stUnclear || (t.state == stFailed && t.sent) {
			check = append(check, t)
		}
	}
	if len(check) == 0 {
		return
	}
	vctx := ctx
	if ctx.Err() != nil {
		// Verification must not be skipped because the run is stopping:
		// deletions were sent. Give it a bounded grace period.
		var cancel context.CancelFunc
		vctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	left, err := c.present(vctx, mb, check)
	if err != nil {
		if err2 := connectors.Sleep(vctx, c.retry.Backoff); err2 == nil {
			left, err = c.present(vctx, mb, check)
		}
	}
	for _, t := range check {
		ref := mb + "/" + t.id
		switch {
		case err != nil && t.state == stConfirmed:
			// Graph confirmed the deletion; only the check failed.
			log.Warn("deletion confirmed by Graph but absence could not be verified", zap.Error(err))
		case err != nil:
			t.state, t.err = stFailed, connectors.Errorf(connectors.CodeOf(err), "delete", ref, fmt.Errorf("deletion sent but its outcome could not be verified: %w", err))
		case !hasKey(left, t.id):
			// Gone, and a deletion of ours was sent for it.
			t.state, t.err = stConfirmed, nil
		case t.state == stConfirmed:
			t.state, t.err = stFailed, connectors.Errorf(connectors.CodeIO, "delete", ref, errors.New("Graph confirmed the deletion but the message is still in the mailbox"))
		case t.state == stUnclear:
			e := t.err
			if e == nil {
				e = connectors.Errorf(connectors.CodeOther, "delete", ref, errors.New("the deletion was not confirmed and the message is still in the mailbox"))
			}
			t.state, t.err = stFailed, e
		}
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// deleteChunk sends one batch of permanentDelete steps and returns the
// targets to send again and how long to wait first.
func (c *Connector) deleteChunk(ctx context.Context, mb string, chunk []*delTarget) (again []*delTarget, wait time.Duration) {
	steps := make([]batchStepReq, len(chunk))
	for i, t := range chunk {
		steps[i] = batchStepReq{id: i + 1, method: http.MethodPost, url: messagePath(mb, t.id) + "/permanentDelete"}
	}
	var resp []batchReply
	err := c.call(ctx, mb, len(steps), func() error {
		var err error
		resp, err = c.sendBatch(ctx, steps)
		return err
	})
	for _, t := range chunk {
		t.sent = true
		t.attempts++
	}
	retryAll := func(err error) ([]*delTarget, time.Duration) {
		var again []*delTarget
		for _, t := range chunk {
			t.state, t.err = stUnclear, err
			if t.attempts <= c.retry.Failed {
				again = append(again, t)
			}
		}
		slices.SortFunc(again, func(a, b *delTarget) int { return a.idx - b.idx })
		return again, c.retry.wait(http.StatusInternalServerError, "", chunk[0].attempts, c.now())
	}
	if err != nil {
		if connectors.CodeOf(connectorError("delete", mb, err)) == connectors.CodeCancelled {
			for _, t := range chunk {
				t.state, t.err = stUnclear, connectors.Errorf(connectors.CodeCancelled, "delete", mb+"/"+t.id, err)
			}
			return nil, 0
		}
		return retryAll(connectorError("delete", mb, err))
	}
	answered := make([]bool, len(chunk))
	for i := range resp {
		r := &resp[i]
		k, ok := stepIndex(r.ID, len(chunk))
		if !ok || answered[k] || r.Status == nil {
			continue
		}
		answered[k] = true
		t := chunk[k]
		status := *r.Status
		ge := &GraphError{Status: status}
		if status >= 300 {
			ge = stepError(status, r.Body)
		}
		ref := mb + "/" + t.id
		switch {
		case status >= 200 && status < 300:
			t.state, t.err = stConfirmed, nil
		case status == http.StatusNotFound && ge.Code == "ErrorItemNotFound":
			if t.attempts > 1 {
				t.state, t.err = stUnclear, nil // an earlier attempt of ours may have done it
			} else {
				t.state = stAbsent
			}
		case status == http.StatusForbidden && ge.Code == "ErrorCannotDeleteObject":
			t.state, t.err = stUnclear, connectors.Errorf(connectors.CodePermission, "delete", ref, ge)
		case c.retry.retries(status) > 0:
			t.state, t.err = stUnclear, connectors.Errorf(codeOf(status, ge.Code), "delete", ref, ge)
			limit := c.retry.retries(status)
			if t.attempts <= limit {
				again = append(again, t)
				wait = max(wait, c.retry.wait(status, r.retryAfter(), t.attempts, c.now()))
			}
		default:
			t.state, t.err = stFailed, connectors.Errorf(codeOf(status, ge.Code), "delete", ref, ge)
		}
	}
	for k, t := range chunk {
		if !answered[k] {
			// The envelope lacked this step: it may or may not have run.
			t.state, t.err = stUnclear, connectors.Errorf(connectors.CodeIO, "delete", mb+"/"+t.id, errors.New("the batch response had no answer for this step"))
			if t.attempts <= c.retry.Failed {
				again = append(again, t)
			}
		}
	}
	slices.SortFunc(again, func(a, b *delTarget) int { return a.idx - b.idx })
	return again, wait
}

// stepIndex returns the index in a batch of n steps of the step id the
// connector gave ("1" to "n"), or false for an id it did not send.
func stepIndex(id string, n int) (int, bool) {
	k, err := strconv.Atoi(id)
	if err != nil || k < 1 || k > n || strconv.Itoa(k) != id {
		return 0, false
	}
	return k - 1, true
}

// present returns the change keys of those of ts that are in the mailbox.
func (c *Connector) present(ctx context.Context, mb string, ts []*delTarget) (map[string]string, error) {
	found := map[string]string{}
	var byGet, byList []*delTarget
	for _, t := range ts {
		if t.versionOK {
			byList = append(byList, t)
		} else {
			byGet = append(byGet, t)
		}
	}
	if len(byList) < listThreshold {
		byGet, byList = append(byGet, byList...), nil
	}
	if len(byList) > 0 {
		if err := c.presentByListing(ctx, mb, byList, found); err != nil {
			return nil, err
		}
	}
	for len(byGet) > 0 {
		n := min(len(byGet), maxBatch)
		if err := c.presentByGet(ctx, mb, byGet[:n], found); err != nil {
			return nil, err
		}
		byGet = byGet[n:]
	}
	return found, nil
}

// presentByListing lists the mailbox over the targets' receipt span.
func (c *Connector) presentByListing(ctx context.Context, mb string, ts []*delTarget, found map[string]string) error {
	want := make(map[string]bool, len(ts))
	lo, hi := ts[0].received, ts[0].received
	for _, t := range ts {
		want[t.id] = true
		lo, hi = minTime(lo, t.received), maxTime(hi, t.received)
	}
	// Versions keep whole seconds: widen the span by one on each side.
	filter := fmt.Sprintf("receivedDateTime ge %s and receivedDateTime lt %s",
		lo.Add(-time.Second).UTC().Format(time.RFC3339), hi.Add(2*time.Second).UTC().Format(time.RFC3339))
	q := &users.ItemMessagesRequestBuilderGetQueryParameters{Select: []string{"id", "changeKey"}, Top: ptr(int32(c.opts.PageSize)), Filter: &filter}
	return c.eachPage(ctx, mb, q, func(res *wirePage) error {
		for i := range res.Value {
			if m := &res.Value[i]; want[m.ID] {
				found[m.ID] = m.ChangeKey
			}
		}
		return nil
	})
}

// presentByGet asks for up to 20 messages in one JSON batch.
func (c *Connector) presentByGet(ctx context.Context, mb string, ts []*delTarget, found map[string]string) error {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.id
	}
	return c.getMessages(ctx, mb, ids, "id,changeKey", func(k int, body []byte, err error) error {
		switch {
		case connectors.IsNotFound(err):
			return nil // absent
		case err != nil:
			return err
		}
		var m struct {
			ChangeKey string `json:"changeKey"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return connectors.Errorf(connectors.CodeIO, "stat", mb+"/"+ids[k], fmt.Errorf("unreadable response from Graph: %w", err))
		}
		found[ids[k]] = m.ChangeKey
		return nil
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
