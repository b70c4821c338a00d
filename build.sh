#!/bin/sh
# build.sh — the two quick-start commands of the README.
#   ./build.sh demo    install missing Debian packages, build, run a sample under `lockscope run`
#   ./build.sh check   install missing Debian packages, build, run the whole test suite
#                      (unit + integration tests, ASan+UBSan build of lib and tools,
#                      a short fuzzing run of the report reader, make distcheck)
# Builds go to _build/ (and _build-asan/ for the sanitizer build) beside this script.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
mode=${1:-demo}
jobs=$(nproc 2>/dev/null || echo 2)

packages="build-essential autoconf automake libtool pkg-config libunwind-dev libdw-dev
libelf-dev libdeflate-dev libncurses-dev check libsubunit-dev libjansson-dev elfutils libc6-dbg
tmux graphviz clang libclang-rt-14-dev gdb python3 libpython3-dev procps valgrind zstd xz-utils"

install_missing() {
	missing=
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "build.sh: installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: not root: install these packages first:$missing" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

configure_in() { # dir, configure args...
	dir=$1; shift
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" --enable-werror "$@")
	fi
}

build() {
	[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
	configure_in _build
	make -C _build -j"$jobs"
}

case $mode in
demo)
	install_missing
	build
	echo "build.sh: running samples/abba under lockscope run (a two-worker ABBA inversion):"
	exec _build/tools/lockscope run -- _build/samples/abba
	;;
check)
	install_missing
	build
	make -C _build -j"$jobs" check
	configure_in _build-asan --enable-sanitizers
	make -C _build-asan -j"$jobs" check
	make -C _build -j"$jobs" fuzz-smoke
	make -C _build -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
	echo "build.sh: all tests passed"
	;;
*)
	echo "usage: $0 demo|check" >&2
	exit 2
	;;
esac
