/* SPDX-License-Identifier: MIT */
/* String form of keys (QNativeIpcKey::toString / fromString).
 *
 * Qt builds and reads the string with QUrl in tolerant mode. What follows is
 * the subset of QUrl's behaviour that a "scheme:path?query#fragment" string
 * can reach, as observed on Qt 6.4 (tests/qt/urlref.cpp, test_keystr_diff):
 * - toString: path and legacy key are written as text, except controls and
 *   DEL, '%', '#', plus '?' in the path and '&', '=' in the legacy key, which
 *   are %XX-encoded; a leading "//" becomes "/%2F".
 * - fromString: a component holding a '%' that does not start a %XX escape
 *   is taken literally as a whole; otherwise its escapes are decoded. The
 *   path is decoded strictly (invalid UTF-8 and escaped noncharacters become
 *   one U+FFFD per byte); the legacy key as QString::fromUtf8 does it
 *   (noncharacters kept, a leading BOM dropped).
 */
#include "config.h"

#include "internal.h"
#include "utf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SYSTEMV_PREFIX "systemv-"

/* ----------------------------------------------------------- type names */

int nipc_key_type_name(char *buf, size_t len, int type)
{
	const char *name = NULL;
	char tmp[sizeof SYSTEMV_PREFIX + 3];
	size_t n;

	if (type == NIPC_KEY_SYSTEMV)
		name = "systemv";
	else if (type == NIPC_KEY_POSIX)
		name = "posix";
	else if (type == NIPC_KEY_WINDOWS)
		name = "windows";
	else if (!nipc_key_type_is_systemv(type))
		return -NIPC_EINVAL;
	if (!name) {
		char *p = tmp + sizeof SYSTEMV_PREFIX - 1;

		memcpy(tmp, SYSTEMV_PREFIX, sizeof SYSTEMV_PREFIX - 1);
		if (type >= 100)
			*p++ = (char)('0' + type / 100);
		if (type >= 10)
			*p++ = (char)('0' + type / 10 % 10);
		*p++ = (char)('0' + type % 10);
		*p = '\0';
		name = tmp;
	}
	n = strlen(name);
	if (!buf || n >= len)
		return -NIPC_EINVAL;
	memcpy(buf, name, n + 1);
	return (int)n;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_alpha(int c)
{
	c = lower(c);
	return c >= 'a' && c <= 'z';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_scheme(const char *s, size_t n)
{
	if (!n || !is_alpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

static int scheme_is(const char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n && name[i]; i++)
		if (lower((unsigned char)s[i]) != name[i])
			return 0;
	return i == n && !name[i];
}

/* The N of "systemv-N": decimal digits only, any number of leading zeros,
 * as real Qt 6.8 reads it (the 6.4-era parse on QString::toInt also took a
 * sign: "systemv-+1:" is invalid in 6.8). */
static int systemv_number(const char *s, size_t n)
{
	size_t i = 0;
	int v = 0;

	if (i == n)
		return 0;
	for (; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
		if (v > 255)
			return 0;
	}
	return v;
}

/* The scheme s[0..n) (case-insensitive, as QUrl lower-cases schemes). */
static int type_from_scheme(const char *s, size_t n)
{
	const size_t plen = sizeof SYSTEMV_PREFIX - 1;

	if (!is_scheme(s, n))
		return NIPC_KEY_INVALID;
	if (scheme_is(s, n, "systemv"))
		return NIPC_KEY_SYSTEMV;
	if (scheme_is(s, n, "posix"))
		return NIPC_KEY_POSIX;
	if (scheme_is(s, n, "windows"))
		return NIPC_KEY_WINDOWS;
	if (n > plen && scheme_is(s, plen, SYSTEMV_PREFIX))
		return systemv_number(s + plen, n - plen);
	return NIPC_KEY_INVALID;
}

int nipc_key_type_from_name(const char *s)
{
	return s ? type_from_scheme(s, strlen(s)) : NIPC_KEY_INVALID;
}

/* --------------------------------------------------------------- format */

/* Writes into a caller's buffer, counting what did not fit (snprintf-like). */
struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->len)
		o->buf[o->n] = c;
	o->n++;
}

static void puts_(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

static void put_pct(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	put(o, '%');
	put(o, hex[c >> 4]);
	put(o, hex[c & 15]);
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static void put_path(struct out *o, const char *s)
{
	if (s[0] == '/' && s[1] == '/') {
		/* "//" would start an authority */
		puts_(o, "/%2F");
		s += 2;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_control(c) || c == '%' || c == '?' || c == '#')
			put_pct(o, c);
		else
			put(o, (char)c);
	}
}

static void put_legacy(struct out *o, const char *s)
{
	puts_(o, "?legacyKey=");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_control(c) || c == '%' || c == '#' || c == '&' || c == '=')
			put_pct(o, c);
		else
			put(o, (char)c);
	}
}

long nipc_key_format(char *buf, size_t len, int type, const char *native, const char *legacy)
{
	char scheme[16];
	struct out o = { buf, len, 0 };

	if (nipc_key_type_name(scheme, sizeof scheme, type) < 0)
		return -NIPC_EINVAL;
	if (!native)
		native = "";
	if (!nipc_utf8_valid(native, strlen(native)) ||
	    (legacy && !nipc_utf8_valid(legacy, strlen(legacy))) || (!buf && len))
		return -NIPC_EINVAL;
	puts_(&o, scheme);
	put(&o, ':');
	put_path(&o, native);
	if (legacy && *legacy)
		put_legacy(&o, legacy);
	if (len)
		buf[o.n < len ? o.n : len - 1] = '\0';
	return (long)o.n;
}

int nipc_key_to_string(char **out, const nipc_key *k)
{
	long n;
	char *s;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (!k)
		return -NIPC_EINVAL;
	n = nipc_key_format(NULL, 0, k->type, k->native, k->legacy);
	if (n < 0)
		return (int)n;
	s = malloc((size_t)n + 1);
	if (!s)
		return -NIPC_ENOMEM;
	nipc_key_format(s, (size_t)n + 1, k->type, k->native, k->legacy);
	*out = s;
	return 0;
}

/* ---------------------------------------------------------------- parse */

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int is_escape(const char *s, size_t n, size_t i)
{
	return i + 2 < n && s[i] == '%' && hexval((unsigned char)s[i + 1]) >= 0 &&
	       hexval((unsigned char)s[i + 2]) >= 0;
}

/* QUrl's tolerant mode: one stray '%' makes every '%' of the component
 * literal. */
static int escapes_usable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' && !is_escape(s, n, i))
			return 0;
	return 1;
}

/* Bytes of a component: text as is, %XX escapes decoded when pct is set. */
struct in {
	const char *s;
	size_t n, i;
	int pct;
};

static int next_byte(struct in *r, int *escaped)
{
	if (r->i >= r->n)
		return -1;
	if (r->pct && is_escape(r->s, r->n, r->i)) {
		int b = hexval((unsigned char)r->s[r->i + 1]) << 4 |
			hexval((unsigned char)r->s[r->i + 2]);

		r->i += 3;
		*escaped = 1;
		return b;
	}
	*escaped = 0;
	return (unsigned char)r->s[r->i++];
}

static int is_nonchar(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* One UTF-8 sequence starting with lead byte b; 0 if ill-formed. */
static size_t read_seq(struct in *r, int b, unsigned char *seq, uint32_t *cp)
{
	size_t len = nipc_utf8_lead_len((unsigned char)b);
	int esc;

	if (len < 2)
		return 0;
	seq[0] = (unsigned char)b;
	for (size_t k = 1; k < len; k++) {
		int c = next_byte(r, &esc);

		if (c < 0 || (c & 0xc0) != 0x80)
			return 0;
		seq[k] = (unsigned char)c;
	}
	return nipc_utf8_seq((const char *)seq, len, cp);
}

enum { DECODE_PATH, DECODE_LEGACY };

/* Decodes s[0..n) into a new string the way Qt reads that component: the
 * path as QUrl::path() gives it, the legacy key as QUrlQuery's value passed
 * through QUrl::fromPercentEncoding. Never longer than the input (an escape
 * or a byte becomes at most its own length). NULL on ENOMEM; *nul is set if
 * the result holds a NUL, which a C string cannot carry. */
static char *decode(const char *s, size_t n, int pct, int mode, int *nul)
{
	struct in r = { s, n, 0, pct };
	char *out = malloc(n + 1), *p = out;
	int b, esc;

	if (!out)
		return NULL;
	*nul = 0;
	while ((b = next_byte(&r, &esc)) >= 0) {
		size_t at = r.i, len;
		unsigned char seq[4];
		uint32_t cp;

		if (b < 0x80) {
			*nul |= b == 0;
			*p++ = (char)b;
			continue;
		}
		len = read_seq(&r, b, seq, &cp);
		if (len && mode == DECODE_PATH && esc && is_nonchar(cp))
			len = 0;
		if (!len) {
			r.i = at;
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			continue;
		}
		memcpy(p, seq, len);
		p += len;
	}
	*p = '\0';
	/* QString::fromUtf8 drops a byte order mark at the start */
	if (mode == DECODE_LEGACY && p - out >= 3 && !memcmp(out, "\xef\xbb\xbf", 3))
		memmove(out, out + 3, (size_t)(p - out) - 2);
	return out;
}

static size_t span_until(const char *s, size_t n, const char *stops)
{
	size_t i = 0;

	while (i < n && !strchr(stops, s[i]))
		i++;
	return i;
}

/* Qt accepts an authority only when user-info and host are empty and there
 * is no port; the only texts that give that are these. */
static int authority_empty(const char *s, size_t n)
{
	return n == 0 || (n == 1 && (s[0] == '@' || s[0] == ':')) ||
	       (n == 2 && s[0] == '@' && s[1] == ':');
}

static int is_legacy_name(const char *s, size_t n, int pct)
{
	int nul, same;
	char *name = decode(s, n, pct, DECODE_PATH, &nul);

	if (!name)
		return -NIPC_ENOMEM;
	same = !nul && !strcmp(name, "legacyKey");
	free(name);
	return same;
}

/* Walks the query's items ('&'-separated, "name=value"); every one must be
 * legacyKey, the last one wins. A trailing '&' ends the list, as in
 * QUrlQuery; an empty item elsewhere is an item with an empty name. */
static int parse_query(const char *q, size_t n, char **legacy)
{
	int pct = escapes_usable(q, n), nul = 0;
	size_t pos = 0;

	*legacy = NULL;
	while (pos < n) {
		size_t len = span_until(q + pos, n - pos, "&");
		size_t nlen = span_until(q + pos, len, "=");
		size_t voff = nlen < len ? nlen + 1 : len;
		int ok = is_legacy_name(q + pos, nlen, pct);
		char *v;

		if (ok <= 0)
			return ok < 0 ? ok : -NIPC_EKEY;
		v = decode(q + pos + voff, len - voff, pct, DECODE_LEGACY, &nul);
		if (!v)
			return -NIPC_ENOMEM;
		free(*legacy);
		*legacy = v;
		pos += len + 1;
	}
	return nul ? -NIPC_EKEY : 0;
}

static int make_key(nipc_key **out, int type, char *native, char *legacy)
{
	nipc_key *k = calloc(1, sizeof *k);

	if (!k) {
		free(native);
		free(legacy);
		return -NIPC_ENOMEM;
	}
	k->type = type;
	k->native = native;
	k->legacy = legacy && *legacy ? legacy : NULL;
	if (!k->legacy)
		free(legacy);
	*out = k;
	return 0;
}

int nipc_key_from_string(nipc_key **out, const char *s)
{
	size_t n, i, plen;
	char *native, *legacy = NULL;
	int type, nul, err;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (!s || !nipc_utf8_valid(s, n = strlen(s)))
		return -NIPC_EINVAL;
	i = span_until(s, n, ":");
	if (i == n || !(type = type_from_scheme(s, i)))
		return -NIPC_EKEY;
	s += i + 1;
	n -= i + 1;
	if (n >= 2 && s[0] == '/' && s[1] == '/') {
		size_t alen = span_until(s + 2, n - 2, "/?#");

		if (!authority_empty(s + 2, alen))
			return -NIPC_EKEY;
		s += 2 + alen;
		n -= 2 + alen;
	}
	plen = span_until(s, n, "?#");
	native = decode(s, plen, escapes_usable(s, plen), DECODE_PATH, &nul);
	if (!native)
		return -NIPC_ENOMEM;
	if (nul) {
		free(native);
		return -NIPC_EKEY;
	}
	if (plen < n && s[plen] == '?') {
		size_t qlen = span_until(s + plen + 1, n - plen - 1, "#");

		err = parse_query(s + plen + 1, qlen, &legacy);
		if (err) {
			free(native);
			free(legacy);
			return err;
		}
	}
	return make_key(out, type, native, legacy);
}
