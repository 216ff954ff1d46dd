/* SPDX-License-Identifier: MIT */
/* The rule language (shim/rules.c): families, globs, every error and
 * warning with its position, first match per kind, templates; then
 * `nipc rules check` and NIPC_RULES in the shim as real processes. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <unistd.h>

#include "tlib.h"
#include "../shim/rules.h"

static char out[65536], err[65536];

/* ------------------------------------------------------------ helpers */

/* Every diagnostic as "SRC:LINE:COL: [warning: ]MSG\n". */
static const char *diags(struct rules *r)
{
	static char buf[16384];
	const struct rules_diag *d;
	size_t n, len = 0;

	d = rules_diags(r, &n);
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s:%u:%u: %s%s\n", d[i].source,
					d[i].line, d[i].col,
					d[i].severity == RS_WARNING ? "warning: " : "", d[i].msg);
	return buf;
}

static struct rules *parse(const char *text)
{
	struct rules *r = rules_new();

	assert_non_null(r);
	assert_int_equal(rules_add_text(r, "t", text), 0);
	rules_finish(r);
	return r;
}

/* A rule text that must give no diagnostics. */
static struct rules *parse_clean(const char *text)
{
	struct rules *r = parse(text);

	if (*diags(r))
		fail_msg("rules:\n%s\ngave:\n%s", text, diags(r));
	return r;
}

/* The diagnostics of text, compared whole. */
static void expect_diags(const char *text, const char *want)
{
	struct rules *r = parse(text);

	if (strcmp(diags(r), want))
		fail_msg("rules:\n%s\ngave:\n%swant:\n%s", text, diags(r), want);
	rules_free(r);
}

static struct rules_key key(unsigned fam, const char *text, const char *native)
{
	struct rules_key k = {fam, text, native, 0, 0, 1000};

	return k;
}

/* ----------------------------------------------------------- families */

static void test_families(void **state)
{
	static const struct { const char *w; unsigned bits; } t[] = {
		{"all", RF_ALL}, {"sysv", RF_SYSV_SHM | RF_SYSV_SEM | RF_SYSV_MSG},
		{"posix", RF_POSIX_SHM | RF_POSIX_SEM | RF_POSIX_MQ},
		{"windows", RF_WIN_SHM | RF_WIN_SEM}, {"ftok", RF_FTOK},
		{"shm", RF_SYSV_SHM | RF_POSIX_SHM | RF_WIN_SHM},
		{"sem", RF_SYSV_SEM | RF_POSIX_SEM | RF_WIN_SEM},
		{"msg", RF_SYSV_MSG | RF_POSIX_MQ},
		{"sysv-shm", RF_SYSV_SHM}, {"sysv-sem", RF_SYSV_SEM}, {"sysv-msg", RF_SYSV_MSG},
		{"posix-shm", RF_POSIX_SHM}, {"posix-sem", RF_POSIX_SEM}, {"posix-mq", RF_POSIX_MQ},
		{"windows-shm", RF_WIN_SHM}, {"windows-sem", RF_WIN_SEM},
		{"ALL", 0}, {"sysv-", 0}, {"posix-msg", 0}, {"", 0}, {"windows-mq", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (rules_family_bits(t[i].w, (size_t)-1) != t[i].bits)
			fail_msg("%s: %#x", t[i].w, rules_family_bits(t[i].w, (size_t)-1));
	assert_int_equal(RF_ALL, 0x1ff);
	assert_string_equal(rules_family_name(RF_POSIX_MQ), "posix-mq");
	assert_null(rules_family_name(RF_SYSV));
}

/* --------------------------------------------------------------- glob */

static void test_glob(void **state)
{
	static const struct { const char *g, *t; int m; } t[] = {
		{"*", "posix:/app", 1}, {"*", "", 1}, {"posix:/*", "posix:/a/b", 1},
		{"posix:/app", "posix:/app", 1}, {"posix:/app", "posix:/apps", 0},
		{"posix:/ap?", "posix:/app", 1}, {"posix:/ap?", "posix:/ap", 0},
		{"systemv:/tmp/qipc_*", "systemv:/tmp/qipc_sharedmemory_x", 1},
		{"systemv:/tmp/qipc_*", "systemv-7:/tmp/qipc_x", 0},
		{"systemv*:/tmp/*", "systemv-7:/tmp/qipc_x", 1},
		{"0x005[0-4]*", "0x0052e2c1", 1}, {"0x005[0-4]*", "0x0057e2c1", 0},
		{"0x[!0]*", "0x0052e2c1", 0}, {"0x[!0]*", "0x1052e2c1", 1},
		{"[]]", "]", 1}, {"[!]]", "]", 0}, {"[!]]", "a", 1},
		{"[a-c-]", "-", 1}, {"[abc]", "d", 0},
		{"posix:/a\\*", "posix:/a*", 1}, {"posix:/a\\*", "posix:/ab", 0},
		{"posix:/a\\ b", "posix:/a b", 1}, {"[\\]]", "]", 1},
		{"IPC_PRIVATE", "IPC_PRIVATE", 1}, {"windows:Local\\\\*", "windows:Local\\app", 1},
		{"*a*b", "xxaxxbxxb", 1}, {"*a*b", "xxaxxbxxa", 0}, {"a*", "b", 0},
		{"**", "x", 1}, {"*?", "", 0}, {"[", "[", 1},
	};
	char longt[4001];

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (rules_glob_match(t[i].g, t[i].t) != t[i].m)
			fail_msg("'%s' on '%s': want %d", t[i].g, t[i].t, t[i].m);
	/* one backtrack point: no blow-up on many stars */
	memset(longt, 'a', 4000);
	longt[4000] = 0;
	assert_false(rules_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", longt));
}

/* ------------------------------------------------------------- errors */

static void test_errors(void **state)
{
	static const struct { const char *line, *want; } t[] = {
		{"sysvshm trace", "t:1:1: unknown family 'sysvshm' (all, sysv, sysv-shm, sysv-sem, "
		 "sysv-msg, posix, posix-shm, posix-sem, posix-mq, windows, windows-shm, windows-sem, "
		 "ftok, shm, sem, msg)\n"},
		{"  sysv-shm posix:[ab trace", "t:1:18: unterminated [ in the glob\n"},
		{"posix posix:/x\\", "t:1:15: the glob ends with a lone \\\n"},
		{"posix trace=yes", "t:1:7: trace takes no value\n"},
		{"posix notrace=1", "t:1:7: notrace takes no value\n"},
		{"sysv backend", "t:1:6: backend= needs a value\n"},
		{"sysv backend=", "t:1:6: backend= needs a value\n"},
		{"sysv backend=emul", "t:1:14: unknown backend 'emul' (kernel, posix)\n"},
		{"sysv cleanup=always", "t:1:14: unknown cleanup 'always' (exit, last-detach, never)\n"},
		{"posix frob=1", "t:1:7: unknown action 'frob' (backend=, name=, rename=, cleanup=, "
		 "trace, notrace)\n"},
		{"posix sysv trace", "t:1:7: one family word per rule (the groups are all, sysv, posix, "
		 "windows, shm, sem, msg)\n"},
		{"posix posix:/a posix:/b trace", "t:1:16: unexpected 'posix:/b': a rule is FAMILY "
		 "[GLOB] ACTION...\n"},
		{"posix-shm", "t:1:1: no action: a rule needs backend=, rename=, cleanup=, trace or "
		 "notrace\n"},
		{"posix-shm posix:/x", "t:1:1: no action: a rule needs backend=, rename=, cleanup=, "
		 "trace or notrace\n"},
		{"sysv cleanup=exit cleanup=never", "t:1:19: cleanup= given twice on this rule\n"},
		{"sysv backend=posix backend=kernel", "t:1:20: backend= given twice on this rule\n"},
		{"posix rename=/a%n rename=/b%n", "t:1:19: rename= given twice on this rule\n"},
		{"sysv trace notrace", "t:1:12: trace or notrace given twice on this rule\n"},
		{"sysv backend=posix name=/a%k name=/b%k", "t:1:30: name= given twice on this rule\n"},
		{"sysv name=/a%k", "t:1:6: name= needs backend=posix on the same rule\n"},
		{"sysv backend=kernel name=/a%k", "t:1:21: name= needs backend=posix on the same rule\n"},
		{"posix backend=posix", "t:1:7: backend= applies to System V and Windows objects, not "
		 "to posix-shm, posix-sem, posix-mq\n"},
		{"ftok backend=kernel", "t:1:6: backend= applies to System V and Windows objects, not "
		 "to ftok\n"},
		{"sysv-msg backend=posix", "t:1:10: System V message queues are not emulated: "
		 "backend=posix cannot apply to sysv-msg\n"},
		{"msg backend=posix", "t:1:5: System V message queues are not emulated: "
		 "backend=posix cannot apply to sysv-msg\n"},
		{"sysv rename=/a%n", "t:1:6: rename= applies to POSIX objects (posix-shm, posix-sem, "
		 "posix-mq), not to sysv-shm, sysv-sem, sysv-msg\n"},
		{"ftok cleanup=exit", "t:1:6: cleanup= applies to objects, not to ftok\n"},
		{"posix rename=app.%n", "t:1:14: rename= must start with / (a POSIX name)\n"},
		{"posix rename=/a/%n", "t:1:16: rename=: a POSIX name has no / after the first\n"},
		{"posix rename=/a.%x", "t:1:17: rename=: unknown template field %x (%n %b %k %u %%)\n"},
		{"posix rename=/a.%", "t:1:17: rename=: the template ends with a lone %\n"},
		{"posix rename=/", "t:1:14: rename=: the name is empty after /\n"},
		{"posix rename=/%b", "t:1:15: rename=: %b is defined for System V keys only\n"},
		{"posix rename=/%k", "t:1:15: rename=: %k is defined for System V keys only\n"},
		{"sysv-shm backend=posix name=/%n", "t:1:30: name=: %n is not defined for System V "
		 "keys (use %b or %k)\n"},
		{"shm backend=posix name=/%k", "t:1:25: name=: %k is defined for System V keys only\n"},
		{"posix-shm posix:/* rename=/fixed", "t:1:20: rename=/fixed is a literal name on a "
		 "rule that can match more than one key (add %n or %u, or match one family and one "
		 "key)\n"},
		{"posix posix:/x rename=/fixed", "t:1:16: rename=/fixed is a literal name on a rule "
		 "that can match more than one key (add %n or %u, or match one family and one key)\n"},
		{"sysv-shm backend=posix name=/seg", "t:1:24: name=/seg is a literal name on a rule "
		 "that can match more than one key (add %k, %b or %n, or match one family and one "
		 "key)\n"},
		{"sysv systemv:/tmp/x backend=posix name=/seg", "t:1:35: name=/seg is a literal name "
		 "on a rule that can match more than one key (add %k, %b or %n, or match one family "
		 "and one key)\n"},
		{"posix-shm posix:/x rename=/%%", ""}, /* "/%" is a name */
		{"sysv\tbackend=posix\x01", "t:1:14: unknown backend 'posix\x01' (kernel, posix)\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_diags(t[i].line, t[i].want);
}

static void test_errors_long_and_nul(void **state)
{
	char line[600];
	struct rules *r;

	(void)state;
	/* a literal name: 251 bytes after / is the limit */
	snprintf(line, sizeof line, "posix-shm posix:/x rename=/%0251d", 0);
	expect_diags(line, "");
	snprintf(line, sizeof line, "posix-shm posix:/x rename=/%0252d", 0);
	expect_diags(line, "t:1:27: rename=: the name is longer than 251 bytes after /\n");
	/* a NUL byte in a file's line */
	snprintf(line, sizeof line, "%s", tl_new_path("nul.rules"));
	{
		int fd = open(line, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "all trace\nposix\0 trace\n", 23), 23);
		close(fd);
	}
	r = rules_new();
	assert_int_equal(rules_add_file(r, line), 0);
	assert_int_equal(rules_finish(r), 1);
	assert_non_null(strstr(diags(r), ":2:6: NUL byte in the line\n"));
	rules_free(r);
	unlink(line);
	/* a file that cannot be read */
	r = rules_new();
	assert_int_equal(rules_add_file(r, "/nonexistent/rules"), -1);
	assert_int_equal(rules_finish(r), 1);
	assert_string_equal(diags(r), "/nonexistent/rules:0:0: cannot open: No such file or directory\n");
	rules_free(r);
}

/* Every error of a file is reported, in order; a line with an error is
 * dropped and the table decides nothing. */
static void test_errors_all_reported(void **state)
{
	struct rules *r = parse("all trace\nbad trace\nposix frob\n");
	struct rules_key k = key(RF_POSIX_SHM, "posix:/a", "/a");
	struct rules_decision d;

	(void)state;
	assert_string_equal(diags(r), "t:2:1: unknown family 'bad' (all, sysv, sysv-shm, sysv-sem, "
			    "sysv-msg, posix, posix-shm, posix-sem, posix-mq, windows, windows-shm, "
			    "windows-sem, ftok, shm, sem, msg)\nt:3:7: unknown action 'frob' (backend=, "
			    "name=, rename=, cleanup=, trace, notrace)\n");
	assert_int_equal(rules_decide(r, &k, &d), 0);
	assert_int_equal(d.rule[RK_TRACE], -1);
	assert_int_equal(d.trace, -1);
	rules_free(r);
}

/* ------------------------------------------------------------ lexing */

static void test_comments_and_words(void **state)
{
	struct rules *r;
	struct rules_decision d;
	struct rules_key k;

	(void)state;
	r = parse_clean("# a comment\n\n   \t\nposix-shm posix:/a#b trace # trailing\r\n"
		         "posix-shm posix:/a\\ b notrace\n#all notrace\n");
	assert_int_equal(rules_count(r), 2);
	k = key(RF_POSIX_SHM, "posix:/a#b", "/a#b");
	rules_decide(r, &k, &d);
	assert_int_equal(d.trace, 1);
	assert_int_equal(d.rule[RK_TRACE], 0);
	k = key(RF_POSIX_SHM, "posix:/a b", "/a b");
	rules_decide(r, &k, &d);
	assert_int_equal(d.trace, 0);
	k = key(RF_POSIX_SHM, "posix:/c", "/c");
	rules_decide(r, &k, &d);
	assert_int_equal(d.trace, -1);
	rules_free(r);
}

/* File lines first, then --rule lines in order; positions name each. */
static void test_sources(void **state)
{
	char path[512], where[PATH_MAX + 16];
	struct rules *r = rules_new();
	struct rules_decision d;
	struct rules_key k = key(RF_POSIX_SEM, "posix:/x", "/x");
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s", tl_new_path("src.rules"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("posix notrace\n\nposix-sem bogus=1\n", f);
	fclose(f);
	assert_int_equal(rules_add_file(r, path), 0);
	assert_int_equal(rules_add_text(r, "--rule 1", "posix trace"), 0);
	assert_int_equal(rules_add_text(r, "--rule 2", "all trace\nposix-x trace"), 0);
	assert_int_equal(rules_finish(r), 2);
	snprintf(where, sizeof where, "%s:3:11: unknown action 'bogus'", path);
	assert_non_null(strstr(diags(r), where));
	assert_non_null(strstr(diags(r), "\n--rule 2:2:1: unknown family 'posix-x'"));
	rules_free(r);

	unlink(path);
	f = fopen(path, "w");
	fputs("posix notrace\n", f);
	fclose(f);
	r = rules_new();
	rules_add_file(r, path);
	rules_add_text(r, "--rule 1", "posix-sem trace\n");
	assert_int_equal(rules_finish(r), 0);
	rules_decide(r, &k, &d);
	assert_int_equal(d.trace, 0);
	rules_where(r, d.rule[RK_TRACE], where, sizeof where);
	snprintf(path + strlen(path), sizeof path - strlen(path), ":1");
	assert_string_equal(where, path);
	rules_where(r, 1, where, sizeof where);
	assert_string_equal(where, "--rule 1:1");
	rules_free(r);
	path[strlen(path) - 2] = 0;
	unlink(path);
}

/* ------------------------------------------------------------ deciding */

static const char design_example[] =
	"# MATCH                               ACTIONS\n"
	"sysv-shm  systemv:/tmp/qipc_*         backend=posix name=/qt5.%b  # Qt 5 segments\n"
	"sysv                                  backend=posix               # every other\n"
	"posix-shm posix:/app.*                rename=/tenant1.%n          # a namespace\n"
	"posix                                 cleanup=last-detach\n"
	"all                                   trace\n";

static void test_first_match_per_kind(void **state)
{
	struct rules *r = parse_clean(design_example);
	struct rules_decision d;
	struct rules_key k;

	(void)state;
	/* a Qt 5 segment: backend+name from line 1, trace from the last */
	k = key(RF_SYSV_SHM, "systemv:/tmp/qipc_sharedmemory_app", "/tmp/qipc_sharedmemory_app");
	assert_int_equal(rules_decide(r, &k, &d), 0);
	assert_int_equal(d.backend, RB_POSIX);
	assert_string_equal(d.name, "/qt5.qipc_sharedmemory_app");
	assert_int_equal(d.rule[RK_BACKEND], 0);
	assert_int_equal(d.rule[RK_RENAME], -1);
	assert_int_equal(d.rule[RK_CLEANUP], -1);
	assert_int_equal(d.cleanup, RC_UNSET);
	assert_int_equal(d.trace, 1);
	assert_int_equal(d.rule[RK_TRACE], 4);
	/* a Qt 5 semaphore: line 1 is for segments; line 2 decides */
	k.family = RF_SYSV_SEM;
	rules_decide(r, &k, &d);
	assert_int_equal(d.rule[RK_BACKEND], 1);
	assert_string_equal(d.name, "");
	/* System V message queues are never routed by a group word */
	k = key(RF_SYSV_MSG, "0x0052e2c1", NULL);
	rules_decide(r, &k, &d);
	assert_int_equal(d.rule[RK_BACKEND], -1);
	assert_int_equal(d.backend, RB_UNSET);
	assert_int_equal(d.rule[RK_TRACE], 4);
	/* POSIX: rename from line 3, cleanup from line 4, trace from line 5 */
	k = key(RF_POSIX_SHM, "posix:/app.one", "/app.one");
	rules_decide(r, &k, &d);
	assert_string_equal(d.rename, "/tenant1.app.one");
	assert_int_equal(d.rule[RK_RENAME], 2);
	assert_int_equal(d.cleanup, RC_LAST_DETACH);
	assert_int_equal(d.rule[RK_CLEANUP], 3);
	assert_int_equal(d.rule[RK_BACKEND], -1);
	k.family = RF_POSIX_SEM;
	rules_decide(r, &k, &d);
	assert_string_equal(d.rename, "");
	assert_int_equal(d.rule[RK_CLEANUP], 3);
	/* ftok: only trace applies */
	k = key(RF_FTOK, "systemv:/tmp/qipc_x", "/tmp/qipc_x");
	rules_decide(r, &k, &d);
	assert_int_equal(d.rule[RK_BACKEND], -1);
	assert_int_equal(d.rule[RK_TRACE], 4);
	rules_free(r);
}

static void test_first_match_values(void **state)
{
	struct rules *r = parse_clean("sysv-shm 0x0000002a cleanup=never\n"
				      "sysv-shm 0x0000002a backend=kernel\n"
				      "shm backend=posix cleanup=exit notrace\n"
				      "all trace\n");
	struct rules_decision d;
	struct rules_key k = key(RF_SYSV_SHM, "0x0000002a", NULL);

	(void)state;
	rules_decide(r, &k, &d);
	assert_int_equal(d.cleanup, RC_NEVER);
	assert_int_equal(d.backend, RB_KERNEL);
	assert_int_equal(d.trace, 0);
	assert_int_equal(d.rule[RK_TRACE], 2);
	k.text = "0x0000002b";
	rules_decide(r, &k, &d);
	assert_int_equal(d.cleanup, RC_EXIT);
	assert_int_equal(d.backend, RB_POSIX);
	/* shm backend= leaves posix-shm alone; its cleanup still applies */
	k = key(RF_POSIX_SHM, "posix:/q", "/q");
	rules_decide(r, &k, &d);
	assert_int_equal(d.rule[RK_BACKEND], -1);
	assert_int_equal(d.cleanup, RC_EXIT);
	k = key(RF_POSIX_MQ, "posix:/q", "/q");
	rules_decide(r, &k, &d);
	assert_int_equal(d.cleanup, RC_UNSET);
	assert_int_equal(d.trace, 1);
	rules_free(r);
}

/* ---------------------------------------------------------- templates */

static void test_template_fields(void **state)
{
	struct rules *r = parse_clean("sysv-shm backend=posix name=/s.%b.%k.%u.%%\n"
				      "windows backend=posix name=/w.%n.%u\n"
				      "posix rename=/p.%n.%u.%%%%\n");
	struct rules_decision d;
	struct rules_key k = key(RF_SYSV_SHM, "systemv:/tmp/dir/file", "/tmp/dir/file");

	(void)state;
	k.has_keyt = 1;
	k.keyt = 0x0052e2c1;
	k.uid = 4242;
	assert_int_equal(rules_decide(r, &k, &d), 0);
	assert_string_equal(d.name, "/s.file.0052e2c1.4242.%");
	k.keyt = (key_t)0xfedcba98;
	rules_decide(r, &k, &d);
	assert_string_equal(d.name, "/s.file.fedcba98.4242.%");
	k = key(RF_WIN_SEM, "windows:Local\\app", "Local\\app");
	rules_decide(r, &k, &d);
	assert_string_equal(d.name, "/w.Local\\app.1000");
	k = key(RF_POSIX_MQ, "posix:/queue", "/queue");
	rules_decide(r, &k, &d);
	assert_string_equal(d.rename, "/p.queue.1000.%%");
	rules_free(r);
}

static void test_template_failures(void **state)
{
	struct rules *r = parse_clean("sysv-shm backend=posix name=/s.%b\n"
				      "sysv-sem backend=posix name=/k.%k\n"
				      "posix-shm posix:/e* rename=/%n%n%n%n%n%n%n%n\n"
				      "posix rename=/%n\n");
	struct rules_decision d;
	struct rules_key k = key(RF_SYSV_SHM, "0x0052e2c1", NULL);
	char msg[512], name[300];

	(void)state;
	k.has_keyt = 1;
	k.keyt = 0x52e2c1;
	assert_int_equal(rules_decide(r, &k, &d), -1);
	assert_int_equal(d.error, RX_NO_FIELD);
	assert_int_equal(d.error_kind, RK_BACKEND);
	assert_int_equal(d.rule[RK_BACKEND], 0);
	assert_string_equal(d.name, "");
	rules_xerr_text(&d, &k, msg, sizeof msg);
	assert_string_equal(msg, "name=: %b is not known for sysv-shm 0x0052e2c1 (no System V key file)");
	/* IPC_PRIVATE: name= does not apply, the backend does */
	k = key(RF_SYSV_SHM, "IPC_PRIVATE", NULL);
	k.has_keyt = 1;
	assert_int_equal(rules_decide(r, &k, &d), 0);
	assert_int_equal(d.backend, RB_POSIX);
	assert_string_equal(d.name, "");
	/* %k without a key_t */
	k = key(RF_SYSV_SEM, "systemv:/tmp/x", "/tmp/x");
	assert_int_equal(rules_decide(r, &k, &d), -1);
	rules_xerr_text(&d, &k, msg, sizeof msg);
	assert_string_equal(msg, "name=: %k is not known for sysv-sem systemv:/tmp/x (no key_t)");
	/* too long: 8 × 31 = 248 fits, 8 × 32 = 256 does not */
	snprintf(name, sizeof name, "/e%030d", 0);
	snprintf(msg, sizeof msg, "posix:%s", name);
	k = key(RF_POSIX_SHM, msg, name);
	assert_int_equal(rules_decide(r, &k, &d), 0);
	assert_int_equal(strlen(d.rename), 1 + 8 * 31);
	snprintf(name, sizeof name, "/e%031d", 0);
	snprintf(msg, sizeof msg, "posix:%s", name);
	k = key(RF_POSIX_SHM, msg, name);
	assert_int_equal(rules_decide(r, &k, &d), -1);
	assert_int_equal(d.error, RX_TOO_LONG);
	assert_int_equal(d.error_kind, RK_RENAME);
	assert_string_equal(d.rename, "");
	/* a / from a field */
	k = key(RF_POSIX_SHM, "posix:/a/b", "/a/b");
	assert_int_equal(rules_decide(r, &k, &d), -1);
	assert_int_equal(d.error, RX_SLASH);
	rules_xerr_text(&d, &k, msg, sizeof msg);
	assert_string_equal(msg, "rename=: %n puts a / into the name for posix:/a/b (not a valid POSIX name)");
	/* empty */
	k = key(RF_POSIX_SEM, "posix:/", "/");
	assert_int_equal(rules_decide(r, &k, &d), -1);
	assert_int_equal(d.error, RX_EMPTY);
	rules_xerr_text(&d, &k, msg, sizeof msg);
	assert_string_equal(msg, "rename=: the name for posix:/ is empty after /");
	rules_free(r);
}

/* A literal name= is fine for one family and one literal key. */
static void test_literal_name_one_key(void **state)
{
	struct rules *r = parse_clean("sysv-shm systemv:/tmp/x backend=posix name=/seg\n"
				      "posix-sem posix:/\\[a] rename=/b\n");
	struct rules_decision d;
	struct rules_key k = key(RF_SYSV_SHM, "systemv:/tmp/x", "/tmp/x");

	(void)state;
	rules_decide(r, &k, &d);
	assert_string_equal(d.name, "/seg");
	k = key(RF_POSIX_SEM, "posix:/[a]", "/[a]");
	rules_decide(r, &k, &d);
	assert_string_equal(d.rename, "/b");
	rules_free(r);
}

/* ----------------------------------------------------------- warnings */

static void test_warnings(void **state)
{
	(void)state;
	/* same family, match-everything */
	expect_diags("posix trace\nposix notrace\n",
		     "t:2:1: warning: this rule never decides anything: every key it matches gets "
		     "trace from t:1\n");
	/* wider family, then a narrower one with a glob */
	expect_diags("all notrace\nposix-shm posix:/a* trace\n",
		     "t:2:1: warning: this rule never decides anything: every key it matches gets "
		     "trace from t:1\n");
	/* an identical glob */
	expect_diags("sysv systemv:/tmp/* backend=posix\nsysv-shm systemv:/tmp/* backend=kernel\n",
		     "t:2:1: warning: this rule never decides anything: every key it matches gets "
		     "backend from t:1\n");
	/* '*' and '**' match everything */
	expect_diags("posix ** cleanup=exit\nposix-mq posix:/q cleanup=never\n",
		     "t:2:1: warning: this rule never decides anything: every key it matches gets "
		     "cleanup from t:1\n");
	/* a literal key an earlier glob matches */
	expect_diags("posix posix:/app.* trace\nposix-sem posix:/app.1 notrace\n",
		     "t:2:1: warning: this rule never decides anything: every key it matches gets "
		     "trace from t:1\n");
	/* several kinds, each decided earlier by a different rule */
	expect_diags("all trace\nposix cleanup=exit\nposix-shm posix:/a cleanup=never notrace\n",
		     "t:3:1: warning: this rule never decides anything: every key it matches gets "
		     "cleanup from t:2, trace from t:1\n");
	/* families covered by different earlier rules */
	expect_diags("sysv-shm trace\nsysv-sem trace\nsysv-msg trace\nsysv notrace\n",
		     "t:4:1: warning: this rule never decides anything: every key it matches gets "
		     "trace from t:1\n");
	/* a glob no key of the family can match */
	expect_diags("posix-shm systemv:/x trace\n",
		     "t:1:1: warning: this rule never decides anything: no key of posix-shm can "
		     "match 'systemv:/x'\n");
	expect_diags("sysv-sem shmid:* trace\n",
		     "t:1:1: warning: this rule never decides anything: no key of sysv-sem can "
		     "match 'shmid:*'\n");
	/* cleanup= only where the shim cannot enforce it */
	expect_diags("posix-mq cleanup=exit\n",
		     "t:1:1: warning: cleanup=exit is not enforced for posix-mq: the shim does "
		     "not interpose message queues\n");
	expect_diags("sysv-shm backend=posix cleanup=last-detach\n",
		     "t:1:1: warning: cleanup=last-detach is not enforced for sysv-shm: the "
		     "emulation keeps System V semantics\n");
	expect_diags("sysv backend=posix cleanup=exit\n",
		     "t:1:1: warning: cleanup=exit is not enforced for sysv-shm, sysv-sem, "
		     "sysv-msg: the shim does not interpose message queues and the emulation "
		     "keeps System V semantics\n");
	expect_diags("posix cleanup=exit\nshm backend=posix cleanup=exit\nmsg cleanup=never\n", "");
	/* no warning: one kind still decides; a narrower rule first; a
	 * group word whose backend= leaves System V queues to a later rule */
	expect_diags("all trace\nposix trace cleanup=exit\n", "");
	expect_diags("posix-shm posix:/a* trace\nposix notrace\n", "");
	expect_diags("posix posix:/a* trace\nposix posix:/b* trace\n", "");
	expect_diags("sysv backend=posix\nsysv-msg backend=kernel\n", "");
	expect_diags("posix rename=/a.%n\nposix-shm posix:/x trace\n", "");
	expect_diags("sysv-shm 0x* trace\nsysv-shm IPC_PRIVATE notrace\nsysv-shm shmid:* trace\n", "");
}

/* ---------------------------------------------------- nipc rules check */

/* Runs argv with o; fills out/err; the status as tl_run gives it. */
static int run(const char *const argv[], const struct tl_opts *o)
{
	size_t len;

	return tl_run_buf(argv, o, out, sizeof out, &len, err, sizeof err);
}

static int check(const char *a, ...)
{
	const char *argv[32];
	struct tl_opts o = {.timeout = 30};
	int n = 0;
	va_list ap;

	argv[n++] = tl_nipc();
	argv[n++] = "rules";
	argv[n++] = "check";
	va_start(ap, a);
	for (; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run(argv, &o);
}

#define CHECK(...) check(__VA_ARGS__, (const char *)NULL)

static const char *write_rules(const char *name, const char *text)
{
	const char *path = tl_new_path(name);
	FILE *f;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void expect_run(int rc, int want, const char *want_out, const char *want_err)
{
	if (rc != want)
		fail_msg("exit %d, want %d; stdout:\n%s\nstderr:\n%s", rc, want, out, err);
	if (want_out && strcmp(out, want_out))
		fail_msg("stdout:\n%s\nwant:\n%s", out, want_out);
	if (want_err && strcmp(err, want_err))
		fail_msg("stderr:\n%s\nwant:\n%s", err, want_err);
}

static void test_cli_text(void **state)
{
	char want[8192], path[512];

	(void)state;
	snprintf(path, sizeof path, "%s", write_rules("design.rules", design_example));
	expect_run(CHECK(path, "sysv-shm systemv:/tmp/qipc_sharedmemory_app", "posix-shm",
			 "posix:/app.one", "sysv-msg", "0x0052e2c1"), 0, NULL, "");
	snprintf(want, sizeof want,
		 "sysv-shm systemv:/tmp/qipc_sharedmemory_app\n"
		 "  backend: posix, name /qt5.qipc_sharedmemory_app (%1$s:2)\n"
		 "  cleanup: none (no rule)\n"
		 "  trace: yes (%1$s:6)\n"
		 "posix-shm posix:/app.one\n"
		 "  rename: /tenant1.app.one (%1$s:4)\n"
		 "  cleanup: last-detach (%1$s:5)\n"
		 "  trace: yes (%1$s:6)\n"
		 "sysv-msg 0x0052e2c1\n"
		 "  backend: kernel (no rule)\n"
		 "  cleanup: none (no rule)\n"
		 "  trace: yes (%1$s:6)\n", path);
	assert_string_equal(out, want);
	/* without a family: every family the text can name */
	expect_run(CHECK("--rule", "posix-sem notrace", "posix:/q"), 0,
		   "posix-shm posix:/q\n  rename: none (no rule)\n  cleanup: none (no rule)\n"
		   "  trace: yes (no rule)\n"
		   "posix-sem posix:/q\n  rename: none (no rule)\n  cleanup: none (no rule)\n"
		   "  trace: no (--rule 1:1)\n"
		   "posix-mq posix:/q\n  rename: none (no rule)\n  cleanup: none (no rule)\n"
		   "  trace: yes (no rule)\n", "");
	/* IPC_PRIVATE and a segment id; a default backing name */
	expect_run(CHECK("--rule", "sysv backend=posix", "IPC_PRIVATE", "shmid:7"), 0, NULL, "");
	assert_non_null(strstr(out, "sysv-msg IPC_PRIVATE\n  backend: kernel (no rule)\n"));
	assert_non_null(strstr(out, "sysv-sem IPC_PRIVATE\n  backend: posix, default name (--rule 1:1)\n"));
	assert_non_null(strstr(out, "sysv-shm shmid:7\n  backend: posix, default name (--rule 1:1)\n"));
	assert_null(strstr(out, "sysv-sem shmid:7"));
	/* --rules FILE plus --rule: every argument is a KEY, file lines first */
	expect_run(CHECK("--rules", path, "--rule", "posix cleanup=never", "posix-mq posix:/z"), 0,
		   NULL, NULL);
	assert_non_null(strstr(out, "cleanup: last-detach ("));
	snprintf(want, sizeof want, "--rule 1:1:1: warning: this rule never decides anything: "
		 "every key it matches gets cleanup from %s:5\n", path);
	assert_string_equal(err, want);
}

static void test_cli_diagnostics(void **state)
{
	const char *path;
	char want[8192];

	(void)state;
	path = write_rules("bad.rules", "posix trace\nposix notrace\nsysv-msg backend=posix\n");
	/* errors: exit 1, no key is shown */
	snprintf(want, sizeof want, "%1$s:2:1: warning: this rule never decides anything: every "
		 "key it matches gets trace from %1$s:1\n%1$s:3:10: System V message queues are not "
		 "emulated: backend=posix cannot apply to sysv-msg\n", path);
	expect_run(CHECK(path, "posix:/a"), 1, "", want);
	/* warnings only: exit 0 */
	path = write_rules("warn.rules", "posix trace\nposix notrace\n");
	snprintf(want, sizeof want, "%1$s:2:1: warning: this rule never decides anything: every "
		 "key it matches gets trace from %1$s:1\n", path);
	expect_run(CHECK(path), 0, "", want);
	/* --rule N:LINE:COL */
	expect_run(CHECK("--rule", "all trace", "--rule", "posix rename=/x"), 1, "",
		   "--rule 2:1:7: rename=/x is a literal name on a rule that can match more than "
		   "one key (add %n or %u, or match one family and one key)\n");
	/* an unreadable file */
	expect_run(CHECK("/nonexistent/r"), 1, "",
		   "/nonexistent/r: cannot open: No such file or directory\n");
	/* a template that gives no valid name: exit 1 */
	expect_run(CHECK("--rule", "sysv-shm backend=posix name=/x.%b", "sysv-shm", "0x00000001"), 1,
		   "sysv-shm 0x00000001\n  backend: error: name=: %b is not known for sysv-shm "
		   "0x00000001 (no System V key file) (--rule 1:1)\n  cleanup: none (no rule)\n"
		   "  trace: yes (no rule)\n", "");
}

static void test_cli_usage(void **state)
{
	(void)state;
	expect_run(CHECK("--rule", "all trace", "0x52e2c1"), 2, "",
		   "nipc: rules: '0x52e2c1': a key_t is written 0x and 8 lower-case hex digits, "
		   "as a trace prints it\n");
	expect_run(CHECK("--rule", "all trace", "posix-shm systemv:/tmp/x"), 2, "",
		   "nipc: rules: 'systemv:/tmp/x' cannot be the key of a posix-shm object\n");
	expect_run(CHECK("--rule", "all trace", "sysv", "0x00000001"), 2, "",
		   "nipc: rules: 'sysv': give one family (sysv-shm, sysv-sem, sysv-msg, posix-shm, "
		   "posix-sem, posix-mq, windows-shm, windows-sem, ftok)\n");
	expect_run(CHECK("--rule", "all trace", "posix-shm"), 2, "",
		   "nipc: rules: posix-shm: a key text must follow\n");
	expect_run(CHECK("--rule", "all trace", "posix:/a?legacyKey=b"), 2, "",
		   "nipc: rules: 'posix:/a?legacyKey=b' is not a key text as a trace prints it "
		   "(that is 'posix:/a')\n");
	expect_run(CHECK("--rule", "all trace", "nonsense"), 2, "", NULL);
	assert_non_null(strstr(err, "nipc: rules: 'nonsense' is not a key text: "));
	expect_run(CHECK(NULL), 2, "", "nipc: rules check: missing FILE (see nipc rules check --help)\n");
	expect_run(CHECK("--frob"), 2, "", "nipc: rules check: unknown option '--frob'\n");
	expect_run(CHECK("--rule"), 2, "", "nipc: rules check: --rule needs a value\n");
	expect_run(CHECK("--help"), 0, NULL, "");
	assert_non_null(strstr(out, "usage: nipc rules check"));
	expect_run(run(TL_ARGV(tl_nipc(), "rules", "frob"), NULL), 2, "",
		   "nipc: rules: unknown subcommand 'frob' (check)\n");
}

static void test_cli_json(void **state)
{
	const char *path;
	char want[8192];

	(void)state;
	expect_run(CHECK("--json", "--rule", "sysv-shm systemv:/tmp/* backend=posix name=/q.%b",
			 "--rule", "all notrace", "sysv-shm systemv:/tmp/a\"b"), 0,
		   "{\"diagnostics\": [],\n  \"keys\": [\n"
		   "    {\"family\": \"sysv-shm\", \"key\": \"systemv:/tmp/a\\\"b\", "
		   "\"backend\": {\"value\": \"posix\", \"name\": \"/q.a\\\"b\", \"rule\": \"--rule 1:1\", "
		   "\"error\": null}, \"cleanup\": {\"value\": null, \"rule\": null, \"error\": null}, "
		   "\"trace\": {\"value\": false, \"rule\": \"--rule 2:1\", \"error\": null}}],\n"
		   "  \"errors\": 0, \"warnings\": 0, \"ok\": true}\n", "");
	path = write_rules("json.rules", "posix trace\nposix notrace\nbogus\n");
	snprintf(want, sizeof want, "{\"diagnostics\": [\n"
		 "    {\"severity\": \"warning\", \"file\": \"%1$s\", \"line\": 2, \"col\": 1, "
		 "\"message\": \"this rule never decides anything: every key it matches gets trace "
		 "from %1$s:1\"},\n"
		 "    {\"severity\": \"error\", \"file\": \"%1$s\", \"line\": 3, \"col\": 1, "
		 "\"message\": \"unknown family 'bogus' (all, sysv, sysv-shm, sysv-sem, sysv-msg, "
		 "posix, posix-shm, posix-sem, posix-mq, windows, windows-shm, windows-sem, ftok, "
		 "shm, sem, msg)\"}],\n"
		 "  \"keys\": [],\n  \"errors\": 1, \"warnings\": 1, \"ok\": false}\n", path);
	expect_run(CHECK("--json", path, "posix:/x"), 1, want, "");
	expect_run(CHECK("--json", "--rule", "posix-shm rename=/%n", "posix-shm", "posix:/a/b"), 1,
		   NULL, "");
	assert_non_null(strstr(out, "\"rename\": {\"value\": null, \"rule\": \"--rule 1:1\", "
			       "\"error\": \"rename=: %n puts a / into the name for posix:/a/b (not a "
			       "valid POSIX name)\"}"));
	assert_non_null(strstr(out, "\"ok\": false}"));
}

/* -------------------------------------------------- NIPC_RULES, shim */

static int shim_run(const char *rules)
{
	char e_rules[PATH_MAX + 16];
	struct tl_opts o = {.env = TL_ENV(e_rules, "ASAN_OPTIONS=detect_leaks=0"), .trace = "",
			    .preload = 1, .timeout = 30};

	snprintf(e_rules, sizeof e_rules, "NIPC_RULES=%s", rules);
	return run(TL_ARGV("/bin/sh", "-c", "echo ran"), &o);
}

static void test_shim_reads_rules(void **state)
{
	char want[8192], path[512];

	(void)state;
	snprintf(path, sizeof path, "%s", write_rules("shim-good.rules", design_example));
	expect_run(shim_run(path), 0, "ran\n", "");
	snprintf(path, sizeof path, "%s", write_rules("shim-bad.rules", "all trace\nall frob\nbad\n"));
	snprintf(want, sizeof want, "nipc-preload: NIPC_RULES: %s:2:5: unknown action 'frob' "
		 "(backend=, name=, rename=, cleanup=, trace, notrace); rules ignored (nipc rules "
		 "check shows every error)\n", path);
	/* once per process, and the program runs */
	expect_run(shim_run(path), 0, "ran\n", want);
	/* a file that cannot be read may have routed System V: fail closed */
	expect_run(shim_run("/nonexistent/rules"), 0, "ran\n",
		   "nipc-preload: NIPC_RULES: /nonexistent/rules: cannot open: No such file or "
		   "directory; the rules act, so sysv-shm sysv-sem calls fail with ENOSYS (fail "
		   "closed; nipc rules check shows every error)\n");
}

/* What a table with errors would have acted on, read leniently. */
static void test_acting(void **state)
{
	static const struct {
		const char *text;
		unsigned want;
	} cases[] = {
		{"all trace\nposix notrace\n", 0},
		{"sysv-shm backend=posix frob\n", RF_SYSV_SHM},
		{"posix-shm rename=/x.%n\nall bad\n", RF_POSIX_SHM},
		{"sem cleanup=never\n", RF_SYSV_SEM | RF_POSIX_SEM | RF_WIN_SEM},
		{"sysv-sem 0x00000001 name=/x\n", RF_SYSV_SEM},
		{"frob backend=posix\n", RF_SYSV},
		{"ftok backend=posix\n", RF_SYSV},
		{"all trace # backend=posix\n", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules *r = rules_new();

		assert_non_null(r);
		assert_int_equal(rules_add_text(r, "t", cases[i].text), 0);
		rules_finish(r);
		if (rules_acting(r) != cases[i].want)
			fail_msg("%s: acting %#x, want %#x", cases[i].text, rules_acting(r),
				 cases[i].want);
		rules_free(r);
	}
	/* a file that cannot be read: every System V family */
	struct rules *r = rules_new();

	assert_non_null(r);
	rules_add_file(r, "/nonexistent/rules");
	assert_int_equal(rules_acting(r), RF_SYSV);
	rules_free(r);
}

/* --------------------------------------------------------------- main */

static int setup(void **state)
{
	(void)state;
	alarm(120);
	return access(tl_nipc(), X_OK);
}

TL_TESTS("rules", setup, NULL, test_families, test_glob, test_errors, test_errors_long_and_nul,
	 test_errors_all_reported, test_comments_and_words, test_sources, test_first_match_per_kind,
	 test_first_match_values, test_template_fields, test_template_failures,
	 test_literal_name_one_key, test_warnings, test_cli_text, test_cli_diagnostics, test_cli_usage,
	 test_cli_json, test_shim_reads_rules, test_acting)
