package notify

import (
	"bytes"
	"context"
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

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

const testPolicy = `version: 1
id: esc
rules:
  - id: TWO
    title: Two stages
    type: delete_after
    path: "two/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
    escalate_to: deputies
  - id: SOLO
    title: No fallback
    type: delete_after
    path: "solo/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: dpo, count: 1}
    escalate_after: P3D
`

const testConfig = `version: 1
locale: en
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders], email: anna@skole.example}
  - {id: bo, roles: [approver], groups: [dpo], email: bo@skole.example}
  - {id: dora, roles: [approver], groups: [deputies], email: dora@skole.example}
  - {id: it, roles: [operator], email: it@skole.example}
sources:
  - name: src
    kind: memory
    options: {name: %s}
notify:
  smtp:
    host: %s
    port: %d
    from: "retentiond <retentiond@skole.example>"
    username: %s
    password_file: %s
    ca_file: %s
  remind_after: 2400h
`

var start = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// testEnv is a pipeline on a memory source with a real SMTP relay, its
// configuration written to dir.
type testEnv struct {
	t   *testing.T
	p   *scheduler.Pipeline
	src *memory.Source
	srv *smtptest.Server
	n   *Notifier
}

func newTestEnv(t *testing.T, dir string) *testEnv {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	name := strings.ReplaceAll(t.Name(), "/", "_")
	src := memory.New(name)
	memory.Register(name, src)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(testPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "retentiond.yaml")
	text := fmt.Sprintf(testConfig, name, srv.Host, srv.Port, smtptest.User, smtptest.PasswordFile(t), srv.CAFile)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(file, connectors.NewRegistry(memory.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := scheduler.New(context.Background(), cfg, scheduler.Deps{Clock: scheduler.FixedClock{T: start}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	e := &testEnv{t: t, p: p, src: src, srv: srv}
	e.n = &Notifier{P: p, Log: zap.NewNop(),
		Sender: SMTP{Relay: *cfg.Notify.SMTP, Now: func() time.Time { return p.Clock.Now() }}}
	return e
}

// at sets the clock to days after start.
func (e *testEnv) at(days int) {
	e.p.Clock = scheduler.FixedClock{T: start.Add(time.Duration(days) * 24 * time.Hour)}
}

func (e *testEnv) plan() map[string]store.Batch {
	e.t.Helper()
	res, err := e.p.Plan(context.Background(), scheduler.PlanOptions{Source: "src", Planner: "it"})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]store.Batch{}
	for _, b := range res.Batches {
		out[b.Rule] = b
	}
	return out
}

func (e *testEnv) pass() {
	e.t.Helper()
	if err := e.n.Pass(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// mails are the mails the relay accepted from the from-th on, but the
// daily overdue alerts: recipient → subject → text.
func (e *testEnv) mails(from int) (map[string]map[string]string, int) {
	e.t.Helper()
	msgs, _ := e.srv.Received()
	out := map[string]map[string]string{}
	for _, m := range msgs[from:] {
		pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			e.t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		if err != nil {
			e.t.Fatal(err)
		}
		text, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
		if err != nil {
			e.t.Fatal(err)
		}
		if strings.Contains(subject, " overdue on ") {
			continue // sent every day; not what these tests are about
		}
		to := strings.Join(m.To, ",")
		if out[to] == nil {
			out[to] = map[string]string{}
		}
		out[to][subject] = strings.ReplaceAll(string(text), "\r\n", "\n")
	}
	return out, len(msgs)
}

// TestEscalationMails: the pass on day 13 escalates nothing; on day 14 it
// escalates the batch and mails the operators and the fallback group
// (with commands that work), once; on day 15 nothing more. Nothing is
// approved by waiting; the fallback approver approves with the command
// the mail gave.
func TestEscalationMails(t *testing.T) {
	e := newTestEnv(t, t.TempDir())
	ctx := context.Background()
	e.src.Put("two/a.txt", []byte("a"), start.Add(-5*24*time.Hour))
	e.src.Put("solo/a.txt", []byte("a"), start.Add(-5*24*time.Hour))
	bs := e.plan()
	two, solo := bs["TWO"], bs["SOLO"]
	if _, _, err := e.p.Approve(ctx, two.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	e.pass()
	_, seen := e.mails(0)

	e.at(2)
	e.pass()
	if got, n := e.mails(seen); len(got) != 0 {
		t.Fatalf("day 2: mails %v", got)
	} else {
		seen = n
	}

	// Day 3: SOLO (escalate_after P3D, no escalate_to): the operators
	// are told, nobody else.
	e.at(3)
	e.pass()
	got, n := e.mails(seen)
	seen = n
	ops := got["it@skole.example"]
	soloSubject := fmt.Sprintf("retentiond: batch %d (SOLO) has waited more than 3 days for approval", solo.ID)
	if len(got) != 1 || len(ops) != 1 || !strings.Contains(ops[soloSubject], "names no escalate_to group, so only group dpo can approve") ||
		!strings.Contains(ops[soloSubject], "Nothing is deleted by waiting") || !strings.Contains(ops[soloSubject], fmt.Sprintf("retentiond batches show %d --config ", solo.ID)) {
		t.Fatalf("day 3: %v", got)
	}

	e.at(13)
	e.pass()
	if got, n := e.mails(seen); len(got) != 0 {
		t.Fatalf("day 13: mails %v", got)
	} else {
		seen = n
	}

	e.at(14)
	e.pass()
	got, n = e.mails(seen)
	seen = n
	subject := fmt.Sprintf("retentiond: batch %d (TWO) has waited more than 14 days for approval", two.ID)
	if text := got["it@skole.example"][subject]; !strings.Contains(text, "It was offered to group deputies (dora)") || !strings.Contains(text, "stage 2, group dpo") {
		t.Errorf("operators' mail on day 14: %v", got["it@skole.example"])
	}
	var dora string
	for s, text := range got["dora@skole.example"] {
		if strings.HasPrefix(s, fmt.Sprintf("retentiond: batch %d was escalated to you", two.ID)) {
			dora = text
		}
	}
	for _, want := range []string{"you may now\napprove stage 2 in place of group dpo",
		fmt.Sprintf("retentiond batches approve %d --as dora --config %s", two.ID, ConfigFlag(e.p.Config.File)[len("--config "):]),
		"waiting never approves it", "stage 1: 1 of 1 from group leaders; stage 2: 0 of 1 from group dpo"} {
		if !strings.Contains(dora, want) {
			t.Errorf("dora's mail lacks %q:\n%s", want, dora)
		}
	}
	if _, ok := got["anna@skole.example"]; ok {
		t.Errorf("anna, who approved, was told of the escalation: %v", got["anna@skole.example"])
	}

	e.at(15)
	e.pass()
	if got, _ := e.mails(seen); len(got) != 0 {
		t.Fatalf("day 15: mails again %v", got)
	}
	for _, id := range []int64{two.ID, solo.ID} {
		b, _ := e.p.Store.Batch(ctx, id)
		if b.Status != store.StatusPending || b.EscalatedAt.IsZero() {
			t.Fatalf("batch %d after waiting: %s, escalated %v", id, b.Status, b.EscalatedAt)
		}
	}
	if rs, err := e.p.Execute(ctx, 0, "it"); err != nil || len(rs) != 0 {
		t.Fatalf("executed what nobody approved: %+v %v", rs, err)
	}
	if b, _, err := e.p.Approve(ctx, two.ID, "dora", ""); err != nil || b.Status != store.StatusApproved {
		t.Fatalf("dora: %v", err)
	}
	escalations := 0
	err := e.p.Store.Entries(ctx, func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		if en.Type == ledger.TypeEscalation {
			escalations++
		}
		return err
	})
	if err != nil || escalations != 2 {
		t.Fatalf("%d escalation entries (%v)", escalations, err)
	}
}

// TestMailCommandsNameTheConfiguration: the commands in an approver's
// mail carry --config (quoted for a shell) when the configuration is not
// the default file, and do not when it is.
func TestMailCommandsNameTheConfiguration(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"/etc/x y/retentiond.yaml", `--config '/etc/x y/retentiond.yaml'`},
		{"/etc/retentiond/retentiond.yaml", `--config /etc/retentiond/retentiond.yaml`},
		{"/srv/it's/r.yaml", `--config '/srv/it'\''s/r.yaml'`},
	} {
		if got := ConfigFlag(c.path); got != c.want {
			t.Errorf("ConfigFlag(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	if got := shellQuote(`C:\Program Files\retentiond\retentiond.yaml`, true); got != `"C:\Program Files\retentiond\retentiond.yaml"` {
		t.Errorf("windows quoting: %s", got)
	}
	if got := shellQuote(`C:\ProgramData\retentiond\retentiond.yaml`, true); got != `C:\ProgramData\retentiond\retentiond.yaml` {
		t.Errorf("windows quoting: %s", got)
	}

	awaiting := func(e *testEnv) string {
		t.Helper()
		e.src.Put("two/a.txt", []byte("a"), start.Add(-5*24*time.Hour))
		b := e.plan()["TWO"]
		e.pass()
		got, _ := e.mails(0)
		text := got["anna@skole.example"][fmt.Sprintf("retentiond: batch %d awaits your approval (TWO, 1 item, 1 B, on src)", b.ID)]
		if text == "" {
			t.Fatalf("no mail to anna: %v", got)
		}
		return text
	}

	t.Run("other", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x y")
		text := awaiting(newTestEnv(t, dir))
		flag := "--config '" + filepath.Join(dir, "retentiond.yaml") + "'"
		for _, want := range []string{"retentiond batches show 1 " + flag, "retentiond batches approve 1 --as anna " + flag,
			`retentiond batches reject 1 --as anna --reason "..." ` + flag} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("mail lacks %q:\n%s", want, text)
			}
		}
	})
	t.Run("default", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir) // ./retentiond.yaml is the default
		text := awaiting(newTestEnv(t, dir))
		for _, want := range []string{"    retentiond batches show 1\n", "    retentiond batches approve 1 --as anna\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("mail lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "--config") {
			t.Errorf("mail for the default configuration names it:\n%s", text)
		}
	})
}
