#!/usr/bin/env python3
"""A slow, lossy link for the transfer benchmark (this kernel has no tc netem).

Opens two TUN devices, A and B, and passes every IP packet read from one to the
other after DELAY_MS milliseconds, dropping each with probability LOSS (both
directions, so ACKs are lost too). The benchmark moves A and B into two network
namespaces of its own; TCP between them then meets real delay and real loss.

Usage: lossy_link.py A B DELAY_MS LOSS   (prints "ready" once both devices exist;
runs until killed). Needs root (CAP_NET_ADMIN) and /dev/net/tun.
"""

import collections
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main():
    a_name, b_name, delay_ms, loss = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    a, b = open_tun(a_name), open_tun(b_name)
    other = {a: b, b: a}
    # Packets on their way to each device: (due, bytes), in order (constant delay).
    queues = {a: collections.deque(), b: collections.deque()}
    delay = delay_ms / 1000.0
    rng = random.Random(7)
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        timeout = None
        for fd, queue in queues.items():
            while queue and queue[0][0] <= now:
                try:
                    os.write(fd, queue.popleft()[1])
                except (BlockingIOError, OSError):
                    pass  # a full or downed device drops it, as a link would
            if queue:
                wait = queue[0][0] - now
                timeout = wait if timeout is None else min(timeout, wait)
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            for _ in range(256):
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if rng.random() >= loss:
                    queues[other[fd]].append((now + delay, packet))


if __name__ == "__main__":
    main()
