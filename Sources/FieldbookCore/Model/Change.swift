/// What a change did to its record.
public enum ChangeOp: String, Sendable, Codable, CaseIterable {
    case create
    case update
    case delete
}

/// Names one version of a field: the change that wrote it, by device and sequence number.
public struct VersionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var device: String
    public var seq: Int64

    public init(device: String, seq: Int64) {
        self.device = device
        self.seq = seq
    }

    /// Reads `DEVICE:SEQ`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let seq = Int64(text[text.index(after: colon)...])
        else { return nil }
        self.init(device: String(text[..<colon]), seq: seq)
    }

    public var description: String { "\(device):\(seq)" }

    public static func < (a: Self, b: Self) -> Bool { (a.device, a.seq) < (b.device, b.seq) }
}

extension VersionID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = VersionID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a version is DEVICE:SEQ, not \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One versioned change to one record: the unit that is logged, packed, shipped and merged.
///
/// Each device numbers its own changes 1, 2, 3… (`seq`) and stamps them with its hybrid clock.
/// `fields` holds the values written, including ``deletedField``. `base` names, per field, the
/// versions the author saw and meant to replace; a create replaces nothing. Two versions of a field
/// where neither replaces the other are concurrent: one wins by (clock, device id), the other is kept
/// as a conflict for a person to review.
public struct Change: Hashable, Sendable {
    public var device: String
    public var seq: Int64
    public var hlc: HybridTimestamp
    public var kind: RecordKind
    public var recordID: String
    public var op: ChangeOp
    public var fields: [String: FieldValue]
    public var base: [String: [VersionID]]

    public init(
        device: String, seq: Int64, hlc: HybridTimestamp, kind: RecordKind, recordID: String,
        op: ChangeOp, fields: [String: FieldValue], base: [String: [VersionID]] = [:]
    ) {
        self.device = device
        self.seq = seq
        self.hlc = hlc
        self.kind = kind
        self.recordID = recordID
        self.op = op
        self.fields = fields
        self.base = base
    }

    public var version: VersionID { VersionID(device: device, seq: seq) }

    /// The total order that picks a winner among concurrent versions: clock, then device id.
    public static func wins(_ a: Change, over b: Change) -> Bool {
        (a.hlc, a.device, a.seq) > (b.hlc, b.device, b.seq)
    }
}
