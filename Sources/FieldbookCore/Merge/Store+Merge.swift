import Foundation
import GRDB

/// How one bundle fared in a merge.
public struct MergeOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        case merged
        case alreadyMerged
        case rejected(String)
    }

    public var path: String
    public var status: Status
    public var manifest: BundleManifest?
    /// Changes the bundle carries.
    public var changes = 0
    /// Changes this store did not hold before.
    public var newChanges = 0
    /// Records that exist now and did not before.
    public var newRecords = 0
    /// Field values written by edits and deletes.
    public var updatedFields = 0
    /// Conflicts this merge added to the log (a negative number: resolved ones arrived).
    public var newConflicts = 0
    /// How far the bundle's clock ran ahead of this machine's, when beyond the bound.
    public var aheadBy: TimeInterval?
}

/// Options of a merge.
public struct MergeOptions: Sendable {
    /// Bundles whose clocks run further ahead of this machine's are flagged.
    public var maxSkew: TimeInterval
    /// Called now and then with (changes read, changes in the bundle).
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(maxSkew: TimeInterval = 3600, progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.maxSkew = maxSkew
        self.progress = progress
    }
}

extension Store {
    /// Merges one bundle: whole or not at all, once however often it is offered.
    ///
    /// The payload is streamed into a staging table and checked (digest, sizes, counts, every line)
    /// before any change reaches the log; then new changes are added, records folded, the device
    /// list, the clock and the ledger updated, all in one transaction. A bad bundle returns
    /// `.rejected` with the reason and leaves the store as it was.
    public func merge(bundleAt path: String, options: MergeOptions = MergeOptions()) -> MergeOutcome {
        var outcome = MergeOutcome(path: path, status: .merged)
        do {
            let envelope = try BundleFile.open(path)
            let manifest = envelope.manifest
            outcome.manifest = manifest
            outcome.changes = manifest.changes
            let known = try read { db in
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM bundle WHERE id = ? OR payload_sha256 = ?",
                    arguments: [manifest.bundleID, manifest.payload.sha256]) ?? false
            }
            if known {
                outcome.status = .alreadyMerged
                return outcome
            }
            try write { db in try apply(envelope, db, options: options, outcome: &outcome) }
            if outcome.newChanges == 0 { outcome.status = .alreadyMerged }
        } catch let error as BundleError {
            outcome.status = .rejected(error.reason)
        } catch let error as FieldbookError {
            outcome.status = .rejected(error.message)
        } catch {
            outcome.status = .rejected(Store.describe(error))
        }
        return outcome
    }

    private func apply(
        _ envelope: BundleFile.Envelope, _ db: Database, options: MergeOptions, outcome: inout MergeOutcome
    ) throws {
        let manifest = envelope.manifest
        try BundleStaging.stage(envelope, db, progress: options.progress)
        try BundleStaging.check(manifest, db, againstStore: true)

        let before = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM change") ?? 0
        let conflictsBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0
        do {
            try db.execute(
                sql: """
                    INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base)
                    SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM temp.staged WHERE true ORDER BY line
                    ON CONFLICT (device_id, seq) DO NOTHING
                    """)
        } catch {
            throw BundleError("holds a change this store refuses (\(Store.describe(error)))")
        }
        outcome.newChanges = db.changesCount
        guard outcome.newChanges > 0 else {
            try recordInLedger(envelope, db, outcome: outcome)
            return
        }
        // Creates of records nothing else touches fold to their own fields: one set-based insert per kind.
        for kind in RecordKind.allCases {
            do {
                try db.execute(sql: Store.fastFoldSQL(kind), arguments: [before, kind.rawValue])
            } catch {
                throw BundleError("holds a \(kind.rawValue) this store refuses (\(Store.describe(error)))")
            }
            outcome.newRecords += db.changesCount
        }
        // Everything else is folded from all of the record's changes.
        let touched = try Row.fetchAll(
            db,
            sql: """
                SELECT DISTINCT c.record_id, c.kind FROM change c
                WHERE c.id > ? AND (c.op <> 'create'
                    OR EXISTS (SELECT 1 FROM change o WHERE o.record_id = c.record_id AND o.id <> c.id))
                """, arguments: [before])
        for row in touched {
            let id: String = row["record_id"]
            guard let kind = RecordKind(rawValue: row["kind"]) else { continue }
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM \(kind.table) WHERE id = ?", arguments: [id]) ?? false
            let state: RecordState
            do {
                state = try Store.refold(id, kind: kind, db)
            } catch {
                throw BundleError("holds a \(kind.rawValue) \(id) this store refuses (\(Store.describe(error)))")
            }
            if !existed && state.exists { outcome.newRecords += 1 }
        }
        outcome.updatedFields = try Int.fetchOne(
            db,
            sql: """
                SELECT coalesce(sum((SELECT count(*) FROM json_each(c.fields) WHERE json_each.key <> '_deleted')
                                    + (c.op = 'delete')), 0)
                FROM change c WHERE c.id > ? AND c.op <> 'create'
                """, arguments: [before]) ?? 0
        outcome.newConflicts = (try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0) - conflictsBefore

        // Devices named in the bundle, so status and history can name them.
        let local = try LocalState.fetch(db)
        for device in manifest.devices where device.id != local.deviceID {
            try db.execute(
                sql: """
                    INSERT INTO device (id, name, team, role) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, role = excluded.role
                    """, arguments: [device.id, device.name, device.team, device.role == "central" ? "central" : "field"])
        }
        // The clock: move past what was received, but never further than the skew bound.
        let now = environment.now()
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let maxHLC = HybridTimestamp(rawValue: try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM temp.staged") ?? 0)
        let ahead = Double(maxHLC.millis - nowMillis) / 1000
        if ahead > options.maxSkew { outcome.aheadBy = ahead }
        let bound = HybridTimestamp(millis: nowMillis + Int64(options.maxSkew * 1000), counter: 0)
        try db.execute(
            sql: "UPDATE local_state SET last_hlc = max(last_hlc, ?)", arguments: [min(maxHLC, bound).rawValue])
        try recordInLedger(envelope, db, outcome: outcome)
        try db.execute(sql: "DELETE FROM temp.staged")
    }

    private func recordInLedger(_ envelope: BundleFile.Envelope, _ db: Database, outcome: MergeOutcome) throws {
        let m = envelope.manifest
        try db.execute(
            sql: """
                INSERT INTO bundle (id, payload_sha256, direction, device_id, file_name, created_at, changes,
                                    new_changes, max_hlc, ahead_ms, merged_at)
                VALUES (?, ?, 'merged', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """,
            arguments: [
                m.bundleID, m.payload.sha256, m.device.id, (envelope.path as NSString).lastPathComponent, m.createdAt,
                m.changes, outcome.newChanges, m.maxHLC, Int64((outcome.aheadBy ?? 0) * 1000),
                ISO8601DateFormatter().string(from: environment.now()),
            ])
    }

    /// Inserts the records created by changes after `?1` of kind `?2` that no other change touches.
    static func fastFoldSQL(_ kind: RecordKind) -> String {
        let columns = ["id"] + kind.fields.map(\.column) + ["deleted", "created_by", "created_hlc", "updated_hlc"]
        let values = ["c.record_id"]
            + kind.fields.map { spec -> String in
                let extract = "json_extract(c.fields, '$.\(spec.name)')"
                switch spec.type {
                case .list, .priorities: return "coalesce(\(extract), '[]')"
                default: return extract
                }
            } + ["coalesce(json_extract(c.fields, '$._deleted'), 0)", "c.device_id", "c.hlc", "c.hlc"]
        return """
            INSERT INTO \(kind.table) (\(columns.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM change c
            WHERE c.id > ?1 AND c.kind = ?2 AND c.op = 'create'
              AND NOT EXISTS (SELECT 1 FROM change o WHERE o.record_id = c.record_id AND o.id <> c.id)
            ON CONFLICT (id) DO NOTHING
            """
    }
}
