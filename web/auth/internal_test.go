package auth

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/":                     "/",
		"/batches/2?page=3":     "/batches/2?page=3",
		"/batches/2#x":          "/batches/2#x",
		"//evil.example":        "/",
		"///evil.example":       "/",
		"/\\evil.example":       "/",
		"\\\\evil.example":      "/",
		"https://evil.example":  "/",
		"HTTPS://evil.example":  "/",
		"javascript:alert(1)":   "/",
		"evil.example":          "/",
		"/\r\nSet-Cookie: x=1":  "/",
		"/ok\x00":               "/",
		"/ space":               "/",
		"/auth/logout":          "/",
		"/auth/link/abc":        "/",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example", // a path on this site
		"/batches/2?next=//x.y": "/batches/2?next=//x.y",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	m := &Manager{}
	for _, p := range []string{"10.0.0.5/32", "fd00::/64"} {
		m.proxies = append(m.proxies, netip.MustParsePrefix(p))
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.7:5555", "", "192.0.2.7"},
		{"192.0.2.7:5555", "198.51.100.1", "192.0.2.7"}, // not from a proxy: the header is not believed
		{"10.0.0.5:443", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.5:443", "203.0.113.9, 198.51.100.1", "198.51.100.1"}, // the client may write what it likes on the left
		{"10.0.0.5:443", "198.51.100.1, 10.0.0.5", "198.51.100.1"},
		{"10.0.0.5:443", "", "10.0.0.5"},
		{"10.0.0.5:443", "garbage", "10.0.0.5"},
		{"[fd00::1]:443", "2001:db8::9", "2001:db8::9"},
		{"[::ffff:192.0.2.7]:1", "", "192.0.2.7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := m.clientIP(r); got.String() != tc.want {
			t.Errorf("%s with %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(3)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := range 3 {
		if !l.allow(a, now) {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if l.allow(a, now) {
		t.Fatal("fourth attempt allowed")
	}
	if !l.allow(b, now) {
		t.Fatal("another address refused")
	}
	if !l.allow(a, now.Add(20*time.Second)) || l.allow(a, now.Add(20*time.Second)) {
		t.Fatal("one attempt every 20 s")
	}
	// An IPv6 client is counted by its /64.
	for i := range 3 {
		l.allow(netip.MustParseAddr("2001:db8::"+string(rune('1'+i))), now)
	}
	if l.allow(netip.MustParseAddr("2001:db8::ffff"), now) {
		t.Fatal("the same /64 allowed a fourth attempt")
	}
	if !l.allow(netip.MustParseAddr("2001:db8:0:1::1"), now) {
		t.Fatal("another /64 refused")
	}
}
