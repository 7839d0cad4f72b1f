import FieldbookTestSupport
import Foundation
import GRDB

/// A folder of stores an earlier release made (Tests/Fixtures/NAME), for the migration tests.
struct StoreFixture {
    let folder: URL

    init(_ name: String) {
        folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// A copy of the fixture file `name` in `dir`, so the committed one is never changed.
    func copy(_ name: String, to dir: TemporaryDirectory) throws -> String {
        let path = dir.path(name)
        try FileManager.default.copyItem(atPath: folder.appendingPathComponent(name).path, toPath: path)
        return path
    }

    /// The change log of the store at `path` as rows of text, in order, read without Fieldbook's
    /// code; with each row's `id` first when `ids` is true.
    static func changeLog(_ path: String, ids: Bool) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let columns = "device_id || ' ' || seq || ' ' || hlc || ' ' || kind || ' ' || record_id || ' ' || op || ' ' || fields || ' ' || base"
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT \(ids ? "id || ' ' || " : "")\(columns) FROM change ORDER BY id")
        }
    }
}
