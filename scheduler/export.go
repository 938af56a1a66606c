package scheduler

import (
	"context"
	"io"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/ledger/bundle"
	"github.com/retentiond/retentiond/store/ledger/summary"
)

// ExportInput gathers what bundle.Write needs from the pipeline: the
// ledger, its checkpoints with whether each was anchored, every verifier key
// the ledger used, and the current signing key for the manifest.
func ExportInput(ctx context.Context, p *Pipeline) (bundle.Input, error) {
	cps, err := p.Store.Checkpoints(ctx)
	if err != nil {
		return bundle.Input{}, err
	}
	anchored, err := p.Store.AnchoredSizes(ctx)
	if err != nil {
		return bundle.Input{}, err
	}
	keys, err := RotatedVerifierKeys(ctx, p.Store)
	if err != nil {
		return bundle.Input{}, err
	}
	in := bundle.Input{Origin: p.Config.Origin, Entries: p.Store.Entries, StoredHashes: p.Store.StoredHashes(ctx),
		Keys: keys, Signer: p.Signer, Location: p.Config.Location, Summary: summarizer{summary.New(p.Config.Location)}}
	for _, c := range cps {
		in.Checkpoints = append(in.Checkpoints, bundle.Checkpoint{N: c.N, Note: c.Note, At: c.At.Time, Anchored: anchored[c.N]})
	}
	return in, nil
}

// summarizer makes the bundle's summary with package summary.
type summarizer struct{ s *summary.Summary }

func (s summarizer) Add(i int64, e ledger.Entry) { s.s.Add(i, e) }

func (s summarizer) Write(csv, pdf io.Writer, in bundle.SummaryInfo) error {
	if err := s.s.WriteCSV(csv); err != nil {
		return err
	}
	return s.s.WritePDF(pdf, summary.Meta{Origin: in.Origin, From: in.From, To: in.To, Generated: in.Generated, Entries: in.Entries,
		CheckpointSize: in.CheckpointSize, CheckpointHash: in.CheckpointHash, Software: in.Software})
}
