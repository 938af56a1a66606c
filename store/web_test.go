package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestWebSessions(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	ws := WebSession{IDHash: "h1", Person: "anna", Method: "oidc", Subject: "ref", CSRF: "c",
		CreatedAt: Time{t0}, LastSeen: Time{t0}, ExpiresAt: Time{t0.Add(12 * time.Hour)}}
	if err := s.AddWebSession(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWebSession(ctx, ws); err == nil {
		t.Fatal("a second session with the same id was stored")
	}
	got, err := s.WebSession(ctx, "h1")
	if err != nil || got.Person != "anna" || got.Method != "oidc" || got.Subject != "ref" || got.CSRF != "c" ||
		!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("session %+v, %v", got, err)
	}
	if err := s.TouchWebSession(ctx, "h1", t0.Add(time.Minute+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WebSession(ctx, "h1"); !got.LastSeen.Equal(t0.Add(time.Minute + time.Millisecond)) {
		t.Fatalf("last seen %v", got.LastSeen)
	}
	if _, err := s.WebSession(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if err := s.DeleteWebSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebSession(ctx, "h1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	if err := s.DeleteWebSession(ctx, "h1"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestWebLinkTakenOnce(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	if err := s.AddWebLink(ctx, WebLink{Hash: "l", Person: "bo", CreatedAt: Time{t0}, ExpiresAt: Time{t0.Add(10 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	// Ten takers at once: exactly one gets the link.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got, missed := 0, 0
	for range 10 {
		wg.Go(func() {
			l, err := s.TakeWebLink(ctx, "l")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && l.Person == "bo" && l.ExpiresAt.Equal(t0.Add(10*time.Minute)):
				got++
			case errors.Is(err, ErrNotFound):
				missed++
			default:
				t.Errorf("take: %+v, %v", l, err)
			}
		})
	}
	wg.Wait()
	if got != 1 || missed != 9 {
		t.Fatalf("taken %d times, missed %d", got, missed)
	}
}

func TestWebPending(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	p := WebPending{IDHash: "p", State: "st", Nonce: "n", Verifier: "v", Next: "/batches/2", CreatedAt: Time{t0}, ExpiresAt: Time{t0.Add(10 * time.Minute)}}
	if err := s.AddWebPending(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeWebPending(ctx, "p")
	if err != nil || got.State != "st" || got.Nonce != "n" || got.Verifier != "v" || got.Next != "/batches/2" {
		t.Fatalf("pending %+v, %v", got, err)
	}
	if _, err := s.TakeWebPending(ctx, "p"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("taken twice: %v", err)
	}
}

func TestBindWebIdentity(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	at := Time{time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	const iss = "https://idp.example"
	if err := s.BindWebIdentity(ctx, WebIdentity{Person: "anna", Issuer: iss, Subject: "s1", BoundAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.BindWebIdentity(ctx, WebIdentity{Person: "anna", Issuer: iss, Subject: "s1", BoundAt: at}); err != nil {
		t.Fatalf("binding the same again: %v", err)
	}
	if err := s.BindWebIdentity(ctx, WebIdentity{Person: "anna", Issuer: iss, Subject: "s2", BoundAt: at}); !errors.Is(err, ErrBound) {
		t.Fatalf("anna with a second subject: %v", err)
	}
	if err := s.BindWebIdentity(ctx, WebIdentity{Person: "bo", Issuer: iss, Subject: "s1", BoundAt: at}); !errors.Is(err, ErrBound) {
		t.Fatalf("anna's subject for bo: %v", err)
	}
	// Another issuer is another binding.
	if err := s.BindWebIdentity(ctx, WebIdentity{Person: "anna", Issuer: "https://other.example", Subject: "s9", BoundAt: at}); err != nil {
		t.Fatal(err)
	}
	wi, err := s.WebIdentityBySubject(ctx, iss, "s1")
	if err != nil || wi.Person != "anna" {
		t.Fatalf("by subject: %+v, %v", wi, err)
	}
	if wi, err := s.WebIdentityOf(ctx, "anna", iss); err != nil || wi.Subject != "s1" {
		t.Fatalf("of anna: %+v, %v", wi, err)
	}
	if _, err := s.WebIdentityOf(ctx, "bo", iss); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo: %v", err)
	}
	if _, err := s.WebIdentityBySubject(ctx, iss, "s2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("s2: %v", err)
	}
}

func TestPurgeWeb(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	idle := 30 * time.Minute
	sess := func(id string, last, expires time.Time) {
		t.Helper()
		if err := s.AddWebSession(ctx, WebSession{IDHash: id, Person: "anna", Method: "link", CSRF: "c",
			CreatedAt: Time{now.Add(-time.Hour)}, LastSeen: Time{last}, ExpiresAt: Time{expires}}); err != nil {
			t.Fatal(err)
		}
	}
	sess("live", now.Add(-time.Minute), now.Add(time.Hour))
	sess("idle", now.Add(-idle-time.Millisecond), now.Add(time.Hour))
	sess("ended", now, now.Add(-time.Nanosecond*1000))
	// Fractional seconds do not confuse the comparison (RFC 3339 drops
	// trailing zeros, so the texts do not sort as times).
	sess("live2", now.Add(-idle+500*time.Millisecond), now.Add(1500*time.Millisecond))
	s.AddWebLink(ctx, WebLink{Hash: "old", Person: "bo", CreatedAt: Time{now}, ExpiresAt: Time{now.Add(-time.Second)}})
	s.AddWebLink(ctx, WebLink{Hash: "new", Person: "bo", CreatedAt: Time{now}, ExpiresAt: Time{now.Add(time.Second)}})
	s.AddWebPending(ctx, WebPending{IDHash: "old", CreatedAt: Time{now}, ExpiresAt: Time{now.Add(-time.Second)}})
	n, err := s.PurgeWeb(ctx, now, idle)
	if err != nil || n != 4 {
		t.Fatalf("purged %d, %v (want 4)", n, err)
	}
	for _, id := range []string{"live", "live2"} {
		if _, err := s.WebSession(ctx, id); err != nil {
			t.Errorf("%s purged: %v", id, err)
		}
	}
	for _, id := range []string{"idle", "ended"} {
		if _, err := s.WebSession(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s kept: %v", id, err)
		}
	}
	if _, err := s.TakeWebLink(ctx, "new"); err != nil {
		t.Errorf("live link purged: %v", err)
	}
}
