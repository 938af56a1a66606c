package google

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Options configure a Google Workspace source: the `options:` of a source
// with `kind: google`.
//
// The service account's key never appears in the YAML: it names a file or
// a systemd credential (LoadCredential=) holding the JSON key.
type Options struct {
	// Exactly one of KeyFile, KeyCredential: the service account's JSON
	// key, created in the Google Cloud console, with domain-wide
	// delegation granted in the Admin console.
	KeyFile       string `yaml:"key_file"`
	KeyCredential string `yaml:"key_credential"`

	// Admin is the administrator account impersonated to read the
	// directory (users, organisational units, groups) and Vault holds.
	Admin string `yaml:"admin"`

	// Domains are the Workspace's domains ("skole.dk"); files owned by
	// accounts outside them are never touched. Default: Admin's domain.
	Domains []string `yaml:"domains"`

	// Exactly one scope: listed users, an organisational unit (with its
	// sub-units), or the members of a group. Exclude leaves users out.
	Users   []string `yaml:"users"`
	OrgUnit string   `yaml:"org_unit"`
	Group   string   `yaml:"group"`
	Exclude []string `yaml:"exclude"`

	// What the source manages for each user: Gmail, My Drive, or both
	// (default both). SharedDrives are shared drive ids managed too,
	// read and deleted as SharedDrivesAs (an organiser; default Admin).
	Gmail          *bool    `yaml:"gmail"`
	Drive          *bool    `yaml:"drive"`
	SharedDrives   []string `yaml:"shared_drives"`
	SharedDrivesAs string   `yaml:"shared_drives_as"`

	// Vault: "api" reads holds with the Vault API (the
	// ediscovery.readonly and admin.directory.orgunit.readonly scopes
	// must be granted); "list" uses VaultHolds, the accounts (and shared
	// drive ids) under a hold, as exchange_holds does for Exchange.
	// Default "list" (an empty list: nothing is held).
	Vault      string   `yaml:"vault"`
	VaultHolds []string `yaml:"vault_holds"`

	// Keywords and Labels mark a message sensitive (rule M1) when a
	// keyword appears as a whole word in its subject or snippet, or it
	// carries one of the Gmail labels. CPR numbers always do.
	Keywords []string `yaml:"keywords"`
	Labels   []string `yaml:"labels"`

	// Quotas. Gmail allows 250 quota units per user per second (a
	// list or get costs 5, batchDelete 50); Drive and the project have
	// their own limits. ParallelUsers bounds the users read at once.
	UserUnitsPerSecond int           `yaml:"user_units_per_second"` // default 250
	ParallelUsers      int           `yaml:"parallel_users"`        // default 8
	PageSize           int           `yaml:"page_size"`             // 1..500, default 500
	Timeout            time.Duration `yaml:"timeout"`               // one request, default 60s
	// DriveRequestsPerMinute is the project's Drive quota, shared by all
	// users (the Cloud console's "Queries per minute"): default 12000.
	DriveRequestsPerMinute int `yaml:"drive_requests_per_minute"`

	// APIURL replaces https://*.googleapis.com for every service (tests,
	// a private endpoint). The token endpoint is the key's token_uri.
	APIURL string `yaml:"api_url"`
	CAFile string `yaml:"ca_file"`
}

const (
	vaultAPI  = "api"
	vaultList = "list"

	// maxUserUnits is Gmail's per-user limit: more can never be used.
	maxUserUnits = 250
)

// Validate checks the options without reading files or the network. Each
// problem names its field.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case o.KeyFile != "" && o.KeyCredential != "":
		bad("give one of key_file and key_credential, not both")
	case o.KeyFile == "" && o.KeyCredential == "":
		bad("key_file or key_credential is required: the service account's JSON key (never in the YAML)")
	}
	if c := o.KeyCredential; c != "" && (strings.ContainsAny(c, `/\`) || c == "." || c == "..") {
		bad("key_credential %q must be a plain name as given to systemd's LoadCredential=", c)
	}
	if o.Admin == "" {
		bad("admin is required: the administrator account impersonated to read the directory")
	} else if !validEmail(o.Admin) {
		bad("admin %q is not an email address (user@domain)", o.Admin)
	}
	for i, d := range o.Domains {
		if !validDomain(d) {
			bad("domains[%d] %q is not a domain name", i, d)
		}
	}
	scopes := 0
	if len(o.Users) > 0 {
		scopes++
	}
	if o.OrgUnit != "" {
		scopes++
		if !strings.HasPrefix(o.OrgUnit, "/") || strings.HasSuffix(o.OrgUnit, "/") && o.OrgUnit != "/" || strings.Contains(o.OrgUnit, "//") || strings.ContainsAny(o.OrgUnit, "'\"\\") {
			bad("org_unit %q is not an organisational unit path (\"/Elever/7a\", as the Admin console shows it)", o.OrgUnit)
		}
	}
	if o.Group != "" {
		scopes++
		if !validEmail(o.Group) {
			bad("group %q is not a group's email address", o.Group)
		}
	}
	if scopes != 1 {
		bad("give exactly one scope: users, org_unit or group (found %d)", scopes)
	}
	if len(o.Exclude) > 0 && len(o.Users) > 0 {
		bad("exclude applies to org_unit and group scopes; remove the user from users instead")
	}
	lists := []struct {
		name string
		list []string
	}{{"users", o.Users}, {"exclude", o.Exclude}, {"vault_holds", o.VaultHolds}}
	for _, l := range lists {
		seen := map[string]bool{}
		for i, u := range l.list {
			if l.name == "vault_holds" {
				if !validEmail(u) && !validDriveID(u) {
					bad("vault_holds[%d] %q is neither an email address nor a shared drive id", i, u)
				}
			} else if !validEmail(u) {
				bad("%s[%d] %q is not an email address (user@domain)", l.name, i, u)
			}
			if seen[strings.ToLower(u)] {
				bad("%s[%d] %q is listed twice", l.name, i, u)
			}
			seen[strings.ToLower(u)] = true
		}
	}
	if o.Gmail != nil && o.Drive != nil && !*o.Gmail && !*o.Drive && len(o.SharedDrives) == 0 {
		bad("gmail and drive are both false and no shared_drives are given: the source would manage nothing")
	}
	seen := map[string]bool{}
	for i, d := range o.SharedDrives {
		if !validDriveID(d) {
			bad("shared_drives[%d] %q is not a shared drive id (the part after /drive/folders/ in its URL)", i, d)
		}
		if seen[d] {
			bad("shared_drives[%d] %q is listed twice", i, d)
		}
		seen[d] = true
	}
	if o.SharedDrivesAs != "" {
		if !validEmail(o.SharedDrivesAs) {
			bad("shared_drives_as %q is not an email address (user@domain)", o.SharedDrivesAs)
		}
		if len(o.SharedDrives) == 0 {
			bad("shared_drives_as is set but no shared_drives are given")
		}
	}
	switch o.Vault {
	case "", vaultList:
	case vaultAPI:
		if len(o.VaultHolds) > 0 {
			bad("vault_holds is for vault: list; with vault: api the holds are read from Google Vault")
		}
	default:
		bad("vault %q: give api (read holds with the Vault API) or list (vault_holds)", o.Vault)
	}
	if o.UserUnitsPerSecond < 0 || o.UserUnitsPerSecond > maxUserUnits {
		bad("user_units_per_second %d: give 1 to %d (Gmail's per-user limit)", o.UserUnitsPerSecond, maxUserUnits)
	}
	if o.DriveRequestsPerMinute < 0 || o.DriveRequestsPerMinute > 1_000_000 {
		bad("drive_requests_per_minute %d: give 1 to 1000000 (the project's Drive queries per minute)", o.DriveRequestsPerMinute)
	}
	if o.ParallelUsers < 0 || o.ParallelUsers > 64 {
		bad("parallel_users %d: give 1 to 64", o.ParallelUsers)
	}
	if o.PageSize < 0 || o.PageSize > 500 {
		bad("page_size %d: give 1 to 500 (Gmail pages hold at most 500 messages)", o.PageSize)
	}
	if o.Timeout < 0 {
		bad("timeout %v must not be negative", o.Timeout)
	} else if o.Timeout > 0 && o.Timeout < time.Second {
		bad("timeout %v is too short for one request: give at least 1s", o.Timeout)
	}
	if o.APIURL != "" {
		p, err := url.Parse(o.APIURL)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			bad("api_url %q must be an https URL without query", o.APIURL)
		}
	}
	for i, k := range o.Keywords {
		if strings.TrimSpace(k) == "" {
			bad("keywords[%d] is empty", i)
		}
	}
	for i, l := range o.Labels {
		if strings.TrimSpace(l) == "" {
			bad("labels[%d] is empty", i)
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns the options with defaults filled in and addresses
// in lower case. Call it after Validate.
func (o *Options) withDefaults() Options {
	c := *o
	yes := true
	if c.Gmail == nil {
		c.Gmail = &yes
	}
	if c.Drive == nil {
		c.Drive = &yes
	}
	c.Admin = strings.ToLower(c.Admin)
	if len(c.Domains) == 0 {
		_, d, _ := strings.Cut(c.Admin, "@")
		c.Domains = []string{d}
	}
	c.Domains = lowerAll(c.Domains)
	c.Users = lowerAll(c.Users)
	c.Exclude = lowerAll(c.Exclude)
	c.VaultHolds = lowerAll(c.VaultHolds)
	c.Group = strings.ToLower(c.Group)
	if c.SharedDrivesAs == "" {
		c.SharedDrivesAs = c.Admin
	}
	c.SharedDrivesAs = strings.ToLower(c.SharedDrivesAs)
	if c.Vault == "" {
		c.Vault = vaultList
	}
	if c.UserUnitsPerSecond == 0 {
		c.UserUnitsPerSecond = maxUserUnits
	}
	if c.DriveRequestsPerMinute == 0 {
		c.DriveRequestsPerMinute = 12000
	}
	if c.ParallelUsers == 0 {
		c.ParallelUsers = 8
	}
	if c.PageSize == 0 {
		c.PageSize = 500
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	return c
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// validEmail accepts an address usable as a user key and in a ref: one
// @, a local part and a domain, no slashes, spaces or controls.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !validDomain(domain) || len(s) > 254 {
		return false
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`/\?#%"'@<>(),:;[]`, r) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 || !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// validDriveID accepts Drive ids: letters, digits, - and _.
func validDriveID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}
