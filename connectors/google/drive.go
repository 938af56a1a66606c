package google

// Drive: the files users own in their My Drive, and every file
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
// to that file: when the oldest goes, a later one is listed under the
// plain name from then on, but a target planned with its id still finds
// it. The Container of an item is its folder's
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
// the drive's id is its root for a shared drive) in name order, so the
// order is deterministic, with files.list queries of the fields the rules
// need, pages of 1000 (Drive's largest): the children of up to 50 sibling
// folders are read with one query ("'<a>' in parents or '<b>' in parents
// …"), a run of siblings at a time as the walk reaches them, so memory
// holds at most that many folders' children a level.
// Folders are containers, not items. In a My Drive only the files the
// user owns are items; files owned by another account of the domain that
// sit in the user's folders (uploaded into a folder shared with them) and
// files owned outside the domain (c.inDomain) are never listed, and
// reported to ListOptions.Ignored with the reason. Files the user owns in
// folders of others (outside their My Drive tree) are not reached by the
// walk: they are not in the user's My Drive and a path for them would be
// another user's, so they are not items; after a complete walk of a
// whole My Drive one flat query ('me' in owners, ids only) finds them and
// reports them to ListOptions.Ignored as "drive/<user>/~<id>", so they
// are counted, not missed in silence. In a shared drive every file is an
// item (the drive, not a person, owns them).
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
// DeleteBatch groups the targets by folder and works through the
// folders in windows (up to 50 folders, about 100 targets). For each
// window it resolves the folders' paths (the folders above them are
// listed once a call), lists the window's folders with one query, which
// re-checks the version of every target as close to the deletion as the
// API allows (Drive has no conditional delete), deletes the targets whose
// version still matches with files.delete (permanent, bypassing Trash;
// supportsAllDrives) driveParallel at a time, and lists the folders once
// more to verify that they are gone. A target whose path no longer holds
// a file is OutcomeAbsent (also when files.delete answers 404: it
// vanished in between); another version (or another file, or a file not
// the user's) is OutcomeChanged and not touched. When the user (for a
// shared drive, the drive) is under a Google Vault hold on Drive, Vault
// keeps what is deleted: those deletions are OutcomeHeld. Method is
// "purge". A query that fails is tried again folder by folder, so one
// folder that vanished or cannot be read fails (or is absent) alone.
//
// Requests per deleted file: 1 files.delete, plus two listings (check and
// verify) a window and the folders above the targets' once a call:
// 1.022 for 1,000 files in 10 folders, 1.05 for 200 files one a folder
// (TestDriveRequestsPerFile). The Go client has no support for Google's HTTP
// batch endpoint, and Drive counts every call inside a batch against the
// quota as a request of its own, so batching would save round trips but
// not quota: the quota-bound rate (Drive allows 12,000 requests a minute
// a user, and as many a project: drive_requests_per_minute) is reached
// with concurrent single deletes (driveParallel in flight per call)
// instead: BenchmarkDriveDelete deletes 197–203 files a second for 4
// users at the default project quota (0.98–1.01× the bound) and 744 a
// second with the project quota raised (1.08× the per-user bound).
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
	"maps"
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
	// A DeleteBatch call works through its folders in windows of up to
	// driveFoldersPerQuery folders (one query lists them all: 50 terms
	// of '<id>' in parents keep the URL near 2.5 kB) and about
	// driveWindowItems targets, which bounds the time between a
	// target's version check and its deletion to a fraction of a second
	// at the quota's pace.
	driveFoldersPerQuery = 50
	driveWindowItems     = 100
	// driveFileFields are the fields read for every item.
	driveFileFields = "id,name,mimeType,parents,owners(emailAddress),driveId,version,md5Checksum,size,modifiedTime,createdTime,trashed"
	driveListFields = "nextPageToken,incompleteSearch,files(" + driveFileFields + ")"
	// driveVaultCorpus is Vault's name for Drive data.
	driveVaultCorpus = "DRIVE"
	// labelTrashed marks a listed file that is in Trash.
	labelTrashed = "trashed"
)

// driveService lists, checks and deletes Drive files.
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
// the name's extension.
func altSeg(name, id string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return driveSeg(name[:i] + "~" + id + name[i:])
	}
	return driveSeg(name + "~" + id)
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
				es[i].seg = altSeg(es[i].name, es[i].id)
			}
		}
	}
	slices.SortFunc(es, func(a, b driveEntry) int { return strings.Compare(a.seg, b.seg) })
}

// findSeg returns the entry with the given segment, or, failing that,
// the entry whose name with its id is the segment: a ref made for a later
// file of a name stays bound to that file after the files before it went
// (and it took the plain name).
func findSeg(es []driveEntry, seg string) (driveEntry, bool) {
	i, ok := slices.BinarySearchFunc(es, seg, func(e driveEntry, s string) int { return strings.Compare(e.seg, s) })
	if ok {
		return es[i], true
	}
	if !strings.Contains(seg, "~") {
		return driveEntry{}, false
	}
	for _, e := range es {
		if strings.Contains(seg, e.id) && altSeg(e.name, e.id) == seg {
			return e, true
		}
	}
	return driveEntry{}, false
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
		if u != strings.ToLower(u) || !validEmail(u) {
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
	if !validDriveID(f.Id) {
		return "", connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, errors.New("drive named no root folder, or one whose id is not a drive id"))
	}
	d.mu.Lock()
	if d.roots == nil {
		d.roots = map[string]string{}
	}
	d.roots[ctr.User] = f.Id
	d.mu.Unlock()
	return f.Id, nil
}

// listCall is files.list of the children of the given folders in the
// container.
func (d *driveService) listCall(svc *drive.Service, ctr container, folderIDs ...string) *drive.FilesListCall {
	terms := make([]string, len(folderIDs))
	for i, id := range folderIDs {
		terms[i] = "'" + id + "' in parents"
	}
	call := svc.Files.List().Q(strings.Join(terms, " or ")).SupportsAllDrives(true)
	if ctr.DriveID != "" {
		call = call.Corpora("drive").DriveId(ctr.DriveID).IncludeItemsFromAllDrives(true)
	}
	return call
}

// listFolder reads every child of a folder. ref names the folder in
// errors.
func (d *driveService) listFolder(ctx context.Context, svc *drive.Service, ctr container, folderID, ref string) ([]driveEntry, error) {
	m, err := d.listFolders(ctx, svc, ctr, []string{folderID}, ref)
	return m[folderID], err
}

// listFolders reads every child of the given folders with one query
// ('a' in parents or 'b' in parents …), paged, and returns them by
// folder, each folder's sorted by segment. ref names the folders in
// errors.
func (d *driveService) listFolders(ctx context.Context, svc *drive.Service, ctr container, folderIDs []string, ref string) (map[string][]driveEntry, error) {
	out := make(map[string][]driveEntry, len(folderIDs))
	for _, id := range folderIDs {
		out[id] = nil
	}
	var (
		token string
		seen  = map[string]bool{}
		ids   = map[string]bool{}
	)
	for {
		call := d.listCall(svc, ctr, folderIDs...).PageSize(drivePageSize).Fields(driveListFields).Context(ctx)
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
			e, parent, err := parseDriveFile(f, out, ctr.DriveID)
			if err != nil {
				return nil, connectors.Errorf(connectors.CodeIO, "list", ref, err)
			}
			if ids[e.id] {
				return nil, connectors.Errorf(connectors.CodeIO, "list", ref, errors.New("drive listed a file twice"))
			}
			ids[e.id] = true
			out[parent] = append(out[parent], e)
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
	for _, es := range out {
		assignSegs(es)
	}
	return out, nil
}

// parseDriveFile checks one listed file, which must be a child of one of
// the folders (keys of folders), and turns it into an entry.
func parseDriveFile(f *drive.File, folders map[string][]driveEntry, driveID string) (driveEntry, string, error) {
	e, err := parseDriveEntry(f, driveID)
	if err != nil {
		return driveEntry{}, "", err
	}
	if len(f.Parents) != 1 {
		return driveEntry{}, "", fmt.Errorf("file %s has %d parents, not one", f.Id, len(f.Parents))
	}
	if _, ok := folders[f.Parents[0]]; !ok {
		return driveEntry{}, "", fmt.Errorf("file %s is not in a folder listed", f.Id)
	}
	return e, f.Parents[0], nil
}

// parseDriveEntry checks a file's fields and turns it into an entry.
func parseDriveEntry(f *drive.File, driveID string) (driveEntry, error) {
	if f == nil {
		return driveEntry{}, errors.New("drive listed a null file")
	}
	if f.Id == "" {
		return driveEntry{}, errors.New("drive listed a file without an id")
	}
	if !validDriveID(f.Id) {
		// Ids go into queries ('<id>' in parents) and refs: only Drive's
		// alphabet is taken.
		return driveEntry{}, errors.New("drive listed a file whose id is not a drive id")
	}
	if f.MimeType == "" {
		return driveEntry{}, fmt.Errorf("file %s has no mimeType", f.Id)
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
	if p := strings.TrimSuffix(opts.Prefix, "/"); strings.HasPrefix(p, ctr.Ref+"/") {
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
	w := &driveWalk{d: d, ctx: ctx, svc: svc, ctr: ctr, opts: opts, fn: fn, seen: map[string]bool{}, own: map[string]bool{}}
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
	if ctr.DriveID == "" && len(start.segs) == 0 && opts.Ignored != nil {
		if err := d.reportOutside(ctx, svc, ctr, w.own, opts.Ignored); err != nil {
			if ctx.Err() != nil {
				return connectors.Errorf(connectors.CodeCancelled, "list", ctr.Ref, ctx.Err())
			}
			// Only a report: the listing itself is complete.
			d.logger().Warn("drive files outside the tree not reported", zap.String("code", connectors.CodeOf(err).String()))
		}
	}
	return nil
}

// reportOutside reports to ignored the files the user owns that the walk
// of their My Drive did not reach (they sit in folders of other accounts,
// or their folder is gone): with one flat query of the user's files
// ('me' in owners, ids only, 1000 a page), so that they are counted and
// named, never silently missed. Their refs are "drive/<user>/~<id>": no
// path of the user's leads to them.
func (d *driveService) reportOutside(ctx context.Context, svc *drive.Service, ctr container, own map[string]bool, ignored func(ref, why string)) error {
	var (
		outside []string
		token   string
		seen    = map[string]bool{}
	)
	for {
		call := svc.Files.List().Q("'me' in owners and mimeType != '" + driveFolderMime + "'").PageSize(drivePageSize).Fields("nextPageToken,files(id,mimeType)").Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		page, err := call.Do()
		if err != nil {
			return classifyError("list", ctr.Ref, err)
		}
		for _, f := range page.Files {
			if f != nil && f.Id != "" && f.MimeType != driveFolderMime && !own[f.Id] {
				outside = append(outside, f.Id)
			}
		}
		if page.NextPageToken == "" {
			break
		}
		if seen[page.NextPageToken] || page.NextPageToken == token {
			return connectors.Errorf(connectors.CodeIO, "list", ctr.Ref, errors.New("drive returned a page token that was already followed"))
		}
		seen[page.NextPageToken] = true
		token = page.NextPageToken
	}
	slices.Sort(outside)
	for _, id := range slices.Compact(outside) {
		ignored(ctr.Ref+"/~"+id, "owned by the user but outside their My Drive (in a folder of another account): no path of theirs leads to it")
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
	own     map[string]bool // ids of the user's files reached
	skipped []error
	files   int
}

func (w *driveWalk) walk(folderID string, ref driveRef) error {
	w.seen[folderID] = true
	es, err := w.d.listFolder(w.ctx, w.svc, w.ctr, folderID, ref.String())
	if err != nil {
		if w.ctx.Err() != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", w.ctr.Ref, w.ctx.Err())
		}
		return err // the walk's first folder: the container (or prefix) could not be read
	}
	return w.folder(ref, es)
}

// folder passes a folder's files to fn and walks its subfolders, whose
// children are read driveFoldersPerQuery folders a query, a run of
// subfolders at a time as the walk reaches them.
func (w *driveWalk) folder(ref driveRef, es []driveEntry) error {
	container := ref.String()
	var (
		fetched map[string][]driveEntry
		errs    map[string]error
	)
	for k, e := range es {
		if err := w.ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", w.ctr.Ref, err)
		}
		sub := driveRef{ctr: ref.ctr, segs: append(slices.Clip(ref.segs), e.seg)}
		if e.folder {
			if w.seen[e.id] {
				w.skipped = append(w.skipped, connectors.Errorf(connectors.CodeIO, "list", sub.String(), errors.New("folder is its own ancestor")))
				continue
			}
			if _, ok := fetched[e.id]; !ok && errs[e.id] == nil {
				// Read this subfolder and the next ones in one query.
				var ids []string
				refs := map[string]string{}
				for _, n := range es[k:] {
					if len(ids) == driveFoldersPerQuery {
						break
					}
					if n.folder && !w.seen[n.id] {
						ids = append(ids, n.id)
						refs[n.id] = driveRef{ctr: ref.ctr, segs: append(slices.Clip(ref.segs), n.seg)}.String()
					}
				}
				fetched, errs = w.d.listMany(w.ctx, w.svc, w.ctr, ids, refs)
			}
			if err := errs[e.id]; err != nil {
				if w.ctx.Err() != nil {
					return connectors.Errorf(connectors.CodeCancelled, "list", w.ctr.Ref, w.ctx.Err())
				}
				w.skipped = append(w.skipped, err)
				continue
			}
			children := fetched[e.id]
			delete(fetched, e.id)
			w.seen[e.id] = true
			if err := w.folder(sub, children); err != nil {
				return err
			}
			continue
		}
		if e.owner == w.ctr.User {
			w.own[e.id] = true
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
		gs := groups[cref]
		for len(gs) > 0 {
			n, items := 0, 0
			for n < len(gs) && n < driveFoldersPerQuery && items < driveWindowItems {
				items += len(gs[n].idx)
				n++
			}
			d.deleteWindow(ctx, svc, ctr, rootID, cache, held, gs[:n], targets, set)
			gs = gs[n:]
		}
	}
	return results
}

// listMany lists the folders (by id; refs by id name them in errors),
// up to driveFoldersPerQuery in one query. A query that fails is tried
// again folder by folder, so that one folder that vanished or cannot be
// read does not hide the others: errs holds those folders' errors.
func (d *driveService) listMany(ctx context.Context, svc *drive.Service, ctr container, ids []string, refs map[string]string) (map[string][]driveEntry, map[string]error) {
	out := map[string][]driveEntry{}
	errs := map[string]error{}
	for len(ids) > 0 {
		n := min(len(ids), driveFoldersPerQuery)
		chunk := ids[:n]
		ids = ids[n:]
		m, err := d.listFolders(ctx, svc, ctr, chunk, refs[chunk[0]])
		if err == nil {
			maps.Copy(out, m)
			continue
		}
		if len(chunk) == 1 || ctx.Err() != nil {
			for _, id := range chunk {
				errs[id] = err
			}
			continue
		}
		for _, id := range chunk {
			if es, err := d.listFolder(ctx, svc, ctr, id, refs[id]); err != nil {
				errs[id] = err
			} else {
				out[id] = es
			}
		}
	}
	return out, errs
}

// deleteWindow deletes the targets of a few folders (at most
// driveFoldersPerQuery, about driveWindowItems targets): one listing of
// the folders checks every target's version, the deletions run
// driveParallel at a time, and one listing verifies them.
func (d *driveService) deleteWindow(ctx context.Context, svc *drive.Service, ctr container, rootID string, cache resolveCache, held bool, gs []*driveGroup, targets []connectors.Target, set func(int, connectors.Outcome, error)) {
	setGroup := func(g *driveGroup, o connectors.Outcome, err error) {
		for _, i := range g.idx {
			set(i, o, err)
		}
	}
	// Resolve the folders.
	var (
		live []*driveGroup
		ids  []string
		dirs = map[*driveGroup]string{}
		refs = map[string]string{}
	)
	for _, g := range gs {
		if err := ctx.Err(); err != nil {
			setGroup(g, connectors.OutcomeFailed, connectors.Errorf(connectors.CodeCancelled, "delete", g.dir.String(), err))
			continue
		}
		dir, found, err := d.resolve(ctx, svc, g.dir, rootID, cache)
		switch {
		case err != nil:
			setGroup(g, connectors.OutcomeFailed, err)
		case !found || !dir.folder:
			setGroup(g, connectors.OutcomeAbsent, nil)
		default:
			live = append(live, g)
			if _, dup := refs[dir.id]; !dup {
				ids = append(ids, dir.id)
			}
			dirs[g] = dir.id
			refs[dir.id] = g.dir.String()
		}
	}
	if len(live) == 0 {
		return
	}
	// Check.
	before, errs := d.listMany(ctx, svc, ctr, ids, refs)
	type del struct {
		i   int
		id  string
		dir string
	}
	var dels []del
	for _, g := range live {
		dir := dirs[g]
		if err := errs[dir]; err != nil {
			if connectors.IsNotFound(err) {
				setGroup(g, connectors.OutcomeAbsent, nil)
			} else {
				setGroup(g, connectors.OutcomeFailed, err)
			}
			continue
		}
		for k, i := range g.idx {
			e, ok := findSeg(before[dir], g.segs[k])
			switch {
			case !ok:
				set(i, connectors.OutcomeAbsent, nil)
			case e.folder || d.ignored(ctr, e) != "" || e.version != targets[i].Version:
				set(i, connectors.OutcomeChanged, nil)
			default:
				dels = append(dels, del{i, e.id, dir})
			}
		}
	}
	if len(dels) == 0 {
		return
	}
	// Delete.
	delErrs := make([]error, len(dels))
	// sent marks the deletions whose request went out: their outcome is
	// decided by the verification below even when the answer was lost
	// (the caller gave up or the connection broke after Drive acted).
	sent := make([]bool, len(dels))
	sem := make(chan struct{}, driveParallel)
	var wg sync.WaitGroup
	for k, x := range dels {
		if err := ctx.Err(); err != nil {
			delErrs[k] = connectors.Errorf(connectors.CodeCancelled, "delete", targets[x.i].Ref, err)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := ctx.Err(); err != nil {
				delErrs[k] = connectors.Errorf(connectors.CodeCancelled, "delete", targets[x.i].Ref, err)
				return
			}
			sent[k] = true
			if err := svc.Files.Delete(x.id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
				delErrs[k] = classifyError("delete", targets[x.i].Ref, err)
			}
		}()
	}
	wg.Wait()
	// Verify: the folders listed once more; every deleted id must be gone.
	var verify []string
	vseen := map[string]bool{}
	for k, x := range dels {
		if sent[k] && !connectors.IsNotFound(delErrs[k]) && !vseen[x.dir] {
			vseen[x.dir] = true
			verify = append(verify, x.dir)
		}
	}
	// What was sent is verified even when the caller has given up, so
	// that its outcome is recorded truthfully (as Gmail's verification).
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	after, verrs := d.listMany(vctx, svc, ctr, verify, refs)
	present := map[string]bool{}
	for _, es := range after {
		for _, e := range es {
			present[e.id] = true
		}
	}
	deleted := 0
	for k, x := range dels {
		ref := targets[x.i].Ref
		verr := verrs[x.dir]
		switch {
		case delErrs[k] != nil && connectors.IsNotFound(delErrs[k]):
			set(x.i, connectors.OutcomeAbsent, nil)
		case !sent[k]:
			set(x.i, connectors.OutcomeFailed, delErrs[k])
		case verr != nil && !connectors.IsNotFound(verr):
			if delErrs[k] != nil {
				set(x.i, connectors.OutcomeFailed, delErrs[k])
			} else {
				set(x.i, connectors.OutcomeFailed, fmt.Errorf("verify deletion: %w", verr))
			}
		case present[x.id] && delErrs[k] != nil:
			set(x.i, connectors.OutcomeFailed, delErrs[k])
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
	d.logger().Debug("drive files purged", zap.Int("folders", len(ids)), zap.Int("targets", len(dels)), zap.Int("deleted", deleted))
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
		if err == nil {
			_, err = d.c.route(ctx, "prune", ref) // the user is in the scope
		}
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
