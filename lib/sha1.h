/* SPDX-License-Identifier: MIT */
/* SHA-1 (FIPS 180-4), internal: legacy keys hash the UTF-8 name. */
#ifndef NIPC_SHA1_H
#define NIPC_SHA1_H
#include <stddef.h>
#include <stdint.h>

#define NIPC_SHA1_HIDDEN __attribute__((visibility("hidden")))

#define NIPC_SHA1_LEN 20
#define NIPC_SHA1_HEX_LEN 40

struct nipc_sha1 {
	uint32_t h[5];
	uint64_t len;          /* message length in bytes so far */
	unsigned char buf[64]; /* pending partial block */
};

NIPC_SHA1_HIDDEN void nipc_sha1_init(struct nipc_sha1 *c);
NIPC_SHA1_HIDDEN void nipc_sha1_update(struct nipc_sha1 *c, const void *data, size_t n);
/* Writes the 20-byte digest; c must be re-initialised before reuse. */
NIPC_SHA1_HIDDEN void nipc_sha1_final(struct nipc_sha1 *c, unsigned char out[NIPC_SHA1_LEN]);
/* Lower-case hex digest of data[0..n) into hex (40 digits and a NUL). */
NIPC_SHA1_HIDDEN void nipc_sha1_hex(const void *data, size_t n, char hex[NIPC_SHA1_HEX_LEN + 1]);

#endif
