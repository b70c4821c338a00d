# check_pylayout_missing.sh — stands in for tests/check_pylayout when
# configure found no Python development headers (pkg-config python3,
# 3.11 or 3.12): lib/python's built-in layout table is then not checked
# against the headers, and make check says so by failing.
echo "FAIL: tests/check_pylayout was not built: configure found no python3 (3.11 or 3.12) headers;" \
	"install them (Debian: apt-get install libpython3-dev) and run configure again"
exit 1
