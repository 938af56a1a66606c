package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestCheckpointBody(t *testing.T) {
	c := Checkpoint{Origin: "retentiond.example.dk/school-ledger", N: 1234, Hash: tlog.RecordHash([]byte("x"))}
	want := "retentiond.example.dk/school-ledger\n1234\n" + base64.StdEncoding.EncodeToString(c.Hash[:]) + "\n"
	if string(c.Body()) != want {
		t.Fatalf("Body() = %q, want %q", c.Body(), want)
	}
	for _, body := range []string{want, want + "ext line\n", want + "— not a signature\nmore\n"} {
		got, err := ParseCheckpointBody([]byte(body))
		if err != nil || got != c {
			t.Errorf("ParseCheckpointBody(%q) = %+v, %v", body, got, err)
		}
	}
	zero := Checkpoint{Origin: "o", N: 0}
	if got, err := ParseCheckpointBody(zero.Body()); err != nil || got != zero {
		t.Errorf("size 0: %+v, %v", got, err)
	}
	big := Checkpoint{Origin: "o o", N: 1<<63 - 1}
	if got, err := ParseCheckpointBody(big.Body()); err != nil || got != big {
		t.Errorf("max size: %+v, %v", got, err)
	}

	h := base64.StdEncoding.EncodeToString(c.Hash[:])
	for _, bad := range []string{
		"",
		"\n",
		"o\n",
		"o\n10\n",
		"o\n10\n" + h,                         // no final newline
		"o\n10\n" + h + "\n\n",                // empty extension line
		"o\n10\n" + h + "\next\n\n",           // empty extension line later
		"\n10\n" + h + "\n",                   // empty origin
		"   \n10\n" + h + "\n",                // spaces-only origin
		"o\n010\n" + h + "\n",                 // leading zero
		"o\n00\n" + h + "\n",                  // leading zero
		"o\n+10\n" + h + "\n",                 // sign
		"o\n-1\n" + h + "\n",                  // negative
		"o\n 10\n" + h + "\n",                 // space
		"o\n1e3\n" + h + "\n",                 // not decimal
		"o\n0x10\n" + h + "\n",                // not decimal
		"o\n9223372036854775808\n" + h + "\n", // overflows int64
		"o\n\n" + h + "\n",                    // empty size
		"o\n10\nAA==\n",                       // short hash
		"o\n10\n" + h[:43] + "\n",             // unpadded
		"o\n10\n" + h + "AAAA\n",              // long hash
		"o\n10\nnot base64 at all, no sir!!!!!!!!!!!!!!!!!=\n",
		"o\n10\n" + strings.ReplaceAll(h, "=", "") + "==\n",
		"o\r\n10\n" + h + "\n",        // carriage return
		"o\t\n10\n" + h + "\n",        // tab
		"o\x00\n10\n" + h + "\n",      // NUL
		"o\xff\n10\n" + h + "\n",      // invalid UTF-8
		"o\n10\n" + h + "\r\n",        // CRLF
		"o\n10\n" + h + "\next\x7f\n", // DEL in an extension
	} {
		if c, err := ParseCheckpointBody([]byte(bad)); err == nil {
			t.Errorf("ParseCheckpointBody(%q) accepted: %+v", bad, c)
		}
	}
	// A hash whose last character has stray low bits decodes leniently but
	// is not canonical.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", h[42])
	sloppy := h[:42] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last^1]) + "="
	if _, err := ParseCheckpointBody([]byte("o\n10\n" + sloppy + "\n")); err == nil {
		t.Error("non-canonical base64 hash accepted")
	}
}

func TestSignOpenCheckpoint(t *testing.T) {
	const origin = "test.invalid/ledger"
	s := newSignerT(t, origin)
	c := Checkpoint{Origin: origin, N: 5, Hash: tlog.RecordHash([]byte("x"))}
	msg := signT(t, s, c)
	if !bytes.HasPrefix(msg, append(c.Body(), "\n— "+origin+" "...)) {
		t.Fatalf("signed note:\n%s", msg)
	}
	vs, _ := NewVerifiers(s.VerifierKey())
	got, err := OpenCheckpoint(msg, vs)
	if err != nil || got != c {
		t.Fatalf("OpenCheckpoint: %+v, %v", got, err)
	}

	// A key with the same name that is not trusted.
	other := newSignerT(t, origin)
	ovs, _ := NewVerifiers(other.VerifierKey())
	_, err = OpenCheckpoint(msg, ovs)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Fatalf("checkpoint opened with another key: %v", err)
	}
	if _, err := OpenCheckpoint(msg, nil); !errors.As(err, &unverified) {
		t.Fatalf("checkpoint opened with no keys: %v", err)
	}

	// Tampered bodies under the original signature.
	sig := msg[len(c.Body()):]
	flipped := c
	flipped.Hash[0] ^= 1
	var invalid *note.InvalidSignatureError
	for _, body := range []Checkpoint{
		{Origin: origin, N: 6, Hash: c.Hash},
		{Origin: origin, N: 4, Hash: c.Hash},
		flipped,
	} {
		tampered := append(body.Body(), sig...)
		if _, err := OpenCheckpoint(tampered, vs); !errors.As(err, &invalid) {
			t.Errorf("tampered checkpoint:\n%s\nerror %v, want *note.InvalidSignatureError", tampered, err)
		}
	}
	// An extension line added after signing.
	ext := append(append(c.Body(), "ext\n"...), msg[len(c.Body()):]...)
	if _, err := OpenCheckpoint(ext, vs); !errors.As(err, &invalid) {
		t.Errorf("added extension line: %v", err)
	}

	// A second, untrusted signature does not matter.
	cosigned, err := note.Sign(&note.Note{Text: string(c.Body())}, s.NoteSigner(), newSignerT(t, "witness").NoteSigner())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenCheckpoint(cosigned, vs); err != nil || got != c {
		t.Errorf("cosigned checkpoint: %v", err)
	}
	// A trusted key may only vouch for its own origin.
	witness := newSignerT(t, "witness")
	byWitness, _ := note.Sign(&note.Note{Text: string(c.Body())}, witness.NoteSigner())
	wvs, _ := NewVerifiers(s.VerifierKey(), witness.VerifierKey())
	if _, err := OpenCheckpoint(byWitness, wvs); err == nil || !strings.Contains(err.Error(), "origin") {
		t.Errorf("checkpoint for %q opened with a signature by %q only: %v", origin, witness.Name(), err)
	}
	// A trusted signature over a body that is not a checkpoint.
	notCP, _ := note.Sign(&note.Note{Text: origin + "\nhello\n"}, s.NoteSigner())
	if _, err := OpenCheckpoint(notCP, vs); err == nil {
		t.Error("opened a note that is not a checkpoint")
	}
	if _, err := OpenCheckpoint([]byte("garbage"), vs); err == nil {
		t.Error("opened garbage")
	}
}

func TestSignCheckpointRefuses(t *testing.T) {
	s := newSignerT(t, "o")
	for name, c := range map[string]Checkpoint{
		"other origin":  {Origin: "p", N: 1},
		"negative size": {Origin: "o", N: -1},
		"origin prefix": {Origin: "o\n1", N: 1},
		"empty origin":  {Origin: "", N: 1},
	} {
		if msg, err := SignCheckpoint(c, s); err == nil {
			t.Errorf("%s: signed\n%s", name, msg)
		}
	}
	if _, err := SignCheckpoint(Checkpoint{Origin: "o"}, nil); err == nil {
		t.Error("signed without a key")
	}
}

func FuzzParseCheckpointBody(f *testing.F) {
	f.Add(Checkpoint{Origin: "o", N: 3, Hash: tlog.RecordHash(nil)}.Body())
	f.Add(append(Checkpoint{Origin: "example.com/log", N: 0}.Body(), "ext\n"...))
	f.Add([]byte("o\n010\nAA==\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpointBody(b)
		if err != nil {
			return
		}
		body := c.Body()
		if !bytes.HasPrefix(b, body) {
			t.Fatalf("parsed %q as %+v, whose body %q is not a prefix", b, c, body)
		}
		if again, err := ParseCheckpointBody(body); err != nil || again != c {
			t.Fatalf("Body() of %+v does not parse back: %+v, %v", c, again, err)
		}
		if c.N < 0 || strings.TrimSpace(c.Origin) == "" {
			t.Fatalf("parsed %q as %+v", b, c)
		}
	})
}
