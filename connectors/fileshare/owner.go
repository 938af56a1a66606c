package fileshare

import (
	"context"

	"github.com/retentiond/retentiond/connectors"
)

var _ connectors.Owners = (*Conn)(nil)

// Owner returns the account owning the file at ref: its user name on Unix
// ("" for a uid the system cannot name), `DOMAIN\name` on Windows ("" for
// a SID no longer resolvable, such as a deleted account). It reads
// metadata only.
func (c *Conn) Owner(ctx context.Context, ref string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", connectors.Errorf(connectors.CodeInvalid, "owner", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return "", connectors.Errorf(connectors.CodeCancelled, "owner", ref, err)
	}
	dirRef, name := splitRef(ref)
	dir, err := c.openDir(dirRef)
	if err != nil {
		return "", connectors.Errorf(classify(err), "owner", ref, err)
	}
	defer dir.Close()
	info, err := dir.Lstat(name)
	if err == nil {
		err = fileType(info)
	}
	if err != nil {
		return "", connectors.Errorf(classify(err), "owner", ref, err)
	}
	owner, err := c.owner(ref, info)
	if err != nil {
		return "", connectors.Errorf(classify(err), "owner", ref, err)
	}
	return owner, nil
}
