package google

import (
	"context"
	"errors"

	"github.com/retentiond/retentiond/connectors"
)

var _ connectors.BatchStater = (*Connector)(nil)

// StatBatch implements connectors.BatchStater: Gmail messages are read a
// user at a time in HTTP batches of the gets the listing makes (50 to a
// request, each still charged to the user's quota); other refs (Drive
// files, found by path) through Stat, one after another.
func (c *Connector) StatBatch(ctx context.Context, refs []string) []connectors.StatResult {
	res := make([]connectors.StatResult, len(refs))
	type mailbox struct {
		g   *gmailService
		idx []int    // into refs
		ids []string // the messages' ids, in the same order
	}
	byUser := map[string]*mailbox{}
	var users []string
	for i, ref := range refs {
		svc, err := c.route(ctx, "stat", ref)
		if err != nil {
			res[i].Err = err
			continue
		}
		g, ok := svc.(*gmailService)
		user, id, perr := parseGmailRef(ref)
		if !ok || perr != nil {
			res[i].Item, res[i].Err = c.Stat(ctx, ref)
			continue
		}
		m := byUser[user]
		if m == nil {
			m = &mailbox{g: g}
			byUser[user] = m
			users = append(users, user)
		}
		m.idx = append(m.idx, i)
		m.ids = append(m.ids, id)
	}
	for _, user := range users {
		m := byUser[user]
		items, errs := m.g.statMany(ctx, user, m.ids)
		for k, i := range m.idx {
			res[i].Item, res[i].Err = items[k], errs[k]
		}
	}
	return res
}

// statMany reads the messages with the given ids of user's mailbox as
// stat does, through batchGet, and returns each one's item or error
// (classified as Connector.Stat's).
func (g *gmailService) statMany(ctx context.Context, user string, ids []string) ([]connectors.Item, []error) {
	items := make([]connectors.Item, len(ids))
	errs := make([]error, len(ids))
	failAll := func(err error) ([]connectors.Item, []error) {
		for k, id := range ids {
			ref := gmailRef(user, id)
			errs[k] = classifyError("stat", ref, gerr("stat", ref, err))
		}
		return items, errs
	}
	svc, err := g.c.gmailFor(ctx, user)
	if err != nil {
		return failAll(err)
	}
	names, err := g.loadLabels(ctx, svc, user)
	if err != nil {
		return failAll(err)
	}
	unique := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	out, err := g.batchGet(ctx, "stat", user, unique, metadataQuery)
	reloaded := false
	for k, id := range ids {
		ref := gmailRef(user, id)
		o, ok := out[id]
		switch {
		case !ok:
			if err == nil {
				err = errors.New("the batch answered no call for this message")
			}
			errs[k] = classifyError("stat", ref, err)
		case o.notFound:
			errs[k] = connectors.Errorf(connectors.CodeNotFound, "stat", ref, errors.New("no such message"))
		case o.err != nil:
			errs[k] = connectors.Errorf(connectors.CodeIO, "stat", ref, o.err)
		default:
			it, ierr := g.item(user, o.msg, names, reloaded)
			if errors.Is(ierr, errUnknownLabel) && !reloaded {
				if names, ierr = g.reloadLabels(ctx, svc, user); ierr != nil {
					errs[k] = classifyError("stat", ref, gerr("stat", ref, ierr))
					continue
				}
				reloaded = true
				it, ierr = g.item(user, o.msg, names, true)
			}
			if ierr != nil {
				errs[k] = connectors.Errorf(connectors.CodeIO, "stat", ref, ierr)
				continue
			}
			items[k] = it
		}
	}
	return items, errs
}
