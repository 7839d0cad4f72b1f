import Foundation
import GRDB

/// How one bundle fared in a merge.
public struct MergeOutcome: Sendable {
    public enum Status: Sendable, Hashable {
        case merged
        case alreadyMerged
        /// The bundle is bad: the reason names what is wrong with it.
        case rejected(String)
        /// The store could not be written or read (a full disk, a read-only file): nothing is wrong
        /// with the bundle, and nothing of it was merged.
        case storeFailed(FieldbookError)
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
    /// Format 2: the bundle was signed and opened here.
    public var signed = false
    /// Changes of a revoked device past its revocation point that were left out.
    public var leftOutRevoked = 0
    /// The version of the office's trust list this store took from the bundle (a laptop).
    public var trustListVersion: Int64?
    /// The version of the trust list of an office below this one (a county office's, at the city's)
    /// taken from the bundle: the laptops it enrolls and revokes.
    public var delegatedTrustVersion: Int64?
}

/// Options of a merge.
public struct MergeOptions: Sendable {
    /// Bundles whose clocks run further ahead of this machine's are flagged.
    public var maxSkew: TimeInterval
    /// Called now and then with (changes read, changes in the bundle).
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// Judge the bundle by every rule a merge applies, then roll back: `verify --db`.
    public var dryRun: Bool

    public init(maxSkew: TimeInterval = 3600, progress: (@Sendable (Int, Int) -> Void)? = nil, dryRun: Bool = false) {
        self.maxSkew = maxSkew
        self.progress = progress
        self.dryRun = dryRun
    }
}

/// A change to a record that the store holds as another kind.
struct RecordKindConflict: Error {
    var id: String
    var kind: RecordKind
    var held: RecordKind
}

extension Store {
    /// Merges one bundle: whole or not at all, once however often it is offered.
    ///
    /// In one transaction: the payload is streamed line by line, each change checked and added to
    /// the log if new, each create folded into its record from the values read (CreateFold) and every
    /// other touched record folded from all its changes at the end; the payload is checked against its manifest
    /// (digest, sizes, counts, ranges) before the device list, the clock and the ledger are updated
    /// and the transaction commits. A bad bundle returns `.rejected` with the reason and the
    /// transaction is rolled back: the store is as it was.
    public func merge(bundleAt path: String, options: MergeOptions = MergeOptions()) -> MergeOutcome {
        var outcome = MergeOutcome(path: path, status: .merged)
        do {
            var envelope = try BundleFile.open(path)
            let manifest = envelope.manifest
            outcome.manifest = manifest
            outcome.changes = manifest.changes
            func alreadyMerged() throws -> Bool {
                try read { db in
                    try Bool.fetchOne(
                        db, sql: "SELECT 1 FROM bundle WHERE payload_sha256 = ?",
                        arguments: [manifest.payload.sha256]) ?? false
                }
            }
            let trust = try trustContext()
            var authentication: BundleAuthentication?
            if envelope.format == 1 {
                if try alreadyMerged() {
                    outcome.status = .alreadyMerged
                    return outcome
                }
                if trust.requiresSignatures {
                    throw BundleError(
                        tr("is an unsigned bundle (format 1), and this store requires signed bundles \(trust.policy == .require ? tr("(its policy)") : tr("since it has enrolled devices")). Pack it again on an enrolled laptop that pinned the office key, or let unsigned bundles in with `fieldbook devices policy --allow-unsigned`"))
                }
            } else {
                authentication = try BundleAuthentication(&envelope, trust: trust)
                outcome.signed = true
            }
            // A signed bundle is checked first: an altered copy of a merged one shares its payload
            // digest, and is not "already merged" but refused.
            if try alreadyMerged() {
                outcome.status = .alreadyMerged
                return outcome
            }
            let opened = envelope
            if options.dryRun {
                try writeAndRollBack { db in try apply(opened, db, options: options, trust: trust, authentication: &authentication, outcome: &outcome) }
            } else {
                try write { db in try apply(opened, db, options: options, trust: trust, authentication: &authentication, outcome: &outcome) }
            }
            if outcome.newChanges == 0 && outcome.trustListVersion == nil && outcome.delegatedTrustVersion == nil {
                outcome.status = .alreadyMerged
            }
        } catch let error as BundleError {
            outcome.status = .rejected(error.reason)
        } catch let error as FieldbookError {
            switch error {
            case .storeFailure, .storeReadFailure, .alteredStore, .storeReadOnly, .notAStore, .noStore: outcome.status = .storeFailed(error)
            default: outcome.status = .rejected(error.message)
            }
        } catch {
            outcome.status = .storeFailed(.storeFailure(path: self.path, message: Store.describe(error)))
        }
        return outcome
    }

    /// A database error met while applying a bundle: the bundle's fault when a value broke a rule of
    /// the store (then it is refused with `message`), the store's when the disk is full, the file is
    /// read-only, or the disk fails (then it is thrown on as it is, and reported as the store's).
    static func bundleFault(_ error: any Error, _ message: String) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG, .SQLITE_RANGE:
            return BundleError("\(message) (\(Store.describe(error)))")
        default:
            return error
        }
    }

    private func apply(
        _ envelope: BundleFile.Envelope, _ db: Database, options: MergeOptions, trust storeTrust: TrustContext,
        authentication: inout BundleAuthentication?, outcome: inout MergeOutcome
    ) throws {
        let manifest = envelope.manifest
        // A bigger page cache for the length of a merge (64 MiB, within the 200 MB a merge may use):
        // visits land in indexes keyed by household, in no useful order, and a small cache makes
        // each of them a trip to the disk.
        try db.execute(sql: "PRAGMA cache_size = -65536")
        let conflictsBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0
        let insert = try db.cachedStatement(sql: Store.insertSQL)
        let held = try db.cachedStatement(sql: "SELECT id, device_id, seq, hlc, kind, record_id, op, fields, base FROM change WHERE device_id = ? AND seq = ?")
        let local = try LocalState.fetch(db)
        // An office below this one speaks for its own laptops and devices nobody here knows, not
        // for this office's devices nor another office's.
        let trust = authentication?.trust
        let devices = try DeviceBook(
            db, local: local, manifest: manifest,
            speaksFor: authentication?.packerIsLowerOffice == true
                ? { id in trust!.memberName(id) == nil || trust!.delegatedBy[id] == manifest.device.id } : nil)
        /// Whether the store already holds this very change; throws when it holds another under its number.
        func holds(_ line: ChangeLine) throws -> Bool {
            guard let row = try Row.fetchOne(held, arguments: [line.device, line.seq]) else { return false }
            // The same content is the same change however it is spelled (spacing, key order, escapes:
            // another writer, or a relay through one): compared as values when the text differs.
            let fields = try Store.logText(row, "fields"), base = try Store.logText(row, "base")
            if row["hlc"] != line.hlc || row["kind"] != line.kind.rawValue || row["record_id"] != line.record
                || row["op"] != line.op.rawValue
                || fields != line.fields && (try? CanonicalJSON.decode([String: FieldValue].self, from: fields)) != line.values
                || base != line.base && (try? CanonicalJSON.decode([String: [VersionID]].self, from: base)) != line.replaced
            {
                throw BundleError(
                    tr("holds change \(line.seq) of device \(devices.name(line.device)) that differs from the one this store already has: two laptops share one device id (was a store file copied?). Nothing was merged; run `fieldbook init` afresh on the copy"))
            }
            return true
        }
        var creates = try CreateFold(db)
        var touched: [String: RecordKind] = [:]
        var touchedOrder: [String] = []
        func touch(_ id: String, _ kind: RecordKind) {
            if touched.updateValue(kind, forKey: id) == nil { touchedOrder.append(id) }
        }
        var maxHLC = Int64.min
        // The new changes an office below this one made itself (a county's, at the city's): judged
        // by its county's scope once every create the bundle carries is in the log (a create needs no
        // look-up, so only its updates, deletes and categories are kept).
        var officeChanges: [(number: Int, device: String, kind: RecordKind, op: ChangeOp, record: String)] = []
        let scopeTrust = authentication?.trust ?? storeTrust

        try BundleReading.forEachChange(envelope, progress: options.progress) { number, line in
            if authentication != nil, try authentication!.admit(line, number: number, holds: { try holds(line) }) == .revoked {
                return
            }
            maxHLC = max(maxHLC, line.hlc)
            // Changes under this store's own id are this store's to make: one it holds is skipped,
            // any other means another file claims its identity, and would take its sequence numbers.
            if line.device == local.deviceID {
                guard try holds(line) else {
                    throw BundleError(
                        tr("holds change \(line.seq) under this store's own device id, which this store never made (was this store file copied to another laptop?). Nothing was merged"))
                }
                return
            }
            guard let role = devices.role(line.device) else {
                throw BundleError(tr("has a change at line \(number) from device \(line.device), which its manifest does not list"))
            }
            if let reason = ChangeRules.authority(kind: line.kind, op: line.op, source: line.value("source"), role: role) {
                // One this store holds already was judged when it first came; a new one is refused.
                guard try holds(line) else {
                    throw BundleError(
                        tr("has a \(line.kind.rawValue) \(line.op.rawValue) at line \(number) by \(devices.name(line.device)) (\(devices.standing(line.device))) that this store refuses: \(reason)"))
                }
                return
            }
            do {
                try insert.executeDirectly { handle in Store.bindChange(line, handle) }
            } catch {
                throw Store.bundleFault(error, tr("has a change at line \(number) this store refuses"))
            }
            guard db.changesCount == 1 else {
                // Held already: the same change, or a different one under the same number.
                _ = try holds(line)
                return
            }
            outcome.newChanges += 1
            if line.op != .create || line.kind == .category, scopeTrust.isLowerOffice(line.device) {
                officeChanges.append((number, line.device, line.kind, line.op, line.record))
            }
            if line.op == .create {
                // Into a record of its own fields alone when nothing else touches that record (CreateFold).
                switch try creates.fold(line, number: number, row: db.lastInsertedRowID) {
                case .inserted: outcome.newRecords += 1
                case .refold: touch(line.record, line.kind)
                }
                if creates.isDue { for record in try creates.namedByOthers() { touch(record.id, record.kind) } }
            } else {
                touch(line.record, line.kind)
                outcome.updatedFields += max(0, line.fieldCount - 1) + (line.op == .delete ? 1 : 0)
            }
        }
        for record in try creates.namedByOthers() { touch(record.id, record.kind) }
        if let authentication {
            try authentication.finish()
            for g in authentication.verifiedSegments {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO segment (device_id, first_seq, last_seq, sha256, signature) VALUES (?, ?, ?, ?, ?)",
                    arguments: [g.device, g.firstSeq, g.lastSeq, g.sha256, g.signature])
            }
            if let carried = authentication.carriedTrust { outcome.trustListVersion = try applyTrustList(carried, db) }
            if let delegated = authentication.delegatedTrust {
                outcome.delegatedTrustVersion = try applyDelegatedTrust(delegated.signed, delegated.list, office: manifest.device.id, db)
            }
            outcome.leftOutRevoked = authentication.leftOutRevoked
        }
        if !officeChanges.isEmpty {
            let creators = try db.cachedStatement(sql: "SELECT DISTINCT device_id FROM change WHERE record_id = ? AND op = 'create'")
            for line in officeChanges {
                if let reason = try ChangeRules.lowerOfficeAuthority(
                    kind: line.kind, op: line.op,
                    creators: { try String.fetchAll(creators, arguments: [line.record]) },
                    inScope: { $0 == line.device || scopeTrust.delegatedBy[$0] == line.device })
                {
                    throw BundleError(
                        tr("has a \(line.kind.rawValue) \(line.op.rawValue) of record \(line.record) at line \(line.number) by \(devices.name(line.device)) (an office below this one) that this store refuses: \(reason)"))
                }
            }
        }
        // Everything else is folded from all of the record's changes.
        for id in touchedOrder {
            let kind = touched[id]!
            let existed = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM \(kind.table) WHERE id = ?"), arguments: [id]) ?? false
            let state: RecordState
            do {
                state = try Store.refold(id, kind: kind, db)
            } catch let conflict as RecordKindConflict {
                throw BundleError(
                    tr("has a \(conflict.kind.rawValue) change to record \(id), which this store holds as a \(conflict.held.rawValue): a record id belongs to one kind"))
            } catch {
                throw Store.bundleFault(error, tr("holds a \(kind.rawValue) \(id) this store refuses"))
            }
            if !existed && state.exists { outcome.newRecords += 1 }
        }
        outcome.newConflicts = (try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict") ?? 0) - conflictsBefore
        // Devices named in the bundle, so status and history can name them: a device's own bundle
        // gives its name even when a teammate's relay brought its changes first.
        try devices.save(db)
        guard outcome.newChanges > 0 else {
            try recordInLedger(envelope, db, outcome: outcome)
            return
        }

        // The clock: move past what was received, but never further than the skew bound.
        let nowMillis = Int64(environment.now().timeIntervalSince1970 * 1000)
        let received = HybridTimestamp(rawValue: maxHLC)
        let ahead = Double(received.millis - nowMillis) / 1000
        if ahead > options.maxSkew { outcome.aheadBy = ahead }
        let bound = HybridTimestamp(millis: nowMillis + Int64(options.maxSkew * 1000), counter: 0)
        try db.execute(
            sql: "UPDATE local_state SET last_hlc = max(last_hlc, ?)", arguments: [min(received, bound).rawValue])
        try recordInLedger(envelope, db, outcome: outcome)
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
}
