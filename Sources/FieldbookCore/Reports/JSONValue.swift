import Foundation

/// A JSON value for the documented outputs (`--json`), written with sorted keys so that the same
/// data always prints the same bytes.
public indirect enum JSONValue: Encodable, Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let n): try container.encode(n)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }

    /// Pretty-printed JSON text.
    public func rendered(pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    init(_ value: FieldValue) {
        switch value {
        case .null: self = .null
        case .int(let n): self = .int(n)
        case .text(let s): self = .string(s)
        case .list(let items): self = .array(items.map(JSONValue.string))
        }
    }
}
