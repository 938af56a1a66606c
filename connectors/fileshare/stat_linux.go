//go:build linux

package fileshare

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// statDir looks names up in one folder for the listing. On Linux it calls
// fstatat on the folder's own handle with AT_SYMLINK_NOFOLLOW: for a name
// read from the folder (one path segment, never "." or "..") that is what
// Root.Lstat does, without a FileInfo to allocate or the root's path
// resolution around each call.
type statDir struct {
	dir *os.Root
	f   *os.File // the folder opened for fstatat; nil: through dir
	fd  int
}

func (w *walker) openStat(dir *os.Root) *statDir {
	st := &statDir{dir: dir, fd: -1}
	if f, err := dir.Open("."); err == nil {
		st.f, st.fd = f, int(f.Fd())
	}
	return st
}

func (st *statDir) close() {
	if st.f != nil {
		st.f.Close()
	}
}

// lstat fills e with what the folder's entry name is. It may run on two
// goroutines at once.
func (st *statDir) lstat(name string, e *entry) {
	if st.f == nil {
		e.set(st.dir.Lstat(name))
		return
	}
	var s unix.Stat_t
	err := unix.Fstatat(st.fd, name, &s, unix.AT_SYMLINK_NOFOLLOW)
	for err == unix.EINTR {
		err = unix.Fstatat(st.fd, name, &s, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		e.set(nil, &fs.PathError{Op: "statat", Path: name, Err: err})
		return
	}
	*e = entry{mode: fileMode(s.Mode), size: s.Size, mtime: s.Mtim.Nano(), id: s.Ino, hasID: true}
}

// fileMode is os's conversion of st_mode to an fs.FileMode.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
