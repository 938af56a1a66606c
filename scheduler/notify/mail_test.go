package notify

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestCompose(t *testing.T) {
	at := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	m := Mail{To: "Søren Ærø <soeren@skole.example>", Subject: "retentiond: batch 4 afventer godkendelse (Ærø skole)",
		Text: "Linje én\nLinje to med en meget lang linje der skal brydes af quoted-printable fordi den er længere end seksoghalvfjerds tegn\n"}
	b, err := Compose("retentiond <retentiond@skole.example>", m, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78 octets: %q", line)
		}
	}
	pm, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject %q (%v)", subject, err)
	}
	to, err := pm.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Søren Ærø" || to[0].Address != "soeren@skole.example" {
		t.Errorf("To %v (%v)", to, err)
	}
	if d, err := pm.Header.Date(); err != nil || !d.Equal(at) {
		t.Errorf("Date %v (%v)", d, err)
	}
	if id := pm.Header.Get("Message-Id"); !strings.HasPrefix(id, "<notify.20261123T060000Z.") || !strings.HasSuffix(id, "@skole.example>") {
		t.Errorf("Message-ID %q", id)
	}
	text, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
	if err != nil || strings.ReplaceAll(string(text), "\r\n", "\n") != m.Text {
		t.Errorf("text %q (%v)", text, err)
	}

	for _, bad := range []Mail{
		{To: "soeren@skole.example", Subject: "two\r\nBcc: everyone@skole.example", Text: "x"},
		{To: "not an address", Subject: "s", Text: "x"},
		{To: "a@skole.example\r\nBcc: b@skole.example", Subject: "s", Text: "x"},
	} {
		if _, err := Compose("retentiond@skole.example", bad, at); err == nil {
			t.Errorf("composed %+v", bad)
		}
	}
}
