//go:build linux

package fileshare

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/retentiond/retentiond/connectors"
)

// statDir looks names up in one folder for the listing. On Linux it calls
// fstatat on the folder's own handle with AT_SYMLINK_NOFOLLOW: for a name
// read from the folder (one path segment, never "." or "..") that is what
// Root.Lstat does, without a FileInfo to allocate or the root's path
// resolution around each call.
type statDir struct {
	dir *os.Root
	f   *os.File // the folder opened for fstatat; nil: fd is walkFD's, or dir is used
	fd  int      // -1: through dir
	// nul: every name looked up is followed by a NUL byte in memory
	// (readDir's names), so it goes to the system as it is.
	nul bool
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
	if st.fd < 0 {
		e.set(st.dir.Lstat(name))
		return
	}
	var s unix.Stat_t
	err := fstatat(st.fd, name, st.nul, &s)
	for err == unix.EINTR {
		err = fstatat(st.fd, name, st.nul, &s)
	}
	if err != nil {
		e.set(nil, &fs.PathError{Op: "statat", Path: name, Err: err})
		return
	}
	*e = entry{mode: fileMode(s.Mode), size: s.Size, mtime: s.Mtim.Nano(), id: s.Ino, dev: uint64(s.Dev), hasID: true} //nolint:unconvert // Dev is uint32 on some platforms
}

// plainRead reports whether the folders are read by readNames itself, not
// by a function a test put in its place (which the walk must call, with
// the folder as an os.Root).
func (c *Conn) plainRead() bool {
	return reflect.ValueOf(c.readNames).Pointer() == reflect.ValueOf(readNames).Pointer()
}

// walkTop walks the folder dir, whose ref is ref, where the listing
// starts. On Linux every folder below it is then held by its descriptor
// alone (walkFD): opened once, with openat from its parent's descriptor,
// read with getdents and looked into with fstatat, the system calls find
// makes, instead of an os.Root per folder and two more opens of it to
// read its names and look them up.
func (w *walker) walkTop(dir *os.Root, ref string) error {
	if !w.c.plainRead() {
		return w.walk(dir, ref, true)
	}
	f, err := dir.Open(".")
	if err != nil {
		return connectors.Errorf(classify(err), "list", ref, err)
	}
	defer f.Close()
	return w.walkFD(int(f.Fd()), ref, 0)
}

// walkFD lists the folder open as fd, whose ref is ref, depth folders
// below where the listing started, as walk does: failing to read the
// folder the listing started from (depth 0) is an error, failing to read
// one below it is recorded in w.skipped.
func (w *walker) walkFD(fd int, ref string, depth int) error {
	for len(w.levels) <= depth {
		w.levels = append(w.levels, &level{})
	}
	lv := w.levels[depth]
	names, err := w.readDir(fd, lv.names[:0])
	if err != nil {
		err = &fs.PathError{Op: "readdirent", Path: ref, Err: err}
		if depth == 0 {
			return connectors.Errorf(classify(err), "list", ref, err)
		}
		w.skip(ref, classify(err), err)
		return nil
	}
	lv.names = names
	defer clear(names) // the folder's names, for the collector
	slices.Sort(names)
	st := &statDir{fd: fd, nul: true}
	n := min(len(names), statWindow)
	if cap(lv.ents) < n {
		lv.ents = make([]entry, n)
	}
	if cap(lv.splits) < n {
		lv.splits = make([]*run, n)
	}
	ents := lv.ents[:n]
	for lo := 0; lo < len(names); lo += statWindow {
		win := names[lo:min(lo+statWindow, len(names))]
		if err := w.ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", ref, err)
		}
		w.lstatAll(st, win, ents[:len(win)])
		splits := lv.splits[:len(win)]
		clear(splits)
		for k, name := range win {
			descend, err := w.look(ref, name, &ents[k])
			if err != nil {
				dropOffered(splits[k:])
				return err
			}
			switch r := splits[k]; {
			case !descend: // never offered: descends is look's decision
			case r != nil && !r.keep():
				err = w.send(r) // a helper walks it
			case r != nil: // no helper took it: walked here
				err = w.walkRun(r)
			default:
				w.offerNext(fd, ref, win, ents, splits, k, depth+1)
				err = w.enterFD(fd, ref, name, &ents[k], depth+1)
			}
			if err != nil {
				dropOffered(splits[k+1:])
				return err
			}
		}
	}
	return nil
}

// offerNext offers the first folder after the k-th name of a window of
// the folder open as fd, whose ref is ref, that is not offered yet, to
// the helpers, as a run of its own (runs.go): a helper that takes it
// walks it while the walker walks the k-th, and the walker walks it
// itself if none has taken it by then. The folder is opened as enterFD
// opens it; if that fails, it is left to the walk, which comes to it in
// its turn and records why.
func (w *walker) offerNext(fd int, ref string, names []string, ents []entry, splits []*run, k, depth int) {
	if !w.helping || !w.board.mayOffer(w.out) {
		return
	}
	for n := k + 1; n < len(names); n++ {
		if splits[n] != nil || !w.c.descends(names[n], &ents[n]) {
			continue
		}
		sub, err := openVerified(fd, names[n], &ents[n])
		if err != nil {
			return
		}
		r := newRun(sub, joinRef(ref, names[n]), depth)
		if w.board.offerRun(w.out, r) {
			splits[n] = r
		} else {
			unix.Close(sub) // offered enough meanwhile
		}
		return
	}
}

// dropOffered closes the folders of the runs offered that no helper
// took, when the walk that offered them stops before it comes to them.
func dropOffered(splits []*run) {
	for _, r := range splits {
		if r != nil && r.keep() {
			r.close()
		}
	}
}

// walkRun walks the run a walker offered (offerNext) and closes its
// folder.
func (w *walker) walkRun(r *run) error {
	defer r.close()
	return w.walkFD(r.fd, r.ref, r.depth)
}

// close closes the folder of a run.
func (r *run) close() { unix.Close(r.fd) }

// enterFD walks the folder name of the folder open as fd, whose ref is
// ref, which lstat found to be e. It is opened with O_NOFOLLOW and
// O_DIRECTORY, so never through a link, and compared with e (device and
// inode), so that a folder swapped in since the lookup is noticed, as
// enter does.
func (w *walker) enterFD(fd int, ref, name string, e *entry, depth int) error {
	child := joinRef(ref, name)
	sub, err := openVerified(fd, name, e)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.skip(child, classify(err), err)
		}
		return nil
	}
	err = w.walkFD(sub, child, depth)
	unix.Close(sub)
	return err
}

// openVerified opens the folder name of the folder open as fd, which
// lstat found to be e, and checks that it is e.
func openVerified(fd int, name string, e *entry) (int, error) {
	sub, err := openDirAt(fd, name)
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		err = errMoved // no longer a folder: a file or a link now
	}
	if err == nil {
		var s unix.Stat_t
		if err = unix.Fstat(sub, &s); err != nil {
			err = &fs.PathError{Op: "fstat", Path: name, Err: err}
		} else if uint64(s.Dev) != e.dev || s.Ino != e.id { //nolint:unconvert // Dev is uint32 on some platforms
			err = errMoved
		}
		if err != nil {
			unix.Close(sub)
			return -1, err
		}
	}
	return sub, err
}

// openDirAt opens the folder name in the folder open as fd, never
// following a link.
func openDirAt(fd int, name string) (int, error) {
	for {
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "openat", Path: name, Err: err}
		}
		return sub, nil
	}
}

// level is what walkFD keeps of a folder while it walks the folders in
// it, reused for the next folder at the same depth.
type level struct {
	names  []string
	ents   []entry
	splits []*run // the folders of the window handed to helpers
}

// readDir appends to names the names in the folder open as fd, except
// "." and "..", in the order the system gives them. The names share one
// string, in which each is followed by a NUL byte (statDir.nul).
func (w *walker) readDir(fd int, names []string) ([]string, error) {
	if w.dirents == nil {
		w.dirents = make([]byte, 32<<10)
	}
	all, lens := w.nameBuf[:0], w.nameLens[:0] // the names, each followed by NUL; their lengths
	defer func() { w.nameBuf, w.nameLens = all[:0], lens[:0] }()
	for {
		n, err := unix.Getdents(fd, w.dirents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		// struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen
		// (2), d_type (1), d_name (NUL-terminated).
		for b := w.dirents[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return nil, errors.New("getdents returned a malformed entry")
			}
			ino := binary.NativeEndian.Uint64(b[0:8])
			name := b[19:reclen]
			if i := slices.Index(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			if ino == 0 || len(name) == 0 || string(name) == "." || string(name) == ".." {
				continue
			}
			all = append(append(all, name...), 0)
			lens = append(lens, len(name))
		}
	}
	s := string(all)
	for _, n := range lens {
		names = append(names, s[:n])
		s = s[n+1:]
	}
	return names, nil
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
