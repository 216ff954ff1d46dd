# SPDX-License-Identifier: MIT
"""A Python program on the sysv_ipc module (Debian's python3-sysv-ipc), run
unmodified against the kernel and under nipc's System V emulation: every
line it prints must be the same in both worlds (ids, pids and times are
never printed, only compared).

    real_sysv_ipc.py shm KEY   shared memory on KEY
    real_sysv_ipc.py sem KEY   a semaphore on KEY
    (internal: reader KEY, waiter KEY, undo-child KEY, plain-child KEY)
"""
import os
import subprocess
import sys
import time

import sysv_ipc


def say(*words):
    print(*words, flush=True)


def outcome(f):
    """ok, or the name of the error f raised (sysv_ipc says ValueError for EINVAL)."""
    try:
        f()
        return "ok"
    except (sysv_ipc.Error, ValueError) as e:
        return type(e).__name__


def again(args):
    return [sys.executable, os.path.abspath(__file__)] + [str(a) for a in args]


def child_lines(args):
    r = subprocess.run(again(args), stdout=subprocess.PIPE, check=True, timeout=60)
    for line in r.stdout.decode().splitlines():
        say(" ", line)


def shm(key):
    m = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, mode=0o600, size=8192)
    say("size", m.size)
    say("attached", m.number_attached)
    say("again exclusive", outcome(lambda: sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX)))
    m.write(b"hello from the creator")
    child_lines(["reader", key])
    say("attached after reader", m.number_attached)
    say("last pid is not mine", m.last_pid != os.getpid())
    say("reply", m.read(5, offset=100))
    pid = os.fork()
    if pid == 0:
        os._exit(m.number_attached)
    _, status = os.waitpid(pid, 0)
    say("attached in a fork child", os.waitstatus_to_exitcode(status))
    say("attached after it", m.number_attached)
    m.remove()
    say("key after remove", outcome(lambda: sysv_ipc.SharedMemory(key)))
    say("bytes after remove", m.read(5))
    m.detach()
    say("read after detach", outcome(lambda: m.read(5)))
    say("id after the last detach", outcome(lambda: sysv_ipc.attach(m.id)))


def reader(key):
    m = sysv_ipc.SharedMemory(key)
    say("reads", m.read(22))
    say("attached", m.number_attached)
    m.write(b"reply", offset=100)
    m.detach()


def wait_for_waiter(s):
    for _ in range(2000):
        if s.waiting_for_nonzero == 1:
            return True
        time.sleep(0.005)
    return False


def sem(key):
    s = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, mode=0o600, initial_value=1)
    say("value", s.value)
    s.acquire()
    say("acquired, value", s.value)
    say("acquire again, no wait", outcome(lambda: s.acquire(0)))
    t0 = time.monotonic()
    say("acquire again, 0.3 s", outcome(lambda: s.acquire(0.3)))
    say("waited at least 0.25 s", time.monotonic() - t0 >= 0.25)
    w = subprocess.Popen(again(["waiter", key]), stdout=subprocess.PIPE)
    say("a waiter blocks", wait_for_waiter(s))
    s.release()
    say("waiter:", w.communicate(timeout=60)[0].decode().strip())
    say("value after the waiter", s.value)
    child_lines(["undo-child", key])
    say("value after an undo child", s.value)
    child_lines(["plain-child", key])
    say("value after a plain child", s.value)
    s.release()
    w = subprocess.Popen(again(["waiter", key]), stdout=subprocess.PIPE)
    s.acquire()
    say("a waiter blocks", wait_for_waiter(s))
    s.remove()
    say("waiter after remove:", w.communicate(timeout=60)[0].decode().strip())
    say("key after remove", outcome(lambda: sysv_ipc.Semaphore(key)))


def waiter(key):
    s = sysv_ipc.Semaphore(key)
    r = outcome(lambda: s.acquire(30))
    if r == "ok":
        s.release()
    say(r)


def undo_child(key):
    s = sysv_ipc.Semaphore(key)
    s.undo = True
    s.acquire()
    say("holds with undo, value", s.value)


def plain_child(key):
    s = sysv_ipc.Semaphore(key)
    s.acquire()
    say("holds, value", s.value)


def main():
    what, key = sys.argv[1], int(sys.argv[2], 0)
    {"shm": shm, "reader": reader, "sem": sem, "waiter": waiter,
     "undo-child": undo_child, "plain-child": plain_child}[what](key)


main()
