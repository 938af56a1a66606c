// Package bundle writes and verifies the auditor's export of a ledger: a
// directory that proves, without the database and without trusting the
// host that made it, what was deleted, when, under which rule and on whose
// approval, and that holds no personal data.
//
// A bundle holds:
//
//	README.md            how to verify it, with exact commands
//	entries.jsonl        line i is leaf i: the canonical bytes of entry i
//	hashes.bin           the tree's stored hashes (tlog stored-hash order), 32 bytes each
//	checkpoint           the signed checkpoint covering every entry in the bundle
//	checkpoints/         every earlier checkpoint that was anchored outside the host
//	policies/            the text of every policy version the entries cite
//	keys/                every verifier key: note format, PEM, ssh allowed_signers, validity
//	export.json          what was exported, when, by which software
//	summary.csv, .pdf    a human summary, NOT authoritative
//	MANIFEST.sha256      sha256sum of every other file
//	MANIFEST.sha256.sig  ssh signature of the manifest (namespace retentiond-export)
//
// The entries and checkpoints are the evidence; everything else helps read
// them. Entries are always exported from leaf 0, because a period's entries
// cannot be verified without those before them; --from and --to choose the
// period the summary reports, and --to also ends the export at the first
// checkpoint covering every entry before it.
package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/hiddeco/sshsig"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store/ledger"
)

// Namespace is the ssh signature namespace of a bundle's manifest.
const Namespace = "retentiond-export"

// File names in a bundle.
const (
	FileReadme      = "README.md"
	FileEntries     = "entries.jsonl"
	FileHashes      = "hashes.bin"
	FileCheckpoint  = "checkpoint"
	DirCheckpoints  = "checkpoints"
	DirPolicies     = "policies"
	DirKeys         = "keys"
	FileExport      = "export.json"
	FileSummaryCSV  = "summary.csv"
	FileSummaryPDF  = "summary.pdf"
	FileManifest    = "MANIFEST.sha256"
	FileManifestSig = "MANIFEST.sha256.sig"
	FileSigners     = "keys/allowed_signers"
	FileKeysCSV     = "keys/keys.csv"
)

// Checkpoint is a stored signed checkpoint.
type Checkpoint struct {
	N        int64
	Note     []byte
	At       time.Time
	Anchored bool // sent out of the host at least once
}

// Input is what Write exports.
type Input struct {
	Origin string
	// Entries and StoredHashes stream the ledger, as for ledger.Source.
	Entries      func(ctx context.Context, fn func(index int64, data []byte) error) error
	StoredHashes iter.Seq2[tlog.Hash, error]
	// Checkpoints are every stored checkpoint, in any order.
	Checkpoints []Checkpoint
	// Keys are every verifier key the ledger has used, in note format.
	Keys []string
	// Signer is the current signing key; it signs the manifest.
	Signer    *ledger.Signer
	Generated time.Time
	Software  string
	From, To  time.Time // the summary's period; zero is open
	Location  *time.Location
	// Summary makes the human summary; it sees the exported entries of
	// the period.
	Summary Summarizer
}

// Summarizer makes a bundle's human summary (package summary).
type Summarizer interface {
	// Add is called with each entry of the period, in ledger order.
	Add(index int64, e ledger.Entry)
	// Write writes the summary as CSV and as PDF.
	Write(csv, pdf io.Writer, info SummaryInfo) error
}

// SummaryInfo is what a summary's header says about the export.
type SummaryInfo struct {
	Origin         string
	From, To       time.Time // zero: open
	Generated      time.Time
	Entries        int64
	CheckpointSize int64
	CheckpointHash string // base64
	Software       string
	Location       *time.Location
}

// Export describes a bundle, as export.json records it.
type Export struct {
	Format      int       `json:"format"`
	Origin      string    `json:"origin"`
	Entries     int64     `json:"entries"`
	Checkpoint  int64     `json:"checkpoint_size"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	CutAtTo     bool      `json:"cut_at_to,omitempty"` // entries after --to were left out
	LedgerSize  int64     `json:"ledger_size"`         // entries in the ledger when exported
	Generated   time.Time `json:"generated"`
	Software    string    `json:"software"`
	Anchored    []int64   `json:"anchored_checkpoints,omitempty"`
	ManifestKey string    `json:"manifest_key"` // key id that signed the manifest
}

// Result reports what Write exported.
type Result struct {
	Export
	Dir       string
	Uncovered int64 // entries after the exported checkpoint, left out
	// Removed are the temporary directories of earlier exports to the same
	// directory that were killed before they finished, removed by this one.
	Removed     []string
	PolicyFiles int
}

// keyInfo is what an export says about one verifier key.
type keyInfo struct {
	key        *ledger.VerifierKey
	introduced int64 // entry of the key_rotation that introduced it, or -1
	first      time.Time
	last       time.Time
	current    bool
}

// Write exports the ledger to dir, which must not exist: the bundle is
// built in a temporary directory beside it (.NAME.tmp-N) and renamed into
// place, so dir either holds a complete bundle or does not exist. The
// bundle is its owner's only (directories 0700, files 0600): it holds the
// ledger and the policies. While it is built, a lock file beside it
// (.NAME.lock, removed at the end) keeps a second export to the same dir
// out; so the temporary directories of earlier exports to dir that are
// still there were left by exports that were killed, and the ones that
// belong to this user are removed first (Result.Removed).
func Write(ctx context.Context, dir string, in Input) (*Result, error) {
	if in.Signer == nil {
		return nil, errors.New("export ledger: no signing key to sign the manifest")
	}
	if in.Summary == nil {
		return nil, errors.New("export ledger: no summarizer")
	}
	if in.Location == nil {
		in.Location = time.UTC
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("export ledger: %s already exists; choose a new directory", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	unlock, err := lockDestination(parent, base)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("export ledger: %s already exists; choose a new directory", dir)
	}
	removed, err := removeUnfinished(parent, base)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	res, err := write(ctx, tmp, in)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	res.Dir, res.Removed = dir, removed
	return res, nil
}

// lockDestination takes the lock on exports to parent/base: the file
// .base.lock beside it, removed when the lock is released. It refuses when
// another export holds it.
func lockDestination(parent, base string) (unlock func(), err error) {
	path := filepath.Join(parent, "."+base+".lock")
	for range 5 {
		l := flock.New(path, flock.SetPermissions(0o600))
		ok, err := l.TryLock()
		if err != nil {
			return nil, fmt.Errorf("export ledger: lock %s: %w", path, err)
		}
		if !ok {
			return nil, fmt.Errorf("export ledger: another export to %s is running (it holds %s): wait until it has finished", filepath.Join(parent, base), path)
		}
		// The lock counts only if the file locked is still the one at
		// path: an export that finishes removes it before it unlocks.
		held, err1 := l.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() {
				os.Remove(path) // fails on Windows while the file is open
				l.Unlock()
				os.Remove(path)
			}, nil
		}
		l.Unlock()
	}
	return nil, fmt.Errorf("export ledger: could not lock %s: it keeps being replaced", path)
}

// unfinished matches the name of an export's temporary directory after
// ".NAME.tmp-": os.MkdirTemp's random digits.
var unfinished = regexp.MustCompile(`^[0-9]+$`)

// removeUnfinished removes the temporary directories (.base.tmp-N) of
// exports to parent/base that were killed before they finished. The caller
// holds the destination's lock, so no export is writing to them. A
// directory another user owns is left alone (it is not ours to remove).
func removeUnfinished(parent, base string) ([]string, error) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	var removed []string
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "."+base+".tmp-")
		if !ok || !unfinished.MatchString(rest) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() || !ownedByMe(fi) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("export ledger: remove %s, left by an export that did not finish: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

func write(ctx context.Context, dir string, in Input) (*Result, error) {
	cps := slices.Clone(in.Checkpoints)
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].N < cps[j].N })
	if len(cps) == 0 || cps[len(cps)-1].N == 0 {
		return nil, errors.New("export ledger: the ledger has no signed checkpoint yet; run a plan or execute first")
	}
	latest := cps[len(cps)-1]
	for _, d := range []string{DirCheckpoints, DirPolicies, DirKeys} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("export ledger: %w", err)
		}
	}

	// Entries, up to the latest checkpoint; offsets at every checkpoint
	// size, so that --to can cut the file at one.
	ef, err := create(filepath.Join(dir, FileEntries))
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	defer ef.Close()
	ew := bufio.NewWriterSize(ef, 1<<20)
	sizes := map[int64]bool{}
	for _, c := range cps {
		sizes[c.N] = true
	}
	offsets := map[int64]int64{0: 0}
	var (
		off        int64
		lastBefore int64 = -1 // last entry before To
		ledgerSize int64
		keys       = map[string]*keyInfo{} // by key id
		rotations  []ledger.Entry
		rotIdx     []int64
		policies   = map[string]ledger.Entry{} // by digest
		sum        = in.Summary
	)
	// Entries after the latest checkpoint are left out: no signature
	// vouches for them yet.
	err = in.Entries(ctx, func(i int64, data []byte) error {
		ledgerSize = i + 1
		if i >= latest.N {
			return nil
		}
		e, err := ledger.Parse(data)
		if err != nil {
			return fmt.Errorf("entry %d does not parse; run `retentiond ledger verify` first: %w", i, err)
		}
		if !in.To.IsZero() && e.Time.Before(in.To) {
			lastBefore = i
		}
		if in.To.IsZero() && (in.From.IsZero() || !e.Time.Before(in.From)) {
			sum.Add(i, e) // without --to every entry read is exported
		}
		switch e.Type {
		case ledger.TypeKeyRotation:
			rotations, rotIdx = append(rotations, e), append(rotIdx, i)
		case ledger.TypePolicy:
			if _, ok := policies[e.PolicyDigest]; !ok {
				policies[e.PolicyDigest] = e
			}
		}
		n, err := ew.Write(data)
		if err == nil {
			err = ew.WriteByte('\n')
		}
		if err != nil {
			return fmt.Errorf("write entries: %w", err)
		}
		off += int64(n) + 1
		if sizes[i+1] {
			offsets[i+1] = off
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	if ledgerSize < latest.N {
		return nil, fmt.Errorf("export ledger: the latest checkpoint covers %d entries but the ledger has %d; run `retentiond ledger verify`", latest.N, ledgerSize)
	}
	cut := latest
	if !in.To.IsZero() {
		for _, c := range cps {
			if c.N > lastBefore {
				cut = c
				break
			}
		}
	}
	if err := ew.Flush(); err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	if err := ef.Truncate(offsets[cut.N]); err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	if err := ef.Sync(); err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}

	// With --to, the summary reads the written entries back: only now is
	// the cut known.
	if !in.To.IsZero() {
		if _, err := ef.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("export ledger: %w", err)
		}
		err = readLines(ef, func(i int64, line []byte) error {
			e, err := ledger.Parse(line)
			if err != nil {
				return err
			}
			if (in.From.IsZero() || !e.Time.Before(in.From)) && e.Time.Before(in.To) {
				sum.Add(i, e)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("export ledger: summary: %w", err)
		}
	}

	if err := writeHashes(filepath.Join(dir, FileHashes), in.StoredHashes, tlog.StoredHashCount(cut.N)); err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}

	// Checkpoints: the one at the cut, and every anchored one before it.
	if err := writeFile(filepath.Join(dir, FileCheckpoint), cut.Note); err != nil {
		return nil, err
	}
	exp := Export{Format: 1, Origin: in.Origin, Entries: cut.N, Checkpoint: cut.N, LedgerSize: ledgerSize,
		Generated: in.Generated.UTC(), Software: in.Software, CutAtTo: cut.N < latest.N}
	if !in.From.IsZero() {
		exp.From = in.From.In(in.Location).Format(time.RFC3339)
	}
	if !in.To.IsZero() {
		exp.To = in.To.In(in.Location).Format(time.RFC3339)
	}
	for _, c := range cps {
		if c.Anchored && c.N <= cut.N && c.N > 0 {
			if err := writeFile(filepath.Join(dir, DirCheckpoints, fmt.Sprintf("%012d.checkpoint", c.N)), c.Note); err != nil {
				return nil, err
			}
			exp.Anchored = append(exp.Anchored, c.N)
		}
	}

	// Policies.
	digests := make([]string, 0, len(policies))
	for d := range policies {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	for _, d := range digests {
		p := policies[d]
		if err := writeFile(filepath.Join(dir, DirPolicies, PolicyFile(p.Policy, d)), []byte(p.Text)); err != nil {
			return nil, err
		}
	}

	// Keys.
	for _, k := range append(slices.Clone(in.Keys), in.Signer.VerifierKey()) {
		vk, err := ledger.ParseVerifierKey(k)
		if err != nil {
			return nil, fmt.Errorf("export ledger: %w", err)
		}
		if _, ok := keys[vk.ID()]; !ok {
			keys[vk.ID()] = &keyInfo{key: vk, introduced: -1}
		}
	}
	cur := keys[keyID(in.Signer.VerifierKey())]
	cur.current = true
	for j, r := range rotations {
		if r.Method != ledger.KeySigning {
			continue
		}
		vk, err := ledger.ParseVerifierKey(r.Key)
		if err != nil {
			return nil, fmt.Errorf("export ledger: key rotation at entry %d: %w", rotIdx[j], err)
		}
		ki, ok := keys[vk.ID()]
		if !ok {
			ki = &keyInfo{key: vk}
			keys[vk.ID()] = ki
		}
		ki.introduced = rotIdx[j]
	}
	for _, c := range cps {
		for _, id := range signers(c.Note) {
			if ki, ok := keys[id]; ok {
				if ki.first.IsZero() || c.At.Before(ki.first) {
					ki.first = c.At
				}
				if c.At.After(ki.last) {
					ki.last = c.At
				}
			}
		}
	}
	if err := writeKeys(dir, in.Origin, keys); err != nil {
		return nil, err
	}
	exp.ManifestKey = cur.key.ID()

	// Summary, export.json, README.
	var csvBuf, pdfBuf bytes.Buffer
	body, err := ledger.PeekCheckpoint(cut.Note)
	if err != nil {
		return nil, fmt.Errorf("export ledger: checkpoint: %w", err)
	}
	info := SummaryInfo{Origin: in.Origin, From: in.From, To: in.To, Generated: in.Generated, Entries: cut.N,
		CheckpointSize: cut.N, CheckpointHash: body.Hash.String(), Software: in.Software, Location: in.Location}
	if err := sum.Write(&csvBuf, &pdfBuf, info); err != nil {
		return nil, fmt.Errorf("export ledger: summary: %w", err)
	}
	for name, b := range map[string][]byte{FileSummaryCSV: csvBuf.Bytes(), FileSummaryPDF: pdfBuf.Bytes()} {
		if err := writeFile(filepath.Join(dir, name), b); err != nil {
			return nil, err
		}
	}
	ej, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export ledger: %w", err)
	}
	if err := writeFile(filepath.Join(dir, FileExport), append(ej, '\n')); err != nil {
		return nil, err
	}
	readme, err := renderReadme(exp, cut.Note, keys)
	if err != nil {
		return nil, fmt.Errorf("export ledger: readme: %w", err)
	}
	if err := writeFile(filepath.Join(dir, FileReadme), readme); err != nil {
		return nil, err
	}
	if err := writeManifest(dir, in.Signer); err != nil {
		return nil, err
	}
	return &Result{Export: exp, Uncovered: ledgerSize - cut.N, PolicyFiles: len(digests)}, nil
}

// PolicyFile is the name of a policy text's file in policies/.
func PolicyFile(policy, digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	return fmt.Sprintf("%s-%s.yaml", safeName(policy), d)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

func keyID(vkey string) string {
	k, err := ledger.ParseVerifierKey(vkey)
	if err != nil {
		return ""
	}
	return k.ID()
}

// signers returns the key ids of a signed note's signature lines.
func signers(msg []byte) []string {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	var ids []string
	for line := range strings.Lines(string(msg[i+2:])) {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "—" {
			continue
		}
		h, err := ledger.SignatureKeyHash(f[2])
		if err != nil {
			continue
		}
		ids = append(ids, fmt.Sprintf("%s+%08x", f[1], h))
	}
	return ids
}

func writeHashes(path string, hashes iter.Seq2[tlog.Hash, error], n int64) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var got int64
	if n > 0 {
		if hashes == nil {
			return errors.New("no stored hashes to export")
		}
		for h, err := range hashes {
			if err != nil {
				return fmt.Errorf("read stored hashes: %w", err)
			}
			w.Write(h[:])
			if got++; got == n {
				break
			}
		}
	}
	if got != n {
		return fmt.Errorf("the ledger has %d stored hashes, %d needed; run `retentiond ledger verify`", got, n)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

func writeKeys(dir, origin string, keys map[string]*keyInfo) error {
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := keys[ids[i]], keys[ids[j]]
		if a.introduced != b.introduced {
			return a.introduced < b.introduced
		}
		return ids[i] < ids[j]
	})
	var signersFile bytes.Buffer
	var table bytes.Buffer
	cw := csv.NewWriter(&table)
	cw.Write([]string{"key_id", "key_hash", "introduced_at_entry", "first_checkpoint_signed", "last_checkpoint_signed", "current", "verifier_key"})
	for _, id := range ids {
		ki := keys[id]
		k := ki.key
		h := k.HashHex()
		if err := writeFile(filepath.Join(dir, DirKeys, h+".vkey"), []byte(k.Text+"\n")); err != nil {
			return err
		}
		pemBytes, err := k.PEM()
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, DirKeys, h+".pem"), pemBytes); err != nil {
			return err
		}
		sshKey, err := k.SSH()
		if err != nil {
			return err
		}
		intro := "initial"
		if ki.introduced >= 0 {
			intro = fmt.Sprint(ki.introduced)
		}
		fmt.Fprintf(&signersFile, "# key %s: introduced %s; signed checkpoints from %s to %s%s\n", k.ID(), intro, stamp(ki.first), stamp(ki.last), map[bool]string{true: " (current)"}[ki.current])
		fmt.Fprintf(&signersFile, "%s namespaces=%q %s\n", origin, Namespace, sshKey)
		cw.Write([]string{k.ID(), h, intro, stamp(ki.first), stamp(ki.last), fmt.Sprint(ki.current), k.Text})
	}
	cw.Flush()
	if err := writeFile(filepath.Join(dir, FileSigners), signersFile.Bytes()); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, FileKeysCSV), table.Bytes())
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("export ledger: %w", err)
	}
	return nil
}

// create creates a new file of the bundle, its owner's only.
func create(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// writeManifest writes MANIFEST.sha256 over every file in dir, in
// sha256sum's format, and its ssh signature.
func writeManifest(dir string, s *ledger.Signer) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return fmt.Errorf("export ledger: manifest: %w", err)
	}
	sort.Strings(files)
	var m bytes.Buffer
	for _, f := range files {
		sum, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return fmt.Errorf("export ledger: manifest: %w", err)
		}
		fmt.Fprintf(&m, "%s  %s\n", sum, f)
	}
	if err := writeFile(filepath.Join(dir, FileManifest), m.Bytes()); err != nil {
		return err
	}
	signer, err := s.SSHSigner()
	if err != nil {
		return fmt.Errorf("export ledger: manifest: %w", err)
	}
	sig, err := sshsig.Sign(bytes.NewReader(m.Bytes()), signer, sshsig.HashSHA512, Namespace)
	if err != nil {
		return fmt.Errorf("export ledger: sign manifest: %w", err)
	}
	return writeFile(filepath.Join(dir, FileManifestSig), sshsig.Armor(sig))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// maxEntry bounds one line of entries.jsonl.
const maxEntry = 16 << 20

// readLines calls fn with each newline-terminated line of r, without the
// newline. A last line without a newline is an error.
func readLines(r io.Reader, fn func(i int64, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		i    int64
		long []byte
	)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			if len(long) > maxEntry {
				return &ledger.VerifyError{Index: i, Checkpoint: -1, Reason: fmt.Sprintf("line is longer than %d bytes", maxEntry)}
			}
			continue
		}
		if err == io.EOF {
			if len(line) > 0 || len(long) > 0 {
				return &ledger.VerifyError{Index: i, Checkpoint: -1, Reason: "the last line does not end with a newline: the file was cut or changed"}
			}
			return nil
		}
		if err != nil {
			return err
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		if err := fn(i, line[:len(line)-1]); err != nil {
			return err
		}
		i++
	}
}
