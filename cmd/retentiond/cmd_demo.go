package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/text/encoding/charmap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

// demoConfig is the sandbox's configuration; the demo's people are
// invented.
const demoConfig = `# retentiond demo sandbox: a school file share with invented data.
version: 1
timezone: Europe/Copenhagen
database: retentiond.db
keys:
  signing: keys/ledger.key        # Ed25519 key that signs ledger checkpoints
  references: keys/references.key # HMAC key for item references in the ledger
ledger:
  origin: demo.retentiond.invalid/ledger
  anchor:
    dir: dpo-anchors  # checkpoints are copied here; in real life, a share the DPO owns
policies:
  - policies/fileshare.yaml
  - policies/students.yaml
  - policies/staff.yaml
  - policies/exports.yaml
people:
  - {id: anna, name: "Anna (school leader)", email: anna@skole.example, roles: [approver], groups: [leaders]}
  - {id: bo, name: "Bo (data protection officer)", email: bo@skole.example, roles: [approver], groups: [dpo, leaders]}
  - {id: it, name: "IT operations", email: it@skole.example, roles: [operator]}
sources:
  - name: skoledrev
    kind: fileshare
    schedule: "0 2 * * *"
    options:
      root: share
  - name: nvr             # the CCTV recorder's export folder and the nightly backup of camera 1
    kind: cctv
    schedule: "0 3 * * *"   # C1 runs daily and needs no approval
    options:
      root: nvr
      backups: [nvr-backup]
  - name: elever          # the student list from TEA, saved as CSV by the office
    kind: export
    schedule: "0 1 * * *"
    options:
      dir: exports/elever
      files: "elever_*.csv"
      preset: tea-students
      keep_latest: 3
  - name: personale       # the staff list from the HR system
    kind: export
    schedule: "0 1 * * *"
    options:
      dir: exports/personale
      preset: hr
execute:
  schedule: "*/15 * * * *"
log:
  level: info
  format: console
# The sandbox runs as whoever starts it, so --as is taken on its word (the
# ledger records auth trusted_cli). A real installation lists each person's
# os_users instead; see docs/identity.md.
cli:
  trust_as: true
`

// demoWeb is the sandbox's console: on loopback, at a port that was free
// when the demo was created, with one-time sign-in links that `run`
// prints (print_links, a sandbox setting), so no identity provider is
// needed.
const demoWeb = `# The web console: retentiond run serves it on this machine only and
# prints a one-time sign-in link for each person (print_links is for a
# sandbox; a real installation signs people in with Microsoft, see
# docs/console.md and docs/signin.md).
web:
  listen: 127.0.0.1:%[1]d
  url: http://127.0.0.1:%[1]d
  links: true
  print_links: true
`

// freeLoopbackPort returns a TCP port free on 127.0.0.1 now: the kernel
// picks it for a listener that is closed again.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port for the demo's console: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

const demoConfigName = "retentiond.yaml"

func (a *app) demoCmd() *cobra.Command {
	var (
		dir string
		yes bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create a sandbox with a synthetic school file share and show a dry run",
		Long: `Demo creates DIR (default ./retentiond-demo) holding a configuration, the
default policy file and a synthetic school file share (student folders under
"Udmeldte elever", staff folders, dated CCTV recordings, drafts, social-media
photos; old and new), then runs a dry run and prints what would be deleted and
why. Nothing is deleted until a batch is approved and executed. If DIR already
holds a demo, it is planned again as it is.

--yes walks through the whole pipeline without asking: plan, approve as the
demo's two approvers (anna and bo), execute as the operator (it), and verify
the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfgFile := filepath.Join(dir, demoConfigName)
			if _, err := os.Stat(cfgFile); errors.Is(err, fs.ErrNotExist) {
				if err := a.createDemo(dir); err != nil {
					return err
				}
				a.printf("Created the demo sandbox in %s:\n  %s  configuration\n  %s  policies (copies of the defaults)\n  %s  a synthetic school file share\n  %s  student and staff lists as the school systems export them\n\n",
					dir, cfgFile, filepath.Join(dir, "policies"), filepath.Join(dir, "share"), filepath.Join(dir, "exports"))
			} else if err != nil {
				return fmt.Errorf("demo: %w", err)
			} else {
				a.printf("Using the existing demo sandbox in %s\n\n", dir)
			}
			a.configFile = cfgFile
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			var results []*scheduler.PlanResult
			for _, src := range p.Config.Sources {
				res, err := p.Plan(ctx, scheduler.PlanOptions{Source: src.Name, Planner: "it", Samples: 2})
				if err != nil {
					return err
				}
				writePlanText(a.out, p, res)
				results = append(results, res)
			}
			if !yes {
				writeNextSteps(a.out, cfgFile, results)
				if w := p.Config.Web; w != nil && w.PrintLinks {
					a.printf("\nOr open the web console: in %s, run\n  go run ../cmd/retentiond run   # (from a checkout; else retentiond run) serves the console on 127.0.0.1 and prints a sign-in link per person\n", dir)
				}
				a.printf("\nOr let the demo do it: retentiond demo --dir %s --yes\n", dir)
				return nil
			}
			return a.demoWalk(cmd, p, results)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "retentiond-demo", "directory for the sandbox")
	cmd.Flags().BoolVar(&yes, "yes", false, "approve as the demo's approvers, execute and verify, without asking")
	return cmd
}

// demoWalk approves every waiting batch as the demo's approvers, executes
// and verifies the ledger.
func (a *app) demoWalk(cmd *cobra.Command, p *scheduler.Pipeline, results []*scheduler.PlanResult) error {
	ctx := cmd.Context()
	// The walk acts as the configuration's people without verifying
	// them: only where the configuration says so (the demo's own).
	if !p.Config.CLI.TrustAs {
		return fmt.Errorf("demo --yes acts as the people of %s without verifying who runs it, so it runs only where the configuration sets cli.trust_as: true (a new demo's does); "+
			"approve and execute with --as instead, or add cli: {trust_as: true} to this sandbox's configuration", p.Config.File)
	}
	p.Auth = "trusted_cli"
	for _, res := range results {
		for _, b := range res.Batches {
			if b.Status != store.StatusPending {
				continue
			}
			for _, approver := range []string{"anna", "bo"} {
				got, _, err := p.Approve(ctx, b.ID, approver, b.Fingerprint)
				if err != nil {
					if errors.Is(err, scheduler.ErrNotAllowed) || errors.Is(err, scheduler.ErrState) {
						continue
					}
					return err
				}
				a.printf("batch %d (rule %s): approved by %s\n", b.ID, b.Rule, approver)
				if got.Status == store.StatusApproved {
					break
				}
			}
		}
	}
	execResults, err := p.Execute(ctx, 0, "it")
	if err != nil {
		return err
	}
	for _, r := range execResults {
		if r.Err != nil {
			return fmt.Errorf("batch %d: %w", r.Batch, r.Err)
		}
		a.printf("batch %d executed: %d %s, %d skipped, %d failed, %d emptied folders removed\n", r.Batch, r.Deleted, doneWord(r.Method), r.Skipped, r.Failed, r.Pruned)
	}
	a.printf("\nSystems without a deletion API get instructions instead:\n")
	inst := a.instructionsCmd()
	inst.SetContext(ctx)
	a.as = "it"
	if err := inst.RunE(inst, nil); err != nil {
		return err
	}
	if err := a.anchor(ctx, p); err != nil {
		return err
	}
	a.printf("\n")
	verify := a.ledgerVerifyCmd()
	verify.SetContext(ctx)
	if err := verify.RunE(verify, nil); err != nil {
		return err
	}
	a.printf("\nEvery other command works on this sandbox, e.g.:\n  retentiond batches list --all --config %s\n", a.configFile)
	a.printf("  retentiond explain student:1005 --config %s   (everything about one student)\n", a.configFile)
	a.printf("  retentiond instructions list --config %s\n", a.configFile)
	a.printf("  retentiond ledger export --config %s --out %s   (the auditor's bundle)\n", a.configFile, filepath.Join(filepath.Dir(a.configFile), "export"))
	return nil
}

// createDemo writes the sandbox: configuration, policies and share.
func (a *app) createDemo(dir string) error {
	// The sandbox is its owner's only: its exports and its database hold
	// (synthetic) birth dates and names, like a real one.
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create demo directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("create demo directory: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		return fmt.Errorf("create demo directory: %w", err)
	}
	for _, name := range []string{"fileshare.yaml", "students.yaml", "staff.yaml", "exports.yaml"} {
		pol, err := configs.DefaultPolicy(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "policies", name), pol, 0o644); err != nil {
			return fmt.Errorf("write demo policy: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "dpo-anchors"), 0o755); err != nil {
		return fmt.Errorf("create demo directory: %w", err)
	}
	if err := writeShare(filepath.Join(dir, "share"), a.clock.Now()); err != nil {
		return err
	}
	if err := writeExports(filepath.Join(dir, "exports"), a.clock.Now()); err != nil {
		return err
	}
	if err := writeRecordings(dir, a.clock.Now()); err != nil {
		return err
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	// The configuration last: its presence marks a complete sandbox.
	cfg := demoConfig + fmt.Sprintf(demoWeb, port)
	if err := os.WriteFile(filepath.Join(dir, demoConfigName), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("write demo configuration: %w", err)
	}
	return nil
}

// writeShare creates a synthetic school share under root, dated relative
// to now. All names are invented.
func writeShare(root string, now time.Time) error {
	day := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	type file struct {
		path string
		age  time.Time
	}
	var files []file
	add := func(p string, t time.Time) { files = append(files, file{p, t}) }

	for i, id := range []string{"1001", "1002", "1006", "1007", "1008"} {
		add("Administration/Elever/"+id+"/Elevplan.docx", day(20+i))
		add("Administration/Elever/"+id+"/Fravær.xlsx", day(3+i))
	}
	// Folders of students and staff are named by their number in the
	// exports (see writeExports), which is how the rules link them.
	for i, id := range []string{"1003", "1004", "1005"} {
		add("Administration/Udmeldte elever/"+id+"/Elevplan.docx", day(400+30*i))
		add("Administration/Udmeldte elever/"+id+"/Statusrapport.pdf", day(380+30*i))
	}
	for m := 0; m < 6; m++ {
		t := now.AddDate(0, -m, -2)
		add(fmt.Sprintf("Administration/Kladder/Statusrapport %s.docx", t.Format("2006-01")), t)
	}
	for i, id := range []string{"4713", "4714"} {
		add("Personale/Ansatte/"+id+"/Ansættelseskontrakt.pdf", day(900+i*100))
	}
	for i, id := range []string{"4711", "4712"} {
		add("Personale/Fratrådte/"+id+"/Ansættelseskontrakt.pdf", day(2400+i*400))
		add("Personale/Fratrådte/"+id+"/MUS-referat.docx", day(2100+i*400))
	}
	for y := 0; y < 5; y++ {
		t := now.AddDate(-y, -1, 0)
		for i := 1; i <= 3; i++ {
			add(fmt.Sprintf("Kommunikation/Sociale medier/Album %d/Foto %d.jpg", t.Year(), i), t)
		}
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create demo share: %w", err)
		}
		content := "synthetic demo file: " + strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) + "\n"
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("create demo share: %w", err)
		}
		if err := os.Chtimes(p, f.age, f.age); err != nil {
			return fmt.Errorf("create demo share: %w", err)
		}
	}
	return nil
}

// writeExports creates the exports a school office would save: four
// student lists from TEA (Windows-1252, semicolons, Danish dates), of
// which the oldest is superseded, and one staff list from HR (UTF-8 with a
// byte-order mark). All names and numbers are invented.
func writeExports(root string, now time.Time) error {
	students := "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\r\n" +
		"1001;Alma;Jensen;7.b;01-08-2019;;12-05-2013\r\n" +
		"1002;Bertil;Holm;7.b;01-08-2019;;29-02-2012\r\n" +
		"1003;Frida;Bak;9.a;01-08-2016;20-06-2025;03-09-2009\r\n" + // left a school year ago: due
		"1004;Gustav;Lind;9.a;01-08-2016;19-06-2026;14-01-2010\r\n" + // left in June: due since 1 August
		"1005;Hannah;Vest;8.c;01-08-2017;31-10-2026;22-11-2011\r\n" + // left in October: due next August
		"1006;Cecilie;Dahl;6.a;01-08-2020;;07-07-2014\r\n" +
		"1007;Dennis;Krog;6.a;01-08-2020;;18-12-2014\r\n" +
		"1008;Ea;Lund;5.b;01-08-2021;;01-03-2015\r\n"
	staff := "\uFEFFMedarbejdernummer;Navn;E-mail;Ansættelsesdato;Fratrædelsesdato;Fødselsdato;Lønramme;Stilling;Verserende sag;Sag afsluttet\n" +
		"4711;Karen Skov;karen.skov@demo-skole.invalid;01-08-2004;31-07-2019;14-03-1962;33;Lærer;Nej;\n" + // 5 years from the end of 2019: due
		"4712;Lars Bech;lars.bech@demo-skole.invalid;01-08-2001;31-12-2020;01-09-1958;33;Lærer;Nej;\n" + // born on the 1st: archive duty
		"4713;Ida Moe;ida.moe@demo-skole.invalid;01-08-2022;;17-04-1990;32;Pædagog;Nej;\n" +
		"4714;Jens Aagaard;jens.aagaard@demo-skole.invalid;01-08-2010;;08-10-1975;37;Skoleleder;Nej;\n"
	enc := charmap.Windows1252.NewEncoder()
	type file struct {
		path    string
		content []byte
		age     time.Time
	}
	var files []file
	for i, days := range []int{60, 30, 14, 1} {
		t := now.AddDate(0, 0, -days)
		b, err := enc.Bytes([]byte(students))
		if err != nil {
			return fmt.Errorf("create demo exports: %w", err)
		}
		if i < 2 {
			// Older exports did not yet list the latest leaving date.
			b = bytes.Replace(b, []byte("31-10-2026"), nil, 1)
		}
		files = append(files, file{fmt.Sprintf("elever/elever_%s.csv", t.Format("2006-01-02")), b, t})
	}
	files = append(files, file{"personale/medarbejdere.csv", []byte(staff), now.AddDate(0, 0, -1)})
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create demo exports: %w", err)
		}
		if err := os.WriteFile(p, f.content, 0o644); err != nil {
			return fmt.Errorf("create demo exports: %w", err)
		}
		if err := os.Chtimes(p, f.age, f.age); err != nil {
			return fmt.Errorf("create demo exports: %w", err)
		}
	}
	return nil
}

// writeRecordings creates 45 days of recordings of two cameras, as a
// recorder exports them (a folder per camera and day, the start time in the
// name), and last night's backup copy of camera 1: copies carry the time of
// copying, the names the time of recording.
func writeRecordings(dir string, now time.Time) error {
	backupAt := now.Add(-6 * time.Hour)
	for c, cam := range []string{"Kamera-1 Indgang", "Kamera-2 Skolegård"} {
		for d := 0; d < 45; d++ {
			t := now.AddDate(0, 0, -d)
			for _, h := range []int{8, 14} {
				rec := time.Date(t.Year(), t.Month(), t.Day(), h, 0, 0, 0, t.Location())
				if rec.After(now) {
					continue // not recorded yet
				}
				ref := filepath.Join(cam, rec.Format("2006-01-02"), fmt.Sprintf("cam%d_%s.mp4", c+1, rec.Format("20060102_150405")))
				copies := []struct {
					root string
					at   time.Time
				}{{"nvr", rec.Add(15 * time.Minute)}}
				if c == 0 {
					copies = append(copies, struct {
						root string
						at   time.Time
					}{"nvr-backup", backupAt})
				}
				for _, cp := range copies {
					p := filepath.Join(dir, cp.root, ref)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						return fmt.Errorf("create demo recordings: %w", err)
					}
					if err := os.WriteFile(p, []byte("synthetic recording\n"), 0o644); err != nil {
						return fmt.Errorf("create demo recordings: %w", err)
					}
					if err := os.Chtimes(p, cp.at, cp.at); err != nil {
						return fmt.Errorf("create demo recordings: %w", err)
					}
				}
			}
		}
	}
	return nil
}
