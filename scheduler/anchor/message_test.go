package anchor

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestMessageIsSevenBitAndDeterministic(t *testing.T) {
	cp := testCheckpoint(t)
	// A long extension-free note line and non-ASCII in the signature line
	// ("— ") exercise quoted-printable.
	from := "Retentiond på Skolen <retentiond@skole.example>"
	to := []string{testDPO, "Revisor <" + testAuditor + ">"}
	a, err := Message(from, to, cp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Message(from, to, cp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same checkpoint gave two different messages")
	}
	for i, c := range a {
		if c >= 0x80 {
			t.Fatalf("byte %d is not 7-bit: %q", i, a[max(0, i-20):i+1])
		}
		if c == '\n' && (i == 0 || a[i-1] != '\r') {
			t.Fatalf("bare line feed at byte %d", i)
		}
	}
	for _, line := range strings.Split(string(a), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d characters", len(line))
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := m.Header.AddressList("From")
	if err != nil || len(addrs) != 1 || addrs[0].Name != "Retentiond på Skolen" || addrs[0].Address != "retentiond@skole.example" {
		t.Fatalf("From %v (%v)", addrs, err)
	}
	if m.Header.Get("X-Retentiond-Tree-Size") != "42" || m.Header.Get("X-Retentiond-Origin") != testOrigin {
		t.Fatalf("headers %v", m.Header)
	}

	other := cp
	other.Note = signedNote(t, 42, "history two", 0)
	c, err := Message(from, to, other)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := mail.ReadMessage(bytes.NewReader(c))
	if m2.Header.Get("Message-Id") == m.Header.Get("Message-Id") {
		t.Fatal("two different checkpoints of the same size got the same Message-ID")
	}
}

func TestMessageRefuses(t *testing.T) {
	cp := testCheckpoint(t)
	noTime := cp
	noTime.At = time.Time{}
	for name, tt := range map[string]struct {
		from string
		to   []string
		cp   Checkpoint
		want string
	}{
		"no time":      {testFrom, []string{testDPO}, noTime, "no time"},
		"bad sender":   {"nobody", []string{testDPO}, cp, "e-mail sender"},
		"bad rcpt":     {testFrom, []string{"x\r\nBcc: y@z"}, cp, "e-mail recipient"},
		"invalid note": {testFrom, []string{testDPO}, Checkpoint{Origin: testOrigin, N: 1, At: cp.At}, "empty note"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Message(tt.from, tt.to, tt.cp); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
