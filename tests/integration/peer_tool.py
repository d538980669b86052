#!/usr/bin/python3
"""Small network probes for the integration tests (standard library only).

  peer_tool.py serve-tcp ADDR PORT SECONDS   echo server for TCP, runs SECONDS
  peer_tool.py serve-udp ADDR PORT SECONDS   echo server for UDP
  peer_tool.py tcp ADDR PORT                 connect, send a line, expect it back
  peer_tool.py udp ADDR PORT                 send a datagram, expect it back
  peer_tool.py ping ADDR                     one ICMP/ICMPv6 echo (raw socket)
  peer_tool.py arp IFACE SRC_IP DST_IP       one ARP request, prints the MAC
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


def arp(iface, src, dst):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0x0806))
    mac = s.getsockname()[4]
    req = (b"\xff" * 6 + mac + b"\x08\x06" +
           struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(src) +
           b"\0" * 6 + socket.inet_aton(dst))
    s.settimeout(TIMEOUT)
    s.send(req)
    end = time.time() + TIMEOUT
    while time.time() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            break
        if len(f) >= 42 and f[12:14] == b"\x08\x06" and struct.unpack("!H", f[20:22])[0] == 2 \
                and f[28:32] == socket.inet_aton(dst):
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
        return arp(argv[2], argv[3], argv[4])
    if cmd == "telemetry":
        return telemetry(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
