//go:build unix

package fileshare

import (
	"errors"
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// owner names the file's uid through the system's user database (NSS, so
// domain accounts through sssd or winbind on a joined host).
func (c *Conn) owner(_ string, info fs.FileInfo) (string, error) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "", nil
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(st.Uid), 10))
	var unknown user.UnknownUserIdError
	switch {
	case errors.As(err, &unknown):
		return "", nil
	case err != nil:
		return "", err
	}
	return u.Username, nil
}
