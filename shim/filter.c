/* SPDX-License-Identifier: MIT */
/* The filter's words (NIPC_TRACE, nipc trace -e) to a mask of ops: one
 * parser without side effects, for the shim and for nipc, which checks -e
 * with it before the program starts. */
#include "config.h"

#include "shim.h"
#include "rules.h"

#include <string.h>

/* The vocabulary's bit (rules.h) of each of the shim's families. */
static unsigned family_bit(enum shim_family f)
{
	static const unsigned bit[FAM_COUNT] = {
		[FAM_POSIX_SHM] = RF_POSIX_SHM, [FAM_POSIX_SEM] = RF_POSIX_SEM,
		[FAM_SYSV_SHM] = RF_SYSV_SHM, [FAM_SYSV_SEM] = RF_SYSV_SEM,
		[FAM_FTOK] = RF_FTOK, [FAM_SYSV_MSG] = RF_SYSV_MSG, [FAM_POSIX_MQ] = RF_POSIX_MQ,
	};

	return bit[f];
}

/* The ops of a word: "1", a family word of DESIGN's vocabulary (groups and
 * aliases included: "sysv", "msg"), or an op's name. *known: the word is
 * one of those (a family with no op here, "windows", selects nothing). */
static uint64_t word_mask(const char *w, size_t len, int *known)
{
	uint64_t m = 0;
	unsigned fam = len ? rules_family_bits(w, len) : 0;

	*known = fam != 0;
	if (len == 1 && *w == '1') {
		*known = 1;
		return SHIM_ALL_OPS;
	}
	for (int op = 0; op < OP_COUNT; op++) {
		const char *name = shim_op_name((enum shim_op)op);

		if (fam & family_bit(shim_op_family((enum shim_op)op)))
			m |= UINT64_C(1) << op;
		if (strlen(name) == len && !memcmp(w, name, len)) {
			m |= UINT64_C(1) << op;
			*known = 1;
		}
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
		int known;

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
		m = word_mask(w, len, &known);
		if (first && minus)
			mask = SHIM_ALL_OPS;
		if (known)
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
