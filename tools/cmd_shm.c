/* SPDX-License-Identifier: MIT */
/* nipc shm — create, write, read, inspect and lock shared memory segments,
 * interoperable with Qt's QSharedMemory (same keys, same lock). */
#include "config.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nipc shm create KEY SIZE [--hold] [--no-cleanup]\n"
	"       nipc shm write  KEY [--offset N] [--cleanup]   (stdin -> segment)\n"
	"       nipc shm cat    KEY [--size N] [--cleanup]     (segment -> stdout)\n"
	"       nipc shm info   KEY [--json] [--cleanup]  (attachments: other processes)\n"
	"       nipc shm lock   KEY [--for MS] [--timeout MS] [--cleanup]\n"
	"       nipc shm attach KEY [--cleanup]     (stays attached until stdin ends)\n"
	"KEY is a string form (posix:/app, systemv:/tmp/app) or --legacy NAME\n"
	"[--type TYPE]: Qt 5's legacy key of NAME (default type: the host's legacy\n"
	"default, systemv on Linux), whose lock Qt 5 programs share. info and cat\n"
	"also take a System V key (0x5100408b) or id (shmid:N), as ipcs prints them.\n"
	"Sizes take K, M, G (1024-based, as ipcmk): 4K is 4096.\n"
	"create without --hold leaves the segment in place; --hold stays attached\n"
	"until a line or EOF on stdin (or SIGINT/SIGTERM), then detaches, which\n"
	"removes the segment when it is the last attachment unless --no-cleanup.\n"
	"write, cat, info, lock and attach never remove the segment unless --cleanup is\n"
	"given (then the last one to detach removes it, as a Qt program does).\n"
	"info and cat create nothing: cat reads under the lock when it exists, else\n"
	"without it and says so.\n"
	"lock prints \"locked\" once it holds the lock (waiting at most --timeout MS,\n"
	"else exit 5), holds it MS milliseconds (without --for: until a line or EOF\n"
	"on stdin), then prints \"unlocked\".\n";

/* Options: the KEY's two, then one per verb's own (index = bit number). */
enum { O_HOLD = 1, O_NOCLEAN = 2, O_CLEAN = 4, O_OFFSET = 8, O_SIZE = 16, O_JSON = 32, O_FOR = 64,
       O_TIMEOUT = 128 };
static const struct opt shm_opts[] = {
	KEY_ARG_OPTS, {.name = "hold"}, {.name = "no-cleanup"}, {.name = "cleanup"},
	{.name = "offset", .has_value = 1}, {.name = "size", .has_value = 1}, {.name = "json"},
	{.name = "for", .has_value = 1}, {.name = "timeout", .has_value = 1}, {NULL}
};

struct args {
	const char *verb, *who;
	struct key_arg key;
	const char *pos[1];
	int npos, flags;
	const char *offset, *size, *for_ms, *timeout;
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
	a->timeout = val[9];
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

/* "cannot WHAT: REASON"; a segment that is not there exits EXIT_NOTFOUND,
 * a lock that stayed taken EXIT_TIMEOUT. */
static int shm_say(struct args *a, nipc_shm *shm, const char *what, int err)
{
	int rc = nipc_shm_error(shm) == NIPC_SHM_ERR_NOT_FOUND ? EXIT_NOTFOUND
		 : err == -NIPC_ETIMEDOUT ? EXIT_TIMEOUT : EXIT_FAIL;

	return say(rc, "%s: cannot %s: %s", a->who, what, nipc_shm_error_reason(shm));
}

static int shm_fail(struct args *a, nipc_shm *shm, const char *what)
{
	int rc = shm_say(a, shm, what, 0);

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
		rc = shm_fail(a, *out, "attach to the segment");
		*out = NULL;
	}
	return rc;
}

/* attach, after reading the verb's number option opt (NULL if not given). */
static int attach_num(struct args *a, nipc_shm **out, nipc_shm_access access,
		      const char *opt, const char *val, unsigned long long *num)
{
	if (val && parse_size(val, (unsigned long long)-1, num) < 0)
		return usage_error("%s: %s must be a size in bytes (such as 100, 4K, 1M), not '%s'",
				   a->who, opt, val);
	return attach(a, out, access);
}

static int finish(struct args *a, nipc_shm *shm, int rc)
{
	if (nipc_shm_is_attached(shm) && nipc_shm_detach(shm) < 0 && rc == EXIT_OK)
		return shm_fail(a, shm, "detach from the segment");
	nipc_shm_free(shm);
	return rc;
}

static int do_create(struct args *a)
{
	unsigned long long size;
	nipc_shm *shm;
	int rc;

	if (parse_size(a->pos[0], (size_t)-1 / 2, &size) < 0)
		return usage_error("%s: SIZE must be a size in bytes (such as 4096, 4K, 1M, 1G), "
				   "not '%s'", a->who, a->pos[0]);
	if ((a->flags & O_NOCLEAN) && !(a->flags & O_HOLD))
		return usage_error("%s: --no-cleanup only matters with --hold "
				   "(plain create always leaves the segment)", a->who);
	rc = open_shm(a, &shm);
	if (rc != EXIT_OK)
		return rc;
	nipc_shm_set_cleanup(shm, (a->flags & O_HOLD) && !(a->flags & O_NOCLEAN));
	if (nipc_shm_create(shm, size, NIPC_SHM_READWRITE) < 0)
		return shm_fail(a, shm, "create the segment");
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
static int lock(struct args *a, nipc_shm *shm, int ms)
{
	int err = nipc_shm_lock_timeout(shm, ms);

	if (err < 0)
		return shm_say(a, shm, "lock the segment", err);
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
	if ((rc = lock(a, shm, -1))) {
		free(buf);
		return finish(a, shm, rc);
	}
	memcpy((char *)nipc_shm_data(shm) + off, buf, len);
	nipc_shm_unlock(shm);
	free(buf);
	return finish(a, shm, EXIT_OK);
}

/* ---- inspection that creates nothing ----
 * info and cat find the segment without libnipc's attach, which opens
 * (so creates) the lock semaphore and, for System V, its key file. The
 * lock is taken only where it exists already. */
struct peek {
	nipc_key *key;     /* NULL for a raw System V key or shmid */
	nipc_obj *obj;     /* the segment as nipc_obj_stat saw it, or NULL (raw) */
	int lock_exists;
	long id, key_t;    /* System V: shmid and key_t; id -1 for POSIX */
	struct shmid_ds ds; /* raw: the kernel's record */
	void *addr;        /* mapped (cat) */
	size_t size;
};

static void peek_free(struct peek *p)
{
	if (p->addr && p->id >= 0)
		shmdt(p->addr);
	else if (p->addr && p->size)
		munmap(p->addr, p->size);
	nipc_obj_free(p->obj);
	nipc_key_free(p->key);
}

/* A raw form: the segment's shmid and record; EXIT_OK or after a message. */
static int peek_raw(struct args *a, struct peek *p, int form, long num)
{
	if (form == RAW_SEMID)
		return usage_error("%s: '%s' names a semaphore set, not a segment", a->who,
				   a->key.string);
	if (form == RAW_BAD)
		return usage_error("%s: invalid key '%s' (0xKEY, shmid:N or a string form)",
				   a->who, a->key.string);
	if (a->flags & O_CLEAN)
		return usage_error("%s: --cleanup needs a key, not a raw System V key or id", a->who);
	/* shmget(IPC_PRIVATE, ...) would make a segment, never find one */
	if (form == RAW_KEY && !num)
		return usage_error("%s: key 0x00000000 is IPC_PRIVATE; name the segment by shmid:N",
				   a->who);
	p->key_t = num;
	p->id = form == RAW_SHMID ? num : shmget((key_t)num, 0, 0);
	if (p->id < 0 || shmctl((int)p->id, IPC_STAT, &p->ds) < 0)
		return say(errno == ENOENT || errno == EINVAL || errno == EIDRM ? EXIT_NOTFOUND
			   : EXIT_FAIL, "%s: no segment %s: %s", a->who, a->key.string,
			   errno == EINVAL || errno == EIDRM ? "doesn't exist" : strerror(errno));
	p->key_t = (long)p->ds.shm_perm.__key;
	p->size = p->ds.shm_segsz;
	return EXIT_OK;
}

/* The lock's key as libnipc derives it: the legacy semaphore key of a
 * legacy key, else the segment's own key (another namespace). */
static int lock_exists(const nipc_key *key)
{
	nipc_key *lk = NULL;
	nipc_obj *o = NULL;
	const char *legacy = nipc_key_legacy(key);
	int r;

	if (legacy && nipc_key_legacy_make(&lk, legacy, NIPC_KIND_SEM, nipc_key_type(key),
					   NIPC_OS_HOST, NULL) < 0)
		return 0;
	r = nipc_obj_stat(&o, lk ? lk : key, NIPC_KIND_SEM) == 0;
	nipc_obj_free(o);
	nipc_key_free(lk);
	return r;
}

static int peek_open(struct args *a, struct peek *p)
{
	long num = 0;
	int form = a->key.string ? raw_form(a->key.string, &num) : RAW_NONE, rc, err;

	memset(p, 0, sizeof *p);
	p->id = -1;
	if (form != RAW_NONE)
		return peek_raw(a, p, form, num);
	if ((rc = key_arg_make(&a->key, NIPC_KIND_SHM, a->who, &p->key)))
		return rc;
	err = nipc_obj_stat(&p->obj, p->key, NIPC_KIND_SHM);
	if (err == -NIPC_ENOTFOUND)
		return say(EXIT_NOTFOUND, "%s: no segment %s", a->who,
			   a->key.string ? a->key.string : a->key.legacy);
	if (err < 0)
		return fail("%s: cannot look the segment up: %s", a->who, nipc_strerror(err));
	p->lock_exists = lock_exists(p->key);
	p->id = nipc_obj_id(p->obj);
	if (nipc_obj_sysv_key(&p->key_t, p->obj) < 0)
		p->key_t = -1;
	p->size = (size_t)nipc_obj_size(p->obj);
	return EXIT_OK;
}

/* Maps the segment read-only without any lock: EXIT_OK or after a message. */
static int peek_map(struct args *a, struct peek *p)
{
	if (p->id >= 0) {
		void *m = shmat((int)p->id, NULL, SHM_RDONLY);
		if (m == (void *)-1)
			return fail("%s: cannot attach to the segment: %s", a->who, strerror(errno));
		p->addr = m;
		return EXIT_OK;
	}
	int fd = shm_open(nipc_obj_name(p->obj), O_RDONLY | O_CLOEXEC, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return say(e == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL,
			   "%s: cannot open the segment: %s", a->who, strerror(e));
	}
	p->size = (size_t)st.st_size;
	p->addr = p->size ? mmap(NULL, p->size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	close(fd);
	if (p->addr == MAP_FAILED) {
		p->addr = NULL;
		return fail("%s: cannot map the segment: %s", a->who, strerror(errno));
	}
	return EXIT_OK;
}

static void say_unlocked(struct args *a, const struct peek *p)
{
	fprintf(stderr, "nipc: %s: read without the lock (%s); a writer may be changing "
			"the data\n", a->who, p->key ? "no lock semaphore exists, and reading "
			"creates none" : "a raw System V key or id names no lock");
}

static int do_cat(struct args *a)
{
	unsigned long long limit = (unsigned long long)-1;
	struct peek p;
	nipc_shm *shm = NULL;
	const void *data;
	int rc;

	if (a->size && parse_size(a->size, (unsigned long long)-1, &limit) < 0)
		return usage_error("%s: --size must be a size in bytes (such as 100, 4K, 1M), not '%s'",
				   a->who, a->size);
	if ((rc = peek_open(a, &p)))
		return peek_free(&p), rc;
	/* Under the lock when it exists (or --cleanup asks for Qt's detach). */
	if (p.key && (p.lock_exists || (a->flags & O_CLEAN))) {
		peek_free(&p);
		if ((rc = attach(a, &shm, NIPC_SHM_READONLY)))
			return rc;
		p = (struct peek){.size = nipc_shm_size(shm)};
		data = nipc_shm_data(shm);
	} else {
		if ((rc = peek_map(a, &p)))
			return peek_free(&p), rc;
		data = p.addr;
		say_unlocked(a, &p);
	}
	size_t n = p.size < limit ? p.size : (size_t)limit;
	/* Copy under the lock, write after it: a slow reader must not hold it. */
	char *buf = malloc(n ? n : 1);
	if (!buf)
		rc = fail("%s: out of memory", a->who);
	else if (!shm || !(rc = lock(a, shm, -1))) {
		memcpy(buf, data, n);
		if (shm)
			nipc_shm_unlock(shm);
		/* A failed write is reported by close_stdout, at exit. */
		if (write_stdout(buf, n) == 0)
			flush_stdout();
	}
	free(buf);
	peek_free(&p);
	return shm ? finish(a, shm, rc) : rc;
}

/* Attachments of the segment: the kernel's count (System V), or the
 * processes seen mapping it (POSIX); -1 when not known. */
static long attachments(const struct peek *p, long ours)
{
	long n = p->obj ? nipc_obj_attachments(p->obj) : (long)p->ds.shm_nattch;

	return n < 0 ? -1 : n - ours;
}

static void json_num(const char *name, long v, int known)
{
	printf(",\"%s\":", name);
	if (known)
		printf("%ld", v);
	else
		fputs("null", stdout);
}

static int do_info(struct args *a)
{
	nipc_shm *shm = NULL;
	struct peek p;
	char type[32] = "systemv", *str = NULL;
	int t = 0, rc = peek_open(a, &p);
	long others;

	if (rc)
		return peek_free(&p), rc;
	/* --cleanup detaches as Qt does (so the last one out removes). */
	if (a->flags & O_CLEAN) {
		if ((rc = attach(a, &shm, NIPC_SHM_READONLY)))
			return peek_free(&p), rc;
		nipc_obj_free(p.obj);
		p.obj = NULL;
		nipc_obj_stat(&p.obj, p.key, NIPC_KIND_SHM);
		p.lock_exists = 1;
	}
	others = attachments(&p, shm ? 1 : 0);
	if (p.key) {
		t = nipc_key_type(p.key);
		if (nipc_key_type_name(type, sizeof type, t) < 0 || nipc_key_to_string(&str, p.key) < 0) {
			peek_free(&p);
			return shm ? finish(a, shm, fail("%s: cannot format the key", a->who)) : EXIT_FAIL;
		}
	}
	const char *legacy = p.key ? nipc_key_legacy(p.key) : NULL;
	const char *native = p.key ? nipc_key_native(p.key) : NULL;
	if (a->flags & O_JSON) {
		fputs("{\"type\":", stdout);
		json_string(stdout, type);
		json_num("type_id", t, p.key != NULL);
		fputs(",\"string\":", stdout);
		json_string(stdout, str);
		fputs(",\"native\":", stdout);
		json_string(stdout, native);
		fputs(",\"legacy\":", stdout);
		json_string(stdout, legacy);
		printf(",\"size\":%zu", p.size);
		json_num("attachments", others, others >= 0);
		json_num("key_t", p.key_t, p.id >= 0);
		json_num("shmid", p.id, p.id >= 0);
		printf(",\"lock\":%s}\n", p.key && p.lock_exists ? "true" : "false");
	} else {
		if (p.key)
			printf("type:        %s (%d)\nkey:         %s\nnative:      %s\n", type, t, str,
			       native);
		else
			printf("type:        systemv (raw key)\n");
		if (legacy)
			printf("legacy:      %s\n", legacy);
		printf("size:        %zu\n", p.size);
		if (others >= 0)
			printf("attachments: %ld\n", others);
		else
			puts("attachments: unknown");
		if (p.id >= 0)
			printf("key_t:       0x%08lx\nshmid:       %ld\n",
			       (unsigned long)(unsigned)p.key_t, p.id);
		printf("lock:        %s\n", !p.key ? "unknown (raw key)" : p.lock_exists ? "exists"
		       : "none (nothing was created to look)");
	}
	free(str);
	flush_stdout();
	peek_free(&p);
	return shm ? finish(a, shm, EXIT_OK) : EXIT_OK;
}

static long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_timeout(int sig)
{
	static const char msg[] = "nipc: shm lock: timed out waiting for the lock\n";

	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to say */
	}
	_exit(EXIT_TIMEOUT);
}

/* ms > 0: exit EXIT_TIMEOUT after ms (SIGALRM); 0: disarm. */
static void arm_timeout(unsigned long long ms)
{
	struct itimerval it = {{0, 0}, {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000}};

	if (ms)
		signal(SIGALRM, on_timeout);
	setitimer(ITIMER_REAL, &it, NULL);
}

static int do_lock(struct args *a)
{
	unsigned long long ms = 0, tmo = 0;
	nipc_shm *shm;
	int rc;

	if (a->for_ms && parse_num(a->for_ms, 0, 1000ULL * 86400 * 365, &ms) < 0)
		return usage_error("%s: --for must be a number of milliseconds, not '%s'",
				   a->who, a->for_ms);
	if (a->timeout && parse_num(a->timeout, 0, 0x7fffffff, &tmo) < 0)
		return usage_error("%s: --timeout must be a number of milliseconds, not '%s'",
				   a->who, a->timeout);
	/* Attaching takes the lock for a moment too, and may wait for it: the
	 * timer bounds that wait, the timed lock the rest. */
	if (a->timeout) /* (even --timeout 0 lets an uncontended attach finish) */
		arm_timeout(tmo < 100 ? 100 : tmo);
	long long start = mono_ms();
	rc = attach(a, &shm, NIPC_SHM_READWRITE);
	if (a->timeout)
		arm_timeout(0);
	if (rc != EXIT_OK)
		return rc;
	long long left = (long long)tmo - (mono_ms() - start);
	if ((rc = lock(a, shm, a->timeout ? (int)(left < 0 ? 0 : left) : -1)))
		return finish(a, shm, rc);
	catch_stop_signals();
	puts("locked");
	flush_stdout();
	if (a->for_ms)
		sleep_ms_or_signal(ms);
	else
		wait_line_or_signal();
	if (nipc_shm_unlock(shm) < 0) {
		shm_say(a, shm, "unlock the segment", 0);
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
	{"lock", do_lock, O_FOR | O_TIMEOUT | O_CLEAN, 0},
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
