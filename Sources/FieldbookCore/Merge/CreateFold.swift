import Foundation
import GRDB

/// The creates of a merge, each folded into its record as it is added to the log, from the values
/// its line was read into.
///
/// A create of a record that no other change touches folds to its own fields: its row is the
/// create's values, its device the maker, its clock both clocks (what ``Store/refold`` makes of a
/// lone create). Right after a create is added to the log, its row is written with the line's
/// values bound to a one-row `INSERT` (``Store/bindRow(_:_:)``), unless the record has a row
/// already. Every 8,192 creates (and at the end), one statement asks the log's record index which
/// of them name a record that other changes name too (an edit that arrived first or later in the
/// bundle, a create by another laptop): those records are folded from all of their changes, as
/// every other touched record is, which replaces the row their create wrote. So is a record whose
/// row was there already, which no change may explain (a store edited by hand): the fold mends it.
///
/// Before this, creates were folded 8,192 at a time by one `INSERT … SELECT` reading each value
/// back out of the log's JSON with `json_extract`: 3.8 µs a visit, where binding the values already
/// read costs a fraction of that (docs/PERFORMANCE.md, "Merge speed", fourth round). A one-row `INSERT … VALUES`
/// also writes no statement journal, which SQLite keeps for any statement that may write many
/// rows. A value the store refuses names its line.
struct CreateFold {
    /// Creates folded between two look-ups of the records other changes name.
    static let lookUpEvery = 8192

    private let db: Database
    private var inserts: [RecordKind: Statement] = [:]
    private let named: Statement
    /// The creates since the last look-up are the log's rows after `after`, up to `last`: a merge
    /// adds rows in the order it reads them, each with the next row number.
    private var after: Int64
    private var last: Int64?
    private var since = 0

    init(_ db: Database) throws {
        self.db = db
        after = try Int64.fetchOne(db, sql: "SELECT max(id) FROM change") ?? 0
        named = try db.makeStatement(
            sql: """
                SELECT c.record_id, c.kind FROM change c
                WHERE c.id > ?1 AND c.id <= ?2 AND c.op = 'create'
                    AND EXISTS (SELECT 1 FROM change o WHERE o.record_id = c.record_id AND o.id <> c.id)
                ORDER BY c.id
                """)
    }

    enum Outcome {
        /// Its row was written from the create alone: a new record.
        case inserted
        /// The record has a row already: it must be folded from all of its changes.
        case refold
    }

    /// Folds the create at line `number` of the bundle, just added to the log as row `row`.
    mutating func fold(_ line: ChangeLine, number: Int, row: Int64) throws -> Outcome {
        let insert: Statement
        if let known = inserts[line.kind] {
            insert = known
        } else {
            insert = try db.makeStatement(sql: Store.insertRowSQL(line.kind))
            inserts[line.kind] = insert
        }
        do {
            try insert.executeDirectly { handle in Store.bindRow(line, handle) }
        } catch {
            throw Store.bundleFault(error, tr("has a \(line.kind.rawValue) at line \(number) this store refuses"))
        }
        last = row
        since += 1
        return db.changesCount == 1 ? .inserted : .refold
    }

    /// Whether the creates since the last look-up are due for one.
    var isDue: Bool { since >= Self.lookUpEvery }

    /// The records of the creates folded since the last look-up that other changes of the log name,
    /// in the order their creates came: each must be folded from all of its changes.
    mutating func namedByOthers() throws -> [(id: String, kind: RecordKind)] {
        guard let last else { return [] }
        defer {
            after = last
            self.last = nil
            since = 0
        }
        return try Row.fetchAll(named, arguments: [after, last]).map { row in
            guard let kind = RecordKind(rawValue: row[1]) else { throw Store.unknownKindOrOperation }
            return (row[0], kind)
        }
    }
}
