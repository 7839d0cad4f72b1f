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
    /// recording and of the benchmark; the same bytes JSONEncoder writes with `.sortedKeys`).
    static func encode(_ fields: [String: FieldValue]) -> String {
        var out = "{"
        for (i, key) in fields.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            switch fields[key]! {
            case .null: out += "null"
            case .int(let n): out += String(n)
            case .text(let s): appendString(s, to: &out)
            case .list(let items): appendList(items, to: &out)
            }
        }
        return out + "}"
    }

    /// A list of strings as a JSON array, written directly: the bytes JSONEncoder writes, for a
    /// twentieth of its work (a list column of every record a merge or a fold writes).
    static func encode(_ items: [String]) -> String {
        var out = ""
        appendList(items, to: &out)
        return out
    }

    static func appendList(_ items: [String], to out: inout String) {
        out += "["
        for (j, item) in items.enumerated() {
            if j > 0 { out += "," }
            appendString(item, to: &out)
        }
        out += "]"
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        // Nothing to escape (most names and every id): the text as it stands.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
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
