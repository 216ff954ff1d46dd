/* SPDX-License-Identifier: MIT */
/* Internal SHA-1 against the FIPS 180 / NIST vectors and the padding
 * boundaries at 55, 56 and 64 bytes, one-shot and streamed. */
#include "config.h"

#include "tlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

static void hex_of(const unsigned char d[NIPC_SHA1_LEN], char *hex)
{
	for (int i = 0; i < NIPC_SHA1_LEN; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void test_nist_vectors(void **state)
{
	static const struct {
		const char *msg, *digest;
	} v[] = {
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		 "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		 "a49b2446a02c645bf419f995b67091253a04a259"},
	};
	char hex[NIPC_SHA1_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		nipc_sha1_hex(v[i].msg, strlen(v[i].msg), hex);
		assert_string_equal(hex, v[i].digest);
	}
}

static void test_million_a(void **state)
{
	struct nipc_sha1 c;
	unsigned char d[NIPC_SHA1_LEN], chunk[1000];
	char hex[NIPC_SHA1_HEX_LEN + 1];
	char *all;

	(void)state;
	memset(chunk, 'a', sizeof chunk);
	nipc_sha1_init(&c);
	for (int i = 0; i < 1000; i++)
		nipc_sha1_update(&c, chunk, sizeof chunk);
	nipc_sha1_final(&c, d);
	hex_of(d, hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	all = malloc(1000000);
	assert_non_null(all);
	memset(all, 'a', 1000000);
	nipc_sha1_hex(all, 1000000, hex);
	free(all);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* Message bytes (7i+3) mod 256; digests from an independent implementation. */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t n;
		const char *digest;
	} v[] = {
		{55, "ddf57317ef34bfee3b6df83d359098930eb278bc"},
		{56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},
		{57, "11a02dcf95859677a62e75024067c22b165d890f"},
		{63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},
		{64, "bede92be29c3874e1b54ddc77988d606fc857a8e"},
		{65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},
		{119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"},
		{120, "82134b02fb3f702491be9bed581eeab59334acb2"},
		{128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"},
	};
	unsigned char m[128];
	char hex[NIPC_SHA1_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof m; i++)
		m[i] = (unsigned char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		nipc_sha1_hex(m, v[i].n, hex);
		assert_string_equal(hex, v[i].digest);
	}
}

/* Every way of splitting a message of up to 130 bytes into two updates
 * gives the one-shot digest. */
static void test_streaming_splits(void **state)
{
	unsigned char m[130], d[NIPC_SHA1_LEN];
	char one[NIPC_SHA1_HEX_LEN + 1], two[NIPC_SHA1_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof m; i++)
		m[i] = (unsigned char)(i * 13 + 1);
	for (size_t n = 0; n <= sizeof m; n++) {
		nipc_sha1_hex(m, n, one);
		for (size_t k = 0; k <= n; k++) {
			struct nipc_sha1 c;

			nipc_sha1_init(&c);
			nipc_sha1_update(&c, m, k);
			nipc_sha1_update(&c, m + k, 0);
			nipc_sha1_update(&c, m + k, n - k);
			nipc_sha1_final(&c, d);
			hex_of(d, two);
			assert_string_equal(one, two);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_streaming_splits),
	};
	return TL_MAIN("sha1", tests, NULL, NULL);
}
