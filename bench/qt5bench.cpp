/* SPDX-License-Identifier: MIT */
// The Qt 5 half of the objects benchmark (run by bench_objects): the same
// loops as bench_objects.c, with QSharedMemory and a legacy key.
// Usage: qt5bench NAME LOCK_ITERATIONS CYCLE_ITERATIONS
// Prints "lock_unlock_ns X" and "create_attach_detach_ns Y" (per operation).
#include <QtCore/QSharedMemory>

#include <cstdio>
#include <cstdlib>
#include <ctime>

static double now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int fail(QSharedMemory &shm, const char *what)
{
	fprintf(stderr, "qt5bench: %s: %s\n", what, qPrintable(shm.errorString()));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fputs("usage: qt5bench NAME LOCK_ITERATIONS CYCLE_ITERATIONS\n", stderr);
		return 2;
	}
	QString name = QString::fromUtf8(argv[1]);
	long nlock = atol(argv[2]), ncycle = atol(argv[3]);
	if (nlock < 1 || ncycle < 1) {
		fputs("qt5bench: iterations must be positive\n", stderr);
		return 2;
	}

	QSharedMemory shm(name);
	if (!shm.create(4096))
		return fail(shm, "create");
	double t0 = now_ns();
	for (long i = 0; i < nlock; i++) {
		if (!shm.lock())
			return fail(shm, "lock");
		shm.unlock();
	}
	double t1 = now_ns();
	if (!shm.detach())
		return fail(shm, "detach");
	printf("lock_unlock_ns %.1f\n", (t1 - t0) / nlock);

	QSharedMemory peer(name);
	t0 = now_ns();
	for (long i = 0; i < ncycle; i++) {
		if (!shm.create(4096))
			return fail(shm, "create");
		if (!peer.attach())
			return fail(peer, "attach");
		if (!peer.detach())
			return fail(peer, "detach");
		if (!shm.detach())
			return fail(shm, "detach");
	}
	t1 = now_ns();
	printf("create_attach_detach_ns %.1f\n", (t1 - t0) / ncycle);
	return 0;
}
