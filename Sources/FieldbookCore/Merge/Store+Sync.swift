import Crypto
import Foundation
import GRDB

/// A conflict as a person reviews it: which record and field, what was kept and what was overwritten.
public struct ConflictEntry: Sendable, Hashable {
    /// A short id, the same on every store that holds this conflict.
    public var id: String
    public var kind: RecordKind
    public var recordID: String
    public var record: String
    public var field: String
    public var kept: String
    public var keptDevice: String
    public var keptAt: HybridTimestamp
    public var overwritten: String
    public var overwrittenDevice: String
    public var overwrittenAt: HybridTimestamp
}

/// What a person decides about a conflict.
public enum ConflictChoice: Sendable, Equatable {
    /// Keep the value the store shows.
    case kept
    /// Restore the value that lost.
    case overwritten
    /// Write another value.
    case value(String)
}

/// One device whose changes a store holds.
public struct DeviceSummary: Sendable, Hashable {
    public var id: String
    public var name: String
    public var team: String?
    public var role: String
    public var isThisDevice: Bool
    public var changes: Int
    public var lastSeq: Int64
    /// Sequence numbers not yet seen, below the last one seen.
    public var gaps: [ClosedRange<Int64>]
    public var lastChange: HybridTimestamp?
    /// The furthest any of its bundles' clocks ran ahead of this machine's, when flagged (seconds).
    public var aheadBy: TimeInterval?
}

/// Records that point at something this store does not know (yet).
public struct UnknownReference: Sendable, Hashable {
    public var kind: RecordKind
    public var field: String
    public var count: Int
}

extension Store {
    /// Every conflict in the log, oldest first.
    public func conflicts() throws -> [ConflictEntry] {
        try read { db in
            let names = try deviceNames(db)
            var labeler = Labeler()
            return try Row.fetchAll(db, sql: "SELECT * FROM conflict ORDER BY loser_hlc, record_id, field").compactMap { row in
                guard let kind = RecordKind(rawValue: row["kind"]) else { return nil }
                let recordID: String = row["record_id"]
                let field: String = row["field"]
                let winner = VersionID(row["winner"] as String)!
                let loser = VersionID(row["loser"] as String)!
                let spec = kind.field(field)
                func show(_ json: String) throws -> String {
                    let value = (try? CanonicalJSON.decode(FieldValue.self, from: json)) ?? .null
                    if field == deletedField { return value == .int(1) ? tr("deleted") : tr("kept alive (edited)") }
                    return try labeler.label(value, spec, db)
                }
                let current = try Row.fetchOne(db, sql: "SELECT * FROM \(kind.table) WHERE id = ?", arguments: [recordID])
                    .map { try labeler.record(kind, $0, db) }
                let record = current.map(RecordReport.headline) ?? tr("(its create has not arrived yet)")
                // A transferred clue's text stays out of the list: `show` prints it, marked.
                // Without its row (its create not arrived yet), a problem's detail and note are withheld
                // anyway: the changes held may say it was transferred.
                let withheld = RecordReport.sensitiveFields.contains(field)
                    && (current.map(RecordReport.isSensitive) ?? (kind == .problem))
                let hidden = tr("(sensitive: see `fieldbook show \(recordID.prefix(13))`)")
                return ConflictEntry(
                    id: Store.conflictID(recordID, field, loser), kind: kind, recordID: recordID, record: record,
                    field: field == deletedField ? "deleted" : field,
                    kept: withheld ? hidden : try show(row["winner_value"]), keptDevice: names[winner.device] ?? winner.device,
                    keptAt: HybridTimestamp(rawValue: row["winner_hlc"]),
                    overwritten: withheld ? hidden : try show(row["loser_value"]), overwrittenDevice: names[loser.device] ?? loser.device,
                    overwrittenAt: HybridTimestamp(rawValue: row["loser_hlc"]))
            }
        }
    }

    /// How many conflicts wait for review, without building their descriptions.
    public func conflictCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0 }
    }

    static func conflictID(_ recordID: String, _ field: String, _ loser: VersionID) -> String {
        let digest = SHA256.hash(data: Data("\(recordID)/\(field)/\(loser)".utf8))
        return String(BundleFile.hex(Array(digest)).prefix(10))
    }

    /// Records a person's decision on a conflict as a new change that replaces every competing
    /// version of the field; once it travels, the conflict ends on every store.
    public func resolveConflict(_ idPrefix: String, keep choice: ConflictChoice) throws -> Record {
        let prefix = idPrefix.lowercased()
        let matches = try conflicts().filter { $0.id.hasPrefix(prefix) }
        guard let conflict = matches.first, prefix.count >= 4 else { throw FieldbookError.unknownRecord(idPrefix) }
        guard matches.count == 1 else { throw FieldbookError.ambiguousID(idPrefix, candidates: matches.map(\.id)) }
        let field = conflict.field == "deleted" ? deletedField : conflict.field
        try write { db in
            let state = try Store.state(of: conflict.recordID, kind: conflict.kind, db)
            let stored = try Row.fetchOne(
                db, sql: "SELECT * FROM conflict WHERE record_id = ? AND field = ?",
                arguments: [conflict.recordID, field])
            let value: FieldValue
            switch choice {
            case .kept:
                value = state.values[field] ?? .null
            case .overwritten:
                value = (try? CanonicalJSON.decode(FieldValue.self, from: stored?["loser_value"] ?? "null")) ?? .null
            case .value(let text):
                if conflict.kind == .problem, Store.problemStepFields.contains(field) {
                    throw FieldbookError.notEditable(
                        field: field, kind: conflict.kind,
                        hint: tr("keep one of the two versions (--keep kept or --keep overwritten), then record the next step with `fieldbook rectify` or `fieldbook transfer`"))
                }
                guard let spec = conflict.kind.field(field) else {
                    throw FieldbookError.invalidValue(field: "deleted", value: text, expected: tr("use --keep kept or --keep overwritten"))
                }
                value = try parse(db, text, for: spec)
            }
            if conflict.kind == .problem, field == "transferred_to", value.isNull {
                throw FieldbookError.notEditable(
                    field: field, kind: conflict.kind, hint: tr("a clue once transferred stays transferred; keep the version that names where it went"))
            }
            try appendLocalChange(
                db, kind: conflict.kind, recordID: conflict.recordID, op: .update, fields: [field: value])
        }
        return try record(id: conflict.recordID)
    }

    /// Every device whose changes this store holds, with its last sequence number and any gaps.
    public func devices() throws -> [DeviceSummary] {
        try read { db in try Store.devices(db) }
    }

    static func devices(_ db: Database) throws -> [DeviceSummary] {
        do {
            let local = try LocalState.fetch(db)
            var summaries: [DeviceSummary] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT d.id, d.name, d.team, d.role, count(c.id) AS n, max(c.seq) AS last, max(c.hlc) AS hlc,
                           (SELECT max(ahead_ms) FROM bundle b WHERE b.device_id = d.id AND b.ahead_ms > 0) AS ahead
                    FROM device d LEFT JOIN change c ON c.device_id = d.id
                    GROUP BY d.id ORDER BY d.id = ? DESC, d.name
                    """, arguments: [local.deviceID])
            {
                let id: String = row["id"]
                let count: Int = row["n"]
                let last: Int64 = row["last"] ?? 0
                let gaps = try Store.gaps(of: id, count: count, last: last, db)
                let ahead: Int64? = row["ahead"]
                summaries.append(
                    DeviceSummary(
                        id: id, name: row["name"], team: row["team"], role: row["role"], isThisDevice: id == local.deviceID,
                        changes: count, lastSeq: last, gaps: gaps,
                        lastChange: (row["hlc"] as Int64?).map(HybridTimestamp.init(rawValue:)),
                        aheadBy: ahead.map { Double($0) / 1000 }))
            }
            return summaries
        }
    }

    /// The devices whose changes have gaps, with the gaps, in the order of `devices` (this store's
    /// first, then by name): what a merge reports. Read from the log's (device, seq) index alone,
    /// never its rows, so that it costs little on a store of millions of changes (`devices` also
    /// reads each device's latest clock, from every row of the log).
    static func deviceGaps(_ db: Database) throws -> [(device: String, gaps: [ClosedRange<Int64>])] {
        let local = try LocalState.fetch(db)
        var found: [(device: String, gaps: [ClosedRange<Int64>])] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT d.id, d.name, (SELECT count(*) FROM change c WHERE c.device_id = d.id) AS n,
                       (SELECT max(seq) FROM change c WHERE c.device_id = d.id) AS last
                FROM device d ORDER BY d.id = ? DESC, d.name
                """, arguments: [local.deviceID])
        {
            let gaps = try Store.gaps(of: row["id"], count: row["n"], last: row["last"] ?? 0, db)
            if !gaps.isEmpty { found.append((row["name"], gaps)) }
        }
        return found
    }

    /// The sequence numbers of device `id` missing below `last`, given how many the store holds.
    private static func gaps(of id: String, count: Int, last: Int64, _ db: Database) throws -> [ClosedRange<Int64>] {
        guard Int64(count) < last else { return [] }
        var gaps: [ClosedRange<Int64>] = []
        let first = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM change WHERE device_id = ?", arguments: [id]) ?? 1
        if first > 1 { gaps.append(1...(first - 1)) }
        for gap in try Row.fetchAll(
            db,
            sql: """
                SELECT seq + 1 AS lo, next - 1 AS hi FROM (
                    SELECT seq, lead(seq) OVER (ORDER BY seq) AS next FROM change WHERE device_id = ?)
                WHERE next > seq + 1
                """, arguments: [id])
        {
            gaps.append((gap["lo"] as Int64)...(gap["hi"] as Int64))
        }
        return gaps
    }

    /// Live records that point at a household, village or round this store does not hold.
    public func unknownReferences() throws -> [UnknownReference] {
        try read { db in try Store.unknownReferences(db) }
    }

    /// Every field that points at records, with the kinds it may point at: a visit's household, a
    /// problem's `found_in` (a visit, forum or notice).
    static var referenceFields: [(kind: RecordKind, spec: FieldSpec, targets: [RecordKind])] {
        RecordKind.allCases.flatMap { kind in
            kind.fields.compactMap { spec -> (kind: RecordKind, spec: FieldSpec, targets: [RecordKind])? in
                switch spec.type {
                case .reference(let target): return (kind, spec, [target])
                case .recordOf(let kinds): return (kind, spec, kinds)
                default: return nil
                }
            }
        }
    }

    /// The live records of `kind` whose `column` points at no live record of `targets`, counted in
    /// one statement: each sought in the targets' id indexes (`seek`), or the targets' live ids
    /// read once into a set (ids are never NULL, so NOT IN is NOT EXISTS here); the records read
    /// from their table (`throughTable`) or as SQLite chooses.
    static func unknownReferencesSQL(
        _ kind: RecordKind, _ column: String, _ targets: [RecordKind], seek: Bool, throughTable: Bool
    ) -> String {
        let condition = seek
            ? targets.map { "NOT EXISTS (SELECT 1 FROM \($0.table) t WHERE t.id = r.\(column) AND t.deleted = 0)" }
                .joined(separator: " AND ")
            : missing("r.\(column)", targets)
        return """
            SELECT count(*) FROM \(kind.table) r\(throughTable ? " NOT INDEXED" : "")
            WHERE r.deleted = 0 AND r.\(column) IS NOT NULL AND \(condition)
            """
    }

    /// `reference` points at no live record of `targets`, whose live ids are read once into a set.
    private static func missing(_ reference: String, _ targets: [RecordKind]) -> String {
        targets.map { "\(reference) NOT IN (SELECT id FROM \($0.table) WHERE deleted = 0)" }
            .joined(separator: " AND ")
    }

    static func unknownReferences(_ db: Database) throws -> [UnknownReference] {
        var counts: [String: Int] = [:]
        let definitions = try Store.tallyIndexDefinitions(db)
        for kind in RecordKind.allCases {
            let references = referenceFields.filter { $0.kind == kind }
            guard !references.isEmpty else { continue }
            // The references its tally index leads with (a visit's household and round, a forum's
            // village and round) are read in the index's order, in one pass for all of them, and
            // each pair of values looked up once, not once per record: a province's visits point
            // at a tenth as many households, and its visit index is read once, not once a field.
            let index = Schema.tallyIndexes.first { $0.kind == kind }
            let leading = index.map { index in
                Array(index.columns.prefix { column in references.contains { $0.spec.column == column } })
            } ?? []
            if !leading.isEmpty {
                let sums = leading.enumerated().map { i, column in
                    let targets = references.first { $0.spec.column == column }!.targets
                    return "coalesce(sum(CASE WHEN r.\(column) IS NOT NULL AND \(missing("r.\(column)", targets)) THEN n END), 0) AS m\(i)"
                }
                let list = leading.joined(separator: ", ")
                // Each part of a split index grouped on its own, in its order: a pair of values in
                // both is looked up twice, each time with its own count.
                let grouped = Store.liveReads(
                    kind, Store.tallyParts(kind, definitions), as: "t", select: "\(list), count(*) AS n", " GROUP BY \(list)")
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(sums.joined(separator: ", ")) FROM (
                            \(grouped.joined(separator: " UNION ALL "))) r
                        """)
                for (i, column) in leading.enumerated() { counts["\(kind.rawValue).\(column)"] = row?["m\(i)"] ?? 0 }
            }
            // The other references (a problem's `found_in`, a household's village) are read from the
            // table itself where the tally index lacks them: read through that index, each record
            // is looked up in the table (a province's 255,000 problems took 0.5 s, with none found
            // in anything; read from the table, 0.05 s). Then each is sought in its targets' id
            // indexes when they have held more rows than its own table: a set of 4,500,000 visits'
            // ids took 2.2 s for 125,000 problems found in visits, seeking them 0.36 s. The targets'
            // ids are read into a set when fewer (ten thousand villages for a hundred thousand
            // households). Either way the count is the same.
            for (_, spec, targets) in references where !leading.contains(spec.column) {
                let records = try Store.rowsHeld(kind, db)
                // Summed without overflow: a store changed by hand may end a table at 2^63 - 1.
                let targetRows = try targets.reduce(0) { sum, target in
                    let (total, overflow) = sum.addingReportingOverflow(try Store.rowsHeld(target, db))
                    return overflow ? Int.max : total
                }
                let sql = Store.unknownReferencesSQL(
                    kind, spec.column, targets, seek: records < targetRows,
                    throughTable: index?.columns.contains(spec.column) != true)
                counts["\(kind.rawValue).\(spec.column)"] = try Int.fetchOne(db, sql: sql) ?? 0
            }
        }
        return referenceFields.compactMap { kind, spec, _ in
            let n = counts["\(kind.rawValue).\(spec.column)"] ?? 0
            return n > 0 ? UnknownReference(kind: kind, field: spec.name, count: n) : nil
        }
    }

    /// The rows the table of `kind` has held: its last row number, found at once (row numbers only
    /// grow), a measure of its size that costs no count.
    static func rowsHeld(_ kind: RecordKind, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT ifnull(max(rowid), 0) FROM \(kind.table)") ?? 0
    }

    /// Changes that wait for their record's create, which has not arrived: those whose record the
    /// store holds in none of its record tables (a record id belongs to one kind, which the merge
    /// and the recording commands hold to).
    public func waitingChanges() throws -> Int {
        try read { db in try Store.waitingChanges(db) }
    }

    /// One pass over the log's record index, in the order of record ids, each looked up in the
    /// record tables' own id indexes in that order too: a province's log of millions of changes
    /// is read once (2.2 s for 5,000,000 changes), not once a kind (11 s). The biggest tables are
    /// asked first, since most changes find their record there.
    static func waitingChanges(_ db: Database) throws -> Int {
        var sizes: [(kind: RecordKind, rows: Int)] = []
        for kind in RecordKind.allCases {
            sizes.append((kind, try Int.fetchOne(db, sql: "SELECT max(rowid) FROM \(kind.table)") ?? 0))
        }
        let held = sizes.sorted { $0.rows > $1.rows }
            .map { "NOT EXISTS (SELECT 1 FROM \($0.kind.table) r WHERE r.id = c.record_id)" }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM change c WHERE \(held.joined(separator: " AND "))") ?? 0
    }
}
