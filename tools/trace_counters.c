/* SPDX-License-Identifier: MIT */
/* nipc trace --counters (trace_counters.h). */
#include "config.h"

#include "common.h"
#include "trace_counters.h"
#include "../shim/counters.h"
#include "nipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void trace_counters_name(struct trace_counters *c)
{
	static int n;

	snprintf(c->name, sizeof c->name, "/nipc-counters-%ld-%d", (long)getpid(), ++n);
}

int trace_counters_create(struct trace_counters *c)
{
	int fd;

	if (!c->name[0])
		trace_counters_name(c);
	fd = shm_open(c->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail("trace: cannot make the counters table %s: %s", c->name, strerror(errno));
	if (ftruncate(fd, sizeof *c->t) ||
	    (c->t = mmap(NULL, sizeof *c->t, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int e = errno;

		close(fd);
		shm_unlink(c->name);
		c->t = NULL;
		return fail("trace: cannot map the counters table %s: %s", c->name, strerror(e));
	}
	close(fd);
	nipc_ctr_table_init(c->t);
	return 0;
}

int trace_counters_open(struct trace_counters *c, const char *name)
{
	struct stat st;
	int fd;

	snprintf(c->name, sizeof c->name, "%s", name);
	if ((fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)) < 0) {
		int e = errno;

		fail("counters: %s: %s", name, strerror(e));
		return e == ENOENT ? -2 : -1;
	}
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof *c->t ||
	    (c->t = mmap(NULL, sizeof *c->t, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		c->t = NULL;
		return fail("counters: %s: not a counters table", name), -1;
	}
	close(fd);
	if (!nipc_ctr_table_ok(c->t)) {
		trace_counters_close(c, 0);
		return fail("counters: %s: not a counters table of this version", name), -1;
	}
	return 0;
}

void trace_counters_close(struct trace_counters *c, int remove)
{
	if (c->t)
		munmap(c->t, sizeof *c->t);
	c->t = NULL;
	if (remove)
		shm_unlink(c->name);
}

struct row {
	const char *name;
	unsigned long long posts, contended, blocked_ns, waits, hist[NIPC_CTR_BUCKETS];
};

static unsigned long long ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

/* The rows, one per name, sorted; their number. */
static size_t collect(const struct nipc_ctr_table *t, struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < NIPC_CTR_SLOTS; i++) {
		const struct nipc_ctr_slot *s = &t->slot[i];
		struct row *r = NULL;

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != NIPC_CTR_READY)
			continue;
		for (size_t j = 0; j < n && !r; j++)
			if (!strcmp(rows[j].name, s->name))
				r = &rows[j];
		if (!r) {
			r = &rows[n++];
			memset(r, 0, sizeof *r);
			r->name = s->name;
		}
		r->posts += ld(&s->posts);
		r->contended += ld(&s->contended);
		r->blocked_ns += ld(&s->blocked_ns);
		for (int b = 0; b < NIPC_CTR_BUCKETS; b++) {
			r->hist[b] += ld(&s->hist[b]);
			r->waits += ld(&s->hist[b]);
		}
	}
	qsort(rows, n, sizeof *rows, by_name);
	return n;
}

/* A bucket's lower bound (ns): 0, then 2^(b-1). */
static unsigned long long lower(int b)
{
	return b ? 1ull << (b - 1) : 0;
}

static void put_ns(FILE *f, unsigned long long ns)
{
	if (ns >= 1000000000ull)
		fprintf(f, "%llus", ns / 1000000000ull);
	else if (ns >= 1000000)
		fprintf(f, "%llums", ns / 1000000);
	else if (ns >= 1000)
		fprintf(f, "%lluus", ns / 1000);
	else
		fprintf(f, "%lluns", ns);
}

static void key_text(const char *name, char *buf, size_t len)
{
	if (nipc_key_format(buf, len, NIPC_KEY_POSIX, name, NULL) < 0)
		snprintf(buf, len, "posix:%s", name);
}

static void print_json(FILE *f, const struct row *r)
{
	char key[NIPC_CTR_NAME + 16];

	key_text(r->name, key, sizeof key);
	fputs("{\"counters\":1,\"key\":", f);
	json_string(f, key);
	fprintf(f, ",\"calls\":%llu,\"posts\":%llu,\"waits\":%llu,\"contended\":%llu,"
		"\"blocked_ns\":%llu,\"wait_hist\":[", r->posts + r->waits, r->posts, r->waits,
		r->contended, r->blocked_ns);
	for (int b = 0, first = 1; b < NIPC_CTR_BUCKETS; b++)
		if (r->hist[b]) {
			fprintf(f, "%s[%llu,%llu]", first ? "" : ",", lower(b), r->hist[b]);
			first = 0;
		}
	fputs("]}\n", f);
}

static void print_text(FILE *f, const struct row *r)
{
	char key[NIPC_CTR_NAME + 16];

	key_text(r->name, key, sizeof key);
	fprintf(f, "%8llu %8llu %8llu %9llu %13.3f  %s\n", r->posts + r->waits, r->posts, r->waits,
		r->contended, r->blocked_ns / 1e3, key);
	if (r->waits == r->hist[0])
		return;
	fputs("         waits:", f);
	for (int b = 0; b < NIPC_CTR_BUCKETS; b++) {
		if (!r->hist[b])
			continue;
		fputc(' ', f);
		if (!b) {
			fputs("no-block", f);
		} else {
			put_ns(f, lower(b));
			fputc('-', f);
			put_ns(f, lower(b + 1));
		}
		fprintf(f, ":%llu", r->hist[b]);
	}
	fputc('\n', f);
}

void trace_counters_print(const struct trace_counters *c, FILE *f, int json)
{
	static struct row rows[NIPC_CTR_SLOTS];
	size_t n;

	if (!c->t)
		return;
	n = collect(c->t, rows);
	if (!json)
		fprintf(f, "%8s %8s %8s %9s %13s  %s\n", "calls", "posts", "waits", "contended",
			"blocked(us)", "key");
	for (size_t i = 0; i < n; i++)
		(json ? print_json : print_text)(f, &rows[i]);
	if (c->t->full)
		fprintf(f, json ? "{\"counters\":1,\"not_counted\":%llu}\n"
			: "nipc: trace: %llu semaphore(s) not counted: the table is full\n",
			(unsigned long long)c->t->full);
}
