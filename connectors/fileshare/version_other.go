//go:build !unix && !windows

package fileshare

import (
	"io/fs"
	"time"
)

// fileID reports no identity where the system has no inode numbers: the
// version is size and modification time.
func fileID(fs.FileInfo) (uint64, bool) { return 0, false }

// created is zero where the system does not report a creation time.
func created(fs.FileInfo) time.Time { return time.Time{} }
