/* SPDX-License-Identifier: MIT */
/* The shim's op table (shim/ops.def) against what is written elsewhere by
 * hand: the export list shim/exports.map and the list of interposed
 * functions in doc/nipc-preload.7. */
#include "config.h"

#include "tlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.def"

enum tfam {
#define F(fam, name) TF_##fam,
	SHIM_FAMILIES(F)
#undef F
	TF_COUNT
};

static const char *const fam_name[TF_COUNT] = {
#define F(fam, name) name,
	SHIM_FAMILIES(F)
#undef F
};

static const struct row {
	const char *fn, *op;
	int primary;
	enum tfam fam;
} rows[] = {
#define X(fn, op, primary, fam, ...) {#fn, #op, primary, TF_##fam},
	SHIM_FNS(X)
#undef X
};

#define NROWS (sizeof rows / sizeof rows[0])

static int row_of(const char *fn)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].fn, fn))
			return (int)i;
	return -1;
}

static FILE *open_src(const char *rel)
{
	const char *top = getenv("NIPC_TOP_SRCDIR");
	char path[4096];
	FILE *f;

	if (!top)
		fail_msg("NIPC_TOP_SRCDIR is not set");
	snprintf(path, sizeof path, "%s/%s", top, rel);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

static void test_rows_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		int primaries = 0;

		assert_int_equal(row_of(rows[i].fn), (int)i);
		for (size_t j = 0; j < NROWS; j++)
			if (!strcmp(rows[i].op, rows[j].op)) {
				primaries += rows[j].primary;
				/* a variant is reported in its op's family */
				assert_int_equal(rows[i].fam, rows[j].fam);
			}
		if (primaries != 1)
			fail_msg("op %s has %d primary rows", rows[i].op, primaries);
	}
}

/* Every name between "global:" and "local:" is a row, and every row is
 * there once. */
static void test_exports_map(void **state)
{
	FILE *f = open_src("shim/exports.map");
	static char text[65536];
	int seen[NROWS] = {0}, in = 0;
	size_t n = fread(text, 1, sizeof text - 1, f);
	char *p, *tok;

	(void)state;
	fclose(f);
	text[n] = 0;
	/* blank out comments */
	for (p = strstr(text, "/*"); p; p = strstr(p, "/*")) {
		char *end = strstr(p + 2, "*/");

		assert_non_null(end);
		memset(p, ' ', (size_t)(end + 2 - p));
	}
	for (tok = strtok(text, " \t\n;{}"); tok; tok = strtok(NULL, " \t\n;{}")) {
		if (!strcmp(tok, "global:")) {
			in = 1;
		} else if (!strcmp(tok, "local:")) {
			in = 0;
		} else if (in) {
			int r = row_of(tok);

			/* trace_guard.c's, not traced: they keep line mode's
			 * descriptor the shim's */
			if (!strcmp(tok, "dup2") || !strcmp(tok, "dup3"))
				continue;
			if (r < 0)
				fail_msg("exports.map exports %s, which ops.def does not list", tok);
			seen[r]++;
		}
	}
	for (size_t i = 0; i < NROWS; i++)
		if (seen[i] != 1)
			fail_msg("exports.map has %s %d times", rows[i].fn, seen[i]);
}

/* In section INTERPOSED FUNCTIONS, each family is a .TP item headed by
 * ".B family"; its list items are ".BR name ," (or "." or ";"). Every such
 * name is a row of that family, and every row is listed under its family. */
static void test_manual(void **state)
{
	FILE *f = open_src("doc/nipc-preload.7");
	int listed[NROWS] = {0}, in = 0, fam = -1, head = 0;
	char line[1024];

	(void)state;
	while (fgets(line, sizeof line, f)) {
		char name[256], punct[8];

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, ".SH ", 4)) {
			in = !strcmp(line, ".SH INTERPOSED FUNCTIONS");
			fam = -1;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(line, ".TP")) {
			head = 1;
			continue;
		}
		if (head) {
			head = 0;
			fam = -1;
			for (int i = 0; i < TF_COUNT; i++)
				if (!strncmp(line, ".B ", 3) && !strcmp(line + 3, fam_name[i]))
					fam = i;
			if (fam < 0)
				fail_msg("nipc-preload.7: unknown family item %s", line);
			continue;
		}
		if (!strcmp(line, ".PP")) {
			fam = -1;
			continue;
		}
		if (fam >= 0 && sscanf(line, ".BR %255s %7s", name, punct) == 2 &&
		    strlen(punct) == 1 && strchr(",.;", punct[0])) {
			int r = row_of(name);

			if (r < 0)
				fail_msg("nipc-preload.7 lists %s, which ops.def does not", name);
			if ((int)rows[r].fam != fam)
				fail_msg("nipc-preload.7 lists %s under %s, ops.def under %s", name,
					 fam_name[fam], fam_name[rows[r].fam]);
			listed[r] = 1;
		}
	}
	fclose(f);
	for (size_t i = 0; i < NROWS; i++)
		if (!listed[i])
			fail_msg("nipc-preload.7 does not list %s under %s", rows[i].fn,
				 fam_name[rows[i].fam]);
}

TL_TESTS("shim_table", NULL, NULL, test_rows_unique, test_exports_map, test_manual)
