package google

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

// holdsTTL is how long holds read from Vault are trusted: a hold placed
// during a long deletion is seen within this time.
const holdsTTL = 5 * time.Minute

// holds are the Vault holds of open matters.
type holds struct {
	read time.Time
	// accounts[corpus][email]
	accounts map[string]map[string]bool
	// orgUnits[corpus] are the paths of held org units (their sub-units
	// are held too).
	orgUnits map[string][]string
	// sharedDrives: some DRIVE hold includes shared drive files.
	sharedDrives bool
}

// heldByVault reports whether user's data of the given corpus ("MAIL",
// "DRIVE", as Vault names them) is under a Google Vault hold (read with the
// Vault API when granted, else the configured list), so that what is
// deleted is kept by Vault: OutcomeHeld. For a shared drive, user is the
// drive id.
//
// With the Vault API, a shared drive counts as held when any open DRIVE
// hold includes shared drive files: which drives such a hold covers
// depends on the members of the held accounts, which Vault does not list;
// holding too much only records a deletion as held, never the reverse.
func (c *Connector) heldByVault(ctx context.Context, user, corpus string) (bool, error) {
	user = strings.ToLower(user)
	if c.opts.Vault != vaultAPI {
		for _, h := range c.opts.VaultHolds {
			if h == user {
				return true, nil
			}
		}
		return false, nil
	}
	h, err := c.holds(ctx)
	if err != nil {
		return false, err
	}
	if !strings.Contains(user, "@") {
		return corpus == "DRIVE" && h.sharedDrives, nil
	}
	if h.accounts[corpus][user] {
		return true, nil
	}
	if len(h.orgUnits[corpus]) == 0 {
		return false, nil
	}
	ou, err := c.orgUnitOf(ctx, user)
	if err != nil {
		return false, err
	}
	for _, p := range h.orgUnits[corpus] {
		if p == "/" || ou == p || strings.HasPrefix(ou, p+"/") {
			return true, nil
		}
	}
	return false, nil
}

// orgUnitOf returns a user's org unit path, from the scope's directory
// read when the connector has made it, else with users.get.
func (c *Connector) orgUnitOf(ctx context.Context, user string) (string, error) {
	c.mu.Lock()
	sc := c.resolved
	c.mu.Unlock()
	if sc != nil {
		if ou := sc.orgUnit[user]; ou != "" {
			return ou, nil
		}
	}
	svc, err := c.adminService(ctx)
	if err != nil {
		return "", err
	}
	u, err := svc.Users.Get(user).Fields("orgUnitPath").Context(ctx).Do()
	if err != nil {
		return "", c.vaultError(err, "read the org unit of a user")
	}
	if u.OrgUnitPath == "" {
		return "", errorf(connectors.CodeIO, "delete", "", "the directory returned a user without an org unit")
	}
	return u.OrgUnitPath, nil
}

// holds returns the holds of open matters, read at most holdsTTL ago.
func (c *Connector) holds(ctx context.Context) (*holds, error) {
	c.holdsMu.Lock()
	defer c.holdsMu.Unlock()
	now := c.now()
	if c.held != nil && now.Sub(c.held.read) < holdsTTL && now.Sub(c.held.read) >= 0 {
		return c.held, nil
	}
	v, dir, err := c.vaultServices(ctx)
	if err != nil {
		return nil, err
	}
	h := &holds{read: now, accounts: map[string]map[string]bool{}, orgUnits: map[string][]string{}}
	var matters []string
	mcall := v.Matters.List().State("OPEN").PageSize(100).View("BASIC")
	err = pages(ctx, "Vault matters", func(token string) (string, error) {
		res, err := mcall.PageToken(token).Context(ctx).Do()
		if err != nil {
			return "", err
		}
		for _, m := range res.Matters {
			if m.MatterId == "" {
				return "", errorf(connectors.CodeIO, "delete", "", "Vault returned a matter without an id")
			}
			if m.State == "OPEN" {
				matters = append(matters, m.MatterId)
			}
		}
		return res.NextPageToken, nil
	})
	if err != nil {
		return nil, c.vaultError(err, "list Vault matters")
	}
	ouPaths := map[string]string{}
	for _, m := range matters {
		hcall := v.Matters.Holds.List(m).PageSize(100).View("FULL_HOLD")
		err := pages(ctx, "Vault holds", func(token string) (string, error) {
			res, err := hcall.PageToken(token).Context(ctx).Do()
			if err != nil {
				return "", err
			}
			for _, hd := range res.Holds {
				corpus := hd.Corpus
				if corpus == "" {
					return "", errorf(connectors.CodeIO, "delete", "", "Vault returned a hold without a corpus")
				}
				if corpus == "DRIVE" && hd.Query != nil && hd.Query.DriveQuery != nil && hd.Query.DriveQuery.IncludeSharedDriveFiles {
					h.sharedDrives = true
				}
				switch {
				case hd.OrgUnit != nil:
					id := hd.OrgUnit.OrgUnitId
					if id == "" {
						return "", errorf(connectors.CodeIO, "delete", "", "Vault returned an org unit hold without the unit's id")
					}
					p, ok := ouPaths[id]
					if !ok {
						ou, err := dir.Orgunits.Get("my_customer", "id:"+strings.TrimPrefix(id, "id:")).Fields("orgUnitPath").Context(ctx).Do()
						if err != nil {
							return "", fmt.Errorf("read a held org unit: %w", err)
						}
						if ou.OrgUnitPath == "" {
							return "", errorf(connectors.CodeIO, "delete", "", "the directory returned an org unit without a path")
						}
						p = ou.OrgUnitPath
						ouPaths[id] = p
					}
					h.orgUnits[corpus] = append(h.orgUnits[corpus], p)
				default:
					for _, a := range hd.Accounts {
						if a.Email == "" {
							return "", errorf(connectors.CodeIO, "delete", "", "Vault returned a held account without an email")
						}
						if h.accounts[corpus] == nil {
							h.accounts[corpus] = map[string]bool{}
						}
						h.accounts[corpus][strings.ToLower(a.Email)] = true
					}
				}
			}
			return res.NextPageToken, nil
		})
		if err != nil {
			return nil, c.vaultError(err, "list the holds of a Vault matter")
		}
	}
	c.log.Debug("vault holds read", zap.Int("matters", len(matters)))
	c.held = h
	return h, nil
}

func (c *Connector) vaultError(err error, what string) error {
	code := connectors.CodeOf(err)
	if code == connectors.CodeOther {
		code = codeOf(err)
	}
	if code == connectors.CodePermission {
		return connectors.Errorf(code, "delete", "", fmt.Errorf("%s as %s: %w (vault: api needs the scopes %s granted, and the admin account Vault privileges)", what, c.opts.Admin, err, strings.Join(scopesVault, ",")))
	}
	return connectors.Errorf(code, "delete", "", fmt.Errorf("%s: %w", what, err))
}
