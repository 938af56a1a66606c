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
	// Today is the day to decide for; zero means today by the clock. For
	// any other day nothing is issued or recorded: the result is a
	// preview of what would be issued (InstructionResult.Preview).
	Today policies.Date
}

// IssuedInstruction is one new instruction and its documents.
type IssuedInstruction struct {
	store.Instruction
	Lines []InstructionLine
	// Withdraws are the lines of earlier instructions this one withdraws.
	Withdraws []WithdrawnLine
	Markdown  []byte
	CSV       []byte
	PDF       []byte
	// Note is a signed note, by the ledger's signing key, over the digests
	// of the CSV, Markdown and PDF documents.
	Note []byte
}

// InstructionLine is one person and category to delete in a system.
type InstructionLine struct {
	Rule, Title, Subject, Due string
}

// WithdrawnLine is a line of an earlier instruction, not yet confirmed,
// that a hold placed since covers: it is withdrawn, and the next
// instruction to its system tells its people not to carry it out.
type WithdrawnLine struct {
	InstructionLine
	Instruction string // the instruction that issued it
	Hold        string // the hold that covers it
}

// PreviewInstruction is what an instruction to one system would hold on
// another day: nothing of it is issued or recorded.
type PreviewInstruction struct {
	System    string
	Lines     []InstructionLine
	Withdrawn []WithdrawnLine
}

// InstructionResult is what IssueInstructions did.
type InstructionResult struct {
	Issued []IssuedInstruction
	// Flagged counts people whose records could not be decided (their
	// facts cannot be trusted); they appear in no instruction.
	Flagged int
	// Withheld counts the lines not issued because a hold covers the
	// person (or the record's path); Holds names those holds.
	Withheld int
	Holds    []string
	// Overdue are earlier instructions not confirmed by their earliest due
	// date.
	Overdue []store.Instruction
	// Preview, set for a day other than today, is what would be issued
	// on that day; then nothing is issued.
	Preview   []PreviewInstruction
	IsPreview bool
	Today     policies.Date
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
//
// A hold withholds lines: a line whose person (subject hold) or record
// (path hold) a hold covers is not issued, and a line already issued in
// an instruction not yet confirmed is withdrawn: marked so in the store,
// recorded in the ledger (instruction_withdrawn, by reference) and listed
// as "do not delete" in the next instruction to its system. Once the hold
// is released the line is issued again.
func (p *Pipeline) IssueInstructions(ctx context.Context, opts InstructionOptions) (*InstructionResult, error) {
	who, err := p.person(ctx, opts.Person, configs.RoleOperator)
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
	preview := !opts.Today.IsZero() && opts.Today != today
	if !opts.Today.IsZero() {
		today = opts.Today
	}
	env, err := p.policyEnv(ctx, today)
	if err != nil {
		return nil, err
	}
	x, _ := env.Subjects.(*SubjectIndex)
	if x == nil {
		return nil, errors.New("no school-system export is configured: instructions list people from the exports (a source of kind export)")
	}
	res := &InstructionResult{Today: today}
	holds := map[string]bool{}
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
			if d.Hold != nil && d.Rule != nil && (d.Verdict == policies.Held || !d.Due.IsZero() && !d.Due.After(until) && horizon >= 0) {
				// Due, or due within the horizon, but held: withheld.
				res.Withheld++
				holds[d.Hold.ID] = true
				continue
			}
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
	for h := range holds {
		res.Holds = append(res.Holds, h)
	}
	sort.Strings(res.Holds)

	if preview {
		res.IsPreview = true
		standing, err := p.Store.StandingLines(ctx)
		if err != nil {
			return nil, err
		}
		withdrawn := p.withdrawals(standing, env)
		for _, system := range systemsOf(bySystem, withdrawn) {
			pv := PreviewInstruction{System: system, Withdrawn: withdrawn[system]}
			for _, l := range bySystem[system] {
				issued, err := p.Store.LineIssued(ctx, store.InstructionLine{Rule: l.Rule, Subject: l.Subject, Due: l.Due})
				if err != nil {
					return nil, err
				}
				if !issued {
					pv.Lines = append(pv.Lines, l)
				}
			}
			sortLines(pv.Lines)
			if len(pv.Lines) > 0 || len(pv.Withdrawn) > 0 {
				res.Preview = append(res.Preview, pv)
			}
		}
		return res, nil
	}

	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		standing, err := tx.StandingLines()
		if err != nil {
			return err
		}
		withdrawn := p.withdrawals(standing, env)
		var entries []ledger.Entry
		for _, system := range systemsOf(bySystem, withdrawn) {
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
			wd := withdrawn[system]
			if len(lines) == 0 && len(wd) == 0 {
				continue
			}
			sortLines(lines)
			in := store.Instruction{System: system, CreatedAt: store.Time{Time: now}}
			if len(lines) > 0 {
				// An instruction that only withdraws lines has nothing to
				// confirm and no deadline.
				in.EarliestDue, in.Deadline = lines[0].Due, max(lines[0].Due, today.AddDays(ConfirmWithin).String())
			}
			doc := &instructiondoc.Doc{System: system, Issued: now.In(p.Config.Location), IssuedBy: who.ID, Today: today.String(), Deadline: in.Deadline,
				Lang: p.Config.Locale}
			if who.Name != "" {
				doc.IssuedBy += " (" + who.Name + ")"
			}
			for _, l := range lines {
				_, id, _ := strings.Cut(l.Subject, ":")
				doc.Lines = append(doc.Lines, instructiondoc.Line{Due: l.Due, Rule: l.Rule, Category: l.Title, Person: id})
			}
			for _, w := range wd {
				_, id, _ := strings.Cut(w.Subject, ":")
				doc.Withdrawn = append(doc.Withdrawn, instructiondoc.Withdrawn{Instruction: w.Instruction, Hold: w.Hold,
					Line: instructiondoc.Line{Due: w.Due, Rule: w.Rule, Category: w.Title, Person: id}})
			}
			csvDoc := doc.CSV()
			sum := sha256.Sum256(csvDoc)
			in.Digest, in.Document = "sha256:"+hex.EncodeToString(sum[:]), csvDoc
			if err := tx.AddInstruction(&in, stored); err != nil {
				return err
			}
			doc.ID, doc.Digest = in.ID, in.Digest
			for _, w := range wd {
				if err := tx.WithdrawLine(store.InstructionLine{Instruction: w.Instruction, Rule: w.Rule, Subject: w.Subject, Due: w.Due}, w.Hold, in.ID, now); err != nil {
					return err
				}
			}
			iss := IssuedInstruction{Instruction: in, Lines: lines, Withdraws: wd, CSV: csvDoc, Markdown: doc.Markdown()}
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
			for _, w := range wd {
				e := p.entry(ledger.TypeInstructionWithdrawn)
				e.Instruction, e.Rule, e.Due, e.Hold, e.Actor, e.Role = w.Instruction, w.Rule, w.Due, w.Hold, who.ID, configs.RoleOperator
				e.Subject = p.Refs.Ref("subject", w.Subject)
				e.Text = fmt.Sprintf("withdrawn in instruction %s; system %s; document %s", in.ID, system, in.Digest)
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

// withdrawals returns, by system, the standing lines that an active hold
// now covers: a subject hold on the line's person, or a hold whose path
// matches the line's record ("Lectio/Stamdata/1018").
func (p *Pipeline) withdrawals(standing []store.SubjectInstructionLine, env *policies.Env) map[string][]WithdrawnLine {
	out := map[string][]WithdrawnLine{}
	for _, l := range standing {
		it := policies.Item{Source: "instructions", Kind: "record"}
		title := ""
		if r := p.Config.Policies.Rule(l.Rule); r != nil {
			title = r.Title
			if r.Path != nil && !r.Subject.IsZero() {
				_, id, _ := strings.Cut(l.Subject, ":")
				it.Path = strings.Replace(r.Path.String(), "{"+r.Subject.Capture+"}", id, 1)
				it.Ref = it.Path
			}
		}
		for _, h := range env.Holds {
			if h.ActiveOn(env.Today) && h.Matches(&it, []string{l.Subject}) {
				out[l.System] = append(out[l.System], WithdrawnLine{Instruction: l.Instruction, Hold: h.ID,
					InstructionLine: InstructionLine{Rule: l.Rule, Title: title, Subject: l.Subject, Due: l.Due}})
				break
			}
		}
	}
	return out
}

// systemsOf returns the systems with new or withdrawn lines, sorted.
func systemsOf(lines map[string][]InstructionLine, withdrawn map[string][]WithdrawnLine) []string {
	var systems []string
	for s := range lines {
		systems = append(systems, s)
	}
	for s := range withdrawn {
		if _, ok := lines[s]; !ok {
			systems = append(systems, s)
		}
	}
	sort.Strings(systems)
	return systems
}

func sortLines(lines []InstructionLine) {
	slices.SortFunc(lines, func(a, b InstructionLine) int {
		return strings.Compare(a.Due+a.Rule+a.Subject, b.Due+b.Rule+b.Subject)
	})
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
	today := p.today()
	// Lines a hold placed since covers are withdrawn by the next issue;
	// until then they are not counted either.
	held := map[string]int64{}
	if slices.ContainsFunc(all, func(in store.Instruction) bool {
		return in.ConfirmedAt == nil && in.Standing() > 0 && in.Deadline < today.String()
	}) {
		holds, _, err := p.holds(ctx)
		if err != nil {
			return nil, err
		}
		standing, err := p.Store.StandingLines(ctx)
		if err != nil {
			return nil, err
		}
		for _, ls := range p.withdrawals(standing, &policies.Env{Today: today, Holds: holds}) {
			for _, l := range ls {
				held[l.Instruction]++
			}
		}
	}
	var out []store.Instruction
	for _, in := range all {
		// Withdrawn lines are not to be carried out: an instruction all
		// of whose lines were withdrawn (or are held), or that only
		// withdraws lines, is never overdue.
		if in.ConfirmedAt == nil && in.Standing()-held[in.ID] > 0 && in.Deadline < today.String() {
			out = append(out, in)
		}
	}
	return out, nil
}

// ConfirmInstruction records that the people running the system carried
// out instruction id: by says who did, person is the operator recording it.
func (p *Pipeline) ConfirmInstruction(ctx context.Context, id, by, person string) error {
	who, err := p.person(ctx, person, configs.RoleOperator)
	if err != nil {
		return err
	}
	if strings.TrimSpace(by) == "" {
		return errors.New("say who carried the instruction out with --by")
	}
	if in, err := p.Store.Instruction(ctx, id); err == nil && in.Lines == 0 {
		return fmt.Errorf("instruction %s only withdraws lines of earlier instructions: there is nothing to confirm", id)
	}
	now := p.Clock.Now()
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ConfirmInstruction(id, by, who.ID, now); err != nil {
			return err
		}
		e := p.entry(ledger.TypeAcknowledgement)
		e.Instruction, e.Actor, e.Role, e.Reason = id, who.ID, configs.RoleOperator, "carried out by "+by
		p.signedIfGiven(ctx, &e)
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
	withdrawn := ""
	if len(in.Withdraws) > 0 {
		withdrawn = fmt.Sprintf("withdrawn %d\n", len(in.Withdraws))
	}
	text := fmt.Sprintf("retentiond deletion instruction %s\nsystem %s\nlines %d\n%ssha256 %s csv\nsha256 %s markdown\nsha256 %s pdf\n",
		in.ID, in.System, len(in.Lines), withdrawn, strings.TrimPrefix(in.Digest, "sha256:"), hex.EncodeToString(md[:]), hex.EncodeToString(pdf[:]))
	signed, err := note.Sign(&note.Note{Text: text}, p.Signer.NoteSigner())
	if err != nil {
		return nil, fmt.Errorf("sign instruction %s: %w", in.ID, err)
	}
	return signed, nil
}
