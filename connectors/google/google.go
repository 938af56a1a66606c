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
	"fmt"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/gmail/v1"

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

var errNotImplemented = fmt.Errorf("not implemented") // removed by the core

// Connector is a Google Workspace source. The core (google.go, options.go,
// auth.go, directory.go, vault.go, transport.go) resolves the scope, holds
// the impersonated clients, enforces quotas and retries, and routes calls
// to the services.
type Connector struct {
	opts Options
	env  connectors.Env

	gmail *gmailService // nil when the source does not manage Gmail
	drive *driveService // nil when the source does not manage Drive
}

// Used by the services; implemented by the core.

// gmailFor returns a Gmail client impersonating user. Its transport
// retries and paces as the quotas require; errors it returns are
// classified with classify.
func (c *Connector) gmailFor(ctx context.Context, user string) (*gmail.Service, error) {
	panic(errNotImplemented)
}

// driveFor returns a Drive client impersonating user, as gmailFor.
func (c *Connector) driveFor(ctx context.Context, user string) (*drive.Service, error) {
	panic(errNotImplemented)
}

// heldByVault reports whether user's data of the given corpus ("MAIL",
// "DRIVE", as Vault names them) is under a Google Vault hold (read with the
// Vault API when granted, else the configured list), so that what is
// deleted is kept by Vault: OutcomeHeld. For a shared drive, user is the
// drive id.
func (c *Connector) heldByVault(ctx context.Context, user, corpus string) (bool, error) {
	panic(errNotImplemented)
}

// inDomain reports whether an email address belongs to the source's
// Workspace domains; Drive files owned outside them are never touched.
func (c *Connector) inDomain(email string) bool {
	panic(errNotImplemented)
}

// classifyError turns an error from a Google API call into a
// *connectors.Error with the right Code (404 → CodeNotFound, 403
// permission → CodePermission, quota and 5xx after retries →
// CodeUnavailable, cancelled → CodeCancelled).
func classifyError(op, ref string, err error) error {
	panic(errNotImplemented)
}
