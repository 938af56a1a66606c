package google

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
)

// FuzzDriveSeg: every name has a segment that is a valid ref segment and
// reads back as the name; so has its form with an id.
func FuzzDriveSeg(f *testing.F) {
	for _, s := range []string{"", ".", "..", "a/b", "100%", "%2F", "~", "x.tar.gz", ".bashrc", "a\x00b", "Æble grød"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		seg := driveSeg(name)
		if strings.Contains(seg, "/") {
			t.Fatalf("segment %q of %q holds a slash", seg, name)
		}
		if name == "" {
			if _, ok := unescapeSeg(seg); ok {
				t.Fatalf("the empty name's segment %q is valid", seg)
			}
			if alt := altSeg(name, "1AbC"); alt != "~1AbC" {
				t.Fatalf("the empty name's segment with an id is %q", alt)
			}
			return
		}
		back, ok := unescapeSeg(seg)
		if !ok || back != name {
			t.Fatalf("unescapeSeg(driveSeg(%q)) = %q, %v", name, back, ok)
		}
		alt := altSeg(name, "1AbC-_d")
		if _, ok := unescapeSeg(alt); !ok || strings.Contains(alt, "/") || alt == seg {
			t.Fatalf("altSeg(%q) = %q is not a distinct valid segment", name, alt)
		}
	})
}

// FuzzDriveRef: parseRef never panics, accepts only refs it can print
// back unchanged, and never a segment that escapes ("." or "..") or is
// empty.
func FuzzDriveRef(f *testing.F) {
	d := &driveService{c: &Connector{opts: Options{SharedDrives: []string{"0AbCd"}, Admin: "admin@skole.test"}}}
	for _, s := range []string{"drive/anna@skole.test/a/b.txt", "shared/0AbCd/x", "drive/anna@skole.test/../x", "drive//x", "gmail/a@b.c/1", "drive/anna@skole.test/%2E%2E/x", "drive/Anna@skole.test/x", "shared/0Other/x", "drive/a@b.c/a%2", "drive/a@b.c/a%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r, err := d.parseRef("stat", ref, 1)
		if err != nil {
			return
		}
		if r.String() != ref {
			t.Fatalf("parseRef(%q) prints as %q", ref, r.String())
		}
		for _, s := range r.segs {
			if s == "" || s == "." || s == ".." || strings.ContainsRune(s, 0) {
				t.Fatalf("parseRef(%q) accepted segment %q", ref, s)
			}
		}
		if r.ctr.DriveID != "" && r.ctr.DriveID != "0AbCd" {
			t.Fatalf("parseRef(%q) accepted a shared drive not configured", ref)
		}
	})
}

// FuzzAssignSegs: whatever the names and creation times in a folder,
// every entry gets a distinct valid segment that findSeg finds.
func FuzzAssignSegs(f *testing.F) {
	f.Add("a.txt\x01a.txt\x01b\x01\x01.\x01a~x.txt", int64(0))
	f.Add("Referat.docx\x01Referat.docx\x01Referat.docx", int64(5))
	f.Fuzz(func(t *testing.T, names string, step int64) {
		parts := strings.Split(names, "\x01")
		if len(parts) > 200 {
			parts = parts[:200]
		}
		es := make([]driveEntry, len(parts))
		t0 := time.Unix(1e9, 0)
		for i, n := range parts {
			es[i] = driveEntry{id: "id" + strings.Repeat("x", i%3) + string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + string(rune('0'+i/676)), name: n, created: t0.Add(time.Duration(step*int64(i%7)) * time.Second)}
		}
		ids := map[string]bool{}
		for _, e := range es {
			if ids[e.id] {
				return // ids are unique in Drive
			}
			ids[e.id] = true
		}
		assignSegs(es)
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.seg] {
				if strings.Contains(names, "~") {
					return // a name written like another's id form: documented as possible
				}
				t.Fatalf("segment %q given twice (names %q)", e.seg, parts)
			}
			seen[e.seg] = true
			if _, ok := unescapeSeg(e.seg); !ok {
				t.Fatalf("segment %q of %q is not valid", e.seg, e.name)
			}
			if got, ok := findSeg(es, e.seg); !ok || got.id != e.id {
				t.Fatalf("findSeg(%q) = %v, %v; want %s", e.seg, got.id, ok, e.id)
			}
		}
	})
}

// FuzzDriveListPage: a files.list page as the client decodes it, checked
// by parseDriveFile: never a panic, and an accepted file has what a
// decision needs (id, a version, dates, an owner in a My Drive, its
// folder).
func FuzzDriveListPage(f *testing.F) {
	f.Add([]byte(`{"files":[{"id":"1a","name":"x.txt","mimeType":"text/plain","parents":["P"],"owners":[{"emailAddress":"anna@skole.test"}],"version":"3","md5Checksum":"abc","size":"12","modifiedTime":"2024-01-02T03:04:05.000Z","createdTime":"2024-01-02T03:04:05.000Z"}]}`), false)
	f.Add([]byte(`{"files":[{"id":"1a","mimeType":"application/vnd.google-apps.folder","parents":["P"],"driveId":"0D","version":"1","modifiedTime":"2024-01-02T03:04:05Z","createdTime":"2024-01-02T03:04:05Z"}],"nextPageToken":"t"}`), true)
	f.Add([]byte(`{"files":[null,{"id":""}]}`), false)
	f.Add([]byte(`{"files":[{"id":"1","version":"x"}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, shared bool) {
		var page drive.FileList
		if err := json.Unmarshal(body, &page); err != nil {
			return // the client reports the page as malformed
		}
		driveID := ""
		if shared {
			driveID = "0D"
		}
		folders := map[string][]driveEntry{"P": nil}
		for _, file := range page.Files {
			e, parent, err := parseDriveFile(file, folders, driveID)
			if err != nil {
				continue
			}
			if !validDriveID(e.id) || parent != "P" || !strings.HasPrefix(e.version, e.id+":") || e.modified.IsZero() && file.ModifiedTime == "" {
				t.Fatalf("accepted %+v from %+v", e, file)
			}
			if file.Version <= 0 {
				t.Fatalf("accepted a file without a version: %+v", file)
			}
			if !shared && e.owner == "" {
				t.Fatalf("accepted a My Drive file without an owner: %+v", file)
			}
			if shared && file.DriveId != driveID {
				t.Fatalf("accepted a file of another drive: %+v", file)
			}
		}
	})
}
