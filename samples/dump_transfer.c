/* dump_transfer — a real deadlock: two tellers transfer between the same two
 * accounts in opposite orders.  A barrier makes sure each holds its first
 * account before asking for the second, so the run always deadlocks; the
 * shim's watchdog must report the cycle (and end the program with
 * --on-hang=exit).  `dump_transfer fork` deadlocks in a forked child while
 * the parent waits for it: the child needs a watchdog of its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct account {
	pthread_mutex_t lock;
	long balance;
};

struct account checking = { PTHREAD_MUTEX_INITIALIZER, 500 };
struct account savings = { PTHREAD_MUTEX_INITIALIZER, 500 };
static pthread_barrier_t both_hold_one;

static void transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static void *teller_1(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "teller-1");
	transfer(&checking, &savings, 100);
	return NULL;
}

static void *teller_2(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "teller-2");
	transfer(&savings, &checking, 40);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "fork")) {
		pid_t child = fork();
		if (child > 0) {
			int status = 0;
			waitpid(child, &status, 0);
			printf("dump_transfer: child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return 0;
		}
	}
	pthread_t t1, t2;
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&t1, NULL, teller_1, NULL);
	pthread_create(&t2, NULL, teller_2, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("dump_transfer: balances %ld %ld\n", checking.balance, savings.balance);
	return 0;
}
