#!/usr/bin/env python3
"""drops.py PID... - for each process, the packets its UDP sockets have
dropped so far (their receive buffers were full: the process did not read
fast enough), from the drops column of /proc/net/udp; one number a line."""
import os
import sys

drops = {}
for line in open("/proc/net/udp").readlines()[1:]:
    f = line.split()
    drops[f[9]] = drops.get(f[9], 0) + int(f[-1])  # inode -> drops

for pid in sys.argv[1:]:
    total = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                total += drops.get(link[8:-1], 0)
    except OSError:
        pass
    print(total)
