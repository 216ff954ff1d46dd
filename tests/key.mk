# SPDX-License-Identifier: MIT
# Key model, string form, key generation, SHA-1, nipc key.
check_PROGRAMS += tests/test_key_model
tests_test_key_model_SOURCES = tests/test_key_model.c $(TLIB_SOURCES)
tests_test_key_model_CPPFLAGS = $(TLIB_CPPFLAGS)
tests_test_key_model_CFLAGS = $(TEST_CFLAGS)
tests_test_key_model_LDADD = $(TEST_LIBS)
TESTS += tests/test_key_model
