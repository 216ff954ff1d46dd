# SPDX-License-Identifier: MIT
# A real System V message queue peer for the trace tests: Debian's sysv_ipc
# module (python3-sysv-ipc) makes a queue on ftok(KEYFILE, 'Q'), sends a
# message, receives it and removes the queue. Prints the queue id first.
import sys
import sysv_ipc

key = sysv_ipc.ftok(sys.argv[1], 81, silence_warning=True)
q = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, mode=0o600)
print("msqid", q.id, flush=True)
q.send(b"hello", type=3)
msg, mtype = q.receive()
print(msg.decode(), mtype, flush=True)
q.remove()
