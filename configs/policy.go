package configs

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/retentiond/retentiond/policies"
)

// policyFile is the YAML form of a policy file.
type policyFile struct {
	Version int          `yaml:"version"`
	ID      string       `yaml:"id"`
	Title   string       `yaml:"title"`
	Rules   []policyRule `yaml:"rules"`
}

type policyRule struct {
	ID                string          `yaml:"id"`
	Title             string          `yaml:"title"`
	Type              string          `yaml:"type"`
	Sources           []string        `yaml:"sources"`
	Kinds             []string        `yaml:"kinds"`
	Path              string          `yaml:"path"`
	IgnoreCase        bool            `yaml:"ignore_case"`
	Labels            []string        `yaml:"labels"`
	Subject           *subjectLink    `yaml:"subject"`
	OnlyIfSubjectHas  string          `yaml:"only_if_subject_has"`
	OnlyIfAfter       string          `yaml:"only_if_after"`
	From              string          `yaml:"from"`
	FromEndOf         string          `yaml:"from_end_of"`
	ByEndOf           string          `yaml:"by_end_of"`
	Keep              string          `yaml:"keep"`
	Exemptions        []exemptionYAML `yaml:"exemptions"`
	Approval          yaml.Node       `yaml:"approval"`
	Guard             *guardYAML      `yaml:"guard"`
	PruneEmptyFolders bool            `yaml:"prune_empty_folders"`
	ArchiveTo         string          `yaml:"archive_to"`
	OwnerNotice       string          `yaml:"owner_notice"`
	ReviewAfter       string          `yaml:"review_after"`
	EscalateAfter     string          `yaml:"escalate_after"`
	EscalateTo        string          `yaml:"escalate_to"`
}

type subjectLink struct {
	Kind    string `yaml:"kind"`
	Capture string `yaml:"capture"`
	By      string `yaml:"by"` // id (default) or email
}

type exemptionYAML struct {
	When condYAML `yaml:"when"`
	Then string   `yaml:"then"`
	Note string   `yaml:"note"`
}

type condYAML struct {
	Path                      string `yaml:"path"`
	Label                     string `yaml:"label"`
	SubjectBornOnFirstOfMonth bool   `yaml:"subject_born_on_first_of_month"`
	SubjectFlag               string `yaml:"subject_flag"`
}

type stageYAML struct {
	Group string `yaml:"group"`
	Count int    `yaml:"count"`
}

type guardYAML struct {
	MaxItems  int     `yaml:"max_items"`
	MaxGrowth float64 `yaml:"max_growth"`
	MinItems  int     `yaml:"min_items"`
}

// PolicyVersion is the only policy file format version this build reads.
const PolicyVersion = 1

// itemKinds are the values of a rule's `kinds:`.
var itemKinds = []string{"file", "message", "recording", "record"}

// LoadPolicyFile reads and parses one policy file.
func LoadPolicyFile(file string) (*policies.Policy, error) {
	p, _, err := loadPolicy(file)
	return p, err
}

// loadPolicy is LoadPolicyFile that also returns the parsed file, whose
// positions let a configuration report its own problems with a policy by
// the policy's file, line and field. Its rules[i] is the policy's Rules[i].
func loadPolicy(file string) (*policies.Policy, *doc, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy file: %w", err)
	}
	return parsePolicy(file, data)
}

// ParsePolicy parses a policy file's text. Every problem is reported as a
// *FieldError naming file, line and field; all of them are collected into
// one *LoadError. The returned policy's Digest covers data exactly.
func ParsePolicy(file string, data []byte) (*policies.Policy, error) {
	p, _, err := parsePolicy(file, data)
	return p, err
}

// parsePolicy is ParsePolicy that also returns the parsed file.
func parsePolicy(file string, data []byte) (*policies.Policy, *doc, error) {
	d, err := parseDoc(file, data)
	if err != nil {
		return nil, nil, err
	}
	var pf policyFile
	d.decode(d.root, "", &pf)
	if err := d.err(); err != nil {
		return nil, nil, err
	}
	p := &policies.Policy{ID: pf.ID, Title: pf.Title, File: file, Text: data, Digest: policies.DigestOf(data)}
	switch {
	case pf.Version == 0:
		d.errorf("version", "missing: write `version: %d` at the top", PolicyVersion)
	case pf.Version != PolicyVersion:
		d.errorf("version", "version %d is not supported by this build (it reads version %d)", pf.Version, PolicyVersion)
	}
	if !validID(pf.ID) {
		d.errorf("id", "%q is not a valid id: use letters, digits, '-', '_' and '.'", pf.ID)
	}
	if len(pf.Rules) == 0 {
		d.errorf("rules", "a policy needs at least one rule")
	}
	first := map[string]int{} // rule id → index of the rule that used it first
	for i, pr := range pf.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		if j, dup := first[pr.ID]; dup && pr.ID != "" {
			d.errorf(path+".id", "rule id %q is already used by rules[%d]", pr.ID, j)
		} else if !dup {
			first[pr.ID] = i
		}
		if r := d.rule(path, pr); r != nil {
			r.Policy = p
			p.Rules = append(p.Rules, r)
		}
	}
	if err := d.err(); err != nil {
		return nil, nil, err
	}
	return p, d, nil
}

func (d *doc) rule(path string, pr policyRule) *policies.Rule {
	before := len(d.errs)
	r := &policies.Rule{ID: pr.ID, Title: pr.Title, Sources: pr.Sources, ItemKinds: pr.Kinds, Labels: pr.Labels,
		PruneEmpty: pr.PruneEmptyFolders, ArchiveTo: pr.ArchiveTo, Guard: policies.DefaultGuard}
	if !validID(pr.ID) {
		d.errorf(path+".id", "%q is not a valid rule id: use letters, digits, '-', '_' and '.'", pr.ID)
	}
	switch pr.Type {
	case "delete_after":
		r.Kind = policies.DeleteAfter
	case "retain_for":
		r.Kind = policies.RetainFor
	case "":
		d.errorf(path+".type", "missing: write delete_after or retain_for")
	default:
		d.errorf(path+".type", "%q is not a rule type (use delete_after or retain_for)", pr.Type)
	}
	for j, k := range pr.Kinds {
		if !contains(itemKinds, k) {
			d.errorf(fmt.Sprintf("%s.kinds[%d]", path, j), "%q is not an item kind (use %s)", k, strings.Join(itemKinds, ", "))
		}
	}
	if pr.Path != "" {
		pat, err := policies.CompilePattern(pr.Path, pr.IgnoreCase)
		if err != nil {
			d.errorf(path+".path", "%v", err)
		} else {
			r.Path = pat
		}
	} else if pr.IgnoreCase {
		d.errorf(path+".ignore_case", "only meaningful with path")
	}
	if pr.Subject != nil {
		r.Subject = policies.SubjectLink{Kind: pr.Subject.Kind, Capture: pr.Subject.Capture, By: pr.Subject.By}
		if pr.Subject.By != "" && pr.Subject.By != "id" && pr.Subject.By != "email" {
			d.errorf(path+".subject.by", "%q is not what a capture can hold (write id or email)", pr.Subject.By)
		}
		if pr.Subject.By == "id" {
			r.Subject.By = ""
		}
		if !validIdent(pr.Subject.Kind) {
			d.errorf(path+".subject.kind", "%q is not a subject kind (write e.g. student or staff)", pr.Subject.Kind)
		}
		if r.Path == nil || !contains(r.Path.Names(), pr.Subject.Capture) {
			d.errorf(path+".subject.capture", "%q is not a capture of the rule's path (write the path with {%s})", pr.Subject.Capture, pr.Subject.Capture)
		}
	}
	if contains(pr.Kinds, "record") {
		// Records are one per person and category of a system without a
		// deletion API; deletion instructions name them by this path.
		switch {
		case len(pr.Kinds) != 1:
			d.errorf(path+".kinds", "record rules select records only: write kinds: [record]")
		case pr.Subject == nil || r.Path == nil || len(r.Path.Names()) != 1 || strings.ContainsAny(pr.Path, "*?\\") || !strings.Contains(pr.Path, "/"):
			d.errorf(path+".path", "a record rule needs a path \"<system>/<category>/{capture}\" without wildcards, and a subject linked by that capture")
		}
	}
	if pr.OnlyIfSubjectHas != "" {
		r.OnlyIfEvent = pr.OnlyIfSubjectHas
		if !validIdent(pr.OnlyIfSubjectHas) {
			d.errorf(path+".only_if_subject_has", "%q is not an event name (write e.g. case_closed)", pr.OnlyIfSubjectHas)
		} else if r.Subject.IsZero() {
			d.errorf(path+".only_if_subject_has", "needs a subject: link one with subject: {kind, capture}")
		}
	}
	if pr.OnlyIfAfter != "" {
		a, err := policies.ParseAnchor(pr.OnlyIfAfter)
		switch {
		case err != nil || !a.IsSubject() || a.Years != 0:
			d.errorf(path+".only_if_after", "%q is not a subject event (write e.g. subject.left)", pr.OnlyIfAfter)
		case r.Subject.IsZero():
			d.errorf(path+".only_if_after", "needs a subject: link one with subject: {kind, capture}")
		default:
			r.OnlyIfAfter = a.Event
		}
	}
	if pr.From == "" {
		d.errorf(path+".from", "missing: say what the period counts from, e.g. item.modified or subject.left")
	} else if a, err := policies.ParseAnchor(pr.From); err != nil {
		d.errorf(path+".from", "%v", err)
	} else {
		r.From = a
		if a.IsSubject() && r.Subject.IsZero() {
			d.errorf(path+".from", "%s counts from a subject event, but the rule has no subject: link one with subject: {kind, capture}", pr.From)
		}
	}
	if b, err := policies.ParseBoundary(pr.FromEndOf); err != nil {
		d.errorf(path+".from_end_of", "%v", err)
	} else {
		r.FromEndOf = b
	}
	if b, err := policies.ParseBoundary(pr.ByEndOf); err != nil {
		d.errorf(path+".by_end_of", "%v", err)
	} else {
		r.ByEndOf = b
	}
	if pr.Keep == "" {
		d.errorf(path+".keep", "missing: write a duration such as P30D, P6M or P5Y")
	} else if k, err := policies.ParsePeriod(pr.Keep); err != nil {
		d.errorf(path+".keep", "%v", err)
	} else {
		r.Keep = k
	}
	for j, ex := range pr.Exemptions {
		if e, ok := d.exemption(fmt.Sprintf("%s.exemptions[%d]", path, j), ex, r, pr.IgnoreCase); ok {
			r.Exemptions = append(r.Exemptions, e)
		}
	}
	d.approval(path+".approval", &pr.Approval, r)
	if g := pr.Guard; g != nil {
		r.Guard = policies.Guard{MaxItems: g.MaxItems, MaxGrowth: g.MaxGrowth, MinItems: g.MinItems}
		if g.MaxItems < 0 || g.MinItems < 0 {
			d.errorf(path+".guard", "max_items and min_items cannot be negative")
		}
		if g.MaxGrowth != 0 && g.MaxGrowth < 1 {
			d.errorf(path+".guard.max_growth", "%v would hold every batch that is not smaller than the last; use 1 or more, or 0 to turn the check off", g.MaxGrowth)
		}
	}
	if pr.OwnerNotice != "" {
		switch n, err := policies.ParsePeriod(pr.OwnerNotice); {
		case err != nil:
			d.errorf(path+".owner_notice", "%v", err)
		case n.IsZero():
			d.errorf(path+".owner_notice", "%q tells the owner nothing ahead: give a period such as P14D, or remove owner_notice", pr.OwnerNotice)
		case r.Kind == policies.RetainFor:
			d.errorf(path+".owner_notice", "a retain_for rule never deletes, so there is nothing to tell an owner")
		default:
			r.OwnerNotice = n
		}
	}
	r.ReviewAfter, r.EscalateAfter = policies.DefaultReviewAfter, policies.DefaultEscalateAfter
	for _, f := range []struct {
		key, v string
		to     *policies.Period
	}{{"review_after", pr.ReviewAfter, &r.ReviewAfter}, {"escalate_after", pr.EscalateAfter, &r.EscalateAfter}} {
		if f.v == "" {
			continue
		}
		switch n, err := policies.ParsePeriod(f.v); {
		case err != nil:
			d.errorf(path+"."+f.key, "%v", err)
		case n.IsZero():
			d.errorf(path+"."+f.key, "%q is no time at all: give a period such as P1M or P14D, or leave %s out for the default", f.v, f.key)
		default:
			*f.to = n
		}
	}
	r.EscalateTo = pr.EscalateTo
	if r.EscalateTo != "" && len(r.Approval.Stages) == 0 {
		d.errorf(path+".escalate_to", "the rule needs no approval, so there is nothing to escalate")
	}
	if r.Kind == policies.RetainFor && (r.PruneEmpty || len(r.Approval.Stages) > 0) {
		d.errorf(path, "a retain_for rule never deletes, so approval and prune_empty_folders do not apply")
	}
	if len(d.errs) > before {
		return nil
	}
	return r
}

func (d *doc) exemption(path string, ex exemptionYAML, r *policies.Rule, ignoreCase bool) (policies.Exemption, bool) {
	e := policies.Exemption{Note: ex.Note}
	set := 0
	w := ex.When
	if w.Path != "" {
		set++
		pat, err := policies.CompilePattern(w.Path, ignoreCase)
		if err != nil {
			d.errorf(path+".when.path", "%v", err)
			return e, false
		}
		e.When = policies.Condition{Kind: policies.CondPath, Path: pat}
	}
	if w.Label != "" {
		set++
		e.When = policies.Condition{Kind: policies.CondLabel, Label: w.Label}
	}
	if w.SubjectBornOnFirstOfMonth {
		set++
		e.When = policies.Condition{Kind: policies.CondBornFirstOfMonth}
	}
	if w.SubjectFlag != "" {
		set++
		if !validIdent(w.SubjectFlag) {
			d.errorf(path+".when.subject_flag", "%q is not a flag name (write e.g. manager)", w.SubjectFlag)
			return e, false
		}
		e.When = policies.Condition{Kind: policies.CondSubjectFlag, Flag: w.SubjectFlag}
	}
	if set != 1 {
		d.errorf(path+".when", "give exactly one condition: path, label, subject_born_on_first_of_month or subject_flag")
		return e, false
	}
	if (e.When.Kind == policies.CondBornFirstOfMonth || e.When.Kind == policies.CondSubjectFlag) && r.Subject.IsZero() {
		d.errorf(path+".when", "this condition is about the subject, but the rule has no subject: link one with subject: {kind, capture}")
		return e, false
	}
	switch ex.Then {
	case "keep":
		e.Then = policies.ExemptKeep
	case "archive":
		e.Then = policies.ExemptArchive
		if r.ArchiveTo == "" {
			d.errorf(path+".then", "archive needs the rule's archive_to: where archived items go")
			return e, false
		}
	case "":
		d.errorf(path+".then", "missing: write keep or archive")
		return e, false
	default:
		d.errorf(path+".then", "%q is not an exemption action (use keep or archive)", ex.Then)
		return e, false
	}
	if e.Note == "" {
		d.errorf(path+".note", "missing: say why, in words an auditor understands (it is quoted in every decision)")
		return e, false
	}
	return e, true
}

// approval reads `approval: none` or a list of stages. n may be an alias
// of them, which decode then counts against the file's alias budget.
func (d *doc) approval(path string, n *yaml.Node, r *policies.Rule) {
	v := n
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch {
	case v.Kind == 0:
		if r.Kind == policies.DeleteAfter {
			d.errorf(path, "missing: say who approves deletions (a list of {group, count}), or `none` for rules that run automatically")
		}
	case v.Kind == yaml.ScalarNode && v.Value == "none":
	case v.Kind == yaml.SequenceNode:
		if len(v.Content) == 0 {
			d.errorf(path, "an empty list: write `none` if deletions need no approval")
		}
		var stages []stageYAML
		if d.decode(n, path, &stages); d.aliasBomb != nil {
			return
		}
		for i, s := range stages {
			sp := fmt.Sprintf("%s[%d]", path, i)
			if !validID(s.Group) {
				d.errorf(sp+".group", "missing or invalid group name")
			}
			if s.Count < 1 {
				d.errorf(sp+".count", "must be at least 1")
			}
			r.Approval.Stages = append(r.Approval.Stages, policies.Stage{Group: s.Group, Count: s.Count})
		}
	default:
		d.errorf(path, "want `none` or a list of stages like [{group: leaders, count: 1}], got %s", describe(v))
	}
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
