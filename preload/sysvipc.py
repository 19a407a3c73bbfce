# SPDX-License-Identifier: MIT
# sysvipc.py - Python's sysv_ipc module (python3-sysv-ipc), which nobody
# here wrote, driving messages, semaphores and shared memory.  Run on the
# kernel and under uipc-run by test-python.sh: the output must match.
import os
import sys

import sysv_ipc

key = int(sys.argv[1], 16)

mq = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, 0o600)
mq.send(b"hello", type=3)
mq.send(b"world", type=1)
mq.send("unicode \u00e9", type=7)
print("queued", mq.current_messages)
print("lowest type <= 5:", mq.receive(type=-5))
print("type 7:", mq.receive(type=7))
print("any:", mq.receive())
try:
    mq.receive(block=False)
except sysv_ipc.BusyError:
    print("empty queue: BusyError")
print("max_size", mq.max_size, "mode", oct(mq.mode))
mq.remove()
try:
    mq.send(b"x")
except (sysv_ipc.ExistentialError, OSError) as e:
    print("removed queue:", type(e).__name__, getattr(e, "errno", None))

sem = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, 0o600, initial_value=2)
sem.acquire()
print("after acquire", sem.value)
sem.release()
sem.release()
print("after 2 releases", sem.value)
sem.value = 0
try:
    sem.acquire(timeout=0.01)
except sysv_ipc.BusyError:
    print("timed acquire: BusyError")
# a child releases while we block
pid = os.fork()
if pid == 0:
    s2 = sysv_ipc.Semaphore(key)
    while s2.waiting_for_nonzero == 0:
        os.sched_yield()
    s2.release()
    os._exit(0)
sem.acquire()
os.waitpid(pid, 0)
print("woken by child, value", sem.value, "last op by me:", sem.last_pid == os.getpid())
sem.remove()

shm = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, 0o600, size=8192)
shm.write(b"abc", offset=100)
print("read back", shm.read(3, offset=100))
print("size", shm.size, "attached", shm.number_attached)
pid = os.fork()
if pid == 0:
    c = sysv_ipc.SharedMemory(key)
    c.write(b"from child", offset=0)
    c.detach()
    os._exit(0)
os.waitpid(pid, 0)
print("child wrote", shm.read(10))
shm.detach()
shm.remove()
try:
    sysv_ipc.SharedMemory(key)
except sysv_ipc.ExistentialError:
    print("removed segment: ExistentialError")
