import Crypto
import Foundation
import GRDB

/// Which changes `pack` puts in a bundle.
public enum PackScope: String, Sendable {
    /// Every change this store holds that no earlier bundle of its carried: its own and the ones it
    /// merged from teammates, but not those made by an office's central store, which has them.
    case unpacked = "changes"
    /// Every change this store holds, to replace a lost stick.
    case all
    /// The roster only (townships, villages, households, rounds, teams, problem categories), for the office to hand out.
    case roster
    /// Every change of a field device beyond what the office's last receipt confirms (a stick that
    /// never arrived).
    case unconfirmed
}

extension Store {
    /// The record kinds a roster bundle carries.
    static let rosterKinds: [RecordKind] = [.township, .village, .household, .round, .team, .category]

    /// Writes one bundle of the changes in `scope` into `directory`; nil when there is nothing to pack.
    ///
    /// A store that can name the office to encrypt to (a laptop that pinned the office's key, or the
    /// office once it has enrolled a device) writes format 2: signed, its own new changes sealed in a
    /// signed segment, relayed changes with their authors' segments, the payload encrypted to the
    /// office and the team (FORMAT.md). Other stores write format 1.
    ///
    /// The "packed up to" mark moves only after the file is flushed and renamed into place. A store
    /// that cannot move it (read-only, or a write that fails) writes no bundle: it says so before
    /// writing, and a bundle written before a failing write is removed again, so no bundle exists
    /// whose changes the store still counts as not yet packed.
    public func pack(into directory: String, scope: PackScope = .unpacked) throws -> (path: String, manifest: BundleManifest)? {
        try checkWritable()
        let bundleID = environment.makeRecordID()
        let now = environment.now()
        // The office's trust list (issued anew when it changed), and keys made if missing, before the
        // read: both write.
        let (trust, trustList) = try write { db -> (TrustContext, TrustList.Signed?) in
            var context = try TrustContext.load(db)
            if context.office != nil || context.isCentral { context.keys = try storeKeys(db) }
            context = try TrustContext.load(db)
            return (context, context.writesFormat2 && context.isCentral ? try currentTrustList(db) : nil)
        }
        // An office's roster stays unsigned until it has enrolled a laptop (one that pinned no key yet
        // must read it), even once it pinned the office above it.
        let signed = trust.writesFormat2 && !(trust.isCentral && scope == .roster && trust.members.isEmpty)
        // An office that pinned the office above it (a county office, the city's) packs its changes
        // for that office: encrypted to it, its laptops' changes with their authors' segments.
        let upward = signed && trust.isCentral && trust.upstream != nil && scope != .roster
        let written: (path: String, manifest: BundleManifest, lastID: Int64, own: Segment?)? = try read { db in
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
                // Signed, a roster bundle carries only what offices wrote: its signature speaks for
                // them, and no laptop's work travels to every team with it.
                if signed { clauses.append("device_id IN (SELECT id FROM device WHERE role = 'central')") }
            case .unconfirmed:
                // What the office has not confirmed holding (its receipts), of every field device.
                clauses.append("device_id NOT IN (SELECT id FROM device WHERE role = 'central' AND id <> ?)")
                clauses.append("seq > coalesce((SELECT through_seq FROM receipt r WHERE r.device_id = change.device_id), 0)")
                arguments += [local.deviceID]
            }
            if signed && (!trust.isCentral || upward) && scope != .roster {
                // A laptop's signed bundle carries another device's change only with its author's
                // signed segment (a receiver requiring signatures would refuse the whole bundle
                // for one without), and no change of a revoked device past its point. So does an
                // office's bundle for the office above it, for the devices it enrolled; it vouches
                // for the others (devices it never enrolled, merged while it allowed unsigned ones).
                clauses.append("""
                    (device_id = ?\(upward ? " OR device_id NOT IN (SELECT device_id FROM device_key)" : "")
                        OR (SELECT g.last_seq FROM segment g WHERE g.device_id = change.device_id
                        AND g.first_seq <= change.seq ORDER BY g.first_seq DESC LIMIT 1) >= change.seq)
                    """)
                arguments += [local.deviceID]
                if trust.members.values.contains(where: { $0.revokedAfterSeq != nil }) {
                    clauses.append(
                        "change.seq <= coalesce((SELECT k.revoked_after_seq FROM device_key k WHERE k.device_id = change.device_id), 9223372036854775807)")
                }
            }
            var selection = clauses.isEmpty ? "1" : clauses.joined(separator: " AND ")
            // Format 2: this store's own changes not yet in a signed segment are sealed into one now,
            // so every bundle of changes carries them whole (a roster bundle is signed as a whole).
            let sealedThrough = try Int64.fetchOne(
                db, sql: "SELECT max(last_seq) FROM segment WHERE device_id = ?", arguments: [local.deviceID]) ?? 0
            let sealsOwn = signed && scope != .roster && local.lastSeq > sealedThrough
            // The unsealed own changes are already selected, the usual case, unless some were packed
            // in format 1 before this store had keys (then they are added, to be sealed now).
            let unsealedOutside = try sealsOwn && (scope == .unconfirmed || scope == .unpacked && Bool.fetchOne(
                db, sql: "SELECT 1 FROM change WHERE device_id = ? AND seq > ? AND id <= ? LIMIT 1",
                arguments: [local.deviceID, sealedThrough, local.packedThrough]) ?? false)
            if unsealedOutside {
                selection = "(\(selection)) OR (device_id = ? AND seq > ?)"
                arguments += [local.deviceID, sealedThrough]
            }
            guard let totals = try Row.fetchOne(
                db, sql: "SELECT count(*) AS n, max(id) AS last FROM change WHERE \(selection)", arguments: arguments),
                (totals["n"] as Int) > 0
            else { return nil }
            // Format 2: the signed segments of other devices (and this one's earlier ones) the changes
            // fall in. A segment is carried whole, so a change it covers that the selection left out
            // is added: its author's signature is over all of them.
            var segments: [Segment] = []
            // Whether the bundle holds other devices' changes: then its lines go in (device, seq)
            // order, so each segment's lines come in its order whatever order they arrived in here.
            // This store's own changes alone are in that order by row already (the faster scan).
            var othersInside = false
            if signed && scope != .roster {
                // Only the segments that can hold a selected change: per device, those overlapping
                // the span of its selected numbers (a few, for the usual pack of what is new).
                var touched: [Row] = []
                let inner = selection.replacingOccurrences(of: "change.", with: "c.")
                for span in try Row.fetchAll(
                    db, sql: "SELECT device_id, min(seq) AS lo, max(seq) AS hi FROM change WHERE \(selection) GROUP BY device_id",
                    arguments: arguments)
                {
                    if (span["device_id"] as String) != local.deviceID { othersInside = true }
                    touched += try Row.fetchAll(
                        db,
                        sql: """
                            SELECT s.device_id, s.first_seq, s.last_seq, s.sha256, s.signature,
                                (SELECT count(*) FROM change c WHERE c.device_id = s.device_id
                                    AND c.seq BETWEEN s.first_seq AND s.last_seq AND (\(inner))) AS n
                            FROM segment s WHERE s.device_id = ? AND s.last_seq >= ? AND s.first_seq <= ?
                            """, arguments: arguments + [span["device_id"], span["lo"], span["hi"]])
                }
                var partial: [Segment] = []
                for row in touched where (row["n"] as Int64) > 0 {
                    let segment = Segment(
                        device: row["device_id"], firstSeq: row["first_seq"], lastSeq: row["last_seq"], sha256: row["sha256"],
                        signature: row["signature"])
                    segments.append(segment)
                    if (row["n"] as Int64) < segment.count { partial.append(segment) }
                }
                for segment in partial {
                    selection = "(\(selection)) OR (device_id = ? AND seq BETWEEN ? AND ?)"
                    arguments += [segment.device, segment.firstSeq, segment.lastSeq]
                }
            }
            let deviceInfo = Dictionary(
                try Row.fetchAll(db, sql: "SELECT id, name, team, role FROM device").map { ($0["id"] as String, $0) },
                uniquingKeysWith: { a, _ in a })
            let me = deviceInfo[local.deviceID]
            let device = BundleManifest.Device(
                id: local.deviceID, name: me?["name"] ?? "?", team: me?["team"], role: me?["role"] ?? "field")
            let round = try local.roundID.flatMap {
                try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0])
            }
            let ownRow = try Row.fetchOne(
                db, sql: "SELECT min(seq) AS first, max(seq) AS last, count(*) AS n FROM change WHERE device_id = ? AND (\(selection))",
                arguments: [local.deviceID] + arguments)
            let ownInBundle = (ownRow?["n"] as Int? ?? 0) > 0
                ? BundleManifest.DeviceRange(
                    id: local.deviceID, name: device.name, team: device.team, role: device.role, firstSeq: ownRow!["first"],
                    lastSeq: ownRow!["last"], count: ownRow!["n"]) : nil
            let fileName = Store.bundleFileName(
                device: device.name, own: ownInBundle, scope: scope, at: now, zone: environment.timeZone, id: bundleID)
            var tally = PayloadTally()
            var ownHasher = SHA256()
            var ownRange: (first: Int64, last: Int64)?
            let fileKey = SymmetricKey(data: environment.randomBytes(32))
            let keys = trust.keys
            let (path, manifest) = try BundleWriter.write(
                directory: directory, fileName: fileName,
                lines: { emit in
                    // Format 2 orders lines by device and sequence: a segment's lines come in order.
                    let order = signed && othersInside ? "device_id, seq" : "id"
                    let cursor = try Row.fetchCursor(
                        db, sql: "SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM change WHERE \(selection) ORDER BY \(order)",
                        arguments: arguments)
                    var line = [UInt8]()
                    while let row = try cursor.next() {
                        line.removeAll(keepingCapacity: true)
                        Store.appendLine(row, to: &line)
                        let id: String = row[0], seq: Int64 = row[1]
                        tally.add(device: id, seq: seq, kind: row[3], hlc: row[2])
                        if sealsOwn, id == local.deviceID, seq > sealedThrough {
                            line.append(0x0A)
                            line.withUnsafeBytes { ownHasher.update(bufferPointer: $0) }
                            line.removeLast()
                            ownRange = (ownRange?.first ?? seq, seq)
                        }
                        try line.withUnsafeBytes { try emit($0) }
                    }
                },
                sealing: signed
                    ? BundleWriter.Sealing(fileKey: fileKey, sign: { keys!.sign($0) }) : nil,
                manifest: { summary in
                    let ranges = tally.ranges.keys.sorted().map { id -> BundleManifest.DeviceRange in
                        let info = deviceInfo[id], r = tally.ranges[id]!
                        return BundleManifest.DeviceRange(
                            id: id, name: info?["name"] ?? "unknown device", team: info?["team"], role: info?["role"] ?? "field",
                            firstSeq: r.first, lastSeq: r.last, count: r.count)
                    }
                    var manifest = BundleManifest(
                        format: signed ? 2 : 1, bundleID: bundleID,
                        createdAt: ISO8601DateFormatter().string(from: now), createdHLC: HybridTimestamp.next(after: local.lastHLC, now: now).rawValue,
                        device: device, round: round, scope: scope.rawValue, devices: ranges, counts: tally.counts,
                        changes: tally.changes, minHLC: tally.minHLC, maxHLC: tally.maxHLC,
                        payload: .init(
                            encoding: "jsonl", compression: "gzip", rawSize: summary.rawSize,
                            compressedSize: summary.compressedSize, sha256: summary.sha256),
                        encryption: nil, signature: nil)
                    if signed, let keys {
                        if let ownRange {
                            segments.append(Segment.make(
                                device: local.deviceID, first: ownRange.first, last: ownRange.last, digest: ownHasher.finalize(), keys: keys))
                        }
                        manifest.segments = segments.sorted { ($0.device, $0.firstSeq) < ($1.device, $1.firstSeq) }
                        manifest.signature = .init(scheme: "ed25519", keyID: keys.publicKeys.signID)
                        manifest.encryption = .init(
                            scheme: "fieldbook-stream-v1", chunkSize: BundleCrypto.chunkSize,
                            recipients: try trust.recipients(upward: upward).map {
                                try BundleCrypto.wrap(fileKey, for: $0, bundleID: bundleID, ephemeral: environment.randomBytes(32))
                            })
                        manifest.trust = trustList
                    }
                    return manifest
                })
            let own = ownRange.flatMap { r in manifest.segments?.first { $0.device == local.deviceID && $0.firstSeq == r.first } }
            return (path, manifest, totals["last"], own)
        }
        guard let written else { return nil }
        do {
            try recordPacked((written.path, written.manifest, written.lastID), scope: scope, own: written.own)
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
        _ written: (path: String, manifest: BundleManifest, lastID: Int64), scope: PackScope, own: Segment?
    ) throws {
        try write { db in
            if let own {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO segment (device_id, first_seq, last_seq, sha256, signature) VALUES (?, ?, ?, ?, ?)",
                    arguments: [own.device, own.firstSeq, own.lastSeq, own.sha256, own.signature])
            }
            if scope == .unpacked || scope == .all {
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
