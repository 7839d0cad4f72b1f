import Crypto
import Foundation

/// Why a bundle file was refused; the message names what is wrong with it.
public struct BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The bundle envelope, format 1.
///
/// ```
/// magic      8 bytes   89 46 42 4E 44 0D 0A 1A   ("\x89FBND\r\n\x1A")
/// version    2 bytes   big-endian, 1
/// length     4 bytes   big-endian, manifest length in bytes (at most 1 MiB)
/// digest    32 bytes   SHA-256 of the manifest bytes
/// manifest   length    JSON, UTF-8 (BundleManifest)
/// payload    manifest.payload.compressed_size bytes: gzip of JSON lines, one change per line
/// trailer    4 bytes   big-endian signature length (0 in format 1), then that many bytes
/// ```
/// The file ends exactly there; anything shorter or longer is refused.
public enum BundleFile {
    public static let magic: [UInt8] = [0x89, 0x46, 0x42, 0x4E, 0x44, 0x0D, 0x0A, 0x1A]
    /// The format a store writes without keys to encrypt with (and every reader still reads).
    public static let formatVersion: UInt16 = 1
    /// Signed and encrypted (bundles/FORMAT.md, "Format 2").
    public static let signedFormatVersion: UInt16 = 2
    static let headerSize = 8 + 2 + 4 + 32
    static let maxManifestSize = 1 << 20
    /// Format 2 manifests list signed segments and may carry the trust list: room for more.
    static let maxSignedManifestSize = 16 << 20
    static let signatureSize = 64
    /// The longest change line a reader accepts; a longer one is refused, keeping memory bounded.
    static let maxLineSize = 1 << 20
    /// The largest payload a reader inflates, whatever a manifest declares.
    static let maxRawSize: Int64 = 64 << 30
    /// The file name extension.
    public static let fileExtension = "fbundle"

    /// An opened bundle: its manifest read and checked, its payload not yet read.
    public struct Envelope: Sendable {
        public var path: String
        public var manifest: BundleManifest
        public var fileSize: Int64
        var payloadOffset: Int64
        /// 1 or 2.
        public var format: Int { manifest.format }
        /// The first 46 bytes (magic, version, manifest length and digest): what a packer signs.
        var header: [UInt8] = []
        /// Format 2: the packer's signature from the trailer.
        var packerSignature: Data?
        /// Format 2: the file key, once a store has unwrapped it; the payload cannot be read before.
        var fileKey: Data?
    }

    /// Reads and checks everything but the payload: magic, version, manifest digest, sizes.
    public static func open(_ path: String) throws -> Envelope {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw BundleError(tr("does not exist"))
        }
        if isDirectory.boolValue { throw BundleError(tr("is a folder, not a bundle")) }
        // Only a regular file is opened: reading a named pipe or a terminal device would wait for
        // ever for someone to write to it.
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw BundleError(tr("is not a regular file (a named pipe or a device?), not a bundle"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BundleError(tr("cannot be read")) }
        defer { try? handle.close() }
        let fileSize = Int64((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        let header = [UInt8]((try? handle.read(upToCount: headerSize)) ?? Data())
        guard header.count >= 8, Array(header[0..<8]) == magic else {
            if header.starts(with: [0x1F, 0x8B]) {
                throw BundleError(tr("is a bare gzip file, not a Fieldbook bundle"))
            }
            throw BundleError(tr("is not a Fieldbook bundle (its first bytes are not the bundle magic number)"))
        }
        guard header.count == headerSize else { throw BundleError(tr("is truncated inside its header")) }
        let version = UInt16(header[8]) << 8 | UInt16(header[9])
        guard version == formatVersion || version == signedFormatVersion else {
            if version > signedFormatVersion {
                throw BundleError(tr("uses bundle format \(version); this fieldbook reads formats 1 and 2. Update fieldbook to merge it"))
            }
            throw BundleError(tr("declares bundle format \(version), which does not exist"))
        }
        let length = header[10..<14].reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= (version == 1 ? maxManifestSize : maxSignedManifestSize) else {
            throw BundleError(tr("declares a manifest of \(length) bytes, which no bundle has"))
        }
        guard let manifestData = try? handle.read(upToCount: length), manifestData.count == length else {
            throw BundleError(tr("is truncated inside its manifest"))
        }
        guard Array(SHA256.hash(data: manifestData)) == Array(header[14..<46]) else {
            throw BundleError(tr("has a damaged manifest (its SHA-256 does not match)"))
        }
        if version == 1, let object = try? JSONSerialization.jsonObject(with: manifestData) as? [String: Any],
            !((object["encryption"].map { $0 is NSNull } ?? true) && (object["signature"].map { $0 is NSNull } ?? true))
        {
            throw BundleError(tr("is a format 1 bundle whose manifest says it is encrypted or signed, which format 1 never is"))
        }
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: manifestData)
        } catch {
            throw BundleError(tr("has a manifest that is not valid bundle JSON"))
        }
        guard manifest.format == Int(version) else {
            throw BundleError(tr("has manifest format \(manifest.format) inside a format \(version) envelope"))
        }
        guard manifest.payload.encoding == "jsonl", manifest.payload.compression == "gzip" else {
            throw BundleError(tr("uses payload \(manifest.payload.encoding)+\(manifest.payload.compression); this fieldbook reads jsonl+gzip"))
        }
        if version == 1 {
            guard manifest.encryption == nil, manifest.signature == nil else {
                throw BundleError(tr("is a format 1 bundle that says it is encrypted or signed, which format 1 never is"))
            }
        }
        try manifest.check()
        let p = manifest.payload
        let payloadOffset = Int64(headerSize + length)
        // Sizes come from the file: compare before any arithmetic, so no value can overflow.
        guard p.compressedSize <= fileSize - payloadOffset - 4 else {
            let (end, overflow) = (payloadOffset + 4).addingReportingOverflow(p.compressedSize)
            throw BundleError(tr("is truncated: \(Int(fileSize), "byte") where the manifest makes at least \(overflow ? tr("more than \(Int64.max)") : String(end)). Copy it again from the laptop"))
        }
        guard p.rawSize <= p.compressedSize * 1100 + 1024 else {
            throw BundleError(tr("declares impossible payload sizes (\(p.rawSize) bytes raw from \(p.compressedSize) compressed)"))
        }
        let trailerOffset = payloadOffset + p.compressedSize
        try? handle.seek(toOffset: UInt64(trailerOffset))
        let trailer = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        let signatureLength = Int64(trailer.reduce(0) { $0 << 8 | Int($1) })
        let expected = version == 1 ? 0 : Int64(signatureSize)
        guard trailer.count == 4, signatureLength == expected else {
            throw BundleError(
                version == 1 ? tr("has a signature block, which format 1 does not allow")
                    : tr("has a signature block of \(signatureLength) bytes where format 2 has \(signatureSize)"))
        }
        guard fileSize == trailerOffset + 4 + expected else {
            if fileSize < trailerOffset + 4 + expected { throw BundleError(tr("is truncated inside its signature. Copy it again from the laptop")) }
            throw BundleError(tr("has unexpected bytes after its end (\(Int(fileSize - trailerOffset - 4 - expected), "byte"))"))
        }
        var envelope = Envelope(path: path, manifest: manifest, fileSize: fileSize, payloadOffset: payloadOffset)
        envelope.header = header
        if version == 2 {
            guard let signature = try? handle.read(upToCount: signatureSize), signature.count == signatureSize else {
                throw BundleError(tr("is truncated inside its signature. Copy it again from the laptop"))
            }
            envelope.packerSignature = signature
        }
        return envelope
    }

    /// Streams the payload's change lines to `body` (1-based line number, the line's bytes), checking
    /// the payload's digest, sizes and line count against the manifest. Memory stays bounded.
    public static func readLines(
        _ envelope: Envelope, _ body: (Int, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard let handle = FileHandle(forReadingAtPath: envelope.path) else { throw BundleError(tr("cannot be read")) }
        defer { try? handle.close() }
        let p = envelope.manifest.payload
        try handle.seek(toOffset: UInt64(envelope.payloadOffset))
        var hasher = SHA256()
        let inflater = try GzipInflater(limit: Int(p.rawSize))
        var opener: BundleCrypto.Opener?
        if envelope.format == 2 {
            guard let key = envelope.fileKey else { throw BundleError(tr("is encrypted; only a store it is addressed to can read it")) }
            opener = BundleCrypto.Opener(key: SymmetricKey(data: key))
        }
        var pending = [UInt8]()
        pending.reserveCapacity(1 << 16)
        var lineNumber = 0
        var remaining = p.compressedSize
        func consume(_ chunk: UnsafeRawBufferPointer) throws {
            guard let base = chunk.baseAddress else { return }
            var start = 0
            // memchr finds the line ends: fast in any build.
            while start < chunk.count, let found = memchr(base + start, 0x0A, chunk.count - start) {
                let i = base.distance(to: UnsafeRawPointer(found))
                lineNumber += 1
                if pending.isEmpty {
                    try body(lineNumber, UnsafeRawBufferPointer(rebasing: chunk[start..<i]))
                } else {
                    pending.append(contentsOf: chunk[start..<i])
                    try pending.withUnsafeBytes { try body(lineNumber, $0) }
                    pending.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if start < chunk.count {
                pending.append(contentsOf: chunk[start...])
                if pending.count > maxLineSize {
                    throw BundleError(tr("has a change line longer than \(maxLineSize) bytes at line \(lineNumber + 1)"))
                }
            }
        }
        do {
            while remaining > 0 {
                let want = Int(min(remaining, 1 << 16))
                guard let data = try handle.read(upToCount: want), !data.isEmpty else {
                    throw BundleError(tr("is truncated inside its payload"))
                }
                remaining -= Int64(data.count)
                hasher.update(data: data)
                if let opener {
                    try opener.write(data, remaining: remaining) { plain in try inflater.write(plain, sink: consume) }
                } else {
                    try data.withUnsafeBytes { try inflater.write($0, sink: consume) }
                }
            }
            try inflater.finish()
        } catch let error as BundleError {
            // A line is judged as it streams, before the payload's digest is known: when the rest of
            // the payload shows it was damaged in transit, say that, not what the damage looked like.
            while remaining > 0, let data = try? handle.read(upToCount: Int(min(remaining, 1 << 16))), !data.isEmpty {
                remaining -= Int64(data.count)
                hasher.update(data: data)
            }
            if remaining == 0, hex(Array(hasher.finalize())) != p.sha256 {
                throw BundleError(tr("has a damaged payload (its SHA-256 does not match the manifest)"))
            }
            throw error
        } catch let error as GzipError {
            // A damaged payload shows first as bad compression; name the digest when it also fails.
            let digest = hex(Array(hasher.finalize()))
            if remaining == 0, digest != p.sha256 {
                throw BundleError(tr("has a damaged payload (its SHA-256 does not match the manifest)"))
            }
            throw BundleError(tr("has a damaged payload: \(error.description)"))
        }
        guard hex(Array(hasher.finalize())) == p.sha256 else {
            throw BundleError(tr("has a damaged payload (its SHA-256 does not match the manifest)"))
        }
        guard pending.isEmpty else { throw BundleError(tr("has a payload whose last line is not terminated")) }
        guard Int64(inflater.produced) == p.rawSize else {
            throw BundleError(tr("has a payload of \(Int(inflater.produced), "byte") where the manifest says \(p.rawSize)"))
        }
        guard lineNumber == envelope.manifest.changes else {
            throw BundleError(tr("has the wrong number of changes where the manifest says \(envelope.manifest.changes): its payload holds \(lineNumber)"))
        }
    }

    /// Format 2 without a key: the sealed payload's SHA-256 against the manifest, which needs no key
    /// (the payload's contents are checked by a store it is addressed to).
    static func checkSealedDigest(_ envelope: Envelope) throws {
        guard let handle = FileHandle(forReadingAtPath: envelope.path) else { throw BundleError(tr("cannot be read")) }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(envelope.payloadOffset))
        var hasher = SHA256()
        var remaining = envelope.manifest.payload.compressedSize
        while remaining > 0 {
            guard let data = try handle.read(upToCount: Int(min(remaining, 1 << 20))), !data.isEmpty else {
                throw BundleError(tr("is truncated inside its payload"))
            }
            remaining -= Int64(data.count)
            hasher.update(data: data)
        }
        guard hex(Array(hasher.finalize())) == envelope.manifest.payload.sha256 else {
            throw BundleError(tr("has a damaged payload (its SHA-256 does not match the manifest)"))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { RecordID.hex(bytes) }
}
