import Foundation

/// Where time, randomness and the local calendar come from.
///
/// Built once at the entry point; tests pass a fixed clock and counting bytes, so two runs of a test
/// make the same ids and stamps.
public struct FieldbookEnvironment: Sendable {
    public var now: @Sendable () -> Date
    public var randomBytes: @Sendable (Int) -> [UInt8]
    public var timeZone: TimeZone
    /// Told, once, when a command has waited a second for another that holds the store: what it
    /// waits for ("a merge (process 4711)", or nil when the other does not say). The command line
    /// prints it on a terminal.
    public var waiting: @Sendable (_ store: String, _ activity: String?) -> Void
    /// Whether a person may type a date after ``today()`` into a field that records when work was
    /// done (`--allow-future`); see ``ChangeRules/futureDateProblem(_:_:today:)``.
    public var allowsFutureDates = false

    public init(
        now: @escaping @Sendable () -> Date,
        randomBytes: @escaping @Sendable (Int) -> [UInt8],
        timeZone: TimeZone,
        waiting: @escaping @Sendable (_ store: String, _ activity: String?) -> Void = { _, _ in }
    ) {
        self.now = now
        self.randomBytes = randomBytes
        self.timeZone = timeZone
        self.waiting = waiting
    }

    /// The real clock, the system's random numbers and the machine's time zone.
    public static let live = FieldbookEnvironment(
        now: { Date() },
        randomBytes: { count in
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        },
        timeZone: .current)

    /// A new id for a field record.
    public func makeRecordID() -> String {
        RecordID.timeOrdered(at: now(), random: randomBytes(10))
    }

    /// A new random id for a device (a version 4 UUID).
    public func makeDeviceID() -> String {
        var bytes = randomBytes(16)
        bytes[6] = 0x40 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return RecordID.format(bytes)
    }

    /// Today's date where the inspector is, as `YYYY-MM-DD`.
    public func today() -> String {
        FieldDate.string(from: now(), in: timeZone)
    }
}

/// Calendar dates as the field writes them: `YYYY-MM-DD`.
public enum FieldDate {
    /// Reads `2026-11-21`, `2026/11/21`, `2026.11.21` or `2026年11月21日`; nil for anything else,
    /// or a day that does not exist.
    public static func normalize(_ input: String) -> String? {
        var text = input.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("日") { text.removeLast() }
        let parts = text.split(whereSeparator: { "-/.年月".contains($0) }).map(String.init)
        guard parts.count == 3, parts[0].count == 4,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d), (1900...2200).contains(y)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: y, month: m, day: d)),
            calendar.component(.day, from: date) == d
        else { return nil }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// Whether `text` is a date as stored and carried in bundles: exactly `YYYY-MM-DD`, a day that
    /// exists, in 1900–2200 (what ``normalize(_:)`` writes). Byte by byte, without the calendar:
    /// a merge checks a date in every visit.
    public static func isCanonical(_ text: String) -> Bool {
        guard text.utf8.count == 10 else { return false }
        var text = text
        var (year, month, day) = (0, 0, 0)
        let digits = text.withUTF8 { utf8 in
            for i in 0..<10 {
                let c = utf8[i]
                if i == 4 || i == 7 {
                    guard c == UInt8(ascii: "-") else { return false }
                } else {
                    guard c >= 0x30, c <= 0x39 else { return false }
                    let digit = Int(c - 0x30)
                    if i < 4 { year = year * 10 + digit } else if i < 7 { month = month * 10 + digit } else { day = day * 10 + digit }
                }
            }
            return true
        }
        guard digits else { return false }
        guard (1900...2200).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = switch month {
        case 2: leap ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
        return day <= days
    }

    public static func string(from date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
