/* SPDX-License-Identifier: MIT */
// qt5peer — the Qt 5 side of the interop tests: real QSharedMemory and
// QSystemSemaphore with Qt 5's legacy keys (a plain name), driven from the
// command line with the verbs of `nipc shm` / `nipc sem`.
//
// Lines on stdout are the protocol with the test: each is a word, optionally
// followed by a CLOCK_MONOTONIC time in nanoseconds (comparable across
// processes), flushed at once. Holding verbs wait for a line or EOF on stdin.
// Exit status: 0 ok; 2 usage; 10 + QSharedMemory::error(); 20 +
// QSystemSemaphore::error().
#include <QtCore/QSharedMemory>
#include <QtCore/QSystemSemaphore>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sched.h>
#include <unistd.h>

static long long now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *word)
{
	printf("%s %lld\n", word, now_ns());
	fflush(stdout);
}

// Any line (or EOF, or a signal) ends the wait; true for a line.
static bool wait_stdin()
{
	char c;

	while (read(0, &c, 1) == 1)
		if (c == '\n')
			return true;
	return false;
}

static volatile sig_atomic_t stop;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (!stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int usage()
{
	fputs("usage: qt5peer shm create NAME SIZE [--data TEXT] [--wait-failed]\n"
	      "                                                  (holds until a stdin line)\n"
	      "       qt5peer shm attach NAME                    (holds until a stdin line)\n"
	      "       qt5peer shm write NAME [--offset N]        (stdin -> segment)\n"
	      "       qt5peer shm cat NAME [--size N]\n"
	      "       qt5peer shm size NAME | key NAME\n"
	      "       qt5peer shm lock NAME [--for MS]           (else holds until a stdin line)\n"
	      "       qt5peer shm inc NAME N                     (N locked increments at a line)\n"
	      "       qt5peer sem create NAME INITIAL            (holds until a stdin line)\n"
	      "       qt5peer sem acquire NAME [N] [--hold] | release NAME [N] [--hold]\n",
	      stderr);
	return 2;
}

static bool num(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && end != s && !*end && *out >= 0;
}

// The arguments are nothing, or "OPT N" with N a number into *v (else kept).
static bool one_option(int argc, char **argv, const char *opt, long *v)
{
	if (argc == 1)
		return true;
	return argc == 3 && !strcmp(argv[1], opt) && num(argv[2], v);
}

static int shm_fail(QSharedMemory &shm, const char *what)
{
	fprintf(stderr, "qt5peer: %s: %s\n", what, qPrintable(shm.errorString()));
	return 10 + shm.error();
}

static int sem_fail(QSystemSemaphore &sem, const char *what)
{
	fprintf(stderr, "qt5peer: %s: %s\n", what, qPrintable(sem.errorString()));
	return 20 + sem.error();
}

static int shm_create(QSharedMemory &shm, int argc, char **argv)
{
	long size;

	if (argc < 2 || !num(argv[1], &size))
		return usage();
	const char *data = nullptr;
	bool wait_failed = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			data = argv[++i];
		else if (!strcmp(argv[i], "--wait-failed"))
			wait_failed = true;
		else
			return usage();
	}
	if (!shm.create(size)) {
		// --wait-failed: keep the QSharedMemory (and its lock semaphore
		// handle) until a stdin line, so the test sees what a failed
		// create left before the destructor runs.
		if (wait_failed) {
			say("failed");
			wait_stdin();
		}
		return shm_fail(shm, "create");
	}
	if (data) {
		if (strlen(data) > (size_t)shm.size())
			return usage();
		if (!shm.lock())
			return shm_fail(shm, "lock");
		memcpy(shm.data(), data, strlen(data));
		shm.unlock();
	}
	say("created");
	wait_stdin();
	if (!shm.detach())
		return shm_fail(shm, "detach");
	say("detached");
	return 0;
}

static int shm_attach(QSharedMemory &shm)
{
	if (!shm.attach())
		return shm_fail(shm, "attach");
	say("attached");
	wait_stdin();
	if (!shm.detach())
		return shm_fail(shm, "detach");
	say("detached");
	return 0;
}

static int shm_write(QSharedMemory &shm, int argc, char **argv)
{
	long off = 0;

	if (!one_option(argc, argv, "--offset", &off))
		return usage();
	if (!shm.attach())
		return shm_fail(shm, "attach");
	if (off > shm.size()) {
		fputs("qt5peer: write: offset beyond the segment\n", stderr);
		return 1;
	}
	QByteArray in;
	char buf[4096];
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0)
		in.append(buf, (int)n);
	if (in.size() > shm.size() - off) {
		fputs("qt5peer: write: input larger than the segment\n", stderr);
		return 1;
	}
	if (!shm.lock())
		return shm_fail(shm, "lock");
	memcpy((char *)shm.data() + off, in.constData(), in.size());
	shm.unlock();
	if (!shm.detach())
		return shm_fail(shm, "detach");
	return 0;
}

static int shm_cat(QSharedMemory &shm, int argc, char **argv)
{
	long limit = -1;

	if (!one_option(argc, argv, "--size", &limit))
		return usage();
	if (!shm.attach(QSharedMemory::ReadOnly))
		return shm_fail(shm, "attach");
	long n = shm.size();
	if (limit >= 0 && limit < n)
		n = limit;
	if (!shm.lock())
		return shm_fail(shm, "lock");
	QByteArray copy((const char *)shm.constData(), (int)n);
	shm.unlock();
	fwrite(copy.constData(), 1, copy.size(), stdout);
	fflush(stdout);
	if (!shm.detach())
		return shm_fail(shm, "detach");
	return 0;
}

static int shm_lock(QSharedMemory &shm, int argc, char **argv)
{
	long ms = -1;

	if (!one_option(argc, argv, "--for", &ms))
		return usage();
	say("trying");  // attach takes the lock too, so it may block already
	if (!shm.attach())
		return shm_fail(shm, "attach");
	if (!shm.lock())
		return shm_fail(shm, "lock");
	say("locked");
	if (ms >= 0)
		sleep_ms(ms);
	else
		wait_stdin();
	say("unlocking");
	if (!shm.unlock())
		return shm_fail(shm, "unlock");
	if (!shm.detach())
		return shm_fail(shm, "detach");
	say("detached");
	return 0;
}

// N increments of the counter at offset 0 under the lock, with a yield
// between read and write (as tests/progs/lockworker does for nipc); starts
// at a stdin line. Prints "done INCREMENTS ERRORS"; an increment whose lock
// failed is skipped.
static int shm_inc(QSharedMemory &shm, int argc, char **argv)
{
	long n, incs = 0, errs = 0;

	if (argc != 2 || !num(argv[1], &n))
		return usage();
	if (!shm.attach())
		return shm_fail(shm, "attach");
	if (shm.size() < 4)
		return usage();
	say("ready");
	if (!wait_stdin())
		return 4;
	volatile quint32 *c = static_cast<volatile quint32 *>(shm.data());
	for (long i = 0; i < n; i++) {
		if (!shm.lock()) {
			if (!errs++)
				fprintf(stderr, "qt5peer: lock: %s\n", qPrintable(shm.errorString()));
			continue;
		}
		quint32 v = *c;
		sched_yield();
		*c = v + 1;
		incs++;
		if (!shm.unlock() && !errs++)
			fprintf(stderr, "qt5peer: unlock: %s\n", qPrintable(shm.errorString()));
	}
	if (!shm.detach() && !errs++)
		fprintf(stderr, "qt5peer: detach: %s\n", qPrintable(shm.errorString()));
	printf("done %ld %ld\n", incs, errs);
	fflush(stdout);
	return errs ? 1 : 0;
}

static int shm_main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *verb = argv[0];
	QSharedMemory shm(QString::fromUtf8(argv[1]));
	argc -= 1;
	argv += 1;
	if (!strcmp(verb, "create"))
		return shm_create(shm, argc, argv);
	if (argc != 1 && (!strcmp(verb, "attach") || !strcmp(verb, "size") || !strcmp(verb, "key")))
		return usage();
	if (!strcmp(verb, "attach"))
		return shm_attach(shm);
	if (!strcmp(verb, "write"))
		return shm_write(shm, argc, argv);
	if (!strcmp(verb, "cat"))
		return shm_cat(shm, argc, argv);
	if (!strcmp(verb, "lock"))
		return shm_lock(shm, argc, argv);
	if (!strcmp(verb, "inc"))
		return shm_inc(shm, argc, argv);
	if (!strcmp(verb, "key")) {
		printf("%s\n", qPrintable(shm.nativeKey()));
		return 0;
	}
	if (!strcmp(verb, "size")) {
		if (!shm.attach(QSharedMemory::ReadOnly))
			return shm_fail(shm, "attach");
		printf("%d\n", shm.size());
		shm.detach();
		return 0;
	}
	return usage();
}

static int sem_main(int argc, char **argv)
{
	long n = 1;
	bool hold = false;

	// --hold (acquire, release): stay alive after the operation until a
	// stdin line, since System V undoes a process's operations at exit.
	if (argc > 2 && !strcmp(argv[argc - 1], "--hold")) {
		hold = true;
		argc--;
	}
	if (argc < 2 || argc > 3)
		return usage();
	if (argc == 3 && !num(argv[2], &n))
		return usage();
	const char *verb = argv[0];
	QString name = QString::fromUtf8(argv[1]);
	if (!strcmp(verb, "create")) {
		if (argc != 3)
			return usage();
		QSystemSemaphore sem(name, (int)n, QSystemSemaphore::Create);
		if (sem.error() != QSystemSemaphore::NoError)
			return sem_fail(sem, "create");
		say("created");
		wait_stdin();
		return 0;
	}
	QSystemSemaphore sem(name, 0, QSystemSemaphore::Open);
	if (sem.error() != QSystemSemaphore::NoError)
		return sem_fail(sem, "open");
	if (!strcmp(verb, "acquire")) {
		say("trying");
		for (long i = 0; i < n; i++)
			if (!sem.acquire())
				return sem_fail(sem, "acquire");
		say("acquired");
		if (hold)
			wait_stdin();
		return 0;
	}
	if (!strcmp(verb, "release")) {
		if (n < 1 || !sem.release((int)n))
			return n < 1 ? usage() : sem_fail(sem, "release");
		say("released");
		if (hold)
			wait_stdin();
		return 0;
	}
	return usage();
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	// SIGINT/SIGTERM end a hold (the read returns EINTR) so the peer detaches.
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "shm"))
		return shm_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sem"))
		return sem_main(argc - 2, argv + 2);
	return usage();
}
