import Crypto
import Foundation

/// Writes a bundle file atomically: payload and envelope go to hidden temporary files in the target
/// folder, the finished file is flushed to disk, then renamed into place, and the folder flushed.
/// A yanked stick or a power cut leaves either no bundle or a whole one, never half of one.
enum BundleWriter {
    struct PayloadSummary {
        var rawSize: Int64
        var compressedSize: Int64
        var sha256: String
    }

    /// Writes `fileName` into `directory`. `lines` feeds change lines (without newline) to its
    /// argument; `manifest` builds the manifest once the payload's sizes and digest are known.
    static func write(
        directory: String, fileName: String,
        lines: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        manifest: (PayloadSummary) throws -> BundleManifest
    ) throws -> (path: String, manifest: BundleManifest) {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let finalPath = (directory as NSString).appendingPathComponent(fileName)
        let payloadPath = (directory as NSString).appendingPathComponent(".\(fileName).payload.tmp")
        let envelopePath = (directory as NSString).appendingPathComponent(".\(fileName).tmp")
        defer {
            try? fm.removeItem(atPath: payloadPath)
            try? fm.removeItem(atPath: envelopePath)
        }
        guard fm.createFile(atPath: payloadPath, contents: nil),
            let payload = FileHandle(forUpdatingAtPath: payloadPath)
        else { throw BundleError("cannot be written in \(directory)") }
        defer { try? payload.close() }

        var hasher = SHA256()
        var compressedSize: Int64 = 0
        var rawSize: Int64 = 0
        let deflater = try GzipDeflater { bytes in
            hasher.update(data: bytes)
            compressedSize += Int64(bytes.count)
            try payload.write(contentsOf: bytes)
        }
        var batch = [UInt8]()
        batch.reserveCapacity(1 << 17)
        try lines { line in
            batch.append(contentsOf: line)
            batch.append(0x0A)
            rawSize += Int64(line.count + 1)
            if batch.count >= 1 << 16 {
                try deflater.write(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try deflater.write(batch)
        try deflater.finish()

        let summary = PayloadSummary(
            rawSize: rawSize, compressedSize: compressedSize, sha256: BundleFile.hex(Array(hasher.finalize())))
        let manifest = try manifest(summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let manifestData = try encoder.encode(manifest)

        var header = BundleFile.magic
        header += [UInt8(BundleFile.formatVersion >> 8), UInt8(BundleFile.formatVersion & 0xFF)]
        let length = UInt32(manifestData.count)
        header += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        header += Array(SHA256.hash(data: manifestData))

        guard fm.createFile(atPath: envelopePath, contents: nil),
            let out = FileHandle(forWritingAtPath: envelopePath)
        else { throw BundleError("cannot be written in \(directory)") }
        defer { try? out.close() }
        try out.write(contentsOf: header)
        try out.write(contentsOf: manifestData)
        try payload.seek(toOffset: 0)
        while let chunk = try payload.read(upToCount: 1 << 20), !chunk.isEmpty {
            try out.write(contentsOf: chunk)
        }
        try out.write(contentsOf: [0, 0, 0, 0] as [UInt8])
        try out.synchronize()
        try out.close()
        guard rename(envelopePath, finalPath) == 0 else {
            throw BundleError("could not be moved into place at \(finalPath)")
        }
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return (finalPath, manifest)
    }
}
