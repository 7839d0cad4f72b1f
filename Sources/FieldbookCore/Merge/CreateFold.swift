import Foundation
import GRDB

/// The creates of a merge, each folded into its record as it is added to the log, from the values
/// its line was read into.
///
/// A create of a record that no other change touches folds to its own fields: its row is the
/// create's values, its device the maker, its clock both clocks (what ``Store/refold`` makes of a
/// lone create). Right after a create is added to the log, one look-up in the log's record index
/// asks whether any other change names its record; if none does, its row is written with the
/// line's values bound to a one-row `INSERT`. Otherwise (an edit that arrived first, a create by
/// another laptop, a row that no change explains) the record is handed back to be folded from all
/// of its changes, as every other touched record is. An edit later in the same bundle touches the
/// record again, which folds it from all of its changes at the end.
///
/// Before this, creates were folded 8,192 at a time by one `INSERT … SELECT` reading each value
/// back out of the log's JSON with `json_extract`: 3.8 µs a visit, where binding the values already
/// read costs a fraction of that (README, "Merge speed", fourth round). A one-row `INSERT … VALUES`
/// also writes no statement journal, which SQLite keeps for any statement that may write many
/// rows. A value the store refuses names its line.
struct CreateFold {
    private var probe: [RecordKind: Statement] = [:]
    private var inserts: [RecordKind: Statement] = [:]
    private let db: Database

    init(_ db: Database) {
        self.db = db
    }

    enum Outcome {
        /// Its row was written from the create alone: a new record.
        case inserted
        /// Another change names the record, or a row is there that no change explains: it must be
        /// folded from all of its changes.
        case refold
    }

    /// Folds the create at line `number` of the bundle, just added to the log as row `row`.
    mutating func fold(_ line: ChangeLine, number: Int, row: Int64) throws -> Outcome {
        let others = try statement(&probe, line.kind, "SELECT 1 FROM change WHERE record_id = ? AND id <> ?")
        if try others.existsDirectly([line.record.databaseValue, row.databaseValue]) { return .refold }
        let insert = try statement(&inserts, line.kind, Store.insertRowSQL(line.kind))
        do {
            try insert.executeDirectly { handle in Store.bindRow(line, handle) }
        } catch {
            throw Store.bundleFault(error, tr("has a \(line.kind.rawValue) at line \(number) this store refuses"))
        }
        // No row was written: one is there already, which no change of the log explains (a store
        // edited by hand). Folding the record from its changes mends it.
        return db.changesCount == 1 ? .inserted : .refold
    }

    private func statement(_ cache: inout [RecordKind: Statement], _ kind: RecordKind, _ sql: @autoclosure () -> String) throws -> Statement {
        if let known = cache[kind] { return known }
        let made = try db.makeStatement(sql: sql())
        cache[kind] = made
        return made
    }
}
