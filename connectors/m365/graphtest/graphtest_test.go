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
