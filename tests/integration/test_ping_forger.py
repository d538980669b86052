#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile "reflector" for test_ping.sh: it answers every datagram, but
never with a reply twamp-ping may use.

  test_ping_forger.py ADDR PORT --kind hmac|short|mismatch|unknown [--seconds S]

  hmac      112 octets of noise: an authenticated/encrypted reply whose HMAC
            cannot verify
  short     20 octets: shorter than any reflector header
  mismatch  a well-formed unauthenticated 41-octet reply whose Sender
            Timestamp is not the one the sender sent
  unknown   a well-formed reply for a Sender Sequence Number never sent

Prints "ready" once bound; exits after S seconds (default 30) of silence.
"""
import argparse
import os
import socket
import struct


def reply(kind, pkt):
    seq = struct.unpack("!I", pkt[:4])[0] if len(pkt) >= 4 else 0
    if kind == "hmac":
        return os.urandom(112)
    if kind == "short":
        return os.urandom(20)
    sseq = seq if kind == "mismatch" else seq + 1000000
    sts = 0x0102030405060708 if kind == "mismatch" else struct.unpack("!Q", pkt[4:12])[0]
    # RFC 5357 §4.2.1 unauthenticated: Seq | Timestamp | ErrEst | MBZ |
    # Receive Timestamp | Sender Seq | Sender Timestamp | Sender ErrEst | MBZ | TTL
    return struct.pack("!IQHHQIQHHB", seq, sts, 0x0001, 0, sts, sseq, sts,
                       0x0001, 0, 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--kind", required=True, choices=["hmac", "short", "mismatch", "unknown"])
    ap.add_argument("--seconds", type=float, default=30)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    s.settimeout(a.seconds)
    print("ready", flush=True)
    try:
        while True:
            pkt, peer = s.recvfrom(65535)
            s.sendto(reply(a.kind, pkt), peer)
    except socket.timeout:
        pass


if __name__ == "__main__":
    main()
