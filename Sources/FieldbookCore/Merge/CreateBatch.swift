import Foundation
import GRDB

/// The creates of a merge, folded into their records a batch at a time instead of one by one.
///
/// A create of a record that no other change touches folds to its own fields. A merge adds each
/// change to the log as it reads it and notes its creates here; every 8,192 creates (and at the
/// end) one statement per kind inserts, straight from the log, the records of all the batch's
/// creates whose record has no other change in the log. One statement for thousands of rows costs a
/// fraction of one statement per row (README, "Merge speed"). The creates whose record has other
/// changes (an edit in the same bundle, a create by another laptop) are handed back to be folded
/// from all of their changes, as before.
///
/// The outcome is the one the create-by-create fold gave: a record is inserted from its create only
/// when no other change of it is in the log, and a refold of a record gives the same state whatever
/// order its changes came in. A value the store refuses names its line, as before: the batch's
/// statement is rolled back and its creates folded again one by one to find it.
struct CreateBatch {
    /// Creates per batch: about 2 MB of the log's rows, read back from the page cache.
    static let defaultCapacity = 8192

    private let capacity: Int

    /// The log's rows of this batch are those after `after`, up to the last create noted: a merge
    /// adds rows in the order it reads them, each with the next row number.
    private var after: Int64
    /// The batch's creates: their rows in the log and their lines in the bundle, in reading order.
    private var rows: [Int64] = []
    private var lines: [Int] = []
    private var kinds: [RecordKind: Int] = [:]
    private var statements: [RecordKind: (insert: Statement, unfolded: Statement)] = [:]
    private var perRow: [RecordKind: Statement] = [:]

    init(_ db: Database, capacity: Int = CreateBatch.defaultCapacity) throws {
        self.capacity = max(1, capacity)
        after = try Int64.fetchOne(db, sql: "SELECT max(id) FROM change") ?? 0
    }

    var isFull: Bool { rows.count >= capacity }

    /// Notes the create at line `number` of the bundle, just added to the log as row `row`.
    mutating func add(line number: Int, kind: RecordKind, row: Int64) {
        rows.append(row)
        lines.append(number)
        kinds[kind, default: 0] += 1
    }

    /// Folds the batch's creates: returns how many records were inserted from their create alone,
    /// and calls `unfolded` with each record that must be folded from all its changes.
    mutating func flush(_ db: Database, unfolded: (String, RecordKind) throws -> Void) throws -> Int {
        guard let last = rows.last else { return 0 }
        let range: StatementArguments = [after, last]
        defer {
            after = last
            rows.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
            kinds = [:]
        }
        var inserted = 0
        for kind in RecordKind.allCases {
            guard let noted = kinds[kind] else { continue }
            let statements = try self.statements(kind, db)
            let arguments = range + [kind.rawValue]
            try db.execute(sql: "SAVEPOINT merge_creates")
            do {
                try statements.insert.execute(arguments: arguments)
                try db.execute(sql: "RELEASE merge_creates")
            } catch {
                try db.execute(sql: "ROLLBACK TO merge_creates")
                try db.execute(sql: "RELEASE merge_creates")
                try foldOneByOne(kind, arguments, db)
                throw Store.bundleFault(error, tr("has a \(kind.rawValue) this store refuses"))
            }
            let count = db.changesCount
            inserted += count
            guard count < noted else { continue }
            // Some records have other changes: those are folded from all of them.
            let others = try String.fetchAll(statements.unfolded, arguments: arguments)
            for id in others { try unfolded(id, kind) }
            if count + others.count != noted {
                // A record row that no change of the log explains (a store edited by hand): every
                // record of the batch's creates of this kind is folded from its changes, which mends it.
                for id in try String.fetchAll(db, sql: "SELECT record_id FROM change \(CreateBatch.batchRows)", arguments: arguments) {
                    try unfolded(id, kind)
                }
            }
        }
        return inserted
    }

    /// Which rows of the log are the batch's creates of one kind: ?1 < id <= ?2, kind ?3.
    private static let batchRows = "WHERE id > ?1 AND id <= ?2 AND kind = ?3 AND op = 'create' ORDER BY id"

    /// The batch's creates of one kind folded one by one, in line order: throws the first one refused,
    /// naming its line. Nothing it writes is kept.
    private mutating func foldOneByOne(_ kind: RecordKind, _ arguments: StatementArguments, _ db: Database) throws {
        let statement: Statement
        if let cached = perRow[kind] {
            statement = cached
        } else {
            statement = try db.makeStatement(sql: Store.fastFoldSQL(kind))
            perRow[kind] = statement
        }
        let creates = try Row.fetchAll(
            db, sql: "SELECT id, record_id, fields, device_id, hlc FROM change \(CreateBatch.batchRows)", arguments: arguments)
        try db.execute(sql: "SAVEPOINT merge_creates_one_by_one")
        defer {
            try? db.execute(sql: "ROLLBACK TO merge_creates_one_by_one")
            try? db.execute(sql: "RELEASE merge_creates_one_by_one")
        }
        for create in creates {
            let row: Int64 = create["id"]
            do {
                try statement.execute(arguments: [create["record_id"], create["fields"], row, create["device_id"], create["hlc"]])
            } catch {
                let number = rows.firstIndex(of: row).map { lines[$0] } ?? 0
                throw Store.bundleFault(error, tr("has a \(kind.rawValue) at line \(number) this store refuses"))
            }
        }
    }

    private mutating func statements(_ kind: RecordKind, _ db: Database) throws -> (insert: Statement, unfolded: Statement) {
        if let cached = statements[kind] { return cached }
        let made = (
            insert: try db.makeStatement(sql: CreateBatch.insertSQL(kind)),
            unfolded: try db.makeStatement(
                sql: """
                    SELECT c.record_id FROM change c
                    WHERE c.id > ?1 AND c.id <= ?2 AND c.kind = ?3 AND c.op = 'create'
                        AND EXISTS (SELECT 1 FROM change o WHERE o.record_id = c.record_id AND o.id <> c.id)
                    ORDER BY c.id
                    """))
        statements[kind] = made
        return made
    }

    /// The records of the batch's creates of one kind (?1 < row <= ?2, kind ?3) that are their
    /// record's only change, from the log's rows, in the order they were read.
    static func insertSQL(_ kind: RecordKind) -> String {
        let row = Store.createdRow(kind, id: "c.record_id", fields: "c.fields", device: "c.device_id", hlc: "c.hlc")
        return """
            INSERT INTO \(kind.table) (\(row.columns))
            SELECT \(row.values) FROM change c
            WHERE c.id > ?1 AND c.id <= ?2 AND c.kind = ?3 AND c.op = 'create'
                AND NOT EXISTS (SELECT 1 FROM change o WHERE o.record_id = c.record_id AND o.id <> c.id)
            ORDER BY c.id
            ON CONFLICT (id) DO NOTHING
            """
    }
}
