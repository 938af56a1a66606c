package google

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365/classify"
)

// gmailService lists, checks and deletes Gmail messages.
//
// Listing a mailbox: users.messages.list with q "before:<epoch seconds>"
// (only mail old enough for some rule), includeSpamTrash (every label:
// Inbox, Sent, Spam, Trash, the user's), pages of PageSize ids; then the
// metadata of each page's messages by users.messages.get
// (format=metadata, Subject only) in HTTP batches of 50 (gmailbatch.go);
// label names from users.labels.list once per mailbox. Requests: one per
// page of ids and one per 50 messages, plus one.
//
// Version: the message's historyId, "the ID of the last history record
// that modified this message". A Gmail message's content never changes;
// what changes are its labels (moved, starred, read, trashed), and each
// change gives it a new historyId. It is what Gmail offers that is both
// stable and cheap: users.history.list since the lowest planned historyId
// shows, in one request per 500 changes, every message changed or deleted
// since the plan, with no request per message.
//
// Deleting (deleteUser), per mailbox:
//  1. Re-check versions: users.history.list from the lowest planned
//     historyId (labelAdded, labelRemoved, messageDeleted). A target named
//     in a record after its planned historyId was deleted (absent) or
//     changed (changed, never deleted). When Gmail answers 404 (the
//     records of the planned ids have expired, after about a week), the
//     targets are read instead with batched gets (format=minimal): 404
//     absent, another historyId changed.
//  2. users.messages.batchDelete, up to 1,000 ids a call: permanent, not
//     Trash (the https://mail.google.com/ scope).
//  3. Verify absence: users.history.list from the mailbox's history id
//     of step 1, messageDeleted; the ids sent and not seen deleted are
//     read with batched gets, and only a 404 counts. Only a message
//     confirmed gone is reported deleted; in a mailbox under a Vault hold
//     on mail it is reported held, since Vault keeps it.
//
// Gmail has no conditional delete: a label change between step 1 and
// step 2 (milliseconds) cannot be seen before the deletion.
type gmailService struct {
	c *Connector

	classifier *classify.Classifier
	// backoff is the first wait before batched calls Gmail refused
	// (429, 5xx) are sent again; it doubles each round.
	backoff time.Duration
	// batchCalls is the number of calls in one HTTP batch request.
	batchCalls int

	mu     sync.Mutex
	labels map[string]map[string]string // user → label id → name
}

// open prepares the classifier (rule M1) from the configured keywords
// and labels. The core calls it from Open.
func (g *gmailService) open(ctx context.Context) error {
	g.classifier = classify.New(g.c.opts.Keywords, g.c.opts.Labels)
	if g.backoff == 0 {
		g.backoff = time.Second
	}
	if g.batchCalls == 0 {
		g.batchCalls = defaultBatchCalls
	}
	g.labels = map[string]map[string]string{}
	return nil
}

func (g *gmailService) prefixes() []string { return []string{prefixGmail} }

// metadataQuery is the query of the gets that read a message for listing
// and Stat: what the rules and the classifier need, nothing of the body.
var metadataQuery = url.Values{
	"format":          {"metadata"},
	"metadataHeaders": {"Subject"},
	"fields":          {"id,threadId,labelIds,snippet,historyId,internalDate,sizeEstimate,payload/headers"},
}

// versionQuery is the query of the gets that re-check or verify: the id
// and historyId.
var versionQuery = url.Values{
	"format": {"minimal"},
	"fields": {"id,historyId"},
}

// gerr classifies err unless it is classified already.
func gerr(op, ref string, err error) error {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	return classifyError(op, ref, err)
}

// list implements service: one user's mailbox.
func (g *gmailService) list(ctx context.Context, ctr container, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	user := ctr.User
	svc, err := g.c.gmailFor(ctx, user)
	if err != nil {
		return gerr("list", ctr.Ref, err)
	}
	// Labels are read anew for every listing (one request, 1 unit): a
	// label renamed since the last one shows under its new name.
	names, err := g.reloadLabels(ctx, svc, user)
	if err != nil {
		return gerr("list", ctr.Ref, err)
	}
	call := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(int64(g.c.opts.PageSize)).Context(ctx)
	if !opts.ReceivedBefore.IsZero() {
		// Seconds rounded up, so that nothing received before the
		// instant is left out; younger messages are dropped below.
		ms := opts.ReceivedBefore.UnixMilli()
		call.Q("before:" + strconv.FormatInt((ms+999)/1000, 10))
	}
	seen := map[string]bool{}
	// emitted holds the ids passed to fn: a message Gmail lists on two
	// pages (the mailbox changed while it was paged) is passed once.
	emitted := map[string]bool{}
	var bad int       // messages whose metadata could not be read
	reloaded := false // labels read again for an unknown label id
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", ctr.Ref, err)
		}
		res, err := call.Do()
		if err != nil {
			return gerr("list", ctr.Ref, fmt.Errorf("listing messages, page %d: %w", page, err))
		}
		ids := make([]string, 0, len(res.Messages))
		for _, m := range res.Messages {
			if m == nil || !validMessageID(m.Id) {
				return connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, fmt.Errorf("page %d of the listing names a message without a valid id", page))
			}
			if !emitted[m.Id] && !slices.Contains(ids, m.Id) {
				ids = append(ids, m.Id)
			}
		}
		if len(ids) > 0 {
			got, err := g.batchGet(ctx, "list", user, ids, metadataQuery)
			if err != nil {
				return gerr("list", ctr.Ref, err)
			}
			for _, id := range ids {
				o := got[id]
				if o.notFound || emitted[id] {
					continue // vanished between list and get, or listed already
				}
				var it connectors.Item
				err := o.err
				if err == nil {
					it, err = g.item(user, o.msg, names, reloaded)
				}
				if errors.Is(err, errUnknownLabel) {
					reloaded = true
					if names, err = g.reloadLabels(ctx, svc, user); err != nil {
						return gerr("list", ctr.Ref, err)
					}
					it, err = g.item(user, o.msg, names, true)
				}
				if err != nil {
					bad++
					g.c.log.Warn("gmail message unreadable; not listed", zap.String("container", ctr.Ref), zap.String("message_id", id), zap.Error(err))
					continue
				}
				if !opts.ReceivedBefore.IsZero() && !it.Received.Before(opts.ReceivedBefore) {
					continue
				}
				emitted[id] = true
				if err := fn(it); err != nil {
					return err
				}
			}
		}
		if res.NextPageToken == "" {
			break
		}
		if seen[res.NextPageToken] {
			return connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, fmt.Errorf("listing messages: page %d repeats an earlier page token (a loop)", page))
		}
		seen[res.NextPageToken] = true
		call.PageToken(res.NextPageToken)
	}
	if bad > 0 {
		return connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, fmt.Errorf("%d message(s) could not be read and were not listed", bad))
	}
	return nil
}

// loadLabels returns user's label names by id, as last read (Stat).
func (g *gmailService) loadLabels(ctx context.Context, svc *gmail.Service, user string) (map[string]string, error) {
	g.mu.Lock()
	names := g.labels[user]
	g.mu.Unlock()
	if names != nil {
		return names, nil
	}
	return g.reloadLabels(ctx, svc, user)
}

// reloadLabels reads user's labels with users.labels.list.
func (g *gmailService) reloadLabels(ctx context.Context, svc *gmail.Service, user string) (map[string]string, error) {
	res, err := svc.Users.Labels.List("me").Context(withUnits(ctx, 1)).Do()
	if err != nil {
		return nil, fmt.Errorf("listing labels: %w", err)
	}
	names := make(map[string]string, len(res.Labels))
	for _, l := range res.Labels {
		if l == nil || l.Id == "" || l.Name == "" {
			return nil, errors.New("listing labels: a label without id or name")
		}
		names[l.Id] = l.Name
	}
	g.mu.Lock()
	g.labels[user] = names
	g.mu.Unlock()
	return names, nil
}

var errUnknownLabel = errors.New("a label id labels.list does not name")

// validMessageID reports whether id can be the last segment of a ref:
// Gmail's ids are hexadecimal, but any id without a slash or control
// characters is accepted (it is path-escaped in requests).
func validMessageID(id string) bool {
	if id == "" || len(id) > 256 || !utf8.ValidString(id) || id == "." || id == ".." {
		return false
	}
	for _, r := range id {
		if r == '/' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// gmailRef returns the ref of a message.
func gmailRef(user, id string) string { return prefixGmail + "/" + user + "/" + id }

// parseGmailRef splits gmail/<user>/<id>.
func parseGmailRef(ref string) (user, id string, err error) {
	rest, ok := strings.CutPrefix(ref, prefixGmail+"/")
	user, id, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || user == "" || strings.ContainsAny(user, "/ ") || !strings.Contains(user, "@") || !validMessageID(id) {
		return "", "", connectors.Errorf(connectors.CodeInvalid, "ref", ref, errors.New("not a Gmail message ref gmail/<user>/<message id>"))
	}
	return strings.ToLower(user), id, nil
}

// item converts a message read with metadataQuery. It refuses a message
// lacking what the rules need rather than guess it.
//
// A label id names does not hold is errUnknownLabel, so that the caller
// reads the labels again (a label made since); with anyLabel, such a
// label (one labels.list does not show even when read again) is named by
// its id.
func (g *gmailService) item(user string, m *gmail.Message, names map[string]string, anyLabel bool) (connectors.Item, error) {
	if m == nil || !validMessageID(m.Id) {
		return connectors.Item{}, errors.New("message without a valid id")
	}
	if m.InternalDate <= 0 {
		return connectors.Item{}, errors.New("message without internalDate")
	}
	if m.HistoryId == 0 {
		return connectors.Item{}, errors.New("message without historyId")
	}
	it := connectors.Item{
		Ref:       gmailRef(user, m.Id),
		Version:   strconv.FormatUint(m.HistoryId, 10),
		Container: prefixGmail + "/" + user,
		Kind:      connectors.KindMessage,
		Size:      m.SizeEstimate,
		Received:  time.UnixMilli(m.InternalDate).UTC(),
	}
	// A message's content never changes after it arrived (only its
	// labels do, which the Version follows): it was last modified when
	// received.
	it.Modified = it.Received
	var labelNames []string
	for _, id := range m.LabelIds {
		n, ok := names[id]
		if !ok && !anyLabel {
			return connectors.Item{}, errUnknownLabel
		}
		if !ok {
			n = id
		}
		labelNames = append(labelNames, n)
	}
	it.Labels = labelNames
	var subject string
	if m.Payload != nil {
		for _, h := range m.Payload.Headers {
			if h != nil && strings.EqualFold(h.Name, "Subject") {
				subject = h.Value
			}
		}
	}
	// As connectors/m365 does, so that rule M1 applies unchanged: Gmail
	// labels stand where Outlook categories do.
	findings := g.classifier.Classify(classify.Mail{Subject: subject, Preview: m.Snippet, Categories: labelNames})
	if len(findings) > 0 {
		it.Labels = append(it.Labels, labelSensitive)
		for _, f := range findings {
			it.Labels = append(it.Labels, "sensitive: "+findingText(f))
		}
	}
	return it, nil
}

// findingText is a finding as reasons show it: as m365's, but a label is
// a Gmail label, not an Outlook category.
func findingText(f classify.Finding) string {
	if f.Kind == classify.KindCategory {
		return fmt.Sprintf("the Gmail label %q", f.What)
	}
	return f.String()
}

// labelSensitive is the label of a message in which the classifier found
// a CPR number, a keyword or a configured label (rule M1), as
// m365.LabelSensitive; each finding adds "sensitive: <what was found>".
const labelSensitive = "sensitive"

// stat implements service.
func (g *gmailService) stat(ctx context.Context, ref string) (connectors.Item, error) {
	user, id, err := parseGmailRef(ref)
	if err != nil {
		return connectors.Item{}, err
	}
	svc, err := g.c.gmailFor(ctx, user)
	if err != nil {
		return connectors.Item{}, gerr("stat", ref, err)
	}
	names, err := g.loadLabels(ctx, svc, user)
	if err != nil {
		return connectors.Item{}, gerr("stat", ref, err)
	}
	call := svc.Users.Messages.Get("me", id).Format("metadata").MetadataHeaders("Subject").
		Fields(googleapi.Field(metadataQuery.Get("fields"))).Context(ctx)
	m, err := call.Do()
	if err != nil {
		return connectors.Item{}, gerr("stat", ref, err)
	}
	it, err := g.item(user, m, names, false)
	if errors.Is(err, errUnknownLabel) {
		if names, err = g.reloadLabels(ctx, svc, user); err != nil {
			return connectors.Item{}, gerr("stat", ref, err)
		}
		it, err = g.item(user, m, names, true)
	}
	if err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeIO, "stat", ref, err)
	}
	return it, nil
}

var _ service = (*gmailService)(nil)
