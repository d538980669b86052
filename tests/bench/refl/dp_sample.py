#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Measure a running twamp-dp data plane through DPDK telemetry.

  dp_sample.py SOCKET [--warmup S] [--seconds S] [--pid PID] [--wait S]
               [--extra CMD ...]

Waits for the telemetry socket (and for packets to flow), lets the worker
warm up, reads /twamp/dp/stats at the start and end of a fixed window
(wall clock between the two reads) and /twamp/dp/turnaround at the end.
Prints one JSON object: rx/tx Mpps over the window (and per second of CPU
time of the process's EAL worker thread, with --pid), counter deltas (drops
by reason included; /twamp/refl/stats too when the reflector serves it) and
the turnaround percentiles. --extra CMD (repeatable, e.g. /twamp/ipsec/stats)
adds that command's integer fields: "extra": {CMD: {"delta": over the window,
"end": at its end}}. Exit 1 when the socket
never appears or the process dies first.
"""
import argparse
import json
import os
import socket
import sys
import time


def worker_ns(pid):
    """CPU time (ns) of the process's EAL worker thread, or None."""
    if pid is None:
        return None
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            base = "/proc/%d/task/%s/" % (pid, tid)
            with open(base + "comm") as f:
                if "worker" not in f.read():
                    continue
            with open(base + "schedstat") as f:
                return int(f.read().split()[0])
    except OSError:
        pass
    return None


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it has no telemetry
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Telemetry:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(path)
        info = json.loads(self.s.recv(65536).decode())
        self.max_len = int(info.get("max_output_len", 16384))

    def cmd(self, c):
        self.s.send(c.encode())
        return json.loads(self.s.recv(self.max_len + 1024).decode())[c.split(",")[0]]

    def close(self):
        self.s.close()


def connect(path, pid, wait):
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if not alive(pid):
            return None
        if os.path.exists(path):
            try:
                return Telemetry(path)
            except (OSError, ValueError):
                pass
        time.sleep(0.05)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--wait", type=float, default=30.0)
    ap.add_argument("--extra", action="append", default=[])
    a = ap.parse_args()

    t = connect(a.socket, a.pid, a.wait)
    if t is None:
        print("dp_sample: no telemetry at %s" % a.socket, file=sys.stderr)
        return 1
    # wait until the worker forwards, then warm up
    end = time.monotonic() + a.wait
    # (null until twamp-dp has registered its commands)
    while (t.cmd("/twamp/dp/stats") or {}).get("rx", 0) == 0:
        if time.monotonic() > end or not alive(a.pid):
            print("dp_sample: no packets received", file=sys.stderr)
            return 1
        time.sleep(0.05)
    time.sleep(a.warmup)
    r0 = t.cmd("/twamp/refl/stats") or {}
    c0 = worker_ns(a.pid)
    s0, t0 = t.cmd("/twamp/dp/stats"), time.monotonic()
    e0 = {c: t.cmd(c) or {} for c in a.extra}  # right after: the same packets
    time.sleep(a.seconds)
    s1, t1 = t.cmd("/twamp/dp/stats"), time.monotonic()
    e1 = {c: t.cmd(c) or {} for c in a.extra}
    c1 = worker_ns(a.pid)
    r1 = t.cmd("/twamp/refl/stats") or {}
    ta = t.cmd("/twamp/dp/turnaround")
    t.close()
    dt = t1 - t0
    delta = {k: s1[k] - s0.get(k, 0) for k in s1 if isinstance(s1[k], int)}
    # the reflector's own counters (when it registered them), drops by reason
    refl = {k: r1[k] - r0.get(k, 0) for k in r1
            if isinstance(r1[k], int) and isinstance(r0.get(k, 0), int)}
    out = {
        "window_s": round(dt, 3),
        "rx_mpps": round(delta.get("rx", 0) / dt / 1e6, 3),
        "mpps": round(delta.get("tx", 0) / dt / 1e6, 3),
        # per second the worker was on a CPU: what a shared machine took
        # away from the window does not count
        "cpu_share": round((c1 - c0) / 1e9 / dt, 3) if c0 and c1 else None,
        "mpps_cpu": round(delta.get("tx", 0) / ((c1 - c0) / 1e9) / 1e6, 3)
        if c0 and c1 and c1 > c0 else None,
        "delta": delta,
        "refl_delta": refl,
        "turnaround_ns": {"p50": ta.get("p50_ns"), "p99": ta.get("p99_ns"),
                          "max": ta.get("max_ns"), "count": ta.get("count")},
    }
    if a.extra:
        out["extra"] = {c: {"delta": {k: v - e0[c].get(k, 0) for k, v in e1[c].items()
                                      if isinstance(v, int)},
                            "end": {k: v for k, v in e1[c].items() if isinstance(v, int)}}
                        for c in a.extra}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
