// Package cctv is the connector for CCTV recordings: the folders a
// network video recorder writes or exports, laid out by camera and day, and
// the backup copies of the same recordings.
//
// Only video files are recordings: files whose extension is in the
// source's `extensions` (DefaultExtensions unless configured). Any other
// file (a document, a photo, an index) is not listed: it is reported
// through ListOptions.Ignored, Stat refuses it as invalid and DeleteBatch
// never deletes it, so that a source pointed at the wrong folder (a school
// share) cannot make documents "recordings" that a rule deletes without
// approval.
//
// Every recording is an item of kind recording whose Recorded time is when the
// recording started, not when the file was copied: from a time stamp in its
// name (cam01_20261103_141500.mp4, 2026-11-03_14-15-00.mkv), from a time of
// day in its name on the date of a folder above it (2026-11-03/14-15-00.mp4),
// from that folder's date alone, and only when neither name nor folders say,
// from the file's modification time. RecordedFrom says which, for the
// reasons in plans. A name or folder that holds an impossible date or a
// time in the future leaves Recorded zero, so that rules counting from it
// keep the recording and flag it.
//
// Backups are further folders with the same recordings. Their files are
// items too, with refs "@backup-N/<path>" (N counting from 1 in the order
// configured), and get their Recorded time from their own names, so that a
// copy is due on the same day as the original. A first folder named
// "@backup-N" in the recordings themselves is not listed.
//
// Listing, deletion and pruning are those of the [fileshare] connector on
// each folder, with its confinement.
package cctv

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/connectors/smb"
)

// Options configure a CCTV source: the `options:` of a source with
// `kind: cctv`.
type Options struct {
	// Root is the folder the recorder writes or exports to.
	Root string `yaml:"root"`
	// Backups are folders holding copies of the same recordings.
	Backups []string `yaml:"backups"`
	// Timezone of the times in file and folder names; default
	// Europe/Copenhagen.
	Timezone string `yaml:"timezone"`
	// Exclude lists names of files and folders to leave out, as for file
	// shares.
	Exclude []string `yaml:"exclude"`
	// PasswordFile or PasswordEnv give the password of smb:// folders
	// (the same account for all of them).
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// Extensions are the file-name extensions of recordings, without the
	// dot, compared without regard to case; default DefaultExtensions.
	// Files with any other extension are not recordings: they are never
	// listed, and so never deleted, by this source.
	Extensions []string `yaml:"extensions"`
}

// DefaultExtensions are the extensions of video recordings that recorders
// and video management systems write and export: containers (mp4, mkv,
// avi, mov, asf, wmv, flv, webm, 3gp, MPEG program and transport streams),
// raw H.264/H.265 streams, and the formats of recorders (Dahua .dav,
// Hikvision .ps, Geutebrück .g64 and .g64x, Mobotix .mxg, Samsung/Hanwha
// .sec, Avigilon .avk).
var DefaultExtensions = []string{
	"mp4", "m4v", "mov", "mkv", "webm", "avi", "asf", "wmv", "flv", "3gp",
	"ts", "mts", "m2ts", "ps", "mpg", "mpeg", "vob",
	"h264", "264", "h265", "265", "hevc",
	"dav", "g64", "g64x", "mxg", "sec", "avk",
}

// DefaultTimezone is the zone of names when the options give none.
const DefaultTimezone = "Europe/Copenhagen"

// Validate checks the options without touching the file system.
func (o *Options) Validate() error {
	if _, err := o.location(); err != nil {
		return err
	}
	for i, e := range o.Extensions {
		if x := strings.TrimPrefix(e, "."); x == "" || x == "*" || strings.ContainsAny(x, "/\\.*?[ \x00") {
			return fmt.Errorf("extensions[%d]: %q is not a file-name extension: give extensions such as mp4 or dav, without wildcards", i, e)
		}
	}
	for i, p := range append([]string{o.Root}, o.Backups...) {
		fo := o.folderOptions(p)
		if err := fo.Validate(); err != nil {
			if i > 0 {
				return fmt.Errorf("backups[%d]: %w", i-1, err)
			}
			return err
		}
	}
	return nil
}

// Roots implements [connectors.Rooted]: the recordings' folder and the
// backups.
func (o *Options) Roots() []connectors.Root {
	rs := []connectors.Root{{Field: "root", Path: o.Root}}
	for i, b := range o.Backups {
		rs = append(rs, connectors.Root{Field: fmt.Sprintf("backups[%d]", i), Path: b})
	}
	return rs
}

// extensionSet returns the recordings' extensions, lower case.
func (o *Options) extensionSet() map[string]bool {
	exts := o.Extensions
	if len(exts) == 0 {
		exts = DefaultExtensions
	}
	set := make(map[string]bool, len(exts))
	for _, e := range exts {
		set[strings.ToLower(strings.TrimPrefix(e, "."))] = true
	}
	return set
}

// folderOptions are the file-share options of folder p: the password
// settings go to smb:// folders only.
func (o *Options) folderOptions(p string) fileshare.Options {
	fo := fileshare.Options{Root: p, Exclude: o.Exclude}
	if smb.IsURL(p) {
		fo.PasswordFile, fo.PasswordEnv = o.PasswordFile, o.PasswordEnv
	}
	return fo
}

func (o *Options) location() (*time.Location, error) {
	name := o.Timezone
	if name == "" {
		name = DefaultTimezone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone: %q is not a time zone (write e.g. Europe/Copenhagen)", o.Timezone)
	}
	return loc, nil
}

// Kind is the registry entry for `kind: cctv`. Relative folders are
// resolved against Env.BaseDir.
func Kind() connectors.Kind {
	return connectors.NewKind("cctv", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		return Open(ctx, env, o)
	})
}

// backupPrefix starts the refs of backup copies: "@backup-1/".
const backupPrefix = "@backup-"

// Conn is an open set of recording folders. It implements
// [connectors.Connector] and [connectors.Pruner].
type Conn struct {
	locs []folder // [0] the recordings, then the backups
	root string
	exts map[string]bool // extensions of recordings, lower case
	tz   *time.Location
	now  func() time.Time
}

var (
	_ connectors.Connector = (*Conn)(nil)
	_ connectors.Pruner    = (*Conn)(nil)
)

// folder is one recordings folder: a local or mounted folder, or one on
// an smb:// share, as the file-share connector opens it.
type folder interface {
	connectors.Connector
	connectors.Pruner
}

// Open opens the recording folder and its backups; each must exist and be
// readable.
func Open(ctx context.Context, env connectors.Env, o *Options) (*Conn, error) {
	if err := o.Validate(); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	tz, _ := o.location()
	now := env.Now
	if now == nil {
		now = time.Now
	}
	c := &Conn{tz: tz, now: now, exts: o.extensionSet()}
	for i, p := range append([]string{o.Root}, o.Backups...) {
		if !filepath.IsAbs(p) && !smb.IsURL(p) {
			p = filepath.Join(env.BaseDir, p)
		}
		fo := o.folderOptions(p)
		fc, err := fileshare.Kind().Open(ctx, env, &fo)
		if err != nil {
			c.Close()
			if i > 0 {
				return nil, fmt.Errorf("backup %d: %w", i, err)
			}
			return nil, err
		}
		c.locs = append(c.locs, fc.(folder))
		if i == 0 {
			c.root = p
		}
	}
	return c, nil
}

// Location implements [connectors.Connector].
func (c *Conn) Location() string { return "cctv:" + c.root }

// Close implements [connectors.Connector].
func (c *Conn) Close() error {
	var errs []error
	for _, l := range c.locs {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// split returns the folder a ref lies in and the ref inside it.
func (c *Conn) split(ref string) (int, string, error) {
	rest, ok := strings.CutPrefix(ref, backupPrefix)
	if !ok {
		if first, _, _ := strings.Cut(ref, "/"); isBackupName(first) {
			return 0, "", errors.New("the ref names a backup that is not configured")
		}
		return 0, ref, nil
	}
	n, inner, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || i >= len(c.locs) || inner == "" || strconv.Itoa(i) != n {
		return 0, "", fmt.Errorf("%q names no configured backup", ref)
	}
	return i, inner, nil
}

func isBackupName(s string) bool {
	n, ok := strings.CutPrefix(s, backupPrefix)
	_, err := strconv.Atoi(n)
	return ok && err == nil
}

func prefix(i int) string {
	if i == 0 {
		return ""
	}
	return backupPrefix + strconv.Itoa(i) + "/"
}

// notRecording says why the file at ref is not a recording, or "" when it
// is one.
func (c *Conn) notRecording(ref string) string {
	ext := path.Ext(ref)
	if ext == "" {
		return "not a recording: the name has no extension"
	}
	if !c.exts[strings.ToLower(ext[1:])] {
		return fmt.Sprintf("not a recording: %s is not an extension of recordings", ext)
	}
	return ""
}

// recording turns a file of folder i into a recording.
func (c *Conn) recording(i int, it connectors.Item) connectors.Item {
	it.Kind = connectors.KindRecording
	it.Recorded, it.RecordedFrom = recordedAt(it.Ref, it.Modified, c.now(), c.tz)
	it.Ref = prefix(i) + it.Ref
	if it.Container != "" || i > 0 {
		it.Container = strings.TrimSuffix(prefix(i)+it.Container, "/")
	}
	return it
}

// List implements [connectors.Connector]: the recordings, then each
// backup's, each in the order of the file-share listing.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	var incomplete *connectors.IncompleteError
	for i, l := range c.locs {
		lo := opts
		if i == 0 {
			if opts.Prefix != "" {
				if first, _, _ := strings.Cut(opts.Prefix, "/"); isBackupName(first) {
					continue
				}
			}
		} else {
			p := prefix(i)
			switch {
			case opts.Prefix == "":
			case strings.HasPrefix(opts.Prefix, p):
				lo.Prefix = strings.TrimPrefix(opts.Prefix, p)
			case opts.Prefix == strings.TrimSuffix(p, "/"):
				lo.Prefix = ""
			default:
				continue
			}
		}
		err := l.List(ctx, lo, func(it connectors.Item) error {
			if i == 0 {
				if first, _, _ := strings.Cut(it.Ref, "/"); isBackupName(first) {
					return nil
				}
			}
			if why := c.notRecording(it.Ref); why != "" {
				if opts.Ignored != nil {
					opts.Ignored(prefix(i)+it.Ref, why)
				}
				return nil
			}
			return fn(c.recording(i, it))
		})
		var inc *connectors.IncompleteError
		switch {
		case errors.As(err, &inc):
			if incomplete == nil {
				incomplete = &connectors.IncompleteError{}
			}
			incomplete.Skipped = append(incomplete.Skipped, inc.Skipped...)
		case err != nil:
			return err
		}
	}
	if incomplete != nil {
		return incomplete
	}
	return nil
}

// Stat implements [connectors.Connector].
func (c *Conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	i, inner, err := c.split(ref)
	if err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, err)
	}
	if why := c.notRecording(inner); why != "" {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, errors.New(why))
	}
	it, err := c.locs[i].Stat(ctx, inner)
	if err != nil {
		return connectors.Item{}, err
	}
	return c.recording(i, it), nil
}

// DeleteBatch implements [connectors.Connector], handing each target to the
// folder it lies in, in order.
func (c *Conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	results := make([]connectors.Result, 0, len(targets))
	for start := 0; start < len(targets); {
		i, first, err := c.split(targets[start].Ref)
		if err == nil {
			if why := c.notRecording(first); why != "" {
				// Never deleted by this source, whatever a plan says.
				err = errors.New(why)
			}
		}
		if err != nil {
			results = append(results, connectors.Result{Ref: targets[start].Ref, Outcome: connectors.OutcomeFailed, Err: connectors.Errorf(connectors.CodeInvalid, "delete", targets[start].Ref, err)})
			start++
			continue
		}
		// A run of targets in the same folder goes in one call.
		end := start + 1
		for end < len(targets) {
			j, r, err := c.split(targets[end].Ref)
			if err != nil || j != i || c.notRecording(r) != "" {
				break
			}
			end++
		}
		inner := make([]connectors.Target, 0, end-start)
		for _, t := range targets[start:end] {
			_, r, _ := c.split(t.Ref)
			inner = append(inner, connectors.Target{Ref: r, Version: t.Version})
		}
		rs, err := c.locs[i].DeleteBatch(ctx, inner)
		if err != nil {
			if len(results) == 0 {
				return nil, err
			}
			for _, t := range targets[start:end] {
				results = append(results, connectors.Result{Ref: t.Ref, Outcome: connectors.OutcomeFailed, Err: err})
			}
		} else {
			for k, r := range rs {
				r.Ref = targets[start+k].Ref
				results = append(results, r)
			}
		}
		start = end
	}
	return results, nil
}

// PruneEmpty implements [connectors.Pruner] in each folder; the containers
// are refs as List gives them. Backups have the recordings' layout, so
// stopAt stops the pruning at the same place in every folder.
func (c *Conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	stop := ""
	if stopAt != "" && !isBackupName(stopAt) {
		_, inner, err := c.split(stopAt)
		if err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", stopAt, err)
		}
		stop = inner
	}
	mine := make([][]string, len(c.locs))
	for _, ct := range containers {
		i, inner, err := c.split(ct)
		if err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", ct, err)
		}
		mine[i] = append(mine[i], inner)
	}
	var removed []string
	var errs []error
	for i, l := range c.locs {
		if len(mine[i]) == 0 {
			continue
		}
		got, err := l.PruneEmpty(ctx, mine[i], stop)
		for _, g := range got {
			removed = append(removed, prefix(i)+g)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}
