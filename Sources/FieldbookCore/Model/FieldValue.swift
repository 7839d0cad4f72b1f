import Foundation

/// One field's value in a record or a change.
///
/// Values travel inside changes as JSON (`null`, a number, a string, an array of strings), so the
/// same change means the same thing on every laptop and at the office.
public enum FieldValue: Hashable, Sendable {
    case null
    case int(Int64)
    case text(String)
    case list([String])

    /// The value as a string, for text and reference fields.
    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// The value as an integer, for counts.
    public var int: Int64? {
        if case .int(let n) = self { return n }
        return nil
    }

    /// The value as a list of strings (inspectors, topics, priority kinds).
    public var list: [String] {
        if case .list(let items) = self { return items }
        return []
    }

    public var isNull: Bool { self == .null }
}

extension FieldValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let n = try? container.decode(Int64.self) {
            self = .int(n)
        } else if let s = try? container.decode(String.self) {
            self = .text(s)
        } else if let items = try? container.decode([String].self) {
            self = .list(items)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "a field value must be null, an integer, a string or a list of strings")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .int(let n): try container.encode(n)
        case .text(let s): try container.encode(s)
        case .list(let items): try container.encode(items)
        }
    }
}

/// JSON with sorted keys and no escaped slashes: the same value always gives the same bytes.
enum CanonicalJSON {
    /// A change's fields as a JSON object with sorted keys, written directly (the hot path of
    /// recording, the roster import and the benchmark; the same bytes JSONEncoder writes with
    /// `.sortedKeys`). Written as bytes, then made a String once: appending to a String checks
    /// its storage at every piece.
    static func encode(_ fields: [String: FieldValue]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32 + fields.count * 24)
        out.append(UInt8(ascii: "{"))
        for (i, entry) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(entry.key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch entry.value {
            case .null: out.append(contentsOf: "null".utf8)
            case .int(let n): out.append(contentsOf: String(n).utf8)
            case .text(let s): appendString(s, to: &out)
            case .list(let items): appendList(items, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A list of strings as a JSON array, written directly: the bytes JSONEncoder writes, for a
    /// twentieth of its work (a list column of every record a merge or a fold writes).
    static func encode(_ items: [String]) -> String {
        var out: [UInt8] = []
        appendList(items, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendList(_ items: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (j, item) in items.enumerated() {
            if j > 0 { out.append(UInt8(ascii: ",")) }
            appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    static func appendString(_ s: String, to out: inout String) {
        var bytes: [UInt8] = []
        appendString(s, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// A string as JSON: quoted, with `"`, `\\` and the control characters escaped (the short
    /// escapes where JSON has them, `\\u00xx` otherwise), every other character as it stands.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            defer { out.append(UInt8(ascii: "\"")) }
            // Nothing to escape (most names and every id): the bytes as they stand.
            if !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
                case ..<0x20:
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(RecordID.hexDigits[Int(byte >> 4)])
                    out.append(RecordID.hexDigits[Int(byte & 0x0F)])
                default: out.append(byte)
                }
            }
        }
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail: they hold only strings, integers and lists.
        let data = try! encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
