import Foundation
import GRDB
import GRDBSQLite

/// ``Store/ensureReference(_:kind:id:fields:)`` for many records in one transaction, set-based: the
/// roster import's writer.
///
/// It reads what the store holds for the ids of each batch of records it is given in one
/// statement (``lookUp(_:)``), then judges each record in memory, in the order it is asked:
/// - an id the log has never seen gets its create, written with one prepared statement, and its
///   row, folded from that create alone (as ``Store/appendLocalChange`` does for a fresh create);
/// - an id whose only change is the very create this would write is unchanged, without decoding it;
/// - any other id (edited since, deleted, changed on the roster) goes the single-record way:
///   ``Store/appendLocalChange`` reads its changes again, writes the change naming its base, and
///   refolds it.
/// The clock and sequence number move per change exactly as they do one record at a time, so the
/// changes (ids, sequence numbers, clocks, fields, bases) are the very ones ``ensureReference``
/// writes; `local_state` is written once at the end, and before each single-record write.
///
/// What needs no store (a create's fields, their canonical JSON, the rules' judgement) comes
/// worked out in a ``Prepared``, which the import makes on another thread while this one writes.
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
    private var insertRowStatements: [RecordKind: Statement] = [:]
    /// The statements that store a reading, by kind, prepared once.
    private var readingStatements: [RecordKind: Statement] = [:]

    /// A reference record to ensure, with what its create would be, worked out without the store.
    struct Prepared: Sendable {
        var kind: RecordKind
        var id: String
        var fields: [String: FieldValue]
        /// The fields its create writes (``createFields(_:_:)``), and their canonical JSON.
        var createFields: [String: FieldValue]
        var createJSON: String
        /// The row that create makes, but for what the writer knows (``Store/rowFieldValues``).
        var rowFieldValues: [DatabaseValue]
        /// Why the rules refuse that create, if they do: thrown when it is written, where the
        /// single-record way throws it.
        var refusal: FieldbookError?
        /// The pinyin of its name, for search (``NameReadings/read(_:)`` says which field is
        /// read: a household's head, a village's name); nil for a record without one.
        var reading: (name: String, reading: String)?

        /// `role` and `device`: the store's, which the rules' judgement reads.
        init(_ kind: RecordKind, id: String, fields: [String: FieldValue], role: DeviceRole, device: String) {
            self.kind = kind
            self.id = id
            self.fields = fields
            createFields = ReferenceBatch.createFields(kind, fields)
            createJSON = CanonicalJSON.encode(createFields)
            rowFieldValues = Store.rowFieldValues(id, kind: kind, values: createFields)
            do {
                try Store.judge(
                    kind: kind, recordID: id, op: .create, fields: createFields, base: [:],
                    version: VersionID(device: device, seq: 1), role: role)
            } catch {
                refusal = error
            }
        }
    }

    init(_ store: Store, _ db: Database) throws {
        self.store = store
        self.db = db
        insertChange = try db.makeStatement(sql: Store.insertSQL)
        local = try LocalState.fetch(db)
        // The merge's bigger page cache (64 MiB): households land in indexes keyed by their ids,
        // in no useful order, and a small cache spills them to the log before the commit.
        try db.execute(sql: "PRAGMA cache_size = -65536")
    }

    /// The store's role and device, which ``Prepared`` reads.
    var role: DeviceRole { local.role }
    var device: String { local.deviceID }

    /// Reads what the log holds for `ids` (those about to be ensured), looked up through the
    /// change log's record index in one statement.
    mutating func lookUp(_ ids: [String]) throws {
        // An id comes once in an import: what earlier batches' ids held is needed no more.
        held.removeAll(keepingCapacity: true)
        // The ids as one JSON array.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 39 + 2)
        CanonicalJSON.appendList(ids, to: &bytes)
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT * FROM change WHERE record_id IN (SELECT value FROM json_each(?)) ORDER BY id"),
            arguments: [String(decoding: bytes, as: UTF8.self)])
        while let row = try rows.next() {
            let copy = row.copy()
            held[copy["record_id"], default: []].append(
                Held(
                    row: copy, op: copy["op"],
                    fields: try Store.logText(copy, "fields"), base: try Store.logText(copy, "base")))
        }
    }

    /// What ``Store/ensureReference`` does for this record, with its changes looked up
    /// (``lookUp(_:)``) before.
    mutating func ensure(_ record: Prepared) throws -> ReferenceOutcome {
        let (kind, id, fields) = (record.kind, record.id, record.fields)
        guard let changes = held[id], !changes.isEmpty else {
            try create(record)
            return .added
        }
        // Its one change is the create this would write (canonical JSON is one spelling of one
        // set of values): it exists, is live and holds these very values.
        if changes.count == 1, changes[0].op == ChangeOp.create.rawValue, changes[0].base == "{}",
            changes[0].fields == record.createJSON
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
    private mutating func create(_ record: Prepared) throws {
        local.lastHLC = HybridTimestamp.next(after: local.lastHLC, now: store.environment.now())
        local.lastSeq += 1
        dirty = true
        if let refusal = record.refusal { throw refusal }
        let (device, seq, hlc) = (local.deviceID, local.lastSeq, local.lastHLC)
        try insertChange.executeDirectly { handle in
            Store.bindChange(
                device: device, seq: seq, hlc: hlc.rawValue, kind: record.kind, record: record.id, op: .create,
                fields: record.createJSON, base: "{}", handle)
        }
        guard db.changesCount > 0 else {
            throw Store.sequenceTaken(
                Change(
                    device: device, seq: seq, hlc: hlc, kind: record.kind,
                    recordID: record.id, op: .create, fields: record.createFields, base: [:]),
                db)
        }
        // Its row, folded from this one create (what Store.refold makes of it, without the work).
        var values = record.rowFieldValues
        Store.appendRowState(to: &values, deleted: false, createdBy: device, createdHLC: hlc, updatedHLC: hlc)
        // Inserted where the table has no row of that id, which is what a store whose log has never
        // seen the id holds: the reading then names the new row by its rowid, with no look-up.
        // A row without changes (a store altered outside fieldbook) is overwritten as the
        // single-record way does, and its reading found by id.
        try Self.statement(&insertRowStatements, db, record.kind, Store.insertRowSQL(record.kind)).executeDirectly(values)
        let rowid: Int64?
        if db.changesCount > 0 {
            rowid = db.lastInsertedRowID
        } else {
            try Self.statement(&rowStatements, db, record.kind, Store.upsertSQL(record.kind)).executeDirectly(values)
            rowid = nil
        }
        // The reading of its name, for the row just written.
        guard let reading = record.reading, let read = NameReadings.read(record.kind) else { return }
        if let rowid {
            try Self.statement(&readingStatements, db, record.kind, read.storeSQL).executeDirectly { handle in
                var code = Statement.bind(rowid, handle, 1)
                if code == SQLITE_OK { code = Statement.bind(reading.name, handle, 2) }
                if code == SQLITE_OK { code = Statement.bind(reading.reading, handle, 3) }
                return code
            }
        } else {
            try db.cachedStatement(sql: read.storeByIDSQL).executeDirectly { handle in
                var code = Statement.bind(record.id, handle, 1)
                if code == SQLITE_OK { code = Statement.bind(reading.name, handle, 2) }
                if code == SQLITE_OK { code = Statement.bind(reading.reading, handle, 3) }
                return code
            }
        }
    }

    /// The statement of `sql` for `kind` in `statements`, prepared once.
    private static func statement(
        _ statements: inout [RecordKind: Statement], _ db: Database, _ kind: RecordKind, _ sql: String
    ) throws -> Statement {
        if let known = statements[kind] { return known }
        let statement = try db.makeStatement(sql: sql)
        statements[kind] = statement
        return statement
    }
}
