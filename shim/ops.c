/* SPDX-License-Identifier: MIT */
/* Names and families of the ops (from ops.def), for the filter and the
 * formatter; the filter's words (NIPC_TRACE, nipc trace -e). */
#include "config.h"

#include "shim.h"

#include <string.h>

#define OPROW_1(op, fn, fam, feeds) [OP_##op] = {#fn, FAM_##fam},
#define OPROW_0(op, fn, fam, feeds)
static const struct {
	const char *name;
	unsigned char family;
} ops[OP_COUNT] = {
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, obj, aux, rk, feeds, ...) \
	OPROW_##primary(op, fn, fam, feeds)
	SHIM_FNS(X)
#undef X
};

static const char *const family_name[FAM_COUNT] = {
#define F(fam, name) name,
	SHIM_FAMILIES(F)
#undef F
};

const char *shim_op_name(enum shim_op op)
{
	return ops[op].name;
}

enum shim_family shim_op_family(enum shim_op op)
{
	return (enum shim_family)ops[op].family;
}

const char *shim_family_name(enum shim_family f)
{
	return family_name[f];
}

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
