import GRDB

/// What fieldbook writes in a record table's text columns is text or NULL, and the program reads
/// them as such: a BLOB that is not UTF-8, put there by another program (a database browser, a
/// sync tool), stopped any command that read it in GRDB's `try!` (signal 4), a village's name as
/// soon as a tally or a search read it.
///
/// Each table of ``kinds`` has a partial index over the rows whose text columns hold anything else
/// (`<table>_unaltered`, migration v13), empty in every store fieldbook writes: keeping it costs
/// a write no more than the check of its condition. Opening a store asks each index for a row,
/// a look-up apiece, and reads the two small tables of the store's own identity whole. A row
/// found, or an index missing or changed, is the store's fault, reported as such (exit 74) before
/// any command reads a value.
enum UnalteredText {
    /// The tables so checked: the roster's, rounds, teams, categories and problems, which reports,
    /// searches and the ledger read by name. Visits, forums, notices and fixes, nine tenths of
    /// what a merge writes, are read as records (``Store/rowText(_:_:)``, which refuses such a
    /// value with the same exit): an index on them cost a merge about 5% (measured in turn).
    static let kinds = RecordKind.allCases.filter { ![.visit, .forum, .notice, .fix].contains($0) }

    /// The text columns of `kind`'s table: its id, who created it, and every field but counts.
    static func columns(_ kind: RecordKind) -> [String] {
        ["id", "created_by"] + kind.fields.compactMap { spec in
            if case .count = spec.type { return nil }
            return spec.column
        }
    }

    /// The rows of `kind`'s table that hold what no fieldbook writes in a text column.
    static func condition(_ kind: RecordKind) -> String {
        columns(kind).map { "typeof(\($0)) NOT IN ('text', 'null')" }.joined(separator: " OR ")
    }

    static func indexName(_ kind: RecordKind) -> String { "\(kind.table)_unaltered" }

    static func indexSQL(_ kind: RecordKind) -> String {
        "CREATE INDEX \(indexName(kind)) ON \(kind.table)(id) WHERE \(condition(kind))"
    }

    /// v13: the indexes, built once over what each table holds.
    static func createIndexes(_ db: Database) throws {
        for kind in kinds { try db.execute(sql: indexSQL(kind)) }
    }

    /// Why the store holds what no fieldbook writes in a text column, or nil.
    static func problem(_ db: Database) throws -> String? {
        let defined = Dictionary(
            try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE '%_unaltered'")
                .map { (String.fromDatabaseValue($0[0] as DatabaseValue) ?? "", String.fromDatabaseValue($0[1] as DatabaseValue) ?? "") },
            uniquingKeysWith: { first, _ in first })
        for kind in kinds {
            guard defined[indexName(kind)] == indexSQL(kind) else {
                return tr("the check of its \(kind.table) table (\(indexName(kind))) is missing or was changed")
            }
            let columns = columns(kind)
            let which = "CASE " + columns.map { "WHEN typeof(\($0)) NOT IN ('text', 'null') THEN '\($0)'" }.joined(separator: " ") + " END"
            if let row = try Row.fetchOne(
                db, sql: "SELECT quote(id), \(which) FROM \(kind.table) INDEXED BY \(indexName(kind)) WHERE \(condition(kind)) LIMIT 1")
            {
                let id = String.fromDatabaseValue(row[0] as DatabaseValue) ?? "?"
                let column = String.fromDatabaseValue(row[1] as DatabaseValue) ?? "?"
                return tr("\(kind.rawValue) \(id) holds \(column) that fieldbook never writes")
            }
        }
        // The store's own identity, one row each, read whole.
        let own: [(table: String, columns: [String])] = [
            ("local_state", ["device_id", "round_id", "inspectors", "district"]), ("device", ["id", "name", "team", "role"]),
        ]
        for (table, columns) in own {
            let condition = columns.map { "typeof(\($0)) NOT IN ('text', 'null')" }.joined(separator: " OR ")
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM \(table) WHERE \(condition) LIMIT 1") == true {
                return tr("its \(table) table holds what fieldbook never writes")
            }
        }
        return nil
    }
}
