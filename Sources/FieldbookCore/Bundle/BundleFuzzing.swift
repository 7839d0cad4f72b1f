import Crypto
import Foundation

/// Entry points for the libFuzzer target `fieldbook-fuzz` (see Fuzz/README.md).
///
/// They run the reader's own code, in the order the reader runs it, so what the fuzzer meets is
/// what `fieldbook verify` and a merge meet. Fieldbook itself does not use them, and they change
/// nothing: the reader's code stays where it is (BundleFile, ChangeLineParser, ChangeRules,
/// BundleChecks, BundleReading). They are public because a release build cannot
/// `@testable import` the core.
public enum BundleFuzzing {
    /// Feeds `bytes` as payload lines, split at `\n` as `BundleFile.readLines` splits them, through
    /// exactly what `BundleReading.forEachChange` does with each line: `ChangeLineParser.parse`,
    /// `ChangeRules.check`, then one `BundleChecks` (and one `PayloadTally`) for the lines together.
    /// A piece after the last `\n` is fed too (readLines would refuse it as unterminated), so an
    /// input without any `\n` is one line. Stops at the first line refused, as the reader does.
    ///
    /// Returns how many lines were accepted.
    @discardableResult
    public static func checkLines(_ bytes: UnsafeRawBufferPointer) -> Int {
        var tally = PayloadTally()
        var checks = BundleChecks()
        var accepted = 0
        var start = 0
        repeat {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            // Nothing after a final `\n`: no more lines.
            if start == end, end == bytes.count, start > 0 { break }
            let line: ChangeLine
            do throws(ChangeLineParser.Failure) {
                line = try ChangeLineParser.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            } catch {
                break
            }
            do throws(ChangeRules.Violation) {
                try ChangeRules.check(
                    kind: line.kind, recordID: line.record, op: line.op, entries: line.entries, base: line.replaced,
                    version: line.version)
                try checks.check(line)
            } catch {
                break
            }
            tally.add(line)
            accepted += 1
            start = end + 1
        } while start <= bytes.count
        return accepted
    }

    /// Builds the bytes of a bundle from a manifest template and a raw (uncompressed) payload, with
    /// every digest and size right, so that fuzzed manifests and payload lines get past the SHA-256
    /// checks to the rest of the reader. In `template`, `@C` becomes the compressed payload size,
    /// `@R` the raw size and `@H` the payload's SHA-256 in lowercase hex; the header (magic, version
    /// 1, manifest length, manifest SHA-256) and the empty signature trailer are added around it.
    ///
    /// A payload that starts with the gzip magic `1F 8B` is taken as already compressed, so the
    /// inflater meets damaged, concatenated and oversized gzip streams too; `@R` is then the number
    /// of bytes it inflates to before it ends or fails (at most what a reader would accept).
    ///
    /// Returns nil when the template is empty or longer than a manifest may be.
    public static func seal(manifestTemplate template: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> [UInt8]? {
        var compressed = [UInt8]()
        var rawSize = payload.count
        do {
            if payload.starts(with: [0x1F, 0x8B]) {
                compressed = Array(payload)
                let inflater = try GzipInflater(limit: compressed.count * 1100 + 1024)
                try? inflater.write(payload) { _ in }
                rawSize = inflater.produced
            } else {
                let deflater = try GzipDeflater(level: 1) { compressed.append(contentsOf: $0) }
                try deflater.write(Array(payload))
                try deflater.finish()
            }
        } catch {
            return nil
        }
        let digest = BundleFile.hex(Array(SHA256.hash(data: compressed)))
        var manifest = [UInt8]()
        manifest.reserveCapacity(template.count + 64)
        var i = 0
        while i < template.count {
            if template[i] == UInt8(ascii: "@"), i + 1 < template.count {
                let replacement: String? =
                    switch template[i + 1] {
                    case UInt8(ascii: "C"): String(compressed.count)
                    case UInt8(ascii: "R"): String(rawSize)
                    case UInt8(ascii: "H"): digest
                    default: nil
                    }
                if let replacement {
                    manifest.append(contentsOf: replacement.utf8)
                    i += 2
                    continue
                }
            }
            manifest.append(template[i])
            i += 1
        }
        guard !manifest.isEmpty, manifest.count <= BundleFile.maxManifestSize else { return nil }
        var bytes = BundleFile.magic
        bytes += [UInt8(BundleFile.formatVersion >> 8), UInt8(BundleFile.formatVersion & 0xFF)]
        let length = UInt32(manifest.count)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        bytes += Array(SHA256.hash(data: manifest))
        bytes += manifest
        bytes += compressed
        bytes += [0, 0, 0, 0]
        return bytes
    }
}
