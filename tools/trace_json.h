/* SPDX-License-Identifier: MIT */
/* A small JSON reader for the shim's JSON Lines events: one line is parsed
 * into a fixed-size tree (no malloc), used by `nipc trace --summary` and by
 * the trace tests. */
#ifndef NIPC_TRACE_JSON_H
#define NIPC_TRACE_JSON_H

#include <stddef.h>

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

/* Limits of one parsed line; a longer or deeper line is rejected. */
#define TJ_MAX_NODES 512
#define TJ_MAX_TEXT 16384
#define TJ_MAX_DEPTH 16

struct tj_node {
	enum tj_type type;
	int next;          /* next sibling, -1 at the end */
	int child;         /* first child of an array/object, -1 if none */
	const char *name;  /* member name inside an object, else NULL */
	const char *text;  /* string value (unescaped) or number as written;
	                      "true"/"false" for booleans; NULL for null */
};

struct tj_doc {
	struct tj_node node[TJ_MAX_NODES];
	int n;
	char text[TJ_MAX_TEXT];
	size_t used;
};

/* Parses s[0..len) as exactly one JSON value (surrounding blanks allowed).
 * Returns the root node's index (0) or -1 on a syntax error or a limit. */
int tj_parse(struct tj_doc *d, const char *s, size_t len);

/* Member `name` of object node `obj`, or NULL. */
const struct tj_node *tj_get(const struct tj_doc *d, const struct tj_node *obj,
			     const char *name);
/* First child and next sibling, or NULL. */
const struct tj_node *tj_child(const struct tj_doc *d, const struct tj_node *n);
const struct tj_node *tj_next(const struct tj_doc *d, const struct tj_node *n);
/* The node as a string (NULL unless a string). */
const char *tj_str(const struct tj_node *n);
/* The node's number, or `dflt` when it is missing or not a number. */
double tj_num(const struct tj_node *n, double dflt);
long long tj_int(const struct tj_node *n, long long dflt);

#endif
