#!/usr/bin/env python3
"""Re-derives the cookieless ID's known answers (src/core/cookieless/visitor_id.rs) without Rust.

    python3 scripts/cookieless_reference.py

SipHash-2-4 from the paper (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012),
with the 128-bit output of the reference implementation, in plain Python (the standard library
has no SipHash-128). It checks itself against the paper's test vectors first, then prints, for
the salt bytes 0x00..0x1f:
  - the SipHash key: the first 16 bytes of HMAC-SHA256(salt, "usertrack cookieless siphash key");
  - the IDs the unit tests expect: `cl-` and base64url (no padding) of SipHash-2-4-128 over
    len(server name) || server name || len(address) || address || len(User-Agent) || User-Agent,
    each length 4 bytes big-endian.
"""

import base64
import hashlib
import hmac
import struct

MASK = (1 << 64) - 1
KEY_LABEL = b"usertrack cookieless siphash key"


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def sipround(v):
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16); v3 ^= v2
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21); v3 ^= v0
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash24(key, message, out_len=16):
    """SipHash-2-4 of `message` under the 16-byte `key`; 8 or 16 bytes out."""
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    if out_len == 16:
        v[1] ^= 0xEE
    tail = len(message) % 8
    # The last word: the remaining bytes, the length's low byte at the top.
    padded = message[:len(message) - tail] + message[len(message) - tail:] + bytes(7 - tail) + bytes([len(message) & 0xFF])
    for offset in range(0, len(padded), 8):
        m = struct.unpack_from("<Q", padded, offset)[0]
        v[3] ^= m
        v = sipround(sipround(v))
        v[0] ^= m
    v[2] ^= 0xEE if out_len == 16 else 0xFF
    for _ in range(4):
        v = sipround(v)
    out = struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])
    if out_len == 16:
        v[1] ^= 0xDD
        for _ in range(4):
            v = sipround(v)
        out += struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])
    return out


def siphash_key(salt):
    return hmac.new(salt, KEY_LABEL, hashlib.sha256).digest()[:16]


def cookieless_id(salt, server_name, client_ip, user_agent):
    message = b"".join(struct.pack(">I", len(field)) + field for field in (server_name, client_ip, user_agent))
    digest = siphash24(siphash_key(salt), message)
    return "cl-" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def self_check():
    key = bytes(range(16))
    # The paper's appendix A: the 64-bit output for the 15 bytes 0x00..0x0e.
    assert siphash24(key, bytes(range(15)), 8) == struct.pack("<Q", 0xA129CA6149BE45E5)
    # The reference implementation's first 128-bit vector (the empty message), also in the
    # siphasher crate's tests.
    assert siphash24(key, b"") == bytes([163, 129, 127, 4, 186, 37, 168, 230, 109, 246, 114, 20, 199, 85, 2, 147])


def main():
    self_check()
    salt = bytes(range(32))
    print("siphash key:", siphash_key(salt).hex())
    for fields in [(b"example.com", b"192.0.2.7", b"Mozilla/5.0"), (b"example.com", b"192.0.2.7", b"")]:
        print(fields, cookieless_id(salt, *fields))
    long_user_agent = bytes(range(0x20, 0x7F)) * 2
    print("the 64 bytes 0..63 under key 0..15:", siphash24(bytes(range(16)), bytes(range(64))).hex())
    print("150-byte User-Agent:", cookieless_id(salt, b"example.com", b"2001:db8::7", long_user_agent[:150]))
    # Server names whose framing just fits the one-piece head (128 bytes with the address) and not.
    for letters in (105, 120):
        server_name = b"www." + b"a" * letters + b".example"
        print("%d-byte ServerName:" % len(server_name), cookieless_id(salt, server_name, b"2001:db8::7", b"Mozilla/5.0"))


if __name__ == "__main__":
    main()
