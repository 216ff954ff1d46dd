/* SPDX-License-Identifier: MIT */
/* A program with message queues for the trace tests: every POSIX mq call
 * on the queue NAME, then every System V msg call on a private queue. It
 * prints "msqid N" first, so that a test can remove the queue if this
 * program dies early; it removes both queues itself. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

struct msg {
	long mtype;
	char mtext[16];
};

static int posix_mq(const char *name)
{
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	struct timespec past = {0, 0};
	char buf[16];
	unsigned prio = 0;
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);

	if (q == (mqd_t)-1)
		return perror("mq_open"), 1;
	if (mq_send(q, "hello", 5, 1) || mq_timedsend(q, "world", 5, 2, &past))
		return perror("mq_send"), 1;
	if (mq_receive(q, buf, sizeof buf, &prio) != 5 ||
	    mq_timedreceive(q, buf, sizeof buf, NULL, &past) != 5)
		return perror("mq_receive"), 1;
	/* empty, a deadline in the past: ETIMEDOUT */
	if (mq_timedreceive(q, buf, sizeof buf, NULL, &past) != -1 || errno != ETIMEDOUT)
		return fprintf(stderr, "mq_timedreceive: no ETIMEDOUT\n"), 1;
	if (mq_notify(q, &ev) || mq_notify(q, NULL))
		return perror("mq_notify"), 1;
	if (mq_close(q) || mq_unlink(name))
		return perror("mq_close"), 1;
	return 0;
}

static int sysv_msg(void)
{
	struct msg m = {7, "ping"}, r;
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		return perror("msgget"), 1;
	printf("msqid %d\n", id);
	fflush(stdout);
	if (msgsnd(id, &m, 4, 0) || msgrcv(id, &r, sizeof r.mtext, 0, 0) != 4)
		return perror("msgsnd"), 1;
	if (msgrcv(id, &r, sizeof r.mtext, 0, IPC_NOWAIT) != -1 || errno != ENOMSG)
		return fprintf(stderr, "msgrcv: no ENOMSG\n"), 1;
	if (msgctl(id, IPC_RMID, NULL))
		return perror("msgctl"), 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: trace_mq /NAME\n");
		return 2;
	}
	return sysv_msg() || posix_mq(argv[1]);
}
