/* SPDX-License-Identifier: MIT */
/* nipc key: runs the built tool and checks its output, warnings and exit
 * status for every subcommand, --json, and bad input. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *tool;
static const char *tmp_real;
static char out[65536], err[65536];

#define MYAPP_HEX "94e7d341f71ff6f43253f1c5e813057b22f91cda"

static int setup(void **state)
{
	(void)state;
	tool = tl_nipc();
	tmp_real = tl_scratch_real();
	return access(tool, X_OK);
}

static void copy_out(char *buf, size_t max, const struct tl_buf *b)
{
	assert_true(b->len < max - 1);
	memcpy(buf, b->p, b->len + 1);
}

/* Environment for the next run: NULL-terminated "VAR=value" (set) or "VAR"
 * (unset) entries; TMPDIR and XDG_RUNTIME_DIR are unset unless given. */
static const char *const *run_env;

/* Runs `nipc key ARGS...` (args NULL-terminated); fills out/err; returns
 * the exit status. */
static int nipc_key_argv(const char *const *args)
{
	const char *argv[32], *env[16] = {"TMPDIR", "XDG_RUNTIME_DIR"};
	struct tl_proc p;
	int argc = 0, n = 2, st;

	argv[argc++] = tool;
	argv[argc++] = "key";
	for (; *args && argc < 31; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;
	for (const char *const *v = run_env; v && *v && n < 15; v++)
		env[n++] = *v;
	env[n] = NULL;
	st = tl_run(&p, argv, &(struct tl_opts){.env = env});
	copy_out(out, sizeof out, &p.o);
	copy_out(err, sizeof err, &p.e);
	tl_proc_free(&p);
	run_env = NULL;
	assert_true(st >= 0 && st < 128);
	return st;
}

static int nipc_key(const char *arg, ...)
{
	const char *args[32];
	va_list ap;
	size_t n = 0;

	va_start(ap, arg);
	for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return nipc_key_argv(args);
}

#define KEY(...) nipc_key(__VA_ARGS__, (const char *)NULL)

static void expect(int rc, int want_rc, const char *want_out, const char *err_part)
{
	if (rc != want_rc)
		fail_msg("exit %d, want %d (stdout '%s', stderr '%s')", rc, want_rc, out, err);
	if (want_out)
		assert_string_equal(out, want_out);
	if (err_part && !strstr(err, err_part))
		fail_msg("stderr '%s' lacks '%s'", err, err_part);
	if (!err_part && want_rc == 0)
		assert_string_equal(err, "");
}

/* The usage errors of test in tests/vectors/cli-key-usage.tsv, sub for
 * ${sub}: each exits 2, prints nothing and says its text on stderr. */
static void usage_errors(const char *test, const char *sub)
{
	char path[PATH_MAX];
	struct tl_lines l;
	size_t cases = 0;

	snprintf(path, sizeof path, "%s/tests/vectors/cli-key-usage.tsv", tl_srcdir());
	assert_int_equal(tl_lines_load(&l, path), 0);
	for (size_t i = 0; i < l.n; i++) {
		char *line = l.line[i], *f, *want;
		const char *args[32];
		size_t n = 0;

		if (line[0] == '#' || strcmp(strsep(&line, "\t"), test))
			continue;
		want = tl_unescape(strsep(&line, "\t"));
		while ((f = strsep(&line, "\t")) && n < 31)
			args[n++] = !strcmp(f, "${sub}") ? sub : !strcmp(f, "\"\"") ? "" : tl_unescape(f);
		args[n] = NULL;
		expect(nipc_key_argv(args), 2, "", want);
		cases++;
	}
	tl_lines_free(&l);
	if (!cases)
		fail_msg("%s: no cases for %s", path, test);
}

static void test_help(void **state)
{
	static const char *const subs[] = {"format", "parse", "safe", "legacy", "ftok"};

	(void)state;
	expect(KEY("--help"), 0, NULL, NULL);
	for (size_t i = 0; i < 5; i++) {
		char want[64];

		snprintf(want, sizeof want, "usage: nipc key %s ", subs[i]);
		assert_non_null(strstr(out, want));
	}
	expect(KEY("-h"), 0, NULL, NULL);
	for (size_t i = 0; i < 5; i++) {
		char want[64];

		expect(KEY(subs[i], "--help"), 0, NULL, NULL);
		snprintf(want, sizeof want, "usage: nipc key %s ", subs[i]);
		assert_int_equal(strncmp(out, want, strlen(want)), 0);
	}
	expect(KEY("safe", "shm", "--help"), 0, NULL, NULL);
	expect(nipc_key(NULL), 2, "", "usage: nipc key format");
	expect(KEY("frobnicate"), 2, "", "unknown subcommand 'frobnicate'");
}

static void test_format(void **state)
{
	(void)state;
	expect(KEY("format", "posix", "/app"), 0, "posix:/app\n", NULL);
	expect(KEY("format", "systemv", "/tmp/x"), 0, "systemv:/tmp/x\n", NULL);
	expect(KEY("format", "systemv-84", "/tmp/x"), 0, "systemv-84:/tmp/x\n", NULL);
	expect(KEY("format", "systemv-081", "x"), 0, "systemv:x\n", NULL);
	expect(KEY("format", "windows", "Global\\sometext"), 0, "windows:Global\\sometext\n", NULL);
	expect(KEY("format", "posix", ""), 0, "posix:\n", NULL);
	expect(KEY("format", "posix", "?#"), 0, "posix:%3F%23\n", NULL);
	expect(KEY("format", "posix", "//"), 0, "posix:/%2F\n", NULL);
	expect(KEY("format", "posix", "é"), 0, "posix:é\n", NULL);
	expect(KEY("format", "systemv", "/tmp/x", "--legacy", "app"), 0,
	       "systemv:/tmp/x?legacyKey=app\n", NULL);
	expect(KEY("format", "--legacy=app", "systemv", "/tmp/x"), 0,
	       "systemv:/tmp/x?legacyKey=app\n", NULL);
	expect(KEY("format", "posix", "--", "-dash"), 0, "posix:-dash\n", NULL);
	expect(KEY("format", "--json", "posix", "/app"), 0,
	       "{\"valid\":true,\"type\":\"posix\",\"type_id\":256,\"native\":\"/app\","
	       "\"legacy\":null,\"string\":\"posix:/app\",\"empty\":false}\n", NULL);
	expect(KEY("format", "systemv-7", "", "--json"), 0,
	       "{\"valid\":true,\"type\":\"systemv-7\",\"type_id\":7,\"native\":\"\","
	       "\"legacy\":null,\"string\":\"systemv-7:\",\"empty\":true}\n", NULL);
	expect(KEY("format", "windows", "a\"b\\c", "--legacy", "n\tm", "--json"), 0,
	       "{\"valid\":true,\"type\":\"windows\",\"type_id\":257,\"native\":\"a\\\"b\\\\c\","
	       "\"legacy\":\"n\\tm\",\"string\":\"windows:a\\\"b\\\\c?legacyKey=n%09m\","
	       "\"empty\":false}\n", NULL);
}

static void test_format_errors(void **state)
{
	(void)state;
	usage_errors("format", NULL);
}

static void test_parse(void **state)
{
	(void)state;
	expect(KEY("parse", "posix:/foo"), 0,
	       "valid: yes\ntype: posix\ntype_id: 256\nnative: /foo\nstring: posix:/foo\n"
	       "empty: no\n", NULL);
	expect(KEY("parse", "systemv-009:/tmp/x?legacyKey=my%20app"), 0,
	       "valid: yes\ntype: systemv-9\ntype_id: 9\nnative: /tmp/x\nlegacy: my app\n"
	       "string: systemv-9:/tmp/x?legacyKey=my app\nempty: no\n", NULL);
	expect(KEY("parse", "windows:"), 0,
	       "valid: yes\ntype: windows\ntype_id: 257\nnative: \nstring: windows:\nempty: yes\n",
	       NULL);
	expect(KEY("parse", "--json", "posix:%2f%66o%6f#frag"), 0,
	       "{\"valid\":true,\"type\":\"posix\",\"type_id\":256,\"native\":\"/foo\","
	       "\"legacy\":null,\"string\":\"posix:/foo\",\"empty\":false}\n", NULL);
	expect(KEY("parse", "systemv-81:/x?legacyKey=a", "--json"), 0,
	       "{\"valid\":true,\"type\":\"systemv\",\"type_id\":81,\"native\":\"/x\","
	       "\"legacy\":\"a\",\"string\":\"systemv:/x?legacyKey=a\",\"empty\":false}\n", NULL);
	/* invalid keys: exit 1, and --json still prints an object */
	expect(KEY("parse", "posix:/foo?bar"), 1, "", "invalid key string 'posix:/foo?bar'");
	expect(KEY("parse", "systemv-0:"), 1, "", "invalid key string");
	expect(KEY("parse", ""), 1, "", "invalid key string ''");
	expect(KEY("parse", "--json", "junk:posix:"), 1,
	       "{\"valid\":false,\"type\":null,\"type_id\":0,\"native\":\"\",\"legacy\":null,"
	       "\"string\":null,\"empty\":true}\n", "invalid key string");
	/* usage errors */
	usage_errors("parse", NULL);
}

static void test_safe(void **state)
{
	char xdg[PATH_MAX], want[PATH_MAX * 2], tmpdir[PATH_MAX], fb[PATH_MAX * 2];
	const char *env[3];
	struct passwd *pw = getpwuid(geteuid());

	(void)state;
	expect(KEY("safe", "shm", "posix", "myapp"), 0, "posix:/myapp\n", NULL);
	expect(KEY("safe", "--os", "linux", "sem", "posix", "myapp"), 0, "posix:/myapp\n", NULL);
	expect(KEY("safe", "--os=windows", "shm", "windows", "Local\\app"), 0,
	       "windows:Local\\shm_app\n", NULL);
	expect(KEY("safe", "sem", "windows", "Global\\app", "--os", "windows", "--json"), 0,
	       "{\"valid\":true,\"type\":\"windows\",\"type_id\":257,\"native\":\"Global\\\\sem_app\","
	       "\"legacy\":null,\"string\":\"windows:Global\\\\sem_app\",\"empty\":false}\n", NULL);
	expect(KEY("safe", "--os", "macos", "shm", "posix", "0123456789012345678901234567890"), 0,
	       "posix:/01234567890123456789012345678\n", "warning: name cut");
	expect(KEY("safe", "--os", "macos", "shm", "systemv", "/abs"), 0, "systemv:/abs\n", NULL);

	/* System V on the host: a usable $XDG_RUNTIME_DIR */
	snprintf(xdg, sizeof xdg, "%s/run", tmp_real);
	assert_int_equal(mkdir(xdg, 0700), 0);
	snprintf(want, sizeof want, "XDG_RUNTIME_DIR=%s", xdg);
	env[0] = want;
	env[1] = NULL;
	run_env = env;
	expect(KEY("safe", "shm", "systemv", "myapp"), 0, NULL, NULL);
	snprintf(fb, sizeof fb, "systemv:%s/myapp\n", xdg);
	assert_string_equal(out, fb);

	/* the fallback, with a warning naming the directory */
	snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", tmp_real);
	env[0] = tmpdir;
	env[1] = "XDG_RUNTIME_DIR=relative";
	env[2] = NULL;
	run_env = env;
	snprintf(fb, sizeof fb, "$XDG_RUNTIME_DIR unusable, using %s/runtime-%s", tmp_real,
		 pw ? pw->pw_name : "");
	expect(KEY("safe", "sem", "systemv-3", "myapp", "--json"), 0, NULL, fb);
	snprintf(want, sizeof want,
		 "{\"valid\":true,\"type\":\"systemv-3\",\"type_id\":3,\"native\":\"%s/runtime-%s/myapp\","
		 "\"legacy\":null,\"string\":\"systemv-3:%s/runtime-%s/myapp\",\"empty\":false}\n",
		 tmp_real, pw ? pw->pw_name : "", tmp_real, pw ? pw->pw_name : "");
	assert_string_equal(out, want);

	/* unsupported type for the profile: exit 1, the --json object says empty */
	expect(KEY("safe", "shm", "windows", "myapp"), 1, "", "not supported on linux");
	expect(KEY("safe", "--os", "windows", "sem", "posix", "myapp", "--json"), 1,
	       "{\"valid\":true,\"type\":\"posix\",\"type_id\":256,\"native\":\"\","
	       "\"legacy\":null,\"string\":\"posix:\",\"empty\":true}\n", "not supported on windows");
	expect(KEY("safe", "--os", "macos-sandboxed", "shm", "systemv", "x"), 1, "",
	       "not supported on macos-sandboxed");
}

static void test_make_errors(void **state)
{
	static const char *const subs[] = {"safe", "legacy"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *s = subs[i];

		usage_errors("make", s);
	}
}

static void test_legacy(void **state)
{
	char tmpdir[PATH_MAX], want[PATH_MAX * 2], name[300];
	const char *env[2] = {NULL, NULL};

	(void)state;
	expect(KEY("legacy", "shm", "systemv", "myapp"), 0,
	       "systemv:/tmp/qipc_sharedmemory_myapp" MYAPP_HEX "?legacyKey=myapp\n", NULL);
	expect(KEY("legacy", "--os", "linux", "sem", "systemv", "myapp"), 0,
	       "systemv:/tmp/qipc_systemsem_myapp" MYAPP_HEX "?legacyKey=myapp\n", NULL);
	expect(KEY("legacy", "shm", "posix", "org.example.myapp", "--json"), 0,
	       "{\"valid\":true,\"type\":\"posix\",\"type_id\":256,"
	       "\"native\":\"/qipc_sharedmemory_orgexamplemyapp350d7df8d3d519a2da33a2c7c3ddf1135a47bcfb\","
	       "\"legacy\":\"org.example.myapp\",\"string\":\"posix:/qipc_sharedmemory_orgexamplemyapp"
	       "350d7df8d3d519a2da33a2c7c3ddf1135a47bcfb?legacyKey=org.example.myapp\",\"empty\":false}\n",
	       NULL);
	expect(KEY("legacy", "--os", "windows", "shm", "windows", "myapp"), 0,
	       "windows:qipc_sharedmemory_myapp" MYAPP_HEX "?legacyKey=myapp\n", NULL);
	expect(KEY("legacy", "--os", "macos", "shm", "posix", "myapp"), 0,
	       "posix:/94e7d341f71ff6f43253f1c5e8130?legacyKey=myapp\n", NULL);
	expect(KEY("legacy", "--os", "macos-sandboxed", "sem", "posix", "group.x/myapp"), 0,
	       "posix:group.x/myapp?legacyKey=group.x/myapp\n", NULL);

	/* TMPDIR used, canonical; missing → "/qipc_…" with a warning */
	snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s/./", tmp_real);
	env[0] = tmpdir;
	run_env = env;
	expect(KEY("legacy", "shm", "systemv", "myapp"), 0, NULL, NULL);
	snprintf(want, sizeof want, "systemv:%s/qipc_sharedmemory_myapp" MYAPP_HEX "?legacyKey=myapp\n",
		 tmp_real);
	assert_string_equal(out, want);
	snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s/missing", tmp_real);
	env[0] = tmpdir;
	run_env = env;
	expect(KEY("legacy", "sem", "systemv", "myapp"), 0,
	       "systemv:/qipc_systemsem_myapp" MYAPP_HEX "?legacyKey=myapp\n",
	       "warning: $TMPDIR does not exist");

	/* 198 letters: the segment's key file name is too long for Qt 5 */
	memset(name, 'n', 198);
	name[198] = '\0';
	expect(KEY("legacy", "shm", "systemv", name), 0, NULL, "longer than NAME_MAX");
	expect(KEY("legacy", "sem", "systemv", name), 0, NULL, NULL);

	expect(KEY("legacy", "shm", "windows", "myapp"), 1, "", "not supported on linux");
}

static void test_ftok(void **state)
{
	char path[PATH_MAX], want[PATH_MAX * 2], *nl;
	key_t k81, k7;
	int fd;

	(void)state;
	snprintf(path, sizeof path, "%s/keyfile", tmp_real);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	k81 = ftok(path, 81);
	k7 = ftok(path, 7);
	assert_true(k81 != (key_t)-1 && k7 != (key_t)-1);

	expect(KEY("ftok", path), 0, NULL, NULL);
	snprintf(want, sizeof want, "0x%08x\n", (unsigned)k81);
	assert_string_equal(out, want);
	expect(KEY("ftok", path, "81"), 0, want, NULL);
	expect(KEY("ftok", path, "7"), 0, NULL, NULL);
	snprintf(want, sizeof want, "0x%08x\n", (unsigned)k7);
	assert_string_equal(out, want);
	expect(KEY("ftok", "--json", path, "7"), 0, NULL, NULL);
	if ((nl = strchr(want, '\n')))
		*nl = '\0';
	{
		char json[PATH_MAX * 8];

		snprintf(json, sizeof json,
			 "{\"valid\":true,\"type\":\"systemv-7\",\"type_id\":7,\"native\":\"%s\","
			 "\"legacy\":null,\"string\":\"systemv-7:%s\",\"empty\":false,\"key_t\":\"%s\"}\n",
			 path, path, want);
		assert_string_equal(out, json);
		/* id 0 is a valid ftok id but no key type */
		expect(KEY("ftok", path, "0", "--json"), 0, NULL, NULL);
		snprintf(want, sizeof want, "0x%08x", (unsigned)ftok(path, 0));
		snprintf(json, sizeof json,
			 "{\"valid\":false,\"type\":null,\"type_id\":0,\"native\":\"%s\","
			 "\"legacy\":null,\"string\":null,\"empty\":false,\"key_t\":\"%s\"}\n",
			 path, want);
		assert_string_equal(out, json);
	}

	snprintf(path, sizeof path, "%s/no-such-file", tmp_real);
	expect(KEY("ftok", path), 1, "", "No such file or directory");
	usage_errors("ftok", NULL);
}

TL_TESTS("cli_key", setup, NULL, test_help, test_format, test_format_errors, test_parse, test_safe,
	 test_make_errors, test_legacy, test_ftok)
