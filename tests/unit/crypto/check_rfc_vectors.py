import re, hmac, hashlib
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
src = open(__import__("os").path.join(__import__("os").path.dirname(__file__), "rfc_vectors.h")).read()
def s(x): return bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", x))
n = 0
for m in re.finditer(r'\{ "([^"]+)", (\d), "([^"]*)", (\d+), "([^"]*)", (\d+), "([^"]*)", (\d+) \}', src):
    name, prf, k, kl, d, dl, mac, ml = m.groups()
    k, d, mac = s(k), s(d), s(mac)
    assert len(k) == int(kl) and len(d) == int(dl) and len(mac) == int(ml), name
    md = {"5": hashlib.sha256, "6": hashlib.sha384, "7": hashlib.sha512}[prf]
    assert hmac.new(k, d, md).digest()[:len(mac)] == mac, name; n += 1
for m in re.finditer(r'\{ "(RFC 3602[^"]+)", "([^"]*)", (\d+), "([^"]*)", (\d+), "([^"]*)", (\d+), "([^"]*)", (\d+) \}', src):
    name, k, _, iv, _, pt, _, ct, _ = m.groups()
    e = Cipher(algorithms.AES(s(k)), modes.CBC(s(iv))).encryptor()
    assert e.update(s(pt)) + e.finalize() == s(ct), name; n += 1
print("ok", n)
