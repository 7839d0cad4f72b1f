import Foundation

/// Batches handed from one thread to another, a few at a time: the roster import reads and
/// prepares its records on one thread while the other writes them.
///
/// The reader ``put(_:)``s batches and ends with ``finish(_:)``; the writer ``take()``s them in
/// order until the end, which brings what the reader returned, or its error. A writer that
/// gives up calls ``stop()``: the reader's next ``put(_:)`` returns false, and it ends.
final class Handoff<Batch: Sendable, Outcome: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var outcome: Result<Outcome, FieldbookError>?
    private var stopped = false
    /// How many readers wait for room now (tests look, to stop a reader that waits).
    private var waiting = 0
    /// How many batches may wait before the reader waits: enough to smooth the two threads'
    /// uneven paces, few enough to bound memory.
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Hands a batch on, waiting while `capacity` wait; false when the writer has stopped.
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !stopped {
            waiting += 1
            condition.wait()
            waiting -= 1
        }
        guard !stopped else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The reader's end: what it returns, or why it failed.
    func finish(_ result: Result<Outcome, FieldbookError>) {
        condition.lock()
        defer { condition.unlock() }
        outcome = result
        condition.broadcast()
    }

    /// What ``take()`` gives: a batch, or the end with what the reader returned.
    enum Next {
        case batch(Batch)
        case end(Outcome)
    }

    /// The next batch, waiting for it, or the end; throws the reader's error at the end.
    func take() throws(FieldbookError) -> Next {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if !batches.isEmpty {
                let batch = batches.removeFirst()
                condition.broadcast()
                return .batch(batch)
            }
            if let outcome { return .end(try outcome.get()) }
            condition.wait()
        }
    }

    /// Whether a reader waits for room.
    var readerWaits: Bool {
        condition.lock()
        defer { condition.unlock() }
        return waiting > 0
    }

    /// The writer gives up: the reader is told at its next ``put(_:)``.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopped = true
        condition.broadcast()
    }
}
