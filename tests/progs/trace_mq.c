/* SPDX-License-Identifier: MIT */
/* A program with message queues for the trace tests: every POSIX mq call
 * on the queue NAME, then every System V msg call on a private queue. It
 * prints "msqid N" first, so that a test can remove the queue if this
 * program dies early; it removes both queues itself.
 * "trace_mq exec /NAME" opens the POSIX queue and execs "trace_mq use FD",
 * which sends on the descriptor it inherited (made inheritable) and closes
 * it. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
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

static int exec_use(const char *self, const char *name)
{
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	char fd[16];
	pid_t pid;
	int st;

	if (q == (mqd_t)-1)
		return perror("mq_open"), 1;
	snprintf(fd, sizeof fd, "%d", (int)q);
	/* glibc opens queues close-on-exec: handed to the child on purpose */
	if (fcntl(q, F_SETFD, 0))
		return perror("fcntl"), 1;
	if ((pid = fork()) == 0) {
		execl(self, self, "use", fd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		st = 1;
	mq_close(q);
	mq_unlink(name);
	return st != 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exec"))
		return exec_use("/proc/self/exe", argv[2]);
	if (argc == 3 && !strcmp(argv[1], "use")) {
		mqd_t q = (mqd_t)atoi(argv[2]);

		return mq_send(q, "x", 1, 0) || mq_close(q);
	}
	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: trace_mq /NAME\n");
		return 2;
	}
	return sysv_msg() || posix_mq(argv[1]);
}
