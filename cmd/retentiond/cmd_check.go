package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/store"
)

func (a *app) checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and policies, and check that every source can be read",
		Long: `Check loads the configuration and every policy file it names, reporting every
problem with file, line and field, then opens each source (without changing anything;
a cctv source is listed, to report files in its folders that are not
recordings) and the database, if it exists. It exits non-zero on any
problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			var errs []error
			for _, src := range cfg.Sources {
				conn, err := src.Open(ctx, connectors.Env{Source: src.Name, BaseDir: cfg.Dir, Logger: a.cliLogger()})
				if err != nil {
					errs = append(errs, err)
					continue
				}
				note, err := surveyRecordings(ctx, src, conn)
				if err != nil {
					errs = append(errs, err)
					conn.Close()
					continue
				}
				a.printf("source %s: %s: ok%s\n", src.Name, conn.Location(), note)
				conn.Close()
			}
			if err := a.checkDatabase(ctx, cfg); err != nil {
				errs = append(errs, err)
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			a.printf("%s: ok: %d sources, %d policies, %d rules\n", cfg.File, len(cfg.Sources), len(cfg.Policies.Policies), len(cfg.Policies.Rules))
			return nil
		},
	}
}

// checkDatabase reports on the database: that it opens, and that others
// cannot read it (it holds birth dates and folder names); or, before the
// first command creates it, that it can be created. Run as a user other
// than the owner of its directory, it says how to check it as the owner
// and opens nothing (opening can create files there).
func (a *app) checkDatabase(ctx context.Context, cfg *configs.Config) error {
	file := cfg.Database
	if err := a.checkOwner(file); err != nil {
		var wrong *WrongUserError
		if errors.As(err, &wrong) {
			a.printf("database %s: not opened: its directory belongs to %s and this command runs as %s; check it as %s:\n    %s\n",
				file, wrong.Owner, wrong.User, wrong.Owner, wrong.Command)
			return nil
		}
		return err
	}
	if _, err := os.Stat(file); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database: %w", err)
		}
		dir := filepath.Dir(file)
		if _, err := os.Stat(dir); err == nil {
			a.printf("database %s: not created yet (the first command that uses it, plan for example, creates it, readable by its owner only)\n", file)
			return nil
		}
		// The first command creates the directory too: say so, unless
		// something in the way is not a directory.
		for d := dir; ; d = filepath.Dir(d) {
			fi, err := os.Stat(d)
			if err == nil {
				if !fi.IsDir() {
					return fmt.Errorf("database %s cannot be created: %s is not a directory", file, d)
				}
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("database: %w", err)
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		a.printf("database %s: not created yet (the first command that uses it, plan for example, creates it and its directory %s, readable by their owner only)\n", file, dir)
		return nil
	}
	if err := foreignFiles(file, cfg.Keys.Signing, cfg.Keys.References); err != nil {
		return err
	}
	st, err := store.Open(ctx, file, store.Options{})
	if err != nil {
		return err
	}
	st.Close()
	open, err := store.OwnerOnly(file)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		var modes, files []string
		for _, f := range open {
			modes = append(modes, fmt.Sprintf("%s has mode %04o", f.Path, f.Mode))
			files = append(files, shellQuote(f.Path))
		}
		return fmt.Errorf("database %s can be read by other users (%s); it holds birth dates and the names of staff folders: make it its owner's only with\n    chmod 600 %s",
			file, strings.Join(modes, ", "), strings.Join(files, " "))
	}
	a.printf("database %s: ok\n", file)
	return nil
}
