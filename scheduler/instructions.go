package scheduler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler/instructiondoc"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// DefaultInstructionHorizon is how many days ahead an instruction lists
// deletions that are not due yet, so that they can be planned.
const DefaultInstructionHorizon = 30

// ConfirmWithin is how many days after it is issued an instruction with
// lines already due must be confirmed; one whose lines are due later must
// be confirmed by their first due date.
const ConfirmWithin = 14

// InstructionOptions select what IssueInstructions includes.
type InstructionOptions struct {
	// Horizon: lines due within this many days are included besides those
	// already due. Zero means DefaultInstructionHorizon; negative, none.
	Horizon int
	// Person is the operator issuing the instructions.
	Person string
}

// IssuedInstruction is one new instruction and its documents.
type IssuedInstruction struct {
	store.Instruction
	Lines    []InstructionLine
	Markdown []byte
	CSV      []byte
	PDF      []byte
	// Note is a signed note, by the ledger's signing key, over the digests
	// of the CSV, Markdown and PDF documents.
	Note []byte
}

// InstructionLine is one person and category to delete in a system.
type InstructionLine struct {
	Rule, Title, Subject, Due string
}

// InstructionResult is what IssueInstructions did.
type InstructionResult struct {
	Issued []IssuedInstruction
	// Flagged counts people whose records could not be decided (their
	// facts cannot be trusted); they appear in no instruction.
	Flagged int
	// Overdue are earlier instructions not confirmed by their earliest due
	// date.
	Overdue []store.Instruction
}

// recordRule is a rule over records of a system without a deletion API:
// its path names the system and category, with the person's id as its only
// capture ("Lectio/Stamdata/{student}").
type recordRule struct {
	rule   *policies.Rule
	system string
}

func recordRules(set *policies.Set) ([]recordRule, error) {
	var rs []recordRule
	for _, r := range set.Rules {
		if !slices.Contains(r.ItemKinds, "record") {
			continue
		}
		if r.Subject.IsZero() || r.Path == nil {
			return nil, fmt.Errorf("rule %s: records must be linked to a person with a path such as \"Lectio/Stamdata/{student}\"", r.ID)
		}
		tmpl := r.Path.String()
		if strings.ContainsAny(tmpl, "*?\\") || len(r.Path.Names()) != 1 || !strings.Contains(tmpl, "/") {
			return nil, fmt.Errorf("rule %s: the path of a record rule must be \"<system>/<category>/{%s}\" without wildcards, not %q", r.ID, r.Subject.Capture, tmpl)
		}
		system, _, _ := strings.Cut(tmpl, "/")
		rs = append(rs, recordRule{rule: r, system: system})
	}
	return rs, nil
}

// IssueInstructions decides, for every person in the exports and every
// record rule, whether their data in that system is due for deletion (or
// will be within the horizon), and issues one instruction per system with
// the lines not issued before. Each line is recorded in the ledger by
// reference; the documents are signed with the ledger's key.
func (p *Pipeline) IssueInstructions(ctx context.Context, opts InstructionOptions) (*InstructionResult, error) {
	who, err := p.person(opts.Person, configs.RoleOperator)
	if err != nil {
		return nil, err
	}
	horizon := opts.Horizon
	if horizon == 0 {
		horizon = DefaultInstructionHorizon
	}
	rules, err := recordRules(p.Config.Policies)
	if err != nil {
		return nil, err
	}
	today := p.today()
	env, err := p.policyEnv(ctx, today)
	if err != nil {
		return nil, err
	}
	x, _ := env.Subjects.(*SubjectIndex)
	if x == nil {
		return nil, errors.New("no school-system export is configured: instructions list people from the exports (a source of kind export)")
	}
	res := &InstructionResult{}
	until := today.AddDays(max(horizon, 0))
	bySystem := map[string][]InstructionLine{}
	seen := map[string]bool{} // paths evaluated: rules sharing a path decide together
	flagged := map[string]bool{}
	for _, rr := range rules {
		kind := rr.rule.Subject.Kind
		tmpl := rr.rule.Path.String()
		for _, key := range x.keys(kind) {
			_, id, _ := strings.Cut(key, ":")
			path := strings.Replace(tmpl, "{"+rr.rule.Subject.Capture+"}", id, 1)
			if seen[path] {
				continue
			}
			seen[path] = true
			it := policies.Item{Source: "instructions", Kind: "record", Ref: path, Path: path}
			d := p.Config.Policies.Evaluate(&it, env)
			switch {
			case d.Verdict == policies.Review:
				flagged[key] = true
				continue
			case d.Verdict == policies.Due:
			case d.Verdict == policies.Keep && !d.Due.IsZero() && !d.Due.After(until) && horizon >= 0:
			default:
				continue
			}
			bySystem[rr.system] = append(bySystem[rr.system], InstructionLine{Rule: d.Rule.ID, Title: d.Rule.Title, Subject: d.Subject, Due: d.Due.String()})
		}
	}
	res.Flagged = len(flagged)

	systems := make([]string, 0, len(bySystem))
	for s := range bySystem {
		systems = append(systems, s)
	}
	sort.Strings(systems)
	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		var entries []ledger.Entry
		for _, system := range systems {
			var lines []InstructionLine
			var stored []store.InstructionLine
			for _, l := range bySystem[system] {
				sl := store.InstructionLine{Rule: l.Rule, Subject: l.Subject, Due: l.Due}
				issued, err := tx.LineIssued(sl)
				if err != nil {
					return err
				}
				if !issued {
					lines, stored = append(lines, l), append(stored, sl)
				}
			}
			if len(lines) == 0 {
				continue
			}
			slices.SortFunc(lines, func(a, b InstructionLine) int {
				return strings.Compare(a.Due+a.Rule+a.Subject, b.Due+b.Rule+b.Subject)
			})
			in := store.Instruction{System: system, CreatedAt: store.Time{Time: now}, EarliestDue: lines[0].Due,
				Deadline: max(lines[0].Due, today.AddDays(ConfirmWithin).String())}
			doc := &instructiondoc.Doc{System: system, Issued: now.In(p.Config.Location), IssuedBy: who.ID, Today: today.String(), Deadline: in.Deadline}
			if who.Name != "" {
				doc.IssuedBy += " (" + who.Name + ")"
			}
			for _, l := range lines {
				_, id, _ := strings.Cut(l.Subject, ":")
				doc.Lines = append(doc.Lines, instructiondoc.Line{Due: l.Due, Rule: l.Rule, Category: l.Title, Person: id})
			}
			csvDoc := doc.CSV()
			sum := sha256.Sum256(csvDoc)
			in.Digest, in.Document = "sha256:"+hex.EncodeToString(sum[:]), csvDoc
			if err := tx.AddInstruction(&in, stored); err != nil {
				return err
			}
			doc.ID, doc.Digest = in.ID, in.Digest
			iss := IssuedInstruction{Instruction: in, Lines: lines, CSV: csvDoc, Markdown: doc.Markdown()}
			if iss.PDF, err = doc.PDF(); err != nil {
				return err
			}
			signed, err := p.signInstruction(&iss)
			if err != nil {
				return err
			}
			iss.Note = signed
			res.Issued = append(res.Issued, iss)
			for _, l := range lines {
				e := p.entry(ledger.TypeInstruction)
				e.Instruction, e.Rule, e.Due, e.Actor, e.Role = in.ID, l.Rule, l.Due, who.ID, configs.RoleOperator
				e.Subject = p.Refs.Ref("subject", l.Subject)
				e.Text = fmt.Sprintf("system %s; document %s", system, in.Digest)
				entries = append(entries, e)
			}
		}
		if len(entries) == 0 {
			return nil
		}
		return appendEntries(tx, entries...)
	})
	if err != nil {
		return nil, err
	}
	if len(res.Issued) > 0 {
		if err := p.Checkpoint(ctx); err != nil {
			return nil, err
		}
	}
	if res.Overdue, err = p.OverdueInstructions(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// keys returns the "kind:id" of every person of kind, sorted.
func (x *SubjectIndex) keys(kind string) []string { return x.byKind[kind] }

// OverdueInstructions returns the instructions not confirmed by their
// deadline.
func (p *Pipeline) OverdueInstructions(ctx context.Context) ([]store.Instruction, error) {
	all, err := p.Store.Instructions(ctx)
	if err != nil {
		return nil, err
	}
	today := p.today().String()
	var out []store.Instruction
	for _, in := range all {
		if in.ConfirmedAt == nil && in.Deadline < today {
			out = append(out, in)
		}
	}
	return out, nil
}

// ConfirmInstruction records that the people running the system carried
// out instruction id: by says who did, person is the operator recording it.
func (p *Pipeline) ConfirmInstruction(ctx context.Context, id, by, person string) error {
	who, err := p.person(person, configs.RoleOperator)
	if err != nil {
		return err
	}
	if strings.TrimSpace(by) == "" {
		return errors.New("say who carried the instruction out with --by")
	}
	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ConfirmInstruction(id, by, who.ID, now); err != nil {
			return err
		}
		e := p.entry(ledger.TypeAcknowledgement)
		e.Instruction, e.Actor, e.Role, e.Reason = id, who.ID, configs.RoleOperator, "carried out by "+by
		return appendEntries(tx, e)
	})
	if err != nil {
		return err
	}
	return p.Checkpoint(ctx)
}

// signInstruction signs the digests of an instruction's documents as a
// note with the ledger's key, which the ledger's verifier key checks.
func (p *Pipeline) signInstruction(in *IssuedInstruction) ([]byte, error) {
	md, pdf := sha256.Sum256(in.Markdown), sha256.Sum256(in.PDF)
	text := fmt.Sprintf("retentiond deletion instruction %s\nsystem %s\nlines %d\nsha256 %s csv\nsha256 %s markdown\nsha256 %s pdf\n",
		in.ID, in.System, len(in.Lines), strings.TrimPrefix(in.Digest, "sha256:"), hex.EncodeToString(md[:]), hex.EncodeToString(pdf[:]))
	signed, err := note.Sign(&note.Note{Text: text}, p.Signer.NoteSigner())
	if err != nil {
		return nil, fmt.Errorf("sign instruction %s: %w", in.ID, err)
	}
	return signed, nil
}
