package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/web/auth"
)

func (a *app) webCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "web",
		Short: "The web console: one-time sign-in links",
	}
	cmd.AddCommand(a.webLinkCmd())
	return cmd
}

func (a *app) webLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link PERSON",
		Short: "Print a one-time sign-in link to the console for PERSON",
		Long: `Link prints a URL (web.url + /auth/link/TOKEN) that signs PERSON in to the
web console: once, within 10 minutes; the ledger records what they then do
with auth "link". It is refused unless the configuration sets web.links:
true. Run it as an operator (--as, verified as for every command); give the
link to PERSON only: whoever opens it first is signed in as them.`,
		Example: "  retentiond web link anna --as it",
		Args:    cobra.ExactArgs(1),
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, args []string) error {
			who, ok := p.Config.Person(a.as)
			if !ok || !who.Has(configs.RoleOperator) {
				return fmt.Errorf("say who issues the link with --as: a person with the operator role in %s: %w", p.Config.File, scheduler.ErrNotAllowed)
			}
			if p.Config.Web == nil {
				return fmt.Errorf("%s has no web section, so no console serves the link: configure web (with links: true)", p.Config.File)
			}
			m, err := auth.New(ctx, auth.Options{Config: p.Config, Store: p.Store, Refs: p.Refs, Clock: p.Clock.Now, Log: p.Log})
			if err != nil {
				return err
			}
			path, err := m.IssueLink(ctx, args[0])
			switch {
			case errors.Is(err, auth.ErrLinksOff):
				return fmt.Errorf("sign-in links are off in %s: set web.links: true to allow them", p.Config.File)
			case errors.Is(err, auth.ErrUnknownPerson):
				return fmt.Errorf("%q is not a person in %s", args[0], p.Config.File)
			case err != nil:
				return err
			}
			a.printf("%s%s\n", p.Config.Web.URL, path)
			fmt.Fprintf(a.errOut, "The link signs %s in once, within %d minutes. Give it to %s only.\n",
				esc(args[0]), int(auth.LinkTTL.Minutes()), esc(args[0]))
			return nil
		}),
	}
}
