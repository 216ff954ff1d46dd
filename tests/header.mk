# SPDX-License-Identifier: MIT
# tests: the public header alone, as C, C++ and with MinGW, and libnipc(3)
# showing every function it declares.
TESTS += tests/test_header.sh
EXTRA_DIST += tests/test_header.sh
AM_TESTS_ENVIRONMENT += NIPC_CC='$(CC)'; export NIPC_CC; NIPC_CXX='$(CXX)'; export NIPC_CXX;
