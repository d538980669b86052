#!/usr/bin/python3
"""Input for scripts/bench-ipsec.sh (appliance mode): wrap every frame of a
clear Session-Sender pcap (tests/bench/refl/gen_refl_pcap) in ESP, tunnel
mode, IPv4 (RFC 4303 §3.1.2), with scapy as the independent encryptor.

  gen_esp_pcap.py --in CLEAR.pcap --out ESP.pcap --case gcm128|cbc-sha256|gcm128-udp
                  --cipher-key HEX [--auth-key HEX] [--spi 0x2001]
                  [--outer-src 198.18.0.2] [--outer-dst 198.18.0.1]

The ESP sequence numbers are 1..N (distinct, RFC 4303 §2.2), the Ethernet
header of each clear frame is kept. GCM: --cipher-key is the 16-octet key
and the 4-octet salt (RFC 4106 §8.1); CBC: the 16-octet AES key and
--auth-key the 32-octet HMAC-SHA-256 key (RFC 4868). gcm128-udp: GCM in UDP
4500 -> 4500 (RFC 3948 §2.1, UDP checksum zero).
"""
import argparse
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.utils import PcapReader, PcapWriter


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--case", required=True, choices=("gcm128", "cbc-sha256", "gcm128-udp"))
    ap.add_argument("--cipher-key", required=True)
    ap.add_argument("--auth-key", default="")
    ap.add_argument("--spi", default="0x2001")
    ap.add_argument("--outer-src", default="198.18.0.2")
    ap.add_argument("--outer-dst", default="198.18.0.1")
    a = ap.parse_args()
    ck = bytes.fromhex(a.cipher_key)
    ak = bytes.fromhex(a.auth_key)
    if a.case.startswith("gcm128"):
        if len(ck) != 20 or ak:
            sys.exit("gen_esp_pcap: gcm128 needs a 20-octet --cipher-key (key + salt) "
                     "and no --auth-key")
        algo = dict(crypt_algo="AES-GCM", crypt_key=ck, auth_algo="NULL")
    else:
        if len(ck) != 16 or len(ak) != 32:
            sys.exit("gen_esp_pcap: cbc-sha256 needs a 16-octet --cipher-key and a "
                     "32-octet --auth-key")
        algo = dict(crypt_algo="AES-CBC", crypt_key=ck, auth_algo="SHA2-256-128",
                    auth_key=ak)
    if a.case.endswith("-udp"):
        algo["nat_t_header"] = UDP(sport=4500, dport=4500, chksum=0)
    sa = SecurityAssociation(ESP, spi=int(a.spi, 0),
                             tunnel_header=IP(src=a.outer_src, dst=a.outer_dst), **algo)
    n = 0
    with PcapWriter(a.out, linktype=1, sync=False) as w:
        for f in PcapReader(a.inp):
            eth = f[Ether]
            inner = eth[IP]
            # RFC 4303 §3.3.2: sequence numbers from 1, one per packet
            n += 1
            enc = sa.encrypt(IP(bytes(inner)), seq_num=n)
            if UDP in enc and enc[IP].proto == 17:
                enc[UDP].len = len(enc[UDP])  # scapy 2.5 leaves 8 (RFC 768 length)
                enc = IP(bytes(enc))
            w.write(Ether(src=eth.src, dst=eth.dst, type=0x0800) / enc)
    if n == 0:
        sys.exit("gen_esp_pcap: no frames in " + a.inp)
    print("gen_esp_pcap: %d ESP frames (%s, SPI %s) -> %s" % (n, a.case, a.spi, a.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
