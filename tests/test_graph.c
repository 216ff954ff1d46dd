/* SPDX-License-Identifier: MIT */
/* The file-level call graphs of lib/ and of shim/ have no cycle: from
 * nm(1) of a directory's object files, a function defined in X and called
 * from Y is an edge Y -> X. */
#include "config.h"

#include "tlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 64
#define MAX_SYMS 4096

static char files[MAX_FILES][64];
static int nfiles;
static struct sym {
	char name[128];
	int file;
} defs[MAX_SYMS], uses[MAX_SYMS];
static int ndefs, nuses;
static int edge[MAX_FILES][MAX_FILES];

/* The object of each source file of dir: libtool's PIC objects in
 * dir/.libs, named X.o or PREFIX-X.o (per-target flags). */
static int object_of(const char *top_build, const char *dir, const char *prefix,
		     const char *src, char *out, size_t len)
{
	char base[64];

	snprintf(base, sizeof base, "%.*s", (int)(strlen(src) - 2), src);
	snprintf(out, len, "%s/%s/.libs/%s.o", top_build, dir, base);
	if (access(out, R_OK) == 0)
		return 0;
	snprintf(out, len, "%s/%s/.libs/%s-%s.o", top_build, dir, prefix, base);
	return access(out, R_OK);
}

static void read_syms(int file, const char *obj)
{
	struct tl_proc p;
	char *line, *save = NULL;

	assert_int_equal(tl_run(&p, TL_ARGV("nm", "-P", obj), NULL), 0);
	for (line = strtok_r(p.o.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[4];

		if (sscanf(line, "%127s %3s", name, type) != 2)
			continue;
		if (!strcmp(type, "T") && ndefs < MAX_SYMS) {
			snprintf(defs[ndefs].name, sizeof defs[ndefs].name, "%s", name);
			defs[ndefs++].file = file;
		} else if (!strcmp(type, "U") && nuses < MAX_SYMS) {
			snprintf(uses[nuses].name, sizeof uses[nuses].name, "%s", name);
			uses[nuses++].file = file;
		}
	}
	tl_proc_free(&p);
}

static int state_of[MAX_FILES]; /* 0 new, 1 on the path, 2 done */
static int path[MAX_FILES], depth;

static int find_cycle(int f)
{
	state_of[f] = 1;
	path[depth++] = f;
	for (int g = 0; g < nfiles; g++) {
		if (!edge[f][g])
			continue;
		if (state_of[g] == 1) {
			char msg[2048];
			size_t n = 0;
			int i = 0;

			while (path[i] != g)
				i++;
			for (; i < depth; i++)
				n += (size_t)snprintf(msg + n, sizeof msg - n, "%s -> ", files[path[i]]);
			snprintf(msg + n, sizeof msg - n, "%s", files[g]);
			print_error("call cycle: %s\n", msg);
			return 1;
		}
		if (!state_of[g] && find_cycle(g))
			return 1;
	}
	state_of[f] = 2;
	depth--;
	return 0;
}

static void check_dir(const char *sub, const char *prefix)
{
	const char *src = getenv("NIPC_TOP_SRCDIR"), *build = getenv("NIPC_TOP_BUILDDIR");
	char dir[4096], obj[4200];
	struct dirent *d;
	DIR *dp;

	nfiles = ndefs = nuses = 0;
	memset(edge, 0, sizeof edge);
	memset(state_of, 0, sizeof state_of);
	if (!src || !build)
		fail_msg("NIPC_TOP_SRCDIR or NIPC_TOP_BUILDDIR is not set");
	if (tl_run(NULL, TL_ARGV("nm", "--version"), NULL) != 0)
		skip();
	snprintf(dir, sizeof dir, "%s/%s", src, sub);
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		if (len < 3 || strcmp(d->d_name + len - 2, ".c"))
			continue;
		assert_true(nfiles < MAX_FILES);
		if (object_of(build, sub, prefix, d->d_name, obj, sizeof obj))
			fail_msg("no object file for %s/%s (build it first)", sub, d->d_name);
		snprintf(files[nfiles], sizeof files[nfiles], "%s", d->d_name);
		read_syms(nfiles++, obj);
	}
	closedir(dp);
	assert_true(nfiles >= 2);
	for (int u = 0; u < nuses; u++)
		for (int i = 0; i < ndefs; i++)
			if (!strcmp(uses[u].name, defs[i].name) && uses[u].file != defs[i].file)
				edge[uses[u].file][defs[i].file] = 1;
	for (int f = 0; f < nfiles; f++) {
		depth = 0;
		if (!state_of[f] && find_cycle(f))
			fail_msg("%s/ has a call cycle between files", sub);
	}
}

static void test_lib_has_no_cycle(void **state)
{
	(void)state;
	check_dir("lib", "libnipc_core_la");
}

static void test_shim_has_no_cycle(void **state)
{
	(void)state;
	check_dir("shim", "libnipc_preload_la");
}

/* The check itself finds a cycle. */
static void test_finds_a_cycle(void **state)
{
	(void)state;
	nfiles = 3;
	memset(edge, 0, sizeof edge);
	memset(state_of, 0, sizeof state_of);
	snprintf(files[0], sizeof files[0], "a.c");
	snprintf(files[1], sizeof files[1], "b.c");
	snprintf(files[2], sizeof files[2], "c.c");
	edge[0][1] = edge[1][2] = 1;
	depth = 0;
	assert_int_equal(find_cycle(0), 0);
	memset(state_of, 0, sizeof state_of);
	edge[2][0] = 1;
	depth = 0;
	assert_int_equal(find_cycle(0), 1);
}

TL_TESTS("graph", NULL, NULL, test_lib_has_no_cycle, test_shim_has_no_cycle, test_finds_a_cycle)
