package anchor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "skole.example/ledger"

// signedNote returns a real signed checkpoint note (C2SP tlog-checkpoint)
// of size n whose root hash is derived from history, signed by a new key
// named after the origin; extra keys add further signatures.
func signedNote(t *testing.T, n int64, history string, extra int) []byte {
	t.Helper()
	hash := sha256.Sum256([]byte(history))
	body := fmt.Sprintf("%s\n%d\n%s\n", testOrigin, n, base64.StdEncoding.EncodeToString(hash[:]))
	var signers []note.Signer
	for range 1 + extra {
		skey, _, err := note.GenerateKey(rand.Reader, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	msg, err := note.Sign(&note.Note{Text: body}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func testCheckpoint(t *testing.T) Checkpoint {
	t.Helper()
	return Checkpoint{Origin: testOrigin, N: 42, Note: signedNote(t, 42, "history one", 0),
		At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("CET", 3600))}
}

// fakeTarget records what it was sent and fails if told to.
type fakeTarget struct {
	name string
	err  error
	sent []Checkpoint
}

func (f *fakeTarget) Name() string { return f.name }
func (f *fakeTarget) Send(_ context.Context, cp Checkpoint) error {
	f.sent = append(f.sent, cp)
	return f.err
}

func TestSendAllTriesEveryTarget(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	failing := &fakeTarget{name: "fake:failing", err: errors.New("relay down")}
	after := &fakeTarget{name: "fake:after"}
	targets := []Target{failing, Dir{Path: filepath.Join(dir, "missing")}, Dir{Path: dir}, after}
	core, logs := observer.New(zapcore.DebugLevel)

	res := SendAll(context.Background(), targets, cp, zap.New(core))

	if len(res) != len(targets) {
		t.Fatalf("%d results for %d targets", len(res), len(targets))
	}
	for i, tg := range targets {
		if res[i].Target != tg.Name() {
			t.Errorf("result %d is for %q, want %q", i, res[i].Target, tg.Name())
		}
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "fake:failing") || !strings.Contains(res[0].Err.Error(), "relay down") {
		t.Errorf("failing target: %v", res[0].Err)
	}
	if res[1].Err == nil || res[2].Err != nil || res[3].Err != nil {
		t.Errorf("results %+v", res)
	}
	if len(after.sent) != 1 || after.sent[0].N != 42 {
		t.Errorf("the target after two failures was sent %+v", after.sent)
	}
	if err := Errors(res); err == nil || !strings.Contains(err.Error(), "relay down") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Errors: %v", err)
	}
	if err := Errors(res[2:]); err != nil {
		t.Errorf("Errors of successes: %v", err)
	}

	failed := logs.FilterMessage("anchoring failed").All()
	ok := logs.FilterMessage("checkpoint anchored").All()
	if len(failed) != 2 || len(ok) != 2 {
		t.Fatalf("logged %d failures and %d successes", len(failed), len(ok))
	}
	for _, e := range append(failed, ok...) {
		m := e.ContextMap()
		if m["target"] == nil || m["tree_size"] != int64(42) || m["origin"] != testOrigin {
			t.Errorf("log fields %v", m)
		}
		for k := range m {
			if k != strings.ToLower(k) || strings.ContainsAny(k, " -") {
				t.Errorf("log key %q is not snake_case", k)
			}
		}
	}
	if failed[0].Level != zapcore.ErrorLevel || failed[0].ContextMap()["conflict"] != false {
		t.Errorf("failure entry %+v", failed[0])
	}
}

func TestSendAllNilLogger(t *testing.T) {
	res := SendAll(context.Background(), []Target{&fakeTarget{name: "fake:x"}}, testCheckpoint(t), nil)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("results %+v", res)
	}
}

func TestFileName(t *testing.T) {
	for _, tt := range []struct {
		origin string
		n      int64
		want   string
	}{
		{"skole.example/ledger", 42, "skole.example_ledger-000000000042.checkpoint"},
		{"retentiond.example.dk/school-ledger", 0, "retentiond.example.dk_school-ledger-000000000000.checkpoint"},
		{`a\b:c*d?e"f<g>h|i j`, 7, "a_b_c_d_e_f_g_h_i_j-000000000007.checkpoint"},
		{"../../etc/passwd", 1, ".._.._etc_passwd-000000000001.checkpoint"},
		{"skole.example/ledger", 123456789012, "skole.example_ledger-123456789012.checkpoint"},
	} {
		got := FileName(tt.origin, tt.n)
		if got != tt.want {
			t.Errorf("FileName(%q, %d) = %q, want %q", tt.origin, tt.n, got, tt.want)
		}
		if strings.ContainsAny(got, `/\:`) {
			t.Errorf("FileName(%q) = %q holds a path separator", tt.origin, got)
		}
	}
}

func TestCheckpointCheck(t *testing.T) {
	good := testCheckpoint(t)
	for name, tt := range map[string]struct {
		mod  func(*Checkpoint)
		want string
	}{
		"no origin":       {func(c *Checkpoint) { c.Origin = " " }, "no origin"},
		"control char":    {func(c *Checkpoint) { c.Origin = "a\nb" }, "control character"},
		"negative size":   {func(c *Checkpoint) { c.N = -1 }, "negative"},
		"empty note":      {func(c *Checkpoint) { c.Note = nil }, "empty note"},
		"size 0 is valid": {func(c *Checkpoint) { c.N = 0 }, ""},
	} {
		t.Run(name, func(t *testing.T) {
			cp := good
			tt.mod(&cp)
			err := cp.check()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
