#!/usr/bin/python3
"""Small network probes for the integration tests (standard library only).

  peer_tool.py serve-tcp ADDR PORT SECONDS   echo server for TCP, runs SECONDS
  peer_tool.py serve-udp ADDR PORT SECONDS   echo server for UDP
  peer_tool.py tcp ADDR PORT                 connect, send a line, expect it back
  peer_tool.py udp ADDR PORT                 send a datagram, expect it back
  peer_tool.py ping ADDR                     one ICMP/ICMPv6 echo (raw socket)
  peer_tool.py arp IFACE SRC_IP DST_IP       one ARP request, prints the MAC
  peer_tool.py arp IFACE SRC_IP DST_IP VID   the same, 802.1Q-tagged; the reply
                                             must carry VID too
  peer_tool.py telemetry SOCKET CMD          one DPDK telemetry command, prints
                                             the JSON value

Exit status 0 on success; servers print "listening" once bound.
"""
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 3.0


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve_tcp(addr, port, seconds):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    print("listening", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        c, _ = s.accept()
        c.settimeout(TIMEOUT)
        try:
            c.sendall(c.recv(4096))
        except OSError:
            pass
        c.close()
    return 0


def serve_udp(addr, port, seconds):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            data, peer = s.recvfrom(4096)
            s.sendto(data, peer)
    return 0


def tcp(addr, port):
    msg = b"twamp-dp exception path %d\n" % os.getpid()
    with socket.create_connection((addr, port), timeout=TIMEOUT) as s:
        s.sendall(msg)
        got = s.recv(4096)
    return 0 if got == msg else 1


def udp(addr, port):
    msg = b"twamp-dp udp %d" % os.getpid()
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    for _ in range(3):
        s.sendto(msg, (addr, port))
        try:
            data, _ = s.recvfrom(4096)
            if data == msg:
                return 0
        except socket.timeout:
            continue
    return 1


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ping(addr):
    v6 = ":" in addr
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        hdr = struct.pack("!BBHHH", 128, 0, 0, os.getpid() & 0xFFFF, 1)
        pkt = hdr + b"twamp-dp"  # the kernel fills the ICMPv6 checksum
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        hdr = struct.pack("!BBHHH", 8, 0, 0, os.getpid() & 0xFFFF, 1)
        body = b"twamp-dp"
        pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), os.getpid() & 0xFFFF, 1) + body
    s.settimeout(TIMEOUT)
    s.sendto(pkt, (addr, 0))
    end = time.time() + TIMEOUT
    while time.time() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        icmp = data if v6 else data[(data[0] & 0xF) * 4:]
        if icmp[0] == (129 if v6 else 0) and struct.unpack("!H", icmp[4:6])[0] == os.getpid() & 0xFFFF:
            return 0
    return 1


SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10


def arp(iface, src, dst, vid=None):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    # the kernel may take the tag off received frames into the aux data
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    mac = s.getsockname()[4]
    tag = struct.pack("!HH", 0x8100, vid) if vid is not None else b""
    req = (b"\xff" * 6 + mac + tag + b"\x08\x06" +
           struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(src) +
           b"\0" * 6 + socket.inet_aton(dst))
    s.settimeout(TIMEOUT)
    s.send(req)
    end = time.time() + TIMEOUT
    while time.time() < end:
        try:
            f, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(32))
        except socket.timeout:
            break
        got_vid = None
        for lvl, typ, d in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(d) >= 20:
                status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", d[:20])
                if status & TP_STATUS_VLAN_VALID:
                    got_vid = tci & 0xFFF
        if f[12:14] == b"\x81\x00":
            got_vid = struct.unpack("!H", f[14:16])[0] & 0xFFF
            f = f[:12] + f[16:]
        if len(f) >= 42 and f[12:14] == b"\x08\x06" and struct.unpack("!H", f[20:22])[0] == 2 \
                and f[28:32] == socket.inet_aton(dst) and got_vid == vid:
            print(":".join("%02x" % b for b in f[22:28]))
            return 0
    return 1


def telemetry(path, cmd):
    import json
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(TIMEOUT)
    s.connect(path)
    json.loads(s.recv(4096))  # greeting
    s.send(cmd.encode())
    reply = json.loads(s.recv(65536))
    print(json.dumps(reply[cmd.split(",")[0]]))
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "serve-tcp":
        return serve_tcp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "serve-udp":
        return serve_udp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "tcp":
        return tcp(argv[2], int(argv[3]))
    if cmd == "udp":
        return udp(argv[2], int(argv[3]))
    if cmd == "ping":
        return ping(argv[2])
    if cmd == "arp":
        return arp(argv[2], argv[3], argv[4], int(argv[5]) if len(argv) > 5 else None)
    if cmd == "telemetry":
        return telemetry(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
