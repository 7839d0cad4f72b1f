import CZlibSys
import Foundation

/// Why zlib refused.
struct GzipError: Error, CustomStringConvertible {
    var description: String
}

/// Compresses a stream into the gzip container (RFC 1952), so `zcat` can read a bundle's payload.
final class GzipDeflater {
    private var stream = z_stream()
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private let sink: ([UInt8]) throws -> Void
    private var finished = false

    /// `sink` receives the compressed bytes as they come.
    init(level: Int32 = 6, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(description: tr("zlib could not start compressing (\(status))")) }
    }

    deinit { deflateEnd(&stream) }

    func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            try pump(flush: Z_NO_FLUSH)
        }
    }

    /// Flushes what is left and writes the gzip trailer.
    func finish() throws {
        guard !finished else { return }
        finished = true
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
    }

    private func pump(flush: Int32) throws {
        repeat {
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, flush)
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw GzipError(description: tr("zlib failed while compressing (\(status))"))
            }
            let produced = buffer.count - Int(stream.avail_out)
            if produced > 0 { try sink(Array(buffer[..<produced])) }
            if flush == Z_FINISH && status == Z_STREAM_END { return }
        } while stream.avail_out == 0 || (flush == Z_FINISH)
    }
}

/// Inflates a gzip stream chunk by chunk, refusing to produce more than `limit` bytes.
///
/// The limit is what keeps a decompression bomb from exhausting memory or disk: output is handed
/// on in 64 KiB pieces and counted, and inflating stops as soon as the count passes the limit.
final class GzipInflater {
    private var stream = z_stream()
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private let limit: Int
    private(set) var produced = 0
    private(set) var ended = false

    init(limit: Int) throws {
        self.limit = limit
        let status = inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(description: tr("zlib could not start inflating (\(status))")) }
    }

    deinit { inflateEnd(&stream) }

    /// Feeds compressed bytes; `sink` gets the inflated bytes. Data after the gzip end is an error.
    func write(_ bytes: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard bytes.count > 0 else { return }
        if ended { throw GzipError(description: tr("there are bytes after the end of the compressed payload")) }
        stream.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(bytes.count)
        while stream.avail_in > 0 || !ended {
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let count = buffer.count - Int(stream.avail_out)
            produced += count
            if produced > limit {
                throw GzipError(description: tr("the payload inflates past its declared size"))
            }
            if count > 0 { try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<count])) } }
            switch status {
            case Z_STREAM_END:
                ended = true
                if stream.avail_in > 0 {
                    throw GzipError(description: tr("there are bytes after the end of the compressed payload"))
                }
                return
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out > 0 { return }
            case Z_BUF_ERROR:
                return
            default:
                throw GzipError(description: tr("the compressed payload is damaged"))
            }
        }
    }

    /// Throws when the stream stopped before its gzip trailer.
    func finish() throws {
        guard ended else { throw GzipError(description: tr("the compressed payload ends too early")) }
    }
}
