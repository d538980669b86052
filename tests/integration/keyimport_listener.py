#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Strict server side of docs/key-import.md (version 1), for tests.

Serves the key-import socket like twamp-dp will: SO_PEERCRED check,
handshake, record validation (syntax, field sets, value grammars, algorithm
tables, key lengths), the SA state with idempotency, conflicts, rekey,
cascade on ike-down and resync (sync-begin/sync-end). Every request and its
reply go to a JSON-lines file created 0600 (it holds keys: the test reads
it); stdout gets a key-free log.

  keyimport_listener.py --socket PATH --records FILE [--refuse VERB:N]

--refuse VERB:N answers the N-th record with verb VERB (1-based) from
source=strongswan clients with
"err 500 internal test-injected" and changes nothing, to test that clients
log the refusal and carry on.
"""
import argparse
import hashlib
import hmac
import ipaddress
import json
import os
import re
import selectors
import signal
import socket
import struct
import sys

LINE_MAX = 4096
FIELDS_MAX = 48
TEXT_MAX = 255
TS_MAX = 16
KEY_FIELDS = {"key", "sk-d", "encr-key", "integ-key", "skeyseed", "keymat"}
# optional secrets a repeat may leave out (docs/key-import.md §7)
DRAFT_FIELDS = {"skeyseed", "keymat"}
TEXT_FIELDS = {"local-id", "remote-id", "name", "reason", "agent"}

PRF = {2: ("prf-hmac-sha1", 20), 4: ("prf-aes128-xcbc", 16),
       5: ("prf-hmac-sha2-256", 32), 6: ("prf-hmac-sha2-384", 48),
       7: ("prf-hmac-sha2-512", 64), 8: ("prf-aes128-cmac", 16)}
# id: (name, salt octets, aead); NULL has no key
ENCR = {11: ("null", None, False), 12: ("aes-cbc", 0, False),
        13: ("aes-ctr", 4, False), 18: ("aes-gcm-8", 4, True),
        19: ("aes-gcm-12", 4, True), 20: ("aes-gcm-16", 4, True)}
INTEG = {2: ("hmac-sha1-96", 20), 5: ("aes-xcbc-96", 16),
         12: ("hmac-sha2-256-128", 32), 13: ("hmac-sha2-384-192", 48),
         14: ("hmac-sha2-512-256", 64)}

IKE_REQ = {"spi-i", "spi-r", "prf", "local", "remote", "local-id",
           "remote-id", "role"}
IKE_OPT = {"prf-name", "key", "sk-d", "local-port", "remote-port", "name",
           "unique", "skeyseed"}
CHILD_REQ = {"spi", "dir", "proto", "mode", "src", "dst", "encap",
             "ts-local", "ts-remote"}
CHILD_OPT = {"peer-spi", "encap-sport", "encap-dport", "encr", "encr-name",
             "encr-keylen", "encr-key", "integ", "integ-name", "integ-key",
             "esn", "replay-window", "ike-spi-i", "ike-spi-r", "reqid",
             "unique", "name", "keymat"}
RECORDS = {
    "ike-up": (IKE_REQ, IKE_OPT),
    "ike-rekey": (IKE_REQ | {"old-spi-i", "old-spi-r"}, IKE_OPT),
    "ike-down": ({"spi-i", "spi-r"}, {"reason", "name", "unique"}),
    "child-add": (CHILD_REQ, CHILD_OPT),
    "child-del": ({"spi", "dir", "proto", "dst"},
                  {"src", "ike-spi-i", "ike-spi-r", "name", "unique",
                   "reason"}),
    "sync-begin": (set(), set()),
    "sync-end": (set(), set()),
    "ping": (set(), set()),
    "bye": (set(), set()),
    "list": (set(), {"source"}),
}


class Refuse(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def bad(field, why):
    raise Refuse(412, f"bad-value {field}: {why}")


HMAC_PRF = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384,
            7: hashlib.sha512}


def rfc7717_key(prf, skd_hex):
    """RFC 7717 §5.1: prf(SK_d, "IPPM"); HMAC PRFs only (None otherwise)."""
    if prf not in HMAC_PRF:
        return None
    return hmac.new(bytes.fromhex(skd_hex), b"IPPM", HMAC_PRF[prf]).hexdigest()


def parse_line(raw):
    """bytes without LF -> (verb, {name: decoded str}); raises Refuse."""
    if b"\r" in raw or b"\0" in raw:
        raise Refuse(400, "syntax: CR or NUL")
    if any(c < 0x20 or c > 0x7e for c in raw):
        raise Refuse(400, "syntax: octet outside printable ASCII")
    text = raw.decode("ascii")
    if text == "" or text.startswith(" ") or text.endswith(" ") \
            or "  " in text:
        raise Refuse(400, "syntax: empty line or bad spacing")
    parts = text.split(" ")
    verb = parts[0]
    if not re.fullmatch(r"[a-z0-9-]+", verb):
        raise Refuse(400, "syntax: verb")
    if len(parts) - 1 > FIELDS_MAX:
        raise Refuse(400, "syntax: too many fields")
    fields = {}
    ext = 0
    for p in parts[1:]:
        if "=" not in p:
            raise Refuse(400, f"syntax: field without '=': {p[:20]}")
        name, value = p.split("=", 1)
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise Refuse(400, "syntax: field name")
        if name in fields:
            raise Refuse(402, f"duplicate-field {name}")
        if name.startswith("x-"):
            ext += 1
            if ext > 4:
                raise Refuse(400, "syntax: more than 4 x- fields")
            continue
        if "%" in value:
            if name not in TEXT_FIELDS:
                raise Refuse(400, f"bad-escape {name}")
            try:
                dec = re.sub(r"%([0-9A-Fa-f]{2})",
                             lambda m: chr(int(m.group(1), 16)), value)
            except ValueError:
                raise Refuse(400, f"bad-escape {name}")
            if re.search(r"%(?![0-9A-Fa-f]{2})", value):
                raise Refuse(400, f"bad-escape {name}")
            value = dec
        if "\0" in value:
            raise Refuse(400, f"bad-escape {name}")
        if name in TEXT_FIELDS and len(value.encode("latin-1")) > TEXT_MAX:
            bad(name, "longer than 255 octets")
        fields[name] = value
    return verb, fields


def hexval(f, name, n_oct=None, lo=1, hi=128):
    v = f[name]
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", v):
        bad(name, "not an even number of hex digits")
    n = len(v) // 2
    if n_oct is not None and n != n_oct:
        bad(name, f"length {n}, need {n_oct}")
    if not lo <= n <= hi:
        bad(name, "length")
    return v.lower()


def ike_spi(f, name):
    v = f[name]
    if not re.fullmatch(r"[0-9a-fA-F]{16}", v) or int(v, 16) == 0:
        bad(name, "need 16 hex digits, not all zero")
    return v.lower()


def child_spi(f, name):
    v = f[name]
    if not re.fullmatch(r"[0-9a-fA-F]{8}", v):
        bad(name, "need 8 hex digits")
    if int(v, 16) < 256:
        bad(name, "1..255 are reserved")
    return v.lower()


def dec(f, name, lo, hi):
    v = f[name]
    if not re.fullmatch(r"0|[1-9][0-9]{0,9}", v) or not lo <= int(v) <= hi:
        bad(name, f"need {lo}..{hi}")
    return int(v)


def addr(f, name):
    v = f[name]
    if "%" in v or "[" in v:
        bad(name, "address")
    try:
        return ipaddress.ip_address(v)
    except ValueError:
        bad(name, "address")


def one_of(f, name, choices):
    if f[name] not in choices:
        bad(name, "one of " + "/".join(choices))
    return f[name]


def ts_list(f, name, version):
    items = f[name].split(",")
    if not items or len(items) > TS_MAX:
        bad(name, "1..16 selectors")
    for it in items:
        m = re.fullmatch(r"([^\[\]]+)(?:\[(\d{1,3})(?:/(\d{1,5})(?:-(\d{1,5}))?)?\])?", it)
        if not m:
            bad(name, "selector syntax")
        net, proto, plo, phi = m.groups()
        try:
            if "/" in net:
                n = ipaddress.ip_network(net, strict=True)
                fam = n.version
            elif "-" in net:
                a, b = net.split("-", 1)
                a, b = ipaddress.ip_address(a), ipaddress.ip_address(b)
                if a.version != b.version or int(a) > int(b):
                    bad(name, "range")
                fam = a.version
            else:
                bad(name, "selector needs /len or a range")
        except ValueError:
            bad(name, "selector address")
        if fam != version:
            bad(name, "address family differs from the SA's")
        if proto is not None and int(proto) > 255:
            bad(name, "protocol")
        for p in (plo, phi):
            if p is not None and int(p) > 65535:
                bad(name, "port")
        if plo is not None and phi is not None and int(plo) > int(phi):
            bad(name, "port range")


def check_fields(verb, f):
    if verb not in RECORDS:
        raise Refuse(401, f"unknown-record {verb}")
    req, opt = RECORDS[verb]
    for n in sorted(req):
        if n not in f:
            raise Refuse(402, f"missing-field {n}")
    for n in f:
        if n not in req and n not in opt:
            raise Refuse(402, f"unknown-field {n}")


def transform(f, field, table):
    """IKEv2 transform ID of f[field] in table (§8), its optional name
    f[field-name] checked; returns the table entry."""
    tid = dec(f, field, 0, 65535)
    if tid not in table:
        raise Refuse(422, f"unsupported {field} {tid}")
    entry = table[tid]
    if f"{field}-name" in f and f[f"{field}-name"].lower() != entry[0]:
        bad(f"{field}-name", f"{tid} is {entry[0]}")
    return entry


def validate_ike(f):
    spi_i, spi_r = ike_spi(f, "spi-i"), ike_spi(f, "spi-r")
    _, plen = transform(f, "prf", PRF)
    if ("key" in f) == ("sk-d" in f):
        raise Refuse(402, "field-not-allowed key/sk-d: exactly one")
    kname = "key" if "key" in f else "sk-d"
    key = hexval(f, kname, plen)
    loc, rem = addr(f, "local"), addr(f, "remote")
    if loc.version != rem.version:
        bad("remote", "address family differs")
    for p in ("local-port", "remote-port"):
        if p in f:
            dec(f, p, 1, 65535)
    one_of(f, "role", ("initiator", "responder"))
    if "unique" in f:
        dec(f, "unique", 0, 2**32 - 1)
    if "skeyseed" in f:  # its length: State.apply (ike-rekey: the old PRF)
        hexval(f, "skeyseed", None, 1, 64)
    return (spi_i, spi_r), kname, plen


def validate_child(f):
    spi = child_spi(f, "spi")
    if "peer-spi" in f:
        child_spi(f, "peer-spi")
    d = one_of(f, "dir", ("in", "out"))
    proto = one_of(f, "proto", ("esp", "ah"))
    one_of(f, "mode", ("tunnel", "transport"))
    src, dst = addr(f, "src"), addr(f, "dst")
    if src.version != dst.version:
        bad("dst", "address family differs")
    encap = one_of(f, "encap", ("none", "udp"))
    if encap == "udp":
        if proto != "esp":
            bad("encap", "udp only with esp")
        for p in ("encap-sport", "encap-dport"):
            if p not in f:
                raise Refuse(402, f"missing-field {p}")
            dec(f, p, 1, 65535)
    else:
        for p in ("encap-sport", "encap-dport"):
            if p in f:
                raise Refuse(402, f"field-not-allowed {p}")
    aead = False
    if proto == "esp":
        if "encr" not in f:
            raise Refuse(402, "missing-field encr")
        _, salt, aead = transform(f, "encr", ENCR)
        if salt is None:
            for p in ("encr-keylen", "encr-key"):
                if p in f:
                    raise Refuse(402, f"field-not-allowed {p}")
        else:
            for p in ("encr-keylen", "encr-key"):
                if p not in f:
                    raise Refuse(402, f"missing-field {p}")
            kl = dec(f, "encr-keylen", 0, 65535)
            if kl not in (128, 192, 256):
                bad("encr-keylen", "128, 192 or 256")
            hexval(f, "encr-key", kl // 8 + salt)
    else:
        for p in ("encr", "encr-name", "encr-keylen", "encr-key"):
            if p in f:
                raise Refuse(402, f"field-not-allowed {p}")
    if aead:
        for p in ("integ", "integ-name", "integ-key"):
            if p in f:
                raise Refuse(402, f"field-not-allowed {p}")
    else:
        if "integ" not in f:
            if proto == "esp":
                raise Refuse(422, "unsupported integ: ESP without integrity "
                             "is refused")
            raise Refuse(402, "missing-field integ")
        _, ilen = transform(f, "integ", INTEG)
        if "integ-key" not in f:
            raise Refuse(402, "missing-field integ-key")
        hexval(f, "integ-key", ilen)
    if "esn" in f:
        one_of(f, "esn", ("yes", "no"))
    if "replay-window" in f:
        rw = dec(f, "replay-window", 0, 4096)
        if rw == 0 and d == "in":
            bad("replay-window", "0 only for out")
    ts_list(f, "ts-local", src.version)
    ts_list(f, "ts-remote", src.version)
    if ("ike-spi-i" in f) != ("ike-spi-r" in f):
        raise Refuse(402, "missing-field ike-spi-i/ike-spi-r: both or neither")
    ike = None
    if "ike-spi-i" in f:
        ike = (ike_spi(f, "ike-spi-i"), ike_spi(f, "ike-spi-r"))
    for p in ("reqid", "unique"):
        if p in f:
            dec(f, p, 0, 2**32 - 1)
    if "keymat" in f:
        if ike is None:
            raise Refuse(402, "field-not-allowed keymat: needs "
                         "ike-spi-i/ike-spi-r")
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", f["keymat"]):
            bad("keymat", "not an even number of hex digits")
        if len(f["keymat"]) > 128:
            bad("keymat", "too long")
    return (proto, spi, str(dst), d), ike


def same_content(stored, record, ignore=()):
    """Idempotency: equal fields; a record without skeyseed/keymat matches
    a stored SA that has them."""
    a = {k: v for k, v in stored.items() if k not in ignore and
         not (k in DRAFT_FIELDS and k not in record)}
    b = {k: v for k, v in record.items() if k not in ignore}
    return a == b


def prf_len(fields):
    return PRF[int(fields["prf"])][1]


class State:
    def __init__(self):
        self.ikes = {}      # (spi_i, spi_r) -> {"fields", "source", "mark"}
        self.children = {}  # (proto, spi, dst, dir) -> {..., "ike"}


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.discard = False
        self.hello = False
        self.source = "ctl"
        self.sync = False


class Server:
    def __init__(self, args):
        self.args = args
        self.state = State()
        self.counts = {}
        self.refuse = {}
        for r in args.refuse or []:
            v, n = r.split(":")
            self.refuse[v] = int(n)
        fd = os.open(args.records, os.O_WRONLY | os.O_CREAT | os.O_TRUNC |
                     os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        self.rec = os.fdopen(fd, "w", buffering=1)
        self.sel = selectors.DefaultSelector()

    def log(self, msg):
        print(msg, flush=True)

    def record(self, conn, verb, fields, reply):
        r = {"verb": verb, "fields": fields, "reply": reply,
             "source": conn.source}
        if "sk-d" in fields and reply.startswith("ok"):
            # what twamp-dp keeps: the RFC 7717 key derived here, with an
            # implementation independent of the IKE daemon's
            r["derived-key"] = rfc7717_key(int(fields["prf"]), fields["sk-d"])
        self.rec.write(json.dumps(r) + "\n")

    def reply(self, conn, text):
        try:
            conn.sock.sendall(text.encode() + b"\n")
        except OSError:
            pass

    def mark_seen(self, conn, table, key):
        e = table.get(key)
        if e is not None and conn.sync and e["source"] == conn.source:
            e["mark"] = False

    def apply(self, conn, verb, f):
        st = self.state
        if verb == "hello":
            if conn.hello:
                raise Refuse(426, "hello-repeated")
            for n in f:
                if n not in ("versions", "agent", "source"):
                    raise Refuse(402, f"unknown-field {n}")
            vers = f.get("versions", "")
            if not re.fullmatch(r"\d+(,\d+)*", vers):
                raise Refuse(402, "missing-field versions")
            if "1" not in vers.split(","):
                raise Refuse(505, "version supported=1")
            src = f.get("source", "ctl")
            if not re.fullmatch(r"[a-z0-9-]{1,32}", src):
                bad("source", "[a-z0-9-]{1,32}")
            conn.hello = True
            conn.source = src
            return "ok version=1"
        if not conn.hello:
            raise Refuse(426, "hello-required")
        check_fields(verb, f)
        n = self.counts.get((conn.source, verb), 0) + 1
        self.counts[(conn.source, verb)] = n
        if conn.source == "strongswan" and self.refuse.get(verb) == n:
            raise Refuse(500, "internal test-injected")
        if verb == "ping" or verb == "bye":
            return "ok"
        if verb == "sync-begin":
            if conn.sync:
                bad("sync", "already in a sync")
            conn.sync = True
            for t in (st.ikes, st.children):
                for e in t.values():
                    e["mark"] = e["source"] == conn.source
            return "ok"
        if verb == "sync-end":
            if not conn.sync:
                bad("sync", "not in a sync")
            conn.sync = False
            gone = 0
            for t in (st.children, st.ikes):
                for k in [k for k, e in t.items() if e.get("mark")]:
                    del t[k]
                    gone += 1
            return f"ok deleted={gone}"
        if verb == "list":
            n = 0
            for k, e in st.ikes.items():
                if "source" in f and e["source"] != f["source"]:
                    continue
                safe = {a: b for a, b in e["fields"].items()
                        if a not in KEY_FIELDS}
                self.reply(conn, "sa type=ike source=" + e["source"] + " " +
                           " ".join(f"{a}={b}" for a, b in safe.items()
                                    if " " not in b and "%" not in b))
                n += 1
            for k, e in st.children.items():
                if "source" in f and e["source"] != f["source"]:
                    continue
                safe = {a: b for a, b in e["fields"].items()
                        if a not in KEY_FIELDS and a not in TEXT_FIELDS}
                self.reply(conn, "sa type=child source=" + e["source"] + " " +
                           " ".join(f"{a}={b}" for a, b in safe.items()))
                n += 1
            return f"ok count={n}"
        if verb in ("ike-up", "ike-rekey"):
            key, _, plen = validate_ike(f)
            entry = {"fields": f, "source": conn.source, "mark": False}
            old = None
            if verb == "ike-rekey":
                old = (ike_spi(f, "old-spi-i"), ike_spi(f, "old-spi-r"))
                if old == key:
                    bad("spi-i", "new SPIs equal the old ones")
            if "skeyseed" in f:
                n = len(f["skeyseed"]) // 2
                if old is None and n != plen:
                    bad("skeyseed", f"length {n}, need {plen}")
                # RFC 7296 §2.18: made with the old SA's PRF
                if old in st.ikes and n != prf_len(st.ikes[old]["fields"]):
                    bad("skeyseed", f"length {n}, need "
                        f"{prf_len(st.ikes[old]['fields'])} (the old IKE SA's "
                        "PRF output)")
            cur = st.ikes.get(key)
            if cur is not None:
                olds = ("old-spi-i", "old-spi-r")
                same = same_content(cur["fields"], f, olds)
                if not same:
                    raise Refuse(409, "conflict spi-i/spi-r exist with other "
                                 "content")
                self.mark_seen(conn, st.ikes, key)
                if old is not None and old in st.ikes:
                    self._move(old, key)
                return "ok unchanged"
            if old is not None:
                if old not in st.ikes:
                    raise Refuse(404, "unknown-ike-sa old-spi-i/old-spi-r")
                st.ikes[key] = entry
                self._move(old, key)
                return "ok added"
            st.ikes[key] = entry
            return "ok added"
        if verb == "ike-down":
            key = (ike_spi(f, "spi-i"), ike_spi(f, "spi-r"))
            if key not in st.ikes:
                return "ok absent"
            kids = [k for k, e in st.children.items() if e["ike"] == key]
            for k in kids:
                del st.children[k]
            del st.ikes[key]
            return f"ok deleted children={len(kids)}"
        if verb == "child-add":
            key, ike = validate_child(f)
            if ike is not None and ike not in st.ikes:
                raise Refuse(404, "unknown-ike-sa ike-spi-i/ike-spi-r")
            if "keymat" in f:
                n, need = len(f["keymat"]) // 2, prf_len(st.ikes[ike]["fields"])
                if n != need:
                    bad("keymat", f"length {n}, need {need} (the IKE SA's PRF "
                        "output)")
            cur = st.children.get(key)
            if cur is not None:
                if not same_content(cur["fields"], f):
                    raise Refuse(409, "conflict spi/dst exist with other "
                                 "content")
                self.mark_seen(conn, st.children, key)
                return "ok unchanged"
            st.children[key] = {"fields": f, "source": conn.source,
                                "mark": False, "ike": ike}
            return "ok added"
        if verb == "child-del":
            spi = child_spi(f, "spi")
            d = one_of(f, "dir", ("in", "out"))
            proto = one_of(f, "proto", ("esp", "ah"))
            dst = addr(f, "dst")
            key = (proto, spi, str(dst), d)
            cur = st.children.get(key)
            if cur is None:
                return "ok absent"
            if "src" in f and str(addr(f, "src")) != cur["fields"]["src"]:
                raise Refuse(409, "conflict src")
            del st.children[key]
            return "ok deleted"
        raise Refuse(401, f"unknown-record {verb}")

    def _move(self, old, new):
        for e in self.state.children.values():
            if e["ike"] == old:
                e["ike"] = new
                e["fields"]["ike-spi-i"], e["fields"]["ike-spi-r"] = new
        del self.state.ikes[old]

    def handle_line(self, conn, raw):
        verb, fields = "?", {}
        try:
            verb, fields = parse_line(raw)
            rep = self.apply(conn, verb, fields)
        except Refuse as r:
            rep = f"err {r.code} {r.reason}"
        safe = " ".join(f"{k}={'<key>' if k in KEY_FIELDS else v}"
                        for k, v in fields.items())
        self.log(f"{verb} {safe} -> {rep}")
        self.record(conn, verb, fields, rep)
        self.reply(conn, rep)
        if rep.startswith("err 505") or verb == "bye" and rep == "ok":
            self.close(conn)

    def close(self, conn):
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def on_read(self, conn):
        try:
            data = conn.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.log("client closed")
            self.close(conn)
            return
        conn.buf += data
        while True:
            i = conn.buf.find(b"\n")
            if i < 0:
                if len(conn.buf) >= LINE_MAX and not conn.discard:
                    conn.discard = True
                    conn.buf = b""
                    self.reply(conn, "err 400 line-too-long")
                elif conn.discard:
                    conn.buf = b""
                return
            raw, conn.buf = conn.buf[:i], conn.buf[i + 1:]
            if conn.discard:
                conn.discard = False
                continue
            if i + 1 > LINE_MAX:
                self.reply(conn, "err 400 line-too-long")
                continue
            self.handle_line(conn, raw)
            if conn.sock.fileno() < 0:
                return

    def on_accept(self, lsock):
        s, _ = lsock.accept()
        cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                            struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", cred)
        if uid not in (0, os.getuid()):
            s.sendall(b"err 403 forbidden\n")
            s.close()
            return
        conn = Conn(s)
        self.sel.register(s, selectors.EVENT_READ, conn)
        self.log(f"client connected uid={uid}")

    def run(self):
        path = self.args.socket
        if os.path.exists(path):
            os.unlink(path)
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        lsock.bind(path)
        os.umask(old)
        os.chmod(path, 0o600)
        lsock.listen(8)
        self.sel.register(lsock, selectors.EVENT_READ, None)
        self.log(f"listening on {path}")
        while True:
            for key, _ in self.sel.select():
                if key.data is None:
                    self.on_accept(lsock)
                else:
                    self.on_read(key.data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--refuse", action="append")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    Server(args).run()


if __name__ == "__main__":
    main()
