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
	"slices"
	"sort"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store/ledger"
)

// Options for Verify.
type Options struct {
	// Keys are verifier keys (note format) the auditor trusts, obtained
	// outside the bundle. If empty, the bundle's initial keys are trusted
	// and Report.KeysFromBundle says so: compare their ids with ones you
	// hold.
	Keys []string
	// Anchors are signed checkpoints obtained outside the bundle (from the
	// anchoring share or mail). Each must match the bundle's entries; one
	// that covers more entries than the bundle holds fails, unless the
	// bundle was cut at --to.
	Anchors [][]byte
}

// Report is what a successful Verify found.
type Report struct {
	*ledger.Report
	Export         Export
	Files          int  // files the manifest covers
	KeysFromBundle bool // the trust anchor was the bundle itself
	TrustedKeys    []string
	Anchors        int   // anchored checkpoints verified (bundle and Options)
	AnchorsBeyond  []int // Options.Anchors beyond a bundle cut at --to
	Policies       int
}

// Error is a failure Verify found in a bundle, naming the file and, where
// the fault is in the ledger, wrapping the *ledger.VerifyError that names
// the entry.
type Error struct {
	File   string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	s := e.File + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsBundle reports whether dir looks like a bundle (holds a manifest).
func IsBundle(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, FileManifest))
	return err == nil && st.Mode().IsRegular()
}

// Verify checks a bundle on a machine that has never seen the database:
// the ledger first (canonical entries, recomputed tree and stored hashes,
// every checkpoint and anchor signed by trusted keys and matching the tree,
// the content rules of ledger.ContentRules), so that a fault in an entry is
// named by its index; then every policy file against its digest, then the
// manifest's signature and every file's checksum, and that no file is
// outside the manifest.
func Verify(ctx context.Context, dir string, opts Options) (*Report, error) {
	rep := &Report{}
	ej, err := os.ReadFile(filepath.Join(dir, FileExport))
	if err != nil {
		return nil, &Error{File: FileExport, Reason: "cannot be read", Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(ej))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep.Export); err != nil {
		return nil, &Error{File: FileExport, Reason: "does not parse", Err: err}
	}
	if rep.Export.Format != 1 {
		return nil, &Error{File: FileExport, Reason: fmt.Sprintf("format %d is not one this version reads", rep.Export.Format)}
	}

	// Trust.
	bundleKeys, err := readKeysCSV(filepath.Join(dir, FileKeysCSV))
	if err != nil {
		return nil, &Error{File: FileKeysCSV, Reason: "does not parse", Err: err}
	}
	trusted := opts.Keys
	if len(trusted) == 0 {
		rep.KeysFromBundle = true
		for _, k := range bundleKeys {
			if k.initial {
				trusted = append(trusted, k.text)
			}
		}
		if len(trusted) == 0 {
			return nil, &Error{File: FileKeysCSV, Reason: "names no initial key to trust; give the key with --key"}
		}
	}
	verifiers, err := ledger.NewVerifiers(trusted...)
	if err != nil {
		return nil, fmt.Errorf("trusted keys: %w", err)
	}
	origin := ""
	for _, k := range trusted {
		vk, err := ledger.ParseVerifierKey(k)
		if err != nil {
			return nil, fmt.Errorf("trusted keys: %w", err)
		}
		rep.TrustedKeys = append(rep.TrustedKeys, vk.ID())
		if origin != "" && vk.Name != origin {
			return nil, fmt.Errorf("trusted keys are for two ledgers, %q and %q", origin, vk.Name)
		}
		origin = vk.Name
	}

	// Checkpoints.
	cpNames := []string{FileCheckpoint}
	anchored, err := os.ReadDir(filepath.Join(dir, DirCheckpoints))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: DirCheckpoints, Reason: "cannot be read", Err: err}
	}
	for _, d := range anchored {
		cpNames = append(cpNames, DirCheckpoints+"/"+d.Name())
	}
	var cps [][]byte
	for _, name := range cpNames {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, &Error{File: name, Reason: "cannot be read", Err: err}
		}
		cps = append(cps, b)
	}
	for i, a := range opts.Anchors {
		c, err := ledger.PeekCheckpoint(a)
		if err != nil {
			return nil, &Error{File: fmt.Sprintf("anchor %d", i+1), Reason: "is not a signed checkpoint", Err: err}
		}
		if rep.Export.CutAtTo && c.N > rep.Export.Entries {
			rep.AnchorsBeyond = append(rep.AnchorsBeyond, i)
			continue
		}
		cpNames = append(cpNames, fmt.Sprintf("anchor %d (given)", i+1))
		cps = append(cps, a)
	}

	// The ledger.
	ef, err := os.Open(filepath.Join(dir, FileEntries))
	if err != nil {
		return nil, &Error{File: FileEntries, Reason: "cannot be read", Err: err}
	}
	defer ef.Close()
	hf, err := os.Open(filepath.Join(dir, FileHashes))
	if err != nil {
		return nil, &Error{File: FileHashes, Reason: "cannot be read", Err: err}
	}
	defer hf.Close()
	src := ledger.Source{
		Entries: func(ctx context.Context, fn func(int64, []byte) error) error {
			return readLines(ef, fn)
		},
		StoredHashes: hashFile(hf),
		Checkpoints:  cps,
		Verifiers:    verifiers,
		Origin:       origin,
		Content:      ledger.NewContentRules(),
	}
	lrep, err := ledger.Verify(ctx, src)
	if err != nil {
		file := FileEntries
		if ve, ok := errors.AsType[*ledger.VerifyError](err); ok && ve.Index < 0 && ve.Checkpoint >= 0 {
			file = cpNames[ve.Checkpoint]
		}
		return nil, &Error{File: file, Reason: "ledger verification failed", Err: err}
	}
	rep.Report = lrep
	rep.Anchors = len(cps) - 1
	if lrep.Entries != rep.Export.Entries || lrep.Latest.N != rep.Export.Entries {
		return nil, &Error{File: FileExport, Reason: fmt.Sprintf("says %d entries, but entries.jsonl has %d and the checkpoint covers %d", rep.Export.Entries, lrep.Entries, lrep.Latest.N)}
	}

	// Policies.
	pols, err := os.ReadDir(filepath.Join(dir, DirPolicies))
	if err != nil {
		return nil, &Error{File: DirPolicies, Reason: "cannot be read", Err: err}
	}
	for _, d := range pols {
		name := DirPolicies + "/" + d.Name()
		b, err := os.ReadFile(filepath.Join(dir, DirPolicies, d.Name()))
		if err != nil {
			return nil, &Error{File: name, Reason: "cannot be read", Err: err}
		}
		sum := sha256.Sum256(b)
		if !strings.HasSuffix(d.Name(), "-"+hex.EncodeToString(sum[:])+".yaml") {
			return nil, &Error{File: name, Reason: "text does not have the digest its name gives"}
		}
		rep.Policies++
	}

	// The manifest, signed by a key that signed the checkpoint.
	manifest, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if err != nil {
		return nil, &Error{File: FileManifest, Reason: "cannot be read", Err: err}
	}
	armored, err := os.ReadFile(filepath.Join(dir, FileManifestSig))
	if err != nil {
		return nil, &Error{File: FileManifestSig, Reason: "cannot be read", Err: err}
	}
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, &Error{File: FileManifestSig, Reason: "is not an ssh signature", Err: err}
	}
	signedOK := false
	for _, k := range bundleKeys {
		if !slices.Contains(lrep.Keys, k.id) {
			continue // only keys the checkpoints proved
		}
		vk, err := ledger.ParseVerifierKey(k.text)
		if err != nil {
			continue
		}
		pub, err := ssh.NewPublicKey(vk.Public)
		if err != nil {
			continue
		}
		if sshsig.Verify(bytes.NewReader(manifest), sig, pub, sshsig.HashSHA512, Namespace) == nil {
			signedOK = true
			break
		}
	}
	if !signedOK {
		return nil, &Error{File: FileManifestSig, Reason: "the manifest is not signed by a key that signed the ledger's checkpoints"}
	}
	listed := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSuffix(string(manifest), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
			return nil, &Error{File: FileManifest, Reason: fmt.Sprintf("line %d is not \"<sha256>  <file>\"", n+1)}
		}
		got, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, &Error{File: name, Reason: "is listed in the manifest but cannot be read", Err: err}
		}
		if got != sum {
			return nil, &Error{File: name, Reason: "does not match its checksum in the manifest: the file was altered"}
		}
		listed[name] = true
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel != FileManifest && rel != FileManifestSig && !listed[rel] {
			return &Error{File: rel, Reason: "is not in the manifest: a file was added"}
		}
		return nil
	})
	if err != nil {
		if be, ok := errors.AsType[*Error](err); ok {
			return nil, be
		}
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	rep.Files = len(listed)
	return rep, nil
}

// hashFile yields the 32-byte hashes of a hashes.bin file.
func hashFile(f *os.File) iter.Seq2[tlog.Hash, error] {
	return func(yield func(tlog.Hash, error) bool) {
		r := bufio.NewReaderSize(f, 1<<20)
		var h tlog.Hash
		for {
			_, err := io.ReadFull(r, h[:])
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(tlog.Hash{}, fmt.Errorf("%s: %w", FileHashes, err))
				return
			}
			if !yield(h, nil) {
				return
			}
		}
	}
}

type bundleKey struct {
	id, text string
	initial  bool
}

func readKeysCSV(path string) ([]bundleKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 || len(rows[0]) != 7 || rows[0][0] != "key_id" {
		return nil, errors.New("want a header row and one row per key")
	}
	var out []bundleKey
	for _, r := range rows[1:] {
		vk, err := ledger.ParseVerifierKey(r[6])
		if err != nil {
			return nil, err
		}
		if vk.ID() != r[0] {
			return nil, fmt.Errorf("key id %s does not match its key", r[0])
		}
		out = append(out, bundleKey{id: r[0], text: r[6], initial: r[2] == "initial"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].initial && !out[j].initial })
	return out, nil
}
