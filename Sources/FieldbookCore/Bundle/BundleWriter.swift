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

    /// Format 2: the payload is sealed under `fileKey`, and the header signed by `sign`.
    struct Sealing {
        var fileKey: SymmetricKey
        /// Signs `fieldbook bundle v2\n` + the 46 header bytes (the packer's key).
        var sign: (Data) -> Data
    }

    /// Writes `fileName` into `directory`. `lines` feeds change lines (without newline) to its
    /// argument; `manifest` builds the manifest once the payload's sizes and digest are known.
    ///
    /// A folder that cannot take the bundle (a file in its place, a full or write-protected
    /// stick) fails with ``FieldbookError/bundleNotWritten(folder:reason:)``, and leaves nothing
    /// behind: no temporary file, and no folder this call made.
    static func write(
        directory: String, fileName: String,
        lines: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        sealing: Sealing? = nil,
        manifest: (PayloadSummary) throws -> BundleManifest
    ) throws -> (path: String, manifest: BundleManifest) {
        let made: [String]
        do {
            made = try OutputFolder.make(directory)
        } catch let fault as FileFault {
            throw notWritten(directory, fault)
        }
        var finished = false
        defer { if !finished { OutputFolder.unmake(made) } }
        let names = BundleLeftovers.temporaryNames(for: fileName)
        let finalPath = (directory as NSString).appendingPathComponent(fileName)
        let payloadPath = (directory as NSString).appendingPathComponent(names.payload)
        let envelopePath = (directory as NSString).appendingPathComponent(names.envelope)
        defer {
            unlink(payloadPath)
            unlink(envelopePath)
        }
        do {
            let result = try write(
                finalPath: finalPath, payloadPath: payloadPath, envelopePath: envelopePath, lines: lines,
                sealing: sealing, manifest: manifest)
            OutputFolder.sync(directory)
            finished = true
            return result
        } catch let fault as FileFault {
            throw notWritten(directory, fault)
        }
    }

    static func notWritten(_ directory: String, _ fault: FileFault) -> FieldbookError {
        var reason = fault.reason(folder: directory)
        if fault.code == ENOTDIR, fault.path != directory {
            reason = tr("\(fault.path) is a file, not a folder")
        }
        return .bundleNotWritten(folder: directory, reason: reason)
    }

    private static func write(
        finalPath: String, payloadPath: String, envelopePath: String,
        lines: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
        sealing: Sealing?,
        manifest: (PayloadSummary) throws -> BundleManifest
    ) throws -> (path: String, manifest: BundleManifest) {
        let payload = try RawFile(creating: payloadPath)
        var hasher = SHA256()
        var compressedSize: Int64 = 0
        var rawSize: Int64 = 0
        func store(_ bytes: [UInt8]) throws {
            hasher.update(data: bytes)
            compressedSize += Int64(bytes.count)
            try payload.write(bytes)
        }
        let sealer = sealing.map { BundleCrypto.Sealer(key: $0.fileKey, sink: store) }
        let deflater = try GzipDeflater { bytes in
            if let sealer {
                try bytes.withUnsafeBytes { try sealer.write($0) }
            } else {
                try store(bytes)
            }
        }
        // Compressed, sealed, digested and written on another thread while the next lines are read.
        let pipe = BackgroundPipe { try deflater.write($0) }
        var finished = false
        defer { if !finished { try? pipe.finish() } }
        var batch = [UInt8]()
        batch.reserveCapacity(1 << 17)
        try lines { line in
            batch.append(contentsOf: line)
            batch.append(0x0A)
            rawSize += Int64(line.count + 1)
            if batch.count >= 1 << 16 {
                try pipe.send(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try pipe.send(batch)
        finished = true
        try pipe.finish()
        try deflater.finish()
        try sealer?.finish()

        let summary = PayloadSummary(
            rawSize: rawSize, compressedSize: compressedSize, sha256: BundleFile.hex(Array(hasher.finalize())))
        let manifest = try manifest(summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let manifestData = try encoder.encode(manifest)

        var header = BundleFile.magic
        header += [UInt8(manifest.format >> 8), UInt8(manifest.format & 0xFF)]
        let length = UInt32(manifestData.count)
        header += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        header += Array(SHA256.hash(data: manifestData))

        let out = try RawFile(creating: envelopePath)
        try out.write(header)
        try out.write(manifestData)
        try payload.rewind()
        while true {
            let chunk = try payload.read(upTo: 1 << 20)
            if chunk.isEmpty { break }
            try out.write(chunk)
        }
        if let sealing {
            let signature = sealing.sign(BundleCrypto.bundleContext + Data(header))
            try out.write([0, 0, 0, UInt8(signature.count)] as [UInt8])
            try out.write([UInt8](signature))
        } else {
            try out.write([0, 0, 0, 0] as [UInt8])
        }
        try out.sync()
        try out.close()
        try payload.close()
        guard rename(envelopePath, finalPath) == 0 else {
            let code = errno
            if code == ENOENT, OutputFolder.isFolder(FilePaths.folder(of: finalPath)) {
                // Another pack took it for a leftover (its writer looked gone): nothing is lost.
                throw FieldbookError.bundleNotWritten(
                    folder: FilePaths.folder(of: finalPath),
                    reason: tr("its temporary file was removed while it was being written (by another pack that took it for a leftover?); pack again"))
            }
            throw FileFault(code, path: finalPath)
        }
        return (finalPath, manifest)
    }
}

/// Hands batches of bytes to a thread of their own, in order, at most a few in flight: pack
/// compresses (and seals, digests and writes) one batch while the next is read from the store and
/// spelled. A failure there (a full disk) is thrown at the next batch handed over, or at the end.
final class BackgroundPipe: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [[UInt8]] = []
    private var closed = false
    private var done = false
    private var failure: (any Error)?
    private let work: ([UInt8]) throws -> Void
    private static let inFlight = 8

    init(_ work: @escaping ([UInt8]) throws -> Void) {
        self.work = work
        Thread.detachNewThread { [self] in run() }
    }

    func send(_ bytes: [UInt8]) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.inFlight && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(bytes)
        condition.broadcast()
    }

    /// Waits until every batch is done (or the first failure), and throws that failure.
    func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        if let failure { throw failure }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let next = queue.removeFirst()
            let failed = failure != nil
            condition.broadcast()
            condition.unlock()
            // After a failure the rest is dropped: the caller is told and writes nothing more.
            guard !failed else { continue }
            do {
                try work(next)
            } catch {
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
