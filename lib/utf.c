/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "utf.h"

int nipc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

size_t nipc_utf8_decode(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0) {
		*cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return 4;
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
