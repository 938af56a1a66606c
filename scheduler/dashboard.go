package scheduler

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/ssh"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/ledger/bundle"
)

// The DPO's and auditors' part of the console reads: the dashboard, the
// ledger's status and verification, the evidence bundle, a person's
// explanation and an item's proof. Every method here checks the person's
// roles first (the console's handlers only pass the signed-in person on):
//
//   - the dashboard, the ledger's status and "verify now": any role;
//   - a person's explanation, an item's proof and the evidence bundle:
//     auditors and approvers (a DPO is an approver), not operators who
//     are neither, since they show or export what is kept about people.
//
// None of them changes the ledger, a batch, a hold or a decision: "verify
// now" records its result in a table of its own (ledger_verify).

// DashboardRoles may see the dashboard and the ledger's status.
var DashboardRoles = []string{configs.RoleApprover, configs.RoleOperator, configs.RoleAuditor}

// EvidenceRoles may look people up, prove items and export the evidence.
var EvidenceRoles = []string{configs.RoleAuditor, configs.RoleApprover}

// AuthorizeAny returns the person if they hold one of roles, else the
// refusal of the first role (an error wrapping ErrNotAllowed).
func (p *Pipeline) AuthorizeAny(ctx context.Context, person string, roles ...string) (configs.Person, error) {
	var first error
	for _, role := range roles {
		who, err := p.Authorize(ctx, person, role)
		if err == nil {
			return who, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("no role allows this: %w", ErrNotAllowed)
	}
	return configs.Person{}, first
}

// Dashboard is what the dashboard shows.
type Dashboard struct {
	Today string
	// Overdue are the items the latest plans found due and that are not
	// gone yet, per rule (sorted by rule).
	Overdue []OverdueRule
	// Months are the ledger's deletion entries per month (in the
	// configured time zone), the last DashboardMonths months, oldest
	// first, months without any included.
	Months []MonthDeletions
	// Waiting are the batches waiting for an operator (guarded), for
	// approval (pending) or for execution (approved), oldest first.
	Waiting []WaitingBatch
	// Ages counts Waiting by how long they have waited (WaitAges).
	Ages []int64
	// Sources are the configured sources and how their plans and
	// executions went.
	Sources []SourceHealth
}

// OverdueRule is one rule's due items not gone yet, by where they are.
type OverdueRule struct {
	Rule  string
	Title string
	// Unbatched are in no batch; Waiting in a batch waiting for an
	// operator or for approval; Approved in an approved batch not yet
	// run (or running).
	Unbatched, Waiting, Approved int64
}

// Total is every overdue item of the rule.
func (o OverdueRule) Total() int64 { return o.Unbatched + o.Waiting + o.Approved }

// MonthDeletions is the deletion entries of one month by outcome.
type MonthDeletions struct {
	Month    string // "2026-11"
	Deleted  int64  // outcome deleted
	Archived int64  // outcome archived
	Failed   int64  // outcome failed
	Other    int64  // absent, changed, held, skipped_hold, not_due, …: left alone
}

// WaitingBatch is a batch that waits, and since when.
type WaitingBatch struct {
	store.Batch
	Waited time.Duration
}

// WaitAges are the upper bounds of the age groups of Dashboard.Ages; the
// last group is everything older.
var WaitAges = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// DashboardMonths is how many months the deletion chart shows.
const DashboardMonths = 12

// SourceHealth is how one source's plans and executions went.
type SourceHealth struct {
	Source string
	Kind   string
	// LastPlan is when its newest complete plan was made (zero: never).
	LastPlan time.Time
	// Running is set when a newer plan was begun and did not complete
	// (still listing, or stopped), with when it began.
	Running time.Time
	// Incomplete is what the newest complete plan could not list.
	Incomplete string
	// Failed counts items whose deletion failed in the batches executed
	// in the last 30 days (Batches of them).
	Failed, Batches int64
}

// Failing reports whether the source needs an operator's look: never
// planned, its last plan could not list everything, or deletions failed.
func (h SourceHealth) Failing() bool {
	return h.LastPlan.IsZero() || h.Incomplete != "" || h.Failed > 0
}

// Dashboard computes the dashboard for person (any role), from aggregates
// of the store and of the ledger's index of deletions.
func (p *Pipeline) Dashboard(ctx context.Context, person string) (*Dashboard, error) {
	if _, err := p.AuthorizeAny(ctx, person, DashboardRoles...); err != nil {
		return nil, err
	}
	cfg := p.CurrentConfig()
	now := p.Clock.Now()
	d := &Dashboard{Today: cfg.Policies.Today(now).String()}

	due, err := p.Store.DueCounts(ctx)
	if err != nil {
		return nil, err
	}
	byRule := map[string]*OverdueRule{}
	for _, c := range due {
		o := byRule[c.Rule]
		if o == nil {
			o = &OverdueRule{Rule: c.Rule}
			if r := cfg.Policies.Rule(c.Rule); r != nil {
				o.Title = r.Title
			}
			byRule[c.Rule] = o
		}
		switch c.Status {
		case "":
			o.Unbatched += c.Items
		case store.StatusGuarded, store.StatusPending:
			o.Waiting += c.Items
		case store.StatusApproved, store.StatusExecuting:
			o.Approved += c.Items
		}
	}
	for _, o := range byRule {
		if o.Total() > 0 {
			d.Overdue = append(d.Overdue, *o)
		}
	}
	sort.Slice(d.Overdue, func(i, j int) bool { return d.Overdue[i].Rule < d.Overdue[j].Rule })

	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	first := time.Date(local.Year(), local.Month()-DashboardMonths+1, 1, 0, 0, 0, 0, loc)
	for i := range DashboardMonths {
		d.Months = append(d.Months, MonthDeletions{Month: first.AddDate(0, i, 0).Format("2006-01")})
	}
	// Each month's bounds as UTC minutes: the counts are kept by the
	// minute in UTC, so a month of the configured zone is a range of them.
	bounds := make([]string, 0, DashboardMonths+1)
	for i := range DashboardMonths + 1 {
		bounds = append(bounds, first.AddDate(0, i, 0).UTC().Format("2006-01-02T15:04"))
	}
	counts, err := p.Store.DeletionsIn(ctx, bounds)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		m := &d.Months[c.Period]
		switch c.Outcome {
		case "deleted":
			m.Deleted += c.N
		case "archived":
			m.Archived += c.N
		case "failed":
			m.Failed += c.N
		default:
			m.Other += c.N
		}
	}

	bs, err := p.Store.Batches(ctx, store.StatusGuarded, store.StatusPending, store.StatusApproved)
	if err != nil {
		return nil, err
	}
	d.Ages = make([]int64, len(WaitAges)+1)
	for _, b := range bs {
		w := WaitingBatch{Batch: b, Waited: now.Sub(b.CreatedAt.Time)}
		d.Waiting = append(d.Waiting, w)
		g := len(WaitAges)
		for i, a := range WaitAges {
			if w.Waited < a {
				g = i
				break
			}
		}
		d.Ages[g]++
	}
	sort.SliceStable(d.Waiting, func(i, j int) bool { return d.Waiting[i].Waited > d.Waiting[j].Waited })

	plans, err := p.Store.SourcePlans(ctx)
	if err != nil {
		return nil, err
	}
	failures, err := p.Store.SourceFailures(ctx, store.Time{Time: now.Add(-30 * 24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	for _, src := range cfg.Sources {
		h := SourceHealth{Source: src.Name, Kind: src.Kind.Name}
		if isSubjectKind(src) {
			continue // exports are imported, not planned
		}
		for _, pl := range plans {
			if pl.Source != src.Name {
				continue
			}
			h.LastPlan, h.Incomplete = pl.CompleteAt.Time, pl.Incomplete
			if pl.LatestState != "complete" {
				h.Running = pl.LatestAt.Time
			}
		}
		for _, f := range failures {
			if f.Source == src.Name {
				h.Failed, h.Batches = f.Failed, f.Batches
			}
		}
		d.Sources = append(d.Sources, h)
	}
	return d, nil
}

// LedgerStatus is the ledger's state as the ledger page shows it.
type LedgerStatus struct {
	Origin      string
	Size        int64 // entries
	Checkpoints int64
	// Latest is the newest checkpoint (N 0: none yet); Root its tree's
	// root hash (base64, as in the checkpoint).
	Latest store.Checkpoint
	Root   string
	// KeyID is the signing key's id (name+hash, as checkpoints name it)
	// and KeyFingerprint its SSH SHA256 fingerprint (as ssh-keygen -l
	// prints the bundle's keys/allowed_signers).
	KeyID, KeyFingerprint string
	Anchors               []store.AnchorTarget
	// LastVerify is the newest verification from the console, nil for
	// none.
	LastVerify *store.LedgerVerify
}

// LedgerStatus reports the ledger's state to person (any role).
func (p *Pipeline) LedgerStatus(ctx context.Context, person string) (*LedgerStatus, error) {
	if _, err := p.AuthorizeAny(ctx, person, DashboardRoles...); err != nil {
		return nil, err
	}
	st := &LedgerStatus{Origin: p.CurrentConfig().Origin}
	var err error
	if st.Size, err = p.Store.TreeSize(ctx); err != nil {
		return nil, err
	}
	if st.Checkpoints, err = p.Store.CheckpointCount(ctx); err != nil {
		return nil, err
	}
	if cp, ok, err := p.Store.LatestCheckpoint(ctx); err != nil {
		return nil, err
	} else if ok {
		st.Latest = cp
		if body, err := ledger.PeekCheckpoint(cp.Note); err == nil {
			st.Root = body.Hash.String()
		}
	}
	if p.Signer != nil {
		vk, err := ledger.ParseVerifierKey(p.Signer.VerifierKey())
		if err != nil {
			return nil, err
		}
		st.KeyID = vk.ID()
		if line, err := vk.SSH(); err == nil {
			if pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
				st.KeyFingerprint = ssh.FingerprintSHA256(pk)
			}
		}
	}
	if st.Anchors, err = p.Store.AnchorTargets(ctx); err != nil {
		return nil, err
	}
	if st.LastVerify, err = p.Store.LastLedgerVerify(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// VerifyFailed is a ledger that did not verify: what failed. Errors that
// are not a VerifyFailed (reading the database) are not a verdict on
// the ledger.
type VerifyFailed struct {
	// Anchor, from 1, is the anchored checkpoint the entries do not
	// match; 0 for another failure.
	Anchor int
	Err    error
}

func (e *VerifyFailed) Error() string {
	if e.Anchor > 0 {
		return fmt.Sprintf("ledger verification FAILED against anchored checkpoint %d: %v", e.Anchor, e.Err)
	}
	return "ledger verification FAILED: " + e.Err.Error()
}
func (e *VerifyFailed) Unwrap() error { return e.Err }

// ConfiguredVerifierKeys returns the keys `ledger verify` trusts for the
// configured database: the verifier key beside the signing key (its .pub
// file) and every key the ledger's rotations introduced or retired.
func ConfiguredVerifierKeys(ctx context.Context, cfg *configs.Config, st *store.Store) ([]string, error) {
	file := cfg.Keys.Signing + ".pub"
	b, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("verifier key %s is missing", file)
		} else {
			err = fmt.Errorf("read verifier key: %w", err)
		}
		return nil, fmt.Errorf("%w: restore it from backup or give the key with --key", err)
	}
	rotated, err := RotatedVerifierKeys(ctx, st)
	if err != nil {
		return nil, err
	}
	return append([]string{strings.TrimSpace(string(b))}, rotated...), nil
}

// VerifyStore verifies the ledger of st as `ledger verify` does: every
// entry canonical, the tree and every stored hash recomputed, every
// checkpoint's signature (with trusted and the rotations recorded) and
// root, then anchors (checkpoints received by anchoring), what the
// entries say, the stored policy texts against their digests, and, with
// cfg (nil: a database file on its own), the continuity of the ledger
// with the marker beside the key and the anchored checkpoints. A ledger
// that does not verify is a *VerifyFailed.
func VerifyStore(ctx context.Context, cfg *configs.Config, st *store.Store, trusted []string, anchors [][]byte, log *zap.Logger) (*ledger.Report, error) {
	origin := ""
	if cfg != nil {
		origin = cfg.Origin
	}
	verifiers, err := ledger.NewVerifiers(trusted...)
	if err != nil {
		return nil, err
	}
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rules := ledger.NewContentRules()
	src := ledger.Source{Entries: st.Entries, StoredHashes: st.StoredHashes(ctx), Verifiers: verifiers, Origin: origin, Content: rules}
	for i, c := range cps {
		body, err := ledger.PeekCheckpoint(c.Note)
		if err == nil && body.N != c.N {
			err = fmt.Errorf("stored under size %d but signs size %d", c.N, body.N)
		}
		if err != nil {
			return nil, &VerifyFailed{Err: fmt.Errorf("checkpoint %d: %w", i, err)}
		}
		src.Checkpoints = append(src.Checkpoints, c.Note)
	}
	src.Checkpoints = append(src.Checkpoints, anchors...)
	rep, err := ledger.Verify(ctx, src)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if ve, ok := errors.AsType[*ledger.VerifyError](err); ok && ve.Checkpoint >= len(cps) {
			return nil, &VerifyFailed{Anchor: ve.Checkpoint - len(cps) + 1, Err: err}
		}
		return nil, &VerifyFailed{Err: err}
	}
	texts, err := st.PolicyTexts(ctx)
	if err != nil {
		return nil, err
	}
	for _, pt := range texts {
		i, ok := rules.PolicyEntry(pt.Digest)
		if !ok {
			return nil, &VerifyFailed{Err: fmt.Errorf("stored policy text %s is cited by no policy entry", pt.Digest)}
		}
		sum := sha256.Sum256(pt.Text)
		if "sha256:"+hex.EncodeToString(sum[:]) != pt.Digest {
			return nil, &VerifyFailed{Err: fmt.Errorf("entry %d: the stored text of policy %s does not match its digest %s", i, pt.ID, pt.Digest)}
		}
	}
	if cfg != nil {
		// A lost or older database verifies on its own: check it against
		// the marker beside the key and the anchored checkpoints.
		if err := CheckContinuity(ctx, cfg, st, verifiers, log); err != nil {
			return nil, &VerifyFailed{Err: err}
		}
	}
	return rep, nil
}

// VerifyNow verifies the configured ledger for person (any role), as
// `ledger verify` with no argument does, and records the result
// (ledger_verify): a failure is a result, returned as the recorded
// store.LedgerVerify with OK false, not as an error.
func (p *Pipeline) VerifyNow(ctx context.Context, person string) (*store.LedgerVerify, error) {
	if _, err := p.AuthorizeAny(ctx, person, DashboardRoles...); err != nil {
		return nil, err
	}
	cfg := p.CurrentConfig()
	v := store.LedgerVerify{Person: person}
	trusted, err := ConfiguredVerifierKeys(ctx, cfg, p.Store)
	var rep *ledger.Report
	if err == nil {
		rep, err = VerifyStore(ctx, cfg, p.Store, trusted, nil, p.Log)
	}
	var failed *VerifyFailed
	switch {
	case err == nil:
		v.OK, v.Entries, v.Checkpoint = true, rep.Entries, rep.Latest.N
	case errors.As(err, &failed):
		v.Message = failed.Error()
	case ctx.Err() != nil:
		return nil, err
	default:
		// The key file is missing or the database did not answer: the
		// ledger could not be verified, which is a failed verification.
		v.Message = err.Error()
	}
	if v.Entries == 0 {
		if n, err := p.Store.TreeSize(ctx); err == nil && !v.OK {
			v.Entries = n
		}
	}
	v.At = store.Time{Time: p.Clock.Now()}
	if err := p.Store.AddLedgerVerify(context.WithoutCancel(ctx), v); err != nil {
		return nil, err
	}
	if v.OK {
		p.Log.Info("ledger verified from the console", zap.Int64("entries", v.Entries), zap.Int64("checkpoint", v.Checkpoint))
	} else {
		p.Log.Warn("ledger verification from the console FAILED", zap.String("why", v.Message))
	}
	return &v, nil
}

// ExportedBundle is an evidence bundle written for a download: Archive
// streams it, Close removes it.
type ExportedBundle struct {
	*bundle.Result
	// Name is the bundle's directory name inside the archive.
	Name string
	tmp  string
}

// ExportBundle writes the evidence bundle (`ledger export`) of the period
// [from, to) (zero: open) for person (auditor or approver) into a
// temporary directory beside the database, for Archive.
func (p *Pipeline) ExportBundle(ctx context.Context, person string, from, to time.Time) (*ExportedBundle, error) {
	if _, err := p.AuthorizeAny(ctx, person, EvidenceRoles...); err != nil {
		return nil, err
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, fmt.Errorf("the period's first day %s is not before its end %s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), ErrNoMatch)
	}
	cfg := p.CurrentConfig()
	in, err := ExportInput(ctx, p)
	if err != nil {
		return nil, err
	}
	now := p.Clock.Now()
	in.Software, in.Generated, in.From, in.To = p.Software, now, from, to
	if in.Software == "" {
		in.Software = "retentiond"
	}
	dir := filepath.Dir(cfg.Database)
	removeStaleExports(dir, now, p.Log)
	tmp, err := os.MkdirTemp(dir, consoleExportPrefix)
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	name := "retentiond-evidence-" + now.In(cfg.Location).Format("20060102-150405")
	res, err := bundle.Write(ctx, filepath.Join(tmp, name), in)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &ExportedBundle{Result: res, Name: name, tmp: tmp}, nil
}

// consoleExportPrefix begins the names of the temporary directories
// ExportBundle writes bundles into.
const consoleExportPrefix = ".console-export-"

// removeStaleExports removes the temporary directories of console exports
// in dir last changed more than a day before now: left by a process that
// stopped while it streamed one (a download in progress is younger).
func removeStaleExports(dir string, now time.Time, log *zap.Logger) {
	stale, _ := filepath.Glob(filepath.Join(dir, consoleExportPrefix+"*"))
	for _, d := range stale {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < 24*time.Hour {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			log.Warn("removing an unfinished console export failed", zap.String("path", d), zap.Error(err))
		}
	}
}

// Archive writes the bundle as a gzip-compressed tar archive whose files
// are under Name/, as bundle.Write made them.
func (b *ExportedBundle) Archive(ctx context.Context, w io.Writer) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	root := filepath.Dir(b.Dir)
	err := filepath.WalkDir(b.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return fmt.Errorf("archive the evidence bundle: %w", err)
	}
	return nil
}

// Close removes the bundle written for the download.
func (b *ExportedBundle) Close() error { return os.RemoveAll(b.tmp) }

// ItemEntry is a ledger entry about one item.
type ItemEntry struct {
	Index int64
	Data  []byte
	Entry ledger.Entry
}

// ItemEntries returns the ledger's entries about any of refs (an item's
// references under the reference key and the retired ones), in ledger
// order.
func ItemEntries(ctx context.Context, st *store.Store, refs []string) ([]ItemEntry, error) {
	var hits []ItemEntry
	err := st.EntriesMentioning(ctx, refs, func(idx int64, data []byte) error {
		e, err := ledger.Parse(data)
		if err != nil {
			return fmt.Errorf("entry %d does not parse; run `retentiond ledger verify`: %w", idx, err)
		}
		if slices.Contains(refs, e.Item) {
			hits = append(hits, ItemEntry{idx, append([]byte(nil), data...), e})
		}
		return nil
	})
	return hits, err
}

// Errors of ProveItem that say what the person asked for does not exist.
var (
	// ErrNoEntry: the ledger has no entry about the item.
	ErrNoEntry = errors.New("the ledger has no entry about this item")
	// ErrNoDeletion: it has entries about it, none a deletion.
	ErrNoDeletion = errors.New("none of the ledger's entries about this item is a deletion")
	// ErrNotCheckpointed: its latest deletion is not under a signed
	// checkpoint yet.
	ErrNotCheckpointed = errors.New("the item's deletion is newer than the latest signed checkpoint")
)

// refusal is an error with its own words that Is one of the sentinels
// above.
type refusal struct {
	msg string
	is  error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.is }

// ItemProof is a .tlog-proof of an item's latest deletion entry.
type ItemProof struct {
	Source string
	// Entries are every entry about the item; Proven the one proven.
	Entries []ItemEntry
	Proven  ItemEntry
	// Size is the size of the checkpoint the proof is against.
	Size  int64
	Proof []byte
}

// ProveItem proves, for person (auditor or approver), the latest deletion
// entry of the item ref (as its connector names it) of source against the
// latest checkpoint, as `ledger prove` does. Nothing is written.
func (p *Pipeline) ProveItem(ctx context.Context, person, source, ref string) (*ItemProof, error) {
	if _, err := p.AuthorizeAny(ctx, person, EvidenceRoles...); err != nil {
		return nil, err
	}
	cfg := p.CurrentConfig()
	src, ok := cfg.Source(source)
	if !ok {
		return nil, fmt.Errorf("no source %q: %w", source, ErrNoEntry)
	}
	ring, err := ledger.LoadRefKeyRing(cfg.Keys.References)
	if err != nil {
		return nil, err
	}
	hits, err := ItemEntries(ctx, p.Store, ring.Refs("item:"+src.Kind.Name+":"+src.Name, ref))
	if err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return nil, ErrNoEntry
	}
	cps, err := p.Store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	proven, cp, pf, err := ProveLatestDeletion(ctx, p.Store, hits, cps)
	if err != nil {
		return nil, err
	}
	return &ItemProof{Source: src.Name, Entries: hits, Proven: *proven, Size: cp.N, Proof: pf}, nil
}

// ProveLatestDeletion makes a .tlog-proof of the latest deletion among
// hits against the latest of cps (smallest first), with `ledger prove`'s
// refusals (wrapping ErrNoDeletion and ErrNotCheckpointed).
func ProveLatestDeletion(ctx context.Context, st *store.Store, hits []ItemEntry, cps []store.Checkpoint) (*ItemEntry, store.Checkpoint, []byte, error) {
	var last *ItemEntry
	for i := range hits {
		if hits[i].Entry.Type == ledger.TypeDeletion {
			last = &hits[i]
		}
	}
	if last == nil {
		return nil, store.Checkpoint{}, nil, &refusal{"none of them is a deletion entry; no proof written", ErrNoDeletion}
	}
	if len(cps) == 0 {
		return nil, store.Checkpoint{}, nil, &refusal{fmt.Sprintf("the ledger has no signed checkpoint yet, so entry %d cannot be proven; run any command that writes to the ledger, or wait for the daemon", last.Index), ErrNotCheckpointed}
	}
	cp := cps[len(cps)-1]
	if last.Index >= cp.N {
		return nil, store.Checkpoint{}, nil, &refusal{fmt.Sprintf("the latest deletion entry for this item, %d, is newer than the latest signed checkpoint (size %d), so no proof can be made yet; run any command that writes to the ledger, or wait for the daemon", last.Index, cp.N), ErrNotCheckpointed}
	}
	pf, err := ledger.MakeProof(last.Index, last.Data, cp.Note, cp.N, st.HashReader(ctx))
	if err != nil {
		return nil, store.Checkpoint{}, nil, err
	}
	return last, cp, pf, nil
}

// ExplainSubjectFor is ExplainSubject for person (auditor or approver): a
// person's facts, holds and items are personal data.
func (p *Pipeline) ExplainSubjectFor(ctx context.Context, person, key string) (*SubjectReport, error) {
	if _, err := p.AuthorizeAny(ctx, person, EvidenceRoles...); err != nil {
		return nil, err
	}
	return p.ExplainSubject(ctx, key)
}

// ImportsFor returns the newest n imports of the school systems' exports,
// applied or refused and why (`retentiond subjects imports`), for person
// (auditor or approver): whether the facts a lookup shows are current.
func (p *Pipeline) ImportsFor(ctx context.Context, person string, n int) ([]store.SubjectImport, error) {
	if _, err := p.AuthorizeAny(ctx, person, EvidenceRoles...); err != nil {
		return nil, err
	}
	imps, err := p.Store.Imports(ctx)
	if err != nil {
		return nil, err
	}
	if len(imps) > n {
		imps = imps[:n]
	}
	return imps, nil
}
