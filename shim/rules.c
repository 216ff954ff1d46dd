/* SPDX-License-Identifier: MIT */
/* The rule language: parser, checks and the per-object decision
 * (nipc-preload(7) RULES is the reference; keep the two in step). */
#include "config.h"

#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <unistd.h>

struct rule {
	unsigned fam;           /* the family word's bits */
	char *glob;             /* NULL: every key */
	int src;
	unsigned line, col;
	unsigned sets;          /* 1 << RK_ kinds it sets */
	unsigned app[RK_COUNT]; /* families each kind applies to */
	enum rules_backend backend;
	enum rules_cleanup cleanup;
	int trace;
	char *name, *rename;    /* templates, or NULL */
	char *text[RK_COUNT];   /* the actions as written */
};

struct rules {
	struct rule *v;
	size_t n, cap;
	char **src;
	size_t nsrc;
	struct rules_diag *d;
	size_t nd, dcap;
	int errors;
	int finished;
	unsigned acting;        /* rules_acting() */
};

static const struct {
	const char *word;
	unsigned bits;
} families[] = {
	{"sysv-shm", RF_SYSV_SHM}, {"sysv-sem", RF_SYSV_SEM}, {"sysv-msg", RF_SYSV_MSG},
	{"posix-shm", RF_POSIX_SHM}, {"posix-sem", RF_POSIX_SEM}, {"posix-mq", RF_POSIX_MQ},
	{"windows-shm", RF_WIN_SHM}, {"windows-sem", RF_WIN_SEM}, {"ftok", RF_FTOK},
	{"all", RF_ALL}, {"sysv", RF_SYSV}, {"posix", RF_POSIX}, {"windows", RF_WIN},
	{"shm", RF_SYSV_SHM | RF_POSIX_SHM | RF_WIN_SHM},
	{"sem", RF_SYSV_SEM | RF_POSIX_SEM | RF_WIN_SEM},
	{"msg", RF_SYSV_MSG | RF_POSIX_MQ},
};

#define NFAMILIES (sizeof families / sizeof families[0])
#define FAM_WORDS "all, sysv, sysv-shm, sysv-sem, sysv-msg, posix, posix-shm, posix-sem, " \
	"posix-mq, windows, windows-shm, windows-sem, ftok, shm, sem, msg"

/* Where each action can act. */
#define APP_KERNEL (RF_SYSV | RF_WIN)
#define APP_EMUL (RF_SYSV_SHM | RF_SYSV_SEM | RF_WIN)
#define APP_OBJECTS (RF_ALL & ~RF_FTOK)

static const char *const kind_word[RK_COUNT] = {"backend", "rename", "cleanup", "trace"};

unsigned rules_family_bits(const char *word, size_t len)
{
	if (len == (size_t)-1)
		len = strlen(word);
	for (size_t i = 0; i < NFAMILIES; i++)
		if (strlen(families[i].word) == len && !memcmp(families[i].word, word, len))
			return families[i].bits;
	return 0;
}

const char *rules_family_name(unsigned bit)
{
	for (size_t i = 0; i < 9; i++)
		if (families[i].bits == bit)
			return families[i].word;
	return NULL;
}

/* ------------------------------------------------------------------ glob */

/* Length of the class at g ('[' ... ']'), 0 if unterminated. */
static size_t class_len(const char *g)
{
	size_t i = 1;

	if (g[i] == '!')
		i++;
	if (g[i] == ']')
		i++;
	for (; g[i] && g[i] != ']'; i++)
		if (g[i] == '\\' && g[i + 1])
			i++;
	return g[i] == ']' ? i + 1 : 0;
}

static int class_match(const char *g, size_t len, unsigned char c)
{
	size_t i = 1, end = len - 1;
	int neg = 0, hit = 0;

	if (g[i] == '!') {
		neg = 1;
		i++;
	}
	while (i < end) {
		unsigned char lo, hi;

		if (g[i] == '\\' && i + 1 < end)
			i++;
		lo = hi = (unsigned char)g[i++];
		if (g[i] == '-' && i + 1 < end) {
			i++;
			if (g[i] == '\\' && i + 1 < end)
				i++;
			hi = (unsigned char)g[i++];
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	return hit != neg;
}

/* One pattern element at *g against c: 1 match, 0 not; *step its length. */
static int elem_match(const char *g, unsigned char c, size_t *step)
{
	if (*g == '?') {
		*step = 1;
		return 1;
	}
	if (*g == '[') {
		size_t n = class_len(g);

		if (n) {
			*step = n;
			return class_match(g, n, c);
		}
	}
	if (*g == '\\' && g[1]) {
		*step = 2;
		return (unsigned char)g[1] == c;
	}
	*step = 1;
	return (unsigned char)*g == c;
}

/* The classic one-backtrack-point matcher: only the last '*' ever needs
 * to take more text. partial: the text is a prefix of a longer string
 * (could the glob match something that starts with it?). */
static int gmatch(const char *g, const char *t, int partial)
{
	const char *star_g = NULL, *star_t = NULL;

	for (;;) {
		size_t step;

		if (!*t) {
			if (partial)
				return 1;
			while (*g == '*')
				g++;
			return !*g;
		}
		if (*g == '*') {
			while (*g == '*')
				g++;
			if (!*g)
				return 1;
			star_g = g;
			star_t = t;
			continue;
		}
		if (*g && elem_match(g, (unsigned char)*t, &step)) {
			g += step;
			t++;
			continue;
		}
		if (!star_g)
			return 0;
		g = star_g;
		t = ++star_t;
	}
}

int rules_glob_match(const char *glob, const char *text)
{
	return gmatch(glob, text, 0);
}

static int glob_is_literal(const char *g)
{
	for (; *g; g++) {
		if (*g == '\\' && g[1])
			g++;
		else if (*g == '*' || *g == '?' || (*g == '[' && class_len(g)))
			return 0;
	}
	return 1;
}

static int glob_all_stars(const char *g)
{
	while (*g == '*')
		g++;
	return !*g;
}

static void unescape(char *dst, const char *g)
{
	for (; *g; g++) {
		if (*g == '\\' && g[1])
			g++;
		*dst++ = *g;
	}
	*dst = 0;
}

/* --------------------------------------------------------- diagnostics */

/* Room for one more of n elements of size in *arr (capacity *cap). */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 16;
	void *p;

	if (n < *cap)
		return 0;
	if (!(p = realloc(*arr, c * size)))
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

static int diag(struct rules *r, enum rules_severity sev, int src, unsigned line,
		unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int diag(struct rules *r, enum rules_severity sev, int src, unsigned line,
		unsigned col, const char *fmt, ...)
{
	struct rules_diag *d;
	va_list ap;

	if (grow((void **)&r->d, &r->dcap, r->nd, sizeof *r->d))
		return -1;
	d = &r->d[r->nd++];
	d->severity = sev;
	/* an index until rules_finish: the source array may move */
	d->source = (const char *)(uintptr_t)src;
	d->line = line;
	d->col = col;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	if (sev == RS_ERROR)
		r->errors++;
	return 0;
}

/* ------------------------------------------------------------- parsing */

struct word {
	const char *p;          /* into the line */
	size_t len;
	unsigned col;
};

#define MAX_WORDS 64

/* Words separated by blanks; '\' keeps the next byte in the word; '#' at
 * the start of a word starts a comment. Returns the count, -1 if too many. */
static int split(const char *s, size_t n, struct word *w)
{
	int nw = 0;
	size_t i = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '#')
			return nw;
		if (nw == MAX_WORDS)
			return -1;
		w[nw].p = s + i;
		w[nw].col = (unsigned)i + 1;
		while (i < n && s[i] != ' ' && s[i] != '\t') {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			i++;
		}
		w[nw].len = (size_t)(s + i - w[nw].p);
		nw++;
	}
}

/* An action word: lower-case letters or '-', then '=' or the end. */
static int action_like(const struct word *w)
{
	size_t i = 0;

	while (i < w->len && ((w->p[i] >= 'a' && w->p[i] <= 'z') || w->p[i] == '-'))
		i++;
	return i > 0 && (i == w->len || w->p[i] == '=');
}

struct ctx {
	struct rules *r;
	int src;
	unsigned line;
};

#define ERR(c, col, ...) diag((c)->r, RS_ERROR, (c)->src, (c)->line, (col), __VA_ARGS__)

static char *dup_word(const struct word *w, size_t skip)
{
	char *s = malloc(w->len - skip + 1);

	if (s) {
		memcpy(s, w->p + skip, w->len - skip);
		s[w->len - skip] = 0;
	}
	return s;
}

/* Column (0-based offset into g) of a glob error, or -1. */
static long glob_check(const char *g, const char **why)
{
	for (const char *p = g; *p; p++) {
		if (*p == '\\') {
			if (!p[1]) {
				*why = "the glob ends with a lone \\";
				return p - g;
			}
			p++;
		} else if (*p == '[') {
			size_t n = class_len(p);

			if (!n) {
				*why = "unterminated [ in the glob";
				return p - g;
			}
			p += n - 1;
		}
	}
	return -1;
}

static const char *family_list(unsigned bits, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned b = 1; b <= RF_FTOK; b <<= 1)
		if (bits & b)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
					      n ? ", " : "", rules_family_name(b));
	return buf;
}

/* Checks a name=/rename= template against the families it applies to.
 * 0, or -1 after an error at col (the value's first column). */
static int tpl_check(struct ctx *c, const char *act, const char *t, unsigned col, unsigned app)
{
	size_t lit = 0;
	int fields = 0;

	if (*t != '/')
		return ERR(c, col, "%s= must start with / (a POSIX name)", act), -1;
	for (const char *p = t + 1; *p; p++) {
		unsigned at = col + (unsigned)(p - t);

		if (*p == '/')
			return ERR(c, at, "%s=: a POSIX name has no / after the first", act), -1;
		if (*p != '%') {
			lit++;
			continue;
		}
		switch (*++p) {
		case '%':
			lit++;
			break;
		case 'n':
			if (app & (RF_SYSV | RF_FTOK))
				return ERR(c, at, "%s=: %%n is not defined for System V keys "
					   "(use %%b or %%k)", act), -1;
			fields++;
			break;
		case 'b':
		case 'k':
			if (app & ~(RF_SYSV | RF_FTOK))
				return ERR(c, at, "%s=: %%%c is defined for System V keys only", act, *p), -1;
			fields++;
			break;
		case 'u':
			fields++;
			break;
		case 0:
			return ERR(c, at, "%s=: the template ends with a lone %%", act), -1;
		default:
			return ERR(c, at, "%s=: unknown template field %%%c (%%n %%b %%k %%u %%%%)",
				   act, *p), -1;
		}
	}
	if (!fields && !lit)
		return ERR(c, col, "%s=: the name is empty after /", act), -1;
	if (!fields && lit > RULES_NAME_MAX)
		return ERR(c, col, "%s=: the name is longer than %d bytes after /", act,
			   RULES_NAME_MAX), -1;
	return fields;
}

static int popcount(unsigned v)
{
	return __builtin_popcount(v);
}

/* The checks that need the whole rule. 0, or -1 after an error. */
static int rule_check(struct ctx *c, struct rule *ru, const unsigned *col)
{
	char fl[200];
	int lit_ok;

	if (ru->name && ru->backend != RB_POSIX)
		return ERR(c, col[4], "name= needs backend=posix on the same rule"), -1;
	if (!ru->sets)
		return ERR(c, ru->col, "no action: a rule needs backend=, rename=, cleanup=, "
			   "trace or notrace"), -1;
	lit_ok = ru->glob && glob_is_literal(ru->glob);
	if (ru->sets & 1u << RK_BACKEND) {
		unsigned app = ru->fam & (ru->backend == RB_POSIX ? APP_EMUL : APP_KERNEL);

		if (!app && ru->backend == RB_POSIX && (ru->fam & RF_SYSV_MSG))
			return ERR(c, col[RK_BACKEND], "System V message queues are not emulated: "
				   "backend=posix cannot apply to sysv-msg"), -1;
		if (!app)
			return ERR(c, col[RK_BACKEND], "backend= applies to System V and Windows "
				   "objects, not to %s", family_list(ru->fam, fl, sizeof fl)), -1;
		ru->app[RK_BACKEND] = app;
		if (ru->name) {
			int f = tpl_check(c, "name", ru->name, col[4] + 5, app);

			if (f < 0)
				return -1;
			if (!f && !(lit_ok && popcount(app) == 1))
				return ERR(c, col[4], "name=%s is a literal name on a rule that can "
					   "match more than one key (add %%k, %%b or %%n, or match one "
					   "family and one key)", ru->name), -1;
		}
	}
	if (ru->sets & 1u << RK_RENAME) {
		unsigned app = ru->fam & RF_POSIX;
		int f;

		if (!app)
			return ERR(c, col[RK_RENAME], "rename= applies to POSIX objects (posix-shm, "
				   "posix-sem, posix-mq), not to %s", family_list(ru->fam, fl, sizeof fl)), -1;
		ru->app[RK_RENAME] = app;
		f = tpl_check(c, "rename", ru->rename, col[RK_RENAME] + 7, app);
		if (f < 0)
			return -1;
		if (!f && !(lit_ok && popcount(app) == 1))
			return ERR(c, col[RK_RENAME], "rename=%s is a literal name on a rule that can "
				   "match more than one key (add %%n or %%u, or match one family and one "
				   "key)", ru->rename), -1;
	}
	if (ru->sets & 1u << RK_CLEANUP) {
		ru->app[RK_CLEANUP] = ru->fam & APP_OBJECTS;
		if (!ru->app[RK_CLEANUP])
			return ERR(c, col[RK_CLEANUP], "cleanup= applies to objects, not to ftok"), -1;
	}
	ru->app[RK_TRACE] = ru->fam;
	return 0;
}

static void rule_free(struct rule *ru)
{
	free(ru->glob);
	free(ru->name);
	free(ru->rename);
	for (int k = 0; k < RK_COUNT; k++)
		free(ru->text[k]);
}

/* One action word into ru; col[] gets each kind's column (col[4]: name=). */
static int action(struct ctx *c, struct rule *ru, const struct word *w, unsigned *col)
{
	static const char *const backends[] = {NULL, "kernel", "posix"};
	static const char *const cleanups[] = {NULL, "exit", "last-detach", "never"};
	const char *eq = memchr(w->p, '=', w->len);
	size_t klen = eq ? (size_t)(eq - w->p) : w->len;
	const char *val = eq ? eq + 1 : NULL;
	size_t vlen = eq ? w->len - klen - 1 : 0;
	unsigned vcol = w->col + (unsigned)klen + 1;
	int kind;
	char *text;

#define KEYIS(s) (klen == sizeof(s) - 1 && !memcmp(w->p, s, klen))
	if (KEYIS("trace") || KEYIS("notrace")) {
		if (eq)
			return ERR(c, w->col, "%.*s takes no value", (int)klen, w->p), -1;
		kind = RK_TRACE;
	} else if (KEYIS("backend") || KEYIS("name") || KEYIS("rename") || KEYIS("cleanup")) {
		if (!eq || !vlen)
			return ERR(c, w->col, "%.*s= needs a value", (int)klen, w->p), -1;
		kind = KEYIS("rename") ? RK_RENAME : KEYIS("cleanup") ? RK_CLEANUP : RK_BACKEND;
	} else if (rules_family_bits(w->p, klen) && !eq) {
		return ERR(c, w->col, "one family word per rule (the groups are all, sysv, "
			   "posix, windows, shm, sem, msg)"), -1;
	} else {
		return ERR(c, w->col, "unknown action '%.*s' (backend=, name=, rename=, cleanup=, "
			   "trace, notrace)", (int)klen, w->p), -1;
	}
	if (KEYIS("name")) {
		if (ru->name)
			return ERR(c, w->col, "name= given twice on this rule"), -1;
		if (!(ru->name = dup_word(w, klen + 1)))
			return -1;
		col[4] = w->col;
		return 0;
	}
	if (ru->sets & 1u << kind) {
		if (kind == RK_TRACE)
			return ERR(c, w->col, "trace or notrace given twice on this rule"), -1;
		return ERR(c, w->col, "%s= given twice on this rule", kind_word[kind]), -1;
	}
	if (KEYIS("backend")) {
		for (int i = 1; i < 3; i++)
			if (strlen(backends[i]) == vlen && !memcmp(val, backends[i], vlen))
				ru->backend = (enum rules_backend)i;
		if (!ru->backend)
			return ERR(c, vcol, "unknown backend '%.*s' (kernel, posix)", (int)vlen, val), -1;
	} else if (KEYIS("cleanup")) {
		for (int i = 1; i < 4; i++)
			if (strlen(cleanups[i]) == vlen && !memcmp(val, cleanups[i], vlen))
				ru->cleanup = (enum rules_cleanup)i;
		if (!ru->cleanup)
			return ERR(c, vcol, "unknown cleanup '%.*s' (exit, last-detach, never)",
				   (int)vlen, val), -1;
	} else if (KEYIS("rename")) {
		if (!(ru->rename = dup_word(w, klen + 1)))
			return -1;
	} else {
		ru->trace = KEYIS("trace");
	}
#undef KEYIS
	if (!(text = dup_word(w, 0)))
		return -1;
	ru->text[kind] = text;
	ru->sets |= 1u << kind;
	col[kind] = w->col;
	return 0;
}

static int add_rule(struct rules *r, struct rule *ru)
{
	if (grow((void **)&r->v, &r->cap, r->n, sizeof *r->v))
		return -1;
	r->v[r->n++] = *ru;
	return 0;
}

/* What a line would act on, read leniently (errors or not), so that a
 * table with errors can fail those families closed: the line's families if
 * its first word is one, else every System V family. */
static void note_acting(struct rules *r, const struct word *w, int nw)
{
	static const char *const acts[] = {"backend=", "name=", "rename=", "cleanup="};
	unsigned fam;

	for (int i = 1; i < nw; i++)
		for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
			if (w[i].len >= strlen(acts[a]) &&
			    !memcmp(w[i].p, acts[a], strlen(acts[a]))) {
				fam = rules_family_bits(w[0].p, w[0].len) & ~RF_FTOK;
				r->acting |= fam ? fam : RF_SYSV;
				return;
			}
}

static int parse_line(struct ctx *c, const char *s, size_t n)
{
	struct word w[MAX_WORDS];
	struct rule ru;
	unsigned col[RK_COUNT + 1] = {0};
	int nw, i = 1;
	const void *nul = memchr(s, 0, n);

	if (nul) {
		c->r->acting |= RF_SYSV;
		return ERR(c, (unsigned)((const char *)nul - s) + 1, "NUL byte in the line");
	}
	nw = split(s, n, w);
	if (nw < 0) {
		c->r->acting |= RF_SYSV;
		return ERR(c, 1, "more than %d words on one line", MAX_WORDS);
	}
	if (!nw)
		return 0;
	note_acting(c->r, w, nw);
	memset(&ru, 0, sizeof ru);
	ru.src = c->src;
	ru.line = c->line;
	ru.col = w[0].col;
	ru.trace = -1;
	ru.fam = rules_family_bits(w[0].p, w[0].len);
	if (!ru.fam)
		return ERR(c, w[0].col, "unknown family '%.*s' (%s)", (int)w[0].len, w[0].p,
			   FAM_WORDS);
	if (nw > 1 && !action_like(&w[1])) {
		const char *why;
		long at;

		if (!(ru.glob = dup_word(&w[1], 0)))
			return -1;
		at = glob_check(ru.glob, &why);
		if (at >= 0) {
			free(ru.glob);
			return ERR(c, w[1].col + (unsigned)at, "%s", why);
		}
		i = 2;
	}
	for (; i < nw; i++) {
		if (!action_like(&w[i])) {
			rule_free(&ru);
			return ERR(c, w[i].col, "unexpected '%.*s': a rule is FAMILY [GLOB] ACTION...",
				   (int)w[i].len, w[i].p);
		}
		int before = c->r->errors;

		if (action(c, &ru, &w[i], col)) {
			rule_free(&ru);
			/* only running out of memory fails without a message */
			if (c->r->errors == before && ERR(c, w[i].col, "out of memory"))
				c->r->errors++;
			return 0;
		}
	}
	if (rule_check(c, &ru, col)) {
		rule_free(&ru);
		return 0;
	}
	if (add_rule(c->r, &ru)) {
		rule_free(&ru);
		return -1;
	}
	return 0;
}

static int add_source(struct rules *r, const char *name)
{
	char **p = realloc(r->src, (r->nsrc + 1) * sizeof *p);

	if (!p)
		return -1;
	r->src = p;
	if (!(p[r->nsrc] = strdup(name)))
		return -1;
	return (int)r->nsrc++;
}

static int parse_text(struct rules *r, int src, const char *s, size_t n)
{
	struct ctx c = {r, src, 0};

	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n;
		size_t l = len;

		c.line++;
		if (l && s[l - 1] == '\r')
			l--;
		if (parse_line(&c, s, l))
			return -1;
		if (!nl)
			break;
		s += len + 1;
		n -= len + 1;
	}
	return 0;
}

struct rules *rules_new(void)
{
	return calloc(1, sizeof(struct rules));
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_free(&r->v[i]);
	for (size_t i = 0; i < r->nsrc; i++)
		free(r->src[i]);
	free(r->v);
	free(r->src);
	free(r->d);
	free(r);
}

int rules_add_text(struct rules *r, const char *source, const char *text)
{
	int src = add_source(r, source);

	return src < 0 ? -1 : parse_text(r, src, text, strlen(text));
}

int rules_add_file(struct rules *r, const char *path)
{
	int src = add_source(r, path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, rc;

	if (src < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r->acting |= RF_SYSV;
		diag(r, RS_ERROR, src, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t got;

		if (n == cap) {
			char *p = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!p) {
				diag(r, RS_ERROR, src, 0, 0, "out of memory");
				break;
			}
			buf = p;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r->acting |= RF_SYSV;
			diag(r, RS_ERROR, src, 0, 0, "cannot read: %s", strerror(errno));
		}
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	rc = r->errors ? -1 : parse_text(r, src, buf, n);
	free(buf);
	return rc;
}

unsigned rules_acting(const struct rules *r)
{
	return r->acting;
}

unsigned rules_families(const struct rules *r, enum rules_kind k)
{
	unsigned f = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].sets & (1u << k))
			f |= r->v[i].app[k];
	return f;
}

size_t rules_count(const struct rules *r)
{
	return r->n;
}

void rules_where(const struct rules *r, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", r->src[r->v[i].src], r->v[i].line);
}

void rules_action_text(const struct rules *r, int i, enum rules_kind k, char *buf, size_t len)
{
	const struct rule *ru = &r->v[i];

	if (k == RK_BACKEND && ru->name)
		snprintf(buf, len, "%s name=%s", ru->text[k], ru->name);
	else
		snprintf(buf, len, "%s", ru->text[k] ? ru->text[k] : "");
}

/* ------------------------------------------------------------ warnings */

/* The key texts of each family start with one of these. */
static const char *const *prefixes(unsigned bit)
{
	static const char *const shm[] = {"systemv:", "systemv-", "0x", "IPC_PRIVATE", "shmid:", NULL};
	static const char *const sem[] = {"systemv:", "systemv-", "0x", "IPC_PRIVATE", "semid:", NULL};
	static const char *const msg[] = {"systemv:", "systemv-", "0x", "IPC_PRIVATE", "msqid:", NULL};
	static const char *const posix[] = {"posix:", NULL};
	static const char *const win[] = {"windows:", NULL};
	static const char *const ftok[] = {"systemv:", "systemv-", NULL};

	switch (bit) {
	case RF_SYSV_SHM: return shm;
	case RF_SYSV_SEM: return sem;
	case RF_SYSV_MSG: return msg;
	case RF_WIN_SHM: case RF_WIN_SEM: return win;
	case RF_FTOK: return ftok;
	default: return posix;
	}
}

/* Families of ru whose keys its glob can match. */
static unsigned glob_families(const struct rule *ru)
{
	unsigned ok = 0;

	if (!ru->glob)
		return ru->fam;
	for (unsigned b = 1; b <= RF_FTOK; b <<= 1)
		for (const char *const *p = prefixes(b); (ru->fam & b) && *p; p++)
			if (gmatch(ru->glob, *p, 1))
				ok |= b;
	return ok;
}

/* Every key ru matches, e matches too (as far as this can tell). */
static int covers(const struct rule *e, const struct rule *ru)
{
	char lit[4096];

	if (!e->glob || glob_all_stars(e->glob))
		return 1;
	if (!ru->glob)
		return 0;
	if (!strcmp(e->glob, ru->glob))
		return 1;
	if (!glob_is_literal(ru->glob) || strlen(ru->glob) >= sizeof lit)
		return 0;
	unescape(lit, ru->glob);
	return rules_glob_match(e->glob, lit);
}

/* The earlier rule that decides kind k for every key of family f ru
 * matches, or -1. */
static int shadow(const struct rules *r, size_t i, int k, unsigned f)
{
	for (size_t j = 0; j < i; j++) {
		const struct rule *e = &r->v[j];

		if ((e->sets & 1u << k) && (e->app[k] & f) && covers(e, &r->v[i]))
			return (int)j;
	}
	return -1;
}

static void warn_shadowed(struct rules *r, size_t i)
{
	const struct rule *ru = &r->v[i];
	char msg[200], where[160];
	size_t n = 0;

	for (int k = 0; k < RK_COUNT; k++) {
		int by = -1;

		if (!(ru->sets & 1u << k))
			continue;
		for (unsigned b = 1; b <= RF_FTOK; b <<= 1) {
			int j;

			if (!(ru->app[k] & b))
				continue;
			if ((j = shadow(r, i, k, b)) < 0)
				return;
			if (by < 0)
				by = j;
		}
		rules_where(r, by, where, sizeof where);
		n += (size_t)snprintf(msg + n, n < sizeof msg ? sizeof msg - n : 0, "%s%s from %s",
				      n ? ", " : "", kind_word[k], where);
	}
	diag(r, RS_WARNING, ru->src, ru->line, ru->col, "this rule never decides anything: "
	     "every key it matches gets %s", msg);
}

static void warn_unmatchable(struct rules *r, const struct rule *ru)
{
	char fl[200];

	if (glob_families(ru))
		return;
	diag(r, RS_WARNING, ru->src, ru->line, ru->col, "this rule never decides anything: "
	     "no key of %s can match '%s'", family_list(ru->fam, fl, sizeof fl), ru->glob);
}

/* cleanup=exit or last-detach on families where the shim cannot enforce
 * it, and nothing else: message queues (not interposed) and the System V
 * objects this rule itself routes to the emulation (nipc-preload(7)
 * CLEANUP AND THE LEDGER). A rule that also reaches enforced families is
 * not warned about. */
static void warn_unenforced(struct rules *r, const struct rule *ru)
{
	unsigned app = ru->app[RK_CLEANUP], no, mq;
	char fl[200];

	if (!(ru->sets & 1u << RK_CLEANUP) || ru->cleanup == RC_NEVER || !app)
		return;
	no = app & (RF_SYSV_MSG | RF_POSIX_MQ);
	if ((ru->sets & 1u << RK_BACKEND) && ru->backend == RB_POSIX)
		no |= app & ru->app[RK_BACKEND];
	if (no != app)
		return;
	mq = no & (RF_SYSV_MSG | RF_POSIX_MQ);
	diag(r, RS_WARNING, ru->src, ru->line, ru->col, "cleanup=%s is not enforced for %s: %s%s%s",
	     ru->cleanup == RC_EXIT ? "exit" : "last-detach", family_list(no, fl, sizeof fl),
	     mq ? "the shim does not interpose message queues" : "",
	     mq && no != mq ? " and " : "",
	     no != mq ? "the emulation keeps System V semantics" : "");
}

static int diag_before(const struct rules_diag *x, const struct rules_diag *y)
{
	if (x->source != y->source)
		return x->source < y->source;
	if (x->line != y->line)
		return x->line < y->line;
	return x->col < y->col;
}

int rules_finish(struct rules *r)
{
	if (r->finished++)
		return r->errors;
	for (size_t i = 0; i < r->n; i++) {
		if (!glob_families(&r->v[i]))
			warn_unmatchable(r, &r->v[i]);
		else
			warn_shadowed(r, i);
		warn_unenforced(r, &r->v[i]);
	}
	/* sorted by source, line, column; equal keys keep their order (an
	 * insertion sort: stable, and there are few) */
	for (size_t i = 1; i < r->nd; i++) {
		struct rules_diag t = r->d[i];
		size_t j = i;

		for (; j > 0 && diag_before(&t, &r->d[j - 1]); j--)
			r->d[j] = r->d[j - 1];
		r->d[j] = t;
	}
	for (size_t i = 0; i < r->nd; i++)
		r->d[i].source = r->src[(uintptr_t)r->d[i].source];
	return r->errors;
}

const struct rules_diag *rules_diags(const struct rules *r, size_t *n)
{
	*n = r->nd;
	return r->d;
}

/* ------------------------------------------------------------ deciding */

static int is_private(const struct rules_key *k)
{
	return (k->family & RF_SYSV) &&
	       ((k->has_keyt && k->keyt == IPC_PRIVATE) || !strcmp(k->text, "IPC_PRIVATE"));
}

static int put(char *out, size_t *n, const char *s, size_t len)
{
	if (*n + len > RULES_NAME_MAX + 1)
		return -1;
	memcpy(out + *n, s, len);
	*n += len;
	return 0;
}

/* Expands template t for k into out. RX_OK or why not. */
static enum rules_xerr expand(const char *t, const struct rules_key *k, char *out, char *field)
{
	size_t n = 0;
	char num[24];

	for (const char *p = t; *p; p++) {
		const char *s = p;
		size_t len = 1;

		if (*p == '%') {
			*field = *++p;
			switch (*p) {
			case 'n':
				if (!k->native || !(k->family & (RF_POSIX | RF_WIN)))
					return RX_NO_FIELD;
				s = k->native + (k->native[0] == '/');
				len = strlen(s);
				break;
			case 'b':
				if (!k->native || !(k->family & (RF_SYSV | RF_FTOK)))
					return RX_NO_FIELD;
				s = strrchr(k->native, '/') ? strrchr(k->native, '/') + 1 : k->native;
				len = strlen(s);
				break;
			case 'k':
				if (!k->has_keyt)
					return RX_NO_FIELD;
				len = (size_t)snprintf(num, sizeof num, "%08x", (unsigned)k->keyt);
				s = num;
				break;
			case 'u':
				len = (size_t)snprintf(num, sizeof num, "%lu", (unsigned long)k->uid);
				s = num;
				break;
			default: /* %% (the parser let nothing else through) */
				break;
			}
			if (*p != '%' && memchr(s, '/', len))
				return RX_SLASH;
		}
		if (put(out, &n, s, len))
			return RX_TOO_LONG;
	}
	out[n] = 0;
	return n > 1 ? RX_OK : RX_EMPTY;
}

static void decide_init(struct rules_decision *d)
{
	for (int i = 0; i < RK_COUNT; i++)
		d->rule[i] = -1;
	d->backend = RB_UNSET;
	d->cleanup = RC_UNSET;
	d->trace = -1;
	d->name[0] = d->rename[0] = 0;
	d->error = RX_OK;
	d->error_kind = RK_BACKEND;
	d->error_field = 0;
}

int rules_decide(const struct rules *r, const struct rules_key *k, struct rules_decision *d)
{
	unsigned left = (1u << RK_COUNT) - 1;
	const struct rule *ru;

	decide_init(d);
	if (r->errors)
		return 0;
	for (size_t i = 0; i < r->n && left; i++) {
		unsigned take = 0;

		ru = &r->v[i];
		if (!(ru->fam & k->family) || !(ru->sets & left))
			continue;
		for (int kind = 0; kind < RK_COUNT; kind++)
			if ((ru->sets & left & 1u << kind) && (ru->app[kind] & k->family))
				take |= 1u << kind;
		if (!take || (ru->glob && !rules_glob_match(ru->glob, k->text)))
			continue;
		for (int kind = 0; kind < RK_COUNT; kind++)
			if (take & 1u << kind)
				d->rule[kind] = (int)i;
		if (take & 1u << RK_BACKEND)
			d->backend = ru->backend;
		if (take & 1u << RK_CLEANUP)
			d->cleanup = ru->cleanup;
		if (take & 1u << RK_TRACE)
			d->trace = ru->trace;
		left &= ~take;
	}
	if (d->rule[RK_BACKEND] >= 0 && (ru = &r->v[d->rule[RK_BACKEND]])->name && !is_private(k)) {
		d->error = expand(ru->name, k, d->name, &d->error_field);
		d->error_kind = RK_BACKEND;
		if (d->error) {
			d->name[0] = 0;
			return -1;
		}
	}
	if (d->rule[RK_RENAME] >= 0) {
		d->error = expand(r->v[d->rule[RK_RENAME]].rename, k, d->rename, &d->error_field);
		d->error_kind = RK_RENAME;
		if (d->error) {
			d->rename[0] = 0;
			return -1;
		}
	}
	return 0;
}

int rules_may_emulate(const struct rules *r, unsigned family)
{
	if (r->errors)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if ((r->v[i].sets & 1u << RK_BACKEND) && (r->v[i].app[RK_BACKEND] & family) &&
		    r->v[i].backend == RB_POSIX)
			return 1;
	return 0;
}

int rules_all_emulated(const struct rules *r, unsigned family)
{
	if (r->errors)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if ((r->v[i].sets & 1u << RK_BACKEND) && (r->v[i].app[RK_BACKEND] & family))
			return !r->v[i].glob && r->v[i].backend == RB_POSIX;
	return 0;
}

void rules_xerr_text(const struct rules_decision *d, const struct rules_key *k,
		     char *buf, size_t len)
{
	const char *act = d->error_kind == RK_RENAME ? "rename=" : "name=";

	switch (d->error) {
	case RX_OK:
		snprintf(buf, len, "no error");
		break;
	case RX_NO_FIELD:
		snprintf(buf, len, "%s: %%%c is not known for %s %s (%s)", act, d->error_field,
			 rules_family_name(k->family) ? rules_family_name(k->family) : "?", k->text,
			 d->error_field == 'b' ? "no System V key file" :
			 d->error_field == 'k' ? "no key_t" : "no name");
		break;
	case RX_TOO_LONG:
		snprintf(buf, len, "%s: the name for %s is longer than %d bytes after /", act,
			 k->text, RULES_NAME_MAX);
		break;
	case RX_SLASH:
		snprintf(buf, len, "%s: %%%c puts a / into the name for %s (not a valid POSIX name)",
			 act, d->error_field, k->text);
		break;
	case RX_EMPTY:
		snprintf(buf, len, "%s: the name for %s is empty after /", act, k->text);
		break;
	}
}
