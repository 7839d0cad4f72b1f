import Crypto
import Foundation

/// The cryptography of format 2, in one place (bundles/FORMAT.md, "Format 2").
///
/// - The payload (the gzip stream) is cut into chunks of 65,536 bytes, each sealed with
///   ChaCha20-Poly1305 under a fresh 32-byte file key; the nonce is the chunk's number as 11
///   big-endian bytes and a last byte that is 1 for the final chunk and 0 before it (age's STREAM), so
///   chunks cannot be reordered, dropped or cut off unnoticed.
/// - The file key is wrapped for each recipient with HPKE (RFC 9180, base mode,
///   DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), info `fieldbook bundle v2`, the
///   bundle id as the additional data.
/// - The packer signs `fieldbook bundle v2\n` followed by the file's first 46 bytes (magic,
///   version, manifest length and the manifest's SHA-256): the manifest holds the payload's digest, so
///   this covers every byte.
/// - Each author signs segments of its own changes (``Segment``), which relays carry unchanged.
enum BundleCrypto {
    static let chunkSize = 1 << 16
    static let tagSize = 16
    static let hpkeInfo = Data("fieldbook bundle v2".utf8)
    static let bundleContext = Data("fieldbook bundle v2\n".utf8)
    static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }

    static func nonce(_ counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[10 - i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// The size of the sealed payload for `plain` bytes of gzip.
    static func sealedSize(_ plain: Int64) -> Int64 {
        let chunks = max(1, (plain + Int64(chunkSize) - 1) / Int64(chunkSize))
        return plain + chunks * Int64(tagSize)
    }

    /// Wraps `fileKey` for a recipient's X25519 key: HPKE base mode sealing (RFC 9180 §5.1.1 and
    /// §6.1) with the ephemeral key made from `ephemeral` (32 random bytes from the store's
    /// environment, so a demo or a test with a fixed seed writes the same bytes). swift-crypto's
    /// `HPKE.Sender` makes its ephemeral key itself; opening uses `HPKE.Recipient`, and a test holds
    /// the two (and the Python reader in bundles/reader) to each other.
    static func wrap(
        _ fileKey: SymmetricKey, for recipient: PublicKeys, bundleID: String, ephemeral: [UInt8]
    ) throws -> BundleManifest.Recipient {
        let ephemeralKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: ephemeral)
        let enc = ephemeralKey.publicKey.rawRepresentation
        let dh = try ephemeralKey.sharedSecretFromKeyAgreement(with: recipient.agreementKey)
        let kemSuite = Data("KEM".utf8) + [0x00, 0x20]
        let hpkeSuite = Data("HPKE".utf8) + [0x00, 0x20, 0x00, 0x01, 0x00, 0x03]
        func labeledExtract(_ salt: Data, _ label: String, _ ikm: Data, _ suite: Data) -> Data {
            let prk = HKDF<SHA256>.extract(
                inputKeyMaterial: SymmetricKey(data: Data("HPKE-v1".utf8) + suite + Data(label.utf8) + ikm), salt: salt)
            return Data(prk)
        }
        func labeledExpand(_ prk: Data, _ label: String, _ info: Data, _ length: Int, _ suite: Data) -> Data {
            let labeled = Data([UInt8(length >> 8), UInt8(length & 0xFF)]) + Data("HPKE-v1".utf8) + suite + Data(label.utf8) + info
            return HKDF<SHA256>.expand(pseudoRandomKey: SymmetricKey(data: prk), info: labeled, outputByteCount: length)
                .withUnsafeBytes { Data($0) }
        }
        // DHKEM(X25519, HKDF-SHA256): Encap.
        let dhBytes = dh.withUnsafeBytes { Data($0) }
        let eaePRK = labeledExtract(Data(), "eae_prk", dhBytes, kemSuite)
        let sharedSecret = labeledExpand(eaePRK, "shared_secret", enc + recipient.box, 32, kemSuite)
        // Key schedule, base mode (no PSK).
        let pskIDHash = labeledExtract(Data(), "psk_id_hash", Data(), hpkeSuite)
        let infoHash = labeledExtract(Data(), "info_hash", hpkeInfo, hpkeSuite)
        let context = Data([0x00]) + pskIDHash + infoHash
        let secret = labeledExtract(sharedSecret, "secret", Data(), hpkeSuite)
        let key = labeledExpand(secret, "key", context, 32, hpkeSuite)
        let baseNonce = labeledExpand(secret, "base_nonce", context, 12, hpkeSuite)
        let sealed = try fileKey.withUnsafeBytes { plain in
            try ChaChaPoly.seal(
                Data(plain), using: SymmetricKey(data: key), nonce: try ChaChaPoly.Nonce(data: baseNonce),
                authenticating: Data(bundleID.utf8))
        }
        return BundleManifest.Recipient(
            keyID: recipient.boxID, enc: enc.base64EncodedString(),
            wrapped: (sealed.ciphertext + sealed.tag).base64EncodedString())
    }

    /// Unwraps the file key with this store's private key, from the recipient entry naming it.
    static func unwrap(_ recipient: BundleManifest.Recipient, with key: Curve25519.KeyAgreement.PrivateKey, bundleID: String) throws -> SymmetricKey {
        guard let enc = Data(base64Encoded: recipient.enc), let wrapped = Data(base64Encoded: recipient.wrapped) else {
            throw BundleError(tr("has a recipient entry that is not base64"))
        }
        do {
            var receiver = try HPKE.Recipient(privateKey: key, ciphersuite: suite, info: hpkeInfo, encapsulatedKey: enc)
            let plain = try receiver.open(wrapped, authenticating: Data(bundleID.utf8))
            guard plain.count == 32 else { throw BundleError(tr("has a wrapped key of the wrong size")) }
            return SymmetricKey(data: plain)
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError(tr("has a key wrapped for this store that does not open (altered after it was written?)"))
        }
    }

    /// Seals a gzip stream chunk by chunk as it is written.
    final class Sealer {
        private let key: SymmetricKey
        private var counter: UInt64 = 0
        private var buffer = [UInt8]()
        private let sink: ([UInt8]) throws -> Void

        init(key: SymmetricKey, sink: @escaping ([UInt8]) throws -> Void) {
            self.key = key
            self.sink = sink
            buffer.reserveCapacity(chunkSize)
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var start = 0
            while start < bytes.count {
                // A full chunk is sealed only once more bytes come: the last chunk carries the flag.
                if buffer.count == chunkSize { try seal(last: false) }
                let n = min(chunkSize - buffer.count, bytes.count - start)
                buffer.append(contentsOf: bytes[start..<start + n])
                start += n
            }
        }

        private func seal(last: Bool) throws {
            let box = try ChaChaPoly.seal(buffer, using: key, nonce: nonce(counter, last: last))
            counter += 1
            try sink(Array(box.ciphertext) + Array(box.tag))
            buffer.removeAll(keepingCapacity: true)
        }

        /// Seals what is left as the final chunk.
        func finish() throws {
            try seal(last: true)
        }
    }

    /// Opens a sealed payload chunk by chunk as it is read, handing the gzip bytes on.
    final class Opener {
        private let key: SymmetricKey
        private var counter: UInt64 = 0
        private var buffer = [UInt8]()

        init(key: SymmetricKey) {
            self.key = key
            buffer.reserveCapacity(chunkSize + tagSize)
        }

        /// Takes sealed bytes; `remaining` is how many sealed bytes follow these in the file.
        func write(_ bytes: Data, remaining: Int64, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            var start = bytes.startIndex
            while start < bytes.endIndex {
                if buffer.count == chunkSize + tagSize { try open(last: false, sink: sink) }
                let n = min(chunkSize + tagSize - buffer.count, bytes.endIndex - start)
                buffer.append(contentsOf: bytes[start..<start + n])
                start += n
            }
            if remaining == 0 { try open(last: true, sink: sink) }
        }

        private func open(last: Bool, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            guard buffer.count >= tagSize else { throw BundleError(tr("has an encrypted payload cut short")) }
            let plain: Data
            do {
                let box = try ChaChaPoly.SealedBox(
                    nonce: nonce(counter, last: last), ciphertext: buffer[0..<buffer.count - tagSize],
                    tag: buffer[(buffer.count - tagSize)...])
                plain = try ChaChaPoly.open(box, using: key)
            } catch {
                throw BundleError(tr("has an encrypted payload that does not open at chunk \(counter + 1) (altered, reordered or cut short after it was sealed)"))
            }
            counter += 1
            buffer.removeAll(keepingCapacity: true)
            try plain.withUnsafeBytes { try sink($0) }
        }
    }
}

/// A run of one device's own changes, signed by that device: every change from `firstSeq` to
/// `lastSeq` (a device numbers its changes without gaps), their canonical lines hashed in order.
///
/// The canonical line of a change is the line Fieldbook writes: members in the order `base`,
/// `device`, `fields`, `hlc`, `kind`, `op`, `record`, `seq`, no spaces outside `fields` and `base`,
/// whose text is kept as it came. The digest is the SHA-256 of the lines, each followed by `\n`.
/// The signature is Ed25519 over `fieldbook segment v1\nDEVICE\nFIRST\nLAST\nHEXDIGEST`.
public struct Segment: Sendable, Equatable, Codable {
    public var device: String
    public var firstSeq: Int64
    public var lastSeq: Int64
    public var sha256: String
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case device, sha256, signature
        case firstSeq = "first_seq"
        case lastSeq = "last_seq"
    }

    var count: Int64 { lastSeq - firstSeq + 1 }

    static func message(device: String, first: Int64, last: Int64, sha256: String) -> Data {
        Data("fieldbook segment v1\n\(device)\n\(first)\n\(last)\n\(sha256)".utf8)
    }

    static func make(device: String, first: Int64, last: Int64, digest: SHA256.Digest, keys: StoreKeys) -> Segment {
        let hex = RecordID.hex(Array(digest))
        let signature = keys.sign(message(device: device, first: first, last: last, sha256: hex))
        return Segment(device: device, firstSeq: first, lastSeq: last, sha256: hex, signature: signature.base64EncodedString())
    }

    func isSigned(by key: PublicKeys) -> Bool {
        guard let signature = Data(base64Encoded: signature) else { return false }
        return key.signingKey.isValidSignature(
            signature, for: Segment.message(device: device, first: firstSeq, last: lastSeq, sha256: sha256))
    }

    /// Writes the canonical line of a change.
    static func canonicalLine(
        device: String, seq: Int64, hlc: Int64, kind: String, record: String, op: String, fields: String, base: String,
        into line: inout [UInt8]
    ) {
        func text(_ s: String) { line.append(contentsOf: s.utf8) }
        text("{\"base\":")
        text(base)
        text(",\"device\":\"")
        text(device)
        text("\",\"fields\":")
        text(fields)
        text(",\"hlc\":")
        text(String(hlc))
        text(",\"kind\":\"")
        text(kind)
        text("\",\"op\":\"")
        text(op)
        text("\",\"record\":\"")
        text(record)
        text("\",\"seq\":")
        text(String(seq))
        text("}")
    }
}
