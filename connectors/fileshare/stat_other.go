//go:build !linux

package fileshare

import "os"

// statDir looks names up in one folder for the listing, with Root.Lstat.
type statDir struct{ dir *os.Root }

func (w *walker) openStat(dir *os.Root) *statDir { return &statDir{dir: dir} }

func (st *statDir) close() {}

// lstat fills e with what the folder's entry name is. It may run on two
// goroutines at once.
func (st *statDir) lstat(name string, e *entry) { e.set(st.dir.Lstat(name)) }

// walkTop walks the folder dir, whose ref is ref, where the listing
// starts.
func (w *walker) walkTop(dir *os.Root, ref string) error { return w.walk(dir, ref, true) }

// level is walkFD's (Linux).
type level struct{}

// walkRun is Linux's: only walkFD offers runs.
func (w *walker) walkRun(*run) error { panic("fileshare: a run offered outside walkFD") }
