//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// stateOwner reports whether this process runs as the owner of dir, and
// their names (a user without a name is "#uid", as sudo -u takes it). A
// dir that does not exist yet is fine: the command creates it.
func stateOwner(dir string) (owner, me string, ok bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", true, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("the directory of the database: %w", err)
	}
	st, isUnix := fi.Sys().(*syscall.Stat_t)
	euid := os.Geteuid()
	if !isUnix || int(st.Uid) == euid {
		return "", "", true, nil
	}
	return userName(int(st.Uid)), userName(euid), false, nil
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return "#" + strconv.Itoa(uid)
}
