package googletest

// The fake's Drive: files.list, files.get, files.update (the
// trashed flag and the name), files.delete, files.create (metadata only,
// or with content by uploadType=multipart or media), about.get, with the wire format of
// google.golang.org/api/drive/v3 (its File type is what is marshalled),
// partial responses (fields=), paging with opaque page tokens, the query
// language's subset below, shared drives, and faults for tests.
//
// What it models of Drive:
//
//   - every file and folder has exactly one parent (a My Drive's root, a
//     shared drive's root, whose id is the drive's id, or a folder); a
//     My Drive's root answers to the alias "root" for its user;
//   - files of My Drives have one owner; files of shared drives none (the
//     drive owns them: "owners" is absent); a user's My Drive may hold
//     files others own (uploaded into a folder shared with them);
//   - version (int64, sent as a string) bumps on every change, md5Checksum
//     is absent for Google Docs (application/vnd.google-apps.*) and
//     folders, size absent for folders;
//   - files.delete is permanent (it bypasses Trash) and only the owner
//     (My Drive) or an organizer (shared drives) may do it: others get 403
//     insufficientFilePermissions; deleting a folder deletes what its owner
//     owns inside it, and leaves others' files without a parent, as Drive
//     does; items of shared drives are 404 unless supportsAllDrives=true;
//   - files one may not see are 404 notFound, as for Drive;
//   - q: '<id>' in parents, '<email>'|'me' in owners, trashed = true|false,
//     mimeType = '…' and !=, name = '…' and !=, joined with and, or, not
//     and parentheses; anything else is 400 invalid (Drive's "Invalid
//     Value"), so that no test passes on a query the fake ignored;
//     '<id>' in parents naming a folder that does not exist is 404, as
//     Drive answers;
//   - quota: one unit a request, charged to the impersonated user.
import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/drive/v3"
)

// FolderMime is the MIME type of Drive folders.
const FolderMime = "application/vnd.google-apps.folder"

const (
	scopeDrive         = "https://www.googleapis.com/auth/drive"
	scopeDriveReadonly = "https://www.googleapis.com/auth/drive.readonly"
	driveMaxPage       = 1000
	driveDefaultPage   = 100
)

func init() {
	handle("GET /drive/v3/files", (*Server).driveList)
	handle("GET /drive/v3/files/{fileId}", (*Server).driveGet)
	handle("PATCH /drive/v3/files/{fileId}", (*Server).driveUpdate)
	handle("DELETE /drive/v3/files/{fileId}", (*Server).driveDelete)
	handle("GET /drive/v3/about", (*Server).driveAbout)
	handle("POST /drive/v3/files", (*Server).driveCreate)
	handle("POST /upload/drive/v3/files", (*Server).driveCreate)
}

// Drive is one user's My Drive or a shared drive.
type Drive struct {
	// ID is the root folder's id: for a shared drive, the drive's id.
	ID string
	// User owns a My Drive; "" for a shared drive.
	User string
	// Name of a shared drive.
	Name string
	// Organizers may delete in a shared drive; Members may read it.
	Organizers, Members []string

	files  map[string]*File // every item whose tree is this drive, root included
	faults []*DriveFault
	stats  DriveStats
}

// File is a Drive file or folder as the fake stores it.
type File struct {
	ID       string
	Name     string
	MimeType string // FolderMime for folders
	Parent   string // the parent folder's id; "" for a root or an orphan
	Owner    string // email; "" in shared drives
	Version  int64
	MD5      string
	Size     int64 // -1: absent
	Modified time.Time
	Created  time.Time
	Trashed  bool
	// SharedWith may read the file.
	SharedWith []string
	// Content, when given to PutFile, sets MD5 and Size.
	Content []byte

	drive *Drive
}

// IsFolder reports whether f is a folder.
func (f *File) IsFolder() bool { return f.MimeType == FolderMime }

// DriveFault makes requests touching a drive fail or misbehave. Op is
// "list", "get", "update" or "delete" ("" any); Folder limits list faults
// to the listing of one folder and File get/update/delete faults to one
// file ("" any). Times is how many requests it affects (0: every one).
type DriveFault struct {
	Op     string
	Folder string
	File   string
	Times  int

	// Status and Reason: an error reply (e.g. 500 backendError, 403
	// userRateLimitExceeded) with RetryAfter as the Retry-After header.
	Status     int
	Reason     string
	RetryAfter string
	// LoopPages: a listing's nextPageToken is the one just used (the
	// first page's next token on every page).
	LoopPages bool
	// Malformed: the reply's body is cut in the middle.
	Malformed bool
	// DropField removes a field ("version", "owners", "parents",
	// "modifiedTime", …) from every file of the reply.
	DropField string
	// BadField sets a field of every file of the reply to a value of the
	// wrong shape ("modifiedTime": "yesterday", "version": "x").
	BadField string
	// VanishAfter: the folder (Folder) is deleted after this many pages
	// of its listing were served (a folder that vanishes mid-walk).
	VanishAfter int
	// KeepOnDelete: files.delete answers 204 but the file stays.
	KeepOnDelete bool
	// DeleteThenFail: files.delete deletes the file, then answers with
	// Status (an answer that was lost or wrong after Drive acted).
	DeleteThenFail bool
	// Arrive: right after files.update of the folder, a file of this
	// name (owned by the drive's user) appears in it, as if another
	// client put it there in between.
	Arrive string

	hits int
}

// DriveStats counts the Drive requests a drive answered.
type DriveStats struct {
	Requests, Lists, Gets, Updates, Deletes int
}

// newDriveID returns a random id in Drive's alphabet and length.
func newDriveID() string {
	var b [24]byte
	rand.Read(b[:])
	return "1" + base64.RawURLEncoding.EncodeToString(b[:])
}

// AddDrive gives user a My Drive (if it has none) and returns its root
// folder's id.
func (s *Server) AddDrive(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.myDriveLocked(user).ID
}

func (s *Server) myDriveLocked(user string) *Drive {
	user = strings.ToLower(user)
	if d := s.drives[user]; d != nil {
		return d
	}
	d := &Drive{ID: newDriveID(), User: user, files: map[string]*File{}}
	now := s.now()
	d.files[d.ID] = &File{ID: d.ID, Name: "My Drive", MimeType: FolderMime, Owner: user, Version: 1, Size: -1, Modified: now, Created: now, drive: d}
	s.drives[user] = d
	return d
}

// AddSharedDrive creates a shared drive with the given id (a random one
// when empty) and returns its id. Organizers may delete; members read.
func (s *Server) AddSharedDrive(id, name string, organizers, members []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = "0A" + newDriveID()[1:20]
	}
	d := &Drive{ID: id, Name: name, files: map[string]*File{}}
	for _, o := range organizers {
		d.Organizers = append(d.Organizers, strings.ToLower(o))
	}
	for _, m := range members {
		d.Members = append(d.Members, strings.ToLower(m))
	}
	now := s.now()
	d.files[id] = &File{ID: id, Name: name, MimeType: FolderMime, Version: 1, Size: -1, Modified: now, Created: now, drive: d}
	s.drives[id] = d
	return id
}

// driveLocked returns the drive named by a user's email or a shared
// drive's id.
func (s *Server) driveLocked(drive string) *Drive {
	if d := s.drives[drive]; d != nil {
		return d
	}
	if d := s.drives[strings.ToLower(drive)]; d != nil {
		return d
	}
	panic(fmt.Sprintf("googletest: no drive %q (AddDrive or AddSharedDrive first)", drive))
}

// Folder returns the id of the folder at path ("a/b") in the drive (a
// user's email or a shared drive's id), creating missing folders, owned
// by the drive's user. "" is the root.
func (s *Server) Folder(drive, path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.folderLocked(s.driveLocked(drive), path).ID
}

func (s *Server) folderLocked(d *Drive, path string) *File {
	cur := d.files[d.ID]
	if path == "" {
		return cur
	}
	for _, name := range strings.Split(path, "/") {
		var next *File
		for _, f := range d.sortedFiles() {
			if f.Parent == cur.ID && f.Name == name && f.IsFolder() {
				next = f
				break
			}
		}
		if next == nil {
			now := s.now()
			next = &File{ID: newDriveID(), Name: name, MimeType: FolderMime, Parent: cur.ID, Owner: d.User, Version: 1, Size: -1, Modified: now, Created: now, drive: d}
			d.files[next.ID] = next
		}
		cur = next
	}
	return cur
}

// PutFile creates a file at path ("a/b/c.txt") in the drive (a user's
// email or a shared drive's id), creating its folders, and returns its
// id. f's Name and Parent are taken from path; Owner defaults to the
// drive's user; Content sets MD5 and Size unless f is a Google Doc or a
// folder; Modified and Created default to the server's clock. Another
// file of the same name in the folder is kept (Drive allows it).
func (s *Server) PutFile(drive, path string, f File) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.driveLocked(drive)
	dir, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	f.Name = name
	return s.putLocked(d, s.folderLocked(d, dir).ID, f)
}

// PutFileIn creates a file in the folder with the given id, as PutFile
// (f.Name as given).
func (s *Server) PutFileIn(parent string, f File) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.fileLocked(parent)
	if p == nil || !p.IsFolder() {
		panic(fmt.Sprintf("googletest: no folder %q", parent))
	}
	return s.putLocked(p.drive, p.ID, f)
}

func (s *Server) putLocked(d *Drive, parent string, f File) string {
	nf := f
	nf.drive = d
	nf.Parent = parent
	if nf.ID == "" {
		nf.ID = newDriveID()
	}
	if nf.MimeType == "" {
		nf.MimeType = "application/octet-stream"
	}
	if nf.Owner == "" && d.User != "" {
		nf.Owner = d.User
	}
	nf.Owner = strings.ToLower(nf.Owner)
	if d.User == "" {
		nf.Owner = ""
	}
	if nf.Version == 0 {
		nf.Version = 1
	}
	now := s.now()
	if nf.Modified.IsZero() {
		nf.Modified = now
	}
	if nf.Created.IsZero() {
		nf.Created = nf.Modified
	}
	switch {
	case nf.IsFolder():
		nf.MD5, nf.Size = "", -1
	case strings.HasPrefix(nf.MimeType, "application/vnd.google-apps."):
		nf.MD5 = ""
		nf.Size = int64(len(nf.Content))
	default:
		sum := md5.Sum(nf.Content)
		nf.MD5, nf.Size = hex.EncodeToString(sum[:]), int64(len(nf.Content))
	}
	nf.Content = slices.Clone(nf.Content)
	d.files[nf.ID] = &nf
	return nf.ID
}

// fileLocked finds an item by id in any drive.
func (s *Server) fileLocked(id string) *File {
	for _, d := range s.drives {
		if f := d.files[id]; f != nil {
			return f
		}
	}
	return nil
}

func (s *Server) mustFileLocked(id string) *File {
	f := s.fileLocked(id)
	if f == nil {
		panic(fmt.Sprintf("googletest: no file %q", id))
	}
	return f
}

// FileID returns the id of the item at path in the drive: the first (by
// creation, then id) of that name at each step.
func (s *Server) FileID(drive, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.driveLocked(drive)
	cur := d.files[d.ID]
	for _, name := range strings.Split(path, "/") {
		var next *File
		for _, f := range d.sortedFiles() {
			if f.Parent == cur.ID && f.Name == name {
				next = f
				break
			}
		}
		if next == nil {
			return "", false
		}
		cur = next
	}
	return cur.ID, true
}

// FileByID returns a copy of the item with the given id.
func (s *Server) FileByID(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fileLocked(id)
	if f == nil {
		return File{}, false
	}
	c := *f
	c.Content = nil
	return c, true
}

// HasFile reports whether an item with the given id exists.
func (s *Server) HasFile(id string) bool {
	_, ok := s.FileByID(id)
	return ok
}

// ModifyFile changes a file's content (version, checksum, size and
// modification time change).
func (s *Server) ModifyFile(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustFileLocked(id)
	f.Content = append(f.Content, '+')
	if f.MD5 != "" {
		sum := md5.Sum(f.Content)
		f.MD5 = hex.EncodeToString(sum[:])
	}
	if f.Size >= 0 {
		f.Size = int64(len(f.Content))
	}
	f.touch(s.now())
}

func (f *File) touch(now time.Time) {
	f.Version++
	if now.After(f.Modified) {
		f.Modified = now
	} else {
		f.Modified = f.Modified.Add(time.Second)
	}
}

// RenameFile renames an item (its version changes).
func (s *Server) RenameFile(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustFileLocked(id)
	f.Name = name
	f.touch(s.now())
}

// MoveFile moves an item into another folder of the same drive.
func (s *Server) MoveFile(id, parent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustFileLocked(id)
	f.Parent = parent
	f.touch(s.now())
}

// TrashFile sets or clears an item's trashed flag.
func (s *Server) TrashFile(id string, trashed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustFileLocked(id)
	f.Trashed = trashed
	f.touch(s.now())
}

// RemoveFile deletes an item permanently, as files.delete by its owner.
func (s *Server) RemoveFile(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteLocked(s.mustFileLocked(id))
}

// deleteLocked deletes f and, for a folder, what f's owner owns below it
// (everything, in a shared drive); others' files are left without a
// parent.
func (s *Server) deleteLocked(f *File) {
	d := f.drive
	for _, c := range d.sortedFiles() {
		if c.Parent != f.ID {
			continue
		}
		if c.Owner == f.Owner {
			s.deleteLocked(c)
		} else {
			c.Parent = ""
		}
	}
	delete(d.files, f.ID)
}

// Children returns the ids of the items in a folder, by creation.
func (s *Server) Children(folder string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustFileLocked(folder)
	var ids []string
	for _, c := range f.drive.sortedFiles() {
		if c.Parent == folder {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// SetDriveFault adds a fault to the drive (a user's email or a shared
// drive's id).
func (s *Server) SetDriveFault(drive string, f DriveFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.driveLocked(drive)
	d.faults = append(d.faults, &f)
}

// ClearDriveFaults removes the drive's faults.
func (s *Server) ClearDriveFaults(drive string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.driveLocked(drive).faults = nil
}

// DriveStats returns the drive's counters (requests whose target was in
// it, or, for requests without one, of the impersonated user's My Drive).
func (s *Server) DriveStats(drive string) DriveStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.driveLocked(drive).stats
}

// TotalDriveStats sums every drive's counters.
func (s *Server) TotalDriveStats() DriveStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t DriveStats
	for _, d := range s.drives {
		t.Requests += d.stats.Requests
		t.Lists += d.stats.Lists
		t.Gets += d.stats.Gets
		t.Updates += d.stats.Updates
		t.Deletes += d.stats.Deletes
	}
	return t
}

// sortedFiles returns the drive's items by creation time, then id.
func (d *Drive) sortedFiles() []*File {
	fs := make([]*File, 0, len(d.files))
	for _, f := range d.files {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b *File) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return fs
}

// fault returns the first of d's faults for op on one of the folders
// (listed) or the file, and counts it.
func (d *Drive) fault(op string, folders []string, file string) *DriveFault {
	if d == nil {
		return nil
	}
	for _, f := range d.faults {
		if f.Op != "" && f.Op != op || f.Folder != "" && !slices.Contains(folders, f.Folder) || f.File != "" && f.File != file {
			continue
		}
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		f.hits++
		return f
	}
	return nil
}

// writeFault writes a fault's error reply; false when the fault is not
// an error reply.
func writeFault(w http.ResponseWriter, f *DriveFault) bool {
	if f == nil || f.Status == 0 {
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	reason := f.Reason
	if reason == "" {
		reason = "backendError"
	}
	writeError(w, f.Status, reason, "Injected fault: "+reason)
	return true
}

// canRead reports whether subject may see f.
func canRead(subject string, f *File) bool {
	d := f.drive
	if d.User == "" {
		return slices.Contains(d.Members, subject) || slices.Contains(d.Organizers, subject)
	}
	return d.User == subject || f.Owner == subject || slices.Contains(f.SharedWith, subject)
}

// driveAuth authorizes a Drive request and returns the subject, lower
// case.
func (s *Server) driveAuth(w http.ResponseWriter, r *http.Request, write bool) (string, bool) {
	scopes := []string{scopeDrive}
	if !write {
		scopes = append(scopes, scopeDriveReadonly)
	}
	subject, ok := s.authorize(w, r, scopes...)
	if !ok {
		return "", false
	}
	return strings.ToLower(subject), true
}

// driveCharge charges one unit to the subject's quota.
func (s *Server) driveCharge(w http.ResponseWriter, subject string) bool {
	return s.charge(w, subject, 1)
}

// count adds a request to the counters of d, or of the subject's My
// Drive.
func (s *Server) countLocked(d *Drive, subject string, op string) {
	if d == nil {
		d = s.drives[subject]
	}
	if d == nil {
		return
	}
	d.stats.Requests++
	switch op {
	case "list":
		d.stats.Lists++
	case "get":
		d.stats.Gets++
	case "update":
		d.stats.Updates++
	case "delete":
		d.stats.Deletes++
	}
}

// lookupLocked resolves a fileId path parameter ("root" included) to an
// item subject may see, or writes 404.
func (s *Server) lookupLocked(w http.ResponseWriter, r *http.Request, subject, id string) *File {
	var f *File
	if id == "root" {
		if d := s.drives[subject]; d != nil {
			f = d.files[d.ID]
		}
	} else {
		f = s.fileLocked(id)
	}
	if f == nil || !canRead(subject, f) || f.drive.User == "" && !boolParam(r, "supportsAllDrives") {
		writeError(w, http.StatusNotFound, "notFound", "File not found: "+id+".")
		return nil
	}
	return f
}

func boolParam(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}

// wire is f as Drive sends it.
func (f *File) wire() *drive.File {
	df := &drive.File{
		Kind:            "drive#file",
		Id:              f.ID,
		Name:            f.Name,
		MimeType:        f.MimeType,
		Version:         f.Version,
		Md5Checksum:     f.MD5,
		ModifiedTime:    f.Modified.UTC().Format("2006-01-02T15:04:05.000Z"),
		CreatedTime:     f.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
		Trashed:         f.Trashed,
		ForceSendFields: []string{"Trashed"},
	}
	if f.Size >= 0 {
		df.Size = f.Size
		df.ForceSendFields = append(df.ForceSendFields, "Size")
	}
	if f.Parent != "" {
		df.Parents = []string{f.Parent}
	}
	if f.drive.User == "" {
		df.DriveId = f.drive.ID
	} else if f.Owner != "" {
		df.Owners = []*drive.User{{Kind: "drive#user", EmailAddress: f.Owner, DisplayName: f.Owner, Me: false}}
	}
	return df
}

// driveFileJSON marshals f as a generic object, with a fault's damage.
func driveFileJSON(f *File, fault *DriveFault) map[string]any {
	b, err := json.Marshal(f.wire())
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	if fault != nil {
		if fault.DropField != "" {
			delete(m, fault.DropField)
		}
		if fault.BadField != "" {
			m[fault.BadField] = "x-not-a-value"
		}
	}
	return m
}

// writeDriveJSON writes v filtered by the request's fields parameter
// (def when absent); a fault may cut the body short.
func writeDriveJSON(w http.ResponseWriter, r *http.Request, v map[string]any, def string, fault *DriveFault) {
	fields := r.URL.Query().Get("fields")
	if fields == "" {
		fields = def
	}
	sel, err := parseFields(fields)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalidParameter", "Invalid field selection "+fields)
		return
	}
	b, err := json.Marshal(sel.apply(v))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backendError", "Backend Error")
		return
	}
	if fault != nil && fault.Malformed {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

// fieldSel is a parsed partial-response selector: nil means everything.
type fieldSel map[string]fieldSel

// parseFields parses Google's fields syntax: "a,b(c,d(e)),f/g,*".
func parseFields(s string) (fieldSel, error) {
	p := &fieldParser{s: strings.ReplaceAll(s, " ", "")}
	sel, err := p.list()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
	}
	return sel, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) list() (fieldSel, error) {
	sel := fieldSel{}
	for {
		if err := p.item(sel); err != nil {
			return nil, err
		}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return sel, nil
	}
}

func (p *fieldParser) item(sel fieldSel) error {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",()/", rune(p.s[p.i])) {
		p.i++
	}
	name := p.s[start:p.i]
	if name == "" {
		return fmt.Errorf("empty field name at %d", start)
	}
	if p.i < len(p.s) && p.s[p.i] == '/' {
		p.i++
		sub := sel[name]
		if sub == nil {
			sub = fieldSel{}
		}
		if err := p.item(sub); err != nil {
			return err
		}
		sel[name] = sub
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		sub, err := p.list()
		if err != nil {
			return err
		}
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("missing ) at %d", p.i)
		}
		p.i++
		if old := sel[name]; old != nil {
			for k, v := range sub {
				old[k] = v
			}
			return nil
		}
		sel[name] = sub
		return nil
	}
	sel[name] = nil
	return nil
}

// apply keeps the selected fields of v (objects, and arrays of objects).
func (sel fieldSel) apply(v any) any {
	if sel == nil {
		return v
	}
	if _, all := sel["*"]; all && len(sel) == 1 {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			sub, ok := sel[k]
			if !ok {
				if _, all := sel["*"]; !all {
					continue
				}
			}
			out[k] = sub.apply(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sel.apply(e)
		}
		return out
	}
	return v
}

func (s *Server) driveAbout(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, false)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	s.mu.Lock()
	s.countLocked(nil, subject, "get")
	s.mu.Unlock()
	v := map[string]any{
		"kind": "drive#about",
		"user": map[string]any{"kind": "drive#user", "emailAddress": subject, "displayName": subject, "me": true},
	}
	if r.URL.Query().Get("fields") == "" {
		writeError(w, http.StatusBadRequest, "required", "The 'fields' parameter is required for this method.")
		return
	}
	writeDriveJSON(w, r, v, "", nil)
}

const driveFileDefaultFields = "kind,id,name,mimeType"

func (s *Server) driveGet(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, false)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	if r.URL.Query().Get("alt") == "media" {
		writeError(w, http.StatusBadRequest, "invalid", "The fake does not serve content")
		return
	}
	id := r.PathValue("fileId")
	s.mu.Lock()
	defer s.mu.Unlock()
	var d *Drive
	if f := s.fileLocked(id); f != nil {
		d = f.drive
	}
	s.countLocked(d, subject, "get")
	fault := d.fault("get", nil, id)
	if writeFault(w, fault) {
		return
	}
	f := s.lookupLocked(w, r, subject, id)
	if f == nil {
		return
	}
	writeDriveJSON(w, r, driveFileJSON(f, fault), driveFileDefaultFields, fault)
}

func (s *Server) driveDelete(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, true)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, fault := s.changeableLocked(w, r, subject, "delete")
	if f == nil {
		return
	}
	if fault == nil || !fault.KeepOnDelete {
		s.deleteLocked(f)
	}
	w.WriteHeader(http.StatusNoContent)
}

// changeableLocked is the common start of files.delete and files.update:
// it counts the request, applies the drive's fault for op, finds the file
// and checks the subject may change it (its owner; a shared drive's
// organiser). When it returns a nil file it has written the reply. s.mu
// must be held.
func (s *Server) changeableLocked(w http.ResponseWriter, r *http.Request, subject, op string) (*File, *DriveFault) {
	id := r.PathValue("fileId")
	var d *Drive
	if f := s.fileLocked(id); f != nil {
		d = f.drive
	}
	s.countLocked(d, subject, op)
	fault := d.fault(op, nil, id)
	if fault != nil && fault.DeleteThenFail && op == "delete" {
		if f := s.fileLocked(id); f != nil && canRead(subject, f) && mayDelete(subject, f) {
			s.deleteLocked(f)
		}
	}
	if writeFault(w, fault) {
		return nil, nil
	}
	f := s.lookupLocked(w, r, subject, id)
	if f == nil {
		return nil, nil
	}
	if !mayDelete(subject, f) {
		writeError(w, http.StatusForbidden, "insufficientFilePermissions", "The user does not have sufficient permissions for this file.")
		return nil, nil
	}
	return f, fault
}

func mayDelete(subject string, f *File) bool {
	d := f.drive
	if f.ID == d.ID {
		return false // a root
	}
	if d.User == "" {
		return slices.Contains(d.Organizers, subject)
	}
	return f.Owner == subject
}

// driveUpdate is files.update with a metadata body that may set trashed
// (and name); anything else is refused.
func (s *Server) driveUpdate(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, true)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	var body struct {
		Trashed *bool   `json:"trashed"`
		Name    *string `json:"name"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&body)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, fault := s.changeableLocked(w, r, subject, "update")
	if f == nil {
		return
	}
	if body.Trashed != nil {
		f.Trashed = *body.Trashed
	}
	if body.Name != nil {
		f.Name = *body.Name
	}
	f.touch(s.now())
	if fault != nil && fault.Arrive != "" && f.IsFolder() {
		s.putLocked(f.drive, f.ID, File{Name: fault.Arrive, Content: []byte(fault.Arrive)})
	}
	writeDriveJSON(w, r, driveFileJSON(f, nil), driveFileDefaultFields, fault)
}

func (s *Server) driveList(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, false)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	qv := r.URL.Query()
	size := driveDefaultPage
	if v := qv.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > driveMaxPage {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid value for pageSize")
			return
		}
		size = n
	}
	q, err := parseDriveQuery(qv.Get("q"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "Invalid Value")
		return
	}
	corpora := qv.Get("corpora")
	driveID := qv.Get("driveId")
	allDrives := boolParam(r, "includeItemsFromAllDrives")
	if (driveID != "" || corpora == "drive" || allDrives) && !boolParam(r, "supportsAllDrives") {
		writeError(w, http.StatusForbidden, "teamDrivesParameterNotSupported", "includeItemsFromAllDrives and driveId require supportsAllDrives=true")
		return
	}
	switch corpora {
	case "", "user":
		if driveID != "" {
			writeError(w, http.StatusBadRequest, "invalid", "driveId requires corpora=drive")
			return
		}
	case "drive":
		if driveID == "" || !allDrives {
			writeError(w, http.StatusBadRequest, "invalid", "corpora=drive requires driveId and includeItemsFromAllDrives=true")
			return
		}
	default:
		writeError(w, http.StatusBadRequest, "invalid", "Invalid Value")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The drive the listing is about: the folder of the first
	// "in parents" term, or the shared drive.
	var target *Drive
	folder := q.firstParent()
	if folder != "" {
		if f := s.fileLocked(folder); f != nil {
			target = f.drive
		}
	}
	if driveID != "" {
		if d := s.drives[driveID]; d != nil && d.User == "" {
			target = d
		}
	}
	s.countLocked(target, subject, "list")
	fault := target.fault("list", q.parents(), "")
	if writeFault(w, fault) {
		return
	}
	var scope []*Drive
	if corpora == "drive" {
		d := s.drives[driveID]
		if d == nil || d.User != "" || !slices.Contains(d.Members, subject) && !slices.Contains(d.Organizers, subject) {
			writeError(w, http.StatusNotFound, "notFound", "Shared drive not found: "+driveID)
			return
		}
		scope = []*Drive{d}
	} else {
		for _, d := range s.drives {
			if d.User != "" || allDrives {
				scope = append(scope, d)
			}
		}
	}
	// Parents named in q must exist and be visible.
	for _, p := range q.parents() {
		pf := s.fileLocked(p)
		if p == "root" {
			if d := s.drives[subject]; d != nil {
				pf = d.files[d.ID]
			}
		}
		if pf == nil || !canRead(subject, pf) {
			writeError(w, http.StatusNotFound, "notFound", "File not found: "+p+".")
			return
		}
	}
	var match []*File
	for _, d := range scope {
		for _, f := range d.files {
			if f.ID == d.ID || !canRead(subject, f) {
				continue
			}
			if q.match(f, subject, s.drives[subject]) {
				match = append(match, f)
			}
		}
	}
	slices.SortFunc(match, func(a, b *File) int { return strings.Compare(a.ID, b.ID) })

	// Page tokens: the offset, bound to the query.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%s|%v", qv.Get("q"), corpora, driveID, allDrives)
	bind := strconv.FormatUint(h.Sum64(), 36)
	off := 0
	if tok := qv.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		b, o, found := strings.Cut(string(raw), ":")
		n, err2 := strconv.Atoi(o)
		if err != nil || !found || b != bind || err2 != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid Value")
			return
		}
		off = min(n, len(match))
	}
	end := min(off+size, len(match))
	files := make([]any, 0, end-off)
	for _, f := range match[off:end] {
		files = append(files, driveFileJSON(f, fault))
	}
	v := map[string]any{"kind": "drive#fileList", "incompleteSearch": false, "files": files}
	if loop := fault != nil && fault.LoopPages && off > 0; end < len(match) || loop {
		next := end
		if loop {
			next = min(size, len(match))
		}
		v["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte(bind + ":" + strconv.Itoa(next)))
	}
	if fault != nil && fault.VanishAfter > 0 && fault.hits >= fault.VanishAfter && fault.Folder != "" {
		if f := s.fileLocked(fault.Folder); f != nil {
			s.deleteLocked(f)
		}
	}
	writeDriveJSON(w, r, v, "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)", fault)
}

// driveQuery is a parsed q: a tree of terms.
type driveQuery struct {
	op          string // "and", "or", "not", "term", "" (match all)
	left, right *driveQuery
	// Terms: field is "parents", "owners", "trashed", "mimeType",
	// "name"; cmp "in", "=", "!="; value the literal.
	field, cmp, value string
}

func (q *driveQuery) firstParent() string {
	if ps := q.parents(); len(ps) > 0 {
		return ps[0]
	}
	return ""
}

func (q *driveQuery) parents() []string {
	if q == nil {
		return nil
	}
	if q.op == "term" && q.field == "parents" {
		return []string{q.value}
	}
	return append(q.left.parents(), q.right.parents()...)
}

func (q *driveQuery) match(f *File, subject string, my *Drive) bool {
	switch q.op {
	case "":
		return true
	case "and":
		return q.left.match(f, subject, my) && q.right.match(f, subject, my)
	case "or":
		return q.left.match(f, subject, my) || q.right.match(f, subject, my)
	case "not":
		return !q.left.match(f, subject, my)
	}
	var ok bool
	switch q.field {
	case "parents":
		p := q.value
		if p == "root" && my != nil {
			p = my.ID
		}
		ok = f.Parent == p
	case "owners":
		o := q.value
		if o == "me" {
			o = subject
		}
		ok = f.Owner != "" && strings.EqualFold(f.Owner, o)
	case "trashed":
		ok = strconv.FormatBool(f.Trashed) == q.value
	case "mimeType":
		ok = f.MimeType == q.value
	case "name":
		ok = f.Name == q.value
	}
	if q.cmp == "!=" {
		return !ok
	}
	return ok
}

// parseDriveQuery parses the subset of Drive's query language the fake
// knows.
func parseDriveQuery(s string) (*driveQuery, error) {
	p := &queryParser{toks: nil}
	if err := p.lex(s); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return &driveQuery{}, nil
	}
	q, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i].s)
	}
	return q, nil
}

type queryTok struct {
	s   string
	str bool // a quoted literal
}

type queryParser struct {
	toks []queryTok
	i    int
}

func (p *queryParser) lex(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')' || c == '=':
			p.toks = append(p.toks, queryTok{s: string(c)})
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			p.toks = append(p.toks, queryTok{s: "!="})
			i += 2
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return fmt.Errorf("unterminated literal")
				}
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '\'' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			p.toks = append(p.toks, queryTok{s: b.String(), str: true})
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			p.toks = append(p.toks, queryTok{s: s[i:j]})
			i = j
		default:
			return fmt.Errorf("unexpected %q", c)
		}
	}
	return nil
}

func (p *queryParser) peek(word string) bool {
	return p.i < len(p.toks) && !p.toks[p.i].str && p.toks[p.i].s == word
}

func (p *queryParser) or() (*driveQuery, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek("or") {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &driveQuery{op: "or", left: l, right: r}
	}
	return l, nil
}

func (p *queryParser) and() (*driveQuery, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek("and") {
		p.i++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &driveQuery{op: "and", left: l, right: r}
	}
	return l, nil
}

func (p *queryParser) not() (*driveQuery, error) {
	if p.peek("not") {
		p.i++
		q, err := p.not()
		if err != nil {
			return nil, err
		}
		return &driveQuery{op: "not", left: q}, nil
	}
	if p.peek("(") {
		p.i++
		q, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peek(")") {
			return nil, fmt.Errorf("missing )")
		}
		p.i++
		return q, nil
	}
	return p.term()
}

func (p *queryParser) next() (queryTok, bool) {
	if p.i >= len(p.toks) {
		return queryTok{}, false
	}
	t := p.toks[p.i]
	p.i++
	return t, true
}

func (p *queryParser) term() (*driveQuery, error) {
	a, ok1 := p.next()
	b, ok2 := p.next()
	c, ok3 := p.next()
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("incomplete term")
	}
	// '<value>' in parents|owners
	if a.str && !b.str && b.s == "in" && !c.str && (c.s == "parents" || c.s == "owners") {
		return &driveQuery{op: "term", field: c.s, cmp: "in", value: a.s}, nil
	}
	if a.str || b.str || b.s != "=" && b.s != "!=" {
		return nil, fmt.Errorf("unknown term")
	}
	switch a.s {
	case "trashed":
		if c.str || c.s != "true" && c.s != "false" {
			return nil, fmt.Errorf("trashed takes true or false")
		}
	case "mimeType", "name":
		if !c.str {
			return nil, fmt.Errorf("%s takes a quoted string", a.s)
		}
	default:
		return nil, fmt.Errorf("unknown field %q", a.s)
	}
	return &driveQuery{op: "term", field: a.s, cmp: b.s, value: c.s}, nil
}

// driveCreate is files.create: metadata only (POST /drive/v3/files), or
// with content (POST /upload/drive/v3/files, uploadType multipart: a
// multipart/related body of the JSON metadata and the content; or media:
// the content alone, named "Untitled"). The parent defaults to the
// user's My Drive root.
func (s *Server) driveCreate(w http.ResponseWriter, r *http.Request) {
	subject, ok := s.driveAuth(w, r, true)
	if !ok || !s.driveCharge(w, subject) {
		return
	}
	var meta struct {
		Name     string   `json:"name"`
		MimeType string   `json:"mimeType"`
		Parents  []string `json:"parents"`
	}
	var content []byte
	body := io.LimitReader(r.Body, 10<<20)
	upload := strings.HasPrefix(r.URL.Path, "/upload/")
	var err error
	switch ut := r.URL.Query().Get("uploadType"); {
	case !upload:
		err = json.NewDecoder(body).Decode(&meta)
	case ut == "media":
		meta.Name = "Untitled"
		content, err = io.ReadAll(body)
	case ut == "multipart":
		mt, params, perr := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if perr != nil || mt != "multipart/related" || params["boundary"] == "" {
			writeError(w, http.StatusBadRequest, "badContent", "Multipart upload needs a multipart/related body")
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		part, perr := mr.NextPart()
		if perr == nil {
			perr = json.NewDecoder(part).Decode(&meta)
		}
		if perr == nil {
			if part, perr = mr.NextPart(); perr == nil {
				content, perr = io.ReadAll(part)
			}
		}
		err = perr
	default:
		writeError(w, http.StatusBadRequest, "invalid", "Invalid Value")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	if len(meta.Parents) > 1 {
		writeError(w, http.StatusForbidden, "cannotAddParent", "Increasing the number of parents is not allowed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var parent *File
	if len(meta.Parents) == 0 || meta.Parents[0] == "root" {
		if d := s.drives[subject]; d != nil {
			parent = d.files[d.ID]
		}
	} else {
		parent = s.fileLocked(meta.Parents[0])
	}
	s.countLocked(nil, subject, "update")
	if parent == nil || !canRead(subject, parent) || !parent.IsFolder() || parent.drive.User == "" && !boolParam(r, "supportsAllDrives") {
		writeError(w, http.StatusNotFound, "notFound", "File not found: parent.")
		return
	}
	if meta.Name == "" {
		meta.Name = "Untitled"
	}
	id := s.putLocked(parent.drive, parent.ID, File{Name: meta.Name, MimeType: meta.MimeType, Owner: subject, Content: content})
	writeDriveJSON(w, r, driveFileJSON(parent.drive.files[id], nil), driveFileDefaultFields, nil)
}
