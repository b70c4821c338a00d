/* c11_mtx — ABBA with C11 <threads.h> mutexes, and a C11 condition wait.
 *
 * glibc's mtx_lock does not go through pthread_mutex_lock, so a shim that
 * only interposes the pthread names sees nothing.  worker_1 takes lock_a
 * then lock_b, worker_2 the opposite: one inversion.  Then a consumer waits
 * with cnd_wait for a value a producer posts (it must still work under the
 * shim).  Threads are sequenced, so this run never deadlocks. */
#include <stdio.h>
#include <threads.h>

static mtx_t lock_a, lock_b, mailbox_lock;
static cnd_t mailbox_cond;
static int mailbox, counter;

static int worker_1(void *arg)
{
	(void)arg;
	mtx_lock(&lock_a);
	mtx_lock(&lock_b);
	counter++;
	mtx_unlock(&lock_b);
	mtx_unlock(&lock_a);
	return 0;
}

static int worker_2(void *arg)
{
	(void)arg;
	mtx_lock(&lock_b);
	mtx_lock(&lock_a);
	counter++;
	mtx_unlock(&lock_a);
	mtx_unlock(&lock_b);
	return 0;
}

static int consumer(void *arg)
{
	int *received = arg;
	mtx_lock(&mailbox_lock);
	while (mailbox == 0)
		cnd_wait(&mailbox_cond, &mailbox_lock);
	*received = mailbox;
	mtx_unlock(&mailbox_lock);
	return 0;
}

static void run(thrd_start_t fn, void *arg)
{
	thrd_t t;
	thrd_create(&t, fn, arg);
	thrd_join(t, NULL);
}

int main(void)
{
	mtx_init(&lock_a, mtx_plain);
	mtx_init(&lock_b, mtx_plain);
	mtx_init(&mailbox_lock, mtx_plain);
	cnd_init(&mailbox_cond);
	run(worker_1, NULL);
	run(worker_2, NULL);

	int received = 0;
	thrd_t t;
	thrd_create(&t, consumer, &received);
	mtx_lock(&mailbox_lock);
	mailbox = 42;
	cnd_signal(&mailbox_cond);
	mtx_unlock(&mailbox_lock);
	thrd_join(t, NULL);
	printf("c11_mtx: counter %d, received %d\n", counter, received);
	mtx_destroy(&lock_a);
	mtx_destroy(&lock_b);
	mtx_destroy(&mailbox_lock);
	cnd_destroy(&mailbox_cond);
	return 0;
}
