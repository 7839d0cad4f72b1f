import Foundation
import GRDB

/// Which field records `fieldbook list` shows.
public struct RecordFilter: Sendable {
    public var kinds: [RecordKind]
    public var village: String?
    public var round: String?
    public var since: String?
    public var includeDeleted: Bool

    public init(
        kinds: [RecordKind] = RecordKind.fieldKinds, village: String? = nil, round: String? = nil,
        since: String? = nil, includeDeleted: Bool = false
    ) {
        self.kinds = kinds
        self.village = village
        self.round = round
        self.since = since
        self.includeDeleted = includeDeleted
    }
}

/// One change in a record's history: who changed which fields, from what, to what, when.
public struct HistoryEntry: Sendable, Hashable {
    public struct FieldChange: Sendable, Hashable {
        public var field: String
        /// What the author saw before (nil for a create); several values when it resolved a conflict.
        public var from: [FieldValue]?
        public var to: FieldValue
        public var fromLabel: String?
        public var toLabel: String
    }

    public var version: VersionID
    public var hlc: HybridTimestamp
    public var deviceName: String
    public var op: ChangeOp
    public var fields: [FieldChange]
}

/// What `fieldbook status` shows.
public struct StoreStatus: Sendable {
    public var deviceID: String
    public var deviceName: String
    public var team: String?
    public var role: String
    public var round: String?
    public var inspectors: [String]
    /// Live records per kind.
    public var counts: [RecordKind: Int]
    /// Deleted records per field kind.
    public var deletedCounts: [RecordKind: Int]
    public var changes: Int
    public var ownChanges: Int
    public var unpacked: Int
    public var conflicts: Int
    public var lastChange: HybridTimestamp?
    /// Live problems (发现问题) by status, how many of them are overdue, and how many clues were
    /// transferred (移交问题线索).
    public var problemStatuses: [ProblemStatus: Int] = [:]
    public var problemsOverdue: Int = 0
    public var cluesTransferred: Int = 0
}

extension Store {
    /// Finds the record whose id is `input` or starts with it (at least 4 characters).
    public func locate(_ input: String) throws -> (kind: RecordKind, id: String) {
        let prefix = input.trimmingCharacters(in: .whitespaces).lowercased()
        guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw FieldbookError.unknownRecord(input)
        }
        let matches: [(RecordKind, String)] = try read { db in
            var found: [(RecordKind, String)] = []
            for kind in RecordKind.byLookupOrder {
                let ids = try String.fetchAll(
                    db, sql: "SELECT id FROM \(kind.table) WHERE id GLOB ? ORDER BY id LIMIT 6",
                    arguments: [prefix + "*"])
                found += ids.map { (kind, $0) }
            }
            return found
        }
        if let exact = matches.first(where: { $0.1 == prefix }) { return exact }
        guard !matches.isEmpty else { throw FieldbookError.unknownRecord(input) }
        guard matches.count == 1 else { throw FieldbookError.ambiguousID(input, candidates: matches.map(\.1)) }
        return matches[0]
    }

    /// The shortest prefix of each id (13, 18, 23 characters, or the whole id) that names it alone
    /// among every record of this store, so an id shown in a list always works in a command.
    public func shortIDs(for ids: [String]) throws -> [String: String] {
        try read { db in
            var result: [String: String] = [:]
            let kinds = RecordKind.byLookupOrder
            for id in ids {
                var shared = 0
                for kind in kinds {
                    let neighbours = try Row.fetchOne(
                        db,
                        sql: "SELECT (SELECT max(id) FROM \(kind.table) WHERE id < ?1) AS before, (SELECT min(id) FROM \(kind.table) WHERE id > ?1) AS after",
                        arguments: [id])
                    for neighbour in [neighbours?["before"] as String?, neighbours?["after"] as String?] {
                        guard let neighbour else { continue }
                        shared = max(shared, zip(id, neighbour).prefix { $0 == $1 }.count)
                    }
                }
                let length = [13, 18, 23].first { $0 > shared } ?? id.count
                result[id] = String(id.prefix(length))
            }
            return result
        }
    }

    /// The record with this id (or unique prefix), deleted or not.
    public func record(id input: String) throws -> Record {
        let (kind, id) = try locate(input)
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(kind.table) WHERE id = ?", arguments: [id]) else {
                throw FieldbookError.unknownRecord(input)
            }
            var labeler = Labeler()
            return try labeler.record(kind, row, db)
        }
    }

    /// Field records matching `filter`, oldest first.
    public func list(_ filter: RecordFilter = RecordFilter()) throws -> [Record] {
        try read { db in
            let villageID = try filter.village.map { try resolveVillage(db, $0) }
            let roundID = try filter.round.map { try resolveRound(db, $0) }
            let since = try filter.since.map { text in
                guard let date = FieldDate.normalize(text) else {
                    throw FieldbookError.invalidValue(field: "since", value: text, expected: tr("give a date as YYYY-MM-DD"))
                }
                return date
            }
            var labeler = Labeler()
            var records: [Record] = []
            for kind in filter.kinds {
                var clauses: [String] = []
                var arguments: StatementArguments = []
                if !filter.includeDeleted { clauses.append("deleted = 0") }
                if let roundID, kind.field("round") != nil {
                    clauses.append("round_id = ?")
                    arguments += [roundID]
                }
                let dateColumn = kind == .fix || kind == .problem ? "found_on" : "date"
                if let since {
                    clauses.append("\(dateColumn) >= ?")
                    arguments += [since]
                }
                if let villageID {
                    if kind == .visit, !filter.includeDeleted {
                        // The live visits of the village's households, through each part of the
                        // visits' tally index: the visits have no other index by household.
                        let reads = Store.liveReads(
                            .visit, Store.tallyParts(.visit, try Store.tallyIndexDefinitions(db)), as: "v", select: "v.rowid",
                            " AND v.household_id IN (SELECT id FROM household WHERE village_id = ?)")
                        clauses.append("rowid IN (\(reads.joined(separator: " UNION ALL ")))")
                        arguments += StatementArguments(Array(repeating: villageID, count: reads.count - 1))
                    } else if kind == .visit {
                        clauses.append("household_id IN (SELECT id FROM household WHERE village_id = ?)")
                    } else {
                        clauses.append("village_id = ?")
                    }
                    arguments += [villageID]
                }
                let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM \(kind.table) \(whereSQL) ORDER BY \(dateColumn), created_hlc, id",
                    arguments: arguments)
                for row in rows { records.append(try labeler.record(kind, row, db)) }
            }
            return records.sorted { ($0.date ?? "", $0.createdAt, $0.id) < ($1.date ?? "", $1.createdAt, $1.id) }
        }
    }

    /// Every change to a record, in clock order, with what each field held before.
    public func history(_ input: String) throws -> (record: Record, entries: [HistoryEntry]) {
        let (kind, id) = try locate(input)
        let record = try record(id: id)
        let entries: [HistoryEntry] = try read { db in
            let changes = try Store.changes(of: id, db).sorted { Change.wins($1, over: $0) }
            var byVersion: [VersionID: Change] = [:]
            for change in changes { byVersion[change.version] = change }
            let names = try deviceNames(db)
            var labeler = Labeler()
            return try changes.map { change in
                let fields = try change.fields.keys.sorted(by: { fieldOrder(kind, $0) < fieldOrder(kind, $1) })
                    .compactMap { field -> HistoryEntry.FieldChange? in
                        let to = change.fields[field]!
                        let from: [FieldValue]? =
                            change.op == .create ? nil
                            : (change.base[field] ?? []).compactMap { byVersion[$0]?.fields[field] }
                        if field == deletedField, change.op != .delete, from?.allSatisfy({ $0 == to }) ?? true {
                            return nil
                        }
                        if change.op == .create, to.isNull || to == .list([]) { return nil }
                        let spec = kind.field(field)
                        return HistoryEntry.FieldChange(
                            field: field, from: from, to: to,
                            fromLabel: try from.map { try $0.map { try labeler.label($0, spec, db) }.joined(separator: " | ") },
                            toLabel: try labeler.label(to, spec, db))
                    }
                return HistoryEntry(
                    version: change.version, hlc: change.hlc, deviceName: names[change.device] ?? change.device,
                    op: change.op, fields: fields)
            }
        }
        return (record, entries)
    }

    private func fieldOrder(_ kind: RecordKind, _ field: String) -> Int {
        kind.fields.firstIndex { $0.name == field } ?? Int.max
    }

    func deviceNames(_ db: Database) throws -> [String: String] {
        Dictionary(
            try Row.fetchAll(db, sql: "SELECT id, name FROM device").map { ($0["id"] as String, $0["name"] as String) },
            uniquingKeysWith: { a, _ in a })
    }

    /// Device, team, round, counts and changes not yet packed.
    public func status() throws -> StoreStatus {
        try read { db in try Store.status(db, today: environment.today()) }
    }

    /// Everything `fieldbook status` shows, read in one transaction: one snapshot, so the figures
    /// add up even while a merge writes.
    public func statusReport() throws -> StatusReport {
        try read { db in
            let devices = try Store.devices(db)
            return StatusReport(
                status: try Store.status(db, today: environment.today(), devices: devices), devices: devices,
                waitingChanges: try Store.waitingChanges(db), unknownReferences: try Store.unknownReferences(db))
        }
    }

    /// What `merge` reports after its bundles, from one snapshot: conflicts to review, the devices
    /// whose changes have gaps, and records pointing at what the store does not know.
    public func mergeSummary() throws -> (conflicts: Int, gaps: [(device: String, gaps: [ClosedRange<Int64>])], unknown: [UnknownReference]) {
        try read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0, try Store.deviceGaps(db), try Store.unknownReferences(db))
        }
    }

    /// The log's changes after `packedThrough`, of `changes` in all: a count of rows reads them, so
    /// the shorter side of the mark is counted (an office that has never packed counts none, where
    /// it read its whole log: 1.3 s for 5,000,000 changes).
    static func unpackedChanges(_ db: Database, packedThrough: Int64, changes: Int) throws -> Int {
        let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM change") ?? 0
        guard packedThrough < last else { return 0 }
        if packedThrough - (try Int64.fetchOne(db, sql: "SELECT min(id) FROM change") ?? 0) < (last - packedThrough) {
            return changes - (try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE id <= ?", arguments: [packedThrough]) ?? 0)
        }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE id > ?", arguments: [packedThrough]) ?? 0
    }

    /// `devices`, when the caller read them in the same snapshot, give the latest change: each
    /// device's latest clock is read with its changes, and the log has no index by clock, so
    /// asking the log again would read every row of it a second time (1.6 s for 5,000,000 changes).
    static func status(_ db: Database, today: String, devices: [DeviceSummary]? = nil) throws -> StoreStatus {
        do {
            let local = try LocalState.fetch(db)
            let device = try Row.fetchOne(db, sql: "SELECT * FROM device WHERE id = ?", arguments: [local.deviceID])
            var counts: [RecordKind: Int] = [:]
            var deleted: [RecordKind: Int] = [:]
            // The deleted are all but the live (`deleted` is 0 or 1 by the tables' checks): the live
            // are counted from the tally index where there is one and all from the smallest index,
            // where `deleted = 1` read every row of the table (1.3 s for a province's visits).
            // (A split index is counted a part at a time: `deleted = 0` alone names neither part.)
            let definitions = try Store.tallyIndexDefinitions(db)
            for kind in RecordKind.allCases {
                let reads = Store.liveReads(kind, Store.tallyParts(kind, definitions), as: "t", select: "count(*)")
                let live = try Int.fetchOne(db, sql: "SELECT " + reads.map { "(\($0))" }.joined(separator: " + ")) ?? 0
                counts[kind] = live
                deleted[kind] = (try Int.fetchOne(db, sql: "SELECT count(*) FROM \(kind.table)") ?? 0) - live
            }
            let changes = try Int.fetchOne(db, sql: "SELECT count(*) FROM change") ?? 0
            let round = try local.roundID.flatMap {
                try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0])
            }
            var problemStatuses: [ProblemStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM problem WHERE deleted = 0 GROUP BY status") {
                if let status = ProblemStatus(rawValue: row["status"] ?? "") { problemStatuses[status] = row["n"] }
            }
            var status = StoreStatus(
                deviceID: local.deviceID, deviceName: device?["name"] ?? "?", team: device?["team"],
                role: device?["role"] ?? "field", round: round, inspectors: local.inspectors,
                counts: counts, deletedCounts: deleted,
                changes: changes,
                ownChanges: Int(local.lastSeq),
                unpacked: try unpackedChanges(db, packedThrough: local.packedThrough, changes: changes),
                conflicts: try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0,
                // From the devices' own latest clocks when they account for every change of the log.
                lastChange: try devices.flatMap { devices in
                    devices.reduce(0) { $0 + $1.changes } == changes ? devices.compactMap(\.lastChange).max() : nil
                } ?? Int64.fetchOne(db, sql: "SELECT max(hlc) FROM change").map(HybridTimestamp.init(rawValue:)))
            status.problemStatuses = problemStatuses
            status.problemsOverdue = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM problem WHERE deleted = 0 AND status IN ('open', 'rectifying') AND deadline < ?",
                arguments: [today]) ?? 0
            status.cluesTransferred = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM problem WHERE deleted = 0 AND transferred_to IS NOT NULL") ?? 0
            return status
        }
    }
}

/// What `fieldbook status` shows, from one snapshot of the store.
public struct StatusReport: Sendable {
    public var status: StoreStatus
    public var devices: [DeviceSummary]
    public var waitingChanges: Int
    public var unknownReferences: [UnknownReference]
}

/// Turns reference ids into the names people read, remembering what it looked up.
struct Labeler {
    private var cache: [String: String] = [:]
    private var householdVillage: [String: String] = [:]
    private var deviceNames: [String: String]?
    private var categoryNames: [String: String]?

    mutating func record(_ kind: RecordKind, _ row: Row, _ db: Database) throws -> Record {
        var values: [String: FieldValue] = [:]
        var labels: [String: String] = [:]
        for spec in kind.fields {
            let value: FieldValue
            switch spec.type {
            case .list, .priorities:
                let json = try Store.rowText(row, spec.column)
                value = .list(json.flatMap { try? CanonicalJSON.decode([String].self, from: $0) } ?? [])
            case .count:
                // (The table's checks hold a count to an integer or NULL.)
                let n: Int64? = row[spec.column]
                value = n.map(FieldValue.int) ?? .null
            default:
                value = try Store.rowText(row, spec.column).map(FieldValue.text) ?? .null
            }
            values[spec.name] = value
            if case .reference = spec.type, !value.isNull {
                labels[spec.name] = try label(value, spec, db)
            }
        }
        if kind == .visit || (kind == .fix && labels["village"] == nil), let household = values["household"]?.text {
            labels["village"] = try villageOfHousehold(household, db)
        }
        if kind == .problem, let key = values["category"]?.text {
            if categoryNames == nil {
                categoryNames = Dictionary(try Store.categories(db).map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
            }
            labels["category"] = categoryNames?[key] ?? key
        }
        if deviceNames == nil {
            deviceNames = Dictionary(
                try Row.fetchAll(db, sql: "SELECT id, name FROM device").map { ($0["id"] as String, $0["name"] as String) },
                uniquingKeysWith: { a, _ in a })
        }
        let createdBy: String = row["created_by"]
        return Record(
            kind: kind, id: row["id"], values: values, labels: labels, deleted: row["deleted"] as Int64 == 1,
            createdBy: createdBy, createdByName: deviceNames?[createdBy] ?? createdBy,
            createdAt: HybridTimestamp(rawValue: row["created_hlc"]),
            updatedAt: HybridTimestamp(rawValue: row["updated_hlc"]))
    }

    /// A value as people read it: names for references, plain text otherwise.
    mutating func label(_ value: FieldValue, _ spec: FieldSpec?, _ db: Database) throws -> String {
        switch value {
        case .null: return "—"
        case .int(let n): return String(n)
        case .list(let items): return items.joined(separator: "、")
        case .text(let text):
            guard let spec, case .reference(let kind) = spec.type else { return text }
            if let cached = cache[text] { return cached }
            let name: String
            switch kind {
            case .household:
                let row = try Row.fetchOne(db, sql: "SELECT code, head FROM household WHERE id = ?", arguments: [text])
                if let row {
                    let head: String? = row["head"]
                    name = [row["code"] as String, head].compactMap { $0 }.joined(separator: " ")
                } else {
                    name = tr("unknown household \(text.prefix(8))")
                }
            case .village:
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT t.name AS township, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id WHERE v.id = ?",
                    arguments: [text])
                name = row.map { "\($0["township"] ?? "?")/\($0["name"] as String)" } ?? tr("unknown village \(text.prefix(8))")
            default:
                name = try String.fetchOne(db, sql: "SELECT name FROM \(kind.table) WHERE id = ?", arguments: [text])
                    ?? tr("unknown \(kind.rawValue) \(text.prefix(8))")
            }
            cache[text] = name
            return name
        }
    }

    private mutating func villageOfHousehold(_ household: String, _ db: Database) throws -> String {
        if let cached = householdVillage[household] { return cached }
        let villageID = try String.fetchOne(db, sql: "SELECT village_id FROM household WHERE id = ?", arguments: [household])
        let label = try villageID.map { try self.label(.text($0), FieldSpec("village", .reference(.village)), db) }
            ?? tr("unknown village")
        householdVillage[household] = label
        return label
    }
}
