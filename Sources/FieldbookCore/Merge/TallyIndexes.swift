import Foundation
import GRDB

/// The tally's indexes, set aside while a big merge runs and built afresh at its end.
///
/// Each tally index (Schema.tallyIndexes) holds every live record of its kind, keyed by household or
/// village: a merge's visits land on it in no useful order, and keeping it up to date change by
/// change cost a third of a merge of a district's year (README, "Merge speed"). Built afresh from the
/// records, it is one sort. So a merge whose bundles bring a kind at least an eighth as many changes
/// as its table has held drops that kind's index before its first bundle and builds it again after
/// its last. The records and the tally are the same either way; only the time differs.
///
/// A merge killed in between leaves the store without the index, which is the store's state and
/// nothing is lost: a tally is right without it, only slower. The next time the store is opened for
/// writing while no merge or roster import is running, the index is built again.
extension Store {
    /// Changes of one kind below which a merge keeps its index up to date change by change.
    public static let tallyIndexesAsideFrom = 4096

    /// Sets aside, for the merge of the bundles at `paths`, the tally index of each kind whose changes
    /// in those bundles (their manifests' counts) come to at least `minimumChanges` and to an eighth of
    /// the records its table has held. Returns the names of the indexes set aside; the merge builds
    /// them again with ``restoreTallyIndexes()``.
    ///
    /// A manifest is only a forecast here: a bundle that cannot be opened or whose counts lie changes
    /// how long the merge takes, never what it writes.
    public func setTallyIndexesAside(forMerging paths: [String], minimumChanges: Int = Store.tallyIndexesAsideFrom) throws -> [String] {
        // The bundles this store has not merged yet (its ledger knows each merged payload's digest):
        // merging a folder again, after a disk is restored, rebuilds nothing.
        let manifests = paths.compactMap { try? BundleFile.open($0).manifest }
        let merged = try read { db in
            try Set(String.fetchAll(db, sql: "SELECT payload_sha256 FROM bundle WHERE direction = 'merged'"))
        }
        var incoming: [RecordKind: Int] = [:]
        for manifest in manifests where !merged.contains(manifest.payload.sha256) {
            for (name, count) in manifest.counts {
                if let kind = RecordKind(rawValue: name), count > 0 { incoming[kind, default: 0] &+= count }
            }
        }
        guard !incoming.isEmpty else { return [] }
        return try write { db in
            var setAside: [String] = []
            let present = try Store.indexNames(db)
            for index in Schema.tallyIndexes where present.contains(index.name) {
                let changes = incoming[index.kind] ?? 0
                guard changes >= max(1, minimumChanges) else { continue }
                // The rows its table has held: row numbers only grow, and the last is found at once.
                let rows = try Int.fetchOne(db, sql: "SELECT max(rowid) FROM \(index.kind.table)") ?? 0
                guard changes >= rows / 8 else { continue }
                try db.execute(sql: "DROP INDEX \(index.name)")
                setAside.append(index.name)
            }
            return setAside
        }
    }

    /// Builds every tally index the store lacks (set aside by a merge, which may have been killed).
    /// Returns the names of those built. Throws, building none, when the store's disk has no room for
    /// them (``tallyIndexesRoom(_:path:)``).
    @discardableResult
    public func restoreTallyIndexes() throws -> [String] {
        try write { db in
            let room = try Store.tallyIndexesRoom(db, path: path)
            guard room.free >= room.needed else {
                throw FieldbookError.storeFailure(
                    path: path,
                    message: tr("the disk has \(FileFault.bytes(room.free)) free where the store is, and building them needs about \(FileFault.bytes(room.needed))"))
            }
            return try Store.buildMissingTallyIndexes(db)
        }
    }

    /// An index's entry is 90–170 bytes (three ids, a date, a status or two): a bound of each,
    /// times the rows its table has held, is what its build may write to the log.
    static let tallyIndexEntryBound: Int64 = 256

    /// The bytes free on the store's disk, and about what building its missing tally indexes needs
    /// there: the build writes each index whole to the log before its commit. A build that met a
    /// full disk would fill it first, and every command that opened the store meanwhile would stop
    /// with it (the log's memory-mapped index faults when the disk has no block left).
    static func tallyIndexesRoom(_ db: Database, path: String) throws -> (free: Int64, needed: Int64) {
        var rows: Int64 = 0
        for index in try missingTallyIndexes(db) {
            rows += try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM \(index.kind.table)") ?? 0
        }
        let needed = rows * tallyIndexEntryBound + 4 * minimumFreeBytes
        return (FileFault.freeSpace((path as NSString).deletingLastPathComponent) ?? Int64.max, needed)
    }

    static func buildMissingTallyIndexes(_ db: Database) throws -> [String] {
        let missing = try missingTallyIndexes(db)
        guard !missing.isEmpty else { return [] }
        // SQLite's sort holds as much as the page cache in memory besides the cache itself: 16 MiB
        // keeps a merge's peak where its bundles put it, and sorted runs that size were as fast as
        // bigger ones (1.34 s for a million visits, against 1.75 s with the merge's 64 MiB).
        try db.execute(sql: "PRAGMA cache_size = -16384")
        for index in missing { try db.execute(sql: index.sql) }
        return missing.map(\.name)
    }

    /// The names of the indexes the store holds now: one query of the schema, cheap enough for
    /// every open and every tally.
    static func indexNames(_ db: Database) throws -> Set<String> {
        try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
    }

    /// The tally indexes the store lacks.
    static func missingTallyIndexes(_ db: Database) throws -> [Schema.TallyIndex] {
        let present = try indexNames(db)
        return Schema.tallyIndexes.filter { !present.contains($0.name) }
    }
}
