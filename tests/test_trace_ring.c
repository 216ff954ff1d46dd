/* SPDX-License-Identifier: MIT */
/* nipc trace's ring: every event a program makes is delivered or counted
 * lost (delivered + lost = made, by the program's own count), under
 * threads, forks and execs, a SIGKILLed writer, a small buffer, and
 * events from a signal handler inside the shim; no buffer is left in
 * /dev/shm. Driven with tests/progs/ring_stress. */
#include "config.h"

#include "tlib.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tally {
	long events, lost, lost_lines;
	long made, child, child_pid;
	long child_events, child_lost;
	double back;            /* the most an event ended before the one above it, s */
};

/* nipc trace's buffers in /dev/shm (/dev/shm/nipc-trace-PID-..., and
 * --counters' nipc-counters-PID-...): those
 * of process pid, or (pid 0) those whose nipc is gone, which its exit or
 * its watchdog should have removed. Other tests may trace at the same
 * time: their buffers belong to live processes. */
static int buffers(pid_t pid)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long owner;

		if (sscanf(e->d_name, "nipc-trace-%ld-", &owner) != 1 &&
		    sscanf(e->d_name, "nipc-counters-%ld-", &owner) != 1)
			continue;
		if (pid ? owner == pid : kill((pid_t)owner, 0) && errno == ESRCH)
			n++;
	}
	closedir(d);
	return n;
}

static long num_after(const char *s, const char *word)
{
	const char *p = strstr(s, word);

	return p ? atol(p + strlen(word)) : -1;
}

/* Runs ring_stress ARGS under nipc trace --json with extra options; counts
 * the events and losses of the JSON output, and the program's own count.
 * stall_ms > 0: nipc (the reader) is stopped that long, 300 ms in. */
static void run_stalled(const char *const opts[], const char *const args[], struct tally *t,
			int stall_ms)
{
	const char *json = tl_new_path("ring.json"), *out = tl_new_path("ring.out");
	const char *argv[32];
	struct tl_lines l;
	char *text;
	size_t n = 0;
	double last_end = 0;

	argv[n++] = tl_nipc();
	argv[n++] = "trace";
	argv[n++] = "--json";
	argv[n++] = "-o";
	argv[n++] = json;
	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	argv[n++] = tl_prog("ring_stress");
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(t, 0, sizeof *t);
	/* 16,000 forks and execs take minutes under the sanitizers */
	if (stall_ms > 0) {
		struct tl_proc p;
		const struct timespec in = {0, 300000000}, stall = {stall_ms / 1000, (stall_ms % 1000) * 1000000L};

		assert_true(tl_start(&p, argv, &(struct tl_opts){.out = out, .err = "/dev/null"}) >= 0);
		nanosleep(&in, NULL);
		kill(p.pid, SIGSTOP);
		nanosleep(&stall, NULL);
		kill(p.pid, SIGCONT);
		assert_int_equal(tl_wait(&p, 900 * 1000), 0);
	} else {
		assert_int_equal(tl_run(NULL, argv, &(struct tl_opts){.out = out, .err = "/dev/null",
								       .timeout = 900}), 0);
	}
	text = tl_slurp(out);
	assert_non_null(text);
	t->made = num_after(text, "made ");
	t->child = num_after(text, "child ");
	t->child_pid = num_after(text, " pid ");
	free(text);
	assert_int_equal(tl_lines_load(&l, json), 0);
	for (size_t i = 0; i < l.n; i++) {
		const char *line = l.line[i];
		long pid = num_after(line, "\"pid\":");

		if (strstr(line, "\"op\":")) {
			const char *ts = strstr(line, "\"ts\":");
			double end = (ts ? atof(ts + 5) : 0) + num_after(line, "\"dur_ns\":") / 1e9;

			if (last_end - end > t->back)
				t->back = last_end - end;
			if (end > last_end)
				last_end = end;
			t->events++;
			t->child_events += pid == t->child_pid;
		} else if (strstr(line, "\"lost\":")) {
			long lost = num_after(line, "\"lost\":");

			t->lost += lost;
			t->lost_lines++;
			t->child_lost += pid == t->child_pid ? lost : 0;
		} else {
			fail_msg("not an event: %s", line);
		}
	}
	tl_lines_free(&l);
}

static void run_counted(const char *const opts[], const char *const args[], struct tally *t)
{
	run_stalled(opts, args, t, 0);
}

/* ring_stress ARGS makes made events, and every one is delivered. */
static void expect_all(const char *const opts[], const char *const args[], long made, int stall_ms)
{
	struct tally t;

	run_stalled(opts, args, &t, stall_ms);
	assert_int_equal(t.made, made);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.events, t.made);
}

/* Ring mode names objects as line mode does. A record takes a POSIX
 * name's key from the name argument, or copies it (a name cut at the
 * argument's limit, a failed call's, a descriptor's, an ftok path): each
 * prints the same key, argument and result as the shim's own line. */
static void test_keys_as_line_mode(void **state)
{
	static const char *const scen[] = {"posix-shm", "posix-sem", "odd", "sysv", "mremap"};

	(void)state;
	for (size_t s = 0; s < sizeof scen / sizeof scen[0]; s++) {
		const char *line = tl_new_path("keys-line.json"), *ring = tl_new_path("keys-ring.json");
		const char *arg = strcmp(scen[s], "sysv") ? tl_unique_name() : tl_keyfile("keyfile");
		const char *lv[] = {tl_prog("shim_ops"), scen[s], arg, NULL};
		const char *rv[] = {tl_nipc(), "trace", "--json", "-o", ring, "--",
				    tl_prog("shim_ops"), scen[s], arg, NULL};
		struct tl_events l, r;

		assert_non_null(arg);
		assert_int_equal(tl_run(NULL, lv, &(struct tl_opts){.preload = 1, .trace = "1",
			.trace_file = line, .trace_format = "json", .out = "/dev/null"}), 0);
		assert_int_equal(tl_run(NULL, rv, &(struct tl_opts){.out = "/dev/null"}), 0);
		tl_events_load(&l, line);
		tl_events_load(&r, ring);
		if (l.n < 2 || l.n != r.n)
			fail_msg("%s: %zu events in line mode, %zu in the ring", scen[s], l.n, r.n);
		for (size_t i = 0; i < l.n; i++) {
			const struct tl_event *a = &l.ev[i], *b = &r.ev[i];
			char na[1024], nb[1024];

			tl_event_arg(a, "name", na, sizeof na);
			tl_event_arg(b, "name", nb, sizeof nb);
			if (strcmp(a->op, b->op) || strcmp(a->key, b->key) || a->has_key != b->has_key ||
			    strcmp(a->err, b->err) || strcmp(na, nb))
				fail_msg("%s, event %zu: line mode %s key=%s name=%s err=%s;"
					 " ring %s key=%s name=%s err=%s", scen[s], i, a->op, a->key, na,
					 a->err, b->op, b->key, nb, b->err);
		}
		tl_events_free(&l);
		tl_events_free(&r);
	}
}

static void test_threads_forks_execs(void **state)
{
	const char *opts[] = {NULL};
	const char *args[] = {"tree", "8", "1000", "2", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	/* 8 threads x 1,000 forks and execs: 8,000 of each */
	assert_int_equal(t.made, 8 * 1000 * 2 * 3);
	/* far below the buffer's capacity: nothing lost */
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.events, t.made);
	assert_int_equal(buffers(0), 0);
	/* merged in the order the events ended (a generous bound: a thread
	 * may be preempted between its call's end and its record's commit) */
	if (t.back > 0.001)
		fail_msg("an event ended %.6f s before the one printed above it", t.back);
}

/* The reader stopped for 200 ms in a storm of forks and execs (thousands
 * of threads end a second, and their rings are given back only when the
 * reader has read them): the pool holds them, nothing is lost. */
static void test_reader_stall(void **state)
{
	const char *opts[] = {NULL};
	const char *args[] = {"tree", "8", "300", "2", NULL};

	(void)state;
	expect_all(opts, args, 8 * 300 * 2 * 3, 200);
}

/* One process that execs itself 300 times, each image with a ring of its
 * own: a former image's ring is read to its end and given back, though
 * its thread lives on (in 64 rings: nothing lost). */
static void test_exec_chain(void **state)
{
	const char *opts[] = {"--rings", "64", NULL};
	const char *args[] = {"chain", "300", "2", NULL};

	(void)state;
	expect_all(opts, args, 301 * 2, 0);
}

static void test_small_buffer_counts_losses(void **state)
{
	const char *opts[] = {"--buffer-size", "16K", NULL};
	const char *args[] = {"burst", "200000", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_int_equal(t.made, 200000);
	assert_true(t.lost > 0);
	assert_true(t.lost_lines > 0);
	assert_int_equal(t.events + t.lost, t.made);
}

/* More threads at once than the pool has rings: those without one have
 * their events counted lost, per process. */
static void test_pool_exhausted(void **state)
{
	const char *opts[] = {"--rings", "64", NULL};
	const char *args[] = {"threads", "200", "50", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_int_equal(t.made, 200 * 50);
	assert_true(t.lost > 0);
	assert_int_equal(t.events + t.lost, t.made);
}

/* The default pool holds 200 threads at once. */
static void test_pool_default(void **state)
{
	const char *opts[] = {NULL};
	const char *args[] = {"threads", "200", "50", NULL};

	(void)state;
	expect_all(opts, args, 200 * 50, 0);
}

static void test_block_loses_nothing(void **state)
{
	const char *opts[] = {"--buffer-size", "16K", "--when-full", "block", NULL};
	const char *args[] = {"burst", "50000", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.events, 50000);
}

/* A writer killed mid-stream: the reader carries on, the other process's
 * events are all there, and the killed one's are delivered or lost (at
 * most the record it was writing). */
static void test_sigkill_writer(void **state)
{
	/* the child writes as fast as it can: block, so that only the kill
	 * can lose an event however slow the reader is */
	const char *opts[] = {"--when-full", "block", NULL};
	const char *args[] = {"kill", "1000", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_int_equal(t.made, 1000);
	assert_true(t.child >= 20000 && t.child_pid > 0);
	assert_int_equal(t.events - t.child_events, 1000);
	assert_int_equal(t.lost - t.child_lost, 0);
	/* the count was taken after the kill; the child may have made one
	 * more event than it counted, and lost the one it was writing */
	assert_true(t.child_events + t.child_lost >= t.child);
	assert_true(t.child_events + t.child_lost <= t.child + 1);
	assert_true(t.child_lost <= 1);
}

/* A record a killed process had begun: counted lost, everything before it
 * and every other process's events read. */
static void test_half_written_record(void **state)
{
	const char *opts[] = {NULL};
	const char *args[] = {"half", "500", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_int_equal(t.made, 500);
	assert_int_equal(t.child, 500);
	assert_int_equal(t.child_events, 500);
	assert_int_equal(t.child_lost, 1);
	assert_int_equal(t.events - t.child_events, 500);
	assert_int_equal(t.lost, 1);
}

/* Events from a signal handler while the thread is inside a traced call
 * cannot be recorded: each one is counted lost. */
static void test_signal_handler_events_lost(void **state)
{
	const char *opts[] = {NULL};
	const char *args[] = {"signal", "7", NULL};
	struct tally t;

	(void)state;
	run_counted(opts, args, &t);
	assert_true(t.made >= 7 + 4);
	assert_int_equal(t.lost, 7);
	assert_int_equal(t.events + t.lost, t.made);
}

/* nipc killed with SIGKILL leaves no buffer behind: its watchdog removes
 * it. */
static void test_killed_reader_leaves_nothing(void **state)
{
	const char *plain[] = {tl_nipc(), "trace", "--", "sleep", "2", NULL};
	const char *counted[] = {tl_nipc(), "trace", "--counters", "--", "sleep", "2", NULL};

	(void)state;
	for (int counters = 0; counters <= 1; counters++) {
		struct tl_proc p;
		long long until;

		assert_int_equal(tl_start(&p, counters ? counted : plain, NULL), 0);
		until = tl_mono_ns() + 5000000000LL;
		while (buffers(p.pid) < 1 + counters && tl_mono_ns() < until)
			usleep(10000);
		assert_int_equal(buffers(p.pid), 1 + counters);
		kill(p.pid, SIGKILL);
		tl_wait(&p, 5000);
		until = tl_mono_ns() + 5000000000LL;
		while (buffers(p.pid) && tl_mono_ns() < until)
			usleep(10000);
		assert_int_equal(buffers(p.pid), 0);
		tl_proc_free(&p);
	}
}

/* close_all's DATA holds its own lines only, and its five events are in
 * the trace. */
static void check_close_all(const char *data, const char *trace)
{
	char *text = tl_slurp(data);
	struct tl_lines l;
	size_t events = 0;

	assert_non_null(text);
	assert_string_equal(text, "own data 1\nown data 2\n");
	free(text);
	assert_int_equal(tl_lines_load(&l, trace), 0);
	for (size_t i = 0; i < l.n; i++)
		events += strstr(l.line[i], "shm_unlink(\"/nipc-close-all-absent-") != NULL;
	tl_lines_free(&l);
	assert_int_equal(events, 5);
}

/* Line mode: the shim's descriptor survives the program's close_range,
 * close and dup2 over it, and never becomes the program's file. */
static void test_close_everything_line_mode(void **state)
{
	const char *data = tl_new_path("close_all.data"), *trace = tl_new_path("close_all.trace");
	const char *argv[] = {tl_prog("close_all"), data, NULL};

	(void)state;
	assert_int_equal(tl_run(NULL, argv, &(struct tl_opts){.preload = 1, .trace = "1",
							       .trace_file = trace}), 0);
	check_close_all(data, trace);
}

/* Ring mode: nothing of the trace is a descriptor of the program's. */
static void test_close_everything_ring(void **state)
{
	const char *data = tl_new_path("close_all.data"), *trace = tl_new_path("close_all.trace");
	const char *argv[] = {tl_nipc(), "trace", "-o", trace, "--", tl_prog("close_all"), data,
			      NULL};

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, NULL), 0);
	check_close_all(data, trace);
}

/* A daemonising program: its start command exits at once, and its
 * grandchild (re-parented to nipc, the subreaper) makes its segment a
 * second later. nipc trace waits for it and has its events, with and
 * without the summary (-C). */
static void test_daemon_traced(void **state)
{
	(void)state;
	for (int summary = 0; summary <= 1; summary++) {
		const char *name = tl_unique_name(), *mark = tl_new_path("daemon.mark");
		const char *trace = tl_new_path("daemon.trace"), *err = tl_new_path("daemon.err");
		const char *plain[] = {tl_nipc(), "trace", "-o", trace, "-e", "posix-shm", "--",
				       tl_prog("daemon_prog"), name, mark, NULL};
		const char *summed[] = {tl_nipc(), "trace", "-o", trace, "-C", "-e",
					"posix-shm", "--", tl_prog("daemon_prog"), name, mark, NULL};
		char *text, want[128];
		long dpid = 0;
		FILE *f;

		assert_int_equal(tl_run_files(summary ? summed : plain, NULL, err), 3);
		shm_unlink(name);
		f = fopen(mark, "r");
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%ld", &dpid), 1);
		fclose(f);
		text = tl_slurp(trace);
		assert_non_null(text);
		snprintf(want, sizeof want, "shm_open(\"%s\"", name);
		if (!strstr(text, want))
			fail_msg("the daemon's shm_open is not in the trace:\n%s", text);
		snprintf(want, sizeof want, "%ld", dpid);
		assert_non_null(strstr(text, want));
		/* -C puts the tables after the events, in the one -o file */
		if (summary && !strstr(text, "calls"))
			fail_msg("no summary in the trace:\n%s", text);
		free(text);
	}
}

/* --detach: nipc returns when the start command does, before the daemon
 * (held back by its GO file) has done anything. */
static void test_detach_returns(void **state)
{
	const char *name = tl_unique_name(), *mark = tl_new_path("daemon.mark");
	const char *go = tl_new_path("daemon.go");
	const char *argv[] = {tl_nipc(), "trace", "--detach", "-o", tl_new_path("d.trace"), "--",
			      tl_prog("daemon_prog"), name, mark, go, NULL};
	struct stat st;
	FILE *f;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, NULL), 3);
	assert_int_equal(stat(mark, &st), -1);
	f = fopen(go, "w");
	assert_non_null(f);
	fclose(f);
	for (int i = 0; i < 1000 && stat(mark, &st); i++)
		usleep(10000);
	assert_int_equal(stat(mark, &st), 0);
	shm_unlink(name);
}

static void test_usage(void **state)
{
	const char *bad[][3] = {{"--buffer-size", "12", NULL}, {"--buffer-size", "1x", NULL},
				{"--when-full", "wait", NULL}, {"--rings", "0", NULL},
				{"--rings", "x", NULL}, {"--rings", "-1", NULL}, {"--rings", "65537", NULL},
				{"--rings", "8k", NULL}};

	(void)state;
	for (size_t i = 0; i < TL_LEN(bad); i++) {
		const char *argv[] = {tl_nipc(), "trace", bad[i][0], bad[i][1], "--", "true", NULL};

		assert_int_equal(tl_run_files(argv, NULL, NULL), 2);
	}
}

/* The data a traced call touches is on one page of the shim (shim.h:
 * a system call empties the TLB where page-table isolation has no PCID):
 * the nipc_hot section starts on a page boundary and fits in one page. */
static void test_hot_data_one_page(void **state)
{
	FILE *f = fopen(tl_shim(), "rb");
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL, *strs;
	char *names = NULL;
	int found = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof eh, 1, f), 1);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS64);
	sh = calloc(eh.e_shnum, sizeof *sh);
	assert_non_null(sh);
	assert_int_equal(fseek(f, (long)eh.e_shoff, SEEK_SET), 0);
	assert_int_equal(fread(sh, sizeof *sh, eh.e_shnum, f), eh.e_shnum);
	strs = &sh[eh.e_shstrndx];
	names = malloc(strs->sh_size + 1);
	assert_non_null(names);
	assert_int_equal(fseek(f, (long)strs->sh_offset, SEEK_SET), 0);
	assert_int_equal(fread(names, 1, strs->sh_size, f), strs->sh_size);
	names[strs->sh_size] = 0;
	for (int i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size || strcmp(names + sh[i].sh_name, "nipc_hot"))
			continue;
		found = 1;
		assert_int_equal(sh[i].sh_addr % 4096, 0);
		assert_true(sh[i].sh_size <= 4096);
	}
	assert_true(found);
	free(names);
	free(sh);
	fclose(f);
}

/* Each hook (t_fn) and the interposed function after it (fn) lie in one
 * page: after the real call, the lean path runs in that page only. So do
 * the descriptors' table's calls from shm_open and close (names_fd_put,
 * names_fd_take) with t_close: between the system calls of a shm_open and
 * the close after it, the path runs in the two hooks' pages. */
static void test_hooks_one_page(void **state)
{
	FILE *f = fopen(tl_shim(), "rb");
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	Elf64_Sym *sym = NULL;
	char *str = NULL;
	size_t nsym = 0, hooks = 0;

	(void)state;
	if (tl_shim_asan())
		skip();
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof eh, 1, f), 1);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	sh = calloc(eh.e_shnum, sizeof *sh);
	assert_non_null(sh);
	assert_int_equal(fseek(f, (long)eh.e_shoff, SEEK_SET), 0);
	assert_int_equal(fread(sh, sizeof *sh, eh.e_shnum, f), eh.e_shnum);
	for (int i = 0; i < eh.e_shnum; i++) {
		const Elf64_Shdr *ss;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		assert_true(sh[i].sh_link < eh.e_shnum);
		ss = &sh[sh[i].sh_link];
		nsym = sh[i].sh_size / sizeof *sym;
		sym = malloc(sh[i].sh_size);
		str = malloc(ss->sh_size + 1);
		assert_non_null(sym);
		assert_non_null(str);
		assert_int_equal(fseek(f, (long)sh[i].sh_offset, SEEK_SET), 0);
		assert_int_equal(fread(sym, sizeof *sym, nsym, f), nsym);
		assert_int_equal(fseek(f, (long)ss->sh_offset, SEEK_SET), 0);
		assert_int_equal(fread(str, 1, ss->sh_size, f), ss->sh_size);
		str[ss->sh_size] = 0;
	}
	fclose(f);
	assert_non_null(sym);
	for (size_t i = 0; i < nsym; i++) {
		const char *name = str + sym[i].st_name;

		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || strncmp(name, "t_", 2))
			continue;
		for (size_t j = 0; j < nsym; j++) {
			uint64_t end = sym[j].st_value + sym[j].st_size;

			if (ELF64_ST_TYPE(sym[j].st_info) != STT_FUNC ||
			    ELF64_ST_BIND(sym[j].st_info) != STB_GLOBAL || strcmp(str + sym[j].st_name, name + 2))
				continue;
			if (sym[i].st_value / 4096 != (end - 1) / 4096 || sym[j].st_value < sym[i].st_value)
				fail_msg("%s at %#llx and %s ending at %#llx are not in one page", name,
					 (unsigned long long)sym[i].st_value, name + 2, (unsigned long long)end);
			hooks++;
		}
	}
	assert_true(hooks > 30);
	for (size_t i = 0; i < nsym; i++) {
		static const char *const fd_page[] = {"names_fd_put", "names_fd_take"};
		const char *name = str + sym[i].st_name;

		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || strcmp(name, "t_close"))
			continue;
		for (size_t n = 0; n < TL_LEN(fd_page); n++) {
			int found = 0;

			for (size_t j = 0; j < nsym; j++) {
				uint64_t end = sym[j].st_value + sym[j].st_size;

				if (ELF64_ST_TYPE(sym[j].st_info) != STT_FUNC ||
				    strcmp(str + sym[j].st_name, fd_page[n]))
					continue;
				found = 1;
				if (sym[j].st_value / 4096 != sym[i].st_value / 4096 ||
				    (end - 1) / 4096 != sym[i].st_value / 4096)
					fail_msg("%s at %#llx..%#llx is not in t_close's page (%#llx)",
						 fd_page[n], (unsigned long long)sym[j].st_value,
						 (unsigned long long)end, (unsigned long long)sym[i].st_value);
			}
			if (!found)
				fail_msg("%s is not in the shim's symbol table", fd_page[n]);
		}
		hooks++;
	}
	assert_true(hooks > 31);
	free(sym);
	free(str);
	free(sh);
}

/* Object file path's relocations from the traced path's code (.text
 * sorted as nipc1a: before the real call; nipc1c: after it; nipc2.*: the
 * hooks) into .rodata: how many, each reported. */
static int rodata_refs(const char *path)
{
	char *text = NULL, *names;
	long size;
	int bad = 0;
	FILE *f = fopen(path, "rb");
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > (long)sizeof *eh);
	text = malloc((size_t)size);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	eh = (const Elf64_Ehdr *)text;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_type, ET_REL);
	assert_true(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof *sh <= (uint64_t)size);
	sh = (const Elf64_Shdr *)(text + eh->e_shoff);
	names = text + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *rn = names + sh[i].sh_name, *tn;
		const Elf64_Rela *r = (const Elf64_Rela *)(text + sh[i].sh_offset);
		const Elf64_Sym *sym;

		if (sh[i].sh_type != SHT_RELA || sh[i].sh_info >= eh->e_shnum)
			continue;
		tn = names + sh[sh[i].sh_info].sh_name;
		if (strcmp(tn, ".text.sorted.nipc1a") && strcmp(tn, ".text.sorted.nipc1c") &&
		    strncmp(tn, ".text.sorted.nipc2.", 19))
			continue;
		sym = (const Elf64_Sym *)(text + sh[sh[i].sh_link].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof *r; k++) {
			const Elf64_Sym *y = &sym[ELF64_R_SYM(r[k].r_info)];

			if (y->st_shndx == SHN_UNDEF || y->st_shndx >= eh->e_shnum ||
			    strncmp(names + sh[y->st_shndx].sh_name, ".rodata", 7))
				continue;
			fprintf(stderr, "# %s: %s+0x%llx (%s) reads %s\n", path, tn,
				(unsigned long long)r[k].r_offset, rn, names + sh[y->st_shndx].sh_name);
			bad++;
		}
	}
	free(text);
	return bad;
}

/* The traced path reads nothing from .rodata (shim/local.mk: no jump
 * tables, no vector constants; shim.h): its code, as compiled, refers to
 * none. Not under the sanitizers, whose checks do. */
static void test_hot_code_no_rodata(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	DIR *d;
	struct dirent *e;
	int objects = 0, bad = 0;

	(void)state;
	if (tl_shim_asan())
		skip();
	snprintf(dir, sizeof dir, "%s/shim/.libs", tl_builddir());
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (strncmp(e->d_name, "libnipc_preload_la-", 19) || n < 3 || strcmp(e->d_name + n - 2, ".o"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		bad += rodata_refs(path);
		objects++;
	}
	closedir(d);
	assert_true(objects > 10);
	assert_int_equal(bad, 0);
}

TL_TESTS("trace_ring", NULL, NULL, test_hot_data_one_page, test_hot_code_no_rodata, test_hooks_one_page, test_keys_as_line_mode, test_threads_forks_execs, test_small_buffer_counts_losses,
	 test_pool_exhausted, test_pool_default, test_reader_stall, test_exec_chain,
	 test_block_loses_nothing, test_sigkill_writer, test_half_written_record,
	 test_signal_handler_events_lost,
	 test_killed_reader_leaves_nothing, test_close_everything_line_mode,
	 test_close_everything_ring, test_daemon_traced, test_detach_returns, test_usage)
