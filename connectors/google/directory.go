package google

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	admin "google.golang.org/api/admin/directory/v1"

	"github.com/retentiond/retentiond/connectors"
)

// scope is the resolved set of users a source manages.
type scope struct {
	// users are the users to list, in lower case, sorted.
	users []string
	// skipped are the users of the configuration that could not be
	// managed (they do not exist, are suspended), each with its error;
	// sorted by user.
	skipped []skippedUser
	// set holds users and skipped users: the refs Stat and DeleteBatch
	// accept.
	set map[string]bool
	// orgUnit is each user's organisational unit when the directory said
	// it (for Vault holds on org units).
	orgUnit map[string]string
}

type skippedUser struct {
	user string
	code connectors.Code
	why  string
}

// maxPages bounds a directory listing: 10,000 pages of up to 500 users.
const maxPages = 10000

// resolveScope reads the users of the scope from the directory: listed
// users looked up one by one, an org unit's users with its sub-units, a
// group's members through nested groups; less Exclude. Users that do not
// exist or are suspended are skipped (and named by List); any other
// failure to read the directory is an error: the scope is unknown.
func (c *Connector) resolveScope(ctx context.Context) (*scope, error) {
	svc, err := c.adminService(ctx)
	if err != nil {
		return nil, err
	}
	sc := &scope{set: map[string]bool{}, orgUnit: map[string]string{}}
	exclude := map[string]bool{}
	for _, u := range c.opts.Exclude {
		exclude[u] = true
	}
	add := func(email, ou string, suspended bool) error {
		email = strings.ToLower(email)
		if !validEmail(email) {
			return errorf(connectors.CodeIO, "list", "", "the directory returned a user without a valid primary email (%d characters)", len(email))
		}
		if exclude[email] || sc.set[email] {
			return nil
		}
		sc.set[email] = true
		if ou != "" {
			sc.orgUnit[email] = ou
		}
		if suspended {
			sc.skipped = append(sc.skipped, skippedUser{email, connectors.CodePermission, "the account is suspended: it cannot be impersonated"})
			return nil
		}
		sc.users = append(sc.users, email)
		return nil
	}
	switch {
	case len(c.opts.Users) > 0:
		// The listed users are looked up parallel_users at a time; the
		// answers are taken in the order configured.
		type lookup struct {
			usr *admin.User
			err error
		}
		found := make([]lookup, len(c.opts.Users))
		var wg sync.WaitGroup
		slots := make(chan struct{}, c.opts.ParallelUsers)
		for i, u := range c.opts.Users {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				found[i].usr, found[i].err = svc.Users.Get(u).Fields("primaryEmail", "suspended", "orgUnitPath").Context(ctx).Do()
			}()
		}
		wg.Wait()
		for i, u := range c.opts.Users {
			usr, err := found[i].usr, found[i].err
			if err != nil {
				if codeOf(err) == connectors.CodeNotFound {
					sc.set[u] = true
					sc.skipped = append(sc.skipped, skippedUser{u, connectors.CodeNotFound, "no such user in the directory"})
					continue
				}
				return nil, c.directoryError(err, "look up a listed user")
			}
			if !strings.EqualFold(usr.PrimaryEmail, u) {
				// An alias: the user is managed under its primary address,
				// the one Gmail and Drive name.
				c.log.Info("listed user is an alias; using the primary address")
			}
			if err := add(usr.PrimaryEmail, usr.OrgUnitPath, usr.Suspended); err != nil {
				return nil, err
			}
		}
	case c.opts.OrgUnit != "":
		call := svc.Users.List().Customer("my_customer").Query("orgUnitPath='"+c.opts.OrgUnit+"'").
			MaxResults(500).Fields("nextPageToken", "users(primaryEmail,suspended,orgUnitPath)")
		err := pages(ctx, "users of the org unit", func(token string) (string, error) {
			res, err := call.PageToken(token).Context(ctx).Do()
			if err != nil {
				return "", err
			}
			for _, u := range res.Users {
				if u.OrgUnitPath != c.opts.OrgUnit && !strings.HasPrefix(u.OrgUnitPath, strings.TrimSuffix(c.opts.OrgUnit, "/")+"/") {
					return "", errorf(connectors.CodeIO, "list", "", "the directory returned a user of another org unit for %s", c.opts.OrgUnit)
				}
				if err := add(u.PrimaryEmail, u.OrgUnitPath, u.Suspended); err != nil {
					return "", err
				}
			}
			return res.NextPageToken, nil
		})
		if err != nil {
			return nil, c.directoryError(err, "list the users of org unit "+c.opts.OrgUnit)
		}
	default:
		seen := map[string]bool{}
		var expand func(group string, depth int) error
		expand = func(group string, depth int) error {
			if seen[group] {
				return nil // a group nested twice, or a cycle
			}
			seen[group] = true
			if depth > 32 {
				return errorf(connectors.CodeInvalid, "list", "", "groups are nested more than 32 deep below %s", c.opts.Group)
			}
			var nested []string
			call := svc.Members.List(group).MaxResults(200).Fields("nextPageToken", "members(email,type,status)")
			err := pages(ctx, "members of a group", func(token string) (string, error) {
				res, err := call.PageToken(token).Context(ctx).Do()
				if err != nil {
					return "", err
				}
				for _, m := range res.Members {
					if err := c.member(m, &nested, add); err != nil {
						return "", err
					}
				}
				return res.NextPageToken, nil
			})
			if err != nil {
				return err
			}
			slices.Sort(nested)
			for _, g := range nested {
				if err := expand(g, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if err := expand(c.opts.Group, 0); err != nil {
			return nil, c.directoryError(err, "list the members of group "+c.opts.Group)
		}
	}
	slices.Sort(sc.users)
	slices.SortFunc(sc.skipped, func(a, b skippedUser) int { return strings.Compare(a.user, b.user) })
	if n := len(sc.skipped); n > 0 {
		c.log.Warn("users of the scope skipped", zap.Int("skipped", n), zap.Int("users", len(sc.users)))
	}
	return sc, nil
}

// member adds a group member: a user (skipped when suspended), or a
// nested group to expand. Members of other kinds make the scope unknown.
func (c *Connector) member(m *admin.Member, nested *[]string, add func(email, ou string, suspended bool) error) error {
	switch m.Type {
	case "USER":
		if !c.inDomain(m.Email) {
			// An external member: not an account of this Workspace.
			c.log.Debug("group member outside the domains ignored")
			return nil
		}
		return add(m.Email, "", m.Status == "SUSPENDED")
	case "GROUP":
		g := strings.ToLower(m.Email)
		if !validEmail(g) {
			return errorf(connectors.CodeIO, "list", "", "the directory returned a nested group without a valid email")
		}
		*nested = append(*nested, g)
		return nil
	case "CUSTOMER":
		return errorf(connectors.CodeInvalid, "list", "", "group %s has every user of the domain as a member: use org_unit: / instead", c.opts.Group)
	case "":
		return errorf(connectors.CodeIO, "list", "", "the directory returned a group member without a type")
	}
	return errorf(connectors.CodeInvalid, "list", "", "group member of unknown type %q", m.Type)
}

// directoryError classifies a failure to read the directory.
func (c *Connector) directoryError(err error, what string) error {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	code := codeOf(err)
	if code == connectors.CodePermission {
		return connectors.Errorf(code, "list", "", fmt.Errorf("%s as %s: %w (grant the service account the scopes %s under domain-wide delegation; the admin account must be allowed to read the directory)", what, c.opts.Admin, err, strings.Join(scopesDirectory, ",")))
	}
	return connectors.Errorf(code, "list", "", fmt.Errorf("%s: %w", what, err))
}

// pages calls page with each page token, starting with "", until it
// returns "", and fails when a token repeats (a page token that loops) or
// there are more than maxPages pages.
func pages(ctx context.Context, what string, page func(token string) (string, error)) error {
	seen := map[string]bool{}
	token := ""
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n == maxPages {
			return errorf(connectors.CodeIO, "list", "", "more than %d pages of %s", maxPages, what)
		}
		next, err := page(token)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return errorf(connectors.CodeIO, "list", "", "the page token of %s loops", what)
		}
		seen[next] = true
		token = next
	}
}

// scope returns the resolved scope, resolving it once per connector.
func (c *Connector) scope(ctx context.Context) (*scope, error) {
	c.mu.Lock()
	sc := c.resolved
	c.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	sc, err := c.resolveScope(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resolved = sc
	return sc, nil
}

// inDomain reports whether an email address belongs to the source's
// Workspace domains; Drive files owned outside them are never touched.
func (c *Connector) inDomain(email string) bool {
	_, d, ok := strings.Cut(email, "@")
	return ok && slices.Contains(c.opts.Domains, strings.ToLower(d))
}
