//go:build linux

package scripts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/testtool"
)

// root is the module's root, seen from bench/scripts.
var root = filepath.Join("..", "..")

// lastLine is the form every bench's last line has: name=value pairs.
var lastLine = regexp.MustCompile(`^[A-Za-z0-9_]+=\S+( +[A-Za-z0-9_]+=\S+)*$`)

func scripts(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(root, "bench", "*.sh"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no bench/*.sh: %v", err)
	}
	return all
}

// TestScriptsParse runs bash -n on every bench script, and shellcheck
// (warnings and errors) where it is installed.
func TestScriptsParse(t *testing.T) {
	all := scripts(t)
	for _, s := range all {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
	sc, ok := testtool.Optional(t, "shellcheck", "shellcheck")
	if !ok {
		return
	}
	if out, err := exec.Command(sc, append([]string{"-S", "warning"}, all...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck -S warning bench/*.sh: %v\n%s", err, out)
	}
}

// allBenches reads the scripts bench/all.sh runs and its targets
// ("name figure op value") from all.sh itself.
func allBenches(t *testing.T) (map[string]string, [][]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "bench", "all.sh"))
	if err != nil {
		t.Fatal(err)
	}
	benches := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\t"(\w+)\|(\w+\.sh)\|`).FindAllStringSubmatch(string(b), -1) {
		benches[m[1]] = m[2]
	}
	var targets [][]string
	for _, m := range regexp.MustCompile(`(?m)^\t"(\w+) (\w+) (<=|>=|==) ([0-9.]+)"$`).FindAllStringSubmatch(string(b), -1) {
		targets = append(targets, m[1:])
	}
	if len(benches) < 8 || len(targets) < 8 {
		t.Fatalf("bench/all.sh: read %d benches and %d targets; has its BENCHES or TARGETS table changed form?", len(benches), len(targets))
	}
	return benches, targets
}

// TestScriptsCleanUp checks, without running them, that every script
// bench/all.sh runs removes its temporary folder on exit and exits on
// Ctrl-C and SIGTERM through that cleanup; that each target's figure is
// printed by its script; and that the developers' guide documents all.sh
// and every target.
func TestScriptsCleanUp(t *testing.T) {
	benches, targets := allBenches(t)
	text := map[string]string{}
	for name, script := range benches {
		b, err := os.ReadFile(filepath.Join(root, "bench", script))
		if err != nil {
			t.Fatalf("bench/all.sh runs bench/%s: %v", script, err)
		}
		s := string(b)
		text[name] = s
		if !strings.Contains(s, "mktemp -d") {
			continue
		}
		for _, want := range []string{`(?m)^trap '.*rm -rf "\$WORK".*' EXIT$|^trap cleanup EXIT$`, `(?m)^trap 'exit 130' INT$`, `(?m)^trap 'exit 143' TERM$`} {
			if !regexp.MustCompile(want).MatchString(s) {
				t.Errorf("bench/%s makes a temporary folder but has no %s", script, want)
			}
		}
	}
	guide, err := os.ReadFile(filepath.Join(root, "docs", "developers.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "bench/all.sh") {
		t.Error("docs/developers.md does not say how to run bench/all.sh")
	}
	for _, tg := range targets {
		name, figure := tg[0], tg[1]
		s, ok := text[name]
		if !ok {
			t.Errorf("bench/all.sh has a target for %s, which it does not run", name)
			continue
		}
		// plan_rss_200k_mb and the like are built from the size.
		if !regexp.MustCompile(`_[0-9]+k_`).MatchString(figure) && !strings.Contains(s, figure) {
			t.Errorf("bench/%s does not print %s, which bench/all.sh has a target for", benches[name], figure)
		}
		if !strings.Contains(string(guide), figure) {
			t.Errorf("docs/developers.md does not explain the figure %s", figure)
		}
	}
}

// runAll runs bench/all.sh on the fake benches of dir (which stand for the
// real ones by name) and returns its output and error.
func runAll(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "retentiond")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(root, "bench", "all.sh")}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"BENCH_DIR=" + dir, "RETENTIOND_BIN=" + bin, "BENCH_TIMEOUT=20", "BENCH_GRACE=2", "TMPDIR=" + t.TempDir()}, env...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil || errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("bench/all.sh did not end: %v\n%s", err, out.String())
	}
	return out.String(), err
}

func fakeBench(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/usr/bin/env bash\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestAllSh runs bench/all.sh on fake benches: one that meets one target
// of two, one that prints its figures and exits but leaves a child holding
// its output (as smbd's children did to bench/smb.sh), one whose last line
// is prose, one that fails; and --scale on one that grows linearly in time
// and not at all in memory.
func TestAllSh(t *testing.T) {
	t.Run("targets", func(t *testing.T) {
		dir := t.TempDir()
		fakeBench(t, dir, "smb.sh", `echo "smbclient: listed"; echo "files=$1 smb_list_vs_smbclient=0.50 smb_delete_vs_smbclient=2.00 plan_s=1.5"`)
		out, err := runAll(t, dir, nil, "--only", "smb")
		if err != nil {
			t.Fatalf("bench/all.sh: %v\n%s", err, out)
		}
		for _, want := range []string{
			`(?m)^smb +smb_list_vs_smbclient +0\.50 +<=1\.0 +yes$`,
			`(?m)^smb +smb_delete_vs_smbclient +2\.00 +<=1\.0 +no$`,
			`(?m)^smb +plan_s +1\.5 +- +-$`,
			`(?m)^smb +load +[0-9.]+/[0-9.]+/[0-9.]+→[0-9.]+/[0-9.]+/[0-9.]+ `,
			`(?m)^bench=smb rc=0 seconds=[0-9]+ load_before=\S+ load_after=\S+ files=5000 smb_list_vs_smbclient=0\.50 `,
			`benches=1 exited=1 failed=0 targets=2 targets_met=1\n$`,
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("bench/all.sh's output has no %s:\n%s", want, out)
			}
		}
	})
	t.Run("output held open", func(t *testing.T) {
		dir := t.TempDir()
		// A unique duration, to find the child afterwards.
		fakeBench(t, dir, "smb.sh", `sleep 97.531 & echo "files=1 smb_list_vs_smbclient=0.5"`)
		start := time.Now()
		out, err := runAll(t, dir, nil, "--only", "smb")
		if err == nil || !strings.Contains(out, "rc=hung(0)") || !strings.Contains(out, "exited=0 failed=1") {
			t.Errorf("bench/all.sh passed a bench that left its output open (err %v):\n%s", err, out)
		}
		// Well under the child's 97.5 s, with room for a busy machine:
		// all.sh did not wait for the child to let go of the output.
		if d := time.Since(start); d > 90*time.Second {
			t.Errorf("bench/all.sh took %s to see the bench hang (BENCH_GRACE=2)", d)
		}
		if p := processesWith(t, "97.531"); len(p) > 0 {
			t.Errorf("the bench's child is still running: %v", p)
		}
	})
	t.Run("last line not name=value", func(t *testing.T) {
		dir := t.TempDir()
		fakeBench(t, dir, "smb.sh", `echo "files=1 smb_list_vs_smbclient=0.5"; echo "done in 3 s"`)
		out, err := runAll(t, dir, nil, "--only", "smb")
		if err == nil || !strings.Contains(out, "the last line is not name=value: done in 3 s") {
			t.Errorf("bench/all.sh passed a bench whose last line is prose (err %v):\n%s", err, out)
		}
	})
	t.Run("failing bench", func(t *testing.T) {
		dir := t.TempDir()
		fakeBench(t, dir, "smb.sh", `echo "files=1 smb_list_vs_smbclient=0.5"; echo "MISMATCH" >&2; exit 3`)
		out, err := runAll(t, dir, nil, "--only", "smb")
		if err == nil || !strings.Contains(out, "bench=smb rc=3 ") || !strings.Contains(out, "MISMATCH") {
			t.Errorf("bench/all.sh passed a failing bench or hid its stderr (err %v):\n%s", err, out)
		}
	})
	t.Run("scale", func(t *testing.T) {
		dir := t.TempDir()
		fakeBench(t, dir, "smb.sh", `echo "files=$1 plan_s=$(($1 / 100)) execute_s=2 plan_peak_rss_mb=40"`)
		out, err := runAll(t, dir, []string{"SCALE_SMB=100 1000"}, "--scale", "--only", "smb")
		if err != nil {
			t.Fatalf("bench/all.sh --scale: %v\n%s", err, out)
		}
		for _, want := range []string{
			`(?m)^smb +plan_s +1 +10 +10\.0 +1\.00$`,
			`(?m)^smb-large +exit +0 +- +-$`,
			`(?m)^smb-small +files +100 +- +-$`,
			`(?m)^bench=smb-large rc=0 .* files=1000 plan_s=10 `,
			`benches=2 exited=2 failed=0 targets=0 targets_met=0 smb_plan_s_growth=1.00 smb_execute_s_growth=0.10 smb_plan_peak_rss_mb_growth=0.10\n$`,
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("bench/all.sh --scale's output has no %s:\n%s", want, out)
			}
		}
	})
}

// TestAllShBefore runs bench/all.sh --before on fake benches and fake
// binaries: each bench runs first with the old binary, then with the new
// one, script by script; the table shows both figures side by side; and a
// bench that fails with the old binary (which lacks a command the script
// needs) is shown as failed with its reason, without failing the run.
func TestAllShBefore(t *testing.T) {
	dir := t.TempDir()
	// The figure comes from the binary: the old one says 2.00, the new one
	// nothing (0.50).
	fakeBench(t, dir, "smb.sh", `v=$("$RETENTIOND_BIN" ratio); echo "files=$1 smb_list_vs_smbclient=${v:-0.50} plan_s=${v:-1.5} bin=$RETENTIOND_BIN"`)
	// The old binary fails half-way, after a line of other figures: the
	// figure with a target is missing from its last line.
	fakeBench(t, dir, "ledger.sh", `"$RETENTIOND_BIN" ledger || { echo "entries=$1 append_s=1"; echo "bench/ledger.sh: this retentiond has no ledger command" >&2; exit 1; }; echo "entries=$1 verify_per_s=400000 verify_s=1"`)
	old := filepath.Join(t.TempDir(), "retentiond-old")
	script := "#!/bin/sh\ncase \"$1\" in\nratio) echo 2.00 ;;\nledger) echo 'Error: unknown command \"ledger\" for \"retentiond\"' >&2; exit 1 ;;\nesac\n"
	if err := os.WriteFile(old, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := runAll(t, dir, nil, "--before", old, "--only", "smb,ledger")
	if err != nil {
		t.Fatalf("bench/all.sh --before: %v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^script +figure +before +after +after/before +target +met +load$`,
		`(?m)^smb +smb_list_vs_smbclient +2\.00 +0\.50 +0\.25 +<=1\.0 +no→yes +[0-9.]+→[0-9.]+\|[0-9.]+→[0-9.]+$`,
		`(?m)^smb +plan_s +2\.00 +1\.5 +0\.75 +- +- `,
		`(?m)^smb +exit +0 +0 `,
		`(?m)^ledger +exit +1 +0 `,
		`(?m)^ledger +verify_per_s +failed +400000 +- +>=300000 +no→yes `,
		`(?m)^before-failed: ledger run 1: exit 1: Error: unknown command "ledger" for "retentiond"$`,
		`(?m)^bench=smb side=before run=1 rc=0 .* smb_list_vs_smbclient=2\.00 plan_s=2\.00 bin=\S*/retentiond-before$`,
		`(?m)^bench=smb side=after run=1 rc=0 .* smb_list_vs_smbclient=0\.50 plan_s=1\.5 bin=\S*/retentiond$`,
		`(?m)^bench=ledger side=before run=1 rc=1 `,
		`(?s)== smb-before: .*== smb-after: .*== ledger-before: .*== ledger-after: `,
		`benches=2 exited=2 failed=0 targets=2 targets_met=2 before_exited=1 before_failed=1 before_targets_met=0\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("bench/all.sh --before's output has no %s:\n%s", want, out)
		}
	}
	// --repeat 2: before, after, before, after; each figure's range over
	// the runs, the ratio of the medians, the runs that met the target.
	fakeBench(t, dir, "smb.sh", `c=$(cat "$0.n" 2>/dev/null || echo 0); echo $((c + 1)) >"$0.n"
v=$("$RETENTIOND_BIN" ratio); echo "files=$1 smb_list_vs_smbclient=${v:-0.$((c + 3))} plan_s=$((c + 1))"`)
	out, err = runAll(t, dir, nil, "--before", old, "--repeat", "2", "--only", "smb")
	if err != nil {
		t.Fatalf("bench/all.sh --before --repeat 2: %v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^smb +exit +0,0 +0,0 `,
		`(?m)^smb +smb_list_vs_smbclient +2\.00 +0\.4–0\.6 +0\.25 +<=1\.0 +0/2→2/2 +[0-9.–]+\|[0-9.–]+$`,
		`(?m)^smb +plan_s +1–3 +2–4 +1\.50 +- +- `,
		`(?s)== smb-before-1: .*== smb-after-1: .*== smb-before-2: .*== smb-after-2: `,
		`(?m)^bench=smb side=after run=2 rc=0 .* smb_list_vs_smbclient=0\.6 plan_s=4$`,
		`benches=1 exited=2 failed=0 targets=1 targets_met=1 before_exited=2 before_failed=0 before_targets_met=0\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("bench/all.sh --before --repeat 2's output has no %s:\n%s", want, out)
		}
	}
	// A bench that fails with the new binary fails the run.
	fakeBench(t, dir, "smb.sh", `[ "$RETENTIOND_BIN" != "${RETENTIOND_BIN%-before}" ] || exit 4; echo "files=$1 smb_list_vs_smbclient=1"`)
	out, err = runAll(t, dir, nil, "--before", old, "--only", "smb")
	if err == nil || !strings.Contains(out, "after-failed: smb run 1: exit 4") || !strings.Contains(out, "exited=0 failed=1 ") {
		t.Errorf("bench/all.sh --before passed a bench that fails with the new binary (err %v):\n%s", err, out)
	}
	if out, err := runAll(t, dir, nil, "--before", filepath.Join(dir, "missing"), "--only", "smb"); err == nil || !strings.Contains(out, "not an executable file") {
		t.Errorf("bench/all.sh --before accepted a missing binary (err %v):\n%s", err, out)
	}
}

// TestBenchNeeds checks bench_needs (bench/lib/build.sh) against a fake
// retentiond whose help, like cobra's, falls back to the parent's for an
// unknown command: a command and flag it has pass; a flag or a command it
// lacks stop the bench with exit 3 and say what is missing.
func TestBenchNeeds(t *testing.T) {
	work := t.TempDir()
	help := "#!/bin/sh\ncase \"$1 $2\" in\n" +
		"\"plan --help\") printf 'Dry run\\n\\nUsage:\\n  retentiond plan [flags]\\n\\nFlags:\\n      --examples int   example items\\n\\nGlobal Flags:\\n      --as string   who you are\\n' ;;\n" +
		"*) printf 'Usage:\\n  retentiond [command]\\n\\nAvailable Commands:\\n  plan        Dry run\\n' ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(work, "retentiond"), []byte(help), 0o755); err != nil {
		t.Fatal(err)
	}
	lib, err := filepath.Abs(filepath.Join(root, "bench", "lib", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		needs string
		rc    int
		say   string
	}{
		{`plan --examples --as`, 0, ""},
		{`plan --examples --source`, 3, "needs `retentiond plan --source`, which this retentiond (/old/retentiond) lacks"},
		{`"ledger verify" --key`, 3, "needs `retentiond ledger verify`, which this retentiond (/old/retentiond) lacks"},
		{`plan --example`, 3, "needs `retentiond plan --example`"},
	} {
		cmd := exec.Command("bash", "-c", `set -euo pipefail; . "$1"; bench_needs `+c.needs+`; echo passed`, "bench", lib)
		cmd.Env = append(os.Environ(), "WORK="+work, "RETENTIOND_BIN=/old/retentiond")
		out, err := cmd.CombinedOutput()
		rc := 0
		if ee, ok := err.(*exec.ExitError); ok {
			rc = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if rc != c.rc || !strings.Contains(string(out), c.say) || (rc == 0) != strings.Contains(string(out), "passed") {
			t.Errorf("bench_needs %s: exit %d, want %d saying %q:\n%s", c.needs, rc, c.rc, c.say, out)
		}
	}
}

// processesWith lists the processes whose command line contains s.
func processesWith(t *testing.T, s string) []string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var found []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if line := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})); strings.Contains(line, s) {
			found = append(found, fmt.Sprintf("%s: %s", filepath.Base(filepath.Dir(p)), line))
		}
	}
	return found
}

// TestQuickRuns runs the quick benches at their smallest size, each from a
// pipe under a timeout, as bench/all.sh does: each must exit by itself,
// close its output (no child may hold it open), leave no process and no
// temporary folder behind and print its documented figures last, on one
// name=value line. Their figures are not checked: at this size they mean
// nothing.
func TestQuickRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: builds retentiond and runs three benches")
	}
	bin := filepath.Join(t.TempDir(), "retentiond")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	build := exec.Command(gobin, "build", "-o", bin, "./cmd/retentiond")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/retentiond: %v\n%s", err, out)
	}
	runs := []struct {
		script string
		size   string
		needs  func(t *testing.T)
		names  []string
	}{
		{"fileshare.sh", "2000", nil, []string{"files=2000", "plan_vs_find", "replan_open_batch_vs_plan", "execute_vs_find_delete", "plan_peak_rss_mb", "replan_peak_rss_mb", "execute_peak_rss_mb", "plan_s", "execute_s"}},
		{"ledger.sh", "10000", nil, []string{"append_batched_per_s", "append_single_per_s", "verify_per_s", "verify_bundle_per_s", "verify_bundle_vs_sha256sum", "export_10k_s", "verify_s", "verify_peak_rss_mb"}},
		{"smb.sh", "500", func(t *testing.T) {
			if os.Geteuid() != 0 {
				testtool.Unavailable(t, "bench/smb.sh needs root (smbd and its test user)")
			}
			if _, err := os.Stat("/usr/sbin/smbd"); err != nil {
				testtool.Require(t, "smbd", "samba")
			}
			testtool.Require(t, "smbclient", "smbclient")
		}, []string{"files=500", "smb_list_vs_smbclient", "smb_delete_vs_smbclient", "plan_s", "execute_s", "plan_peak_rss_mb"}},
	}
	for _, r := range runs {
		t.Run(r.script, func(t *testing.T) {
			t.Parallel()
			if r.needs != nil {
				r.needs(t)
			}
			tmp := filepath.Join(t.TempDir(), "tmp")
			if err := os.Mkdir(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "bench", r.script), r.size)
			cmd.Env = append(os.Environ(), "RETENTIOND_BIN="+bin, "TMPDIR="+tmp)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
			// Stdout is a pipe (a Buffer): Wait returns ErrWaitDelay if a
			// child still holds it 15 s after the script exited.
			var out, stderr bytes.Buffer
			cmd.Stdout = &out
			cmd.Stderr = &stderr
			cmd.WaitDelay = 15 * time.Second
			err := cmd.Run()
			switch {
			case errors.Is(err, exec.ErrWaitDelay):
				t.Errorf("bench/%s exited but something it started still holds its output open", r.script)
			case ctx.Err() != nil:
				t.Errorf("bench/%s did not exit within 5 minutes: %v", r.script, err)
			case err != nil:
				t.Errorf("bench/%s: %v\n%s", r.script, err, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			if !lastLine.MatchString(last) {
				t.Errorf("bench/%s: the last line is not name=value pairs: %q", r.script, last)
			}
			for _, n := range r.names {
				if !strings.Contains(" "+last, " "+n) {
					t.Errorf("bench/%s: the last line has no %s: %q", r.script, n, last)
				}
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("bench/%s left %d entries in TMPDIR, e.g. %s", r.script, len(left), left[0].Name())
			}
			if p := processesWith(t, tmp); len(p) > 0 {
				t.Errorf("bench/%s left processes running: %v", r.script, p)
			}
			t.Logf("%s %s: %s", r.script, r.size, last)
		})
	}
}
