package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors/m365/graphtest"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
)

// mailTo reads the messages srv received for addr: subject and decoded
// text.
func mailTo(t *testing.T, msgs []smtptest.Message, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0] != addr {
			continue
		}
		pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
		if err != nil {
			t.Fatal(err)
		}
		if pm.Header.Get("Auto-Submitted") != "auto-generated" || !m.TLS || m.User != smtptest.User {
			t.Errorf("mail to %s: Auto-Submitted %q, tls %v, user %q", addr, pm.Header.Get("Auto-Submitted"), m.TLS, m.User)
		}
		out[subject] = strings.ReplaceAll(string(text), "\r\n", "\n")
	}
	return out
}

// TestNotifyApproversAndOperators runs `retentiond notify` on the demo
// against a real SMTP relay (STARTTLS, PLAIN): approvers hear of the
// batches that await them, once, and are reminded after remind_after;
// operators hear of overdue items; a relay that refuses changes nothing
// and the mails go out next time.
func TestNotifyApproversAndOperators(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	pw := filepath.Join(dir, "smtp.password")
	if err := os.WriteFile(pw, []byte("wrong password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cfg)
	// The mails' words are checked in English here (locale: en); the
	// demo's own language, Danish, in TestNotifyThroughGraph.
	b = append(b, fmt.Sprintf(`locale: en
notify:
  smtp:
    host: %s
    port: %d
    from: "retentiond <retentiond@skole.example>"
    username: %s
    password_file: smtp.password
    ca_file: %s
  remind_after: 72h
`, srv.Host, srv.Port, smtptest.User, srv.CAFile)...)
	os.WriteFile(cfg, b, 0o644)

	// The relay refuses the password: nothing is recorded as sent.
	out, err := run(t, "notify", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "not sent") || !strings.Contains(out, "smtp authentication") {
		t.Fatalf("notify with a wrong password: %v\n%s", err, out)
	}
	if msgs, _ := srv.Received(); len(msgs) != 0 {
		t.Fatalf("%d mails accepted with a wrong password", len(msgs))
	}

	os.WriteFile(pw, []byte(smtptest.Password+"\n"), 0o600)
	out = mustRun(t, "notify", "--config", cfg)
	msgs, _ := srv.Received()
	anna, bo, it := mailTo(t, msgs, "anna@skole.example"), mailTo(t, msgs, "bo@skole.example"), mailTo(t, msgs, "it@skole.example")
	if len(anna) == 0 || len(bo) == 0 || len(it) == 0 || len(msgs) != len(anna)+len(bo)+len(it) {
		t.Fatalf("mails: anna %d, bo %d, it %d of %d\n%s", len(anna), len(bo), len(it), len(msgs), out)
	}
	// One mail per approver for the demo's six waiting batches.
	if len(anna) != 1 || len(bo) != 1 {
		t.Fatalf("anna got %d mails, bo %d, want one digest each", len(anna), len(bo))
	}
	for subject, text := range anna {
		if subject != "retentiond: 6 batches await your approval" {
			t.Errorf("anna's subject %q", subject)
		}
		for _, want := range []string{"Batch 1 awaits your approval", "retentiond batches approve 4 --as anna", "retentiond batches show 7",
			"Nothing is deleted until", "Nothing is moved to the archive until"} {
			if !strings.Contains(text, want) {
				t.Errorf("anna's mail lacks %q:\n%s", want, text)
			}
		}
		// E-mail names no pupil, no employee and no path.
		for _, never := range []string{"Udmeldte", "Personale", "1005", ".docx", ".pdf"} {
			if strings.Contains(text, never) || strings.Contains(subject, never) {
				t.Errorf("mail %q names %q:\n%s", subject, never, text)
			}
		}
	}
	var overdue bool
	for subject, text := range it {
		if strings.Contains(subject, "overdue on nvr") && strings.Contains(text, "C1") {
			overdue = true
		}
	}
	if !overdue {
		t.Errorf("no overdue alert to it: %v", it)
	}

	// Again: nothing new.
	if out := mustRun(t, "notify", "--config", cfg); !strings.Contains(out, "nothing new to tell") {
		t.Errorf("second notify:\n%s", out)
	}
	if again, _ := srv.Received(); len(again) != len(msgs) {
		t.Fatalf("the second notify sent %d more mails", len(again)-len(msgs))
	}

	// Four days later the batches still wait: one reminder each.
	out, err = runAt(t, fixedNow.Add(4*24*time.Hour), "notify", "--config", cfg)
	if err != nil {
		t.Fatalf("notify 4 days later: %v\n%s", err, out)
	}
	later, _ := srv.Received()
	reminders := 0
	for subject, text := range mailTo(t, later[len(msgs):], "anna@skole.example") {
		if subject == "retentiond reminder: 6 batches still await your approval" && strings.Contains(text, "Batch 4 has waited 4 days") && strings.Contains(text, "--as anna") {
			reminders++
		}
	}
	if reminders == 0 {
		t.Errorf("no reminder to anna 4 days later:\n%s", out)
	}

	// A source that cannot be planned: the operators hear of it once a
	// day, however often it fails.
	before, _ := srv.Received()
	a := newApp(io.Discard, io.Discard)
	a.clock = scheduler.FixedClock{T: fixedNow}
	a.configFile = cfg
	p, err := a.pipeline(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n := a.notifier(p, zap.NewNop())
	for range 3 {
		if err := n.SourceFailed(context.Background(), "skoledrev", errors.New("open source: permission denied")); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := srv.Received()
	alerts := mailTo(t, after[len(before):], "it@skole.example")
	if text := alerts["retentiond: source skoledrev could not be planned"]; len(after)-len(before) != 1 || !strings.Contains(text, "permission denied") ||
		!strings.Contains(text, "Nothing was deleted because of this") {
		t.Errorf("source failure alerts: %d mails, %v", len(after)-len(before), alerts)
	}
}

// TestNotifyThroughGraph sends the notifications with Graph's sendMail as
// the app of an m365 source, through the real SDK to the fake Graph.
func TestNotifyThroughGraph(t *testing.T) {
	srv := graphtest.Start(t)
	srv.AddUser("anna@skole.test")
	srv.AddUser("retentiond@skole.test")
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	os.WriteFile(filepath.Join(dir, "graph.secret"), []byte(srv.Secret), 0o600)
	os.WriteFile(filepath.Join(dir, "graph-ca.pem"), srv.CertificatePEM(), 0o644)
	cfg := filepath.Join(dir, "retentiond.yaml")
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "execute:\n", `  - name: mail
    kind: m365
    options:
      tenant_id: `+srv.Tenant+`
      client_id: `+srv.ClientID+`
      client_secret_file: graph.secret
      mailboxes: [anna@skole.test]
      graph_url: `+srv.GraphURL()+`
      login_url: `+srv.URL+`/
      ca_file: graph-ca.pem
execute:
`, 1)
	text += "notify:\n  graph: {source: mail, from: retentiond@skole.test}\n"
	os.WriteFile(cfg, []byte(text), 0o644)

	out := mustRun(t, "notify", "test", "--config", cfg)
	if !strings.Contains(out, "sent a test e-mail to it@skole.example") {
		t.Errorf("notify test:\n%s", out)
	}
	mustRun(t, "notify", "--config", cfg)
	got := map[string]string{}
	for _, m := range srv.Sent() {
		if m.From != "retentiond@skole.test" || len(m.To) != 1 || m.ContentType != "text" || !m.SaveToSentItems {
			t.Errorf("sent %+v", m)
		}
		got[m.To[0]] += m.Subject + "\n"
	}
	// The demo sets no locale: the mails are in Danish, the default.
	if !strings.Contains(got["it@skole.example"], "retentiond: prøvebesked") ||
		!strings.Contains(got["it@skole.example"], "retentiond: slettefrist overskredet for") ||
		!strings.Contains(got["it@skole.example"], " på nvr\n") ||
		!strings.Contains(got["anna@skole.example"], "retentiond: 6 slettelister afventer din godkendelse") {
		t.Errorf("sent through Graph: %q", got)
	}
}
