package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func (a *app) ledgerProveCmd() *cobra.Command {
	var source, item, out string
	cmd := &cobra.Command{
		Use:   "prove --source NAME --item PATH_OR_ID [--out FILE]",
		Short: "Was this item deleted? Show its ledger entries and write a proof",
		Long: `Prove answers "was this item deleted?" for an item named as its connector names
it (for a file share: the path below the source's root, with '/'). It computes
the item's reference with the reference key (and every retired one), lists
every ledger entry about it, and writes a C2SP .tlog-proof of the latest
deletion entry against the latest checkpoint: a self-contained file that
'retentiond ledger verify-proof' checks offline, revealing only that entry.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if source == "" || item == "" {
				return errors.New("give the source and the item: --source NAME --item PATH_OR_ID")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			src, ok := cfg.Source(source)
			if !ok {
				return fmt.Errorf("no source %q in %s", source, cfg.File)
			}
			ring, err := ledger.LoadRefKeyRing(cfg.Keys.References)
			if err != nil {
				return err
			}
			// Only reads: no key is created, nothing is signed.
			if err := a.checkOwner(cfg.Database); err != nil {
				return err
			}
			st, err := store.Open(ctx, cfg.Database, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			refs := ring.Refs("item:"+src.Kind.Name+":"+src.Name, item)
			hits, err := scheduler.ItemEntries(ctx, st, refs)
			if err != nil {
				return err
			}
			if len(hits) == 0 {
				return fmt.Errorf("no ledger entry for this item in source %s: %q was never deleted, held or skipped by retentiond (check the spelling: the path below the root, with '/')", source, item)
			}
			a.printf("%d ledger entries for %q in source %s:\n", len(hits), item, source)
			for i := range hits {
				h := &hits[i]
				a.printf("  entry %d  %s  %s\n", h.Index, h.Entry.Time.In(cfg.Location).Format("2006-01-02 15:04 MST"), esc(describe(h.Entry)))
			}
			cps, err := st.Checkpoints(ctx)
			if err != nil {
				return err
			}
			last, cp, pf, err := scheduler.ProveLatestDeletion(ctx, st, hits, cps)
			if err != nil {
				return err
			}
			if newest := hits[len(hits)-1].Index; newest >= cp.N {
				a.printf("NOTE: entry %d about this item is newer than the latest signed checkpoint, which covers entries 0 to %d\n", newest, cp.N-1)
			}
			if out == "" {
				out = fmt.Sprintf("%s-entry-%d.tlog-proof", source, last.Index)
			}
			if err := os.WriteFile(out, pf, 0o644); err != nil {
				return fmt.Errorf("write proof: %w", err)
			}
			if later := hits[len(hits)-1]; later.Index > last.Index {
				a.printf("NOTE: the proof is of the latest deletion entry, %d; entry %d (%s) came after it\n", last.Index, later.Index, later.Entry.Type)
			}
			a.printf("proof of entry %d (%s: %s) against the checkpoint of size %d written to %s\n", last.Index, last.Entry.Type, last.Entry.Outcome, cp.N, out)
			a.printf("check it with: retentiond ledger verify-proof %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "configured source the item belongs to")
	cmd.Flags().StringVar(&item, "item", "", "the item as its connector names it (a path below the root, a message id)")
	cmd.Flags().StringVar(&out, "out", "", "proof file to write (default SOURCE-entry-N.tlog-proof)")
	return cmd
}

func (a *app) ledgerVerifyProofCmd() *cobra.Command {
	var keys []string
	var origin, source, item string
	cmd := &cobra.Command{
		Use:   "verify-proof FILE [--key F] [--source NAME --item PATH_OR_ID]",
		Short: "Check a .tlog-proof offline",
		Long: `Verify-proof checks a single-item proof without the database: the checkpoint's
signature with the trusted key (--key, or the configured one), that the entry
is canonical, and that it is in the signed tree at its index. With --source and
--item, and the reference key at hand, it also confirms the entry is about that
item.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (item == "") != (source == "") {
				return errors.New("give both --item and --source to confirm what the proof is about, or neither")
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read proof: %w", err)
			}
			var cfg *configs.Config
			if len(keys) == 0 || item != "" {
				if cfg, err = a.loadConfig(); err != nil {
					if len(keys) == 0 {
						return fmt.Errorf("give the verifier key to trust with --key (%w)", err)
					}
					return err
				}
			}
			if len(keys) == 0 {
				keys = []string{cfg.Keys.Signing + ".pub"}
				if origin == "" {
					origin = cfg.Origin
				}
			}
			trusted, err := readKeyFiles(keys)
			if err != nil {
				return err
			}
			vs, err := ledger.NewVerifiers(trusted...)
			if err != nil {
				return err
			}
			res, err := ledger.VerifyProof(b, vs, origin)
			if err != nil {
				return fmt.Errorf("proof verification FAILED: %w", err)
			}
			if item != "" {
				src, ok := cfg.Source(source)
				if !ok {
					return fmt.Errorf("no source %q in %s", source, cfg.File)
				}
				ring, err := ledger.LoadRefKeyRing(cfg.Keys.References)
				if err != nil {
					return fmt.Errorf("the proof verifies, but whether it is about %q cannot be told without the reference key: %w", item, err)
				}
				if !slices.Contains(ring.Refs("item:"+src.Kind.Name+":"+src.Name, item), res.Entry.Item) {
					return fmt.Errorf("proof verification FAILED: the proven entry is not about %q in source %s", item, source)
				}
			}
			a.printf("proof OK: entry %d of ledger %s is in the signed tree of size %d\n", res.Index, res.Checkpoint.Origin, res.Checkpoint.N)
			a.printf("  %s  %s\n", res.Entry.Time.Format("2006-01-02 15:04 UTC"), esc(describe(res.Entry)))
			if res.Entry.Source != "" {
				a.printf("  in source %s\n", esc(res.Entry.Source))
			}
			if item != "" {
				a.printf("  the entry is about %q in source %s\n", item, source)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&keys, "key", nil, "verifier key file(s) to trust")
	cmd.Flags().StringVar(&origin, "origin", "", "the ledger the proof must come from")
	cmd.Flags().StringVar(&source, "source", "", "with --item: the item's source")
	cmd.Flags().StringVar(&item, "item", "", "confirm the proof is about this item (needs the reference key)")
	return cmd
}

// describe says what an entry records, in a line.
func describe(e ledger.Entry) string {
	var b strings.Builder
	b.WriteString(string(e.Type))
	if e.Outcome != "" {
		fmt.Fprintf(&b, ": %s", e.Outcome)
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ", rule %s", e.Rule)
	}
	if e.Batch != 0 {
		fmt.Fprintf(&b, ", batch %d", e.Batch)
	}
	if e.Due != "" {
		fmt.Fprintf(&b, ", due %s", e.Due)
	}
	if len(e.Approvals) > 0 {
		fmt.Fprintf(&b, ", approved by %s", strings.Join(e.Approvals, ", "))
	} else if e.Type == ledger.TypeDeletion {
		// A batch approved by nobody is one whose rule needs no approval.
		b.WriteString(", approved automatically (the rule needs no approval)")
	}
	if e.Hold != "" {
		fmt.Fprintf(&b, ", hold %s", e.Hold)
	}
	return b.String()
}
