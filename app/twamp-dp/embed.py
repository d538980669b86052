#!/usr/bin/env python3
"""Write a C file holding INPUT as a NUL-terminated array named SYMBOL."""
import sys

src, out, sym = sys.argv[1:4]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write(f"/* generated from {src.split('/')[-1]} by embed.py */\n")
    f.write("#include <stddef.h>\n")
    f.write(f"const char {sym}[] = {{\n")
    for i in range(0, len(data), 16):
        f.write("\t" + "".join(f"0x{b:02x}, " for b in data[i:i + 16]) + "\n")
    f.write("\t0x00\n};\n")
    f.write(f"const size_t {sym}_len = {len(data)};\n")
