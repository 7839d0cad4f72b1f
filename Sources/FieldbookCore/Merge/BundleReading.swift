import Foundation

/// What a payload holds, counted as it is read, to check against its manifest.
struct PayloadTally {
    var changes = 0
    var counts: [String: Int] = [:]
    var ranges: [String: (first: Int64, last: Int64, count: Int)] = [:]
    var minHLC = Int64.max
    var maxHLC = Int64.min

    mutating func add(_ line: ChangeLine) {
        add(device: line.device, seq: line.seq, kind: line.kind.rawValue, hlc: line.hlc)
    }

    mutating func add(device: String, seq: Int64, kind: String, hlc: Int64) {
        changes += 1
        counts[kind, default: 0] += 1
        if let range = ranges[device] {
            ranges[device] = (min(range.first, seq), max(range.last, seq), range.count + 1)
        } else {
            ranges[device] = (seq, seq, 1)
        }
        minHLC = min(minHLC, hlc)
        maxHLC = max(maxHLC, hlc)
    }

    func check(against manifest: BundleManifest) throws {
        guard counts == manifest.counts.filter({ $0.value != 0 }) else {
            throw BundleError(tr("has a manifest whose counts per kind disagree with its payload"))
        }
        guard ranges.count == manifest.devices.count,
            manifest.devices.allSatisfy({ d in
                ranges[d.id].map { $0.first == d.firstSeq && $0.last == d.lastSeq && $0.count == d.count } ?? false
            })
        else {
            throw BundleError(tr("has a manifest whose device sequence ranges disagree with its payload"))
        }
        guard changes == 0 || (minHLC == manifest.minHLC && maxHLC == manifest.maxHLC) else {
            throw BundleError(tr("has a manifest whose clock range disagrees with its payload"))
        }
    }
}

/// The rules a bundle's changes meet together, beyond each change's own: no (device, seq) twice,
/// and a record id of one kind only, also where another change refers to it.
struct BundleChecks {
    private var seen: [RecordKey: Set<Int64>] = [:]
    private var kinds: [RecordKey: RecordKind] = [:]
    /// The last device's key and numbers: lines of one device come in runs.
    private var current: (device: String, key: RecordKey, seqs: Set<Int64>)?

    /// A record id as two integers: a million of them fit in a few tens of megabytes.
    struct RecordKey: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ id: String) {
            var high: UInt64 = 0, low: UInt64 = 0, n = 0
            for c in id.utf8 where c != 0x2D {
                let digit = UInt64(c <= 0x39 ? c &- 0x30 : c &- 0x57) & 0xF
                if n < 16 { high = high << 4 | digit } else { low = low << 4 | digit }
                n += 1
            }
            self.high = high
            self.low = low
        }
    }

    mutating func check(_ line: ChangeLine) throws(ChangeRules.Violation) {
        if current?.device != line.device {
            if let current { seen[current.key] = current.seqs }
            let key = RecordKey(line.device)
            current = (line.device, key, seen.removeValue(forKey: key) ?? [])
        }
        guard current!.seqs.insert(line.seq).inserted else {
            throw ChangeRules.Violation(
                field: "seq", text: "\(line.seq)",
                reason: tr("the bundle holds change \(line.seq) of device \(line.device) twice"))
        }
        let key = RecordKey(line.record)
        if let known = kinds.updateValue(line.kind, forKey: key), known != line.kind {
            throw ChangeRules.Violation(
                field: "record", text: line.record,
                reason: tr("it is a \(known.rawValue) earlier in the bundle; a record id belongs to one kind"))
        }
        for (name, value) in line.values {
            guard case .reference(let target)? = line.kind.field(name)?.type, let id = value.text,
                let known = kinds[RecordKey(id)], known != target
            else { continue }
            throw ChangeRules.Violation(field: name, value: value, reason: tr("it is a \(known.rawValue), not a \(target.rawValue)"))
        }
    }
}

/// Reads a bundle's payload change by change: every line parsed and checked by the rules every
/// change meets (ChangeRules) and those of a bundle (BundleChecks), then the whole payload checked
/// against the manifest. Memory stays bounded whatever the bundle's size.
enum BundleReading {
    static func forEachChange(
        _ envelope: BundleFile.Envelope, progress: (@Sendable (Int, Int) -> Void)?, parsers: Int = 1,
        _ body: (Int, ChangeLine) throws -> Void
    ) throws {
        var tally = PayloadTally()
        var checks = BundleChecks()
        let total = envelope.manifest.changes
        // Read and parsed on other threads (`parsers` of them), checked and handed on here, in order.
        try LinePipeline(envelope, parsers: parsers).forEach { batch in
            for (i, item) in batch.items.enumerated() {
                let number = batch.firstLine + i
                guard case .line(let line) = item else {
                    if case .refused(let error) = item { throw error }
                    continue
                }
                do throws(ChangeRules.Violation) {
                    try checks.check(line)
                } catch {
                    throw BundleError.refused(line: number, line.kind, error)
                }
                tally.add(line)
                try body(number, line)
                if number % 20_000 == 0 { progress?(number, total) }
            }
        }
        try tally.check(against: envelope.manifest)
        progress?(total, total)
    }
}

extension BundleError {
    /// A change the rules refuse: the line, the kind, the field, the value, and why.
    static func refused(line: Int, _ kind: RecordKind, _ violation: ChangeRules.Violation) -> BundleError {
        BundleError(tr("has a \(kind.rawValue) change at line \(line) whose \(violation.field) \(violation.value) is refused: \(violation.reason)"))
    }
}

/// Checks bundles without any store: the envelope, the payload's digest and sizes, every change line,
/// and the manifest's counts against the payload.
public enum BundleVerifier {
    /// Format 2 payloads are encrypted: without a store they are addressed to, only the envelope
    /// and manifest are judged (``BundleManifest/format`` says which); `verify --db` opens them.
    public static func verify(_ path: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> BundleManifest {
        let envelope = try BundleFile.open(path)
        if envelope.format == 2 {
            try BundleFile.checkSealedDigest(envelope)
            return envelope.manifest
        }
        // Nothing is written: every core parses.
        try BundleReading.forEachChange(
            envelope, progress: progress, parsers: min(4, ProcessInfo.processInfo.activeProcessorCount)) { _, _ in }
        return envelope.manifest
    }
}
