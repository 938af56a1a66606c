package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestMigrationIsAllOrNothing: the pending migrations run in one
// transaction; one that fails (here a late one, whose table is in the way)
// leaves the database at the version it had, with none of the earlier
// steps' tables, and Open says which step failed.
func TestMigrationIsAllOrNothing(t *testing.T) {
	steps, err := migrationSteps()
	if err != nil {
		t.Fatal(err)
	}
	step := 0 // the migration that creates batch_gram
	for i, q := range steps {
		if strings.Contains(q, "CREATE TABLE batch_gram") {
			step = i + 1
		}
	}
	if step < 2 {
		t.Fatal("no late migration creates batch_gram")
	}
	file := filepath.Join(t.TempDir(), "r.db")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA application_id = " + strconv.Itoa(ApplicationID),
		"CREATE TABLE batch_gram (x INTEGER)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, err = Open(context.Background(), file, Options{})
	if err == nil || !strings.Contains(err.Error(), "migrate database to version "+strconv.Itoa(step)+":") {
		t.Fatalf("open: %v, want migration %d's failure", err, step)
	}
	db, err = sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, tables int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if version != 0 || tables != 1 {
		t.Fatalf("after a failed migration: version %d and %d tables, want 0 and the one in the way", version, tables)
	}
}
