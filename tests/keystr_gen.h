/* SPDX-License-Identifier: MIT */
/* Deterministic generator of keys and key strings for the string-form tests. */
#ifndef NIPC_KEYSTR_GEN_H
#define NIPC_KEYSTR_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Every generated text fits in this many bytes with its NUL. */
#define GEN_TEXT_MAX 1024

struct gen {
	uint64_t s;
};

void gen_seed(struct gen *g, uint64_t seed);
/* Uniform in [0, n). */
uint32_t gen_below(struct gen *g, uint32_t n);

/* A key: a type (valid or not), a native key and maybe a legacy key, all
 * valid UTF-8 without NUL, drawn from every character class. *has_legacy
 * is 0 (none), or 1 (legacy holds the text, possibly empty). */
void gen_key(struct gen *g, int *type, char native[GEN_TEXT_MAX], char legacy[GEN_TEXT_MAX],
	     int *has_legacy);
/* A string for the parser (valid UTF-8): schemes in any case, systemv-N
 * variants, authorities, paths with escapes valid or not, queries and
 * fragments. */
void gen_key_string(struct gen *g, char out[GEN_TEXT_MAX]);

/* Appends the escaped, printable form of s to out (for failure messages). */
void gen_show(const char *s, char *out, size_t cap);

#endif
