/* SPDX-License-Identifier: MIT */
/* nipc shm — create, write, read, inspect and lock shared memory segments,
 * interoperable with Qt's QSharedMemory (same keys, same lock). */
#include "config.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nipc shm create KEY SIZE [--hold] [--no-cleanup]\n"
	"       nipc shm write  KEY [--offset N] [--cleanup]   (stdin -> segment)\n"
	"       nipc shm cat    KEY [--size N] [--cleanup]     (segment -> stdout)\n"
	"       nipc shm info   KEY [--json] [--cleanup]  (attachments: other processes)\n"
	"       nipc shm lock   KEY [--for MS] [--cleanup]\n"
	"       nipc shm attach KEY [--cleanup]     (stays attached until stdin ends)\n"
	"KEY is a string form (posix:/app, systemv:/tmp/app) or --legacy NAME\n"
	"[--type TYPE]: Qt 5's legacy key of NAME (default type: the host's legacy\n"
	"default, systemv on Linux), whose lock Qt 5 programs share.\n"
	"create without --hold leaves the segment in place; --hold stays attached\n"
	"until a line or EOF on stdin (or SIGINT/SIGTERM), then detaches, which\n"
	"removes the segment when it is the last attachment unless --no-cleanup.\n"
	"write, cat, info, lock and attach never remove the segment unless --cleanup is\n"
	"given (then the last one to detach removes it, as a Qt program does).\n"
	"lock prints \"locked\" once it holds the lock, holds it MS milliseconds\n"
	"(without --for: until a line or EOF on stdin), then prints \"unlocked\".\n";

/* Options: the KEY's two, then one per verb's own (index = bit number). */
enum { O_HOLD = 1, O_NOCLEAN = 2, O_CLEAN = 4, O_OFFSET = 8, O_SIZE = 16, O_JSON = 32, O_FOR = 64 };
static const struct opt shm_opts[] = {
	KEY_ARG_OPTS, {.name = "hold"}, {.name = "no-cleanup"}, {.name = "cleanup"},
	{.name = "offset", .has_value = 1}, {.name = "size", .has_value = 1}, {.name = "json"},
	{.name = "for", .has_value = 1}, {NULL}
};

struct args {
	const char *verb, *who;
	struct key_arg key;
	const char *pos[1];
	int npos, flags;
	const char *offset, *size, *for_ms;
};

static int parse(struct args *a, int argc, char **argv, int allowed, int npos)
{
	struct opt opts[sizeof shm_opts / sizeof shm_opts[0]];
	const char *val[sizeof shm_opts / sizeof shm_opts[0]] = {0};
	struct cmdline c = {.who = a->who, .see = "nipc shm --help", .opts = opts,
			    .max_pos = npos + 1, .flags = CL_ONCE};
	int map[sizeof shm_opts / sizeof shm_opts[0]], n = 0, rc;

	/* The verb's own table: an option it does not take is unknown. */
	for (int k = 0; shm_opts[k].name; k++) {
		if (k >= 2 && !(allowed & 1 << (k - 2)))
			continue;
		map[n] = k;
		opts[n++] = shm_opts[k];
	}
	opts[n] = (struct opt){NULL};
	if ((rc = parse_cmdline(&c, argc, argv)))
		return rc;
	for (int j = 0; j < n; j++) {
		val[map[j]] = c.val[j];
		if (c.seen[j] && map[j] >= 2)
			a->flags |= 1 << (map[j] - 2);
	}
	a->offset = val[5];
	a->size = val[6];
	a->for_ms = val[8];
	key_arg_take(&a->key, &c, npos);
	a->npos = c.npos;
	if (c.npos)
		a->pos[0] = c.pos[0];
	if (a->npos < npos)
		return usage_error("%s: missing argument (see nipc shm --help)", a->who);
	return EXIT_OK;
}

static int open_shm(struct args *a, nipc_shm **out)
{
	nipc_key *key;
	int rc = key_arg_make(&a->key, NIPC_KIND_SHM, a->who, &key);

	if (rc != EXIT_OK)
		return rc;
	int err = nipc_shm_new(out, key);
	nipc_key_free(key);
	if (err < 0)
		return fail("%s: %s", a->who, nipc_strerror(err));
	return EXIT_OK;
}

static int shm_fail(struct args *a, nipc_shm *shm)
{
	int rc = fail("%s: %s", a->who, nipc_shm_error_string(shm));

	nipc_shm_free(shm);
	return rc;
}

/* Attach for the non-creating verbs; they keep the segment unless --cleanup. */
static int attach(struct args *a, nipc_shm **out, nipc_shm_access access)
{
	int rc = open_shm(a, out);

	if (rc != EXIT_OK)
		return rc;
	nipc_shm_set_cleanup(*out, !!(a->flags & O_CLEAN));
	if (nipc_shm_attach(*out, access) < 0) {
		rc = shm_fail(a, *out);
		*out = NULL;
	}
	return rc;
}

/* attach, after reading the verb's number option opt (NULL if not given). */
static int attach_num(struct args *a, nipc_shm **out, nipc_shm_access access,
		      const char *opt, const char *val, unsigned long long *num)
{
	if (val && parse_num(val, 0, (unsigned long long)-1, num) < 0)
		return usage_error("%s: %s must be a number, not '%s'", a->who, opt, val);
	return attach(a, out, access);
}

static int finish(struct args *a, nipc_shm *shm, int rc)
{
	if (nipc_shm_is_attached(shm) && nipc_shm_detach(shm) < 0 && rc == EXIT_OK)
		return shm_fail(a, shm);
	nipc_shm_free(shm);
	return rc;
}

static int do_create(struct args *a)
{
	unsigned long long size;
	nipc_shm *shm;
	int rc;

	if (parse_num(a->pos[0], 0, (size_t)-1 / 2, &size) < 0)
		return usage_error("%s: SIZE must be a number of bytes, not '%s'", a->who, a->pos[0]);
	if ((a->flags & O_NOCLEAN) && !(a->flags & O_HOLD))
		return usage_error("%s: --no-cleanup only matters with --hold "
				   "(plain create always leaves the segment)", a->who);
	rc = open_shm(a, &shm);
	if (rc != EXIT_OK)
		return rc;
	nipc_shm_set_cleanup(shm, (a->flags & O_HOLD) && !(a->flags & O_NOCLEAN));
	if (nipc_shm_create(shm, size, NIPC_SHM_READWRITE) < 0)
		return shm_fail(a, shm);
	if (a->flags & O_HOLD) {
		catch_stop_signals();
		puts("created");
		flush_stdout();
		wait_line_or_signal();
	}
	return finish(a, shm, EXIT_OK);
}

/* Locks: EXIT_OK, or EXIT_FAIL after a message. A lock taken over from a
 * holder that died is said: its data may be half-written. */
static int lock(struct args *a, nipc_shm *shm)
{
	if (nipc_shm_lock(shm) < 0)
		return fail("%s: %s", a->who, nipc_shm_error_string(shm));
	if (nipc_shm_lock_recovered(shm))
		fprintf(stderr, "nipc: %s: the lock was taken over from a holder that died while "
				"holding it; the data may be half-written\n", a->who);
	return EXIT_OK;
}

/* Reads all of stdin, at most room bytes (one more is read to detect a
 * larger input): EXIT_OK with *buf (to free) and *len, or EXIT_FAIL. */
static int read_input(struct args *a, size_t room, unsigned long long off, char **buf,
		      size_t *len)
{
	char *b = malloc(room + 1);
	size_t n = 0;

	if (!b)
		return fail("%s: out of memory", a->who);
	while (n <= room) {
		ssize_t r = read(0, b + n, room + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return fail("%s: reading stdin: %s", a->who, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > room) {
		free(b);
		return fail("%s: input is larger than the %zu bytes from offset %llu to the end "
			    "of the segment; nothing written", a->who, room, off);
	}
	*buf = b;
	*len = n;
	return EXIT_OK;
}

static int do_write(struct args *a)
{
	unsigned long long off = 0;
	nipc_shm *shm;
	char *buf = NULL;
	size_t size, len = 0;
	int rc = attach_num(a, &shm, NIPC_SHM_READWRITE, "--offset", a->offset, &off);

	if (rc != EXIT_OK)
		return rc;
	size = nipc_shm_size(shm);
	if (off > size)
		return finish(a, shm, fail("%s: offset %llu is beyond the segment's %zu bytes",
					   a->who, off, size));
	/* All of stdin first, so the segment is changed only by a write that fits. */
	if ((rc = read_input(a, size - off, off, &buf, &len)))
		return finish(a, shm, rc);
	if (lock(a, shm)) {
		free(buf);
		return finish(a, shm, EXIT_FAIL);
	}
	memcpy((char *)nipc_shm_data(shm) + off, buf, len);
	nipc_shm_unlock(shm);
	free(buf);
	return finish(a, shm, EXIT_OK);
}

static int do_cat(struct args *a)
{
	unsigned long long limit = (unsigned long long)-1;
	nipc_shm *shm;
	int rc = attach_num(a, &shm, NIPC_SHM_READONLY, "--size", a->size, &limit);

	if (rc != EXIT_OK)
		return rc;
	size_t n = nipc_shm_size(shm);
	if (limit < n)
		n = limit;
	/* Copy under the lock, write after it: a slow reader must not hold it. */
	char *buf = malloc(n ? n : 1);
	if (!buf)
		return finish(a, shm, fail("%s: out of memory", a->who));
	if (lock(a, shm)) {
		free(buf);
		return finish(a, shm, EXIT_FAIL);
	}
	memcpy(buf, nipc_shm_data(shm), n);
	nipc_shm_unlock(shm);
	/* A failed write is reported by close_stdout, at exit. */
	if (write_stdout(buf, n) == 0)
		flush_stdout();
	free(buf);
	return finish(a, shm, EXIT_OK);
}

/* Attachments of the segment other than ours (we are attached once): the
 * kernel's count less one (System V), or the other processes seen mapping
 * it (POSIX); -1 when not known. */
static long other_attachments(const nipc_obj *o)
{
	long n = nipc_obj_attachments(o), kt;

	if (n < 0 || nipc_obj_sysv_key(&kt, o) == 0)
		return n < 0 ? -1 : n - 1;
	for (size_t i = 0; i < nipc_obj_pid_count(o); i++)
		if (nipc_obj_pid(o, i) == (long)getpid())
			return n - 1;
	return n;
}

static int do_info(struct args *a)
{
	nipc_shm *shm;
	nipc_obj *obj = NULL;
	char type[32], *str = NULL;
	long kt = 0, others = -1;
	int sysv = 0, rc = attach(a, &shm, NIPC_SHM_READONLY);

	if (rc != EXIT_OK)
		return rc;
	const nipc_key *key = nipc_shm_key(shm);
	int t = nipc_key_type(key);
	if (nipc_key_type_name(type, sizeof type, t) < 0 || nipc_key_to_string(&str, key) < 0)
		return finish(a, shm, fail("%s: cannot format the key", a->who));
	if (nipc_obj_stat(&obj, key, NIPC_KIND_SHM) == 0) {
		sysv = nipc_obj_sysv_key(&kt, obj) == 0;
		others = other_attachments(obj);
		nipc_obj_free(obj);
	}
	const char *legacy = nipc_key_legacy(key);
	if (a->flags & O_JSON) {
		fputs("{\"type\":", stdout);
		json_string(stdout, type);
		printf(",\"type_id\":%d,\"string\":", t);
		json_string(stdout, str);
		fputs(",\"native\":", stdout);
		json_string(stdout, nipc_key_native(key));
		fputs(",\"legacy\":", stdout);
		json_string(stdout, legacy);
		printf(",\"size\":%zu,\"attachments\":", nipc_shm_size(shm));
		if (others >= 0)
			printf("%ld", others);
		else
			fputs("null", stdout);
		fputs(",\"key_t\":", stdout);
		if (sysv)
			printf("%ld", kt);
		else
			fputs("null", stdout);
		fputs("}\n", stdout);
	} else {
		printf("type:        %s (%d)\nkey:         %s\nnative:      %s\n", type, t, str,
		       nipc_key_native(key));
		if (legacy)
			printf("legacy:      %s\n", legacy);
		printf("size:        %zu\n", nipc_shm_size(shm));
		if (others >= 0)
			printf("attachments: %ld\n", others);
		else
			puts("attachments: unknown");
		if (sysv)
			printf("key_t:       0x%08lx\n", (unsigned long)(unsigned)kt);
	}
	free(str);
	flush_stdout();
	return finish(a, shm, EXIT_OK);
}

static int do_lock(struct args *a)
{
	unsigned long long ms = 0;
	nipc_shm *shm;
	int rc;

	if (a->for_ms && parse_num(a->for_ms, 0, 1000ULL * 86400 * 365, &ms) < 0)
		return usage_error("%s: --for must be a number of milliseconds, not '%s'",
				   a->who, a->for_ms);
	rc = attach(a, &shm, NIPC_SHM_READWRITE);
	if (rc != EXIT_OK)
		return rc;
	if (lock(a, shm))
		return finish(a, shm, EXIT_FAIL);
	catch_stop_signals();
	puts("locked");
	flush_stdout();
	if (a->for_ms)
		sleep_ms_or_signal(ms);
	else
		wait_line_or_signal();
	if (nipc_shm_unlock(shm) < 0) {
		fail("%s: %s", a->who, nipc_shm_error_string(shm));
		return finish(a, shm, EXIT_FAIL);
	}
	puts("unlocked");
	flush_stdout();
	return finish(a, shm, EXIT_OK);
}

static int do_attach(struct args *a)
{
	nipc_shm *shm;
	int rc = attach(a, &shm, NIPC_SHM_READWRITE);

	if (rc != EXIT_OK)
		return rc;
	catch_stop_signals();
	puts("attached");
	flush_stdout();
	wait_line_or_signal();
	return finish(a, shm, EXIT_OK);
}

static const struct {
	const char *verb;
	int (*run)(struct args *a);
	int allowed, npos;
} verbs[] = {
	{"create", do_create, O_HOLD | O_NOCLEAN, 1},
	{"write", do_write, O_OFFSET | O_CLEAN, 0},
	{"cat", do_cat, O_SIZE | O_CLEAN, 0},
	{"info", do_info, O_JSON | O_CLEAN, 0},
	{"lock", do_lock, O_FOR | O_CLEAN, 0},
	{"attach", do_attach, O_CLEAN, 0},
};

int cmd_shm(int argc, char **argv)
{
	char who[32];
	int i, rc;

	if (argc < 2)
		return usage_error("shm: missing subcommand\n%s", usage_text);
	if (is_help(argv[1])) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if ((i = FIND_ROW(verbs, argv[1])) < 0)
		return usage_error("shm: unknown subcommand '%s' (create, write, cat, info, lock, attach)",
				   argv[1]);
	struct args a = {.verb = verbs[i].verb, .who = who};
	snprintf(who, sizeof who, "shm %s", verbs[i].verb);
	rc = parse(&a, argc - 1, argv + 1, verbs[i].allowed, verbs[i].npos);
	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	return rc != EXIT_OK ? rc : verbs[i].run(&a);
}
