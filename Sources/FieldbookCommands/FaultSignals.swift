import FieldbookCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the command does when the disk under the store fails beneath SQLite's memory map.
///
/// SQLite keeps its write-ahead-log index (`STORE-shm`) memory-mapped and grows it by writing one
/// byte per 4 KiB page. On a filesystem with 1 KiB blocks (what mkfs picks for small volumes: a USB
/// stick) the other three blocks of each page stay unallocated, and when the disk is full the
/// kernel cannot allocate them the moment SQLite touches them: the process gets SIGBUS. The store
/// itself is safe, as after `kill -9` (a write-ahead log commits whole or not at all), so the
/// command stops with one line and exit code 74 instead of a crash. The store also avoids the map
/// where it can: on a nearly full disk it reads a store with no log to replay without one, and
/// refuses writes before starting them (`Store.open`).
enum FaultSignals {
    /// The message, made before any signal can arrive: a handler may only call write and _exit.
    nonisolated(unsafe) private static var message: UnsafeMutableBufferPointer<UInt8>?

    static func install() {
        // Made before `Fieldbook.run` sets the language: it reads the environment itself.
        let language = Language(environment: ProcessInfo.processInfo.environment)
        let text = Array(
            ("fieldbook: " + tr("the disk that holds the store is full or failed while the store was in use; the command stopped and nothing it was writing was kept. Free some space on that disk and run it again.", in: language) + "\n").utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
        _ = buffer.initialize(from: text)
        message = buffer
        signal(SIGBUS) { _ in
            if let message = FaultSignals.message {
                _ = write(STDERR_FILENO, message.baseAddress, message.count)
            }
            _exit(74)
        }
    }
}
