#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TWAMP Light / STAMP Session-Sender over kernel UDP sockets (no scapy).

Independent of the C code: packet layouts written from the RFCs, crypto with
the `cryptography` module and hashlib, so a test reads the reflector's
replies with a second implementation.

  twl_sender.py stream DST PORT [--proto light|stamp] [--rate PPS] [--seconds S] [--json]
      paced stream, then sent / received / lost / RTT min, median, max
  twl_sender.py check DST PORT --proto light|stamp --mode open|auth|enc [--key HEX] [--count N] [--own-seq]
      send N packets, check every reply field by field; one "ok"/"not ok" line per check
  twl_sender.py malformed DST PORT --kind short|badhmac|garbage [--proto ..] [--mode ..] [--key HEX]
      send N bad packets; "ok" when none is answered

Layouts (offsets in octets):
  RFC 4656 §4.1.2 / RFC 5357 §4.1.2 sender, unauthenticated: Seq 0 | Timestamp 4 |
      Error Estimate 12 | Padding 14
  sender, authenticated/encrypted: Seq 0 | MBZ 4 | Timestamp 16 | Error Estimate 24 |
      MBZ 26 | HMAC 32 | Padding 48
  RFC 5357 §4.2.1 reflector, unauthenticated: Seq 0 | Timestamp 4 | ErrEst 12 | MBZ 14 |
      Receive Timestamp 16 | Sender Seq 24 | Sender Timestamp 28 | Sender ErrEst 36 |
      MBZ 38 | Sender TTL 40 | Padding 41
  reflector, authenticated/encrypted (erratum 5045, 112): Seq 0 | MBZ 4 | Timestamp 16 |
      ErrEst 24 | MBZ 26 | Receive Timestamp 32 | MBZ 40 | Sender Seq 48 | MBZ 52 |
      Sender Timestamp 64 | Sender ErrEst 72 | MBZ 74 | Sender TTL 80 | MBZ 81 | HMAC 96
  RFC 8762 §4.2/§4.3 STAMP: the same offsets, sender unauthenticated 44 octets (MBZ 30,
      SSID at 14 per RFC 8972), authenticated 112 (HMAC-SHA-256/128 over 0..95 at 96).
TWAMP Light keys (docs/protocol.md): 48 octets = AES-128 key (16) | HMAC-SHA1 key (32);
authenticated: first block AES-ECB, HMAC-SHA1/128 over octets 0..15; encrypted:
sender 0..31, reflector 0..95 AES-CBC IV 0, HMAC over the same plaintext.
"""
import argparse
import hashlib
import hmac
import json
import os
import select
import socket
import struct
import sys
import time

NTP_UNIX = 2208988800
IP_RECVTTL = 12
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
IP_TTL_CMSG = 2
SLOP_NS = 5_000_000  # host clock vs the reflector's TSC-derived NTP clock


def now_ntp():
    ns = time.time_ns()
    sec, rem = divmod(ns, 1_000_000_000)
    return ((sec + NTP_UNIX) << 32) | ((rem << 32) // 1_000_000_000)


def ntp_ns(t):
    return (t >> 32) * 1_000_000_000 + (((t & 0xffffffff) * 1_000_000_000) >> 32)


def aes(key, mode_name, data, decrypt=False):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    mode = modes.ECB() if mode_name == "ecb" else modes.CBC(bytes(16))
    c = Cipher(algorithms.AES(key), mode)
    x = c.decryptor() if decrypt else c.encryptor()
    return x.update(data) + x.finalize()


class Proto:
    """Encoder of sender packets and decoder of reflector packets for one
    protocol and mode."""

    def __init__(self, proto, mode, key):
        self.proto, self.mode = proto, mode
        self.key = bytes.fromhex(key) if key else b""
        if mode != "open" and proto == "light" and len(self.key) != 48:
            raise SystemExit("TWAMP Light auth/enc needs a 48-octet key")
        if mode != "open" and proto == "stamp" and not 16 <= len(self.key) <= 64:
            raise SystemExit("STAMP auth needs a 16..64-octet key")
        self.auth = mode != "open"
        # sender payload: header plus the padding that makes the reply as long
        if proto == "light":
            self.send_len = 48 + 64 if self.auth else 14 + 27
        else:
            self.send_len = 112 if self.auth else 44
        self.refl_hdr = 112 if self.auth else 41 if proto == "light" else 44

    def _mac(self, data):
        if self.proto == "stamp":
            return hmac.new(self.key, data, hashlib.sha256).digest()[:16]
        return hmac.new(self.key[16:], data, hashlib.sha1).digest()[:16]

    def encode(self, seq, ts, errest=0x8001):
        """A sender packet; errest S=1, Multiplier 1 by default."""
        p = bytearray(self.send_len)
        if not self.auth:
            struct.pack_into("!IQH", p, 0, seq, ts, errest)
            return bytes(p)
        struct.pack_into("!I", p, 0, seq)
        struct.pack_into("!QH", p, 16, ts, errest)
        if self.proto == "stamp":
            p[96:112] = self._mac(bytes(p[:96]))
            return bytes(p)
        cover = 32 if self.mode == "enc" else 16
        p[32:48] = self._mac(bytes(p[:cover]))
        if self.mode == "enc":
            p[:32] = aes(self.key[:16], "cbc", bytes(p[:32]))
        else:
            p[:16] = aes(self.key[:16], "ecb", bytes(p[:16]))
        return bytes(p)

    def decode(self, b):
        """A reflector packet -> dict of fields, or a string saying what is wrong."""
        if len(b) < self.refl_hdr:
            return "reply of %d octets, shorter than the %d-octet header" % (len(b), self.refl_hdr)
        if not self.auth:
            seq, ts, err = struct.unpack_from("!IQH", b, 0)
            rts, sseq, sts, serr = struct.unpack_from("!QIQH", b, 16)
            return dict(seq=seq, ts=ts, err=err, rts=rts, sseq=sseq, sts=sts, serr=serr,
                        ttl=b[40], mac_ok=None)
        p = bytearray(b)
        if self.proto == "stamp":
            mac_ok = hmac.compare_digest(self._mac(bytes(p[:96])), bytes(p[96:112]))
        else:
            cover = 96 if self.mode == "enc" else 16
            p[:cover] = aes(self.key[:16], "cbc" if self.mode == "enc" else "ecb",
                            bytes(p[:cover]), decrypt=True)
            mac_ok = hmac.compare_digest(self._mac(bytes(p[:cover])), bytes(p[96:112]))
        seq, = struct.unpack_from("!I", p, 0)
        ts, err = struct.unpack_from("!QH", p, 16)
        rts, = struct.unpack_from("!Q", p, 32)
        sseq, = struct.unpack_from("!I", p, 48)
        sts, serr = struct.unpack_from("!QH", p, 64)
        return dict(seq=seq, ts=ts, err=err, rts=rts, sseq=sseq, sts=sts, serr=serr,
                    ttl=p[80], mac_ok=mac_ok)


def open_socket(dst):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    # RFC 5357 §4.1.2: the sender sends with TTL 255; receive the reply's TTL too
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    return s


def recv(s, timeout):
    """(payload, ttl or None, receive time NTP) or None on timeout."""
    r, _, _ = select.select([s], [], [], timeout)
    if not r:
        return None
    data, anc, _, _ = s.recvmsg(65535, socket.CMSG_SPACE(4))
    t = now_ntp()
    ttl = None
    for level, typ, val in anc:
        if (level, typ) in ((socket.IPPROTO_IP, IP_TTL_CMSG), (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
            ttl = int.from_bytes(val[:4], sys.byteorder) if len(val) >= 4 else val[0]
    return data, ttl, t


def cmd_stream(a):
    pr = Proto(a.proto, "open", None)
    if a.size:
        pr.send_len = max(a.size, 14)
    s = open_socket(a.dst)
    n = max(1, int(a.rate * a.seconds))
    interval = 1.0 / a.rate
    sent_ts, rtts, dup, bad = {}, {}, 0, 0
    start = time.monotonic()
    for seq in range(n):
        due = start + seq * interval
        while True:
            left = due - time.monotonic()
            got = recv(s, max(0.0, left)) if left > 0 else None
            if got is None:
                break
            dup, bad = _take(pr, got, sent_ts, rtts, dup, bad)
        ts = now_ntp()
        sent_ts[seq] = ts
        s.sendto(pr.encode(seq, ts), (a.dst, a.port))
    deadline = time.monotonic() + a.wait
    while len(rtts) < n and time.monotonic() < deadline:
        got = recv(s, deadline - time.monotonic())
        if got is None:
            break
        dup, bad = _take(pr, got, sent_ts, rtts, dup, bad)
    v = sorted(rtts.values())
    res = dict(sent=n, received=len(rtts), lost=n - len(rtts), duplicates=dup, invalid=bad,
               rtt_min_us=v[0] / 1000 if v else None,
               rtt_median_us=(v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2) / 1000 if v else None,
               rtt_max_us=v[-1] / 1000 if v else None)
    if a.json:
        print(json.dumps(res))
    else:
        print("sent %d, received %d, lost %d (%.2f %%)" % (n, len(rtts), n - len(rtts), 100.0 * (n - len(rtts)) / n))
        if v:
            print("RTT min %.1f us, median %.1f us, max %.1f us" % (res["rtt_min_us"], res["rtt_median_us"], res["rtt_max_us"]))
    return 0 if rtts else 1


def _take(pr, got, sent_ts, rtts, dup, bad):
    data, _, t = got
    f = pr.decode(data)
    if isinstance(f, str) or f["sseq"] not in sent_ts or f["sts"] != sent_ts[f["sseq"]]:
        return dup, bad + 1
    if f["sseq"] in rtts:
        return dup + 1, bad
    rtts[f["sseq"]] = ntp_ns(t) - ntp_ns(f["sts"])
    return dup, bad


def cmd_check(a):
    """Every reply field by field; one line per check over all packets."""
    pr = Proto(a.proto, a.mode, a.key)
    s = open_socket(a.dst)
    fails = {}
    names = ["reply received for every packet",
             "reply UDP payload length equals the request's (%d octets)" % pr.send_len,
             "HMAC of the reply verifies" if pr.auth else None,
             "Sequence Number is the reflector's own, from 0" if a.own_seq else
             "Sequence Number copied (stateless reflector)",
             "Sender Sequence Number copied",
             "Sender Timestamp copied",
             "Sender Error Estimate copied",
             "Sender TTL is 255 (sent with 255, one hop)",
             "Receive Timestamp <= Timestamp",
             "sender time <= Receive Timestamp, Timestamp <= reply arrival (5 ms slop)",
             "reflector Error Estimate has a non-zero Multiplier",
             "reply sent with TTL/Hop Limit 255",
             "reply from the reflector's address and test port"]
    names = [x for x in names if x]
    for n in names:
        fails[n] = None

    def fail(name, why):
        if fails[name] is None:
            fails[name] = why

    base = int.from_bytes(os.urandom(2), "big") << 8
    for i in range(a.count):
        seq = base + i
        ts = now_ntp()
        err = 0x8000 | (i % 60) << 8 | (1 + i % 200)  # S, Scale, Multiplier vary per packet
        s.sendto(pr.encode(seq, ts, err), (a.dst, a.port))
        got = None
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], deadline - time.monotonic())
            if not r:
                break
            data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(4))
            tr = now_ntp()
            ttl = None
            for level, typ, val in anc:
                if (level, typ) in ((socket.IPPROTO_IP, IP_TTL_CMSG), (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
                    ttl = int.from_bytes(val[:4], sys.byteorder)
            got = (data, ttl, tr, addr)
            break
        if got is None:
            fail(names[0], "no reply to sequence %d" % seq)
            continue
        data, ttl, tr, addr = got
        if addr[0] != a.dst and addr[0] != "::ffff:" + a.dst or addr[1] != a.port:
            fail("reply from the reflector's address and test port", "from %s" % (addr,))
        if len(data) != pr.send_len:
            fail(names[1], "reply %d octets" % len(data))
        f = pr.decode(data)
        if isinstance(f, str):
            fail(names[1], f)
            continue
        if pr.auth and not f["mac_ok"]:
            fail("HMAC of the reply verifies", "seq %d: HMAC mismatch" % seq)
            continue
        if a.own_seq and f["seq"] != i:
            fail("Sequence Number is the reflector's own, from 0", "got %d for packet %d" % (f["seq"], i))
        elif not a.own_seq and f["seq"] != seq:
            fail("Sequence Number copied (stateless reflector)", "got %d, sent %d" % (f["seq"], seq))
        if f["sseq"] != seq:
            fail("Sender Sequence Number copied", "got %d, sent %d" % (f["sseq"], seq))
        if f["sts"] != ts:
            fail("Sender Timestamp copied", "got %x, sent %x" % (f["sts"], ts))
        if f["serr"] != err:
            fail("Sender Error Estimate copied", "got %04x, sent %04x" % (f["serr"], err))
        if f["ttl"] != 255:
            fail("Sender TTL is 255 (sent with 255, one hop)", "got %d" % f["ttl"])
        if not f["rts"] <= f["ts"]:
            fail("Receive Timestamp <= Timestamp", "receive %x > send %x" % (f["rts"], f["ts"]))
        if not (ntp_ns(ts) - SLOP_NS <= ntp_ns(f["rts"]) and ntp_ns(f["ts"]) <= ntp_ns(tr) + SLOP_NS):
            fail("sender time <= Receive Timestamp, Timestamp <= reply arrival (5 ms slop)",
                 "sent %d, receive %d, send %d, arrival %d (ns)" %
                 (ntp_ns(ts), ntp_ns(f["rts"]), ntp_ns(f["ts"]), ntp_ns(tr)))
        if f["err"] & 0xff == 0:
            fail("reflector Error Estimate has a non-zero Multiplier", "got %04x" % f["err"])
        if ttl != 255:
            fail("reply sent with TTL/Hop Limit 255", "got %s" % ttl)
    tag = "%s %s %s port %d" % (a.proto, a.mode, "IPv6" if ":" in a.dst else "IPv4", a.port)
    rc = 0
    for n in names:
        if fails[n] is None:
            print("ok - %s: %s" % (tag, n))
        else:
            rc = 1
            print("not ok - %s: %s # %s" % (tag, n, fails[n]))
    return rc


def cmd_malformed(a):
    pr = Proto(a.proto, a.mode, a.key)
    s = open_socket(a.dst)
    for i in range(a.count):
        if a.kind == "short":
            pkt = pr.encode(i, now_ntp())[:10 if not pr.auth else 40]
        elif a.kind == "badhmac":
            p = bytearray(pr.encode(i, now_ntp()))
            off = 96 if pr.proto == "stamp" else 32
            p[off] ^= 0x5a
            pkt = bytes(p)
        else:
            pkt = os.urandom(pr.send_len)
        s.sendto(pkt, (a.dst, a.port))
    got = recv(s, a.wait)
    tag = "%s %s %s port %d" % (a.proto, a.mode, "IPv6" if ":" in a.dst else "IPv4", a.port)
    if got is None:
        print("ok - %s: %d %s packets not answered" % (tag, a.count, a.kind))
        return 0
    print("not ok - %s: %s packet answered (%d octets)" % (tag, a.kind, len(got[0])))
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("stream", "check", "malformed"):
        p = sub.add_parser(name)
        p.add_argument("dst")
        p.add_argument("port", type=int)
        p.add_argument("--proto", choices=["light", "stamp"], default="light")
        p.add_argument("--wait", type=float, default=1.0, help="seconds to wait for late replies")
        if name != "stream":
            p.add_argument("--mode", choices=["open", "auth", "enc"], default="open")
            p.add_argument("--key", help="hex key (auth/enc)")
            p.add_argument("--count", type=int, default=10)
    p = sub.choices["stream"]
    p.add_argument("--rate", type=float, default=200.0, help="packets per second")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--size", type=int, default=0,
                   help="UDP payload octets (default: 41 TWAMP Light, 44 STAMP; 44 suits both)")
    sub.choices["check"].add_argument("--own-seq", action="store_true",
                                      help="stateful session: expect the reflector's own sequence 0, 1, ...")
    sub.choices["malformed"].add_argument("--kind", choices=["short", "badhmac", "garbage"], required=True)
    a = ap.parse_args()
    return {"stream": cmd_stream, "check": cmd_check, "malformed": cmd_malformed}[a.cmd](a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
