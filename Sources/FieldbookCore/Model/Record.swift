/// A record as a store shows it: its fields' current values and who recorded it when.
public struct Record: Sendable, Hashable {
    public var kind: RecordKind
    public var id: String
    /// Field values by field name; references hold the referenced record's id.
    public var values: [String: FieldValue]
    /// Human names for the references: `round`, `household` (code and head), `village`
    /// (`TOWNSHIP/VILLAGE`; for a visit, the household's village), `township`.
    public var labels: [String: String]
    public var deleted: Bool
    public var createdBy: String
    public var createdByName: String
    public var createdAt: HybridTimestamp
    public var updatedAt: HybridTimestamp

    public subscript(field: String) -> FieldValue { values[field] ?? .null }

    /// The record's date: a visit's, forum's or notice's date, a fix's found-on date.
    public var date: String? { self["date"].text ?? self["found_on"].text }
}

/// A household that was not on the roster, met in the field.
public struct NewHousehold: Sendable {
    public var village: String
    public var head: String?
    public var group: String?
    public var priority: String?

    public init(village: String, head: String? = nil, group: String? = nil, priority: String? = nil) {
        self.village = village
        self.head = head
        self.group = group
        self.priority = priority
    }
}
