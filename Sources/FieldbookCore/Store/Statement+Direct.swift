import GRDB
import GRDBSQLite

extension Statement {
    /// Runs this prepared statement with SQLite's own calls. GRDB's handling of arguments costs
    /// about as much as a small insert itself, and the roster import and the merge run one per row,
    /// hundreds of thousands of times. A step that fails is run again through GRDB, which throws
    /// what failed as every other write does.
    func executeDirectly(_ values: [DatabaseValue]) throws {
        let handle = sqliteStatement
        var code = sqlite3_reset(handle)
        for (index, value) in values.enumerated() where code == SQLITE_OK {
            code = value.bind(to: handle, at: CInt(index + 1))
        }
        if code == SQLITE_OK { code = sqlite3_step(handle) }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        if code != SQLITE_DONE {
            try execute(arguments: StatementArguments(values))
        }
    }
}
