/* SPDX-License-Identifier: MIT */
/* The filter's words (NIPC_TRACE, nipc trace -e) to a mask of ops: one
 * parser without side effects, for the shim and for nipc, which checks -e
 * with it before the program starts. */
#include "config.h"

#include "shim.h"

#include <string.h>

static uint64_t word_mask(const char *w, size_t len)
{
	uint64_t m = 0;

	if ((len == 3 && !memcmp(w, "all", 3)) || (len == 1 && *w == '1'))
		return SHIM_ALL_OPS;
	for (int f = 0; f < FAM_COUNT; f++) {
		const char *name = shim_family_name((enum shim_family)f);

		if (strlen(name) == len && !memcmp(w, name, len))
			for (int op = 0; op < OP_COUNT; op++)
				if (shim_op_family((enum shim_op)op) == (enum shim_family)f)
					m |= UINT64_C(1) << op;
	}
	for (int op = 0; op < OP_COUNT; op++) {
		const char *name = shim_op_name((enum shim_op)op);

		if (strlen(name) == len && !memcmp(w, name, len))
			m |= UINT64_C(1) << op;
	}
	return m;
}

uint64_t shim_filter_parse(const char *s, int *unnamed, struct out *unknown)
{
	struct out *u = unknown;
	uint64_t mask = 0;
	int first = 1, modifier = 0;

	*unnamed = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *w = s;
		int minus = len && *w == '-';
		uint64_t m;

		if (minus) {
			w++;
			len--;
		}
		if (len == 7 && !memcmp(w, "unnamed", 7)) {
			*unnamed = !minus;
			modifier = 1;
			s = w + len;
			if (*s == ',')
				s++;
			continue;
		}
		m = word_mask(w, len);
		if (first && minus)
			mask = SHIM_ALL_OPS;
		if (m)
			mask = minus ? mask & ~m : mask | m;
		else if (len || minus) {
			if (u->n)
				fmt_putc(u, ' ');
			fmt_put(u, w - minus, len + minus);
		}
		if (len || minus)
			first = 0;
		s = w + len;
		if (*s == ',')
			s++;
	}
	if (first && modifier)
		mask = SHIM_ALL_OPS;
	return mask;
}
