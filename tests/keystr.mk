# tests: keystr
