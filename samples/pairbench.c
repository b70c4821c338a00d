/* pairbench — a fixed number of lock/unlock pairs of one kind, for counting
 * the instructions the shim adds per pair (tests/fastpath_budget.sh runs it
 * under callgrind, natively and under the shim).
 *
 * usage: pairbench [-t] MODE PAIRS
 *   mutex    lock/unlock a default mutex
 *   nested   lock A, lock B, unlock B, unlock A (two pairs per round)
 *   normal   lock/unlock a PTHREAD_MUTEX_NORMAL mutex
 *   trylock  trylock/unlock a default mutex
 *   rdlock   rdlock/unlock a rwlock
 *   wrlock   wrlock/unlock a rwlock
 *   spin     lock/unlock a spinlock
 *   c11      mtx_lock/mtx_unlock an mtx_plain
 *   sem      sem_wait/sem_post a binary semaphore used as a lock
 *   semtry   sem_trywait/sem_post it (CPython's uncontended threading.Lock)
 *   semnested sem_wait A, sem_wait B, sem_post B, sem_post A (two pairs)
 *   signal   sem_post/sem_wait a semaphore used as a signal (one thread
 *            posts what it then takes: never held)
 * -t: a second thread exists (idle, blocked in read(2)) while the pairs
 * run: glibc's and the shim's lock and unlock then take the atomic
 * instructions they skip while a program has one thread.
 * Every lock is taken a few times first (the shim's first sight of a call
 * is its slow path), then run_pairs() does PAIRS pairs and nothing else, so
 * that callgrind can count it alone (--toggle-collect=run_pairs).  Nothing
 * is timed and nothing depends on time: the counts are the same run to run.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

static pthread_mutex_t mutex_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t normal;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static mtx_t c11;
static sem_t sem_a, sem_b, sem_signal;
static volatile long counter;

/* One round of each mode: the pairs it makes. */
#define ROUND(name, lock_fn, unlock_fn, l)                                    \
	static int round_##name(void)                                         \
	{                                                                     \
		lock_fn(l);                                                   \
		counter++;                                                    \
		unlock_fn(l);                                                 \
		return 1;                                                     \
	}
ROUND(mutex, pthread_mutex_lock, pthread_mutex_unlock, &mutex_a)
ROUND(normal, pthread_mutex_lock, pthread_mutex_unlock, &normal)
ROUND(rdlock, pthread_rwlock_rdlock, pthread_rwlock_unlock, &rwlock)
ROUND(wrlock, pthread_rwlock_wrlock, pthread_rwlock_unlock, &rwlock)
ROUND(spin, pthread_spin_lock, pthread_spin_unlock, &spin)
ROUND(c11, mtx_lock, mtx_unlock, &c11)
ROUND(sem, sem_wait, sem_post, &sem_a)
ROUND(signal, sem_post, sem_wait, &sem_signal)

static int round_semtry(void)
{
	if (sem_trywait(&sem_a) == 0) {
		counter++;
		sem_post(&sem_a);
	}
	return 1;
}

static int round_semnested(void)
{
	sem_wait(&sem_a);
	sem_wait(&sem_b);
	counter++;
	sem_post(&sem_b);
	sem_post(&sem_a);
	return 2;
}

static int round_nested(void)
{
	pthread_mutex_lock(&mutex_a);
	pthread_mutex_lock(&mutex_b);
	counter++;
	pthread_mutex_unlock(&mutex_b);
	pthread_mutex_unlock(&mutex_a);
	return 2;
}

static int round_trylock(void)
{
	if (pthread_mutex_trylock(&mutex_a) == 0) {
		counter++;
		pthread_mutex_unlock(&mutex_a);
	}
	return 1;
}

static const struct mode {
	const char *name;
	int (*round)(void);
} modes[] = {
	{ "mutex", round_mutex },   { "nested", round_nested }, { "normal", round_normal },
	{ "trylock", round_trylock }, { "rdlock", round_rdlock }, { "wrlock", round_wrlock },
	{ "spin", round_spin },     { "c11", round_c11 },       { "sem", round_sem },
	{ "semtry", round_semtry }, { "semnested", round_semnested }, { "signal", round_signal },
};

/* The measured part: nothing but the rounds. */
__attribute__((noinline)) static long run_pairs(int (*round)(void), long pairs)
{
	long done = 0;
	while (done < pairs)
		done += round();
	return done;
}

static int idle_pipe[2];

static void *idle(void *arg)
{
	char c;
	(void)arg;
	return read(idle_pipe[0], &c, 1) < 0 ? NULL : arg;
}

int main(int argc, char **argv)
{
	long pairs;
	pthread_t idler;
	int threaded = argc > 1 && !strcmp(argv[1], "-t");
	argv += threaded;
	argc -= threaded;
	if (argc != 3 || (pairs = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: pairbench [-t] mutex|nested|normal|trylock|rdlock|wrlock|spin|c11|sem|semtry|"
				"semnested|signal PAIRS\n");
		return 2;
	}
	if (threaded && (pipe(idle_pipe) != 0 || pthread_create(&idler, NULL, idle, NULL) != 0)) {
		perror("pairbench: idle thread");
		return 1;
	}
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL);
	pthread_mutex_init(&normal, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	mtx_init(&c11, mtx_plain);
	sem_init(&sem_a, 0, 1);
	sem_init(&sem_b, 0, 1);
	sem_init(&sem_signal, 0, 0);
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(argv[1], modes[i].name)) {
			run_pairs(modes[i].round, 8); /* first sights: the slow path */
			/* past the statistics clock's calibration (its first 50 ms
			 * read the clock on every conversion: hold_time's counts
			 * would depend on how fast the run goes) */
			usleep(60 * 1000);
			printf("%s %ld\n", modes[i].name, run_pairs(modes[i].round, pairs));
			if (threaded) {
				close(idle_pipe[1]);
				pthread_join(idler, NULL);
			}
			return 0;
		}
	fprintf(stderr, "pairbench: unknown mode %s\n", argv[1]);
	return 2;
}
