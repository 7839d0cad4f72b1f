import Foundation

/// What a payload holds, counted as it is read, to check against its manifest.
struct PayloadTally {
    typealias Range = (first: Int64, last: Int64, count: Int)
    var changes = 0
    var minHLC = Int64.max
    var maxHLC = Int64.min
    /// Changes per kind: those of a kind this reader knows by its place in ``RecordKind/allCases``.
    private var byKind = [Int](repeating: 0, count: RecordKind.allCases.count)
    private var otherKinds: [String: Int] = [:]
    private var otherRanges: [String: Range] = [:]
    /// The last device's range: lines of one device come in runs.
    private var current: (device: String, range: Range)?

    /// Changes per kind, kinds without any left out.
    var counts: [String: Int] {
        var counts = otherKinds
        for kind in RecordKind.allCases where byKind[kind.ordinal] > 0 { counts[kind.rawValue, default: 0] += byKind[kind.ordinal] }
        return counts
    }

    /// Each device's sequence numbers: the lowest, the highest, how many.
    var ranges: [String: Range] {
        var ranges = otherRanges
        if let current { ranges[current.device] = current.range }
        return ranges
    }

    mutating func add(_ line: ChangeLine) {
        byKind[line.kind.ordinal] += 1
        add(device: line.device, seq: line.seq, hlc: line.hlc)
    }

    mutating func add(device: String, seq: Int64, kind: String, hlc: Int64) {
        if let known = RecordKind(rawValue: kind) { byKind[known.ordinal] += 1 } else { otherKinds[kind, default: 0] += 1 }
        add(device: device, seq: seq, hlc: hlc)
    }

    private mutating func add(device: String, seq: Int64, hlc: Int64) {
        changes += 1
        if current?.device != device {
            if let current { otherRanges[current.device] = current.range }
            current = (device, otherRanges.removeValue(forKey: device) ?? (seq, seq, 0))
        }
        let range = current!.range
        current!.range = (min(range.first, seq), max(range.last, seq), range.count + 1)
        minHLC = min(minHLC, hlc)
        maxHLC = max(maxHLC, hlc)
    }

    func check(against manifest: BundleManifest) throws {
        guard counts == manifest.counts.filter({ $0.value != 0 }) else {
            throw BundleError(tr("has a manifest whose counts per kind disagree with its payload"))
        }
        let ranges = ranges
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
    private var seen: [RecordKey: Sequences] = [:]
    private var kinds: [RecordKey: RecordKind] = [:]

    init() {}

    /// Room made at once for the ids of `records` changes, so that the table of kinds is not grown
    /// and copied again and again as they come (on a parser's thread, each copy left behind in its
    /// own memory arena).
    init(records: Int) {
        kinds.reserveCapacity(records)
    }
    /// Ids of `kinds` met lately, by their last bits: a reference names the same round (or
    /// village) line after line, and a look-up here hashes nothing. Each agrees with `kinds`.
    private var recent = [(key: RecordKey, kind: RecordKind)?](repeating: nil, count: 64)
    /// The last device's key and numbers: lines of one device come in runs.
    private var current: (device: String, key: RecordKey, seqs: Sequences)?

    /// A device's sequence numbers seen: those from `low` to `high` as two numbers (a device's lines
    /// mostly come in order), any other in a set.
    struct Sequences {
        private var low: Int64 = 1
        private var high: Int64 = 0
        private var others: Set<Int64> = []

        /// Adds `seq`; false when it was there already.
        mutating func insert(_ seq: Int64) -> Bool {
            if seq >= low && seq <= high { return false }
            if high < low {
                low = seq
                high = seq
                return true
            }
            if seq > high && seq - high == 1 && (others.isEmpty || !others.contains(seq)) {
                high = seq
                return true
            }
            return others.insert(seq).inserted
        }
    }

    /// A record id as two integers: a million of them fit in a few tens of megabytes.
    struct RecordKey: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ id: String) {
            var id = id
            self = id.withUTF8 { RecordKey($0) }
        }

        /// Eight lowercase hex digits, the first in the lowest byte (as loaded on a little-endian
        /// machine), as the number they spell: the same value the digit-by-digit reading gives.
        static func digits(_ x: UInt64) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            // Each byte's digit: its low four bits, plus 9 for `a`–`f` (bit 6 set).
            var v = ((x & (ones &* 0x0F)) &+ ((x >> 6) & ones) &* 9).byteSwapped
            v = (v | v >> 4) & 0x00FF_00FF_00FF_00FF
            v = (v | v >> 8) & 0x0000_FFFF_0000_FFFF
            return (v | v >> 16) & 0xFFFF_FFFF
        }

        /// Its place in ``BundleChecks``' table of recent ids.
        var slot: Int { Int(truncatingIfNeeded: low & 63) }

        init(_ utf8: UnsafeBufferPointer<UInt8>) {
            if utf8.count == 36, let p = utf8.baseAddress, ChangeRules.isID(UnsafeRawPointer(p)) {
                // A lowercase UUID (what every id of a sound change is): its 32 digits, eight at a time.
                func load32(_ at: Int) -> UInt64 { UInt64(UInt32(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
                self.high = Self.digits(load32(0) | load32(4) << 32) << 32 | Self.digits(load32(9) | load32(14) << 32)
                self.low = Self.digits(load32(19) | load32(24) << 32) << 32 | Self.digits(load32(28) | load32(32) << 32)
                return
            }
            var high: UInt64 = 0, low: UInt64 = 0, n = 0
            for c in utf8 where c != 0x2D {
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
            current = (line.device, key, seen.removeValue(forKey: key) ?? Sequences())
        }
        guard current!.seqs.insert(line.seq) else {
            throw ChangeRules.Violation(
                field: "seq", text: "\(line.seq)",
                reason: tr("the bundle holds change \(line.seq) of device \(line.device) twice"))
        }
        let record = line.recordKey
        if recent[record.slot] != nil { recent[record.slot] = (record, line.kind) }
        if let known = kinds.updateValue(line.kind, forKey: record), known != line.kind {
            throw ChangeRules.Violation(
                field: "record", text: line.record,
                reason: tr("it is a \(known.rawValue) earlier in the bundle; a record id belongs to one kind"))
        }
        for entry in line.entries where entry.spec >= 0 {
            guard let target = line.kind.referenceTarget(entry.spec), case .text(let id) = entry.value else { continue }
            let key = RecordKey(id)
            let known: RecordKind
            if let hit = recent[key.slot], hit.key == key {
                known = hit.kind
            } else {
                guard let found = kinds[key] else { continue }
                recent[key.slot] = (key, found)
                known = found
            }
            guard known != target else { continue }
            throw ChangeRules.Violation(field: entry.name, value: entry.value, reason: tr("it is a \(known.rawValue), not a \(target.rawValue)"))
        }
    }
}

/// Reads a bundle's payload change by change: every line parsed and checked by the rules every
/// change meets (ChangeRules) and those of a bundle (BundleChecks), then the whole payload checked
/// against the manifest. Memory stays bounded whatever the bundle's size.
enum BundleReading {
    /// `texts` false leaves each line's `fields` and `base` text empty: for a reader that stores
    /// nothing (`verify`), which judges the values alone.
    static func forEachChange(
        _ envelope: BundleFile.Envelope, progress: (@Sendable (Int, Int) -> Void)?, parsers: Int = 1, texts: Bool = true,
        _ body: (Int, ChangeLine) throws -> Void
    ) throws {
        let total = envelope.manifest.changes
        // Read and parsed on other threads (`parsers` of them), judged together in order (by the
        // parser, when there is one) and handed on here, in order.
        let pipeline = LinePipeline(envelope, parsers: parsers, texts: texts)
        try pipeline.forEach { batch in
            for (i, item) in batch.items.enumerated() {
                let number = batch.firstLine + i
                guard case .line(let line) = item else {
                    if case .refused(let error) = item { throw error }
                    continue
                }
                try body(number, line)
                if number % 20_000 == 0 { progress?(number, total) }
            }
        }
        try pipeline.inOrder.tally.check(against: envelope.manifest)
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
    /// `alongside`: how many bundles are verified at the same time, which share the cores.
    public static func verify(_ path: String, progress: (@Sendable (Int, Int) -> Void)? = nil, alongside: Int = 1) throws -> BundleManifest {
        let envelope = try BundleFile.open(path)
        if envelope.format == 2 {
            try BundleFile.checkSealedDigest(envelope)
            return envelope.manifest
        }
        // Nothing is written: every core parses (each bundle verified alongside takes its share).
        let parsers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount) / max(1, alongside))
        try BundleReading.forEachChange(envelope, progress: progress, parsers: parsers, texts: false) { _, _ in }
        return envelope.manifest
    }
}
