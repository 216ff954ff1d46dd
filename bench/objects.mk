# bench: shared memory and semaphores vs Qt 5
