/* SPDX-License-Identifier: MIT */
/* nipc key: format, parse and generate native IPC keys. */
#include "config.h"

#include "common.h"
#include "nipc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct sub {
	const char *name, *args;
	int (*run)(const struct sub *s, int argc, char **argv);
};

static const char help_tail[] =
	"\nTYPE is systemv, systemv-N (N in 1..255), posix or windows; PROFILE is\n"
	"linux, unix, macos, macos-sandboxed or windows (default: the host's).\n"
	"--json prints one JSON object instead; see nipc(1).\n";

static void sub_usage(FILE *f, const struct sub *s)
{
	fprintf(f, "usage: nipc key %s %s\n", s->name, s->args);
}

/* Options of every subcommand: --json, and --os or --legacy where it applies. */
struct opts {
	int json;
	const char *os, *legacy;
	char **pos;
	int npos;
	struct cmdline c;
};

static const struct opt json_opts[] = {{.name = "json"}, {NULL}};
static const struct opt legacy_opts[] = {
	{.name = "json"}, {.name = "legacy", .has_value = 1}, {NULL}
};
static const struct opt os_opts[] = {{.name = "json"}, {.name = "os", .has_value = 1}, {NULL}};

/* EXIT_OK with o set; CL_HELP after printing the usage; else EXIT_USAGE. */
static int parse_opts(const struct sub *s, int argc, char **argv, const struct opt *t,
		      int npos, struct opts *o)
{
	struct cmdline *c = &o->c;
	char who[32];
	int rc;

	snprintf(who, sizeof who, "key %s", s->name);
	*c = (struct cmdline){.who = who, .opts = t, .max_pos = npos};
	rc = parse_cmdline(c, argc, argv);
	if (rc == CL_HELP)
		sub_usage(stdout, s);
	o->json = c->seen[0];
	o->os = t == os_opts ? c->val[1] : NULL;
	o->legacy = t == legacy_opts ? c->val[1] : NULL;
	o->pos = c->pos;
	o->npos = c->npos;
	c->who = NULL; /* pointed into this frame */
	return rc;
}

/* TYPE argument: stricter than the string form's scheme, with clear errors. */
static int parse_type(const char *s, int *type)
{
	if (!strcmp(s, "systemv")) {
		*type = NIPC_KEY_SYSTEMV;
	} else if (!strcmp(s, "posix")) {
		*type = NIPC_KEY_POSIX;
	} else if (!strcmp(s, "windows")) {
		*type = NIPC_KEY_WINDOWS;
	} else if (!strncmp(s, "systemv-", 8)) {
		const char *d = s + 8;
		long n = 0;

		if (!*d || strspn(d, "0123456789") != strlen(d))
			return usage_error("bad key type '%s': N of systemv-N must be a decimal number", s);
		for (; *d && n <= 255; d++)
			n = n * 10 + (*d - '0');
		if (n < 1 || n > 255)
			return usage_error("bad key type '%s': N of systemv-N must be in 1..255", s);
		*type = (int)n;
	} else {
		return usage_error("unknown key type '%s' (systemv, systemv-N, posix or windows)", s);
	}
	return 0;
}

static void print_json(const nipc_key *k, const char *str, const char *key_t_text)
{
	char tname[16];
	int type = nipc_key_type(k);
	int valid = nipc_key_is_valid(k);

	fputs("{\"valid\":", stdout);
	fputs(valid ? "true" : "false", stdout);
	fputs(",\"type\":", stdout);
	json_string(stdout, valid && nipc_key_type_name(tname, sizeof tname, type) > 0 ? tname : NULL);
	printf(",\"type_id\":%d,\"native\":", type);
	json_string(stdout, nipc_key_native(k));
	fputs(",\"legacy\":", stdout);
	json_string(stdout, nipc_key_legacy(k));
	fputs(",\"string\":", stdout);
	json_string(stdout, str);
	printf(",\"empty\":%s", nipc_key_is_empty(k) ? "true" : "false");
	if (key_t_text) {
		fputs(",\"key_t\":", stdout);
		json_string(stdout, key_t_text);
	}
	fputs("}\n", stdout);
}

/* Prints k (string form, or JSON); 0 or EXIT_FAIL. */
static int print_key(const nipc_key *k, int json, const char *key_t_text)
{
	char *str = NULL;
	int err = nipc_key_is_valid(k) ? nipc_key_to_string(&str, k) : 0;

	if (err == -NIPC_ENOMEM)
		return fail("out of memory");
	if (err)
		return fail("cannot format the key: %s", nipc_strerror(err));
	if (json)
		print_json(k, str, key_t_text);
	else if (key_t_text)
		puts(key_t_text);
	else if (str)
		puts(str);
	free(str);
	return EXIT_OK;
}

/* print_key, then frees k. */
static int print_free(nipc_key *k, int json, const char *key_t_text)
{
	int rc = print_key(k, json, key_t_text);

	nipc_key_free(k);
	return rc;
}

static int key_error(int err, const char *what)
{
	if (err == -NIPC_ENOMEM)
		return fail("out of memory");
	if (err == -NIPC_EINVAL)
		return usage_error("%s is not valid UTF-8", what);
	return fail("%s: %s", what, nipc_strerror(err));
}

static int run_format(const struct sub *s, int argc, char **argv)
{
	struct opts o;
	nipc_key *k;
	int type, err, rc;

	if ((rc = parse_opts(s, argc, argv, legacy_opts, 2, &o)))
		return rc == CL_HELP ? EXIT_OK : rc;
	if (o.npos != 2)
		return usage_error("key format: expected TYPE NATIVE");
	if ((rc = parse_type(o.pos[0], &type)))
		return rc;
	if (o.legacy && !*o.legacy)
		return usage_error("key format: --legacy needs a non-empty NAME");
	if ((err = nipc_key_new(&k, type, o.pos[1])))
		return key_error(err, "NATIVE");
	if (o.legacy && (err = nipc_key_set_legacy(k, o.legacy))) {
		nipc_key_free(k);
		return key_error(err, "the --legacy NAME");
	}
	return print_free(k, o.json, NULL);
}

static int run_parse(const struct sub *s, int argc, char **argv)
{
	struct opts o;
	nipc_key *k;
	char *str = NULL, tname[16];
	int err, rc;

	if ((rc = parse_opts(s, argc, argv, json_opts, 1, &o)))
		return rc == CL_HELP ? EXIT_OK : rc;
	if (o.npos != 1)
		return usage_error("key parse: expected STRING");
	err = nipc_key_from_string(&k, o.pos[0]);
	if (err == -NIPC_EKEY) {
		if (o.json && !nipc_key_new(&k, NIPC_KEY_INVALID, NULL)) {
			print_json(k, NULL, NULL);
			nipc_key_free(k);
		}
		return fail("invalid key string '%s'", o.pos[0]);
	}
	if (err)
		return key_error(err, "STRING");
	if (o.json)
		return print_free(k, 1, NULL);
	if ((err = nipc_key_to_string(&str, k))) {
		nipc_key_free(k);
		return key_error(err, "the key");
	}
	nipc_key_type_name(tname, sizeof tname, nipc_key_type(k));
	printf("valid: yes\ntype: %s\ntype_id: %d\nnative: %s\n", tname, nipc_key_type(k),
	       nipc_key_native(k));
	if (nipc_key_legacy(k))
		printf("legacy: %s\n", nipc_key_legacy(k));
	printf("string: %s\nempty: %s\n", str, nipc_key_is_empty(k) ? "yes" : "no");
	free(str);
	nipc_key_free(k);
	return EXIT_OK;
}

static void warn_notes(unsigned notes, const nipc_key *k, const char *name, const char *os)
{
	const char *native = nipc_key_native(k);

	if (notes & NIPC_NOTE_RUNTIME_NONE) {
		fprintf(stderr, "nipc: warning: no usable runtime directory, the key is %s\n",
			native);
	} else if (notes & NIPC_NOTE_RUNTIME_FALLBACK) {
		size_t dl = strlen(native) - strlen(name) - 1;

		fprintf(stderr, "nipc: warning: $XDG_RUNTIME_DIR unusable, using %.*s\n",
			(int)dl, native);
	}
	if (notes & NIPC_NOTE_TEMPDIR_MISSING)
		fprintf(stderr, "nipc: warning: $TMPDIR does not exist, the key is %s (as Qt makes it)\n",
			native);
	if (notes & NIPC_NOTE_NAME_TOO_LONG)
		fprintf(stderr, "nipc: warning: key file name longer than NAME_MAX (%d): "
			"Qt 5's create() fails with KeyError\n", NAME_MAX);
	if (notes & NIPC_NOTE_TRUNCATED)
		fprintf(stderr, "nipc: warning: name cut to the length limit of %s\n", os);
}

static int run_make(const struct sub *s, int argc, char **argv)
{
	int legacy = !strcmp(s->name, "legacy");
	struct opts o;
	nipc_os os = NIPC_OS_HOST;
	nipc_kind kind;
	nipc_key *k;
	unsigned notes = 0;
	int type, err, rc;

	if ((rc = parse_opts(s, argc, argv, os_opts, 3, &o)))
		return rc == CL_HELP ? EXIT_OK : rc;
	if (o.npos != 3)
		return usage_error("key %s: expected shm|sem TYPE NAME", s->name);
	if (o.os && nipc_os_from_name(&os, o.os))
		return usage_error("unknown OS profile '%s' (linux, unix, macos, macos-sandboxed, windows)",
				   o.os);
	if (!strcmp(o.pos[0], "shm"))
		kind = NIPC_KIND_SHM;
	else if (!strcmp(o.pos[0], "sem"))
		kind = NIPC_KIND_SEM;
	else
		return usage_error("key %s: unknown kind '%s' (shm or sem)", s->name, o.pos[0]);
	if ((rc = parse_type(o.pos[1], &type)))
		return rc;
	if (!*o.pos[2])
		return usage_error("key %s: NAME must not be empty", s->name);
	err = legacy ? nipc_key_legacy_make(&k, o.pos[2], kind, type, os, &notes)
		     : nipc_key_platform_safe(&k, o.pos[2], kind, type, os, &notes);
	if (err)
		return key_error(err, "NAME (or $TMPDIR, $XDG_RUNTIME_DIR)");
	if (notes & NIPC_NOTE_UNSUPPORTED) {
		if (o.json)
			print_key(k, 1, NULL);
		nipc_key_free(k);
		return fail("%s keys for %s are not supported on %s", o.pos[1],
			    kind == NIPC_KIND_SHM ? "shared memory" : "semaphores", nipc_os_name(os));
	}
	warn_notes(notes, k, o.pos[2], nipc_os_name(os));
	return print_free(k, o.json, NULL);
}

static int run_ftok(const struct sub *s, int argc, char **argv)
{
	struct opts o;
	nipc_key *k;
	long key;
	long id = NIPC_KEY_SYSTEMV;
	char text[16];
	int err, rc;

	if ((rc = parse_opts(s, argc, argv, json_opts, 2, &o)))
		return rc == CL_HELP ? EXIT_OK : rc;
	if (o.npos < 1)
		return usage_error("key ftok: expected PATH [ID]");
	if (!*o.pos[0])
		return usage_error("key ftok: PATH must not be empty");
	if (o.npos == 2) {
		const char *d = o.pos[1];

		if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 3 ||
		    (id = strtol(d, NULL, 10)) > 255)
			return usage_error("key ftok: ID '%s' is not a number in 0..255", d);
	}
	err = nipc_ftok(&key, o.pos[0], (int)id);
	if (err)
		return fail("ftok %s: %s", o.pos[0], strerror(errno));
	snprintf(text, sizeof text, "0x%08x", (unsigned)key);
	if ((err = nipc_key_new(&k, (int)id, o.pos[0])))
		return key_error(err, "PATH");
	return print_free(k, o.json, text);
}

static const struct sub subs[] = {
	{"format", "TYPE NATIVE [--legacy NAME] [--json]", run_format},
	{"parse", "STRING [--json]", run_parse},
	{"safe", "[--os PROFILE] shm|sem TYPE NAME [--json]", run_make},
	{"legacy", "[--os PROFILE] shm|sem TYPE NAME [--json]", run_make},
	{"ftok", "PATH [ID] [--json]", run_ftok},
};

static int usage(FILE *f)
{
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		sub_usage(f, &subs[i]);
	fputs(help_tail, f);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int cmd_key(int argc, char **argv)
{
	struct cmdline c = {.who = "key", .see = "nipc key --help", .flags = CL_STOP_AT_POSITIONAL};
	int rc = parse_cmdline(&c, argc, argv), i;

	if (rc == CL_HELP)
		return usage(stdout);
	if (rc)
		return rc;
	if (!c.nrest)
		return usage(stderr);
	if ((i = FIND_ROW(subs, c.rest[0])) >= 0)
		return subs[i].run(&subs[i], c.nrest, c.rest);
	usage_error("key: unknown subcommand '%s'", c.rest[0]);
	return usage(stderr);
}
