import Foundation

/// A seeded random number generator (SplitMix64): the same seed gives the same district.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulation's calendar, moved on by the simulation. Each store reads it through a clock of
/// its own that steps a millisecond per reading, so the same seed writes the same ids, clock readings
/// and bundles, even when laptops are set up side by side.
public final class SimulatedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date

    public init(start: Date) { time = start }

    public var now: Date { lock.withLock { time } }

    public func set(_ date: Date) { lock.withLock { time = max(time, date) } }

    /// An environment for one store: this calendar (shifted by `offset`, for a laptop whose clock
    /// is wrong), random bytes from `seed`, Beijing time.
    public func environment(seed: UInt64, offset: TimeInterval = 0) -> FieldbookEnvironment {
        let random = RandomBox(seed: seed)
        let ticker = Ticker()
        return FieldbookEnvironment(
            now: { [self] in ticker.next(after: now).addingTimeInterval(offset) },
            randomBytes: { random.bytes($0) },
            timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    }
}

/// One store's clock: the calendar's time, a millisecond on from its previous reading at least.
private final class Ticker: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast

    func next(after calendar: Date) -> Date {
        lock.withLock {
            last = max(last.addingTimeInterval(0.001), calendar)
            return last
        }
    }
}

private final class RandomBox: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SeededRandom

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    func bytes(_ count: Int) -> [UInt8] {
        lock.withLock { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
    }
}
