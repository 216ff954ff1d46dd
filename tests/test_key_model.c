/* SPDX-License-Identifier: MIT */
/* Key value: type, native key, legacy key; validity, emptiness, equality. */
#include "config.h"

#include "tlib.h"

#include <stdlib.h>
#include <string.h>

#include "nipc.h"

static void test_types(void **state)
{
	(void)state;
	assert_false(nipc_key_type_is_valid(0));
	assert_true(nipc_key_type_is_valid(1));
	assert_true(nipc_key_type_is_valid(81));
	assert_true(nipc_key_type_is_valid(255));
	assert_false(nipc_key_type_is_valid(300));
	assert_true(nipc_key_type_is_valid(NIPC_KEY_POSIX));
	assert_true(nipc_key_type_is_valid(NIPC_KEY_WINDOWS));
	assert_false(nipc_key_type_is_valid(0x102));
	assert_false(nipc_key_type_is_valid(-1));
	assert_int_equal(NIPC_KEY_SYSTEMV, 0x51);
	assert_int_equal(NIPC_KEY_POSIX, 0x100);
	assert_int_equal(NIPC_KEY_WINDOWS, 0x101);
}

static void test_valid_empty(void **state)
{
	nipc_key *k;

	(void)state;
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, NULL), 0);
	assert_true(nipc_key_is_valid(k));
	assert_true(nipc_key_is_empty(k));
	assert_string_equal(nipc_key_native(k), "");
	assert_null(nipc_key_legacy(k));
	assert_int_equal(nipc_key_set_native(k, "/x"), 0);
	assert_false(nipc_key_is_empty(k));
	assert_int_equal(nipc_key_set_type(k, 0), 0);
	assert_false(nipc_key_is_valid(k));
	nipc_key_free(k);
}

static void test_equality_includes_legacy(void **state)
{
	nipc_key *a, *b, *c;

	(void)state;
	assert_int_equal(nipc_key_new(&a, NIPC_KEY_SYSTEMV, "/tmp/x"), 0);
	assert_int_equal(nipc_key_new(&b, NIPC_KEY_SYSTEMV, "/tmp/x"), 0);
	assert_true(nipc_key_equal(a, b));
	assert_int_equal(nipc_key_set_legacy(b, "x"), 0);
	assert_false(nipc_key_equal(a, b));
	c = (nipc_key *)1;
	assert_int_equal(nipc_key_dup(&c, NULL), -NIPC_EINVAL);
	assert_null(c);
	assert_int_equal(nipc_key_dup(NULL, b), -NIPC_EINVAL);
	assert_int_equal(nipc_key_dup(&c, b), 0);
	assert_non_null(c);
	assert_true(nipc_key_equal(b, c));
	assert_string_equal(nipc_key_legacy(c), "x");
	/* setting the native key clears the legacy key */
	assert_int_equal(nipc_key_set_native(c, "/tmp/x"), 0);
	assert_null(nipc_key_legacy(c));
	assert_true(nipc_key_equal(a, c));
	/* an empty legacy key equals none, as QString() == QString("") */
	assert_int_equal(nipc_key_set_legacy(c, ""), 0);
	assert_true(nipc_key_equal(a, c));
	assert_int_equal(nipc_key_set_type(c, 82), 0);
	assert_false(nipc_key_equal(a, c));
	nipc_key_free(a);
	nipc_key_free(b);
	nipc_key_free(c);
}

static void test_rejects_bad_utf8(void **state)
{
	nipc_key *k;

	(void)state;
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "\xff"), -NIPC_EINVAL);
	assert_null(k);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "\xc0\xaf"), -NIPC_EINVAL);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "\xed\xa0\x80"), -NIPC_EINVAL);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "ok"), 0);
	assert_int_equal(nipc_key_set_native(k, "\x80"), -NIPC_EINVAL);
	assert_string_equal(nipc_key_native(k), "ok");
	assert_int_equal(nipc_key_set_legacy(k, "\xf8"), -NIPC_EINVAL);
	nipc_key_free(k);
	nipc_key_free(NULL);
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(nipc_err_name(-NIPC_EEXIST), "NIPC_EEXIST");
	assert_string_equal(nipc_strerror(-NIPC_EEXIST), "already exists");
	assert_string_equal(nipc_strerror(NIPC_ENOTFOUND), "not found");
	assert_non_null(nipc_strerror(-1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_valid_empty),
		cmocka_unit_test(test_equality_includes_legacy),
		cmocka_unit_test(test_rejects_bad_utf8),
		cmocka_unit_test(test_errors),
	};
	return TL_MAIN("key model", tests, NULL, NULL);
}
