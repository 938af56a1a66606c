// Package scheduler runs retentiond's pipeline: it lists sources through
// connectors, asks the policies what is due, saves plans and cuts them into
// batches, applies approvals, executes approved batches and records every
// outcome in the ledger. It is the only package that imports policies,
// connectors and store together.
package scheduler

import "time"

// Clock tells the time. Nothing in the pipeline reads the system clock
// directly, so tests and `--now` can fix it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// FixedClock always returns T.
type FixedClock struct{ T time.Time }

// Now returns T.
func (c FixedClock) Now() time.Time { return c.T }
