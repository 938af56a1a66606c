package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/text/unicode/norm"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// MinExportRatio is how small an export may be against the previous one
// of its source before it is refused: a half-finished export must not make
// hundreds of students look gone. An operator who knows the drop is right
// imports it with ImportOptions.AcceptShrink.
const MinExportRatio = 0.8

// ImportOptions select what ImportSubjects does.
type ImportOptions struct {
	// Source limits the import to one source; "" imports every source
	// whose connector is a [connectors.SubjectSource].
	Source string
	// AcceptShrink applies an export even if it is much smaller than the
	// previous one.
	AcceptShrink bool
	// Force re-reads an export that was already imported.
	Force bool
}

// ImportResult is what importing one source's latest export did.
type ImportResult struct {
	Source, File string
	Rows         int
	// Status is "applied", "refused", or "unchanged" when the export was
	// imported before.
	Status string
	// Why says why an export was refused.
	Why      string
	Stats    store.ImportStats
	Problems int      // people whose facts cannot be trusted
	Warnings []string // about the export as a whole
}

// ImportSubjects imports the latest export of each subject source. An
// export that cannot be read, or is much smaller than the previous one, is
// refused: the store keeps the facts it had, and nothing is planned on the
// strength of the refused file. The error is for failures of retentiond
// itself; refusals are in the results.
func (p *Pipeline) ImportSubjects(ctx context.Context, opts ImportOptions) ([]ImportResult, error) {
	var results []ImportResult
	found := false
	for _, src := range p.Config.Sources {
		if opts.Source != "" && src.Name != opts.Source || opts.Source == "" && !isSubjectKind(src) {
			continue
		}
		conn, err := p.Open(ctx, src)
		if err != nil {
			results = append(results, ImportResult{Source: src.Name, Status: store.ImportRefused, Why: err.Error()})
			continue
		}
		ss, ok := conn.(connectors.SubjectSource)
		if !ok {
			conn.Close()
			continue
		}
		found = true
		res, err := p.importSource(ctx, src, ss, opts)
		conn.Close()
		if err != nil {
			return results, err
		}
		results = append(results, res)
	}
	if opts.Source != "" && !found && len(results) == 0 {
		if _, ok := p.Config.Source(opts.Source); !ok {
			return nil, fmt.Errorf("no source named %q in %s", opts.Source, p.Config.File)
		}
		return nil, fmt.Errorf("source %q is not a school-system export (kind export)", opts.Source)
	}
	return results, nil
}

// isSubjectKind reports whether src is of a kind that lists subjects,
// without opening it.
func isSubjectKind(src configs.Source) bool { return src.Kind.Name == "export" }

func (p *Pipeline) importSource(ctx context.Context, src configs.Source, ss connectors.SubjectSource, opts ImportOptions) (ImportResult, error) {
	log := p.Log.With(zap.String("source", src.Name))
	res := ImportResult{Source: src.Name}
	today := p.today()
	prev, err := p.Store.LastImport(ctx, src.Name, store.ImportApplied)
	hasPrev := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	last, err := p.Store.LastImport(ctx, src.Name, "")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	if latest, lerr := ss.LatestExport(ctx); lerr == nil && err == nil && latest.Ref == last.File && latest.Version == last.Version &&
		!opts.Force && !(opts.AcceptShrink && last.Status == store.ImportRefused) {
		// This export was imported, or refused, before: nothing to read.
		res.File, res.Rows = last.File, int(last.Rows)
		res.Status, res.Why = "unchanged", ""
		if last.Status == store.ImportRefused {
			res.Status, res.Why = store.ImportRefused, last.Note+" (refused before; the file has not changed)"
		}
		return res, nil
	}

	// The connector bounds the rows it delivers (an export's max_rows), so
	// these stay bounded too.
	var subjects []store.Subject
	at := map[string]int{}      // id -> index in subjects
	lines := map[string]int{}   // id -> line of its first row
	missing := map[string]int{} // fact -> people whose row leaves it empty
	info, readErr := ss.ReadSubjects(ctx, func(r connectors.SubjectRow) error {
		s := subjectOf(r, today)
		if i, dup := at[r.ID]; dup {
			if !sameFacts(&subjects[i], &s) {
				subjects[i].Problem = joinProblem(subjects[i].Problem, fmt.Sprintf("listed twice with different facts (lines %d and %d)", lines[r.ID], r.Line))
			}
			return nil
		}
		at[r.ID], lines[r.ID] = len(subjects), r.Line
		subjects = append(subjects, s)
		for _, f := range r.Missing {
			missing[f]++
		}
		return nil
	})
	res.File, res.Rows = info.Ref, info.Rows
	imp := store.SubjectImport{Source: src.Name, Kind: info.Kind, File: info.Ref, Version: info.Version, Rows: int64(info.Rows), ImportedAt: store.Time{Time: p.Clock.Now()}}
	refuse := func(why string) (ImportResult, error) {
		res.Status, res.Why = store.ImportRefused, why
		imp.Note = why
		log.Warn("export refused; the facts from the previous import stay in force", zap.String("file", info.Ref), zap.String("why", why))
		err := p.Store.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.RefuseImport(imp)
			return err
		})
		return res, err
	}
	if readErr != nil {
		if ctx.Err() != nil {
			return res, readErr
		}
		return refuse(readErr.Error())
	}
	if hasPrev && !opts.Force && prev.File == info.Ref && prev.Version == info.Version {
		res.Status = "unchanged" // it changed back after a refused export
		return res, nil
	}
	if hasPrev && prev.Rows > 0 && float64(info.Rows) < MinExportRatio*float64(prev.Rows) && !opts.AcceptShrink {
		return refuse(fmt.Sprintf("the export has %d rows, the previous one (%s) had %d: fewer than %.0f%%, as a half-finished export would; if the drop is right, import it with --accept-shrink",
			info.Rows, prev.File, prev.Rows, MinExportRatio*100))
	}
	for i := range subjects {
		subjects[i].Kind = info.Kind
		if subjects[i].Problem != "" {
			res.Problems++
		}
	}
	if res.Problems > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d people have facts that cannot be trusted; their data is kept and flagged for review", res.Problems, len(subjects)))
	}
	for _, f := range []struct{ field, words string }{{"born", "birth date"}, {"started", "start date"}} {
		if n := missing[f.field]; n > 0 {
			// An empty birth date is not a birthday that never comes: rules
			// counting from it (S11, L2) flag these people's data.
			warn := fmt.Sprintf("%d of %d people have no %s in the export; the rules that count from it put their data up for review", n, len(subjects), f.words)
			res.Warnings = append(res.Warnings, warn)
			log.Warn("export leaves a fact empty", zap.String("file", info.Ref), zap.String("fact", f.field), zap.Int("people", n), zap.Int("of", len(subjects)))
		}
	}
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		_, res.Stats, err = tx.ApplyImport(imp, subjects)
		return err
	})
	if err != nil {
		return res, err
	}
	res.Status = store.ImportApplied
	if res.Stats.Missing > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d people of the previous export are not in this one; their data is kept and flagged for review", res.Stats.Missing))
	}
	log.Info("export imported", zap.String("file", info.Ref), zap.Int("rows", info.Rows), zap.Int("added", res.Stats.Added),
		zap.Int("changed", res.Stats.Changed), zap.Int("missing", res.Stats.Missing), zap.Int("problems", res.Problems))
	return res, nil
}

func subjectOf(r connectors.SubjectRow, today policies.Date) store.Subject {
	s := store.Subject{ID: r.ID, Email: r.Email, Started: civil(r.Started), Left: civil(r.Left), Born: civil(r.Born),
		CaseClosed: civil(r.CaseClosed), PendingCase: r.PendingCase, Manager: r.Manager, Problem: strings.Join(r.Problems, "; ")}
	if s.Born != "" && s.Born > today.String() {
		s.Problem = joinProblem(s.Problem, fmt.Sprintf("born %s, which is in the future", s.Born))
	}
	if s.Born != "" && s.Started != "" && s.Started < s.Born {
		s.Problem = joinProblem(s.Problem, fmt.Sprintf("started on %s, before being born on %s", s.Started, s.Born))
	}
	return s
}

func civil(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func joinProblem(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func sameFacts(a, b *store.Subject) bool {
	return a.Email == b.Email && a.Started == b.Started && a.Left == b.Left && a.Born == b.Born && a.CaseClosed == b.CaseClosed &&
		tri(a.PendingCase) == tri(b.PendingCase) && tri(a.Manager) == tri(b.Manager)
}

func tri(b *bool) string {
	if b == nil {
		return "?"
	}
	return fmt.Sprint(*b)
}

// SubjectIndex is every stored person's facts, for the policy engine. It
// implements [policies.Subjects].
//
// It keeps about 100 bytes a person (an export of 200,000 people is
// linked with every plan): each person's facts packed in a personFacts,
// keys and addresses mapped to its position, and a policies.Subject (two
// maps, some 600 bytes) made only when a person is looked up, the last
// one made kept for the lookups of the same person that follow (a plan
// looks up the person of every item of a folder in a row).
type SubjectIndex struct {
	all     []string            // "kind:id" of every person, sorted by kind and id
	at      map[string]int32    // "kind:id" -> position in all and people
	people  []personFacts       // in the order of all
	byEmail map[string]int32    // address -> position; -1 when ambiguous
	byKind  map[string][]string // kind -> every "kind:id", sorted: a part of all
	byNFC   map[string]string   // NFC of a key -> the key, for keys not in NFC
	// problems are the texts of personFacts.problem.
	problems []string
	last     atomic.Pointer[lookedUp]
	// Holds are the pending cases: each keeps everything of its person.
	Holds []*policies.Hold
}

// personFacts is one person's facts, packed: dates as packDate makes
// them (0: the event has not happened), flags as the flag* bits, problem
// as an index into SubjectIndex.problems plus one (0: none).
type personFacts struct {
	events  [len(eventNames)]int32
	flags   uint8
	problem int32
}

// eventNames are the events of personFacts.events, in order.
var eventNames = [...]string{"started", "left", "born", "case_closed"}

const (
	flagPendingKnown uint8 = 1 << iota // the export says whether a case is pending
	flagPending
	flagManagerKnown
	flagManager
)

// packDate packs a civil date into an int32 that is never 0.
func packDate(d policies.Date) int32 {
	return int32(d.Year)<<9 | int32(d.Month)<<5 | int32(d.Day)
}

func unpackDate(v int32) policies.Date {
	return policies.Date{Year: int(v >> 9), Month: time.Month(v >> 5 & 15), Day: int(v & 31)}
}

// lookedUp is the subject Lookup made last, for its position.
type lookedUp struct {
	at int32
	s  policies.Subject
}

// subject makes the policies.Subject of the person at position i.
func (x *SubjectIndex) subject(i int32) policies.Subject {
	if l := x.last.Load(); l != nil && l.at == i {
		return l.s
	}
	f := &x.people[i]
	ps := policies.Subject{Events: make(map[string]policies.Date, len(eventNames))}
	for k, v := range f.events {
		if v != 0 {
			ps.Events[eventNames[k]] = unpackDate(v)
		}
	}
	if f.flags&(flagPendingKnown|flagManagerKnown) != 0 {
		ps.Flags = make(map[string]bool, 2)
		if f.flags&flagPendingKnown != 0 {
			ps.Flags["pending_case"] = f.flags&flagPending != 0
		}
		if f.flags&flagManagerKnown != 0 {
			ps.Flags["manager"] = f.flags&flagManager != 0
		}
	}
	if f.problem > 0 {
		ps.Problem = x.problems[f.problem-1]
	}
	x.last.Store(&lookedUp{at: i, s: ps})
	return ps
}

// Lookup implements [policies.Subjects]. The maps of the subject it
// returns are shared: callers must not change them.
func (x *SubjectIndex) Lookup(kind, id string) (policies.Subject, bool) {
	if x == nil {
		return policies.Subject{}, false
	}
	key := kind + ":" + id
	i, ok := x.at[key]
	if !ok {
		// Ids compare under Unicode NFC, as paths do: a folder name a
		// macOS client wrote decomposed captures the same id.
		n := norm.NFC.String(key)
		if i, ok = x.at[n]; !ok {
			if k, found := x.byNFC[n]; found {
				i, ok = x.at[k]
			}
		}
	}
	if !ok {
		return policies.Subject{}, false
	}
	return x.subject(i), true
}

// ByEmail returns the "kind:id" of the person with the address.
func (x *SubjectIndex) ByEmail(addr string) (string, bool) {
	if x == nil {
		return "", false
	}
	i, ok := x.byEmail[strings.ToLower(addr)]
	if !ok {
		return "", false
	}
	if i < 0 {
		return "", true // ambiguous: link nobody
	}
	return x.all[i], true
}

// Len is the number of people.
func (x *SubjectIndex) Len() int { return len(x.all) }

var _ policies.Subjects = (*SubjectIndex)(nil)

// peopleCache holds the last index loaded, with the import it reflects:
// only an applied import changes the stored facts, so plans, executions and
// explanations share one index until the next import.
type peopleCache struct {
	mu      sync.Mutex
	version int64
	x       *SubjectIndex
}

// subjects returns the index of people, loading it from the store when an
// import was applied since it was last loaded. The index is read-only.
func (p *Pipeline) subjects(ctx context.Context) (*SubjectIndex, error) {
	version, err := p.Store.LastAppliedImportID(ctx)
	if err != nil {
		return nil, err
	}
	c := &p.people
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.x != nil && c.version == version {
		return c.x, nil
	}
	x, err := p.loadSubjects(ctx)
	if err != nil {
		return nil, err
	}
	c.x, c.version = x, version
	return x, nil
}

// loadSubjects loads the index from the store. People listed by more than
// one source are merged; where the sources disagree, the person's facts
// cannot be trusted.
func (p *Pipeline) loadSubjects(ctx context.Context) (*SubjectIndex, error) {
	x := &SubjectIndex{byEmail: map[string]int32{}, byKind: map[string][]string{}}
	kinds := map[string][2]int{} // kind -> its range of x.all
	n, err := p.Store.SubjectCount(ctx)
	if err != nil {
		return nil, err
	}
	// Sized once: a map or slice grown by doubling holds up to twice
	// what it needs.
	x.at = make(map[string]int32, n)
	x.all = make([]string, 0, n)
	x.people = make([]personFacts, 0, n)
	imports := map[int64]string{}
	imps, err := p.Store.Imports(ctx)
	if err != nil {
		return nil, err
	}
	for _, imp := range imps {
		imports[imp.ID] = imp.ImportedAt.Format(time.DateOnly)
	}
	problems := map[string]int32{} // text -> index in x.problems plus one
	var prev store.Subject
	intern := func(problem string) int32 {
		if problem == "" {
			return 0
		}
		k, ok := problems[problem]
		if !ok {
			x.problems = append(x.problems, problem)
			k = int32(len(x.problems))
			problems[problem] = k
		}
		return k
	}
	err = p.Store.Subjects(ctx, func(s store.Subject) error {
		key := s.Key()
		i, dup := x.at[key]
		if dup {
			// Rows come ordered by kind, id and source: prev is the
			// person's previous row. Packing loses nothing Subject says.
			ps, err := policySubject(&s, imports)
			if err != nil {
				return err
			}
			ps = mergeSubjects(x.subject(i), ps, prev.Source, s.Source)
			x.last.Store(nil)
			x.people[i] = packSubject(ps, intern)
		} else {
			f, err := packRow(&s, imports, intern)
			if err != nil {
				return err
			}
			i = int32(len(x.all))
			x.all = append(x.all, key)
			x.people = append(x.people, f)
			x.at[key] = i
			r, seen := kinds[s.Kind]
			if !seen {
				r[0] = int(i)
			}
			r[1] = int(i) + 1
			kinds[s.Kind] = r
		}
		if s.Email != "" {
			if other, dup := x.byEmail[s.Email]; dup && other != i {
				x.byEmail[s.Email] = -1 // ambiguous: link nobody
			} else if !dup {
				x.byEmail[s.Email] = i
			}
		}
		prev = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	x.last.Store(nil)
	for kind, r := range kinds {
		x.byKind[kind] = x.all[r[0]:r[1]:r[1]]
	}
	for _, key := range x.all {
		if n := norm.NFC.String(key); n != key {
			if x.byNFC == nil {
				x.byNFC = map[string]string{}
			}
			x.byNFC[n] = key
		}
	}
	for i, key := range x.all {
		f := &x.people[i]
		if f.flags&flagPendingKnown != 0 && f.flags&flagPending != 0 && f.problem == 0 {
			x.Holds = append(x.Holds, &policies.Hold{ID: "case:" + key, Subject: key, Owner: "HR export",
				Reason: "a work-injury case, lawsuit or labour dispute is pending (004 section 55.2 U2)"})
		}
	}
	slices.SortFunc(x.Holds, func(a, b *policies.Hold) int { return strings.Compare(a.ID, b.ID) })
	return x, nil
}

// packRow packs what one stored row says about a person, as policySubject
// reads it, without making its maps; intern returns the index of a
// problem's text plus one.
func packRow(s *store.Subject, imports map[int64]string, intern func(string) int32) (personFacts, error) {
	var f personFacts
	for k, v := range [...]string{s.Started, s.Left, s.Born, s.CaseClosed} {
		if v == "" {
			continue
		}
		d, err := policies.ParseDate(v)
		if err != nil {
			return f, fmt.Errorf("stored subject %s: %s: %w", s.Key(), eventNames[k], err)
		}
		f.events[k] = packDate(d)
	}
	if s.PendingCase != nil {
		f.flags |= flagPendingKnown
		if *s.PendingCase {
			f.flags |= flagPending
		}
	}
	if s.Manager != nil {
		f.flags |= flagManagerKnown
		if *s.Manager {
			f.flags |= flagManager
		}
	}
	problem := s.Problem
	if s.MissingSince != nil {
		problem = joinProblem(problem, fmt.Sprintf("not in the latest export of %s (missing since the import of %s)", s.Source, imports[*s.MissingSince]))
	}
	f.problem = intern(problem)
	return f, nil
}

// packSubject packs a subject's facts, as loadSubjects merged them.
func packSubject(ps policies.Subject, intern func(string) int32) personFacts {
	var f personFacts
	for k, name := range eventNames {
		if d, ok := ps.Events[name]; ok {
			f.events[k] = packDate(d)
		}
	}
	if v, ok := ps.Flags["pending_case"]; ok {
		f.flags |= flagPendingKnown
		if v {
			f.flags |= flagPending
		}
	}
	if v, ok := ps.Flags["manager"]; ok {
		f.flags |= flagManagerKnown
		if v {
			f.flags |= flagManager
		}
	}
	f.problem = intern(ps.Problem)
	return f
}

func policySubject(s *store.Subject, imports map[int64]string) (policies.Subject, error) {
	// Flags stay nil unless the export says something: most people have
	// none, and a nil map reads as empty.
	ps := policies.Subject{Events: make(map[string]policies.Date, 4), Problem: s.Problem}
	for _, ev := range [...]struct{ name, v string }{{"started", s.Started}, {"left", s.Left}, {"born", s.Born}, {"case_closed", s.CaseClosed}} {
		if ev.v == "" {
			continue
		}
		d, err := policies.ParseDate(ev.v)
		if err != nil {
			return ps, fmt.Errorf("stored subject %s: %s: %w", s.Key(), ev.name, err)
		}
		ps.Events[ev.name] = d
	}
	if s.PendingCase != nil || s.Manager != nil {
		ps.Flags = make(map[string]bool, 2)
	}
	if s.PendingCase != nil {
		ps.Flags["pending_case"] = *s.PendingCase
	}
	if s.Manager != nil {
		ps.Flags["manager"] = *s.Manager
	}
	if s.MissingSince != nil {
		ps.Problem = joinProblem(ps.Problem, fmt.Sprintf("not in the latest export of %s (missing since the import of %s)", s.Source, imports[*s.MissingSince]))
	}
	return ps, nil
}

// mergeSubjects combines what two sources say about one person.
func mergeSubjects(a, b policies.Subject, srcA, srcB string) policies.Subject {
	m := policies.Subject{Events: map[string]policies.Date{}, Flags: map[string]bool{}, Problem: joinProblem(a.Problem, b.Problem)}
	for _, s := range []policies.Subject{a, b} {
		for k, v := range s.Events {
			if old, ok := m.Events[k]; ok && old != v {
				m.Problem = joinProblem(m.Problem, fmt.Sprintf("sources %s and %s disagree about %s (%s, %s)", srcA, srcB, k, old, v))
			}
			m.Events[k] = v
		}
		for k, v := range s.Flags {
			if old, ok := m.Flags[k]; ok && old != v {
				m.Problem = joinProblem(m.Problem, fmt.Sprintf("sources %s and %s disagree about %s", srcA, srcB, strings.ReplaceAll(k, "_", " ")))
			}
			m.Flags[k] = m.Flags[k] || v
		}
	}
	return m
}
