# rwlocks: write then read in opposite orders is an inversion; read then
# read in opposite orders is not (readers do not wait for readers).
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_run_both rwlock_wr -- "$SAMPLES/rwlock_inversion" write-read
ls_expect_line "$TEXT_OUT" "rwlock_inversion write-read: 1 lookups" "the sample's own output"
ls_expect_report 1 \
	"table>journal@writer:rwlock_inversion.c:22@writer:rwlock_inversion.c:23" \
	"journal>table@reader:rwlock_inversion.c:33@reader:rwlock_inversion.c:34"
ls_expect_json "$JSON_REPORT" "sorted((e['held']['name'], e['held_mode'], e['acquired_mode']) for e in d['inversions'][0]['cycle'])" \
	"[('journal', 'exclusive', 'read'), ('table', 'write', 'exclusive')]"
ls_expect_line "$TEXT_REPORT" "while holding table (rwlock 0x"
ls_expect_line "$TEXT_REPORT" "acquired table (rwlock 0x"
ls_pass "rwlock_inversion write-read: one inversion with its modes"

ls_run_both rwlock_rr -- "$SAMPLES/rwlock_inversion" read-read
ls_expect_line "$TEXT_OUT" "rwlock_inversion read-read: 2 lookups" "the sample's own output"
ls_expect_report 0
ls_expect_json "$JSON_REPORT" "len(d['lock_order'])" 2
ls_pass "rwlock_inversion read-read: no inversion"
