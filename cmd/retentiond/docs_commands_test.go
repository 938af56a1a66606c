package main

// Every command in the documentation is run by TestDocsCommands, as a
// reader would type it, with the real binary. The conventions it reads in
// README.md and docs/**/*.md (docs/README.md describes them for writers):
//
//   - A fenced block whose info string starts with sh, bash or shell is
//     run: each command (a line, with `\` continuations and here-documents
//     joined) in order, in bash, in one working directory per file that
//     `cd` changes, with `retentiond` on PATH as the binary built from this
//     package. `go run ./cmd/retentiond` and `go run ../cmd/retentiond`
//     mean that binary too. Each command must exit 0, or the status the
//     block's `exit=N` gives. `retentiond run` (the service) is started,
//     waited for until it is ready (READY=1 on a notify socket, as systemd
//     waits), kept running for the rest of its block, then stopped with
//     SIGTERM and must exit 0.
//   - A ```console block is a session: the lines after "$ " are the
//     commands, run as above, and the lines up to the next "$ " are the
//     output shown for each, checked as a ```text output block is unless
//     the block says output=illustrative (output of another configuration:
//     then only the exit status is checked).
//   - A ```text output block right after a run block shows (part of) the
//     output of that block's last command: each of its lines must appear
//     in that output, in order; `…` in a line stands for anything.
//   - A block that cannot run here says why in its info string:
//     ```sh norun=KEY, with KEY from norunReasons. One command of a block
//     is exempted by an HTML comment right before the block:
//     <!-- docs-test: norun KEY: COMMAND --> (COMMAND exactly as written).
//   - Blocks in a shell language that is not run here (bat, powershell,
//     …) must carry norun=KEY; a block of another language or of
//     none that holds a line that looks like a command (`$ …`,
//     `retentiond plan …`, `sudo …`) fails the test: give it a shell
//     language so it runs, or norun with the reason.
//   - Each file runs in a fresh directory set up as its
//     <!-- docs-test: setup NAME --> says (setups), by default `demo`:
//     `retentiond demo` has made ./retentiond-demo, and the file's commands
//     start inside it.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store/testtool"
)

// norunReasons are the only reasons a documented command may be left
// unrun.
var norunReasons = map[string]string{
	"suite":      "the test suite itself, which contains this test; .ci/run runs it",
	"windows":    "Windows only (the service control manager, cmd or PowerShell); TestWindowsBuild cross-compiles and vets the Windows code",
	"systemd":    "needs systemd as PID 1 and the installed service; deploy/systemd verifies the unit and deploy/deb installs and runs it in CI",
	"install":    "installs or edits the system-wide package as root; deploy/deb TestInstall installs, upgrades and purges it in CI",
	"tenant":     "needs a real Microsoft 365 / Entra ID tenant and its administrator",
	"slow":       "runs for minutes (benchmarks and long chaos runs); the same code runs small in go test",
	"root":       "needs root and Samba, and runs for minutes; connectors/smb tests start Samba in CI",
	"synopsis":   "a command's synopsis (placeholders, [options]), not a command; the examples that follow it run",
	"quoted":     "quoted text (a mail, a message) that names a command; the test that produces the text checks it",
	"production": "needs a production installation the demo sandbox cannot be (its /etc configuration, os_users and other accounts, or a ledger crafted to fail); the package's own tests produce the message",
}

// setups prepare a file's directory; they return the directory the
// file's commands start in.
var setups = map[string]func(t *testing.T, bin, dir string) string{
	"empty": func(t *testing.T, bin, dir string) string { return dir },
	"demo": func(t *testing.T, bin, dir string) string {
		docsRun(t, dir, bin, "demo")
		return filepath.Join(dir, "retentiond-demo")
	},
	"demo-yes": func(t *testing.T, bin, dir string) string {
		docsRun(t, dir, bin, "demo", "--dir", "retentiond-demo", "--yes")
		return filepath.Join(dir, "retentiond-demo")
	},
}

func docsRun(t *testing.T, dir, bin string, args ...string) {
	t.Helper()
	c := exec.Command(bin, args...)
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("setup: retentiond %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// shellLangs are run; otherShells are shell languages that cannot be run
// here and so must say why.
var (
	shellLangs  = []string{"sh", "bash", "shell", "console"}
	otherShells = []string{"bat", "batch", "cmd", "powershell", "ps1", "pwsh", "ps", "zsh", "fish", "shell-session", "doscon"}
)

type docBlock struct {
	file  string
	line  int // of the opening fence
	lang  string
	attrs map[string]string
	body  []string
	// norun: commands of the block exempted by a comment before it.
	norun map[string]string
	// output is the ```text output block that follows, if any.
	output *docBlock
}

type docFile struct {
	path   string
	setup  string
	blocks []*docBlock
}

var (
	directive = regexp.MustCompile(`^<!--\s*docs-test:\s*(.*?)\s*-->$`)
	fence     = regexp.MustCompile("^( *)(```+|~~~+)\\s*(.*)$")
)

// parseDoc reads the fenced blocks of a Markdown file and the docs-test
// directives before them.
func parseDoc(path string, text []byte) (*docFile, error) {
	f := &docFile{path: path, setup: "demo"}
	lines := strings.Split(string(text), "\n")
	pending := map[string]string{}
	var last *docBlock // the last run block, for a following output block
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \r")
		if m := directive.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			d := m[1]
			switch {
			case strings.HasPrefix(d, "setup "):
				name := strings.TrimSpace(strings.TrimPrefix(d, "setup "))
				if setups[name] == nil {
					return nil, fmt.Errorf("%s:%d: unknown setup %q", path, i+1, name)
				}
				f.setup = name
			case strings.HasPrefix(d, "norun "):
				key, cmd, ok := strings.Cut(strings.TrimPrefix(d, "norun "), ": ")
				if !ok || norunReasons[key] == "" {
					return nil, fmt.Errorf("%s:%d: write <!-- docs-test: norun KEY: COMMAND --> with KEY one of %v", path, i+1, reasonKeys())
				}
				pending[strings.TrimSpace(cmd)] = key
			default:
				return nil, fmt.Errorf("%s:%d: unknown docs-test directive %q", path, i+1, d)
			}
			continue
		}
		m := fence.FindStringSubmatch(l)
		if m == nil {
			if strings.TrimSpace(l) != "" {
				if len(pending) > 0 {
					return nil, fmt.Errorf("%s:%d: a docs-test norun directive must come right before its block", path, i+1)
				}
				last = nil
			}
			continue
		}
		indent, marker, info := len(m[1]), m[2], m[3]
		b := &docBlock{file: path, line: i + 1, attrs: map[string]string{}, norun: pending}
		pending = map[string]string{}
		fields := strings.Fields(info)
		if len(fields) > 0 {
			b.lang = strings.ToLower(fields[0])
			for _, a := range fields[1:] {
				k, v, _ := strings.Cut(a, "=")
				b.attrs[k] = v
			}
		}
		closed := false
		for i++; i < len(lines); i++ {
			bl := strings.TrimRight(lines[i], " \r")
			if t := strings.TrimLeft(bl, " "); strings.HasPrefix(t, marker[:1]) && strings.Trim(t, marker[:1]) == "" && len(t) >= len(marker) {
				closed = true
				break
			}
			// Strip the fence's indentation (a block inside a list item).
			n := 0
			for n < indent && n < len(bl) && bl[n] == ' ' {
				n++
			}
			b.body = append(b.body, bl[n:])
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: the block is not closed", path, b.line)
		}
		if b.lang == "text" && b.hasAttr("output") {
			if last == nil {
				return nil, fmt.Errorf("%s:%d: a ```text output block must follow a block that is run", path, b.line)
			}
			last.output = b
			last = nil
			continue
		}
		f.blocks = append(f.blocks, b)
		last = nil
		if b.runs() {
			last = b
		}
	}
	return f, nil
}

func reasonKeys() []string {
	var keys []string
	for k := range norunReasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (b *docBlock) hasAttr(k string) bool { _, ok := b.attrs[k]; return ok }

func (b *docBlock) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// runs reports whether the block is a shell block to run.
func (b *docBlock) runs() bool { return slices.Contains(shellLangs, b.lang) && !b.hasAttr("norun") }

// looksLikeCommand: lines of a block that a reader would type.
var looksLikeCommand = regexp.MustCompile(`^(\$ |> |PS> |C:\\.*> |sudo |systemctl |dpkg |apt |apt-get |go (run|test|build) |retentiond (demo|plan|batches|execute|ledger|holds|explain|instructions|subjects|decisions|check|run|notify|web|service|version)\b)`)

// check reports what is wrong with the block's markings.
func (b *docBlock) check() []string {
	var errs []string
	if k, ok := b.attrs["norun"]; ok && norunReasons[k] == "" {
		errs = append(errs, fmt.Sprintf("%s: norun=%q is not a known reason (use one of %v)", b.where(), k, reasonKeys()))
	}
	if slices.Contains(otherShells, b.lang) && !b.hasAttr("norun") {
		errs = append(errs, fmt.Sprintf("%s: a ```%s block is not run here: mark it ```%s norun=KEY with the reason (one of %v)", b.where(), b.lang, b.lang, reasonKeys()))
	}
	if !slices.Contains(shellLangs, b.lang) && !slices.Contains(otherShells, b.lang) && !b.hasAttr("norun") {
		for _, l := range b.body {
			if looksLikeCommand.MatchString(strings.TrimSpace(l)) {
				errs = append(errs, fmt.Sprintf("%s: %q looks like a command in a ```%s block, which is not run: put commands in a ```sh block (output in a ```text output block after it), or mark the block norun=KEY", b.where(), strings.TrimSpace(l), b.lang))
				break
			}
		}
	}
	if len(b.norun) > 0 {
		cmds := b.commands()
		for c := range b.norun {
			if !slices.Contains(cmds, c) {
				errs = append(errs, fmt.Sprintf("%s: the norun directive names %q, which is not a command of the block (commands: %q)", b.where(), c, cmds))
			}
		}
		if !slices.Contains(shellLangs, b.lang) {
			errs = append(errs, fmt.Sprintf("%s: a norun directive before a block that is not run", b.where()))
		}
	}
	return errs
}

var heredoc = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// commands splits a shell block into commands: comment and blank lines
// dropped, `\` continuations and here-documents joined.
func (b *docBlock) commands() []string {
	var cmds []string
	for _, c := range b.session() {
		cmds = append(cmds, c.cmd)
	}
	return cmds
}

// docCommand is one command of a block and, in a console block, the
// output shown after it.
type docCommand struct {
	cmd  string
	want []string
}

// session splits the block into commands. In a console block the commands
// are the lines after "$ " (with their continuations) and the lines up to
// the next "$ " are the output shown for them.
func (b *docBlock) session() []docCommand {
	console := b.lang == "console"
	var cmds []docCommand
	for i := 0; i < len(b.body); i++ {
		l := b.body[i]
		t := strings.TrimSpace(l)
		if console {
			if !strings.HasPrefix(l, "$ ") {
				if len(cmds) > 0 && t != "" {
					cmds[len(cmds)-1].want = append(cmds[len(cmds)-1].want, l)
				}
				continue
			}
			l = strings.TrimPrefix(l, "$ ")
		} else if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cmd := l
		for strings.HasSuffix(strings.TrimRight(cmd, " "), "\\") && i+1 < len(b.body) {
			i++
			cmd += "\n" + strings.TrimPrefix(b.body[i], "> ")
		}
		if m := heredoc.FindStringSubmatch(cmd); m != nil {
			for i+1 < len(b.body) {
				i++
				cmd += "\n" + strings.TrimPrefix(b.body[i], "> ")
				if strings.TrimSpace(strings.TrimPrefix(b.body[i], "> ")) == m[1] {
					break
				}
			}
		}
		cmds = append(cmds, docCommand{cmd: strings.TrimSpace(cmd)})
	}
	return cmds
}

// docFiles are README.md and every docs/**/*.md, relative to the
// repository's root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadDocs(t *testing.T) []*docFile {
	t.Helper()
	root := repoRoot(t)
	var docs []*docFile
	for _, rel := range docFiles(t, root) {
		text, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseDoc(rel, text)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, f)
	}
	return docs
}

// TestDocsMarkings: every block that is not run says why, and every
// directive names something real. It needs no binary; TestDocsCommands
// checks the same before running anything.
func TestDocsMarkings(t *testing.T) {
	var errs []string
	n := 0
	for _, f := range loadDocs(t) {
		for _, b := range f.blocks {
			errs = append(errs, b.check()...)
			if b.runs() {
				n += len(b.commands())
			}
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%d problems:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	if n < 50 {
		t.Fatalf("only %d commands to run in the documentation: is the parser broken?", n)
	}
}

// TestParseDocConventions checks the parser on a small document.
func TestParseDocConventions(t *testing.T) {
	doc := "<!-- docs-test: setup empty -->\n# T\n\n" +
		"<!-- docs-test: norun suite: go test ./... -->\n```sh\ngo run ./cmd/retentiond demo\ngo test ./...\n```\n\n" +
		"```text output\nplan …\n```\n" +
		"1. a list item:\n   ```sh exit=1\n   retentiond holds add --as it \\\n     --reason x   # comment\n   cat > f <<'EOF'\n   a: 1\n   EOF\n   ```\n" +
		"```powershell\nNew-ServicePrincipal\n```\n" +
		"```\n$ retentiond plan\n```\n" +
		"```bat norun=windows\nretentiond service install\n```\n"
	f, err := parseDoc("x.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if f.setup != "empty" || len(f.blocks) != 5 {
		t.Fatalf("setup %q, %d blocks", f.setup, len(f.blocks))
	}
	b := f.blocks[0]
	if got := b.commands(); !slices.Equal(got, []string{"go run ./cmd/retentiond demo", "go test ./..."}) || b.norun["go test ./..."] != "suite" || b.output == nil || b.output.body[0] != "plan …" {
		t.Fatalf("first block: %q %v %v", got, b.norun, b.output)
	}
	if errs := b.check(); len(errs) > 0 {
		t.Fatal(errs)
	}
	b = f.blocks[1]
	if got := b.commands(); len(got) != 2 || got[0] != "retentiond holds add --as it \\\n  --reason x   # comment" || got[1] != "cat > f <<'EOF'\na: 1\nEOF" || b.attrs["exit"] != "1" {
		t.Fatalf("indented block: %q %v", got, b.attrs)
	}
	if errs := f.blocks[2].check(); len(errs) != 1 || !strings.Contains(errs[0], "norun=KEY") {
		t.Fatalf("unmarked powershell: %v", errs)
	}
	if errs := f.blocks[3].check(); len(errs) != 1 || !strings.Contains(errs[0], "looks like a command") {
		t.Fatalf("command in a plain block: %v", errs)
	}
	if errs := f.blocks[4].check(); len(errs) != 0 || f.blocks[4].runs() {
		t.Fatalf("marked bat block: %v", errs)
	}
	if _, err := parseDoc("y.md", []byte("<!-- docs-test: norun nope: x -->\n```sh\nx\n```\n")); err == nil {
		t.Fatal("an unknown reason was taken")
	}
	stale, _ := parseDoc("z.md", []byte("<!-- docs-test: norun suite: go test ./x -->\n```sh\ngo test ./...\n```\n"))
	if errs := stale.blocks[0].check(); len(errs) != 1 || !strings.Contains(errs[0], "not a command of the block") {
		t.Fatalf("stale directive: %v", errs)
	}
	con, err := parseDoc("c.md", []byte("```console exit=1\n$ retentiond batches lst\nretentiond: unknown command\n$ retentiond hold \\\n>   add\nline 1\n\nline 2\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := con.blocks[0].session(); len(s) != 2 || s[0].cmd != "retentiond batches lst" || !slices.Equal(s[0].want, []string{"retentiond: unknown command"}) ||
		s[1].cmd != "retentiond hold \\\n  add" || !slices.Equal(s[1].want, []string{"line 1", "line 2"}) || !con.blocks[0].runs() {
		t.Fatalf("console block: %q", s)
	}
	if !outputMatches("batch 2: 3 items\nplan done: 5 due\n", []string{"batch 2: …items", "plan … 5 due"}) ||
		outputMatches("plan done: 5 due\nbatch 2\n", []string{"batch 2", "plan"}) {
		t.Fatal("outputMatches")
	}
}

// outputMatches reports whether every line of want appears in got, in
// order, a line of want matching within one line of got with `…` for
// anything.
func outputMatches(got string, want []string) bool {
	lines := strings.Split(got, "\n")
	i := 0
	for _, w := range want {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		parts := strings.Split(w, "…")
		found := false
		for ; i < len(lines); i++ {
			rest, ok := lines[i], true
			for _, p := range parts {
				p = strings.TrimSpace(p)
				k := strings.Index(rest, p)
				if k < 0 {
					ok = false
					break
				}
				rest = rest[k+len(p):]
			}
			if ok {
				found = true
				i++
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// docTools are programs outside Go that documented commands use: a
// command that needs one that is missing is skipped with the reason, and
// fails in CI (store/testtool).
var docTools = []string{"curl", "jq", "sha256sum", "tar", "sed", "openssl", "ssh-keygen", "column", "less"}

func missingTool(cmd string) string {
	for _, tool := range docTools {
		if regexp.MustCompile(`(^|[|;&(]\s*|\s)` + regexp.QuoteMeta(tool) + `\s`).MatchString(cmd) {
			if _, err := exec.LookPath(tool); err != nil {
				return tool
			}
		}
	}
	return ""
}

var goRunRetentiond = regexp.MustCompile(`go run (\./|\.\./)cmd/retentiond\b`)

// daemonArgs returns the arguments of cmd when it runs the service
// (`retentiond run …`), else nil.
func daemonArgs(cmd string) []string {
	if i := strings.Index(cmd, " #"); i >= 0 {
		cmd = cmd[:i]
	}
	if strings.ContainsAny(cmd, "|&;<>$`\"'\n\\") {
		return nil
	}
	f := strings.Fields(cmd)
	if len(f) >= 2 && f[0] == "retentiond" && f[1] == "run" {
		return f[1:]
	}
	return nil
}

type daemon struct {
	stopped bool
	cmd     *exec.Cmd
	out     *linesBuffer
	done    chan error
	line    string
}

// TestDocsCommands runs every command of README.md and docs/**/*.md as
// the conventions at the top of this file say.
func TestDocsCommands(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the documented commands are run in bash on Linux")
	}
	testtool.Require(t, "bash", "bash")
	docs := loadDocs(t)
	bad := map[*docFile]bool{}
	for _, f := range docs {
		var errs []string
		for _, b := range f.blocks {
			errs = append(errs, b.check()...)
		}
		if len(errs) > 0 {
			bad[f] = true
			t.Errorf("%s is not run: its blocks are not marked (see docs/README.md):\n%s", f.path, strings.Join(errs, "\n"))
		}
	}
	bin, err := docsBinary()
	if err != nil {
		t.Fatal(err)
	}
	total, skipped := 0, 0
	for _, f := range docs {
		run, skip := 0, 0
		for _, b := range f.blocks {
			if b.runs() {
				run += len(b.commands()) - len(b.norun)
				skip += len(b.norun)
			} else if slices.Contains(shellLangs, b.lang) || b.hasAttr("norun") {
				skip++
			}
		}
		if run == 0 || bad[f] {
			continue
		}
		total += run
		skipped += skip
		t.Run(strings.ReplaceAll(strings.TrimSuffix(f.path, ".md"), "/", "_"), func(t *testing.T) { runDocFile(t, bin, f) })
	}
	t.Logf("%d documented commands run, %d marked not to run here", total, skipped)
}

func runDocFile(t *testing.T, bin string, f *docFile) {
	dir := t.TempDir()
	binDir := filepath.Dir(bin)
	cwd := setups[f.setup](t, bin, dir)
	env := append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir, "LC_ALL=C.UTF-8")
	env = slices.DeleteFunc(env, func(s string) bool {
		return strings.HasPrefix(s, "NOTIFY_SOCKET=") || strings.HasPrefix(s, "RETENTIOND_AS=")
	})
	pwdFile := filepath.Join(t.TempDir(), "pwd")
	for _, b := range f.blocks {
		if !b.runs() {
			if b.hasAttr("norun") {
				t.Logf("%s: not run: %s", b.where(), norunReasons[b.attrs["norun"]])
			}
			continue
		}
		want := 0
		if e, ok := b.attrs["exit"]; ok {
			n, err := strconv.Atoi(e)
			if err != nil {
				t.Fatalf("%s: exit=%q is not a number", b.where(), e)
			}
			want = n
		}
		var daemons []*daemon
		var lastOut string
		for _, dc := range b.session() {
			cmd := dc.cmd
			if key, ok := b.norun[cmd]; ok {
				t.Logf("%s: %q not run: %s", b.where(), cmd, norunReasons[key])
				continue
			}
			line := goRunRetentiond.ReplaceAllString(cmd, "retentiond")
			if args := daemonArgs(line); args != nil {
				d := startDocDaemon(t, bin, cwd, env, args, b.where()+": "+cmd)
				daemons = append(daemons, d)
				lastOut = ""
				continue
			}
			if missing := missingTool(line); missing != "" {
				testtool.Unavailable(t, fmt.Sprintf("%s: %s needs %s", b.where(), cmd, missing))
			}
			script := "cd " + shellQuote(cwd) + " || exit 97\n" + line + "\n__rc=$?\npwd > " + shellQuote(pwdFile) + "\nexit $__rc\n"
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			c := exec.CommandContext(ctx, "bash", "-c", script)
			c.Env = env
			c.Stdin = nil
			out, err := c.CombinedOutput()
			cancel()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%s: %s: %v", b.where(), cmd, err)
			}
			if code != want {
				t.Fatalf("%s: %s\nexited %d, want %d:\n%s", b.where(), cmd, code, want, out)
			}
			if p, err := os.ReadFile(pwdFile); err == nil {
				cwd = strings.TrimSpace(string(p))
			}
			lastOut = string(out)
			if len(dc.want) > 0 && b.attrs["output"] != "illustrative" && !outputMatches(lastOut, dc.want) {
				t.Fatalf("%s: %s\nprinted\n%s\n--- but the block shows (in order; use … for what varies, or mark the block output=illustrative):\n%s", b.where(), cmd, lastOut, strings.Join(dc.want, "\n"))
			}
		}
		for _, d := range daemons {
			out := d.stop(t)
			lastOut = out
		}
		if b.output != nil {
			if !outputMatches(lastOut, b.output.body) {
				t.Fatalf("%s: the output of the block's last command does not show what %s shows:\n%s\n--- want (in order):\n%s", b.where(), b.output.where(), lastOut, strings.Join(b.output.body, "\n"))
			}
		}
	}
}

// startDocDaemon starts `retentiond run …` and waits for READY=1 on a
// notify socket.
func startDocDaemon(t *testing.T, bin, dir string, env, args []string, what string) *daemon {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	d := &daemon{out: &linesBuffer{}, done: make(chan error, 1), line: what}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Dir = dir
	d.cmd.Env = append(slices.Clone(env), "NOTIFY_SOCKET="+sock)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if !d.stopped {
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			conn.SetReadDeadline(time.Now().Add(90 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				ready <- err
				return
			}
			if sc := bufio.NewScanner(strings.NewReader(string(buf[:n]))); sc.Scan() && sc.Text() == "READY=1" {
				ready <- nil
				return
			}
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("%s: never ready: %v\n%s", what, err, d.out)
		}
	case err := <-d.done:
		d.done <- err
		t.Fatalf("%s: ended before it was ready: %v\n%s", what, err, d.out)
	}
	return d
}

// stop stops the service as systemd does and returns its output.
func (d *daemon) stop(t *testing.T) string {
	t.Helper()
	d.stopped = true
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("%s: stopped with %v:\n%s", d.line, err, d.out)
		}
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		t.Fatalf("%s: did not stop within 60 s of SIGTERM:\n%s", d.line, d.out)
	}
	return d.out.String()
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinks: every relative link of README.md and docs/**/*.md
// resolves to a file or directory of the repository, and every file in
// docs/ is reachable from README.md by links.
func TestDocsLinks(t *testing.T) {
	root := repoRoot(t)
	files := docFiles(t, root)
	linked := map[string]bool{}
	links := map[string][]string{}
	var errs []string
	for _, rel := range files {
		text, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		inFence := false
		for i, l := range strings.Split(string(text), "\n") {
			if fence.MatchString(l) {
				inFence = !inFence
			}
			if inFence {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(l, -1) {
				target, _, _ := strings.Cut(m[1], "#")
				if target == "" || strings.Contains(target, ":") {
					continue
				}
				p := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(rel), target)))
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					errs = append(errs, fmt.Sprintf("%s:%d: link to %s: no such file", rel, i+1, m[1]))
					continue
				}
				links[rel] = append(links[rel], p)
			}
		}
	}
	// Reachability from README.md.
	queue := []string{"README.md"}
	linked["README.md"] = true
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, p := range links[f] {
			if !linked[p] {
				linked[p] = true
				queue = append(queue, p)
			}
		}
	}
	for _, rel := range files {
		if !linked[rel] {
			errs = append(errs, fmt.Sprintf("%s is not reachable from README.md: link it from docs/README.md (the map by reader)", rel))
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%d problems:\n%s", len(errs), strings.Join(errs, "\n"))
	}
}

// TestDocsConfigReference: every YAML key the configuration and policy
// loaders and the connectors' options read is named, as `key`, in
// docs/operators/configuration.md.
func TestDocsConfigReference(t *testing.T) {
	root := repoRoot(t)
	ref, err := os.ReadFile(filepath.Join(root, "docs", "operators", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile("`yaml:\"([a-z0-9_]+)[,\"]")
	var missing []string
	n := 0
	for _, src := range []string{"configs/config.go", "configs/web.go", "configs/policy.go", "configs/relay/relay.go",
		"connectors/fileshare/fileshare.go", "connectors/cctv/cctv.go", "connectors/exports/exports.go", "connectors/m365/options.go",
		"connectors/google/options.go"} {
		text, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(src)))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tag.FindAllStringSubmatch(string(text), -1) {
			n++
			if !regexp.MustCompile("[`.]" + m[1] + "[`:.\\[]").Match(ref) {
				missing = append(missing, src+": "+m[1])
			}
		}
	}
	if n < 150 {
		t.Fatalf("found only %d yaml keys: have the loaders moved?", n)
	}
	if len(missing) > 0 {
		t.Fatalf("docs/operators/configuration.md does not name these keys:\n%s", strings.Join(missing, "\n"))
	}
}

// TestReadmeForNewcomers: the README stays what a newcomer needs — short,
// the console's screenshot, the two set-up commands (the demo, then the
// tests, which is exactly what .ci/run runs) and a map of the
// documentation by reader.
func TestReadmeForNewcomers(t *testing.T) {
	root := repoRoot(t)
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(text), "\n"); n > 150 {
		t.Errorf("README.md has %d lines: move what is not for a newcomer into docs/ (docs/README.md is the map)", n)
	}
	f, err := parseDoc("README.md", text)
	if err != nil {
		t.Fatal(err)
	}
	var first *docBlock
	for _, b := range f.blocks {
		if b.runs() {
			first = b
			break
		}
	}
	if first == nil || !slices.Equal(first.commands(), []string{"go run ./cmd/retentiond demo", "go test ./..."}) {
		t.Fatalf("the README's first commands are not the demo and the tests: %v", first)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ci), "\n"), first.commands()[1]) {
		t.Errorf(".ci/run does not run the README's test command %q", first.commands()[1])
	}
	for _, want := range []string{"](web/testdata/screenshots/", "](docs/approvers.md)", "](docs/operators/README.md)", "](docs/auditors.md)", "](docs/README.md)"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}

// TestDocsYAML: every ```yaml block of the documentation is YAML, and one
// that is a whole configuration (it starts with `version:`) loads as
// retentiond loads it, with the default policies beside it.
func TestDocsYAML(t *testing.T) {
	root := repoRoot(t)
	whole := 0
	for _, f := range loadDocs(t) {
		for _, b := range f.blocks {
			if b.lang != "yaml" {
				continue
			}
			text := strings.Join(b.body, "\n") + "\n"
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(text), &n); err != nil {
				t.Errorf("%s: not YAML: %v", b.where(), err)
				continue
			}
			if !strings.HasPrefix(text, "version:") {
				continue
			}
			whole++
			dir := t.TempDir()
			pols := filepath.Join(dir, "policies")
			os.MkdirAll(pols, 0o700)
			ents, err := os.ReadDir(filepath.Join(root, "configs", "policies"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				p, _ := os.ReadFile(filepath.Join(root, "configs", "policies", e.Name()))
				os.WriteFile(filepath.Join(pols, e.Name()), p, 0o600)
			}
			file := filepath.Join(dir, "retentiond.yaml")
			if _, err := configs.Parse(file, []byte(text), newApp(io.Discard, io.Discard).registry); err != nil {
				t.Errorf("%s: the configuration does not load: %v", b.where(), err)
			}
		}
	}
	if whole == 0 {
		t.Error("no whole configuration in the documentation (docs/operators/configuration.md has one)")
	}
}
