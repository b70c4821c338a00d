#!/bin/sh
# Semaphores under the shim: a binary semaphore used as a lock is ordered
# like a mutex (an inversion with both stacks, also through the
# pre-2.34 symbol versions); a sem_trywait in a C program never orders;
# counting and signalling semaphores are not locks (silence); a cycle seen
# through a semaphore before it showed it is a signal is dropped, and the
# same program with the semaphore used as a lock is reported.
set -u
. "$top_srcdir/tests/lib.sh"
ls_setup
ls_need objdump

# line_of FILE TEXT [NTH]: the line number of the NTH (default 1st) line containing TEXT.
line_of()
{
	grep -n -F -- "$2" "$top_srcdir/samples/$1" | sed -n "${3:-1}p" | cut -d: -f1
}

# --- a binary semaphore used as a lock, inverted with a mutex
take1=$(line_of sem_lock_inversion.c 'take(&table_sem);' 1)
lock1=$(line_of sem_lock_inversion.c 'pthread_mutex_lock(&stats_lock);' 1)
lock2=$(line_of sem_lock_inversion.c 'pthread_mutex_lock(&stats_lock);' 2)
take2=$(line_of sem_lock_inversion.c 'take(&table_sem);' 2)
ls_run_both sem_lock -- "$SAMPLES/sem_lock_inversion"
ls_expect_line "$TEXT_OUT" "sem_lock_inversion: wait: 1 entries, 1 reported" "the sample's own output"
ls_expect_report 1 \
	"table_sem>stats_lock@insert_entry:sem_lock_inversion.c:$take1@insert_entry:sem_lock_inversion.c:$lock1" \
	"stats_lock>table_sem@report_stats:sem_lock_inversion.c:$lock2@report_stats:sem_lock_inversion.c:$take2"
ls_expect_line "$TEXT_REPORT" "Cycle of 2 locks: table_sem -> stats_lock -> table_sem"
ls_expect_line "$TEXT_REPORT" "acquired stats_lock (mutex 0x"
ls_expect_line "$TEXT_REPORT" "while holding table_sem (semaphore 0x"
ls_expect_json "$JSON_REPORT" "sorted((e['held']['kind'], e['held'].get('class')) for e in d['inversions'][0]['cycle'])" \
	"[('mutex', None), ('semaphore', 'lock')]"
ls_expect_json "$JSON_REPORT" "[(l['kind'], l['class'], l['acquisitions']) for l in d['locks'] if l['name'] == 'table_sem']" \
	"[('semaphore', 'lock', 2)]"
ls_pass "a binary semaphore used as a lock: one inversion with the mutex, both stacks"

# --- a program linked against sem_wait@GLIBC_2.2.5 reaches the interposers too
objdump -T "$SAMPLES/sem_lock_inversion" | grep -q 'GLIBC_2\.2\.5.*[[:space:]]sem_wait$' ||
	ls_fail "the sample does not reference sem_wait@GLIBC_2.2.5 (objdump -T)"
ls_run sem_lock_oldabi -- "$SAMPLES/sem_lock_inversion" oldabi
ls_expect_status 0 "oldabi run"
ls_expect_line "$RUN_OUT" "sem_lock_inversion: oldabi: 1 entries, 1 reported"
ls_expect_inversions_text "$RUN_ERR" 1
ls_expect_cycle text "$RUN_ERR" 0 \
	"table_sem>stats_lock@insert_entry:sem_lock_inversion.c:$take1@insert_entry:sem_lock_inversion.c:$lock1" \
	"stats_lock>table_sem@report_stats:sem_lock_inversion.c:$lock2@report_stats:sem_lock_inversion.c:$take2"
ls_pass "sem_wait@GLIBC_2.2.5 and sem_post@GLIBC_2.2.5 are tracked like the 2.34 ones"

# --- a C program's sem_trywait is a try: no order edge, no inversion
ls_run sem_lock_trywait --format=json --output="$LS_WORK/trywait.json" -- "$SAMPLES/sem_lock_inversion" trywait
ls_expect_status 0 "trywait run"
ls_expect_line "$RUN_OUT" "sem_lock_inversion: trywait: 1 entries, 1 reported"
ls_expect_inversions_json "$LS_WORK/trywait.json" 0
ls_expect_json "$LS_WORK/trywait.json" "[l['acquisitions'] for l in d['locks'] if l['name'] == 'table_sem']" "[2]"
ls_pass "sem_trywait under a mutex: counted, never ordered"

# --- counting semaphores, producers and consumers: nothing to report
ls_run_both prodcons -- "$SAMPLES/sem_prodcons"
ls_expect_line "$TEXT_OUT" "sem_prodcons: 40000 items, sum correct" "the sample's own output"
ls_expect_report 0
grep -E -q '^lockscope: (deadlock|hang|stall|hold-and-wait)' "$TEXT_REPORT" && ls_fail "prodcons: a watchdog finding"
ls_expect_json "$JSON_REPORT" "sorted((l['name'], l['class'], l['acquisitions'], l['contended']) for l in d['locks'] if l['kind'] == 'semaphore')" \
	"[('filled_slots', 'signal', 40000, 0), ('finished', 'signal', 2, 0), ('free_slots', 'signal', 40000, 0)]"
ls_expect_json "$JSON_REPORT" "[e for e in d['lock_order'] if e['held']['kind'] == 'semaphore' or e['acquired']['kind'] == 'semaphore']" "[]"
ls_pass "counting semaphores: signals, no edge, no contention, no finding"

# --- a baton: the cycle is seen before the semaphore shows it is a signal
ls_run baton -v -- "$SAMPLES/sem_baton"
ls_expect_status 0 "baton run"
ls_expect_line "$RUN_OUT" "sem_baton: baton: phases 1 2"
ls_expect_inversions_text "$RUN_ERR" 0
ls_expect_line "$RUN_ERR" "lockscope: (verbose) 1 cycle through semaphores held back and dropped" "the cycle was seen and dropped"
ls_pass "a semaphore passed as a baton: the cycle through it is dropped, nothing reported"

wait1=$(line_of sem_baton.c 'sem_wait(&turn);' 1)
block1=$(line_of sem_baton.c 'pthread_mutex_lock(&stats_lock);' 1)
block2=$(line_of sem_baton.c 'pthread_mutex_lock(&stats_lock);' 2)
wait2=$(line_of sem_baton.c 'sem_wait(&turn);' 2)
ls_run baton_lock -- "$SAMPLES/sem_baton" lock
ls_expect_status 0 "baton as a lock"
ls_expect_line "$RUN_OUT" "sem_baton: lock: phases 1 2"
ls_expect_inversions_text "$RUN_ERR" 1
ls_expect_cycle text "$RUN_ERR" 0 \
	"turn>stats_lock@phase_one:sem_baton.c:$wait1@phase_one:sem_baton.c:$block1" \
	"stats_lock>turn@phase_two:sem_baton.c:$block2@phase_two:sem_baton.c:$wait2"
ls_pass "the same semaphore used as a lock: the inversion is reported"
