/* SPDX-License-Identifier: MIT */
/* Differential test of the key string form against Qt 6's QUrl/QUrlQuery:
 * thousands of generated keys and strings go through tests/qt/urlref (one
 * run, all cases through a pipe) and through nipc, and every answer must
 * agree. */
#include "config.h"

#include "tlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nipc.h"
#include "keystr_gen.h"

#define SEED 20261123u
#define N_KEYS 10000
#define N_STRINGS 20000
#define MAX_SHOWN 20

enum { FORMAT, PARSE, ROUNDTRIP };

struct kcase {
	int kind;
	int type;
	char *native, *legacy; /* FORMAT and ROUNDTRIP: the key (legacy NULL = none) */
	char *str;             /* PARSE and ROUNDTRIP: the text parsed */
	char *answer;          /* urlref's line */
};

struct state {
	char *input; /* the cases, urlref's stdin */
	size_t input_len;
	struct kcase *c;
	size_t n, cap;
};

static struct state st;

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	assert_true(!s || d);
	return d;
}

static struct kcase *add_case(int kind)
{
	if (st.n == st.cap) {
		st.cap = st.cap ? 2 * st.cap : 1024;
		st.c = realloc(st.c, st.cap * sizeof *st.c);
		assert_non_null(st.c);
	}
	memset(&st.c[st.n], 0, sizeof st.c[st.n]);
	st.c[st.n].kind = kind;
	return &st.c[st.n++];
}

static void add_format(int type, const char *native, const char *legacy)
{
	struct kcase *c = add_case(FORMAT);
	char buf[4 * GEN_TEXT_MAX];
	ssize_t n;

	c->type = type;
	c->native = xstrdup(native);
	c->legacy = xstrdup(legacy);
	n = nipc_key_format(buf, sizeof buf, type, native, legacy);
	if (n >= 0) {
		assert_true((size_t)n < sizeof buf);
		c = add_case(ROUNDTRIP);
		c->type = type;
		c->native = xstrdup(native);
		c->legacy = xstrdup(legacy);
		c->str = xstrdup(buf);
	}
}

static void add_parse(const char *s)
{
	add_case(PARSE)->str = xstrdup(s);
}

/* Every ASCII character alone and inside text, in each place it can go. */
static void add_ascii_cases(void)
{
	static const char *const parse_shapes[] = {
		"posix:a%sb", "posix:%s", "posix:/x?legacyKey=a%sb", "posix:/x?legacyKey%s=a",
		"systemv:%s/x", "windows://%s/x", "posix:/x#%s",
	};

	for (int c = 1; c < 128; c++) {
		char one[2] = { (char)c, 0 }, mid[4] = { 'a', (char)c, 'b', 0 };
		char s[32];

		add_format(NIPC_KEY_POSIX, one, one);
		add_format(NIPC_KEY_SYSTEMV, mid, mid);
		for (size_t i = 0; i < sizeof parse_shapes / sizeof *parse_shapes; i++) {
			snprintf(s, sizeof s, parse_shapes[i], one);
			add_parse(s);
		}
	}
}

static void add_generated_cases(void)
{
	struct gen g;
	char native[GEN_TEXT_MAX], legacy[GEN_TEXT_MAX], s[GEN_TEXT_MAX];
	int type, has_legacy;

	/* fixed by default; NIPC_KEYSTR_SEED explores other sequences */
	gen_seed(&g, getenv("NIPC_KEYSTR_SEED") ? strtoull(getenv("NIPC_KEYSTR_SEED"), NULL, 0)
						 : SEED);
	for (int i = 0; i < N_KEYS; i++) {
		gen_key(&g, &type, native, legacy, &has_legacy);
		add_format(type, native, has_legacy ? legacy : NULL);
	}
	for (int i = 0; i < N_STRINGS; i++) {
		gen_key_string(&g, s);
		add_parse(s);
	}
}

static void put_hex(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputs("-", f);
		return;
	}
	for (; *s; s++)
		fprintf(f, "%02x", (unsigned char)*s);
}

static void write_input(void)
{
	FILE *f = open_memstream(&st.input, &st.input_len);

	assert_non_null(f);
	for (size_t i = 0; i < st.n; i++) {
		struct kcase *c = &st.c[i];

		if (c->kind == FORMAT) {
			fprintf(f, "F %d ", c->type);
			put_hex(f, c->native);
			fputc(' ', f);
			put_hex(f, c->legacy);
		} else {
			fputs("P ", f);
			put_hex(f, c->str);
		}
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
}

/* Runs urlref once with all cases on stdin and keeps its answers. */
static void run_reference(void)
{
	struct tl_opts o = {.in = st.input, .in_len = st.input_len, .timeout = 600};
	char prog[4096], *line;
	struct tl_proc p;
	size_t i = 0;
	int rc;

	snprintf(prog, sizeof prog, "%s/tests/qt/urlref", tl_builddir());
	rc = tl_run(&p, TL_ARGV(prog), &o);

	if (rc)
		fail_msg("urlref failed (%d): %s", rc, p.e.p);
	for (line = strtok(p.o.p, "\n"); line; line = strtok(NULL, "\n")) {
		assert_true(i < st.n);
		st.c[i++].answer = xstrdup(line);
	}
	tl_proc_free(&p);
	if (i != st.n)
		fail_msg("urlref answered %zu of %zu cases", i, st.n);
}

static int setup(void **state)
{
	(void)state;
	add_ascii_cases();
	add_generated_cases();
	write_input();
	run_reference();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < st.n; i++) {
		free(st.c[i].native);
		free(st.c[i].legacy);
		free(st.c[i].str);
		free(st.c[i].answer);
	}
	free(st.c);
	free(st.input);
	return 0;
}

/* Decodes a hex field ("-" = empty) into a new buffer; *nul says whether the
 * text holds a NUL byte. */
static char *unhex(const char *h, size_t hlen, int *nul)
{
	char *s = malloc(hlen / 2 + 1);
	size_t n = 0;

	assert_non_null(s);
	*nul = 0;
	if (!(hlen == 1 && h[0] == '-')) {
		for (size_t i = 0; i + 1 < hlen; i += 2) {
			unsigned v;

			assert_int_equal(sscanf(h + i, "%2x", &v), 1);
			*nul |= v == 0;
			s[n++] = (char)v;
		}
	}
	s[n] = '\0';
	return s;
}

struct qt_key {
	int valid, type, nul;
	char *native, *legacy; /* legacy NULL = none */
};

static void read_parse_answer(const char *a, struct qt_key *q)
{
	const char *sp1, *sp2;
	int nul;

	memset(q, 0, sizeof *q);
	if (!strcmp(a, "0"))
		return;
	assert_true(a[0] == '1' && a[1] == ' ');
	q->valid = 1;
	q->type = atoi(a + 2);
	sp1 = strchr(a + 2, ' ');
	assert_non_null(sp1);
	sp2 = strchr(sp1 + 1, ' ');
	assert_non_null(sp2);
	q->native = unhex(sp1 + 1, (size_t)(sp2 - sp1 - 1), &q->nul);
	if (strcmp(sp2 + 1, "!")) {
		q->legacy = unhex(sp2 + 1, strlen(sp2 + 1), &nul);
		q->nul |= nul;
	}
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static size_t mismatches;

static void report(const struct kcase *c, const char *fmt, ...)
{
	char a[4 * GEN_TEXT_MAX + 8], b[4 * GEN_TEXT_MAX + 8], d[4 * GEN_TEXT_MAX + 8];
	char msg[512];
	va_list ap;

	if (mismatches++ >= MAX_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	gen_show(c->native ? c->native : "", a, sizeof a);
	gen_show(c->legacy ? c->legacy : "", b, sizeof b);
	gen_show(c->str ? c->str : "", d, sizeof d);
	print_error("# mismatch (%s): type %d native \"%s\" legacy %s\"%s\" string \"%s\"\n"
		    "#   Qt answered: %s\n", msg, c->type, a, c->legacy ? "" : "(none) ", b, d,
		    c->answer);
}

static void check_format(const struct kcase *c)
{
	char buf[4 * GEN_TEXT_MAX];
	ssize_t n = nipc_key_format(buf, sizeof buf, c->type, c->native, c->legacy);
	int nul;

	if (!strcmp(c->answer, "N")) {
		if (n != -NIPC_EINVAL)
			report(c, "Qt gives the null string, nipc %zd", n);
		return;
	}
	if (strncmp(c->answer, "S ", 2)) {
		report(c, "bad answer line");
		return;
	}
	char *want = unhex(c->answer + 2, strlen(c->answer + 2), &nul);

	if (n < 0 || strcmp(buf, want) || (size_t)n != strlen(want)) {
		char w[4 * GEN_TEXT_MAX + 8], got[4 * GEN_TEXT_MAX + 8];

		gen_show(want, w, sizeof w);
		gen_show(n < 0 ? "" : buf, got, sizeof got);
		report(c, "format: Qt \"%s\", nipc (%zd) \"%s\"", w, n, got);
	}
	free(want);
}

static void check_parse(const struct kcase *c, struct qt_key *q)
{
	nipc_key *k = NULL;
	int rc = nipc_key_from_string(&k, c->str);

	if (!q->valid || q->nul) {
		if (rc != -NIPC_EKEY)
			report(c, "Qt: %s; nipc rc %d", q->valid ? "valid with a NUL" : "invalid", rc);
	} else if (rc) {
		report(c, "Qt: valid; nipc rc %d", rc);
	} else if (nipc_key_type(k) != q->type || strcmp(nipc_key_native(k), q->native) ||
		   !str_eq(nipc_key_legacy(k), q->legacy)) {
		char n1[4 * GEN_TEXT_MAX + 8], l1[4 * GEN_TEXT_MAX + 8];

		gen_show(nipc_key_native(k), n1, sizeof n1);
		gen_show(nipc_key_legacy(k) ? nipc_key_legacy(k) : "(none)", l1, sizeof l1);
		report(c, "parse: nipc type %d native \"%s\" legacy \"%s\"", nipc_key_type(k), n1, l1);
	}
	nipc_key_free(k);
}

static size_t count(int kind)
{
	size_t n = 0;

	for (size_t i = 0; i < st.n; i++)
		n += st.c[i].kind == kind;
	return n;
}

static void finish(const char *what, size_t n)
{
	print_message("# %s: %zu cases, %zu mismatches\n", what, n, mismatches);
	if (mismatches)
		fail_msg("%zu of %zu %s cases disagree with Qt", mismatches, n, what);
}

static void test_format_agrees(void **state)
{
	(void)state;
	mismatches = 0;
	for (size_t i = 0; i < st.n; i++)
		if (st.c[i].kind == FORMAT)
			check_format(&st.c[i]);
	finish("format", count(FORMAT));
}

static void test_parse_agrees(void **state)
{
	size_t valid = 0, legacy = 0, nul = 0;

	(void)state;
	mismatches = 0;
	for (size_t i = 0; i < st.n; i++) {
		struct qt_key q;

		if (st.c[i].kind != PARSE && st.c[i].kind != ROUNDTRIP)
			continue;
		read_parse_answer(st.c[i].answer, &q);
		check_parse(&st.c[i], &q);
		valid += q.valid;
		legacy += q.legacy != NULL;
		nul += q.nul;
		free(q.native);
		free(q.legacy);
	}
	/* the generator must reach both answers and the corners */
	print_message("# parse: Qt valid %zu (legacy key %zu, NUL %zu)\n", valid, legacy, nul);
	assert_true(valid > 1000 && legacy > 500 && nul > 10);
	assert_true(count(PARSE) + count(ROUNDTRIP) - valid > 1000);
	finish("parse", count(PARSE) + count(ROUNDTRIP));
}

/* Qt itself gives back every key it formatted, except that the legacy key
 * loses a leading U+FEFF (QString::fromUtf8 drops it) and an empty legacy
 * key is no legacy key. */
static void test_qt_round_trip(void **state)
{
	size_t bom = 0;

	(void)state;
	mismatches = 0;
	for (size_t i = 0; i < st.n; i++) {
		const struct kcase *c = &st.c[i];
		const char *legacy = c->legacy && *c->legacy ? c->legacy : NULL;
		struct qt_key q;

		if (c->kind != ROUNDTRIP)
			continue;
		read_parse_answer(c->answer, &q);
		if (legacy && !strncmp(legacy, "\xef\xbb\xbf", 3)) {
			bom++;
			legacy = legacy[3] ? legacy + 3 : NULL;
		}
		if (!q.valid || q.type != c->type || strcmp(q.native, c->native) ||
		    !str_eq(q.legacy, legacy))
			report(c, "Qt does not round-trip");
		free(q.native);
		free(q.legacy);
	}
	print_message("# round trips with a leading U+FEFF in the legacy key: %zu\n", bom);
	assert_true(bom > 0);
	finish("round-trip", count(ROUNDTRIP));
}

TL_TESTS("keystr_diff", setup, teardown, test_format_agrees, test_parse_agrees, test_qt_round_trip)
