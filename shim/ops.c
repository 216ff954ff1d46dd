/* SPDX-License-Identifier: MIT */
/* Names and families of the ops (from ops.def), for the filter and the
 * formatter. */
#include "config.h"

#include "shim.h"

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
