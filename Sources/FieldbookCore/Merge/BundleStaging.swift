import Foundation
import GRDB

/// Reads a bundle's payload into a staging table and checks it, line by line and as a whole.
///
/// Merge stages into a temporary table of the store's own connection, inside the merge transaction;
/// `verify` stages into a scratch database. Either way SQLite's JSON parser reads each line and the
/// table's checks refuse a malformed change with its line number, in bounded memory.
enum BundleStaging {
    static func stage(
        _ envelope: BundleFile.Envelope, _ db: Database, progress: (@Sendable (Int, Int) -> Void)?
    ) throws {
        try db.execute(
            sql: """
                CREATE TEMP TABLE IF NOT EXISTS staged (
                    line INTEGER PRIMARY KEY,
                    device_id TEXT NOT NULL CHECK (length(device_id) = 36 AND device_id NOT GLOB '*[^0-9a-f-]*'),
                    seq INTEGER NOT NULL CHECK (typeof(seq) = 'integer' AND seq >= 1),
                    hlc INTEGER NOT NULL CHECK (typeof(hlc) = 'integer' AND hlc >= 0),
                    kind TEXT NOT NULL CHECK (kind IN ('township', 'village', 'household', 'round', 'team', 'visit', 'forum', 'notice', 'fix')),
                    record_id TEXT NOT NULL CHECK (length(record_id) = 36 AND record_id NOT GLOB '*[^0-9a-f-]*'),
                    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
                    fields TEXT NOT NULL CHECK (json_type(fields) = 'object'),
                    base TEXT NOT NULL CHECK (json_type(base) = 'object')
                );
                DELETE FROM temp.staged;
                """)
        let stage = try db.makeStatement(
            sql: """
                INSERT INTO temp.staged (line, device_id, seq, hlc, kind, record_id, op, fields, base)
                VALUES (?1, json_extract(?2, '$.device'), json_extract(?2, '$.seq'), json_extract(?2, '$.hlc'),
                        json_extract(?2, '$.kind'), json_extract(?2, '$.record'), json_extract(?2, '$.op'),
                        json_extract(?2, '$.fields'), coalesce(json_extract(?2, '$.base'), '{}'))
                """)
        let total = envelope.manifest.changes
        try BundleFile.readLines(envelope) { number, bytes in
            do {
                try stage.execute(arguments: [number, String(decoding: bytes, as: UTF8.self)])
            } catch let error as DatabaseError {
                let what: String
                if error.message?.contains("JSON") == true {
                    what = "is not valid JSON"
                } else if error.resultCode == .SQLITE_CONSTRAINT {
                    what = "is not a valid change (\(error.message ?? "a value is missing or out of range"))"
                } else {
                    what = "cannot be read (\(Store.describe(error)))"
                }
                throw BundleError("has a change at line \(number) that \(what)")
            }
            if number % 20_000 == 0 { progress?(number, total) }
        }
        progress?(total, total)
    }

    /// Checks the staged payload against its manifest, and against changes this store already holds.
    static func check(_ manifest: BundleManifest, _ db: Database, againstStore: Bool) throws {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM temp.staged GROUP BY kind") {
            counts[row["kind"]] = row["n"]
        }
        guard counts == manifest.counts.filter({ $0.value != 0 }) else {
            throw BundleError("has a manifest whose counts per kind disagree with its payload")
        }
        let ranges = try Row.fetchAll(
            db,
            sql: "SELECT device_id, min(seq) AS first, max(seq) AS last, count(*) AS n FROM temp.staged GROUP BY device_id ORDER BY device_id")
        let declared = manifest.devices.sorted { $0.id < $1.id }
        guard ranges.count == declared.count,
            zip(ranges, declared).allSatisfy({ row, d in
                row["device_id"] == d.id && row["first"] == d.firstSeq && row["last"] == d.lastSeq && row["n"] == d.count
            })
        else {
            throw BundleError("has a manifest whose device sequence ranges disagree with its payload")
        }
        let hlcs = try Row.fetchOne(db, sql: "SELECT min(hlc) AS lo, max(hlc) AS hi FROM temp.staged")
        guard hlcs?["lo"] == manifest.minHLC, hlcs?["hi"] == manifest.maxHLC else {
            throw BundleError("has a manifest whose clock range disagrees with its payload")
        }
        if let clash = try Row.fetchOne(
            db,
            sql: """
                SELECT s.line, s.device_id, s.seq FROM temp.staged s
                JOIN temp.staged t ON t.device_id = s.device_id AND t.seq = s.seq AND t.line < s.line
                WHERE t.hlc <> s.hlc OR t.record_id <> s.record_id OR t.op <> s.op LIMIT 1
                """)
        {
            throw BundleError("holds two different changes numbered \(clash["seq"] as Int64) from device \(clash["device_id"] as String)")
        }
        guard againstStore else { return }
        if let clash = try Row.fetchOne(
            db,
            sql: """
                SELECT s.line, s.device_id, s.seq FROM temp.staged s
                JOIN change c ON c.device_id = s.device_id AND c.seq = s.seq
                WHERE c.hlc <> s.hlc OR c.record_id <> s.record_id OR c.op <> s.op LIMIT 1
                """)
        {
            let device: String = clash["device_id"]
            let name = try String.fetchOne(db, sql: "SELECT name FROM device WHERE id = ?", arguments: [device]) ?? device
            throw BundleError(
                "holds change \(clash["seq"] as Int64) of device \(name) that differs from the one this store already has: two laptops share one device id (was a store file copied?). Nothing was merged; run `fieldbook init` afresh on the copy")
        }
    }

}

/// Checks bundles without any store: the envelope, the payload's digest and sizes, every change line,
/// and the manifest's counts against the payload.
public enum BundleVerifier {
    public static func verify(_ path: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> BundleManifest {
        let envelope = try BundleFile.open(path)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldbook-verify-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) }
        }
        do {
            let queue = try DatabaseQueue(path: scratch)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF")
                try db.inTransaction {
                    try BundleStaging.stage(envelope, db, progress: progress)
                    try BundleStaging.check(envelope.manifest, db, againstStore: false)
                    return .rollback
                }
            }
            try queue.close()
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError("could not be checked: \(Store.describe(error))")
        }
        return envelope.manifest
    }
}
