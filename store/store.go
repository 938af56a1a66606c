// Package store keeps retentiond's state in one SQLite file: plans, batches,
// approvals, execution intents, holds and the ledger. It knows no workflow
// (that is package scheduler) and no external system.
//
// There is one writer connection, so write transactions are serialised
// within the process; the database is in WAL mode with synchronous=FULL, so
// a committed transaction survives a power cut before a checkpoint over it
// is signed. Another process writing the same file waits up to the busy
// timeout.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite" // pure Go
)

// ApplicationID marks a SQLite file as a retentiond database ("RTND").
const ApplicationID = 0x52544e44

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotRetentiond is returned by Open for a file that is not a retentiond
// database.
var ErrNotRetentiond = errors.New("not a retentiond database")

// ErrNoDatabase is returned by Open when the file does not exist and
// Options.Create is false.
var ErrNoDatabase = errors.New("database does not exist")

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open database.
type Store struct {
	path string
	w    *sqlx.DB // exactly one connection: the writer
	r    *sqlx.DB // readers
}

// Options for Open.
type Options struct {
	// Create the database if it does not exist.
	Create bool
}

// Open opens (and, with Create, creates) the database at file and brings
// its schema up to date.
func Open(ctx context.Context, file string, opts Options) (*Store, error) {
	st, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !opts.Create {
			return nil, fmt.Errorf("%s: %w", file, ErrNoDatabase)
		}
		if err := createFile(file); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("open database: %w", err)
	case st.IsDir():
		return nil, fmt.Errorf("%s is a directory: %w", file, ErrNotRetentiond)
	}
	s := &Store{path: file}
	if s.w, err = connect(file, false); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		if perr := writable(file); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if s.r, err = connect(file, true); err != nil {
		s.w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	return s, nil
}

// createFile creates the empty database file, readable and writable by
// its owner only (0600, whatever the umask: it holds birth dates and
// folder names), and its directory (0700) if that does not exist. SQLite
// gives the -wal and -shm files it makes beside it the mode of the
// database file.
func createFile(file string) error {
	dir := filepath.Dir(file)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create the database's directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("create the database's directory: %w", err)
		}
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("create database: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// writable checks that this process can read and write the database and
// its -wal and -shm files. Open asks it when SQLite fails, so that a file
// it may not use (left behind by a command run as another user, say) is
// reported as the permission error it is, not as SQLite's "unable to open
// database file".
func writable(file string) error {
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		fh, err := os.OpenFile(f, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open database: %w", err)
		}
		fh.Close()
	}
	return nil
}

// OpenFile is a database file that others than its owner may use.
type OpenFile struct {
	Path string
	Mode fs.FileMode // its permission bits
}

// OwnerOnly checks that the database file and the -wal and -shm files
// beside it are readable and writable by their owner only. It returns the
// files that are not; on Windows, where file modes do not say who may read
// a file, it returns none.
func OwnerOnly(file string) ([]OpenFile, error) {
	if runtime.GOOS == "windows" {
		return nil, nil
	}
	var open []OpenFile
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		fi, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check the database's permissions: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			open = append(open, OpenFile{f, fi.Mode().Perm()})
		}
	}
	return open, nil
}

// driverName is the SQLite driver the store opens its database with:
// modernc.org/sqlite with the WAL kept between connections.
//
// SQLite normally deletes the -wal and -shm files when the last connection
// closes, and the next process to open the database creates the -shm file
// (32 KiB) again, even only to read: on a disk that is full, `ledger
// verify` then fails with "disk I/O error (4874)" (bench/chaos, attack
// disk-full). With SQLITE_FCNTL_PERSIST_WAL the -shm file stays, so what
// was recorded can still be read and verified on a full disk; the -wal
// file stays too but, with a journal_size_limit set, is truncated to zero
// bytes when the last connection closes (after its checkpoint), so no
// frame outlives a clean close.
const driverName = "retentiond-sqlite"

func init() {
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		fc, ok := c.(sqlite.FileControl)
		if !ok {
			return errors.New("the SQLite driver offers no file control")
		}
		if _, err := fc.FileControlPersistWAL("main", 1); err != nil {
			return fmt.Errorf("keep the WAL between connections: %w", err)
		}
		return nil
	})
	sql.Register(driverName, d)
}

func connect(file string, readOnly bool) (*sqlx.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	db, err := sqlx.Open(driverName, "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

func (s *Store) migrate(ctx context.Context) error {
	var appID, version int64
	if err := s.w.GetContext(ctx, &appID, "PRAGMA application_id"); err != nil {
		if strings.Contains(err.Error(), "not a database") || strings.Contains(err.Error(), "malformed") {
			return fmt.Errorf("%s: %w (it is not an SQLite file): check database: in the configuration", s.path, ErrNotRetentiond)
		}
		return fmt.Errorf("read database header: %w", err)
	}
	if err := s.w.GetContext(ctx, &version, "PRAGMA user_version"); err != nil {
		return fmt.Errorf("read database version: %w", err)
	}
	if appID != ApplicationID {
		var tables int
		if err := s.w.GetContext(ctx, &tables, "SELECT count(*) FROM sqlite_master"); err != nil {
			return fmt.Errorf("read database schema: %w", err)
		}
		if appID != 0 || tables != 0 {
			return fmt.Errorf("%s: %w (it is some other SQLite database): check database: in the configuration", s.path, ErrNotRetentiond)
		}
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return fmt.Errorf("enable WAL: %w", err)
	}
	steps, err := migrationSteps()
	if err != nil {
		return err
	}
	if version > int64(len(steps)) {
		return fmt.Errorf("%s has schema version %d, newer than this build of retentiond knows (%d): upgrade retentiond", s.path, version, len(steps))
	}
	if version == int64(len(steps)) {
		return nil
	}
	// Every pending step in one transaction: one commit (and one fsync)
	// for a new database instead of one per step, and a database is at
	// either its old version or the newest, never in between.
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	for v := version; v < int64(len(steps)); v++ {
		if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate database to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(ApplicationID)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate database: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.FormatInt(v+1, 10)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate database: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}

// migrationSteps returns the embedded migrations in order; file i is
// "00i_name.sql" and brings the schema from version i-1 to i.
func migrationSteps() ([]string, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var steps []string
	for i, e := range entries {
		if want := fmt.Sprintf("%03d_", i+1); !strings.HasPrefix(e.Name(), want) {
			return nil, fmt.Errorf("migration %s is out of sequence (want prefix %s)", e.Name(), want)
		}
		b, err := migrations.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		steps = append(steps, string(b))
	}
	return steps, nil
}

// Tx is a write transaction. It carries the context it was begun with:
// its methods take no context of their own, so every statement of one
// transaction runs under the same context and a transaction that must
// complete (recording deletions that happened) cannot be cut short by a
// cancelled context passed to one of its statements.
type Tx struct {
	tx  *sqlx.Tx
	ctx context.Context
}

// Context returns the context the transaction runs under.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Write runs fn in a write transaction and commits it if fn returns nil.
// Write transactions are serialised. Every statement of the transaction
// runs under ctx.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Tx{tx: tx, ctx: ctx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("read %s: %w", what, err)
}
