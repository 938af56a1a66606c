# shellcheck shell=bash
# Binaries for the benches, sourced by bench/*.sh; HERE is the module root.
#
#   bench_retentiond DIR   puts the retentiond under test at DIR/retentiond:
#                          a copy of RETENTIOND_BIN when it is set (a binary
#                          built elsewhere, e.g. from an earlier commit),
#                          else one built from this tree
#   bench_tools DIR PKG... builds each ./bench/PKG of this tree to DIR/PKG
#                          (the data makers and fakes are always this tree's)
#   bench_needs "COMMAND" [FLAG...]
#                          exits 3, saying so, if WORK/retentiond lacks the
#                          command or one of its flags (an older binary)

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

# bench_needs "COMMAND" [FLAG...]: stops the bench (exit 3) with a clear
# message when the retentiond under test (WORK/retentiond, e.g. a binary
# built from an earlier commit) has no such command, or a command without
# one of the flags, that the bench uses; bench/all.sh --before shows that
# message for the bench's row instead of a failure further on.
bench_needs() {
	local cmd=$1 help f
	shift
	# shellcheck disable=SC2086 # COMMAND is one or more words
	help=$("$WORK/retentiond" $cmd --help 2>&1 || true)
	if ! grep -qE "^ +retentiond $cmd( |\$)" <<<"$help"; then
		echo "bench/$(basename "$0") needs \`retentiond $cmd\`, which this retentiond (${RETENTIOND_BIN:-built from this tree}) lacks: build one from a newer commit" >&2
		exit 3
	fi
	for f in "$@"; do
		if ! grep -qE -- "(^|[ ,])$f( |=|\$)" <<<"$help"; then
			echo "bench/$(basename "$0") needs \`retentiond $cmd $f\`, which this retentiond (${RETENTIOND_BIN:-built from this tree}) lacks: build one from a newer commit" >&2
			exit 3
		fi
	done
}
