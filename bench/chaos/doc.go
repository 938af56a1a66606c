// Package chaos is retentiond's reliability suite. Its tests build the real
// binary and attack it as a user (or an attacker with a shell) would, against
// real files in a temporary directory and a real SQLite database: kill -9 at
// random points of execute, plan, ledger export and key rotation; a reject, a
// hold, a configuration reload and a second execute at random moments of a
// running batch; items excluded from an approved batch, a file changed after
// approval and a re-plan before execute, and an exclusion racing execute's
// start; a full disk; files re-created or swapped between a kill and
// the rerun; a lost, truncated or tampered database. After every iteration it
// checks the invariants from the filesystem and the ledger itself:
//
//	(a) nothing was deleted that was not approved and unheld when its chunk
//	    started: files outside approved batches, and files under a hold placed
//	    before execute started, are still there; after a reject or a hold
//	    during a run, at most the chunk in flight went on;
//	(b) every file that is gone has exactly one "deleted" ledger entry, and
//	    no file that is still there has one;
//	(c) ledger verify passes (and fails on a tampered ledger);
//	(d) a lost ledger is never silently replaced by a new one;
//	(e) the user can carry on: a command rerun after a kill succeeds, leaves
//	    no debris (a killed export's .NAME.tmp-*), and no command hangs.
//
// go test ./bench/chaos runs a few iterations of each attack; bench/chaos.sh N
// runs N. See chaos_test.go for the flags.
package chaos
