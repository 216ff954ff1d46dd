# tests: keygen
