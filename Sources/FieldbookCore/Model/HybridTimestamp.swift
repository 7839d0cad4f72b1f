import Foundation

/// A hybrid logical clock reading: wall-clock milliseconds in the high 48 bits, a counter below.
///
/// A device's readings only ever grow, even when its wall clock is set back: each change it makes
/// is stamped later than the one before (Kulkarni et al., 2014). Readings order concurrent edits;
/// ties between devices are broken by device id, so every store picks the same winner.
public struct HybridTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(millis: Int64, counter: Int64) {
        rawValue = millis << 16 | (counter & 0xFFFF)
    }

    public static let zero = HybridTimestamp(rawValue: 0)

    /// Milliseconds since 1970 of the wall clock part.
    public var millis: Int64 { rawValue >> 16 }
    /// Events stamped within the same millisecond.
    public var counter: Int64 { rawValue & 0xFFFF }

    /// The wall-clock instant this reading stands for.
    public var date: Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        let stamp = Self.formatter.string(from: date)
        return counter == 0 ? stamp : "\(stamp)+\(counter)"
    }

    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    /// The wall-clock part as people read it where they are: `2026-11-21 09:00:00`.
    public func formatted(in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// The next reading for a local event: later than `last`, and no earlier than `now`.
    public static func next(after last: Self, now: Date) -> Self {
        let wall = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        if wall > last.millis { return Self(millis: wall, counter: 0) }
        if last.counter < 0xFFFF { return Self(millis: last.millis, counter: last.counter + 1) }
        return Self(millis: last.millis + 1, counter: 0)
    }
}
