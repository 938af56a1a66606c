package google

// Drive (owner: G3): the files users own in their My Drive, and every file
// of the shared drives named in the configuration.
//
// # Refs
//
// A Drive ref is a path, as on a file share, so that the file rules (which
// select by path: "**/Udmeldte elever/{student}/**") apply unchanged:
//
//	drive/<user>/<folder>/…/<name>      a file in the user's My Drive
//	shared/<drive id>/<folder>/…/<name> a file in a shared drive
//
// Each segment is the item's name with '%' written %25, '/' %2F and NUL
// %00 (Drive allows '/' in names; a ref's '/' always separates folders);
// the names "." and ".." are written %2E and %2E%2E. Drive allows two
// items of the same name in one folder: the oldest of them (by
// createdTime, then id) keeps the name and each later one is told apart
// by its id before the extension, "Referat~<id>.docx" ("Noter~<id>" with
// no extension), as is an item with an empty name ("~<id>"). The refs are
// stable while the folder is unchanged, and a ref with an id stays bound
// to that file: when the oldest goes, the later ones keep their refs
// until they are listed again. The Container of an item is its folder's
// ref ("drive/<user>" at the top), so emptied folders can be pruned.
//
// # Versions
//
// A version is "<file id>:<version>:<md5Checksum>": Drive's version
// counter changes on every change to the file (content, name, move,
// sharing, trash), the checksum on every change of content (Google Docs
// have none, and rely on the counter), and the id makes a file replaced by
// another of the same name a different version, never deleted in its
// place.
//
// # What is listed
//
// List walks the tree from the root (files.get("root") for a My Drive;
// the drive's id is its root for a shared drive), one files.list of
// q="'<folder>' in parents" per folder, pages of 1000 (Drive's largest)
// with the fields the rules need, folders in name order, so the order is
// deterministic and only the folders on the way down are held in memory.
// Folders are containers, not items. In a My Drive only the files the
// user owns are items; files owned by another account of the domain that
// sit in the user's folders (uploaded into a folder shared with them) and
// files owned outside the domain (c.inDomain) are never listed, and
// reported to ListOptions.Ignored with the reason. Files the user owns in
// folders of others (outside their My Drive tree) are not reached by the
// walk: they are not in the user's My Drive and a path for them would be
// another user's; this is a known gap (see the report of #21). In a shared
// drive every file is an item (the drive, not a person, owns them).
//
// Trashed files ARE listed, labelled "trashed": a file in Trash still
// holds its personal data until Trash is emptied (30 days later, or
// never for shared-drive Trash emptied by hand), and files.delete
// removes it from Trash for good. A rule that makes such a file due
// therefore purges it, which is what effective deletion (RULES.md M4)
// asks; excluding them would keep data past its limit for up to 30 days.
//
// A folder that cannot be read (it vanished mid-walk, Drive keeps
// failing, a page is malformed or misses a field, a page token repeats, a
// folder is its own ancestor) is skipped with its subtree and named in a
// connectors.IncompleteError: what is under it is unknown, never absent.
// A file whose fields cannot be read (no id, no version, a date that does
// not parse, no owner in a My Drive) makes its folder's listing
// incomplete: nothing is decided on the strength of data that could not be
// parsed.
//
// # Deletion
//
// DeleteBatch groups the targets by folder. For each folder it resolves
// the path (folder ids are cached for the call), lists the folder once,
// which re-checks the version of every target in it as close to the
// deletion as the API allows (Drive has no conditional delete), deletes
// the targets whose version still matches with files.delete (permanent,
// bypassing Trash; supportsAllDrives) several at a time, and lists the
// folder once more to verify that they are gone. A target whose path no
// longer holds a file is OutcomeAbsent (also when files.delete answers
// 404: it vanished in between); another version (or another file, or a
// file not the user's) is OutcomeChanged and not touched. When the user
// (for a shared drive, the drive) is under a Google Vault hold on Drive,
// Vault keeps what is deleted: those deletions are OutcomeHeld. Method is
// "purge".
//
// Requests per deleted file: 1 files.delete, plus per folder of the call
// two listings (check and verify) and the resolution of folders not yet
// resolved in the call. The Go client has no support for Google's HTTP
// batch endpoint, and Drive counts every call inside a batch against the
// quota as a request of its own, so batching would save round trips but
// not quota: the quota-bound rate (200 requests a second a user,
// 12,000 a minute) is reached with concurrent single deletes
// (driveParallel in flight per call) instead.
//
// PruneEmpty removes a folder only when it is empty, Trash included (a
// folder holding trashed files is not empty: deleting it would purge
// them), owned by the user (any folder of a shared drive), and not the
// root, stopAt or above. Since files.delete of a folder deletes what is
// in it, the folder is first moved to Trash, checked empty again, and only
// then deleted; if something arrived in between it is restored.
import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/api/drive/v3"

	"github.com/retentiond/retentiond/connectors"
)

const (
	driveFolderMime = "application/vnd.google-apps.folder"
	drivePageSize   = 1000 // Drive's largest page
	// driveParallel is the number of files.delete requests in flight in
	// one DeleteBatch call.
	driveParallel = 16
	// driveFileFields are the fields read for every item.
	driveFileFields = "id,name,mimeType,parents,owners(emailAddress),driveId,version,md5Checksum,size,modifiedTime,createdTime,trashed"
	driveListFields = "nextPageToken,incompleteSearch,files(" + driveFileFields + ")"
	// driveVaultCorpus is Vault's name for Drive data.
	driveVaultCorpus = "DRIVE"
	// labelTrashed marks a listed file that is in Trash.
	labelTrashed = "trashed"
)

// driveService lists, checks and deletes Drive files (owner: G3).
type driveService struct {
	c *Connector

	mu    sync.Mutex
	roots map[string]string // user → My Drive root folder id
}

var _ service = (*driveService)(nil)

func (d *driveService) prefixes() []string { return []string{prefixDrive, prefixShared} }

// driveEntry is one child of a folder, as read and checked.
type driveEntry struct {
	id, name, seg string
	folder        bool
	owner         string // lower case; "" in shared drives
	version       string // the connector's version
	size          int64
	modified      time.Time
	created       time.Time
	trashed       bool
}

// driveSeg is the ref segment of a name (see the package comment).
func driveSeg(name string) string {
	switch name {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	if !strings.ContainsAny(name, "%/\x00") {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '%':
			b.WriteString("%25")
		case '/':
			b.WriteString("%2F")
		case 0:
			b.WriteString("%00")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeSeg reverses driveSeg; ok is false for a segment driveSeg (or
// altSeg) could not have made.
func unescapeSeg(seg string) (string, bool) {
	if seg == "" {
		return "", false
	}
	if !strings.Contains(seg, "%") {
		return seg, driveSeg(seg) == seg
	}
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		if seg[i] != '%' {
			b.WriteByte(seg[i])
			continue
		}
		if i+3 > len(seg) {
			return "", false
		}
		switch seg[i+1 : i+3] {
		case "25":
			b.WriteByte('%')
		case "2F":
			b.WriteByte('/')
		case "00":
			b.WriteByte(0)
		case "2E":
			b.WriteByte('.')
		default:
			return "", false
		}
		i += 2
	}
	name := b.String()
	return name, driveSeg(name) == seg
}

// altSeg is the segment of a later item of the same name: its id before
// the extension.
func altSeg(seg, id string) string {
	if i := strings.LastIndexByte(seg, '.'); i > 0 {
		return seg[:i] + "~" + id + seg[i:]
	}
	return seg + "~" + id
}

// assignSegs gives each entry of one folder its segment and sorts them by
// it.
func assignSegs(es []driveEntry) {
	groups := map[string][]int{}
	for i := range es {
		s := driveSeg(es[i].name)
		groups[s] = append(groups[s], i)
	}
	for s, idx := range groups {
		slices.SortFunc(idx, func(a, b int) int {
			if c := es[a].created.Compare(es[b].created); c != 0 {
				return c
			}
			return strings.Compare(es[a].id, es[b].id)
		})
		for k, i := range idx {
			if k == 0 && s != "" {
				es[i].seg = s
			} else {
				es[i].seg = altSeg(s, es[i].id)
			}
		}
	}
	slices.SortFunc(es, func(a, b driveEntry) int { return strings.Compare(a.seg, b.seg) })
}

// findSeg returns the entry with the given segment.
func findSeg(es []driveEntry, seg string) (driveEntry, bool) {
	i, ok := slices.BinarySearchFunc(es, seg, func(e driveEntry, s string) int { return strings.Compare(e.seg, s) })
	if !ok {
		return driveEntry{}, false
	}
	return es[i], true
}

// driveRef is a parsed Drive ref.
type driveRef struct {
	ctr  container
	segs []string // below the root; empty for the container itself
}

func (r driveRef) String() string {
	if len(r.segs) == 0 {
		return r.ctr.Ref
	}
	return r.ctr.Ref + "/" + strings.Join(r.segs, "/")
}

func (r driveRef) parent() driveRef {
	return driveRef{ctr: r.ctr, segs: r.segs[:len(r.segs)-1]}
}

// parseDriveRef parses a Drive ref or container ref (minSegs 0) or item
// ref (minSegs 1). Errors are CodeInvalid.
func (d *driveService) parseRef(op, ref string, minSegs int) (driveRef, error) {
	bad := func(why string) (driveRef, error) {
		return driveRef{}, connectors.Errorf(connectors.CodeInvalid, op, ref, errors.New(why))
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2+minSegs {
		return bad("not a drive item ref")
	}
	var r driveRef
	switch parts[0] {
	case prefixDrive:
		u := parts[1]
		if u == "" || u != strings.ToLower(u) || strings.Count(u, "@") != 1 || strings.HasPrefix(u, "@") || strings.HasSuffix(u, "@") {
			return bad("not a user's address")
		}
		r.ctr = container{Ref: prefixDrive + "/" + u, User: u}
	case prefixShared:
		id := parts[1]
		if !slices.Contains(d.c.opts.SharedDrives, id) {
			return bad("not a shared drive of this source")
		}
		r.ctr = container{Ref: prefixShared + "/" + id, User: d.sharedAs(), DriveID: id}
	default:
		return bad("not a drive ref")
	}
	for _, s := range parts[2:] {
		if _, ok := unescapeSeg(s); !ok {
			return bad("malformed path segment")
		}
	}
	r.segs = parts[2:]
	return r, nil
}

// sharedAs is the account that reads and deletes in shared drives.
func (d *driveService) sharedAs() string {
	if d.c.opts.SharedDrivesAs != "" {
		return strings.ToLower(d.c.opts.SharedDrivesAs)
	}
	return strings.ToLower(d.c.opts.Admin)
}

func (d *driveService) logger() *zap.Logger {
	if d.c.env.Logger != nil {
		return d.c.env.Logger
	}
	return zap.NewNop()
}

// root returns the id of the container's root folder.
func (d *driveService) root(ctx context.Context, svc *drive.Service, ctr container) (string, error) {
	if ctr.DriveID != "" {
		return ctr.DriveID, nil
	}
	d.mu.Lock()
	id, ok := d.roots[ctr.User]
	d.mu.Unlock()
	if ok {
		return id, nil
	}
	f, err := svc.Files.Get("root").Fields("id").Context(ctx).Do()
	if err != nil {
		return "", classifyError("list", ctr.Ref, err)
	}
	if f.Id == "" {
		return "", connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, errors.New("drive named no root folder"))
	}
	d.mu.Lock()
	if d.roots == nil {
		d.roots = map[string]string{}
	}
	d.roots[ctr.User] = f.Id
	d.mu.Unlock()
	return f.Id, nil
}

// listCall is files.list of a folder's children in the container.
func (d *driveService) listCall(svc *drive.Service, ctr container, folderID string) *drive.FilesListCall {
	call := svc.Files.List().Q("'" + folderID + "' in parents").SupportsAllDrives(true)
	if ctr.DriveID != "" {
		call = call.Corpora("drive").DriveId(ctr.DriveID).IncludeItemsFromAllDrives(true)
	}
	return call
}

// listFolder reads every child of a folder. ref names the folder in
// errors.
func (d *driveService) listFolder(ctx context.Context, svc *drive.Service, ctr container, folderID, ref string) ([]driveEntry, error) {
	var (
		es    []driveEntry
		token string
		seen  = map[string]bool{}
	)
	for {
		call := d.listCall(svc, ctr, folderID).PageSize(drivePageSize).Fields(driveListFields).Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		page, err := call.Do()
		if err != nil {
			return nil, classifyError("list", ref, err)
		}
		if page.IncompleteSearch {
			return nil, connectors.Errorf(connectors.CodeUnavailable, "list", ref, errors.New("drive reported an incomplete search"))
		}
		for _, f := range page.Files {
			e, err := parseDriveFile(f, folderID, ctr.DriveID)
			if err != nil {
				return nil, connectors.Errorf(connectors.CodeIO, "list", ref, err)
			}
			es = append(es, e)
		}
		if page.NextPageToken == "" {
			break
		}
		if seen[page.NextPageToken] || page.NextPageToken == token {
			return nil, connectors.Errorf(connectors.CodeIO, "list", ref, errors.New("drive returned a page token that was already followed (a paging loop); the folder was not read completely"))
		}
		seen[page.NextPageToken] = true
		token = page.NextPageToken
	}
	ids := map[string]bool{}
	for _, e := range es {
		if ids[e.id] {
			return nil, connectors.Errorf(connectors.CodeIO, "list", ref, errors.New("drive listed a file twice"))
		}
		ids[e.id] = true
	}
	assignSegs(es)
	return es, nil
}

// parseDriveFile checks one listed file and turns it into an entry.
func parseDriveFile(f *drive.File, parentID, driveID string) (driveEntry, error) {
	if f == nil {
		return driveEntry{}, errors.New("drive listed a null file")
	}
	if f.Id == "" {
		return driveEntry{}, errors.New("drive listed a file without an id")
	}
	if f.MimeType == "" {
		return driveEntry{}, fmt.Errorf("file %s has no mimeType", f.Id)
	}
	if len(f.Parents) != 1 || f.Parents[0] != parentID {
		return driveEntry{}, fmt.Errorf("file %s is not in the folder listed (parents %d)", f.Id, len(f.Parents))
	}
	if f.Version <= 0 {
		return driveEntry{}, fmt.Errorf("file %s has no version", f.Id)
	}
	if driveID != "" && f.DriveId != driveID {
		return driveEntry{}, fmt.Errorf("file %s is not in the shared drive listed", f.Id)
	}
	mod, err := time.Parse(time.RFC3339Nano, f.ModifiedTime)
	if err != nil {
		return driveEntry{}, fmt.Errorf("file %s: modifiedTime: %w", f.Id, err)
	}
	created, err := time.Parse(time.RFC3339Nano, f.CreatedTime)
	if err != nil {
		return driveEntry{}, fmt.Errorf("file %s: createdTime: %w", f.Id, err)
	}
	e := driveEntry{
		id:       f.Id,
		name:     f.Name,
		folder:   f.MimeType == driveFolderMime,
		version:  f.Id + ":" + strconv.FormatInt(f.Version, 10) + ":" + f.Md5Checksum,
		size:     -1,
		modified: mod.UTC(),
		created:  created.UTC(),
		trashed:  f.Trashed,
	}
	if f.Size > 0 || f.Md5Checksum != "" {
		e.size = f.Size
	}
	if driveID == "" {
		if len(f.Owners) == 0 || f.Owners[0] == nil || f.Owners[0].EmailAddress == "" {
			return driveEntry{}, fmt.Errorf("file %s has no owner", f.Id)
		}
		e.owner = strings.ToLower(f.Owners[0].EmailAddress)
	}
	return e, nil
}

// ignored says why a file of the container is not an item ("" when it
// is one).
func (d *driveService) ignored(ctr container, e driveEntry) string {
	if ctr.DriveID != "" || e.owner == ctr.User {
		return ""
	}
	if !d.c.inDomain(e.owner) {
		return "owned by an account outside the workspace's domains"
	}
	return "owned by another account of the domain: only the files a user owns are managed in their drive"
}

func (d *driveService) item(e driveEntry, ref, container string) connectors.Item {
	it := connectors.Item{
		Ref:       ref,
		Version:   e.version,
		Container: container,
		Kind:      connectors.KindFile,
		Size:      e.size,
		Modified:  e.modified,
		Created:   e.created,
	}
	if e.trashed {
		it.Labels = []string{labelTrashed}
	}
	return it
}

// errStop carries fn's error out of the walk, to be returned unwrapped.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

func (d *driveService) list(ctx context.Context, ctr container, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	svc, err := d.c.driveFor(ctx, ctr.User)
	if err != nil {
		return err
	}
	rootID, err := d.root(ctx, svc, ctr)
	if err != nil {
		return err
	}
	start := driveRef{ctr: ctr}
	startID := rootID
	if p := opts.Prefix; strings.HasPrefix(p, ctr.Ref+"/") {
		r, err := d.parseRef("list", p, 1)
		if err != nil {
			return err
		}
		e, found, err := d.resolve(ctx, svc, r, rootID, nil)
		if err != nil {
			return err
		}
		if !found || !e.folder {
			return nil
		}
		start, startID = r, e.id
	}
	w := &driveWalk{d: d, ctx: ctx, svc: svc, ctr: ctr, opts: opts, fn: fn, seen: map[string]bool{}}
	if err := w.walk(startID, start); err != nil {
		var stop errStop
		if errors.As(err, &stop) {
			return stop.err
		}
		return err
	}
	if len(w.skipped) > 0 {
		d.logger().Info("drive listing incomplete", zap.Int("folders_skipped", len(w.skipped)), zap.Int("files_listed", w.files))
		return &connectors.IncompleteError{Skipped: w.skipped}
	}
	return nil
}

type driveWalk struct {
	d       *driveService
	ctx     context.Context
	svc     *drive.Service
	ctr     container
	opts    connectors.ListOptions
	fn      func(connectors.Item) error
	seen    map[string]bool
	skipped []error
	files   int
}

func (w *driveWalk) walk(folderID string, ref driveRef) error {
	if err := w.ctx.Err(); err != nil {
		return connectors.Errorf(connectors.CodeCancelled, "list", w.ctr.Ref, err)
	}
	if w.seen[folderID] {
		w.skipped = append(w.skipped, connectors.Errorf(connectors.CodeIO, "list", ref.String(), errors.New("folder is its own ancestor")))
		return nil
	}
	w.seen[folderID] = true
	es, err := w.d.listFolder(w.ctx, w.svc, w.ctr, folderID, ref.String())
	if err != nil {
		if w.ctx.Err() != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", w.ctr.Ref, w.ctx.Err())
		}
		if len(ref.segs) == 0 {
			return err // the root: the container could not be read
		}
		w.skipped = append(w.skipped, err)
		return nil
	}
	container := ref.String()
	for _, e := range es {
		sub := driveRef{ctr: ref.ctr, segs: append(slices.Clip(ref.segs), e.seg)}
		if e.folder {
			if err := w.walk(e.id, sub); err != nil {
				return err
			}
			continue
		}
		if why := w.d.ignored(w.ctr, e); why != "" {
			if w.opts.Ignored != nil {
				w.opts.Ignored(sub.String(), why)
			}
			continue
		}
		w.files++
		if err := w.fn(w.d.item(e, sub.String(), container)); err != nil {
			return errStop{err}
		}
	}
	return nil
}

// resolveCache holds, for one DeleteBatch call, the children of the
// folders read on the way to the targets' folders (by folder id), so
// that each is listed once a call. Versions are never checked against
// it: the targets' own folders are listed afresh.
type resolveCache map[string][]driveEntry

// resolve finds the item at r's path, listing each folder on the way
// (through cache when it is not nil). found is false when a step does
// not exist.
func (d *driveService) resolve(ctx context.Context, svc *drive.Service, r driveRef, rootID string, cache resolveCache) (e driveEntry, found bool, err error) {
	cur := rootID
	for i, seg := range r.segs {
		es, ok := cache[cur]
		if !ok {
			es, err = d.listFolder(ctx, svc, r.ctr, cur, driveRef{ctr: r.ctr, segs: r.segs[:i]}.String())
			if err != nil {
				if connectors.IsNotFound(err) {
					return driveEntry{}, false, nil // the folder vanished
				}
				return driveEntry{}, false, err
			}
			if cache != nil {
				cache[cur] = es
			}
		}
		e, ok := findSeg(es, seg)
		if !ok {
			return driveEntry{}, false, nil
		}
		if i == len(r.segs)-1 {
			return e, true, nil
		}
		if !e.folder {
			return driveEntry{}, false, nil
		}
		cur = e.id
	}
	return driveEntry{id: rootID, folder: true}, true, nil
}

func (d *driveService) stat(ctx context.Context, ref string) (connectors.Item, error) {
	r, err := d.parseRef("stat", ref, 1)
	if err != nil {
		return connectors.Item{}, err
	}
	svc, err := d.c.driveFor(ctx, r.ctr.User)
	if err != nil {
		return connectors.Item{}, err
	}
	rootID, err := d.root(ctx, svc, r.ctr)
	if err != nil {
		return connectors.Item{}, err
	}
	e, found, err := d.resolve(ctx, svc, r, rootID, nil)
	if err != nil {
		return connectors.Item{}, err
	}
	if !found || e.folder || d.ignored(r.ctr, e) != "" {
		return connectors.Item{}, connectors.Errorf(connectors.CodeNotFound, "stat", ref, errors.New("no such file"))
	}
	return d.item(e, ref, r.parent().String()), nil
}

// driveGroup is the targets of one DeleteBatch call in one folder.
type driveGroup struct {
	dir  driveRef
	idx  []int // into the targets
	segs []string
}

func (d *driveService) deleteBatch(ctx context.Context, targets []connectors.Target) []connectors.Result {
	results := make([]connectors.Result, len(targets))
	done := make([]bool, len(targets))
	set := func(i int, o connectors.Outcome, err error) {
		results[i] = connectors.Result{Ref: targets[i].Ref, Outcome: o, Err: err}
		if o == connectors.OutcomeDeleted || o == connectors.OutcomeHeld {
			results[i].Method = "purge"
		}
		done[i] = true
	}
	// Groups by folder, per container, in the order of the targets.
	var (
		order  []string
		byCtr  = map[string]container{}
		groups = map[string][]*driveGroup{}
		byDir  = map[string]*driveGroup{}
	)
	for i, t := range targets {
		r, err := d.parseRef("delete", t.Ref, 1)
		if err != nil {
			set(i, connectors.OutcomeFailed, err)
			continue
		}
		dir := r.parent()
		g := byDir[dir.String()]
		if g == nil {
			g = &driveGroup{dir: dir}
			byDir[dir.String()] = g
			if _, ok := byCtr[r.ctr.Ref]; !ok {
				byCtr[r.ctr.Ref] = r.ctr
				order = append(order, r.ctr.Ref)
			}
			groups[r.ctr.Ref] = append(groups[r.ctr.Ref], g)
		}
		g.idx = append(g.idx, i)
		g.segs = append(g.segs, r.segs[len(r.segs)-1])
	}
	for _, cref := range order {
		ctr := byCtr[cref]
		failAll := func(err error) {
			for _, g := range groups[cref] {
				for _, i := range g.idx {
					if !done[i] {
						set(i, connectors.OutcomeFailed, err)
					}
				}
			}
		}
		if err := ctx.Err(); err != nil {
			failAll(connectors.Errorf(connectors.CodeCancelled, "delete", cref, err))
			continue
		}
		svc, err := d.c.driveFor(ctx, ctr.User)
		if err != nil {
			failAll(err)
			continue
		}
		holder := ctr.User
		if ctr.DriveID != "" {
			holder = ctr.DriveID
		}
		held, err := d.c.heldByVault(ctx, holder, driveVaultCorpus)
		if err != nil {
			failAll(fmt.Errorf("read vault holds: %w", err))
			continue
		}
		rootID, err := d.root(ctx, svc, ctr)
		if err != nil {
			failAll(err)
			continue
		}
		cache := resolveCache{}
		for _, g := range groups[cref] {
			d.deleteGroup(ctx, svc, ctr, rootID, cache, held, g, targets, set)
		}
	}
	return results
}

// deleteGroup deletes the targets of one folder: one listing to check
// versions, the deletions, one listing to verify.
func (d *driveService) deleteGroup(ctx context.Context, svc *drive.Service, ctr container, rootID string, cache resolveCache, held bool, g *driveGroup, targets []connectors.Target, set func(int, connectors.Outcome, error)) {
	failGroup := func(err error) {
		for _, i := range g.idx {
			set(i, connectors.OutcomeFailed, err)
		}
	}
	if err := ctx.Err(); err != nil {
		failGroup(connectors.Errorf(connectors.CodeCancelled, "delete", g.dir.String(), err))
		return
	}
	dir, found, err := d.resolve(ctx, svc, g.dir, rootID, cache)
	if err != nil {
		failGroup(err)
		return
	}
	if !found || !dir.folder {
		for _, i := range g.idx {
			set(i, connectors.OutcomeAbsent, nil)
		}
		return
	}
	es, err := d.listFolder(ctx, svc, ctr, dir.id, g.dir.String())
	if err != nil {
		if connectors.IsNotFound(err) {
			for _, i := range g.idx {
				set(i, connectors.OutcomeAbsent, nil)
			}
			return
		}
		failGroup(err)
		return
	}
	type del struct {
		i  int
		id string
	}
	var dels []del
	for k, i := range g.idx {
		e, ok := findSeg(es, g.segs[k])
		switch {
		case !ok:
			set(i, connectors.OutcomeAbsent, nil)
		case e.folder || d.ignored(ctr, e) != "" || e.version != targets[i].Version:
			set(i, connectors.OutcomeChanged, nil)
		default:
			dels = append(dels, del{i, e.id})
		}
	}
	if len(dels) == 0 {
		return
	}
	errs := make([]error, len(dels))
	sem := make(chan struct{}, driveParallel)
	var wg sync.WaitGroup
	for k, x := range dels {
		if err := ctx.Err(); err != nil {
			errs[k] = connectors.Errorf(connectors.CodeCancelled, "delete", targets[x.i].Ref, err)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := ctx.Err(); err != nil {
				errs[k] = connectors.Errorf(connectors.CodeCancelled, "delete", targets[x.i].Ref, err)
				return
			}
			if err := svc.Files.Delete(x.id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
				errs[k] = classifyError("delete", targets[x.i].Ref, err)
			}
		}()
	}
	wg.Wait()
	// Verify: the folder listed once more; every deleted id must be gone.
	var present map[string]bool
	verifyErr := error(nil)
	if after, err := d.listFolder(ctx, svc, ctr, dir.id, g.dir.String()); err == nil {
		present = map[string]bool{}
		for _, e := range after {
			present[e.id] = true
		}
	} else if !connectors.IsNotFound(err) {
		verifyErr = err
	}
	deleted := 0
	for k, x := range dels {
		ref := targets[x.i].Ref
		switch {
		case errs[k] != nil && connectors.IsNotFound(errs[k]):
			set(x.i, connectors.OutcomeAbsent, nil)
		case errs[k] != nil:
			set(x.i, connectors.OutcomeFailed, errs[k])
		case verifyErr != nil:
			set(x.i, connectors.OutcomeFailed, fmt.Errorf("verify deletion: %w", verifyErr))
		case present[x.id]:
			set(x.i, connectors.OutcomeFailed, connectors.Errorf(connectors.CodeIO, "delete", ref, errors.New("the file is still listed after its deletion")))
		case held:
			deleted++
			set(x.i, connectors.OutcomeHeld, connectors.Errorf(connectors.CodeHeld, "delete", ref, errors.New("a google vault hold on the account's drive keeps the deleted file")))
		default:
			deleted++
			set(x.i, connectors.OutcomeDeleted, nil)
		}
	}
	d.logger().Debug("drive folder purged", zap.String("folder_id", dir.id), zap.Int("targets", len(g.idx)), zap.Int("deleted", deleted))
}

// pruneEmpty is connectors.Pruner.PruneEmpty for Drive container refs.
func (d *driveService) pruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	var (
		removed []string
		errs    []error
	)
	for _, ref := range containers {
		if err := ctx.Err(); err != nil {
			return removed, connectors.Errorf(connectors.CodeCancelled, "prune", ref, err)
		}
		r, err := d.parseRef("prune", ref, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for len(r.segs) > 0 {
			cur := r.String()
			if cur == stopAt || strings.HasPrefix(stopAt, cur+"/") {
				break
			}
			ok, err := d.pruneOne(ctx, r)
			if err != nil {
				errs = append(errs, err)
				break
			}
			if !ok {
				break
			}
			removed = append(removed, cur)
			r = r.parent()
		}
	}
	return removed, errors.Join(errs...)
}

// pruneOne removes the folder at r if it is empty and the user's; ok
// reports whether it did.
func (d *driveService) pruneOne(ctx context.Context, r driveRef) (bool, error) {
	svc, err := d.c.driveFor(ctx, r.ctr.User)
	if err != nil {
		return false, err
	}
	rootID, err := d.root(ctx, svc, r.ctr)
	if err != nil {
		return false, err
	}
	e, found, err := d.resolve(ctx, svc, r, rootID, nil)
	if err != nil || !found || !e.folder {
		return false, err
	}
	if r.ctr.DriveID == "" && e.owner != r.ctr.User {
		return false, nil
	}
	ref := r.String()
	empty, err := d.isEmpty(ctx, svc, r.ctr, e.id, ref)
	if err != nil || !empty {
		return false, err
	}
	// Into Trash first: anything put into the folder from now on goes to
	// Trash with it, and is seen by the second check.
	if !e.trashed {
		if _, err := svc.Files.Update(e.id, &drive.File{Trashed: true}).SupportsAllDrives(true).Fields("id").Context(ctx).Do(); err != nil {
			return false, classifyError("prune", ref, err)
		}
	}
	empty, err = d.isEmpty(ctx, svc, r.ctr, e.id, ref)
	if err != nil || !empty {
		if !e.trashed {
			if _, rerr := svc.Files.Update(e.id, &drive.File{Trashed: false, ForceSendFields: []string{"Trashed"}}).SupportsAllDrives(true).Fields("id").Context(ctx).Do(); rerr != nil {
				return false, errors.Join(err, classifyError("prune", ref, rerr))
			}
		}
		return false, err
	}
	if err := svc.Files.Delete(e.id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
		if cerr := classifyError("prune", ref, err); !connectors.IsNotFound(cerr) {
			return false, cerr
		}
	}
	return true, nil
}

// isEmpty reports whether a folder has no children at all (trashed ones
// included).
func (d *driveService) isEmpty(ctx context.Context, svc *drive.Service, ctr container, folderID, ref string) (bool, error) {
	page, err := d.listCall(svc, ctr, folderID).PageSize(1).Fields("nextPageToken,incompleteSearch,files(id)").Context(ctx).Do()
	if err != nil {
		return false, classifyError("prune", ref, err)
	}
	if page.IncompleteSearch {
		return false, connectors.Errorf(connectors.CodeUnavailable, "prune", ref, errors.New("drive reported an incomplete search"))
	}
	return len(page.Files) == 0 && page.NextPageToken == "", nil
}
