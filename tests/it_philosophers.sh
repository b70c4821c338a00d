# Five dining philosophers: one inversion, a 5-lock cycle printed in full.
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both philosophers -- "$SAMPLES/philosophers"
ls_expect_line "$TEXT_OUT" "philosophers: 5 meals eaten" "the sample's own output"
site="@philosopher:philosophers.c:20@philosopher:philosophers.c:21"
ls_expect_report 1 \
	"forks>forks+40$site" "forks+40>forks+80$site" "forks+80>forks+120$site" \
	"forks+120>forks+160$site" "forks+160>forks$site"
ls_expect_line "$TEXT_REPORT" "Cycle of 5 locks: forks -> forks+40 -> forks+80 -> forks+120 -> forks+160 -> forks"
ls_pass "philosophers: the 5-lock cycle, every edge with its call sites"
