#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TWAMP Light / STAMP Session-Reflector over kernel UDP sockets, for testing
twamp-dp's Session-Sender with a second implementation (layouts and crypto as
in twl_sender.py, which documents the offsets).

  twl_reflector.py SECONDS PORTSPEC...
      PORTSPEC = PORT:PROTO:MODE[:KEYHEX][:drop=N][:dup=N]
      PROTO light|stamp, MODE open|auth|enc; drop=N drops the reply to every
      sender sequence number n with n % N == N-1, dup=N sends the reply to
      every n with n % N == 0 twice. Listens on 0.0.0.0 and :: for every port.
      Prints "listening" once bound; on exit a JSON line of counters per port
      (with "tos": the TOS / Traffic Class octets seen).

The reflector keeps its own sequence numbers per port (RFC 5357 §4.2.1 /
stateful STAMP), so lost replies split into forward and backward losses.
"""
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twl_sender import IP_RECVTTL, IPV6_RECVHOPLIMIT, aes, now_ntp  # noqa: E402

ERREST = 0x0001  # not synchronised, multiplier 1


class Port:
    def __init__(self, spec):
        f = spec.split(":")
        self.port, self.proto, self.mode = int(f[0]), f[1], f[2]
        self.key, self.drop, self.dup = b"", 0, 0
        for x in f[3:]:
            if x.startswith("drop="):
                self.drop = int(x[5:])
            elif x.startswith("dup="):
                self.dup = int(x[4:])
            elif x:
                self.key = bytes.fromhex(x)
        self.auth = self.mode != "open"
        self.seq = 0
        self.c = dict(rx=0, replied=0, dropped=0, duplicated=0, bad=0)
        self.tos = set()

    def _mac(self, data):
        if self.proto == "stamp":
            return hmac.new(self.key, data, hashlib.sha256).digest()[:16]
        return hmac.new(self.key[16:], data, hashlib.sha1).digest()[:16]

    def decode(self, b):
        """Sender packet -> (seq, ts, errest, ssid) or None when bad."""
        if not self.auth:
            if len(b) < 14:
                return None
            seq, ts, err = struct.unpack_from("!IQH", b, 0)
            ssid = struct.unpack_from("!H", b, 14)[0] if self.proto == "stamp" and len(b) >= 16 else 0
            return seq, ts, err, ssid
        p = bytearray(b)
        if self.proto == "stamp":
            if len(p) < 112 or not hmac.compare_digest(self._mac(bytes(p[:96])), bytes(p[96:112])):
                return None
        else:
            if len(p) < 48:
                return None
            cover = 32 if self.mode == "enc" else 16
            p[:cover] = aes(self.key[:16], "cbc" if self.mode == "enc" else "ecb",
                            bytes(p[:cover]), decrypt=True)
            if not hmac.compare_digest(self._mac(bytes(p[:cover])), bytes(p[32:48])):
                return None
        seq, = struct.unpack_from("!I", p, 0)
        ts, err, ssid = struct.unpack_from("!QHH", p, 16)
        return seq, ts, err, ssid if self.proto == "stamp" else 0

    def reply(self, b, rx_ts, ttl):
        d = self.decode(b)
        if d is None:
            self.c["bad"] += 1
            return None
        sseq, sts, serr, ssid = d
        hdr = 112 if self.auth else (44 if self.proto == "stamp" else 41)
        p = bytearray(max(len(b), hdr))
        # STAMP TLVs and the padding come back as sent (RFC 8972 §4)
        p[hdr:] = b[hdr:] if len(b) > hdr else b""
        seq = self.seq
        self.seq += 1
        tx = now_ntp()
        if not self.auth:
            struct.pack_into("!IQH", p, 0, seq, tx, ERREST)
            if self.proto == "stamp":
                struct.pack_into("!H", p, 14, ssid)
            struct.pack_into("!QIQH", p, 16, rx_ts, sseq, sts, serr)
            p[40] = ttl
            return bytes(p)
        struct.pack_into("!I", p, 0, seq)
        struct.pack_into("!QH", p, 16, tx, ERREST)
        if self.proto == "stamp":
            struct.pack_into("!H", p, 26, ssid)
        struct.pack_into("!Q", p, 32, rx_ts)
        struct.pack_into("!I", p, 48, sseq)
        struct.pack_into("!QH", p, 64, sts, serr)
        p[80] = ttl
        if self.proto == "stamp":
            p[96:112] = self._mac(bytes(p[:96]))
            return bytes(p)
        cover = 96 if self.mode == "enc" else 16
        p[96:112] = self._mac(bytes(p[:cover]))
        p[:cover] = aes(self.key[:16], "cbc" if self.mode == "enc" else "ecb", bytes(p[:cover]))
        return bytes(p)


IP_RECVTOS = 13
IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_RECVTCLASS = 66
IPV6_TCLASS = 67


def reply_from(anc):
    """Ancillary data that sends the reply from the address the test packet
    was sent to (a reflector's duty; an unbound socket would otherwise pick
    the route's source address)."""
    for lvl, typ, data in anc:
        if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO and len(data) >= 12:
            return [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, data[8:12], bytes(4)))]
        if lvl == socket.IPPROTO_IPV6 and typ == IPV6_PKTINFO and len(data) >= 20:
            return [(socket.IPPROTO_IPV6, IPV6_PKTINFO, data[:16] + struct.pack("=i", 0))]
    return []


def ttl_tos(anc):
    """(TTL / Hop Limit, TOS / Traffic Class) from the control messages."""
    ttl = tos = 0
    for lvl, typ, data in anc:
        if lvl == socket.IPPROTO_IP and typ == 2 and len(data) >= 4:   # IP_TTL
            ttl = struct.unpack("=i", data[:4])[0] & 0xff
        elif lvl == socket.IPPROTO_IPV6 and typ == 52 and len(data) >= 4:  # IPV6_HOPLIMIT
            ttl = struct.unpack("=i", data[:4])[0] & 0xff
        elif lvl == socket.IPPROTO_IP and typ == 1 and len(data) >= 1:  # IP_TOS
            tos = data[0]
        elif lvl == socket.IPPROTO_IPV6 and typ == IPV6_TCLASS and len(data) >= 4:
            tos = struct.unpack("=i", data[:4])[0] & 0xff
    return ttl, tos


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    seconds = float(sys.argv[1])
    ports = [Port(s) for s in sys.argv[2:]]
    aes(bytes(16), "ecb", bytes(16))  # import the crypto module now, not on the first packet
    socks = {}
    for pt in ports:
        for fam, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
                s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
                s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
            else:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVTCLASS, 1)
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
            s.bind((any_addr, pt.port))
            socks[s] = pt
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("listening", flush=True)
    end = time.time() + seconds
    while not stop and time.time() < end:
        r, _, _ = select.select(list(socks), [], [], 0.2)
        for s in r:
            data, anc, _, addr = s.recvmsg(65535, 2 * socket.CMSG_SPACE(4) + socket.CMSG_SPACE(20))
            rx = now_ntp()
            pt = socks[s]
            pt.c["rx"] += 1
            ttl, tos = ttl_tos(anc)
            pt.tos.add(tos)
            out = pt.reply(data, rx, ttl)
            if out is None:
                continue
            sseq = pt.decode(data)[0]
            if pt.drop and sseq % pt.drop == pt.drop - 1:
                pt.c["dropped"] += 1
                continue
            src = reply_from(anc)
            s.sendmsg([out], src, 0, addr)
            pt.c["replied"] += 1
            if pt.dup and sseq % pt.dup == 0:
                s.sendmsg([out], src, 0, addr)
                pt.c["duplicated"] += 1
    for p in ports:
        p.c["tos"] = sorted(p.tos)
    print(json.dumps({str(p.port): p.c for p in ports}), flush=True)


if __name__ == "__main__":
    main()
