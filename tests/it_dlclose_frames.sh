# Frames inside a library that was dlclose()d before the report are still
# symbolized (the immediate text finding and the exit JSON report).
. "$top_srcdir/tests/lib.sh"
ls_setup
plugin="$SAMPLES/.libs/libplugin.so"
[ -f "$plugin" ] || ls_fail "$plugin is not built"
ls_run_both dlclose_frames -- "$SAMPLES/dlclose_frames" "$plugin"
ls_expect_line "$TEXT_OUT" "dlclose_frames: 2 calls, plugin unloaded" "the sample's own output"
ls_expect_report 1 \
	"lock_a>lock_b@plugin_function:libplugin.c:9@plugin_function:libplugin.c:10" \
	"lock_b>lock_a@main:dlclose_frames.c:43@main:dlclose_frames.c:44"
ls_expect_json "$JSON_REPORT" "[e['held_stack'][0]['module'].endswith('libplugin.so') for e in d['inversions'][0]['cycle'] if e['held']['name'] == 'lock_a']" \
	"[True]"
ls_pass "dlclose_frames: the unloaded plugin's frames keep their names and lines"
