import Foundation

/// The kinds of record a store holds. Every one of them changes only through versioned changes.
///
/// Reference data (townships, villages, households, rounds, teams) travels the same way as field
/// records, so a roster packed at the office reaches every laptop, and a household found in the
/// field reaches the office.
public enum RecordKind: String, CaseIterable, Sendable, Codable {
    case township
    case village
    case household
    case round
    case team
    case visit
    case forum
    case notice
    case fix
    /// A problem found (发现问题), followed through rectification (整改) and, for a clue, its transfer.
    case problem
    /// A problem category the office added to the default list (``ProblemCategory/defaults``).
    case category

    /// The table that holds the current state of records of this kind.
    public var table: String { rawValue }

    /// The kinds an inspection team records in the field.
    public static let fieldKinds: [RecordKind] = [.visit, .forum, .notice, .fix, .problem]

    /// Every kind, field kinds first: the order an id prefix is looked up in.
    public static let byLookupOrder: [RecordKind] = fieldKinds + allCases.filter { !fieldKinds.contains($0) }

    /// The English plural used by `fieldbook list`.
    public var plural: String {
        switch self {
        case .township: "townships"
        case .village: "villages"
        case .household: "households"
        case .round: "rounds"
        case .team: "teams"
        case .visit: "visits"
        case .forum: "forums"
        case .notice: "notices"
        case .fix: "fixes"
        case .problem: "problems"
        case .category: "categories"
        }
    }

    /// The Chinese name shown beside the English one.
    public var chinese: String {
        switch self {
        case .township: "乡镇"
        case .village: "村/社区"
        case .household: "户"
        case .round: "巡察轮次"
        case .team: "巡察组"
        case .visit: "入户走访"
        case .forum: "座谈"
        case .notice: "张贴公告"
        case .fix: "立行立改"
        case .problem: "发现问题"
        case .category: "问题类别"
        }
    }

    /// The fields of this kind, in display order.
    public var fields: [FieldSpec] { Self.specs[ordinal] }

    /// The field spec named `name`, if this kind has one (looked up in ``FieldNames``' table).
    public func field(_ name: String) -> FieldSpec? { fieldIndex(name).map { Self.specs[ordinal][$0] } }

    /// The place in ``fields`` of the field named `name`, if this kind has one.
    public func fieldIndex(_ name: String) -> Int? {
        guard let id = FieldNames.id(name) else { return nil }
        return fieldIndex(nameID: id)
    }

    /// The kind of record the field at `index` of ``fields`` refers to, when it is a ``FieldType/reference(_:)``.
    func referenceTarget(_ index: Int) -> RecordKind? {
        let target = FieldNames.table.referenceTargets[ordinal &* FieldNames.Table.maxFields &+ index]
        return target < 0 ? nil : FieldNames.table.kinds[Int(target)]
    }

    /// The place in ``fields`` of the field whose name is ``FieldNames/all``[`nameID`], if this kind has it.
    func fieldIndex(nameID: Int) -> Int? {
        let index = FieldNames.table.specIndex[ordinal &* FieldNames.table.names.count &+ nameID]
        return index < 0 ? nil : index
    }

    /// This kind's place in ``allCases``.
    var ordinal: Int {
        switch self {
        case .township: 0
        case .village: 1
        case .household: 2
        case .round: 3
        case .team: 4
        case .visit: 5
        case .forum: 6
        case .notice: 7
        case .fix: 8
        case .problem: 9
        case .category: 10
        }
    }

    /// Every kind's specs, made once, in the order of ``allCases``.
    fileprivate static let specs: [[FieldSpec]] = allCases.map { $0.makeFields() }

    /// ``specs`` again, each kind's in memory of its own that is never freed nor changed: a spec is
    /// read where it lies (``spec(at:)``), where reading it out of an array copies it, a count on
    /// each of its strings, for every value of every change checked.
    nonisolated(unsafe) private static let specBuffers: [UnsafeBufferPointer<FieldSpec>] = specs.map { kindSpecs in
        let buffer = UnsafeMutableBufferPointer<FieldSpec>.allocate(capacity: kindSpecs.count)
        _ = buffer.initialize(from: kindSpecs)
        return UnsafeBufferPointer(buffer)
    }

    /// The spec at `index` of ``fields``, in place (valid for the life of the process).
    func spec(at index: Int) -> UnsafePointer<FieldSpec> {
        let buffer = Self.specBuffers[ordinal]
        precondition(index >= 0 && index < buffer.count)
        return buffer.baseAddress! + index
    }

    /// The places in ``fields`` of the required fields, as bits.
    var requiredFields: UInt64 { FieldNames.table.requiredFields[ordinal] }

    private func makeFields() -> [FieldSpec] {
        switch self {
        case .township:
            [
                FieldSpec("name", .shortText, required: true),
                // The county or district (区/县) and the city (市) above the township, where a roster
                // spans several: they qualify the natural key (RecordID.township).
                FieldSpec("county", .shortText, omittedWhenNull: true),
                FieldSpec("city", .shortText, omittedWhenNull: true),
            ]
        case .village:
            [
                FieldSpec("township", .reference(.township), required: true),
                FieldSpec("name", .shortText, required: true),
                FieldSpec("village_kind", .choice(VillageKind.allCases.map(\.rawValue)), required: true),
            ]
        case .household:
            [
                FieldSpec("village", .reference(.village), required: true),
                FieldSpec("code", .shortText, required: true),
                FieldSpec("group", .shortText, column: "village_group"),
                FieldSpec("head", .shortText),
                FieldSpec("priority", .priorities),
                FieldSpec("source", .choice(["roster", "field"]), required: true),
                // Its township's county and city, which qualify its code (RecordID.household).
                FieldSpec("county", .shortText, omittedWhenNull: true),
                FieldSpec("city", .shortText, omittedWhenNull: true),
            ]
        case .round:
            [FieldSpec("name", .shortText, required: true)]
        case .team:
            [
                FieldSpec("name", .shortText, required: true),
                FieldSpec("members", .list),
            ]
        case .visit:
            [
                FieldSpec("round", .reference(.round), required: true),
                FieldSpec("household", .reference(.household), required: true),
                FieldSpec("date", .date, required: true),
                FieldSpec("inspectors", .list),
                FieldSpec("met", .shortText),
                FieldSpec("note", .longText),
                FieldSpec("issues", .longText),
                FieldSpec("follow_up", .longText),
            ]
        case .forum:
            [
                FieldSpec("round", .reference(.round), required: true),
                FieldSpec("village", .reference(.village), required: true),
                FieldSpec("date", .date, required: true),
                FieldSpec("participants", .count(minimum: 1, maximum: 100_000), required: true),
                FieldSpec("cadres", .count(minimum: 0, maximum: 100_000)),
                FieldSpec("members", .count(minimum: 0, maximum: 100_000)),
                FieldSpec("villagers", .count(minimum: 0, maximum: 100_000)),
                FieldSpec("topics", .list),
                FieldSpec("note", .longText),
            ]
        case .notice:
            [
                FieldSpec("round", .reference(.round), required: true),
                FieldSpec("village", .reference(.village), required: true),
                FieldSpec("date", .date, required: true),
                FieldSpec("place", .shortText, required: true),
                FieldSpec("copies", .count(minimum: 1, maximum: 10_000), required: true),
            ]
        case .fix:
            [
                FieldSpec("round", .reference(.round), required: true),
                FieldSpec("village", .reference(.village), required: true),
                FieldSpec("household", .reference(.household)),
                FieldSpec("problem", .longText, required: true),
                FieldSpec("category", .shortText),
                FieldSpec("action", .longText),
                FieldSpec("responsible", .shortText),
                FieldSpec("status", .choice(FixStatus.allCases.map(\.rawValue)), required: true),
                FieldSpec("found_on", .date, required: true),
                FieldSpec("fixed_on", .date),
                FieldSpec("verified_on", .date),
            ]
        case .problem:
            [
                FieldSpec("round", .reference(.round), required: true),
                FieldSpec("village", .reference(.village), required: true),
                FieldSpec("found_in", .recordOf([.visit, .forum, .notice])),
                FieldSpec("summary", .shortText, required: true),
                FieldSpec("category", .shortText),
                FieldSpec("detail", .longText),
                FieldSpec("responsible", .shortText),
                FieldSpec("deadline", .date, planned: true),
                FieldSpec("found_on", .date, required: true),
                FieldSpec("status", .choice(ProblemStatus.allCases.map(\.rawValue)), required: true),
                FieldSpec("measures", .longText),
                FieldSpec("rectified_on", .date),
                FieldSpec("rectified_by", .list),
                FieldSpec("rectified_device", .shortText),
                FieldSpec("verified_on", .date),
                FieldSpec("verified_by", .list),
                FieldSpec("closed_on", .date),
                FieldSpec("transferred_to", .choice(ClueDestination.allCases.map(\.rawValue))),
                FieldSpec("transferred_on", .date),
                FieldSpec("transfer_note", .longText),
            ]
        case .category:
            [
                FieldSpec("key", .shortText, required: true),
                FieldSpec("name", .shortText, required: true),
            ]
        }
    }

}

/// Every field name any kind defines, and ``deletedField``, numbered once: a change line's field
/// names are looked up here straight from their bytes (no `String` made, no hashing), and each
/// kind's place of a name in its ``RecordKind/fields`` is a table entry.
enum FieldNames {
    final class Table: Sendable {
        /// The names, in the order of the kinds and their fields, ``deletedField`` last.
        let names: [String]
        /// Each name's UTF-8 bytes, one after another; `starts[id]..<starts[id + 1]` is name `id`'s.
        let bytes: [UInt8]
        let starts: [Int]
        /// The ids of the names of each length (`byLength[n]`), for names up to 63 bytes.
        let byLength: [[Int]]
        /// `specIndex[kind.ordinal * names.count + id]`: the place of name `id` in the kind's
        /// fields, or -1.
        let specIndex: [Int]
        /// Most fields a kind has (a test holds every kind to it).
        static let maxFields = 64
        /// `referenceTargets[kind.ordinal * maxFields + index]`: the ordinal of the kind the field
        /// at `index` of the kind's fields refers to (``FieldType/reference(_:)``), or -1.
        let referenceTargets: [Int8]
        /// `requiredFields[kind.ordinal]`: the places of the kind's required fields, as bits.
        let requiredFields: [UInt64]
        /// ``RecordKind/allCases``, made once.
        let kinds = RecordKind.allCases

        init() {
            var names: [String] = []
            for kind in RecordKind.allCases {
                for spec in RecordKind.specs[kind.ordinal] where !names.contains(spec.name) { names.append(spec.name) }
            }
            names.append(deletedField)
            self.names = names
            var bytes: [UInt8] = [], starts: [Int] = []
            var byLength = [[Int]](repeating: [], count: 64)
            for (id, name) in names.enumerated() {
                starts.append(bytes.count)
                bytes += Array(name.utf8)
                byLength[min(name.utf8.count, 63)].append(id)
            }
            starts.append(bytes.count)
            self.bytes = bytes
            self.starts = starts
            self.byLength = byLength
            var specIndex = [Int](repeating: -1, count: RecordKind.allCases.count * names.count)
            for kind in RecordKind.allCases {
                for (index, spec) in RecordKind.specs[kind.ordinal].enumerated() {
                    specIndex[kind.ordinal * names.count + names.firstIndex(of: spec.name)!] = index
                }
            }
            self.specIndex = specIndex
            var referenceTargets = [Int8](repeating: -1, count: RecordKind.allCases.count * Self.maxFields)
            for kind in RecordKind.allCases {
                for (index, spec) in RecordKind.specs[kind.ordinal].enumerated() {
                    if case .reference(let target) = spec.type { referenceTargets[kind.ordinal * Self.maxFields + index] = Int8(target.ordinal) }
                }
            }
            self.referenceTargets = referenceTargets
            requiredFields = RecordKind.allCases.map { kind in
                var bits: UInt64 = 0
                for (index, spec) in RecordKind.specs[kind.ordinal].enumerated() where spec.required { bits |= 1 << UInt64(index) }
                return bits
            }
        }

        /// The kind whose raw value is spelled by exactly these bytes.
        func kind(_ word: UnsafeBufferPointer<UInt8>) -> RecordKind? {
            guard let first = word.baseAddress else { return nil }
            for (kind, raw) in kindWords where raw.count == word.count && raw.withUnsafeBufferPointer({ memcmp($0.baseAddress!, first, raw.count) == 0 }) {
                return kind
            }
            return nil
        }
        let kindWords = RecordKind.allCases.map { ($0, Array($0.rawValue.utf8)) }

        /// The id of the name spelled by exactly these bytes, if it is one of ``names``.
        func id(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
            let count = name.count
            guard count > 0, count < 63, let first = name.baseAddress else { return nil }
            return bytes.withUnsafeBufferPointer { all -> Int? in
                for id in byLength[count] {
                    let start = starts[id]
                    if all[start] == first[0], memcmp(all.baseAddress! + start, first, count) == 0 { return id }
                }
                return nil
            }
        }
    }

    static let table = Table()
    /// The id of ``deletedField``.
    static let deleted = table.names.count - 1

    /// The id of `name`, if some kind defines a field of that name (or it is ``deletedField``).
    static func id(_ name: String) -> Int? {
        var name = name
        return name.withUTF8 { table.id($0) }
    }
}

/// The pseudo-field every change writes: `1` for a tombstone, `0` for a live record.
///
/// A create and every edit assert the record is alive; a delete asserts it is gone. A delete
/// concurrent with an edit is therefore a conflict on this one field, resolved by the same rule as
/// any other field and logged for review.
public let deletedField = "_deleted"

/// What a field holds, and so how input is checked and values are stored.
public enum FieldType: Sendable, Hashable {
    /// Free text of at most `maxLength` Unicode scalars, without control characters (a multiline
    /// note may hold line breaks and tabs); required text must not be blank.
    case text(maxLength: Int, multiline: Bool)
    /// A real calendar date, `YYYY-MM-DD`.
    case date
    /// A whole number from `minimum` to `maximum`.
    case count(minimum: Int64, maximum: Int64)
    /// A list of names or topics.
    case list
    /// A set of priority kinds (`wubao`, `dibao`, `weifang`).
    case priorities
    /// One of a fixed set of words.
    case choice([String])
    /// The id of a record of another kind.
    case reference(RecordKind)
    /// The id of a record of any of these kinds (where a problem was found: a visit, forum or notice).
    case recordOf([RecordKind])

    /// Whether the value is a record's id.
    public var isReference: Bool {
        switch self {
        case .reference, .recordOf: true
        default: false
        }
    }

    /// A name, code, place: one line of at most ``ChangeRules/shortText`` characters.
    public static let shortText = FieldType.text(maxLength: ChangeRules.shortText, multiline: false)
    /// A note, problem or action: at most ``ChangeRules/longText`` characters, line breaks allowed.
    public static let longText = FieldType.text(maxLength: ChangeRules.longText, multiline: true)
}

/// One field of a record kind: its name in changes and commands, its column, its type.
public struct FieldSpec: Sendable, Hashable {
    public var name: String
    public var type: FieldType
    public var column: String
    public var required: Bool
    /// Whether a create leaves the field out when it has no value, instead of writing `null`: the
    /// levels above the township, so that a one-district roster writes the changes it always wrote.
    public var omittedWhenNull: Bool
    /// Whether a date names a day planned ahead (a problem's deadline), which may lie after today.
    /// Every other date says when work was done, so a person may not type a day after today
    /// (``ChangeRules/futureDateProblem(_:_:today:)``).
    public var planned: Bool

    init(
        _ name: String, _ type: FieldType, column: String? = nil, required: Bool = false, omittedWhenNull: Bool = false,
        planned: Bool = false
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.omittedWhenNull = omittedWhenNull
        self.planned = planned
        if let column {
            self.column = column
        } else if type.isReference {
            self.column = name + "_id"
        } else {
            self.column = name
        }
    }
}

/// 村 or 社区.
public enum VillageKind: String, CaseIterable, Sendable {
    case village
    case community

    public var chinese: String { self == .village ? "村" : "社区" }

    /// Reads `village`/`村`/`行政村` or `community`/`社区`/`居委会`.
    public init?(input: String) {
        switch input.trimmingCharacters(in: .whitespaces).lowercased() {
        case "village", "村", "行政村", "": self = .village
        case "community", "社区", "居委会", "居": self = .community
        default: return nil
        }
    }
}

/// The life of an on-the-spot fix: found open, fixed by the village, verified by the team.
public enum FixStatus: String, CaseIterable, Sendable {
    case open
    case fixed
    case verified

    public var chinese: String {
        switch self {
        case .open: "未整改"
        case .fixed: "已整改"
        case .verified: "已核实"
        }
    }

    /// The date field set when a fix reaches this status.
    var dateField: String {
        switch self {
        case .open: "found_on"
        case .fixed: "fixed_on"
        case .verified: "verified_on"
        }
    }

    public init?(input: String) {
        switch input.trimmingCharacters(in: .whitespaces).lowercased() {
        case "open", "未整改", "待整改": self = .open
        case "fixed", "已整改", "整改": self = .fixed
        case "verified", "已核实", "核实": self = .verified
        default: return nil
        }
    }
}

/// The priority households a team must visit in full.
public enum PriorityKind: String, CaseIterable, Sendable, Comparable {
    /// 五保户: elderly, disabled or orphaned people without support.
    case wubao
    /// 低保户: households on the minimum subsistence allowance.
    case dibao
    /// 危房改造户: households in the dilapidated-housing renovation programme.
    case weifang

    public var chinese: String {
        switch self {
        case .wubao: "五保户"
        case .dibao: "低保户"
        case .weifang: "危房改造户"
        }
    }

    /// Reads the English code or the Chinese name, with or without 户.
    public init?(input: String) {
        switch input.trimmingCharacters(in: .whitespaces).lowercased() {
        case "wubao", "五保户", "五保": self = .wubao
        case "dibao", "低保户", "低保": self = .dibao
        case "weifang", "危房改造户", "危房改造", "危房户", "危房": self = .weifang
        default: return nil
        }
    }

    public static func < (a: PriorityKind, b: PriorityKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
