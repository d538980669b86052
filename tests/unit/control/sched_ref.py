#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent reference for RFC 4656 §5 (exponential deviates), written from
the RFC text with python3-cryptography's AES, for test_client_sched.

usage: sched_ref.py SID_HEX COUNT [MEAN_NTP_HEX]
prints COUNT intervals (hex, 32.32 fixed point): mean-1 deviates, or
(deviate * MEAN) >> 32 when MEAN is given.
"""
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# RFC 4656 §5.2: Q[1..11] scaled by 2^32
Q = [0, 0xB17217F8, 0xEEF193F7, 0xFD271862, 0xFF9D6DD0, 0xFFF4CFD0,
     0xFFFEE819, 0xFFFFE7FF, 0xFFFFFE2B, 0xFFFFFFE0, 0xFFFFFFFE, 0xFFFFFFFF]
MASK64 = (1 << 64) - 1


class Unif:
    """§5.3 Algorithm Unif: AES(SID) over a 16-octet big-endian counter."""

    def __init__(self, sid):
        self.enc = Cipher(algorithms.AES(sid), modes.ECB()).encryptor()
        self.c = 0
        self.block = b""

    def next(self):
        i = self.c % 4                                   # U2
        if i == 0:
            self.block = self.enc.update(self.c.to_bytes(16, "big"))
        self.c = (self.c + 1) % (1 << 128)               # U3
        return int.from_bytes(self.block[4 * i:4 * i + 4], "big")  # U4


def mul(u, v):
    """§5.2 multiplication: (u * v) >> 32, exact, kept to 64 bits."""
    return ((u * v) >> 32) & MASK64


def exp_rand(g):
    """§5.1 Algorithm S, mean 1, in 32.32 fixed point."""
    u = g.next()                                         # S1
    j = 0
    while j < 32 and (u >> (31 - j)) & 1:
        j += 1
    u = (u << (j + 1)) & 0xFFFFFFFF if j < 32 else 0
    ln2 = Q[1]
    if u < ln2:                                          # S2
        return (mul(j << 32, ln2) + u) & MASK64
    k = 2                                                # S3
    while k < 11 and u >= Q[k]:
        k += 1
    v = min(g.next() for _ in range(k))
    return mul((j << 32) + v, ln2)                       # S4


def main():
    sid = bytes.fromhex(sys.argv[1])
    n = int(sys.argv[2])
    mean = int(sys.argv[3], 16) if len(sys.argv) > 3 else None
    g = Unif(sid)
    out = []
    for _ in range(n):
        x = exp_rand(g)
        out.append("%016x" % (mul(x, mean) if mean is not None else x))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
