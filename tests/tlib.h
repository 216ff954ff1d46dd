/* SPDX-License-Identifier: MIT */
/* tlib: the one helper library of nipc's tests.
 *
 * Entry point
 *   TL_MAIN(name, tests, setup, teardown)   runs a cmocka group with TAP
 *       output, then one more test, "ipc_ledger", that fails if the group
 *       left IPC objects it registered (each one a "# ledger:" line). Exit
 *       at any point (exit, alarm(), a failed assertion) still removes them.
 *   TL_BOTH(f)   test f on the POSIX and the System V backend.
 *   TL_TESTS(name, setup, teardown, f1, f2, ...)   main() on TL_MAIN.
 *
 * Paths (abort unless run through make check)
 *   tl_builddir() tl_srcdir() tl_prog("shim_ops") tl_nipc() tl_shim()
 *   tl_shim_asan()
 *
 * Scratch directory (one per process, mode 0755, removed at exit)
 *   tl_scratch()  tl_scratch_real()  tl_scratch_empty()
 *   tl_path("f.json")  tl_new_path("f.json")  tl_slurp(path)
 *   tl_lines_load(&l, path)  tl_dir_entries(dir)
 *
 * Processes: one runner
 *   struct tl_opts o = {.env = TL_ENV("NIPC_TRACE=1"), .preload = 1, ...};
 *   tl_run(&p, TL_ARGV(prog, "a"), &o)   start, feed o.in, wait (o.timeout
 *       seconds, then SIGKILL): returns the exit status, 128+N for signal N,
 *       -1 when killed after the timeout or not started; p.o.p and p.e.p hold
 *       stdout and stderr (unless sent to files);
 *       tl_proc_free(&p). p may be
 *       NULL to drop the output.
 *   tl_run_files(argv, out, err)   the same, stdout/stderr into files;
 *   tl_run_buf(argv, &o, out, size, &len, err, size)   into buffers.
 *   tl_start(&p, argv, &o), tl_write, tl_close_in, tl_line (next stdout line
 *       with a timeout), tl_running, tl_wait(&p, ms): the same runner driven
 *       step by step; tl_expect_line / _quiet / _blocked / _exit assert on
 *       it. tl_kill_all() kills the children still running (done
 *       at exit too).
 *
 * Trace events (the shim's JSON Lines files)
 *   tl_events_load(&e, path)  every line must be one complete event;
 *       tl_event_field / tl_event_arg (text of a member), tl_events_select_*,
 *       tl_events_dump, tl_events_free.
 *   tl_expect_events(&e, TL_ARGS_ALL | TL_ARGS_LISTED, pid, x, n): e holds
 *       exactly the events x, in order. TL_ARGS_ALL: x.args lists every
 *       argument of the event, in order; TL_ARGS_LISTED: only the listed ones
 *       are compared. x.args NULL: arguments not compared.
 *   tl_expect_ops(&e, pid, key, "sem_open=ptr sem_trywait=-1/EAGAIN"): the
 *       same for events on one key, arguments not compared.
 *   tl_expect_vector(&e, mode, pid, "trace-events.tsv", "case", vars): the
 *       same with x read from a table in tests/vectors.
 *
 * Ledger of the IPC objects a test made (trusted by object id, not by key:
 * ftok keys follow inodes, and inodes are reused)
 *   tl_unique_name()        "/nipc-test-PID-N", registered
 *   tl_ledger_posix(name)   a POSIX name to remove at the end: segments and
 *                           semaphores of that name or of NAME.SUFFIX
 *   tl_keyfile(name)        a new key file whose ftok keys (every id in
 *                           TL_PROJ_IDS) name nothing yet, registered
 *   tl_ledger_file(path)    a key file made elsewhere (once it exists)
 *   tl_ledger_dir(dir)      every file in dir, now and whenever the ledger
 *                           looks, as tl_ledger_file
 *   tl_ledger_note()        records the ids of the objects under the
 *                           registered key files now (done by tl_wait too)
 *   tl_ledger_shmid(id), tl_ledger_semid(id), tl_ledger_msqid(id)
 *                           (registered POSIX names cover message queues too)
 *   tl_ledger_left()        how many registered objects exist now
 *   tl_ledger_clean()       removes them (a "# ledger:" line each),
 *                           returns how many; forgets the registrations
 *
 * The System V emulation (its own namespace and rules file per test program)
 *   tl_emul_init(&e, prefix, rules_text)  namespace PREFIX<pid>, a rules
 *                           file, the namespace's objects in the ledger
 *   tl_emul_opts(&e, rules, emul, extra)  the options of a run: under the
 *                           shim with rules and the namespace when emul
 *   tl_emul_leftovers(&e, remove_all)  the namespace's objects but its
 *                           registry: counted (named on stderr), removed
 *
 * nipc objects (tests linked with libnipc use the TL_KEY_* macros on a key)
 *   tl_native(sysv)         a fresh native key, in the ledger
 *   tl_shm_exists / tl_sem_exists / tl_leftover (native, proj)
 *   tl_objhelper(&p, type, native, legacy)  tests/progs/objhelper on a key;
 *       tl_send(&p, "cmd"), tl_cmd(&p, "cmd", ms) its reply line; tl_end(&p, "exit"), tl_kill(&p)
 *   tl_pump_all(p, n, ms)   reads what any of n processes wrote
 */
#ifndef NIPC_TESTS_TLIB_H
#define NIPC_TESTS_TLIB_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

/* ---------------------------------------------------------------- main */

int tl_main(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
	    CMFixtureFunction teardown);
#define TL_MAIN(name, tests, setup, teardown) \
	tl_main(name, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)
#define TL_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Test f on each backend, with the file's setup and teardown: "f (posix)"
 * with state tl_posix, "f (systemv)" with tl_sysv ("posix", "systemv"). */
extern char tl_posix[], tl_sysv[];
#define TL_BOTH(f) \
	{#f " (posix)", f, setup, teardown, tl_posix}, \
	{#f " (systemv)", f, setup, teardown, tl_sysv}
/* The main() of a file whose group has no setup or teardown of its own:
 * TL_MAIN_OF("name", cmocka_unit_test(a), TL_BOTH(b)), no semicolon. */
#define TL_MAIN_OF(name, ...) \
	int main(void) \
	{ \
		const struct CMUnitTest tl_tests_[] = {__VA_ARGS__}; \
		return TL_MAIN(name, tl_tests_, NULL, NULL); \
	}

/* A test program's main(): TL_MAIN on the test functions listed, each
 * test named after its function, with the group's setup and teardown:
 * TL_TESTS("graph", NULL, NULL, test_a, test_b). */
int tl_main_fns(const char *name, const char *names, const CMUnitTestFunction *f, size_t n,
		CMFixtureFunction setup, CMFixtureFunction teardown);
#define TL_TESTS(name, setup, teardown, ...)                                            \
	int main(void)                                                                  \
	{                                                                               \
		static const CMUnitTestFunction tl_fns_[] = {__VA_ARGS__};              \
		return tl_main_fns(name, #__VA_ARGS__, tl_fns_, TL_LEN(tl_fns_), setup, \
				   teardown);                                           \
	}

/* --------------------------------------------------------------- paths */

const char *tl_builddir(void);
const char *tl_srcdir(void);
const char *tl_prog(const char *name);   /* builddir/tests/progs/NAME (8 live results) */
const char *tl_nipc(void);               /* builddir/tools/nipc */
const char *tl_shim(void);               /* the preload library in the build tree */
int tl_shim_asan(void);                  /* 1 if the shim is built with ASan */

/* ------------------------------------------------------------- scratch */

const char *tl_scratch(void);
const char *tl_path(const char *name);   /* scratch/NAME (8 live results) */
const char *tl_new_path(const char *name); /* the same, any file there removed */
void tl_scratch_remove(void);
void tl_scratch_empty(void);             /* everything in it, not itself */
const char *tl_scratch_real(void);       /* its canonical path (no links) */
/* A whole file, NUL-terminated, malloc'd; NULL if it cannot be read. */
char *tl_slurp(const char *path);
/* The lines of a file without their newlines; every line must end with
 * one (the test fails otherwise). 0, or -1 (no lines) if there is no file. */
struct tl_lines {
	char **line;
	size_t n;
};
int tl_lines_load(struct tl_lines *l, const char *path);
void tl_lines_free(struct tl_lines *l);
/* Entries of dir besides . and .., -1 if unreadable. */
int tl_dir_entries(const char *dir);
/* CLOCK_MONOTONIC in ns. */
long long tl_mono_ns(void);
/* A field of a table in tests/vectors decoded in place: \xHH is the byte,
 * \\ a backslash. s. */
char *tl_unescape(char *s);

/* ------------------------------------------------------------ processes */

#define TL_ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define TL_ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

struct tl_opts {
	/* "NAME=VALUE" sets, "NAME" unsets. The child never inherits
	 * LD_PRELOAD or NIPC_TRACE*; it gets them from here or preload. */
	const char *const *env;
	/* the shim's NIPC_TRACE, _FILE, _FORMAT, _CHILDREN (NULL: unset) */
	const char *trace, *trace_file, *trace_format, *trace_children;
	int preload;            /* the shim in LD_PRELOAD (ASan runtime first when built so) */
	const char *in;         /* tl_run: stdin data (NULL: none, EOF at once) */
	size_t in_len;          /* 0: strlen(in) */
	const char *out, *err;  /* stdout/stderr into these files (NULL: captured) */
	int timeout;            /* tl_run: seconds (0: 120) */
	uid_t uid;              /* nonzero: run as this user (and group) */
	unsigned closed;        /* bit N: descriptor N closed in the child */
	int dead_pipe;          /* > 0: this descriptor is a pipe whose reader is gone */
	int dead_socket;        /* > 0: this descriptor is a socket whose peer is gone */
	int sigpipe_ignore;     /* SIGPIPE ignored in the child (else default) */
	long fsize_limit;       /* > 0: RLIMIT_FSIZE in bytes */
	int fd_from;            /* > 0: file_at_fd opened (append) on this descriptor */
	const char *file_at_fd;
};

struct tl_buf {
	char *p;                /* NUL-terminated ("" before anything came) */
	size_t len, cap;
};

struct tl_proc {
	pid_t pid;
	int in, out, err;       /* our ends, -1 once closed */
	struct tl_buf o, e;     /* captured stdout (tl_line consumes it) and stderr */
	const char *feed;       /* stdin data not written yet */
	size_t feed_len;
	int status;             /* as tl_wait returned it */
};

int tl_start(struct tl_proc *p, const char *const argv[], const struct tl_opts *o);
int tl_write(struct tl_proc *p, const char *s);
void tl_close_in(struct tl_proc *p);
/* Next stdout line without its newline: 1; 0 on timeout; -1 at EOF. */
int tl_line(struct tl_proc *p, char *line, size_t len, int timeout_ms);
int tl_running(const struct tl_proc *p);
/* Feeds what is left of stdin, reads both outputs, reaps; SIGKILL after
 * timeout_ms (then -1). Exit status, or 128+N for signal N. */
int tl_wait(struct tl_proc *p, int timeout_ms);
int tl_run(struct tl_proc *p, const char *const argv[], const struct tl_opts *o);
/* tl_run with stdout and stderr copied into out and err (NUL-terminated,
 * cut to their sizes); *outlen: the bytes of stdout kept. */
int tl_run_buf(const char *const argv[], const struct tl_opts *o, char *out, size_t outsize,
	       size_t *outlen, char *err, size_t errsize);
/* tl_run with stdout and stderr into files (NULL: /dev/null). */
int tl_run_files(const char *const argv[], const char *out, const char *err);
void tl_proc_free(struct tl_proc *p);
/* Assertions on a started process (the test fails with its stderr):
 * its next stdout line is want (within TL_T_WAIT ms); no line comes within
 * TL_T_QUIET ms; it still runs after TL_T_QUIET ms; it ends (within
 * TL_T_WAIT ms) with status want. */
#define TL_T_WAIT 10000
#define TL_T_QUIET 300
void tl_expect_line(struct tl_proc *p, const char *want);
void tl_expect_quiet(struct tl_proc *p);
void tl_expect_blocked(struct tl_proc *p);
void tl_expect_exit(struct tl_proc *p, int want);
/* `nipc shm lock` handing over: holder (holding) ends on a newline, then
 * waiter (blocked in `nipc shm lock --for 0`) locks, unlocks and ends. */
void tl_lock_handover(struct tl_proc *holder, struct tl_proc *waiter);
/* Assertions on a child (each fails the test with what it said on stderr):
 * tl_expect: its next stdout line within timeout_ms begins with word (then
 * ends or a space follows); returns the rest after the space (static).
 * tl_expect_waits: it prints nothing and stays alive for ms (it waits
 * for a lock, say). tl_finish_ok: it exits 0 within 10 s; p is freed.
 * tl_run_ok: argv with stdin in (NULL: none) exits 0; its stdout goes to
 * out (NUL-terminated, cut at outsize; out may be NULL): its length. */
/* tl_run with a 10 s timeout, stdout and stderr copied into out and err
 * (NUL-terminated, cut; either may be NULL): the status as tl_run. */
int tl_run_text(const char *const argv[], char *out, size_t outsize, char *err, size_t errsize);
const char *tl_expect(struct tl_proc *p, const char *word, int timeout_ms);
/* tl_start (which must work), then tl_expect(p, word, 10 s) unless word is
 * NULL. */
void tl_start_ok(struct tl_proc *p, const char *const argv[], const char *word);
/* An empty line on its stdin (a holder's cue to let go), then tl_finish_ok. */
void tl_let_go(struct tl_proc *p, const char *what);
void tl_expect_waits(struct tl_proc *p, const char *what, int ms);
void tl_finish_ok(struct tl_proc *p, const char *what);
size_t tl_run_ok(const char *const argv[], const char *in, size_t in_len, char *out,
		 size_t outsize);
/* Kills and reaps every child tl_start started that is still running. */
void tl_kill_all(void);
/* A child forked by hand joins them (tl_adopt) or leaves them once reaped
 * (tl_forget). */
void tl_adopt(pid_t pid);
void tl_forget(pid_t pid);

/* --------------------------------------------------------- trace events */

struct tl_event {
	long pid, tid;
	double ts;
	char op[32];
	char key[1024];         /* "" when null */
	int has_key;
	char ret[64];           /* the number as written, or the string */
	char err[32];           /* "" when null */
	long long dur_ns;
	char *line;             /* the JSON line */
};

struct tl_events {
	struct tl_event *ev;
	size_t n;
};

/* 0, or -1 (an empty list) when the file does not exist. */
int tl_events_load(struct tl_events *e, const char *path);
void tl_events_free(struct tl_events *e);
void tl_events_select_key(struct tl_events *dst, const struct tl_events *src, const char *prefix);
void tl_events_select_pid(struct tl_events *dst, const struct tl_events *src, long pid);
void tl_events_dump(const struct tl_events *e);
/* Text of a member of the event / of its args: strings unescaped, numbers
 * as written, null as "null", arrays and objects as compact JSON. buf, or
 * NULL when absent. */
const char *tl_event_field(const struct tl_event *ev, const char *name, char *buf, size_t len);
const char *tl_event_arg(const struct tl_event *ev, const char *name, char *buf, size_t len);

enum tl_args { TL_ARGS_ALL, TL_ARGS_LISTED };

/* op; key (NULL: null); ret ("*": anything, "ptr": a "0x…" string);
 * err (NULL: null); args "name=value;…" (NULL: not compared). */
struct tl_expect {
	const char *op, *key, *ret, *err, *args;
};

/* e holds exactly x[0..n), in order, all from pid (0: any). */
void tl_expect_events(const struct tl_events *e, enum tl_args mode, long pid,
		      const struct tl_expect *x, size_t n);

/* The same for events that all have key (NULL: null) and whose arguments
 * are not compared, written "op=ret" or "op=ret/ERRNO", blank-separated:
 * "sem_open=ptr sem_trywait=-1/EAGAIN sem_post=0". */
void tl_expect_ops(const struct tl_events *e, long pid, const char *key, const char *ops);

/* tl_expect_events on the events of case name in tests/vectors/FILE: its
 * lines "NAME<tab>op<tab>key<tab>ret[<tab>err[<tab>args]]" in order ('#'
 * lines skipped); "-" or a missing field is NULL; ${VAR} is the value of
 * "VAR=value" in vars (TL_ENV(...); the test fails on one not there). */
void tl_expect_vector(const struct tl_events *e, enum tl_args mode, long pid, const char *file,
		      const char *name, const char *const vars[]);
/* Its vars from names and values: TL_VARS("fd", fd, "name", name) (16 at
 * most; valid until the next call). */
#define TL_VARS(...) tl_vars((const char *const[]){__VA_ARGS__, NULL})
const char *const *tl_vars(const char *const *name_value);

/* ----------------------------------------------------- the emulation */

struct tl_emul {
	char ns[64];            /* NIPC_NAMESPACE of the emulated runs */
	char rules[PATH_MAX];   /* the rules file tl_emul_init wrote */
};

/* Namespace prefix<pid>, its objects registered with the ledger, and a
 * rules file holding text. 0, or -1 when the file cannot be written. */
int tl_emul_init(struct tl_emul *e, const char *prefix, const char *text);
/* The options of a run: under the shim with NIPC_RULES=rules and e's
 * namespace when emul, both unset otherwise; extra is one more NAME=VALUE
 * (NIPC_NAMESPACE=... replaces e's). Static buffers: one run at a time. */
struct tl_opts tl_emul_opts(const struct tl_emul *e, const char *rules, int emul,
			    const char *extra);
/* The namespace's objects in /dev/shm but its registry: their number
 * (each named on stderr); all removed, registry included, if remove_all. */
int tl_emul_leftovers(const struct tl_emul *e, int remove_all);

/* --------------------------------------------------------------- ledger */

/* The ftok project ids the tests use ('Q' is nipc's own). */
#define TL_PROJ_IDS 'Q', 7, 1, 84, 167, 255

/* Peers from Debian packages, or the test is skipped with a note naming
 * the package: a python3 (/usr/bin/python3, else configured, the
 * configure-time path) that imports module; the newest installed
 * PostgreSQL's bin directory (/usr/lib/postgresql/MAJOR/bin), and a
 * program in it. */
const char *tl_need_python_module(const char *configured, const char *module, const char *package);
const char *tl_need_postgres(void);
const char *tl_pg(const char *prog);        /* 4 live results */

const char *tl_unique_name(void);          /* 8 live results */
void tl_ledger_posix(const char *name);
const char *tl_keyfile(const char *name);  /* NULL if none found; 8 live results */
void tl_ledger_file(const char *path);
void tl_ledger_dir(const char *dir);       /* every regular file in dir, now and later */
void tl_ledger_note(void);
void tl_ledger_shmid(int id);
void tl_ledger_semid(int id);
void tl_ledger_msqid(int id);              /* a System V message queue */
int tl_ledger_left(void);
int tl_ledger_clean(void);

/* --------------------------------------------------------- nipc objects */

/* A fresh native key: System V (sysv nonzero), a path scratch/keys/k.N that
 * does not exist yet (every file in scratch/keys is in the ledger); POSIX,
 * tl_unique_name(). 8 live results. */
const char *tl_native(int sysv);
/* 1 if a segment / a semaphore set of native exists. proj 0: native is a
 * POSIX name; else System V under ftok(native, proj) now, or under a key
 * the file had while the ledger looked (an object outlives its key file). */
int tl_shm_exists(const char *native, int proj);
int tl_sem_exists(const char *native, int proj);
/* 1 if anything of native is left: its key file (System V), a segment or a
 * semaphore set. */
int tl_leftover(const char *native, int proj);
/* scratch/NAME, made if needed, its files in the ledger (tl_ledger_dir):
 * a $TMPDIR for programs that make key files there. */
const char *tl_key_dir(const char *name);
/* A cmocka teardown: kills the children, removes the objects in the
 * ledger, empties the scratch directory. */
int tl_teardown(void **state);
/* The permission bits of a file (-1 if there is none), and of a segment /
 * a semaphore set of native (proj as tl_shm_exists; -1 if there is none). */
int tl_file_mode(const char *path);
int tl_obj_mode(const char *native, int proj, int sem);
/* shm_nattch of the System V segment under ftok(path, proj), or -1. */
long tl_shm_nattch(const char *path, int proj);
/* Starts tests/progs/objhelper TYPE NATIVE [LEGACY] (tl_start). */
int tl_objhelper(struct tl_proc *p, int type, const char *native, const char *legacy);
/* Sends line and a newline: 0, or -1 once its stdin is closed. */
int tl_send(struct tl_proc *p, const char *line);
/* Sends the line cmd (unless NULL), returns the next stdout line (static
 * storage): "" after timeout_ms, "(eof)" once stdout ended. */
const char *tl_cmd(struct tl_proc *p, const char *cmd, int timeout_ms);
/* tl_cmd with a 10 s timeout: 1 if the reply is "ok", else 0 (and the
 * reply printed). */
int tl_cmd_ok(struct tl_proc *p, const char *cmd);
/* Sends the line last (unless NULL), waits 10 s (then SIGKILL) and frees p:
 * the status as tl_wait gives it (its stderr printed unless 0). */
int tl_end(struct tl_proc *p, const char *last);
/* SIGKILL, reap, free: the status as tl_wait gives it (128 + 9). */
int tl_kill(struct tl_proc *p);
/* Waits up to ms for output of any of p[0..n) and reads what has come. */
void tl_pump_all(struct tl_proc *p, size_t n, int ms);

/* The same on a nipc_key *k, for tests that include nipc.h first. */
#ifdef NIPC_H
/* A fresh key of type (tl_native), NULL if nipc_key_new fails. */
static inline nipc_key *tl_key(int type)
{
	nipc_key *k = NULL;

	return nipc_key_new(&k, type, tl_native(nipc_key_type_is_systemv(type))) < 0 ? NULL : k;
}

/* Nothing of k is left (TL_LEFTOVER); k is freed. */
#define TL_KEY_GONE(k)                        \
	do {                                  \
		assert_false(TL_LEFTOVER(k)); \
		nipc_key_free(k);             \
	} while (0)
#endif
#define TL_KEY_PROJ(k) (nipc_key_type_is_systemv(nipc_key_type(k)) ? nipc_key_type(k) : 0)
#define TL_SHM_EXISTS(k) tl_shm_exists(nipc_key_native(k), TL_KEY_PROJ(k))
#define TL_SEM_EXISTS(k) tl_sem_exists(nipc_key_native(k), TL_KEY_PROJ(k))
#define TL_LEFTOVER(k) tl_leftover(nipc_key_native(k), TL_KEY_PROJ(k))
#define TL_OBJHELPER(p, k) \
	tl_objhelper(p, nipc_key_type(k), nipc_key_native(k), nipc_key_legacy(k))
/* The objhelper on k started, and its reply to cmd "ok" (assertions). */
#define TL_OBJHELPER_OK(p, k, cmd)                       \
	do {                                             \
		assert_int_equal(TL_OBJHELPER(p, k), 0); \
		assert_true(tl_cmd_ok(p, cmd));          \
	} while (0)

#endif
