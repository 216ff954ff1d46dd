/* SPDX-License-Identifier: MIT */
/* Key generation: OS profiles, legacy keys (Qt 4.4-6.5, Qt 5) and
 * platform-safe keys (Qt >= 6.6) for every profile, TempDir and runtime
 * directory rules, length limits; and a differential run against real
 * Qt 5 (tests/qt/qt5keys) when it is built. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nipc.h"

static const char *tmp_real; /* the scratch directory's canonical path */
static char cwd0[PATH_MAX];
static char user[256];
static int counter;

static int setup(void **state)
{
	struct passwd *pw = getpwuid(geteuid());

	(void)state;
	tmp_real = tl_scratch_real();
	if (!getcwd(cwd0, sizeof cwd0))
		return -1;
	snprintf(user, sizeof user, "%s", pw ? pw->pw_name : "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return chdir(cwd0);
}

/* A fresh directory under tmp; returns its canonical path in a static slot. */
static const char *fresh_dir(mode_t mode)
{
	static char slots[16][PATH_MAX];
	char *p = slots[counter % 16];

	snprintf(p, PATH_MAX, "%s/d%d", tmp_real, counter++);
	assert_int_equal(mkdir(p, mode), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void set_env(const char *var, const char *val)
{
	if (val)
		assert_int_equal(setenv(var, val, 1), 0);
	else
		assert_int_equal(unsetenv(var), 0);
}

/* Makes a key and checks native key, legacy key and notes. */
static void check(int legacy, const char *name, nipc_kind kind, int type, nipc_os os,
		  const char *native, unsigned notes)
{
	nipc_key *k = NULL;
	unsigned got = 0xdead;
	int r = legacy ? nipc_key_legacy_make(&k, name, kind, type, os, &got)
		       : nipc_key_platform_safe(&k, name, kind, type, os, &got);

	if (r != 0)
		fail_msg("%s(%s): %d", legacy ? "legacy" : "safe", name, r);
	assert_non_null(k);
	assert_int_equal(nipc_key_type(k), type);
	assert_true(nipc_key_is_valid(k));
	if (strcmp(nipc_key_native(k), native))
		fail_msg("%s(%s, os %d, type %d): got '%s', want '%s'", legacy ? "legacy" : "safe",
			 name, (int)os, type, nipc_key_native(k), native);
	if (legacy && *native)
		assert_string_equal(nipc_key_legacy(k), name);
	else
		assert_null(nipc_key_legacy(k));
	if (got != notes)
		fail_msg("%s(%s): notes 0x%x, want 0x%x", legacy ? "legacy" : "safe", name, got,
			 notes);
	nipc_key_free(k);
}

#define LEGACY(...) check(1, __VA_ARGS__)
#define SAFE(...) check(0, __VA_ARGS__)

/* ---------------------------------------------------------------- profiles */

static void test_profiles(void **state)
{
	static const struct {
		nipc_os os;
		const char *name;
		int def, legacy_def;
	} v[] = {
		{NIPC_OS_LINUX, "linux", NIPC_KEY_POSIX, NIPC_KEY_SYSTEMV},
		{NIPC_OS_UNIX, "unix", NIPC_KEY_POSIX, NIPC_KEY_SYSTEMV},
		{NIPC_OS_MACOS, "macos", NIPC_KEY_SYSTEMV, NIPC_KEY_SYSTEMV},
		{NIPC_OS_MACOS_SANDBOXED, "macos-sandboxed", NIPC_KEY_POSIX, NIPC_KEY_POSIX},
		{NIPC_OS_WINDOWS, "windows", NIPC_KEY_WINDOWS, NIPC_KEY_WINDOWS},
	};
	nipc_os os;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_string_equal(nipc_os_name(v[i].os), v[i].name);
		assert_int_equal(nipc_os_from_name(&os, v[i].name), 0);
		assert_int_equal(os, v[i].os);
		assert_int_equal(nipc_key_default_type(v[i].os), v[i].def);
		assert_int_equal(nipc_key_legacy_default_type(v[i].os), v[i].legacy_def);
	}
	assert_int_equal(nipc_os_host(), NIPC_OS_LINUX);
	assert_string_equal(nipc_os_name(NIPC_OS_HOST), "linux");
	assert_int_equal(nipc_key_default_type(NIPC_OS_HOST), NIPC_KEY_POSIX);
	assert_int_equal(nipc_key_legacy_default_type(NIPC_OS_HOST), NIPC_KEY_SYSTEMV);
	assert_null(nipc_os_name((nipc_os)42));
	assert_int_equal(nipc_key_default_type((nipc_os)42), NIPC_KEY_INVALID);
	assert_int_equal(nipc_key_legacy_default_type((nipc_os)-1), NIPC_KEY_INVALID);
	assert_int_equal(nipc_os_from_name(&os, "Linux"), -NIPC_EINVAL);
	assert_int_equal(nipc_os_from_name(&os, ""), -NIPC_EINVAL);
	assert_int_equal(nipc_os_from_name(&os, "host"), -NIPC_EINVAL);
	assert_int_equal(nipc_os_from_name(&os, NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_os_from_name(NULL, "linux"), -NIPC_EINVAL);
}

static void test_bad_arguments(void **state)
{
	nipc_key *k = (nipc_key *)1;
	unsigned n;

	(void)state;
	assert_int_equal(nipc_key_legacy_make(&k, NULL, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV,
					      NIPC_OS_LINUX, &n), -NIPC_EINVAL);
	assert_null(k);
	for (int legacy = 0; legacy < 2; legacy++) {
		int (*make)(nipc_key **, const char *, nipc_kind, int, nipc_os, unsigned *) =
			legacy ? nipc_key_legacy_make : nipc_key_platform_safe;

		assert_int_equal(make(&k, "a", NIPC_KIND_SHM, 0, NIPC_OS_LINUX, NULL), -NIPC_EINVAL);
		assert_int_equal(make(&k, "a", NIPC_KIND_SHM, 300, NIPC_OS_LINUX, NULL), -NIPC_EINVAL);
		assert_int_equal(make(&k, "a", NIPC_KIND_SHM, 0x102, NIPC_OS_LINUX, NULL), -NIPC_EINVAL);
		assert_int_equal(make(&k, "a\xff", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_LINUX, NULL),
				 -NIPC_EINVAL);
		assert_int_equal(make(&k, "\xed\xa0\x80", NIPC_KIND_SHM, NIPC_KEY_POSIX,
				      NIPC_OS_LINUX, NULL), -NIPC_EINVAL);
		assert_int_equal(make(&k, "a", (nipc_kind)2, NIPC_KEY_POSIX, NIPC_OS_LINUX, NULL),
				 -NIPC_EINVAL);
		assert_int_equal(make(&k, "a", NIPC_KIND_SHM, NIPC_KEY_POSIX, (nipc_os)9, NULL),
				 -NIPC_EINVAL);
		assert_null(k);
		assert_int_equal(make(NULL, "a", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_LINUX, NULL),
				 -NIPC_EINVAL);
	}
}

/* Empty name → empty key of that type, no legacy key, for every profile. */
static void test_empty_name(void **state)
{
	static const int types[] = {NIPC_KEY_SYSTEMV, 1, NIPC_KEY_POSIX, NIPC_KEY_WINDOWS};

	(void)state;
	for (nipc_os os = NIPC_OS_LINUX; os <= NIPC_OS_WINDOWS; os++)
		for (size_t t = 0; t < 4; t++)
			for (int kind = 0; kind < 2; kind++) {
				nipc_key *k;
				unsigned n;

				assert_int_equal(nipc_key_legacy_make(&k, "", kind, types[t], os, &n), 0);
				assert_true(nipc_key_is_empty(k));
				assert_true(nipc_key_is_valid(k));
				assert_null(nipc_key_legacy(k));
				nipc_key_free(k);
				assert_true(n == 0 || n == NIPC_NOTE_UNSUPPORTED);
				assert_int_equal(nipc_key_platform_safe(&k, "", kind, types[t], os, &n), 0);
				assert_true(nipc_key_is_empty(k));
				assert_int_equal(nipc_key_type(k), types[t]);
				nipc_key_free(k);
			}
}

/* --------------------------------------------------------------- legacy */

static size_t unhex(const char *h, char *out, size_t max)
{
	size_t n = 0;

	for (; h[0] && h[1] && n + 1 < max; h += 2) {
		unsigned b;

		assert_int_equal(sscanf(h, "%2x", &b), 1);
		out[n++] = (char)b;
	}
	out[n] = '\0';
	return n;
}

static void test_legacy_vectors_file(void **state)
{
	char path[PATH_MAX], line[8192], name[4096];
	const char *src = getenv("NIPC_TOP_SRCDIR");
	FILE *f;
	int rows = 0;

	(void)state;
	set_env("TMPDIR", NULL);
	snprintf(path, sizeof path, "%s/tests/vectors/qt5-legacy-shm.tsv", src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t'), *nl;

		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		if ((nl = strchr(tab + 1, '\n')))
			*nl = '\0';
		unhex(line, name, sizeof name);
		LEGACY(name, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, tab + 1,
		       strlen(name) > 197 ? NIPC_NOTE_NAME_TOO_LONG : 0);
		rows++;
	}
	fclose(f);
	assert_true(rows >= 18);
}

static void test_legacy_spec_table(void **state)
{
	static const struct {
		const char *name, *native;
	} v[] = {
		{"org.example.myapp",
		 "/tmp/qipc_sharedmemory_orgexamplemyapp350d7df8d3d519a2da33a2c7c3ddf1135a47bcfb"},
		{"myapp", "/tmp/qipc_sharedmemory_myapp94e7d341f71ff6f43253f1c5e813057b22f91cda"},
		{"a b/c\\d", "/tmp/qipc_sharedmemory_abcdcba3adbb5c307d9f276ea279b06e3fc82b411acf"},
		{"Ünïcødé-ключ",
		 "/tmp/qipc_sharedmemory_ncd1bac03d9b4eb4418cf32d852c101254deb864467"},
		{"MyApp_v2.0",
		 "/tmp/qipc_sharedmemory_MyAppv97e1fc8f5031247fb427a0a22637b62e0b11965c"},
		{"12345", "/tmp/qipc_sharedmemory_8cb2237d0679ca88db6464eac60da96345513964"},
		{"", ""},
	};

	(void)state;
	set_env("TMPDIR", NULL);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		LEGACY(v[i].name, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_HOST, v[i].native, 0);
	/* an empty TMPDIR counts as unset */
	set_env("TMPDIR", "");
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX,
	       "/tmp/qipc_sharedmemory_myapp94e7d341f71ff6f43253f1c5e813057b22f91cda", 0);
	set_env("TMPDIR", NULL);
}

#define MYAPP_HEX "94e7d341f71ff6f43253f1c5e813057b22f91cda"

/* Every profile, both kinds, every type. */
static void test_legacy_profiles(void **state)
{
	static const struct {
		nipc_os os;
		nipc_kind kind;
		int type;
		const char *native;
		unsigned notes;
	} v[] = {
		{NIPC_OS_LINUX, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, "/tmp/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, "/tmp/qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SHM, 1, "/tmp/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SEM, 255, "/tmp/qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SHM, NIPC_KEY_POSIX, "/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SEM, NIPC_KEY_POSIX, "/qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_LINUX, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_LINUX, NIPC_KIND_SEM, NIPC_KEY_WINDOWS, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_UNIX, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, "/tmp/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_UNIX, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, "/tmp/qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_UNIX, NIPC_KIND_SHM, NIPC_KEY_POSIX, "/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_UNIX, NIPC_KIND_SEM, NIPC_KEY_WINDOWS, "", NIPC_NOTE_UNSUPPORTED},
		/* macOS: /tmp is a symlink to /private/tmp there */
		{NIPC_OS_MACOS, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV,
		 "/private/tmp/qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_MACOS, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV,
		 "/private/tmp/qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_MACOS, NIPC_KIND_SHM, NIPC_KEY_POSIX, "/94e7d341f71ff6f43253f1c5e8130", 0},
		{NIPC_OS_MACOS, NIPC_KIND_SEM, NIPC_KEY_POSIX, "/94e7d341f71ff6f43253f1c5e8130", 0},
		{NIPC_OS_MACOS, NIPC_KIND_SEM, NIPC_KEY_WINDOWS, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_MACOS_SANDBOXED, NIPC_KIND_SHM, NIPC_KEY_POSIX, "myapp", 0},
		{NIPC_OS_MACOS_SANDBOXED, NIPC_KIND_SEM, NIPC_KEY_POSIX, "myapp", 0},
		{NIPC_OS_MACOS_SANDBOXED, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_MACOS_SANDBOXED, NIPC_KIND_SEM, 7, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_MACOS_SANDBOXED, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_WINDOWS, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, "qipc_sharedmemory_myapp" MYAPP_HEX, 0},
		{NIPC_OS_WINDOWS, NIPC_KIND_SEM, NIPC_KEY_WINDOWS, "qipc_systemsem_myapp" MYAPP_HEX, 0},
		{NIPC_OS_WINDOWS, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, "", NIPC_NOTE_UNSUPPORTED},
		{NIPC_OS_WINDOWS, NIPC_KIND_SEM, NIPC_KEY_POSIX, "", NIPC_NOTE_UNSUPPORTED},
	};

	(void)state;
	set_env("TMPDIR", NULL);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		LEGACY("myapp", v[i].kind, v[i].type, v[i].os, v[i].native, v[i].notes);
}

static void test_legacy_tmpdir(void **state)
{
	char want[PATH_MAX * 2], path[PATH_MAX], rel[PATH_MAX];
	const char *d = fresh_dir(0755), *other = fresh_dir(0755);

	(void)state;
	/* trailing slashes, "." and ".." */
	snprintf(path, sizeof path, "%s///", d);
	set_env("TMPDIR", path);
	snprintf(want, sizeof want, "%s/qipc_sharedmemory_myapp" MYAPP_HEX, d);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	snprintf(path, sizeof path, "%s/./x/../", d); /* x does not exist: cleaned first */
	set_env("TMPDIR", path);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	snprintf(path, sizeof path, "%s/../%s", d, strrchr(d, '/') + 1);
	set_env("TMPDIR", path);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);

	/* relative: against the current directory */
	assert_int_equal(chdir(other), 0);
	snprintf(rel, sizeof rel, "../%s/.", strrchr(d, '/') + 1);
	set_env("TMPDIR", rel);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	set_env("TMPDIR", ".");
	snprintf(want, sizeof want, "%s/qipc_systemsem_myapp" MYAPP_HEX, other);
	LEGACY("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	assert_int_equal(chdir(cwd0), 0);

	/* symlinks resolved */
	snprintf(path, sizeof path, "%s/link%d", tmp_real, counter++);
	assert_int_equal(symlink(d, path), 0);
	set_env("TMPDIR", path);
	snprintf(want, sizeof want, "%s/qipc_sharedmemory_myapp" MYAPP_HEX, d);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);

	/* missing: empty TempDir, as Qt */
	snprintf(path, sizeof path, "%s/missing", d);
	set_env("TMPDIR", path);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX,
	       "/qipc_sharedmemory_myapp" MYAPP_HEX, NIPC_NOTE_TEMPDIR_MISSING);
	LEGACY("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_HOST,
	       "/qipc_systemsem_myapp" MYAPP_HEX, NIPC_NOTE_TEMPDIR_MISSING);
	/* POSIX and Windows keys do not depend on TMPDIR */
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_LINUX,
	       "/qipc_sharedmemory_myapp" MYAPP_HEX, 0);

	/* other profiles: lexical only, the host file system is not consulted */
	set_env("TMPDIR", "/no/such/./dir/x/..//");
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_UNIX,
	       "/no/such/dir/qipc_sharedmemory_myapp" MYAPP_HEX, 0);
	set_env("TMPDIR", "/var/folders/zz/abc/T/");
	LEGACY("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_MACOS,
	       "/private/var/folders/zz/abc/T/qipc_systemsem_myapp" MYAPP_HEX, 0);
	set_env("TMPDIR", "/..");
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_UNIX,
	       "//qipc_sharedmemory_myapp" MYAPP_HEX, 0);
	assert_int_equal(chdir(d), 0);
	set_env("TMPDIR", "a/b/../../../c");
	snprintf(want, sizeof want, "%s/c/qipc_sharedmemory_myapp" MYAPP_HEX, tmp_real);
	LEGACY("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_UNIX, want, 0);
	assert_int_equal(chdir(cwd0), 0);
	set_env("TMPDIR", NULL);
}

/* Key file names: segment 18+L+40, lock semaphore 15+L+40 bytes (L = kept
 * letters); Qt 5's create() fails when either exceeds NAME_MAX. */
static void test_legacy_name_max(void **state)
{
	static const struct {
		size_t letters;
		unsigned shm, sem;
	} v[] = {
		{197, 0, 0},
		{198, NIPC_NOTE_NAME_TOO_LONG, 0},
		{200, NIPC_NOTE_NAME_TOO_LONG, 0},
		{201, NIPC_NOTE_NAME_TOO_LONG, NIPC_NOTE_NAME_TOO_LONG},
	};

	(void)state;
	set_env("TMPDIR", NULL);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char name[512], want[1024];
		nipc_key *k;
		unsigned notes;

		/* digits and dots are dropped from the file name: only letters count */
		memset(name, 'k', v[i].letters);
		strcpy(name + v[i].letters, ".1.2.3");
		for (int kind = 0; kind < 2; kind++) {
			assert_int_equal(nipc_key_legacy_make(&k, name, kind, NIPC_KEY_SYSTEMV,
							      NIPC_OS_LINUX, &notes), 0);
			assert_int_equal(notes, kind == NIPC_KIND_SHM ? v[i].shm : v[i].sem);
			snprintf(want, sizeof want, "/tmp/%s",
				 kind == NIPC_KIND_SHM ? "qipc_sharedmemory_" : "qipc_systemsem_");
			assert_int_equal(strncmp(nipc_key_native(k), want, strlen(want)), 0);
			assert_int_equal(strlen(nipc_key_native(k)),
					 strlen(want) + v[i].letters + 40);
			nipc_key_free(k);
			/* POSIX keys are not System V key files */
			assert_int_equal(nipc_key_legacy_make(&k, name, kind, NIPC_KEY_POSIX,
							      NIPC_OS_LINUX, &notes), 0);
			assert_int_equal(notes, 0);
			nipc_key_free(k);
		}
	}
}

/* --------------------------------------------------------- platform-safe */

static void test_safe_posix(void **state)
{
	/* 28 ASCII + U+1F600 = 30 UTF-16 units: the pair is split by the cut */
	static const char emoji[] = "\xf0\x9f\x98\x80";
	static const char a28[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char name[128], want[256];

	(void)state;
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_LINUX, "/myapp", 0);
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_POSIX, NIPC_OS_UNIX, "/myapp", 0);
	SAFE("/myapp", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_LINUX, "//myapp", 0);
	SAFE("a/b é", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_HOST, "/a/b é", 0);
	SAFE("0123456789012345678901234567890123456789", NIPC_KIND_SHM, NIPC_KEY_POSIX,
	     NIPC_OS_LINUX, "/0123456789012345678901234567890123456789", 0);
	/* Apple: the name is cut to 29 UTF-16 units */
	SAFE("0123456789012345678901234567890123456789", NIPC_KIND_SHM, NIPC_KEY_POSIX,
	     NIPC_OS_MACOS, "/01234567890123456789012345678", NIPC_NOTE_TRUNCATED);
	SAFE("0123456789012345678901234567890123456789", NIPC_KIND_SEM, NIPC_KEY_POSIX,
	     NIPC_OS_MACOS_SANDBOXED, "/01234567890123456789012345678", NIPC_NOTE_TRUNCATED);
	SAFE("01234567890123456789012345678", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_MACOS,
	     "/01234567890123456789012345678", 0);
	snprintf(name, sizeof name, "%s%s", a28, emoji);
	snprintf(want, sizeof want, "/%s?", a28);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_MACOS, want, NIPC_NOTE_TRUNCATED);
	snprintf(name, sizeof name, "%s%s", a28 + 1, emoji); /* exactly 29 units */
	snprintf(want, sizeof want, "/%s", name);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_MACOS, want, 0);
	snprintf(name, sizeof name, "%s%sx", a28 + 1, emoji);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_MACOS, want, NIPC_NOTE_TRUNCATED);
	/* 29 two-byte characters are 29 units, 58 bytes: not cut */
	name[0] = '\0';
	for (int i = 0; i < 30; i++)
		strcat(name, "é");
	snprintf(want, sizeof want, "/%.*s", 58, name);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_MACOS, want, NIPC_NOTE_TRUNCATED);
	/* POSIX not on Windows */
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_POSIX, NIPC_OS_WINDOWS, "", NIPC_NOTE_UNSUPPORTED);
}

static void test_safe_windows(void **state)
{
	char name[600], want[700];

	(void)state;
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "shm_myapp", 0);
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "sem_myapp", 0);
	SAFE("Local\\myapp", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "Local\\shm_myapp", 0);
	SAFE("Global\\myapp", NIPC_KIND_SEM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "Global\\sem_myapp", 0);
	SAFE("Global\\", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "Global\\shm_", 0);
	SAFE("local\\myapp", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "shm_local\\myapp", 0);
	SAFE("Session\\1\\x", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "shm_Session\\1\\x", 0);
	SAFE("Local/myapp", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, "shm_Local/myapp", 0);
	/* MAX_PATH: 260 UTF-16 units for the whole key */
	memset(name, 'w', 256);
	name[256] = '\0';
	snprintf(want, sizeof want, "shm_%s", name);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, want, 0);
	strcat(name, "X");
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, want, NIPC_NOTE_TRUNCATED);
	snprintf(name, sizeof name, "Global\\%0300d", 7);
	snprintf(want, sizeof want, "Global\\sem_%.*s", 260 - 11, name + 7);
	SAFE(name, NIPC_KIND_SEM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, want, NIPC_NOTE_TRUNCATED);
	/* a non-BMP character straddling unit 260 */
	memset(name, 'w', 255);
	strcpy(name + 255, "\xf0\x90\x80\x80");
	memset(want, 0, sizeof want);
	snprintf(want, sizeof want, "shm_%.*s?", 255, name);
	SAFE(name, NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_WINDOWS, want, NIPC_NOTE_TRUNCATED);
	/* Windows keys only on Windows */
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_WINDOWS, NIPC_OS_LINUX, "", NIPC_NOTE_UNSUPPORTED);
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_WINDOWS, NIPC_OS_MACOS, "", NIPC_NOTE_UNSUPPORTED);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_WINDOWS, "", NIPC_NOTE_UNSUPPORTED);
	SAFE("myapp", NIPC_KIND_SEM, 3, NIPC_OS_MACOS_SANDBOXED, "", NIPC_NOTE_UNSUPPORTED);
}

static void expect_dir_0700(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* System V on the host: RuntimeDir from $XDG_RUNTIME_DIR if it passes the
 * check, else TempDir/runtime-USER, else none. */
static void test_safe_systemv_runtime(void **state)
{
	char want[PATH_MAX * 2], path[PATH_MAX], fb[PATH_MAX];
	const char *good = fresh_dir(0700), *t = fresh_dir(0755);

	(void)state;
	set_env("TMPDIR", t);
	snprintf(fb, sizeof fb, "%s/runtime-%s", t, user);

	set_env("XDG_RUNTIME_DIR", good);
	snprintf(want, sizeof want, "%s/myapp", good);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	SAFE("myapp", NIPC_KIND_SEM, 200, NIPC_OS_HOST, want, 0);
	/* an absolute name is used as it is, no directory involved */
	set_env("XDG_RUNTIME_DIR", "relative");
	SAFE("/abs/name", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, "/abs/name", 0);
	assert_int_equal(access(fb, F_OK), -1);

	/* missing: created with mode 0700 and used */
	snprintf(path, sizeof path, "%s/new-run", good);
	set_env("XDG_RUNTIME_DIR", path);
	snprintf(want, sizeof want, "%s/myapp", path);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want, 0);
	expect_dir_0700(path);

	/* unusable: relative, unset, wrong mode, a symlink, a file; the
	 * fallback is created on first use */
	snprintf(want, sizeof want, "%s/myapp", fb);
	set_env("XDG_RUNTIME_DIR", "relative/dir");
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	expect_dir_0700(fb);
	assert_int_equal(access("relative", F_OK), -1);
	set_env("XDG_RUNTIME_DIR", NULL);
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	set_env("XDG_RUNTIME_DIR", "");
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	set_env("XDG_RUNTIME_DIR", fresh_dir(0755));
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	set_env("XDG_RUNTIME_DIR", fresh_dir(0701));
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	snprintf(path, sizeof path, "%s/runlink", tmp_real);
	assert_int_equal(symlink(good, path), 0);
	set_env("XDG_RUNTIME_DIR", path);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	snprintf(path, sizeof path, "%s/plainfile", tmp_real);
	fclose(fopen(path, "w"));
	set_env("XDG_RUNTIME_DIR", path);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);
	snprintf(path, sizeof path, "%s/no/such/parent", tmp_real);
	set_env("XDG_RUNTIME_DIR", path);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
	     NIPC_NOTE_RUNTIME_FALLBACK);

	/* owned by another user (only root can arrange that) */
	if (geteuid() == 0) {
		const char *other = fresh_dir(0700);

		assert_int_equal(chown(other, 65534, (gid_t)-1), 0);
		set_env("XDG_RUNTIME_DIR", other);
		SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, want,
		     NIPC_NOTE_RUNTIME_FALLBACK);
	}

	/* the fallback unusable too: no runtime dir, key is "/" + name */
	assert_int_equal(chmod(fb, 0755), 0);
	set_env("XDG_RUNTIME_DIR", NULL);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, "/myapp",
	     NIPC_NOTE_RUNTIME_FALLBACK | NIPC_NOTE_RUNTIME_NONE);
	assert_int_equal(chmod(fb, 0700), 0);

	set_env("TMPDIR", NULL);
	set_env("XDG_RUNTIME_DIR", NULL);
}

/* Other profiles: nothing on the host file system is checked or created. */
static void test_safe_systemv_other_profiles(void **state)
{
	char path[PATH_MAX], want[PATH_MAX * 2];

	(void)state;
	snprintf(path, sizeof path, "%s/not-created", tmp_real);
	set_env("XDG_RUNTIME_DIR", path);
	snprintf(want, sizeof want, "%s/myapp", path);
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_UNIX, want, 0);
	assert_int_equal(access(path, F_OK), -1);

	set_env("XDG_RUNTIME_DIR", NULL);
	set_env("TMPDIR", "/no/such/tmp/");
	set_env("USER", "alice");
	SAFE("myapp", NIPC_KIND_SEM, NIPC_KEY_SYSTEMV, NIPC_OS_UNIX,
	     "/no/such/tmp/runtime-alice/myapp", NIPC_NOTE_RUNTIME_FALLBACK);
	set_env("TMPDIR", NULL);

	set_env("HOME", "/Users/alice");
	SAFE("myapp", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_MACOS,
	     "/Users/alice/Library/Application Support/myapp", 0);
	SAFE("/abs", NIPC_KIND_SHM, NIPC_KEY_SYSTEMV, NIPC_OS_MACOS, "/abs", 0);
	set_env("HOME", NULL);
	SAFE("myapp", NIPC_KIND_SEM, 9, NIPC_OS_MACOS, "/myapp", NIPC_NOTE_RUNTIME_NONE);
}

/* ----------------------------------------------------- real Qt 5 (diff) */

/* Deterministic names: ASCII, punctuation, UTF-8 up to 4 bytes, long. */
static size_t gen_name(unsigned i, char *out, size_t max)
{
	static const char *const pieces[] = {
		"a", "Z", "q", "0", "9", ".", "-", "_", "/", "\\", " ", "%", "?", "#", ":",
		"\t", "é", "Ü", "ß", "ключ", "\xe2\x80\x80", "€", "日本", "\xef\xbf\xbd",
		"\xf0\x9f\x98\x80", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "org.example.",
	};
	uint32_t x = i * 2654435761u + 12345;
	size_t n = 0, len = i % 50 == 0 ? 150 + i % 120 : 1 + i % 23;

	for (size_t k = 0; k < len; k++) {
		const char *p;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p = pieces[x % (sizeof pieces / sizeof pieces[0])];
		if (n + strlen(p) + 1 > max)
			break;
		memcpy(out + n, p, strlen(p));
		n += strlen(p);
	}
	out[n] = '\0';
	return n;
}

#define QT_NAMES 1200
#define QT_SEM_NAMES 150

/* Runs prog (with arg, may be NULL) under TMPDIR (NULL = unset) on names
 * 0..count-1 and compares each answer with nipc's legacy key; returns the
 * number of names compared. Semaphore mode skips over-long names, whose key
 * file Qt cannot create. */
static int differential(const char *prog, const char *arg, const char *tmpdir, unsigned count)
{
	char name[2048], qt[8192], env_tmp[PATH_MAX + 8], *in = NULL, *line, *nl;
	const char *env[] = {"TMPDIR", NULL};
	int sem = arg != NULL, checked = 0;
	struct tl_proc p;
	size_t in_len = 0;
	FILE *f = open_memstream(&in, &in_len);

	assert_non_null(f);
	for (unsigned i = 0; i < count; i++) {
		size_t n = gen_name(i, name, sizeof name);

		if (sem && n > 120)
			continue;
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%02x", (unsigned char)name[k]);
		fprintf(f, "%s\n", n ? "" : "-");
	}
	fclose(f);
	if (tmpdir) {
		snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmpdir);
		env[0] = env_tmp;
	}
	assert_int_equal(tl_run(&p, TL_ARGV(prog, arg),
				&(struct tl_opts){.in = in, .in_len = in_len, .env = env,
						  .timeout = 600}), 0);
	free(in);

	set_env("TMPDIR", tmpdir);
	line = p.o.p;
	for (unsigned i = 0; i < count; i++) {
		nipc_key *k;
		size_t n = gen_name(i, name, sizeof name);

		if (sem && n > 120)
			continue;
		assert_non_null(nl = strchr(line, '\n'));
		*nl = '\0';
		assert_int_equal(nipc_key_legacy_make(&k, name, sem ? NIPC_KIND_SEM : NIPC_KIND_SHM,
						      NIPC_KEY_SYSTEMV, NIPC_OS_LINUX, NULL), 0);
		if (!strcmp(line, "!"))
			fail_msg("%s: Qt made no key file for name #%u", prog, i);
		unhex(strcmp(line, "-") ? line : "", qt, sizeof qt);
		if (strcmp(qt, nipc_key_native(k)))
			fail_msg("%s %s name #%u (TMPDIR %s): Qt '%s', nipc '%s'", prog,
				 sem ? "sem" : "shm", i, tmpdir ? tmpdir : "unset", qt,
				 nipc_key_native(k));
		nipc_key_free(k);
		checked++;
		line = nl + 1;
	}
	assert_string_equal(line, "");
	tl_proc_free(&p);
	set_env("TMPDIR", NULL);
	return checked;
}

/* Semaphore key files of the test names still present under path (Qt's
 * semaphore objects remove theirs). */
static int entries(const char *path)
{
	struct stat st;
	int n = 0;

	for (int i = 0; i < QT_SEM_NAMES; i++) {
		char name[2048], want[PATH_MAX + 2048];
		nipc_key *k;

		gen_name((unsigned)i, name, sizeof name);
		if (!*name || nipc_key_legacy_make(&k, name, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV,
						   NIPC_OS_LINUX, NULL))
			continue;
		snprintf(want, sizeof want, "%s", nipc_key_native(k));
		nipc_key_free(k);
		if (!strncmp(want, path, strlen(path)) && stat(want, &st) == 0)
			n++;
	}
	return n;
}

/* state: the program, qt5keys or qt6keys. */
static void test_differential(void **state)
{
	const char *prog_name = *state;
	const char *top = getenv("NIPC_TOP_BUILDDIR");
	char prog[PATH_MAX], link[PATH_MAX], dotty[PATH_MAX * 2], missing[PATH_MAX];
	const char *d = fresh_dir(0755), *semdir = fresh_dir(0700);
	int checked = 0;

	tl_ledger_dir(semdir);

	snprintf(prog, sizeof prog, "%s/tests/qt/%s", top ? top : ".", prog_name);
	if (access(prog, X_OK) < 0)
		skip();
	snprintf(link, sizeof link, "%s/qlink%d", tmp_real, counter++);
	assert_int_equal(symlink(d, link), 0);
	snprintf(dotty, sizeof dotty, "%s/./x/..//", d);
	snprintf(missing, sizeof missing, "%s/missing-tmp", tmp_real);

	checked += differential(prog, NULL, NULL, QT_NAMES);
	checked += differential(prog, NULL, d, QT_NAMES);
	checked += differential(prog, NULL, link, QT_NAMES);
	checked += differential(prog, NULL, dotty, QT_NAMES);
	checked += differential(prog, NULL, missing, QT_NAMES);
	assert_int_equal(checked, 5 * QT_NAMES);

	/* semaphores: the key file real Qt creates, through a symlinked TMPDIR */
	snprintf(link, sizeof link, "%s/qsemlink%d", tmp_real, counter++);
	assert_int_equal(symlink(semdir, link), 0);
	assert_true(differential(prog, "sem", link, QT_SEM_NAMES) >= QT_SEM_NAMES * 9 / 10);
	assert_int_equal(entries(semdir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_empty_name),
		cmocka_unit_test(test_legacy_vectors_file),
		cmocka_unit_test(test_legacy_spec_table),
		cmocka_unit_test(test_legacy_profiles),
		cmocka_unit_test(test_legacy_tmpdir),
		cmocka_unit_test(test_legacy_name_max),
		cmocka_unit_test(test_safe_posix),
		cmocka_unit_test(test_safe_windows),
		cmocka_unit_test(test_safe_systemv_runtime),
		cmocka_unit_test(test_safe_systemv_other_profiles),
		{"test_qt5_differential", test_differential, NULL, NULL, (void *)"qt5keys"},
		{"test_qt6_differential", test_differential, NULL, NULL, (void *)"qt6keys"},
	};
	return TL_MAIN("keygen", tests, setup, teardown);
}
