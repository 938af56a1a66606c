// Package m365 is the connector for Microsoft 365 (Exchange Online)
// mailboxes, through Microsoft Graph with msgraph-sdk-go and app-only
// authentication. It is the only package that imports the Graph SDK.
//
// # Refs and versions
//
// A ref is "<mailbox>/<message id>": the mailbox's address in lower case
// and the message's immutable id, which survives moves between folders
// (every request asks for it with Prefer: IdType="ImmutableId", later pages
// and batch steps included). The container of a message is its mailbox. A
// version is "<changeKey>@<receivedDateTime in Unix seconds>": the change
// key changes on every edit (categories, flags, a move); the receipt time,
// which never changes, lets a deletion re-check versions with one filtered
// listing instead of one request per message.
//
// # Listing
//
// List reads each mailbox's /messages collection, which spans every
// folder (Inbox and its subfolders, Sent Items, Deleted Items, archives),
// with $select of the few fields needed and pages of up to 1000, following
// @odata.nextLink. Pages and JSON batch answers are sent through the SDK's
// request adapter but decoded into those fields alone (see wire.go). When ListOptions.ReceivedBefore is set it filters on
// receivedDateTime, so old mail is found without reading the mailbox.
// Mailboxes are fetched in parallel (parallel_mailboxes) and delivered in
// order, holding at most two pages per mailbox in flight. A mailbox that
// cannot be read (it does not exist, the app may not read it, Graph keeps
// failing, a page is malformed or its nextLink loops) is skipped and named
// in a connectors.IncompleteError; a failure to authenticate stops the
// listing.
//
// # Deletion
//
// DeleteBatch deletes with permanentDelete (not DELETE, which only moves
// mail to Deleted Items), in JSON batches of up to 20 steps for one mailbox.
// See delete.go.
package m365

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365/classify"
)

// Connector is an open mailbox source.
type Connector struct {
	opts       Options
	log        *zap.Logger
	adapter    *msgraphgocore.GraphRequestAdapterBase
	users      *users.UsersRequestBuilder
	batchURL   *url.URL // the JSON batch endpoint, <graph_url>/$batch
	classifier *classify.Classifier
	holds      map[string]bool
	exclude    map[string]bool
	limiter    *rate.Limiter
	retry      retryPolicy
	now        func() time.Time

	// deleting bounds the mailboxes being deleted from at once, across
	// concurrent DeleteBatch calls, to parallel_mailboxes; active counts
	// the calls working on each mailbox, which share its slot.
	deleting *semaphore.Weighted

	mu        sync.Mutex
	active    map[string]int
	mailboxes map[string]*semaphore.Weighted
	members   map[string]bool // group scope, resolved once per connector
}

var (
	_ connectors.Connector         = (*Connector)(nil)
	_ connectors.ConcurrentDeleter = (*Connector)(nil)
	_ connectors.ContainerChunker  = (*Connector)(nil)
	_ connectors.StableRefs        = (*Connector)(nil)
)

// StableRef implements [connectors.StableRefs]: a message's ref holds its
// immutable id (every request asks for ImmutableId), which no other
// message ever gets.
func (c *Connector) StableRef(ref string) bool {
	_, _, err := SplitRef(ref)
	return err == nil
}

// Kind is the registry entry for `kind: m365`.
func Kind() connectors.Kind {
	return connectors.NewKind("m365", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		return Open(ctx, env, *o)
	})
}

// Open builds a connector and checks that it can authenticate. It reads
// no mail.
func Open(ctx context.Context, env connectors.Env, o Options) (*Connector, error) {
	if err := o.Validate(); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	o = o.withDefaults()
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	tr, err := connectors.HTTPTransport(env.BaseDir, o.CAFile)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	cred, err := o.credential(env.BaseDir, &http.Client{Transport: tr, Timeout: o.Timeout})
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	gu, err := url.Parse(o.GraphURL)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	// The auth provider sends tokens only to the hosts listed here.
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, []string{gu.Hostname()})
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	c := &Connector{
		opts:       o,
		log:        log,
		classifier: classify.New(o.Keywords, o.Categories),
		holds:      lowerSet(o.ExchangeHolds),
		exclude:    lowerSet(o.Exclude),
		limiter:    rate.NewLimiter(rate.Limit(float64(o.RequestsPerMinute)/60), max(1, min(o.RequestsPerMinute/60, 50))),
		retry:      defaultRetry,
		now:        env.Now,
		mailboxes:  map[string]*semaphore.Weighted{},
		deleting:   semaphore.NewWeighted(int64(o.ParallelMailboxes)),
		active:     map[string]int{},
	}
	// Graph's default pipeline, with kiota's retry handler (which truncates
	// fractional Retry-After values and never sees throttled batch steps)
	// replaced by ours, which also spends the request budget, and without
	// the handler that gzips request bodies: ours are batches of a few
	// kilobytes, and a gzip writer per request was an eighth of the CPU
	// time in bench/graph.sh. Responses are still accepted gzipped.
	var chain []khttp.Middleware
	for _, m := range msgraphgocore.GetDefaultMiddlewaresWithOptions(&msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0"}) {
		switch m.(type) {
		case *khttp.RetryHandler:
			chain = append(chain, &retryMiddleware{c: c})
		case *khttp.CompressionHandler:
		default:
			chain = append(chain, m)
		}
	}
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(tr, chain...), Timeout: o.Timeout}
	pnf := absser.NewParseNodeFactoryRegistry()
	pnf.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonParseNodeFactory()
	swf := absser.NewSerializationWriterFactoryRegistry()
	swf.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonSerializationWriterFactory()
	adapter, err := msgraphgocore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0"}, pnf, swf, hc)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	// Batch step URLs are computed from the adapter's base URL: set it
	// before building anything from the adapter.
	adapter.SetBaseUrl(o.GraphURL)
	c.adapter = adapter
	if c.batchURL, err = url.Parse(o.GraphURL + "/$batch"); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	c.users = users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": o.GraphURL}, adapter)

	// Authenticate now, so that a wrong tenant, client or credential is an
	// error of Open and not of the first mailbox.
	tctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if _, err := cred.GetToken(tctx, policyTokenOptions()); err != nil {
		return nil, classifyAuth("open", err)
	}
	return c, nil
}

func lowerSet(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[strings.ToLower(s)] = true
	}
	return m
}

// Location implements connectors.Connector.
func (c *Connector) Location() string {
	switch {
	case c.opts.AllUsers:
		return "m365:tenant " + c.opts.TenantID + " (all mailboxes)"
	case c.opts.Group != "":
		return "m365:tenant " + c.opts.TenantID + " group " + c.opts.Group
	}
	return fmt.Sprintf("m365:tenant %s (%d mailboxes)", c.opts.TenantID, len(c.opts.Mailboxes))
}

// Close implements connectors.Connector.
func (c *Connector) Close() error { return nil }

var listFields = []string{"id", "changeKey", "receivedDateTime", "lastModifiedDateTime", "createdDateTime",
	"subject", "bodyPreview", "categories"}

// sem returns the concurrency limiter of a mailbox.
func (c *Connector) sem(mailbox string) *semaphore.Weighted {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.mailboxes[mailbox]
	if s == nil {
		s = semaphore.NewWeighted(int64(c.opts.MaxConcurrentPerMailbox))
		c.mailboxes[mailbox] = s
	}
	return s
}

// enterMailbox waits until the mailbox may be worked on: it already is,
// by another DeleteBatch call, or fewer than parallel_mailboxes mailboxes
// are. Each successful call must be matched by leaveMailbox.
func (c *Connector) enterMailbox(ctx context.Context, mb string) error {
	c.mu.Lock()
	if c.active[mb] > 0 {
		c.active[mb]++
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	if err := c.deleting.Acquire(ctx, 1); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active[mb] > 0 { // another call entered while we waited
		c.deleting.Release(1)
	}
	c.active[mb]++
	return nil
}

func (c *Connector) leaveMailbox(mb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active[mb]--; c.active[mb] == 0 {
		delete(c.active, mb)
		c.deleting.Release(1)
	}
}

// call runs fn holding n of the mailbox's concurrency slots.
func (c *Connector) call(ctx context.Context, mailbox string, n int, fn func() error) error {
	n = min(n, c.opts.MaxConcurrentPerMailbox)
	s := c.sem(mailbox)
	if err := s.Acquire(ctx, int64(n)); err != nil {
		return err
	}
	defer s.Release(int64(n))
	return fn()
}

// SplitRef splits a ref into mailbox and message id, or reports why it is
// not a ref this connector could have produced.
func SplitRef(ref string) (mailbox, id string, err error) {
	mailbox, id, ok := strings.Cut(ref, "/")
	switch {
	case !ok:
		return "", "", errors.New("a mailbox ref is <mailbox>/<message id>")
	case !validMailbox(mailbox) || mailbox != strings.ToLower(mailbox):
		return "", "", errors.New("not a mailbox address in lower case")
	case !validID(id):
		return "", "", errors.New("not a message id")
	}
	return mailbox, id, nil
}

func validID(id string) bool {
	if id == "" || id == "." || id == ".." || len(id) > 512 {
		return false
	}
	for _, r := range id {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return false
		}
	}
	return true
}

// checkRef validates a ref and that its mailbox is in scope.
func (c *Connector) checkRef(ctx context.Context, op, ref string) (string, string, error) {
	mb, id, err := SplitRef(ref)
	if err != nil {
		return "", "", connectors.Errorf(connectors.CodeInvalid, op, ref, err)
	}
	in, err := c.inScope(ctx, mb)
	if err != nil {
		return "", "", err
	}
	if !in {
		return "", "", connectors.Errorf(connectors.CodeInvalid, op, ref, errors.New("mailbox is not in this source's scope"))
	}
	return mb, id, nil
}

func (c *Connector) inScope(ctx context.Context, mb string) (bool, error) {
	switch {
	case len(c.opts.Mailboxes) > 0:
		return slices.ContainsFunc(c.opts.Mailboxes, func(m string) bool { return strings.EqualFold(m, mb) }), nil
	case c.exclude[mb]:
		return false, nil
	case c.opts.AllUsers:
		return true, nil
	}
	c.mu.Lock()
	members := c.members
	c.mu.Unlock()
	if members == nil {
		if _, err := c.scope(ctx); err != nil {
			return false, err
		}
		c.mu.Lock()
		members = c.members
		c.mu.Unlock()
	}
	return members[mb], nil
}

// scope returns the mailboxes of the source, sorted.
func (c *Connector) scope(ctx context.Context) ([]string, error) {
	if len(c.opts.Mailboxes) > 0 {
		var mbs []string
		for _, m := range c.opts.Mailboxes {
			mbs = append(mbs, strings.ToLower(m))
		}
		slices.Sort(mbs)
		return mbs, nil
	}
	u := c.opts.GraphURL + "/users?$select=id,userPrincipalName&$top=999"
	if c.opts.Group != "" {
		u = c.opts.GraphURL + "/groups/" + url.PathEscape(c.opts.Group) + "/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName&$top=999"
	}
	var mbs []string
	seen := map[string]bool{}
	for u != "" {
		if seen[u] {
			return nil, connectors.Errorf(connectors.CodeIO, "list", "", errors.New("Graph returned a nextLink that loops while listing users"))
		}
		seen[u] = true
		ri := abstractions.NewRequestInformation()
		ri.Method = abstractions.GET
		pu, err := url.Parse(u)
		if err != nil {
			return nil, connectors.Errorf(connectors.CodeIO, "list", "", fmt.Errorf("parse nextLink: %w", err))
		}
		ri.SetUri(*pu)
		ri.Headers.Add("Accept", "application/json")
		res, err := c.adapter.Send(ctx, ri, models.CreateUserCollectionResponseFromDiscriminatorValue, errorMapping)
		if err != nil {
			return nil, connectorError("list", "", err)
		}
		page, ok := res.(models.UserCollectionResponseable)
		if !ok {
			return nil, connectors.Errorf(connectors.CodeIO, "list", "", errors.New("unexpected response listing users"))
		}
		for _, usr := range page.GetValue() {
			upn := strings.ToLower(deref(usr.GetUserPrincipalName()))
			if upn == "" || c.exclude[upn] || !validMailbox(upn) {
				continue
			}
			mbs = append(mbs, upn)
		}
		u = deref(page.GetOdataNextLink())
	}
	slices.Sort(mbs)
	mbs = slices.Compact(mbs)
	if c.opts.Group != "" {
		m := make(map[string]bool, len(mbs))
		for _, mb := range mbs {
			m[mb] = true
		}
		c.mu.Lock()
		c.members = m
		c.mu.Unlock()
	}
	return mbs, nil
}

var errorMapping = abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Version returns the version of a message: its change key and receipt.
func Version(changeKey string, received time.Time) string {
	return changeKey + "@" + strconv.FormatInt(received.Unix(), 10)
}

// parseVersion returns the receipt time recorded in a version.
func parseVersion(v string) (changeKey string, received time.Time, ok bool) {
	i := strings.LastIndexByte(v, '@')
	if i < 0 {
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return v[:i], time.Unix(sec, 0).UTC(), true
}

// item converts a Graph message to an item.
func (c *Connector) item(mailbox string, m *wireMessage) (connectors.Item, error) {
	id := m.ID
	if !validID(id) {
		return connectors.Item{}, fmt.Errorf("message id %q cannot be a ref", id)
	}
	rcv, err := parseTime(m.Received)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("message %s: receivedDateTime: %w", id, err)
	}
	if rcv.IsZero() {
		return connectors.Item{}, fmt.Errorf("message %s has no receivedDateTime", id)
	}
	mod, err := parseTime(m.LastModified)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("message %s: lastModifiedDateTime: %w", id, err)
	}
	created, err := parseTime(m.Created)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("message %s: createdDateTime: %w", id, err)
	}
	it := connectors.Item{
		Ref:       mailbox + "/" + id,
		Version:   Version(m.ChangeKey, rcv),
		Container: mailbox,
		Kind:      connectors.KindMessage,
		Size:      -1,
		Received:  rcv.UTC(),
		Modified:  mod.UTC(),
		Created:   created.UTC(),
	}
	findings := c.classifier.Classify(classify.Mail{Subject: m.Subject, Preview: m.BodyPreview, Categories: m.Categories})
	if len(findings) > 0 {
		it.Labels = append(it.Labels, LabelSensitive)
		for _, f := range findings {
			it.Labels = append(it.Labels, "sensitive: "+f.String())
		}
	}
	return it, nil
}

// LabelSensitive is the label of a message in which the classifier found a
// CPR number, a keyword or a category (rule M1). Each finding adds a
// further label "sensitive: <what was found, never the number>".
const LabelSensitive = "sensitive"

// Stat implements connectors.Connector.
func (c *Connector) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	mb, id, err := c.checkRef(ctx, "stat", ref)
	if err != nil {
		return connectors.Item{}, err
	}
	u, err := url.Parse(c.opts.GraphURL + messagePath(mb, id) + "?$select=" + strings.Join(listFields, ","))
	if err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, err)
	}
	var m wireMessage
	err = c.call(ctx, mb, 1, func() error {
		return c.getJSON(ctx, u, &m)
	})
	if err != nil {
		return connectors.Item{}, connectorError("stat", ref, err)
	}
	it, err := c.item(mb, &m)
	if err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeIO, "stat", ref, err)
	}
	return it, nil
}

// page is one page of a mailbox's listing, or the error that ended it.
type page struct {
	items []connectors.Item
	err   error
}

// List implements connectors.Connector.
func (c *Connector) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	mbs, err := c.scope(ctx)
	if err != nil {
		return err
	}
	if opts.Prefix != "" {
		if slices.Contains(mbs, opts.Prefix) {
			mbs = []string{opts.Prefix}
		} else {
			mbs = nil
		}
	}
	if len(opts.Skip) > 0 {
		mbs = slices.DeleteFunc(slices.Clone(mbs), func(mb string) bool { return opts.Skip[mb] })
	}
	if len(mbs) == 0 {
		return nil
	}
	done := func(mb string, err error) {
		if opts.ContainerDone != nil {
			opts.ContainerDone(mb, err)
		}
	}
	var (
		skipped []error
		failed  int
		mbErr   error // of the mailbox being consumed
	)
	// A mailbox's pages come one after the other, a round trip each, and
	// the caller takes mailboxes in order: the mailboxes after the one
	// being taken are listed meanwhile, up to four pages per parallel
	// mailbox ahead of it (page_size messages each), the next mailboxes
	// first, so that a listing of large mailboxes does not take the sum
	// of their round trips. That read-ahead is what bounds a plan's
	// memory.
	err = connectors.InOrder(ctx, len(mbs), c.opts.ParallelMailboxes, 4*c.opts.ParallelMailboxes,
		func(ctx context.Context, i int, send func(page) bool) {
			c.listMailbox(ctx, mbs[i], opts.ReceivedBefore, send)
		},
		func(i int, p page) error {
			mb := mbs[i]
			for _, it := range p.items {
				if err := fn(it); err != nil {
					return err
				}
			}
			if p.err == nil {
				return nil
			}
			if errors.Is(p.err, errNoMailbox) && len(c.opts.Mailboxes) == 0 {
				c.log.Debug("user has no mailbox; skipped", zap.String("mailbox", mb))
				return nil
			}
			if connectors.CodeOf(p.err) == connectors.CodeCancelled {
				return p.err
			}
			var af *azidentity.AuthenticationFailedError
			if errors.As(p.err, &af) || isUnauthenticated(p.err) {
				return p.err
			}
			c.log.Warn("mailbox skipped", zap.String("mailbox", mb), zap.Error(p.err))
			skipped = append(skipped, p.err)
			mbErr = p.err
			failed++
			return nil
		},
		func(i int) error {
			done(mbs[i], mbErr)
			mbErr = nil
			return nil
		})
	if err != nil {
		return err
	}
	if failed == len(mbs) {
		return fmt.Errorf("no mailbox could be read (%d of %d failed): %w", failed, len(mbs), errors.Join(skipped...))
	}
	if len(skipped) > 0 {
		return &connectors.IncompleteError{Skipped: skipped}
	}
	return nil
}

var errNoMailbox = errors.New("the user has no Exchange Online mailbox")

// listMailbox sends the mailbox's pages; the last one may carry an error.
// It gives up when send refuses a page.
func (c *Connector) listMailbox(ctx context.Context, mb string, before time.Time, send func(page) bool) {
	q := &users.ItemMessagesRequestBuilderGetQueryParameters{Select: listFields, Top: ptr(int32(c.opts.PageSize))}
	if !before.IsZero() {
		q.Filter = ptr("receivedDateTime lt " + before.UTC().Format(time.RFC3339))
	}
	err := c.eachPage(ctx, mb, q, func(res *wirePage) error {
		p := page{items: make([]connectors.Item, 0, len(res.Value))}
		for i := range res.Value {
			it, err := c.item(mb, &res.Value[i])
			if err != nil {
				return connectors.Errorf(connectors.CodeIO, "list", mb, err)
			}
			p.items = append(p.items, it)
		}
		if !send(p) {
			return connectors.Errorf(connectors.CodeCancelled, "list", mb, ctx.Err())
		}
		return nil
	})
	if err != nil {
		send(page{err: err})
	}
}

// eachPage fetches the pages of a mailbox's messages for q, holding one of
// the mailbox's concurrency slots per request, and calls fn with each,
// stopping at fn's first error. A nextLink already followed, or pointing
// back at the first page, is a paging loop: it stops with an error rather
// than read the same messages again.
func (c *Connector) eachPage(ctx context.Context, mb string, q *users.ItemMessagesRequestBuilderGetQueryParameters, fn func(*wirePage) error) error {
	ri, err := c.users.ByUserId(mb).Messages().ToGetRequestInformation(ctx, &users.ItemMessagesRequestBuilderGetRequestConfiguration{QueryParameters: q})
	if err != nil {
		return connectors.Errorf(connectors.CodeInvalid, "list", mb, err)
	}
	u, err := ri.GetUri()
	if err != nil {
		return connectors.Errorf(connectors.CodeInvalid, "list", mb, err)
	}
	seen := map[string]bool{canonicalURL(u.String()): true}
	var res wirePage
	for {
		err := c.call(ctx, mb, 1, func() error {
			return c.getPage(ctx, u, &res)
		})
		if err != nil {
			return connectorError("list", mb, err)
		}
		if err := fn(&res); err != nil {
			return err
		}
		next := res.NextLink
		if next == "" {
			return nil
		}
		if u, err = url.Parse(next); err != nil {
			return connectors.Errorf(connectors.CodeIO, "list", mb, fmt.Errorf("parse nextLink: %w", err))
		}
		if seen[canonicalURL(next)] {
			return connectors.Errorf(connectors.CodeIO, "list", mb, errors.New("Graph returned a nextLink that was already followed (a paging loop); the mailbox was not read completely"))
		}
		seen[canonicalURL(next)] = true
	}
}

// canonicalURL spells a URL one way ($ or %24, query order), to compare
// nextLinks.
func canonicalURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return strings.ToLower(u.Host) + u.EscapedPath() + "?" + u.Query().Encode()
}

func ptr[T any](v T) *T { return &v }
