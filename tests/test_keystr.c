/* SPDX-License-Identifier: MIT */
/* Key string form: the vectors of Qt's own test table, the behaviour of Qt's
 * URL class observed on Qt 6.4, type names, buffer handling, round trips of
 * generated keys, and that nipc_key_format never allocates. */
#include "config.h"

#include "tlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nipc.h"
#include "keystr_gen.h"

/* Allocations made by libnipc's code (linked statically here) are counted
 * through the linker's --wrap. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static volatile size_t allocations;

void *__wrap_malloc(size_t n)
{
	allocations++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	allocations++;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocations++;
	return __real_realloc(p, n);
}

/* ------------------------------------------------------------- vectors */

struct row {
	char dir[16], name[128];
	int type, valid;
	char native[256], str[256];
};

static int unhex(const char *h, char *out, size_t cap)
{
	size_t n = 0, len = strlen(h);

	if (!strcmp(h, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (len % 2 || len / 2 >= cap)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		unsigned v;

		if (sscanf(h + i, "%2x", &v) != 1)
			return -1;
		out[n++] = (char)v;
	}
	out[n] = '\0';
	return 0;
}

static int read_row(FILE *f, struct row *r)
{
	char line[1024], nh[512], sh[512];

	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_non_null(strchr(line, '\n'));
		assert_int_equal(sscanf(line, "%15s\t%127[^\t]\t%d\t%511s\t%511s\t%d", r->dir, r->name,
					&r->type, nh, sh, &r->valid), 6);
		assert_int_equal(unhex(nh, r->native, sizeof r->native), 0);
		assert_int_equal(unhex(sh, r->str, sizeof r->str), 0);
		return 1;
	}
	return 0;
}

static FILE *open_vectors(void)
{
	const char *top = getenv("NIPC_TOP_SRCDIR");
	char path[4096];
	FILE *f;

	if (!top)
		fail_msg("NIPC_TOP_SRCDIR is not set");
	snprintf(path, sizeof path, "%s/tests/vectors/qt-string-form.tsv", top);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

static void check_format_row(const struct row *r)
{
	char buf[512], *s = NULL;
	nipc_key *k;

	assert_int_equal(nipc_key_new(&k, r->type, r->native), 0);
	if (!r->valid) {
		assert_int_equal(nipc_key_format(buf, sizeof buf, r->type, r->native, NULL),
				 -NIPC_EINVAL);
		assert_int_equal(nipc_key_to_string(&s, k), -NIPC_EINVAL);
		assert_null(s);
		nipc_key_free(k);
		return;
	}
	assert_int_equal(nipc_key_format(buf, sizeof buf, r->type, r->native, NULL),
			 (ssize_t)strlen(r->str));
	assert_string_equal(buf, r->str);
	assert_int_equal(nipc_key_to_string(&s, k), 0);
	assert_string_equal(s, r->str);
	free(s);
	nipc_key_free(k);
}

static void check_parse_row(const struct row *r)
{
	nipc_key *k;
	int rc = nipc_key_from_string(&k, r->str);

	if (!r->valid) {
		if (rc != -NIPC_EKEY)
			fail_msg("%s: \"%s\" should be invalid, rc %d", r->name, r->str, rc);
		assert_null(k);
		return;
	}
	if (rc)
		fail_msg("%s: \"%s\" rc %d", r->name, r->str, rc);
	assert_int_equal(nipc_key_type(k), r->type);
	assert_string_equal(nipc_key_native(k), r->native);
	assert_null(nipc_key_legacy(k));
	nipc_key_free(k);
}

/* A legacy key rides in the query and comes back. */
static void check_legacy_row(const struct row *r)
{
	static const char legacy[] = "org.example.app 100% & co=#1";
	char want[512], buf[512];
	nipc_key *k;

	snprintf(want, sizeof want, "%s?legacyKey=org.example.app 100%%25 %%26 co%%3D%%231", r->str);
	assert_int_equal(nipc_key_format(buf, sizeof buf, r->type, r->native, legacy),
			 (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(nipc_key_from_string(&k, buf), 0);
	assert_int_equal(nipc_key_type(k), r->type);
	assert_string_equal(nipc_key_native(k), r->native);
	assert_string_equal(nipc_key_legacy(k), legacy);
	nipc_key_free(k);
}

static void test_vectors(void **state)
{
	FILE *f = open_vectors();
	struct row r;
	int rows = 0;

	(void)state;
	while (read_row(f, &r)) {
		rows++;
		if (!strcmp(r.dir, "both") || !strcmp(r.dir, "format"))
			check_format_row(&r);
		if (!strcmp(r.dir, "both") || !strcmp(r.dir, "parse"))
			check_parse_row(&r);
		if (!strcmp(r.dir, "both"))
			check_legacy_row(&r);
	}
	fclose(f);
	print_message("# %d vector rows\n", rows);
	assert_true(rows >= 100);
}

/* ---------------------------------------------------------- type names */

static void test_type_names(void **state)
{
	char buf[16], want[16];

	(void)state;
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, NIPC_KEY_SYSTEMV), 7);
	assert_string_equal(buf, "systemv");
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, NIPC_KEY_POSIX), 5);
	assert_string_equal(buf, "posix");
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, NIPC_KEY_WINDOWS), 7);
	assert_string_equal(buf, "windows");
	for (int t = 1; t <= 255; t++) {
		if (t == NIPC_KEY_SYSTEMV)
			continue;
		snprintf(want, sizeof want, "systemv-%d", t);
		assert_int_equal(nipc_key_type_name(buf, sizeof buf, t), (int)strlen(want));
		assert_string_equal(buf, want);
		assert_int_equal(nipc_key_type_from_name(buf), t);
	}
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, 1000), -NIPC_EINVAL);
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, -1), -NIPC_EINVAL);
	assert_int_equal(nipc_key_type_name(buf, sizeof buf, 0x102), -NIPC_EINVAL);
	/* the buffer must hold the name and its NUL */
	assert_int_equal(nipc_key_type_name(buf, 5, NIPC_KEY_POSIX), -NIPC_EINVAL);
	assert_int_equal(nipc_key_type_name(buf, 6, NIPC_KEY_POSIX), 5);
	assert_int_equal(nipc_key_type_name(buf, 11, 200), -NIPC_EINVAL);
	assert_int_equal(nipc_key_type_name(buf, 12, 200), 11);
	assert_int_equal(nipc_key_type_name(NULL, 0, NIPC_KEY_POSIX), -NIPC_EINVAL);
}

static void test_type_from_name(void **state)
{
	static const struct {
		const char *s;
		int type;
	} cases[] = {
		{ "systemv", 0x51 }, { "posix", 0x100 }, { "windows", 0x101 },
		{ "systemv-81", 0x51 }, { "systemv-009", 9 }, { "systemv-1", 1 },
		{ "systemv-255", 255 }, { "systemv-0000000000000000000000007", 7 },
		/* QUrl lower-cases the scheme; Qt 6.8 reads N as digits only */
		{ "SYSTEMV", 0x51 }, { "PoSiX", 0x100 }, { "Systemv-12", 12 }, { "systemv-+5", 0 },
		{ "systemv-0", 0 }, { "systemv-256", 0 }, { "systemv-", 0 }, { "systemv--5", 0 },
		{ "systemv-0x01", 0 }, { "systemv-5.", 0 }, { "systemv-5x", 0 }, { "systemv-+", 0 },
		{ "systemv-32769", 0 }, { "systemv-65537", 0 }, { "systemv-4294967297", 0 },
		{ "systemv255", 0 }, { "systemv+255", 0 }, { "", 0 }, { "posix:", 0 },
		{ " posix", 0 }, { "posixx", 0 }, { "p", 0 }, { "systemv- 5", 0 },
		{ "\xc3\xa9", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (nipc_key_type_from_name(cases[i].s) != cases[i].type)
			fail_msg("\"%s\": %d, want %d", cases[i].s, nipc_key_type_from_name(cases[i].s),
				 cases[i].type);
	assert_int_equal(nipc_key_type_from_name(NULL), 0);
}

/* -------------------------------------------------------------- format */

static void test_format_encoding(void **state)
{
	static const struct {
		const char *native, *legacy, *want;
	} cases[] = {
		{ "a b", NULL, "posix:a b" },
		{ "\x01\x1f\x7f", NULL, "posix:%01%1F%7F" },
		{ "[]{}|^\\`\"<>", NULL, "posix:[]{}|^\\`\"<>" },
		{ "&=;+$,!'()*@:~", NULL, "posix:&=;+$,!'()*@:~" },
		{ "%?#", NULL, "posix:%25%3F%23" },
		{ "//x//y", NULL, "posix:/%2Fx//y" },
		{ "/", NULL, "posix:/" },
		{ "\xef\xbf\xbf\xef\xb7\x90\xf4\x8f\xbf\xbf\xc2\x85", NULL,
		  "posix:\xef\xbf\xbf\xef\xb7\x90\xf4\x8f\xbf\xbf\xc2\x85" },
		{ "/x", "", "posix:/x" },
		{ "/x", "a&b=c;d+e#f?g%h", "posix:/x?legacyKey=a%26b%3Dc;d+e%23f?g%25h" },
		{ "/x", " \x01\x7f[]{}|^`\"<>\\/:@", "posix:/x?legacyKey= %01%7F[]{}|^`\"<>\\/:@" },
		{ "", "//", "posix:?legacyKey=//" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ssize_t n = nipc_key_format(buf, sizeof buf, NIPC_KEY_POSIX, cases[i].native,
					    cases[i].legacy);

		assert_string_equal(buf, cases[i].want);
		assert_int_equal(n, (ssize_t)strlen(cases[i].want));
	}
	assert_int_equal(nipc_key_format(buf, sizeof buf, NIPC_KEY_POSIX, NULL, NULL), 6);
	assert_string_equal(buf, "posix:");
}

static void test_format_buffer(void **state)
{
	char buf[32];
	const char *want = "systemv-7:/a%25b?legacyKey=x%26";
	ssize_t full = (ssize_t)strlen(want);

	(void)state;
	assert_int_equal(nipc_key_format(NULL, 0, 7, "/a%b", "x&"), full);
	for (size_t len = 1; len <= sizeof buf; len++) {
		memset(buf, 'Z', sizeof buf);
		assert_int_equal(nipc_key_format(buf, len, 7, "/a%b", "x&"), full);
		assert_int_equal(strlen(buf), len - 1 < (size_t)full ? len - 1 : (size_t)full);
		assert_memory_equal(buf, want, strlen(buf));
		if (len < sizeof buf)
			assert_int_equal(buf[len], 'Z');
	}
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(nipc_key_format(buf, 0, 7, "/a%b", "x&"), full);
	assert_int_equal(buf[0], 'Z');
	/* bad input: a clear error, nothing written */
	assert_int_equal(nipc_key_format(buf, sizeof buf, 0, "x", NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_key_format(buf, sizeof buf, 0x102, "x", NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_key_format(buf, sizeof buf, NIPC_KEY_POSIX, "\xff", NULL),
			 -NIPC_EINVAL);
	assert_int_equal(nipc_key_format(buf, sizeof buf, NIPC_KEY_POSIX, "x", "\xc3"),
			 -NIPC_EINVAL);
	assert_int_equal(nipc_key_format(NULL, 5, NIPC_KEY_POSIX, "x", NULL), -NIPC_EINVAL);
	assert_int_equal(buf[0], 'Z');
}

static void test_to_string(void **state)
{
	nipc_key *k;
	char *s = (char *)"junk";

	(void)state;
	assert_int_equal(nipc_key_to_string(&s, NULL), -NIPC_EINVAL);
	assert_null(s);
	assert_int_equal(nipc_key_to_string(NULL, NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_WINDOWS, "Global\\x"), 0);
	assert_int_equal(nipc_key_set_legacy(k, "x"), 0);
	assert_int_equal(nipc_key_to_string(&s, k), 0);
	assert_string_equal(s, "windows:Global\\x?legacyKey=x");
	free(s);
	assert_int_equal(nipc_key_set_type(k, 0), 0);
	s = (char *)"junk";
	assert_int_equal(nipc_key_to_string(&s, k), -NIPC_EINVAL);
	assert_null(s);
	nipc_key_free(k);
}

/* --------------------------------------------------------------- parse */

/* A field of tests/vectors/key-parse.tsv (tl_unescape); NULL for "-". */
static char *unescape(char *s)
{
	return strcmp(s, "-") ? tl_unescape(s) : NULL;
}

/* The cases of tests/vectors/key-parse.tsv: text, result, native, legacy. */
static void test_parse_cases(void **state)
{
	char path[4096];
	struct tl_lines l;
	size_t cases = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/tests/vectors/key-parse.tsv", tl_srcdir());
	assert_int_equal(tl_lines_load(&l, path), 0);
	for (size_t i = 0; i < l.n; i++) {
		char *f[4], *line = l.line[i];
		const char *text, *native, *legacy;
		nipc_key *k = (nipc_key *)&k;
		int rc, want_rc, type = 0;

		if (line[0] == '#')
			continue;
		for (size_t j = 0; j < 4; j++)
			if (!(f[j] = strsep(&line, "\t")))
				fail_msg("%s:%zu: fewer than 4 fields", path, i + 1);
		text = unescape(f[0]);
		native = unescape(f[2]);
		legacy = unescape(f[3]);
		want_rc = strcmp(f[1], "EKEY") ? 0 : -NIPC_EKEY;
		if (!want_rc)
			type = (int)strtol(f[1], NULL, 16);
		cases++;
		rc = nipc_key_from_string(&k, text);
		if (rc != want_rc)
			fail_msg("\"%s\": rc %d, want %d", text, rc, want_rc);
		if (rc) {
			assert_null(k);
			continue;
		}
		assert_int_equal(nipc_key_type(k), type);
		if (strcmp(nipc_key_native(k), native))
			fail_msg("\"%s\": native \"%s\", want \"%s\"", text, nipc_key_native(k), native);
		if (legacy)
			assert_string_equal(nipc_key_legacy(k), legacy);
		else
			assert_null(nipc_key_legacy(k));
		nipc_key_free(k);
	}
	tl_lines_free(&l);
	assert_true(cases >= 65);
}

static void test_parse_bad_input(void **state)
{
	nipc_key *k = (nipc_key *)&k;

	(void)state;
	assert_int_equal(nipc_key_from_string(&k, NULL), -NIPC_EINVAL);
	assert_null(k);
	assert_int_equal(nipc_key_from_string(NULL, "posix:x"), -NIPC_EINVAL);
	k = (nipc_key *)&k;
	assert_int_equal(nipc_key_from_string(&k, "posix:\xff"), -NIPC_EINVAL);
	assert_null(k);
	assert_int_equal(nipc_key_from_string(&k, "posix:\xed\xa0\x80"), -NIPC_EINVAL);
	assert_int_equal(nipc_key_from_string(&k, ""), -NIPC_EKEY);
	assert_int_equal(nipc_key_from_string(&k, ":"), -NIPC_EKEY);
	assert_int_equal(nipc_key_from_string(&k, "posix"), -NIPC_EKEY);
}

/* ---------------------------------------------------------- round trip */

#define N_ROUND_TRIP 20000

/* parse(format(k)) == k for every valid key; Qt's exceptions: an empty
 * legacy key is no legacy key, and a leading U+FEFF of the legacy key is
 * dropped (QString::fromUtf8). */
static void test_round_trip(void **state)
{
	char native[GEN_TEXT_MAX], legacy[GEN_TEXT_MAX], *s;
	struct gen g;
	int type, has_legacy;
	size_t valid = 0, with_legacy = 0;

	(void)state;
	gen_seed(&g, 42);
	for (int i = 0; i < N_ROUND_TRIP; i++) {
		nipc_key *k, *back;
		const char *want;

		gen_key(&g, &type, native, legacy, &has_legacy);
		assert_int_equal(nipc_key_new(&k, type, native), 0);
		if (has_legacy)
			assert_int_equal(nipc_key_set_legacy(k, legacy), 0);
		if (!nipc_key_is_valid(k)) {
			assert_int_equal(nipc_key_to_string(&s, k), -NIPC_EINVAL);
			nipc_key_free(k);
			continue;
		}
		valid++;
		assert_int_equal(nipc_key_to_string(&s, k), 0);
		if (nipc_key_from_string(&back, s))
			fail_msg("cannot parse \"%s\"", s);
		want = has_legacy && legacy[0] ? legacy : NULL;
		if (want && !strncmp(want, "\xef\xbb\xbf", 3))
			want = want[3] ? want + 3 : NULL;
		with_legacy += want != NULL;
		assert_int_equal(nipc_key_type(back), type);
		if (strcmp(nipc_key_native(back), native))
			fail_msg("\"%s\": native \"%s\", want \"%s\"", s, nipc_key_native(back), native);
		if (!want)
			assert_null(nipc_key_legacy(back));
		else if (!nipc_key_legacy(back) || strcmp(nipc_key_legacy(back), want))
			fail_msg("\"%s\": legacy \"%s\", want \"%s\"", s,
				 nipc_key_legacy(back) ? nipc_key_legacy(back) : "(none)", want);
		free(s);
		nipc_key_free(k);
		nipc_key_free(back);
	}
	print_message("# %zu valid keys round-tripped, %zu with a legacy key\n", valid, with_legacy);
	assert_true(valid > N_ROUND_TRIP / 2 && with_legacy > N_ROUND_TRIP / 4);
}

/* ---------------------------------------------- no allocation in format */

static volatile sig_atomic_t handler_ok;

static void on_signal(int sig)
{
	char buf[64];

	(void)sig;
	handler_ok = nipc_key_format(buf, sizeof buf, NIPC_KEY_SYSTEMV, "/tmp/x y", "app") == 30 &&
		     !memcmp(buf, "systemv:/tmp/x y?legacyKey=app", 31);
}

static void test_format_no_malloc(void **state)
{
	char native[GEN_TEXT_MAX], legacy[GEN_TEXT_MAX], buf[64], *s;
	struct gen g;
	int type, has_legacy;
	size_t before;
	nipc_key *k;

	(void)state;
	/* the counter sees the library's allocations */
	before = allocations;
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "/x"), 0);
	assert_int_equal(nipc_key_to_string(&s, k), 0);
	assert_true(allocations > before);
	free(s);
	nipc_key_free(k);

	gen_seed(&g, 7);
	before = allocations;
	for (int i = 0; i < 2000; i++) {
		gen_key(&g, &type, native, legacy, &has_legacy);
		nipc_key_format(buf, sizeof buf, type, native, has_legacy ? legacy : NULL);
		nipc_key_type_name(buf, sizeof buf, type);
	}
	assert_int_equal(allocations, before);

	handler_ok = 0;
	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	assert_true(handler_ok);
}

TL_TESTS("keystr", NULL, NULL, test_vectors, test_type_names, test_type_from_name,
	 test_format_encoding, test_format_buffer, test_to_string, test_parse_cases,
	 test_parse_bad_input, test_round_trip, test_format_no_malloc)
