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
        var hash = SHA256()
        derivedPrefixes[kind.ordinal].withUnsafeBytes { hash.update(bufferPointer: $0) }
        var key = key
        key.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hash.finalize().withUnsafeBytes { digest in
            var bytes = (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                         digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15])
            bytes.6 = 0x80 | (bytes.6 & 0x0F)
            bytes.8 = 0x80 | (bytes.8 & 0x3F)
            return withUnsafeBytes(of: &bytes) { format(UnsafeRawBufferPointer($0)) }
        }
    }

    /// What a derived id hashes before its key, per kind: `fieldbook/KIND/`.
    private static let derivedPrefixes = RecordKind.allCases.map { Array("fieldbook/\($0.rawValue)/".utf8) }

    /// The natural key of a township: its name, and where the roster names them, its county (区/县)
    /// and city (市), so that two counties' 城关镇 are two townships. Without either it is the name
    /// alone, as before levels existed.
    public static func townshipKey(_ name: String, county: String? = nil, city: String? = nil) -> String {
        scopedKey(name, county: county, city: city)
    }

    public static func township(_ name: String, county: String? = nil, city: String? = nil) -> String {
        derived(.township, key: townshipKey(name, county: county, city: city))
    }

    /// The natural key of a village: its township's key and its own name.
    public static func village(township: String, name: String) -> String {
        derived(.village, key: "\(township)/\(name)")
    }

    /// A village of a township in a county and city: its township's qualified key and its name.
    public static func village(township: String, county: String?, city: String?, name: String) -> String {
        village(township: townshipKey(township, county: county, city: city), name: name)
    }

    /// The natural key of a household: its code, which is unique in a district; qualified by county
    /// and city where the roster names them (codes repeat across counties).
    public static func household(code: String, county: String? = nil, city: String? = nil) -> String {
        derived(.household, key: scopedKey(code, county: county, city: city))
    }

    /// `name` alone, or `city␟county␟name` (U+001F between the parts, a character no field may
    /// hold, so no two different scopes make one key) when a county or city is given.
    static func scopedKey(_ name: String, county: String?, city: String?) -> String {
        let county = county.flatMap { $0.isEmpty ? nil : $0 }
        let city = city.flatMap { $0.isEmpty ? nil : $0 }
        guard county != nil || city != nil else { return name }
        return "\(city ?? "")\u{1F}\(county ?? "")\u{1F}\(name)"
    }

    public static func round(_ name: String) -> String { derived(.round, key: name) }
    public static func team(_ name: String) -> String { derived(.team, key: name) }

    static func format(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { format($0) }
    }

    /// The first 16 bytes as a UUID's 36 characters.
    static func format(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var at = 0
            for i in 0..<min(16, bytes.count) {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[at] = UInt8(ascii: "-")
                    at += 1
                }
                out[at] = hexDigits[Int(bytes[i] >> 4)]
                out[at + 1] = hexDigits[Int(bytes[i] & 0x0F)]
                at += 2
            }
            return at
        }
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

    static let hexDigits = Array("0123456789abcdef".utf8)

}
