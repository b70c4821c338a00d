/* dump_pool — a thread pool starved by its own tasks.  Two workers each run
 * a parent task that queues a subtask and waits for it; the subtasks sit in
 * the queue behind the parents forever.  No lock cycle: every thread is
 * blocked in a condition wait (workers) or a join (main) — a global stall. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#define WORKERS 2
#define QUEUE_MAX 16

struct task {
	void (*run)(struct task *);
	bool done;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t work_available = PTHREAD_COND_INITIALIZER;
pthread_cond_t task_finished = PTHREAD_COND_INITIALIZER;
static struct task *queue[QUEUE_MAX];
static int queued;

static void submit(struct task *t)
{
	pthread_mutex_lock(&pool_lock);
	queue[queued++] = t;
	pthread_cond_signal(&work_available);
	pthread_mutex_unlock(&pool_lock);
}

static void wait_for(struct task *t)
{
	pthread_mutex_lock(&pool_lock);
	while (!t->done)
		pthread_cond_wait(&task_finished, &pool_lock);
	pthread_mutex_unlock(&pool_lock);
}

static void subtask(struct task *t) { (void)t; }

static struct task subtasks[WORKERS];

static void parent_task(struct task *t)
{
	static int next;
	(void)t;
	pthread_mutex_lock(&pool_lock);
	struct task *sub = &subtasks[next++];
	pthread_mutex_unlock(&pool_lock);
	sub->run = subtask;
	submit(sub);
	wait_for(sub);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "pool-worker");
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (queued == 0)
			pthread_cond_wait(&work_available, &pool_lock);
		struct task *t = queue[0];
		for (int i = 1; i < queued; i++)
			queue[i - 1] = queue[i];
		queued--;
		pthread_mutex_unlock(&pool_lock);
		t->run(t);
		pthread_mutex_lock(&pool_lock);
		t->done = true;
		pthread_cond_broadcast(&task_finished);
		pthread_mutex_unlock(&pool_lock);
	}
	return NULL;
}

int main(void)
{
	static struct task parents[WORKERS];
	pthread_t w[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		parents[i].run = parent_task;
		submit(&parents[i]);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	puts("dump_pool: all tasks done");
	return 0;
}
