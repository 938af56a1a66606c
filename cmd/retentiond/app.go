package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/cctv"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/connectors/google"
	"github.com/retentiond/retentiond/connectors/m365"
	"github.com/retentiond/retentiond/scheduler"
)

// app is the state shared by the commands: where output goes, the clock,
// the connector kinds, and the global flags.
type app struct {
	out, errOut io.Writer
	clock       scheduler.Clock
	registry    *connectors.Registry

	configFile string
	as         string
	verbose    bool
	// startNewLedger and acceptRollback accept, once and in the ledger, a
	// database that does not continue the signed ledger (see
	// scheduler/continuity.go).
	startNewLedger, acceptRollback bool

	// metricsAddr is where `run` serves metrics, once it does (for tests).
	metricsAddr string
	// invocation is the command line being run, to say how to run it as
	// another user (checkOwner).
	invocation string
	// logCores also receive what `run` logs (for tests).
	logCores []zapcore.Core
}

func newApp(out, errOut io.Writer) *app {
	return &app{out: out, errOut: errOut, clock: scheduler.SystemClock{},
		registry: connectors.NewRegistry(fileshare.Kind(), m365.Kind(), exports.Kind(), cctv.Kind(), google.Kind())}
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "retentiond",
		Short:         "Enforce data-retention rules with approvals and a signed ledger",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			a.invocation = a.commandLine(cmd, args)
		},
	}
	def := os.Getenv("RETENTIOND_CONFIG")
	if def == "" {
		def = defaultConfigFile()
	}
	root.PersistentFlags().StringVarP(&a.configFile, "config", "c", def, "configuration file (env RETENTIOND_CONFIG)")
	root.PersistentFlags().StringVar(&a.as, "as", os.Getenv("RETENTIOND_AS"), "who you are: a person id from the configuration (env RETENTIOND_AS)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log what happens to stderr")
	root.PersistentFlags().BoolVar(&a.startNewLedger, "start-new-ledger", false,
		"the database holding the ledger is lost and no backup exists: start a new ledger, recording that it starts over")
	root.PersistentFlags().BoolVar(&a.acceptRollback, "accept-rollback", false,
		"the database was restored from a backup older than the last signed checkpoint and none newer exists: continue from it, recording the entries lost")
	root.AddCommand(a.demoCmd(), a.checkCmd(), a.planCmd(), a.batchesCmd(), a.decisionsCmd(), a.executeCmd(), a.runCmd(), a.ledgerCmd(), a.holdsCmd(), a.subjectsCmd(), a.explainCmd(), a.instructionsCmd(), a.notifyCmd(), a.serviceCmd(), a.webCmd(), a.versionCmd())
	// --version prints what `retentiond version` prints.
	root.Version = version()
	root.SetVersionTemplate(strings.ReplaceAll(versionText(), "{{", `{{"{{"}}`))
	root.InitDefaultCompletionCmd() // now, so that strictGroups covers it too
	strictGroups(root)
	return root
}

// strictGroups makes every command that has subcommands refuse a word that
// is none of them, naming the closest ("retentiond batches lst" →
// unknown command "lst" for "retentiond batches"; did you mean "list"?),
// instead of cobra's default for a group without RunE: print the help and
// exit 0, which a script or a tired operator takes for success. A group
// given no word still prints its help. Groups that run something
// themselves (notify, instructions) take no positional arguments either,
// so a word after them is always a mistyped subcommand.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() {
		return
	}
	args := c.Args
	c.Args = func(cmd *cobra.Command, rest []string) error {
		if len(rest) > 0 {
			return unknownCommand(cmd, rest[0])
		}
		if args != nil {
			return args(cmd, rest)
		}
		return nil
	}
	if c.Run == nil && c.RunE == nil {
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}

// unknownCommand is the error for a word that is not a subcommand of cmd,
// with cobra's suggestions (by edit distance and prefix).
func unknownCommand(cmd *cobra.Command, word string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	var quoted []string
	for _, s := range cmd.SuggestionsFor(word) {
		quoted = append(quoted, strconv.Quote(s))
	}
	switch len(quoted) {
	case 0:
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return fmt.Errorf("%s; its commands are %s (see '%s --help')", msg, strings.Join(names, ", "), cmd.CommandPath())
	case 1:
		return fmt.Errorf("%s; did you mean %s?", msg, quoted[0])
	default:
		return fmt.Errorf("%s; did you mean %s or %s?", msg, strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1])
	}
}

// version is the version the binary was built as.
func version() string { return readBuildInfo().Version }

// software is what the ledger records as the software that acted.
func software() string { return "retentiond/" + version() }

// loadConfig loads the configuration named by --config.
func (a *app) loadConfig() (*configs.Config, error) {
	return configs.Load(a.configFile, a.registry)
}

// cliLogger logs to stderr for humans: warnings only unless --verbose.
func (a *app) cliLogger() *zap.Logger {
	level := zapcore.WarnLevel
	if a.verbose {
		level = zapcore.DebugLevel
	}
	enc := zap.NewDevelopmentEncoderConfig()
	enc.TimeKey = ""
	core := zapcore.NewCore(shownEncoder{zapcore.NewConsoleEncoder(enc)}, zapcore.AddSync(a.errOut), level)
	return zap.New(core)
}

// pipeline loads the configuration and opens the pipeline.
func (a *app) pipeline(ctx context.Context, log *zap.Logger) (*scheduler.Pipeline, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	if err := a.checkOwner(cfg.Database); err != nil {
		return nil, err
	}
	auth, err := a.verifyIdentity(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = a.cliLogger()
	}
	host, _ := os.Hostname()
	return scheduler.New(ctx, cfg, scheduler.Deps{Clock: a.clock, Log: log, Host: host, Software: software(),
		StartNewLedger: a.startNewLedger, AcceptRollback: a.acceptRollback, Actor: a.actor(), Auth: auth})
}

// verifyIdentity checks the person named by --as against the account this
// process runs as and returns how the identity was established, for the
// ledger (ledger.AuthMethods): "os_user" when the person lists os_users
// and the account is one of them; a person with os_users run from any
// other account is refused. A person without os_users is refused too,
// unless the configuration trusts --as (cli.trust_as, as the demo does):
// then the person is taken on their word ("trusted_cli"). An --as naming
// nobody in the configuration is left to the command, which refuses it if
// it needs a person.
func (a *app) verifyIdentity(cfg *configs.Config) (string, error) {
	if a.as == "" {
		return "", nil
	}
	who, ok := cfg.Person(a.as)
	if !ok {
		if cfg.CLI.TrustAs {
			return "trusted_cli", nil
		}
		return "", nil
	}
	if len(who.OSUsers) == 0 {
		if cfg.CLI.TrustAs {
			return "trusted_cli", nil
		}
		return "", fmt.Errorf("--as %s: %s has no os_users in %s, so the command line cannot verify who you are; "+
			"list the accounts %s logs in with under os_users (e.g. os_users: [\"SKOLE\\\\%s\"]), "+
			"or, where everyone who can run retentiond may act as anyone (a sandbox), set cli.trust_as: true (the demo does); see docs/identity.md",
			esc(a.as), esc(a.as), cfg.File, esc(a.as), esc(a.as))
	}
	account, via, err := osAccount(cfg)
	if err != nil {
		return "", fmt.Errorf("--as %s: cannot tell which account runs this command, so cannot verify it is %s: %w", a.as, a.as, err)
	}
	for _, u := range who.OSUsers {
		if sameAccount(u, account) {
			return "os_user", nil
		}
	}
	listed := make([]string, len(who.OSUsers))
	for i, u := range who.OSUsers {
		listed[i] = strconv.Quote(u)
	}
	found := strconv.Quote(account)
	if via != "" {
		found += fmt.Sprintf(" (through sudo, as %q)", via)
	}
	return "", fmt.Errorf("--as %s refused: this command runs as the account %s, which is not one of %s's os_users in %s (%s); run it logged in as %s, or have the configuration list this account",
		a.as, found, a.as, cfg.File, strings.Join(listed, ", "), a.as)
}

// osAccount is the account of the person running this command, as the
// system names it: DOMAIN\user on Windows, the login name elsewhere. On
// Unix, commands run as the service's account (sudo -u retentiond …, see
// checkOwner), so when the process runs as an account that is nobody's in
// the configuration (the service account, root) and sudo started it, the
// person is the one sudo names (SUDO_USER, which sudo sets itself; via is
// then the account run as). Whoever can run commands as the service
// account without sudo could claim anyone, but could also change the
// database directly.
func osAccount(cfg *configs.Config) (account, via string, err error) {
	u, err := user.Current()
	if err != nil {
		return "", "", err
	}
	if runtime.GOOS == "windows" {
		return u.Username, "", nil
	}
	if s := os.Getenv("SUDO_USER"); s != "" && s != u.Username && !anyonesAccount(cfg, u.Username) {
		return s, u.Username, nil
	}
	return u.Username, "", nil
}

// anyonesAccount reports whether account is among someone's os_users.
func anyonesAccount(cfg *configs.Config, account string) bool {
	for _, p := range cfg.People {
		for _, u := range p.OSUsers {
			if sameAccount(u, account) {
				return true
			}
		}
	}
	return false
}

// sameAccount compares account names as the system does: Windows account
// names ignore case, Unix ones do not.
func sameAccount(listed, account string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(listed, account)
	}
	return listed == account
}

// withPipeline makes a command's RunE that opens the pipeline, runs fn
// with it and closes it.
func (a *app) withPipeline(fn func(ctx context.Context, p *scheduler.Pipeline, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		p, err := a.pipeline(ctx, nil)
		if err != nil {
			return err
		}
		defer p.Close()
		return fn(ctx, p, args)
	}
}

// actor is who a command acts as: --as, or the operating-system user.
func (a *app) actor() string {
	if a.as != "" {
		return a.as
	}
	if u, err := user.Current(); err == nil {
		return "os:" + u.Username
	}
	return "os:unknown"
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.out, format, args...) }
