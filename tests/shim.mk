# tests: shim
