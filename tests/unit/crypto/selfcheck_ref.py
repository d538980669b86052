# Independent reference for the self-check vectors in tests/unit/crypto.
import hmac, hashlib
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

def ecb(k, d):
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor(); return e.update(d) + e.finalize()
def cbc(k, iv, d):
    e = Cipher(algorithms.AES(k), modes.CBC(iv)).encryptor(); return e.update(d) + e.finalize()
def h1(k, d): return hmac.new(k, d, hashlib.sha1).digest()[:16]
H = lambda b: b.hex()
secret = b"twamp-dp test secret"
salt = bytes(range(16))
K = hashlib.pbkdf2_hmac('sha1', secret, salt, 1024, 16)
print("token_key", H(K))
chal = bytes(range(0x10, 0x20)); aes = bytes(range(0x20, 0x30)); hk = bytes(range(0x40, 0x60))
tok = cbc(K, bytes(16), chal + aes + hk)
print("token", H(tok))
sid = bytes(range(0xa0, 0xb0))
taes = ecb(sid, aes); thmac = cbc(sid, bytes(16), hk)
print("test_aes", H(taes)); print("test_hmac", H(thmac))
# test packets: plaintext octet i = i & 0xff, HMAC field zero
def prot(n, cover, hoff):
    p = bytearray((i * 7 + 3) & 0xff for i in range(n)); p[hoff:hoff+16] = bytes(16)
    mac = h1(thmac, bytes(p[:cover]))
    c = cbc(taes, bytes(16), bytes(p[:cover]))
    out = bytearray(p); out[:cover] = c; out[hoff:hoff+16] = mac
    return bytes(out)
print("snd_auth", H(prot(48, 16, 32)))
print("snd_enc", H(prot(48, 32, 32)))
print("ref_auth", H(prot(112, 16, 96)))
print("ref_enc", H(prot(112, 96, 96)))
# control stream: server sends Server-Start then Accept-Session; client sends Request-TW-Session then Start-Sessions
civ = bytes(range(0x60, 0x70)); siv = bytes(range(0x70, 0x80))
ss = bytearray(48); ss[16:32] = siv; ss[32:40] = bytes.fromhex("e5b1c2d300010000")
acc = bytearray(48); acc[2:4] = b"\x13\x88"; acc[4:20] = sid
mac = hmac.new(hk, bytes(ss[32:48]) + bytes(acc[:32]), hashlib.sha1).digest()[:16]
acc[32:48] = mac
s2c = Cipher(algorithms.AES(aes), modes.CBC(siv)).encryptor()
ss_ct = s2c.update(bytes(ss[32:48])); acc_ct = s2c.update(bytes(acc))
print("server_start_ct", H(bytes(ss[:32]) + ss_ct))
print("accept_ct", H(acc_ct))
req = bytearray(112); req[0] = 5; req[1] = 4; req[12:14] = b"\x13\x89"; req[14:16] = b"\x13\x88"
req[96:112] = hmac.new(hk, bytes(req[:96]), hashlib.sha1).digest()[:16]
st = bytearray(32); st[0] = 2; st[16:32] = hmac.new(hk, bytes(st[:16]), hashlib.sha1).digest()[:16]
c2s = Cipher(algorithms.AES(aes), modes.CBC(civ)).encryptor()
print("request_ct", H(c2s.update(bytes(req))))
print("start_ct", H(c2s.update(bytes(st))))
# STAMP: HMAC-SHA-256/128 over 0..95 of a 112-octet packet, key 32 octets
sk = bytes(range(0xc0, 0xe0))
sp = bytes((i * 5 + 1) & 0xff for i in range(96))
print("stamp_mac", H(hmac.new(sk, sp, hashlib.sha256).digest()[:16]))
# RFC 7717 secret
skd = bytes.fromhex("a14293677cc80ff8f9cc0eee30d895da9d8f4056")
print("ippm_sha1", H(hmac.new(skd, b"IPPM", hashlib.sha1).digest()))
skd32 = bytes(range(32))
print("ippm_sha256", H(hmac.new(skd32, b"IPPM", hashlib.sha256).digest()))
ippm = hmac.new(skd, b"IPPM", hashlib.sha1).digest()
print("ippm_tokkey_pbkdf2", H(hashlib.pbkdf2_hmac('sha1', ippm, salt, 1024, 16)))
# CMAC PRF (RFC 4615) with python CMAC
def cmacf(k, m):
    c = CMAC(algorithms.AES(k)); c.update(m); return c.finalize()
def cmac_prf(k, m):
    if len(k) != 16: k = cmacf(bytes(16), k)
    return cmacf(k, m)
msg = bytes(range(20))
for kl in (18, 16, 10):
    print("cmac_prf", kl, H(cmac_prf(bytes(range(kl)), msg)))
# XCBC (RFC 3566) reference in python
def xcbc(k, m):
    k1 = ecb(k, b"\x01"*16); k2 = ecb(k, b"\x02"*16); k3 = ecb(k, b"\x03"*16)
    e = bytes(16); n = len(m); off = 0
    while n - off > 16:
        e = ecb(k1, bytes(a ^ b for a, b in zip(m[off:off+16], e))); off += 16
    last = m[off:]
    if len(last) == 16: blk = bytes(a ^ b ^ c for a, b, c in zip(last, e, k2))
    else:
        last = last + b"\x80" + bytes(15 - len(last)); blk = bytes(a ^ b ^ c for a, b, c in zip(last, e, k3))
    return ecb(k1, blk)
k = bytes(range(16))
for m in (b"", bytes(range(3)), bytes(range(16)), bytes(range(20)), bytes(range(32)), bytes(range(34))):
    print("xcbc", len(m), H(xcbc(k, m)))
def xcbc_prf(k, m):
    if len(k) < 16: k = k + bytes(16 - len(k))
    elif len(k) > 16: k = xcbc(bytes(16), k)
    return xcbc(k, m)
for kl in (16, 10, 18):
    print("xcbc_prf", kl, H(xcbc_prf(bytes(range(kl)), msg)))
k18 = bytes(range(16)) + b"\xed\xcb"
print("cmac_prf18edcb", H(cmac_prf(k18, msg)))
print("xcbc_prf18edcb", H(xcbc_prf(k18, msg)))
