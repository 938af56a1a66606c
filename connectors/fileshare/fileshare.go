// Package fileshare is the connector for local folders and mounted file
// shares (NFS, SMB/CIFS mounts, Windows drive letters and UNC paths).
//
// # Confinement
//
// Every file-system operation goes through an [os.Root] opened on the
// configured root, so no ref can reach outside it. On top of that the
// connector never follows symbolic links at all, not even ones that point
// back into the tree: a symbolic link (and on Windows a junction, mount point
// or other name-surrogate reparse point) inside the tree is neither listed as
// an item nor descended into, and a ref whose path goes through one is
// refused with [connectors.CodeInvalid]. Skipped links are logged at debug
// level. Folders are entered one component at a time: each component is
// checked with Lstat, opened as its own os.Root, and compared with
// [os.SameFile] so that a folder swapped for a link between the check and
// the open is noticed. On Linux the listing holds each folder below where
// it starts by a descriptor instead, opened from its parent's descriptor
// with openat(O_NOFOLLOW|O_DIRECTORY) by a name read from the parent (one
// path segment, never "." or ".."), and compared by device and inode with
// what fstatat said about that name: a link is never followed and nothing
// outside the folder can be reached, with the system calls find makes (one
// open, getdents, one fstatat per entry). The root itself may be a link
// (a mount point configured as /srv/share -> /mnt/nas); it is resolved
// once, when the connector is opened.
//
// # Refs and versions
//
// A ref is the slash-separated path of a file relative to the root, as
// accepted by [ValidRef]. Only regular files are items. An item's Version is
// "s<size>-m<mtime in Unix nanoseconds>", followed on Unix by "-i<inode>", so
// a file replaced by another of the same size and time still gets a new
// version.
//
// # Listing
//
// List walks the tree depth first, visiting the entries of each folder
// sorted by name, and holds one folder's names per level of depth in memory.
// A folder below the listed one that cannot be read is skipped and named in
// a [connectors.IncompleteError] at the end; the listed folder itself being
// unreadable is an error. A file whose name cannot be expressed as a valid
// ref (on Unix, a name containing a backslash) is skipped the same way.
package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/smb"
)

// Options configure a file-share source: the `options:` of a source with
// `kind: fileshare`.
type Options struct {
	// Root is the folder to manage, absolute or relative to the directory
	// of the configuration file.
	Root string `yaml:"root"`
	// Exclude lists names of files and folders to leave out of the listing,
	// compared exactly with each entry's base name, e.g. "Thumbs.db",
	// "$RECYCLE.BIN" or "System Volume Information". An excluded folder is
	// not descended into.
	Exclude []string `yaml:"exclude"`
	// PasswordFile or PasswordEnv give the password for an smb:// root:
	// a file (relative to the configuration's folder) or an environment
	// variable holding it. Passwords never go in the configuration.
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
}

// Validate checks the options without touching the file system.
func (o *Options) Validate() error {
	if strings.TrimSpace(o.Root) == "" {
		return errors.New("root is required: set options.root to the folder retentiond manages")
	}
	if smb.IsURL(o.Root) {
		if _, err := smb.ParseURL(o.Root); err != nil {
			return fmt.Errorf("root: %w", err)
		}
		if (o.PasswordFile == "") == (o.PasswordEnv == "") {
			return errors.New("an smb:// root needs exactly one of password_file and password_env")
		}
	} else if o.PasswordFile != "" || o.PasswordEnv != "" {
		return errors.New("password_file and password_env are for smb:// roots only")
	}
	if isFilesystemRoot(o.Root) {
		return fmt.Errorf("root %q is the root of a whole file system or drive: set options.root to the share's folder instead", o.Root)
	}
	for i, name := range o.Exclude {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return fmt.Errorf("exclude[%d] %q is not a file or folder name: give base names such as \"Thumbs.db\", without slashes", i, name)
		}
	}
	return nil
}

// Roots implements [connectors.Rooted].
func (o *Options) Roots() []connectors.Root { return []connectors.Root{{Field: "root", Path: o.Root}} }

// password reads the password of an smb:// root.
func (o *Options) password(baseDir string) (string, error) {
	if o.PasswordEnv != "" {
		p, ok := os.LookupEnv(o.PasswordEnv)
		if !ok || p == "" {
			return "", fmt.Errorf("password_env: the environment variable %s is not set", o.PasswordEnv)
		}
		return p, nil
	}
	f := o.PasswordFile
	if !filepath.IsAbs(f) {
		f = filepath.Join(baseDir, f)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", fmt.Errorf("password_file %s is empty", f)
	}
	return p, nil
}

// isFilesystemRoot reports whether p names the root of a file system: "/"
// (however spelled), or a drive root such as `C:\`, `C:/` or `C:`, whatever
// the system the program runs on. UNC share roots (`\\server\share`) are not
// drive roots and are allowed.
func isFilesystemRoot(p string) bool {
	s := strings.ReplaceAll(p, `\`, "/")
	if len(s) >= 2 && s[1] == ':' && isASCIILetter(s[0]) {
		s = s[2:]
		if s == "" {
			return true
		}
	}
	if strings.HasPrefix(s, "//") && strings.Trim(s, "/") != "" {
		return false // UNC path: //server/share
	}
	return path.Clean(s) == "/"
}

func isASCIILetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// Kind is the registry entry for `kind: fileshare`. A relative root is
// resolved against Env.BaseDir.
func Kind() connectors.Kind {
	return connectors.NewKind("fileshare", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		if err := ctx.Err(); err != nil {
			return nil, connectors.Errorf(connectors.CodeCancelled, "open", "", err)
		}
		if err := o.Validate(); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
		}
		root := o.Root
		if smb.IsURL(root) {
			password, err := o.password(env.BaseDir)
			if err != nil {
				return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
			}
			return smb.Open(ctx, root, password, env.Logger)
		}
		if !filepath.IsAbs(root) {
			root = filepath.Join(env.BaseDir, root)
		}
		c, err := open(root, o.Exclude, env.Logger)
		if err != nil {
			return nil, err
		}
		return c, nil
	})
}

// Conn is an open file share. It implements [connectors.Connector] and
// [connectors.Pruner].
type Conn struct {
	root    *os.Root
	abs     string
	exclude map[string]struct{}
	log     *zap.Logger

	// readNames returns the names in the folder dir, whose ref is ref, in
	// any order. Tests replace it to make a folder unreadable even when
	// they run as root, whom permission bits do not stop.
	readNames func(dir *os.Root, ref string) ([]string, error)
	// remove removes name from dir. Tests replace it to make a removal fail
	// even when they run as root.
	remove func(dir *os.Root, name string) error
	// helpers is how many goroutines help a listing's walk, ahead how
	// many parts the runs not being read may hold (runs.go). Tests set
	// them to split as often, and wait as often, as they can.
	helpers, ahead int
}

var (
	_ connectors.Connector         = (*Conn)(nil)
	_ connectors.Pruner            = (*Conn)(nil)
	_ connectors.ConcurrentDeleter = (*Conn)(nil)
)

// Open opens the folder root. It fails, rather than presenting an empty
// share, when root does not exist (CodeNotFound), is not a folder
// (CodeInvalid) or cannot be read (CodePermission when access is denied).
// It refuses the root of a file system. A nil logger logs nothing.
func Open(root string, logger *zap.Logger) (*Conn, error) {
	return open(root, nil, logger)
}

func open(root string, exclude []string, logger *zap.Logger) (*Conn, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if strings.TrimSpace(root) == "" {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", errors.New("root is empty: check options.root"))
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("root %q: %w", root, err))
	}
	if isFilesystemRoot(abs) || filepath.Dir(abs) == abs && filepath.VolumeName(abs) == "" {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("root %q is the root of a whole file system or drive: set options.root to the share's folder instead", abs))
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, connectors.Errorf(connectors.CodeNotFound, "open", "", fmt.Errorf("root %q does not exist: check options.root (and that the share is mounted)", abs))
	case err != nil:
		return nil, connectors.Errorf(rootCode(err), "open", "", fmt.Errorf("root %q cannot be examined: %w", abs, err))
	case !info.IsDir():
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("root %q is not a directory: check options.root", abs))
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, connectors.Errorf(rootCode(err), "open", "", fmt.Errorf("root %q cannot be opened: %w", abs, err))
	}
	// Prove that the root can be read: an unreadable root must never look
	// like an empty one.
	if err := probe(r); err != nil {
		r.Close()
		return nil, connectors.Errorf(rootCode(err), "open", "", fmt.Errorf("root %q cannot be read (does the service account have read access?): %w", abs, err))
	}
	c := &Conn{
		root:      r,
		abs:       abs,
		log:       logger,
		readNames: readNames,
		remove:    func(dir *os.Root, name string) error { return dir.Remove(name) },
		helpers:   min(runtime.GOMAXPROCS(0)-1, maxHelpers),
		ahead:     listAhead,
	}
	if len(exclude) > 0 {
		c.exclude = make(map[string]struct{}, len(exclude))
		for _, name := range exclude {
			c.exclude[name] = struct{}{}
		}
	}
	logger.Debug("file share opened", zap.String("root", abs), zap.Int("excluded_names", len(exclude)))
	return c, nil
}

// rootCode classifies a failure to open or read the root: access denied is
// CodePermission; anything else (a share that dropped, an I/O error) is
// CodeUnavailable, since trying again later may succeed.
func rootCode(err error) connectors.Code {
	if errors.Is(err, fs.ErrPermission) {
		return connectors.CodePermission
	}
	return connectors.CodeUnavailable
}

func probe(r *os.Root) error {
	f, err := r.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// readNames is the default Conn.readNames.
func readNames(dir *os.Root, _ string) ([]string, error) {
	f, err := dir.Open(".")
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return names, err
}

// Location returns "fileshare:" followed by the absolute root.
func (c *Conn) Location() string { return "fileshare:" + c.abs }

// Close releases the root.
func (c *Conn) Close() error { return c.root.Close() }

func (c *Conn) excluded(name string) bool {
	_, ok := c.exclude[name]
	return ok
}
