#!/usr/bin/python3
# Raw TWAMP-Control clients against twamp-dp's server (open mode only, no
# crypto needed): garbage at each state, a client that stalls mid-message
# while another one sets up a session and gets its test packets reflected.
# With "owamp": an OWAMP-Control client (open mode) with the appliance as
# receiver: test packets sent, one skipped, one lost; Fetch-Session must
# return exactly the right records.
# Prints "ok - ..." / "not ok - ..." lines (test_control.sh numbers them).
#
#   test_control_raw.py HOST PORT [owamp]
import socket
import struct
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
FAM = socket.AF_INET6 if ":" in HOST else socket.AF_INET


def result(ok, name):
    print(("ok - " if ok else "not ok - ") + name, flush=True)


def recv_exact(s, n, timeout=5.0):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        buf += chunk
    return buf


def closed(s, timeout):
    """True when the server closes the connection within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def connect():
    s = socket.socket(FAM, socket.SOCK_STREAM)
    s.connect((HOST, PORT))
    g = recv_exact(s, 64)
    return s, g


def setup_open(s):
    # RFC 4656 §3.1 Set-Up-Response: Mode 1 (unauthenticated), rest zero
    s.sendall(struct.pack("!I", 1) + bytes(160))
    st = recv_exact(s, 48)
    return len(st) == 48 and st[15] == 0


def request(s, sport):
    # RFC 5357 §3.5 Request-TW-Session, addresses 0 (the control connection's)
    ipvn = 6 if FAM == socket.AF_INET6 else 4
    m = struct.pack("!BBBBIIHH", 5, ipvn, 0, 0, 0, 0, sport, 0)
    m += bytes(32) + bytes(16)                       # addresses, SID
    m += struct.pack("!IQQI", 0, 0, 2 << 32, 0)      # padding, start, timeout 2 s, Type-P
    m += bytes(8) + bytes(16)                        # MBZ, HMAC
    assert len(m) == 112
    s.sendall(m)
    a = recv_exact(s, 48)
    return a


def ntp_now():
    t = time.time()
    return (int(t) + 2208988800) << 32 | int((t % 1) * (1 << 32))


def owamp():
    """RFC 4656 §3: Request-Session (we send, the appliance receives),
    Start, 10 test packets but #3 skipped and #6 lost, Stop with the skip
    range, Fetch-Session of the whole session."""
    s, g = connect()
    ok = setup_open(s)
    u = socket.socket(FAM, socket.SOCK_DGRAM)
    u.bind(("", 0))
    ipvn = 6 if FAM == socket.AF_INET6 else 4
    n = 10
    start = ntp_now()
    req = struct.pack("!BBBBIIHH", 1, ipvn, 0, 1, 1, n, u.getsockname()[1], 0)
    req += bytes(32) + bytes(16)
    req += struct.pack("!IQQI", 0, start, 1 << 32, 0) + bytes(8) + bytes(16)
    req += struct.pack("!B7xQ", 1, 1 << 28) + bytes(16)   # one fixed slot, HMAC
    s.sendall(req)
    a = recv_exact(s, 48)
    ok = ok and len(a) == 48 and a[0] == 0
    port = struct.unpack("!H", a[2:4])[0]
    sid = a[4:20]
    s.sendall(bytes([2]) + bytes(31))
    ack = recv_exact(s, 32)
    result(ok and len(ack) == 32 and ack[0] == 0,
           "OWAMP: Request-Session (appliance receives) accepted on port %d, started" % port)
    for seq in range(n):
        if seq in (3, 6):
            continue                      # 3 skipped (announced), 6 lost
        u.sendto(struct.pack("!IQH", seq, ntp_now(), 1) + bytes(2), (HOST, port))
        time.sleep(0.01)
    time.sleep(0.3)
    # Stop-Sessions: one record, Next Seqno 10, skip range 3..3
    rec = sid + struct.pack("!II", n, 1) + struct.pack("!II", 3, 3)
    rec += bytes((16 - len(rec) % 16) % 16)
    stop = struct.pack("!BBxxI8x", 3, 0, 1) + rec + bytes(16)
    s.sendall(stop)
    st = recv_exact(s, 32)
    result(len(st) == 32 and st[0] == 3 and struct.unpack("!I", st[4:8])[0] == 0,
           "OWAMP: Stop-Sessions answered with the server's (no records)")
    s.sendall(bytes([4]) + bytes(7) + struct.pack("!II", 0, 0xffffffff) + sid + bytes(16))
    fa = recv_exact(s, 32)
    acc, fin, nxt, nskip, nrec = fa[0], fa[1], *struct.unpack("!III", fa[4:16])
    result(acc == 0 and fin == 1 and nxt == n and nskip == 1 and nrec == n - 1,
           "OWAMP: Fetch-Ack accept %d finished %d next %d skips %d records %d" %
           (acc, fin, nxt, nskip, nrec))
    rq = recv_exact(s, 144)
    result(rq[:96] == req[:96], "OWAMP: Fetch reproduces the Request-Session")
    sk = recv_exact(s, 16 + 16)
    result(struct.unpack("!II", sk[:8]) == (3, 3), "OWAMP: Fetch returns the skip range 3..3")
    blen = (nrec * 25 + 15) // 16 * 16 + 16
    body = recv_exact(s, blen)
    recs = [struct.unpack("!IHHQQB", body[i * 25:(i + 1) * 25]) for i in range(nrec)]
    seqs = [r[0] for r in recs]
    lost = [r[0] for r in recs if r[4] == 0]
    # same host: the two clocks agree well within a second
    good = all(abs(r[4] - r[3]) < (1 << 32) and r[5] > 0 for r in recs if r[4] != 0)
    result(seqs == [0, 1, 2, 4, 5, 6, 7, 8, 9] and lost == [6] and good,
           "OWAMP: records in order, 6 lost (Receive Timestamp 0), the rest timestamped "
           "with TTL (seqs %s, lost %s)" % (seqs, lost))
    s.close()
    u.close()


def refwait(wait):
    """RFC 5357 §4.2: a started session that receives nothing for REFWAIT
    is removed; the control connection stays."""
    s, _ = connect()
    ok = setup_open(s)
    u = socket.socket(FAM, socket.SOCK_DGRAM)
    u.bind(("", 0))
    a = request(s, u.getsockname()[1])
    port = struct.unpack("!H", a[2:4])[0]
    s.sendall(bytes([2]) + bytes(31))
    ack = recv_exact(s, 32)
    ok = ok and a[0] == 0 and len(ack) == 32 and ack[0] == 0
    u.settimeout(1.0)
    u.sendto(struct.pack("!IQH", 0, 0, 1) + bytes(27), (HOST, port))
    try:
        first = len(u.recvfrom(2048)[0]) >= 41
    except socket.timeout:
        first = False
    result(ok and first, "REFWAIT: session started, its first packet reflected")
    time.sleep(wait)
    u.sendto(struct.pack("!IQH", 1, 0, 1) + bytes(27), (HOST, port))
    try:
        u.recvfrom(2048)
        gone = False
    except socket.timeout:
        gone = True
    result(gone, "REFWAIT: after %.0f s of silence the session is gone (no reply)" % wait)
    s.sendall(bytes([3, 0, 0, 0]) + struct.pack("!I", 1) + bytes(24))
    result(not closed(s, 0.5), "REFWAIT: the control connection is still open")
    s.close()
    u.close()


def bulk(n, per_conn):
    """n Request-TW-Sessions (open mode), per_conn on each connection, all
    kept open; prints the rate. Returns the open sockets."""
    socks, done = [], 0
    t0 = time.monotonic()
    while done < n:
        s, _ = connect()
        if not setup_open(s):
            break
        socks.append(s)
        k = min(per_conn, n - done)
        # pipelined: k requests, then k answers
        ipvn = 6 if FAM == socket.AF_INET6 else 4
        msgs = b"".join(struct.pack("!BBBBIIHH", 5, ipvn, 0, 0, 0, 0, 10000 + i % 50000, 0)
                        + bytes(48) + struct.pack("!IQQI", 0, 0, 2 << 32, 0) + bytes(24)
                        for i in range(done, done + k))
        s.sendall(msgs)
        ans = recv_exact(s, 48 * k, timeout=30)
        acc = sum(1 for i in range(0, len(ans), 48) if ans[i] == 0)
        done += acc
        if acc != k:
            break
    dt = time.monotonic() - t0
    result(done == n, "bulk: %d of %d sessions accepted on %d connections in %.1f s (%.0f/s)"
           % (done, n, len(socks), dt, done / dt if dt > 0 else 0))
    return socks


if len(sys.argv) > 3 and sys.argv[3] == "bulk":
    held = bulk(int(sys.argv[4]), int(sys.argv[5]))
    print("held", flush=True)
    sys.stdin.readline()            # keep them until told
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[3] == "refwait":
    refwait(float(sys.argv[4]))
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[3] == "owamp":
    owamp()
    sys.exit(0)

# --- garbage in the Set-Up-Response: closed, nothing answered but the close
s, g = connect()
result(len(g) == 64 and struct.unpack("!I", g[12:16])[0] & 1, "greeting offers open mode")
s.sendall(bytes([0x7f]) * 164)
st = recv_exact(s, 48)
result(closed(s, 5), "garbage Set-Up-Response: connection closed")
s.close()

# --- garbage after setup: Accept 3 (unknown command), then closed
s, _ = connect()
ok = setup_open(s)
s.sendall(bytes([0x63]) + bytes(31))
a = recv_exact(s, 48)
result(ok and len(a) == 48 and a[0] == 3, "unknown command: Accept-Session with Accept 3")
result(closed(s, 5), "unknown command: then the connection is closed")
s.close()

# --- truncated Request-TW-Session then EOF: closed, nothing installed
s, _ = connect()
setup_open(s)
s.sendall(bytes([5, 4]) + bytes(40))
s.shutdown(socket.SHUT_WR)
result(closed(s, 5), "truncated request then EOF: closed")
s.close()

# --- a stalled client does not hold up another one
stalled, _ = connect()
stalled.sendall(struct.pack("!I", 1) + bytes(60))   # 64 of 164 octets, then nothing
t0 = time.monotonic()
s, _ = connect()
ok = setup_open(s)
u = socket.socket(FAM, socket.SOCK_DGRAM)
u.bind(("", 0))
a = request(s, u.getsockname()[1])
ok = ok and len(a) == 48 and a[0] == 0
port = struct.unpack("!H", a[2:4])[0]
s.sendall(bytes([2]) + bytes(31))                    # Start-Sessions
ack = recv_exact(s, 32)
ok = ok and len(ack) == 32 and ack[0] == 0
result(ok, "second client: session accepted and started while the first one stalls "
       "(port %d)" % port)
got = 0
bad = []
u.settimeout(1.0)
for seq in range(5):
    ts = ntp_now()
    pkt = struct.pack("!IQH", seq, ts, 0x8001) + bytes(27)  # RFC 5357 §4.1.2 unauth, padded
    u.sendto(pkt, (HOST, port))
    try:
        r, src = u.recvfrom(2048)
    except socket.timeout:
        continue
    # RFC 5357 §4.2.1 unauthenticated reflector packet, field by field
    rseq, t3, e3, _mbz, t2, sseq, t1, e1, _mbz2, ttl = struct.unpack("!IQHHQIQHHB", r[:41])
    checks = {"length": len(r) == len(pkt), "source port": src[1] == port,
              "own sequence": rseq == seq, "sender sequence": sseq == seq,
              "sender timestamp": t1 == ts, "sender error estimate": e1 == 0x8001,
              "error estimate multiplier": e3 & 0xff != 0, "sender TTL": ttl == 64,
              "t2 <= t3": t2 <= t3, "t2 near t1": abs(t2 - ts) < (1 << 32)}
    bad += [k for k, v in checks.items() if not v]
    got += 1
result(got == 5 and not bad, "second client: %d of 5 test packets reflected, fields checked "
       "(length, ports, sequence numbers, Sender Timestamp and Error Estimate echoed, "
       "TTL, t2 <= t3)%s" % (got, " bad: %s" % sorted(set(bad)) if bad else ""))
s.sendall(bytes([3, 0, 0, 0]) + struct.pack("!I", 1) + bytes(24))  # Stop-Sessions, 1
s.close()
u.close()
result(closed(stalled, 20), "stalled client closed at its deadline (%.0f s)" % (time.monotonic() - t0))
stalled.close()
