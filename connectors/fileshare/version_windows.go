//go:build windows

package fileshare

import (
	"io/fs"
	"syscall"
	"time"
)

// fileID reports no identity on Windows: the file index needs a handle on
// each file, so the version is size and modification time.
func fileID(fs.FileInfo) (uint64, bool) { return 0, false }

// created is the file's creation time, which Windows reports with the
// other attributes.
func created(info fs.FileInfo) time.Time {
	d, ok := info.Sys().(*syscall.Win32FileAttributeData)
	if !ok || d.CreationTime.HighDateTime == 0 && d.CreationTime.LowDateTime == 0 {
		return time.Time{}
	}
	return time.Unix(0, d.CreationTime.Nanoseconds())
}
