//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// stateOwner reports whether this process runs as the owner of dir, and
// their names (a user without a name is "#uid", as sudo -u takes it). A
// dir that does not exist yet is fine: the command creates it.
func stateOwner(dir string) (owner, me string, ok bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", true, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("the directory of the database: %w", err)
	}
	st, isUnix := fi.Sys().(*syscall.Stat_t)
	euid := os.Geteuid()
	if !isUnix || int(st.Uid) == euid {
		return "", "", true, nil
	}
	return userName(int(st.Uid)), userName(euid), false, nil
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return "#" + strconv.Itoa(uid)
}

// foreignFiles reports the files of the state that belong to another user
// than this process's (a command run as root, say, left them), or that it
// may not read: the database and its -wal and -shm files, the key files
// (and the files named after them) and the locks beside the database.
func foreignFiles(database string, keys ...string) error {
	me := os.Geteuid()
	var foreign []string
	owners := map[string]bool{}
	look := func(p string) error {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: every file of the state must belong to %s, the user retentiond runs as", err, userName(me))
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != me {
			foreign = append(foreign, p)
			owners[userName(int(st.Uid))] = true
		}
		return nil
	}
	for _, p := range []string{database, database + "-wal", database + "-shm"} {
		if err := look(p); err != nil {
			return err
		}
	}
	// In the locks directory, every file; beside a key, the files named
	// after it (its .pub, .next, .checkpoint and retired copies).
	type place struct{ dir, prefix string }
	places := []place{{filepath.Join(filepath.Dir(database), "locks"), ""}}
	for _, k := range keys {
		places = append(places, place{filepath.Dir(k), filepath.Base(k)})
	}
	for _, pl := range places {
		ents, err := os.ReadDir(pl.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: every file of the state must belong to %s, the user retentiond runs as", err, userName(me))
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), pl.prefix) {
				continue
			}
			if err := look(filepath.Join(pl.dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	var who []string
	for o := range owners {
		who = append(who, o)
	}
	sort.Strings(who)
	quoted := make([]string, len(foreign))
	for i, f := range foreign {
		quoted[i] = shellQuote(f)
	}
	return fmt.Errorf("%d files of the state belong to %s, not to %s, the user retentiond runs as (a command run as another user left them), and the service may be unable to use them: %s; give them back, as root, with\n    sudo chown %s %s",
		len(foreign), strings.Join(who, ", "), userName(me), strings.Join(foreign, ", "), shellQuote(strings.TrimPrefix(userName(me), "#")), strings.Join(quoted, " "))
}
