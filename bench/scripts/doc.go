// Package scripts keeps the benchmark scripts of bench/ honest without
// running them at size: every bench/*.sh parses (bash -n) and passes
// shellcheck; bench/all.sh fails a bench that does not exit, holds its
// output open or does not end with a name=value line, and with --before
// runs each bench with an old binary and then the new one, showing a bench
// the old binary cannot run as failed with its reason (bench_needs in
// bench/lib/build.sh names the command or flag it lacks); and the quick ones
// (bench/fileshare.sh at 2,000 files, bench/ledger.sh at 10,000 entries,
// bench/smb.sh at 500 files against a real smbd) run from a pipe under a
// timeout, exit by themselves, leave no process and no temporary folder
// behind, and print their documented figures last on one line.
//
// go test ./bench/scripts runs it all (about a minute with the binary
// built; -short leaves out the runs). Speed is never asserted here: the
// figures are bench/all.sh's to report (docs/developers.md, Benchmarks).
package scripts
