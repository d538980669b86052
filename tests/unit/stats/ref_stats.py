#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent reference for lib/stats.

Usage: ref_stats.py EVENTS RESULT.json

EVENTS is the event stream a test fed to lib/stats (written by
test_stats_ref.c):
    conf kind=roundtrip|oneway rseq=auto|counter|copy clock=auto|synced|unsynced
         timeout_ns=N tos_sent=N tos_reply=N ttl_init=N pct=P,P,...
    S seq t1                      a test packet left (NTP 64-bit, decimal)
    R seq refl_seq t1 t2 t3 t4 e1 e2 e4 ttl_fwd ttl_back tos_fwd tos_back flags
                                  a reply / one-way packet, in arrival order
    F                             end of the run

This script computes every metric straight from the definitions, keeping
every value and sorting (no histograms, no windows), and compares with the
JSON lib/stats wrote: counts exactly, min/max exactly, means and standard
deviations to 1e-6, percentiles within the histogram precision stated in
docs/results.md (2^-11 relative; PDV within 2^-11 of the delay range).
Exit status 0 when everything matches, 1 with a list of differences.
"""
import json
import math
import os
import sys

ONEWAY = 0x01
TOS_FWD = 0x02
S_BIT = 0x8000
NREORD_MAX = 16
REL = 2.0 ** -11


def ntp_diff_ns(a, b):
    """a - b in ns for 64-bit NTP timestamps (RFC 5905 §6: 32.32 fixed
    point), rounded toward minus infinity."""
    d = (a - b) & ((1 << 64) - 1)
    if d >= 1 << 63:
        d -= 1 << 64
    return (d >> 32) * 10**9 + (((d & 0xFFFFFFFF) * 10**9) >> 32)


def errest_ns(raw):
    """RFC 4656 §4.1.2: Multiplier * 2^(Scale - 32) s; None if invalid."""
    mult = raw & 0xFF
    scale = (raw >> 8) & 0x3F
    if mult == 0:
        return None
    return mult * 2.0 ** (scale - 32) * 1e9


def nearest_rank(sorted_vals, p):
    n = len(sorted_vals)
    r = math.ceil((p * n) / 100.0)
    r = min(max(r, 1), n)
    return sorted_vals[r - 1]


def dist(vals, pcts):
    v = sorted(vals)
    n = len(v)
    if n == 0:
        return {"n": 0}
    mean = sum(v) / n  # exact enough: Python ints, one division
    m = sum(v) / n
    var = sum((x - m) ** 2 for x in v) / n
    out = {"n": n, "min_ns": v[0], "max_ns": v[-1], "mean_ns": mean,
           "stddev_ns": math.sqrt(var), "median_ns": v[(n + 1) // 2 - 1]}
    for p in pcts:
        out["p%s_ns" % fmt_pct(p)] = nearest_rank(v, p)
    return out


def fmt_pct(p):
    # the same text C's "%g" gives for the percentiles the tests use
    s = repr(float(p))
    if s.endswith(".0"):
        s = s[:-2]
    return s


def main():
    evfile, jsfile = sys.argv[1], sys.argv[2]
    conf = {}
    events = []
    with open(evfile) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "conf":
                for kv in w[1:]:
                    k, v = kv.split("=", 1)
                    conf[k] = v
            else:
                events.append(w)
    oneway = conf["kind"] == "oneway"
    timeout = int(conf["timeout_ns"])
    pcts = [float(x) for x in conf["pct"].split(",")] if conf.get("pct") else []
    ttl_init = int(conf["ttl_init"])
    tos_sent = int(conf["tos_sent"])
    tos_reply = int(conf["tos_reply"])

    # --- fate of each packet (RFC 7680 §2.4, RFC 6673 §2.4, RFC 5560) ---
    index = {}          # seq -> position in sending order
    sent = 0
    state = {}          # position -> "recv" | "late"
    recs = {}           # position -> record of the first copy (received)
    stream = []         # received first copies in arrival order: (pos, arrival time)
    unexpected = 0
    dup = dup_fwd = dup_back = 0
    late = 0
    rseen = set()
    rvals = []
    smax = None
    any_rdiff = False
    for w in events:
        if w[0] == "S":
            index[int(w[1])] = sent
            sent += 1
            continue
        if w[0] == "F":
            continue
        seq, rseq = int(w[1]), int(w[2])
        t1, t2, t3, t4 = (int(x) for x in w[3:7])
        e1, e2, e4, ttl_f, ttl_b, tos_f, tos_b, flags = (int(x) for x in w[7:15])
        pos = index.get(seq)
        if pos is None:
            unexpected += 1
            continue
        rec = dict(seq=seq, rseq=rseq, t1=t1, t2=t2, t3=t3, t4=t4, e1=e1, e2=e2,
                   e4=e4, ttl_f=ttl_f, ttl_b=ttl_b, tos_f=tos_f, tos_b=tos_b,
                   flags=flags)
        # the reflector's number: counts replies it sent (RFC 5357 §4.2.1)
        rnew = None
        if not oneway:
            if rseq != seq:
                any_rdiff = True
            rnew = rseq not in rseen
            rseen.add(rseq)
            rvals.append(rseq)
            smax = pos if smax is None else max(smax, pos)
        if pos in state:
            dup += 1
            if oneway or rnew:
                dup_fwd += 1
            else:
                dup_back += 1
            continue
        if oneway:
            fwd = ntp_diff_ns(t2, t1)
            synced = conf["clock"] == "synced" or (
                conf["clock"] == "auto" and e1 & S_BIT and e2 & S_BIT)
            is_late = bool(synced) and fwd > timeout
        else:
            is_late = ntp_diff_ns(t4, t1) > timeout
        if is_late:
            state[pos] = "late"
            late += 1
            continue
        state[pos] = "recv"
        recs[pos] = rec
        stream.append((pos, t2 if oneway else t4))

    received = len(recs)
    lost = sent - received
    got = {}

    def put(k, v):
        got[k] = v

    put("packets.sent", sent)
    put("packets.received", received)
    put("packets.lost", lost)
    put("packets.in_flight", 0)
    put("packets.late", late)
    put("packets.duplicates", dup)
    put("packets.unexpected", unexpected)
    put("packets.lost_window", 0)

    # --- loss per direction from the reflector's numbers ---
    lost_nl = lost - late
    if oneway:
        put("loss_direction.known", True)
        put("loss_direction.forward", lost_nl)
        put("loss_direction.backward", 0)
        put("loss_direction.unknown", 0)
    else:
        counter = conf["rseq"] == "counter" or (
            conf["rseq"] == "auto" and (any_rdiff or lost_nl == 0))
        put("loss_direction.known", counter)
        if counter:
            # lost packets sent after the last one the reflector provably
            # handled could have been lost either way
            after = sum(1 for p in range(sent)
                        if p not in state and (smax is None or p > smax))
            below = lost_nl - after
            if rvals:
                rmin, rmax = min(rvals), max(rvals)  # no 2^32 wrap of r in the tests
                if rmax - rmin > 1 << 31:          # ... unless it wrapped
                    rv = [r if r >= 1 << 31 else r + (1 << 32) for r in rvals]
                    rmin, rmax = min(rv), max(rv)
                origin = 0 if rmin <= sent else rmin
                missing = max(rmax + 1 - origin - len(rseen), 0)
            else:
                missing = 0
            back = min(missing, below)
            put("loss_direction.forward", below - back)
            put("loss_direction.backward", back)
            put("loss_direction.unknown", after)
        else:
            for k in ("forward", "backward", "unknown"):
                put("loss_direction." + k, None)
    dup_known = oneway or conf["rseq"] == "counter" or (
        conf["rseq"] == "auto" and (any_rdiff or dup == 0))
    put("duplicates.total", dup)
    put("duplicates.direction_known", dup_known)
    put("duplicates.forward", dup_fwd if dup_known else None)
    put("duplicates.backward", dup_back if dup_known else None)

    # --- reordering, RFC 4737 §3, §4.2, §4.3, §5 ---
    reordered = 0
    extents = []
    late_times = []
    nreord = [0] * NREORD_MAX
    next_exp = None
    for i, (pos, tarr) in enumerate(stream):
        if next_exp is None or pos >= next_exp:
            next_exp = pos + 1
            continue
        reordered += 1
        j = next(k for k in range(i) if stream[k][0] > pos)
        extents.append(i - j)
        late_times.append(ntp_diff_ns(tarr, stream[j][1]))
        n = 0
        while n < i and stream[i - 1 - n][0] > pos:
            n += 1
        if n:
            nreord[min(n, NREORD_MAX) - 1] += 1
    put("reordering.reordered", reordered)
    put("reordering.extent_max", max(extents) if extents else 0)
    put("reordering.extent_unknown", 0)
    put("reordering.late_time_max_ns", max([0] + late_times))
    put("reordering.n_reordering", nreord)
    ratio_ext = (sum(extents) / len(extents)) if extents else 0.0
    ratio_reo = reordered / received if received else 0.0

    # --- delays: RFC 2681, 7679; IPDV RFC 5481 §4.1; PDV §4.2 ---
    D = {}
    for pos, r in recs.items():
        fwd = ntp_diff_ns(r["t2"], r["t1"])
        if oneway:
            D[pos] = {"forward": fwd}
        else:
            raw = ntp_diff_ns(r["t4"], r["t1"])
            proc = ntp_diff_ns(r["t3"], r["t2"])
            D[pos] = {"rtt": raw - proc, "rtt_raw": raw, "reflector_processing": proc,
                      "forward": fwd, "backward": ntp_diff_ns(r["t4"], r["t3"])}
    names = ["forward"] if oneway else ["rtt", "rtt_raw", "reflector_processing",
                                        "forward", "backward"]
    dists = {}
    for nm in names:
        dists[nm] = dist([d[nm] for d in D.values()], pcts)
    ipdv_of = {"rtt": "ipdv_rtt", "forward": "ipdv_forward", "backward": "ipdv_backward"}
    pdv_of = {"rtt": "pdv_rtt", "forward": "pdv_forward", "backward": "pdv_backward"}
    for nm in (["forward"] if oneway else ["rtt", "forward", "backward"]):
        pairs = [D[p][nm] - D[p - 1][nm] for p in sorted(D) if p - 1 in D]
        dists[ipdv_of[nm]] = dist(pairs, pcts)
        vals = [d[nm] for d in D.values()]
        mn = min(vals) if vals else 0
        dists[pdv_of[nm]] = dist([v - mn for v in vals], pcts)

    # --- clocks, hops, DSCP/ECN ---
    rl = list(recs.values())
    if conf["clock"] == "synced":
        fs, bs = True, not oneway
    elif conf["clock"] == "unsynced":
        fs = bs = False
    else:
        fs = bool(rl) and all(r["e1"] & S_BIT and r["e2"] & S_BIT for r in rl)
        bs = (not oneway) and bool(rl) and all(r["e2"] & S_BIT and r["e4"] & S_BIT for r in rl)
    put("clock.forward_synchronized", fs)
    put("clock.backward_synchronized", bs)

    def errmax(a, b):
        vals = [errest_ns(r[a]) + errest_ns(r[b]) for r in rl
                if errest_ns(r[a]) is not None and errest_ns(r[b]) is not None]
        return max([0.0] + vals)
    errs = {"clock.error_forward_ns": errmax("e1", "e2")}
    if not oneway:
        errs["clock.error_rtt_ns"] = errmax("e1", "e4")
        errs["clock.error_backward_ns"] = errmax("e2", "e4")

    def hops(key):
        h = [max(ttl_init - r[key], 0) for r in rl if r[key]]
        return {"n": len(h), "min": min(h) if h else None, "max": max(h) if h else None}
    for k, v in hops("ttl_f").items():
        put("hops.forward." + k, v)
    if not oneway:
        for k, v in hops("ttl_b").items():
            put("hops.backward." + k, v)

    def tos(vals, ref):
        t = {"n": len(vals), "dscp_changed": 0, "ecn_changed": 0, "ecn_ce": 0}
        for v in vals:
            t["ecn_ce"] += (v & 3) == 3
            t["dscp_changed"] += (v >> 2) != (ref >> 2)
            t["ecn_changed"] += (v & 3) != (ref & 3)
        return t
    for k, v in tos([r["tos_f"] for r in rl if r["flags"] & TOS_FWD], tos_sent).items():
        put("dscp_ecn.forward." + k, v)
    if not oneway:
        for k, v in tos([r["tos_b"] for r in rl], tos_reply).items():
            put("dscp_ecn.backward." + k, v)

    # --- compare ---
    with open(jsfile) as f:
        res = json.load(f)
    bad = []

    def lookup(path):
        cur = res
        for k in path.split("."):
            cur = cur[k]
        return cur

    for k, v in got.items():
        try:
            have = lookup(k)
        except (KeyError, TypeError):
            bad.append("%s: missing (want %r)" % (k, v))
            continue
        if have != v:
            bad.append("%s: lib/stats %r, reference %r" % (k, have, v))

    def close(path, want, tol, obj=None, key=None):
        try:
            have = obj[key] if obj is not None else lookup(path)
        except (KeyError, TypeError):
            bad.append("%s: missing" % path)
            return
        if have is None or abs(have - want) > tol:
            bad.append("%s: lib/stats %r, reference %r (tolerance %g)" % (path, have, want, tol))

    close("reordering.ratio", ratio_reo, 1e-12)
    close("reordering.extent_mean", ratio_ext, 1e-9)
    close("packets.loss_ratio", lost / (received + lost) if received + lost else 0.0, 1e-12)
    for k, v in errs.items():
        close(k, v, 1e-9 * max(v, 1))
    if res["delay"]["ipdv_skipped"] != 0 or res["delay"]["histogram_clamped"] != 0:
        bad.append("delay: skipped/clamped not 0")

    for nm, want in dists.items():
        base = "delay." + nm
        try:
            have = res["delay"][nm]
        except KeyError:
            bad.append(base + ": missing")
            continue
        if have["n"] != want["n"]:
            bad.append("%s.n: lib/stats %r, reference %r" % (base, have["n"], want["n"]))
            continue
        if want["n"] == 0:
            if have.get("min_ns") is not None:
                bad.append(base + ": values for an empty set")
            continue
        for k in ("min_ns", "max_ns"):
            if have[k] != want[k]:
                bad.append("%s.%s: lib/stats %r, reference %r" % (base, k, have[k], want[k]))
        close(base + ".mean_ns", want["mean_ns"], 1e-6 * max(abs(want["mean_ns"]), 1000), have,
              "mean_ns")
        close(base + ".stddev_ns", want["stddev_ns"], 1e-6 * max(want["stddev_ns"], 1000), have,
              "stddev_ns")
        span = want["max_ns"] - want["min_ns"]
        for k in ["median_ns"] + ["p%s_ns" % fmt_pct(p) for p in pcts]:
            if nm.startswith("pdv_"):
                tol = REL * span          # histogram of D - ref, ref in [min, max]
            else:
                tol = REL * abs(want[k])  # bucket no wider than 2^-10 of its value
            close(base + "." + k, want[k], tol, have, k)
    if os.environ.get("REF_STATS_VERBOSE"):
        print("ref_stats: %s" % {k: v for k, v in got.items() if not isinstance(v, list)})
    if bad:
        print("ref_stats: %d differences" % len(bad))
        for b in bad[:40]:
            print("  " + b)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
