//go:build windows

package fileshare

import (
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// owner reads the owner SID from the file's security descriptor and names
// it DOMAIN\name.
func (c *Conn) owner(ref string, _ fs.FileInfo) (string, error) {
	sd, err := windows.GetNamedSecurityInfo(filepath.Join(c.abs, filepath.FromSlash(ref)), windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return "", err
	}
	sid, _, err := sd.Owner()
	if err != nil || sid == nil {
		return "", err
	}
	account, domain, _, err := sid.LookupAccount("")
	if err != nil {
		return "", nil // a SID no account has any more
	}
	if domain == "" {
		return account, nil
	}
	return domain + `\` + account, nil
}
