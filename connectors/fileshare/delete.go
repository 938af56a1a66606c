package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

// Stat returns the file at ref. A ref that names a folder, or nothing, has
// CodeNotFound; a ref that is malformed, names a link or goes through one
// has CodeInvalid.
func (c *Conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if err := checkRef(ref); err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeCancelled, "stat", ref, err)
	}
	dirRef, name := splitRef(ref)
	dir, err := c.openDir(dirRef)
	if err != nil {
		return connectors.Item{}, connectors.Errorf(classify(err), "stat", ref, err)
	}
	defer dir.Close()
	info, err := dir.Lstat(name)
	if err == nil {
		err = fileType(info)
	}
	if err != nil {
		return connectors.Item{}, connectors.Errorf(classify(err), "stat", ref, err)
	}
	return item(ref, dirRef, info), nil
}

// DeleteBatch removes the targets, deleteWorkers at a time, and returns
// their results in the order given. Each file's version is checked with
// Lstat immediately before it is removed, in a folder handle that was
// checked not to be, or lie behind, a link. A read-only file whose removal
// is refused (the Windows read-only attribute) is made writable and
// removed; if that fails too its mode is restored. Absence is verified
// after each removal. Files are removed directly, never moved to a
// recycle bin: Method is "delete".
func (c *Conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	return c.deleteBatch(ctx, targets, deleteWorkers)
}

// deleteWorkers is how many files one DeleteBatch call removes at once.
// A removal mostly waits: on a file system that discards freed blocks
// (ext4 mounted with discard, as many virtual disks are) the kernel
// waits for the device in every unlink, after it has released the
// folder's lock, so removals in the same folder overlap too
// (BenchmarkDeleteBatch compares worker counts). The executor may run
// deleteCalls calls at once (DeleteConcurrency). On Windows (the service
// runs there too) a folder opened by os.Root shares deletion, so files of
// a folder may be removed side by side there as well; every worker closes
// its folder handle before DeleteBatch returns, so PruneEmpty can remove
// the folder afterwards.
const deleteWorkers = 4

// deleteCalls is how many DeleteBatch calls the executor may run at once
// (DeleteConcurrency).
const deleteCalls = 2

// DeleteConcurrency implements [connectors.ConcurrentDeleter]: the
// executor runs two chunks of a batch at once, so that one is deleted
// while the executor records the outcomes of the other (its ledger
// entries are CPU work, the deletions mostly wait on the disk), as it
// does for SMB shares. Each chunk's slices still go one at a time, each
// after its holds, approvals and status were read again. Calls share
// nothing but the opened root, which is safe for concurrent use: every
// call has its own workers and folder handles.
func (c *Conn) DeleteConcurrency() int { return deleteCalls }

// deleteBatch is DeleteBatch with at most workers removals at once.
//
// Workers take the targets in order, one at a time, and stop taking once
// ctx ends, so the targets attempted are always the first ones, as the
// executor's bookkeeping requires (it records the outcomes up to the
// first cancelled target); a target once taken is finished, so that no
// removal happens without its result. Each worker keeps its own last
// folder open (dirCache): targets come folder by folder, so a file costs
// one checked lookup, not one per path component. A handle refers to the
// folder that was checked when it was opened; replacing that folder by a
// link afterwards cannot redirect it.
func (c *Conn) deleteBatch(ctx context.Context, targets []connectors.Target, workers int) ([]connectors.Result, error) {
	if len(targets) > 0 && ctx.Err() == nil {
		if _, err := c.root.Stat("."); err != nil {
			return nil, connectors.Errorf(rootCode(err), "delete", "", fmt.Errorf("root %q cannot be reached: %w", c.abs, err))
		}
	}
	if workers <= 1 || len(targets) <= 1 {
		var cache dirCache
		defer cache.close()
		return connectors.EachTarget(ctx, "delete", targets, func(t connectors.Target) connectors.Result { return c.deleteOne(&cache, t) }), nil
	}
	results := make([]connectors.Result, len(targets))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cache dirCache
			defer cache.close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(targets) {
					return
				}
				results[i] = c.deleteOne(&cache, targets[i])
			}
		}()
	}
	wg.Wait()
	for i := int(min(next.Load(), int64(len(targets)))); i < len(targets); i++ {
		results[i] = connectors.Result{Ref: targets[i].Ref, Outcome: connectors.OutcomeFailed, Err: connectors.Errorf(connectors.CodeCancelled, "delete", targets[i].Ref, ctx.Err())}
	}
	return results, nil
}

// dirCache keeps one opened folder for a worker of DeleteBatch.
type dirCache struct {
	ref string
	dir *os.Root
}

func (d *dirCache) open(c *Conn, ref string) (*os.Root, error) {
	if d.dir != nil && d.ref == ref {
		return d.dir, nil
	}
	d.close()
	dir, err := c.openDir(ref)
	if err != nil {
		return nil, err
	}
	d.ref, d.dir = ref, dir
	return dir, nil
}

func (d *dirCache) close() {
	if d.dir != nil {
		d.dir.Close()
		d.dir = nil
	}
}

func (c *Conn) deleteOne(cache *dirCache, t connectors.Target) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	failed := func(code connectors.Code, err error) connectors.Result {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(code, "delete", t.Ref, err)
		return res
	}
	if err := checkRef(t.Ref); err != nil {
		return failed(connectors.CodeInvalid, err)
	}
	dirRef, name := splitRef(t.Ref)
	dir, err := cache.open(c, dirRef)
	if err != nil {
		if code := classify(err); code != connectors.CodeNotFound {
			return failed(code, err)
		}
		res.Outcome = connectors.OutcomeAbsent
		return res
	}
	info, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Outcome = connectors.OutcomeAbsent
		return res
	case err != nil:
		return failed(classify(err), err)
	case info.Mode().Type() != 0 || version(info) != t.Version:
		res.Outcome = connectors.OutcomeChanged
		return res
	}
	err = c.remove(dir, name)
	if err != nil && errors.Is(err, fs.ErrPermission) && info.Mode().Perm()&0o200 == 0 {
		err = c.removeReadOnly(dir, name, t.Ref, info, err)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Outcome = connectors.OutcomeAbsent // removed by someone else meanwhile
		return res
	case err != nil:
		return failed(classify(err), err)
	}
	if _, err := dir.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			err = errors.New("the file is still present")
		}
		return failed(connectors.CodeIO, fmt.Errorf("removal could not be confirmed: %w", err))
	}
	res.Outcome, res.Method = connectors.OutcomeDeleted, "delete"
	return res
}

// removeReadOnly retries the removal of a read-only file after making it
// writable, and restores its mode if the removal still fails. first is the
// error of the first attempt.
func (c *Conn) removeReadOnly(dir *os.Root, name, ref string, info fs.FileInfo, first error) error {
	if err := dir.Chmod(name, 0o600); err != nil {
		return first
	}
	err := c.remove(dir, name)
	if err != nil {
		mode := info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if rerr := dir.Chmod(name, mode); rerr != nil {
			c.log.Warn("mode of read-only file not restored", zap.String("ref", ref), zap.Error(rerr))
		}
	}
	return err
}

// PruneEmpty removes the given folders if they are empty, and then their
// parents as they become empty, deepest first, but never stopAt, a folder
// not strictly inside it, or the root. Folders that are not empty, do not
// exist, or are not plain folders (links) are left alone without error, as
// are containers not strictly inside stopAt. A malformed ref is an error
// with CodeInvalid and nothing is removed. Other failures do not stop the
// pruning of other folders; they are returned joined at the end.
func (c *Conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	if stopAt != "" {
		if err := checkRef(stopAt); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", stopAt, err)
		}
	}
	pending := make(map[string]struct{}, len(containers))
	for _, ref := range containers {
		if err := checkRef(ref); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", ref, err)
		}
		if inside(ref, stopAt) {
			pending[ref] = struct{}{}
		}
	}
	var removed []string
	var errs []error
	for len(pending) > 0 {
		for _, ref := range deepest(pending) {
			delete(pending, ref)
			if err := ctx.Err(); err != nil {
				errs = append(errs, connectors.Errorf(connectors.CodeCancelled, "prune", ref, err))
				return removed, errors.Join(errs...)
			}
			ok, err := c.pruneOne(ref)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !ok {
				continue
			}
			c.log.Debug("empty folder removed", zap.String("ref", ref))
			removed = append(removed, ref)
			if parent, _ := splitRef(ref); inside(parent, stopAt) {
				pending[parent] = struct{}{}
			}
		}
	}
	return removed, errors.Join(errs...)
}

// deepest returns the refs in set with the most segments, sorted.
func deepest(set map[string]struct{}) []string {
	var refs []string
	most := -1
	for ref := range set {
		switch d := strings.Count(ref, "/"); {
		case d > most:
			most, refs = d, append(refs[:0], ref)
		case d == most:
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	return refs
}

// pruneOne removes the folder ref if it is an empty plain folder, and
// reports whether it did.
func (c *Conn) pruneOne(ref string) (bool, error) {
	dirRef, name := splitRef(ref)
	dir, err := c.openDir(dirRef)
	if err != nil {
		if code := classify(err); code != connectors.CodeNotFound {
			return false, connectors.Errorf(code, "prune", ref, err)
		}
		return false, nil
	}
	defer dir.Close()
	info, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, connectors.Errorf(classify(err), "prune", ref, err)
	case info.Mode().Type() != fs.ModeDir:
		return false, nil // a file or a link: not a container to prune
	}
	// Check emptiness first, so that the removal below is only ever asked
	// to remove an empty folder.
	empty, err := isEmpty(dir, name, info)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, connectors.Errorf(classify(err), "prune", ref, err)
	case !empty:
		return false, nil
	}
	if err := dir.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if empty, eerr := isEmpty(dir, name, info); eerr == nil && !empty {
			return false, nil // something was put in it meanwhile
		}
		return false, connectors.Errorf(classify(err), "prune", ref, err)
	}
	return true, nil
}

// isEmpty reports whether the folder name in dir has no entries. It closes
// every handle it opens before returning, so that the folder can then be
// removed on Windows.
func isEmpty(dir *os.Root, name string, info fs.FileInfo) (bool, error) {
	sub, err := enter(dir, name, info)
	if err != nil {
		return false, err
	}
	defer sub.Close()
	f, err := sub.Open(".")
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}
