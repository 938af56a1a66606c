package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store/ledger"
)

// The operators' actions of the web console that are not already a
// Pipeline method checking the operator role. Each checks the role first
// (Authorize), then does what the command line does.

// ForJob returns a pipeline for one job that runs beside a console's
// requests (a plan or an execution started from a page): the same store,
// keys and clock, and the configuration in force now for the whole job,
// whatever SetConfig puts in force meanwhile (Config's rule: a job sees
// one configuration from start to end).
func (p *Pipeline) ForJob() *Pipeline {
	return &Pipeline{Config: p.CurrentConfig(), Store: p.Store, Signer: p.Signer, Refs: p.Refs, retired: p.retired,
		Clock: p.Clock, Log: p.Log, Host: p.Host, Software: p.Software, Auth: p.Auth,
		CheckpointItems: p.CheckpointItems, CheckpointContainers: p.CheckpointContainers, Open: p.Open, slice: p.slice}
}

// PlanNow plans one source for today as operator person (the console's
// "Plan now"; `retentiond plan --source`): the operator is the plan's
// planner, so they can never be the only approver of its batches.
func (p *Pipeline) PlanNow(ctx context.Context, person, source string) (*PlanResult, error) {
	who, err := p.Authorize(ctx, person, configs.RoleOperator)
	if err != nil {
		return nil, err
	}
	return p.Plan(ctx, PlanOptions{Source: source, Planner: who.ID})
}

// ExecuteNow executes one approved batch as operator person (the console's
// "Execute now"; `retentiond execute --batch ID --as`): the ledger's
// execution entries name them, and how they signed in when ctx carries
// it. A batch executed meanwhile by another run (the daemon, another
// operator) is refused with an ErrState that says so. The ledger is
// anchored afterwards as `execute` does; an anchor that fails is returned
// beside the result (the execution stands).
func (p *Pipeline) ExecuteNow(ctx context.Context, person string, batch int64) (ExecuteResult, error) {
	who, err := p.Authorize(ctx, person, configs.RoleOperator)
	if err != nil {
		return ExecuteResult{}, err
	}
	rs, err := p.Execute(ctx, batch, who.ID)
	if len(rs) == 0 {
		if err == nil {
			err = fmt.Errorf("batch %d was not executed: %w", batch, ErrState)
		}
		return ExecuteResult{Batch: batch}, err
	}
	r := rs[0]
	if err == nil && r.Err != nil {
		err = r.Err
	}
	if _, aerr := p.Anchor(context.WithoutCancel(ctx)); aerr != nil && err == nil {
		err = fmt.Errorf("batch %d executed, but anchoring the ledger failed: %w", batch, aerr)
	}
	return r, err
}

// signedIfGiven records on e how its actor signed in when ctx carries an
// identity (the console's requests and the jobs they start); entries of
// the daemon's own runs stay as they were.
func (p *Pipeline) signedIfGiven(ctx context.Context, e *ledger.Entry) {
	if id, ok := ctx.Value(identityKey{}).(Identity); ok && id.Method != "" {
		e.Auth, e.Identity = id.Method, id.Subject
	}
}

// WriteInstruction writes an issued instruction's documents into dir as
// `retentiond instructions` does: ID-system.pdf, .md, .csv and the signed
// .note. It returns the files' common path without extension.
func WriteInstruction(dir string, in IssuedInstruction) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '-'
		}
		return r
	}, strings.ToLower(in.System))
	base := filepath.Join(dir, in.ID+"-"+safe)
	for ext, data := range map[string][]byte{".md": in.Markdown, ".pdf": in.PDF, ".csv": in.CSV, ".note": in.Note} {
		if err := os.WriteFile(base+ext, data, 0o600); err != nil {
			return "", fmt.Errorf("write instruction %s: %w", in.ID, err)
		}
	}
	return base, nil
}
