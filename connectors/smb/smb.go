// Package smb reaches SMB2/3 file shares without mounting them, through the
// pure-Go client github.com/cloudsoda/go-smb2 (the maintained fork rclone
// uses). The file-share connector uses it for roots written
// smb://user@server[:port]/share[/path]; the password comes from a file or
// the environment, never from the configuration.
//
// The contract is the file share's: refs are slash-separated paths below
// the root, listings are depth first in name order, versions change when a
// file is replaced (size, modification time and the server's file id),
// links and other reparse points are neither listed nor followed, a
// read-only attribute is cleared before a deletion, and a folder that
// cannot be read is reported, never taken for an empty one. Signing and
// encryption are negotiated as the server offers them. A request that
// fails because the connection dropped is retried once on a new
// connection.
package smb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	smb2 "github.com/cloudsoda/go-smb2"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

// Target is where an smb:// root points.
type Target struct {
	User, Domain string
	Host, Port   string
	Share, Path  string // Path without leading or trailing slashes
}

// IsURL reports whether root is an smb:// root.
func IsURL(root string) bool { return strings.HasPrefix(strings.ToLower(root), "smb://") }

// ParseURL reads smb://[domain;]user@server[:port]/share[/path]. It refuses
// a password in the URL: passwords do not belong in configuration files.
func ParseURL(root string) (Target, error) {
	u, err := url.Parse(root)
	if err != nil {
		return Target{}, fmt.Errorf("%q is not an smb:// URL: %w", root, err)
	}
	var t Target
	if u.Scheme != "smb" || u.Host == "" {
		return t, fmt.Errorf("%q is not an smb:// URL (write smb://user@server/share/path)", root)
	}
	if _, has := u.User.Password(); has {
		return t, errors.New("the smb:// URL holds a password: give it in password_file or password_env instead")
	}
	if u.User == nil || u.User.Username() == "" {
		return t, fmt.Errorf("%q names no user (write smb://user@server/share/path)", root)
	}
	t.User = u.User.Username()
	if d, user, ok := strings.Cut(t.User, ";"); ok {
		t.Domain, t.User = d, user
	}
	t.Host, t.Port = u.Hostname(), u.Port()
	if t.Port == "" {
		t.Port = "445"
	}
	p := strings.Trim(u.Path, "/")
	t.Share, t.Path, _ = strings.Cut(p, "/")
	if t.Share == "" {
		return t, fmt.Errorf("%q names no share (write smb://user@server/share/path)", root)
	}
	for _, seg := range strings.Split(t.Path, "/") {
		if seg == "." || seg == ".." || t.Path != "" && seg == "" {
			return t, fmt.Errorf("%q: the path in the share must not contain empty, '.' or '..' parts", root)
		}
	}
	return t, nil
}

// Conn is an open folder of an SMB share. It implements
// [connectors.Connector] and [connectors.Pruner].
type Conn struct {
	t        Target
	password string
	log      *zap.Logger

	// dial opens the TCP connection; nil is a plain net.Dialer (tests
	// count the requests sent through it).
	dial func(ctx context.Context, address string) (net.Conn, error)

	mu    sync.Mutex
	sess  *smb2.Session
	share *smb2.Share
}

var (
	_ connectors.Connector         = (*Conn)(nil)
	_ connectors.Pruner            = (*Conn)(nil)
	_ connectors.ConcurrentDeleter = (*Conn)(nil)
)

// Open connects to the share and checks that the folder exists and can be
// read. A nil logger logs nothing.
func Open(ctx context.Context, root, password string, logger *zap.Logger) (*Conn, error) {
	return open(ctx, root, password, logger, nil)
}

func open(ctx context.Context, root, password string, logger *zap.Logger, dial func(context.Context, string) (net.Conn, error)) (*Conn, error) {
	t, err := ParseURL(root)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	c := &Conn{t: t, password: password, log: logger, dial: dial}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	info, err := c.share.WithContext(ctx).Stat(c.full(""))
	switch {
	case err != nil:
		c.Close()
		return nil, connectors.Errorf(classify(err), "open", "", fmt.Errorf("%s: the folder cannot be examined: %w", c.Location(), err))
	case !info.IsDir():
		c.Close()
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("%s is not a folder", c.Location()))
	}
	if _, err := c.share.WithContext(ctx).ReadDir(c.full("")); err != nil {
		c.Close()
		return nil, connectors.Errorf(classify(err), "open", "", fmt.Errorf("%s cannot be read (does the account have read access?): %w", c.Location(), err))
	}
	return c, nil
}

func (c *Conn) connect(ctx context.Context) error {
	d := &smb2.Dialer{
		Initiator: &smb2.NTLMInitiator{User: c.t.User, Password: c.password, Domain: c.t.Domain},
		// go-smb2 charges a query (of a folder, of a file's info) for the
		// most a response may hold, 16 credits, and sends it with fewer,
		// to be refused (STATUS_INVALID_PARAMETER), when its balance runs
		// short: room for every request this connector has in flight at
		// once (DeleteConcurrency × deleteWorkers, listWorkers), many
		// times over. The server grants what it allows (Samba 8192).
		MaxCreditBalance: maxCredits,
	}
	address := net.JoinHostPort(c.t.Host, c.t.Port)
	var sess *smb2.Session
	var err error
	if c.dial == nil {
		sess, err = d.Dial(ctx, address)
	} else {
		var tcp net.Conn
		if tcp, err = c.dial(ctx, address); err == nil {
			if sess, err = d.DialConn(ctx, tcp, address); err != nil {
				tcp.Close()
			}
		}
	}
	if err != nil {
		code := connectors.CodeUnavailable
		var re *smb2.ResponseError
		if errors.As(err, &re) && authFailure[re.Code] {
			code = connectors.CodePermission
		}
		return connectors.Errorf(code, "open", "", fmt.Errorf("connect to %s as %s: %w", c.t.Host, c.t.User, err))
	}
	share, err := sess.Mount(c.t.Share)
	if err != nil {
		sess.Logoff()
		return connectors.Errorf(classify(err), "open", "", fmt.Errorf("mount share %q on %s: %w", c.t.Share, c.t.Host, err))
	}
	c.sess, c.share = sess, share
	return nil
}

// authFailure are the NTSTATUS codes of a refused logon: wrong user or
// password, a locked, disabled or expired account.
var authFailure = map[uint32]bool{
	0xC000006D: true, // STATUS_LOGON_FAILURE
	0xC000006A: true, // STATUS_WRONG_PASSWORD
	0xC0000064: true, // STATUS_NO_SUCH_USER
	0xC0000234: true, // STATUS_ACCOUNT_LOCKED_OUT
	0xC0000072: true, // STATUS_ACCOUNT_DISABLED
	0xC0000193: true, // STATUS_ACCOUNT_EXPIRED
	0xC0000071: true, // STATUS_PASSWORD_EXPIRED
	0xC0000022: true, // STATUS_ACCESS_DENIED
}

// Location implements [connectors.Connector]; it never shows a password.
func (c *Conn) Location() string {
	return fmt.Sprintf("smb://%s@%s:%s/%s", c.t.User, c.t.Host, c.t.Port, path.Join(c.t.Share, c.t.Path))
}

// Close implements [connectors.Connector].
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.share != nil {
		c.share.Umount()
		c.share = nil
	}
	if c.sess != nil {
		err := c.sess.Logoff()
		c.sess = nil
		return err
	}
	return nil
}

// full is the share path of ref.
func (c *Conn) full(ref string) string {
	switch {
	case c.t.Path == "":
		return ref
	case ref == "":
		return c.t.Path
	}
	return c.t.Path + "/" + ref
}

// do runs op on the share; when the connection was lost, it reconnects and
// runs op once more.
func (c *Conn) do(ctx context.Context, op func(*smb2.Share) error) error {
	c.mu.Lock()
	share := c.share
	c.mu.Unlock()
	if share == nil {
		return connectors.Errorf(connectors.CodeUnavailable, "", "", errors.New("the connection is closed"))
	}
	err := op(share.WithContext(ctx))
	if err == nil || !lost(err) || ctx.Err() != nil {
		return err
	}
	c.log.Warn("smb connection lost; reconnecting", zap.Error(err))
	c.mu.Lock()
	if c.share == share {
		c.share.Umount()
		c.sess.Logoff()
		if cerr := c.connect(ctx); cerr != nil {
			c.share, c.sess = nil, nil
			c.mu.Unlock()
			return errors.Join(err, cerr)
		}
	}
	share = c.share
	c.mu.Unlock()
	return op(share.WithContext(ctx))
}

// lost reports whether err means the connection is gone.
func lost(err error) bool {
	var ne net.Error
	var te *smb2.TransportError
	return errors.As(err, &te) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")
}

// classify maps an SMB error to a connector code.
func classify(err error) connectors.Code {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return connectors.CodeCancelled
	case errors.Is(err, fs.ErrNotExist):
		return connectors.CodeNotFound
	case errors.Is(err, fs.ErrPermission):
		return connectors.CodePermission
	case lost(err):
		return connectors.CodeUnavailable
	}
	return connectors.CodeIO
}

// checkRef refuses refs that could leave the folder or mean something else
// on the server.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("ref is empty")
	case strings.ContainsAny(ref, "\\\x00:*?\"<>|"):
		return errors.New("ref contains a character SMB paths do not allow")
	case ref[0] == '/' || ref[len(ref)-1] == '/':
		return errors.New("ref starts or ends with a slash")
	}
	for seg := range strings.SplitSeq(ref, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("ref has an empty, '.' or '..' segment")
		}
	}
	return nil
}

// version is what identifies one state of a file: size, modification time
// and the server's file id, as s<size>-m<unix ns>[-i<file id>].
func version(info fs.FileInfo) string {
	b := make([]byte, 0, 64)
	b = append(b, 's')
	b = strconv.AppendInt(b, info.Size(), 10)
	b = append(b, "-m"...)
	b = strconv.AppendInt(b, info.ModTime().UnixNano(), 10)
	if st, ok := info.Sys().(*smb2.FileStat); ok && st.FileId != 0 {
		b = append(b, "-i"...)
		b = strconv.AppendUint(b, st.FileId, 10)
	}
	return string(b)
}

// skip reports whether an entry is not an item: links and other reparse
// points (never followed), and anything that is neither file nor folder.
func skip(info fs.FileInfo) bool {
	if info.Mode()&os.ModeSymlink != 0 {
		return true
	}
	if st, ok := info.Sys().(*smb2.FileStat); ok && st.FileAttributes&0x400 != 0 { // FILE_ATTRIBUTE_REPARSE_POINT
		return true
	}
	return !info.IsDir() && !info.Mode().IsRegular()
}

func parent(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[:i]
	}
	return ""
}

func (c *Conn) item(ref string, info fs.FileInfo) connectors.Item {
	it := connectors.Item{Ref: ref, Version: version(info), Container: parent(ref), Kind: connectors.KindFile,
		Size: info.Size(), Modified: info.ModTime()}
	if st, ok := info.Sys().(*smb2.FileStat); ok {
		it.Created = st.CreationTime
	}
	return it
}

// readDir lists a folder, sorted by name.
func (c *Conn) readDir(ctx context.Context, dir string) ([]fs.FileInfo, error) {
	var infos []fs.FileInfo
	err := c.do(ctx, func(s *smb2.Share) error {
		var err error
		infos, err = s.ReadDir(c.full(dir))
		return err
	})
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, err
}

// stat returns a file's or folder's info with its file id: one open, a
// query on the handle and its close (three requests). The open follows no
// link on the client's behalf unnoticed: a link the server hands back for
// the client to follow (STATUS_STOPPED_ON_SYMLINK, which go-smb2 follows)
// is reported as a link, as is a name that cannot be opened but exists as
// a link (one more request, only when the open fails).
func (c *Conn) stat(ctx context.Context, ref string) (fs.FileInfo, error) {
	var info fs.FileInfo
	full := c.full(ref)
	err := c.do(ctx, func(s *smb2.Share) error {
		f, err := s.Open(full)
		if errors.Is(err, fs.ErrNotExist) {
			// Absent, or a link whose target is: only the link's own
			// entry tells.
			li, lerr := s.Lstat(full)
			if lerr != nil || !skip(li) {
				return err
			}
			info = li
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		if followed(f.Name(), full) {
			info = &smb2.FileStat{FileAttributes: attrReparsePoint, FileName: path.Base(ref)}
			return nil
		}
		info, err = f.Stat()
		return err
	})
	return info, err
}

// attrReparsePoint is FILE_ATTRIBUTE_REPARSE_POINT.
const attrReparsePoint = 0x400

// followed reports whether an open of full ended on another name: go-smb2
// followed a link the server handed back.
func followed(opened, full string) bool {
	return strings.ReplaceAll(opened, "\\", "/") != full
}

// lstat returns a file's or folder's own attributes (links are not
// followed), without its file id: an open and its close.
func (c *Conn) lstat(ctx context.Context, ref string) (fs.FileInfo, error) {
	var info fs.FileInfo
	err := c.do(ctx, func(s *smb2.Share) error {
		var err error
		info, err = s.Lstat(c.full(ref))
		return err
	})
	return info, err
}

// List implements [connectors.Connector]. The walk is depth first in name
// order, as the contract wants, but the folders it will enter next are read
// ahead, listWorkers at a time over the one session (see reader), so that
// the server lists folders while the caller handles items.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	start := ""
	if opts.Prefix != "" {
		if err := checkRef(opts.Prefix); err != nil {
			return connectors.Errorf(connectors.CodeInvalid, "list", opts.Prefix, err)
		}
		info, err := c.stat(ctx, opts.Prefix)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return connectors.Errorf(classify(err), "list", opts.Prefix, err)
		case skip(info):
			return nil
		case !info.IsDir():
			return fn(c.item(opts.Prefix, info))
		}
		start = opts.Prefix
	}
	r := c.newReader(ctx)
	defer r.stop()
	inc := &connectors.IncompleteError{}
	err := c.walk(ctx, r, r.push(start), fn, inc, true)
	if err != nil {
		return err
	}
	if len(inc.Skipped) > 0 {
		return inc
	}
	return nil
}

const (
	// listWorkers is how many folders a listing reads at once.
	listWorkers = 4
	// listAhead is the most folders a listing holds read (or being read)
	// ahead of the walk: it bounds the memory read-ahead costs.
	listAhead = 64
)

// folder is one folder of a listing, read ahead or when the walk reaches
// it.
type folder struct {
	dir    string
	queued bool
	done   chan struct{} // closed when infos and err are set, once queued
	infos  []fs.FileInfo
	err    error
}

// reader reads the folders of one listing ahead of its walk. Only the
// walk's goroutine calls push and wait; workers only read folders.
// Folders not yet queued are kept on a stack in the order the walk will
// enter them (a folder's subfolders go on top, the first on top), so that
// the folders queued are always the next ones the walk needs.
type reader struct {
	c           *Conn
	ctx         context.Context
	cancel      context.CancelFunc
	jobs        chan *folder
	wg          sync.WaitGroup
	pending     []*folder // not queued yet; the next one needed last
	outstanding int       // queued and not yet taken by wait
}

func (c *Conn) newReader(ctx context.Context) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{c: c, ctx: ctx, cancel: cancel, jobs: make(chan *folder, listAhead)}
	for range listWorkers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for f := range r.jobs {
				f.infos, f.err = c.readDir(ctx, f.dir)
				close(f.done)
			}
		}()
	}
	return r
}

// push adds dir as the next folder the walk will enter (before any pushed
// earlier) and queues what there is room for.
func (r *reader) push(dir string) *folder {
	f := &folder{dir: dir, done: make(chan struct{})}
	r.pending = append(r.pending, f)
	return f
}

// fill queues pending folders, the next needed first, while there is room.
func (r *reader) fill() {
	for r.outstanding < listAhead && len(r.pending) > 0 {
		f := r.pending[len(r.pending)-1]
		r.pending = r.pending[:len(r.pending)-1]
		if f.queued {
			continue
		}
		f.queued = true
		r.outstanding++
		r.jobs <- f // never blocks: at most listAhead are outstanding
	}
}

// wait returns f's entries, sorted by name: read ahead, or read now.
func (r *reader) wait(f *folder) ([]fs.FileInfo, error) {
	r.fill()
	if !f.queued {
		// No room ahead: f is read here, and dropped from the stack when
		// fill meets it.
		f.queued = true
		return r.c.readDir(r.ctx, f.dir)
	}
	<-f.done
	r.outstanding--
	infos := f.infos
	f.infos = nil
	return infos, f.err
}

// stop ends the reading ahead and waits for the workers.
func (r *reader) stop() {
	r.cancel()
	close(r.jobs)
	r.wg.Wait()
}

func (c *Conn) walk(ctx context.Context, r *reader, f *folder, fn func(connectors.Item) error, inc *connectors.IncompleteError, top bool) error {
	dir := f.dir
	if err := ctx.Err(); err != nil {
		return connectors.Errorf(connectors.CodeCancelled, "list", dir, err)
	}
	infos, err := r.wait(f)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		e := connectors.Errorf(classify(err), "list", dir, fmt.Errorf("read folder: %w", err))
		if top || classify(err) == connectors.CodeUnavailable || classify(err) == connectors.CodeCancelled {
			return e // the share itself is gone: never an empty listing
		}
		inc.Skipped = append(inc.Skipped, e)
		return nil
	}
	refs := make([]string, len(infos))
	subs := make([]*folder, len(infos))
	for i, info := range infos {
		ref := info.Name()
		if dir != "" {
			ref = dir + "/" + ref
		}
		if skip(info) || checkRef(ref) != nil {
			continue
		}
		refs[i] = ref
	}
	// The subfolders, pushed last first: the first is entered next.
	for i := len(infos) - 1; i >= 0; i-- {
		if refs[i] != "" && infos[i].IsDir() {
			subs[i] = r.push(refs[i])
		}
	}
	for i, info := range infos {
		switch {
		case refs[i] == "":
		case subs[i] != nil:
			if err := c.walk(ctx, r, subs[i], fn, inc, false); err != nil {
				return err
			}
		default:
			if err := fn(c.item(refs[i], info)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stat implements [connectors.Connector].
func (c *Conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if err := checkRef(ref); err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeCancelled, "stat", ref, err)
	}
	info, err := c.stat(ctx, ref)
	switch {
	case err != nil:
		return connectors.Item{}, connectors.Errorf(classify(err), "stat", ref, err)
	case skip(info) || info.IsDir():
		return connectors.Item{}, connectors.Errorf(connectors.CodeNotFound, "stat", ref, errors.New("not a file"))
	}
	return c.item(ref, info), nil
}

// DeleteBatch implements [connectors.Connector]: each file's version is
// checked just before it is removed, a read-only attribute is cleared, and
// absence is verified afterwards.
func (c *Conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	if len(targets) > 0 && ctx.Err() == nil {
		if err := c.do(ctx, func(s *smb2.Share) error { _, err := s.Stat(c.full("")); return err }); err != nil {
			return nil, connectors.Errorf(classify(err), "delete", "", fmt.Errorf("%s cannot be reached: %w", c.Location(), err))
		}
	}
	// Each deletion is several round trips (check, remove); they run
	// deleteWorkers at a time over the one session. Workers take the
	// targets in order and stop taking once ctx ends, so the targets
	// attempted are always the first ones, as the executor's bookkeeping
	// requires. Then every removal is verified (verify).
	results := make([]connectors.Result, len(targets))
	removed := make([]bool, len(targets))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(deleteWorkers, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if ctx.Err() != nil {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(targets) {
					return
				}
				// A target once taken is finished even if ctx ends meanwhile:
				// a deletion must never happen without its result.
				results[i], removed[i] = c.removeOne(context.WithoutCancel(ctx), targets[i])
			}
		}()
	}
	wg.Wait()
	for i := int(min(next.Load(), int64(len(targets)))); i < len(targets); i++ {
		results[i] = connectors.Result{Ref: targets[i].Ref, Outcome: connectors.OutcomeFailed, Err: connectors.Errorf(connectors.CodeCancelled, "delete", targets[i].Ref, ctx.Err())}
	}
	c.verify(context.WithoutCancel(ctx), targets, results, removed)
	return results, nil
}

// verify confirms that each removed target is gone, and only then records
// it deleted. The files of a folder with verifyByListing or more removed
// targets are looked for in one listing of the folder (names compared as
// the server does, regardless of case); other files, and the files of a
// folder larger than listingPerTarget entries for each of them, each by
// an open of the name that must fail as not found. Folders and single
// files are verified deleteWorkers at a time.
func (c *Conn) verify(ctx context.Context, targets []connectors.Target, results []connectors.Result, removed []bool) {
	byDir := map[string][]int{}
	var dirs []string
	for i, r := range removed {
		if r {
			d := parent(targets[i].Ref)
			if byDir[d] == nil {
				dirs = append(dirs, d)
			}
			byDir[d] = append(byDir[d], i)
		}
	}
	type task struct {
		dir string
		is  []int
	}
	var tasks []task
	for _, d := range dirs {
		if is := byDir[d]; len(is) >= verifyByListing {
			tasks = append(tasks, task{d, is})
		} else {
			for _, i := range is {
				tasks = append(tasks, task{"", []int{i}})
			}
		}
	}
	gone := func(i int, err error) {
		switch {
		case err == nil:
			results[i].Outcome, results[i].Method = connectors.OutcomeDeleted, "delete"
		default:
			results[i].Outcome, results[i].Err = connectors.OutcomeFailed, connectors.Errorf(connectors.CodeIO, "delete", targets[i].Ref, fmt.Errorf("removal could not be confirmed: %w", err))
		}
	}
	one := func(i int) {
		_, err := c.lstat(ctx, targets[i].Ref)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			gone(i, nil)
		case err == nil:
			gone(i, errors.New("the file is still present"))
		default:
			gone(i, err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(deleteWorkers, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(tasks) {
					return
				}
				tk := tasks[k]
				if len(tk.is) == 1 && tk.dir == "" {
					one(tk.is[0])
					continue
				}
				names, complete, err := c.names(ctx, tk.dir, listingPerTarget*len(tk.is))
				for _, i := range tk.is {
					name := strings.ToLower(path.Base(targets[i].Ref))
					switch {
					case err != nil && errors.Is(err, fs.ErrNotExist):
						gone(i, nil) // the folder itself is gone
					case err != nil || !complete:
						one(i)
					case names[name]:
						gone(i, errors.New("the file is still present"))
					default:
						gone(i, nil)
					}
				}
			}
		}()
	}
	wg.Wait()
}

const (
	// verifyByListing is the fewest removed files of one folder whose
	// absence is verified by listing the folder.
	verifyByListing = 4
	// listingPerTarget bounds such a listing: at most this many entries
	// for each file verified, or the files are verified one by one.
	listingPerTarget = 32
)

// names returns the names in a folder, lower-cased, and whether that is
// all of them: it stops reading past limit entries.
func (c *Conn) names(ctx context.Context, dir string, limit int) (map[string]bool, bool, error) {
	var (
		names    map[string]bool
		complete bool
	)
	err := c.do(ctx, func(s *smb2.Share) error {
		f, err := s.Open(c.full(dir))
		if err != nil {
			return err
		}
		defer f.Close()
		if followed(f.Name(), c.full(dir)) {
			return fmt.Errorf("%q is a link", dir)
		}
		infos, err := f.Readdir(limit + 1)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		names = make(map[string]bool, len(infos))
		for _, info := range infos {
			names[strings.ToLower(info.Name())] = true
		}
		complete = len(infos) <= limit
		return nil
	})
	return names, complete, err
}

// maxCredits is the most credits the client holds (go-smb2's default is
// 128, eight queries' worth).
const maxCredits = 1024

// deleteWorkers is how many deletions one DeleteBatch call runs at once
// over the session.
const deleteWorkers = 8

// DeleteConcurrency implements [connectors.ConcurrentDeleter]: the
// executor may run two DeleteBatch calls at once (over the one session),
// so that the server deletes one slice while the executor records the
// outcomes of the other. Each deletion is several round trips to the
// server, spent waiting; the calls share nothing but the session, which
// carries many requests at once.
func (c *Conn) DeleteConcurrency() int { return 2 }

// removeOne checks a target's version and removes it. It reports whether
// it removed the file: then verify decides the outcome.
func (c *Conn) removeOne(ctx context.Context, t connectors.Target) (connectors.Result, bool) {
	res := connectors.Result{Ref: t.Ref}
	failed := func(code connectors.Code, err error) (connectors.Result, bool) {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(code, "delete", t.Ref, err)
		return res, false
	}
	if err := checkRef(t.Ref); err != nil {
		return failed(connectors.CodeInvalid, err)
	}
	// The version check: an open, a query and a close (stat).
	info, err := c.stat(ctx, t.Ref)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Outcome = connectors.OutcomeAbsent
		return res, false
	case err != nil:
		return failed(classify(err), err)
	case skip(info) || info.IsDir() || version(info) != t.Version:
		res.Outcome = connectors.OutcomeChanged
		return res, false
	}
	// The removal: an open for deletion (of the link itself, were the name
	// a link by now), its delete disposition and the close.
	err = c.do(ctx, func(s *smb2.Share) error {
		err := s.Remove(c.full(t.Ref))
		if err != nil && !errors.Is(err, fs.ErrNotExist) && info.Mode().Perm()&0o200 == 0 {
			// The read-only attribute: clear it and try again.
			if cerr := s.Chmod(c.full(t.Ref), 0o666); cerr == nil {
				err = s.Remove(c.full(t.Ref))
			}
		}
		return err
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Outcome = connectors.OutcomeAbsent
		return res, false
	case err != nil:
		return failed(classify(err), err)
	}
	return res, true
}

// PruneEmpty implements [connectors.Pruner] as the file share does.
func (c *Conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	if stopAt != "" {
		if err := checkRef(stopAt); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", stopAt, err)
		}
	}
	for _, ct := range containers {
		if err := checkRef(ct); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", ct, err)
		}
	}
	inside := func(ref string) bool { return stopAt == "" || strings.HasPrefix(ref, stopAt+"/") }
	set := map[string]bool{}
	for _, ct := range containers {
		for d := ct; d != "" && inside(d); d = parent(d) {
			set[d] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	// Deepest first, then by name.
	sort.Slice(dirs, func(i, j int) bool {
		di, dj := strings.Count(dirs[i], "/"), strings.Count(dirs[j], "/")
		if di != dj {
			return di > dj
		}
		return dirs[i] < dirs[j]
	})
	var removed []string
	var errs []error
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return removed, connectors.Errorf(connectors.CodeCancelled, "prune", d, err)
		}
		info, err := c.lstat(ctx, d)
		if err != nil || skip(info) || !info.IsDir() {
			continue
		}
		entries, err := c.readDir(ctx, d)
		if err != nil {
			errs = append(errs, connectors.Errorf(classify(err), "prune", d, err))
			continue
		}
		if len(entries) > 0 {
			continue
		}
		if err := c.do(ctx, func(s *smb2.Share) error { return s.Remove(c.full(d)) }); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, connectors.Errorf(classify(err), "prune", d, err))
			continue
		}
		removed = append(removed, d)
	}
	return removed, errors.Join(errs...)
}
