#!/usr/bin/env python3
"""Writes the seed corpus of fieldbook-fuzz into Fuzz/corpus/ from bundles/fixtures/v1.

Run from the package root: python3 Fuzz/make-corpus.py. The output is committed; rerun it only to
change the seeds. Three folders, all fed to the one fuzz target (every input is tried three ways):
  bundle/  whole bundle files: small valid fixtures and hand-made near misses
  line/    payload lines (one or a few per file): taken from the fixtures, and variants
  sealed/  a manifest template (payload sizes and digest as @C @R @H) then '\n' then a raw payload
           (or a gzip stream, when it starts with 1F 8B), which the target seals into a bundle with
           right digests and sizes (BundleFuzzing.seal)
"""
import gzip, hashlib, json, os, shutil, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "bundles/fixtures/v1")
OUT = os.path.join(ROOT, "Fuzz/corpus")

def fixture(tag):
    (name,) = [f for f in sorted(os.listdir(FIX)) if tag in f and f.endswith(".fbundle") and not f.startswith("recopied") and "副本" not in f]
    return open(os.path.join(FIX, name), "rb").read()

def parts(b):
    m = struct.unpack(">I", b[10:14])[0]
    manifest = b[46:46 + m]
    c = json.loads(manifest)["payload"]["compressed_size"]
    return manifest, b[46 + m:46 + m + c]

def envelope(manifest, payload, version=1, trailer=b"\0\0\0\0", digest=None):
    digest = digest if digest is not None else hashlib.sha256(manifest).digest()
    return (bytes.fromhex("8946424e440d0a1a") + struct.pack(">HI", version, len(manifest)) + digest
            + manifest + payload + trailer)

def reseal(man, raw, raw_size=None):
    """A whole valid-digest bundle from a manifest dict and a raw payload."""
    comp = gzip.compress(raw, 6, mtime=0)
    man = dict(man)
    man["payload"] = dict(man["payload"], compressed_size=len(comp), raw_size=len(raw) if raw_size is None else raw_size,
                          sha256=hashlib.sha256(comp).hexdigest())
    mb = json.dumps(man, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return envelope(mb, comp)

def template(man):
    mb = json.dumps(man, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    mb = mb.replace('"compressed_size":%d' % man["payload"]["compressed_size"], '"compressed_size":@C')
    mb = mb.replace('"raw_size":%d' % man["payload"]["raw_size"], '"raw_size":@R')
    mb = mb.replace('"sha256":"%s"' % man["payload"]["sha256"], '"sha256":"@H"')
    assert "@C" in mb and "@R" in mb and "@H" in mb
    return mb.encode()

def write(folder, name, data):
    os.makedirs(os.path.join(OUT, folder), exist_ok=True)
    with open(os.path.join(OUT, folder, name), "wb") as f:
        f.write(data)

shutil.rmtree(OUT, ignore_errors=True)

# bundle/: valid fixtures, small ones.
small = {"visit-s25": "s25-25", "round-s16": "s16-16", "relay": "relay", "s15-24": "s15-24"}
for name, tag in small.items():
    write("bundle", name + ".fbundle", fixture(tag))
# The truncated fixture (the payload stops early).
write("bundle", "truncated-payload.fbundle", [open(os.path.join(FIX, f), "rb").read() for f in sorted(os.listdir(FIX))
      if f.startswith("round-2") and "a5f46660" in f][0])

b = fixture("s25-25")
manifest, payload = parts(b)
man = json.loads(manifest)
raw = gzip.decompress(payload)
write("bundle", "version-2.fbundle", envelope(manifest, payload, version=2))
write("bundle", "version-0.fbundle", b[:8] + b"\0\0" + b[10:])
write("bundle", "manifest-too-long.fbundle", b[:10] + struct.pack(">I", (1 << 20) + 1) + b[14:])
write("bundle", "manifest-digest-bad.fbundle", envelope(manifest, payload, digest=b"\0" * 32))
write("bundle", "signature-block.fbundle", envelope(manifest, payload, trailer=b"\0\0\0\x03abc"))
write("bundle", "trailing-bytes.fbundle", b + b"\n")
write("bundle", "header-only.fbundle", b[:46])
write("bundle", "bare-gzip.gz", payload)
flipped = bytearray(b); flipped[len(b) - 20] ^= 0x10
write("bundle", "payload-bit-flip.fbundle", bytes(flipped))
# Valid digests, wrong content: the checks after the digests.
write("bundle", "counts-disagree.fbundle", reseal(dict(man, counts={"forum": 1}), raw))
write("bundle", "unterminated-line.fbundle", reseal(man, raw.rstrip(b"\n")))
write("bundle", "two-lines-dup-seq.fbundle",
      reseal(dict(man, changes=2, counts={"visit": 2},
                  devices=[dict(man["devices"][0], count=2, last_seq=man["devices"][0]["last_seq"] + 1)]), raw + raw))
write("bundle", "empty-lines.fbundle", reseal(man, b"\n" * 200000))
write("bundle", "sizes-impossible.fbundle", reseal(man, raw, raw_size=10**9))
write("bundle", "raw-size-wrong.fbundle", reseal(man, raw, raw_size=len(raw) - 1))

# line/: lines from the fixtures, one kind/op of each, and variants.
seen = {}
for tag in ["roster", "1b6101b7", "d2deea1b", "9acd0af0", "relay", "s15-24", "s25-25", "s16-16", "s16-29"]:
    _, p = parts(fixture(tag))
    for line in gzip.decompress(p).split(b"\n"):
        if not line:
            continue
        j = json.loads(line)
        key = (j["kind"], j["op"])
        if key not in seen:
            seen[key] = line
for (kind, op), line in sorted(seen.items()):
    write("line", "%s-%s.jsonl" % (kind, op), line)

visit = json.loads(seen[("visit", "create")])
dev, rec = visit["device"], visit["record"]
def dumps(o):
    return json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode()
write("line", "delete.jsonl", dumps({"base": {"_deleted": [dev + ":1"]}, "device": dev, "fields": {"_deleted": 1},
                                     "hlc": visit["hlc"] + 1, "kind": "visit", "op": "delete", "record": rec, "seq": visit["seq"] + 1}))
write("line", "unknown-member-and-field.jsonl",
      dumps(dict(visit, extra={"a": [1, 2.5e3, True, False, None, {"b": "c"}]}, fields=dict(visit["fields"], mood_2="好", score=-7))))
write("line", "escapes.jsonl", dumps(dict(visit, fields=dict(visit["fields"], note="\u6237\u4e3b\t\n\"\\/ \U0001F600"))).replace(
      "户主".encode(), b"\\u6237\\u4e3b").replace("😀".encode(), b"\\ud83d\\ude00"))
write("line", "spaces.jsonl", b" \t" + json.dumps(visit, ensure_ascii=False, separators=(" , ", " :\r\t ")).encode() + b" ")
write("line", "two-lines-dup-seq.jsonl", seen[("visit", "create")] + b"\n" + seen[("visit", "create")] + b"\n")
rnd = json.loads(seen[("round", "create")])
write("line", "kind-clash.jsonl", seen[("round", "create")] + b"\n" +
      dumps(dict(visit, seq=visit["seq"] + 1, fields=dict(visit["fields"], household=rnd["record"]))))
write("line", "empty-object.jsonl", b"{}")
write("line", "deep.jsonl", b'{"x":' + b"[" * 40 + b"]" * 40 + b"}")

# sealed/: manifest templates and raw payloads.
write("sealed", "visit-s25.txt", template(man) + b"\n" + raw)
mr, pr = parts(fixture("s16-16"))
write("sealed", "round-s16.txt", template(json.loads(mr)) + b"\n" + gzip.decompress(pr))
ms, ps = parts(fixture("s15-24"))
write("sealed", "s15-24.txt", template(json.loads(ms)) + b"\n" + gzip.decompress(ps))
# Already compressed payloads (they start with 1F 8B): taken as they are.
write("sealed", "visit-s25-gzip.txt", template(man) + b"\n" + gzip.compress(raw, 9, mtime=0))
write("sealed", "gzip-two-members.txt", template(man) + b"\n" + gzip.compress(raw[:100], 9, mtime=0) + gzip.compress(raw[100:], 9, mtime=0))
write("sealed", "gzip-trailing-bytes.txt", template(man) + b"\n" + gzip.compress(raw, 9, mtime=0) + b"\n")
write("sealed", "gzip-bomb.txt", template(dict(man, changes=1)) + b"\n" + gzip.compress(b" " * 3000000, 9, mtime=0))
empty = dict(man, changes=0, counts={}, devices=[], min_hlc=0, max_hlc=0)
write("sealed", "no-changes.txt", template(empty) + b"\n")

total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
print("corpus:", sum(len(fs) for _, _, fs in os.walk(OUT)), "files,", total, "bytes")
