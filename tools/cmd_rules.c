/* SPDX-License-Identifier: MIT */
/* nipc rules check: the shim's rule language, checked and tried on keys
 * without running anything. */
#include "config.h"

#include "common.h"
#include "launch.h"
#include "../shim/rules.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <unistd.h>

#define MAX_RULE_ARGS 256

static const char usage_text[] =
	"usage: nipc rules check [--json] FILE [KEY...]\n"
	"       nipc rules check [--json] [--rules FILE] --rule LINE... [KEY...]\n"
	"\n"
	"Check a rules file (NIPC_RULES) and show what each KEY would become.\n"
	"\n"
	"      --rules FILE  the rules file; then every argument is a KEY\n"
	"      --rule LINE   one more rule line, after the file's (repeatable);\n"
	"                    then every argument is a KEY\n"
	"      --json        one JSON document on stdout, diagnostics included\n"
	"  -h, --help        show this help\n"
	"\n"
	"KEY is a key text as a trace line prints it (posix:/app, systemv:/tmp/x,\n"
	"0x0052e2c1, IPC_PRIVATE, windows:Local\\app, shmid:N, semid:N), optionally\n"
	"preceded by one family (sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem,\n"
	"posix-mq, windows-shm, windows-sem, ftok), in the same argument after a\n"
	"space or as the argument before. Without a family, the key is shown for\n"
	"every family its text can name.\n"
	"Errors and warnings read FILE:LINE:COL: message (--rule N:1:COL for the\n"
	"Nth --rule). Exit status: 0 the rules are valid (warnings allowed) and\n"
	"every KEY has a decision; 1 the rules have errors or cannot be read, or a\n"
	"template gives a KEY no valid name; 2 usage error, or a KEY that is not a\n"
	"key text.\n";

struct key_in {
	unsigned families;      /* RF_ bits to show it for */
	const char *text;
	char native[4096];
	int has_native, has_keyt;
	key_t keyt;
};

static int hex8(const char *s, key_t *out)
{
	unsigned v = 0;

	if (strncmp(s, "0x", 2) || strlen(s) != 10)
		return -1;
	for (s += 2; *s; s++) {
		if (*s >= '0' && *s <= '9')
			v = v * 16 + (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v = v * 16 + (unsigned)(*s - 'a' + 10);
		else
			return -1;
	}
	*out = (key_t)v;
	return 0;
}

/* Fills ki from its text; the families its text can name. -1 after a
 * message. */
static int key_read(struct key_in *ki)
{
	const char *t = ki->text;
	nipc_key *k = NULL;
	char canon[8192];
	int type, err;
	unsigned can;

	if (!strcmp(t, "IPC_PRIVATE")) {
		ki->has_keyt = 1;
		ki->keyt = IPC_PRIVATE;
		can = RF_SYSV;
	} else if (!strncmp(t, "0x", 2)) {
		if (hex8(t, &ki->keyt))
			return usage_error("rules: '%s': a key_t is written 0x and 8 lower-case hex "
					   "digits, as a trace prints it", t), -1;
		ki->has_keyt = 1;
		can = RF_SYSV;
	} else if (!strncmp(t, "shmid:", 6) || !strncmp(t, "semid:", 6)) {
		unsigned long long id;

		if (parse_num(t + 6, 0, 0x7fffffff, &id))
			return usage_error("rules: '%s': the id must be a number", t), -1;
		can = t[1] == 'h' ? RF_SYSV_SHM : RF_SYSV_SEM;
	} else {
		if ((err = nipc_key_from_string(&k, t)) < 0)
			return usage_error("rules: '%s' is not a key text: %s", t, nipc_strerror(err)), -1;
		type = nipc_key_type(k);
		snprintf(ki->native, sizeof ki->native, "%s", nipc_key_native(k));
		ki->has_native = 1;
		if (nipc_key_format(canon, sizeof canon, type, ki->native, NULL) < 0 ||
		    strcmp(canon, t)) {
			nipc_key_free(k);
			return usage_error("rules: '%s' is not a key text as a trace prints it "
					   "(that is '%s')", t, canon), -1;
		}
		nipc_key_free(k);
		if (type == NIPC_KEY_POSIX) {
			can = RF_POSIX;
		} else if (type == NIPC_KEY_WINDOWS) {
			can = RF_WIN;
		} else {
			long kt = 0;

			can = RF_SYSV | RF_FTOK;
			ki->has_keyt = nipc_ftok(&kt, ki->native, type) == 0;
			ki->keyt = (key_t)kt;
		}
	}
	if (!ki->families) {
		ki->families = can & ~RF_FTOK;
	} else if (!(ki->families & can)) {
		return usage_error("rules: '%s' cannot be the key of a %s object", t,
				   rules_family_name(ki->families)), -1;
	}
	return 0;
}

/* "FAMILY TEXT" in one argument, or a family argument before the text. */
static int key_arg(char **argv, int argc, int *i, struct key_in *ki)
{
	const char *a = argv[*i], *sp = strchr(a, ' ');
	unsigned fam = rules_family_bits(a, sp ? (size_t)(sp - a) : (size_t)-1);

	memset(ki, 0, sizeof *ki);
	ki->text = a;
	if (fam) {
		if (!rules_family_name(fam))
			return usage_error("rules: '%.*s': give one family (sysv-shm, sysv-sem, "
					   "sysv-msg, posix-shm, posix-sem, posix-mq, windows-shm, "
					   "windows-sem, ftok)", sp ? (int)(sp - a) : (int)strlen(a), a), -1;
		ki->families = fam;
		if (sp) {
			ki->text = sp + 1;
		} else if (++*i < argc) {
			ki->text = argv[*i];
		} else {
			return usage_error("rules: %s: a key text must follow", a), -1;
		}
	}
	return key_read(ki);
}

void rules_print_diags(const struct rules *r, int json)
{
	size_t n;
	const struct rules_diag *d = rules_diags(r, &n);

	for (size_t i = 0; i < n; i++) {
		const char *sev = d[i].severity == RS_ERROR ? "error" : "warning";

		if (json) {
			printf("%s\n    {\"severity\": \"%s\", \"file\": ", i ? "," : "", sev);
			json_string(stdout, d[i].source);
			printf(", \"line\": %u, \"col\": %u, \"message\": ", d[i].line, d[i].col);
			json_string(stdout, d[i].msg);
			putchar('}');
		} else if (!d[i].line) {
			fprintf(stderr, "%s: %s%s\n", d[i].source,
				d[i].severity == RS_ERROR ? "" : "warning: ", d[i].msg);
		} else {
			fprintf(stderr, "%s:%u:%u: %s%s\n", d[i].source, d[i].line, d[i].col,
				d[i].severity == RS_ERROR ? "" : "warning: ", d[i].msg);
		}
	}
}

static int warnings(const struct rules *r)
{
	size_t n;
	const struct rules_diag *d = rules_diags(r, &n);
	int w = 0;

	for (size_t i = 0; i < n; i++)
		w += d[i].severity == RS_WARNING;
	return w;
}

static const char *value_text(const struct rules_decision *d, int kind, char *buf, size_t len)
{
	static const char *const cleanups[] = {"none", "exit", "last-detach", "never"};

	switch (kind) {
	case RK_BACKEND:
		if (d->backend != RB_POSIX)
			return "kernel";
		if (!d->name[0])
			return "posix, default name";
		snprintf(buf, len, "posix, name %s", d->name);
		return buf;
	case RK_RENAME:
		return d->rename[0] ? d->rename : "none";
	case RK_CLEANUP:
		return cleanups[d->cleanup];
	default:
		return d->trace ? "yes" : "no";
	}
}

static unsigned kinds_for(unsigned fam)
{
	unsigned k = 1u << RK_TRACE;

	if (fam & (RF_SYSV | RF_WIN))
		k |= 1u << RK_BACKEND;
	if (fam & RF_POSIX)
		k |= 1u << RK_RENAME;
	if (!(fam & RF_FTOK))
		k |= 1u << RK_CLEANUP;
	return k;
}

static const char *const kind_names[RK_COUNT] = {"backend", "rename", "cleanup", "trace"};

/* One family of one key; 0, or -1 when a template failed. */
static int show(const struct rules *r, const struct key_in *ki, unsigned fam, int json, int first)
{
	struct rules_key k = {fam, ki->text, ki->has_native ? ki->native : NULL,
			      ki->has_keyt, ki->keyt, getuid()};
	struct rules_decision d;
	char where[4200], val[RULES_NAME_BUF + 64], err[512];
	int rc = rules_decide(r, &k, &d);
	unsigned kinds = kinds_for(fam);

	if (rc)
		rules_xerr_text(&d, &k, err, sizeof err);
	if (!json)
		printf("%s %s\n", rules_family_name(fam), ki->text);
	else {
		printf("%s\n    {\"family\": \"%s\", \"key\": ", first ? "" : ",", rules_family_name(fam));
		json_string(stdout, ki->text);
	}
	for (int kind = 0; kind < RK_COUNT; kind++) {
		int failed = rc && (int)d.error_kind == kind;

		if (!(kinds & 1u << kind))
			continue;
		if (d.rule[kind] >= 0)
			rules_where(r, d.rule[kind], where, sizeof where);
		if (json) {
			printf(", \"%s\": {\"value\": ", kind_names[kind]);
			if (failed)
				fputs("null", stdout);
			else if (kind == RK_TRACE)
				fputs(d.trace ? "true" : "false", stdout);
			else if (kind == RK_BACKEND)
				json_string(stdout, d.backend == RB_POSIX ? "posix" : "kernel");
			else if (kind == RK_RENAME)
				json_string(stdout, d.rename[0] ? d.rename : NULL);
			else
				json_string(stdout, d.cleanup ? value_text(&d, kind, val, sizeof val) : NULL);
			if (kind == RK_BACKEND)
				fputs(", \"name\": ", stdout), json_string(stdout, d.name[0] ? d.name : NULL);
			fputs(", \"rule\": ", stdout);
			json_string(stdout, d.rule[kind] >= 0 ? where : NULL);
			fputs(", \"error\": ", stdout);
			json_string(stdout, failed ? err : NULL);
			putchar('}');
		} else {
			printf("  %s: %s", kind_names[kind],
			       failed ? "error: " : value_text(&d, kind, val, sizeof val));
			if (failed)
				fputs(err, stdout);
			if (d.rule[kind] >= 0)
				printf(" (%s)\n", where);
			else
				puts(" (no rule)");
		}
	}
	if (json)
		putchar('}');
	return rc;
}

static int check(int argc, char **argv)
{
	const char *file = NULL, *lines[MAX_RULE_ARGS];
	int nlines = 0, json = 0, i, keys_from, rc = EXIT_OK, first = 1, errors;
	struct rules *r = NULL;
	struct key_in *ki;
	int nk = 0;

	struct opt t[] = {
		{.name = "json"}, {.name = "rules", .has_value = 1, .once = 1},
		{.name = "rule", .has_value = 1, .list = lines, .list_max = MAX_RULE_ARGS}, {NULL}
	};
	struct cmdline c = {.who = "rules check", .opts = t, .flags = CL_STOP_AT_POSITIONAL};

	if ((rc = parse_cmdline(&c, argc, argv)) == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	json = c.seen[0] > 0;
	file = c.val[1];
	nlines = c.seen[2];
	i = (int)(c.rest - argv);
	keys_from = i;
	if (!file && !nlines) {
		if (i >= argc)
			return usage_error("rules check: missing FILE (see nipc rules check --help)");
		file = argv[i];
		keys_from = i + 1;
	}
	/* every KEY is read before anything is printed: a bad one is a usage error */
	ki = calloc((size_t)argc + 1, sizeof *ki);
	if (!ki || !(r = rules_new())) {
		free(ki);
		return fail("rules check: out of memory");
	}
	for (i = keys_from; i < argc; i++)
		if (key_arg(argv, argc, &i, &ki[nk++])) {
			rc = EXIT_USAGE;
			goto out;
		}
	if (file)
		rules_add_file(r, file);
	for (int l = 0; l < nlines; l++) {
		char name[32];

		snprintf(name, sizeof name, "--rule %d", l + 1);
		if (rules_add_text(r, name, lines[l])) {
			rc = fail("rules check: out of memory");
			goto out;
		}
	}
	errors = rules_finish(r);
	if (json)
		fputs("{\"diagnostics\": [", stdout);
	rules_print_diags(r, json);
	if (json)
		fputs("],\n  \"keys\": [", stdout);
	if (errors) {
		rc = EXIT_FAIL;
	} else {
		for (int k = 0; k < nk; k++)
			for (unsigned b = 1; b <= RF_FTOK; b <<= 1)
				if ((ki[k].families & b) && show(r, &ki[k], b, json, first)) {
					rc = EXIT_FAIL;
					first = 0;
				} else if (ki[k].families & b) {
					first = 0;
				}
	}
	if (json)
		printf("],\n  \"errors\": %d, \"warnings\": %d, \"ok\": %s}\n", errors,
		       warnings(r), rc ? "false" : "true");
out:
	rules_free(r);
	free(ki);
	return rc;
}

int cmd_rules(int argc, char **argv)
{
	struct cmdline c = {.who = "rules", .see = "nipc rules --help",
			    .flags = CL_STOP_AT_POSITIONAL, .opts = (const struct opt[]){{NULL}}};
	int rc = parse_cmdline(&c, argc, argv);

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!c.nrest) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(c.rest[0], "check"))
		return check(c.nrest, c.rest);
	return usage_error("rules: unknown subcommand '%s' (check)", c.rest[0]);
}
