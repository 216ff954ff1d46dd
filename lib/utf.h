/* SPDX-License-Identifier: MIT */
/* UTF-8 helpers: validation and Qt-compatible (UTF-16) character counting. */
#ifndef NIPC_UTF_H
#define NIPC_UTF_H

#include <stddef.h>
#include <stdint.h>

#define NIPC_UTF_HIDDEN __attribute__((visibility("hidden")))

/* The one UTF-8 decoder of the tree (lib/, the shim, nipc): pure code
 * without state or allocation, so the shim may call it from a hook. */

/* Length of the sequence lead byte b starts (1..4), 0 if b cannot lead one. */
NIPC_UTF_HIDDEN size_t nipc_utf8_lead_len(unsigned char b);
/* Decodes the well-formed sequence at s (at most n bytes read, never past
 * the first byte that breaks it): its length, or 0 if ill-formed (overlong,
 * surrogate, above U+10FFFF, cut short). */
NIPC_UTF_HIDDEN size_t nipc_utf8_seq(const char *s, size_t n, uint32_t *cp);
/* 1 if s[0..n) is well-formed UTF-8. */
NIPC_UTF_HIDDEN int nipc_utf8_valid(const char *s, size_t n);
/* Decodes one code point at s (valid UTF-8 assumed); returns its byte length. */
NIPC_UTF_HIDDEN size_t nipc_utf8_decode(const char *s, uint32_t *cp);
/* Writes code point cp (at most U+10FFFF) as UTF-8 at out; its length. */
NIPC_UTF_HIDDEN size_t nipc_utf8_encode(char *out, uint32_t cp);
/* Number of UTF-16 code units of valid UTF-8 s[0..n) (how Qt counts characters). */
NIPC_UTF_HIDDEN size_t nipc_utf16_len(const char *s, size_t n);
/* Byte length of the longest prefix of valid UTF-8 s[0..n) that is at most
 * units UTF-16 code units long. *split (if not NULL) is set when the cut
 * falls inside a surrogate pair: Qt's QString::left() keeps the lone high
 * surrogate, which Qt 5 then writes to file names as '?'; the caller appends
 * it. */
NIPC_UTF_HIDDEN size_t nipc_utf16_prefix(const char *s, size_t n, size_t units, int *split);

#endif
