/* SPDX-License-Identifier: MIT */
/* nipc trace --counters: the shared-memory table of per-object counters
 * (shim/counters.h) made for one run, named to the shim in NIPC_COUNTERS,
 * then printed and removed. */
#ifndef NIPC_TOOL_TRACE_COUNTERS_H
#define NIPC_TOOL_TRACE_COUNTERS_H

#include <stdio.h>

struct nipc_ctr_table;

struct trace_counters {
	char name[64];                  /* "/nipc-counters-PID-N" */
	struct nipc_ctr_table *t;
};

/* Names the table create will make, so that a watchdog knows it first. */
void trace_counters_name(struct trace_counters *c);
/* Makes a new table (0600), named by trace_counters_name if it was not
 * yet; 0, or -1 after a message. */
int trace_counters_create(struct trace_counters *c);
/* Maps the existing table name read-only; 0, or after a message -2 (no
 * such object) or -1. */
int trace_counters_open(struct trace_counters *c, const char *name);
/* One row per semaphore name (rows of one name added up): a table in
 * text, JSON Lines with json. */
void trace_counters_print(const struct trace_counters *c, FILE *f, int json);
/* Unmaps; with remove, unlinks the table too. */
void trace_counters_close(struct trace_counters *c, int remove);

#endif
