#!/usr/bin/env python3
"""Captures packets encrypted by a real OpenSSH sshd, with the keys to open them.

Writes openssh-capture.txt. For each cipher/MAC suite it starts /usr/sbin/sshd on 127.0.0.1
(temporary host key and config, that suite only, curve25519-sha256, no strict kex), speaks
the client side of the handshake itself (pyca/cryptography for X25519, SHA-256, the ciphers),
derives the keys (RFC 4253 §7.2), sends an encrypted SERVICE_REQUEST "ssh-userauth", and
records the exact bytes sshd sends after its NEWKEYS: EXT_INFO then SERVICE_ACCEPT. It
decrypts them itself too, to record the expected payloads. That sshd answered the
SERVICE_REQUEST shows the script's own encryption matches OpenSSH's as well.

Run as root (sshd needs /run/sshd): python3 capture_openssh_packets.py
See README.md.
"""
import os
import socket
import struct
import subprocess
import tempfile
import time

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.poly1305 import Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SUITES = [
    ("chacha20-poly1305@openssh.com", None),
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"),
    ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"),
    ("aes128-ctr", "hmac-sha2-256"),
    ("aes256-ctr", "hmac-sha2-512"),
]
KEY_LEN = {"chacha20-poly1305@openssh.com": 64, "aes128-gcm@openssh.com": 16,
           "aes256-gcm@openssh.com": 32, "aes128-ctr": 16, "aes256-ctr": 32}
IV_LEN = {"chacha20-poly1305@openssh.com": 0, "aes128-gcm@openssh.com": 12,
          "aes256-gcm@openssh.com": 12, "aes128-ctr": 16, "aes256-ctr": 16}
MAC = {"hmac-sha2-256-etm@openssh.com": (32, hashes.SHA256, True),
       "hmac-sha2-512-etm@openssh.com": (64, hashes.SHA512, True),
       "hmac-sha2-256": (32, hashes.SHA256, False),
       "hmac-sha2-512": (64, hashes.SHA512, False)}
V_C = b"SSH-2.0-burrow_capture"


def string(b):
    return struct.pack(">I", len(b)) + b


def mpint(b):
    b = b.lstrip(b"\0")
    if b and b[0] & 0x80:
        b = b"\0" + b
    return string(b)


def read_exact(sock, n, buf):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("sshd closed the connection")
        buf += chunk
    return buf


class Clear:
    """Clear packets (before NEWKEYS), block size 8."""

    def __init__(self):
        self.buf = b""

    def seal(self, payload):
        pad = 8 - (5 + len(payload)) % 8
        pad += 8 if pad < 4 else 0
        return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + os.urandom(pad)

    def read(self, sock):
        self.buf = read_exact(sock, 4, self.buf)
        n = struct.unpack(">I", self.buf[:4])[0]
        self.buf = read_exact(sock, 4 + n, self.buf)
        pkt, self.buf = self.buf[: 4 + n], self.buf[4 + n:]
        return pkt[5: 4 + n - pkt[4]]


class Keyed:
    """One direction of an encrypted stream, by a route independent of burrow."""

    def __init__(self, cipher, mac, key, iv, mac_key, seq):
        self.cipher, self.mac, self.key, self.iv, self.mac_key, self.seq = (
            cipher, mac, key, iv, mac_key, seq)
        self.invocation = int.from_bytes(iv[4:], "big") if "gcm" in cipher else 0
        if "ctr" in cipher:
            ctr = Cipher(algorithms.AES(key), modes.CTR(iv))
            self.enc, self.dec = ctr.encryptor(), ctr.decryptor()

    def chacha(self, key, counter, data):
        iv = struct.pack("<Q", counter) + struct.pack(">Q", self.seq)
        return Cipher(algorithms.ChaCha20(key, iv), mode=None).encryptor().update(data)

    def hmac(self, data):
        m = hmac.HMAC(self.mac_key, MAC[self.mac][1]())
        m.update(struct.pack(">I", self.seq) + data)
        return m.finalize()

    def gcm_nonce(self):
        nonce = self.iv[:4] + (self.invocation % 2**64).to_bytes(8, "big")
        self.invocation += 1
        return nonce

    def aligns_length(self):
        return self.mac is not None and not MAC[self.mac][2]

    def seal(self, payload):
        block = 8 if "chacha" in self.cipher else 16
        aligned = (5 if self.aligns_length() else 1) + len(payload)
        pad = block - aligned % block
        pad += block if pad < 4 else 0
        pkt = struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + os.urandom(pad)
        if "chacha" in self.cipher:
            k2, k1 = self.key[:32], self.key[32:]
            data = self.chacha(k1, 0, pkt[:4]) + self.chacha(k2, 1, pkt[4:])
            out = data + Poly1305.generate_tag(self.chacha(k2, 0, bytes(32)), data)
        elif "gcm" in self.cipher:
            out = pkt[:4] + AESGCM(self.key).encrypt(self.gcm_nonce(), pkt[4:], pkt[:4])
        elif MAC[self.mac][2]:
            data = pkt[:4] + self.enc.update(pkt[4:])
            out = data + self.hmac(data)
        else:
            out = self.enc.update(pkt) + self.hmac(pkt)
        self.seq = (self.seq + 1) % 2**32
        return out

    def read(self, sock, buf):
        """Reads one packet; returns (payload, raw bytes of the packet, rest of buf)."""
        if "chacha" in self.cipher:
            buf = read_exact(sock, 4, buf)
            k2, k1 = self.key[:32], self.key[32:]
            n = struct.unpack(">I", self.chacha(k1, 0, buf[:4]))[0]
            buf = read_exact(sock, 4 + n + 16, buf)
            raw, buf = buf[: 4 + n + 16], buf[4 + n + 16:]
            poly_key = self.chacha(k2, 0, bytes(32))
            Poly1305.verify_tag(poly_key, raw[: 4 + n], raw[4 + n:])
            body = self.chacha(k2, 1, raw[4: 4 + n])
        elif "gcm" in self.cipher:
            buf = read_exact(sock, 4, buf)
            n = struct.unpack(">I", buf[:4])[0]
            buf = read_exact(sock, 4 + n + 16, buf)
            raw, buf = buf[: 4 + n + 16], buf[4 + n + 16:]
            body = AESGCM(self.key).decrypt(self.gcm_nonce(), raw[4:], raw[:4])
        elif MAC[self.mac][2]:
            tag_len = MAC[self.mac][0]
            buf = read_exact(sock, 4, buf)
            n = struct.unpack(">I", buf[:4])[0]
            buf = read_exact(sock, 4 + n + tag_len, buf)
            raw, buf = buf[: 4 + n + tag_len], buf[4 + n + tag_len:]
            assert self.hmac(raw[: 4 + n]) == raw[4 + n:], "bad mac from sshd"
            body = self.dec.update(raw[4: 4 + n])
        else:
            tag_len = MAC[self.mac][0]
            buf = read_exact(sock, 16, buf)
            first = self.dec.update(buf[:16])
            n = struct.unpack(">I", first[:4])[0]
            buf = read_exact(sock, 4 + n + tag_len, buf)
            raw, buf = buf[: 4 + n + tag_len], buf[4 + n + tag_len:]
            plain = first + self.dec.update(raw[16: 4 + n])
            assert self.hmac(plain) == raw[4 + n:], "bad mac from sshd"
            body = plain[4:]
        self.seq = (self.seq + 1) % 2**32
        return body[1: len(body) - body[0]], raw, buf


def derive(k, h, session_id, letter, n):
    out = hashes.Hash(hashes.SHA256())
    out.update(mpint(k) + h + letter + session_id)
    key = out.finalize()
    while len(key) < n:
        more = hashes.Hash(hashes.SHA256())
        more.update(mpint(k) + h + key)
        key += more.finalize()
    return key[:n]


def capture(port, cipher, mac):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(V_C + b"\r\n")
    buf = b""
    while b"\r\n" not in buf:
        buf += sock.recv(1024)
    v_s, buf = buf.split(b"\r\n", 1)
    clear = Clear()
    clear.buf = buf
    macs = mac or "hmac-sha2-256"
    i_c = (bytes([20]) + os.urandom(16) + string(b"curve25519-sha256,ext-info-c")
           + string(b"ssh-ed25519") + string(cipher.encode()) * 2 + string(macs.encode()) * 2
           + string(b"none") * 2 + string(b"") * 2 + b"\0" + b"\0\0\0\0")
    eph = X25519PrivateKey.generate()
    q_c = eph.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sock.sendall(clear.seal(i_c) + clear.seal(bytes([30]) + string(q_c)))
    i_s = clear.read(sock)
    assert i_s[0] == 20, i_s[:1]
    reply = clear.read(sock)
    assert reply[0] == 31, reply[:1]
    off = 1
    fields = []
    for _ in range(3):
        n = struct.unpack(">I", reply[off: off + 4])[0]
        fields.append(reply[off + 4: off + 4 + n])
        off += 4 + n
    k_s, q_s, _sig = fields
    k = eph.exchange(
        __import__("cryptography.hazmat.primitives.asymmetric.x25519", fromlist=["X"])
        .X25519PublicKey.from_public_bytes(q_s))
    hh = hashes.Hash(hashes.SHA256())
    hh.update(string(V_C) + string(v_s) + string(i_c) + string(i_s) + string(k_s)
              + string(q_c) + string(q_s) + mpint(k))
    h = hh.finalize()
    newkeys = clear.read(sock)
    assert newkeys == bytes([21]), newkeys
    sock.sendall(clear.seal(bytes([21])))
    mac_len = MAC[mac][0] if mac else 0
    c2s = Keyed(cipher, mac, derive(k, h, h, b"C", KEY_LEN[cipher]),
                derive(k, h, h, b"A", IV_LEN[cipher]), derive(k, h, h, b"E", mac_len), 3)
    s2c_keys = (derive(k, h, h, b"D", KEY_LEN[cipher]), derive(k, h, h, b"B", IV_LEN[cipher]),
                derive(k, h, h, b"F", mac_len))
    s2c = Keyed(cipher, mac, *s2c_keys, 3)
    sock.sendall(c2s.seal(bytes([5]) + string(b"ssh-userauth")))
    payloads, wire, buf = [], b"", clear.buf
    while len(payloads) < 2:
        payload, raw, buf = s2c.read(sock, buf)
        payloads.append(payload)
        wire += raw
    sock.close()
    assert payloads[0][0] == 7, "expected EXT_INFO first"
    assert payloads[1] == bytes([6]) + string(b"ssh-userauth"), payloads[1]
    return s2c_keys, wire, payloads


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    lines = [
        "# Captured from OpenSSH sshd by capture_openssh_packets.py (see README.md). Do not edit.",
        f"# {subprocess.run(['ssh', '-V'], capture_output=True, text=True).stderr.strip()}",
        "# cipher mac first-seq enc-key iv mac-key wire payload1 payload2 (hex; - = empty/none)",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        host_key = os.path.join(tmp, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        for cipher, mac in SUITES:
            port = free_port()
            config = os.path.join(tmp, "sshd_config")
            with open(config, "w") as f:
                f.write("ListenAddress 127.0.0.1\nPidFile none\nStrictModes no\nUsePAM no\n"
                        "UseDNS no\nKexAlgorithms curve25519-sha256\n"
                        f"Ciphers {cipher}\nMACs {mac or 'hmac-sha2-256'}\n")
            sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", config, "-p", str(port),
                                     "-h", host_key], stderr=subprocess.DEVNULL)
            try:
                for _ in range(100):
                    try:
                        socket.create_connection(("127.0.0.1", port)).close()
                        break
                    except OSError:
                        time.sleep(0.05)
                (key, iv, mac_key), wire, payloads = capture(port, cipher, mac)
            finally:
                sshd.terminate()
                sshd.wait()
            hexes = [x.hex() or "-" for x in (key, iv, mac_key, wire, *payloads)]
            lines.append(" ".join([cipher, mac or "-", "3", *hexes]))
    with open("openssh-capture.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
