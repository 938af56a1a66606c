package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/ledger/bundle"
)

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Verify, export and prove from the signed ledger of deletions",
	}
	cmd.AddCommand(a.ledgerVerifyCmd(), a.ledgerExportCmd(), a.ledgerProveCmd(), a.ledgerVerifyProofCmd(), a.ledgerRotateCmd(), a.ledgerAnchorCmd())
	return cmd
}

func (a *app) ledgerVerifyCmd() *cobra.Command {
	var keys, anchors []string
	cmd := &cobra.Command{
		Use:   "verify [BUNDLE_OR_DATABASE]",
		Short: "Verify an exported bundle or a database, offline",
		Long: `Verify re-reads every ledger entry and checks that it is in canonical form,
recomputes the RFC 6962 tree and every stored hash, checks every checkpoint's
signature and root hash (following key rotations recorded in the ledger), and
checks what the entries say: every policy digest resolves to a policy text,
nothing ran before its batch was approved, outcomes and codes are from the
enumerated sets. It names the first entry that fails and why.

With no argument it verifies the configured database. Given a directory made by
'ledger export', it also checks the manifest's signature and every file's
checksum, on a machine that has never seen the database. Given a database
file, it verifies that file.

--key names files holding verifier keys (note format) you trust, obtained
outside what you verify; without it the configured key (for a database) or the
bundle's own initial key is trusted and its id is printed for you to compare.
--anchor names checkpoints received by anchoring (files, or directories of
*.checkpoint files): each must match the entries, so a history rewritten after
it was sent is detected even if the rewriter had the signing key.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			trusted, err := readKeyFiles(keys)
			if err != nil {
				return err
			}
			anchored, err := readAnchors(anchors)
			if err != nil {
				return err
			}
			if len(args) == 1 && bundle.IsBundle(args[0]) {
				return a.verifyBundle(ctx, args[0], trusted, anchored)
			}
			return a.verifyDatabase(ctx, args, trusted, anchored)
		},
	}
	cmd.Flags().StringSliceVar(&keys, "key", nil, "verifier key file(s) to trust")
	cmd.Flags().StringSliceVar(&anchors, "anchor", nil, "anchored checkpoint file(s) or directories to check against")
	return cmd
}

func (a *app) verifyBundle(ctx context.Context, dir string, trusted []string, anchors [][]byte) error {
	rep, err := bundle.Verify(ctx, dir, bundle.Options{Keys: trusted, Anchors: anchors})
	if err != nil {
		return fmt.Errorf("ledger verification FAILED: %w", err)
	}
	a.printf("bundle %s: OK\n", dir)
	a.printf("  ledger %s, exported %s by %s\n", esc(rep.Export.Origin), rep.Export.Generated.Format("2006-01-02 15:04 UTC"), esc(rep.Export.Software))
	a.printReport(rep.Report, len(anchors)-len(rep.AnchorsBeyond))
	a.printf("  %d files match the signed manifest; %d policy texts match their digests\n", rep.Files, rep.Policies)
	if rep.KeysFromBundle {
		a.printf("  NOTE: trusted the bundle's own initial key %s; compare it with the key id you hold, or give --key\n", strings.Join(rep.TrustedKeys, ", "))
	}
	if len(rep.AnchorsBeyond) > 0 {
		a.printf("  NOTE: %d anchored checkpoint(s) cover entries after this export's end (--to); not checked\n", len(rep.AnchorsBeyond))
	}
	return nil
}

func (a *app) verifyDatabase(ctx context.Context, args []string, trusted []string, anchors [][]byte) error {
	var (
		file   string
		origin string
		cfg    *configs.Config
	)
	if len(args) == 1 {
		file = args[0]
	} else {
		var err error
		if cfg, err = a.loadConfig(); err != nil {
			return err
		}
		file, origin = cfg.Database, cfg.Origin
		if err := a.checkOwner(file); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, file, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if len(trusted) == 0 {
		if cfg == nil {
			return errors.New("give the verifier key to trust with --key (a database file carries no key you could trust)")
		}
		if trusted, err = scheduler.ConfiguredVerifierKeys(ctx, cfg, st); err != nil {
			return err
		}
	}
	rep, err := scheduler.VerifyStore(ctx, cfg, st, trusted, anchors, a.cliLogger())
	if err != nil {
		return err
	}
	if origin == "" {
		origin = rep.Latest.Origin
	}
	a.printf("ledger %s: OK\n", origin)
	a.printReport(rep, len(anchors))
	return nil
}

func (a *app) printReport(rep *ledger.Report, anchors int) {
	a.printf("  %d entries, %d checkpoints, latest covers %d entries\n", rep.Entries, rep.Checkpoints, rep.Latest.N)
	if rep.StoredHashes {
		a.printf("  every stored tree hash recomputed\n")
	}
	if anchors > 0 {
		a.printf("  %d anchored checkpoint(s) given match the entries\n", anchors)
	}
	a.printf("  signed by %s\n", strings.Join(rep.Keys, ", "))
	if rep.UncheckpointedEntries > 0 {
		a.printf("  WARNING: the last %d entries are not covered by a checkpoint yet\n", rep.UncheckpointedEntries)
	}
	var types []string
	for t, n := range rep.Types {
		types = append(types, fmt.Sprintf("%s=%d", t, n))
	}
	sort.Strings(types)
	a.printf("  %s\n", strings.Join(types, " "))
	if line := authLine(rep.Auth); line != "" {
		a.printf("  %s\n", line)
	}
}

// authLine says how the people who took the ledger's decisions were
// authenticated (Report.Auth): the count per method, in the order of
// ledger.AuthMethods, then those recorded without a method
// ("unrecorded", written before entries recorded it), and how many were
// verified (ledger.VerifiedAuth). "" when no person decided anything.
func authLine(auth map[string]int64) string {
	var parts []string
	var total, verified int64
	for _, m := range ledger.AuthMethods {
		if n := auth[m]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", m, n))
		}
	}
	var other []string
	for m, n := range auth {
		total += n
		if ledger.Verified(m) {
			verified += n
		}
		if m != "" && !slices.Contains(ledger.AuthMethods, m) {
			other = append(other, fmt.Sprintf("%s=%d", esc(m), n))
		}
	}
	sort.Strings(other)
	parts = append(parts, other...)
	if n := auth[""]; n > 0 {
		parts = append(parts, fmt.Sprintf("unrecorded=%d", n))
	}
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("decisions by authentication: %s (%d of %d verified)", strings.Join(parts, " "), verified, total)
}

// readKeyFiles reads verifier keys in note format, one per file.
func readKeyFiles(files []string) ([]string, error) {
	var keys []string
	for _, k := range files {
		b, err := os.ReadFile(k)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("verifier key %s is missing", k)
			}
			return nil, fmt.Errorf("read verifier key: %w", err)
		}
		keys = append(keys, strings.TrimSpace(string(b)))
	}
	return keys, nil
}

// readAnchors reads signed checkpoints from files and from the
// *.checkpoint files of directories.
func readAnchors(paths []string) ([][]byte, error) {
	var out [][]byte
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("anchored checkpoint: %w", err)
		}
		files := []string{p}
		if st.IsDir() {
			if files, err = filepath.Glob(filepath.Join(p, "*.checkpoint")); err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("anchored checkpoints: %s holds no *.checkpoint file", p)
			}
			sort.Strings(files)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("anchored checkpoint: %w", err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}
