import Foundation
import GRDB

/// ``Store/ensureReference(_:kind:id:fields:)`` for many records in one transaction, set-based: the
/// roster import's writer.
///
/// It reads what the store holds for all the ids in one statement, then judges each record in
/// memory, in the order it is asked:
/// - an id the log has never seen gets its create, written with one prepared statement, and its
///   row, folded from that create alone (as ``Store/appendLocalChange`` does for a fresh create);
/// - an id whose only change is the very create this would write is unchanged, without decoding it;
/// - any other id (edited since, deleted, changed on the roster) goes the single-record way:
///   ``Store/appendLocalChange`` reads its changes again, writes the change naming its base, and
///   refolds it.
/// The clock and sequence number move per change exactly as they do one record at a time, so the
/// changes (ids, sequence numbers, clocks, fields, bases) are the very ones ``ensureReference``
/// writes; `local_state` is written once at the end, and before each single-record write.
struct ReferenceBatch {
    /// One change the store holds, as stored; decoded only when it is needed.
    private struct Held {
        var row: Row
        var op: String
        var fields: String
        var base: String
    }

    private let store: Store
    private let db: Database
    private var local: LocalState
    /// Whether `local` is ahead of `local_state`.
    private var dirty = false
    private var held: [String: [Held]] = [:]
    /// The statements a create runs, prepared once.
    private let insertChange: Statement
    private var rowStatements: [RecordKind: Statement] = [:]
    /// How many ids the batch was made for.
    private let ids: Int

    init(_ store: Store, _ db: Database, ids: [String]) throws {
        self.store = store
        self.db = db
        self.ids = ids.count
        insertChange = try db.makeStatement(sql: Store.insertSQL)
        local = try LocalState.fetch(db)
        // The merge's bigger page cache (64 MiB): households land in indexes keyed by their ids,
        // in no useful order, and a small cache spills them to the log before the commit.
        try db.execute(sql: "PRAGMA cache_size = -65536")
        // The ids as one JSON array, looked up through the change log's record index in one pass.
        var list = "["
        list.reserveCapacity(ids.count * 40 + 2)
        for (i, id) in ids.enumerated() {
            if i > 0 { list += "," }
            CanonicalJSON.appendString(id, to: &list)
        }
        list += "]"
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT * FROM change WHERE record_id IN (SELECT value FROM json_each(?)) ORDER BY id
                """,
            arguments: [list])
        while let row = try rows.next() {
            let copy = row.copy()
            held[copy["record_id"], default: []].append(
                Held(
                    row: copy, op: copy["op"],
                    fields: try Store.logText(copy, "fields"), base: try Store.logText(copy, "base")))
        }
    }

    /// Whether some id is new to the log (the batch will create records).
    var hasNew: Bool { held.count < ids }

    /// What ``Store/ensureReference`` does for this record, with the changes read up front.
    mutating func ensure(_ kind: RecordKind, id: String, fields: [String: FieldValue]) throws -> ReferenceOutcome {
        guard let changes = held[id], !changes.isEmpty else {
            try create(kind, id: id, fields: fields)
            return .added
        }
        // Its one change is the create this would write (canonical JSON is one spelling of one
        // set of values): it exists, is live and holds these very values.
        if changes.count == 1, changes[0].op == ChangeOp.create.rawValue, changes[0].base == "{}",
            changes[0].fields == CanonicalJSON.encode(Self.createFields(kind, fields))
        {
            return .unchanged
        }
        let current = RecordState(kind: kind, id: id, changes: try changes.map { try Store.change(from: $0.row) })
        guard current.exists, !current.deleted else {
            let (store, db) = (store, db)
            try single { try store.appendLocalChange(db, kind: kind, recordID: id, op: current.exists ? .update : .create, fields: fields) }
            return .added
        }
        let differing = fields.filter { current.values[$0.key] ?? .null != $0.value }
        guard !differing.isEmpty else { return .unchanged }
        let (store, db) = (store, db)
        try single { try store.appendLocalChange(db, kind: kind, recordID: id, op: .update, fields: differing) }
        return .updated
    }

    /// Writes `local_state` if the batch moved the clock or the sequence number.
    mutating func finish() throws {
        guard dirty else { return }
        try db.cachedStatement(sql: "UPDATE local_state SET last_hlc = ?, last_seq = ? WHERE singleton = 1")
            .execute(arguments: [local.lastHLC.rawValue, local.lastSeq])
        dirty = false
    }

    /// A write the single-record way, which reads and writes `local_state` itself.
    private mutating func single(_ body: () throws -> Change) throws {
        try finish()
        let change = try body()
        local.lastHLC = change.hlc
        local.lastSeq = change.seq
    }

    /// The fields a create writes: those given, the tombstone, and null for every field of the
    /// kind not given (as ``Store/appendLocalChange`` writes them).
    static func createFields(_ kind: RecordKind, _ fields: [String: FieldValue]) -> [String: FieldValue] {
        var written = fields
        if written[deletedField] == nil { written[deletedField] = .int(0) }
        for spec in kind.fields where written[spec.name] == nil && !spec.omittedWhenNull { written[spec.name] = .null }
        return written
    }

    /// The create of a record the log has never seen, and its row: ``Store/appendLocalChange``
    /// with `fresh`, without reading `local_state` or the log.
    private mutating func create(_ kind: RecordKind, id: String, fields: [String: FieldValue]) throws {
        local.lastHLC = HybridTimestamp.next(after: local.lastHLC, now: store.environment.now())
        local.lastSeq += 1
        dirty = true
        let change = Change(
            device: local.deviceID, seq: local.lastSeq, hlc: local.lastHLC, kind: kind,
            recordID: id, op: .create, fields: Self.createFields(kind, fields), base: [:])
        try Store.judge(change, role: local.role)
        try insertChange.executeDirectly(Store.insertValues(change))
        guard db.changesCount > 0 else { throw Store.sequenceTaken(change, db) }
        // Its row, folded from this one create (what Store.refold makes of it, without the work).
        let row = try rowStatement(kind)
        try row.executeDirectly(Store.rowValues(id, kind: kind, values: change.fields, deleted: false, created: change, updatedHLC: change.hlc))
    }

    /// The statement that writes a row of `kind`, prepared once.
    private mutating func rowStatement(_ kind: RecordKind) throws -> Statement {
        if let known = rowStatements[kind] { return known }
        let statement = try db.makeStatement(sql: Store.upsertSQL(kind))
        rowStatements[kind] = statement
        return statement
    }
}
