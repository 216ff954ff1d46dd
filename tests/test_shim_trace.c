/* SPDX-License-Identifier: MIT */
/* The shim's events: every interposed function, success and failure, both
 * formats, the filter, errno, escaping — from real runs of
 * tests/progs/shim_ops under LD_PRELOAD. */
#include "config.h"

#include "tlib.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <time.h>
#include <unistd.h>

/* Runs shim_ops SCENARIO ARG traced as JSON into a fresh file. */
static int run_ops(const char *scenario, const char *arg, const char *filter, const char *file,
		   const char *format, const char *out, const char *err)
{
	const char *argv[] = {tl_prog("shim_ops"), scenario, arg, NULL};
	struct tl_opts r = {.trace = filter, .trace_file = file, .trace_format = format, .preload = 1,
			   .out = out, .err = err};

	unlink(file);
	return tl_run(NULL, argv, &r);
}

/* file holds each of the strings given. */
#define FILE_HAS(file, ...) file_has(file, (const char *const[]){__VA_ARGS__, NULL})

static void file_has(const char *file, const char *const want[])
{
	char *t = tl_slurp(file);

	assert_non_null(t);
	for (; *want; want++)
		if (!strstr(t, *want))
			fail_msg("%s does not hold '%s':\n%s", file, *want, t);
	free(t);
}

/* file is want. */
static void file_is(const char *file, const char *want)
{
	char *t = tl_slurp(file);

	assert_non_null(t);
	assert_string_equal(t, want);
	free(t);
}

static const char *field(const struct tl_event *ev, const char *name)
{
	static char buf[4096];

	return tl_event_field(ev, name, buf, sizeof buf);
}

/* op names of a trace */
static void ops_of(const char *file, char *buf, size_t len)
{
	struct tl_events l;
	size_t n = 0;

	tl_events_load(&l, file);
	buf[0] = 0;
	for (size_t i = 0; i < l.n; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", l.ev[i].op);
	tl_events_free(&l);
}

/* shim_ops scenario arg traced by filter into file (JSON): the ops are
 * want, blank-separated. */
static void filtered(const char *scenario, const char *arg, const char *filter, const char *file,
		     const char *want)
{
	char ops[4096];

	assert_int_equal(run_ops(scenario, arg, filter, file, "json", NULL, NULL), 0);
	ops_of(file, ops, sizeof ops);
	if (strcmp(ops, want))
		fail_msg("%s traced by '%s': %s\nwant %s", scenario, filter, ops, want);
}

static void test_posix_shm(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("shm.json");
	struct tl_events l;
	char fd[16], map1[64], map2[64];

	(void)state;
	assert_int_equal(run_ops("posix-shm", name, "1", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	assert_true(l.n > 0);
	snprintf(fd, sizeof fd, "%s", field(&l.ev[0], "ret"));
	snprintf(map1, sizeof map1, "%s", l.n > 3 ? field(&l.ev[3], "ret") : "");
	snprintf(map2, sizeof map2, "%s", l.n > 6 ? field(&l.ev[6], "ret") : "");
	assert_true(atoi(fd) >= 0);
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "posix-shm",
			 TL_VARS("name", name, "fd", fd, "map1", map1, "map2", map2));
	tl_events_free(&l);
}

/* close_range: traced when it closes shm_open descriptors, and the shim
 * forgets them (a reused number is not named after the segment). */
static void test_close_range(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("cr.json");
	char fd0[16], fd1[16], first[16], last[16];
	struct tl_events l;

	(void)state;
	assert_int_equal(run_ops("close-range", name, "1", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	assert_true(l.n >= 2);
	snprintf(fd0, sizeof fd0, "%s", field(&l.ev[0], "ret"));
	snprintf(fd1, sizeof fd1, "%s", field(&l.ev[1], "ret"));
	snprintf(first, sizeof first, "%d", atoi(fd0) < atoi(fd1) ? atoi(fd0) : atoi(fd1));
	snprintf(last, sizeof last, "%d", atoi(fd0) < atoi(fd1) ? atoi(fd1) : atoi(fd0));
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "close-range",
			 TL_VARS("name", name, "fd0", fd0, "fd1", fd1, "first", first, "last", last));
	tl_events_free(&l);
	/* traced alone, it still knows the descriptors */
	filtered("close-range", tl_unique_name(), "close_range", file, "close_range");
	/* and text names its flags */
	assert_int_equal(run_ops("close-range", tl_unique_name(), "close_range", file, "text", NULL, NULL), 0);
	FILE_HAS(file, "close_range(", ", CLOSE_RANGE_UNSHARE) = 0 <");
}

/* mremap of a shm_open mapping is traced, and the mapping keeps its name
 * at its new place; an anonymous one is not traced. */
static void test_mremap(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("mr.json");
	char map[64], moved[64];
	struct tl_events l;

	(void)state;
	assert_int_equal(run_ops("mremap", name, "1", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	assert_true(l.n >= 4);
	snprintf(map, sizeof map, "%s", field(&l.ev[2], "ret"));
	snprintf(moved, sizeof moved, "%s", field(&l.ev[3], "ret"));
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "mremap",
			 TL_VARS("name", name, "map", map, "moved", moved));
	tl_events_free(&l);
	/* traced alone, mappings are still named */
	filtered("mremap", tl_unique_name(), "mremap", file, "mremap mremap");
}

static void test_posix_sem(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("sem.json");
	const struct tl_event *ev;
	struct tl_events l;
	char sem[64];

	(void)state;
	assert_int_equal(run_ops("posix-sem", name, "all", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	assert_true(l.n > 0);
	snprintf(sem, sizeof sem, "%s", field(&l.ev[0], "ret"));
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "posix-sem",
			 TL_VARS("name", name, "sem", sem));
	/* the timed wait's deadline is a number of seconds, about now + 5 */
	ev = &l.ev[5];
	{
		char buf[64];
		double t = atof(tl_event_arg(ev, "abstime", buf, sizeof buf));
		double ts = atof(tl_event_field(ev, "ts", buf, sizeof buf));

		assert_true(t > ts + 4 && t < ts + 6);
	}
	tl_events_free(&l);
}


/* Waits and posts on an unnamed semaphore are traced only when asked. */
static void test_unnamed(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("unnamed.json");
	struct tl_events l;
	char k[128];
	const char *named_ops = "sem_open sem_wait sem_trywait sem_post sem_timedwait sem_clockwait "
				"sem_post sem_open sem_close sem_post sem_wait sem_close sem_unlink";

	(void)state;
	snprintf(k, sizeof k, "posix:%s", name);
	assert_int_equal(run_ops("unnamed", name, "all", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	{
		/* the named semaphore stays named after a second open's close,
		 * and in a forked child */
		char parent[32];

		tl_expect_ops(&l, 0, k, "sem_open=ptr sem_wait=0 sem_trywait=-1/EAGAIN sem_post=0 "
			      "sem_timedwait=0 sem_clockwait=-1/ETIMEDOUT sem_post=0 sem_open=ptr "
			      "sem_close=0 sem_post=0 sem_wait=0 sem_close=0 sem_unlink=0");
		snprintf(parent, sizeof parent, "%s", field(&l.ev[0], "pid"));
		assert_string_not_equal(parent, field(&l.ev[10], "pid"));
	}
	tl_events_free(&l);
	/* "unnamed": both, the unnamed one with a null key */
	name = tl_unique_name();
	snprintf(k, sizeof k, "posix:%s", name);
	assert_int_equal(run_ops("unnamed", name, "all,unnamed", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "unnamed", TL_VARS("name", name));
	tl_events_free(&l);
	/* the word alone means everything; "-unnamed" is the default */
	filtered("unnamed", tl_unique_name(), "unnamed", file,
		 "sem_open sem_wait sem_wait sem_trywait sem_trywait sem_post sem_post "
		 "sem_timedwait sem_timedwait sem_clockwait sem_clockwait sem_post sem_post "
		 "sem_open sem_close sem_post sem_wait sem_wait sem_close sem_unlink");
	filtered("unnamed", tl_unique_name(), "-unnamed", file, named_ops);
	filtered("unnamed", tl_unique_name(), "posix-sem", file, named_ops);
	/* with the filter's other words */
	filtered("unnamed", tl_unique_name(), "sem_post,unnamed", file,
		 "sem_post sem_post sem_post sem_post sem_post");
	filtered("unnamed", tl_unique_name(), "sem_post", file, "sem_post sem_post sem_post");
	filtered("unnamed", tl_unique_name(), "unnamed,-sem_wait,-sem_trywait,-posix-shm", file,
		 "sem_open sem_post sem_post sem_timedwait sem_timedwait sem_clockwait "
		 "sem_clockwait sem_post sem_post sem_open sem_close sem_post sem_close "
		 "sem_unlink");
	filtered("unnamed", tl_unique_name(), "sysv-sem,unnamed", file, "");
}

static void test_sysv(void **state)
{
	const char *path = tl_keyfile("keyfile"), *file = tl_path("sysv.json");
	char qdec[16], dec7[16], qkey[16], key7[16], xkey[16];
	const struct tl_event *ev;
	struct tl_events l;
	key_t key;

	(void)state;
	assert_non_null(path);
	key = ftok(path, 'Q');
	assert_int_not_equal(key, -1);
	snprintf(qdec, sizeof qdec, "%d", (int)key);
	snprintf(dec7, sizeof dec7, "%d", (int)ftok(path, 7));
	snprintf(qkey, sizeof qkey, "0x%08x", (unsigned)key);
	snprintf(key7, sizeof key7, "0x%08x", (unsigned)ftok(path, 7));
	snprintf(xkey, sizeof xkey, "0x%08x", (unsigned)(key ^ 0x00a50000));
	assert_int_equal(run_ops("sysv", path, "1", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "sysv",
			 TL_VARS("path", path, "qdec", qdec, "dec7", dec7, "qkey", qkey, "key7", key7,
			      "xkey", xkey));
	/* Arguments that depend on the ids and addresses of this run. */
	{
		char id[32], sid[32], want[256], buf[256], att[64];

		snprintf(id, sizeof id, "%s", field(&l.ev[3], "ret"));
		snprintf(sid, sizeof sid, "%s", field(&l.ev[14], "ret"));
		snprintf(att, sizeof att, "%s", field(&l.ev[5], "ret"));
		ev = &l.ev[5];
		snprintf(want, sizeof want, "%s/null/0", id);
		snprintf(buf, sizeof buf, "%s/%s/%s", tl_event_arg(ev, "shmid", buf + 100, 32),
			 tl_event_arg(ev, "shmaddr", buf + 140, 32), tl_event_arg(ev, "shmflg", buf + 180, 32));
		assert_string_equal(buf, want);
		ev = &l.ev[6];
		assert_string_equal(tl_event_arg(ev, "shmflg", buf, sizeof buf), "SHM_RDONLY");
		ev = &l.ev[8];
		assert_string_equal(tl_event_arg(ev, "shmaddr", buf, sizeof buf), att);
		ev = &l.ev[10];
		assert_string_equal(tl_event_arg(ev, "cmd", buf, sizeof buf), "IPC_STAT");
		assert_string_equal(tl_event_arg(ev, "shmid", buf, sizeof buf), id);
		assert_int_equal(strncmp(tl_event_arg(ev, "buf", buf, sizeof buf), "0x", 2), 0);
		ev = &l.ev[11];
		assert_string_equal(tl_event_arg(ev, "cmd", buf, sizeof buf), "IPC_RMID");
		assert_string_equal(tl_event_arg(ev, "buf", buf, sizeof buf), "null");
		ev = &l.ev[15];
		snprintf(want, sizeof want, "semid=%s;semnum=0;cmd=SETVAL;val=1", sid);
		buf[0] = 0;
		{
			char s2[256];

			snprintf(s2, sizeof s2, "semid=%s;semnum=%s;cmd=%s;val=%s",
				 tl_event_arg(ev, "semid", buf, 32), tl_event_arg(ev, "semnum", buf + 32, 32),
				 tl_event_arg(ev, "cmd", buf + 64, 32), tl_event_arg(ev, "val", buf + 96, 32));
			assert_string_equal(s2, want);
		}
		ev = &l.ev[16];
		assert_string_equal(tl_event_arg(ev, "cmd", buf, sizeof buf), "GETVAL");
		assert_null(tl_event_arg(ev, "arg", buf, sizeof buf)); /* GETVAL has no 4th argument */
		ev = &l.ev[17];
		assert_string_equal(tl_event_arg(ev, "sops", buf, sizeof buf),
				    "[{\"num\":0,\"op\":-1,\"flg\":\"SEM_UNDO\"}]");
		assert_string_equal(tl_event_arg(ev, "nsops", buf, sizeof buf), "1");
		ev = &l.ev[18];
		assert_string_equal(tl_event_arg(ev, "sops", buf, sizeof buf),
				    "[{\"num\":0,\"op\":-1,\"flg\":\"IPC_NOWAIT\"}]");
		ev = &l.ev[19];
		assert_string_equal(tl_event_arg(ev, "sops", buf, sizeof buf),
				    "[{\"num\":0,\"op\":-1,\"flg\":\"0\"}]");
		assert_string_equal(tl_event_arg(ev, "timeout", buf, sizeof buf), "0.001000000");
		ev = &l.ev[20];
		assert_string_equal(tl_event_arg(ev, "cmd", buf, sizeof buf), "IPC_STAT");
		assert_int_equal(strncmp(tl_event_arg(ev, "arg", buf, sizeof buf), "0x", 2), 0);
		ev = &l.ev[21];
		assert_string_equal(tl_event_arg(ev, "cmd", buf, sizeof buf), "IPC_RMID");
	}
	tl_events_free(&l);
}

/* The same run without the shim, with it passing through, and tracing:
 * every call sees the same result and the same errno. */
static void test_errno_preserved(void **state)
{
	const char *name = tl_unique_name();
	const char *o0 = tl_path("plain.out"), *o1 = tl_path("quiet.out"), *o2 = tl_path("traced.out");
	const char *argv[] = {tl_prog("shim_ops"), "posix-sem", name, NULL};
	struct tl_opts plain = {.out = o0}, quiet = {.preload = 1, .out = o1};
	struct tl_opts traced = {.preload = 1, .trace = "1", .trace_file = tl_path("e.json"), .out = o2};
	char *s0, *s1, *s2;

	(void)state;
	assert_int_equal(tl_run(NULL, argv, &plain), 0);
	assert_int_equal(tl_run(NULL, argv, &quiet), 0);
	assert_int_equal(tl_run(NULL, argv, &traced), 0);
	s0 = tl_slurp(o0);
	s1 = tl_slurp(o1);
	s2 = tl_slurp(o2);
	assert_non_null(s0);
	assert_non_null(strstr(s0, "sem_trywait fail 11\n"));
	assert_string_equal(s0, s1);
	assert_string_equal(s0, s2);
	free(s0);
	free(s1);
	free(s2);
	argv[1] = "posix-shm";
	assert_int_equal(tl_run(NULL, argv, &plain), 0);
	assert_int_equal(tl_run(NULL, argv, &traced), 0);
	s0 = tl_slurp(o0);
	s2 = tl_slurp(o2);
	assert_string_equal(s0, s2);
	free(s0);
	free(s2);
}

static void match(const char *re, const char *line)
{
	regex_t rx;
	int ok;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&rx, line, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok)
		fail_msg("line does not match\n#   %s\n#   %s", re, line);
}

static void test_text_format(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("shm.txt");
	char re[1024], pfx[64];
	struct tl_lines l;

	(void)state;
	assert_int_equal(run_ops("posix-shm", name, "shm_open,shm_unlink,close", file, NULL, NULL, NULL), 0);
	tl_lines_load(&l, file);
	assert_int_equal(l.n, 9);
	snprintf(pfx, sizeof pfx, "^\\[[0-9]+/[0-9]+\\] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{6} ");
	snprintf(re, sizeof re, "%sshm_open\\(\"%s\", O_RDWR\\|O_CREAT\\|O_EXCL, 0600\\) = [0-9]+ "
		 "<[0-9]+\\.[0-9]+(us|ms)> key=posix:%s$", pfx, name, name);
	match(re, l.line[0]);
	snprintf(re, sizeof re, "%sshm_open\\(\"%s\", O_RDWR\\|O_CREAT\\|O_EXCL, 0600\\) = -1 EEXIST "
		 "\\(File exists\\) <[0-9.]+(us|ms)> key=posix:%s$", pfx, name, name);
	match(re, l.line[1]);
	snprintf(re, sizeof re, "%sclose\\([0-9]+\\) = 0 <[0-9.]+(us|ms)> key=posix:%s$", pfx, name);
	match(re, l.line[2]);
	snprintf(re, sizeof re, "%sshm_unlink\\(\"%s\"\\) = -1 ENOENT \\(No such file or directory\\) "
		 "<[0-9.]+(us|ms)> key=posix:%s$", pfx, name, name);
	match(re, l.line[4]);
	tl_lines_free(&l);
	/* NIPC_TRACE_TID=0: the pid only */
	{
		const char *argv[] = {tl_prog("shim_ops"), "posix-shm", tl_unique_name(), NULL};
		struct tl_opts r = {.preload = 1, .trace = "shm_unlink", .trace_file = file,
				   .env = TL_ENV("NIPC_TRACE_TID=0")};

		unlink(file);
		assert_int_equal(tl_run(NULL, argv, &r), 0);
		tl_lines_load(&l, file);
		assert_int_equal(l.n, 3);
		match("^\\[[0-9]+\\] [0-9:.]+ shm_unlink\\(", l.line[0]);
		tl_lines_free(&l);
	}
}

/* The hour and minute of a text line's time of day. */
static int line_minute(const char *line)
{
	int h, m;
	const char *p = strchr(line, ']');

	if (!p || sscanf(p + 1, " %d:%d:", &h, &m) != 2)
		return -1;
	return h * 60 + m;
}

/* Text lines show local time, from the offset taken at start-up. */
static void test_local_time(void **state)
{
	static const struct { const char *tz; int offset; } zones[] = {
		{"TZ=UTC", 0}, {"TZ=NIPC-05:30", 330}, {"TZ=NIPC+03", -180},
	};
	const char *file = tl_path("tz.txt");

	(void)state;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		const char *argv[] = {tl_prog("shim_ops"), "posix-shm", tl_unique_name(), NULL};
		struct tl_opts r = {.preload = 1, .trace = "shm_unlink", .trace_file = file,
				   .env = TL_ENV(zones[i].tz)};
		struct tl_lines l;
		time_t t0, t1;
		int got, want0, want1;

		unlink(file);
		t0 = time(NULL);
		assert_int_equal(tl_run(NULL, argv, &r), 0);
		t1 = time(NULL);
		tl_lines_load(&l, file);
		assert_true(l.n > 0);
		got = line_minute(l.line[0]);
		want0 = (int)(((t0 + zones[i].offset * 60) % 86400 + 86400) % 86400 / 60);
		want1 = (int)(((t1 + zones[i].offset * 60) % 86400 + 86400) % 86400 / 60);
		if (got < 0 || (got != want0 && got != want1 && got != (want0 + 1) % 1440))
			fail_msg("%s: line %s, wanted minute %d..%d of the day", zones[i].tz, l.line[0],
				 want0, want1);
		tl_lines_free(&l);
	}
}

static void test_sysv_text(void **state)
{
	const char *path = tl_keyfile("keyfile.t"), *file = tl_path("sysv.txt");
	struct tl_lines l;
	char re[1024];

	(void)state;
	assert_non_null(path);
	assert_int_equal(run_ops("sysv", path, "ftok,semop,shmget", file, "text", NULL, NULL), 0);
	tl_lines_load(&l, file);
	assert_int_equal(l.n, 3 + 3 + 2);
	snprintf(re, sizeof re, " ftok\\(\"%s\", 81\\) = 0x[0-9a-f]{8} <[0-9.]+(us|ms)> key=systemv:%s$", path, path);
	match(re, l.line[0]);
	match(" shmget\\(0x[0-9a-f]{8}, 4096, IPC_CREAT\\|IPC_EXCL\\|0600\\) = [0-9]+ <", l.line[3]);
	match(" semop\\([0-9]+, \\[\\{0, -1, SEM_UNDO\\}\\], 1\\) = 0 <.*key=systemv-7:", l.line[6]);
	match(" semop\\([0-9]+, \\[\\{0, -1, IPC_NOWAIT\\}\\], 1\\) = -1 EAGAIN \\(Resource temporarily unavailable\\) <",
	      l.line[7]);
	tl_lines_free(&l);
}


static void test_filter(void **state)
{
	const char *file = tl_path("f.json"), *path = tl_keyfile("keyfile.f");

	(void)state;
	assert_non_null(path);
	filtered("posix-shm", tl_unique_name(), "all,-ftruncate,-mmap", file,
		 "shm_open shm_open munmap munmap close shm_unlink shm_unlink shm_open shm_open "
		 "munmap munmap close shm_unlink");
	filtered("posix-shm", tl_unique_name(), "posix-sem,sysv-shm", file, "");
	/* an exclusion first starts from everything */
	filtered("posix-sem", tl_unique_name(), "-sem_post,-sem_open,-sem_unlink", file,
		 "sem_wait sem_trywait sem_timedwait sem_timedwait sem_clockwait sem_close "
		 "sem_clockwait sem_trywait sem_close");
	/* close/ftruncate alone: descriptors are tracked without shm_open events */
	filtered("posix-shm", tl_unique_name(), "close,ftruncate", file,
		 "ftruncate ftruncate close ftruncate close");
	/* families; keys still come from untraced ftok and semget calls */
	filtered("sysv", path, "sysv-sem", file,
		 "semget semctl semctl semop semop semtimedop semctl semctl semget semctl semget "
		 "semget semtimedop semctl semctl");
	{
		struct tl_events l;
		char k7[600];

		tl_events_load(&l, file);
		snprintf(k7, sizeof k7, "systemv-7:%s", path);
		assert_string_equal(field(&l.ev[3], "key"), k7);
		tl_events_free(&l);
	}
	filtered("sysv", path, "ftok,shmdt", file, "ftok ftok ftok shmdt shmdt shmdt");
	/* "0" and empty: nothing, and no file either */
	unlink(file);
	assert_int_equal(run_ops("posix-shm", tl_unique_name(), "0", file, "json", NULL, NULL), 0);
	assert_null(tl_slurp(file));
	assert_int_equal(run_ops("posix-shm", tl_unique_name(), "", file, "json", NULL, NULL), 0);
	assert_null(tl_slurp(file));
}

static void test_unknown_words(void **state)
{
	const char *file = tl_path("u.json"), *err = tl_path("u.err");
	char ops[1024];

	(void)state;
	assert_int_equal(run_ops("posix-shm", tl_unique_name(), "shm_unlink,bogus,-nothing,posix-shmm", file,
				 "json", NULL, err), 0);
	ops_of(file, ops, sizeof ops);
	assert_string_equal(ops, "shm_unlink shm_unlink shm_unlink");
	file_is(err, "nipc-preload: NIPC_TRACE: ignoring unknown words: bogus -nothing posix-shmm\n");
	/* an unknown format: one warning, text */
	assert_int_equal(run_ops("posix-shm", tl_unique_name(), "shm_unlink", file, "yaml", NULL, err), 0);
	file_is(err, "nipc-preload: NIPC_TRACE_FORMAT: unknown format yaml; using text\n");
	FILE_HAS(file, "] ", " shm_unlink(\"");
}

/* Over-long names are cut with "...", odd bytes escaped; lines stay JSON. */
static void test_escaping(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("odd.json");
	const struct tl_event *ev;
	struct tl_events l;
	char want[256], *raw;

	(void)state;
	assert_int_equal(run_ops("odd", name, "1", file, "json", NULL, NULL), 0);
	tl_events_load(&l, file);
	assert_int_equal(l.n, 2);
	{
		static char big[8192];
		size_t len;

		ev = &l.ev[0];
		tl_event_arg(ev, "name", big, sizeof big);
		len = strlen(big);
		assert_true(len > 100 && len < 700);
		assert_string_equal(big + len - 3, "...");
		assert_string_equal(field(&l.ev[0], "errno"), "EINVAL");
		assert_true(strlen(l.ev[0].line) < 4096);
	}
	raw = l.ev[1].line;
	snprintf(want, sizeof want, "\"name\":\"%s\\\"b\\\\c\\u0001\\u00ff\xc3\xa9\"", name);
	if (!strstr(raw, want))
		fail_msg("%s not in %s", want, raw);
	tl_events_free(&l);
}

/* Unreadable arguments are shown as pointers, never dereferenced. */
static void test_bad_pointers(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("bad.json");
	const char *argv[] = {tl_prog("shim_ops"), "bad", name, NULL};
	struct tl_opts r = {.preload = 1, .trace = "ftok,semop,semtimedop", .trace_format = "json",
			   .trace_file = file};
	const struct tl_event *ev;
	struct tl_events l;

	(void)state;
	unlink(file);
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	tl_events_load(&l, file);
	tl_expect_vector(&l, TL_ARGS_ALL, 0, "trace-events.tsv", "bad", NULL);
	{
		char buf[64];

		ev = &l.ev[1];
		assert_string_equal(tl_event_arg(ev, "sops", buf, sizeof buf), "0x1");
		ev = &l.ev[2];
		assert_string_equal(tl_event_arg(ev, "sops", buf, sizeof buf), "[{\"num\":0,\"op\":1,\"flg\":\"0\"}]");
		assert_string_equal(tl_event_arg(ev, "timeout", buf, sizeof buf), "0x1");
	}
	tl_events_free(&l);
}

TL_TESTS("shim_trace", NULL, NULL, test_posix_shm, test_close_range, test_mremap, test_posix_sem, test_unnamed,
	 test_sysv, test_errno_preserved, test_text_format, test_local_time, test_sysv_text,
	 test_filter, test_unknown_words, test_escaping, test_bad_pointers)
