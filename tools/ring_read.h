/* SPDX-License-Identifier: MIT */
/* The reader of the trace ring pool (shim/ring.h): nipc trace creates the
 * pool, drains every ring, turns records back into events for the shim's
 * formatter, merges them in time order and accounts for every lost one. */
#ifndef NIPC_RING_READ_H
#define NIPC_RING_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../shim/shim.h"

struct ring_reader;

struct ring_sink {
	void (*event)(void *arg, const struct shim_event *e);
	/* n events of pid (tid 0: unknown) were lost just before ts */
	void (*lost)(void *arg, long pid, long tid, unsigned long long n,
		     const struct timespec *ts);
	void *arg;
};

/* A new pool's name (for name[64]). */
void ring_name_make(char *name, size_t len);
/* Removes a pool's name (async-signal-safe). */
void ring_name_unlink(const char *name);
/* The pool name: nrings rings of ring_bytes (rounded up to a power of
 * two) each; NULL after a message. */
struct ring_reader *ring_reader_new(const char *name, uint64_t ring_bytes, unsigned nrings,
				    int when_full);
/* The name to pass in NIPC_TRACE_RING. */
const char *ring_reader_name(const struct ring_reader *r);
/* Reads what the rings hold and hands over the events older than the merge
 * window (all of them when final), oldest first. Returns how many records
 * were read. */
size_t ring_reader_poll(struct ring_reader *r, int final, const struct ring_sink *s);
/* Whether some ring's thread is still alive. */
int ring_reader_live(struct ring_reader *r);
/* Events delivered and lost so far; lost per process through pid_lost. */
void ring_reader_counts(const struct ring_reader *r, unsigned long long *delivered,
			unsigned long long *lost);
/* The i-th process with losses: 0 when i is past the last. */
int ring_reader_pid_lost(const struct ring_reader *r, size_t i, long *pid,
			 unsigned long long *n);
/* Removes the pool's name (async-signal-safe). */
void ring_reader_unlink(const struct ring_reader *r);
/* Unmaps and removes the pool. */
void ring_reader_free(struct ring_reader *r);

/* A ring's data bytes for a --buffer-size: rounded up to a power of two
 * (4096 at least), as ring_reader_new makes them. */
uint64_t ring_round_bytes(uint64_t ring_bytes);

/* Parses "64K", "1M", "65536" into *v; -1 if malformed. */
int ring_parse_size(const char *s, uint64_t *v);

#endif
