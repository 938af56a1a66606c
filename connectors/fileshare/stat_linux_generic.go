//go:build linux && !amd64 && !arm64

package fileshare

import "golang.org/x/sys/unix"

// fstatat is unix.Fstatat (stat_linux_raw.go passes a NUL-terminated
// name as it is where the system call and its Stat_t are known).
func fstatat(fd int, name string, _ bool, s *unix.Stat_t) error {
	return unix.Fstatat(fd, name, s, unix.AT_SYMLINK_NOFOLLOW)
}
