# shim/: libnipc-preload.so, the LD_PRELOAD interposer.
