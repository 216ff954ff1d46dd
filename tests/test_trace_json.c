/* SPDX-License-Identifier: MIT */
/* The JSON Lines reader behind `nipc trace --summary` and the trace tests:
 * valid events, escapes, and malformed or over-long input rejected cleanly. */
#include "config.h"

#include "tlib.h"

#include "trace_json.h"

#include <stdlib.h>
#include <string.h>

static struct tj_doc doc;

static int parse(const char *s)
{
	return tj_parse(&doc, s, strlen(s));
}

static void test_event(void **state)
{
	const char *ev = "{\"ts\":1763881234.123456789,\"pid\":123,\"tid\":124,\"op\":\"shm_open\","
			 "\"args\":{\"name\":\"/app\",\"oflag\":\"O_RDWR|O_CREAT|O_EXCL\",\"mode\":\"0600\"},"
			 "\"ret\":3,\"errno\":null,\"dur_ns\":1834,\"key\":\"posix:/app\"}";
	const struct tj_node *root, *args;

	(void)state;
	assert_int_equal(parse(ev), 0);
	root = &doc.node[0];
	assert_int_equal(root->type, TJ_OBJ);
	assert_string_equal(tj_get(&doc, root, "ts")->text, "1763881234.123456789");
	assert_int_equal(tj_int(tj_get(&doc, root, "pid"), 0), 123);
	assert_string_equal(tj_str(tj_get(&doc, root, "op")), "shm_open");
	assert_int_equal(tj_get(&doc, root, "errno")->type, TJ_NULL);
	assert_null(tj_str(tj_get(&doc, root, "errno")));
	args = tj_get(&doc, root, "args");
	assert_string_equal(tj_str(tj_get(&doc, args, "oflag")), "O_RDWR|O_CREAT|O_EXCL");
	assert_null(tj_get(&doc, args, "nope"));
	assert_null(tj_get(&doc, tj_get(&doc, root, "ret"), "x"));
	assert_true(tj_num(tj_get(&doc, root, "dur_ns"), -1) == 1834.0);
	assert_true(tj_num(tj_get(&doc, root, "op"), -1) == -1.0);
}

static void test_arrays_and_words(void **state)
{
	const struct tj_node *a, *k;

	(void)state;
	assert_int_equal(parse(" [ {\"num\":0,\"op\":-1,\"flg\":\"SEM_UNDO\"}, [], {}, true, false, -2.5e3 ] "), 0);
	a = &doc.node[0];
	assert_int_equal(a->type, TJ_ARR);
	k = tj_child(&doc, a);
	assert_int_equal(tj_int(tj_get(&doc, k, "op"), 0), -1);
	k = tj_next(&doc, k);
	assert_int_equal(k->type, TJ_ARR);
	assert_null(tj_child(&doc, k));
	k = tj_next(&doc, tj_next(&doc, k));
	assert_int_equal(k->type, TJ_BOOL);
	assert_string_equal(k->text, "true");
	k = tj_next(&doc, tj_next(&doc, k));
	assert_true(tj_num(k, 0) == -2500.0);
	assert_null(tj_next(&doc, k));
}

static void test_escapes(void **state)
{
	(void)state;
	assert_int_equal(parse("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\""), 0);
	assert_string_equal(doc.node[0].text, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"",
		"\"a\nb\"", "tru", "nul", "-", "1 2", "{} x", "[\"a\" \"b\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i]) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_limits(void **state)
{
	size_t n = TJ_MAX_TEXT + 16;
	char *s = malloc(n + 3);
	char deep[TJ_MAX_DEPTH * 2 + 8];
	char many[TJ_MAX_NODES * 2 + 8];
	size_t i;

	(void)state;
	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, 'x', n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	assert_int_equal(parse(s), -1);
	free(s);
	for (i = 0; i < TJ_MAX_DEPTH + 1; i++)
		deep[i] = '[';
	for (size_t j = 0; j < TJ_MAX_DEPTH + 1; j++)
		deep[i++] = ']';
	deep[i] = '\0';
	assert_int_equal(parse(deep), -1);
	deep[TJ_MAX_DEPTH - 1] = '\0';
	memset(deep + TJ_MAX_DEPTH - 1, ']', TJ_MAX_DEPTH - 1);
	deep[2 * (TJ_MAX_DEPTH - 1)] = '\0';
	assert_int_equal(parse(deep), 0);
	i = 0;
	many[i++] = '[';
	for (size_t j = 0; j < TJ_MAX_NODES; j++) {
		many[i++] = '0';
		many[i++] = ',';
	}
	many[i - 1] = ']';
	many[i] = '\0';
	assert_int_equal(parse(many), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_arrays_and_words),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return TL_MAIN("trace_json", tests, NULL, NULL);
}
