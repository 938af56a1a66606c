package configs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/retentiond/retentiond/policies"
)

// addSeeds adds every YAML file under the testdata directories dirs.
func addSeeds(f *testing.F, dirs ...string) {
	f.Helper()
	n := 0
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seeds in %v", dirs)
	}
}

// lineCount bounds the number of lines of data as YAML counts them: it
// breaks lines at \n, \r, NEL, LS and PS (so "\r\n" counts twice here).
func lineCount(data []byte) int {
	n := 1
	for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += bytes.Count(data, []byte(br))
	}
	return n
}

// checkLoadError checks the failure contract: a *LoadError whose every
// problem names file, and a line within the text.
func checkLoadError(t *testing.T, err error, data []byte, files ...string) {
	t.Helper()
	le, ok := err.(*LoadError)
	if !ok {
		t.Fatalf("error is %T, not a *LoadError: %v", err, err)
	}
	if len(le.Errs) == 0 {
		t.Fatal("a *LoadError without problems")
	}
	for _, fe := range le.Errs {
		if fe == nil {
			t.Fatal("a nil problem")
		}
		if fe.File == "" {
			t.Fatalf("problem without a file: %+v", *fe)
		}
		if fe.Msg == "" {
			t.Fatalf("problem without a message: %+v", *fe)
		}
		if fe.File == files[0] && (fe.Line < 0 || fe.Line > lineCount(data)) {
			t.Fatalf("line %d outside the %d-line text: %v", fe.Line, lineCount(data), fe)
		}
		found := false
		for _, f := range files {
			found = found || fe.File == f
		}
		if !found && !strings.HasSuffix(fe.File, ".yaml") {
			t.Fatalf("problem in unexpected file %q: %v", fe.File, fe)
		}
	}
}

// ruleTexts returns what each rule of a policy text says for key, as
// written, read independently of the loader ("" when the key is absent or
// not a single value).
func ruleTexts(t *testing.T, data []byte, key string) []string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("ParsePolicy accepted text yaml rejects: %v", err)
	}
	deref := func(n *yaml.Node) *yaml.Node {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		return n
	}
	value := func(m *yaml.Node, key string) *yaml.Node {
		m = deref(m)
		if m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return deref(m.Content[i+1])
			}
		}
		return nil
	}
	rules := value(root.Content[0], "rules")
	if rules == nil {
		t.Fatal("accepted policy has no rules list")
	}
	var out []string
	for _, r := range rules.Content {
		v := value(r, key)
		if v == nil || v.Kind != yaml.ScalarNode {
			out = append(out, "")
			continue
		}
		out = append(out, v.Value)
	}
	return out
}

func FuzzParsePolicy(f *testing.F) {
	for _, name := range DefaultPolicyNames() {
		b, err := DefaultPolicy(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	addSeeds(f, ".", "bad-policies")
	f.Add([]byte("version: 1\nid: p\nrules:\n  - {id: R, type: retain_for, from: item.created, keep: P0D}\n"))
	f.Add([]byte("version: 1\nid: p\nrules:\n  - &r {id: R, type: delete_after, from: item.modified, keep: P1Y6M, approval: none}\n  - *r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		p, err := ParsePolicy(file, data)
		if err != nil {
			if p != nil {
				t.Fatal("a policy returned along with an error")
			}
			checkLoadError(t, err, data, file)
			return
		}
		if p == nil || len(p.Rules) == 0 {
			t.Fatal("policy without rules accepted")
		}
		if !validID(p.ID) || p.File != file || !bytes.Equal(p.Text, data) || p.Digest != policies.DigestOf(data) {
			t.Fatalf("policy identity: id %q file %q digest %q", p.ID, p.File, p.Digest)
		}
		keeps, approvals := ruleTexts(t, data, "keep"), ruleTexts(t, data, "approval")
		if len(keeps) != len(p.Rules) {
			t.Fatalf("%d rules in the text, %d accepted", len(keeps), len(p.Rules))
		}
		ids := map[string]bool{}
		for i, r := range p.Rules {
			if r == nil || r.Policy != p || !validID(r.ID) || ids[r.ID] {
				t.Fatalf("rule %d: bad identity: %+v", i, r)
			}
			ids[r.ID] = true
			if r.Kind != policies.DeleteAfter && r.Kind != policies.RetainFor {
				t.Fatalf("rule %s: kind %v", r.ID, r.Kind)
			}
			if r.From.IsZero() {
				t.Fatalf("rule %s accepted without from", r.ID)
			}
			// A zero period must have been written out (P0D), never be
			// what a missing or unreadable keep: left behind.
			want, perr := policies.ParsePeriod(keeps[i])
			if perr != nil || want != r.Keep {
				t.Fatalf("rule %s: keep %q read as %v (%v)", r.ID, keeps[i], r.Keep, perr)
			}
			if r.From.IsSubject() && (r.Subject.IsZero() || r.Path == nil) {
				t.Fatalf("rule %s counts from a subject without one", r.ID)
			}
			if !r.Subject.IsZero() {
				found := false
				for _, n := range r.Path.Names() {
					found = found || n == r.Subject.Capture
				}
				if !found {
					t.Fatalf("rule %s: subject capture %q not in %s", r.ID, r.Subject.Capture, r.Path)
				}
			}
			for _, s := range r.Approval.Stages {
				if s.Count < 1 || !validID(s.Group) {
					t.Fatalf("rule %s: stage %+v", r.ID, s)
				}
			}
			if r.Kind == policies.DeleteAfter && r.Approval.Automatic() && approvals[i] != "none" {
				t.Fatalf("rule %s runs without approval, but its approval is %q, not none", r.ID, approvals[i])
			}
			for _, e := range r.Exemptions {
				if e.Note == "" || e.Then == policies.ExemptArchive && r.ArchiveTo == "" {
					t.Fatalf("rule %s: exemption %+v", r.ID, e)
				}
			}
		}
	})
}

// reachesOutside reports whether any scalar of a YAML text could name a
// file outside testdata that is not a plain file (devices, /proc): the
// configuration fuzzer must not make Parse read /dev/zero.
func reachesOutside(data []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return false // Parse will not get as far as reading policy files
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n == nil {
			return false
		}
		if n.Kind == yaml.ScalarNode {
			v := strings.ToLower(n.Value)
			return strings.Contains(v, "dev") || strings.Contains(v, "proc") || strings.Contains(v, "sys") ||
				strings.Contains(v, "run") || strings.Contains(v, "fd")
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&root)
}

func FuzzParseConfig(f *testing.F) {
	addSeeds(f, "good-configs", "bad-configs")
	f.Add([]byte("version: 1\nledger: {origin: o}\npolicies: [../good-policy.yaml]\npeople: [{id: a, roles: [approver], groups: [leaders]}]\nsources: [{name: share, kind: testkind, schedule: \"@daily\", options: {root: /}}]\n"))
	// The seeds name policy files relative to testdata/bad-configs.
	file, err := filepath.Abs(filepath.Join("testdata", "bad-configs", "fuzz.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		if reachesOutside(data) {
			return
		}
		c, err := Parse(file, data, reg)
		if err != nil {
			if c != nil {
				t.Fatal("a configuration returned along with an error")
			}
			checkLoadError(t, err, data, file)
			return
		}
		if c.File != file || c.Dir != filepath.Dir(file) || c.Location == nil || c.Policies == nil {
			t.Fatalf("incomplete configuration: %+v", c)
		}
		for _, p := range append([]string{c.Database, c.Keys.Signing, c.Keys.References}, c.PolicyFiles...) {
			if !filepath.IsAbs(p) {
				t.Fatalf("path %q not absolute", p)
			}
		}
		if !validOrigin(c.Origin) || c.ExecuteSchedule == "" || len(c.Sources) == 0 || len(c.PolicyFiles) == 0 {
			t.Fatalf("configuration accepted without origin, schedule, sources or policies: %+v", c)
		}
		names := map[string]bool{}
		for _, s := range c.Sources {
			o, ok := s.Options.(*testOptions)
			if !ok || o.Validate() != nil || names[s.Name] || !validID(s.Name) {
				t.Fatalf("source %q accepted with options %#v", s.Name, s.Options)
			}
			names[s.Name] = true
		}
		for _, r := range c.Policies.Rules {
			for _, src := range r.Sources {
				if !names[src] {
					t.Fatalf("rule %s names source %q that is not configured", r.ID, src)
				}
			}
			for _, st := range r.Approval.Stages {
				if len(c.GroupMembers(st.Group)) < st.Count {
					t.Fatalf("rule %s: group %q cannot approve", r.ID, st.Group)
				}
			}
		}
	})
}
