//go:build linux && (amd64 || arm64)

package fileshare

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatat is unix.Fstatat. A name followed by a NUL byte in memory (nul)
// goes to the system as it is, without the copy unix.Fstatat makes of
// every name to terminate it: one allocation per file listed.
func fstatat(fd int, name string, nul bool, s *unix.Stat_t) error {
	if !nul {
		return unix.Fstatat(fd, name, s, unix.AT_SYMLINK_NOFOLLOW)
	}
	_, _, errno := syscall.Syscall6(unix.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(unsafe.StringData(name))),
		uintptr(unsafe.Pointer(s)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
