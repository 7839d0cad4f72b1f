import Crypto
import Foundation

/// A payload's lines read on one thread, parsed and checked by the rules of a change on others, judged
/// together in order (``InOrder``: by the parser when there is one, else on the caller's thread), and
/// handed to the caller in the payload's order: a merge writes the store while the next lines are
/// inflated, parsed and judged on the other core, and `verify` parses on every core.
///
/// What the caller sees is what reading on its own thread gave: every line in order; a line that
/// fails to parse or breaks a rule fails at its place, after the lines before it; a reading failure
/// (damaged compression, a truncated file) after every line before it; and when the caller or a
/// line fails with a ``BundleError`` and the payload's digest does not match its manifest, the
/// damage is named instead. Memory is bounded: at most `capacity` batches of lines are in flight.
final class LinePipeline: @unchecked Sendable {
    /// Lines of the payload as read: their bytes, one after another, and where each ends.
    private struct RawBatch {
        var index: Int
        var firstLine: Int
        var bytes: [UInt8] = []
        var ends: [Int] = []
    }

    enum Parsed {
        case line(ChangeLine)
        case refused(BundleError)
    }

    struct ParsedBatch {
        var firstLine: Int
        var items: [Parsed]
    }

    /// Stops the reader when the caller has failed.
    private struct Stopped: Error {}

    /// Lines handed between threads at a time: fewer hand-overs (each wakes the threads waiting)
    /// for a few hundred kilobytes more in flight.
    private static let linesPerBatch = 1024
    /// Room made for a batch's bytes at once (a change line is some hundreds of bytes), and the
    /// bytes after which a batch is handed on whatever its lines: with at most `capacity` batches
    /// in flight, a few megabytes at most.
    private static let batchBytes = 1 << 19
    private let capacity: Int
    private let envelope: BundleFile.Envelope
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var raw: [RawBatch] = []
    private var parsed: [Int: ParsedBatch] = [:]
    private var inFlight = 0
    private var readerDone = false
    private var readerBatches = 0
    private var readerError: (any Error)?
    private var stopped = false
    private var running = 0
    /// Batches the caller is done with, let go on a parser's thread: a line's strings and arrays
    /// were made there, and freeing a batch of them is work the caller (a merge's writer) need not do.
    private var spent: [ParsedBatch] = []

    /// Whether lines keep their `fields` and `base` text (``BundleReading/forEachChange``).
    private let texts: Bool

    /// What judges the lines one after another, in the payload's order (``BundleChecks``); with
    /// one parser, the parser runs it, off the caller's thread, so that a merge's writer does
    /// not; with several, ``forEach(_:)`` runs it on the caller's. The caller reads it once
    /// ``forEach(_:)`` has returned.
    let inOrder: InOrder
    private let parsersCheckInOrder: Bool

    /// The rules a bundle's changes meet together, and the payload's counts, both read in order.
    final class InOrder: @unchecked Sendable {
        var checks: BundleChecks
        var tally = PayloadTally()

        /// For a payload of `manifest`: its changes, as many as its bytes could hold (a line is
        /// more than 64 bytes), and at most 2^20 (a table of some 34 MB), whatever a forged manifest
        /// claims: a bigger bundle grows it as it goes.
        init(_ manifest: BundleManifest) {
            let lines = min(manifest.changes, Int(clamping: max(0, manifest.payload.rawSize) / 64), 1 << 20)
            checks = BundleChecks(records: max(0, lines))
        }

        /// Judges the change at line `number` after every line before it.
        func take(_ line: ChangeLine, number: Int) -> BundleError? {
            do throws(ChangeRules.Violation) {
                try checks.check(line)
            } catch {
                return BundleError.refused(line: number, line.kind, error)
            }
            tally.add(line)
            return nil
        }
    }

    init(_ envelope: BundleFile.Envelope, parsers: Int, texts: Bool = true) {
        self.envelope = envelope
        self.texts = texts
        let parsers = max(1, parsers)
        inOrder = InOrder(envelope.manifest)
        parsersCheckInOrder = parsers == 1
        capacity = 4 + 2 * parsers
        running = 1 + parsers
        Thread.detachNewThread { [self] in read() }
        for _ in 0..<parsers {
            Thread.detachNewThread { [self] in parse() }
        }
    }

    /// The parsed batches in order, to `body`; then waits for the threads. Throws the first failure.
    func forEach(_ body: (ParsedBatch) throws -> Void) throws {
        var index = 0
        do {
            while true {
                condition.lock()
                while parsed[index] == nil && !(readerDone && index == readerBatches) {
                    condition.wait()
                }
                guard let batch = parsed.removeValue(forKey: index) else {
                    // Every batch read is handed on: what is left is how reading ended.
                    let error = readerError
                    condition.unlock()
                    join()
                    if let error { throw error }
                    return
                }
                inFlight -= 1
                condition.broadcast()
                condition.unlock()
                if !parsersCheckInOrder {
                    for (i, item) in batch.items.enumerated() {
                        guard case .line(let line) = item else { break }
                        if let refusal = inOrder.take(line, number: batch.firstLine + i) {
                            // Handed on at its place: the lines before it are the caller's first.
                            var judged = batch
                            judged.items[i] = .refused(refusal)
                            judged.items.removeSubrange((i + 1)...)
                            try body(judged)
                            throw refusal
                        }
                    }
                }
                try body(batch)
                condition.lock()
                spent.append(batch)
                condition.unlock()
                index += 1
            }
        } catch let error as BundleError {
            stop()
            throw damaged() ? BundleError(tr("has a damaged payload (its SHA-256 does not match the manifest)")) : error
        } catch {
            stop()
            throw error
        }
    }

    private func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        join()
    }

    private func join() {
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Whether the whole payload is in the file and its digest is not the manifest's (a line is
    /// judged before the digest is known: damage in transit is named as such, not as what it did).
    private func damaged() -> Bool {
        guard let handle = FileHandle(forReadingAtPath: envelope.path) else { return false }
        defer { try? handle.close() }
        var hasher = SHA256()
        var remaining = envelope.manifest.payload.compressedSize
        guard (try? handle.seek(toOffset: UInt64(envelope.payloadOffset))) != nil else { return false }
        while remaining > 0 {
            guard let data = try? handle.read(upToCount: Int(min(remaining, 1 << 20))), !data.isEmpty else { return false }
            remaining -= Int64(data.count)
            hasher.update(data: data)
        }
        return BundleFile.hex(Array(hasher.finalize())) != envelope.manifest.payload.sha256
    }

    // MARK: The reader

    private func read() {
        var batch = RawBatch(index: 0, firstLine: 1)
        batch.bytes.reserveCapacity(Self.batchBytes)
        var count = 0
        func hand(_ full: RawBatch) throws {
            condition.lock()
            defer { condition.unlock() }
            while inFlight >= capacity && !stopped { condition.wait() }
            if stopped { throw Stopped() }
            raw.append(full)
            inFlight += 1
            count += 1
            condition.broadcast()
        }
        var failure: (any Error)?
        do {
            try BundleFile.readLines(envelope) { number, bytes in
                if batch.ends.isEmpty { batch.firstLine = number }
                batch.bytes.append(contentsOf: bytes)
                batch.ends.append(batch.bytes.count)
                // A batch ends at its lines' count or its bytes': lines of up to a mebibyte each
                // (a hostile stick's) must not put a gigabyte in flight.
                if batch.ends.count == Self.linesPerBatch || batch.bytes.count >= Self.batchBytes {
                    try hand(batch)
                    batch = RawBatch(index: count, firstLine: number + 1)
                    batch.bytes.reserveCapacity(Self.batchBytes)
                }
            }
            if !batch.ends.isEmpty { try hand(batch) }
        } catch is Stopped {
        } catch {
            // The lines read before the failure are handed on first: they come before it.
            if !batch.ends.isEmpty { try? hand(batch) }
            failure = error
        }
        condition.lock()
        readerDone = true
        readerBatches = count
        readerError = failure
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    // MARK: The parsers

    private func parse() {
        var previous: ChangeLine?
        while true {
            condition.lock()
            while raw.isEmpty && !readerDone && !stopped { condition.wait() }
            if stopped || raw.isEmpty {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = raw.removeFirst()
            var done: [ParsedBatch] = []
            swap(&done, &spent)
            condition.unlock()
            done.removeAll()
            var items: [Parsed] = []
            items.reserveCapacity(batch.ends.count)
            batch.bytes.withUnsafeBytes { all in
                var start = 0
                for (i, end) in batch.ends.enumerated() {
                    let number = batch.firstLine + i
                    var item = Self.parse(UnsafeRawBufferPointer(rebasing: all[start..<end]), number: number, previous: previous, texts: texts)
                    if case .line(let line) = item {
                        previous = line
                        // The only parser sees every line in order: it judges them together too.
                        if parsersCheckInOrder, let refusal = inOrder.take(line, number: number) { item = .refused(refusal) }
                    }
                    items.append(item)
                    start = end
                }
            }
            condition.lock()
            parsed[batch.index] = ParsedBatch(firstLine: batch.firstLine, items: items)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// One line parsed and checked by the rules every change meets (ChangeRules).
    static func parse(_ bytes: UnsafeRawBufferPointer, number: Int, previous: ChangeLine? = nil, texts: Bool = true) -> Parsed {
        let line: ChangeLine
        do throws(ChangeLineParser.Failure) {
            line = try ChangeLineParser.parse(bytes, previous: previous, texts: texts)
        } catch {
            return .refused(BundleError(tr("has a change at line \(number) that \(error.reason)")))
        }
        do throws(ChangeRules.Violation) {
            try ChangeRules.check(
                kind: line.kind, recordID: line.record, op: line.op, entries: line.entries, base: line.replaced,
                version: line.version)
        } catch {
            return .refused(BundleError.refused(line: number, line.kind, error))
        }
        return .line(line)
    }
}
