package summary

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/retentiond/retentiond/store/ledger"
)

var cph = mustLoc("Europe/Copenhagen")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// private is what entries may carry that a summary must never show: the
// references to items, folders and subjects, and the free text operators
// typed (reasons, policy texts).
type private struct {
	refs  []string
	texts []string
}

// schoolYear returns the ledger of a school over 14 months (October 2025
// to November 2026): 3 policies with 6 rules, 40 batches approved at one or
// two stages or automatically, some rejected or superseded, deletions with
// every outcome and failure codes, holds, a policy change and two key
// rotations. The first 8 batch entries record no stages, as ledgers written
// before batch entries carried them; later ones do, and among them are
// batches approved at one of two stages only, items withdrawn from open
// batches, an item excluded, rejections that keep their items until a date,
// a revoked decision, a batch whose every item was withdrawn and
// escalations. The ids carry Danish letters, as configured ids do.
func schoolYear(t testing.TB) ([]ledger.Entry, private) {
	refs, err := ledger.NewRefKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	_, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)), "skole.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	var priv private
	ref := func(domain, v string) string {
		r := refs.Ref(domain, v)
		priv.refs = append(priv.refs, r)
		return r
	}
	reason := func(s string) string { priv.texts = append(priv.texts, s); return s }

	type ruleDef struct {
		policy, id string
		stages     []string // approvers by stage; none: automatic
		source     string
	}
	rules := []ruleDef{
		{"elevdata", "elevplaner", []string{"søren"}, "fælles-drev"},
		{"elevdata", "fravær", []string{"søren"}, "fælles-drev"},
		{"elevdata", "karakterer", []string{"søren", "åse"}, "fælles-drev"},
		{"personale", "ansøgninger", []string{"åse", "bjørn"}, "hr-m365"},
		{"personale", "lønbilag", []string{"bjørn"}, "hr-m365"},
		{"drift", "logfiler", nil, "fælles-drev"},
	}
	digests := map[string]string{
		"elevdata":  "sha256:1f0c6a3e9b7d4c2a8e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5",
		"personale": "sha256:9a8b7c6d5e4f30211f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978",
		"drift":     "sha256:5e5e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
	}
	start := time.Date(2025, 10, 1, 6, 0, 0, 0, time.UTC)
	var out []ledger.Entry
	add := func(e ledger.Entry) { out = append(out, e) }
	for _, p := range []string{"elevdata", "personale", "drift"} {
		add(ledger.Entry{Type: ledger.TypePolicy, Time: start, Policy: p, PolicyDigest: digests[p],
			Text: reason("version: 1\n# kontakt: Åse Ørsted, skoleleder\n")})
	}
	// A hold placed before the period ends in its second month.
	add(ledger.Entry{Type: ledger.TypeHoldReleased, Time: time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC), Hold: "H-7", Actor: "it-drift"})

	const batches = 40
	for k := 0; k < batches; k++ {
		rd := rules[k%len(rules)]
		month := k * 14 / batches
		planned := time.Date(2025, time.Month(10+month), 3+(k%5)*5, 5, 30, 0, 0, time.UTC)
		if k == 17 { // planned on the last evening of March, local time
			planned = time.Date(2026, 3, 31, 19, 0, 0, 0, time.UTC)
		}
		if month == 6 && k%6 == 0 && rd.policy == "elevdata" {
			digests["elevdata"] = "sha256:2b4d6f8091a3c5e7f9b1d3f5a7c9e1f3b5d7f9a1c3e5f7091b3d5f7a9c1e3f50"
			add(ledger.Entry{Type: ledger.TypePolicy, Time: planned.Add(-time.Hour), Policy: "elevdata", PolicyDigest: digests["elevdata"],
				Text: reason("version: 2\n# ændret efter klage fra Jens Hansen\n")})
		}
		id := int64(101 + k)
		items := int64(6 + (k*7)%17)
		planner := "it-drift"
		if k%3 == 0 {
			planner = "retentiond" // the daemon's scheduled plan
		}
		var stages []string
		if k >= 8 {
			for s := range rd.stages {
				stages = append(stages, []string{"ledelse:1", "dpo:1"}[s])
			}
		}
		add(ledger.Entry{Type: ledger.TypeBatch, Time: planned, Batch: id, Source: rd.source, SourceKind: "fileshare",
			Policy: rd.policy, PolicyDigest: digests[rd.policy], Rule: rd.id, Period: "P3Y", Basis: "item.modified",
			Items: items, Size: items * 250_000, Actor: planner, Plan: "sha256:00", Stages: stages})
		itemRef := func(i int64) string {
			return ref("item:fileshare:"+rd.source, fmt.Sprintf("Elever/Åse Ørsted %d/fil-%d.docx", k, i))
		}
		withdraw := func(at time.Time, i int64, code string) {
			add(ledger.Entry{Type: ledger.TypeWithdrawal, Time: at, Batch: id, Source: rd.source, SourceKind: "fileshare", Rule: rd.id,
				Plan: "sha256:00", Item: itemRef(i), Code: code})
		}
		if k == 31 { // every item changed or went out of scope before anyone approved: the batch is withdrawn
			for i := int64(0); i < items; i++ {
				withdraw(planned.Add(24*time.Hour), i, []string{"not_due", "changed", "absent"}[i%3])
			}
			continue
		}
		// Items withdrawn (the last ones) before approval; one excluded.
		var withdrawn int64
		if k >= 8 && k%5 == 2 {
			withdraw(planned.Add(time.Hour), items-1, []string{"changed", "held"}[k%2])
			withdrawn++
		}
		if k >= 8 && k%7 == 3 && len(rd.stages) > 0 {
			i := items - 1 - withdrawn
			add(ledger.Entry{Type: ledger.TypeRetentionDecision, Time: planned.Add(90 * time.Minute), Batch: id, Rule: rd.id,
				Decision: fmt.Sprintf("D-%d", 100+k), Code: "excluded", Item: itemRef(i), Actor: rd.stages[0], Role: "approver",
				Reason: reason("Sagen om Jens Hansen er ikke afsluttet"), Until: "2027-08-01", Auth: "typed"})
			withdraw(planned.Add(91*time.Minute), i, "excluded")
			withdrawn++
		}
		// Holds and key rotations, a few days after the batch was planned.
		switch k {
		case 6:
			add(ledger.Entry{Type: ledger.TypeHoldAdded, Time: planned.Add(97 * time.Hour), Hold: "H-8", Source: "fælles-drev", Actor: "it-drift",
				Role: "operator", Reason: reason("Klage fra forælder til Anders Jensen"), Subject: ref("subject", "0101-hold"),
				Container: ref("hold-path", "Elever/Anders Jensen")})
		case 12:
			add(ledger.Entry{Type: ledger.TypeHoldAdded, Time: planned.Add(97 * time.Hour), Hold: "H-9", Actor: "it-drift", Role: "operator",
				Due: "2027-06-30", Reason: reason("Tilsyn"), Item: ref("item:any:hr-m365", "Løn/Bjørn Ågård.pdf")})
		case 20:
			add(ledger.Entry{Type: ledger.TypeKeyRotation, Time: planned.Add(98 * time.Hour), Method: ledger.KeySigning, Key: vkey,
				Actor: "it-drift", Role: "operator", Period: "P7D"})
		case 21:
			add(ledger.Entry{Type: ledger.TypeKeyRotation, Time: planned.Add(98 * time.Hour), Method: ledger.KeyReference, Key: "k2b7c9d1",
				Actor: "it-drift", Role: "operator"})
		case 28:
			add(ledger.Entry{Type: ledger.TypeHoldReleased, Time: planned.Add(97 * time.Hour), Hold: "H-8", Actor: "åse", Role: "operator"})
		case 36:
			add(ledger.Entry{Type: ledger.TypeHoldAdded, Time: planned.Add(97 * time.Hour), Hold: "H-10", Source: "hr-m365", Actor: "bjørn",
				Role: "operator", Reason: reason("Aktindsigt")})
		}
		at := planned.Add(2 * time.Hour)
		if k >= 8 && k%9 == 7 && k%17 != 8 && len(rd.stages) > 0 { // waited past escalate_after before anyone approved
			add(ledger.Entry{Type: ledger.TypeEscalation, Time: planned.Add(14*24*time.Hour + time.Hour), Batch: id, Rule: rd.id,
				Plan: "sha256:00", Reason: "waited more than P14D; offered to group rektorer"})
			at = planned.Add(15 * 24 * time.Hour)
		}
		switch {
		case k%17 == 8: // a later plan replaces it before anyone approves it
			add(ledger.Entry{Type: ledger.TypeRejection, Time: planned.Add(72 * time.Hour), Batch: id, Rule: rd.id, Source: rd.source,
				Reason: reason("superseded by plan 12")})
			continue
		case k%11 == 4 && len(rd.stages) == 2: // approved at the first of two stages; still waiting for the second
			add(ledger.Entry{Type: ledger.TypeApproval, Time: at, Batch: id, Rule: rd.id, Actor: rd.stages[0], Role: "approver", Stage: 1})
			continue
		case len(rd.stages) == 0:
			if k%12 == 5 { // the size guard held it; an operator confirmed it
				add(ledger.Entry{Type: ledger.TypeConfirmation, Time: at, Batch: id, Rule: rd.id, Actor: "it-drift", Role: "operator", Items: items})
			}
			add(ledger.Entry{Type: ledger.TypeApproval, Time: at, Batch: id, Rule: rd.id, Reason: "automatic: the rule needs no approval"})
		default:
			for s, who := range rd.stages {
				add(ledger.Entry{Type: ledger.TypeApproval, Time: at.Add(time.Duration(s) * 26 * time.Hour), Batch: id, Rule: rd.id,
					Actor: who, Role: "approver", Stage: s + 1})
			}
		}
		if k%13 == 6 { // approved at the first stage, then rejected
			add(ledger.Entry{Type: ledger.TypeRejection, Time: at.Add(30 * time.Hour), Batch: id, Rule: rd.id, Actor: "bjørn", Role: "approver",
				Reason: reason("Lærer Mette Sørensen bruger stadig mappen")})
			if k >= 8 { // the rejection keeps its items until a date
				decision := fmt.Sprintf("D-%d", 100+k)
				add(ledger.Entry{Type: ledger.TypeRetentionDecision, Time: at.Add(30 * time.Hour), Batch: id, Rule: rd.id, Decision: decision,
					Code: "rejected", Items: items - withdrawn, Actor: "bjørn", Role: "approver",
					Reason: reason("Lærer Mette Sørensen bruger stadig mappen"), Until: "2027-06-30", Auth: "typed"})
				if k == 19 { // revoked a month later
					add(ledger.Entry{Type: ledger.TypeDecisionRevoked, Time: at.Add(31 * 24 * time.Hour), Decision: decision, Actor: "bjørn",
						Role: "approver", Auth: "typed"})
				}
			}
			continue
		}
		exec := at.Add(time.Duration(len(rd.stages))*26*time.Hour + 3*time.Hour)
		add(ledger.Entry{Type: ledger.TypeExecutionStarted, Time: exec, Batch: id, Rule: rd.id, Source: rd.source, Items: items,
			Actor: "it-drift", Role: "operator"})
		var deleted int64
		for i := int64(0); i < items; i++ {
			e := ledger.Entry{Type: ledger.TypeDeletion, Time: exec.Add(time.Duration(i) * time.Second), Batch: id, Source: rd.source,
				SourceKind: "fileshare", Item: itemRef(i),
				Container: ref("container:fileshare:"+rd.source, fmt.Sprintf("Elever/Åse Ørsted %d", k)),
				Subject:   ref("subject", fmt.Sprintf("0101%02d-1234", k)), Size: 100_000 + i*12_345,
				Policy: rd.policy, PolicyDigest: digests[rd.policy], Rule: rd.id, Period: "P3Y", Basis: "item.modified",
				Anchor: "2022-06-30", Due: "2025-06-30", Plan: "sha256:00", Approvals: rd.stages, Actor: "it-drift", Outcome: "deleted",
				Method: "delete", Verified: true}
			switch j := (int64(k)*5 + i) % 23; {
			case j == 3 && k%4 == 1:
				e.Outcome, e.Code = "failed", "permission_denied"
			case j == 7 && k%3 == 2:
				e.Outcome, e.Code = "failed", "unavailable"
			case j == 11 && rd.source == "hr-m365":
				e.Outcome = "held"
			case j == 13 && month >= 2 && month <= 9:
				e.Outcome = "skipped_hold"
			case j == 17:
				e.Outcome = "absent"
			case j == 19 && k%2 == 0:
				e.Outcome = "changed"
			case j == 21:
				e.Outcome = "not_due"
			}
			if i >= items-withdrawn {
				e.Outcome = "withdrawn"
			}
			if e.Outcome != "deleted" {
				e.Method, e.Verified = "", false
			} else {
				deleted++
			}
			add(e)
		}
		if k == 9 {
			add(ledger.Entry{Type: ledger.TypePrune, Time: exec.Add(time.Minute), Batch: id, Source: rd.source, Rule: rd.id,
				Container: ref("container:fileshare:"+rd.source, "Elever/Åse Ørsted 9"), Outcome: "pruned", Method: "delete", Verified: true})
		}
		add(ledger.Entry{Type: ledger.TypeExecutionFinished, Time: exec.Add(10 * time.Minute), Batch: id, Rule: rd.id, Source: rd.source,
			Items: deleted, Actor: "it-drift", Role: "operator"})

	}
	// The ledger is in time order, as entries are appended.
	slices.SortStableFunc(out, func(a, b ledger.Entry) int { return a.Time.Compare(b.Time) })
	// Every entry must be one the ledger accepts.
	for i, e := range out {
		if _, err := e.Marshal(); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	return out, priv
}

func build(entries []ledger.Entry) *Summary {
	s := New(cph)
	for i, e := range entries {
		s.Add(int64(i), e)
	}
	return s
}

var testMeta = Meta{
	Origin:         "skole.example/ledger",
	From:           time.Date(2025, 10, 1, 0, 0, 0, 0, cph),
	To:             time.Date(2026, 12, 1, 0, 0, 0, 0, cph),
	Generated:      time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC),
	Entries:        1187,
	CheckpointSize: 1187,
	CheckpointHash: "udWIGsmsHtS3dKQ5wUI89clVU3w6LqxZV6/ojR/t0NM=",
	Software:       "retentiond 0.9.0",
}
