# tests for objects
