#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Owned UDP test packets from sources a reply must never go to (RFC 1122
§3.2.1.3, RFC 1812 §5.3.7, RFC 4291 §2.7), raw at L2 from the peer namespace
with scapy: none may be answered. After them one packet from the peer's own
address per family must be answered: the appliance handles one port's
packets in order, so once those replies are here every forged packet has been
judged. One "ok - ..." / "not ok - ..." line per check.

  martian_src.py IFACE DUT_MAC PORT --dut4 A --peer4 A [--dut6 A --peer6 A]
                 --src ADDR [--src ADDR ...] [--count N]
"""
import argparse
import socket
import sys
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

ETH_P_ALL = 3
SPORT = 40999
WAIT_S = 5.0  # bound on waiting for the control replies, not a timed assertion


def test_packet(seq):
    # RFC 5357 §4.1.2 unauthenticated Session-Sender packet: Sequence Number,
    # Timestamp, Error Estimate, padding (zero timestamp: nothing checks it)
    return seq.to_bytes(4, "big") + bytes(40)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("dut_mac")
    ap.add_argument("port", type=int)
    ap.add_argument("--dut4", required=True)
    ap.add_argument("--peer4", required=True)
    ap.add_argument("--dut6", default="")
    ap.add_argument("--peer6", default="")
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--count", type=int, default=3)
    a = ap.parse_args()
    mac = open("/sys/class/net/%s/address" % a.iface).read().strip()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))

    def frame(src, dst, seq):
        l3 = IPv6(src=src, dst=dst, hlim=255) if ":" in dst else IP(src=src, dst=dst, ttl=255)
        return bytes(Ether(src=mac, dst=a.dut_mac) / l3 /
                     UDP(sport=SPORT, dport=a.port) / Raw(test_packet(seq)))

    sent = 0
    for src in a.src:
        dst = a.dut6 if ":" in src else a.dut4
        if not dst:
            print("not ok - no appliance address of %s's family given" % src)
            return 1
        for i in range(a.count):
            s.send(frame(src, dst, 100 + sent))
            sent += 1
    controls = {(a.dut4, a.peer4)}
    if a.dut6:
        controls.add((a.dut6, a.peer6))
    for n, (dut, peer) in enumerate(sorted(controls)):
        s.send(frame(peer, dut, 9000 + n))

    answered, martian = set(), []
    deadline = time.monotonic() + WAIT_S
    s.settimeout(0.1)
    while len(answered) < len(controls) and time.monotonic() < deadline:
        try:
            b = s.recv(65535)
        except socket.timeout:
            continue
        e = Ether(b)
        if UDP not in e or e[UDP].sport != a.port or e[UDP].dport != SPORT:
            continue
        ip = e.payload
        if (ip.src, ip.dst) in controls:
            answered.add((ip.src, ip.dst))
        else:
            martian.append(ip.dst)
    rc = 0
    if len(answered) == len(controls):
        print("ok - the control packet%s from %s answered (every forged one judged before)"
              % ("s" if len(controls) > 1 else "", " and ".join(p for _, p in sorted(controls))))
    else:
        rc = 1
        print("not ok - the control packets answered # got %s" % sorted(answered))
    if not martian:
        print("ok - none of %d packets from %s answered" % (sent, ", ".join(a.src)))
    else:
        rc = 1
        print("not ok - none of %d packets from %s answered # replies to %s"
              % (sent, ", ".join(a.src), ", ".join(sorted(set(martian)))))
    return rc


if __name__ == "__main__":
    sys.exit(main())
