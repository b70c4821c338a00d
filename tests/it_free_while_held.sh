# A lock freed while held does not linger: no edges from it, and a new lock
# at its address is a new lock (not a recursive re-lock of the dead one).
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both free_while_held -- "$SAMPLES/free_while_held"
ls_expect_line "$TEXT_OUT" "free_while_held: value 2" "the sample's own output"
object="mutex initialized at free_while_held.c:25"
ls_expect_report 1 \
	"$object>registry@main:free_while_held.c:58@main:free_while_held.c:59" \
	"registry>$object@worker:free_while_held.c:34@worker:free_while_held.c:35"
ls_pass "free_while_held: one inversion, between the new object's lock and registry"
