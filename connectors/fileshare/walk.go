package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

var (
	// errLink: a path component is a symbolic link, a junction or another
	// reparse point; it is never followed.
	errLink = errors.New("is a symbolic link or reparse point, which retentiond does not follow")
	// errNotFolder: a path component that must be a folder is not one.
	errNotFolder = errors.New("is not a folder")
	// errIsFolder: a ref names a folder, which is not an item.
	errIsFolder = errors.New("is a folder, not a file")
	// errSpecial: a ref names a device, pipe or socket, which is not an item.
	errSpecial = errors.New("is not a regular file")
	// errMoved: a folder was replaced between checking and opening it.
	errMoved = errors.New("changed while it was being opened")
)

// classify maps a file-system error to a connector code.
func classify(err error) connectors.Code {
	switch {
	case errors.Is(err, errLink):
		return connectors.CodeInvalid
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotFolder), errors.Is(err, errIsFolder),
		errors.Is(err, errSpecial), errors.Is(err, syscall.ENOTDIR):
		return connectors.CodeNotFound
	case errors.Is(err, fs.ErrPermission):
		return connectors.CodePermission
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return connectors.CodeCancelled
	}
	return connectors.CodeIO
}

// isLink reports whether a file type is one that is never followed: a
// symbolic link, or (ModeIrregular) a Windows junction, mount point or other
// reparse point, or a file of a type the system did not report.
func isLink(t fs.FileMode) bool { return t&(fs.ModeSymlink|fs.ModeIrregular) != 0 }

// fileType checks that info describes a regular file, the only kind of item.
func fileType(info fs.FileInfo) error {
	switch t := info.Mode().Type(); {
	case t == 0:
		return nil
	case isLink(t):
		return errLink
	case t == fs.ModeDir:
		return errIsFolder
	default:
		return errSpecial
	}
}

// enter opens the folder name in parent, which Lstat described as info,
// and checks that what was opened is that folder and not something swapped
// in since.
func enter(parent *os.Root, name string, info fs.FileInfo) (*os.Root, error) {
	sub, err := parent.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	st, err := sub.Stat(".")
	if err != nil {
		sub.Close()
		return nil, err
	}
	if !os.SameFile(info, st) {
		sub.Close()
		return nil, errMoved
	}
	return sub, nil
}

// openDir opens the folder with the valid ref dir ("" for the root),
// entering it one component at a time and refusing any component that is
// not a plain folder. The caller closes the result.
func (c *Conn) openDir(dir string) (*os.Root, error) {
	cur, err := c.root.OpenRoot(".")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return cur, nil
	}
	done := ""
	for name := range strings.SplitSeq(dir, "/") {
		done = joinRef(done, name)
		info, err := cur.Lstat(name)
		if err == nil {
			switch t := info.Mode().Type(); {
			case isLink(t):
				err = fmt.Errorf("folder %q %w", done, errLink)
			case t != fs.ModeDir:
				err = fmt.Errorf("%q %w", done, errNotFolder)
			}
		}
		var next *os.Root
		if err == nil {
			next, err = enter(cur, name, info)
		}
		cur.Close()
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// List lists the regular files under the root, or under the folder
// opts.Prefix, depth first with each folder's entries in name order. A
// Prefix that does not exist lists nothing; one that goes through a link is
// refused with CodeInvalid; one that cannot be read is an error.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if err := ctx.Err(); err != nil {
		return connectors.Errorf(connectors.CodeCancelled, "list", opts.Prefix, err)
	}
	dir := c.root
	if p := opts.Prefix; p != "" {
		if err := checkRef(p); err != nil {
			return connectors.Errorf(connectors.CodeInvalid, "list", p, err)
		}
		for name := range strings.SplitSeq(p, "/") {
			if c.excluded(name) {
				return nil // a full listing would not show anything in there either
			}
		}
		d, err := c.openDir(p)
		if err != nil {
			if code := classify(err); code != connectors.CodeNotFound {
				return connectors.Errorf(code, "list", p, err)
			}
			return nil // nothing is inside a folder that does not exist
		}
		defer d.Close()
		dir = d
	}
	if err := c.listFrom(ctx, dir, opts.Prefix, fn); err != nil {
		return err
	}
	return nil
}

// listBatch is how many items a walking goroutine hands to fn's at a
// time, and listQueue how many such batches one run may have sent ahead:
// enough to keep both busy, little enough to hold no memory to speak of.
// listAhead is how many parts the runs not being read may hold (runs.go):
// some 33,000 items, under 10 MB (a plan is bound by its CPU by then: 512
// parts were no faster on 200,000 files, and 27 MB larger). maxHelpers
// bounds the goroutines helping a walk.
const (
	listBatch  = 256
	listQueue  = 4
	listAhead  = 128
	maxHelpers = 3
)

// listFrom walks the folder dir, whose ref is ref, on goroutines of its
// own, which make the system calls (reading folders, one lstat per
// entry), while fn runs on the caller's goroutine on the items already
// found, batch by batch, in the walk's order: a caller that evaluates and
// stores what it is given (a plan) then uses another core instead of
// waiting for the file system. With two cores or more, helper goroutines
// walk folders ahead of the walker and share the lookups of large
// folders with it (runs.go, lstatAll). When fn fails, the walk stops and
// its error is returned unwrapped.
func (c *Conn) listFrom(ctx context.Context, dir *os.Root, ref string, fn func(connectors.Item) error) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	b, stopBoard := newBoard(wctx, max(c.ahead, 1))
	defer stopBoard()
	l := &listing{ctx: wctx, stop: stop, fn: fn, board: b, free: make(chan []connectors.Item, listQueue+2)}
	sh := &shared{c: c, ctx: wctx, board: b, free: l.free, helping: c.helpers > 0}
	var wg sync.WaitGroup
	for range c.helpers {
		wg.Go(sh.help)
	}
	first := newRun(-1, ref, 0)
	wg.Go(func() {
		w := sh.walker()
		w.out, w.batch = first, w.takeBatch()
		w.finish(first, w.walkTop(dir, ref))
		if sh.helping {
			sh.helpWith(w) // the walker helps the runs still going
		}
	})
	err := l.drain(first)
	stop() // the helpers, waiting for work, return
	wg.Wait()
	c.log.Debug("listed", zap.String("ref", ref), zap.Int("helpers", c.helpers), zap.Int64("folders_walked_by_helpers", sh.helped.Load()))
	switch {
	case l.fnErr != nil:
		return l.fnErr
	case ctx.Err() != nil:
		return connectors.Errorf(connectors.CodeCancelled, "list", ref, ctx.Err())
	case err != nil:
		return err
	}
	if len(l.skipped) > 0 {
		return &connectors.IncompleteError{Skipped: l.skipped}
	}
	return nil
}

// listing is what fn's goroutine keeps of a listing while it reads the
// runs (drain).
type listing struct {
	ctx     context.Context // the walk's: it ends when fn fails
	stop    context.CancelFunc
	fn      func(connectors.Item) error
	fnErr   error
	board   *board
	free    chan []connectors.Item
	skipped []error
}

// recycle gives a batch fn's goroutine has read back to the walkers.
func (l *listing) recycle(b []connectors.Item) {
	if cap(b) < listBatch {
		return
	}
	clear(b) // drop the strings for the collector
	select {
	case l.free <- b[:0]:
	default:
	}
}

// shared is what the goroutines walking one listing share.
type shared struct {
	c     *Conn
	ctx   context.Context
	board *board
	free  chan []connectors.Item
	// helping: helpers take the windows of lookups (lstatAll) and the
	// folders (offerNext) offered on the board.
	helping bool
	// helped counts the runs helpers walked.
	helped atomic.Int64
}

func (sh *shared) walker() *walker { return &walker{shared: sh} }

// help walks the runs and looks up the windows offered until the
// listing ends.
func (sh *shared) help() { sh.helpWith(sh.walker()) }

func (sh *shared) helpWith(w *walker) {
	for {
		switch j, r := sh.board.work(); {
		case j != nil:
			j.run()
		case r != nil:
			sh.helped.Add(1)
			w.out, w.batch, w.skipped = r, w.takeBatch(), nil
			w.finish(r, w.walkRun(r))
		default:
			return
		}
	}
}

// walker is the state of one goroutine's walk of a run.
type walker struct {
	*shared
	// out is the run being walked; batch collects its items until it is
	// full, then goes to out, with the parts of the share skipped since
	// the last one.
	out     *run
	batch   []connectors.Item
	skipped []error
	// scratch holds an item's ref and version while they are built, so
	// that both take one allocation (item).
	scratch []byte
	// dirents is the buffer folders are read into, nameBuf and nameLens
	// what readDir collects from it, levels what walkFD keeps per depth
	// (Linux).
	dirents  []byte
	nameBuf  []byte
	nameLens []int
	levels   []*level
}

// emit adds an item to the batch, handing the batch over when it is full.
func (w *walker) emit(it connectors.Item) error {
	w.batch = append(w.batch, it)
	if len(w.batch) < listBatch {
		return nil
	}
	return w.send(nil)
}

// send hands the batch and the parts skipped, if any, and then the run
// split, if any, to fn's goroutine.
func (w *walker) send(split *run) error {
	if len(w.batch) == 0 && len(w.skipped) == 0 && split == nil {
		return nil
	}
	if !w.board.send(w.out, part{items: w.batch, skipped: w.skipped, split: split}) {
		return w.ctx.Err()
	}
	w.batch, w.skipped = w.takeBatch(), nil
	return nil
}

// takeBatch returns an empty batch, one fn's goroutine gave back if it
// can.
func (w *walker) takeBatch() []connectors.Item {
	select {
	case b := <-w.free:
		return b
	default:
		return make([]connectors.Item, 0, listBatch)
	}
}

// finish ends the run r, which stopped with err (nil: at its end).
func (w *walker) finish(r *run, err error) {
	if err == nil {
		err = w.send(nil)
	}
	w.board.end(r, err)
	w.out, w.batch, w.skipped = nil, nil, nil
}

// walk lists the folder dir, whose ref is ref. Failing to read the folder
// the listing started from is an error; failing to read one below it is
// recorded in w.skipped. The errors it returns are *connectors.Error, or
// the walk's context's when the listing stops.
func (w *walker) walk(dir *os.Root, ref string, top bool) error {
	names, err := w.c.readNames(dir, ref)
	if err != nil {
		if top {
			return connectors.Errorf(classify(err), "list", ref, err)
		}
		w.skip(ref, classify(err), err)
		return nil
	}
	slices.Sort(names)
	// The names are looked up a window at a time, so that a folder of a
	// million files costs a window of attributes, not a million.
	st := w.openStat(dir)
	defer st.close()
	ents := make([]entry, min(len(names), statWindow))
	for lo := 0; lo < len(names); lo += statWindow {
		win := names[lo:min(lo+statWindow, len(names))]
		if err := w.ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", ref, err)
		}
		w.lstatAll(st, win, ents[:len(win)])
		for k, name := range win {
			if err := w.walkEntry(dir, ref, name, &ents[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkEntry lists the entry name of the folder dir, whose ref is ref,
// which lstat found to be e: a file is an item, a folder is walked.
func (w *walker) walkEntry(dir *os.Root, ref, name string, e *entry) error {
	descend, err := w.look(ref, name, e)
	if !descend || err != nil {
		return err
	}
	child := joinRef(ref, name)
	info := e.info
	if info == nil {
		// Looked up by lstatAt: enter compares what it opens with what
		// Lstat describes, so ask again, and go by what it says.
		var err error
		if info, err = dir.Lstat(name); err == nil && info.Mode().Type() != fs.ModeDir {
			return w.walkEntry(dir, ref, name, entryOf(info, nil))
		}
		if err != nil {
			return w.walkEntry(dir, ref, name, entryOf(nil, err))
		}
	}
	sub, err := enter(dir, name, info)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.skip(child, classify(err), err)
		}
		return nil
	}
	err = w.walk(sub, child, false)
	sub.Close()
	return err
}

// descends reports whether look would have the walk enter the entry
// name, which lstat found to be e, without doing what look does: a
// folder the walk may enter is one offerNext may hand to a helper.
func (c *Conn) descends(name string, e *entry) bool {
	return e.err == nil && e.mode.Type() == fs.ModeDir && !c.excluded(name) && checkRef(name) == nil
}

// look decides about the entry name of the folder ref, which lstat found
// to be e: a regular file is emitted as an item; a folder is for the
// caller to walk (descend); excluded names, links and special files are
// left out, and entries that cannot be listed recorded as skipped.
func (w *walker) look(ref, name string, e *entry) (descend bool, err error) {
	if err := w.ctx.Err(); err != nil {
		return false, connectors.Errorf(connectors.CodeCancelled, "list", ref, err)
	}
	if w.c.excluded(name) {
		w.c.log.Debug("excluded name skipped", zap.String("ref", joinRef(ref, name)))
		return false, nil
	}
	if e.err != nil {
		if !errors.Is(e.err, fs.ErrNotExist) { // else removed while listing
			w.skip(joinRef(ref, name), classify(e.err), e.err)
		}
		return false, nil
	}
	t := e.mode.Type()
	switch {
	case t&fs.ModeSymlink != 0:
		w.c.log.Debug("symbolic link not followed", zap.String("ref", joinRef(ref, name)))
		return false, nil
	case isLink(t):
		w.c.log.Debug("reparse point or irregular file not followed", zap.String("ref", joinRef(ref, name)), zap.String("mode", e.mode.String()))
		return false, nil
	case t != 0 && t != fs.ModeDir:
		w.c.log.Debug("special file skipped", zap.String("ref", joinRef(ref, name)), zap.String("mode", e.mode.String()))
		return false, nil
	}
	// The folder's ref is valid, so the child's is exactly when its name
	// is (one segment: no slash, NUL, backslash, dots, reserved name).
	if err := checkRef(name); err != nil {
		w.skip(joinRef(ref, name), connectors.CodeInvalid, err)
		return false, nil
	}
	if t == 0 {
		return false, w.emit(w.item(e, ref, name))
	}
	return true, nil
}

// statWindow is how many names of a folder are looked up at a time.
const statWindow = 512

// entry is what lstat said about one name in a folder: info from
// Root.Lstat, or the attributes themselves from lstatAt (info nil).
type entry struct {
	info  fs.FileInfo
	mode  fs.FileMode
	size  int64
	mtime int64 // Unix nanoseconds
	id    uint64
	dev   uint64 // the file system's device, with id (walkFD)
	hasID bool
	err   error
}

// entryOf is the entry for what Root.Lstat returned.
func entryOf(info fs.FileInfo, err error) *entry {
	e := &entry{}
	e.set(info, err)
	return e
}

func (e *entry) set(info fs.FileInfo, err error) {
	if err != nil {
		*e = entry{err: err}
		return
	}
	*e = entry{info: info, mode: info.Mode()}
}

// item is the item of the regular file e, the entry name of the folder
// container. Its ref and version are built in w.scratch and share one
// allocation.
func (w *walker) item(e *entry, container, name string) connectors.Item {
	if e.info != nil {
		return item(joinRef(container, name), container, e.info)
	}
	b := w.scratch[:0]
	if container != "" {
		b = append(append(b, container...), '/')
	}
	b = append(b, name...)
	n := len(b)
	b = appendVersion(b, e.size, e.mtime, e.id, e.hasID)
	w.scratch = b
	s := string(b)
	return connectors.Item{
		Ref:       s[:n],
		Version:   s[n:],
		Container: container,
		Kind:      connectors.KindFile,
		Size:      e.size,
		Modified:  time.Unix(0, e.mtime),
	}
}

// lstatAll looks up names in the folder st was opened on, filling ents.
// A large window is offered on the board, and the helpers and walkers
// waiting for the budget that take it, and the walker, take its names a
// few at a time until none is left: the system calls of one folder then
// use two cores while another goroutine is free, and the walker never
// waits for a helper the scheduler has not run yet (fn's goroutine
// competes for the same cores), only for the few names a helper has
// taken and is still looking up.
func (w *walker) lstatAll(st *statDir, names []string, ents []entry) {
	if !w.helping || len(names) < 2*minShare {
		for i, name := range names {
			st.lstat(name, &ents[i])
		}
		return
	}
	j := &statJob{st: st, names: names, ents: ents, done: make(chan struct{})}
	w.board.offerWindow(j)
	j.run()
	<-j.done
}

// minShare is the fewest names worth offering on the board.
const minShare = 16

// statClaim is how many names the walker or a helper takes at a time.
const statClaim = 4

// statJob is a window of names shared between the walker and whoever
// takes it from the board (lstatAll).
type statJob struct {
	st       *statDir
	names    []string
	ents     []entry
	next     atomic.Int64  // the first name nobody has taken
	finished atomic.Int64  // names looked up
	done     chan struct{} // closed when every name is looked up
}

// taken reports whether every name of j is taken.
func (j *statJob) taken() bool { return j.next.Load() >= int64(len(j.names)) }

// run looks names up, statClaim at a time, until none is left to take;
// whoever looks up the last one closes done. Once next is past the end
// run touches neither names nor ents, so a job a helper comes to after
// the walker has finished it (and reuses ents) is harmless.
func (j *statJob) run() {
	n := int64(len(j.names))
	for {
		i := j.next.Add(statClaim) - statClaim
		if i >= n {
			return
		}
		end := min(i+statClaim, n)
		for k := i; k < end; k++ {
			j.st.lstat(j.names[k], &j.ents[k])
		}
		if j.finished.Add(end-i) == n {
			close(j.done)
		}
	}
}

func (w *walker) skip(ref string, code connectors.Code, err error) {
	w.c.log.Warn("part of the share skipped", zap.String("ref", ref), zap.String("code", code.String()), zap.Error(err))
	w.skipped = append(w.skipped, connectors.Errorf(code, "list", ref, err))
}

func item(ref, container string, info fs.FileInfo) connectors.Item {
	return connectors.Item{
		Ref:       ref,
		Version:   version(info),
		Container: container,
		Kind:      connectors.KindFile,
		Size:      info.Size(),
		Modified:  info.ModTime(),
		Created:   created(info),
	}
}
