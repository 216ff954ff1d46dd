/* SPDX-License-Identifier: MIT */
// A plain Qt 5 program for the trace tests: QSharedMemory with a legacy
// key (System V on Debian's Qt 5) — create, lock, write, unlock, detach.
// Prints the segment's native key so the test knows the key file names.
#include <QtCore/QSharedMemory>
#include <cstdio>
#include <cstring>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s NAME\n", argv[0]);
		return 2;
	}
	QSharedMemory shm(QString::fromUtf8(argv[1]));
	if (!shm.create(4096)) {
		fprintf(stderr, "create: %s\n", qPrintable(shm.errorString()));
		return 1;
	}
	if (!shm.lock()) {
		fprintf(stderr, "lock: %s\n", qPrintable(shm.errorString()));
		return 1;
	}
	memcpy(shm.data(), "hello", 6);
	shm.unlock();
	printf("%s\n", qPrintable(shm.nativeKey()));
	fflush(stdout);
	if (!shm.detach()) {
		fprintf(stderr, "detach: %s\n", qPrintable(shm.errorString()));
		return 1;
	}
	return 0;
}
