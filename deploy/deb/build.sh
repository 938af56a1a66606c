#!/usr/bin/env bash
# Builds the Debian package: retentiond_VERSION_ARCH.deb in OUTDIR.
#
#   deploy/deb/build.sh [OUTDIR]      (default: the current directory)
#
# The version is 0.1.N+gCOMMIT, N the number of commits; the binary's
# version, commit and build date (the commit's date, so that builds are
# reproducible) are given to the linker. The binary is built as the tests
# build it (with cgo where there is a C compiler, so user lookups go
# through NSS, as on a domain-joined host), which shares their build cache.
set -euo pipefail
OUT=$(realpath "${1:-.}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export PATH="/usr/local/go/bin:$PATH"

cd "$ROOT"
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
COUNT=$(git rev-list --count HEAD 2>/dev/null || echo 0)
DATE=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
VERSION="0.1.$COUNT+g$COMMIT"
ARCH=$(dpkg --print-architecture)
case "$ARCH" in
amd64 | arm64) GOARCH=$ARCH ;;
armhf) GOARCH=arm ;;
i386) GOARCH=386 ;;
*) echo "unsupported architecture $ARCH" >&2; exit 1 ;;
esac
PKG=$(mktemp -d)
chmod 0755 "$PKG"
trap 'rm -rf "$PKG"' EXIT

install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/lib/systemd/system" "$PKG/etc/retentiond" \
	"$PKG/usr/share/retentiond/policies" "$PKG/usr/share/doc/retentiond"
GOOS=linux GOARCH=$GOARCH go build \
	-ldflags "-s -w -X main.buildVersion=$VERSION -X main.buildCommit=$COMMIT -X main.buildDate=$DATE" \
	-o "$PKG/usr/bin/retentiond" ./cmd/retentiond
install -m 0644 deploy/systemd/retentiond.service "$PKG/lib/systemd/system/retentiond.service"
install -m 0640 "$HERE/retentiond.yaml" "$PKG/etc/retentiond/retentiond.yaml"
install -m 0644 configs/policies/*.yaml "$PKG/usr/share/retentiond/policies/"
install -m 0755 "$HERE/postinst" "$HERE/prerm" "$HERE/postrm" "$PKG/DEBIAN/"
cat >"$PKG/usr/share/doc/retentiond/copyright" <<TXT
retentiond: data-retention rules with approvals and a signed, tamper-evident ledger.
Source: https://github.com/retentiond/retentiond
TXT
echo /etc/retentiond/retentiond.yaml >"$PKG/DEBIAN/conffiles"
cat >"$PKG/DEBIAN/control" <<TXT
Package: retentiond
Version: $VERSION
Architecture: $ARCH
Maintainer: retentiond maintainers <retentiond@example.org>
Depends: adduser, libc6
Section: admin
Priority: optional
Installed-Size: $(du -sk "$PKG" | cut -f1)
Homepage: https://github.com/retentiond/retentiond
Description: data-retention rules with approvals and a signed ledger
 retentiond enforces retention rules for schools and municipalities: it
 lists file shares, CCTV recordings, mailboxes and school-system exports,
 plans what is due, lets approvers approve it, deletes it and records
 every outcome in a signed, tamper-evident ledger auditors verify offline.
TXT
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB="$OUT/retentiond_${VERSION}_$ARCH.deb"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
