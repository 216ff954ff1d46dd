# tests: trace — `nipc trace` and the shim against real, unmodified programs.
TRACE_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools \
	-DPYTHON3='"$(PYTHON3)"'

check_PROGRAMS += tests/test_trace_json
tests_test_trace_json_SOURCES = tests/test_trace_json.c tools/trace_json.c tools/trace_json.h
tests_test_trace_json_CPPFLAGS = $(TRACE_TEST_CPPFLAGS)
tests_test_trace_json_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_json_LDADD = $(CMOCKA_LIBS)
TESTS += tests/test_trace_json
