# tests: objects (shared memory, semaphores)
