package googletest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/retentiond/retentiond/connectors/google/googletest"
)

const anna = "anna@skole.test"

// gmailClient returns the real Gmail client impersonating user on srv,
// and its HTTP client (for the batch endpoint).
func gmailClient(t *testing.T, srv *googletest.Server, user string) (*gmail.Service, *http.Client) {
	t.Helper()
	conf, err := google.JWTConfigFromJSON(srv.Key(), googletest.ScopeMail)
	if err != nil {
		t.Fatal(err)
	}
	conf.Subject = user
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	hc := conf.Client(ctx)
	svc, err := gmail.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(srv.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	return svc, hc
}

func newGmail(t *testing.T) *googletest.Server {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	srv.AddUser(googletest.User{Email: anna, OrgUnit: "/"})
	srv.EnableGmail(anna)
	return srv
}

var day0 = time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)

func TestFakeGmailListPagingAndQuery(t *testing.T) {
	srv := newGmail(t)
	var ids []string
	for i := range 7 {
		labels := []string{"INBOX"}
		switch i {
		case 1:
			labels = []string{"SENT"}
		case 2:
			labels = []string{"TRASH"}
		case 3:
			labels = []string{"SPAM"}
		}
		ids = append(ids, srv.PutMessage(anna, googletest.Message{Labels: labels, Internal: day0.AddDate(0, 0, i), Subject: fmt.Sprint("m", i)}))
	}
	svc, _ := gmailClient(t, srv, anna)
	list := func(q string, spamTrash bool, labels ...string) []string {
		var got []string
		call := svc.Users.Messages.List("me").Q(q).IncludeSpamTrash(spamTrash).MaxResults(2).LabelIds(labels...)
		pages := 0
		err := call.Pages(context.Background(), func(r *gmail.ListMessagesResponse) error {
			pages++
			if len(r.Messages) > 2 {
				t.Errorf("page of %d, maxResults 2", len(r.Messages))
			}
			for _, m := range r.Messages {
				if m.ThreadId == "" || m.InternalDate != 0 || m.LabelIds != nil {
					t.Errorf("list gave more than id and threadId: %+v", m)
				}
				got = append(got, m.Id)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("list %q: %v", q, err)
		}
		return got
	}
	// Newest first; spam and trash only when asked.
	if got, want := list("", true), []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("all: %v, want %v", got, want)
	}
	if got, want := list("", false), []string{ids[6], ids[5], ids[4], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("without spam and trash: %v, want %v", got, want)
	}
	before := fmt.Sprint(day0.AddDate(0, 0, 3).Unix())
	if got, want := list("before:"+before, true), []string{ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("before:%s: %v, want %v", before, got, want)
	}
	// Dates are midnight Pacific time: 2020/03/04 00:00 PST is 08:00 UTC,
	// so the message of 12:00 UTC on the 4th is not before it.
	if got, want := list("before:2020/03/04 after:2020-03-02", true), []string{ids[2], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("dates: %v, want %v", got, want)
	}
	if got, want := list("", true, "SENT"), []string{ids[1]}; !slices.Equal(got, want) {
		t.Errorf("labelIds SENT: %v, want %v", got, want)
	}
	_, err := svc.Users.Messages.List("me").Q("subject:x").Do()
	if code := apiCode(err); code != 400 {
		t.Errorf("unknown operator: %v, want 400", err)
	}
	_, err = svc.Users.Messages.List("me").Q("before:2020/13/45").Do()
	if code := apiCode(err); code != 400 {
		t.Errorf("impossible date: %v, want 400", err)
	}
	_, err = svc.Users.Messages.List("me").PageToken("garbage!").Do()
	if code := apiCode(err); code != 400 {
		t.Errorf("bad page token: %v, want 400", err)
	}
	if st := srv.GmailStats(anna); st.List == 0 || st.Units != 5*st.List {
		t.Errorf("stats %+v: want 5 units a list", st)
	}
}

func apiCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

func TestFakeGmailGetFormats(t *testing.T) {
	srv := newGmail(t)
	id := srv.PutMessage(anna, googletest.Message{Labels: []string{"INBOX", "Elevsager"}, Internal: day0, Subject: "Hej", Snippet: "tekst", Size: 4242})
	svc, _ := gmailClient(t, srv, anna)
	m, err := svc.Users.Messages.Get("me", id).Format("metadata").MetadataHeaders("Subject").Do()
	if err != nil {
		t.Fatal(err)
	}
	if m.InternalDate != day0.UnixMilli() || m.SizeEstimate != 4242 || m.Snippet != "tekst" || m.HistoryId == 0 || len(m.LabelIds) != 2 {
		t.Errorf("metadata: %+v", m)
	}
	if len(m.Payload.Headers) != 1 || m.Payload.Headers[0].Name != "Subject" || m.Payload.Headers[0].Value != "Hej" {
		t.Errorf("metadataHeaders Subject: %+v", m.Payload.Headers)
	}
	m, err = svc.Users.Messages.Get("me", id).Format("minimal").Do()
	if err != nil || m.Payload != nil || m.HistoryId == 0 {
		t.Errorf("minimal: %+v, %v", m, err)
	}
	m, err = svc.Users.Messages.Get("me", id).Do()
	if err != nil || m.Payload == nil || len(m.Payload.Headers) != 3 {
		t.Errorf("full: %+v, %v", m, err)
	}
	labels, err := svc.Users.Labels.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, l := range labels.Labels {
		names[l.Id] = l.Name
	}
	if names[m.LabelIds[1]] != "Elevsager" || names["SENT"] != "SENT" || names["TRASH"] != "TRASH" {
		t.Errorf("labels %v, message labels %v", names, m.LabelIds)
	}
	_, err = svc.Users.Messages.Get("me", "0000000000000000").Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 404 || len(ge.Errors) != 1 || ge.Errors[0].Reason != "notFound" {
		t.Errorf("missing message: %v", err)
	}
	_, err = svc.Users.Messages.Get("bob@skole.test", id).Do()
	if code := apiCode(err); code != 403 {
		t.Errorf("another user's mailbox: %v, want 403", err)
	}
}

func TestFakeGmailHistoryAndBatchDelete(t *testing.T) {
	srv := newGmail(t)
	a := srv.PutMessage(anna, googletest.Message{Internal: day0})
	b := srv.PutMessage(anna, googletest.Message{Internal: day0})
	c := srv.PutMessage(anna, googletest.Message{Internal: day0})
	svc, _ := gmailClient(t, srv, anna)
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil || prof.MessagesTotal != 3 {
		t.Fatalf("profile %+v, %v", prof, err)
	}
	ma, _ := svc.Users.Messages.Get("me", a).Format("minimal").Do()
	srv.ModifyMessage(anna, a)
	ma2, _ := svc.Users.Messages.Get("me", a).Format("minimal").Do()
	if ma2.HistoryId <= ma.HistoryId || ma2.HistoryId <= prof.HistoryId {
		t.Errorf("historyId %d after a change, was %d (mailbox %d)", ma2.HistoryId, ma.HistoryId, prof.HistoryId)
	}
	if err := svc.Users.Messages.BatchDelete("me", &gmail.BatchDeleteMessagesRequest{Ids: []string{b, c, "ffffffffffffffff"}}).Do(); err != nil {
		t.Fatal(err)
	}
	if srv.HasMessage(anna, b) || srv.HasMessage(anna, c) || !srv.HasMessage(anna, a) {
		t.Error("batchDelete did not delete exactly b and c")
	}
	h, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).MaxResults(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(h.History) != 1 || len(h.History[0].LabelsAdded) != 1 || h.History[0].LabelsAdded[0].Message.Id != a || h.NextPageToken == "" {
		t.Errorf("first history page: %+v", h)
	}
	var deleted []string
	err = svc.Users.History.List("me").StartHistoryId(prof.HistoryId).HistoryTypes("messageDeleted").Pages(context.Background(), func(r *gmail.ListHistoryResponse) error {
		for _, x := range r.History {
			for _, d := range x.MessagesDeleted {
				deleted = append(deleted, d.Message.Id)
			}
		}
		return nil
	})
	if err != nil || !slices.Equal(deleted, []string{b, c}) {
		t.Errorf("deleted in history: %v, %v; want %v", deleted, err, []string{b, c})
	}
	srv.ExpireHistory(anna)
	_, err = svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do()
	if code := apiCode(err); code != 404 {
		t.Errorf("expired history: %v, want 404", err)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("%016x", i)
	}
	err = svc.Users.Messages.BatchDelete("me", &gmail.BatchDeleteMessagesRequest{Ids: many}).Do()
	if code := apiCode(err); code != 400 {
		t.Errorf("1001 ids: %v, want 400", err)
	}
	st := srv.GmailStats(anna)
	if st.BatchDelete != 2 || st.History != 3 || st.Units != 2*50+3*2+2*5+1 {
		t.Errorf("stats %+v", st)
	}
}

// batch posts gets of ids to the batch endpoint and returns each part's
// status by Content-ID.
func batch(t *testing.T, srv *googletest.Server, hc *http.Client, ids []string) (map[string]int, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, id := range ids {
		h := textproto.MIMEHeader{"Content-Type": {"application/http"}, "Content-Id": {fmt.Sprintf("<item-%d>", i)}}
		pw, _ := mw.CreatePart(h)
		fmt.Fprintf(pw, "GET /gmail/v1/users/me/messages/%s?format=minimal HTTP/1.1\r\n\r\n", id)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/batch/gmail/v1", &body)
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if err := googleapi.CheckResponse(res); err != nil {
		return nil, err
	}
	_, params, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	mr := multipart.NewReader(res.Body, params["boundary"])
	out := map[string]int{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.ReadResponse(bufio.NewReader(p), nil)
		if err != nil {
			t.Fatal(err)
		}
		out[p.Header.Get("Content-ID")] = r.StatusCode
	}
}

func TestFakeGmailBatchEndpoint(t *testing.T) {
	srv := newGmail(t)
	srv.SetQuota(10000, 0)
	a := srv.PutMessage(anna, googletest.Message{Internal: day0})
	b := srv.PutMessage(anna, googletest.Message{Internal: day0})
	_, hc := gmailClient(t, srv, anna)
	srv.SetGmailFaults(anna, googletest.GmailFaults{PartStatus: map[string]int{b: 429}, PartTimes: 1})
	got, err := batch(t, srv, hc, []string{a, b, "ffffffffffffffff"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"<response-item-0>": 200, "<response-item-1>": 429, "<response-item-2>": 404}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts %v, want %v", got, want)
	}
	st := srv.GmailStats(anna)
	if st.Requests != 1 || st.Batches != 1 || st.Get != 2 || st.Units != 10 {
		t.Errorf("stats after one batch of 3 gets (one refused): %+v", st)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = a
	}
	if _, err := batch(t, srv, hc, ids); apiCode(err) != 400 {
		t.Errorf("101 calls: %v, want 400", err)
	}
}

// TestFakeGmailInsertModifyDelete: users.messages.insert with a raw
// message (its Date as internalDate with dateHeader), modify (a new
// historyId, in the history), delete (permanent; 404 after).
func TestFakeGmailInsertModifyDelete(t *testing.T) {
	srv := newGmail(t)
	svc, _ := gmailClient(t, srv, anna)
	raw := "From: bo@skole.test\r\nTo: anna@skole.test\r\nSubject: Til sletning\r\nDate: Sun, 01 Mar 2020 12:00:00 +0000\r\n\r\nHej Anna,\r\nbare en test.\r\n"
	m, err := svc.Users.Messages.Insert("me", &gmail.Message{Raw: base64.URLEncoding.EncodeToString([]byte(raw)), LabelIds: []string{"INBOX"}}).InternalDateSource("dateHeader").Do()
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Users.Messages.Get("me", m.Id).Format("metadata").MetadataHeaders("Subject").Do()
	if err != nil || got.InternalDate != day0.UnixMilli() || got.Payload.Headers[0].Value != "Til sletning" || got.Snippet != "Hej Anna, bare en test." || !slices.Equal(got.LabelIds, []string{"INBOX"}) {
		t.Fatalf("inserted: %+v, %v", got, err)
	}
	mod, err := svc.Users.Messages.Modify("me", m.Id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}, RemoveLabelIds: []string{"INBOX"}}).Do()
	if err != nil || mod.HistoryId <= got.HistoryId || !slices.Equal(mod.LabelIds, []string{"STARRED"}) {
		t.Fatalf("modify: %+v, %v", mod, err)
	}
	h, err := svc.Users.History.List("me").StartHistoryId(got.HistoryId).Do()
	if err != nil || len(h.History) != 2 || len(h.History[0].LabelsAdded) != 1 || len(h.History[1].LabelsRemoved) != 1 {
		t.Errorf("history after modify: %+v, %v", h, err)
	}
	if _, err := svc.Users.Messages.Modify("me", m.Id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"NO_SUCH"}}).Do(); apiCode(err) != 400 {
		t.Errorf("unknown label: %v, want 400", err)
	}
	if err := svc.Users.Messages.Delete("me", m.Id).Do(); err != nil {
		t.Fatal(err)
	}
	if srv.HasMessage(anna, m.Id) {
		t.Error("deleted message still there")
	}
	if err := svc.Users.Messages.Delete("me", m.Id).Do(); apiCode(err) != 404 {
		t.Errorf("second delete: %v, want 404", err)
	}
	if _, err := svc.Users.Messages.Insert("me", &gmail.Message{}).Do(); apiCode(err) != 400 {
		t.Errorf("insert without raw: %v, want 400", err)
	}
	if st := srv.GmailStats(anna); st.Insert != 2 || st.Modify != 2 || st.Delete != 2 {
		t.Errorf("stats %+v", st)
	}
}
