package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
	"google.golang.org/api/vault/v1"

	"github.com/retentiond/retentiond/connectors"
)

// OAuth scopes the connector asks for; each must be granted to the
// service account's client id under domain-wide delegation.
const (
	// scopeMail: permanent deletion (messages.batchDelete) needs the
	// full Gmail scope; gmail.modify only moves to the bin.
	scopeMail       = "https://mail.google.com/"
	scopeDrive      = "https://www.googleapis.com/auth/drive"
	scopeUsers      = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	scopeMembers    = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
	scopeOrgUnits   = "https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
	scopeEDiscovery = "https://www.googleapis.com/auth/ediscovery.readonly"
)

// scopeSets are the scope sets tokens are asked for: one token source
// per user and set.
var (
	scopesDirectory = []string{scopeUsers, scopeMembers}
	// Vault names held organisational units by id; orgunits.get turns
	// the id into the path users carry.
	scopesVault = []string{scopeEDiscovery, scopeOrgUnits}
)

// neededScopes are the scopes the options need, for Open's check and
// the messages that name what to grant.
func (o *Options) neededScopes() []string {
	s := slices.Clone(scopesDirectory)
	if *o.Gmail {
		s = append(s, scopeMail)
	}
	if *o.Drive || len(o.SharedDrives) > 0 {
		s = append(s, scopeDrive)
	}
	if o.Vault == vaultAPI {
		s = append(s, scopesVault...)
	}
	return s
}

// readKey reads the service account's JSON key and checks it.
func (o *Options) readKey(baseDir string) (key []byte, clientID string, err error) {
	key, where, err := connectors.ReadCredential(baseDir, o.KeyFile, "", o.KeyCredential)
	if err != nil {
		return nil, "", err
	}
	if _, err := googleoauth.JWTConfigFromJSON(key); err != nil {
		return nil, "", fmt.Errorf("service account key %s: %w (give the JSON key downloaded from the Cloud console's service account page)", where, err)
	}
	var k struct {
		ClientID string `json:"client_id"`
	}
	json.Unmarshal(key, &k)
	return key, k.ClientID, nil
}

// tokenSource returns the cached token source impersonating user with
// the scopes: one per user and scope set, so that every client of a user
// shares its tokens.
func (c *Connector) tokenSource(user string, scopes []string) (oauth2.TokenSource, error) {
	k := user + "\x00" + strings.Join(scopes, " ")
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts := c.sources[k]; ts != nil {
		return ts, nil
	}
	conf, err := googleoauth.JWTConfigFromJSON(c.key, scopes...)
	if err != nil {
		return nil, err
	}
	conf.Subject = user
	// The token source keeps this context for every refresh: it carries
	// the HTTP client (our CA, retries of 5xx), never a caller's deadline.
	ts := conf.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, c.tokenClient))
	c.sources[k] = ts
	return ts, nil
}

// client returns the HTTP client of user for one API: OAuth tokens over
// the paced, retrying transport. Cached per user and API.
func (c *Connector) client(user string, a api, scopes []string) (*http.Client, error) {
	k := clientKey{user, a}
	c.mu.Lock()
	hc := c.clients[k]
	c.mu.Unlock()
	if hc != nil {
		return hc, nil
	}
	ts, err := c.tokenSource(user, scopes)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	hc = &http.Client{Transport: &oauth2.Transport{Source: ts, Base: &transport{c: c, api: a, user: user, base: c.base}}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.clients[k]; old != nil {
		return old, nil
	}
	c.clients[k] = hc
	return hc, nil
}

type clientKey struct {
	user string
	api  api
}

func (c *Connector) endpoint(a api) []option.ClientOption {
	if c.opts.APIURL == "" {
		return nil
	}
	if a == apiDrive {
		return []option.ClientOption{option.WithEndpoint(c.opts.APIURL + "/drive/v3/")}
	}
	return []option.ClientOption{option.WithEndpoint(c.opts.APIURL + "/")}
}

// httpFor returns the authenticated HTTP client impersonating user with
// the Gmail scope, paced and retrying as gmailFor's: for requests the Go
// client cannot send (Gmail's HTTP batch endpoint).
func (c *Connector) httpFor(ctx context.Context, user string) (*http.Client, error) {
	return c.client(user, apiGmail, []string{scopeMail})
}

// gmailFor returns a Gmail client impersonating user. Its transport
// retries and paces as the quotas require; errors it returns are
// classified with classify.
func (c *Connector) gmailFor(ctx context.Context, user string) (*gmail.Service, error) {
	c.mu.Lock()
	s := c.gmailSvcs[user]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	hc, err := c.client(user, apiGmail, []string{scopeMail})
	if err != nil {
		return nil, err
	}
	s, err = gmail.NewService(context.WithoutCancel(ctx), append(c.endpoint(apiGmail), option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("gmail client: %w", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gmailSvcs[user] = s
	return s, nil
}

// driveFor returns a Drive client impersonating user, as gmailFor.
func (c *Connector) driveFor(ctx context.Context, user string) (*drive.Service, error) {
	c.mu.Lock()
	s := c.driveSvcs[user]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	hc, err := c.client(user, apiDrive, []string{scopeDrive})
	if err != nil {
		return nil, err
	}
	s, err = drive.NewService(context.WithoutCancel(ctx), append(c.endpoint(apiDrive), option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("drive client: %w", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.driveSvcs[user] = s
	return s, nil
}

// adminService is the Directory API client impersonating Admin.
func (c *Connector) adminService(ctx context.Context) (*admin.Service, error) {
	c.mu.Lock()
	s := c.directory
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	// The admin's token has every scope the source needs (Open got it to
	// check them): the directory and Vault clients share it.
	hc, err := c.client(c.opts.Admin, apiAdmin, c.opts.neededScopes())
	if err != nil {
		return nil, err
	}
	s, err = admin.NewService(context.WithoutCancel(ctx), append(c.endpoint(apiAdmin), option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("directory client: %w", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.directory = s
	return s, nil
}

// vaultServices are the Vault client and the Directory client for org
// units, both impersonating Admin with scopesVault.
func (c *Connector) vaultServices(ctx context.Context) (*vault.Service, *admin.Service, error) {
	c.mu.Lock()
	v, ou := c.vaultSvc, c.orgUnitSvc
	c.mu.Unlock()
	if v != nil {
		return v, ou, nil
	}
	hc, err := c.client(c.opts.Admin, apiVault, c.opts.neededScopes())
	if err != nil {
		return nil, nil, err
	}
	v, err = vault.NewService(context.WithoutCancel(ctx), append(c.endpoint(apiVault), option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("vault client: %w", err))
	}
	ou, err = admin.NewService(context.WithoutCancel(ctx), append(c.endpoint(apiAdmin), option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("directory client: %w", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vaultSvc, c.orgUnitSvc = v, ou
	return v, ou, nil
}

// tokenError is the body of a refused token request.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// classifyAuth explains a failure to get a token: what the operator must
// do about it.
func (c *Connector) classifyAuth(op, ref, user string, scopes []string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if ctxErr := errors.Unwrap(err); ctxErr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return connectors.Errorf(connectors.CodeCancelled, op, ref, err)
		}
		return connectors.Errorf(connectors.CodeUnavailable, op, ref, fmt.Errorf("get an access token: %w", err))
	}
	var te tokenError
	json.Unmarshal(re.Body, &te)
	if te.Error == "" {
		te.Error = re.ErrorCode
		te.Description = re.ErrorDescription
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return connectors.Errorf(connectors.CodeUnavailable, op, ref, fmt.Errorf("token endpoint answered %d", status))
	case te.Error == "unauthorized_client":
		asked := ""
		if len(scopes) > 0 {
			asked = " with the scopes " + strings.Join(scopes, ",")
		}
		return connectors.Errorf(connectors.CodePermission, op, ref, fmt.Errorf(
			"%s: the service account (client id %s) may not impersonate users%s: in the Admin console (Security → Access and data control → API controls → Domain-wide delegation) grant client id %s the scopes %s",
			te.Error, c.clientID, asked, c.clientID, strings.Join(c.opts.neededScopes(), ",")))
	case te.Error == "invalid_grant" && strings.Contains(te.Description, "Invalid email or User ID"):
		return connectors.Errorf(connectors.CodeNotFound, op, ref, fmt.Errorf(
			"%s: the account %s does not exist or is suspended: it cannot be impersonated", te.Error, user))
	case te.Error == "invalid_grant" && strings.Contains(te.Description, "Signature"):
		return connectors.Errorf(connectors.CodePermission, op, ref, fmt.Errorf(
			"%s: %s the key was refused: it was deleted or replaced; create a new key for the service account", te.Error, te.Description))
	case te.Error == "invalid_grant" && strings.Contains(te.Description, "account not found"):
		return connectors.Errorf(connectors.CodePermission, op, ref, fmt.Errorf(
			"%s: the service account of the key does not exist (deleted, or a key of another project)", te.Error))
	case te.Error != "":
		return connectors.Errorf(connectors.CodePermission, op, ref, fmt.Errorf("token refused: %s: %s", te.Error, te.Description))
	}
	return connectors.Errorf(connectors.CodePermission, op, ref, fmt.Errorf("token refused with status %d", status))
}
