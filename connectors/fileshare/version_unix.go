//go:build unix

package fileshare

import (
	"io/fs"
	"syscall"
	"time"
)

// fileID is the file's inode number.
func fileID(info fs.FileInfo) (uint64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}

// created is zero: the birth time needs statx on Linux, which is not worth
// a second system call per file.
func created(fs.FileInfo) time.Time { return time.Time{} }
