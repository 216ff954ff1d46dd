# tests for shim
