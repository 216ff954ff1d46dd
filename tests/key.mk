# SPDX-License-Identifier: MIT
# Key model, string form, key generation, SHA-1, nipc key.
check_PROGRAMS += tests/test_key_model
TESTS += tests/test_key_model
tests_test_key_model_LDADD = $(TEST_LIBS)
