import Foundation
import GRDB

/// Which changes `pack` puts in a bundle.
public enum PackScope: String, Sendable {
    /// Every change this store holds that no earlier bundle of its carried: its own and the ones it
    /// merged from teammates, but not those made by an office's central store, which has them.
    case unpacked = "changes"
    /// Every change this store holds, to replace a lost stick.
    case all
    /// The roster only (townships, villages, households, rounds, teams), for the office to hand out.
    case roster
}

extension Store {
    /// The record kinds a roster bundle carries.
    static let rosterKinds: [RecordKind] = [.township, .village, .household, .round, .team]

    /// Writes one bundle of the changes in `scope` into `directory`; nil when there is nothing to pack.
    ///
    /// The "packed up to" mark moves only after the file is flushed and renamed into place. A store
    /// that cannot move it (read-only, or a write that fails) writes no bundle: it says so before
    /// writing, and a bundle written before a failing write is removed again, so no bundle exists
    /// whose changes the store still counts as not yet packed.
    public func pack(into directory: String, scope: PackScope = .unpacked) throws -> (path: String, manifest: BundleManifest)? {
        try checkWritable()
        let bundleID = environment.makeRecordID()
        let now = environment.now()
        let written: (path: String, manifest: BundleManifest, lastID: Int64)? = try read { db in
            let local = try LocalState.fetch(db)
            var clauses: [String] = []
            var arguments: StatementArguments = []
            switch scope {
            case .unpacked:
                // Changes made by another central store (the office's roster) are left out: the
                // office has them already. `--all` carries them too.
                clauses.append("id > ?")
                clauses.append("device_id NOT IN (SELECT id FROM device WHERE role = 'central' AND id <> ?)")
                arguments += [local.packedThrough, local.deviceID]
            case .all:
                break
            case .roster:
                clauses.append("kind IN (\(Store.rosterKinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")))")
            }
            let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            guard let totals = try Row.fetchOne(
                db, sql: "SELECT count(*) AS n, max(id) AS last, min(hlc) AS lo, max(hlc) AS hi FROM change \(whereSQL)",
                arguments: arguments), (totals["n"] as Int) > 0
            else { return nil }
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT kind, count(*) AS n FROM change \(whereSQL) GROUP BY kind", arguments: arguments)
            {
                counts[row["kind"]] = row["n"]
            }
            let devices = try Row.fetchAll(db, sql: "SELECT * FROM device")
            var deviceInfo: [String: Row] = [:]
            for row in devices { deviceInfo[row["id"]] = row }
            let ranges = try Row.fetchAll(
                db,
                sql: """
                    SELECT device_id, min(seq) AS first, max(seq) AS last, count(*) AS n FROM change \(whereSQL)
                    GROUP BY device_id ORDER BY device_id
                    """, arguments: arguments
            ).map { row -> BundleManifest.DeviceRange in
                let id: String = row["device_id"]
                let info = deviceInfo[id]
                return BundleManifest.DeviceRange(
                    id: id, name: info?["name"] ?? "unknown device", team: info?["team"], role: info?["role"] ?? "field",
                    firstSeq: row["first"], lastSeq: row["last"], count: row["n"])
            }
            let me = deviceInfo[local.deviceID]
            let device = BundleManifest.Device(
                id: local.deviceID, name: me?["name"] ?? "?", team: me?["team"], role: me?["role"] ?? "field")
            let round = try local.roundID.flatMap {
                try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0])
            }
            let own = ranges.first { $0.id == local.deviceID }
            let fileName = Store.bundleFileName(
                device: device.name, own: own, scope: scope, at: now, zone: environment.timeZone, id: bundleID)
            let createdHLC = HybridTimestamp.next(after: local.lastHLC, now: now)
            let (path, manifest) = try BundleWriter.write(
                directory: directory, fileName: fileName,
                lines: { emit in
                    let cursor = try Row.fetchCursor(
                        db, sql: "SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM change \(whereSQL) ORDER BY id",
                        arguments: arguments)
                    var line = [UInt8]()
                    while let row = try cursor.next() {
                        line.removeAll(keepingCapacity: true)
                        Store.appendLine(row, to: &line)
                        try line.withUnsafeBytes { try emit($0) }
                    }
                },
                manifest: { summary in
                    BundleManifest(
                        format: Int(BundleFile.formatVersion), bundleID: bundleID,
                        createdAt: ISO8601DateFormatter().string(from: now), createdHLC: createdHLC.rawValue,
                        device: device, round: round, scope: scope.rawValue, devices: ranges, counts: counts,
                        changes: totals["n"], minHLC: totals["lo"], maxHLC: totals["hi"],
                        payload: .init(
                            encoding: "jsonl", compression: "gzip", rawSize: summary.rawSize,
                            compressedSize: summary.compressedSize, sha256: summary.sha256),
                        encryption: nil, signature: nil)
                })
            return (path, manifest, totals["last"])
        }
        guard let written else { return nil }
        do {
            try recordPacked(written, scope: scope)
        } catch {
            // The mark did not move: the bundle must not stay, or its changes would be packed
            // again, and the person told nothing was written would find a bundle.
            unlink(written.path)
            OutputFolder.sync(directory)
            throw error
        }
        return (written.path, written.manifest)
    }

    /// Says why this store cannot be written, before anything is: a store opened read-only, or one
    /// whose write lock cannot be taken (a read-only file SQLite found, a read-only log beside it).
    public func checkWritable() throws {
        try writeAndRollBack { _ in }
    }

    /// Moves the "packed up to" mark and records the bundle in the ledger.
    private func recordPacked(
        _ written: (path: String, manifest: BundleManifest, lastID: Int64), scope: PackScope
    ) throws {
        try write { db in
            if scope != .roster {
                try db.execute(
                    sql: "UPDATE local_state SET packed_through = max(packed_through, ?)", arguments: [written.lastID])
            }
            try db.execute(
                sql: "UPDATE local_state SET last_hlc = max(last_hlc, ?)", arguments: [written.manifest.createdHLC])
            try db.execute(
                sql: """
                    INSERT INTO bundle (id, payload_sha256, direction, device_id, file_name, created_at, changes, max_hlc)
                    VALUES (?, ?, 'packed', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                arguments: [
                    written.manifest.bundleID, written.manifest.payload.sha256, written.manifest.device.id,
                    (written.path as NSString).lastPathComponent, written.manifest.createdAt,
                    written.manifest.changes, written.manifest.maxHLC,
                ])
        }
    }

    /// `第一组-笔记本1_s1-120_20261121-0900_01a1fb9e.fbundle`: device, its sequence range (or
    /// `relay`, `all`, `roster`), the local date and time, and the start of the bundle id.
    static func bundleFileName(
        device: String, own: BundleManifest.DeviceRange?, scope: PackScope, at date: Date, zone: TimeZone, id: String
    ) -> String {
        let safe = String(device.map { "/\\:*?\"<>| \t\n".contains($0) ? "_" : $0 }.prefix(40))
        var range = own.map { "s\($0.firstSeq)-\($0.lastSeq)" } ?? "relay"
        if scope != .unpacked { range = scope.rawValue + (own.map { "-s\($0.firstSeq)-\($0.lastSeq)" } ?? "") }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = zone
        return "\(safe)_\(range)_\(formatter.string(from: date))_\(id.suffix(8)).\(BundleFile.fileExtension)"
    }

    /// One payload line: a change as a JSON object with sorted keys. The stored `fields` and `base`
    /// are JSON already, and ids, kinds and operations are checked to need no escaping.
    static func appendLine(_ row: Row, to line: inout [UInt8]) {
        func text(_ s: String) { line.append(contentsOf: s.utf8) }
        text("{\"base\":")
        text(row[7] as String)
        text(",\"device\":\"")
        text(row[0] as String)
        text("\",\"fields\":")
        text(row[6] as String)
        text(",\"hlc\":")
        text(String(row[2] as Int64))
        text(",\"kind\":\"")
        text(row[3] as String)
        text("\",\"op\":\"")
        text(row[5] as String)
        text("\",\"record\":\"")
        text(row[4] as String)
        text("\",\"seq\":")
        text(String(row[1] as Int64))
        text("}")
    }
}
