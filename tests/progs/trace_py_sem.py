# SPDX-License-Identifier: MIT
# An unmodified-style Python program: a multiprocessing.Semaphore taken and
# given back, then a timed acquire that fails because the value is 0.
import multiprocessing

sem = multiprocessing.Semaphore(1)
sem.acquire()
sem.release()
sem.acquire()
got = sem.acquire(timeout=0.01)
sem.release()
print("second acquire:", got, flush=True)
del sem
