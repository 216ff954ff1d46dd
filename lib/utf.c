/* SPDX-License-Identifier: MIT */
/* UTF-8: the one decoder and encoder, and Qt's UTF-16 counting. */
#include "config.h"

#include "utf.h"

size_t nipc_utf8_lead_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

size_t nipc_utf8_seq(const char *str, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *s = (const unsigned char *)str;
	size_t len = n ? nipc_utf8_lead_len(s[0]) : 0;
	uint32_t v;

	if (!len || len > n)
		return 0;
	v = len == 1 ? s[0] : s[0] & (0x7fu >> len);
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int nipc_utf8_valid(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, len; i < n; i += len)
		if (!(len = nipc_utf8_seq(s + i, n - i, &cp)))
			return 0;
	return 1;
}

size_t nipc_utf8_decode(const char *s, uint32_t *cp)
{
	size_t len = nipc_utf8_seq(s, 4, cp);

	if (len)
		return len;
	*cp = 0xfffd; /* not valid after all: one byte, never stuck */
	return 1;
}

size_t nipc_utf8_encode(char *out, uint32_t cp)
{
	size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	for (size_t k = len - 1; k > 0; k--, cp >>= 6)
		out[k] = (char)(0x80 | (cp & 0x3f));
	out[0] = (char)(len == 1 ? cp : (0xf00u >> len & 0xff) | cp);
	return len;
}

size_t nipc_utf16_len(const char *s, size_t n)
{
	size_t units = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += nipc_utf8_decode(s + i, &cp);
		units += cp >= 0x10000 ? 2 : 1;
	}
	return units;
}

size_t nipc_utf16_prefix(const char *s, size_t n, size_t units, int *split)
{
	size_t i = 0, used = 0;

	if (split)
		*split = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = nipc_utf8_decode(s + i, &cp);
		size_t w = cp >= 0x10000 ? 2 : 1;

		if (used + w > units) {
			if (split && w == 2 && used + 1 == units)
				*split = 1;
			break;
		}
		used += w;
		i += len;
	}
	return i;
}
