package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/notify"
	"github.com/retentiond/retentiond/store"
)

func (a *app) notifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Tell approvers and operators what needs them, now (the daemon does this after every run)",
		Long: `Notify sends, once each, the e-mails the store calls for: to the approvers
still needed when a batch awaits approval, a reminder after
notify.remind_after (and after each further period); it escalates, once, a
batch that waited longer than its rule's escalate_after and tells the
operators and the rule's escalate_to group, who may then approve in the
waiting group's place (docs/escalation.md; nothing is approved by waiting);
and it tells the operators when a batch is held by the guard, a batch
failed, items are overdue (once a day per source) or a deletion
instruction is overdue; and, for rules with
owner_notice, to the owners of files that will be deleted. A message the relay
does not accept is tried again next time. 'retentiond run' does this after
every plan and execution, and tells the operators at once when a source
cannot be planned.`,
		Args: cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			if p.Config.Notify == nil {
				return errors.New("no notify section in the configuration: nobody is told anything (see docs/operators/running.md, Notifications)")
			}
			before, err := p.Store.Notifications(ctx)
			if err != nil {
				return err
			}
			n := a.notifier(p, a.cliLogger())
			unsent := 0
			n.Unsent = func(string, error) { unsent++ }
			if err := n.Pass(ctx); err != nil {
				return err
			}
			after, err := p.Store.Notifications(ctx)
			if err != nil {
				return err
			}
			sent := newNotifications(before, after)
			for _, s := range sent {
				a.printf("sent %-22s to %-10s %s\n", s.Kind, s.Recipients, s.Key)
			}
			if len(sent) == 0 {
				a.printf("nothing new to tell\n")
			}
			if unsent > 0 {
				return fmt.Errorf("%d notification(s) not sent (see above); they are tried again next time", unsent)
			}
			return nil
		}),
	}
	cmd.AddCommand(a.notifyTestCmd())
	return cmd
}

func (a *app) notifyTestCmd() *cobra.Command {
	var to []string
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Send a test e-mail to the operators (or --to), to check the mail settings",
		Args:  cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			if p.Config.Notify == nil {
				return errors.New("no notify section in the configuration")
			}
			if len(to) == 0 {
				for _, id := range p.Config.Notify.Operators {
					if person, ok := p.Config.Person(id); ok {
						to = append(to, person.Email)
					}
				}
			}
			s := a.sender(p, a.cliLogger())
			for _, addr := range to {
				err := s.Send(ctx, notify.TestMail(p.Config, addr)) // in the configuration's locale
				if err != nil {
					return err
				}
				a.printf("sent a test e-mail to %s\n", addr)
			}
			return nil
		}),
	}
	cmd.Flags().StringSliceVar(&to, "to", nil, "address(es) to send to instead of the operators")
	return cmd
}

// notifier is the daemon's and `notify`'s notifier.
func (a *app) notifier(p *scheduler.Pipeline, log *zap.Logger) *notify.Notifier {
	return &notify.Notifier{P: p, Sender: a.sender(p, log), Log: log.Named("notify")}
}

// configuredSender sends with the notify settings in force, which a
// reload may change: through the SMTP relay, or with Graph's sendMail as
// the app of the named m365 source (signed in once per configuration).
type configuredSender struct {
	p   *scheduler.Pipeline
	log *zap.Logger

	mu    sync.Mutex
	for_  *configs.GraphMail // the settings graph was opened for
	graph *m365.Connector
}

func (a *app) sender(p *scheduler.Pipeline, log *zap.Logger) notify.Sender {
	return &configuredSender{p: p, log: log}
}

func (s *configuredSender) Send(ctx context.Context, m notify.Mail) error {
	n := s.p.Config.Notify
	switch {
	case n == nil:
		return errors.New("notifications are not configured")
	case n.SMTP != nil:
		return notify.SMTP{Relay: *n.SMTP, Now: s.p.Clock.Now, Log: s.log}.Send(ctx, m)
	}
	c, err := s.graphFor(ctx, n.Graph)
	if err != nil {
		return err
	}
	return c.SendMail(ctx, n.Graph.From, m.To, m.Subject, m.Text)
}

// graphFor opens the m365 source g names, once per configuration.
func (s *configuredSender) graphFor(ctx context.Context, g *configs.GraphMail) (*m365.Connector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.graph != nil && s.for_ == g {
		return s.graph, nil
	}
	cfg := s.p.Config
	src, ok := cfg.Source(g.Source)
	if !ok {
		return nil, fmt.Errorf("notify.graph.source %q is not a configured source", g.Source)
	}
	conn, err := src.Open(ctx, connectors.Env{Source: src.Name, BaseDir: cfg.Dir, Logger: s.log.Named("notify"), Now: s.p.Clock.Now})
	if err != nil {
		return nil, fmt.Errorf("open %s to send mail: %w", g.Source, err)
	}
	c, ok := conn.(*m365.Connector)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("notify.graph.source %q is not an m365 source", g.Source)
	}
	s.graph, s.for_ = c, g
	return c, nil
}

// newNotifications are those in after that are not in before.
func newNotifications(before, after []store.Notification) []store.Notification {
	old := map[string]bool{}
	for _, n := range before {
		old[n.Key] = true
	}
	var out []store.Notification
	for _, n := range after {
		// A reminder key recorded with a first mail is not a mail.
		if old[n.Key] || strings.HasPrefix(n.Key, "remind:") && n.Kind != "remind" {
			continue
		}
		out = append(out, n)
	}
	return out
}
