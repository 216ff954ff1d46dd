/* SPDX-License-Identifier: MIT */
/* Events to text or JSON Lines: fixed buffers, own number formatting, one
 * write(2) per event. Nothing here allocates or takes a lock (except the
 * syslog sink, which is libc's). */
#include "config.h"

#include "shim.h"
#include "nipc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

__thread int shim_busy __attribute__((tls_model("initial-exec")));
static __thread pid_t tid_cache __attribute__((tls_model("initial-exec")));
static pid_t pid_cache;

void trace_after_fork(void)
{
	tid_cache = 0;
	__atomic_store_n(&pid_cache, (pid_t)syscall(SYS_getpid), __ATOMIC_RELAXED);
}

void trace_note_pid(void)
{
	__atomic_store_n(&pid_cache, (pid_t)syscall(SYS_getpid), __ATOMIC_RELAXED);
}

/* A vfork child runs no fork handler: its pid is not the cached one. */
int trace_in_vfork_child(void)
{
	pid_t cached = __atomic_load_n(&pid_cache, __ATOMIC_RELAXED);

	return cached && cached != (pid_t)syscall(SYS_getpid);
}

static pid_t my_pid(void)
{
	pid_t p = __atomic_load_n(&pid_cache, __ATOMIC_RELAXED);

	if (!p) {
		p = (pid_t)syscall(SYS_getpid);
		__atomic_store_n(&pid_cache, p, __ATOMIC_RELAXED);
	}
	return p;
}

static pid_t my_tid(void)
{
	if (!tid_cache)
		tid_cache = (pid_t)syscall(SYS_gettid);
	return tid_cache;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ------------------------------------------------------------ the buffer */

struct out {
	char *p;
	size_t n, cap;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (len > o->cap - o->n)
		len = o->cap - o->n;
	memcpy(o->p + o->n, s, len);
	o->n += len;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putc_(struct out *o, char c)
{
	put(o, &c, 1);
}

static void put_u(struct out *o, unsigned long long v, int width)
{
	char b[24], *q = b + sizeof b;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v || b + sizeof b - q < width);
	put(o, q, (size_t)(b + sizeof b - q));
}

static void put_i(struct out *o, long long v)
{
	if (v < 0) {
		putc_(o, '-');
		put_u(o, 0 - (unsigned long long)v, 1);
	} else {
		put_u(o, (unsigned long long)v, 1);
	}
}

static void put_hex(struct out *o, unsigned long long v, int width)
{
	char b[20], *q = b + sizeof b;

	do {
		*--q = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || b + sizeof b - q < width);
	put(o, "0x", 2);
	put(o, q, (size_t)(b + sizeof b - q));
}

static void put_octal(struct out *o, unsigned v)
{
	char b[16], *q = b + sizeof b;

	do {
		*--q = (char)('0' + (v & 7));
		v >>= 3;
	} while (v);
	if (*q != '0')
		*--q = '0';
	while (b + sizeof b - q < 4)
		*--q = '0';
	put(o, q, (size_t)(b + sizeof b - q));
}

static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	unsigned v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, v = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

/* A quoted string, at most SHIM_STR_MAX bytes of output, then "...". JSON:
 * valid UTF-8 as is, control characters and invalid bytes as \u00XX.
 * Text: C escapes, bytes ≥ 0x80 as \xXX. */
static void put_str(struct out *o, const char *s, int json)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	putc_(o, '"');
	while (*p) {
		char esc[8];
		size_t el, sl = 1;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p, el = 2;
		} else if (*p == '\n') {
			memcpy(esc, "\\n", 2), el = 2;
		} else if (*p >= 0x20 && *p < 0x7f) {
			esc[0] = (char)*p, el = 1;
		} else if (json && *p >= 0x80 && (sl = utf8_len(p)) > 0) {
			memcpy(esc, p, sl), el = sl;
		} else {
			memcpy(esc, json ? "\\u00" : "\\x", json ? 4 : 2);
			el = json ? 4 : 2;
			esc[el++] = "0123456789abcdef"[*p >> 4];
			esc[el++] = "0123456789abcdef"[*p & 15];
			sl = 1;
		}
		if (used + el > SHIM_STR_MAX) {
			puts_(o, "...");
			break;
		}
		put(o, esc, el);
		used += el;
		p += sl;
	}
	putc_(o, '"');
}

/* ------------------------------------------------------- flags and names */

struct flag {
	unsigned long v;
	const char *name;
};

/* Names of the set bits joined by '|', leftover bits in hex; zero as zero. */
static void put_flags(struct out *o, unsigned long v, const struct flag *t, const char *zero)
{
	int any = 0;

	for (; t->name; t++) {
		if (t->v && (v & t->v) == t->v) {
			if (any++)
				putc_(o, '|');
			puts_(o, t->name);
			v &= ~t->v;
		}
	}
	if (v) {
		if (any++)
			putc_(o, '|');
		put_hex(o, v, 1);
	}
	if (!any)
		puts_(o, zero);
}

static const struct flag oflags[] = {
	{O_CREAT, "O_CREAT"}, {O_EXCL, "O_EXCL"}, {O_TRUNC, "O_TRUNC"},
	{O_NOCTTY, "O_NOCTTY"}, {O_APPEND, "O_APPEND"}, {O_NONBLOCK, "O_NONBLOCK"},
	{O_NOFOLLOW, "O_NOFOLLOW"}, {O_CLOEXEC, "O_CLOEXEC"}, {0, NULL}
};

static const struct flag ipcflags[] = {
	{IPC_CREAT, "IPC_CREAT"}, {IPC_EXCL, "IPC_EXCL"}, {IPC_NOWAIT, "IPC_NOWAIT"},
	{SHM_HUGETLB, "SHM_HUGETLB"}, {SHM_NORESERVE, "SHM_NORESERVE"}, {0, NULL}
};

static const struct flag shmatflags[] = {
	{SHM_RDONLY, "SHM_RDONLY"}, {SHM_RND, "SHM_RND"}, {SHM_REMAP, "SHM_REMAP"},
	{SHM_EXEC, "SHM_EXEC"}, {0, NULL}
};

static const struct flag semflags[] = {
	{SEM_UNDO, "SEM_UNDO"}, {IPC_NOWAIT, "IPC_NOWAIT"}, {0, NULL}
};

static const struct flag prots[] = {
	{PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}, {0, NULL}
};

static const struct flag mapflags[] = {
	{MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"}, {MAP_SHARED, "MAP_SHARED"},
	{MAP_PRIVATE, "MAP_PRIVATE"}, {MAP_FIXED, "MAP_FIXED"},
	{MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {MAP_NORESERVE, "MAP_NORESERVE"},
	{MAP_POPULATE, "MAP_POPULATE"}, {MAP_LOCKED, "MAP_LOCKED"},
	{MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}, {0, NULL}
};

static const struct flag shmcmds[] = {
	{IPC_RMID, "IPC_RMID"}, {IPC_SET, "IPC_SET"}, {IPC_STAT, "IPC_STAT"},
	{IPC_INFO, "IPC_INFO"}, {SHM_LOCK, "SHM_LOCK"}, {SHM_UNLOCK, "SHM_UNLOCK"},
	{SHM_STAT, "SHM_STAT"}, {SHM_INFO, "SHM_INFO"}, {SHM_STAT_ANY, "SHM_STAT_ANY"},
	{0, NULL}
};

static const struct flag semcmds[] = {
	{IPC_RMID, "IPC_RMID"}, {IPC_SET, "IPC_SET"}, {IPC_STAT, "IPC_STAT"},
	{IPC_INFO, "IPC_INFO"}, {GETPID, "GETPID"}, {GETVAL, "GETVAL"},
	{GETALL, "GETALL"}, {GETNCNT, "GETNCNT"}, {GETZCNT, "GETZCNT"},
	{SETVAL, "SETVAL"}, {SETALL, "SETALL"}, {SEM_STAT, "SEM_STAT"},
	{SEM_INFO, "SEM_INFO"}, {SEM_STAT_ANY, "SEM_STAT_ANY"}, {0, NULL}
};

static const struct flag crflags[] = {
	{CLOSE_RANGE_UNSHARE, "CLOSE_RANGE_UNSHARE"}, {CLOSE_RANGE_CLOEXEC, "CLOSE_RANGE_CLOEXEC"},
	{0, NULL}
};

static const struct flag clocks[] = {
	{CLOCK_REALTIME, "CLOCK_REALTIME"}, {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	{CLOCK_BOOTTIME, "CLOCK_BOOTTIME"}, {CLOCK_TAI, "CLOCK_TAI"}, {0, NULL}
};

/* An exact value from a table (commands, clocks), or the number. */
static void put_enum(struct out *o, long v, const struct flag *t)
{
	unsigned long u = (unsigned long)v;
	int ipc64 = t == shmcmds || t == semcmds ? (u & IPC_64) != 0 : 0;

	if (ipc64) {
		puts_(o, "IPC_64|");
		u &= ~(unsigned long)IPC_64;
	}
	if (u == 0 && t[0].v == 0) {
		puts_(o, t[0].name);
		return;
	}
	for (const struct flag *f = t; f->name; f++)
		if (f->v == u && (f->v || f == t)) {
			puts_(o, f->name);
			return;
		}
	put_i(o, ipc64 ? (long long)u : v);
}

static void put_oflag(struct out *o, long v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "3"};

	puts_(o, acc[v & O_ACCMODE]);
	if (v & ~O_ACCMODE) {
		putc_(o, '|');
		put_flags(o, (unsigned long)v & ~(unsigned long)O_ACCMODE, oflags, "0");
	}
}

static void put_ipcflg(struct out *o, long v)
{
	unsigned long f = (unsigned long)v & ~0777ul;

	if (f) {
		put_flags(o, f, ipcflags, "0");
		putc_(o, '|');
	}
	put_octal(o, (unsigned)v & 0777);
}

static void put_keyt(struct out *o, key_t k)
{
	if (k == IPC_PRIVATE)
		puts_(o, "IPC_PRIVATE");
	else
		put_hex(o, (uint32_t)k, 8);
}

static void put_ts(struct out *o, const struct timespec *ts, int json)
{
	if (!ts) {
		puts_(o, json ? "null" : "NULL");
		return;
	}
	if (ts->tv_sec < 0)
		putc_(o, '-');
	put_u(o, ts->tv_sec < 0 ? 0 - (unsigned long long)ts->tv_sec : (unsigned long long)ts->tv_sec, 1);
	putc_(o, '.');
	put_u(o, (unsigned long long)ts->tv_nsec % 1000000000u, 9);
}

#define SHIM_SOPS_SHOWN 16

static void put_sops(struct out *o, const struct sembuf *s, size_t n, int json)
{
	putc_(o, '[');
	for (size_t i = 0; s && i < n; i++) {
		if (i)
			putc_(o, json ? ',' : ' ');
		if (i == SHIM_SOPS_SHOWN) {
			puts_(o, json ? "\"...\"" : "...");
			break;
		}
		puts_(o, json ? "{\"num\":" : "{");
		put_u(o, s[i].sem_num, 1);
		puts_(o, json ? ",\"op\":" : ", ");
		put_i(o, s[i].sem_op);
		puts_(o, json ? ",\"flg\":\"" : ", ");
		put_flags(o, (unsigned short)s[i].sem_flg, semflags, "0");
		puts_(o, json ? "\"}" : "}");
	}
	putc_(o, ']');
}

/* One argument's value; symbolic values are quoted in JSON only. */
static void put_arg(struct out *o, const struct shim_arg *a, int json)
{
	const char *q = json ? "\"" : "";

	switch (a->kind) {
	case A_STR:
		if (a->s)
			put_str(o, a->s, json);
		else
			puts_(o, json ? "null" : "NULL");
		return;
	case A_INT:
		put_i(o, a->i);
		return;
	case A_UINT:
	case A_SIZE:
		put_u(o, a->u, 1);
		return;
	case A_PTR:
		if (!a->p) {
			puts_(o, json ? "null" : "NULL");
			return;
		}
		puts_(o, q);
		put_hex(o, (uintptr_t)a->p, 1);
		puts_(o, q);
		return;
	case A_TS:
		put_ts(o, a->ts, json);
		return;
	case A_SOPS:
		put_sops(o, a->sops, a->n, json);
		return;
	default:
		break;
	}
	puts_(o, q);
	switch (a->kind) {
	case A_OFLAG: put_oflag(o, (long)a->i); break;
	case A_MODE: put_octal(o, (unsigned)a->u); break;
	case A_IPCFLG: put_ipcflg(o, (long)a->i); break;
	case A_SHMATFLG: put_flags(o, (unsigned long)a->i, shmatflags, "0"); break;
	case A_KEYT: put_keyt(o, (key_t)a->i); break;
	case A_SHMCMD: put_enum(o, (long)a->i, shmcmds); break;
	case A_SEMCMD: put_enum(o, (long)a->i, semcmds); break;
	case A_PROT: put_flags(o, (unsigned long)a->i, prots, "PROT_NONE"); break;
	case A_MAPFLAGS: put_flags(o, (unsigned long)a->i, mapflags, "0"); break;
	case A_CLOCK: put_enum(o, (long)a->i, clocks); break;
	case A_CRFLAGS: put_flags(o, (unsigned long)a->i, crflags, "0"); break;
	default: break;
	}
	puts_(o, q);
}

static void put_ret(struct out *o, const struct shim_event *e, int json)
{
	const char *q = json ? "\"" : "";

	if (e->rk == R_INT) {
		put_i(o, e->ret.i);
		return;
	}
	if (e->rk == R_KEYT) {
		if (json || e->ret.i == -1)
			put_i(o, e->ret.i);
		else
			put_hex(o, (uint32_t)e->ret.i, 8);
		return;
	}
	puts_(o, q);
	if (e->failed)
		puts_(o, e->rk == R_SEM ? "SEM_FAILED" : e->rk == R_MAP ? "MAP_FAILED" : "(void*)-1");
	else
		put_hex(o, (uintptr_t)e->ret.p, 1);
	puts_(o, q);
}

static void put_errname(struct out *o, int err)
{
	const char *n = strerrorname_np(err);

	if (n) {
		puts_(o, n);
	} else {
		putc_(o, 'E');
		put_i(o, err);
	}
}

static void put_dur(struct out *o, uint64_t ns)
{
	if (ns < 1000000) {
		put_u(o, ns / 1000, 1);
		putc_(o, '.');
		put_u(o, ns / 100 % 10, 1);
		puts_(o, "us");
	} else {
		put_u(o, ns / 1000000, 1);
		putc_(o, '.');
		put_u(o, ns / 1000 % 1000, 3);
		puts_(o, "ms");
	}
}

static void format_json(struct out *o, const struct shim_event *e)
{
	puts_(o, "{\"ts\":");
	put_ts(o, &e->ts, 1);
	puts_(o, ",\"pid\":");
	put_i(o, my_pid());
	puts_(o, ",\"tid\":");
	put_i(o, my_tid());
	puts_(o, ",\"op\":\"");
	puts_(o, shim_op_name(e->op));
	puts_(o, "\",\"args\":{");
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			putc_(o, ',');
		putc_(o, '"');
		puts_(o, e->arg[i].name);
		puts_(o, "\":");
		put_arg(o, &e->arg[i], 1);
	}
	puts_(o, "},\"ret\":");
	put_ret(o, e, 1);
	puts_(o, ",\"errno\":");
	if (e->failed) {
		putc_(o, '"');
		put_errname(o, e->err);
		putc_(o, '"');
	} else {
		puts_(o, "null");
	}
	puts_(o, ",\"dur_ns\":");
	put_u(o, e->dur, 1);
	puts_(o, ",\"key\":");
	if (e->key[0])
		put_str(o, e->key, 1);
	else
		puts_(o, "null");
	putc_(o, '}');
}

static void format_text(struct out *o, const struct shim_event *e, int with_prefix)
{
	unsigned long long day = (unsigned long long)e->ts.tv_sec % 86400;
	const char *desc;

	if (with_prefix) {
		putc_(o, '[');
		put_i(o, my_pid());
		if (shim_policy.tid) {
			putc_(o, '/');
			put_i(o, my_tid());
		}
		puts_(o, "] ");
		put_u(o, day / 3600, 2);
		putc_(o, ':');
		put_u(o, day / 60 % 60, 2);
		putc_(o, ':');
		put_u(o, day % 60, 2);
		putc_(o, '.');
		put_u(o, (unsigned long long)e->ts.tv_nsec / 1000, 6);
		putc_(o, ' ');
	}
	puts_(o, shim_op_name(e->op));
	putc_(o, '(');
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			puts_(o, ", ");
		put_arg(o, &e->arg[i], 0);
	}
	puts_(o, ") = ");
	put_ret(o, e, 0);
	if (e->failed) {
		putc_(o, ' ');
		put_errname(o, e->err);
		desc = strerrordesc_np(e->err);
		if (desc) {
			puts_(o, " (");
			puts_(o, desc);
			putc_(o, ')');
		}
	}
	puts_(o, " <");
	put_dur(o, e->dur);
	putc_(o, '>');
	if (e->key[0]) {
		puts_(o, " key=");
		puts_(o, e->key);
	}
}

/* A line that cannot be written is dropped; a sink without a reader, or
 * closed by the program, stops the tracing. */
static void emit(const char *p, size_t n)
{
	if (out_write(shim_policy.fd, shim_policy.kind, p, n) && (errno == EPIPE || errno == EBADF))
		shim_sink_lost();
}

/* ----------------------------------------------------------------- events */

void ev_begin(struct shim_event *e, enum shim_op op)
{
	e->op = op;
	e->nargs = 0;
	e->key[0] = 0;
	e->rk = R_INT;
	clock_gettime(CLOCK_REALTIME, &e->ts);
	e->t0 = mono_ns();
}

/* Copies up to len bytes of the caller's memory at p without faulting (the
 * kernel checks it): the number copied, 0 if none is readable. */
static size_t peek(const void *p, void *dst, size_t len)
{
	struct iovec local = {dst, len}, remote = {(void *)p, len};
	ssize_t n = process_vm_readv((pid_t)syscall(SYS_getpid), &local, 1, &remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

/* The most operations a semop may pass (IPC_INFO's semopm), looked up
 * once; 0 when unknown. */
static size_t sem_opm(void)
{
	static int opm; /* 0: not looked up, -1: unknown */
	int v = __atomic_load_n(&opm, __ATOMIC_RELAXED);

	if (!v) {
		struct seminfo si;
		union nipc_semun a = {.info = &si};

		v = REAL(semctl)(0, 0, IPC_INFO, a) < 0 || si.semopm <= 0 ? -1 : si.semopm;
		__atomic_store_n(&opm, v, __ATOMIC_RELAXED);
	}
	return v > 0 ? (size_t)v : 0;
}

/* Whether a failed semop's operations may be shown, using tmp (len bytes)
 * as scratch. The kernel reads none of them when their number is beyond
 * its limit (the caller's array may be shorter than nsops says); an
 * EFAULT may come from the array running into unreadable memory, or from
 * the timeout: the whole array must then be readable. */
static int sops_showable(const struct shim_arg *a, int err, void *tmp, size_t len)
{
	size_t total, off;

	if (err == E2BIG || a->n > sem_opm())
		return 0;
	if (err != EFAULT)
		return 1;
	total = a->n * sizeof(struct sembuf);
	if (total > 65536 || !len)
		return 0;
	for (off = 0; off < total; off += len) {
		size_t want = total - off < len ? total - off : len;

		if (peek((const unsigned char *)a->p + off, tmp, want) != want)
			return 0;
	}
	return 1;
}

/* A failed call may have failed on a bad pointer (EFAULT, or before libc
 * looked at it), and a successful sem_timedwait need not read its
 * deadline: such memory is copied with peek() into the event, and shown
 * as a bare pointer when unreadable. Memory a successful call has read is
 * read directly. */
static void secure_args(struct shim_event *e)
{
	e->scratch_used = 0;
	for (int i = 0; i < e->nargs; i++) {
		struct shim_arg *a = &e->arg[i];
		unsigned char *dst;
		size_t room, want, got;

		e->scratch_used = (e->scratch_used + 15) & ~(size_t)15;
		dst = e->scratch + e->scratch_used;
		room = sizeof e->scratch - e->scratch_used;
		if (a->kind == A_SOPS && a->p && e->failed && !sops_showable(a, e->err, dst, room)) {
			a->kind = A_PTR;
			continue;
		}
		if (!a->p || !(a->kind == A_TS || (e->failed && (a->kind == A_STR || a->kind == A_SOPS))))
			continue;
		want = a->kind == A_TS ? sizeof(struct timespec)
		     : a->kind == A_SOPS ? (a->n < SHIM_SOPS_SHOWN ? a->n : SHIM_SOPS_SHOWN) * sizeof(struct sembuf)
		     : SHIM_STR_MAX + 1;
		if (want > room)
			want = room;
		got = want ? peek(a->p, dst, want) : 0;
		if (a->kind == A_STR && got) {
			/* a string may end before unreadable memory; keep what was read */
			if (!memchr(dst, 0, got)) {
				if (got == room)
					got--;
				dst[got++] = 0;
			}
		} else if (got < want) {
			got = 0;
		}
		if (!got && want) {
			a->kind = A_PTR;
			continue;
		}
		a->p = dst;
		e->scratch_used += got;
	}
}

void ev_end(struct shim_event *e, int failed, int err)
{
	char line[SHIM_LINE_MAX];
	struct out o = {line, 0, sizeof line - 1};

	e->dur = mono_ns() - e->t0;
	e->failed = failed;
	e->err = err;
	secure_args(e);
	if (shim_policy.sink == SINK_SYSLOG) {
		format_text(&o, e, 0);
		line[o.n] = 0;
		syslog(LOG_USER | LOG_DEBUG, "%s", line);
	} else {
		if (shim_policy.json)
			format_json(&o, e);
		else
			format_text(&o, e, 1);
		if (o.n == o.cap)
			memcpy(line + o.n - 4, "...", 3);
		line[o.n++] = '\n';
		emit(line, o.n);
	}
	errno = err;
}

static struct shim_arg *next_arg(struct shim_event *e, const char *name, enum arg_kind k)
{
	struct shim_arg *a = &e->arg[e->nargs < SHIM_MAX_ARGS ? e->nargs++ : SHIM_MAX_ARGS - 1];

	a->name = name;
	a->kind = k;
	a->n = 0;
	return a;
}

void ev_arg(struct shim_event *e, const char *name, enum arg_kind k, long long v)
{
	next_arg(e, name, k)->i = v;
}

void ev_str(struct shim_event *e, const char *name, const char *s)
{
	next_arg(e, name, A_STR)->s = s;
}

void ev_ptr(struct shim_event *e, const char *name, enum arg_kind k, const void *p)
{
	next_arg(e, name, k)->p = p;
}

void ev_sops(struct shim_event *e, const struct sembuf *sops, size_t n)
{
	struct shim_arg *a = next_arg(e, "sops", A_SOPS);

	a->sops = sops;
	a->n = n;
}

/* ------------------------------------------------------------------- keys */

static void key_fallback(struct shim_event *e, const char *scheme, int id, const char *native)
{
	struct out o = {e->key, 0, sizeof e->key - 1};

	puts_(&o, scheme);
	if (id >= 0 && id != NIPC_KEY_SYSTEMV) {
		putc_(&o, '-');
		put_u(&o, (unsigned)id, 1);
	}
	putc_(&o, ':');
	puts_(&o, native);
	if (o.n == o.cap)
		memcpy(e->key + o.n - 3, "...", 3);
	e->key[o.n] = 0;
}

static void key_format(struct shim_event *e, int type, const char *native)
{
	ssize_t n = nipc_key_format(type, native, NULL, e->key, sizeof e->key);

	if (n < 0)
		key_fallback(e, type == NIPC_KEY_POSIX ? "posix" : "systemv",
			     type == NIPC_KEY_POSIX ? -1 : type, native);
	else if ((size_t)n >= sizeof e->key)
		memcpy(e->key + sizeof e->key - 4, "...", 3);
}

void ev_key_posix(struct shim_event *e, const char *name)
{
	if (name)
		key_format(e, NIPC_KEY_POSIX, name);
}

void ev_key_ftok(struct shim_event *e, const char *path, int id)
{
	if (path && (id & 0xff))
		key_format(e, id & 0xff, path);
}

void ev_key_sysv(struct shim_event *e, key_t key)
{
	char path[SHIM_NAME_CAP];
	uintptr_t id;
	struct out o = {e->key, 0, sizeof e->key - 1};

	if (key != IPC_PRIVATE && track_get(TK_FTOK, (uint32_t)key, &id, path)) {
		key_format(e, (int)id, path);
		return;
	}
	put_keyt(&o, key);
	e->key[o.n] = 0;
}

void ev_key_id(struct shim_event *e, int kind, int id)
{
	key_t key;
	struct out o = {e->key, 0, sizeof e->key - 1};

	if (track_id_get(kind, id, &key)) {
		ev_key_sysv(e, key);
		return;
	}
	puts_(&o, kind ? "semid:" : "shmid:");
	put_i(&o, id);
	e->key[o.n] = 0;
}
