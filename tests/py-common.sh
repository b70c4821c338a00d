# py-common.sh — the CPython interpreters the Python tests run (sourced
# after lib.sh).
#
# Debian's /usr/bin/python3 (3.11 on Debian 12) is required: a test fails
# without it.  Other versions run where they are installed and are skipped
# with a message otherwise: ls_find_python 3.12 prints the path of a real
# interpreter binary (not a pyenv shim script) from $LOCKSCOPE_TEST_PYTHON_3_12,
# /usr/bin, /usr/local/bin or a pyenv installation, or nothing.

DEBIAN_PYTHON=/usr/bin/python3

ls_need_debian_python()
{
	[ -x "$DEBIAN_PYTHON" ] || ls_fail "$DEBIAN_PYTHON is missing (install Debian's python3)"
}

ls_find_python()
{
	v=$1
	var="LOCKSCOPE_TEST_PYTHON_$(printf %s "$v" | tr . _)"
	eval "given=\${$var:-}"
	root=${PYENV_ROOT:-$HOME/.pyenv}
	for p in $given /usr/bin/python$v /usr/local/bin/python$v "$root"/versions/$v.*/bin/python$v; do
		if [ -x "$p" ] && "$p" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$v'.split('.'))))" 2>/dev/null; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 0
}

# The interpreters to test: Debian's, then each other version found,
# printing a skip message for the missing ones.
ls_pythons()
{
	printf '%s\n' "$DEBIAN_PYTHON"
	for v in "$@"; do
		p=$(ls_find_python "$v")
		if [ -n "$p" ]; then
			printf '%s\n' "$p"
		else
			printf 'skip: no CPython %s interpreter here\n' "$v" >&2
		fi
	done
}
