#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The ESP peer of tests/integration/test_ipsec.sh (scapy's ESP, independent
of lib/ipsec): TWAMP Light / STAMP test packets inside ESP (tunnel mode,
plain or in UDP per RFC 3948) sent as raw frames, the replies decrypted with
the outbound SA's keys and checked field by field. One "ok - ..." /
"not ok - ..." line per check.

  test_ipsec_peer.py check IFACE DUT_MAC PEER DUT PORT --proto light|stamp
        --spi-in X --spi-out Y --cipher C --ckey HEX [--auth A --akey HEX] [--udp]
        [--count N] [--ah] [--transport] [--esn] [--no-replay] [--gone]
        [--tos SEQ --stamp-port P [--outer-dscp N]]
        [--spoof-src ADDR] [--martian-src ADDR ...]
  test_ipsec_peer.py tel PREFIX CMD      print a DPDK telemetry reply (JSON)
"""
import argparse
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twl_sender import Proto, now_ntp  # noqa: E402  (layouts from the RFCs)

from scapy.layers.inet import IP, UDP, ICMP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

ETH_P_ALL = 3
SPORT = 40862


def sa(a, spi, src, dst, out=False):
    l3 = IP if ":" not in src else IPv6
    kw = {} if a.transport else dict(tunnel_header=l3(src=src, dst=dst))
    if a.udp:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    ckey, akey = (a.ckey_out, a.akey_out) if out else (a.ckey, a.akey)
    if a.ah:  # RFC 4302: integrity only
        return SecurityAssociation(AH, spi=spi, auth_algo=a.auth, auth_key=bytes.fromhex(akey),
                                   **kw)
    if a.esn:  # RFC 4303 §2.2.1: the high 32 bits (0 here) enter the ICV
        kw.update(esn_en=True, esn=0)
    return SecurityAssociation(ESP, spi=spi, crypt_algo=a.cipher, crypt_key=bytes.fromhex(ckey),
                               auth_algo=a.auth, auth_key=bytes.fromhex(akey) if akey else None,
                               **kw)


def frame(a, enc):
    if a.udp:
        enc[UDP].len = len(enc[UDP])  # scapy 2.5 leaves 8 (RFC 768 length)
    v6 = ":" in a.peer
    return bytes(Ether(src=a.peer_mac, dst=a.dut_mac, type=0x86dd if v6 else 0x0800) / enc)


def recv_reply(s, a, timeout):
    """The next ESP (or ESP-in-UDP) frame from the appliance, as the IP layer."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        b = s.recv(65535)
        e = Ether(b)
        ip = e.payload
        if not isinstance(ip, (IP, IPv6)) or ip.src != a.dut:
            continue
        proto = ip.proto if isinstance(ip, IP) else ip.nh
        if proto in (50, 51) or (proto == 17 and UDP in ip and ip[UDP].sport == 4500):
            return ip


def icmp_unreach(s, a, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], deadline - time.monotonic())
        if not r:
            return False
        e = Ether(s.recv(65535))
        if ICMP in e and e[ICMP].type == 3 and e[ICMP].code == 3:
            return True
    return False


def as_esp(a, ip):
    """ESP-in-UDP -> the same packet with ESP right after IP (what scapy decrypts)."""
    if not a.udp:
        return ip
    esp = ESP(bytes(ip[UDP].payload))
    if isinstance(ip, IP):
        return IP(bytes(IP(src=ip.src, dst=ip.dst, proto=50) / esp))
    return IPv6(bytes(IPv6(src=ip.src, dst=ip.dst, nh=50) / esp))


def ds_of(ip):
    """The DS field (IPv4 TOS, IPv6 Traffic Class)."""
    return ip.tos if isinstance(ip, IP) else ip.tc


def set_ds(ip, ds):
    if isinstance(ip, IP):
        ip.tos = ds
        del ip.chksum  # scapy recomputes it
    else:
        ip.tc = ds


ECN = {0: "Not-ECT", 1: "ECT(1)", 2: "ECT(0)", 3: "CE"}
COS_TLV = 4  # RFC 8972 §4.4 (Class of Service), IANA STAMP TLV type


def cos_tlv(dscp1):
    """A STAMP Class of Service TLV asking for reply DSCP @dscp1."""
    return bytes([0, COS_TLV, 0, 4, dscp1 << 2, 0, 0, 0])


def cos_of(b):
    """The Class of Service TLV of a STAMP reply (after the 44-octet base):
    dict(dscp1, dscp2, ecn, rp), or a string saying what is wrong."""
    if len(b) < 44 + 8:
        return "reply of %d octets: no TLV" % len(b)
    t = b[44:52]
    if t[1] != COS_TLV or t[2:4] != b"\x00\x04":
        return "TLV type %d length %d, not Class of Service" % (t[1], t[2] << 8 | t[3])
    if t[0] & 0x60:  # U (unrecognized) or M (malformed) flag set
        return "TLV flags 0x%02x" % t[0]
    return dict(dscp1=t[4] >> 2, dscp2=(t[4] & 3) << 4 | t[5] >> 4, ecn=(t[5] >> 2) & 3,
                rp=t[5] & 3)


def cmd_tos(a, s, sa_in, sa_out, l3, tag):
    """RFC 4301 §5.1.2.1 / RFC 6040 across the tunnel: the replies' outer DS
    field against their inner one, and the inner ECN field the reflector
    saw after decapsulation (STAMP Class of Service TLV, RFC 8972 §4.4).
    ESP sequence numbers from --tos on."""
    pr = Proto(a.proto, "open", None)
    stamp = Proto("stamp", "open", None)
    seq = [a.tos]
    rc = 0

    def exchange(inner_ds, outer_ds, port, payload):
        inner = l3(src=a.peer, dst=a.dut) / UDP(sport=SPORT, dport=port) / Raw(payload)
        set_ds(inner, inner_ds)
        enc = sa_in.encrypt(l3(bytes(inner)), seq_num=seq[0])
        seq[0] += 1
        set_ds(enc, outer_ds)
        s.send(frame(a, enc))
        ip = recv_reply(s, a, 1.0)
        if ip is None:
            return None, "no reply"
        try:
            d = l3(bytes(sa_out.decrypt(as_esp(a, ip))))
        except Exception as ex:  # the ICV or the padding
            return None, "reply does not decrypt: %s" % str(ex)[:80]
        if UDP not in d:
            return None, "inner reply %s" % d.summary()
        return (ip, d), None

    def outer_ok(ip, d):
        """The outer DS field the SA must build from the inner one."""
        want = ds_of(d) if a.outer_dscp is None else a.outer_dscp << 2 | (ds_of(d) & 3)
        if ds_of(ip) != want:
            return "outer DS 0x%02x, inner 0x%02x: want 0x%02x" % (ds_of(ip), ds_of(d), want)
        return None

    def result(name, why):
        nonlocal rc
        if why is None:
            print("ok - %s: %s" % (tag, name))
        else:
            rc = 1
            print("not ok - %s: %s # %s" % (tag, name, why))

    od = "outer DSCP %d" % a.outer_dscp if a.outer_dscp is not None else "outer DS = inner DS"
    # 1. the reflector copies the request's DSCP (46, EF) into its reply
    #    (ECN 0); the reply's outer header must carry it (or the SA's DSCP)
    r, why = exchange(46 << 2 | 2, 0, a.port, pr.encode(9000, now_ntp()))
    if why is None:
        ip, d = r
        why = "inner reply DS 0x%02x, not EF (0xb8)" % ds_of(d) if ds_of(d) != 0xb8 \
            else outer_ok(ip, d)
    result("request EF + ECT(0) inside, DS 0 outside: the reply is EF inside, %s "
           "(RFC 4301 §5.1.2.1)" % od, why)
    # 2. outer CE over inner ECT(0) / ECT(1) over ECT(0): the reflector sees
    #    CE / ECT(1) (RFC 6040 §4.2), DSCP 46 unchanged; its reply takes the
    #    DSCP the CoS TLV asks for (18, AF21), outside too
    for outer, want in ((3, 3), (1, 1)):
        r, why = exchange(46 << 2 | 2, outer, a.stamp_port,
                          stamp.encode(9100 + outer, now_ntp()) + cos_tlv(18))
        if why is None:
            ip, d = r
            c = cos_of(bytes(d[UDP].payload))
            if isinstance(c, str):
                why = c
            elif c["dscp2"] != 46 or c["ecn"] != want:
                why = "CoS TLV: DSCP2 %d, ECN %s" % (c["dscp2"], ECN[c["ecn"]])
            elif ds_of(d) != 18 << 2:
                why = "inner reply DS 0x%02x, not DSCP 18 (the CoS TLV's DSCP1)" % ds_of(d)
            else:
                why = outer_ok(ip, d)
        result("STAMP, outer %s over inner EF + ECT(0): answered, the Class of Service TLV "
               "reports DSCP 46 and ECN %s (RFC 6040 §4.2, RFC 8972 §4.4); reply DSCP 18, %s"
               % (ECN[outer], ECN[want], od), why)
    # 3. outer CE over a Not-ECT inner packet: dropped (RFC 6040 §4.2)
    r, why = exchange(46 << 2, 3, a.port, pr.encode(9200, now_ntp()))
    result("outer CE over inner Not-ECT is not answered (RFC 6040 §4.2: dropped)",
           "answered" if r is not None else None)
    return rc


def cmd_check(a):
    pr = Proto(a.proto, "open", None)
    sa_in = sa(a, a.spi_in, a.peer, a.dut)
    sa_out = sa(a, a.spi_out, a.dut, a.peer, out=True)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    a.peer_mac = open("/sys/class/net/%s/address" % a.iface).read().strip()
    l3 = IP if ":" not in a.peer else IPv6
    xp = "AH" if a.ah else "ESP"
    L = AH if a.ah else ESP
    tag = "%s %s%s %s%s%s" % (a.proto, a.cipher, "/" + a.auth if a.auth != "NULL" else "",
                              "ESP-in-UDP" if a.udp else xp,
                              " transport" if a.transport else "", " ESN" if a.esn else "")
    if a.tos:
        return cmd_tos(a, s, sa_in, sa_out, l3, tag)
    if a.gone:
        # the SA was deleted: a well-formed packet on it gets no answer
        inner = l3(bytes(l3(src=a.peer, dst=a.dut) / UDP(sport=SPORT, dport=a.port) /
                         Raw(pr.encode(7000, now_ntp()))))
        s.send(frame(a, sa_in.encrypt(inner, seq_num=a.count + 1)))
        quiet = recv_reply(s, a, 0.5) is None
        print("%s - %s: SPI 0x%x deleted, a valid packet on it is not answered"
              % ("ok" if quiet else "not ok", tag, a.spi_in))
        return 0 if quiet else 1
    names = ["a reply for every packet",
             "replies are %s%s from %s to %s" % (xp, " in UDP 4500->4500" if a.udp else "",
                                                 a.dut, a.peer),
             "reply SPI is the outbound SA's (0x%x)" % a.spi_out,
             "reply %s sequence numbers 1, 2, 3, ..." % xp,
             "reply ICV verifies%s (scapy)" % ("" if a.ah else " and decrypts"),
             "inner reply from %s:%d to %s:%d" % (a.dut, a.port, a.peer, SPORT),
             "inner UDP checksum verifies",
             "Sender Sequence Number, Timestamp, Error Estimate copied",
             "Sender TTL is 255 (inner packet sent with 255)",
             "Receive Timestamp <= Timestamp",
             "every reply passed every check above (%d)" % a.count]
    fails = dict((n, None) for n in names)

    def fail(n, why):
        if fails[n] is None:
            fails[n] = why

    frames = []
    full = 0
    for i in range(a.count):
        seq, ts, err = 1000 + i, now_ntp(), 0x8001 + i
        inner = l3(src=a.peer, dst=a.dut) / UDP(sport=SPORT, dport=a.port) / Raw(pr.encode(seq, ts, err))
        if l3 is IP:
            inner.ttl = 255
        else:
            inner.hlim = 255
        inner = l3(bytes(inner))
        f = frame(a, sa_in.encrypt(inner, seq_num=i + 1))
        frames.append(f)
        s.send(f)
        ip = recv_reply(s, a, 1.0)
        if ip is None:
            fail(names[0], "no reply to packet %d" % i)
            continue
        if a.udp and (UDP not in ip or ip[UDP].sport != 4500 or ip[UDP].dport != 4500):
            fail(names[1], "not UDP 4500")
            continue
        if ip.dst != a.peer:
            fail(names[1], "to %s" % ip.dst)
        e = as_esp(a, ip)
        if L not in e or (a.ah and (ip.proto if l3 is IP else ip.nh) != 51):
            fail(names[1], "not %s" % xp)
            continue
        if e[L].spi != a.spi_out:
            fail(names[2], "SPI 0x%x" % e[L].spi)
            continue
        if e[L].seq != i + 1:
            fail(names[3], "sequence %d for reply %d" % (e[L].seq, i + 1))
        try:
            d = sa_out.decrypt(e)
        except Exception as ex:  # the ICV or the padding
            fail(names[4], str(ex)[:100])
            continue
        # scapy 2.5 leaves parts raw: the inner IP of AH tunnel mode over
        # IPv4, the UDP header after AH transport mode over IPv6
        d = l3(bytes(d))
        if d.src != a.dut or d.dst != a.peer or UDP not in d or d[UDP].sport != a.port \
                or d[UDP].dport != SPORT:
            fail(names[5], d.summary())
            continue
        u = d[UDP]
        ck = u.chksum
        u2 = d.copy()
        del u2[UDP].chksum
        if ck not in (0, l3(bytes(u2))[UDP].chksum) or (ck == 0 and l3 is IPv6):
            fail(names[6], "checksum %04x" % ck)
        fld = pr.decode(bytes(u.payload))
        if isinstance(fld, str):
            fail(names[7], fld)
            continue
        if fld["sseq"] != seq or fld["sts"] != ts or fld["serr"] != err:
            fail(names[7], "%r" % fld)
        if fld["ttl"] != 255:
            fail(names[8], "got %d" % fld["ttl"])
        if not fld["rts"] <= fld["ts"]:
            fail(names[9], "%x > %x" % (fld["rts"], fld["ts"]))
        full += 1
    if full != a.count:
        fail(names[10], "%d fully checked" % full)
    rc = 0
    for n in names:
        if fails[n] is None:
            print("ok - %s: %s" % (tag, n))
        else:
            rc = 1
            print("not ok - %s: %s # %s" % (tag, n, fails[n]))

    # what is not answered: a replayed packet, a forged ICV, an unknown SPI
    def silent(name, f):
        nonlocal rc
        s.send(f)
        if recv_reply(s, a, 0.5) is None:
            print("ok - %s: %s is not answered" % (tag, name))
        else:
            rc = 1
            print("not ok - %s: %s is not answered" % (tag, name))
    if a.no_replay:
        # replay_window 0 (RFC 4303 §3.4.3: the receiver does not check)
        s.send(frames[0])
        ip = recv_reply(s, a, 1.0)
        e = as_esp(a, ip) if ip is not None else None
        try:
            ok_ = e is not None and L in e and e[L].seq == a.count + 1 and \
                sa_out.decrypt(e) is not None
        except Exception:  # the ICV or the padding
            ok_ = False
        print("%s - %s: a replayed packet is answered (replay_window 0), reply %d verifies"
              % ("ok" if ok_ else "not ok", tag, a.count + 1))
        rc = rc if ok_ else 1
    else:
        silent("a replayed packet", frames[0])
    seq, ts = 5000, now_ntp()
    inner = l3(bytes(l3(src=a.peer, dst=a.dut) / UDP(sport=SPORT, dport=a.port) / Raw(pr.encode(seq, ts))))
    bad = bytearray(frame(a, sa_in.encrypt(inner, seq_num=a.count + 1)))
    bad[-1] ^= 1
    silent("a packet with a wrong ICV", bytes(bad))
    if l3 is IP:
        # RFC 1122 §3.2.1.2: a wrong IPv4 header checksum is discarded; the
        # ICV does not cover the outer header (ESP) or leaves the checksum
        # out as mutable (AH, RFC 4302 §3.3.3.1.1.1), so it would verify
        f = bytearray(frame(a, sa_in.encrypt(inner, seq_num=a.count + 2)))
        f[14 + 10] ^= 0x5a
        silent("a packet with a wrong outer IPv4 header checksum (ICV good)", bytes(f))
    if a.spoof_src:
        # RFC 4301 §5.2: a decrypted packet the SA's selectors do not hold
        # (its source) is dropped, however good its ICV
        sp = l3(src=a.spoof_src, dst=a.dut) / UDP(sport=SPORT, dport=a.port) / \
            Raw(pr.encode(seq + 1, ts))
        f = frame(a, sa_in.encrypt(l3(bytes(sp)), seq_num=a.count + 3))
        silent("a packet from %s, outside the SA's traffic selectors (ICV good)" % a.spoof_src, f)
    for k, src in enumerate(a.martian_src):
        # RFC 1122 §3.2.1.3, RFC 4291 §2.7: no reply may go to a multicast,
        # broadcast, loopback or unspecified inner source, however good the
        # ICV (a static SA has no traffic selectors to refuse it)
        mp = l3(src=src, dst=a.dut) / UDP(sport=SPORT, dport=a.port) / \
            Raw(pr.encode(seq + 2 + k, ts))
        f = frame(a, sa_in.encrypt(l3(bytes(mp)), seq_num=a.count + 4 + k))
        silent("a packet from inner source %s (ICV good)" % src, f)
    other = sa(a, a.spi_in + 0x100, a.peer, a.dut)
    silent("a packet for an SPI the appliance does not own", frame(a, other.encrypt(inner, seq_num=1)))
    if a.udp and l3 is IP:
        # RFC 3948 §2.2: the non-ESP marker is IKE: the host's stack gets it
        # (no IKE daemon here: its kernel says port unreachable, via the TAP)
        ike = Ether(src=a.peer_mac, dst=a.dut_mac) / IP(src=a.peer, dst=a.dut) / \
            UDP(sport=4500, dport=4500) / Raw(bytes(4) + b"IKE-ish payload")
        s.send(bytes(ike))
        if icmp_unreach(s, a, 1.0):
            print("ok - %s: IKE (non-ESP marker) on 4500 reaches the host stack (ICMP "
                  "port unreachable through the TAP)" % tag)
        else:
            rc = 1
            print("not ok - %s: IKE (non-ESP marker) on 4500 reaches the host stack" % tag)
    return rc


def cmd_tel(a):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % a.prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.recv(16384)
    s.send(a.cmd.encode())
    print(json.dumps(json.loads(s.recv(65536).decode())))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    c = sub.add_parser("check")
    for x in ("iface", "dut_mac", "peer", "dut"):
        c.add_argument(x)
    c.add_argument("port", type=int)
    c.add_argument("--proto", default="light")
    c.add_argument("--spi-in", type=lambda x: int(x, 0), required=True)
    c.add_argument("--spi-out", type=lambda x: int(x, 0), required=True)
    c.add_argument("--cipher", required=True)
    c.add_argument("--ckey", required=True)
    c.add_argument("--auth", default="NULL")
    c.add_argument("--akey", default="")
    c.add_argument("--ckey-out", required=True)
    c.add_argument("--akey-out", default="")
    c.add_argument("--udp", action="store_true")
    c.add_argument("--ah", action="store_true", help="AH (RFC 4302), --auth/--akey only")
    c.add_argument("--count", type=int, default=10)
    c.add_argument("--spoof-src", default="",
                   help="also send a valid packet with this inner source (outside the selectors)")
    c.add_argument("--martian-src", action="append", default=[], metavar="ADDR",
                   help="also send a valid packet with this inner source, one a reply must "
                        "never go to (multicast, broadcast, ...); repeatable")
    c.add_argument("--transport", action="store_true", help="transport mode (RFC 4302 §3.1.1)")
    c.add_argument("--esn", action="store_true", help="ESP with 64-bit sequence numbers")
    c.add_argument("--gone", action="store_true",
                   help="the SA is deleted: one packet (sequence --count + 1), no answer")
    c.add_argument("--no-replay", action="store_true",
                   help="the inbound SA has replay_window 0: a replay is answered")
    c.add_argument("--tos", type=int, default=0, metavar="SEQ",
                   help="only the DS field / ECN checks (RFC 4301 §5.1.2.1, RFC 6040), "
                   "ESP sequence numbers from SEQ on (4 packets, 3 replies)")
    c.add_argument("--stamp-port", type=int, default=0,
                   help="--tos: the STAMP light port (Class of Service TLV)")
    c.add_argument("--outer-dscp", type=int, default=None,
                   help="--tos: the outbound SA's outer_dscp (default: copy)")
    t = sub.add_parser("tel")
    t.add_argument("prefix")
    t.add_argument("cmd")
    a = ap.parse_args()
    return cmd_check(a) if a.cmd_name == "check" else cmd_tel(a)


if __name__ == "__main__":
    sys.exit(main())
