/* SPDX-License-Identifier: MIT */
/* nipc ls — every IPC object in one table: System V (kernel and the
 * shim's emulation), POSIX, Qt key files, with the processes that use
 * each, its creator's liveness and a verdict (nipc(1), VERDICTS). */
#include "config.h"

#include "common.h"
#include "objects.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SHM_DEST
#define SHM_DEST 01000
#endif
#ifndef SHM_LOCKED
#define SHM_LOCKED 02000
#endif

static const char usage_text[] =
	"usage: nipc ls [-o COLUMNS] [--json] [-b] [--verdict V] [--family F]\n"
	"               [--key GLOB] [--user USER]\n"
	"Lists System V segments, semaphore sets and message queues (the kernel's\n"
	"and the emulation's), POSIX segments, named semaphores and message queues,\n"
	"and Qt key files, with the processes using each and a verdict:\n"
	"in-use, orphan, idle or unknown (see nipc(1)).\n"
	"  -o, --output COLUMNS  comma-separated columns (--list-columns names them)\n"
	"  --json                one JSON array, every column unless -o\n"
	"  -b, --bytes           sizes in bytes\n"
	"  --verdict V           only objects with verdict V (repeatable)\n"
	"  --family F            sysv, sysv-shm, sysv-sem, sysv-msg, posix, posix-shm,\n"
	"                        posix-sem, posix-mq, shm, sem, msg, qt-keyfile, all\n"
	"                        (repeatable)\n"
	"  --key GLOB            key (0x...), id or name matches GLOB\n"
	"  --user USER           owned by USER (a name or a uid)\n"
	"  --list-columns        the columns and what they show\n";

/* ------------------------------------------------------------ output */

enum col { C_TYPE, C_KEY, C_ID, C_NAME, C_KEYFILE, C_OWNER, C_PERMS, C_SIZE, C_NATTCH,
	   C_NSEMS, C_STATUS, C_CPID, C_LPID, C_COMMAND, C_CTIME, C_USERS, C_CREATOR,
	   C_EMULATED, C_VERDICT, C_WHY, C_N };

static const struct {
	const char *name, *help;
} cols[C_N] = {
	[C_TYPE] = {"TYPE", "family: sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, posix-mq, qt-keyfile"},
	[C_KEY] = {"KEY", "System V key"},
	[C_ID] = {"ID", "System V id"},
	[C_NAME] = {"NAME", "nipc's string form (POSIX name; the emulation's backing object)"},
	[C_KEYFILE] = {"KEYFILE", "a Qt key file whose ftok() is the key: a candidate, ftok is lossy"},
	[C_OWNER] = {"OWNER", "owner's user name"},
	[C_PERMS] = {"PERMS", "permissions"},
	[C_SIZE] = {"SIZE", "size (System V message queue: bytes queued)"},
	[C_NATTCH] = {"NATTCH", "attachments (System V segments)"},
	[C_NSEMS] = {"NSEMS", "semaphores in the set"},
	[C_STATUS] = {"STATUS", "dest (removed, still attached), locked (SHM_LOCK)"},
	[C_CPID] = {"CPID", "creator's pid"},
	[C_LPID] = {"LPID", "last operator's pid"},
	[C_COMMAND] = {"COMMAND", "creator's command (alive, or as the ledger recorded it)"},
	[C_CTIME] = {"CTIME", "last change (creation, IPC_SET; POSIX: the file's)"},
	[C_USERS] = {"USERS", "processes that map, hold or are attached to it: pid/command"},
	[C_CREATOR] = {"CREATOR", "creator alive or dead (pid and start time against CTIME)"},
	[C_EMULATED] = {"EMULATED", "an object of the shim's System V emulation"},
	[C_VERDICT] = {"VERDICT", "in-use, orphan, idle, unknown"},
	[C_WHY] = {"WHY", "the evidence behind the verdict"},
};

static const enum col default_cols[] = {C_TYPE, C_KEY, C_ID, C_NAME, C_OWNER, C_PERMS,
					C_SIZE, C_NATTCH, C_USERS, C_CREATOR, C_VERDICT};

static int bytes;

/* b gets s, cut to n - 1 bytes as snprintf would; its length. Cells are
 * made twice for each of thousands of rows: no format string is parsed
 * for the common ones. */
static size_t put_s(char *b, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (l >= n)
		l = n - 1;
	memcpy(b, s, l);
	b[l] = 0;
	return l;
}

/* b gets v in decimal; its length. */
static size_t put_ll(char *b, size_t n, long long v)
{
	char t[24];
	size_t k = sizeof t;
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	t[--k] = 0;
	do
		t[--k] = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		t[--k] = '-';
	return put_s(b, n, t + k);
}

static void human(char *b, size_t n, unsigned long long v)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (bytes || v < 1024) {
		if (v <= (unsigned long long)INT64_MAX)
			put_ll(b, n, (long long)v);
		else
			snprintf(b, n, "%llu", v);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (d < 10 && (unsigned long long)(d * 10) % 10)
		snprintf(b, n, "%.1f%c", d, units[u]);
	else
		snprintf(b, n, "%.0f%c", d, units[u]);
}

/* getpwuid reads the user database each time: the last few answers kept. */
static void owner(char *b, size_t n, uid_t uid)
{
	static struct { uid_t uid; int used; char name[64]; } cache[8];
	static unsigned next;
	struct passwd *pw;

	for (int i = 0; i < 8; i++)
		if (cache[i].used && cache[i].uid == uid) {
			put_s(b, n, cache[i].name);
			return;
		}
	pw = getpwuid(uid);
	if (pw)
		snprintf(b, n, "%s", pw->pw_name);
	else
		snprintf(b, n, "%u", (unsigned)uid);
	cache[next % 8].uid = uid;
	cache[next % 8].used = 1;
	snprintf(cache[next % 8].name, sizeof cache[0].name, "%s", b);
	next++;
}

static int is_na(const struct obj *o, enum col c)
{
	int sysv = !strncmp(o->type, "sysv", 4), key = !strcmp(o->type, "qt-keyfile");

	switch (c) {
	case C_KEY: return !o->has_key;
	case C_ID: return !o->has_id;
	case C_NAME: return !o->name;
	case C_KEYFILE: return !o->keyfile;
	case C_SIZE: return !strcmp(o->type, "sysv-sem") || !strcmp(o->type, "posix-sem") || key;
	case C_NATTCH: return o->nattch < 0;
	case C_NSEMS: return o->nsems < 0;
	case C_CPID: return o->cpid <= 0;
	case C_LPID: return o->lpid <= 0;
	case C_COMMAND: return !o->ccomm[0];
	case C_CREATOR: return !o->creator;
	case C_USERS: return key;
	case C_STATUS: return !sysv;
	default: return 0;
	}
}

/* The text of a cell; json: the JSON value. Its length. */
static size_t cell(char *b, size_t n, const struct obj *o, enum col c, int json)
{
	size_t k = 0;

	b[0] = 0;
	if (is_na(o, c))
		return put_s(b, n, json ? "null" : "-");
	switch (c) {
	case C_TYPE: return put_s(b, n, o->type);
	case C_KEY:
		if (n < 11)
			return 0;
		memcpy(b, "0x", 2);
		for (int i = 0; i < 8; i++)
			b[2 + i] = "0123456789abcdef"[(uint32_t)o->key >> (28 - 4 * i) & 0xf];
		b[10] = 0;
		return 10;
	case C_ID: return put_ll(b, n, o->id);
	case C_NAME: return put_s(b, n, o->name);
	case C_KEYFILE: snprintf(b, n, json ? "%s" : "%s?", o->keyfile); break;
	case C_OWNER: owner(b, n, o->uid); break;
	case C_PERMS:
		if (json)
			snprintf(b, n, "%04o", o->mode & 0777);
		else
			for (int i = 0; i < 9; i++)
				b[k++] = (o->mode >> (8 - i)) & 1 ? "rwx"[i % 3] : '-', b[k] = 0;
		break;
	case C_SIZE:
		if (json)
			snprintf(b, n, "%llu", o->size);
		else
			human(b, n, o->size);
		break;
	case C_NATTCH: return put_ll(b, n, o->nattch);
	case C_NSEMS: return put_ll(b, n, o->nsems);
	case C_STATUS:
		snprintf(b, n, "%s%s%s", o->mode & SHM_DEST && !strcmp(o->type, "sysv-shm") ? "dest" : "",
			 (o->mode & SHM_DEST) && (o->mode & SHM_LOCKED) ? "," : "",
			 o->mode & SHM_LOCKED && !strcmp(o->type, "sysv-shm") ? "locked" : "");
		break;
	case C_CPID: return put_ll(b, n, o->cpid);
	case C_LPID: return put_ll(b, n, o->lpid);
	case C_COMMAND: return put_s(b, n, o->ccomm);
	case C_CTIME: return put_ll(b, n, o->ctime);
	case C_USERS:
		for (int i = 0; i < o->nshown && k + 40 < n; i++) {
			if (i)
				b[k++] = ',';
			k += put_ll(b + k, n - k, obj_user(o, i)->pid);
			b[k++] = '/';
			k += put_s(b + k, n - k, obj_user(o, i)->comm);
		}
		if (o->nusers > o->nshown)
			snprintf(b + k, n - k, "%s+%d", k ? "," : "", o->nusers - o->nshown);
		else if (!o->nusers)
			snprintf(b, n, json ? "[]" : "-");
		break;
	case C_CREATOR:
		if (json) {
			snprintf(b, n, "{\"pid\":%d,\"alive\":%s}", (int)o->cpid, o->creator == 1 ? "true" : "false");
			break;
		}
		k = put_ll(b, n, o->cpid);
		return k + put_s(b + k, n - k, o->creator == 1 ? ":alive" : ":dead");
	case C_EMULATED: return put_s(b, n, o->emulated ? (json ? "true" : "yes") : (json ? "false" : "no"));
	case C_VERDICT: return put_s(b, n, verdict_names[o->verdict]);
	case C_WHY: return put_s(b, n, o->why ? o->why : "");
	default: break;
	}
	return strlen(b);
}

static int is_json_string(enum col c)
{
	return c != C_ID && c != C_SIZE && c != C_NATTCH && c != C_NSEMS && c != C_CPID &&
	       c != C_LPID && c != C_CTIME && c != C_USERS && c != C_CREATOR && c != C_EMULATED;
}

static void json_users(const struct obj *o)
{
	fputc('[', stdout);
	for (int i = 0; i < o->nshown; i++) {
		printf("%s{\"pid\":%d,\"command\":", i ? "," : "", (int)obj_user(o, i)->pid);
		json_string(stdout, obj_user(o, i)->comm);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

static void print_json(const enum col *sel, int nsel)
{
	char b[4096];
	int has_type = 0;

	char key[C_N][20];      /* "name": in lower case, made once */

	for (int j = 0; j < nsel; j++) {
		size_t k;

		has_type |= sel[j] == C_TYPE;
		key[j][0] = '"';
		for (k = 0; cols[sel[j]].name[k]; k++)
			key[j][k + 1] = (char)(cols[sel[j]].name[k] | 0x20);
		memcpy(key[j] + k + 1, "\":", 3);
	}
	fputs("[", stdout);
	for (size_t i = 0; i < nobjs; i++) {
		const struct obj *o = &objs[i];

		fputs(i ? ",\n {" : "\n {", stdout);
		if (!has_type) {
			fputs("\"type\":", stdout);
			json_string(stdout, o->type);
		}
		for (int j = 0; j < nsel; j++) {
			if (j || !has_type)
				putchar(',');
			fputs(key[j], stdout);
			if (sel[j] == C_USERS && !is_na(o, C_USERS)) {
				json_users(o);
				continue;
			}
			cell(b, sizeof b, o, sel[j], 1);
			if (is_json_string(sel[j]) && !is_na(o, sel[j]))
				json_string(stdout, b);
			else
				fputs(b, stdout);
		}
		fputc('}', stdout);
	}
	fputs(nobjs ? "\n]\n" : "]\n", stdout);
}

/* s, n bytes long, in a column w wide. */
static void put_cell(const char *s, size_t n, size_t w, int last)
{
	static const char spaces[] = "                                ";
	size_t pad = n < w ? w - n + 1 : 1;

	fwrite(s, 1, n, stdout);
	if (last) {
		putchar('\n');
		return;
	}
	for (size_t k; pad; pad -= k) {
		k = pad < sizeof spaces - 1 ? pad : sizeof spaces - 1;
		fwrite(spaces, 1, k, stdout);
	}
}

static void print_table(const enum col *sel, int nsel)
{
	size_t w[C_N] = {0};
	char b[4096];

	for (int j = 0; j < nsel; j++)
		w[j] = strlen(cols[sel[j]].name);
	for (size_t i = 0; i < nobjs; i++)
		for (int j = 0; j < nsel; j++) {
			size_t l = cell(b, sizeof b, &objs[i], sel[j], 0);

			if (l > w[j])
				w[j] = l;
		}
	for (int j = 0; j < nsel; j++)
		put_cell(cols[sel[j]].name, strlen(cols[sel[j]].name), w[j], j + 1 == nsel);
	for (size_t i = 0; i < nobjs; i++)
		for (int j = 0; j < nsel; j++) {
			size_t l = cell(b, sizeof b, &objs[i], sel[j], 0);

			put_cell(b, l, w[j], j + 1 == nsel);
		}
}

/* ----------------------------------------------------------- filters */

static const struct {
	const char *name, *types;
} families[] = {
	{"all", "sysv-shm sysv-sem sysv-msg posix-shm posix-sem posix-mq qt-keyfile"},
	{"sysv", "sysv-shm sysv-sem sysv-msg"},
	{"posix", "posix-shm posix-sem posix-mq"},
	{"shm", "sysv-shm posix-shm"},
	{"sem", "sysv-sem posix-sem"},
	{"msg", "sysv-msg posix-mq"},
	{"sysv-shm", "sysv-shm"}, {"sysv-sem", "sysv-sem"}, {"sysv-msg", "sysv-msg"},
	{"posix-shm", "posix-shm"}, {"posix-sem", "posix-sem"}, {"posix-mq", "posix-mq"},
	{"qt-keyfile", "qt-keyfile"},
};

static int word_in(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

static const char *fam[16], *verd[8];

static int nfams;

/* Objects of type are asked for (by --family, or no --family at all). */
static int wanted(const char *type)
{
	for (int i = 0; i < nfams; i++)
		if (word_in(families[FIND_ROW(families, fam[i])].types, type))
			return 1;
	return !nfams;
}

static int keep(const struct obj *o, int nfam, int nverd, const char *glob, long uid)
{
	int ok = !nfam;
	char b[64];

	for (int i = 0; i < nfam; i++)
		ok |= word_in(families[FIND_ROW(families, fam[i])].types, o->type);
	if (!ok)
		return 0;
	for (ok = !nverd; nverd--;)
		ok |= !strcmp(verd[nverd], verdict_names[o->verdict]);
	if (!ok || (uid >= 0 && o->uid != (uid_t)uid))
		return 0;
	if (!glob)
		return 1;
	snprintf(b, sizeof b, "0x%08x", (unsigned)o->key);
	if (o->has_key && !fnmatch(glob, b, 0))
		return 1;
	snprintf(b, sizeof b, "%lld", o->id);
	if (o->has_id && !fnmatch(glob, b, 0))
		return 1;
	return (o->name && !fnmatch(glob, o->name, 0)) ||
	       (o->keyfile && !fnmatch(glob, o->keyfile, 0));
}

static int parse_cols(const char *s, enum col *sel, int *nsel)
{
	char buf[512], *save, *t;

	snprintf(buf, sizeof buf, "%s", s);
	*nsel = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = -1;

		for (int c = 0; c < C_N; c++)
			if (!strcasecmp(t, cols[c].name))
				found = c;
		if (found < 0)
			return usage_error("ls: unknown column '%s' (see nipc ls --list-columns)", t);
		if (*nsel == C_N)
			return usage_error("ls: too many columns");
		sel[(*nsel)++] = (enum col)found;
	}
	return *nsel ? EXIT_OK : usage_error("ls: -o needs at least one column");
}

static const struct opt ls_opts[] = {
	{.name = "output", .short_name = 'o', .has_value = 1, .needs = "a list of columns"},
	{.name = "json"},
	{.name = "bytes", .short_name = 'b'},
	{.name = "verdict", .has_value = 1, .list = verd, .list_max = 8},
	{.name = "family", .has_value = 1, .list = fam, .list_max = 16},
	{.name = "key", .has_value = 1, .needs = "a glob"},
	{.name = "user", .has_value = 1},
	{.name = "list-columns"},
	{NULL}};

int cmd_ls(int argc, char **argv)
{
	struct cmdline c = {.who = "ls", .see = "nipc ls --help", .opts = ls_opts};
	enum col sel[C_N];
	int nsel, rc = parse_cmdline(&c, argc, argv);
	long uid = -1;
	size_t k = 0;

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (c.seen[7]) {
		for (int i = 0; i < C_N; i++)
			printf("%-9s %s\n", cols[i].name, cols[i].help);
		return EXIT_OK;
	}
	bytes = c.seen[2];
	for (int i = 0; i < c.seen[3]; i++)
		if (FIND_ROW(verdict_names, verd[i]) < 0)
			return usage_error("ls: unknown verdict '%s' (in-use, orphan, idle, unknown)", verd[i]);
	for (int i = 0; i < c.seen[4]; i++)
		if (FIND_ROW(families, fam[i]) < 0)
			return usage_error("ls: unknown family '%s' (see nipc ls --help)", fam[i]);
	if (c.val[6]) {
		struct passwd *pw = getpwnam(c.val[6]);
		unsigned long long u;

		if (pw)
			uid = (long)pw->pw_uid;
		else if (parse_num(c.val[6], 0, UINT32_MAX - 1, &u) == 0)
			uid = (long)u;
		else
			return usage_error("ls: unknown user '%s'", c.val[6]);
	}
	if (c.val[0]) {
		if ((rc = parse_cols(c.val[0], sel, &nsel)))
			return rc;
	} else if (c.seen[1]) {
		for (nsel = 0; nsel < C_N; nsel++)
			sel[nsel] = (enum col)nsel;
	} else {
		nsel = (int)(sizeof default_cols / sizeof default_cols[0]);
		memcpy(sel, default_cols, sizeof default_cols);
	}
	nfams = c.seen[4];
	rc = objects_collect(wanted, "ls");
	if (!ps)
		return rc;
	for (size_t i = 0; i < nobjs; i++)
		if (keep(&objs[i], c.seen[4], c.seen[3], c.val[5], uid))
			objs[k++] = objs[i];
		else
			obj_free(&objs[i]);
	nobjs = k;
	/* one thread prints: no lock per character */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	if (c.seen[1])
		print_json(sel, nsel);
	else
		print_table(sel, nsel);
	objects_free();
	return rc;
}
