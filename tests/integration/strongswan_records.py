#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks for tests/integration/test_strongswan.sh over the JSON-lines
files written by keyimport_listener.py and `swanctl --list-sas --raw`.

  strongswan_records.py <check> args...    exit 0 = holds, 1 = does not
Diagnostics go to stderr prefixed with '# ' (TAP comments).
"""
import hashlib
import hmac
import json
import re
import socket
import sys

KEYS = ("key", "sk-d", "encr-key", "integ-key", "skeyseed", "keymat")
HASH = {20: hashlib.sha1, 32: hashlib.sha256, 48: hashlib.sha384,
        64: hashlib.sha512}
PRF_LEN = {"2": 20, "5": 32, "6": 48, "7": 64}


def recs(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def why(msg):
    print("# " + msg, file=sys.stderr)
    return False


def verb(rs, v):
    return [r for r in rs if r["verb"] == v]


def raw_ike(path):
    t = open(path).read()
    m = re.search(r"initiator-spi=([0-9a-f]{16}) responder-spi=([0-9a-f]{16})", t)
    return (m.group(1), m.group(2)) if m else None


def raw_children(path):
    """name -> list of (state, spi-in, spi-out) from swanctl --list-sas --raw"""
    t = open(path).read()
    out = {}
    for m in re.finditer(r"\{name=(\S+) (.*?)\}", t):
        body = m.group(2)
        st = re.search(r"state=(\S+)", body)
        si = re.search(r"spi-in=([0-9a-f]{8})", body)
        so = re.search(r"spi-out=([0-9a-f]{8})", body)
        if st and si and so:
            out.setdefault(m.group(1), []).append(
                (st.group(1), si.group(1), so.group(1)))
    return out


def first_children(rs, n=4):
    return verb(rs, "child-add")[:n]


def c_count(a, v, n):
    return len(verb(recs(a), v)) >= int(n)


def c_ike_up(a, b, sas):
    ra, rb = verb(recs(a), "ike-up"), verb(recs(b), "ike-up")
    if not ra or not rb:
        return why("no ike-up")
    fa, fb = ra[0]["fields"], rb[0]["fields"]
    if (fa["spi-i"], fa["spi-r"]) != (fb["spi-i"], fb["spi-r"]):
        return why("SPIs differ between sides")
    if raw_ike(sas) != (fa["spi-i"], fa["spi-r"]):
        return why(f"SPIs differ from swanctl: {raw_ike(sas)}")
    if fa["role"] != "initiator" or fb["role"] != "responder":
        return why("roles")
    if ra[0]["reply"] != "ok added" or rb[0]["reply"] != "ok added":
        return why("not accepted: " + ra[0]["reply"] + " / " + rb[0]["reply"])
    if fa["local"] != "198.18.50.1" or fa["remote"] != "198.18.50.2":
        return why("addresses")
    return True


def c_key_equal(a, b, v):
    """a sends the RFC 7717 key its plugin computed; b sends SK_d and the
    listener derives the key itself (as twamp-dp does): they must agree."""
    ra, rb = verb(recs(a), v), verb(recs(b), v)
    if not ra or not rb:
        return why(f"no {v}")
    fa, fb = ra[-1]["fields"], rb[-1]["fields"]
    if (fa["spi-i"], fa["spi-r"]) != (fb["spi-i"], fb["spi-r"]):
        return why("not the same IKE SA")
    if "key" not in fa or "sk-d" in fa or "sk-d" not in fb or "key" in fb:
        return why("side a must send key, side b sk-d")
    if len(fa["key"]) != 64 or len(fb["sk-d"]) != 64 or fa["prf"] != "5" \
            or fa.get("prf-name") != "prf-hmac-sha2-256":
        return why("key length / prf")
    if fa["key"] != rb[-1].get("derived-key"):
        return why("initiator's RFC 7717 key != prf(responder's SK_d, IPPM)")
    if v == "ike-rekey":
        old = verb(recs(a), "ike-up")[0]["fields"]["key"]
        if old == fa["key"]:
            return why("rekeyed IKE SA kept the old key")
    return True


def c_ids(a):
    f = verb(recs(a), "ike-up")[0]["fields"]
    if f["local-id"] != "dut.swn.test" or \
            f["remote-id"] != "C=CH, O=Lab, CN=peer.swn.test":
        return why(f"ids {f['local-id']!r} {f['remote-id']!r}")
    return True


def c_children(a, b):
    for p in (a, b):
        rs = recs(p)
        cs = first_children(rs)
        got = [(r["fields"]["name"], r["fields"]["dir"]) for r in cs]
        want = [("twamp", "out"), ("twamp", "in"), ("twamp-cbc", "out"),
                ("twamp-cbc", "in")]
        if sorted(got) != sorted(want):
            return why(f"{p}: {got}")
        for i in range(0, 4, 2):
            if got[i][1] != "out" or got[i + 1][1] != "in" or \
                    got[i][0] != got[i + 1][0]:
                return why(f"{p}: out must precede in: {got}")
        if any(r["reply"] != "ok added" for r in cs):
            return why(f"{p}: not all accepted")
        if any(r["fields"].get("name") == "mgmt"
               for r in verb(rs, "child-add")):
            return why(f"{p}: mgmt exported despite children = twamp*")
        ike = verb(rs, "ike-up")[0]["fields"]
        if any((r["fields"]["ike-spi-i"], r["fields"]["ike-spi-r"]) !=
               (ike["spi-i"], ike["spi-r"]) for r in cs):
            return why(f"{p}: ike-spi-* do not name the IKE SA")
    return True


def spis_match(cs, sas):
    ch = raw_children(sas)
    for r in cs:
        f = r["fields"]
        inst = [c for c in ch.get(f["name"], []) if c[0] == "INSTALLED"]
        if not inst:
            return why(f"{f['name']} not INSTALLED in swanctl: {ch}")
        _, si, so = inst[-1]
        want = si if f["dir"] == "in" else so
        if f["spi"] != want:
            return why(f"{f['name']} {f['dir']}: record {f['spi']}, "
                       f"swanctl {want}")
        if f["peer-spi"] != (so if f["dir"] == "in" else si):
            return why("peer-spi")
    return True


def c_spis(a, sas):
    return spis_match(first_children(recs(a)), sas)


def c_spis_new(a, sas):
    cs = [r for r in verb(recs(a), "child-add")[4:]
          if r["fields"]["name"] == "twamp"]
    return bool(cs) and spis_match(cs[-2:], sas)


def c_cross(a, b):
    ca, cb = first_children(recs(a)), first_children(recs(b))
    for x, ys in ((ca, cb), (cb, ca)):
        for r in x:
            f = r["fields"]
            peer = [y["fields"] for y in ys if y["fields"]["spi"] == f["spi"]]
            if len(peer) != 1:
                return why(f"spi {f['spi']} not on the other side")
            g = peer[0]
            if g["dir"] == f["dir"]:
                return why("same direction on both sides")
            for k in ("encr", "encr-keylen", "encr-key", "integ", "integ-key",
                      "src", "dst", "proto", "mode"):
                if f.get(k) != g.get(k):
                    return why(f"spi {f['spi']}: {k} differs")
    return True


def c_algs(a):
    for r in first_children(recs(a)):
        f = r["fields"]
        if f["name"] == "twamp":
            ok = f["encr"] == "20" and f["encr-name"] == "aes-gcm-16" and \
                f["encr-keylen"] == "128" and len(f["encr-key"]) == 40 and \
                "integ" not in f and "integ-key" not in f
        else:
            ok = f["encr"] == "12" and f["encr-keylen"] == "256" and \
                len(f["encr-key"]) == 64 and f["integ"] == "12" and \
                f["integ-name"] == "hmac-sha2-256-128" and \
                len(f["integ-key"]) == 64
        if not ok:
            return why(f"{f['name']}: " + " ".join(
                f"{k}={v}" for k, v in f.items() if k not in KEYS))
    return True


def c_encap(a):
    for r in first_children(recs(a)):
        f = r["fields"]
        if f["encap"] != "udp" or f["encap-sport"] != "4500" or \
                f["encap-dport"] != "4500" or f["mode"] != "tunnel" or \
                f["proto"] != "esp":
            return why(f"encap fields of {f['name']} {f['dir']}")
        # the responder narrows both sides to the udp/862-863 selector
        want = {"twamp": ("10.50.1.0/24[17/862-863]",
                          "10.51.1.0/24[17/862-863]"),
                "twamp-cbc": ("10.50.2.0/24", "10.51.2.0/24")}[f["name"]]
        if (f["ts-local"], f["ts-remote"]) != want:
            return why(f"TS {f['ts-local']} {f['ts-remote']}")
        if f["dir"] == "out" and (f["src"], f["dst"]) != \
                ("198.18.50.1", "198.18.50.2"):
            return why("out addresses")
    return True


def c_ike_rekey(a, b):
    out = []
    for p in (a, b):
        rs = recs(p)
        up, rk = verb(rs, "ike-up"), verb(rs, "ike-rekey")
        if not up or not rk:
            return False
        o, f = up[0]["fields"], rk[-1]["fields"]
        if (f["old-spi-i"], f["old-spi-r"]) != (o["spi-i"], o["spi-r"]):
            return why(f"{p}: old SPIs")
        if (f["spi-i"], f["spi-r"]) == (o["spi-i"], o["spi-r"]):
            return why(f"{p}: SPIs unchanged")
        if rk[-1]["reply"] != "ok added":
            return why(f"{p}: {rk[-1]['reply']}")
        out.append((f["spi-i"], f["spi-r"]))
    return out[0] == out[1] or why("new SPIs differ between sides")


def c_child_rekey(a, b):
    for p in (a, b):
        rs = recs(p)
        first = {(r["fields"]["name"], r["fields"]["dir"]): r["fields"]
                 for r in first_children(rs)}
        new = [r["fields"] for r in verb(rs, "child-add")[4:]
               if r["fields"]["name"] == "twamp"]
        if [f["dir"] for f in new[:2]] != ["out", "in"]:
            return why(f"{p}: new records {[f['dir'] for f in new]}")
        rk = verb(rs, "ike-rekey")[-1]["fields"]
        for f in new[:2]:
            o = first[("twamp", f["dir"])]
            if f["spi"] == o["spi"] or f["encr-key"] == o["encr-key"]:
                return why(f"{p}: SPI or key unchanged")
            if (f["ike-spi-i"], f["ike-spi-r"]) != (rk["spi-i"], rk["spi-r"]):
                return why(f"{p}: Child SA not under the rekeyed IKE SA")
    return True


def c_child_del_old(a, b):
    for p in (a, b):
        rs = recs(p)
        first = {(r["fields"]["name"], r["fields"]["dir"]): r["fields"]
                 for r in first_children(rs)}
        dels = [r for r in verb(rs, "child-del")]
        spis = [r["fields"]["spi"] for r in dels]
        old_in, old_out = first[("twamp", "in")], first[("twamp", "out")]
        if old_in["spi"] not in spis or old_out["spi"] not in spis:
            return False
        if spis.index(old_in["spi"]) > spis.index(old_out["spi"]):
            return why(f"{p}: out deleted before in")
        for r in dels:
            if r["fields"]["spi"] in (old_in["spi"], old_out["spi"]) and \
                    r["reply"] != "ok deleted":
                return why(f"{p}: {r['reply']}")
    return True


def c_after_refusal(a):
    rs = recs(a)
    idx = [i for i, r in enumerate(rs) if r["reply"].startswith("err 500")]
    if not idx:
        return why("no refused record")
    later = rs[idx[0] + 1:]
    return any(r["reply"] == "ok added" for r in later) or \
        why("nothing accepted after the refusal")


def c_malformed(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    f = s.makefile("rwb")

    def ask(line):
        f.write(line + b"\n")
        f.flush()
        return f.readline().decode().rstrip("\n")

    child = (b"child-add spi=0000c001 dir=in proto=esp mode=tunnel "
             b"src=198.18.50.2 dst=198.18.50.1 encap=none encr=12 "
             b"encr-keylen=128 encr-key=" + b"00" * 16 +
             b" ts-local=10.0.0.0/8 ts-remote=10.1.0.0/16")
    cases = [
        (b"ike-down spi-i=1111111111111111 spi-r=2222222222222222", "err 426"),
        (b"hello versions=1 source=test", "ok version=1"),
        (b"hello versions=1", "err 426"),
        (b"frobnicate spi=1", "err 401"),
        (b"ike-down  spi-i=1111111111111111 spi-r=2222222222222222", "err 400"),
        (b"ike-down spi-i=1111111111111111\r", "err 400"),
        (b"ike-down spi-i=1111111111111111", "err 402 missing-field spi-r"),
        (b"ping x-note=1 y=2", "err 402 unknown-field y"),
        (b"ike-down spi-i=0000000000000000 spi-r=2222222222222222",
         "err 412 bad-value spi-i"),
        (b"ike-down spi-i=11 spi-r=2222222222222222", "err 412"),
        (child, "err 422 unsupported integ"),
        (child.replace(b"spi=0000c001", b"spi=000000ff"), "err 412 bad-value spi"),
        (child + b" integ=12 integ-key=" + b"ab" * 20, "err 412 bad-value integ-key"),
        (child.replace(b"encr=12", b"encr=3"), "err 422 unsupported encr"),
        (child + b" integ=12 integ-key=" + b"ab" * 32 + b" ike-spi-i=1111111111111111"
         b" ike-spi-r=2222222222222222", "err 404 unknown-ike-sa"),
        (b"ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 "
         b"key=" + b"aa" * 32 + b" sk-d=" + b"bb" * 32 +
         b" local=198.18.50.1 remote=198.18.50.2 local-id=a remote-id=b "
         b"role=initiator", "err 402"),
        (b"ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 "
         b"key=" + b"aa" * 31 + b" local=198.18.50.1 remote=2001:db8::1 "
         b"local-id=a remote-id=b role=initiator", "err 412 bad-value key"),
        (b"ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=5 "
         b"key=" + b"aa" * 32 + b" local=198.18.50.1 remote=198.18.50.2 "
         b"local-id=a%2 remote-id=b role=initiator", "err 400 bad-escape"),
        (b"ike-down spi-i=1111111111111111 spi-r=2222222222222222", "ok absent"),
        (b"x" * 5000, "err 400 line-too-long"),
        (b"ping", "ok"),
    ]
    good = True
    for line, want in cases:
        got = ask(line)
        if not got.startswith(want):
            good = why(f"{line[:60]!r}: got {got!r}, want {want!r}")
    s.close()
    return good


def c_resync(new, old):
    rs = recs(new)
    vs = [r["verb"] for r in rs]
    if "sync-end" not in vs:
        return False
    if vs[0] != "hello" or vs[1] != "sync-begin":
        return why(f"order {vs}")
    rk = verb(recs(old), "ike-rekey")[-1]["fields"]
    up = verb(rs, "ike-up")
    if len(up) != 1 or (up[0]["fields"]["spi-i"], up[0]["fields"]["spi-r"]) \
            != (rk["spi-i"], rk["spi-r"]) or \
            up[0]["fields"].get("sk-d") != rk.get("sk-d"):
        return why("resync ike-up is not the current (rekeyed) IKE SA")
    names = sorted((r["fields"]["name"], r["fields"]["dir"])
                   for r in verb(rs, "child-add"))
    if names != [("twamp", "in"), ("twamp", "out"), ("twamp-cbc", "in"),
                 ("twamp-cbc", "out")]:
        return why(f"resync children {names}")
    newest = [r["fields"] for r in verb(recs(old), "child-add")
              if r["fields"]["name"] == "twamp"][-2:]
    got = {r["fields"]["spi"] for r in verb(rs, "child-add")
           if r["fields"]["name"] == "twamp"}
    if got != {f["spi"] for f in newest}:
        return why("resync twamp SPIs are not the current ones")
    if any(not r["reply"].startswith("ok") for r in rs):
        return why("refusals in the resync")
    return True


def c_down(a):
    rs = recs(a)
    d = verb(rs, "ike-down")
    if not d:
        return False
    if not d[-1]["reply"].startswith("ok deleted children=0"):
        return why(f"ike-down reply {d[-1]['reply']} (child-del must come first)")
    i = rs.index(d[-1])
    return any(r["verb"] == "child-del" for r in rs[:i]) or why("no child-del")


def c_empty(a):
    ikes, kids = set(), set()
    for r in recs(a):
        f, rep = r["fields"], r["reply"]
        if r["verb"] in ("ike-up", "ike-rekey") and rep == "ok added":
            ikes.add((f["spi-i"], f["spi-r"]))
            if r["verb"] == "ike-rekey":
                ikes.discard((f["old-spi-i"], f["old-spi-r"]))
        elif r["verb"] == "ike-down" and rep.startswith("ok deleted"):
            ikes.discard((f["spi-i"], f["spi-r"]))
        elif r["verb"] == "child-add" and rep == "ok added":
            kids.add((f["spi"], f["dir"]))
        elif r["verb"] == "child-del" and rep == "ok deleted":
            kids.discard((f["spi"], f["dir"]))
    return (not ikes and not kids) or why(f"left: {ikes} {kids}")


def c_stale(a):
    """After a re-initiation (1 IKE SA, 2 twamp SAs) and a charon crash, the
    restarted charon's resync (nothing) must delete exactly those 3."""
    rs = recs(a)
    ends = [r for r in rs if r["verb"] == "sync-end"]
    return bool(ends) and (ends[-1]["reply"] == "ok deleted=3" or
                           why(f"last sync-end: {ends[-1]['reply']}"))


def c_ipv6(a, b):
    """meas6: IKE over IPv6 with PRF_HMAC_SHA2_384 (48-octet keys), one
    AES-GCM-256 Child SA with IPv6 selectors, both sides agreeing."""
    ups, kids = [], []
    for p in (a, b):
        rs = recs(p)
        up = [r for r in verb(rs, "ike-up") if r["fields"].get("name") == "meas6"]
        ch = [r for r in verb(rs, "child-add")
              if r["fields"].get("name") == "twamp6"]
        if not up or len(ch) < 2:
            return False
        ups.append(up[-1])
        kids.append({r["fields"]["dir"]: r["fields"] for r in ch[-2:]})
    fa, fb = ups[0]["fields"], ups[1]["fields"]
    if fa["local"] != "2001:db8:50::1" or fa["remote"] != "2001:db8:50::2":
        return why(f"IKE addresses {fa['local']} {fa['remote']}")
    if (fa["spi-i"], fa["spi-r"]) != (fb["spi-i"], fb["spi-r"]) or \
            fa["prf"] != "6" or len(fa["key"]) != 96 or \
            fa["key"] != ups[1].get("derived-key"):
        return why("IPv6 IKE SA: SPIs, PRF 6 or key disagree")
    if any(not r["reply"].startswith("ok") for r in ups):
        return why("IPv6 ike-up refused")
    ka, kb = kids
    out, inn = ka.get("out"), kb.get("in")
    if not out or not inn or out["spi"] != inn["spi"] or \
            out["encr-key"] != inn["encr-key"] or out["encr"] != "20" or \
            out["encr-keylen"] != "256" or len(out["encr-key"]) != 72:
        return why("IPv6 Child SA: out/in pair disagrees")
    if (out["src"], out["dst"], out["ts-local"], out["ts-remote"]) != \
            ("2001:db8:50::1", "2001:db8:50::2", "fd00:50:1::/64",
             "fd00:51:1::/64"):
        return why(f"IPv6 addresses/TS {out['src']} {out['dst']} "
                   f"{out['ts-local']} {out['ts-remote']}")
    return True


# ---- the seed draft's secrets (draft_keys) --------------------------------

def prf_plus(h, key, seed, n):
    """RFC 7296 §2.13: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)."""
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(key, t + seed + bytes([i]), h).digest()
        out += t
        i += 1
    return out[:n]


def dumps(path, label):
    """Every `label => N bytes @ ...` hex dump charon wrote at level 4
    (file logger: one prefixed line per dump line), in order."""
    out, cur, want = [], None, 0
    try:
        lines = open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        m = re.search(re.escape(label) + r" => (\d+) bytes @", line)
        if m:
            cur, want = bytearray(), int(m.group(1))
            if want == 0:
                out.append(b"")
                cur = None
            continue
        if cur is not None:
            m = re.search(r"\]\s(?:<[^>]*> )?\s*\d+: ((?:[0-9A-F]{2} ?)+)", line)
            if not m:
                cur = None
                continue
            cur += bytes.fromhex(m.group(1).replace(" ", ""))
            if len(cur) >= want:
                out.append(bytes(cur[:want]))
                cur = None
    return out


def c_draft_ike(a, b, v, dbg_a, dbg_b):
    """skeyseed on the last ike-up/ike-rekey of both sides: present, the
    PRF's length, equal across sides, accepted, equal to charon's own
    SKEYSEED dump; a rekey's differs from the first one."""
    got = []
    for p, dbg in ((a, dbg_a), (b, dbg_b)):
        rs = verb(recs(p), v)
        if not rs:
            return why(f"{p}: no {v}")
        f = rs[-1]["fields"]
        if rs[-1]["reply"] != "ok added":
            return why(f"{p}: {v} {rs[-1]['reply']}")
        sk = f.get("skeyseed")
        if sk is None or len(sk) != 2 * PRF_LEN[f["prf"]]:
            return why(f"{p}: {v} skeyseed missing or not {PRF_LEN[f['prf']]} octets")
        if bytes.fromhex(sk) not in dumps(dbg, "SKEYSEED"):
            return why(f"{p}: {v} skeyseed is not one charon computed")
        if v == "ike-rekey" and sk == verb(recs(p), "ike-up")[0]["fields"].get("skeyseed"):
            return why(f"{p}: the rekeyed IKE SA kept the old SKEYSEED")
        got.append(sk)
    return got[0] == got[1] or why("initiator's and responder's skeyseed differ")


def keymat_of(p, name):
    """{spi of the outbound SA: (out keymat, in keymat, out, in)} for child
    `name`, as the plugin sent them (a refusal by the listener aside)."""
    out, pend = {}, {}
    for r in verb(recs(p), "child-add"):
        f = r["fields"]
        if f.get("name") != name or f["spi"] in out:
            continue
        if f["dir"] == "out":
            pend[f["peer-spi"]] = f
        elif f["spi"] in pend:
            o = pend.pop(f["spi"])
            out[o["spi"]] = (o.get("keymat"), f.get("keymat"), o, f)
    return out


def recompute(dbg, km):
    """Whether KEYMAT octets `km` are prf+(SK_d, seed) for one of charon's
    own SK_d dumps and Child SA seed dumps ([g^ir |] Ni | Nr)."""
    for skd in dumps(dbg, "Sk_d secret"):
        for seed in dumps(dbg, "seed"):
            if prf_plus(HASH[len(skd)], skd, seed, len(km)) == km:
                return True
    return False


def c_draft_child(a, b, dbg_a, dbg_b, name, count="1", pfs="no"):
    """For the newest `count` Child SAs `name`: keymat on out and in, equal,
    the IKE SA's PRF length, equal across sides (a's out = b's in), and
    prf+(SK_d, [g^ir |] Ni | Nr) recomputed here from charon's own SK_d and
    seed dumps; prf+ here also gives charon's encryption initiator key."""
    ka, kb = keymat_of(a, name), keymat_of(b, name)
    if len(ka) < int(count):
        return why(f"{a}: {len(ka)} {name} pairs")
    if len({v[0] for v in ka.values()}) != len(ka):
        return why(f"{a}: a {name} keymat repeats across Child SAs")
    for spi, (ko, ki, o, i) in list(ka.items())[-int(count):]:
        if not ko or ko != ki:
            return why(f"{a}: {name} {spi}: keymat missing or out != in")
        rk = [r["fields"] for r in verb(recs(a), "ike-up") + verb(recs(a), "ike-rekey")
              if (r["fields"]["spi-i"], r["fields"]["spi-r"]) ==
              (o["ike-spi-i"], o["ike-spi-r"])]
        if not rk or len(ko) != 2 * PRF_LEN[rk[-1]["prf"]]:
            return why(f"{a}: {name} {spi}: keymat length {len(ko) // 2}")
        peer = [v for v in kb.values() if v[3]["spi"] == spi]
        if not peer or peer[0][0] != ko or peer[0][1] != ko:
            return why(f"{name} {spi}: the other side's keymat differs")
        km = bytes.fromhex(ko)
        for dbg in (dbg_a, dbg_b):
            if not recompute(dbg, km):
                return why(f"{name} {spi}: keymat is not prf+(SK_d, seed) of {dbg}")
        seeds = [sd for sd in dumps(dbg_a, "seed")
                 if any(prf_plus(HASH[len(k)], k, sd, len(km)) == km
                        for k in dumps(dbg_a, "Sk_d secret"))]
        # with PFS the seed is g^ir (256 octets for MODP-2048) | Ni | Nr
        if pfs == "yes" and not any(len(sd) > 256 for sd in seeds):
            return why(f"{name} {spi}: no PFS seed")
        if pfs == "no" and any(len(sd) > 128 for sd in seeds):
            return why(f"{name} {spi}: unexpected g^ir in the seed")
    # our prf+ against charon's: the initiator's encryption key is the first
    # octets of KEYMAT (RFC 7296 §2.17)
    enc = dumps(dbg_a, "encryption initiator key")
    skds, seeds = dumps(dbg_a, "Sk_d secret"), dumps(dbg_a, "seed")
    if not enc or not all(any(prf_plus(HASH[len(k)], k, sd, len(e)) == e
                              for k in skds for sd in seeds) for e in enc):
        return why("prf+ here does not reproduce charon's encryption keys")
    return True


def c_draft_off(on, off):
    """meas6: the side with draft_keys sends skeyseed (PRF 6: 48 octets) and
    keymat; the side without sends neither, and both are accepted."""
    for p, want in ((on, True), (off, False)):
        ups = [r for r in verb(recs(p), "ike-up") if r["fields"].get("name") == "meas6"]
        ch = [r for r in verb(recs(p), "child-add") if r["fields"].get("name") == "twamp6"]
        if not ups or len(ch) < 2:
            return why(f"{p}: no meas6/twamp6 records")
        for r in [ups[-1]] + ch[-2:]:
            if not r["reply"].startswith("ok"):
                return why(f"{p}: {r['verb']} {r['reply']}")
        has = [("skeyseed" in ups[-1]["fields"])] + ["keymat" in r["fields"] for r in ch[-2:]]
        if has != [want] * 3:
            return why(f"{p}: skeyseed/keymat present {has}, want {want}")
        if want and (len(ups[-1]["fields"]["skeyseed"]) != 96 or
                     any(len(r["fields"]["keymat"]) != 96 for r in ch[-2:])):
            return why(f"{p}: not 48 octets with PRF HMAC-SHA2-384")
    return True


def c_draft_resync(new, old):
    """The resync re-sends the current SKEYSEED and KEYMATs."""
    rk = verb(recs(old), "ike-rekey")[-1]["fields"]
    up = verb(recs(new), "ike-up")
    if not up or up[0]["fields"].get("skeyseed") != rk.get("skeyseed"):
        return why("resync ike-up without the rekeyed SA's skeyseed")
    cur = {r["fields"]["spi"]: r["fields"].get("keymat")
           for r in verb(recs(old), "child-add") if r["reply"].startswith("ok")}
    for r in verb(recs(new), "child-add"):
        f = r["fields"]
        if not f.get("keymat") or f["keymat"] != cur.get(f["spi"]):
            return why(f"resync child-add {f['spi']}: keymat missing or changed")
    return True


def c_nokeys(*args):
    i = args.index("--")
    keys = set()
    for p in args[:i]:
        for r in recs(p):
            for k in KEYS:
                if k in r["fields"]:
                    keys.add(r["fields"][k].lower())
    if not keys:
        return why("no keys recorded")
    for p in args[i + 1:]:
        try:
            t = open(p, errors="replace").read().lower()
        except FileNotFoundError:
            continue
        for k in keys:
            if k in t or k[:32] in t:
                return why(f"key material in {p}")
    return True


CHECKS = {"count": c_count, "ike-up": c_ike_up, "key-equal": c_key_equal,
          "ids": c_ids, "children": c_children, "spis": c_spis,
          "spis-new": c_spis_new, "cross": c_cross, "algs": c_algs,
          "encap": c_encap, "ike-rekey": c_ike_rekey,
          "child-rekey": c_child_rekey, "child-del-old": c_child_del_old,
          "after-refusal": c_after_refusal, "malformed": c_malformed,
          "resync": c_resync, "down": c_down, "empty": c_empty,
          "stale": c_stale, "ipv6": c_ipv6, "nokeys": c_nokeys,
          "draft-ike": c_draft_ike, "draft-child": c_draft_child,
          "draft-off": c_draft_off, "draft-resync": c_draft_resync}

if __name__ == "__main__":
    try:
        sys.exit(0 if CHECKS[sys.argv[1]](*sys.argv[2:]) else 1)
    except (KeyError, IndexError, ValueError, OSError) as e:
        why(f"{sys.argv[1]}: {type(e).__name__}: {e}")
        sys.exit(1)
