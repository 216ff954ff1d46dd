# tests: qt5
