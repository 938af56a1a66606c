// Package google is the connector for Google Workspace: Gmail messages and
// Drive files of the users in a source's scope, and shared drives named in
// its configuration, read and deleted through google.golang.org/api with a
// service account and domain-wide delegation (each user impersonated).
//
// Refs (the first segment says which service holds the item):
//
//	gmail/<user>/<message id>           a message; Container "gmail/<user>"
//	drive/<user>/<path>/<name>          a file in the user's My Drive
//	shared/<drive id>/<path>/<name>     a file in a shared drive
//
// Drive refs are paths, as on a file share, so that the file rules (which
// select by path) apply unchanged and emptied folders can be pruned; a
// Drive file's Version includes its file id, so a file replaced by another
// of the same name is never deleted in its place. Names that occur twice in
// one folder are told apart as drive.go describes.
package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/vault/v1"

	"github.com/retentiond/retentiond/connectors"
)

// Ref prefixes: the first segment of every ref.
const (
	prefixGmail  = "gmail"
	prefixDrive  = "drive"
	prefixShared = "shared"
)

// service is one Google service a source manages. The connector's List
// calls listUser for each user in scope (and for each shared drive), one
// container at a time; Stat and DeleteBatch route by the ref's first
// segment. Implementations: gmailService (gmail.go), driveService
// (drive.go).
type service interface {
	// prefixes are the ref prefixes this service owns.
	prefixes() []string

	// list lists the items of one container (a user's mailbox, a user's
	// My Drive, a shared drive), calling fn for each, as
	// connectors.Connector.List describes. Parts of the container it
	// could not read are returned as an *connectors.IncompleteError.
	list(ctx context.Context, c container, opts connectors.ListOptions, fn func(connectors.Item) error) error

	// stat is connectors.Connector.Stat for a ref this service owns.
	stat(ctx context.Context, ref string) (connectors.Item, error)

	// deleteBatch is connectors.Connector.DeleteBatch for targets this
	// service owns: one Result per target, in order. held reports whether
	// the user of a target is under a Google Vault hold (or on the
	// configured list): such deletions are OutcomeHeld, never
	// OutcomeDeleted.
	deleteBatch(ctx context.Context, targets []connectors.Target) []connectors.Result
}

// container is one unit of listing: a user's mailbox or My Drive, or a
// shared drive. Ref is what ContainerDone reports ("gmail/anna@skole.dk",
// "drive/anna@skole.dk", "shared/0AbCd…").
type container struct {
	Ref string
	// User is the account impersonated to read and delete it: the user
	// for mailboxes and My Drives, the configured account for shared
	// drives.
	User string
	// DriveID is set for shared drives.
	DriveID string
}

// Connector is a Google Workspace source. The core (google.go, options.go,
// auth.go, directory.go, vault.go, transport.go) resolves the scope, holds
// the impersonated clients, enforces quotas and retries, and routes calls
// to the services.
type Connector struct {
	opts Options
	env  connectors.Env
	log  *zap.Logger
	now  func() time.Time

	gmail *gmailService // nil when the source does not manage Gmail
	drive *driveService // nil when the source does not manage Drive

	key         []byte // the service account's JSON key
	clientID    string
	base        http.RoundTripper
	tokenClient *http.Client
	retry       retryPolicy
	sleep       func(ctx context.Context, d time.Duration) error
	paceNow     func() time.Time // see wait
	pace        pacer
	stats       counters

	mu         sync.Mutex
	sources    map[string]oauth2.TokenSource
	clients    map[clientKey]*http.Client
	gmailSvcs  map[string]*gmail.Service
	driveSvcs  map[string]*drive.Service
	directory  *admin.Service
	vaultSvc   *vault.Service
	orgUnitSvc *admin.Service
	resolved   *scope

	holdsMu sync.Mutex
	held    *holds
}

var (
	_ connectors.Connector         = (*Connector)(nil)
	_ connectors.ConcurrentDeleter = (*Connector)(nil)
	_ connectors.ContainerChunker  = (*Connector)(nil)
	_ connectors.Pruner            = (*Connector)(nil)
	_ connectors.StableRefs        = (*Connector)(nil)
)

// StableRef implements [connectors.StableRefs]: a Gmail ref holds the
// message's id, which Gmail never gives to another message; Drive refs
// are paths, where another file may take a deleted one's place.
func (c *Connector) StableRef(ref string) bool {
	_, _, err := parseGmailRef(ref)
	return err == nil
}

// Kind is the registry entry for `kind: google`.
func Kind() connectors.Kind {
	return connectors.NewKind("google", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		return Open(ctx, env, *o)
	})
}

// Open builds a connector and checks that the service account's key is
// good and that domain-wide delegation grants it every scope the options
// need, by getting a token impersonating Admin. It lists nothing.
func Open(ctx context.Context, env connectors.Env, o Options) (*Connector, error) {
	if err := o.Validate(); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	o = o.withDefaults()
	if env.Logger == nil {
		env.Logger = zap.NewNop()
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	key, clientID, err := o.readKey(env.BaseDir)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	tr, err := connectors.HTTPTransport(env.BaseDir, o.CAFile)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	c := &Connector{
		opts:      o,
		env:       env,
		log:       env.Logger,
		now:       env.Now,
		key:       key,
		clientID:  clientID,
		base:      tr,
		retry:     defaultRetry,
		sleep:     connectors.Sleep,
		paceNow:   time.Now,
		pace:      pacer{gmail: map[string]*rate.Limiter{}, drive: map[string]*rate.Limiter{}},
		sources:   map[string]oauth2.TokenSource{},
		clients:   map[clientKey]*http.Client{},
		gmailSvcs: map[string]*gmail.Service{},
		driveSvcs: map[string]*drive.Service{},
	}
	c.tokenClient = &http.Client{Transport: &transport{c: c, api: apiToken, base: tr}}
	if *o.Gmail {
		c.gmail = &gmailService{c: c}
	}
	if *o.Drive || len(o.SharedDrives) > 0 {
		c.drive = &driveService{c: c}
	}

	// One token with every scope the options need, impersonating Admin:
	// a wrong key, an unknown service account, a scope not granted or an
	// admin that does not exist fail here, not in the first listing.
	scopes := o.neededScopes()
	ts, err := c.tokenSource(o.Admin, scopes)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	if _, err := tokenWithContext(ctx, ts); err != nil {
		return nil, c.classifyAuth("open", "", o.Admin, scopes, err)
	}
	for _, s := range c.services() {
		if op, ok := s.(interface{ open(context.Context) error }); ok {
			if err := op.open(ctx); err != nil {
				return nil, classifyError("open", "", err)
			}
		}
	}
	return c, nil
}

// tokenWithContext gets a token, giving up when ctx ends (the token
// source itself runs on the connector's context).
func tokenWithContext(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	type res struct {
		t   *oauth2.Token
		err error
	}
	ch := make(chan res, 1)
	go func() {
		t, err := ts.Token()
		ch <- res{t, err}
	}()
	select {
	case r := <-ch:
		return r.t, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// services are the services the source manages, Gmail first.
func (c *Connector) services() []service {
	var ss []service
	if c.gmail != nil {
		ss = append(ss, c.gmail)
	}
	if c.drive != nil {
		ss = append(ss, c.drive)
	}
	return ss
}

// serviceFor returns the service owning a ref prefix, or nil.
func (c *Connector) serviceFor(prefix string) service {
	for _, s := range c.services() {
		if slices.Contains(s.prefixes(), prefix) {
			return s
		}
	}
	return nil
}

// Location implements connectors.Connector.
func (c *Connector) Location() string {
	var what []string
	if c.gmail != nil {
		what = append(what, "gmail")
	}
	if *c.opts.Drive {
		what = append(what, "drive")
	}
	if n := len(c.opts.SharedDrives); n > 0 {
		what = append(what, fmt.Sprintf("%d shared drives", n))
	}
	scope := fmt.Sprintf("%d users", len(c.opts.Users))
	switch {
	case c.opts.OrgUnit != "":
		scope = "org unit " + c.opts.OrgUnit
	case c.opts.Group != "":
		scope = "group " + c.opts.Group
	}
	return fmt.Sprintf("google:%s %s (%s)", strings.Join(c.opts.Domains, ","), scope, strings.Join(what, ", "))
}

// Close implements connectors.Connector.
func (c *Connector) Close() error {
	if tr, ok := c.base.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	return nil
}

// DeleteConcurrency implements connectors.ConcurrentDeleter: quotas are
// per user, so calls for different users go side by side.
func (c *Connector) DeleteConcurrency() int { return c.opts.ParallelUsers }

// callItems is the most targets handed to one DeleteBatch call: one
// Gmail batchDelete takes 1000 ids, and a call's re-check and
// verification are a few requests against it.
const callItems = 1000

// ContainerChunking implements connectors.ContainerChunker: quotas are
// per user, so each user's items form chunks of their own.
func (c *Connector) ContainerChunking() connectors.ContainerChunking {
	return connectors.ContainerChunking{MinItems: 50, CallItems: callItems}
}

// containers returns the containers of the scope in listing order: each
// user's mailbox then My Drive, users sorted, then the shared drives in
// the order configured. Containers of users that were skipped carry
// their error.
func (c *Connector) containers(sc *scope) []listed {
	var out []listed
	users := make([]string, 0, len(sc.users)+len(sc.skipped))
	users = append(users, sc.users...)
	skipped := map[string]skippedUser{}
	for _, s := range sc.skipped {
		users = append(users, s.user)
		skipped[s.user] = s
	}
	slices.Sort(users)
	for _, u := range users {
		var cs []container
		if c.gmail != nil {
			cs = append(cs, container{Ref: prefixGmail + "/" + u, User: u})
		}
		if *c.opts.Drive {
			cs = append(cs, container{Ref: prefixDrive + "/" + u, User: u})
		}
		for _, ct := range cs {
			l := listed{container: ct}
			if s, ok := skipped[u]; ok {
				l.err = errorf(s.code, "list", ct.Ref, "%s", s.why)
			}
			out = append(out, l)
		}
	}
	for _, id := range c.opts.SharedDrives {
		out = append(out, listed{container: container{Ref: prefixShared + "/" + id, User: c.opts.SharedDrivesAs, DriveID: id}})
	}
	return out
}

type listed struct {
	container
	err error // set: the container cannot be listed
}

// chunk is a run of a container's items, or its end (err set, or last).
type chunk struct {
	items []connectors.Item
	err   error
}

const chunkItems = 256

// List implements connectors.Connector. Containers are listed up to
// parallel_users at once and delivered in order, with up to 4,096 items
// per parallel user read ahead of the container being delivered (see
// connectors.InOrder); fn is called in List's goroutine.
func (c *Connector) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	sc, err := c.scope(ctx)
	if err != nil {
		return err
	}
	all := c.containers(sc)
	var cs []listed
	for _, l := range all {
		if opts.Skip[l.Ref] || !underPrefix(l.Ref, opts.Prefix) {
			continue
		}
		cs = append(cs, l)
	}
	if len(cs) == 0 {
		return nil
	}
	done := func(ref string, err error) {
		if opts.ContainerDone != nil {
			opts.ContainerDone(ref, err)
		}
	}
	var (
		skipped []error
		failed  int
		cErr    error // of the container being consumed
	)
	// Containers after the one being taken are listed meanwhile, up to
	// sixteen chunks (4,096 items) per parallel user ahead of it, the
	// next containers first.
	err = connectors.InOrder(ctx, len(cs), c.opts.ParallelUsers, 16*c.opts.ParallelUsers,
		func(ctx context.Context, i int, send func(chunk) bool) {
			if cs[i].err != nil {
				send(chunk{err: cs[i].err})
				return
			}
			c.listContainer(ctx, cs[i].container, opts, send)
		},
		func(i int, ch chunk) error {
			for _, it := range ch.items {
				if err := fn(it); err != nil {
					return err
				}
			}
			if ch.err == nil {
				return nil
			}
			if stop := c.stopsListing(ch.err); stop != nil {
				return stop
			}
			var ie *connectors.IncompleteError
			if errors.As(ch.err, &ie) {
				skipped = append(skipped, ie.Skipped...)
			} else {
				skipped = append(skipped, ch.err)
			}
			cErr = ch.err
			return nil
		},
		func(i int) error {
			if cErr != nil {
				failed++
				c.log.Warn("container skipped", zap.String("service", strings.SplitN(cs[i].Ref, "/", 2)[0]), zap.Int("index", i), zap.String("code", connectors.CodeOf(cErr).String()))
			}
			done(cs[i].Ref, cErr)
			cErr = nil
			return nil
		})
	if err != nil {
		return err
	}
	if failed == len(cs) && failed > 0 {
		return fmt.Errorf("no container could be read (%d of %d failed): %w", failed, len(cs), errors.Join(skipped...))
	}
	if len(skipped) > 0 {
		return &connectors.IncompleteError{Skipped: skipped}
	}
	return nil
}

// listContainer sends one container's items in chunks; the last chunk
// carries the container's error, if any. It gives up when send refuses a
// chunk.
func (c *Connector) listContainer(ctx context.Context, ct container, opts connectors.ListOptions, send func(chunk) bool) {
	svc := c.serviceFor(strings.SplitN(ct.Ref, "/", 2)[0])
	if svc == nil {
		send(chunk{err: errorf(connectors.CodeInvalid, "list", ct.Ref, "no service manages this container")})
		return
	}
	buf := make([]connectors.Item, 0, chunkItems)
	errStopped := errors.New("listing stopped")
	err := svc.list(ctx, ct, opts, func(it connectors.Item) error {
		buf = append(buf, it)
		if len(buf) == chunkItems {
			if !send(chunk{items: buf}) {
				return errStopped
			}
			buf = make([]connectors.Item, 0, chunkItems)
		}
		return nil
	})
	if errors.Is(err, errStopped) || ctx.Err() != nil {
		return
	}
	if err != nil {
		var ie *connectors.IncompleteError
		if !errors.As(err, &ie) {
			err = classifyError("list", ct.Ref, err)
		}
	}
	send(chunk{items: buf, err: err})
}

// stopsListing returns the error that ends a whole listing: cancellation,
// or a service account that may no longer impersonate anyone (delegation
// revoked, key deleted). A user that cannot be impersonated only skips
// that user's containers.
func (c *Connector) stopsListing(err error) error {
	if connectors.CodeOf(err) == connectors.CodeCancelled {
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		ce := c.classifyAuth("list", "", "", nil, re)
		if connectors.CodeOf(ce) == connectors.CodePermission {
			return ce
		}
	}
	return nil
}

// underPrefix reports whether a container is listed for a prefix: the
// prefix is empty, a service ("gmail"), the container, or inside it.
func underPrefix(container, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || container == prefix || strings.HasPrefix(container, prefix+"/") || strings.HasPrefix(prefix, container+"/")
}

// route checks a ref and returns the service owning it: its first
// segment names a managed service and its user (or shared drive) is in
// the scope.
func (c *Connector) route(ctx context.Context, op, ref string) (service, error) {
	prefix, rest, ok := strings.Cut(ref, "/")
	owner, _, _ := strings.Cut(rest, "/")
	if !ok || owner == "" {
		return nil, errorf(connectors.CodeInvalid, op, ref, "a ref is gmail/<user>/<id>, drive/<user>/<path> or shared/<drive id>/<path>")
	}
	svc := c.serviceFor(prefix)
	if svc == nil || prefix == prefixDrive && !*c.opts.Drive {
		return nil, errorf(connectors.CodeInvalid, op, ref, "this source does not manage %q refs", prefix)
	}
	if prefix == prefixShared {
		if !slices.Contains(c.opts.SharedDrives, owner) {
			return nil, errorf(connectors.CodeInvalid, op, ref, "not a shared drive of this source")
		}
		return svc, nil
	}
	if owner != strings.ToLower(owner) || !validEmail(owner) {
		return nil, errorf(connectors.CodeInvalid, op, ref, "not a user's address in lower case")
	}
	if slices.Contains(c.opts.Users, owner) {
		// A listed user is in the scope without reading the directory: a
		// DeleteBatch of one user's items, by a connector opened for it,
		// costs no users.get of every listed user. (A user that no longer
		// exists fails in the service, at its token.)
		return svc, nil
	}
	sc, err := c.scope(ctx)
	if err != nil {
		return nil, err
	}
	if !sc.set[owner] {
		return nil, errorf(connectors.CodeInvalid, op, ref, "the user is not in this source's scope")
	}
	return svc, nil
}

// Stat implements connectors.Connector.
func (c *Connector) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	svc, err := c.route(ctx, "stat", ref)
	if err != nil {
		return connectors.Item{}, err
	}
	it, err := svc.stat(ctx, ref)
	if err != nil {
		return connectors.Item{}, classifyError("stat", ref, err)
	}
	return it, nil
}

// DeleteBatch implements connectors.Connector: the targets are routed to
// their services by prefix, each service's in one call, and the results
// put back in the order given. Refs that are not the source's fail with
// CodeInvalid.
func (c *Connector) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	if ctx.Err() != nil {
		return connectors.EachTarget(ctx, "delete", targets, nil), nil
	}
	results := make([]connectors.Result, len(targets))
	type group struct {
		svc     service
		index   []int
		targets []connectors.Target
	}
	var groups []*group
	for i, t := range targets {
		svc, err := c.route(ctx, "delete", t.Ref)
		if err != nil {
			switch code := connectors.CodeOf(err); {
			case code == connectors.CodeCancelled && ctx.Err() != nil:
				return connectors.EachTarget(ctx, "delete", targets, nil), nil
			case code != connectors.CodeInvalid:
				// The scope could not be read: nothing was attempted.
				return nil, err
			}
			results[i] = connectors.Result{Ref: t.Ref, Outcome: connectors.OutcomeFailed, Err: err}
			continue
		}
		var g *group
		for _, x := range groups {
			if x.svc == svc {
				g = x
			}
		}
		if g == nil {
			g = &group{svc: svc}
			groups = append(groups, g)
		}
		g.index = append(g.index, i)
		g.targets = append(g.targets, t)
	}
	for _, g := range groups {
		var rs []connectors.Result
		if err := ctx.Err(); err != nil {
			rs = connectors.EachTarget(ctx, "delete", g.targets, nil)
		} else {
			rs = g.svc.deleteBatch(ctx, g.targets)
		}
		if len(rs) != len(g.targets) {
			return nil, errorf(connectors.CodeOther, "delete", "", "a service returned %d results for %d targets", len(rs), len(g.targets))
		}
		for j, r := range rs {
			results[g.index[j]] = r
		}
	}
	return results, nil
}

// PruneEmpty implements connectors.Pruner for Drive folders; other refs
// have no containers to prune.
func (c *Connector) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	if c.drive == nil {
		return nil, nil
	}
	var drive []string
	for _, ct := range containers {
		p, _, _ := strings.Cut(ct, "/")
		if p == prefixDrive || p == prefixShared {
			drive = append(drive, ct)
		}
	}
	if len(drive) == 0 {
		return nil, nil
	}
	return c.drive.pruneEmpty(ctx, drive, stopAt)
}
