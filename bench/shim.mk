# bench: shim overhead
