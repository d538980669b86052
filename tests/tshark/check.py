#!/usr/bin/python3
"""Compare what tshark decodes with what lib/proto encoded.

For each OUTDIR/<name>.expect next to OUTDIR/<name>.pcap:
    decode-as<TAB><tshark -d argument>          (any number of these lines)
    <frame><TAB><field><TAB><expected value>    (as `tshark -T fields` prints it)
One TAP test per (capture, frame): every field of that frame must match.
"""
import collections
import pathlib
import subprocess
import sys


def check(expect_path, n):
    pcap = expect_path.with_suffix(".pcap")
    decode_as, frames = [], collections.OrderedDict()
    for lineno, line in enumerate(expect_path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if parts[0] == "decode-as" and len(parts) == 2:
            decode_as.append(parts[1])
        elif len(parts) == 3 and parts[0].isdigit():
            frames.setdefault(int(parts[0]), []).append((parts[1], parts[2]))
        else:
            raise SystemExit(f"{expect_path}:{lineno}: bad line {line!r}")
    fields = sorted({f for rows in frames.values() for f, _ in rows})
    cmd = ["tshark", "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=\t",
           "-e", "frame.number"]
    for d in decode_as:
        cmd += ["-d", d]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        n += 1
        print(f"not ok {n} - {pcap.name}: tshark failed")
        for l in res.stderr.splitlines():
            print("#   " + l)
        return n, 1
    decoded = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        decoded[int(cols[0])] = dict(zip(fields, cols[1:] + [""] * len(fields)))
    failures = 0
    for frame, rows in frames.items():
        n += 1
        got = decoded.get(frame)
        bad = []
        for field, want in rows:
            have = None if got is None else got.get(field, "")
            if have != want:
                bad.append(f"{field}: tshark {have!r}, encoded {want!r}")
        names = ", ".join(sorted({f.split('.')[1] if '.' in f else f for f, _ in rows}))
        if bad:
            failures += 1
            print(f"not ok {n} - {pcap.name} frame {frame} ({len(rows)} fields)")
            for b in bad:
                print("#   " + b)
        else:
            print(f"ok {n} - {pcap.name} frame {frame}: {len(rows)} {names} fields agree")
    return n, failures


def main():
    outdir = pathlib.Path(sys.argv[1])
    n = failures = 0
    expects = sorted(outdir.glob("*.expect"))
    if not expects:
        print("not ok 1 - no capture was written")
        return 1
    for e in expects:
        n, f = check(e, n)
        failures += f
    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
