/* SPDX-License-Identifier: MIT */
/* The event renderer shared by the shim and nipc trace (shim/format.c):
 * line head and tail, durations, quoting, the %p expander, the bound. */
#include "config.h"

#include "tlib.h"

#include "../shim/format.h"
#include "../shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#define OUT(name, size) char name##_buf[size]; struct out name = {name##_buf, 0, size - 1}

static const char *done(struct out *o)
{
	o->p[o->n] = '\0';
	return o->p;
}

static const char *tail(unsigned long long ns)
{
	static char buf[64];
	struct out o = {buf, 0, sizeof buf - 1};

	fmt_line_tail(&o, 0, 0, NULL, ns, NULL, 0);
	return done(&o);
}

/* One duration form for both: us below a millisecond, else ms. */
static void test_durations(void **state)
{
	(void)state;
	assert_string_equal(tail(0), " <0.0us>");
	assert_string_equal(tail(1850), " <1.8us>");
	assert_string_equal(tail(999999), " <999.9us>");
	assert_string_equal(tail(1000000), " <1.000ms>");
	assert_string_equal(tail(1234567), " <1.234ms>");
	assert_string_equal(tail(12005000000ULL), " <12005.000ms>");
}

static void test_tail(void **state)
{
	OUT(o, 128);

	(void)state;
	fmt_line_tail(&o, 1, EEXIST, NULL, 2100, "posix:/app", 0);
	assert_string_equal(done(&o), " EEXIST (File exists) <2.1us> key=posix:/app");
	o.n = 0;
	/* a name as a JSON record carries it wins; an unknown number still shows */
	fmt_line_tail(&o, 1, 0, "EWHATEVER", 0, "", 0);
	assert_string_equal(done(&o), " EWHATEVER <0.0us>");
	o.n = 0;
	fmt_line_tail(&o, 1, 4000, NULL, 0, NULL, 0);
	assert_string_equal(done(&o), " E4000 <0.0us>");
	o.n = 0;
	/* the emulation's mark comes last, after the key */
	fmt_line_tail(&o, 0, 0, NULL, 900, "0x0052e2c1", 1);
	assert_string_equal(done(&o), " <0.9us> key=0x0052e2c1 [emulated]");
}

/* Local time from the offset the caller gives (the shim's is cached). */
static void test_head(void **state)
{
	OUT(o, 64);

	(void)state;
	fmt_line_head(&o, 12, 13, 86400LL * 365 + 3600 + 61, 5000, 0);
	assert_string_equal(done(&o), "[12/13] 01:01:01.000005 ");
	o.n = 0;
	fmt_line_head(&o, 12, -1, 86400LL * 365 + 3600 + 61, 999999999, 2 * 3600);
	assert_string_equal(done(&o), "[12] 03:01:01.999999 ");
	o.n = 0;
	fmt_line_head(&o, 7, 7, 60, 0, -3600);
	assert_string_equal(done(&o), "[7/7] 23:01:00.000000 ");
}

/* shm_unlink("/app") = 0 at 01:01:01.000005 UTC + 2 h, 1.234567 ms,
 * in strace's line (nipc trace -t ... -T). */
static const char *strace_line(int style, int rel, int dur, unsigned long long rel_ns, int tid)
{
	static char buf[256];
	struct out o = {buf, 0, sizeof buf - 1};
	static struct shim_event e = {.op = OP_SHM_UNLINK, .pid = 12, .tid = 13,
				      .ts = {86400L * 365 + 3600 + 61, 5000}, .dur = 1234567,
				      .nargs = 1, .rk = R_INT, .key = "posix:/app", .key_type = -1};

	e.arg[0] = (struct shim_arg){.name = "name", .kind = A_STR, .s = "/app"};
	format_event(&o, &e, 0, &(struct fmt_prefix){.utc_offset = 7200, .tid = tid,
						     .strace = style, .rel = rel, .dur = dur,
						     .rel_ns = rel_ns});
	return done(&o);
}

static void test_strace_times(void **state)
{
	(void)state;
	assert_string_equal(strace_line(1, 0, 0, 0, 1),
			    "[12/13] 03:01:01 shm_unlink(\"/app\") = 0 key=posix:/app");
	assert_string_equal(strace_line(2, 0, 0, 0, 0),
			    "[12] 03:01:01.000005 shm_unlink(\"/app\") = 0 key=posix:/app");
	assert_string_equal(strace_line(3, 0, 1, 0, 1),
			    "[12/13] 31539661.000005 shm_unlink(\"/app\") = 0 key=posix:/app <0.001234>");
	assert_string_equal(strace_line(4, 1, 0, 1500000000ULL, 1),
			    "[12/13]      1.500000 shm_unlink(\"/app\") = 0 key=posix:/app");
	assert_string_equal(strace_line(1, 1, 0, 1234567123456ULL, 1),
			    "[12/13] 03:01:01 (+  1234.567123) shm_unlink(\"/app\") = 0 key=posix:/app");
	assert_string_equal(strace_line(4, 0, 1, 0, 1),
			    "[12/13] shm_unlink(\"/app\") = 0 key=posix:/app <0.001234>");
	/* nipc's own line: no strace style */
	assert_string_equal(strace_line(0, 0, 0, 0, 1),
			    "[12/13] 03:01:01.000005 shm_unlink(\"/app\") = 0 <1.234ms> key=posix:/app");
}

static void test_strings(void **state)
{
	OUT(o, 1024);
	char big[SHIM_STR_MAX + 10];

	(void)state;
	fmt_put_str(&o, "a\"b\\c\n\x01\xc3\xa9", 0);
	assert_string_equal(done(&o), "\"a\\\"b\\\\c\\n\\x01\\xc3\\xa9\"");
	o.n = 0;
	fmt_put_str(&o, "\x01\xc3\xa9\xc3", 1);
	assert_string_equal(done(&o), "\"\\u0001\xc3\xa9\\u00c3\"");
	o.n = 0;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fmt_put_str(&o, big, 0);
	assert_int_equal(o.n, 1 + SHIM_STR_MAX + 3 + 1);
	assert_memory_equal(o.p + o.n - 4, "...\"", 4);
}

static void test_pattern(void **state)
{
	char small[12];
	struct out s = {small, 0, sizeof small};
	OUT(o, 64);

	(void)state;
	o.cap++; /* the pattern writes its own NUL */
	assert_int_equal(fmt_put_pattern(&o, "/tmp/t.%p.%p%", 4321), 0);
	assert_string_equal(o.p, "/tmp/t.4321.4321%");
	assert_int_equal(fmt_put_pattern(&s, "/tmp/x%p", 123456), -1);
	s.n = 0;
	assert_int_equal(fmt_put_pattern(&s, "/tmp/x%p", 12345), 0);
	assert_string_equal(small, "/tmp/x12345");
}

/* Writes past the bound are dropped, never past the buffer. */
static void test_bound(void **state)
{
	char buf[8] = "XXXXXXXX";
	struct out o = {buf, 0, 4};

	(void)state;
	fmt_puts(&o, "abcdef");
	fmt_put_u(&o, 123456, 1);
	assert_int_equal(o.n, 4);
	assert_memory_equal(buf, "abcdXXXX", 8);
}

/* A cut line ends in "..." and still in a newline; a whole one is kept. */
static void test_end_line(void **state)
{
	char buf[9];
	struct out o = {buf, 0, sizeof buf - 1};

	(void)state;
	fmt_puts(&o, "abc");
	fmt_end_line(&o);
	assert_int_equal(o.n, 4);
	assert_memory_equal(buf, "abc\n", 4);
	o.n = 0;
	fmt_puts(&o, "abcdefghijk");
	fmt_end_line(&o);
	assert_int_equal(o.n, 9);
	assert_memory_equal(buf, "abcd...h\n", 9);
}

static const char *event(struct shim_event *e, int json)
{
	static char buf[SHIM_LINE_MAX];
	struct out o = {buf, 0, sizeof buf - 1};

	format_event(&o, e, json, NULL);
	return done(&o);
}

static void arg(struct shim_event *e, const char *name, enum arg_kind k, const void *p, size_t n)
{
	struct shim_arg *a = &e->arg[e->nargs++];

	a->name = name;
	a->kind = k;
	a->p = p;
	a->n = n;
}

static void iarg(struct shim_event *e, const char *name, enum arg_kind k, long long v)
{
	struct shim_arg *a = &e->arg[e->nargs++];

	a->name = name;
	a->kind = k;
	a->i = v;
	a->n = 0;
}

/* Message queue calls in strace's forms: a message's text (32 bytes at
 * most, then "..." after the quotes; NUL as \0), mtype, the stored
 * priority, mq_attr, sigevent; the same in JSON. */
static void test_messages(void **state)
{
	struct { long mtype; char mtext[40]; } m = {7, "ping"};
	struct mq_attr at = {.mq_flags = O_NONBLOCK, .mq_maxmsg = 4, .mq_msgsize = 16};
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	unsigned prio = 2;
	struct shim_event e;

	(void)state;
	memset(&e, 0, sizeof e);
	e.op = OP_MSGSND;
	iarg(&e, "msqid", A_INT, 3);
	arg(&e, "msgp", A_MSGBUF, &m, 4);
	iarg(&e, "msgsz", A_SIZE, 4);
	iarg(&e, "msgflg", A_MSGFLG, IPC_NOWAIT | MSG_NOERROR);
	strcpy(e.key, "IPC_PRIVATE");
	assert_string_equal(event(&e, 0),
			    "msgsnd(3, {7, \"ping\"}, 4, IPC_NOWAIT|MSG_NOERROR) = 0 <0.0us> key=IPC_PRIVATE");
	assert_string_equal(event(&e, 1),
			    "{\"v\":1,\"ts\":0.000000000,\"pid\":0,\"tid\":0,\"op\":\"msgsnd\",\"args\":{\"msqid\":3,"
			    "\"msgp\":{\"mtype\":7,\"mtext\":\"ping\"},\"msgsz\":4,"
			    "\"msgflg\":\"IPC_NOWAIT|MSG_NOERROR\"},\"ret\":0,\"errno\":null,\"dur_ns\":0,"
			    "\"key\":\"IPC_PRIVATE\"}");

	memset(&e, 0, sizeof e);
	e.op = OP_MQ_RECEIVE;
	iarg(&e, "mqdes", A_INT, 3);
	arg(&e, "msg_ptr", A_BUF, "0123456789abcdef0123456789abcdefXYZ", 35);
	iarg(&e, "msg_len", A_SIZE, 64);
	arg(&e, "msg_prio", A_UINTP, &prio, 0);
	e.ret.i = 35;
	assert_string_equal(event(&e, 0), "mq_receive(3, \"0123456789abcdef0123456789abcdef\"..., 64, [2]) "
			    "= 35 <0.0us>");
	e.arg[1].s = "a\0b";
	e.arg[1].n = 3;
	e.key_searched = 1;
	strcpy(e.key, "systemv:/tmp/k");
	assert_string_equal(event(&e, 0), "mq_receive(3, \"a\\0b\", 64, [2]) = 35 <0.0us> key=systemv:/tmp/k?");
	assert_non_null(strstr(event(&e, 1), "\"msg_ptr\":\"a\\u0000b\""));
	assert_non_null(strstr(event(&e, 1), "\"key\":\"systemv:/tmp/k\",\"key_from\":\"search\"}"));

	memset(&e, 0, sizeof e);
	e.op = OP_MQ_OPEN;
	arg(&e, "name", A_STR, "/q", 0);
	iarg(&e, "oflag", A_OFLAG, O_RDWR | O_CREAT);
	iarg(&e, "mode", A_MODE, 0600);
	arg(&e, "attr", A_MQATTR, &at, 0);
	assert_string_equal(event(&e, 0), "mq_open(\"/q\", O_RDWR|O_CREAT, 0600, {mq_flags=O_NONBLOCK, "
			    "mq_maxmsg=4, mq_msgsize=16, mq_curmsgs=0}) = 0 <0.0us>");
	memset(&e, 0, sizeof e);
	e.op = OP_MQ_NOTIFY;
	iarg(&e, "mqdes", A_INT, 3);
	arg(&e, "sevp", A_SIGEV, &ev, 0);
	assert_string_equal(event(&e, 0), "mq_notify(3, {sigev_signo=SIGUSR1, sigev_notify=SIGEV_SIGNAL}) = 0 <0.0us>");
	assert_non_null(strstr(event(&e, 1),
			       "\"sevp\":{\"sigev_signo\":\"SIGUSR1\",\"sigev_notify\":\"SIGEV_SIGNAL\"}"));
	e.arg[1].p = NULL;
	assert_string_equal(event(&e, 0), "mq_notify(3, NULL) = 0 <0.0us>");

	memset(&e, 0, sizeof e);
	e.op = OP_MSGCTL;
	iarg(&e, "msqid", A_INT, 3);
	iarg(&e, "cmd", A_MSGCMD, IPC_64 | MSG_STAT_ANY);
	assert_string_equal(event(&e, 0), "msgctl(3, IPC_64|MSG_STAT_ANY) = 0 <0.0us>");
}

TL_TESTS("format", NULL, NULL, test_durations, test_tail, test_head, test_strace_times,
	 test_strings, test_pattern, test_messages, test_bound, test_end_line)
