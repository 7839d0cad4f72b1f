import Foundation
import GRDB

/// The tally's indexes, set aside while a big merge runs and built afresh at its end.
///
/// Each tally index (Schema.tallyIndexes) holds every live record of its kind, keyed by household or
/// village: a merge's visits land on it in no useful order, and keeping it up to date change by
/// change cost a third of a merge of a district's year (docs/PERFORMANCE.md, "Merge speed"). Built afresh from the
/// records, it is one sort. So a merge whose bundles bring a kind at least an eighth as many changes
/// as its table has held drops that kind's index before its first bundle and builds it again after
/// its last. The records and the tally are the same either way; only the time differs.
///
/// The visits' index is split at a row number in two parts (migration v11): visits up to it, and
/// those after it, where a new visit lands. A merge keeps the later part small: when its visits
/// would make that part an eighth of the table, both parts are set aside and built at a new split,
/// the table's end. So a merge's visits land in a small tree, not all over one of every visit, and
/// building the parts again costs a read and a sort of the table for each eighth of it added,
/// whatever its size.
///
/// A merge killed in between leaves the store without the index, which is the store's state and
/// nothing is lost: a tally is right without it, only slower. The next time the store is opened for
/// writing while no merge or roster import is running, the index is built again.
extension Store {
    /// Changes of one kind below which a merge keeps its index up to date change by change.
    public static let tallyIndexesAsideFrom = 4096

    /// Sets aside, for the merge of the bundles at `paths`, the tally index of each kind whose changes
    /// in those bundles (their manifests' counts) come to at least `minimumChanges` and to an eighth of
    /// the records its table has held (of a split index, what its later part would hold after the
    /// merge, as above). Returns the names of the indexes set aside; the merge builds
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
                // Capped: forged counts must not wrap round to nothing.
                if let kind = RecordKind(rawValue: name), count > 0 {
                    let sum = incoming[kind, default: 0].addingReportingOverflow(count)
                    incoming[kind] = sum.overflow ? Int.max : sum.partialValue
                }
            }
        }
        guard !incoming.isEmpty else { return [] }
        return try write { db in
            var setAside: [String] = []
            let definitions = try Store.tallyIndexDefinitions(db)
            for kind in Schema.tallyKinds {
                let changes = incoming[kind] ?? 0
                let present = Schema.tallyIndexes.filter { $0.kind == kind && definitions[$0.name] != nil }
                guard changes > 0, !present.isEmpty else { continue }
                // The rows its table has held: row numbers only grow, and the last is found at once.
                let rows = try Store.rowsHeld(kind, db)
                let drop = Store.setAside(
                    present, rows: rows, split: Store.tallySplit(kind, definitions), changes: changes, minimumChanges: minimumChanges)
                for index in drop {
                    try db.execute(sql: "DROP INDEX \(index.name)")
                    setAside.append(index.name)
                }
            }
            return setAside
        }
    }

    /// Which of a kind's indexes the store holds (`present`) a merge bringing `changes` of that kind
    /// sets aside, when its table has held `rows` and its index is split at `split`.
    static func setAside(
        _ present: [Schema.TallyIndex], rows: Int, split: Int64?, changes: Int, minimumChanges: Int
    ) -> [Schema.TallyIndex] {
        let least = max(1, minimumChanges)
        guard changes > 0, present.contains(where: { $0.rows != .all }) else {
            return changes >= least && changes >= rows / 8 ? present : []
        }
        // A part is missing or not as this code writes it: both are built at the end.
        guard let split else { return present }
        // A merge's new rows land after the split. When they would make that part an eighth of the
        // table, both parts are built again at a new split, the table's end (however few this merge
        // brings: small merges fill that part too). The later part is never built alone: building
        // an index reads the whole table whatever its condition, which costs what building both does.
        let recent = split <= 0 ? rows : max(0, rows - Int(clamping: split))
        // A manifest's counts are a forecast, which a forged one makes as big as it likes.
        let after = recent > Int.max - changes ? Int.max : recent + changes
        return after >= least && after >= rows / 8 ? present : []
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
        let definitions = try tallyIndexDefinitions(db)
        let missing = missingTallyIndexes(definitions)
        // Capped sums: row numbers are whatever the file holds, up to 2^63 − 1.
        func add(_ a: Int64, _ b: Int64) -> Int64 { let sum = a.addingReportingOverflow(b); return sum.overflow ? .max : sum.partialValue }
        var rows: Int64 = 0
        for index in missing {
            let held = max(0, try Int64.fetchOne(db, sql: "SELECT ifnull(max(rowid), 0) FROM \(index.kind.table)") ?? 0)
            switch index.rows {
            case .all, .upToSplit: rows = add(rows, held)
            case .afterSplit:
                // Built with the earlier part, at a new split, it starts empty.
                if !missing.contains(where: { $0.kind == index.kind && $0.rows == .upToSplit }) {
                    rows = add(rows, max(0, held - max(0, tallySplit(index.kind, definitions) ?? 0)))
                }
            }
        }
        let bytes = rows.multipliedReportingOverflow(by: tallyIndexEntryBound)
        let needed = add(bytes.overflow ? .max : bytes.partialValue, 4 * minimumFreeBytes)
        return (FileFault.freeSpace(FilePaths.folder(of: path)) ?? Int64.max, needed)
    }

    /// Builds the tally indexes the store lacks (``missingTallyIndexes(_:)``). The earlier part of a
    /// split index is built at a new split, the row its table ends at now, and the later part with
    /// it, empty; the later part alone is built at the split the earlier one holds.
    static func buildMissingTallyIndexes(_ db: Database) throws -> [String] {
        let definitions = try tallyIndexDefinitions(db)
        let missing = missingTallyIndexes(definitions)
        guard !missing.isEmpty else { return [] }
        // SQLite's sort holds as much as the page cache in memory besides the cache itself: 16 MiB
        // keeps a merge's peak where its bundles put it, and sorted runs that size were as fast as
        // bigger ones (1.34 s for a million visits, against 1.75 s with the merge's 64 MiB).
        try db.execute(sql: "PRAGMA cache_size = -16384")
        // One helper thread for the sort, beside this one (the machines have two cores): rebuilding
        // the visits' parts at 4,500,000 visits took 10.04 s against 11.75 s alone, for 16 MB more
        // (a second helper: 9.75 s, 33 MB more). The indexes are the same.
        try db.execute(sql: "PRAGMA threads = 1")
        var splits: [RecordKind: Int64] = [:]
        for index in missing {
            var split: Int64 = 0
            switch index.rows {
            case .all: break
            case .upToSplit:
                split = try Int64.fetchOne(db, sql: "SELECT ifnull(max(rowid), 0) FROM \(index.kind.table)") ?? 0
                splits[index.kind] = split
            case .afterSplit:
                split = splits[index.kind] ?? tallySplit(index.kind, definitions) ?? 0
            }
            if definitions[index.name] != nil { try db.execute(sql: "DROP INDEX \(index.name)") }
            try db.execute(sql: index.definition(split: split))
        }
        return missing.map(\.name)
    }

    /// The definitions of the tally indexes the store holds now, by name, as `sqlite_master` keeps
    /// them: one query of the schema, cheap enough for every open and every tally.
    static func tallyIndexDefinitions(_ db: Database) throws -> [String: String] {
        var definitions: [String: String] = [:]
        let names = Set(Schema.tallyIndexes.map(\.name))
        for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index'") {
            if let name = row["name"] as String?, names.contains(name) { definitions[name] = row["sql"] ?? "" }
        }
        return definitions
    }

    /// The row number `kind`'s split tally index is split at: that of its earlier part, when the
    /// store holds it as this code writes it.
    static func tallySplit(_ kind: RecordKind, _ definitions: [String: String]) -> Int64? {
        guard let first = Schema.tallyIndexes.first(where: { $0.kind == kind && $0.rows == .upToSplit }),
            let definition = definitions[first.name]
        else { return nil }
        return first.split(ofDefinition: definition)
    }

    /// The tally indexes the store lacks: absent, or not as this code writes it (never written so,
    /// but a store is a file anyone can edit, and a statement pinned to an index whose condition
    /// is not its own fails with "no query solution"): another definition, or a part that does not
    /// hold the split of its earlier part.
    static func missingTallyIndexes(_ definitions: [String: String]) -> [Schema.TallyIndex] {
        Schema.tallyIndexes.filter { index in
            guard let definition = definitions[index.name] else { return true }
            switch index.rows {
            case .all: return definition != index.sql
            case .upToSplit: return index.split(ofDefinition: definition) == nil
            case .afterSplit:
                guard let split = tallySplit(index.kind, definitions) else { return true }
                return definition != index.definition(split: split)
            }
        }
    }

    static func missingTallyIndexes(_ db: Database) throws -> [Schema.TallyIndex] {
        missingTallyIndexes(try tallyIndexDefinitions(db))
    }

    /// The tally indexes a statement reads `kind`'s live rows through, each with the condition
    /// that selects its rows (one index, or the two parts of a split one); nil while one is
    /// missing (a big merge has set it aside), when a statement reads the table instead.
    static func tallyParts(_ kind: RecordKind, _ definitions: [String: String]) -> [TallyPart]? {
        let indexes = Schema.tallyIndexes.filter { $0.kind == kind }
        guard !indexes.isEmpty, !missingTallyIndexes(definitions).contains(where: { $0.kind == kind }) else { return nil }
        let split = tallySplit(kind, definitions) ?? 0
        return indexes.map { TallyPart(index: $0, split: split) }
    }
}

extension Store {
    /// Statements reading `kind`'s live rows as `alias`, with `condition` (`AND …` on `alias.`, or
    /// nothing): one for each part of its tally index, pinned by `INDEXED BY` with the condition
    /// that selects the part's rows (SQLite reads a partial index only for a statement whose
    /// condition contains the index's own), or one of the table while a part is missing (`parts`
    /// nil). A caller joins them (`UNION ALL`, `+`) and binds the condition's arguments once for each.
    static func liveReads(
        _ kind: RecordKind, _ parts: [TallyPart]?, as alias: String, select: String, _ condition: String = ""
    ) -> [String] {
        guard let parts else { return ["SELECT \(select) FROM \(kind.table) \(alias) WHERE \(alias).deleted = 0\(condition)"] }
        return parts.map {
            "SELECT \(select) FROM \(kind.table) \(alias) INDEXED BY \($0.name) WHERE \($0.condition(prefix: alias + "."))\(condition)"
        }
    }
}

/// A tally index the store holds, with the row number its part is split at.
struct TallyPart: Sendable {
    let index: Schema.TallyIndex
    let split: Int64

    var name: String { index.name }

    /// `deleted = 0`, and for a part `AND rowid <= split` or `AND rowid > split`: the condition with
    /// which a statement may read it (`INDEXED BY` it).
    func condition(prefix: String = "") -> String { index.condition(split: split, prefix: prefix) }
}
