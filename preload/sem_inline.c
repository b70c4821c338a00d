/* sem_inline.c — whether glibc's semaphores work the way sem_inline.h
 * assumes (see its contract). */
#include "config.h"

#include <gnu/libc-version.h>
#include <stdio.h>

#include "sem_inline.h"

bool ls_sem_inline;
uint8_t ls_sem_fast_class = 0xff;

_Static_assert(sizeof(sem_t) >= sizeof(uint64_t), "a semaphore holds at least its word");

static bool word_is(sem_t *s, uint64_t value) { return __atomic_load_n(ls_sem_word(s), __ATOMIC_RELAXED) == value; }

/* glibc 2.21 introduced the one-word layout. */
static bool glibc_has_word_layout(void)
{
	unsigned major = 0, minor = 0;
	return sizeof(void *) == 8 && sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor) == 2 &&
	       (major > 2 || (major == 2 && minor >= 21));
}

/* glibc's init, trywait and post on a fresh semaphore, each checked for
 * the word it leaves; then the inline attempt and post paired with
 * glibc's other half. */
static bool protocol_as_expected(const ls_glibc_sem_functions *glibc, int pshared)
{
	sem_t s;
	if (glibc->init(&s, pshared, 1) != 0 || !word_is(&s, 1) || glibc->trywait(&s) != 0 || !word_is(&s, 0) ||
	    glibc->trywait(&s) != -1 || errno != EAGAIN || !word_is(&s, 0) || glibc->post(&s) != 0 || !word_is(&s, 1) ||
	    glibc->init(&s, pshared, 3) != 0 || !word_is(&s, 3))
		return false;
	return ls_sem_try_inline(&s) == 0 && word_is(&s, 2) && ls_sem_post_uncontended(&s) && word_is(&s, 3) &&
	       glibc->trywait(&s) == 0 && glibc->trywait(&s) == 0 && glibc->trywait(&s) == 0 && word_is(&s, 0) &&
	       ls_sem_try_inline(&s) == EAGAIN && ls_sem_post_uncontended(&s) && glibc->trywait(&s) == 0 &&
	       word_is(&s, 0) &&
	       /* the lock-like pair, against glibc's other half */
	       ls_sem_take_free(&s) == EAGAIN && glibc->post(&s) == 0 && ls_sem_take_free(&s) == 0 && word_is(&s, 0) &&
	       ls_sem_give_back(&s) && word_is(&s, 1) && glibc->trywait(&s) == 0 && ls_sem_give_back(&s) &&
	       glibc->post(&s) == 0 && word_is(&s, 2) && !ls_sem_give_back(&s) &&
	       ls_sem_take_free(&s) == LS_SEM_NOT_INLINE && word_is(&s, 2);
}

void ls_sem_inline_check(const ls_glibc_sem_functions *glibc)
{
	int saved = errno;
	ls_sem_inline = glibc->init && glibc->trywait && glibc->post && glibc_has_word_layout() &&
			protocol_as_expected(glibc, 0) && protocol_as_expected(glibc, 1);
	ls_sem_fast_class = ls_sem_inline ? LS_SEM_LOCK : 0xff;
	errno = saved;
}
