#!/usr/bin/env bash
# Builds the Windows installer: retentiond-VERSION-x64.msi in OUTDIR.
#
#   deploy/windows/build.sh [OUTDIR]      (default: the current directory)
#
# Needs Go and wixl (apt-get install wixl). The MSI's version is
# 0.1.N, N the number of commits, since an MSI version is three numbers;
# the binary's own version, commit and date come from git as for the .deb.
set -euo pipefail
OUT=$(realpath "${1:-.}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
command -v wixl >/dev/null || { echo "wixl is not installed: apt-get install wixl" >&2; exit 1; }

cd "$ROOT"
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
COUNT=$(git rev-list --count HEAD 2>/dev/null || echo 0)
DATE=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION="0.1.$COUNT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build \
	-ldflags "-X main.buildVersion=$VERSION -X main.buildCommit=$COMMIT -X main.buildDate=$DATE" \
	-o "$WORK/retentiond.exe" ./cmd/retentiond
# Windows line ends for the files an administrator opens in Notepad.
mkdir "$WORK/policies"
sed 's/$/\r/' "$HERE/retentiond.yaml.example" >"$WORK/retentiond.yaml.example"
for f in "$ROOT"/configs/policies/*.yaml; do
	sed 's/$/\r/' "$f" >"$WORK/policies/$(basename "$f")"
done
# wixl resolves sources relative to the current directory only.
(cd "$WORK" && wixl -a x64 -D Version="$VERSION" -D Exe=retentiond.exe -D Config=retentiond.yaml.example \
	-D Policies=policies -o "$OUT/retentiond-$VERSION-x64.msi" "$HERE/retentiond.wxs")
echo "$OUT/retentiond-$VERSION-x64.msi"
