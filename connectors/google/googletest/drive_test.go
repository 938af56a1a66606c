package googletest_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/retentiond/retentiond/connectors/google/googletest"
)

// driveClient returns the real Drive client impersonating user on srv.
func driveClient(t *testing.T, srv *googletest.Server, user string) *drive.Service {
	t.Helper()
	conf, err := google.JWTConfigFromJSON(srv.Key(), googletest.ScopeDrive)
	if err != nil {
		t.Fatal(err)
	}
	conf.Subject = user
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	svc, err := drive.NewService(ctx, option.WithHTTPClient(conf.Client(ctx)), option.WithEndpoint(srv.URL+"/drive/v3/"))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

const bo = "bo@skole.test"

func newDrive(t *testing.T) *googletest.Server {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	for _, u := range []string{anna, bo} {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/"})
		srv.AddDrive(u)
	}
	return srv
}

func apiError(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != code || len(ge.Errors) == 0 || ge.Errors[0].Reason != reason {
		t.Errorf("error %v, want %d %s", err, code, reason)
	}
}

func TestFakeDriveListing(t *testing.T) {
	srv := newDrive(t)
	root := srv.AddDrive(anna)
	var ids []string
	for _, n := range []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"} {
		ids = append(ids, srv.PutFile(anna, "F/"+n, googletest.File{Content: []byte(n)}))
	}
	folder, _ := srv.FileID(anna, "F")
	svc := driveClient(t, srv, anna)
	ctx := context.Background()

	// Without fields, Drive's default: kind, id, name, mimeType only.
	l, err := svc.Files.List().Q("'" + folder + "' in parents").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Files) != 5 || l.Files[0].Version != 0 || l.Files[0].Owners != nil || l.Files[0].Id == "" || l.Files[0].Name == "" {
		t.Errorf("default fields: %+v", l.Files[0])
	}
	// Paging with the fields asked for.
	var got []string
	pages := 0
	err = svc.Files.List().Q("'"+folder+"' in parents and trashed = false").PageSize(2).Fields("nextPageToken,files(id,version,owners(emailAddress),md5Checksum,parents)").Pages(ctx, func(l *drive.FileList) error {
		pages++
		for _, f := range l.Files {
			if f.Version != 1 || len(f.Owners) != 1 || f.Owners[0].EmailAddress != anna || f.Md5Checksum == "" || !slices.Equal(f.Parents, []string{folder}) || f.Name != "" {
				t.Errorf("file %+v", f)
			}
			got = append(got, f.Id)
		}
		return nil
	})
	if err != nil || pages != 3 {
		t.Fatalf("pages %d, %v", pages, err)
	}
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("listed %v, want %v", got, ids)
	}
	// "root" and or/not.
	l, err = svc.Files.List().Q("'root' in parents or 'x' in owners").Fields("files(id)").Do()
	if err != nil || len(l.Files) != 1 || l.Files[0].Id != folder {
		t.Errorf("'root' in parents: %+v, %v", l, err)
	}
	if f, err := svc.Files.Get("root").Fields("id").Do(); err != nil || f.Id != root {
		t.Errorf("files.get(root): %+v, %v", f, err)
	}
	// Errors: a query the fake does not know, a folder that does not
	// exist, a token of another query, a page too large.
	_, err = svc.Files.List().Q("fullText contains 'x'").Do()
	apiError(t, err, http.StatusBadRequest, "invalid")
	_, err = svc.Files.List().Q("'nosuchfolder' in parents").Do()
	apiError(t, err, http.StatusNotFound, "notFound")
	first, _ := svc.Files.List().Q("'" + folder + "' in parents").PageSize(2).Do()
	_, err = svc.Files.List().Q("'root' in parents").PageToken(first.NextPageToken).Do()
	apiError(t, err, http.StatusBadRequest, "invalid")
	_, err = svc.Files.List().PageSize(1001).Do()
	apiError(t, err, http.StatusBadRequest, "invalid")
	// bo sees none of anna's files.
	_, err = driveClient(t, srv, bo).Files.Get(ids[0]).Do()
	apiError(t, err, http.StatusNotFound, "notFound")
}

func TestFakeDriveDeleteAndSharedDrives(t *testing.T) {
	srv := newDrive(t)
	folder := srv.Folder(anna, "Delt")
	mine := srv.PutFileIn(folder, googletest.File{Name: "mine.txt"})
	bos := srv.PutFileIn(folder, googletest.File{Name: "bos.txt", Owner: bo})
	svc := driveClient(t, srv, anna)
	// Not the owner: 403 insufficientFilePermissions.
	apiError(t, svc.Files.Delete(bos).Do(), http.StatusForbidden, "insufficientFilePermissions")
	// Deleting a folder deletes what its owner owns in it; others' files
	// lose their parent.
	if err := svc.Files.Delete(folder).Do(); err != nil {
		t.Fatal(err)
	}
	if srv.HasFile(mine) || !srv.HasFile(bos) {
		t.Error("folder deletion")
	}
	if f, _ := srv.FileByID(bos); f.Parent != "" {
		t.Errorf("bo's file has parent %q", f.Parent)
	}
	apiError(t, svc.Files.Delete(folder).Do(), http.StatusNotFound, "notFound")

	// Shared drives: supportsAllDrives required; members read, organizers
	// delete.
	id := srv.AddSharedDrive("", "Ledelse", []string{bo}, []string{anna})
	x := srv.PutFile(id, "a/x.txt", googletest.File{Content: []byte("x")})
	_, err := svc.Files.Get(x).Do()
	apiError(t, err, http.StatusNotFound, "notFound")
	f, err := svc.Files.Get(x).SupportsAllDrives(true).Fields("id,driveId,owners").Do()
	if err != nil || f.DriveId != id || f.Owners != nil {
		t.Errorf("shared file %+v, %v", f, err)
	}
	l, err := svc.Files.List().Corpora("drive").DriveId(id).IncludeItemsFromAllDrives(true).SupportsAllDrives(true).Q("trashed = false and mimeType != 'application/vnd.google-apps.folder'").Fields("files(id)").Do()
	if err != nil || len(l.Files) != 1 || l.Files[0].Id != x {
		t.Errorf("shared drive listing %+v, %v", l, err)
	}
	apiError(t, svc.Files.Delete(x).SupportsAllDrives(true).Do(), http.StatusForbidden, "insufficientFilePermissions")
	if err := driveClient(t, srv, bo).Files.Delete(x).SupportsAllDrives(true).Do(); err != nil || srv.HasFile(x) {
		t.Errorf("organizer's delete: %v", err)
	}
	// Trash through files.update bumps the version.
	y := srv.PutFile(anna, "y.txt", googletest.File{})
	u, err := svc.Files.Update(y, &drive.File{Trashed: true}).Fields("id,trashed,version").Do()
	if err != nil || !u.Trashed || u.Version != 2 {
		t.Errorf("trash: %+v, %v", u, err)
	}
}

func TestFakeDriveCreate(t *testing.T) {
	srv := newDrive(t)
	svc := driveClient(t, srv, anna)
	folder, err := svc.Files.Create(&drive.File{Name: "Ny", MimeType: googletest.FolderMime}).Fields("id").Do()
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.Files.Create(&drive.File{Name: "x.txt", Parents: []string{folder.Id}}).Media(strings.NewReader("hello\n")).Fields("id,size,md5Checksum,owners,parents,version").Do()
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != 6 || f.Md5Checksum != "b1946ac92492d2347c6235b4d2611184" || len(f.Owners) != 1 || f.Owners[0].EmailAddress != anna || !slices.Equal(f.Parents, []string{folder.Id}) || f.Version != 1 {
		t.Errorf("created %+v", f)
	}
	if id, ok := srv.FileID(anna, "Ny/x.txt"); !ok || id != f.Id {
		t.Errorf("the fake holds %q, %v", id, ok)
	}
	_, err = driveClient(t, srv, bo).Files.Create(&drive.File{Name: "y", Parents: []string{folder.Id}}).Do()
	apiError(t, err, http.StatusNotFound, "notFound")
}
