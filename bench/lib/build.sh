# shellcheck shell=bash
# Binaries for the benches, sourced by bench/*.sh; HERE is the module root.
#
#   bench_retentiond DIR   puts the retentiond under test at DIR/retentiond:
#                          a copy of RETENTIOND_BIN when it is set (a binary
#                          built elsewhere, e.g. from an earlier commit),
#                          else one built from this tree
#   bench_tools DIR PKG... builds each ./bench/PKG of this tree to DIR/PKG
#                          (the data makers and fakes are always this tree's)

bench_retentiond() {
	if [ -n "${RETENTIOND_BIN:-}" ]; then
		[ -x "$RETENTIOND_BIN" ] || { echo "RETENTIOND_BIN=$RETENTIOND_BIN is not an executable file" >&2; return 1; }
		cp "$RETENTIOND_BIN" "$1/retentiond"
	else
		(cd "$HERE" && go build -o "$1/retentiond" ./cmd/retentiond)
	fi
}

bench_tools() {
	local dir=$1 pkg
	shift
	for pkg in "$@"; do
		(cd "$HERE" && go build -o "$dir/$pkg" "./bench/$pkg")
	done
}
