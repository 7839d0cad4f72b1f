import Foundation

/// What a payload holds, counted as it is read, to check against its manifest.
struct PayloadTally {
    var changes = 0
    var counts: [String: Int] = [:]
    var ranges: [String: (first: Int64, last: Int64, count: Int)] = [:]
    var minHLC = Int64.max
    var maxHLC = Int64.min

    mutating func add(_ line: ChangeLine) {
        changes += 1
        counts[line.kind.rawValue, default: 0] += 1
        if let range = ranges[line.device] {
            ranges[line.device] = (min(range.first, line.seq), max(range.last, line.seq), range.count + 1)
        } else {
            ranges[line.device] = (line.seq, line.seq, 1)
        }
        minHLC = min(minHLC, line.hlc)
        maxHLC = max(maxHLC, line.hlc)
    }

    func check(against manifest: BundleManifest) throws {
        guard counts == manifest.counts.filter({ $0.value != 0 }) else {
            throw BundleError("has a manifest whose counts per kind disagree with its payload")
        }
        guard ranges.count == manifest.devices.count,
            manifest.devices.allSatisfy({ d in
                ranges[d.id].map { $0.first == d.firstSeq && $0.last == d.lastSeq && $0.count == d.count } ?? false
            })
        else {
            throw BundleError("has a manifest whose device sequence ranges disagree with its payload")
        }
        guard changes == 0 || (minHLC == manifest.minHLC && maxHLC == manifest.maxHLC) else {
            throw BundleError("has a manifest whose clock range disagrees with its payload")
        }
    }
}

/// Reads a bundle's payload change by change: every line parsed and checked, then the whole
/// payload checked against the manifest. Memory stays bounded whatever the bundle's size.
enum BundleReading {
    static func forEachChange(
        _ envelope: BundleFile.Envelope, progress: (@Sendable (Int, Int) -> Void)?,
        _ body: (Int, ChangeLine) throws -> Void
    ) throws {
        var tally = PayloadTally()
        let total = envelope.manifest.changes
        try BundleFile.readLines(envelope) { number, bytes in
            let line: ChangeLine
            do throws(ChangeLineParser.Failure) {
                line = try ChangeLineParser.parse(bytes)
            } catch {
                throw BundleError("has a change at line \(number) that \(error.reason)")
            }
            tally.add(line)
            try body(number, line)
            if number % 20_000 == 0 { progress?(number, total) }
        }
        try tally.check(against: envelope.manifest)
        progress?(total, total)
    }
}

/// Checks bundles without any store: the envelope, the payload's digest and sizes, every change line,
/// and the manifest's counts against the payload.
public enum BundleVerifier {
    public static func verify(_ path: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> BundleManifest {
        let envelope = try BundleFile.open(path)
        try BundleReading.forEachChange(envelope, progress: progress) { _, _ in }
        return envelope.manifest
    }
}
