package google

import "time"

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
	// ediscovery.readonly scope must be granted); "list" uses
	// VaultHolds, the accounts under a hold, as exchange_holds does for
	// Exchange. Default "list" (an empty list: no account is held).
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

	// APIURL replaces https://*.googleapis.com for every service (tests,
	// a private endpoint). The token endpoint is the key's token_uri.
	APIURL string `yaml:"api_url"`
	CAFile string `yaml:"ca_file"`
}
