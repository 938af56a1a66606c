package bundle

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// readmeTemplate is the bundle's README. The shell blocks are run verbatim
// by the tests, in the bundle directory, so what it tells an auditor to
// type is known to work.
var readmeTemplate = template.Must(template.New("readme").Parse(`# Ledger export: {{.Export.Origin}}

This directory is an export of the deletion ledger of retentiond for
**{{.Export.Origin}}**, made {{.Generated}} by {{.Export.Software}}. It holds
{{.Export.Entries}} entries, all covered by the signed checkpoint in
` + "`checkpoint`" + `.{{if .Export.CutAtTo}} Entries after {{.Export.To}} were left out
(the ledger had {{.Export.LedgerSize}} entries).{{end}}

The ledger holds **no personal data**: items, folders and people appear only
as keyed references (` + "`h1:<key id>:<mac>`" + `) that only the holder of the
reference key can match to a name; failures are enumerated codes, never
error text.

## What is authoritative

- ` + "`entries.jsonl`" + `: line *i* is ledger entry *i*, exactly the bytes that were
  hashed (canonical JSON, one entry per line).
- ` + "`checkpoint`" + `: a signed C2SP checkpoint (https://c2sp.org/tlog-checkpoint)
  carrying the RFC 6962 Merkle root of those entries, signed with Ed25519.
- ` + "`checkpoints/`" + `: earlier checkpoints that were anchored outside the host
  (sent to the DPO's share or mailbox). Each must match the entries too.
- ` + "`keys/`" + `: the verifier keys: ` + "`<hash>.vkey`" + ` (note format), ` + "`<hash>.pem`" + `
  (for openssl), ` + "`allowed_signers`" + ` (for ssh-keygen) and ` + "`keys.csv`" + ` with each
  key's validity. Compare the key ids with the ones you received when the
  ledger was set up or rotated:
{{range .Keys}}
  - ` + "`{{.ID}}`" + `{{if .Current}} (current){{end}}{{end}}

Everything else helps read it: ` + "`policies/`" + ` (the text of every policy version the
entries cite, named by digest), ` + "`hashes.bin`" + ` (the tree's stored hashes, which
let a verifier name the altered entry), ` + "`export.json`" + `, and the summary
(` + "`summary.csv`" + `, ` + "`summary.pdf`" + `), which is **not authoritative**.

## 1. Check that no file was changed

` + "```sh" + `
ssh-keygen -Y verify -f keys/allowed_signers -I '{{.Export.Origin}}' -n {{.Namespace}} -s MANIFEST.sha256.sig < MANIFEST.sha256
sha256sum -c --strict MANIFEST.sha256
` + "```" + `

## 2. Check the checkpoint's signature with openssl alone

The checkpoint is a signed note: its text up to the blank line is signed;
each signature line is ` + "`— <name> <base64>`" + `, where the base64 holds a 4-byte
key hash and the 64-byte Ed25519 signature.
{{range .Sigs}}
Signature line {{.Line}}, by key ` + "`{{.ID}}`" + `:

` + "```sh" + `
awk 'NF == 0 { exit } { print }' checkpoint > "${TMPDIR:-/tmp}/checkpoint.body"
sed -n '{{.Line}}p' checkpoint | awk '{ print $3 }' | base64 -d | tail -c 64 > "${TMPDIR:-/tmp}/checkpoint.sig"
openssl pkeyutl -verify -pubin -inkey keys/{{.Hash}}.pem -rawin -in "${TMPDIR:-/tmp}/checkpoint.body" -sigfile "${TMPDIR:-/tmp}/checkpoint.sig"
` + "```" + `
{{end}}
## 3. Recompute everything

` + "`retentiond ledger verify DIR`" + ` (any machine; it needs no database) re-reads
every entry, checks it is canonical, recomputes the Merkle tree and every
stored hash, checks every checkpoint's signature and root, follows key
rotations, and checks the entries' meaning: every policy digest resolves to a
policy text, every deletion was approved before it ran, outcomes and codes are
from the enumerated sets. It names the first entry that fails and why.
Give it the key you trust and the checkpoints you received by anchoring:

    retentiond ledger verify --key ledger.vkey --anchor /path/to/anchored/checkpoints DIR

A checkpoint received by anchoring that does not match these entries means the
history was rewritten after that checkpoint was sent, even if the rewriter had
the signing key.

To check by hand: the leaf hash of entry *i* is SHA-256 of a zero byte
followed by line *i* without its newline, and the tree is RFC 6962's
(https://www.rfc-editor.org/rfc/rfc6962#section-2.1).

## Was a given item deleted?

Whoever holds the reference key runs
` + "`retentiond ledger prove --source SOURCE --item PATH_OR_ID`" + ` on the live
system; it writes a ` + "`.tlog-proof`" + ` (https://c2sp.org/tlog-proof) that
` + "`retentiond ledger verify-proof`" + ` checks against these keys.
`))

type readmeKey struct {
	ID      string
	Current bool
}

type readmeSig struct {
	Line int
	ID   string
	Hash string
}

func renderReadme(exp Export, note []byte, keys map[string]*keyInfo) ([]byte, error) {
	data := struct {
		Export    Export
		Generated string
		Namespace string
		Keys      []readmeKey
		Sigs      []readmeSig
	}{Export: exp, Generated: exp.Generated.Format("2006-01-02 15:04 UTC"), Namespace: Namespace}
	for id, k := range keys {
		data.Keys = append(data.Keys, readmeKey{ID: id, Current: k.current})
	}
	sort.Slice(data.Keys, func(i, j int) bool { return data.Keys[i].ID < data.Keys[j].ID })
	lines := strings.Split(string(note), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "— ") {
			continue
		}
		ids := signers([]byte("x\n\n" + l + "\n"))
		if len(ids) != 1 {
			continue
		}
		k, ok := keys[ids[0]]
		if !ok {
			continue
		}
		data.Sigs = append(data.Sigs, readmeSig{Line: i + 1, ID: ids[0], Hash: k.key.HashHex()})
	}
	if len(data.Sigs) == 0 {
		return nil, fmt.Errorf("the checkpoint carries no signature by a known key")
	}
	var b bytes.Buffer
	if err := readmeTemplate.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
