import CZlibSys
import Crypto
import FieldbookCore
import Foundation

// Format-2 bundles taken apart and put together again byte by byte: what an attacker who holds a
// key (a stolen or dishonest enrolled laptop, or a test playing the office) can write. Everything
// follows bundles/FORMAT.md ("Format 2") with swift-crypto only, never FieldbookCore's own sealing
// code, so a mistake shared by the writer and the reader does not hide here.

/// A JSON object as JSONSerialization reads and writes it.
public typealias JSONObject = [String: Any]

/// A store's private keys as a forger holds them (read out of a store file).
public struct ForgeKeys {
    public let sign: Curve25519.Signing.PrivateKey
    public let box: Curve25519.KeyAgreement.PrivateKey

    public init(signRaw: Data, boxRaw: Data) throws {
        sign = try .init(rawRepresentation: signRaw)
        box = try .init(rawRepresentation: boxRaw)
    }

    /// Fresh keys no store holds.
    public init() {
        sign = .init()
        box = .init()
    }

    public var signPublic: Data { sign.publicKey.rawRepresentation }
    public var boxPublic: Data { box.publicKey.rawRepresentation }
    public var signID: String { KeyID.of(signPublic) }
    public var boxID: String { KeyID.of(boxPublic) }
    public var publicKeys: PublicKeys { try! PublicKeys(sign: signPublic, box: boxPublic) }

    public func signature(_ message: Data) -> Data { try! sign.signature(for: message) }
}

/// A format-2 file cut into its parts.
public struct SealedParts {
    public var header: [UInt8]
    public var manifestBytes: [UInt8]
    public var manifest: JSONObject
    public var sealed: [UInt8]
    public var signature: [UInt8]
}

public enum SignedBundleForge {
    public static let chunkSize = 1 << 16
    public static let tagSize = 16
    static let hpkeInfo = Data("fieldbook bundle v2".utf8)
    static let bundleContext = Data("fieldbook bundle v2\n".utf8)
    static let trustContext = Data("fieldbook trust list v1\n".utf8)
    static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    // MARK: Reading

    public static func parts(of path: String) throws -> SealedParts {
        try parts([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    public static func parts(_ file: [UInt8]) throws -> SealedParts {
        guard file.count > 50, file[9] == 2 else { throw Failure("not a format-2 file") }
        let length = file[10..<14].reduce(0) { $0 << 8 | Int($1) }
        let manifestBytes = Array(file[46..<46 + length])
        guard let manifest = try JSONSerialization.jsonObject(with: Data(manifestBytes)) as? JSONObject,
            let payload = manifest["payload"] as? JSONObject, let size = (payload["compressed_size"] as? NSNumber)?.intValue
        else { throw Failure("manifest unreadable") }
        let start = 46 + length
        let sealed = Array(file[start..<start + size])
        let signature = Array(file[(start + size + 4)...])
        return SealedParts(header: Array(file[0..<46]), manifestBytes: manifestBytes, manifest: manifest, sealed: sealed, signature: signature)
    }

    /// The file key, unwrapped from the recipient entry for `box`.
    public static func fileKey(_ manifest: JSONObject, box: Curve25519.KeyAgreement.PrivateKey) throws -> SymmetricKey {
        let id = KeyID.of(box.publicKey.rawRepresentation)
        guard let encryption = manifest["encryption"] as? JSONObject, let recipients = encryption["recipients"] as? [JSONObject],
            let entry = recipients.first(where: { $0["key_id"] as? String == id }),
            let enc = Data(base64Encoded: entry["enc"] as? String ?? ""), let wrapped = Data(base64Encoded: entry["wrapped"] as? String ?? ""),
            let bundleID = manifest["bundle_id"] as? String
        else { throw Failure("not addressed to that key") }
        var receiver = try HPKE.Recipient(privateKey: box, ciphersuite: suite, info: hpkeInfo, encapsulatedKey: enc)
        return SymmetricKey(data: try receiver.open(wrapped, authenticating: Data(bundleID.utf8)))
    }

    /// A recipient entry: `key` wrapped for the X25519 public key `box`, bound to `bundleID`.
    public static func recipient(_ key: SymmetricKey, box: Data, bundleID: String) throws -> JSONObject {
        var sender = try HPKE.Sender(
            recipientKey: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: box), ciphersuite: suite, info: hpkeInfo)
        let wrapped = try key.withUnsafeBytes { try sender.seal(Data($0), authenticating: Data(bundleID.utf8)) }
        return ["key_id": KeyID.of(box), "enc": sender.encapsulatedKey.base64EncodedString(), "wrapped": wrapped.base64EncodedString()]
    }

    public static func nonce(_ counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[10 - i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// The gzip stream cut into sealed chunks (ciphertext + tag each), the last one flagged.
    public static func sealChunks(_ plain: [UInt8], key: SymmetricKey) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + chunkSize, plain.count)
            pieces.append(Array(plain[start..<end]))
            start = end
        } while start < plain.count
        return pieces.enumerated().map { i, piece in
            let box = try! ChaChaPoly.seal(piece, using: key, nonce: nonce(UInt64(i), last: i == pieces.count - 1))
            return Array(box.ciphertext) + Array(box.tag)
        }
    }

    /// Opens a whole sealed payload (every chunk full but the flagged last one).
    public static func openChunks(_ sealed: [UInt8], key: SymmetricKey) throws -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        var counter: UInt64 = 0
        while start < sealed.count {
            let end = min(start + chunkSize + tagSize, sealed.count)
            let chunk = sealed[start..<end]
            let box = try ChaChaPoly.SealedBox(
                nonce: nonce(counter, last: end == sealed.count), ciphertext: chunk.dropLast(tagSize), tag: chunk.suffix(tagSize))
            out += try ChaChaPoly.open(box, using: key)
            start = end
            counter += 1
        }
        return out
    }

    public static func gunzip(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        data.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { b in
                    stream.next_out = b.baseAddress
                    stream.avail_out = uInt(b.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                out += buffer[..<(buffer.count - Int(stream.avail_out))]
                if status == Z_STREAM_END { break }
                precondition(status == Z_OK, "inflate \(status)")
            }
        }
        return out
    }

    /// A real bundle opened with a recipient's key: its manifest, file key and change lines.
    public static func open(_ path: String, box: Curve25519.KeyAgreement.PrivateKey) throws -> Forge {
        let p = try parts(of: path)
        let key = try fileKey(p.manifest, box: box)
        let raw = gunzip(try openChunks(p.sealed, key: key))
        let lines = raw.split(separator: 0x0A, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        return Forge(manifest: p.manifest, lines: lines, fileKey: key)
    }

    // MARK: Writing

    /// The whole file: header (magic, version from the manifest, length, digest), manifest, sealed
    /// payload, trailer with the signature (made by `signer` over the header, or given outright).
    public static func assemble(manifest: JSONObject, sealed: [UInt8], signer: ForgeKeys?, signature: [UInt8]? = nil) -> [UInt8] {
        let manifestBytes = [UInt8](try! JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .withoutEscapingSlashes]))
        let format = (manifest["format"] as? NSNumber)?.intValue ?? 2
        var header: [UInt8] = [0x89, 0x46, 0x42, 0x4E, 0x44, 0x0D, 0x0A, 0x1A, UInt8(format >> 8), UInt8(format & 0xFF)]
        let length = UInt32(manifestBytes.count)
        header += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        header += Array(SHA256.hash(data: manifestBytes))
        let sig = signature ?? signer.map { [UInt8]($0.signature(bundleContext + Data(header))) } ?? []
        return header + manifestBytes + sealed + [0, 0, 0, UInt8(sig.count)] + sig
    }

    /// The canonical digest of change lines (each followed by a newline), as FORMAT.md defines a
    /// segment's. The lines given must be canonical already (the ones Fieldbook writes are).
    public static func digest(_ lines: [String]) -> String {
        var h = SHA256()
        for l in lines {
            h.update(data: Data(l.utf8))
            h.update(data: Data([0x0A]))
        }
        return HostileBytes.hex(Array(h.finalize()))
    }

    /// A segment over `lines` (device's changes first...last), signed by `signer`.
    public static func segment(device: String, first: Int64, last: Int64, lines: [String], signer: ForgeKeys) -> JSONObject {
        segment(device: device, first: first, last: last, sha256: digest(lines), signer: signer)
    }

    public static func segment(device: String, first: Int64, last: Int64, sha256: String, signer: ForgeKeys) -> JSONObject {
        let message = Data("fieldbook segment v1\n\(device)\n\(first)\n\(last)\n\(sha256)".utf8)
        return ["device": device, "first_seq": first, "last_seq": last, "sha256": sha256,
                "signature": signer.signature(message).base64EncodedString()]
    }

    /// A trust list document (as JSON) signed by `signer`, in the manifest's `trust` form.
    public static func signedTrust(_ document: JSONObject, signer: ForgeKeys) -> JSONObject {
        let bytes = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return ["document": bytes.base64EncodedString(), "signature": signer.signature(trustContext + bytes).base64EncodedString()]
    }

    /// The trust list a manifest carries, read (not checked).
    public static func trustDocument(_ manifest: JSONObject) -> JSONObject? {
        guard let trust = manifest["trust"] as? JSONObject, let doc = Data(base64Encoded: trust["document"] as? String ?? "") else { return nil }
        return try? JSONSerialization.jsonObject(with: doc) as? JSONObject
    }

    /// One change line in the canonical spelling.
    public static func line(
        device: String, seq: Int64, hlc: Int64, kind: String, record: String, op: String = "create", fields: String, base: String = "{}"
    ) -> String {
        "{\"base\":\(base),\"device\":\"\(device)\",\"fields\":\(fields),\"hlc\":\(hlc),\"kind\":\"\(kind)\",\"op\":\"\(op)\",\"record\":\"\(record)\",\"seq\":\(seq)}"
    }

    /// device, seq, hlc, kind of a line.
    public static func describe(_ line: String) -> (device: String, seq: Int64, hlc: Int64, kind: String) {
        let o = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! JSONObject
        return (o["device"] as! String, (o["seq"] as! NSNumber).int64Value, (o["hlc"] as! NSNumber).int64Value, o["kind"] as! String)
    }
}

/// A format-2 bundle being forged: a manifest, its change lines, a file key. `bytes(signer:)`
/// recounts the manifest from the lines (unless told not to), seals, wraps and signs.
public struct Forge {
    public var manifest: JSONObject
    public var lines: [String]
    public var fileKey: SymmetricKey
    /// X25519 public keys to wrap the file key for; nil keeps the manifest's recipient entries.
    public var recipients: [Data]?
    /// Recount `devices`, `counts`, `changes` and the clock range from the lines.
    public var recount = true
    /// How the manifest's `devices` names a device it did not name before.
    public var describe: [String: JSONObject] = [:]
    /// Done to the sealed chunks before they are joined.
    public var editChunks: ((inout [[UInt8]]) -> Void)?
    /// Done to the manifest last, after sizes, digest, recipients and the signer's key id are set.
    public var editManifest: ((inout JSONObject) -> Void)?
    /// The payload's plain bytes outright (before gzip), instead of the lines.
    public var rawOverride: [UInt8]?

    public init(manifest: JSONObject, lines: [String], fileKey: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.manifest = manifest
        self.lines = lines
        self.fileKey = fileKey
    }

    public var bundleID: String {
        get { manifest["bundle_id"] as? String ?? "" }
        set { manifest["bundle_id"] = newValue }
    }

    /// The packer as the manifest's `device` (and its own entry in `devices`) describes it.
    public mutating func setPacker(id: String, name: String, team: String?, role: String) {
        var d: JSONObject = ["id": id, "name": name, "role": role]
        if let team { d["team"] = team }
        manifest["device"] = d
        describe[id] = d
    }

    public var segments: [JSONObject] {
        get { manifest["segments"] as? [JSONObject] ?? [] }
        set { manifest["segments"] = newValue }
    }

    public func bytes(signer: ForgeKeys?, signature: [UInt8]? = nil) throws -> [UInt8] {
        var m = manifest
        if recount {
            var byDevice: [String: (Int64, Int64, Int)] = [:]
            var counts: [String: Int] = [:]
            var lo = Int64.max, hi = Int64.min
            for l in lines {
                let d = SignedBundleForge.describe(l)
                let r = byDevice[d.device]
                byDevice[d.device] = (min(r?.0 ?? .max, d.seq), max(r?.1 ?? .min, d.seq), (r?.2 ?? 0) + 1)
                counts[d.kind, default: 0] += 1
                lo = min(lo, d.hlc)
                hi = max(hi, d.hlc)
            }
            var known: [String: JSONObject] = [:]
            for d in m["devices"] as? [JSONObject] ?? [] { known[d["id"] as! String] = d }
            if let packer = m["device"] as? JSONObject { known[packer["id"] as! String] = packer }
            for (id, d) in describe { known[id] = d }
            m["devices"] = byDevice.keys.sorted().map { id -> JSONObject in
                var d = known[id] ?? ["id": id, "name": "设备-\(id.prefix(8))", "role": "field"]
                d["id"] = id
                d["first_seq"] = byDevice[id]!.0
                d["last_seq"] = byDevice[id]!.1
                d["count"] = byDevice[id]!.2
                return d
            }
            m["counts"] = counts
            m["changes"] = lines.count
            m["min_hlc"] = lines.isEmpty ? 0 : lo
            m["max_hlc"] = lines.isEmpty ? 0 : hi
        }
        var raw = [UInt8]()
        for l in lines {
            raw += Array(l.utf8)
            raw.append(0x0A)
        }
        if let rawOverride { raw = rawOverride }
        let gz = HostileBytes.gzip(raw)
        var chunks = SignedBundleForge.sealChunks(gz, key: fileKey)
        editChunks?(&chunks)
        let sealed = chunks.flatMap { $0 }
        m["payload"] = [
            "encoding": "jsonl", "compression": "gzip", "raw_size": raw.count, "compressed_size": sealed.count,
            "sha256": HostileBytes.hex(HostileBytes.sha256(sealed)),
        ] as JSONObject
        var encryption = m["encryption"] as? JSONObject ?? ["scheme": "fieldbook-stream-v1", "chunk_size": SignedBundleForge.chunkSize]
        if let recipients {
            encryption["recipients"] = try recipients.map { try SignedBundleForge.recipient(fileKey, box: $0, bundleID: bundleID) }
        }
        m["encryption"] = encryption
        if let signer { m["signature"] = ["scheme": "ed25519", "key_id": signer.signID] as JSONObject }
        if m["segments"] == nil { m["segments"] = [JSONObject]() }
        editManifest?(&m)
        return SignedBundleForge.assemble(manifest: m, sealed: sealed, signer: signer, signature: signature)
    }

    /// Writes the forged file to `path` and returns the path.
    @discardableResult
    public func write(to path: String, signer: ForgeKeys?, signature: [UInt8]? = nil) throws -> String {
        try Data(try bytes(signer: signer, signature: signature)).write(to: URL(fileURLWithPath: path))
        return path
    }
}
