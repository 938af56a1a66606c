package googletest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/jws"
)

// grant posts a JWT bearer grant signed with the server's key (or the
// claims' own key when given) and returns the status and body.
func grant(t *testing.T, s *Server, hdr *jws.Header, cs *jws.ClaimSet, grantType string) (int, map[string]any) {
	t.Helper()
	assertion, err := jws.Encode(hdr, cs, s.key)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().PostForm(s.URL+"/token", url.Values{"grant_type": {grantType}, "assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// TestFakeToken: the token endpoint checks a service account's grant as
// Google does, and answers refusals with Google's codes.
func TestFakeToken(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddUser(User{Email: "anna@skole.test"})
	s.AddUser(User{Email: "bo@skole.test", Suspended: true})
	s.Grant(ScopeMail, ScopeUsers)
	now := time.Now()
	claims := func(edit func(*jws.ClaimSet)) *jws.ClaimSet {
		cs := &jws.ClaimSet{Iss: s.ClientEmail, Scope: ScopeMail, Aud: s.URL + "/token", Sub: "anna@skole.test",
			Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(cs)
		}
		return cs
	}
	hdr := &jws.Header{Algorithm: "RS256", Typ: "JWT", KeyID: s.keyID}
	status, body := grant(t, s, hdr, claims(nil), jwtBearer)
	if status != 200 || body["token_type"] != "Bearer" || !strings.HasPrefix(body["access_token"].(string), "ya29.") || body["expires_in"].(float64) != 3599 {
		t.Fatalf("a good grant: %d %v", status, body)
	}
	for _, tc := range []struct {
		name      string
		edit      func(*jws.ClaimSet)
		grantType string
		code      string
		desc      string
	}{
		{"wrong audience", func(c *jws.ClaimSet) { c.Aud = "https://oauth2.googleapis.com/token" }, "", "invalid_grant", "audience"},
		{"longer than an hour", func(c *jws.ClaimSet) { c.Exp = now.Add(2 * time.Hour).Unix() }, "", "invalid_grant", "short-lived"},
		{"issued in the future", func(c *jws.ClaimSet) { c.Iat, c.Exp = now.Add(time.Hour).Unix(), now.Add(90*time.Minute).Unix() }, "", "invalid_grant", "reasonable timeframe"},
		{"expired", func(c *jws.ClaimSet) { c.Iat, c.Exp = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix() }, "", "invalid_grant", "reasonable timeframe"},
		{"unknown user", func(c *jws.ClaimSet) { c.Sub = "ghost@skole.test" }, "", "invalid_grant", "Invalid email or User ID"},
		{"suspended user", func(c *jws.ClaimSet) { c.Sub = "bo@skole.test" }, "", "invalid_grant", "Invalid email or User ID"},
		{"scope not granted", func(c *jws.ClaimSet) { c.Scope = ScopeMail + " " + ScopeDrive }, "", "unauthorized_client", "not authorized for any of the scopes"},
		{"no scope", func(c *jws.ClaimSet) { c.Scope = "" }, "", "invalid_scope", "Invalid oauth scope"},
		{"unknown account", func(c *jws.ClaimSet) { c.Iss = "x@y.iam.gserviceaccount.com" }, "", "invalid_grant", "account not found"},
		{"wrong grant type", nil, "client_credentials", "unsupported_grant_type", "grant_type"},
	} {
		gt := tc.grantType
		if gt == "" {
			gt = jwtBearer
		}
		status, body := grant(t, s, hdr, claims(tc.edit), gt)
		if status != 400 || body["error"] != tc.code || !strings.Contains(body["error_description"].(string), tc.desc) {
			t.Errorf("%s: %d %v, want 400 %s (%s)", tc.name, status, body, tc.code, tc.desc)
		}
	}
	// Signed with another key.
	other := New()
	defer other.Close()
	assertion, _ := jws.Encode(hdr, claims(nil), other.key)
	resp, err := s.Client().PostForm(s.URL+"/token", url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "Invalid JWT Signature") {
		t.Errorf("another key: %d %s", resp.StatusCode, b)
	}
	if n := s.Stats().TokenRequests; n != 12 {
		t.Errorf("%d token requests counted, want 12", n)
	}
}

// TestFakeAuthorize: API calls need a token of the endpoint, unexpired,
// with one of the scopes asked.
func TestFakeAuthorize(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddUser(User{Email: "admin@skole.test", OrgUnit: "/"})
	tok := func(scope string) string {
		now := time.Now()
		_, body := grant(t, s, &jws.Header{Algorithm: "RS256", Typ: "JWT"}, &jws.ClaimSet{Iss: s.ClientEmail, Scope: scope,
			Aud: s.URL + "/token", Sub: "admin@skole.test", Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()}, jwtBearer)
		return body["access_token"].(string)
	}
	get := func(token string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", s.URL+"/admin/directory/v1/users/admin@skole.test", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	users, mail := tok(ScopeUsers), tok(ScopeMail)
	if st, body, _ := get(users); st != 200 || !strings.Contains(body, `"primaryEmail":"admin@skole.test"`) {
		t.Errorf("with the users scope: %d %s", st, body)
	}
	if st, body, _ := get(mail); st != 403 || !strings.Contains(body, `"reason":"insufficientPermissions"`) || !strings.Contains(body, `"status":"PERMISSION_DENIED"`) {
		t.Errorf("with the mail scope: %d %s", st, body)
	}
	if st, body, h := get(""); st != 401 || !strings.Contains(body, `"reason":"authError"`) || h.Get("WWW-Authenticate") == "" {
		t.Errorf("without a token: %d %s", st, body)
	}
	s.Now = func() time.Time { return time.Now().Add(61 * time.Minute) }
	if st, _, _ := get(users); st != 401 {
		t.Errorf("with an expired token: %d", st)
	}
}

func errorBody(t *testing.T, rec *httptest.ResponseRecorder) (code int, reason, status, msg string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    int
			Message string
			Status  string
			Errors  []struct{ Reason, Domain, Message string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Error.Errors) != 1 {
		t.Fatalf("error body %s: %v", rec.Body, err)
	}
	return e.Error.Code, e.Error.Errors[0].Reason, e.Error.Status, e.Error.Message
}

// TestFakeQuota: a user's units a second, and the project's.
func TestFakeQuota(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetQuota(10, 0)
	for i := range 3 {
		rec := httptest.NewRecorder()
		ok := s.charge(rec, "anna", 5)
		if ok != (i < 2) {
			t.Fatalf("charge %d: %v", i, ok)
		}
		if !ok {
			code, reason, status, msg := errorBody(t, rec)
			if rec.Code != 429 || code != 429 || reason != "rateLimitExceeded" || status != "RESOURCE_EXHAUSTED" || !strings.Contains(msg, "User-rate limit exceeded") || rec.Header().Get("Retry-After") == "" {
				t.Errorf("over the user's quota: %d %s", rec.Code, rec.Body)
			}
		}
	}
	if !s.charge(httptest.NewRecorder(), "bo", 10) {
		t.Error("bo's quota is not anna's")
	}
	s.SetQuota(100, 12)
	s.charge(httptest.NewRecorder(), "anna", 6)
	s.charge(httptest.NewRecorder(), "bo", 6)
	rec := httptest.NewRecorder()
	if s.charge(rec, "carl", 6) {
		t.Fatal("over the project's quota")
	}
	if _, reason, _, msg := errorBody(t, rec); reason != "rateLimitExceeded" || !strings.Contains(msg, "Quota exceeded for quota metric") {
		t.Errorf("project quota: %s", rec.Body)
	}
	if n := s.Stats().Throttled; n != 2 {
		t.Errorf("%d throttled", n)
	}
}

// TestFakeFaultsAndPaging: the Nth matching request fails; a malformed
// answer is cut; latency delays; the directory pages.
func TestFakeFaultsAndPaging(t *testing.T) {
	s := New()
	defer s.Close()
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		s.AddUser(User{Email: u + "@skole.test", OrgUnit: "/Elever"})
	}
	s.AddUser(User{Email: "admin@skole.test", OrgUnit: "/"})
	now := time.Now()
	_, body := grant(t, s, &jws.Header{Algorithm: "RS256", Typ: "JWT"}, &jws.ClaimSet{Iss: s.ClientEmail, Scope: ScopeUsers,
		Aud: s.URL + "/token", Sub: "admin@skole.test", Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()}, jwtBearer)
	token := body["access_token"].(string)
	get := func(query string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+"/admin/directory/v1/users?customer=my_customer&"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var emails []string
	q := "maxResults=2&query=" + url.QueryEscape("orgUnitPath='/Elever'")
	for page := 0; ; page++ {
		st, b := get(q)
		var res struct {
			Users []struct {
				PrimaryEmail string `json:"primaryEmail"`
			} `json:"users"`
			NextPageToken string `json:"nextPageToken"`
		}
		if st != 200 || json.Unmarshal([]byte(b), &res) != nil || page > 3 {
			t.Fatalf("page %d: %d %s", page, st, b)
		}
		for _, u := range res.Users {
			emails = append(emails, u.PrimaryEmail)
		}
		if res.NextPageToken == "" {
			break
		}
		q = "maxResults=2&query=" + url.QueryEscape("orgUnitPath='/Elever'") + "&pageToken=" + res.NextPageToken
	}
	if strings.Join(emails, " ") != "a@skole.test b@skole.test c@skole.test d@skole.test e@skole.test" {
		t.Errorf("paged users %v", emails)
	}
	if st, b := get("pageToken=bogus"); st != 400 || !strings.Contains(b, "Invalid page token") {
		t.Errorf("a bogus page token: %d %s", st, b)
	}
	if st, b := get("query=" + url.QueryEscape("orgUnitPath='/Nowhere'")); st != 400 || !strings.Contains(b, "INVALID_OU_ID") {
		t.Errorf("an unknown org unit: %d %s", st, b)
	}

	f := s.Inject(Fault{Method: "GET", Path: "/admin/directory/v1/users", Nth: 2, Times: 1, Status: 503, Reason: "backendError"})
	var statuses []int
	for range 3 {
		st, _ := get("")
		statuses = append(statuses, st)
	}
	if statuses[0] != 200 || statuses[1] != 503 || statuses[2] != 200 || s.Hits(f) != 1 {
		t.Errorf("the 2nd request fails: %v, hits %d", statuses, s.Hits(f))
	}
	s.ClearFaults()
	s.Inject(Fault{Path: "/admin/directory/v1/users", Malformed: true})
	if st, b := get(""); st != 200 || json.Valid([]byte(b)) || !strings.HasPrefix(b, `{"kind":"admin#directory#users"`) {
		t.Errorf("malformed: %d %s", st, b)
	}
	s.ClearFaults()
	s.SetLatency(100 * time.Millisecond)
	start := time.Now()
	get("")
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("latency 100ms, answered in %v", d)
	}
}
