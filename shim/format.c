/* SPDX-License-Identifier: MIT */
/* The one renderer of trace events (format.h): an event as a text line or a
 * JSON Lines record, for the shim and for nipc trace. Fixed buffers, own
 * number formatting, no allocation, no lock, nothing that is not
 * async-signal-safe. */
#include "config.h"

#include "shim.h"
#include "utf.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ the buffer */

void fmt_put(struct out *o, const char *s, size_t len)
{
	if (len > o->cap - o->n)
		len = o->cap - o->n;
	memcpy(o->p + o->n, s, len);
	o->n += len;
}

void fmt_puts(struct out *o, const char *s)
{
	fmt_put(o, s, strlen(s));
}

void fmt_putc(struct out *o, char c)
{
	fmt_put(o, &c, 1);
}

void fmt_end_line(struct out *o)
{
	if (o->n == o->cap && o->n >= 4)
		memcpy(o->p + o->n - 4, "...", 3);
	o->p[o->n++] = '\n';
}

void fmt_put_u(struct out *o, unsigned long long v, int width)
{
	char b[24], *q = b + sizeof b;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v || b + sizeof b - q < width);
	fmt_put(o, q, (size_t)(b + sizeof b - q));
}

void fmt_put_i(struct out *o, long long v)
{
	if (v < 0) {
		fmt_putc(o, '-');
		fmt_put_u(o, 0 - (unsigned long long)v, 1);
	} else {
		fmt_put_u(o, (unsigned long long)v, 1);
	}
}

void fmt_put_hex(struct out *o, unsigned long long v, int width)
{
	char b[20], *q = b + sizeof b;

	do {
		*--q = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || b + sizeof b - q < width);
	fmt_put(o, "0x", 2);
	fmt_put(o, q, (size_t)(b + sizeof b - q));
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
	fmt_put(o, q, (size_t)(b + sizeof b - q));
}

/* Bytes quoted and escaped: a C string (n = -1: up to its NUL, at most
 * SHIM_STR_MAX bytes of output, then "..." inside the quotes), or n bytes
 * of a message (NUL shown as \0, at most SHIM_BUF_SHOWN of them, then
 * "..." after the quotes in text, as strace does). */
static void put_bytes(struct out *o, const char *s, size_t n, int json)
{
	const unsigned char *p = (const unsigned char *)s;
	int cstr = n == (size_t)-1;
	size_t used = 0, left = cstr ? SIZE_MAX : n < SHIM_BUF_SHOWN ? n : SHIM_BUF_SHOWN;

	fmt_putc(o, '"');
	while (left && (cstr ? *p != 0 : 1)) {
		char esc[8];
		size_t el, sl = 1;
		uint32_t cp;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p, el = 2;
		} else if (*p == '\n') {
			memcpy(esc, "\\n", 2), el = 2;
		} else if (*p == 0 && !json) {
			memcpy(esc, "\\0", 2), el = 2;
		} else if (*p >= 0x20 && *p < 0x7f) {
			esc[0] = (char)*p, el = 1;
		} else if (json && *p >= 0x80 &&
			   (sl = nipc_utf8_seq((const char *)p, left < 4 ? left : 4, &cp)) > 0) {
			memcpy(esc, p, sl), el = sl;
		} else {
			memcpy(esc, json ? "\\u00" : "\\x", json ? 4 : 2);
			el = json ? 4 : 2;
			esc[el++] = "0123456789abcdef"[*p >> 4];
			esc[el++] = "0123456789abcdef"[*p & 15];
			sl = 1;
		}
		if (cstr && used + el > SHIM_STR_MAX) {
			fmt_puts(o, "...");
			break;
		}
		fmt_put(o, esc, el);
		used += el;
		p += sl;
		left -= sl;
	}
	fmt_putc(o, '"');
	if (!cstr && n > SHIM_BUF_SHOWN && !json)
		fmt_puts(o, "...");
}

void fmt_put_str(struct out *o, const char *s, int json)
{
	put_bytes(o, s, (size_t)-1, json);
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
				fmt_putc(o, '|');
			fmt_puts(o, t->name);
			v &= ~t->v;
		}
	}
	if (v) {
		if (any++)
			fmt_putc(o, '|');
		fmt_put_hex(o, v, 1);
	}
	if (!any)
		fmt_puts(o, zero);
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

static const struct flag msgcmds[] = {
	{IPC_RMID, "IPC_RMID"}, {IPC_SET, "IPC_SET"}, {IPC_STAT, "IPC_STAT"},
	{IPC_INFO, "IPC_INFO"}, {MSG_STAT, "MSG_STAT"}, {MSG_INFO, "MSG_INFO"},
	{MSG_STAT_ANY, "MSG_STAT_ANY"}, {0, NULL}
};

static const struct flag msgflags[] = {
	{IPC_NOWAIT, "IPC_NOWAIT"}, {MSG_NOERROR, "MSG_NOERROR"}, {MSG_EXCEPT, "MSG_EXCEPT"},
	{MSG_COPY, "MSG_COPY"}, {0, NULL}
};

static const struct flag sigevs[] = {
	{SIGEV_SIGNAL, "SIGEV_SIGNAL"}, {SIGEV_NONE, "SIGEV_NONE"}, {SIGEV_THREAD, "SIGEV_THREAD"},
	{SIGEV_THREAD_ID, "SIGEV_THREAD_ID"}, {0, NULL}
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
	int ipc64 = t == shmcmds || t == semcmds || t == msgcmds ? (u & IPC_64) != 0 : 0;

	if (ipc64) {
		fmt_puts(o, "IPC_64|");
		u &= ~(unsigned long)IPC_64;
	}
	if (u == 0 && t[0].v == 0) {
		fmt_puts(o, t[0].name);
		return;
	}
	for (const struct flag *f = t; f->name; f++)
		if (f->v == u && (f->v || f == t)) {
			fmt_puts(o, f->name);
			return;
		}
	fmt_put_i(o, ipc64 ? (long long)u : v);
}

static void put_oflag(struct out *o, long v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "3"};

	fmt_puts(o, acc[v & O_ACCMODE]);
	if (v & ~O_ACCMODE) {
		fmt_putc(o, '|');
		put_flags(o, (unsigned long)v & ~(unsigned long)O_ACCMODE, oflags, "0");
	}
}

static void put_ipcflg(struct out *o, long v)
{
	unsigned long f = (unsigned long)v & ~0777ul;

	if (f) {
		put_flags(o, f, ipcflags, "0");
		fmt_putc(o, '|');
	}
	put_octal(o, (unsigned)v & 0777);
}

void fmt_put_keyt(struct out *o, key_t k)
{
	if (k == IPC_PRIVATE)
		fmt_puts(o, "IPC_PRIVATE");
	else
		fmt_put_hex(o, (uint32_t)k, 8);
}

static void put_ts(struct out *o, const struct timespec *ts, int json)
{
	if (!ts) {
		fmt_puts(o, json ? "null" : "NULL");
		return;
	}
	if (ts->tv_sec < 0)
		fmt_putc(o, '-');
	fmt_put_u(o, ts->tv_sec < 0 ? 0 - (unsigned long long)ts->tv_sec : (unsigned long long)ts->tv_sec, 1);
	fmt_putc(o, '.');
	fmt_put_u(o, (unsigned long long)ts->tv_nsec % 1000000000u, 9);
}

static void put_sops(struct out *o, const struct sembuf *s, size_t n, int json)
{
	fmt_putc(o, '[');
	for (size_t i = 0; s && i < n; i++) {
		if (i)
			fmt_putc(o, json ? ',' : ' ');
		if (i == SHIM_SOPS_SHOWN) {
			fmt_puts(o, json ? "\"...\"" : "...");
			break;
		}
		fmt_puts(o, json ? "{\"num\":" : "{");
		fmt_put_u(o, s[i].sem_num, 1);
		fmt_puts(o, json ? ",\"op\":" : ", ");
		fmt_put_i(o, s[i].sem_op);
		fmt_puts(o, json ? ",\"flg\":\"" : ", ");
		put_flags(o, (unsigned short)s[i].sem_flg, semflags, "0");
		fmt_puts(o, json ? "\"}" : "}");
	}
	fmt_putc(o, ']');
}

/* "name=" in text, "\"name\":" in JSON, after a separator unless first. */
static void put_field(struct out *o, const char *name, int first, int json)
{
	if (!first)
		fmt_puts(o, json ? "," : ", ");
	fmt_puts(o, json ? "\"" : "");
	fmt_puts(o, name);
	fmt_puts(o, json ? "\":" : "=");
}

static void put_msgbuf(struct out *o, const struct shim_arg *a, int json)
{
	const struct msgbuf *m = a->p;

	fmt_puts(o, json ? "{\"mtype\":" : "{");
	fmt_put_i(o, m->mtype);
	fmt_puts(o, json ? ",\"mtext\":" : ", ");
	put_bytes(o, m->mtext, a->n, json);
	fmt_putc(o, '}');
}

static void put_mqattr(struct out *o, const struct mq_attr *m, int json)
{
	const char *q = json ? "\"" : "";

	fmt_putc(o, '{');
	put_field(o, "mq_flags", 1, json);
	fmt_puts(o, q);
	put_flags(o, (unsigned long)m->mq_flags, oflags, "0");
	fmt_puts(o, q);
	put_field(o, "mq_maxmsg", 0, json);
	fmt_put_i(o, m->mq_maxmsg);
	put_field(o, "mq_msgsize", 0, json);
	fmt_put_i(o, m->mq_msgsize);
	put_field(o, "mq_curmsgs", 0, json);
	fmt_put_i(o, m->mq_curmsgs);
	fmt_putc(o, '}');
}

static void put_sigev(struct out *o, const struct sigevent *ev, int json)
{
	const char *q = json ? "\"" : "";
	const char *abbrev = ev->sigev_signo > 0 ? sigabbrev_np(ev->sigev_signo) : NULL;

	fmt_putc(o, '{');
	put_field(o, "sigev_signo", 1, json);
	if (abbrev) {
		fmt_puts(o, q);
		fmt_puts(o, "SIG");
		fmt_puts(o, abbrev);
		fmt_puts(o, q);
	} else {
		fmt_put_i(o, ev->sigev_signo);
	}
	put_field(o, "sigev_notify", 0, json);
	fmt_puts(o, q);
	put_enum(o, ev->sigev_notify, sigevs);
	fmt_puts(o, q);
	fmt_putc(o, '}');
}

/* One argument's value; symbolic values are quoted in JSON only. */
static void put_arg(struct out *o, const struct shim_arg *a, int json)
{
	const char *q = json ? "\"" : "";

	switch (a->kind) {
	case A_STR:
		if (a->s)
			fmt_put_str(o, a->s, json);
		else
			fmt_puts(o, json ? "null" : "NULL");
		return;
	case A_INT:
		fmt_put_i(o, a->i);
		return;
	case A_UINT:
	case A_SIZE:
		fmt_put_u(o, a->u, 1);
		return;
	case A_PTR:
		if (!a->p) {
			fmt_puts(o, json ? "null" : "NULL");
			return;
		}
		fmt_puts(o, q);
		fmt_put_hex(o, (uintptr_t)a->p, 1);
		fmt_puts(o, q);
		return;
	case A_TS:
		put_ts(o, a->ts, json);
		return;
	case A_SOPS:
		put_sops(o, a->sops, a->n, json);
		return;
	case A_BUF:
		put_bytes(o, a->s, a->n, json);
		return;
	case A_MSGBUF:
	case A_MQATTR:
	case A_SIGEV:
	case A_UINTP:
		if (!a->p) {
			fmt_puts(o, json ? "null" : "NULL");
		} else if (a->kind == A_MSGBUF) {
			put_msgbuf(o, a, json);
		} else if (a->kind == A_MQATTR) {
			put_mqattr(o, a->p, json);
		} else if (a->kind == A_SIGEV) {
			put_sigev(o, a->p, json);
		} else {
			fmt_putc(o, '[');
			fmt_put_u(o, *(const unsigned *)a->p, 1);
			fmt_putc(o, ']');
		}
		return;
	default:
		break;
	}
	fmt_puts(o, q);
	switch (a->kind) {
	case A_OFLAG: put_oflag(o, (long)a->i); break;
	case A_MODE: put_octal(o, (unsigned)a->u); break;
	case A_IPCFLG: put_ipcflg(o, (long)a->i); break;
	case A_SHMATFLG: put_flags(o, (unsigned long)a->i, shmatflags, "0"); break;
	case A_KEYT: fmt_put_keyt(o, (key_t)a->i); break;
	case A_SHMCMD: put_enum(o, (long)a->i, shmcmds); break;
	case A_SEMCMD: put_enum(o, (long)a->i, semcmds); break;
	case A_MSGCMD: put_enum(o, (long)a->i, msgcmds); break;
	case A_MSGFLG: put_flags(o, (unsigned long)a->i, msgflags, "0"); break;
	case A_PROT: put_flags(o, (unsigned long)a->i, prots, "PROT_NONE"); break;
	case A_MAPFLAGS: put_flags(o, (unsigned long)a->i, mapflags, "0"); break;
	case A_CLOCK: put_enum(o, (long)a->i, clocks); break;
	case A_CRFLAGS: put_flags(o, (unsigned long)a->i, crflags, "0"); break;
	default: break;
	}
	fmt_puts(o, q);
}

static void put_ret(struct out *o, const struct shim_event *e, int json)
{
	const char *q = json ? "\"" : "";

	if (e->rk == R_INT) {
		fmt_put_i(o, e->ret.i);
		return;
	}
	if (e->rk == R_KEYT) {
		if (json || e->ret.i == -1)
			fmt_put_i(o, e->ret.i);
		else
			fmt_put_hex(o, (uint32_t)e->ret.i, 8);
		return;
	}
	fmt_puts(o, q);
	if (e->failed)
		fmt_puts(o, e->rk == R_SEM ? "SEM_FAILED" : e->rk == R_MAP ? "MAP_FAILED" : "(void*)-1");
	else
		fmt_put_hex(o, (uintptr_t)e->ret.p, 1);
	fmt_puts(o, q);
}

static void put_errname(struct out *o, int err, const char *name)
{
	if (!name)
		name = strerrorname_np(err);
	if (name) {
		fmt_puts(o, name);
	} else {
		fmt_putc(o, 'E');
		fmt_put_i(o, err);
	}
}

static void put_dur(struct out *o, unsigned long long ns)
{
	int ms = ns >= 1000000;

	fmt_put_u(o, ns / (ms ? 1000000 : 1000), 1);
	fmt_putc(o, '.');
	if (ms)
		fmt_put_u(o, ns / 1000 % 1000, 3);
	else
		fmt_put_u(o, ns / 100 % 10, 1);
	fmt_puts(o, ms ? "ms" : "us");
}

void fmt_line_head(struct out *o, long pid, long tid, long long sec, long nsec, long utc_offset)
{
	long long t = sec + utc_offset;
	unsigned long long day = (unsigned long long)(t % 86400 + 86400) % 86400;

	fmt_putc(o, '[');
	fmt_put_i(o, pid);
	if (tid >= 0) {
		fmt_putc(o, '/');
		fmt_put_i(o, tid);
	}
	fmt_puts(o, "] ");
	fmt_put_u(o, day / 3600, 2);
	fmt_putc(o, ':');
	fmt_put_u(o, day / 60 % 60, 2);
	fmt_putc(o, ':');
	fmt_put_u(o, day % 60, 2);
	fmt_putc(o, '.');
	fmt_put_u(o, (unsigned long long)nsec / 1000, 6);
	fmt_putc(o, ' ');
}

void fmt_line_tail(struct out *o, int failed, int err, const char *errname,
		   unsigned long long dur_ns, const char *key, int emulated)
{
	const char *desc = err > 0 ? strerrordesc_np(err) : NULL;

	if (failed) {
		fmt_putc(o, ' ');
		put_errname(o, err, errname);
		if (desc) {
			fmt_puts(o, " (");
			fmt_puts(o, desc);
			fmt_putc(o, ')');
		}
	}
	if (dur_ns != FMT_NO_DUR) {
		fmt_puts(o, " <");
		put_dur(o, dur_ns);
		fmt_putc(o, '>');
	}
	if (key && key[0]) {
		fmt_puts(o, " key=");
		fmt_puts(o, key);
	}
	if (emulated)
		fmt_puts(o, " [emulated]");
}

int fmt_put_pattern(struct out *o, const char *pattern, long pid)
{
	for (const char *p = pattern; *p; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			fmt_put_i(o, pid);
			p++;
		} else {
			fmt_putc(o, *p);
		}
	}
	if (o->n >= o->cap)
		return -1;
	o->p[o->n] = '\0';
	return 0;
}

static void format_json(struct out *o, const struct shim_event *e)
{
	fmt_puts(o, "{\"v\":" FMT_JSON_V ",\"ts\":");
	put_ts(o, &e->ts, 1);
	fmt_puts(o, ",\"pid\":");
	fmt_put_i(o, e->pid);
	fmt_puts(o, ",\"tid\":");
	fmt_put_i(o, e->tid);
	fmt_puts(o, ",\"op\":\"");
	fmt_puts(o, shim_op_name(e->op));
	fmt_puts(o, "\",\"args\":{");
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			fmt_putc(o, ',');
		fmt_putc(o, '"');
		fmt_puts(o, e->arg[i].name);
		fmt_puts(o, "\":");
		put_arg(o, &e->arg[i], 1);
	}
	fmt_puts(o, "},\"ret\":");
	put_ret(o, e, 1);
	fmt_puts(o, ",\"errno\":");
	if (e->failed) {
		fmt_putc(o, '"');
		put_errname(o, e->err, NULL);
		fmt_putc(o, '"');
	} else {
		fmt_puts(o, "null");
	}
	fmt_puts(o, ",\"dur_ns\":");
	fmt_put_u(o, e->dur, 1);
	fmt_puts(o, ",\"key\":");
	if (e->key[0])
		fmt_put_str(o, e->key, 1);
	else
		fmt_puts(o, "null");
	if (e->key_searched)
		fmt_puts(o, ",\"key_from\":\"search\"");
	if (e->emulated)
		fmt_puts(o, ",\"emulated\":true");
	fmt_putc(o, '}');
}

/* v right-aligned in width columns, as strace's -r. */
static void put_u_right(struct out *o, unsigned long long v, int width)
{
	char b[24];
	struct out t = {b, 0, sizeof b};

	fmt_put_u(&t, v, 1);
	for (int i = (int)t.n; i < width; i++)
		fmt_putc(o, ' ');
	fmt_put(o, b, t.n);
}

/* "[pid/tid] " and strace's time stamps: -t "HH:MM:SS ", -tt
 * "HH:MM:SS.uuuuuu ", -ttt "SEC.uuuuuu "; -r "     0.000123 ", or
 * "(+     0.000123) " after a time of day. */
static void strace_head(struct out *o, const struct shim_event *e, const struct fmt_prefix *pfx)
{
	long long t = (long long)e->ts.tv_sec + pfx->utc_offset;
	unsigned long long day = (unsigned long long)(t % 86400 + 86400) % 86400;
	unsigned long long us = (unsigned long long)e->ts.tv_nsec / 1000;

	fmt_putc(o, '[');
	fmt_put_i(o, e->pid);
	if (pfx->tid) {
		fmt_putc(o, '/');
		fmt_put_i(o, e->tid);
	}
	fmt_puts(o, "] ");
	if (pfx->strace == 3) {
		fmt_put_i(o, (long long)e->ts.tv_sec);
		fmt_putc(o, '.');
		fmt_put_u(o, us, 6);
		fmt_putc(o, ' ');
	} else if (pfx->strace == 1 || pfx->strace == 2) {
		fmt_put_u(o, day / 3600, 2);
		fmt_putc(o, ':');
		fmt_put_u(o, day / 60 % 60, 2);
		fmt_putc(o, ':');
		fmt_put_u(o, day % 60, 2);
		if (pfx->strace == 2) {
			fmt_putc(o, '.');
			fmt_put_u(o, us, 6);
		}
		fmt_putc(o, ' ');
	}
	if (pfx->rel) {
		if (pfx->strace != 4)
			fmt_puts(o, "(+");
		put_u_right(o, pfx->rel_ns / 1000000000u, 6);
		fmt_putc(o, '.');
		fmt_put_u(o, pfx->rel_ns / 1000 % 1000000, 6);
		fmt_puts(o, pfx->strace != 4 ? ") " : " ");
	}
}

/* The key as a text line shows it: a key file found by a search, not
 * seen, is a candidate and ends in "?". */
static const char *shown_key(const struct shim_event *e, char *buf, size_t len)
{
	struct out k = {buf, 0, len - 1};

	if (!e->key_searched)
		return e->key;
	fmt_puts(&k, e->key);
	fmt_putc(&k, '?');
	buf[k.n] = 0;
	return buf;
}

static void format_text(struct out *o, const struct shim_event *e, const struct fmt_prefix *pfx)
{
	char key[sizeof e->key + 1];
	int strace = pfx && pfx->strace;

	if (strace)
		strace_head(o, e, pfx);
	else if (pfx)
		fmt_line_head(o, e->pid, pfx->tid ? e->tid : -1, (long long)e->ts.tv_sec,
			      (long)e->ts.tv_nsec, pfx->utc_offset);
	fmt_puts(o, shim_op_name(e->op));
	fmt_putc(o, '(');
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			fmt_puts(o, ", ");
		put_arg(o, &e->arg[i], 0);
	}
	fmt_puts(o, ") = ");
	put_ret(o, e, 0);
	fmt_line_tail(o, e->failed, e->err, NULL, strace ? FMT_NO_DUR : e->dur,
		      shown_key(e, key, sizeof key), e->emulated);
	if (strace && pfx->dur) {
		fmt_puts(o, " <");
		fmt_put_u(o, e->dur / 1000000000u, 1);
		fmt_putc(o, '.');
		fmt_put_u(o, e->dur / 1000 % 1000000, 6);
		fmt_putc(o, '>');
	}
}

void format_event(struct out *o, const struct shim_event *e, int json,
		  const struct fmt_prefix *pfx)
{
	if (json)
		format_json(o, e);
	else
		format_text(o, e, pfx);
}
