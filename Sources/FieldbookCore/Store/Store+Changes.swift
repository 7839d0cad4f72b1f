import Foundation
import GRDB
import GRDBSQLite

/// This device's row of `local_state`.
struct LocalState {
    var deviceID: String
    var roundID: String?
    /// The default inspectors as stored (JSON), read only when needed.
    var inspectorsJSON: String
    var inspectors: [String] { (try? CanonicalJSON.decode([String].self, from: inspectorsJSON)) ?? [] }
    var lastHLC: HybridTimestamp
    var lastSeq: Int64
    var packedThrough: Int64
    /// This store's role: what it may change (ChangeRules.authority).
    var role: DeviceRole

    static func fetch(_ db: Database) throws -> LocalState {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT l.*, d.role FROM local_state l LEFT JOIN device d ON d.id = l.device_id WHERE l.singleton = 1
            """)) else {
            throw FieldbookError.notAStore(path: db.description, reason: tr("it has no device"))
        }
        return LocalState(
            deviceID: row["device_id"],
            roundID: row["round_id"],
            inspectorsJSON: row["inspectors"],
            lastHLC: HybridTimestamp(rawValue: row["last_hlc"]),
            lastSeq: row["last_seq"],
            packedThrough: row["packed_through"],
            role: DeviceRole(rawValue: row["role"] ?? "") ?? .field)
    }
}

/// Whether a reference write added, changed or left a record alone.
public enum ReferenceOutcome: Sendable {
    case added
    case updated
    case unchanged
}

extension Store {
    /// Logs a change made on this device and folds it into its record, in the caller's transaction.
    ///
    /// A create writes every field of its kind; an edit, a delete and a resolution name, per field,
    /// every version they replace; a delete writes the tombstone. The clock and the sequence number move in the same transaction.
    @discardableResult
    func appendLocalChange(
        _ db: Database, kind: RecordKind, recordID: String, op: ChangeOp, fields: [String: FieldValue],
        fresh: Bool = false
    ) throws -> Change {
        var local = try LocalState.fetch(db)
        var written = fields
        // A delete writes the tombstone; a create or an edit asserts the record is alive, unless the
        // change itself decides that field (a person resolving a delete-versus-edit conflict).
        if op == .delete || written[deletedField] == nil { written[deletedField] = .int(op == .delete ? 1 : 0) }
        var base: [String: [VersionID]] = [:]
        if op != .create {
            // Every version of each written field that this store holds unreplaced (every leaf),
            // not only the winning one: what this change was written after seeing, it replaces,
            // whatever the clocks of the concurrent versions say.
            let current = try Store.state(of: recordID, kind: kind, db)
            for field in written.keys {
                if let leaves = current.leaves[field], !leaves.isEmpty { base[field] = leaves }
            }
        } else {
            for spec in kind.fields where written[spec.name] == nil && !spec.omittedWhenNull { written[spec.name] = .null }
        }
        local.lastHLC = HybridTimestamp.next(after: local.lastHLC, now: environment.now())
        local.lastSeq += 1
        let change = Change(
            device: local.deviceID, seq: local.lastSeq, hlc: local.lastHLC, kind: kind,
            recordID: recordID, op: op, fields: written, base: base)
        try Store.judge(change, role: local.role)
        // A local write succeeds only with its change in the log: a sequence number already taken
        // (by a change this store never made) is refused, never silently dropped.
        guard try Store.insert(change, db) else { throw Store.sequenceTaken(change, db) }
        try db.cachedStatement(sql: "UPDATE local_state SET last_hlc = ?, last_seq = ? WHERE singleton = 1")
            .execute(arguments: [local.lastHLC.rawValue, local.lastSeq])
        // A new id has no other changes: its record is this change, no need to read the log.
        try Store.refold(recordID, kind: kind, db, changes: fresh && op == .create ? [change] : nil)
        return change
    }

    /// The rules every bundle's changes meet, for a change this store makes: one definition for
    /// typed input and merge. Throws what a person typing it would be told.
    static func judge(_ change: Change, role: DeviceRole) throws(FieldbookError) {
        try judge(kind: change.kind, recordID: change.recordID, op: change.op, fields: change.fields, base: change.base,
                  version: change.version, role: role)
    }

    /// ``judge(_:role:)`` of a change given by its parts. A change's sequence number and clock
    /// play no part but through `version`, which is read only against a `base`: a create, which
    /// has none, is judged the same whatever its place in the log (the roster import judges its
    /// creates before it numbers them).
    static func judge(
        kind: RecordKind, recordID: String, op: ChangeOp, fields: [String: FieldValue], base: [String: [VersionID]],
        version: VersionID, role: DeviceRole
    ) throws(FieldbookError) {
        do {
            try ChangeRules.check(kind: kind, recordID: recordID, op: op, fields: fields, base: base, version: version)
        } catch {
            throw FieldbookError.invalidValue(field: error.field, value: error.value, expected: error.reason)
        }
        if let reason = ChangeRules.authority(kind: kind, op: op, fields: fields, role: role) {
            throw FieldbookError.notPermitted(reason)
        }
    }

    /// Why a local change could not be logged: its sequence number is taken by a change this
    /// store never made.
    static func sequenceTaken(_ change: Change, _ db: Database) -> FieldbookError {
        .storeFailure(
            path: db.description,
            message: tr("its log already holds change \(change.seq) of this device, which this store did not make; run `fieldbook status`"))
    }

    /// Writes a reference record (township, village, household, round, team) keyed by its natural
    /// id: creates it, changes the fields that differ, or leaves it alone.
    @discardableResult
    func ensureReference(
        _ db: Database, kind: RecordKind, id: String, fields: [String: FieldValue]
    ) throws -> ReferenceOutcome {
        let changes = try Store.changes(of: id, db)
        let current = RecordState(kind: kind, id: id, changes: changes)
        guard current.exists, !current.deleted else {
            try appendLocalChange(db, kind: kind, recordID: id, op: current.exists ? .update : .create,
                                  fields: fields, fresh: changes.isEmpty)
            return .added
        }
        let differing = fields.filter { current.values[$0.key] ?? .null != $0.value }
        guard !differing.isEmpty else { return .unchanged }
        try appendLocalChange(db, kind: kind, recordID: id, op: .update, fields: differing)
        return .updated
    }

    /// The id of the round named `name`, creating it if this store has not seen it.
    func ensureRound(_ db: Database, name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw FieldbookError.invalidValue(field: "round", value: name, expected: tr("name the round, e.g. 五届第五轮"))
        }
        let id = RecordID.round(trimmed)
        try ensureReference(db, kind: .round, id: id, fields: ["name": .text(trimmed)])
        return id
    }

    /// Adds a change to the log; false when the log already holds it (same device and sequence).
    @discardableResult
    static func insert(_ change: Change, _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(insertValues(change)))
        return db.changesCount > 0
    }

    /// Adds a change to the log (``insertValues(_:)`` its arguments); nothing when the log holds
    /// one under its device and sequence number.
    static let insertSQL = """
        INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING
        """

    static func insertValues(_ change: Change) -> [DatabaseValue] {
        [
            change.device.databaseValue, change.seq.databaseValue, change.hlc.rawValue.databaseValue,
            change.kind.rawValue.databaseValue, change.recordID.databaseValue, change.op.rawValue.databaseValue,
            CanonicalJSON.encode(change.fields).databaseValue,
            (change.base.isEmpty ? "{}" : CanonicalJSON.encode(change.base)).databaseValue,
        ]
    }

    /// Binds a change read from a bundle to ``insertSQL``, its texts as the line spells them, where
    /// they lie (``insertValues(_:)`` gathers a change's values into an array of their own).
    static func bindChange(_ line: ChangeLine, _ handle: OpaquePointer) -> CInt {
        bindChange(
            device: line.device, seq: line.seq, hlc: line.hlc, kind: line.kind, record: line.record, op: line.op,
            fields: line.fields, base: line.base, handle)
    }

    /// Binds a change given by its parts to ``insertSQL``, its fields and base as JSON already
    /// written (a roster import's create, worked out on its reader's thread).
    static func bindChange(
        device: String, seq: Int64, hlc: Int64, kind: RecordKind, record: String, op: ChangeOp, fields: String,
        base: String, _ handle: OpaquePointer
    ) -> CInt {
        var code = Statement.bind(device, handle, 1)
        if code == SQLITE_OK { code = Statement.bind(seq, handle, 2) }
        if code == SQLITE_OK { code = Statement.bind(hlc, handle, 3) }
        if code == SQLITE_OK { code = Statement.bind(kind.rawValue, handle, 4) }
        if code == SQLITE_OK { code = Statement.bind(record, handle, 5) }
        if code == SQLITE_OK { code = Statement.bind(op.rawValue, handle, 6) }
        if code == SQLITE_OK { code = Statement.bind(fields, handle, 7) }
        if code == SQLITE_OK { code = Statement.bind(base, handle, 8) }
        return code
    }

    /// Every change the log holds for one record.
    static func changes(of recordID: String, _ db: Database) throws -> [Change] {
        // Prepared once per connection: a roster import or a merge asks this of every record it touches.
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM change WHERE record_id = ? ORDER BY id"), arguments: [recordID])
            .map(change(from:))
    }

    /// What reading a change whose kind or operation the log's checks should have refused throws.
    static var unknownKindOrOperation: AlteredLog { AlteredLog(reason: tr("a change has an unknown kind or operation")) }

    /// A change in the log that no fieldbook writes, found as it is read: the store's own methods
    /// report it as ``FieldbookError/alteredStore(path:reason:)``, naming the store's file.
    struct AlteredLog: LocalizedError {
        var reason: String
        var errorDescription: String? { reason }

        /// The change of `row` (a row of the log) holds in `column` a text no fieldbook writes:
        /// every one was read whole by the rules of a change before the log took it, so this one
        /// was changed outside fieldbook.
        init(_ row: Row, _ column: String) {
            let device = (try? row.decode(String.self, forColumn: "device_id")) ?? "?"
            let seq = (try? row.decode(Int64.self, forColumn: "seq")) ?? 0
            reason = tr("change \(seq) of device \(device) holds \(column) that fieldbook never writes")
        }

        init(reason: String) { self.reason = reason }
    }

    /// A log row's `fields` or `base` as text. Bytes that are not UTF-8 (set by hand, which the
    /// TEXT column keeps as a blob) are a text no fieldbook writes, not a trap in reading them as
    /// a String.
    /// A text column of a record's row, nil for NULL. What fieldbook never writes there (bytes
    /// that are not UTF-8 text: a store edited by another program) throws, and is reported as the
    /// store's fault (exit 74), where reading it as a `String` stopped the program.
    static func rowText(_ row: Row, _ column: String) throws -> String? {
        switch (row[column] as DatabaseValue).storage {
        case .null: return nil
        case .string(let text): return text
        case .blob(let data):
            if let text = UTF8Text.validated([UInt8](data)) { return text }
        case .int64, .double: break
        }
        let id = (try? row.decode(String.self, forColumn: "id")) ?? "?"
        throw AlteredLog(reason: tr("record \(id) holds \(column) that fieldbook never writes"))
    }

    static func logText(_ row: Row, _ column: String) throws -> String {
        guard let text = try? row.decode(String.self, forColumn: column) else { throw AlteredLog(row, column) }
        return text
    }

    static func change(from row: Row) throws -> Change {
        guard let kind = RecordKind(rawValue: row["kind"]), let op = ChangeOp(rawValue: row["op"]) else {
            throw unknownKindOrOperation
        }
        func decoded<T: Decodable>(_ type: T.Type, _ column: String) throws -> T {
            let text = try logText(row, column)
            guard let value = try? CanonicalJSON.decode(type, from: text) else { throw AlteredLog(row, column) }
            return value
        }
        let fields = try decoded([String: FieldValue].self, "fields")
        let base = try decoded([String: [VersionID]].self, "base")
        return Change(
            device: row["device_id"], seq: row["seq"], hlc: HybridTimestamp(rawValue: row["hlc"]),
            kind: kind, recordID: row["record_id"], op: op, fields: fields, base: base)
    }

    /// The record folded from its changes, which must all be of its kind: a record id belongs to
    /// one kind for ever.
    static func state(of recordID: String, kind: RecordKind, _ db: Database) throws -> RecordState {
        let changes = try changes(of: recordID, db)
        if let other = changes.first(where: { $0.kind != kind }) {
            throw RecordKindConflict(id: recordID, kind: kind == changes[0].kind ? other.kind : kind, held: changes[0].kind)
        }
        return RecordState(kind: kind, id: recordID, changes: changes)
    }

    /// Folds a record's changes into its row and its conflicts.
    @discardableResult
    static func refold(
        _ recordID: String, kind: RecordKind, _ db: Database, changes: [Change]? = nil
    ) throws -> RecordState {
        let state = try changes.map { $0.count == 1 ? RecordState.single(kind: kind, id: recordID, $0[0]) : RecordState(kind: kind, id: recordID, changes: $0) }
            ?? state(of: recordID, kind: kind, db)
        if changes == nil || !state.conflicts.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM conflict WHERE record_id = ?").execute(arguments: [recordID])
        }
        for conflict in state.conflicts {
            try db.cachedStatement(
                sql: """
                    INSERT INTO conflict (record_id, kind, field, winner, winner_value, winner_hlc,
                                          loser, loser_value, loser_hlc)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    recordID, kind.rawValue, conflict.field, conflict.winner.description,
                    CanonicalJSON.encode(conflict.winnerValue), conflict.winnerHLC.rawValue,
                    conflict.loser.description, CanonicalJSON.encode(conflict.loserValue),
                    conflict.loserHLC.rawValue,
                ])
        }
        guard let created = state.created else { return state }
        try writeRow(recordID, kind: kind, values: state.values, deleted: state.deleted, created: created, updatedHLC: state.updatedHLC, db)
        return state
    }

    /// Writes a record's row: its values, tombstone, creator and clocks.
    static func writeRow(
        _ recordID: String, kind: RecordKind, values: [String: FieldValue], deleted: Bool, created: Change,
        updatedHLC: HybridTimestamp, _ db: Database
    ) throws {
        let arguments = rowValues(recordID, kind: kind, values: values, deleted: deleted, created: created, updatedHLC: updatedHLC)
        try db.cachedStatement(sql: upsertSQL(kind)).execute(arguments: StatementArguments(arguments))
    }

    /// A row's columns in the order of ``upsertSQL(_:)``.
    static func rowValues(
        _ recordID: String, kind: RecordKind, values: [String: FieldValue], deleted: Bool, created: Change,
        updatedHLC: HybridTimestamp
    ) -> [DatabaseValue] {
        var arguments = rowFieldValues(recordID, kind: kind, values: values)
        appendRowState(to: &arguments, deleted: deleted, createdBy: created.device, createdHLC: created.hlc, updatedHLC: updatedHLC)
        return arguments
    }

    /// The first part of ``rowValues(_:kind:values:deleted:created:updatedHLC:)``: the id and
    /// the fields, with room for the rest.
    static func rowFieldValues(_ recordID: String, kind: RecordKind, values: [String: FieldValue]) -> [DatabaseValue] {
        var arguments: [DatabaseValue] = [recordID.databaseValue]
        arguments.reserveCapacity(kind.fields.count + 5)
        for spec in kind.fields {
            arguments.append(databaseValue(values[spec.name] ?? .null, spec))
        }
        return arguments
    }

    /// The rest: the tombstone, who created the record and when, and its last change's clock.
    static func appendRowState(
        to arguments: inout [DatabaseValue], deleted: Bool, createdBy device: String, createdHLC: HybridTimestamp,
        updatedHLC: HybridTimestamp
    ) {
        arguments += [(deleted ? 1 : 0).databaseValue, device.databaseValue, createdHLC.rawValue.databaseValue,
                      updatedHLC.rawValue.databaseValue]
    }

    /// Binds the row a create makes on its own to ``insertRowSQL(_:)``, from the values its line
    /// was read into: the values ``rowValues(_:kind:values:deleted:created:updatedHLC:)`` gives for
    /// the state ``RecordState/single(kind:id:_:)`` folds from that one create, bound where they
    /// lie instead of gathered into a dictionary and an array of their own.
    static func bindRow(_ line: ChangeLine, _ handle: OpaquePointer) -> CInt {
        let kind = line.kind, lists = listFields[kind.ordinal]
        var code = Statement.bind(line.record, handle, 1)
        var given: UInt64 = 0, deleted: Int64 = 0, list = 0
        // Lists are bound as the JSON the parser worked out when it has (a merge's lines).
        let listTexts = line.listTexts.isEmpty ? nil : line.listTexts
        line.entries.withUnsafeBufferPointer { entries in
            for entry in entries where code == SQLITE_OK {
                var listText: String?
                if let listTexts, case .list = entry.value {
                    listText = listTexts[list]
                    list += 1
                }
                if entry.spec >= 0 {
                    given |= 1 << UInt64(entry.spec)
                    if let listText {
                        code = Statement.bind(listText, handle, CInt(entry.spec + 2))
                    } else {
                        code = bind(entry.value, isList: lists & 1 << UInt64(entry.spec) != 0, handle, CInt(entry.spec + 2))
                    }
                } else if entry.spec == LineField.deleted, case .int(1) = entry.value {
                    deleted = 1
                }
            }
        }
        // A list the create leaves out is stored empty; any other field left out, NULL (cleared).
        var missing = lists & ~given
        while missing != 0, code == SQLITE_OK {
            let spec = missing.trailingZeroBitCount
            code = bind(.null, isList: true, handle, CInt(spec + 2))
            missing &= missing - 1
        }
        // Then the tombstone, the maker and both clocks.
        let after = CInt(kind.fields.count + 2)
        if code == SQLITE_OK { code = Statement.bind(deleted, handle, after) }
        if code == SQLITE_OK { code = Statement.bind(line.device, handle, after + 1) }
        if code == SQLITE_OK { code = Statement.bind(line.hlc, handle, after + 2) }
        if code == SQLITE_OK { code = Statement.bind(line.hlc, handle, after + 3) }
        return code
    }

    /// Each kind's list fields, as bits by their place in its fields.
    private static let listFields: [UInt64] = RecordKind.allCases.map { kind in
        kind.fields.enumerated().reduce(0) { bits, field in isList(field.element) ? bits | 1 << UInt64(field.offset) : bits }
    }

    /// A value as its column holds it (``databaseValue(_:isList:)``), bound at `index`.
    private static func bind(_ value: FieldValue, isList: Bool, _ handle: OpaquePointer, _ index: CInt) -> CInt {
        Statement.bind(databaseValue(value, isList: isList), handle, index)
    }

    /// Records generated field records in one transaction: for the demo and the benchmark, whose
    /// values are already ids and already checked. Each is a create on this device, like `record`.
    public func recordBatch(_ records: [(kind: RecordKind, fields: [String: FieldValue])]) throws -> [String] {
        try write { db in
            try records.map { record in
                let id = environment.makeRecordID()
                try appendLocalChange(db, kind: record.kind, recordID: id, op: .create, fields: record.fields, fresh: true)
                return id
            }
        }
    }

    private static func databaseValue(_ value: FieldValue, _ spec: FieldSpec) -> DatabaseValue {
        databaseValue(value, isList: isList(spec))
    }

    /// Whether a field's column holds a list (as JSON).
    private static func isList(_ spec: FieldSpec) -> Bool {
        switch spec.type {
        case .list, .priorities: return true
        default: return false
        }
    }

    /// A value as its column holds it: a list as its JSON, and a list not given as an empty one.
    private static func databaseValue(_ value: FieldValue, isList: Bool) -> DatabaseValue {
        switch value {
        case .null: return isList ? "[]".databaseValue : .null
        case .int(let n): return n.databaseValue
        case .text(let s): return s.databaseValue
        case .list(let items): return CanonicalJSON.encode(items).databaseValue
        }
    }

    private static let upsertSQLByKind = Dictionary(uniqueKeysWithValues: RecordKind.allCases.map { ($0, makeUpsertSQL($0)) })

    /// Writes a record's row (``rowValues`` its arguments), replacing the row it had.
    static func upsertSQL(_ kind: RecordKind) -> String { upsertSQLByKind[kind]! }

    private static let insertRowSQLByKind = Dictionary(uniqueKeysWithValues: RecordKind.allCases.map { ($0, makeInsertRowSQL($0)) })

    /// Writes a record's row (``rowValues`` its arguments) where it has none: a row already there
    /// is left as it is, and no row is written (`changesCount` 0).
    static func insertRowSQL(_ kind: RecordKind) -> String { insertRowSQLByKind[kind]! }

    private static func makeInsertRowSQL(_ kind: RecordKind) -> String {
        rowInsert(kind).sql + "\nON CONFLICT (id) DO NOTHING"
    }

    private static func makeUpsertSQL(_ kind: RecordKind) -> String {
        let (columns, insert) = rowInsert(kind)
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return insert + "\nON CONFLICT (id) DO UPDATE SET \(updates)"
    }

    /// A row's columns in the order of ``rowValues``, and the `INSERT … VALUES` that writes them.
    private static func rowInsert(_ kind: RecordKind) -> (columns: [String], sql: String) {
        let columns = ["id"] + kind.fields.map(\.column) + ["deleted", "created_by", "created_hlc", "updated_hlc"]
        return (columns, """
            INSERT INTO \(kind.table) (\(columns.joined(separator: ", ")))
            VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            """)
    }
}
