// Package configs loads retentiond's configuration and policy files, strictly:
// a required version, unknown keys rejected, and every problem reported with
// file, line and field. It also carries the default policies.
package configs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/retentiond/retentiond/configs/relay"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
)

// ConfigVersion is the only configuration format version this build reads.
const ConfigVersion = 1

// Roles a person can hold.
const (
	RoleApprover = "approver" // approves and rejects batches
	RoleOperator = "operator" // plans, executes, confirms guarded batches, manages holds
	RoleAuditor  = "auditor"  // reads and exports the ledger
)

var roles = []string{RoleApprover, RoleOperator, RoleAuditor}

// Config is a loaded, validated configuration. Paths in it are absolute.
type Config struct {
	File     string
	Dir      string
	Location *time.Location
	Database string
	Keys     Keys
	Origin   string // the ledger's name in its checkpoints

	PolicyFiles []string
	Policies    *policies.Set

	People  []Person
	Sources []Source

	// ExecuteSchedule is when the daemon executes approved batches.
	ExecuteSchedule string
	// Anchors are where the latest checkpoint is sent after every run and
	// on AnchorSchedule; none if empty. The scheduler builds the
	// transports from them.
	Anchors        []Anchor
	AnchorSchedule string
	Log            Log
	// MetricsListen is the address (host:port) the daemon serves
	// /metrics, /healthz and /readyz on; "" serves none.
	MetricsListen string
	// Notify says how approvers and operators are told; nil tells no one.
	Notify *Notify
	// Web configures the web console; nil: no console is served.
	Web *Web
	// CLI says how the command line takes --as.
	CLI CLI
	// Locale is the language of what people read that is not the
	// console: notification mails and the approver-facing PDFs (da, the
	// default, sv or en; see Locales), and the console's when web.locale
	// is not given (Web.Locale is then set to it).
	Locale string
}

// Anchor is one place the latest checkpoint is sent out of the host
// (ledger.anchor): a directory or an SMTP relay. Exactly one of Dir and
// SMTP is set.
type Anchor struct {
	Dir  string // absolute; it exists
	SMTP *AnchorSMTP
}

// AnchorSMTP mails checkpoints through Relay to every address in To.
type AnchorSMTP struct {
	Relay relay.Relay
	To    []string
}

// Validate checks the settings without reading files, the environment or
// the network. Each error starts with the setting's yaml name.
func (a AnchorSMTP) Validate() error {
	if err := a.Relay.Validate(); err != nil {
		return err
	}
	if len(a.To) == 0 {
		return errors.New("to: missing: give at least one recipient's address")
	}
	for i, to := range a.To {
		if _, err := relay.ParseAddress(to); err != nil {
			return fmt.Errorf("to[%d]: %w", i, err)
		}
	}
	return nil
}

// Notify configures e-mail notifications: to approvers when a batch
// awaits them (and reminders while it waits), to operators when a source
// fails, a batch fails, items are overdue or a deletion instruction is.
// Exactly one of SMTP and Graph is set.
type Notify struct {
	SMTP  *relay.Relay
	Graph *GraphMail
	// RemindAfter is how long a batch waits before its approvers are
	// reminded, and again after each such period.
	RemindAfter time.Duration
	// Operators are the ids of the people operator alerts go to.
	Operators []string
	// OwnerEmail makes the address of an item's owner from the account
	// name, "{user}@skole.example"; empty sends owner notices to the
	// operators.
	OwnerEmail string
}

// OwnerAddress returns where the notice to the owner of an item goes:
// OwnerEmail with {user} replaced by the account name without a
// `DOMAIN\` prefix or `@domain` suffix; "" (the operators) when there is
// no template or the owner is unknown.
func (n *Notify) OwnerAddress(owner string) string {
	if n == nil || n.OwnerEmail == "" {
		return ""
	}
	user := owner
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	user, _, _ = strings.Cut(user, "@")
	if user == "" || strings.ContainsAny(user, " <>,;\"\r\n") {
		return ""
	}
	return strings.ReplaceAll(n.OwnerEmail, "{user}", user)
}

// GraphMail sends notifications with Microsoft Graph's sendMail, as the
// app of an m365 source, from a mailbox it may send as.
type GraphMail struct {
	Source string // the m365 source whose tenant and app are used
	From   string // the sending mailbox's address
}

// DefaultRemindAfter is notify.remind_after's default.
const DefaultRemindAfter = 72 * time.Hour

// Keys are the files holding the ledger's secrets, kept outside the database.
type Keys struct {
	Signing    string
	References string
}

// Person is someone who may act on retentiond, by configured id.
type Person struct {
	ID     string
	Name   string
	Email  string // where notifications go; "" for none
	Roles  []string
	Groups []string
	// OSUsers, when set, are the operating-system accounts this person
	// works from ("SKOLE\\anna" as Windows names a domain account,
	// "anna" on Linux): a command run --as this person from any other
	// account is refused, and what it records says the identity was
	// verified (ledger auth os_user) rather than typed. No account may be
	// listed for two people.
	OSUsers []string
	// OIDCSubject is the stable claim this person signs in to the
	// console with (Entra's oid, else sub); no two people share one.
	OIDCSubject string
	// OIDCUsername binds the person on their first sign-in by
	// preferred_username or email (compared without case); the subject
	// seen then is pinned. No two people share one.
	OIDCUsername string
}

// Has reports whether p holds role.
func (p Person) Has(role string) bool { return slices.Contains(p.Roles, role) }

// Source is one configured connector instance.
type Source struct {
	Name     string
	Kind     connectors.Kind
	Schedule string // cron spec for planning; "" plans only on demand
	Options  any    // what Kind.NewConfig returned, decoded
	// Overlaps names the sources whose folders may overlap this one's
	// (declared with `overlaps:`); any other overlap is refused.
	Overlaps []string
}

// Open opens the source's connector.
func (s Source) Open(ctx context.Context, env connectors.Env) (connectors.Connector, error) {
	c, err := s.Kind.Open(ctx, env, s.Options)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", s.Name, err)
	}
	return c, nil
}

// Log configures logging.
type Log struct {
	Level  string // debug, info, warn, error
	Format string // json or console
}

// Person returns the person with id.
func (c *Config) Person(id string) (Person, bool) {
	for _, p := range c.People {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

// Source returns the source named name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// GroupMembers returns the ids of the approvers in group.
func (c *Config) GroupMembers(group string) []string {
	var ids []string
	for _, p := range c.People {
		if p.Has(RoleApprover) && slices.Contains(p.Groups, group) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

type configFile struct {
	Version  int          `yaml:"version"`
	Timezone string       `yaml:"timezone"`
	Database string       `yaml:"database"`
	Keys     keysYAML     `yaml:"keys"`
	Ledger   ledgerYAML   `yaml:"ledger"`
	Policies []string     `yaml:"policies"`
	People   []personYAML `yaml:"people"`
	Sources  []sourceYAML `yaml:"sources"`
	Execute  executeYAML  `yaml:"execute"`
	Log      logYAML      `yaml:"log"`
	Metrics  metricsYAML  `yaml:"metrics"`
	Notify   *notifyYAML  `yaml:"notify"`
	Web      *webYAML     `yaml:"web"`
	CLI      cliYAML      `yaml:"cli"`
	Locale   string       `yaml:"locale"`
}

type notifyYAML struct {
	SMTP        *notifySMTPYAML `yaml:"smtp"`
	Graph       *graphMailYAML  `yaml:"graph"`
	RemindAfter string          `yaml:"remind_after"`
	Operators   []string        `yaml:"operators"`
	OwnerEmail  string          `yaml:"owner_email"`
}

type notifySMTPYAML struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	From         string `yaml:"from"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	StartTLS     string `yaml:"starttls"`
	ImplicitTLS  bool   `yaml:"implicit_tls"`
	CAFile       string `yaml:"ca_file"`
	Timeout      string `yaml:"timeout"`
}

type graphMailYAML struct {
	Source string `yaml:"source"`
	From   string `yaml:"from"`
}

type metricsYAML struct {
	Listen string `yaml:"listen"`
}

type keysYAML struct {
	Signing    string `yaml:"signing"`
	References string `yaml:"references"`
}

type ledgerYAML struct {
	Origin string     `yaml:"origin"`
	Anchor anchorYAML `yaml:"anchor"`
}

type anchorYAML struct {
	Schedule string   `yaml:"schedule"`
	Dir      string   `yaml:"dir"`
	SMTP     smtpYAML `yaml:"smtp"`
}

type smtpYAML struct {
	Host         string   `yaml:"host"`
	Port         int      `yaml:"port"`
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	PasswordEnv  string   `yaml:"password_env"`
	TLS          string   `yaml:"tls"`
	CAFile       string   `yaml:"ca_file"`
	Timeout      string   `yaml:"timeout"`
}

type personYAML struct {
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Email   string   `yaml:"email"`
	Roles   []string `yaml:"roles"`
	Groups  []string `yaml:"groups"`
	OSUsers []string `yaml:"os_users"`

	OIDCSubject  string `yaml:"oidc_subject"`
	OIDCUsername string `yaml:"oidc_username"`
}

type sourceYAML struct {
	Name     string    `yaml:"name"`
	Kind     string    `yaml:"kind"`
	Schedule string    `yaml:"schedule"`
	Options  yaml.Node `yaml:"options"`
	Overlaps []string  `yaml:"overlaps"`
}

type executeYAML struct {
	Schedule string `yaml:"schedule"`
}

type logYAML struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Defaults for optional settings.
const (
	DefaultTimezone        = "Europe/Copenhagen"
	DefaultDatabase        = "retentiond.db"
	DefaultSigningKey      = "keys/ledger.key"
	DefaultReferenceKey    = "keys/references.key"
	DefaultExecuteSchedule = "*/15 * * * *"
	DefaultAnchorSchedule  = "30 6 * * *"
)

// Load reads the configuration at file, the policy files it names and the
// options of each source (decoded into the kind's options from reg). It
// opens nothing. All problems found are returned together in a *LoadError.
func Load(file string, reg *connectors.Registry) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("configuration file %s does not exist: give one with --config, or create a sandbox with `retentiond demo`", file)
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("resolve configuration path: %w", err)
	}
	return Parse(abs, data, reg)
}

// Parse is Load for a configuration already read; file must be absolute,
// since relative paths in it are resolved against its directory.
func Parse(file string, data []byte, reg *connectors.Registry) (*Config, error) {
	d, err := parseDoc(file, data)
	if err != nil {
		return nil, err
	}
	var cf configFile
	d.decode(d.root, "", &cf)
	if err := d.err(); err != nil {
		return nil, err
	}
	c := &Config{File: file, Dir: filepath.Dir(file)}
	switch {
	case cf.Version == 0:
		d.errorf("version", "missing: write `version: %d` at the top", ConfigVersion)
	case cf.Version != ConfigVersion:
		d.errorf("version", "version %d is not supported by this build (it reads version %d)", cf.Version, ConfigVersion)
	}
	tz := cf.Timezone
	if tz == "" {
		tz = DefaultTimezone
	}
	if loc, err := time.LoadLocation(tz); err != nil {
		d.errorf("timezone", "%q is not a known time zone (write e.g. Europe/Copenhagen or Europe/Stockholm)", tz)
	} else {
		c.Location = loc
	}
	c.Database = c.path(cf.Database, DefaultDatabase)
	c.Keys = Keys{Signing: c.path(cf.Keys.Signing, DefaultSigningKey), References: c.path(cf.Keys.References, DefaultReferenceKey)}
	c.Origin = cf.Ledger.Origin
	if c.Origin == "" {
		d.errorf("ledger.origin", "missing: name this ledger, e.g. retentiond.example-skole.dk/ledger; auditors see it in every checkpoint")
	} else if !validOrigin(c.Origin) {
		d.errorf("ledger.origin", "%q cannot name a ledger: use letters, digits and . - _ / : without spaces or '+'", c.Origin)
	}
	c.loadAnchors(d, cf.Ledger.Anchor)
	c.ExecuteSchedule = cf.Execute.Schedule
	if c.ExecuteSchedule == "" {
		c.ExecuteSchedule = DefaultExecuteSchedule
	}
	if err := checkSchedule(c.ExecuteSchedule); err != nil {
		d.errorf("execute.schedule", "%q is not a cron schedule: %v", c.ExecuteSchedule, err)
	}
	c.MetricsListen = cf.Metrics.Listen
	if c.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListen); err != nil || port == "" {
			d.errorf("metrics.listen", "%q is not host:port (write e.g. 127.0.0.1:9464)", c.MetricsListen)
		}
	}
	c.Log = Log{Level: cf.Log.Level, Format: cf.Log.Format}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		d.errorf("log.level", "%q is not a level (use debug, info, warn or error)", c.Log.Level)
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if !slices.Contains([]string{"json", "console"}, c.Log.Format) {
		d.errorf("log.format", "%q is not a format (use json or console)", c.Log.Format)
	}

	groups := map[string]bool{}
	ids := map[string]bool{}
	accounts := map[string]string{} // OS account, case folded → person id
	for i, p := range cf.People {
		path := fmt.Sprintf("people[%d]", i)
		if !validID(p.ID) {
			d.errorf(path+".id", "%q is not a valid id: use letters, digits, '-', '_' and '.'", p.ID)
		} else if ids[p.ID] {
			d.errorf(path+".id", "%q is listed twice", p.ID)
		}
		ids[p.ID] = true
		if len(p.Roles) == 0 {
			d.errorf(path+".roles", "missing: give at least one of approver, operator, auditor")
		}
		for j, r := range p.Roles {
			if !slices.Contains(roles, r) {
				d.errorf(fmt.Sprintf("%s.roles[%d]", path, j), "%q is not a role (use approver, operator or auditor)", r)
			}
		}
		for j, g := range p.Groups {
			if !validID(g) {
				d.errorf(fmt.Sprintf("%s.groups[%d]", path, j), "%q is not a valid group name", g)
			}
			if slices.Contains(p.Roles, RoleApprover) {
				groups[g] = true
			}
		}
		if p.Email != "" {
			if _, err := relay.ParseAddress(p.Email); err != nil {
				d.errorf(path+".email", "%v", err)
			}
		}
		for j, u := range p.OSUsers {
			f := fmt.Sprintf("%s.os_users[%d]", path, j)
			switch other, dup := accounts[strings.ToLower(u)]; {
			case strings.TrimSpace(u) != u || u == "" || strings.ContainsFunc(u, unicode.IsControl):
				d.errorf(f, "%q is not an account name: write it as the system shows it, e.g. \"SKOLE\\\\anna\" or \"anna\"", u)
			case dup && other == p.ID:
				d.errorf(f, "%q is listed twice", u)
			case dup:
				d.errorf(f, "%q is also an account of %s: one account must be one person, or either could act as the other", u, other)
			default:
				accounts[strings.ToLower(u)] = p.ID
			}
		}
		c.People = append(c.People, Person{ID: p.ID, Name: p.Name, Email: p.Email, Roles: p.Roles, Groups: p.Groups, OSUsers: p.OSUsers,
			OIDCSubject: p.OIDCSubject, OIDCUsername: p.OIDCUsername})
	}
	c.CLI = CLI{TrustAs: cf.CLI.TrustAs}
	c.Locale = cf.Locale
	if c.Locale == "" {
		c.Locale = DefaultLocale
	} else if !slices.Contains(Locales, c.Locale) {
		d.errorf("locale", "%q is not a language retentiond writes (use da, sv or en)", c.Locale)
		c.Locale = DefaultLocale
	}
	c.loadWeb(d, cf.Web)
	c.checkPeopleOIDC(d)

	names := map[string]bool{}
	for i, s := range cf.Sources {
		path := fmt.Sprintf("sources[%d]", i)
		if !validID(s.Name) {
			d.errorf(path+".name", "%q is not a valid source name: use letters, digits, '-', '_' and '.'", s.Name)
		} else if names[s.Name] {
			d.errorf(path+".name", "%q is used by two sources", s.Name)
		}
		names[s.Name] = true
		if s.Schedule != "" {
			if err := checkSchedule(s.Schedule); err != nil {
				d.errorf(path+".schedule", "%q is not a cron schedule: %v", s.Schedule, err)
			}
		}
		kind, ok := reg.Lookup(s.Kind)
		if !ok {
			d.errorf(path+".kind", "%q is not a connector kind (known: %v)", s.Kind, reg.Names())
			continue
		}
		opts := kind.NewConfig()
		if s.Options.Kind == 0 {
			d.errorf(path+".options", "missing: the %s connector needs options", s.Kind)
			continue
		}
		before := len(d.errs)
		d.decodeValue(&s.Options, path+".options", reflect.ValueOf(opts).Elem())
		if len(d.errs) == before {
			if v, ok := opts.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					d.errorf(path+".options", "%v", err)
				}
			}
		}
		c.Sources = append(c.Sources, Source{Name: s.Name, Kind: kind, Schedule: s.Schedule, Options: opts, Overlaps: s.Overlaps})
	}
	c.checkOverlaps(d, cf.Sources)
	if len(cf.Sources) == 0 {
		d.errorf("sources", "missing: configure at least one source")
	}
	c.loadNotify(d, cf.Notify)

	if len(cf.Policies) == 0 {
		d.errorf("policies", "missing: list the policy files to enforce (the defaults are in configs/policies/)")
	}
	var pols []*policies.Policy
	listed := map[string]int{}         // policy file → its index in policies
	policyFiles := map[string]string{} // policy id → the policies entry with it
	ruleIDs := map[string]string{}     // rule id → the id of the policy with it
	for i, pf := range cf.Policies {
		field := fmt.Sprintf("policies[%d]", i)
		path := c.path(pf, "")
		if j, dup := listed[path]; dup && path != "" {
			d.errorf(field, "%s is listed twice (also as policies[%d])", pf, j)
			continue
		}
		listed[path] = i
		c.PolicyFiles = append(c.PolicyFiles, path)
		p, pd, err := loadPolicy(path)
		if err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				d.errs = append(d.errs, le.Errs...)
			} else {
				d.errorf(field, "%v", err)
			}
			continue
		}
		// What the policy asks of this configuration, reported at the
		// policy's lines: p.Rules[k] is the file's rules[k].
		for k, r := range p.Rules {
			for j, src := range r.Sources {
				if !names[src] {
					pd.errorf(fmt.Sprintf("rules[%d].sources[%d]", k, j), "%q is not a source in %s", src, filepath.Base(file))
				}
			}
			if !r.OwnerNotice.IsZero() && c.Notify == nil {
				pd.errorf(fmt.Sprintf("rules[%d].owner_notice", k), "owners are told by e-mail, but %s has no notify section: configure notify (see docs/operators/running.md, Notifications)", filepath.Base(file))
			}
			if r.EscalateTo != "" && len(c.GroupMembers(r.EscalateTo)) == 0 {
				pd.errorf(fmt.Sprintf("rules[%d].escalate_to", k), "group %q has no approvers in %s: add people with role approver and that group", r.EscalateTo, filepath.Base(file))
			}
			for j, st := range r.Approval.Stages {
				if n := len(c.GroupMembers(st.Group)); n < st.Count {
					pd.errorf(fmt.Sprintf("rules[%d].approval[%d]", k, j),
						"needs %d approver(s) from group %q, but %s names %d: add people with role approver and that group", st.Count, st.Group, filepath.Base(file), n)
				}
			}
		}
		if other, dup := policyFiles[p.ID]; dup {
			pd.errorf("id", "policy id %q is used by two policy files: %s and %s", p.ID, other, pf)
		} else {
			policyFiles[p.ID] = pf
			for k, r := range p.Rules {
				if owner, dup := ruleIDs[r.ID]; dup {
					pd.errorf(fmt.Sprintf("rules[%d].id", k), "rule id %q is defined in policy %q and again in %q", r.ID, owner, p.ID)
				} else {
					ruleIDs[r.ID] = p.ID
				}
			}
		}
		d.errs = append(d.errs, pd.errs...)
		pols = append(pols, p)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	set, err := policies.NewSet(c.Location, pols...)
	if err != nil {
		d.errorf("policies", "%v", err)
		return nil, d.err()
	}
	c.Policies = set
	return c, nil
}

// parseCron parses a schedule as the daemon's cron does.
var parseCron = cron.ParseStandard

// checkSchedule returns why spec is not a schedule the daemon can run, or
// nil. The cron parser panics on a time zone prefix without a schedule
// after it, so that is caught first, and any other panic of it recovered.
func checkSchedule(spec string) (err error) {
	for _, prefix := range []string{"CRON_TZ=", "TZ="} {
		rest, ok := strings.CutPrefix(spec, prefix)
		if !ok {
			continue
		}
		zone, _, ok := strings.Cut(rest, " ")
		switch {
		case !ok:
			return fmt.Errorf("%s must be followed by a time zone, a space and the schedule, e.g. %sEurope/Copenhagen 0 2 * * *", prefix, prefix)
		case zone == "":
			return fmt.Errorf("%s names no time zone: write e.g. %sEurope/Copenhagen, or leave it out to use the configured timezone", prefix, prefix)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the cron parser cannot read it (%v)", r)
		}
	}()
	_, err = parseCron(spec)
	return err
}

// path resolves p (or def when p is empty) against the config's directory.
func (c *Config) path(p, def string) string {
	if p == "" {
		p = def
	}
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, filepath.FromSlash(p))
}

func validOrigin(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == '+' || r > 0x7e {
			return false
		}
	}
	return s != ""
}

// loadNotify reads notify: how approvers and operators are told. It runs
// after people and sources are read.
func (c *Config) loadNotify(d *doc, n *notifyYAML) {
	if n == nil {
		return
	}
	nc := &Notify{RemindAfter: DefaultRemindAfter}
	switch {
	case n.SMTP == nil && n.Graph == nil:
		d.errorf("notify", "give smtp (a relay) or graph (an m365 source's app), or remove notify")
	case n.SMTP != nil && n.Graph != nil:
		d.errorf("notify.graph", "set together with notify.smtp: give one of them")
	case n.SMTP != nil:
		m := n.SMTP
		r := &relay.Relay{Host: m.Host, Port: m.Port, From: m.From, Username: m.Username, PasswordEnv: m.PasswordEnv,
			PasswordFile: c.path(m.PasswordFile, ""), CAFile: c.path(m.CAFile, ""), Timeout: d.timeout("notify.smtp.timeout", m.Timeout),
			StartTLS: m.StartTLS, ImplicitTLS: m.ImplicitTLS}
		d.settingError("notify.smtp", r.Validate())
		nc.SMTP = r
	default:
		g := n.Graph
		src, ok := c.Source(g.Source)
		switch {
		case g.Source == "":
			d.errorf("notify.graph.source", "missing: name the m365 source whose app sends the mail")
		case !ok:
			d.errorf("notify.graph.source", "%q is not a configured source", g.Source)
		case src.Kind.Name != "m365":
			d.errorf("notify.graph.source", "%q is a %s source: name an m365 source", g.Source, src.Kind.Name)
		}
		if g.From == "" {
			d.errorf("notify.graph.from", "missing: give the mailbox the app sends as")
		} else if _, err := relay.ParseAddress(g.From); err != nil {
			d.errorf("notify.graph.from", "%v", err)
		}
		nc.Graph = &GraphMail{Source: g.Source, From: g.From}
	}
	if n.RemindAfter != "" {
		ra, err := time.ParseDuration(n.RemindAfter)
		if err != nil || ra < time.Hour {
			d.errorf("notify.remind_after", "%q is not a duration of at least 1h, such as 72h", n.RemindAfter)
		}
		nc.RemindAfter = ra
	}
	if n.Operators == nil {
		for _, p := range c.People {
			if p.Has(RoleOperator) && p.Email != "" {
				nc.Operators = append(nc.Operators, p.ID)
			}
		}
		if len(nc.Operators) == 0 {
			d.errorf("notify", "no operator has an email, so nobody would hear that a source failed: give people with role operator an email, or list operators")
		}
	}
	for i, id := range n.Operators {
		p, ok := c.Person(id)
		switch {
		case !ok:
			d.errorf(fmt.Sprintf("notify.operators[%d]", i), "%q is not in people", id)
		case p.Email == "":
			d.errorf(fmt.Sprintf("notify.operators[%d]", i), "%q has no email in people", id)
		}
		nc.Operators = append(nc.Operators, id)
	}
	if n.OwnerEmail != "" {
		if strings.Count(n.OwnerEmail, "{user}") != 1 {
			d.errorf("notify.owner_email", "%q has no {user}: write e.g. {user}@skole.example", n.OwnerEmail)
		} else if _, err := relay.ParseAddress(strings.ReplaceAll(n.OwnerEmail, "{user}", "anna")); err != nil {
			d.errorf("notify.owner_email", "%v", err)
		}
		nc.OwnerEmail = n.OwnerEmail
	}
	c.Notify = nc
}

// loadAnchors reads ledger.anchor: a directory and/or an SMTP relay, and
// the schedule on which the latest checkpoint is sent even without a run.
func (c *Config) loadAnchors(d *doc, a anchorYAML) {
	c.AnchorSchedule = a.Schedule
	if c.AnchorSchedule == "" {
		c.AnchorSchedule = DefaultAnchorSchedule
	}
	if err := checkSchedule(c.AnchorSchedule); err != nil {
		d.errorf("ledger.anchor.schedule", "%q is not a cron schedule: %v", c.AnchorSchedule, err)
	}
	if a.Dir != "" {
		dir := c.path(a.Dir, "")
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			d.errorf("ledger.anchor.dir", "%s is not a directory: create it (a share the DPO owns) or remove the setting", dir)
		}
		c.Anchors = append(c.Anchors, Anchor{Dir: dir})
	}
	m := a.SMTP
	if m.Host == "" && m.From == "" && len(m.To) == 0 {
		return
	}
	r, err := relay.Relay{Host: m.Host, Port: m.Port, From: m.From, Username: m.Username, PasswordEnv: m.PasswordEnv,
		PasswordFile: c.path(m.PasswordFile, ""), CAFile: c.path(m.CAFile, ""), Timeout: d.timeout("ledger.anchor.smtp.timeout", m.Timeout)}.WithTLS(m.TLS)
	t := &AnchorSMTP{Relay: r, To: m.To}
	if err != nil {
		d.settingError("ledger.anchor.smtp", err)
	} else {
		d.settingError("ledger.anchor.smtp", t.Validate())
	}
	c.Anchors = append(c.Anchors, Anchor{SMTP: t})
}

// timeout reads the relay timeout s written at field: 0 (the default)
// when empty.
func (d *doc) timeout(field, s string) time.Duration {
	if s == "" {
		return 0
	}
	to, err := time.ParseDuration(s)
	if err != nil || to <= 0 {
		d.errorf(field, "%q is not a duration such as 30s", s)
	}
	return to
}

// settingError reports err, from a Validate whose errors start with the
// setting's yaml name ("port: ..."), at that setting under prefix.
func (d *doc) settingError(prefix string, err error) {
	if err == nil {
		return
	}
	field, msg, ok := strings.Cut(err.Error(), ": ")
	if !ok || strings.Contains(field, " ") {
		field, msg = "", err.Error()
	}
	d.errorf(strings.TrimSuffix(prefix+"."+field, "."), "%s", msg)
}
