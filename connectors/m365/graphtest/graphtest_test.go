package graphtest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// token gets an access token from the fake's token endpoint with the
// client secret, as any OAuth client would.
func token(t *testing.T, s *Server) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.Secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	resp, err := s.Client().PostForm(s.URL+"/"+s.Tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	return tok.AccessToken
}

// Clients other than ours (kiota's default pipeline among them) gzip
// request bodies: the fake accepts a gzipped $batch as Graph does.
func TestGzippedBatchRequest(t *testing.T) {
	s := Start(t)
	m := s.Put("anna@skole.test", Message{Received: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Subject: "x"})
	body := `{"requests":[{"id":"1","method":"POST","url":"/users/anna@skole.test/messages/` + m.ImmutableID + `/permanentDelete","headers":{"Prefer":"IdType=\"ImmutableId\""}}]}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.GraphURL()+"/$batch", &gz)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+token(t, s))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Responses []struct {
			ID     string `json:"id"`
			Status int    `json:"status"`
		} `json:"responses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	if len(out.Responses) != 1 || out.Responses[0].Status != http.StatusNoContent {
		t.Fatalf("responses %+v, want one 204", out.Responses)
	}
	if _, ok := s.Get("anna@skole.test", m.ImmutableID); ok {
		t.Fatal("the message is still there")
	}
	// A body that claims gzip but is not is a 400, not a panic or a 204.
	req, _ = http.NewRequest(http.MethodPost, s.GraphURL()+"/$batch", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+token(t, s))
	resp2, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad gzip: status %d, want 400", resp2.StatusCode)
	}
}

// TestFilterSpan checks that the span of sorted messages a listing pages
// through is exactly the messages the filter matches, for every operator
// and pair of operators, at, between and beyond the messages' times (with
// ties).
func TestFilterSpan(t *testing.T) {
	base := time.Date(2023, 1, 7, 10, 0, 0, 0, time.UTC)
	u := &user{messages: map[string]*Message{}}
	for i := range 40 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		u.messages[id] = &Message{ImmutableID: id, Received: base.Add(time.Duration(i/3) * time.Minute)}
	}
	ms := u.byReceipt()
	ops := []string{"ge", "gt", "lt", "le", "eq"}
	var times []time.Time
	for k := -2; k <= 30; k++ {
		times = append(times, base.Add(time.Duration(k)*30*time.Second))
	}
	check := func(f filter) {
		t.Helper()
		lo, hi := f.span(ms)
		for i, m := range ms {
			if in := i >= lo && i < hi; in != f.match(m) {
				t.Fatalf("filter %+v: message %d (%s) in the span [%d,%d) is %v, matches %v", f, i, m.Received.Format(time.TimeOnly), lo, hi, in, f.match(m))
			}
		}
	}
	for _, a := range ops {
		for _, ta := range times {
			check(filter{{a, ta}})
			for _, b := range ops {
				for _, tb := range times {
					check(filter{{a, ta}, {b, tb}})
				}
			}
		}
	}
}
