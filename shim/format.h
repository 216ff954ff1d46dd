/* SPDX-License-Identifier: MIT */
/* The one renderer of trace events, shared by the shim and `nipc trace`: a
 * bounded writer and the parts of a text line. No allocation, no lock, no
 * localtime: only async-signal-safe calls, so the shim may use it in a hook. */
#ifndef NIPC_SHIM_FORMAT_H
#define NIPC_SHIM_FORMAT_H

#include <stddef.h>

#define FMT_HIDDEN __attribute__((visibility("hidden")))
#define SHIM_STR_MAX 512    /* longest string argument shown (escaped bytes) */
#define SHIM_BUF_SHOWN 32   /* bytes of a message shown (strace's -s default) */

/* A bounded output buffer: writes past cap are dropped. */
struct out {
	char *p;
	size_t n, cap;
};

FMT_HIDDEN void fmt_put(struct out *o, const char *s, size_t len);
FMT_HIDDEN void fmt_puts(struct out *o, const char *s);
FMT_HIDDEN void fmt_putc(struct out *o, char c);
FMT_HIDDEN void fmt_put_u(struct out *o, unsigned long long v, int width);
FMT_HIDDEN void fmt_put_i(struct out *o, long long v);
/* 0x and at least width hex digits. */
FMT_HIDDEN void fmt_put_hex(struct out *o, unsigned long long v, int width);
/* Ends a line in a buffer whose cap leaves a byte after it: a cut line
 * (n == cap) ends in "..." and its last byte, then '\n' is added. */
FMT_HIDDEN void fmt_end_line(struct out *o);
/* s quoted, at most SHIM_STR_MAX bytes of output, then "...". JSON: valid
 * UTF-8 as is, control characters and invalid bytes as \u00XX. Text: C
 * escapes, bytes of 0x80 and above as \xXX. */
FMT_HIDDEN void fmt_put_str(struct out *o, const char *s, int json);
/* pattern with each "%p" replaced by pid (NIPC_TRACE_FILE, nipc trace -o),
 * NUL-terminated; 0, or -1 if it does not fit. */
FMT_HIDDEN int fmt_put_pattern(struct out *o, const char *pattern, long pid);

/* A text line is  HEAD op(args) = ret TAIL :
 * HEAD "[pid/tid] HH:MM:SS.uuuuuu " (tid < 0: "[pid] "), local time from
 * utc_offset (seconds east of UTC, cached by the caller); TAIL
 * " ENAME (description)" if failed, " <dur>" (us below a millisecond, else
 * ms; none if dur_ns is FMT_NO_DUR), " key=KEY" if key is not empty and " [emulated]" if emulated (the
 * System V emulation handled the call, not the kernel). errname NULL:
 * err's name. */
FMT_HIDDEN void fmt_line_head(struct out *o, long pid, long tid, long long sec, long nsec,
			      long utc_offset);
#define FMT_NO_DUR (~0ULL)  /* fmt_line_tail's dur_ns: no duration shown */
/* The schema version of JSON Lines records ("v"), nipc(1). */
#define FMT_JSON_V "1"
FMT_HIDDEN void fmt_line_tail(struct out *o, int failed, int err, const char *errname,
			      unsigned long long dur_ns, const char *key, int emulated);

#endif
