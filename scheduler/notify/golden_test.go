package notify

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
	"github.com/retentiond/retentiond/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const goldenPolicy = `version: 1
id: golden
rules:
  - id: TWO
    title: Elevmapper efter udmeldelse
    type: delete_after
    path: "two/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
    escalate_to: deputies
  - id: SOLO
    title: Ansøgninger
    type: delete_after
    path: "solo/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: dpo, count: 1}
    escalate_after: P3D
  - id: BIG
    title: Eksporter
    type: delete_after
    path: "big/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: dpo, count: 1}
    guard: {max_items: 1}
  - id: FAIL
    title: Midlertidige filer
    type: delete_after
    path: "fail/**"
    from: item.modified
    keep: P1D
    approval: none
  - id: OLD
    title: Filer uændret i 3 år
    type: delete_after
    path: "old/**"
    from: item.modified
    keep: P1D
    owner_notice: P14D
    approval: none
`

const goldenConfig = `version: 1
%s
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, name: Anna Ærø, roles: [approver], groups: [leaders], email: anna@skole.example}
  - {id: bo, name: Bo, roles: [approver], groups: [dpo], email: bo@skole.example}
  - {id: dora, name: Dora, roles: [approver], groups: [deputies], email: dora@skole.example}
  - {id: it, name: IT-drift, roles: [operator], email: it@skole.example}
sources:
  - name: src
    kind: memory
    options: {name: %s}
web:
  listen: 127.0.0.1:8080
  url: https://retentiond.skole.example
  links: true
notify:
  smtp:
    host: %s
    port: %d
    from: "retentiond <retentiond@skole.example>"
    username: %s
    password_file: %s
    ca_file: %s
  remind_after: 72h
  owner_email: "{user}@skole.example"
`

// received is one mail the relay took.
type received struct{ to, subject, text string }

// goldenMails runs a school's first two weeks with the configuration's
// locale line (e.g. "locale: sv", or "" for the default) and returns
// every mail sent, grouped by what happened: "day0-anna" are the mails
// anna was sent on day 0.
func goldenMails(t *testing.T, localeLine string) map[string][]received {
	dir := t.TempDir()
	t.Chdir(dir) // ./retentiond.yaml: the commands carry no --config
	name := strings.ReplaceAll(t.Name(), "/", "_")
	src := memory.New(name)
	memory.Register(name, src)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(goldenPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "retentiond.yaml")
	text := fmt.Sprintf(goldenConfig, localeLine, name, srv.Host, srv.Port, smtptest.User, smtptest.PasswordFile(t), srv.CAFile)
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
	sender := SMTP{Relay: *cfg.Notify.SMTP, Now: func() time.Time { return p.Clock.Now() }}
	n := &Notifier{P: p, Log: zap.NewNop(), Sender: sender}
	ctx := context.Background()

	old := start.Add(-5 * 24 * time.Hour)
	for _, ref := range []string{"two/a.txt", "two/b.txt", "solo/a.txt", "big/a.txt", "big/b.txt", "fail/a.txt",
		"old/rapport.docx", "old/plan.xlsx", "old/<script>\x1b[2J\"x\".txt"} {
		src.Put(ref, []byte(ref), old)
	}
	src.SetOwner("old/rapport.docx", "lis")
	src.SetOwner("old/plan.xlsx", "lis")
	src.SetFaults(memory.Faults{BeforeDelete: func(ref string) error {
		if strings.HasPrefix(ref, "fail/") {
			return errors.New("permission denied")
		}
		return nil
	}})

	out := map[string][]received{}
	seen := 0
	collect := func(step string) {
		t.Helper()
		msgs, _ := srv.Received()
		for _, m := range msgs[seen:] {
			pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
			if err != nil {
				t.Fatal(err)
			}
			to := strings.Join(m.To, ",")
			key := step + "-" + strings.TrimSuffix(to, "@skole.example")
			out[key] = append(out[key], received{to: to, subject: subject, text: strings.ReplaceAll(string(body), "\r\n", "\n")})
		}
		seen = len(msgs)
	}
	pass := func() {
		t.Helper()
		if err := n.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := p.Plan(ctx, scheduler.PlanOptions{Source: "src", Planner: "it"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Execute(ctx, 0, "it"); err != nil {
		t.Fatal(err)
	}
	pass()
	collect("day0")
	if err := n.SourceFailed(ctx, "src", errors.New("list two/: permission denied")); err != nil {
		t.Fatal(err)
	}
	collect("sourcefailed")
	if err := n.BatchFailed(ctx, 4, errors.New("delete fail/a.txt: the share went away")); err != nil {
		t.Fatal(err)
	}
	collect("batchfailed")
	// An instruction is issued only for a system without a deletion API;
	// its overdue mail is made from the instruction as the store has it.
	if err := n.send(ctx, n.instructionOverdue(n.words(), store.Instruction{ID: "I-3", System: "Lectio", Lines: 12, Deadline: "2026-12-06"})); err != nil {
		t.Fatal(err)
	}
	collect("instruction")
	if err := sender.Send(ctx, TestMail(p.Config, "it@skole.example")); err != nil {
		t.Fatal(err)
	}
	collect("test")

	p.Clock = scheduler.FixedClock{T: start.Add(3 * 24 * time.Hour)}
	pass()
	collect("day3")
	p.Clock = scheduler.FixedClock{T: start.Add(14 * 24 * time.Hour)}
	pass()
	collect("day14")
	return out
}

// TestMailsGolden: every mail retentiond sends, in Danish (the default),
// Swedish and English, against testdata/mails/*.{da,sv,en}.txt (go test
// -run TestMailsGolden -update rewrites them). Beyond the golden files:
// each language sends the same mails to the same people; the mails use
// the glossary's words and none of another language's; every approver's
// mail links to the batch's page in the console and keeps the command;
// no text is a broken format; a hostile file name is escaped.
func TestMailsGolden(t *testing.T) {
	testdata, err := filepath.Abs("testdata") // before goldenMails changes the directory
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string][]received{}
	for _, lang := range []string{"da", "sv", "en"} {
		t.Run(lang, func(t *testing.T) {
			line := "locale: " + lang
			if lang == "da" {
				line = "" // the default
			}
			mails := goldenMails(t, line)
			got[lang] = mails
			for key, ms := range mails {
				var b strings.Builder
				for i, m := range ms {
					if i > 0 {
						b.WriteString("\n======================================================================\n\n")
					}
					fmt.Fprintf(&b, "To: %s\nSubject: %s\n\n%s", m.to, m.subject, m.text)
				}
				golden := filepath.Join(testdata, "mails", key+"."+lang+".txt")
				checkGolden(t, golden, []byte(b.String()))
			}
			for _, want := range []string{"day0-anna", "day0-bo", "day0-it", "day0-lis", "sourcefailed-it", "batchfailed-it",
				"instruction-it", "test-it", "day3-anna", "day3-bo", "day3-it", "day14-it", "day14-dora"} {
				if len(mails[want]) == 0 {
					t.Errorf("no mail %s", want)
				}
			}
		})
	}
	if len(got) != 3 {
		return
	}
	// The same mails to the same people in every language.
	for _, lang := range []string{"sv", "en"} {
		for key, ms := range got["da"] {
			if len(got[lang][key]) != len(ms) {
				t.Errorf("%s: %d mail(s) in Danish, %d in %s", key, len(ms), len(got[lang][key]), lang)
			}
		}
		if len(got[lang]) != len(got["da"]) {
			t.Errorf("%d recipients and steps in Danish, %d in %s", len(got["da"]), len(got[lang]), lang)
		}
	}
	words := map[string]struct{ must, never []string }{
		"da": {must: []string{"sletteliste", "godkend", "Sletteregel", "Kilde", "slettes"},
			never: []string{"Batch ", "batch ", "awaits", "Nothing", "gallr", "godkänn", "Source:", "item"}},
		"sv": {must: []string{"gallringslista", "godkänn", "Gallringsregel", "Källa", "gallras"},
			never: []string{"Batch ", "batch ", "awaits", "Nothing", "slette", "godkend", "Source:", "item"}},
		"en": {must: []string{"batch", "approve", "Rule", "Source", "deleted"},
			never: []string{"slette", "gallr", "godkend", "godkänn"}},
	}
	link := regexp.MustCompile(`\n    https://retentiond\.skole\.example/batches/(\d+)\n    retentiond batches show (\d+)\n`)
	for lang, mails := range got {
		var all strings.Builder
		for key, ms := range mails {
			for _, m := range ms {
				text := m.subject + "\n" + m.text
				all.WriteString(text)
				if strings.Contains(text, "%!") {
					t.Errorf("%s %s: a broken format:\n%s", lang, key, text)
				}
				if len(m.subject) > 120 {
					t.Errorf("%s %s: subject of %d bytes: %s", lang, key, len(m.subject), m.subject)
				}
				// Commands are typed, not translated; words are.
				if prose := regexp.MustCompile(`(?m)^    retentiond .*$`).ReplaceAllString(m.text, ""); lang != "en" {
					for _, never := range words[lang].never {
						if strings.Contains(prose, never) {
							t.Errorf("%s %s: %q in:\n%s", lang, key, never, prose)
						}
					}
				}
				if strings.Contains(m.text, "\x1b") {
					t.Errorf("%s %s: a file's name not escaped:\n%s", lang, key, m.text)
				}
			}
		}
		for _, must := range words[lang].must {
			if !strings.Contains(all.String(), must) {
				t.Errorf("%s: no mail says %q", lang, must)
			}
		}
		for _, key := range []string{"day0-anna", "day0-bo", "day3-anna", "day14-dora"} {
			for _, m := range mails[key] {
				ms := link.FindAllStringSubmatch(m.text, -1)
				if len(ms) == 0 {
					t.Errorf("%s %s: no link to the console before the command:\n%s", lang, key, m.text)
				}
				for _, sm := range ms {
					if sm[1] != sm[2] {
						t.Errorf("%s %s: link to batch %s, command for %s", lang, key, sm[1], sm[2])
					}
				}
			}
		}
	}
}

// checkGolden compares got with the golden file, or writes it with
// -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant:\n%s", golden, got, want)
	}
}

// fmtArgs are the arguments a format takes: "1d 2s" for "%[1]d … %[2]s",
// in the order of their numbers; a format without numbers gives them
// in order.
func fmtArgs(format string) []string {
	var out []string
	next := 1
	for _, m := range regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`).FindAllStringSubmatch(format, -1) {
		if m[2] == "%" {
			continue
		}
		i := next
		if m[1] != "" {
			fmt.Sscan(m[1], &i)
		}
		next = i + 1
		out = append(out, fmt.Sprintf("%d%s", i, m[2]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestMailWordsComplete: every text is in Danish, Swedish and English,
// and each language's takes the same arguments with the same verbs
// (a translation that drops or swaps one would print %!d(string=…)).
func TestMailWordsComplete(t *testing.T) {
	if len(mailWords) != len(configs.Locales) {
		t.Fatalf("mail words in %d languages, configs.Locales has %d", len(mailWords), len(configs.Locales))
	}
	for _, lang := range configs.Locales {
		if mailWords[lang] == nil {
			t.Fatalf("no mail words in %s", lang)
		}
	}
	for key, en := range mailWords["en"] {
		for _, lang := range configs.Locales {
			text, ok := mailWords[lang][key]
			if !ok {
				t.Errorf("%s: missing in %s", key, lang)
				continue
			}
			if a, b := fmtArgs(text), fmtArgs(en); !slices.Equal(a, b) {
				t.Errorf("%s: %s takes %v, en %v", key, lang, a, b)
			}
		}
	}
	for _, lang := range configs.Locales {
		if len(mailWords[lang]) != len(mailWords["en"]) {
			t.Errorf("%s has %d texts, en %d", lang, len(mailWords[lang]), len(mailWords["en"]))
		}
	}
	if got := fmtArgs("%[2]s x %[1]d %s %-8s %d%%"); !slices.Equal(got, []string{"1d", "2s", "3s", "4d"}) {
		t.Errorf("fmtArgs %v", got)
	}
}

// TestMailNumbers: sizes, counts and periods as each language writes
// them, and an unknown language is Danish.
func TestMailNumbers(t *testing.T) {
	da, sv, en := wordsFor("da"), wordsFor("sv"), wordsFor("en")
	for _, c := range []struct{ got, want string }{
		{da.size(1), "1 B"}, {da.size(1536), "1,5 kB"}, {sv.size(3_400_000), "3,4 MB"}, {en.size(3_400_000), "3.4 MB"},
		{da.count("item", 1), "1 element"}, {da.count("item", 2), "2 elementer"}, {sv.count("item", 2), "2 objekt"},
		{en.count("item", 1), "1 item"}, {en.count("file", 3), "3 files"},
		{da.days(5 * time.Hour), "5 timer"}, {sv.days(49 * time.Hour), "2 dagar"}, {en.days(24 * time.Hour), "1 day"},
		{da.period(policies.Period{Years: 1, Months: 2}), "1 år og 2 måneder"},
		{sv.period(policies.Period{Weeks: 1, Days: 3}), "1 vecka och 3 dagar"},
		{en.period(policies.Period{Days: 14}), "14 days"},
		{wordsFor("de").lang, "da"}, {wordsFor("").lang, "da"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestMailLanguageFollowsReload: the mails take the locale of the
// configuration in force, so a reload that changes it changes the next
// mail's language.
func TestMailLanguageFollowsReload(t *testing.T) {
	dir := t.TempDir()
	e := newTestEnv(t, dir) // locale: en
	ctx := context.Background()
	if err := e.n.SourceFailed(ctx, "src", errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "retentiond.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte("locale: en\n"), []byte("locale: sv\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(file, connectors.NewRegistry(memory.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	e.p.SetConfig(cfg)
	e.at(1) // the source-failed alert is sent once a day
	if err := e.n.SourceFailed(ctx, "src", errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	got, _ := e.mails(0)
	ops := got["it@skole.example"]
	if ops["retentiond: source src could not be planned"] == "" || !strings.Contains(ops["retentiond: källan src kunde inte planeras"], "Inget gallrades") {
		t.Fatalf("mails before and after the reload: %v", ops)
	}
}
