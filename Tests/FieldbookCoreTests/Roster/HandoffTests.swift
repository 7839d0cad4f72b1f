import Foundation
import Testing

@testable import FieldbookCore

/// The roster import's two threads meet in a ``Handoff``: batches arrive in order, the reader's
/// end or error reaches the writer, and a writer that stops ends a reader waiting for room.
@Suite(.timeLimit(.minutes(1))) struct HandoffTests {
    @Test func batchesArriveInOrderThenTheReadersEnd() throws {
        let handoff = Handoff<Int, String>(capacity: 2)
        let reader = Thread {
            for i in 1...5 { _ = handoff.put(i) }
            handoff.finish(.success("read"))
        }
        reader.start()
        var seen: [Int] = []
        while true {
            switch try handoff.take() {
            case .batch(let i): seen.append(i)
            case .end(let word):
                #expect(word == "read")
                #expect(seen == [1, 2, 3, 4, 5])
                return
            }
        }
    }

    @Test func aReadersErrorReachesTheWriterAfterItsBatches() throws {
        let handoff = Handoff<Int, String>(capacity: 4)
        #expect(handoff.put(1))
        handoff.finish(.failure(.badFile(path: "r.csv", reason: "is empty")))
        guard case .batch(1) = try handoff.take() else { Issue.record("the batch before the error is lost"); return }
        #expect(throws: FieldbookError.badFile(path: "r.csv", reason: "is empty")) { try handoff.take() }
    }

    @Test func aWriterThatStopsEndsAReaderWaitingForRoom() {
        let handoff = Handoff<Int, String>(capacity: 1)
        #expect(handoff.put(1))
        let put = Locked<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        // The second waits for room, which never comes: the writer stops instead.
        let reader = Thread {
            let accepted = handoff.put(2)
            put.withLock { $0 = accepted }
            done.signal()
        }
        reader.start()
        while !handoff.readerWaits { Thread.sleep(forTimeInterval: 0.001) }
        handoff.stop()
        done.wait()
        #expect(put.withLock { $0 } == false)
        #expect(handoff.put(3) == false)
    }
}
