package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/robfig/cron/v3"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/google"
)

// testOptions are the options of the test connector kind. Validate makes
// the loader's call of it observable.
type testOptions struct {
	Root string `yaml:"root"`
}

func (o *testOptions) Validate() error {
	if !strings.HasPrefix(o.Root, "/") {
		return errors.New("root must be absolute")
	}
	return nil
}

func testKind(name string) connectors.Kind {
	return connectors.Kind{
		Name:      name,
		NewConfig: func() any { return &testOptions{} },
		Open: func(context.Context, connectors.Env, any) (connectors.Connector, error) {
			return nil, errors.New("not opened in these tests")
		},
	}
}

// testRegistry holds the kinds the test configurations use; several, so
// that a message listing the known kinds is seen to list them all. The
// google kind is real, for the corpus's google-*.yaml: its options are
// decoded and validated as in production (Open is never called).
func testRegistry() *connectors.Registry {
	return connectors.NewRegistry(testKind("testkind"), testKind("othertest"), google.Kind())
}

func abs(t testing.TB, path string) string {
	t.Helper()
	a, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGoodConfigDefaults(t *testing.T) {
	file := filepath.Join("testdata", "good-configs", "good.yaml")
	c, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	dir := abs(t, filepath.Join("testdata", "good-configs"))
	if c.File != filepath.Join(dir, "good.yaml") || c.Dir != dir {
		t.Errorf("File %q, Dir %q: want them absolute", c.File, c.Dir)
	}
	for _, p := range []struct{ name, got, want string }{
		{"database", c.Database, filepath.Join(dir, "data", "retentiond.db")},
		{"keys.signing", c.Keys.Signing, filepath.Join(dir, "secrets", "ledger.key")},
		{"keys.references (default)", c.Keys.References, filepath.Join(dir, "keys", "references.key")},
	} {
		if p.got != p.want {
			t.Errorf("%s = %q, want %q", p.name, p.got, p.want)
		}
	}
	policy := abs(t, filepath.Join("testdata", "good-policy.yaml"))
	if !slices.Equal(c.PolicyFiles, []string{policy}) {
		t.Errorf("policy files %q, want %q", c.PolicyFiles, policy)
	}
	if c.Location == nil || c.Location.String() != DefaultTimezone || DefaultTimezone != "Europe/Copenhagen" {
		t.Errorf("time zone %v, want Europe/Copenhagen", c.Location)
	}
	if c.Policies == nil || c.Policies.Location != c.Location {
		t.Error("the policy set does not count days in the configured zone")
	}
	if c.ExecuteSchedule != DefaultExecuteSchedule || DefaultExecuteSchedule != "*/15 * * * *" {
		t.Errorf("execute schedule %q, want the default %q", c.ExecuteSchedule, DefaultExecuteSchedule)
	}
	if c.Log != (Log{Level: "info", Format: "json"}) {
		t.Errorf("log defaults: %+v", c.Log)
	}
	if c.Origin != "retentiond.test-skole.dk/ledger" {
		t.Errorf("origin %q", c.Origin)
	}
	src, ok := c.Source("share")
	if !ok || src.Kind.Name != "testkind" || src.Schedule != "0 2 * * *" {
		t.Fatalf("source: %+v", src)
	}
	if o, ok := src.Options.(*testOptions); !ok || o.Root != "/srv/share" {
		t.Errorf("options decoded into %#v", src.Options)
	}
	if _, ok := c.Source("other"); ok {
		t.Error("a source that is not configured was found")
	}
	if r := c.Policies.Rule("G1"); r == nil || r.Policy.File != policy {
		t.Errorf("rule G1 not loaded from %s", policy)
	}
	anna, ok := c.Person("anna")
	if !ok || anna.Name != "Anna Skoleleder" || !anna.Has(RoleApprover) || anna.Has(RoleOperator) {
		t.Errorf("anna: %+v", anna)
	}
	// bo is in leaders but is no approver: he does not count.
	if got := c.GroupMembers("leaders"); !slices.Equal(got, []string{"anna"}) {
		t.Errorf("leaders' approvers: %q", got)
	}
	if _, err := src.Open(context.Background(), connectors.Env{Source: "share"}); err == nil ||
		!strings.Contains(err.Error(), `open source "share"`) {
		t.Errorf("Open does not name the source: %v", err)
	}
}

func TestGoodConfigExplicit(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "good-configs", "explicit.yaml"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if c.Location.String() != "Europe/Stockholm" || c.ExecuteSchedule != "30 6 * * 1-5" {
		t.Errorf("zone %v, schedule %q", c.Location, c.ExecuteSchedule)
	}
	if c.Database != "/var/lib/retentiond/r.db" ||
		c.Keys != (Keys{Signing: "/etc/retentiond/ledger.key", References: "/etc/retentiond/references.key"}) {
		t.Errorf("absolute paths changed: %q %+v", c.Database, c.Keys)
	}
	if c.Log != (Log{Level: "debug", Format: "console"}) {
		t.Errorf("log: %+v", c.Log)
	}
	if src, _ := c.Source("share"); src.Schedule != "" {
		t.Errorf("a source without schedule got %q", src.Schedule)
	}
}

// TestShippedDefaultsInAConfig: the default policy loads through a
// configuration that provides its approval groups, and fails to when one
// group lacks approvers.
func TestShippedDefaultsInAConfig(t *testing.T) {
	dir := t.TempDir()
	b, err := DefaultPolicy("fileshare.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fileshare.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(people string) string {
		return "version: 1\nledger: {origin: skole.example/ledger}\npolicies: [fileshare.yaml]\n" +
			"people:\n" + people + "sources: [{name: share, kind: testkind, options: {root: /srv}}]\n"
	}
	file := filepath.Join(dir, "retentiond.yaml")
	c, err := Parse(file, []byte(config("  - {id: anna, roles: [approver], groups: [leaders]}\n  - {id: dpo, roles: [approver], groups: [dpo]}\n")), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"S3", "S4", "P3", "C1", "O1"} {
		if c.Policies.Rule(id) == nil {
			t.Errorf("rule %s missing", id)
		}
	}
	_, err = Parse(file, []byte(config("  - {id: anna, roles: [approver], groups: [leaders]}\n")), testRegistry())
	// P3, the third rule, asks for dpo in the second stage of its approval.
	want := filepath.Join(dir, "fileshare.yaml") + `:66: rules[2].approval[1]: needs 1 approver(s) from group "dpo", but retentiond.yaml names 0`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestBadConfigs(t *testing.T) {
	corpus := readCorpus(t, "bad-configs")
	if len(corpus) < 20 {
		t.Fatalf("the bad-config corpus has only %d files", len(corpus))
	}
	for _, c := range corpus {
		t.Run(strings.TrimSuffix(filepath.Base(c.path), ".yaml"), func(t *testing.T) {
			if c.want != wantEmpty && !lineAndField.MatchString(c.want) {
				t.Fatalf("want %q names no line", c.want)
			}
			file := abs(t, c.path)
			cfg, err := Load(c.path, testRegistry())
			if err == nil {
				t.Fatalf("loaded without error: %+v", cfg)
			}
			if cfg != nil {
				t.Error("a configuration returned along with an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, c.want)
			}
			errs := fieldErrors(t, err)
			i := slices.IndexFunc(errs, func(fe *FieldError) bool { return strings.Contains(fe.Error(), c.want) })
			if i < 0 {
				t.Errorf("no single problem contains %q:\n%v", c.want, err)
			} else if line := wantLine(c.want); errs[i].Line != line {
				t.Errorf("problem on line %d, want line %d: %v", errs[i].Line, line, errs[i])
			}
			for _, fe := range errs {
				switch {
				case fe.File == "":
					t.Errorf("problem without a file: %+v", *fe)
				case fe.File == file:
				default:
					// A problem in a policy file names that file.
					if !filepath.IsAbs(fe.File) || filepath.Ext(fe.File) != ".yaml" || !slices.Contains(policyFilesOf(t, file), fe.File) {
						t.Errorf("problem names %q, which is neither the configuration nor one of its policies", fe.File)
					}
				}
				// Every problem but an empty file's names its line, in the
				// configuration or in the policy file.
				if c.want != wantEmpty && fe.Line <= 0 {
					t.Errorf("problem without a line: %+v", *fe)
				}
			}
			// Parse of the same text gives the same answer.
			if _, perr := Parse(file, c.data, testRegistry()); perr == nil || perr.Error() != err.Error() {
				t.Errorf("Parse gave\n%v\nLoad\n%v", perr, err)
			}
		})
	}
}

// policyFilesOf returns the policy files a configuration names, resolved.
func policyFilesOf(t testing.TB, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDoc(file, b)
	if err != nil {
		return nil
	}
	var cf struct {
		Policies []string `yaml:"policies"`
	}
	_ = d.root.Decode(&cf) // what it decodes is enough
	var out []string
	for _, p := range cf.Policies {
		out = append(out, filepath.Join(filepath.Dir(file), p))
	}
	return out
}

// TestPolicyProblemsNamePolicyFile: Load reports a problem inside a policy
// file against that file and its line, and keeps the configuration's own
// problems, all in one error.
func TestPolicyProblemsNamePolicyFile(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policies", "p.yaml")
	if err := os.MkdirAll(filepath.Dir(policy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte("version: 1\nid: p\nrules:\n  - id: R\n    type: delete_after\n    from: item.modified\n    keep: P3X\n    approval: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "c.yaml")
	src := "version: 1\nledger: {origin: x}\npolicies: [policies/p.yaml]\npeople: [{id: a, roles: [approver]}]\n" +
		"sources: [{name: s, kind: testkind, options: {root: /x}}]\nlog: {level: loud}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, testRegistry())
	if err == nil {
		t.Fatal("loaded without error")
	}
	errs := fieldErrors(t, err)
	var inPolicy, inConfig *FieldError
	for _, fe := range errs {
		switch fe.File {
		case policy:
			inPolicy = fe
		case file:
			inConfig = fe
		default:
			t.Errorf("problem in an unexpected file: %v", fe)
		}
	}
	if inPolicy == nil || inPolicy.Line != 7 || inPolicy.Field != "rules[0].keep" || !strings.Contains(inPolicy.Msg, `"P3X" is not a duration`) {
		t.Errorf("policy problem: %+v", inPolicy)
	}
	if inConfig == nil || inConfig.Line != 6 || inConfig.Field != "log.level" {
		t.Errorf("configuration problem: %+v", inConfig)
	}
	if len(errs) != 2 {
		t.Errorf("%d problems, want 2:\n%v", len(errs), err)
	}
}

// TestRuleIDsUniqueAcrossPolicies: two policy files defining the same rule
// id, or the same policy id, cannot be loaded together; the problem is
// reported at the second one's line. A file listed twice is reported in the
// configuration.
func TestRuleIDsUniqueAcrossPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rule := "rules:\n  - {id: Q, type: delete_after, from: item.modified, keep: P1D, approval: none}\n  - {id: R, type: delete_after, from: item.modified, keep: P1D, approval: none}\n"
	write("a.yaml", "version: 1\nid: a\n"+rule)
	b := write("b.yaml", "version: 1\n\nid: b\nrules:\n  - {id: S, type: delete_after, from: item.modified, keep: P1D, approval: none}\n  - {id: R, type: delete_after, from: item.modified, keep: P1D, approval: none}\n")
	a2 := write("a2.yaml", "version: 1\n\n\nid: a\nrules:\n  - {id: T, type: delete_after, from: item.modified, keep: P1D, approval: none}\n")
	file := filepath.Join(dir, "c.yaml")
	for _, c := range []struct {
		policies string
		want     FieldError
	}{
		{"[a.yaml, b.yaml]", FieldError{File: b, Line: 6, Field: "rules[1].id", Msg: `rule id "R" is defined in policy "a" and again in "b"`}},
		{"[a.yaml, a2.yaml]", FieldError{File: a2, Line: 4, Field: "id", Msg: `policy id "a" is used by two policy files: a.yaml and a2.yaml`}},
		{"[a.yaml, a.yaml]", FieldError{File: file, Line: 3, Field: "policies[1]", Msg: `a.yaml is listed twice (also as policies[0])`}},
	} {
		src := "version: 1\nledger: {origin: x}\npolicies: " + c.policies + "\npeople: [{id: a, roles: [operator]}]\nsources: [{name: s, kind: testkind, options: {root: /x}}]\n"
		_, err := Parse(file, []byte(src), testRegistry())
		if err == nil {
			t.Errorf("policies %s: loaded", c.policies)
			continue
		}
		if fe := fieldErrors(t, err); len(fe) != 1 || *fe[0] != c.want {
			t.Errorf("policies %s: got\n%v\nwant\n%v", c.policies, err, &c.want)
		}
	}
}

// TestErrorsGroupedByFile: the problems of one load are grouped by file, the
// configuration's first and then each policy file's in the order it lists
// them, by line within each, although their lines interleave.
func TestErrorsGroupedByFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A problem on line 7 (keep), which fails the file on its own.
	p := write("p.yaml", "version: 1\nid: p\nrules:\n  - id: R\n    type: delete_after\n    sources: [nope]\n    keep: P3X\n    from: item.modified\n    approval: none\n")
	// Problems with the configuration on lines 5 (an unknown source) and
	// 9 (no leaders to approve).
	q := write("q.yaml", "version: 1\nid: q\nrules:\n  - id: S\n    sources: [nope]\n    type: delete_after\n    from: item.modified\n    keep: P1D\n    approval: [{group: leaders, count: 2}]\n")
	file := filepath.Join(dir, "c.yaml")
	src := "version: 1\nledger: {origin: x}\ntimezone: Mars/Olympus\npolicies: [q.yaml, p.yaml]\npeople: [{id: a, roles: [operator]}]\n" +
		"sources: [{name: s, kind: testkind, options: {root: /x}}]\n" +
		"log: {level: loud}\n\n\n\nexecute: {schedule: never}\n"
	write("c.yaml", src)
	_, err := Load(file, testRegistry())
	if err == nil {
		t.Fatal("loaded without error")
	}
	// The configuration's timezone, log.level and execute.schedule, then
	// q.yaml's, then p.yaml's.
	want := []struct {
		file string
		line int
	}{{file, 3}, {file, 7}, {file, 11}, {q, 5}, {q, 9}, {p, 7}}
	errs := fieldErrors(t, err)
	if len(errs) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if errs[i].File != w.file || errs[i].Line != w.line {
			t.Errorf("problem %d is %v, want one at %s:%d", i, errs[i], w.file, w.line)
		}
	}
}

func TestMissingConfigNamesNextStep(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), testRegistry())
	if err == nil || !strings.Contains(err.Error(), "retentiond demo") || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("%v", err)
	}
}

// TestCheckSchedule: schedules are checked as the daemon's cron reads them,
// including a time zone prefix, on which the cron parser itself panics
// unless a space and a schedule follow it; any other panic of the parser is
// an error too.
func TestCheckSchedule(t *testing.T) {
	for _, c := range []struct{ spec, err string }{
		{"0 2 * * *", ""},
		{"@daily", ""},
		{"CRON_TZ=Europe/Copenhagen 0 2 * * *", ""},
		{"TZ=UTC */15 * * * *", ""},
		{"CRON_TZ=Europe/Copenhagen", "CRON_TZ= must be followed by a time zone, a space and the schedule"},
		{"CRON_TZ=Europe/Copenhagen\t0\t2\t*\t*\t*", "CRON_TZ= must be followed by a time zone, a space and the schedule"},
		{"TZ=", "TZ= must be followed by a time zone, a space and the schedule"},
		{"TZ= 0 2 * * *", "TZ= names no time zone"},
		{"CRON_TZ=Mars/Olympus 0 2 * * *", "provided bad location Mars/Olympus"},
		{"TZ=UTC ", "expected exactly 5 fields"},
		{"0 2 * *", "expected exactly 5 fields"},
	} {
		err := checkSchedule(c.spec)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: got %v, want %q", c.spec, err, c.err)
		}
	}

	defer func(p func(string) (cron.Schedule, error)) { parseCron = p }(parseCron)
	parseCron = func(string) (cron.Schedule, error) { panic("index out of range") }
	if err := checkSchedule("0 2 * * *"); err == nil || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("a panic in the cron parser: %v", err)
	}
}

func TestNotifyConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "policy.yaml"), must(os.ReadFile(filepath.Join("testdata", "good-policy.yaml"))), 0o644)
	file := filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(file, []byte(`version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, email: "Anna Holm <anna@skole.example>", roles: [approver], groups: [leaders]}
  - {id: it, email: it@skole.example, roles: [operator]}
  - {id: bo, roles: [operator]}
sources:
  - {name: share, kind: testkind, options: {root: /srv/share}}
notify:
  smtp:
    host: smtp.skole.example
    from: retentiond@skole.example
    username: retentiond
    password_file: secrets/smtp.password
`), 0o644)
	cfg, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Notify
	if n == nil || n.SMTP == nil || n.Graph != nil {
		t.Fatalf("notify: %+v", n)
	}
	if n.SMTP.PasswordFile != filepath.Join(dir, "secrets", "smtp.password") || n.SMTP.Port != 0 || n.SMTP.StartTLS != "" {
		t.Errorf("smtp: %+v", *n.SMTP)
	}
	// Operators default to the people with role operator who have an
	// address; reminders to every 72 hours.
	if strings.Join(n.Operators, ",") != "it" || n.RemindAfter != DefaultRemindAfter {
		t.Errorf("operators %v, remind after %v", n.Operators, n.RemindAfter)
	}
	if p, _ := cfg.Person("anna"); p.Email != "Anna Holm <anna@skole.example>" {
		t.Errorf("anna's email %q", p.Email)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestOwnerAddress(t *testing.T) {
	n := &Notify{OwnerEmail: "{user}@skole.example"}
	for owner, want := range map[string]string{
		"anna":               "anna@skole.example",
		`SKOLE\anna`:         "anna@skole.example",
		"anna@skole.local":   "anna@skole.example",
		`SKOLE\bo@skole.dk`:  "bo@skole.example",
		"":                   "",
		`SKOLE\`:             "",
		"anna <x@evil>":      "",
		"a,b":                "",
		"anna\r\nBcc: x@y.z": "",
	} {
		if got := n.OwnerAddress(owner); got != want {
			t.Errorf("OwnerAddress(%q) = %q, want %q", owner, got, want)
		}
	}
	if got := (&Notify{}).OwnerAddress("anna"); got != "" {
		t.Errorf("without owner_email: %q", got)
	}
	if got := (*Notify)(nil).OwnerAddress("anna"); got != "" {
		t.Errorf("without notify: %q", got)
	}
}
