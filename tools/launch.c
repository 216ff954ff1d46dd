/* SPDX-License-Identifier: MIT */
/* The one launcher of nipc run and nipc trace (launch.h).
 *
 * The rules reach the program as NIPC_RULES_TEXT, the file's lines then
 * the --rule lines: the environment is inherited by every descendant, read
 * by each shim once at its start, and leaves nothing to remove, unlike a
 * temporary file (which a descendant started after nipc exits would miss,
 * or which a killed nipc would leave behind). It is also a snapshot: the
 * program runs under the rules that were checked, whatever happens to the
 * file later. */
#include "config.h"

#include "launch.h"
#include "../shim/shim.h"
#include "../shim/rules.h"
#include "../shim/emul_state.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHIM_NAME "libnipc-preload.so"
/* The kernel's limit on one environment string (MAX_ARG_STRLEN), less
 * "NIPC_RULES_TEXT=" and the NUL. */
#define RULES_TEXT_MAX (32 * 4096 - 17)

const char *launch_rule_lines[LAUNCH_MAX_RULES];

/* emul_state.c, compiled in for the check, calls libc through the shim's
 * table of real functions: here libc's own. */
struct shim_next shim_next = {
	.close = close, .mmap = mmap, .munmap = munmap, .shm_open = shm_open,
	.shm_unlink = shm_unlink,
};

void launch_take(struct launch *l, const struct cmdline *c)
{
	l->rules_file = c->val[0];
	l->rule = launch_rule_lines;
	l->nrule = c->seen[1];
	l->ns = c->val[2];
	l->detach = c->seen[3] > 0;
	l->cmd = c->rest;
}

static int usable_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The shim to preload: NIPC_PRELOAD, the build tree beside this binary
 * (tools/nipc -> shim/.libs), or the installed library. */
static int find_shim(const struct launch *l, char *out, size_t len)
{
	const char *env = getenv("NIPC_PRELOAD");
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, out) || !usable_file(out))
			return fail("%s: NIPC_PRELOAD=%s: %s", l->who, env,
				    strerror(errno ? errno : ENOENT));
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		static const char *const rel[] = {
			"/../shim/.libs/" SHIM_NAME,    /* tools/nipc */
			"/../../shim/.libs/" SHIM_NAME, /* tools/.libs/nipc */
		};
		for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
			if (usable_file(cand) && realpath(cand, out))
				return 0;
		}
	}
#ifdef NIPC_SHIM_PATH
	if (strlen(NIPC_SHIM_PATH) < len && usable_file(NIPC_SHIM_PATH)) {
		strcpy(out, NIPC_SHIM_PATH);
		return 0;
	}
#endif
	(void)len;
	return fail("%s: cannot find %s (install nipc or set NIPC_PRELOAD)", l->who, SHIM_NAME);
}

/* The namespace: the characters the emulation accepts in its object names. */
static int check_namespace(const struct launch *l)
{
	size_t n;

	if (!l->ns)
		return EXIT_OK;
	n = strlen(l->ns);
	if (!n || n > EMUL_NS_MAX || l->ns[strspn(l->ns, "abcdefghijklmnopqrstuvwxyz"
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")])
		return usage_error("%s: --namespace '%s': a namespace is 1 to %d letters, digits, "
				   "'_' or '-'", l->who, l->ns, EMUL_NS_MAX);
	if (setenv("NIPC_NAMESPACE", l->ns, 1))
		return fail("%s: out of memory", l->who);
	return EXIT_OK;
}

/* The whole file, NUL-terminated, in *out; *nul set if it holds a NUL.
 * 0, or -1 after a message. */
static int read_rules_file(const struct launch *l, const char *path, char **out, int *nul)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0 || !buf) {
		fail("%s: %s: cannot open: %s", l->who, path, strerror(fd < 0 ? errno : ENOMEM));
		goto bad;
	}
	for (;;) {
		if (n + 1 >= cap) {
			char *p = cap > RULES_TEXT_MAX ? NULL : realloc(buf, cap *= 2);

			if (!p) {
				fail("%s: %s: rules over %d bytes cannot be passed to the program",
				     l->who, path, RULES_TEXT_MAX);
				goto bad;
			}
			buf = p;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fail("%s: %s: cannot read: %s", l->who, path, strerror(errno));
			goto bad;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = 0;
	*nul = strlen(buf) != n;
	*out = buf;
	return 0;
bad:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/* Appends s and a newline (if s does not end with one) to *text. */
static int append_line(char **text, size_t *len, const char *s)
{
	size_t n = strlen(s);
	int nl = n && s[n - 1] == '\n';
	char *p = realloc(*text, *len + n + 2);

	if (!p)
		return -1;
	memcpy(p + *len, s, n);
	*len += n;
	if (!nl && n)
		p[(*len)++] = '\n';
	p[*len] = 0;
	*text = p;
	return 0;
}

/* The System V emulation's state must be reachable before a program
 * whose objects the rules route there starts: in it, those calls would
 * fail with ENOSYS. */
static int check_emulation(const struct launch *l, const struct rules *r)
{
	int shm = rules_may_emulate(r, RF_SYSV_SHM), sem = rules_may_emulate(r, RF_SYSV_SEM);

	if (!shm && !sem)
		return EXIT_OK;
	if (emul_state_init(shm, sem) || emul_state_probe())
		return fail("%s: the rules route System V objects to the emulation, whose state "
			    "cannot be reached: %s; not starting '%s'", l->who, emul_state_why(),
			    l->cmd[0]);
	return EXIT_OK;
}

/* Reads and checks the rules; puts them in the environment. */
static int prepare_rules(const struct launch *l)
{
	const char *file = l->rules_file, *env_text = NULL;
	char *buf = NULL, *text = NULL;
	size_t len = 0;
	struct rules *r;
	int rc = EXIT_FAIL, nul = 0, own = file || l->nrule;

	if (!own) {
		/* no options: the environment's rules, checked, passed on as they are */
		file = getenv("NIPC_RULES");
		env_text = getenv("NIPC_RULES_TEXT");
		if (file && !*file)
			file = NULL;
		if (env_text && !*env_text)
			env_text = NULL;
		if (!file && !env_text)
			return EXIT_OK;
	}
	if (!(r = rules_new()))
		return fail("%s: out of memory", l->who);
	if (file && read_rules_file(l, file, &buf, &nul))
		goto out;
	/* a file with a NUL is refused by the parser, which says where */
	if (file && nul)
		rules_add_file(r, file);
	else if (file && rules_add_text(r, file, buf))
		goto oom;
	if (own && buf && append_line(&text, &len, buf))
		goto oom;
	for (int i = 0; i < l->nrule; i++) {
		char src[32];

		snprintf(src, sizeof src, "--rule %d", i + 1);
		if (rules_add_text(r, src, l->rule[i]) || append_line(&text, &len, l->rule[i]))
			goto oom;
	}
	if (env_text && rules_add_text(r, "NIPC_RULES_TEXT", env_text))
		goto oom;
	if (rules_finish(r)) {
		rules_print_diags(r, 0);
		fail("%s: the rules have errors; not starting '%s'", l->who, l->cmd[0]);
		goto out;
	}
	rules_print_diags(r, 0); /* warnings */
	if (own && len > RULES_TEXT_MAX) {
		fail("%s: rules over %d bytes cannot be passed to the program", l->who,
		     RULES_TEXT_MAX);
		goto out;
	}
	if (check_emulation(l, r))
		goto out;
	if (own && (unsetenv("NIPC_RULES") || setenv("NIPC_RULES_TEXT", text ? text : "", 1)))
		goto oom;
	rc = EXIT_OK;
	goto out;
oom:
	fail("%s: out of memory", l->who);
out:
	rules_free(r);
	free(buf);
	free(text);
	return rc;
}

int launch_prepare(struct launch *l)
{
	int rc;

	if (find_shim(l, l->shim, sizeof l->shim))
		return EXIT_FAIL;
	if (strpbrk(l->shim, ": \t"))
		return fail("%s: %s: LD_PRELOAD cannot hold a path with ':' or blanks", l->who,
			    l->shim);
	if ((rc = check_namespace(l)))
		return rc;
	return prepare_rules(l);
}

#ifdef __SANITIZE_ADDRESS__
/* In a sanitizer build the shim needs the ASan runtime, which must come
 * first in LD_PRELOAD; nipc has it loaded, so it names the same file. */
static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *base = strrchr(info->dlpi_name, '/');

	(void)size;
	if (base && !strncmp(base + 1, "libasan.so", 10)) {
		*(const char **)data = info->dlpi_name;
		return 1;
	}
	return 0;
}

static const char *asan_runtime(void)
{
	const char *path = NULL;

	dl_iterate_phdr(find_asan, &path);
	return path;
}
#else
static const char *asan_runtime(void)
{
	return NULL;
}
#endif

int launch_spawn(const struct launch *l, void (*more)(const void *arg), const void *arg,
		 pid_t *pid)
{
	const char *old = getenv("LD_PRELOAD");
	int p[2], err = 0;
	char *preload;
	ssize_t n;

	if (!old || !*old)
		old = NULL;
	if (asprintf(&preload, "%s%s%s%s%s", asan_runtime() ? asan_runtime() : "",
		     asan_runtime() ? ":" : "", l->shim, old ? ":" : "", old ? old : "") < 0)
		return fail("%s: out of memory", l->who);

	if (pipe2(p, O_CLOEXEC)) {
		free(preload);
		return fail("%s: pipe: %s", l->who, strerror(errno));
	}
	/* A kernel without it (before 3.4) leaves orphans to init: then only
	 * CMD is waited for, as with --detach. */
	if (!l->detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		free(preload);
		return fail("%s: fork: %s", l->who, strerror(errno));
	}
	if (*pid == 0) {
		/* nipc has a single thread: setenv is safe between fork and exec */
		close(p[0]);
		/* The programs are not ours: their leaks are not our errors. */
		if (asan_runtime() && !getenv("ASAN_OPTIONS"))
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		setenv("LD_PRELOAD", preload, 1);
		if (more)
			more(arg);
		execvp(l->cmd[0], l->cmd);
		err = errno;
		if (write(p[1], &err, sizeof err) < 0)
			_exit(127);
		_exit(127);
	}
	free(preload);
	close(p[1]);
	do
		n = read(p[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof err) {
		waitpid(*pid, NULL, 0);
		return fail("%s: cannot run '%s': %s", l->who, l->cmd[0], strerror(err));
	}
	return 0;
}

int launch_exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAIL;
}

int launch_wait(const struct launch *l, pid_t pid)
{
	int status;

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("%s: waitpid: %s", l->who, strerror(errno));
	launch_wait_descendants(l);
	return launch_exit_status(status);
}

void launch_wait_descendants(const struct launch *l)
{
	if (l->detach)
		return;
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}
