/* SPDX-License-Identifier: MIT */
/* Deterministic generator of key strings for the string-form tests: names,
 * percent-escapes and UTF-8 chosen to exercise Qt's parser. */
#include "config.h"

#include "keystr_gen.h"
#include "utf.h"

#include <stdio.h>
#include <string.h>

void gen_seed(struct gen *g, uint64_t seed)
{
	g->s = seed ? seed : 0x9e3779b97f4a7c15u;
}

/* xorshift64* */
uint32_t gen_below(struct gen *g, uint32_t n)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* A bounded append: the piece goes in whole or not at all, so generated
 * texts stay valid UTF-8 and escapes are never cut. */
struct buf {
	char *p;
	size_t n;
};

static void add(struct buf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > GEN_TEXT_MAX)
		return;
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void add_cp(struct buf *b, uint32_t cp)
{
	char o[4];

	add(b, o, nipc_utf8_encode(o, cp));
}

static void add_pct_bytes(struct gen *g, struct buf *b, const unsigned char *s, size_t n)
{
	const char *hex = gen_below(g, 4) ? "0123456789ABCDEF" : "0123456789abcdef";
	char e[3 * 5];

	for (size_t i = 0; i < n; i++) {
		e[3 * i] = '%';
		e[3 * i + 1] = hex[s[i] >> 4];
		e[3 * i + 2] = hex[s[i] & 15];
	}
	add(b, e, 3 * n);
}

static const uint32_t special_cps[] = {
	0xfffd, 0xfeff, 0xfffe, 0xffff, 0xfdd0, 0xfdef, 0x1fffe, 0x1ffff, 0x10ffff,
	0x10fffe, 0xa0, 0x85, 0x9f, 0x2028, 0xe000, 0x10000, 0x7ff, 0x800, 0xd7ff,
	0xe9, 0x100, 0x1f600,
};

static const char *const special_strs[] = {
	"/", "//", "%", "?", "#", "&", "=", ";", "+", ":", "@", "%25", "%2F", "%zz",
	"legacyKey=", "\\", "[", "]", "{", "}", "|", "^", "`", "\"", "<", ">", " ",
	"'", "!", "$", "(", ")", "*", ",", "~", "-", ".", "_", "Global\\", "/tmp/",
};

/* Byte sequences that are not UTF-8 (or are noncharacters), to escape. */
static const char *const bad_seqs[] = {
	"\xc3", "\xc3\x28", "\xe2\x82", "\xe2\x82\x28", "\xf0\x90\x80", "\xed\xa0\x80",
	"\xed\xbf\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xf0\x80\x80\x80",
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\x80",
	"\xbf\xbf", "\xfe", "\xff", "\xef\xbf\xbf", "\xef\xbf\xbe", "\xef\xb7\x90",
	"\xf0\x9f\xbf\xbf", "\xf4\x8f\xbf\xbe", "\xef\xbb\xbf",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t random_cp(struct gen *g)
{
	uint32_t cp;

	switch (gen_below(g, 3)) {
	case 0:
		return 0x80 + gen_below(g, 0x800 - 0x80);
	case 1:
		do
			cp = 0x800 + gen_below(g, 0x10000 - 0x800);
		while (cp >= 0xd800 && cp <= 0xdfff);
		return cp;
	default:
		return 0x10000 + gen_below(g, 0x110000 - 0x10000);
	}
}

/* One piece of literal text (valid UTF-8, no NUL). */
static void add_text_atom(struct gen *g, struct buf *b)
{
	unsigned r = gen_below(g, 100);

	if (r < 35) {
		add_cp(b, 0x20 + gen_below(g, 0x7f - 0x20));
	} else if (r < 42) {
		uint32_t c = 1 + gen_below(g, 0x20);

		add_cp(b, c == 0x20 ? 0x7f : c);
	} else if (r < 62) {
		add_cp(b, random_cp(g));
	} else if (r < 72) {
		add_cp(b, special_cps[gen_below(g, COUNT(special_cps))]);
	} else {
		adds(b, special_strs[gen_below(g, COUNT(special_strs))]);
	}
}

/* One piece of URL text: literal text or escapes, good and bad. */
static void add_url_atom(struct gen *g, struct buf *b)
{
	unsigned r = gen_below(g, 100);

	if (r < 55) {
		add_text_atom(g, b);
	} else if (r < 65) {
		unsigned char c = (unsigned char)(1 + gen_below(g, 255));

		add_pct_bytes(g, b, &c, 1);
	} else if (r < 75) {
		char o[4];

		add_pct_bytes(g, b, (unsigned char *)o, nipc_utf8_encode(o, random_cp(g)));
	} else if (r < 80) {
		char o[4];
		uint32_t cp = special_cps[gen_below(g, COUNT(special_cps))];

		add_pct_bytes(g, b, (unsigned char *)o, nipc_utf8_encode(o, cp));
	} else if (r < 88) {
		const char *s = bad_seqs[gen_below(g, COUNT(bad_seqs))];

		add_pct_bytes(g, b, (const unsigned char *)s, strlen(s));
	} else if (r < 97) {
		static const char *const partial[] = { "%", "%4", "%g1", "%%", "%4g", "%%41", "%2",
						       "%25", "%2541", "%x" };

		adds(b, partial[gen_below(g, COUNT(partial))]);
	} else {
		adds(b, "%00");
	}
}

static void gen_text(struct gen *g, struct buf *b, unsigned max_atoms, int url)
{
	unsigned n = gen_below(g, max_atoms + 1);

	b->n = 0;
	b->p[0] = '\0';
	if (gen_below(g, 4) == 0)
		adds(b, gen_below(g, 2) ? "/" : "//");
	while (n--) {
		if (url)
			add_url_atom(g, b);
		else
			add_text_atom(g, b);
	}
}

static int random_type(struct gen *g)
{
	static const int types[] = { 0x51, 0x100, 0x101, 1, 84, 255, 0, -1, 256 + 2, 1000 };
	unsigned r = gen_below(g, 10);

	if (r < 7)
		return types[gen_below(g, 6)];
	if (r < 9)
		return 1 + (int)gen_below(g, 255);
	return types[6 + gen_below(g, 4)];
}

void gen_key(struct gen *g, int *type, char native[GEN_TEXT_MAX], char legacy[GEN_TEXT_MAX],
	     int *has_legacy)
{
	struct buf b = { native, 0 };
	unsigned r;

	*type = random_type(g);
	gen_text(g, &b, 12, 0);
	b.p = legacy;
	gen_text(g, &b, 10, 0);
	r = gen_below(g, 10);
	*has_legacy = r >= 4;
	if (r == 4)
		legacy[0] = '\0';
	if (r == 5 && b.n + 4 <= GEN_TEXT_MAX) {
		/* a leading U+FEFF: QString::fromUtf8 drops it when Qt parses */
		memmove(legacy + 3, legacy, b.n + 1);
		memcpy(legacy, "\xef\xbb\xbf", 3);
	}
}

static void add_scheme(struct gen *g, struct buf *b)
{
	static const char *const good[] = { "posix", "systemv", "windows" };
	static const char *const junk[] = {
		"systemv-0", "systemv-256", "systemv-", "systemv--5", "systemv-5x", "systemv-1.",
		"systemv-0x1", "systemv-+", "systemv-0000", "systemv-00256", "systemv-1000",
		"systemv-2147483649", "systemv+1", "systemv1", "junk", "http", "p0six", "posix+",
		"posi", "posixx", "window", "windows.", "1posix", " posix", "posix ", "x/posix",
		"", "sys temv", "posix-1", "systemv-81-",
	};
	char tmp[64];
	size_t start = b->n;
	unsigned r = gen_below(g, 10);

	if (r < 6) {
		adds(b, good[gen_below(g, COUNT(good))]);
	} else if (r < 8) {
		int n = 1 + (int)gen_below(g, 255);
		unsigned zeros = gen_below(g, 3) ? 0 : gen_below(g, 4);

		snprintf(tmp, sizeof tmp, "systemv-%s%.*s%d", gen_below(g, 8) ? "" : "+", (int)zeros,
			 "000", n);
		adds(b, tmp);
	} else {
		adds(b, junk[gen_below(g, COUNT(junk))]);
	}
	if (gen_below(g, 4) == 0) {
		for (size_t i = start; i < b->n; i++) {
			char c = b->p[i];

			if (c >= 'a' && c <= 'z' && gen_below(g, 2))
				b->p[i] = (char)(c - 'a' + 'A');
		}
	}
}

static void add_authority(struct gen *g, struct buf *b)
{
	static const char *const auth[] = {
		"", "@", ":", "@:", "x", "@x", "x@", ":0", ":80", ":@", "@@", "[::1]", "%41",
		" ", ":x", "a:b@", "@:0", "::", "%20", ".", "@@:", ":-1",
	};

	adds(b, "//");
	adds(b, auth[gen_below(g, COUNT(auth))]);
	if (gen_below(g, 2))
		adds(b, "/");
}

static void add_query(struct gen *g, struct buf *b)
{
	static const char *const names[] = {
		"legacyKey", "legacyKey", "legacyKey", "legacykey", "legacy%4Bey", "legacyKe%79",
		"", "x", "legacyKey%3D", "LEGACYKEY", "legacyKey ", "legacy%4bey",
	};
	unsigned items = gen_below(g, 4);
	char v[GEN_TEXT_MAX];
	struct buf vb = { v, 0 };

	adds(b, "?");
	for (unsigned i = 0; i < items; i++) {
		if (i)
			adds(b, gen_below(g, 8) ? "&" : "&&");
		adds(b, names[gen_below(g, COUNT(names))]);
		if (gen_below(g, 5)) {
			adds(b, "=");
			gen_text(g, &vb, 6, 1);
			adds(b, v);
		}
	}
	if (gen_below(g, 8) == 0)
		adds(b, "&");
}

void gen_key_string(struct gen *g, char out[GEN_TEXT_MAX])
{
	struct buf b = { out, 0 };
	char t[GEN_TEXT_MAX];
	struct buf tb = { t, 0 };

	out[0] = '\0';
	add_scheme(g, &b);
	if (gen_below(g, 12))
		adds(&b, ":");
	if (gen_below(g, 6) == 0)
		add_authority(g, &b);
	gen_text(g, &tb, 10, 1);
	adds(&b, t);
	if (gen_below(g, 3) == 0)
		add_query(g, &b);
	if (gen_below(g, 7) == 0) {
		adds(&b, "#");
		gen_text(g, &tb, 4, 1);
		adds(&b, t);
	}
}

void gen_show(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s && n + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
	}
	out[n] = '\0';
}
