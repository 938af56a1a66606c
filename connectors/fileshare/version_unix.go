//go:build unix

package fileshare

import (
	"io/fs"
	"strconv"
	"syscall"
)

// fileID is the file's device and inode.
func fileID(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(uint64(st.Dev), 36) + "." + strconv.FormatUint(uint64(st.Ino), 36)
}
