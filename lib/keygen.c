/* SPDX-License-Identifier: MIT */
/* Platform-safe and legacy keys for every OS profile.
 *
 * Support table (type per profile, same for both kinds): linux, unix and
 * macos take System V (any ftok id) and POSIX; macos-sandboxed takes POSIX
 * only (the app sandbox forbids System V IPC); windows takes Windows only.
 *
 * Only the host profile looks at the file system (TempDir canonicalisation,
 * the runtime directory check). Other profiles read only environment
 * variables, cleaned lexically, and assume what nipc.h's comments and
 * libnipc(3) state. */
#include "config.h"

#include "internal.h"
#include "sha1.h"
#include "utf.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPLE_POSIX_MAX 29   /* SHM_NAME_MAX 30 minus the leading slash */
#define WIN_MAX_PATH 260
#define SHM_PREFIX "qipc_sharedmemory_"
#define SEM_PREFIX "qipc_systemsem_"

static const char *const os_names[] = {
	[NIPC_OS_LINUX] = "linux",
	[NIPC_OS_UNIX] = "unix",
	[NIPC_OS_MACOS] = "macos",
	[NIPC_OS_MACOS_SANDBOXED] = "macos-sandboxed",
	[NIPC_OS_WINDOWS] = "windows",
};

nipc_os nipc_os_host(void)
{
#if defined(_WIN32)
	return NIPC_OS_WINDOWS;
#elif defined(__APPLE__)
	return NIPC_OS_MACOS;
#elif defined(__linux__)
	return NIPC_OS_LINUX;
#else
	return NIPC_OS_UNIX;
#endif
}

/* NIPC_OS_HOST made concrete; -1 for values outside the enum. */
static int resolve(nipc_os os)
{
	if (os == NIPC_OS_HOST)
		return nipc_os_host();
	return (int)os >= NIPC_OS_LINUX && (int)os <= NIPC_OS_WINDOWS ? (int)os : -1;
}

const char *nipc_os_name(nipc_os os)
{
	int r = resolve(os);

	return r < 0 ? NULL : os_names[r];
}

int nipc_os_from_name(nipc_os *out, const char *name)
{
	if (!name || !out)
		return -NIPC_EINVAL;
	for (int i = NIPC_OS_LINUX; i <= NIPC_OS_WINDOWS; i++)
		if (!strcmp(name, os_names[i])) {
			*out = (nipc_os)i;
			return 0;
		}
	return -NIPC_EINVAL;
}

/* QNativeIpcKey::DefaultTypeForOs and legacyDefaultTypeForOs by profile
 * (macOS: System V is what Qt's code does, whatever its docs say). */
static const int default_types[][2] = {
	[NIPC_OS_LINUX] = {NIPC_KEY_POSIX, NIPC_KEY_SYSTEMV},
	[NIPC_OS_UNIX] = {NIPC_KEY_POSIX, NIPC_KEY_SYSTEMV},
	[NIPC_OS_MACOS] = {NIPC_KEY_SYSTEMV, NIPC_KEY_SYSTEMV},
	[NIPC_OS_MACOS_SANDBOXED] = {NIPC_KEY_POSIX, NIPC_KEY_POSIX},
	[NIPC_OS_WINDOWS] = {NIPC_KEY_WINDOWS, NIPC_KEY_WINDOWS},
};

static int default_type(nipc_os os, int legacy)
{
	int r = resolve(os);

	return r < 0 ? NIPC_KEY_INVALID : default_types[r][legacy];
}

int nipc_key_default_type(nipc_os os)
{
	return default_type(os, 0);
}

int nipc_key_legacy_default_type(nipc_os os)
{
	return default_type(os, 1);
}

static int supported(int os, int type)
{
	if (os == NIPC_OS_WINDOWS)
		return type == NIPC_KEY_WINDOWS;
	if (os == NIPC_OS_MACOS_SANDBOXED)
		return type == NIPC_KEY_POSIX;
	return type == NIPC_KEY_POSIX || nipc_key_type_is_systemv(type);
}

static int is_apple(int os)
{
	return os == NIPC_OS_MACOS || os == NIPC_OS_MACOS_SANDBOXED;
}

/* nipc__key_make for a malloc'd native key, which it frees; NULL is out of
 * memory. */
static int finish_free(nipc_key **out, int type, char *native, const char *legacy)
{
	int err = native ? nipc__key_make(out, type, native, legacy) : -NIPC_ENOMEM;

	free(native);
	return err;
}

/* Common argument checks; 1 when the caller should go on. */
static int start(nipc_key **out, const char *name, nipc_kind kind, int type, nipc_os os,
		 unsigned *notes, int *prof, int *err)
{
	*err = 0;
	if (notes)
		*notes = 0;
	if (!out) {
		*err = -NIPC_EINVAL;
		return 0;
	}
	*out = NULL;
	*prof = resolve(os);
	if (!name || *prof < 0 || !nipc_key_type_is_valid(type) ||
	    (kind != NIPC_KIND_SHM && kind != NIPC_KIND_SEM) ||
	    !nipc_utf8_valid(name, strlen(name))) {
		*err = -NIPC_EINVAL;
		return 0;
	}
	if (!supported(*prof, type)) {
		if (notes)
			*notes |= NIPC_NOTE_UNSUPPORTED;
		*err = nipc__key_make(out, type, NULL, NULL);
		return 0;
	}
	return 1;
}

/* QDir::cleanPath: no empty or "." components, ".." folded into its parent
 * where there is one ("/.." is "/"), no trailing slash, "." if nothing is
 * left. Returns malloc'd text or NULL. */
static char *clean_path(const char *in)
{
	int abs = in[0] == '/';
	size_t len = 0, floor, root = abs ? 1 : 0;
	char *out = malloc(strlen(in) + 2);
	const char *e;

	if (!out)
		return NULL;
	if (abs)
		out[len++] = '/';
	floor = len; /* out[0..floor) is what ".." cannot fold */
	for (const char *p = in; *p; p = e) {
		size_t cl;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		cl = (size_t)(e - p);
		if (cl == 0 || (cl == 1 && p[0] == '.'))
			continue;
		if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (len > floor) {
				while (len > floor && out[len - 1] != '/')
					len--;
				if (len > floor)
					len--;
				continue;
			}
			if (abs)
				continue;
		}
		if (len > root)
			out[len++] = '/';
		memcpy(out + len, p, cl);
		len += cl;
		if (cl == 2 && p[0] == '.' && p[1] == '.')
			floor = len;
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return out;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	char *s;

	return asprintf(&s, "%s%s%s", a, b, c) < 0 ? NULL : s;
}

/* Qt's QDir::tempPath(): $TMPDIR (if non-empty) or /tmp, cleaned and, on the
 * host, canonical (symlinks resolved; "" if it does not exist). Other
 * profiles: relative made absolute against the current directory, no file
 * system access; macos maps /tmp and /var to their /private targets. */
static int temp_dir(int os, char **out, unsigned *notes)
{
	const char *env = getenv("TMPDIR");
	char *clean, *abs = NULL;

	if (!env || !*env)
		env = "/tmp";
	if (os == (int)nipc_os_host()) {
		if (!(clean = clean_path(env)))
			return -NIPC_ENOMEM;
		*out = realpath(clean, NULL);
		free(clean);
		if (!*out) {
			if (errno == ENOMEM)
				return -NIPC_ENOMEM;
			if (notes)
				*notes |= NIPC_NOTE_TEMPDIR_MISSING;
			*out = strdup("");
		}
		return *out ? 0 : -NIPC_ENOMEM;
	}
	if (env[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return errno == ENOMEM ? -NIPC_ENOMEM : -NIPC_EUNKNOWN;
		abs = cat3(cwd, "/", env);
		free(cwd);
		if (!abs)
			return -NIPC_ENOMEM;
		env = abs;
	}
	clean = clean_path(env);
	free(abs);
	if (!clean)
		return -NIPC_ENOMEM;
	if (os == NIPC_OS_MACOS &&
	    (!strcmp(clean, "/tmp") || !strncmp(clean, "/tmp/", 5) ||
	     !strcmp(clean, "/var") || !strncmp(clean, "/var/", 5))) {
		*out = cat3("/private", clean, "");
		free(clean);
		return *out ? 0 : -NIPC_ENOMEM;
	}
	*out = clean;
	return 0;
}

/* ------------------------------------------------------------ legacy keys */

static int name_too_long(nipc_kind kind, size_t letters)
{
	size_t seg = sizeof SHM_PREFIX - 1 + letters + NIPC_SHA1_HEX_LEN;
	size_t lock = sizeof SEM_PREFIX - 1 + letters + NIPC_SHA1_HEX_LEN;

	/* a segment's create() also makes its lock semaphore's key file */
	return lock > NAME_MAX || (kind == NIPC_KIND_SHM && seg > NAME_MAX);
}

int nipc_key_legacy_make(nipc_key **out, const char *name, nipc_kind kind, int type,
			 nipc_os os, unsigned *notes)
{
	char hex[NIPC_SHA1_HEX_LEN + 1];
	const char *prefix = kind == NIPC_KIND_SEM ? SEM_PREFIX : SHM_PREFIX;
	char *base, *native, *dir = NULL;
	size_t n, letters = 0;
	int prof, err;

	if (!start(out, name, kind, type, os, notes, &prof, &err))
		return err;
	if (!*name)
		return nipc__key_make(out, type, NULL, NULL);
	n = strlen(name);
	nipc_sha1_hex(name, n, hex);

	if (is_apple(prof) && type == NIPC_KEY_POSIX) {
		char apple[1 + APPLE_POSIX_MAX + 1];

		if (prof == NIPC_OS_MACOS_SANDBOXED)
			return nipc__key_make(out, type, name, name);
		snprintf(apple, sizeof apple, "/%.*s", APPLE_POSIX_MAX, hex);
		return nipc__key_make(out, type, apple, name);
	}

	base = malloc(strlen(prefix) + n + sizeof hex);
	if (!base)
		return -NIPC_ENOMEM;
	strcpy(base, prefix);
	for (size_t i = 0, at = strlen(prefix); i < n; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			base[at++] = c;
			base[at] = '\0';
			letters++;
		}
	}
	strcat(base, hex);

	if (type == NIPC_KEY_WINDOWS)
		return finish_free(out, type, base, name);
	if (type == NIPC_KEY_POSIX) {
		native = cat3("/", base, "");
	} else {
		if ((err = temp_dir(prof, &dir, notes))) {
			free(base);
			return err;
		}
		native = cat3(dir, "/", base);
		if (notes && name_too_long(kind, letters))
			*notes |= NIPC_NOTE_NAME_TOO_LONG;
	}
	free(base);
	free(dir);
	return finish_free(out, type, native, name);
}

/* ---------------------------------------------------- platform-safe keys */

/* XDG base directory rules for the runtime directory: create it 0700 if
 * missing; it must be a real directory owned by us with mode exactly 0700. */
static int runtime_dir_ok(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT || mkdir(path, 0700) < 0 || lstat(path, &st) < 0)
			return 0;
	}
	return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 07777) == 0700;
}

static int user_name(int host, char **out)
{
	if (host) {
		struct passwd pw, *res = NULL;
		char buf[4096];

		/* no entry: Qt uses an empty user name too */
		getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res);
		*out = strdup(res ? res->pw_name : "");
	} else {
		const char *u = getenv("USER");

		if (!u || !*u)
			u = getenv("LOGNAME");
		*out = strdup(u ? u : "");
	}
	return *out ? 0 : -NIPC_ENOMEM;
}

/* QStandardPaths::RuntimeLocation, as Qt 6 computes it on each profile.
 * *out is "" when there is none. */
static int runtime_dir(int os, char **out, unsigned *notes)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int host = os == (int)nipc_os_host();
	char *tmp, *user;
	int err;

	if (os == NIPC_OS_MACOS) {
		const char *home = getenv("HOME");

		if (!home || home[0] != '/') {
			if (notes)
				*notes |= NIPC_NOTE_RUNTIME_NONE;
			*out = strdup("");
		} else {
			*out = cat3(home, "/Library/Application Support", "");
		}
		return *out ? 0 : -NIPC_ENOMEM;
	}
	if (xdg && xdg[0] == '/' && (!host || runtime_dir_ok(xdg)))
		return (*out = strdup(xdg)) ? 0 : -NIPC_ENOMEM;
	if (notes)
		*notes |= NIPC_NOTE_RUNTIME_FALLBACK;
	if ((err = temp_dir(os, &tmp, notes)))
		return err;
	if ((err = user_name(host, &user))) {
		free(tmp);
		return err;
	}
	*out = cat3(tmp, "/runtime-", user);
	free(tmp);
	free(user);
	if (!*out)
		return -NIPC_ENOMEM;
	if (host && !runtime_dir_ok(*out)) {
		if (notes)
			*notes |= NIPC_NOTE_RUNTIME_NONE;
		**out = '\0';
	}
	return 0;
}

/* name cut to at most units UTF-16 code units; a surrogate pair split in
 * half leaves its high half, which Qt's UTF-8 encoder writes as '?'. */
static char *cut_utf16(const char *s, size_t units, unsigned *notes)
{
	size_t n = strlen(s);
	int split;
	size_t keep = nipc_utf16_prefix(s, n, units, &split);
	char *out = malloc(keep + 2);

	if (!out)
		return NULL;
	memcpy(out, s, keep);
	out[keep] = '\0';
	if (split)
		strcat(out, "?");
	if (notes && keep < n)
		*notes |= NIPC_NOTE_TRUNCATED;
	return out;
}

static int safe_windows(nipc_key **out, const char *name, nipc_kind kind, unsigned *notes)
{
	static const char *const ns[] = {"Local\\", "Global\\"};
	const char *mid = kind == NIPC_KIND_SEM ? "sem_" : "shm_";
	char *full, *cut;
	size_t pl = 0;

	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
		if (!strncmp(name, ns[i], strlen(ns[i]))) {
			pl = strlen(ns[i]);
			break;
		}
	if (asprintf(&full, "%.*s%s%s", (int)pl, name, mid, name + pl) < 0)
		return -NIPC_ENOMEM;
	cut = cut_utf16(full, WIN_MAX_PATH, notes);
	free(full);
	return finish_free(out, NIPC_KEY_WINDOWS, cut, NULL);
}

int nipc_key_platform_safe(nipc_key **out, const char *name, nipc_kind kind, int type,
			   nipc_os os, unsigned *notes)
{
	char *native, *dir;
	int prof, err;

	if (!start(out, name, kind, type, os, notes, &prof, &err))
		return err;
	if (!*name)
		return nipc__key_make(out, type, NULL, NULL);

	if (type == NIPC_KEY_WINDOWS)
		return safe_windows(out, name, kind, notes);
	if (type == NIPC_KEY_POSIX) {
		char *cut = is_apple(prof) ? cut_utf16(name, APPLE_POSIX_MAX, notes) : strdup(name);

		if (!cut)
			return -NIPC_ENOMEM;
		native = cat3("/", cut, "");
		free(cut);
	} else if (name[0] == '/') {
		native = strdup(name);
	} else {
		if ((err = runtime_dir(prof, &dir, notes)))
			return err;
		native = cat3(dir, "/", name);
		free(dir);
	}
	return finish_free(out, type, native, NULL);
}
