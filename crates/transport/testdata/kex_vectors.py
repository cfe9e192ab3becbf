#!/usr/bin/env python3
"""Independent computation of the curve25519-sha256 exchange hash H and the RFC 4253 §7.2
derived keys, for burrow-transport's known-answer tests (src/kex/tests.rs).

Inputs are fixed: the RFC 7748 §6.1 X25519 example (Alice = client, Bob = server, their shared
secret as K), made-up version lines and KEXINIT payloads, and an ssh-ed25519 host key blob.
Only Python's hashlib and struct are used, so nothing is shared with the Rust code.
Run: python3 testdata/kex_vectors.py
"""
import hashlib
import struct


def string(b):
    return struct.pack(">I", len(b)) + b


def mpint_unsigned(b):
    b = b.lstrip(b"\x00")
    if b and b[0] & 0x80:
        b = b"\x00" + b
    return string(b)


V_C = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
V_S = b"SSH-2.0-burrow_0.1.0"
I_C = b"\x14" + bytes(range(16)) + string(b"curve25519-sha256,ext-info-c") + b"\x00" * 5
I_S = b"\x14" + bytes(range(16, 32)) + string(b"curve25519-sha256,kex-strict-s-v00@openssh.com") + b"\x00" * 5
K_S = string(b"ssh-ed25519") + string(bytes([0x22] * 32))
Q_C = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
Q_S = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
SECRETS = {
    "rfc7748": bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
    "high_bit": bytes([0xff] * 32),
    "leading_zero": b"\x00\x00" + bytes([0x7f] * 30),
}


def exchange_hash(k):
    data = string(V_C) + string(V_S) + string(I_C) + string(I_S) + string(K_S)
    data += string(Q_C) + string(Q_S) + mpint_unsigned(k)
    return hashlib.sha256(data).digest()


def derive(k, h, letter, session_id, length):
    prefix = mpint_unsigned(k) + h
    out = hashlib.sha256(prefix + letter + session_id).digest()
    while len(out) < length:
        out += hashlib.sha256(prefix + out).digest()
    return out[:length]


for name, k in SECRETS.items():
    h = exchange_hash(k)
    print(f"{name}: H = {h.hex()}")
    for letter, length in ((b"A", 12), (b"C", 64), (b"E", 64), (b"F", 100)):
        print(f"  {letter.decode()} {length}: {derive(k, h, letter, h, length).hex()}")
    other_session = bytes([0x5a] * 32)
    print(f"  rekey D 32: {derive(k, h, b'D', other_session, 32).hex()}")
