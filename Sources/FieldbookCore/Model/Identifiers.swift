import Crypto
import Foundation

/// Record ids.
///
/// Field records get a time-ordered UUID (version 7) made on the laptop: unique without any network,
/// and kind to SQLite's B-tree because new ids sort after old ones. Reference records get an id
/// derived from their natural key (a township's name, a household's code), so two laptops that import
/// the same roster make the same records, and a merge joins them instead of doubling them.
public enum RecordID {
    /// A version 7 UUID from a time and 10 random bytes.
    public static func timeOrdered(at date: Date, random: [UInt8]) -> String {
        precondition(random.count >= 10)
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - i))) }
        for i in 0..<10 { bytes[6 + i] = random[i] }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return format(bytes)
    }

    /// A name-based UUID (version 8 layout, SHA-256 of the kind and key), the same on every device.
    public static func derived(_ kind: RecordKind, key: String) -> String {
        let digest = SHA256.hash(data: Data("fieldbook/\(kind.rawValue)/\(key)".utf8))
        var bytes = Array(digest.prefix(16))
        bytes[6] = 0x80 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return format(bytes)
    }

    /// The natural key of a township: its name.
    public static func township(_ name: String) -> String { derived(.township, key: name) }
    /// The natural key of a village: its township's name and its own.
    public static func village(township: String, name: String) -> String {
        derived(.village, key: "\(township)/\(name)")
    }
    /// The natural key of a household: its code, which is unique in a district.
    public static func household(code: String) -> String { derived(.household, key: code) }
    public static func round(_ name: String) -> String { derived(.round, key: name) }
    public static func team(_ name: String) -> String { derived(.team, key: name) }

    static func format(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in bytes.prefix(16).enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hexadecimal of any bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

}
