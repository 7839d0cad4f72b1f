#!/usr/bin/env python3
"""Reads a Fieldbook bundle (format 1 or 2) and prints its changes as JSON lines.

A second implementation of bundles/FORMAT.md, written from that page: the standard library and the
`cryptography` package only (Debian's python3-cryptography 38 is enough; HPKE is done here by hand
from RFC 9180). Format 2: the packer's signature is checked with its Ed25519 public key, the file key
unwrapped with a recipient's X25519 private key, the payload opened chunk by chunk, its digest and
sizes checked, and every change checked against its author's signed segment. Nothing is printed
until the whole bundle has passed: a refused bundle prints no change.

Exit status: 0 read, 1 refused (one line on stderr says why), 2 a usage or key-file error.
"""

import argparse
import base64
import bisect
import hashlib
import hmac
import json
import os
import struct
import sys
import tempfile
import zlib

MAGIC = bytes.fromhex("8946424e440d0a1a")
HEADER_SIZE = 46
MAX_MANIFEST = {1: 1 << 20, 2: 16 << 20}
SIGNATURE_SIZE = 64
MAX_LINE = 1 << 20
MAX_RAW = 64 << 30
CHUNK = 1 << 16
TAG = 16
BUNDLE_CONTEXT = b"fieldbook bundle v2\n"
HPKE_INFO = b"fieldbook bundle v2"
SEGMENT_CONTEXT = "fieldbook segment v1"
TRUST_CONTEXT = b"fieldbook trust list v1\n"
REQUEST_CONTEXT = b"fieldbook enrollment request v1\n"
KINDS = {"township", "village", "household", "round", "team", "visit", "forum", "notice", "fix", "problem", "category"}
OPS = {"create", "update", "delete"}
ROLES = {"field", "central"}
SCOPES = {"changes", "all", "roster", "unconfirmed"}


class Refused(Exception):
    """The bundle is refused; the message says why."""


class UsageError(Exception):
    """A key or file given on the command line cannot be used."""


def _crypto():
    try:
        from cryptography.exceptions import InvalidSignature, InvalidTag
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:
        raise UsageError(
            "format 2 needs the Python package 'cryptography' "
            "(Debian/Ubuntu: apt install python3-cryptography; elsewhere: pip install cryptography)")
    return {
        "InvalidSignature": InvalidSignature, "InvalidTag": InvalidTag, "Ed25519PublicKey": Ed25519PublicKey,
        "X25519PrivateKey": X25519PrivateKey, "X25519PublicKey": X25519PublicKey,
        "ChaCha20Poly1305": ChaCha20Poly1305, "Encoding": Encoding, "PublicFormat": PublicFormat,
    }


# ---------------------------------------------------------------------------------------------
# Small helpers


def b64(text, size=None):
    """Strict standard base64 (padding required, no whitespace); None when it is not."""
    if not isinstance(text, str) or len(text) > 1 << 27:
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if size is not None and len(raw) != size:
        return None
    return raw


def key_id(raw_key):
    """A key id: the first 8 bytes of the SHA-256 of the raw 32-byte key, lowercase hex."""
    return hashlib.sha256(raw_key).digest()[:8].hex()


def fingerprint(sign_raw, box_raw):
    """Six groups of five digits from SHA-256("fieldbook fingerprint v1\\n" + sign + box)."""
    d = hashlib.sha256(b"fieldbook fingerprint v1\n" + sign_raw + box_raw).digest()
    return " ".join("%05d" % (int.from_bytes(d[i * 5:i * 5 + 5], "big") % 100000) for i in range(6))


def is_id(text):
    if not isinstance(text, str) or len(text) != 36:
        return False
    for i, c in enumerate(text):
        if i in (8, 13, 18, 23):
            if c != "-":
                return False
        elif c not in "0123456789abcdef":
            return False
    return True


def is_hex(text, n):
    return isinstance(text, str) and len(text) == n and all(c in "0123456789abcdef" for c in text)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def text_problem(text, max_len=200):
    if not isinstance(text, str):
        return "is not text"
    if len(text) > max_len:
        return "is longer than %d characters" % max_len
    for c in text:
        v = ord(c)
        if v < 0x20 or v == 0x7F or 0x80 <= v <= 0x9F:
            return "holds the control character U+%04X" % v
    return None


def strict_json(data, what):
    """Parses JSON, refusing a member named twice in any object."""
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise Refused("%s names the member %r twice" % (what, k))
            obj[k] = v
        return obj
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, object_pairs_hook=pairs)
    except (UnicodeDecodeError, ValueError) as e:
        if isinstance(e, Refused):
            raise
        raise Refused("%s is not valid JSON (%s)" % (what, e))


# ---------------------------------------------------------------------------------------------
# HPKE, RFC 9180: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.


def hkdf_extract(salt, ikm):
    return hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite_id, salt, label, ikm):
    return hkdf_extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id, prk, label, info, length):
    return hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE = b"KEM" + struct.pack(">H", 0x0020)                       # DHKEM(X25519, HKDF-SHA256)
HPKE_SUITE = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, 0x0003)    # + HKDF-SHA256 + ChaCha20-Poly1305


def hpke_key_schedule(shared_secret, info):
    """Base mode (0x00), empty psk and psk_id: the AEAD key and base nonce."""
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = labeled_expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    return key, base_nonce


def hpke_open(private_raw, enc, ciphertext, info, aad):
    """SetupBaseR + Open of the first message (sequence number 0, so the nonce is base_nonce)."""
    c = _crypto()
    sk = c["X25519PrivateKey"].from_private_bytes(private_raw)
    pk_r = sk.public_key().public_bytes(c["Encoding"].Raw, c["PublicFormat"].Raw)
    try:
        dh = sk.exchange(c["X25519PublicKey"].from_public_bytes(enc))
    except ValueError:
        raise Refused("has a recipient entry whose encapsulated key is not a usable X25519 key")
    if dh == b"\0" * 32:
        raise Refused("has a recipient entry whose encapsulated key is not a usable X25519 key")
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_r, 32)
    key, nonce = hpke_key_schedule(shared_secret, info)
    try:
        return c["ChaCha20Poly1305"](key).decrypt(nonce, ciphertext, aad)
    except c["InvalidTag"]:
        raise Refused("has a key wrapped for this key that does not open (altered after it was written?)")


def self_test():
    """RFC 9180, A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode): the
    receiver's side of the key schedule gives the RFC's shared secret, key and base nonce."""
    c = _crypto()
    sk = c["X25519PrivateKey"].from_private_bytes(
        bytes.fromhex("8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb"))
    enc = bytes.fromhex("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a")
    pk_r = sk.public_key().public_bytes(c["Encoding"].Raw, c["PublicFormat"].Raw)
    dh = sk.exchange(c["X25519PublicKey"].from_public_bytes(enc))
    shared = labeled_expand(KEM_SUITE, labeled_extract(KEM_SUITE, b"", b"eae_prk", dh), b"shared_secret", enc + pk_r, 32)
    key, nonce = hpke_key_schedule(shared, bytes.fromhex("4f6465206f6e2061204772656369616e2055726e"))
    expected = ("0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7",
                "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91", "5c4d98150661b848853b547f")
    return (shared.hex(), key.hex(), nonce.hex()) == expected


def ed25519_valid(public_raw, signature, message):
    c = _crypto()
    try:
        c["Ed25519PublicKey"].from_public_bytes(public_raw).verify(signature, message)
        return True
    except (c["InvalidSignature"], ValueError):
        return False


def stream_nonce(counter, last):
    """The payload's chunk nonce: the chunk number as 11 big-endian bytes, then 1 for the last chunk."""
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# ---------------------------------------------------------------------------------------------
# Key files


def read_arg_bytes(arg):
    """The bytes of a file named `arg`, or None when no such file exists."""
    if os.path.isfile(arg):
        with open(arg, "rb") as f:
            return f.read(1 << 20)
    return None


def load_signing_key(arg):
    """An Ed25519 public key: base64 text, a file holding base64 or 32 raw bytes, office.fbkey, or
    an enrollment request (whose own signature is checked). Returns (raw key, description)."""
    data = read_arg_bytes(arg)
    if data is None:
        raw = b64(arg.strip(), 32)
        if raw is None:
            raise UsageError("%s is neither a file nor a base64 Ed25519 public key (32 bytes)" % arg)
        return raw, "key %s" % key_id(raw)
    if len(data) == 32 and not data.strip().startswith(b"{"):
        return data, "key %s" % key_id(data)
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            raise UsageError("%s is not JSON" % arg)
        if obj.get("fieldbook") == "office-key":
            keys = office_keys(obj, arg)
            return keys["sign"], "office %s (key %s)" % (keys["name"], key_id(keys["sign"]))
        if "request" in obj:
            req = enrollment_request(obj, arg)
            return req["sign"], "device %s (key %s)" % (req["name"], key_id(req["sign"]))
        raise UsageError("%s is not an office key file or an enrollment request" % arg)
    raw = b64(text, 32)
    if raw is None:
        raise UsageError("%s holds no base64 Ed25519 public key (32 bytes)" % arg)
    return raw, "key %s" % key_id(raw)


def office_keys(obj, where):
    """office.fbkey: {"box","device","fieldbook":"office-key","format":1,"name","sign"}."""
    if obj.get("fieldbook") != "office-key" or obj.get("format") != 1:
        raise UsageError("%s is not an office key file of format 1" % where)
    sign, box = b64(obj.get("sign"), 32), b64(obj.get("box"), 32)
    if sign is None or box is None or not is_id(obj.get("device")) or text_problem(obj.get("name")):
        raise UsageError("%s is an office key file with a missing or damaged member" % where)
    return {"device": obj["device"], "name": obj["name"], "sign": sign, "box": box}


def load_office(path):
    data = read_arg_bytes(path)
    if data is None:
        raise UsageError("%s: no such file" % path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UsageError("%s is not an office key file (JSON)" % path)
    if not isinstance(obj, dict):
        raise UsageError("%s is not an office key file" % path)
    return office_keys(obj, path)


def enrollment_request(obj, where):
    """{"request": base64(sorted-key JSON body), "signature": base64(Ed25519 over
    "fieldbook enrollment request v1\\n" + body)}, signed by the key the body names."""
    body = b64(obj.get("request"))
    signature = b64(obj.get("signature"), 64)
    if body is None or signature is None:
        raise UsageError("%s is not an enrollment request" % where)
    try:
        inner = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UsageError("%s is not an enrollment request" % where)
    if not isinstance(inner, dict) or inner.get("fieldbook") != "enrollment-request":
        raise UsageError("%s is not an enrollment request" % where)
    sign, box = b64(inner.get("sign"), 32), b64(inner.get("box"), 32)
    if sign is None or box is None or not is_id(inner.get("device")) or text_problem(inner.get("name")):
        raise UsageError("%s is an enrollment request with a missing or damaged member" % where)
    if inner.get("role", "field") not in ROLES:
        raise UsageError("%s is an enrollment request with a damaged role" % where)
    if not ed25519_valid(sign, signature, REQUEST_CONTEXT + body):
        raise UsageError("%s is an enrollment request whose signature does not match its keys" % where)
    return {"device": inner["device"], "name": inner["name"], "team": inner.get("team"), "sign": sign, "box": box,
            "role": inner.get("role", "field")}


def load_box_private(arg):
    """An X25519 private key: 32 raw bytes in a file, or base64 (in a file or on the command line)."""
    data = read_arg_bytes(arg)
    if data is None:
        raw = b64(arg.strip(), 32)
    elif len(data) == 32:
        raw = data
    else:
        raw = b64(data.decode("ascii", "replace").strip(), 32)
    if raw is None:
        raise UsageError("%s is not an X25519 private key (32 raw bytes, or their base64)" % arg)
    return raw


def load_author(arg):
    """DEVICE=KEY: a device's Ed25519 public key (any form load_signing_key reads)."""
    device, sep, key = arg.partition("=")
    if not sep or not is_id(device):
        raise UsageError("--author takes DEVICE=KEY, DEVICE a lowercase UUID: %s" % arg)
    return device, load_signing_key(key)[0]


# ---------------------------------------------------------------------------------------------
# Trust lists


def open_trust_list(signed, office_sign, where):
    """Checks the office's signature over the document bytes, then reads the document."""
    if not isinstance(signed, dict):
        raise Refused("%s carries a trust list that is not an object" % where)
    document = b64(signed.get("document"))
    signature = b64(signed.get("signature"), 64)
    if document is None or signature is None:
        raise Refused("%s carries a trust list that is not base64" % where)
    if not ed25519_valid(office_sign, signature, TRUST_CONTEXT + document):
        raise Refused("%s carries a trust list not signed by the office whose key was given" % where)
    obj = strict_json(document, "%s's trust list" % where)
    bad = lambda what: Refused("%s carries a trust list whose %s" % (where, what))
    if not isinstance(obj, dict) or obj.get("fieldbook") != "trust-list" or obj.get("format") != 1:
        raise bad("document is not a trust list")
    if not is_int(obj.get("version")) or obj["version"] < 1:
        raise bad("version is missing")
    members = {}
    devices = obj.get("devices")
    if not isinstance(devices, list):
        raise bad("devices are missing")
    for m in devices:
        if not isinstance(m, dict):
            raise bad("device list holds a damaged entry")
        sign, box = b64(m.get("sign"), 32), b64(m.get("box"), 32)
        if (not is_id(m.get("device")) or m["device"] in members or text_problem(m.get("name"))
                or sign is None or box is None or m.get("status") not in ("enrolled", "revoked")):
            raise bad("device list holds a damaged entry")
        if m.get("team") is not None and text_problem(m["team"]):
            raise bad("device list holds a damaged team")
        # "central": an office enrolled below the one that signed the list (a county's, at the city's).
        role = m.get("role", "field")
        if role not in ROLES:
            raise bad("device list holds a damaged role")
        after = None
        if m["status"] == "revoked":
            after = m.get("revoked_after_seq")
            if not is_int(after) or after < 0:
                raise bad("revocation has no sequence number")
        members[m["device"]] = {"name": m["name"], "team": m.get("team"), "sign": sign, "box": box,
                                "revoked_after_seq": after, "role": role}
    receipts = {}
    for r in obj.get("receipts") or []:
        if not isinstance(r, dict) or not is_id(r.get("device")) or not is_int(r.get("through_seq")) or r["through_seq"] < 0:
            raise bad("receipts hold a damaged entry")
        receipts[r["device"]] = r["through_seq"]
    return {"version": obj["version"], "issued_at": obj.get("issued_at"), "office": obj.get("office"),
            "members": members, "receipts": receipts}


def replacement_problem(older, newer):
    """Why `newer` may not replace `older`: an older version, or a device it un-revokes."""
    if newer["version"] < older["version"]:
        return "version %d is older than version %d" % (newer["version"], older["version"])
    for device, m in older["members"].items():
        if m["revoked_after_seq"] is None:
            continue
        later = newer["members"].get(device, {}).get("revoked_after_seq")
        if later is None or later > m["revoked_after_seq"]:
            return "version %d would un-revoke device %s, which version %d revoked" % (
                newer["version"], m["name"], older["version"])
    return None


# ---------------------------------------------------------------------------------------------
# The envelope and manifest


def open_envelope(path):
    """Reads and checks everything but the payload. Returns a dict."""
    try:
        size = os.path.getsize(path)
        f = open(path, "rb")
    except OSError as e:
        raise Refused("cannot be read (%s)" % e.strerror)
    with f:
        header = f.read(HEADER_SIZE)
        if header[:8] != MAGIC:
            if header[:2] == b"\x1f\x8b":
                raise Refused("is a bare gzip file, not a Fieldbook bundle")
            raise Refused("is not a Fieldbook bundle (its first bytes are not the bundle magic number)")
        if len(header) < HEADER_SIZE:
            raise Refused("is truncated inside its header")
        version = struct.unpack(">H", header[8:10])[0]
        if version not in (1, 2):
            raise Refused("uses bundle format %d; this reader reads formats 1 and 2" % version)
        length = struct.unpack(">I", header[10:14])[0]
        if length == 0 or length > MAX_MANIFEST[version]:
            raise Refused("declares a manifest of %d bytes, which no bundle has" % length)
        manifest_bytes = f.read(length)
        if len(manifest_bytes) != length:
            raise Refused("is truncated inside its manifest")
        if hashlib.sha256(manifest_bytes).digest() != header[14:46]:
            raise Refused("has a damaged manifest (its SHA-256 does not match)")
        manifest = strict_json(manifest_bytes, "its manifest")
        check_manifest(manifest, version)
        payload_offset = HEADER_SIZE + length
        c = manifest["payload"]["compressed_size"]
        if c > size - payload_offset - 4:
            raise Refused("is truncated: %d bytes where the manifest makes at least %d" % (size, payload_offset + c + 4))
        if manifest["payload"]["raw_size"] > c * 1100 + 1024:
            raise Refused("declares impossible payload sizes")
        f.seek(payload_offset + c)
        trailer = f.read(4)
        expected = 0 if version == 1 else SIGNATURE_SIZE
        if len(trailer) != 4 or struct.unpack(">I", trailer)[0] != expected:
            raise Refused("has a signature block of the wrong length for format %d (%d bytes)" % (version, expected))
        end = payload_offset + c + 4 + expected
        if size < end:
            raise Refused("is truncated inside its signature")
        if size > end:
            raise Refused("has %d unexpected bytes after its end" % (size - end))
        signature = f.read(expected)
    return {"path": path, "version": version, "header": header, "manifest": manifest,
            "manifest_size": length, "payload_offset": payload_offset, "signature": signature, "size": size}


def check_manifest(m, version):
    """What a manifest must say of itself before any payload is read (FORMAT.md, "Manifest" and
    "Format 2: the manifest")."""
    def refuse(what):
        raise Refused("has a manifest whose %s" % what)
    if not isinstance(m, dict):
        refuse("is not an object")
    if m.get("format") != version:
        raise Refused("has manifest format %r inside a format %d envelope" % (m.get("format"), version))
    for k in ("bundle_id", "created_at", "created_hlc", "device", "scope", "devices", "counts", "changes",
              "min_hlc", "max_hlc", "payload"):
        if k not in m:
            refuse("%s is missing" % k)
    if not is_id(m["bundle_id"]):
        refuse("bundle_id is not a lowercase UUID")
    d = m["device"]
    if not isinstance(d, dict) or not is_id(d.get("id")) or text_problem(d.get("name")) or not d["name"].strip() \
            or d.get("role") not in ROLES or (d.get("team") is not None and text_problem(d["team"])):
        refuse("device is not an id, a name, a team and a role")
    if m.get("round") is not None and text_problem(m["round"]):
        refuse("round is refused")
    if text_problem(m["created_at"]):
        refuse("created_at is refused")
    if m["scope"] not in SCOPES:
        refuse("scope is not changes, all, roster or unconfirmed")
    for k in ("created_hlc", "changes", "min_hlc", "max_hlc"):
        if not is_int(m[k]):
            refuse("%s is not a whole number" % k)
    if m["changes"] < 0 or m["created_hlc"] < 0 or (m["changes"] > 0 and not 0 <= m["min_hlc"] <= m["max_hlc"]):
        refuse("change count or clock range is impossible")
    p = m["payload"]
    if not isinstance(p, dict) or p.get("encoding") != "jsonl" or p.get("compression") != "gzip":
        refuse("payload is not jsonl+gzip")
    if not is_int(p.get("raw_size")) or not is_int(p.get("compressed_size")) or p["compressed_size"] <= 0 \
            or not 0 <= p["raw_size"] <= MAX_RAW:
        raise Refused("declares impossible payload sizes")
    if not is_hex(p.get("sha256"), 64):
        refuse("payload sha256 is not 64 lowercase hex digits")
    seen, total = set(), 0
    if not isinstance(m["devices"], list):
        refuse("devices is not a list")
    for r in m["devices"]:
        if not isinstance(r, dict) or not is_id(r.get("id")) or text_problem(r.get("name")) or r.get("role") not in ROLES:
            refuse("devices hold a damaged entry")
        if r["id"] in seen:
            refuse("devices list %s twice" % r["id"])
        seen.add(r["id"])
        f, l, n = r.get("first_seq"), r.get("last_seq"), r.get("count")
        if not (is_int(f) and is_int(l) and is_int(n) and f >= 1 and l >= f and n >= 1 and l - f >= n - 1):
            refuse("range of device %s is impossible" % r["id"])
        total += n
        if r["id"] == d["id"] and (r["name"] != d["name"] or r.get("team") != d.get("team") or r["role"] != d["role"]):
            raise Refused("has a manifest that describes its own device in two ways")
    if total != m["changes"]:
        refuse("devices hold %d changes where it says %d" % (total, m["changes"]))
    if not isinstance(m["counts"], dict) or any(k not in KINDS or not is_int(v) or v < 0 for k, v in m["counts"].items()) \
            or sum(m["counts"].values()) != m["changes"]:
        refuse("counts per kind are damaged or do not add up")
    if version == 1:
        if m.get("encryption") is not None or m.get("signature") is not None:
            raise Refused("is a format 1 bundle that says it is encrypted or signed, which format 1 never is")
        return
    e = m.get("encryption")
    if not isinstance(e, dict) or e.get("scheme") != "fieldbook-stream-v1" or e.get("chunk_size") != CHUNK:
        refuse("encryption scheme is not fieldbook-stream-v1 with chunks of 65536 bytes")
    if not isinstance(e.get("recipients"), list) or not 1 <= len(e["recipients"]) <= 10000:
        refuse("recipients list is empty or too long")
    for r in e["recipients"]:
        if not isinstance(r, dict) or not is_hex(r.get("key_id"), 16) or b64(r.get("enc"), 32) is None \
                or b64(r.get("wrapped"), 48) is None:
            refuse("recipients hold an entry that is not a key id with a 32-byte key and a 48-byte wrapped key")
    s = m.get("signature")
    if not isinstance(s, dict) or s.get("scheme") != "ed25519" or not is_hex(s.get("key_id"), 16):
        refuse("signature is not an ed25519 key id, which format 2 requires")
    if p["compressed_size"] < TAG:
        refuse("payload is too small to be sealed")
    segments = m.get("segments")
    if not isinstance(segments, list) or len(segments) > 1000000:
        refuse("segments are missing, which format 2 requires")
    ranges = {}
    for g in segments:
        if not isinstance(g, dict) or not is_id(g.get("device")) or not is_int(g.get("first_seq")) \
                or not is_int(g.get("last_seq")) or not 1 <= g["first_seq"] <= g["last_seq"] \
                or not is_hex(g.get("sha256"), 64) or b64(g.get("signature"), 64) is None:
            refuse("segments hold an entry that is not a device, a sequence range, a digest and a signature")
        ranges.setdefault(g["device"], []).append((g["first_seq"], g["last_seq"]))
    for device, rs in ranges.items():
        rs.sort()
        if any(b[0] <= a[1] for a, b in zip(rs, rs[1:])):
            refuse("segments of device %s overlap" % device)


# ---------------------------------------------------------------------------------------------
# The payload


def payload_plain(env, file_key):
    """Yields the gzip bytes of the payload: read as they are (format 1) or opened chunk by chunk
    (format 2: chunks of 65,536 + 16 bytes, the last one shorter or as long, nonce counter + flag)."""
    c = env["manifest"]["payload"]["compressed_size"]
    with open(env["path"], "rb") as f:
        f.seek(env["payload_offset"])
        if env["version"] == 1:
            remaining = c
            while remaining:
                data = f.read(min(remaining, 1 << 20))
                if not data:
                    raise Refused("is truncated inside its payload")
                remaining -= len(data)
                yield data
            return
        aead = _crypto()["ChaCha20Poly1305"](file_key)
        invalid = _crypto()["InvalidTag"]
        remaining, counter = c, 0
        while remaining:
            n = min(remaining, CHUNK + TAG)
            sealed = f.read(n)
            if len(sealed) != n:
                raise Refused("is truncated inside its payload")
            remaining -= n
            if n < TAG:
                raise Refused("has an encrypted payload cut short")
            try:
                yield aead.decrypt(stream_nonce(counter, remaining == 0), sealed, None)
            except invalid:
                raise Refused("has an encrypted payload that does not open at chunk %d (altered, reordered or cut "
                              "short after it was sealed)" % (counter + 1))
            counter += 1


def payload_digest(env):
    c = env["manifest"]["payload"]["compressed_size"]
    h = hashlib.sha256()
    with open(env["path"], "rb") as f:
        f.seek(env["payload_offset"])
        remaining = c
        while remaining:
            data = f.read(min(remaining, 1 << 20))
            if not data:
                raise Refused("is truncated inside its payload")
            remaining -= len(data)
            h.update(data)
    return h.hexdigest()


def payload_lines(env, file_key):
    """Yields (line number, line bytes without its newline), inflating within raw_size."""
    raw_size = env["manifest"]["payload"]["raw_size"]
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    produced, number, pending = 0, 0, b""
    for chunk in payload_plain(env, file_key):
        if inflater.eof:
            raise Refused("has a damaged payload: there are bytes after the end of the compressed payload")
        data = chunk
        while data:
            try:
                out = inflater.decompress(data, raw_size + 1 - produced)
            except zlib.error as e:
                raise Refused("has a damaged payload: the compressed payload is damaged (%s)" % e)
            produced += len(out)
            if produced > raw_size:
                raise Refused("has a damaged payload: the payload inflates past its declared size")
            data = inflater.unconsumed_tail
            if inflater.eof and inflater.unused_data:
                raise Refused("has a damaged payload: there are bytes after the end of the compressed payload")
            pending += out
            *lines, pending = pending.split(b"\n")
            for line in lines:
                number += 1
                yield number, line
            if len(pending) > MAX_LINE:
                raise Refused("has a change line longer than %d bytes at line %d" % (MAX_LINE, number + 1))
            if not out and not data:
                break
    if not inflater.eof:
        raise Refused("has a damaged payload: the compressed payload ends too early")
    if pending:
        raise Refused("has a payload whose last line is not terminated")
    if produced != raw_size:
        raise Refused("has a payload of %d bytes where the manifest says %d" % (produced, raw_size))


def member_spans(text):
    """The top-level members of one JSON object: name -> (start, end) of its value in `text`, and
    whether any name was spelled with a backslash escape."""
    decoder = json.JSONDecoder()
    ws = " \t\n\r"
    spans, escaped = {}, False

    def skip(i):
        while i < len(text) and text[i] in ws:
            i += 1
        return i
    i = skip(0)
    if text[i:i + 1] != "{":
        raise ValueError("not an object")
    i = skip(i + 1)
    if text[i:i + 1] == "}":
        return spans, escaped
    while True:
        name_start = skip(i)
        name, i = decoder.raw_decode(text, name_start)
        escaped = escaped or "\\" in text[name_start:i]
        i = skip(i)
        if text[i:i + 1] != ":":
            raise ValueError("expected :")
        start = skip(i + 1)
        _, end = decoder.raw_decode(text, start)
        spans[name] = (start, end)
        i = skip(end)
        if text[i:i + 1] == "}":
            return spans, escaped
        if text[i:i + 1] != ",":
            raise ValueError("expected , or }")
        i += 1


def canonical_json_string(s):
    out = ['"']
    for ch in s:
        v = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif v < 0x20:
            out.append("\\u%04x" % v)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical_fields(fields):
    """`fields` as Fieldbook re-encodes it (sorted names, no spaces, minimal escapes): used only when
    a field name was spelled with an escape."""
    parts = []
    for k in sorted(fields):
        v = fields[k]
        if v is None:
            enc = "null"
        elif is_int(v):
            enc = str(v)
        elif isinstance(v, str):
            enc = canonical_json_string(v)
        else:
            enc = "[" + ",".join(canonical_json_string(x) for x in v) + "]"
        parts.append(canonical_json_string(k) + ":" + enc)
    return "{" + ",".join(parts) + "}"


def canonical_line(text, change):
    """The canonical line a segment digest covers: members in the order base, device, fields, hlc,
    kind, op, record, seq; no spaces outside `fields` and `base`, whose text is kept as it came
    (`base` absent is `{}`; `fields` whose member names hold an escape is re-encoded)."""
    spans, _ = member_spans(text)
    fields = text[spans["fields"][0]:spans["fields"][1]]
    if member_spans(fields)[1]:
        fields = canonical_fields(change["fields"])
    base = text[spans["base"][0]:spans["base"][1]] if "base" in spans else "{}"
    return ('{"base":%s,"device":"%s","fields":%s,"hlc":%d,"kind":"%s","op":"%s","record":"%s","seq":%d}' % (
        base, change["device"], fields, change["hlc"], change["kind"], change["op"], change["record"],
        change["seq"])).encode("utf-8")


def check_change(change, number):
    """The shape of one change (FORMAT.md, "Payload"); the field table's bounds are not checked here."""
    def refuse(why):
        raise Refused("has a change at line %d that %s" % (number, why))
    if not isinstance(change, dict):
        refuse("is not a JSON object")
    missing = [k for k in ("device", "seq", "hlc", "kind", "record", "op", "fields") if k not in change]
    if missing:
        refuse("lacks %s" % ", ".join(missing))
    if not is_id(change["device"]) or not is_id(change["record"]):
        refuse("has an id that is not a lowercase UUID")
    if not is_int(change["seq"]) or not 1 <= change["seq"] < 1 << 63:
        refuse("has a sequence number that is not a whole number from 1")
    if not is_int(change["hlc"]) or not 0 <= change["hlc"] < 1 << 63:
        refuse("has a clock that is not a whole number from 0")
    if change["kind"] not in KINDS:
        refuse("has an unknown kind")
    if change["op"] not in OPS:
        refuse("has an unknown operation")
    if not isinstance(change["fields"], dict) or not isinstance(change.get("base", {}), dict):
        refuse("has fields or base that is not an object")
    for name, value in change["fields"].items():
        if not (value is None or is_int(value) or isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(x, str) for x in value))):
            refuse("has field %s whose value is not null, a whole number, text or a list of text" % name)


# ---------------------------------------------------------------------------------------------
# Reading a bundle


class Keys:
    """What the reader was given to trust and open bundles with."""

    def __init__(self, office=None, signers=(), authors=None, box_private=None, trust_lists=(),
                 allow_unsigned=False, require_signed=False):
        self.office = office                  # office.fbkey: {"device","name","sign","box"}
        self.signers = list(signers)          # raw Ed25519 public keys trusted to pack
        self.authors = dict(authors or {})    # device id -> raw Ed25519 public key
        self.box_private = box_private        # raw X25519 private key
        self.trust = None                     # the newest trust list read
        self.delegated = {}                   # device id -> member, from a lower office's trust list
        self.delegated_by = {}                # device id -> the lower office's device id
        for signed, where in trust_lists:
            self.take_trust(signed, where)
        self.allow_unsigned = allow_unsigned
        self.require_signed = require_signed

    def take_trust(self, signed, where):
        if self.office is None:
            raise UsageError("%s carries a trust list; give the office key (--office office.fbkey) to check it" % where)
        listed = open_trust_list(signed, self.office["sign"], where)
        if self.trust is not None:
            older, newer = (self.trust, listed) if listed["version"] >= self.trust["version"] else (listed, self.trust)
            problem = replacement_problem(older, newer)
            if problem:
                raise Refused("%s carries a trust list that does not follow the one before: %s" % (where, problem))
            self.trust = newer
        else:
            self.trust = listed
        return listed

    @property
    def members(self):
        return self.trust["members"] if self.trust else {}

    def take_lower_trust(self, signed, office, office_sign, where):
        """The trust list of an office enrolled below the given one (a county office's, carried in its
        bundle for the city): signed by that office's own enrolled key; it may enroll laptops only,
        and none that the office above enrolled or another office below it did, nor their keys."""
        listed = open_trust_list(signed, office_sign, where)
        own = listed.get("office") or {}
        if own.get("device") != office or b64(own.get("sign"), 32) != office_sign:
            raise Refused("%s carries a trust list of another office than the one that packed it" % where)
        taken = set()
        for device, m in self.members.items():
            if device != office:
                taken.update((m["sign"], m["box"]))
        for device, m in self.delegated.items():
            if self.delegated_by[device] != office:
                taken.update((m["sign"], m["box"]))
        if self.office:
            taken.update((self.office["sign"], self.office["box"]))
        for device, m in listed["members"].items():
            if m["role"] != "field":
                raise Refused("%s carries a trust list that enrolls %s as an office (central): an office below "
                              "enrolls laptops only" % (where, m["name"]))
            if (device in self.members or (self.office and device == self.office["device"])
                    or self.delegated_by.get(device, office) != office or m["sign"] in taken or m["box"] in taken):
                raise Refused("%s carries a trust list that enrolls %s, a device (or keys) it has no business "
                              "enrolling" % (where, m["name"]))
        for device in [d for d, by in self.delegated_by.items() if by == office]:
            del self.delegated[device], self.delegated_by[device]
        for device, m in listed["members"].items():
            self.delegated[device] = m
            self.delegated_by[device] = office
        return listed

    def revoked_after(self, device):
        m = self.members.get(device) or self.delegated.get(device) or {}
        return m.get("revoked_after_seq")

    def signer_by_key_id(self, kid):
        """(raw key, role, device or None) for the key with this id, as a store looks it up."""
        if self.office and key_id(self.office["sign"]) == kid:
            return self.office["sign"], "central", None
        for device, m in self.members.items():
            if key_id(m["sign"]) == kid:
                return m["sign"], m["role"], device
        for raw in self.signers:
            if key_id(raw) == kid:
                return raw, None, None
        return None

    def author_key(self, device, packer=None, packer_key=None):
        """(raw key, role) an author's segments must be signed with: an enrolled device's own key, one
        given with --author, the packer's when it is the author and its key was given with --signer,
        or else the office's (the office's own devices)."""
        if device in self.members:
            return self.members[device]["sign"], self.members[device]["role"]
        if device in self.delegated:
            return self.delegated[device]["sign"], "field"
        if device in self.authors:
            return self.authors[device], None
        if device == packer and packer_key is not None:
            return packer_key, None
        if self.office:
            return self.office["sign"], "central"
        return None, None


def read_bundle(path, keys, out, notes):
    """Checks a bundle and writes its changes (the payload's lines) to `out`; returns a summary."""
    env = open_envelope(path)
    m = env["manifest"]
    summary = {"format": env["version"], "bundle_id": m["bundle_id"], "packer": m["device"]["name"],
               "changes": m["changes"], "printed": 0, "left_out_revoked": 0, "unsigned": 0, "segments": 0}
    if env["version"] == 1:
        if keys.require_signed:
            raise Refused("is an unsigned bundle (format 1), and signed bundles are required (--require-signed)")
        notes.append("format 1: unsigned and unencrypted; nothing proves who wrote it")
        if payload_digest(env) != m["payload"]["sha256"]:
            raise Refused("has a damaged payload (its SHA-256 does not match the manifest)")
        return read_lines(env, None, keys, None, out, summary)

    # Format 2, before the payload: the packer's signature, its key and role, the trust list.
    packer = m["device"]["id"]
    found = keys.signer_by_key_id(m["signature"]["key_id"])
    if found is None:
        raise Refused("is signed by device %s with key %s, which was not given (--signer, --office or --trust)"
                      % (m["device"]["name"], m["signature"]["key_id"]))
    sign_key, role, device = found
    if not ed25519_valid(sign_key, env["signature"], BUNDLE_CONTEXT + env["header"]):
        raise Refused("has a signature that does not match its contents: it was altered after it was signed")
    if device is not None and device != packer:
        raise Refused("is signed with the key of device %s but says it was packed by %s" % (device, m["device"]["name"]))
    if role is not None and m["device"]["role"] != role:
        raise Refused("says its packer %s is a %s store, but it is signed by a %s store's key"
                      % (m["device"]["name"], m["device"]["role"], role))
    own = next((d for d in m["devices"] if d["id"] == packer), None)
    member = keys.members.get(packer)
    # An office enrolled below the given office (a county's bundle, read at the city's).
    lower = member is not None and member["role"] == "central"
    if member and member["revoked_after_seq"] is not None and own and own["last_seq"] > member["revoked_after_seq"]:
        raise Refused("is packed by %s, which the office revoked after its change %d; this bundle holds its changes "
                      "up to %d" % (member["name"], member["revoked_after_seq"], own["last_seq"]))
    if m.get("trust") is not None and lower:
        if member["revoked_after_seq"] is None:
            listed = keys.take_lower_trust(m["trust"], packer, sign_key, "the bundle")
            summary["trust_version"] = listed["version"]
    elif m.get("trust") is not None:
        if role != "central":
            raise Refused("carries a trust list, but is not signed by the office")
        if keys.office is None:
            notes.append("carries a trust list; give --office to check and use it")
        else:
            listed = keys.take_trust(m["trust"], "the bundle")
            summary["trust_version"] = listed["version"]
    # The file key.
    if keys.box_private is None:
        raise UsageError("the bundle is encrypted: give a recipient's X25519 private key with --key "
                         "(it is addressed to key ids %s)" % ", ".join(r["key_id"] for r in m["encryption"]["recipients"]))
    c = _crypto()
    mine = c["X25519PrivateKey"].from_private_bytes(keys.box_private).public_key().public_bytes(
        c["Encoding"].Raw, c["PublicFormat"].Raw)
    entry = next((r for r in m["encryption"]["recipients"] if r["key_id"] == key_id(mine)), None)
    if entry is None:
        raise Refused("is not addressed to key %s: it is addressed to %s" % (
            key_id(mine), ", ".join(r["key_id"] for r in m["encryption"]["recipients"])))
    file_key = hpke_open(keys.box_private, b64(entry["enc"]), b64(entry["wrapped"]), HPKE_INFO,
                         m["bundle_id"].encode("utf-8"))
    if len(file_key) != 32:
        raise Refused("has a wrapped key of the wrong size")
    # Every segment signed by its author.
    segments, roles = {}, {packer: role}
    for g in m["segments"]:
        author, author_role = keys.author_key(g["device"], packer, sign_key if role is None else None)
        if author is None:
            if keys.allow_unsigned:
                continue
            raise Refused("carries changes of device %s, whose signing key was not given (--trust, --author or --office)"
                          % g["device"])
        message = ("%s\n%s\n%d\n%d\n%s" % (SEGMENT_CONTEXT, g["device"], g["first_seq"], g["last_seq"], g["sha256"])).encode()
        if not ed25519_valid(author, b64(g["signature"]), message):
            if keys.allow_unsigned and g["device"] not in keys.members:
                continue
            raise Refused("carries changes of device %s (numbers %d-%d) whose signature is not that device's: forged "
                          "or altered on the way" % (g["device"], g["first_seq"], g["last_seq"]))
        if author_role:
            roles[g["device"]] = author_role
        segments.setdefault(g["device"], []).append(
            {"device": g["device"], "first": g["first_seq"], "last": g["last_seq"], "sha256": g["sha256"], "next": g["first_seq"],
             "hash": hashlib.sha256()})
    for d in m["devices"]:
        if roles.get(d["id"]) is not None and roles[d["id"]] != d["role"]:
            raise Refused("says device %s is a %s store, but its changes are signed by a %s store's key"
                          % (d["name"], d["role"], roles[d["id"]]))
    for lst in segments.values():
        lst.sort(key=lambda s: s["first"])
    summary["segments"] = sum(len(v) for v in segments.values())
    summary["signed_by"] = key_id(sign_key)
    if payload_digest(env) != m["payload"]["sha256"]:
        raise Refused("has a damaged payload (its SHA-256 does not match the manifest)")
    return read_lines(env, file_key, keys, segments, out, summary, packer, lower)


def read_lines(env, file_key, keys, segments, out, summary, packer=None, lower=False):
    m = env["manifest"]
    counts, ranges, seen, kinds = {}, {}, set(), {}
    min_hlc, max_hlc, total = None, None, 0
    for number, raw in payload_lines(env, file_key):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("has a change at line %d that is not UTF-8 text" % number)
        change = strict_json(text, "line %d" % number)
        check_change(change, number)
        device, seq = change["device"], change["seq"]
        if (device, seq) in seen:
            raise Refused("has change %d of device %s twice" % (seq, device))
        seen.add((device, seq))
        if kinds.setdefault(change["record"], change["kind"]) != change["kind"]:
            raise Refused("has a change at line %d to record %s, which is a %s earlier in the bundle"
                          % (number, change["record"], kinds[change["record"]]))
        total += 1
        counts[change["kind"]] = counts.get(change["kind"], 0) + 1
        f, l, n = ranges.get(device, (seq, seq, 0))
        ranges[device] = (min(f, seq), max(l, seq), n + 1)
        min_hlc = change["hlc"] if min_hlc is None else min(min_hlc, change["hlc"])
        max_hlc = change["hlc"] if max_hlc is None else max(max_hlc, change["hlc"])
        keep = True
        if segments is not None:
            covered = False
            lst = segments.get(device, [])
            i = bisect.bisect_right([s["first"] for s in lst], seq) - 1
            if i >= 0 and lst[i]["first"] <= seq <= lst[i]["last"]:
                s = lst[i]
                if seq != s["next"]:
                    raise Refused("has change %d of device %s at line %d out of its signed order" % (seq, device, number))
                s["hash"].update(canonical_line(text, change) + b"\n")
                s["next"] += 1
                covered = True
            after = keys.revoked_after(device)
            # A lower office's signature vouches for devices no trust list names (never for one the
            # office above or another office below enrolled).
            vouched = lower and device not in keys.members and device not in keys.delegated
            if after is not None and seq > after:
                summary["left_out_revoked"] += 1
                keep = False
            elif not covered and device != packer and not vouched:
                if not keys.allow_unsigned:
                    raise Refused("has change %d of device %s at line %d that its author did not sign (a relay carries "
                                  "its author's signed segment; this one does not)" % (seq, device, number))
                summary["unsigned"] += 1
        if keep:
            out.write(raw + b"\n")
            summary["printed"] += 1
    if segments is not None:
        for lst in segments.values():
            for s in lst:
                if s["next"] != s["last"] + 1:
                    raise Refused("carries a signed segment of device %s (numbers %d-%d) without all of its changes"
                                  % (s["device"], s["first"], s["last"]))
                if s["hash"].hexdigest() != s["sha256"]:
                    raise Refused("has changes of device %s (numbers %d-%d) that differ from what their author signed: "
                                  "altered or forged on the way" % (s["device"], s["first"], s["last"]))
    if total != m["changes"]:
        raise Refused("has %d changes where the manifest says %d" % (total, m["changes"]))
    if counts != {k: v for k, v in m["counts"].items() if v}:
        raise Refused("has a manifest whose counts per kind disagree with its payload")
    if len(ranges) != len(m["devices"]) or any(
            ranges.get(d["id"]) != (d["first_seq"], d["last_seq"], d["count"]) for d in m["devices"]):
        raise Refused("has a manifest whose device sequence ranges disagree with its payload")
    if total and (min_hlc != m["min_hlc"] or max_hlc != m["max_hlc"]):
        raise Refused("has a manifest whose clock range disagrees with its payload")
    return summary


def trust_from_file(path):
    """A trust list from a bundle's manifest (the office's roster bundles carry one) or from a JSON
    file {"document": …, "signature": …}."""
    data = read_arg_bytes(path)
    if data is None:
        raise UsageError("%s: no such file" % path)
    if data[:8] == MAGIC:
        env = open_envelope(path)
        if env["manifest"].get("trust") is None:
            raise UsageError("%s carries no trust list (the office's bundles do)" % path)
        return env["manifest"]["trust"], path
    try:
        return json.loads(data.decode("utf-8")), path
    except (UnicodeDecodeError, ValueError):
        raise UsageError("%s is neither a bundle nor a trust list" % path)


def show_manifest(path, keys):
    env = open_envelope(path)
    m = dict(env["manifest"])
    if m.get("trust") is not None:
        doc = b64(m["trust"].get("document"))
        if doc is not None:
            m = dict(m, trust=dict(m["trust"], document_decoded=json.loads(doc.decode("utf-8"))))
    return {"format": env["version"], "file_size": env["size"], "manifest_size": env["manifest_size"],
            "header_hex": env["header"].hex(), "signature_hex": env["signature"].hex(), "manifest": m}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="fieldbook_reader.py",
        description="Check a Fieldbook bundle (format 1 or 2, bundles/FORMAT.md) and print its changes as JSON "
                    "lines, exactly as the payload holds them. Nothing is printed unless the whole bundle passes.",
        epilog="Keys: Ed25519 public keys (--signer, --author) may be base64 text, a file of base64 or 32 raw "
               "bytes, an office.fbkey or an enrollment request. The X25519 private key (--key) is 32 raw bytes "
               "in a file, or their base64 (on the command line or in a file). Exit status: 0 read, 1 refused, "
               "2 a usage or key error.")
    parser.add_argument("bundle", nargs="?", help="the .fbundle file")
    parser.add_argument("--self-test", action="store_true",
                        help="check the HPKE code against RFC 9180's test vector A.2.1, then exit")
    parser.add_argument("--key", metavar="KEY", help="a recipient's X25519 private key, to open a format 2 payload")
    parser.add_argument("--office", metavar="FBKEY", help="the office's office.fbkey: trusts its signing key (the "
                        "office's bundles and segments) and checks trust lists with it")
    parser.add_argument("--signer", metavar="KEY", action="append", default=[],
                        help="an Ed25519 public key trusted to have packed the bundle (repeatable)")
    parser.add_argument("--author", metavar="DEVICE=KEY", action="append", default=[],
                        help="an author's Ed25519 public key, for its segments (repeatable)")
    parser.add_argument("--trust", metavar="FILE", action="append", default=[],
                        help="a bundle of the office carrying its trust list (a roster bundle), or a trust list "
                        "JSON {document, signature}: enrolled devices' keys and revocations, checked with --office")
    parser.add_argument("--allow-unsigned", action="store_true",
                        help="accept changes no segment covers whose author did not pack the bundle, and segments "
                        "of authors whose key is unknown")
    parser.add_argument("--require-signed", action="store_true", help="refuse format 1 (unsigned) bundles")
    parser.add_argument("--manifest", action="store_true",
                        help="print the header and manifest (the trust list decoded) as JSON instead of the changes; "
                        "checks the envelope only")
    parser.add_argument("--quiet", action="store_true", help="no summary on stderr")
    args = parser.parse_args(argv)
    prog = "fieldbook_reader"
    if args.self_test:
        try:
            ok = self_test()
        except UsageError as e:
            sys.stderr.write("%s: %s\n" % (prog, e))
            return 2
        sys.stderr.write("%s: HPKE self-test against RFC 9180 A.2.1: %s\n" % (prog, "passed" if ok else "FAILED"))
        return 0 if ok else 1
    if args.bundle is None:
        parser.error("the bundle is required")
    try:
        office = load_office(args.office) if args.office else None
        if args.manifest:
            json.dump(show_manifest(args.bundle, None), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
            sys.stdout.write("\n")
            return 0
        keys = Keys(office=office, signers=[load_signing_key(s)[0] for s in args.signer],
                    authors=dict(load_author(a) for a in args.author),
                    box_private=load_box_private(args.key) if args.key else None,
                    allow_unsigned=args.allow_unsigned, require_signed=args.require_signed)
        for t in args.trust:
            keys.take_trust(*trust_from_file(t))
        notes = []
        with tempfile.SpooledTemporaryFile(max_size=64 << 20) as held:
            summary = read_bundle(args.bundle, keys, held, notes)
            held.seek(0)
            out = sys.stdout.buffer
            while True:
                block = held.read(1 << 20)
                if not block:
                    break
                out.write(block)
            out.flush()
    except Refused as e:
        sys.stderr.write("%s: %s: refused: it %s\n" % (prog, args.bundle, e))
        return 1
    except UsageError as e:
        sys.stderr.write("%s: %s\n" % (prog, e))
        return 2
    if not args.quiet:
        for note in notes:
            sys.stderr.write("%s: note: %s\n" % (prog, note))
        extra = ""
        if summary["format"] == 2:
            extra = ", signed by key %s, %d segment(s) checked" % (summary["signed_by"], summary["segments"])
        if summary["left_out_revoked"]:
            extra += ", %d change(s) of revoked devices left out" % summary["left_out_revoked"]
        if summary["unsigned"]:
            extra += ", %d change(s) no signature covers (--allow-unsigned)" % summary["unsigned"]
        sys.stderr.write("%s: %s: format %d, %d change(s) printed%s\n"
                         % (prog, args.bundle, summary["format"], summary["printed"], extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
