import Crypto
import Foundation
import GRDB

/// Whether a store accepts bundles nobody signed (format 1).
public enum SignaturePolicy: String, Sendable, CaseIterable {
    /// Require signatures once any device is enrolled (on the office) or a trust list has arrived (on
    /// a laptop); accept format 1 before.
    case auto
    /// Always require signed bundles.
    case require
    /// Accept unsigned (format 1) bundles, and changes no signature covers.
    case allowUnsigned = "allow-unsigned"
}

/// One device as `fieldbook devices` lists it.
public struct DeviceListing: Sendable, Equatable {
    public enum Standing: String, Sendable { case enrolled, pending, revoked, office, this }
    public var id: String
    public var name: String
    public var team: String?
    public var role: DeviceRole
    public var standing: Standing
    public var fingerprint: String?
    public var revokedAfterSeq: Int64?
    /// The highest sequence number held, and up to which every change is held.
    public var lastSeq: Int64
    public var contiguousSeq: Int64
    public var lastBundle: String?
    public var lastBundleAt: String?
    /// A device enrolled not by this store but by an office enrolled below it (a county office's
    /// laptop, at the city's): that office's name.
    public var enrolledBy: String?
}

/// What `status` and `keys show` say about a store's keys and trust.
public struct TrustSummary: Sendable, Equatable {
    public var isCentral: Bool
    public var deviceID: String
    /// This store's public keys; nil until they are made (`init` makes them; older stores get them
    /// from `keys show`, `enroll`, a pack).
    public var keys: PublicKeys?
    /// The office's keys: pinned (a laptop), or its own (the office, once it has keys).
    public var office: OfficeKeyFile?
    /// Devices in the trust list: enrolled and not revoked, and revoked.
    public var enrolled: Int
    public var revoked: Int
    /// On a laptop: its standing in the trust list it holds (nil while the list does not name it).
    public var standing: DeviceListing.Standing?
    public var revokedAfterSeq: Int64?
    /// The version of the trust list held (0: none).
    public var trustListVersion: Int64
    public var policy: SignaturePolicy
    public var requiresSignatures: Bool
    /// On an office: the office above it, which its bundles of changes are packed for (pinned).
    public var upstream: OfficeKeyFile?
    /// On an office: the offices enrolled below it (counties at the city's), and the devices their
    /// trust lists enroll.
    public var offices: Int = 0
    public var delegated: Int = 0
}

/// What this store trusts, read once for a pack or a merge.
struct TrustContext {
    var keys: StoreKeys?
    var office: OfficeKeyFile?
    var members: [String: TrustList.Member]
    var policy: SignaturePolicy
    var version: Int64
    var localID: String
    var isCentral: Bool
    /// On an office: the office above it, pinned.
    var upstream: OfficeKeyFile? = nil
    /// On an office with offices enrolled below it: the devices their trust lists enroll, and which
    /// office vouches for each; the version of each office's list held.
    var delegated: [String: TrustList.Member] = [:]
    var delegatedBy: [String: String] = [:]
    var delegatedVersions: [String: Int64] = [:]

    /// Whether unsigned bundles and changes are refused.
    var requiresSignatures: Bool {
        switch policy {
        case .require: true
        case .allowUnsigned: false
        case .auto: !members.isEmpty
        }
    }

    /// Whether this store writes format 2: it can name the office to encrypt to (on an office: it
    /// has enrolled a device, or pinned the office above it).
    var writesFormat2: Bool {
        guard keys != nil, office != nil else { return false }
        return isCentral ? !members.isEmpty || upstream != nil : true
    }

    /// The key an author's changes (or a packer's bundle) must be signed with, and the role it gives:
    /// an enrolled device's own key (its role: field, or central for an office enrolled below this
    /// one), a device an enrolled office's trust list enrolls (field), or the office's (central).
    func signer(_ device: String) -> (keys: PublicKeys, role: DeviceRole)? {
        if let member = members[device] { return (member.keys, member.role) }
        if let member = delegated[device] { return (member.keys, .field) }
        if let office { return (office.keys, .central) }
        return nil
    }

    /// The key with this key id: the office's, this store's, or a member's.
    func signer(keyID: String) -> (keys: PublicKeys, role: DeviceRole, device: String?)? {
        if let office, office.keys.signID == keyID { return (office.keys, .central, nil) }
        if let member = members.values.first(where: { $0.keys.signID == keyID }) { return (member.keys, member.role, member.device) }
        return nil
    }

    /// An enrolled device that is an office below this one (a county office at the city's).
    func isLowerOffice(_ device: String) -> Bool { isCentral && members[device]?.role == .central }

    /// A device's revocation point: by this office's trust list, or the enrolling office's.
    func revokedAfterSeq(_ device: String) -> Int64? {
        members[device]?.revokedAfterSeq ?? delegated[device]?.revokedAfterSeq
    }

    /// A device as messages name it, when a trust list names it.
    func memberName(_ device: String) -> String? { members[device]?.name ?? delegated[device]?.name }

    /// Why this office may not take `list`, the trust list of `office`, an office it enrolled below
    /// it: a list may enroll laptops only, and none that is this office, a device this office
    /// enrolled itself, or a device another office below it enrolled (nor their keys).
    func delegationProblem(_ list: TrustList, office: String) -> String? {
        let officeName = members[office]?.name ?? office
        guard list.office.device == office, list.office.keys == members[office]?.keys else {
            return tr("carries a trust list of another office than \(officeName), which packed it")
        }
        var taken: [Data: String] = [:]
        for m in members.values where m.device != office {
            taken[m.keys.sign] = tr("\(m.name), which this office enrolled")
            taken[m.keys.box] = tr("\(m.name), which this office enrolled")
        }
        for (id, m) in delegated where delegatedBy[id] != office {
            let by = members[delegatedBy[id] ?? ""]?.name ?? tr("another office")
            taken[m.keys.sign] = tr("\(m.name), which \(by) enrolled")
            taken[m.keys.box] = tr("\(m.name), which \(by) enrolled")
        }
        let own = [keys?.publicKeys.sign, keys?.publicKeys.box, self.office?.keys.sign, self.office?.keys.box].compactMap { $0 }
        for m in list.members {
            let name = m.name.terminalSafe
            if m.role != .field {
                return tr("carries a trust list of \(officeName) that enrolls \(name) as an office (central): an office below this one enrolls laptops only")
            }
            if m.device == localID || own.contains(m.keys.sign) || own.contains(m.keys.box) {
                return tr("carries a trust list of \(officeName) that enrolls this office itself (\(name))")
            }
            if let other = members[m.device], m.device != office {
                return tr("carries a trust list of \(officeName) that enrolls device \(other.name.terminalSafe), which this office enrolled itself")
            }
            if let by = delegatedBy[m.device], by != office {
                return tr("carries a trust list of \(officeName) that enrolls device \(name), which \((members[by]?.name ?? by).terminalSafe) enrolled")
            }
            if let holder = taken[m.keys.sign] ?? taken[m.keys.box] {
                return tr("carries a trust list of \(officeName) that gives \(name) the keys of \(holder.terminalSafe)")
            }
        }
        return nil
    }

    /// A name for a key id a bundle is addressed to.
    func recipientName(_ keyID: String) -> String {
        if let office, office.keys.boxID == keyID { return tr("the office (\(office.name))") }
        if let upstream, upstream.keys.boxID == keyID { return tr("the office above (\(upstream.name))") }
        if let member = members.values.first(where: { $0.keys.boxID == keyID }) { return member.name }
        return tr("key \(keyID)")
    }

    /// Who a bundle this store packs is encrypted to: the office, and the enrolled, unrevoked members
    /// of this device's team (a field store), or every enrolled device (the office). An office's
    /// bundle of changes for the office above it (`upward`) is encrypted to that office and itself.
    func recipients(upward: Bool = false) -> [PublicKeys] {
        var out: [PublicKeys] = []
        if upward, let upstream {
            out.append(upstream.keys)
            if let keys { out.append(keys.publicKeys) }
            return out
        }
        if let office { out.append(office.keys) }
        let myTeam = members[localID]?.team
        for member in members.values.sorted(by: { $0.device < $1.device }) where member.revokedAfterSeq == nil {
            if isCentral || (myTeam != nil && member.team == myTeam) { out.append(member.keys) }
        }
        if let keys, !out.contains(keys.publicKeys) { out.append(keys.publicKeys) }
        var seen = Set<Data>()
        return out.filter { seen.insert($0.box).inserted }
    }

    static func load(_ db: Database) throws -> TrustContext {
        let local = try LocalState.fetch(db)
        var keys: StoreKeys?
        if let row = try Row.fetchOne(db, sql: "SELECT sign_private, box_private FROM store_key") {
            keys = try StoreKeys(signRaw: row["sign_private"], boxRaw: row["box_private"])
        }
        var office: OfficeKeyFile?
        if let row = try Row.fetchOne(db, sql: "SELECT device_id, name, sign, box FROM office_key") {
            office = OfficeKeyFile(device: row["device_id"], name: row["name"], keys: try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data))
        }
        var members: [String: TrustList.Member] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT device_id, name, team, sign, box, revoked_after_seq, role FROM device_key") {
            let id: String = row["device_id"]
            members[id] = TrustList.Member(
                device: id, name: row["name"], team: row["team"], keys: try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data),
                revokedAfterSeq: row["revoked_after_seq"], role: DeviceRole(rawValue: row["role"]) ?? .field)
        }
        let state = try Row.fetchOne(db, sql: "SELECT version, policy FROM trust_state")
        var context = TrustContext(
            keys: keys, office: office, members: members,
            policy: SignaturePolicy(rawValue: state?["policy"] ?? "auto") ?? .auto, version: state?["version"] ?? 0,
            localID: local.deviceID, isCentral: local.role == .central)
        guard context.isCentral else { return context }
        if let row = try Row.fetchOne(db, sql: "SELECT device_id, name, sign, box FROM upstream_key") {
            context.upstream = OfficeKeyFile(
                device: row["device_id"], name: row["name"], keys: try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data))
        }
        for row in try Row.fetchAll(db, sql: "SELECT device_id, office_id, name, team, sign, box, revoked_after_seq FROM delegated_key") {
            let id: String = row["device_id"]
            context.delegated[id] = TrustList.Member(
                device: id, name: row["name"], team: row["team"], keys: try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data),
                revokedAfterSeq: row["revoked_after_seq"])
            context.delegatedBy[id] = row["office_id"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT office_id, version FROM delegated_trust") {
            context.delegatedVersions[row["office_id"]] = row["version"]
        }
        return context
    }
}

extension Store {
    /// This store's private keys, made (from the environment's randomness) the first time they are
    /// needed: stores made by a release before keys get theirs then.
    func storeKeys(_ db: Database) throws -> StoreKeys {
        if let row = try Row.fetchOne(db, sql: "SELECT sign_private, box_private FROM store_key") {
            return try StoreKeys(signRaw: row["sign_private"], boxRaw: row["box_private"])
        }
        let keys = StoreKeys(random: environment.randomBytes(64))
        try db.execute(
            sql: "INSERT INTO store_key (singleton, sign_private, box_private) VALUES (1, ?, ?)",
            arguments: [keys.signing.rawRepresentation, keys.agreement.rawRepresentation])
        let local = try LocalState.fetch(db)
        if local.role == .central {
            let name = try String.fetchOne(db, sql: "SELECT name FROM device WHERE id = ?", arguments: [local.deviceID]) ?? "office"
            try db.execute(
                sql: "INSERT OR REPLACE INTO office_key (singleton, device_id, name, sign, box) VALUES (1, ?, ?, ?, ?)",
                arguments: [local.deviceID, name, keys.publicKeys.sign, keys.publicKeys.box])
        }
        return keys
    }

    /// This store's public keys (made now if it has none yet).
    public func publicKeys() throws -> PublicKeys {
        if let keys = try read({ db in try Row.fetchOne(db, sql: "SELECT sign_private, box_private FROM store_key") }) {
            return try StoreKeys(signRaw: keys["sign_private"], boxRaw: keys["box_private"]).publicKeys
        }
        return try write { db in try storeKeys(db).publicKeys }
    }

    /// What this store trusts.
    func trustContext() throws -> TrustContext {
        try read { db in try TrustContext.load(db) }
    }

    /// The office's public key file: the office's own keys on the office, the pinned ones on a laptop.
    public func officeKeyFile() throws -> OfficeKeyFile? {
        if try read({ db in try LocalState.fetch(db).role }) == .central { _ = try publicKeys() }
        return try trustContext().office
    }

    /// Pins the office's keys on a laptop (`init --office`, `keys pin`). A laptop that already trusts
    /// another office refuses: the keys of an office change only by a restore of its backup.
    ///
    /// With `replace`, a laptop gives up the office it trusted for a new one (an office whose disk
    /// died without a key backup made new keys): the old office's trust list, enrollments and
    /// receipts are forgotten, and the laptop enrolls with the new office, which `pack --all` then
    /// gives everything the laptop holds.
    ///
    /// On an office store it pins the office *above* it instead (a county office pins the city's):
    /// the office its bundles of changes are then packed for, signed and encrypted to.
    public func pinOffice(_ file: OfficeKeyFile, replace: Bool = false) throws {
        try write { db in
            if try LocalState.fetch(db).role == .central {
                try pinUpstream(file, replace: replace, db)
                return
            }
            if replace, try LocalState.fetch(db).role == .field {
                try db.execute(sql: "DELETE FROM office_key")
                try db.execute(sql: "DELETE FROM device_key")
                try db.execute(sql: "DELETE FROM receipt")
                try db.execute(sql: "UPDATE trust_state SET version = 0, document = NULL, signature = NULL")
            }
            let local = try LocalState.fetch(db)
            guard local.role == .field else {
                throw FieldbookError.notPermitted(tr("this is an office store; it holds its own keys and pins no other office's"))
            }
            _ = try storeKeys(db)
            if let row = try Row.fetchOne(db, sql: "SELECT sign, box FROM office_key") {
                let held = try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data)
                if held == file.keys { return }
                throw FieldbookError.notPermitted(
                    tr("this laptop already trusts another office key (fingerprint \(held.fingerprint)); make a new store with `fieldbook init --office` to trust another"))
            }
            try db.execute(
                sql: "INSERT INTO office_key (singleton, device_id, name, sign, box) VALUES (1, ?, ?, ?, ?)",
                arguments: [file.device, file.name, file.keys.sign, file.keys.box])
        }
    }

    /// An office pins the office above it: refused when it is this office itself, or when another
    /// is pinned already (unless `replace`).
    private func pinUpstream(_ file: OfficeKeyFile, replace: Bool, _ db: Database) throws {
        let own = try storeKeys(db).publicKeys
        let local = try LocalState.fetch(db)
        if file.device == local.deviceID || file.keys.sign == own.sign || file.keys.box == own.box {
            throw FieldbookError.notPermitted(
                tr("\(file.name) is this office's own key file; pin the key file of the office above this one (the city's), which it exports with `fieldbook keys export`"))
        }
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM device_key WHERE device_id = ? OR sign = ? OR box = ?",
                             arguments: [file.device, file.keys.sign, file.keys.box]) ?? false
        {
            throw FieldbookError.notPermitted(
                tr("\(file.name) is a device this office enrolled; the office above it cannot be one of its own devices"))
        }
        if let row = try Row.fetchOne(db, sql: "SELECT name, sign, box FROM upstream_key") {
            let held = try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data)
            if held == file.keys { return }
            guard replace else {
                throw FieldbookError.notPermitted(
                    tr("this office already reports to another office, \(row["name"] as String) (fingerprint \(held.fingerprint)); give --replace to report to \(file.name) instead"))
            }
        }
        try db.execute(
            sql: "INSERT OR REPLACE INTO upstream_key (singleton, device_id, name, sign, box) VALUES (1, ?, ?, ?, ?)",
            arguments: [file.device, file.name, file.keys.sign, file.keys.box])
    }

    /// The request `fieldbook enroll` writes: a laptop's, for its office; or an office's, for the
    /// office above it (a county office at the city's), which enrolls it as a central device.
    public func enrollmentRequest() throws -> (request: EnrollmentRequest, keys: StoreKeys) {
        try write { db in
            let local = try LocalState.fetch(db)
            let keys = try storeKeys(db)
            let me = try Row.fetchOne(db, sql: "SELECT name, team FROM device WHERE id = ?", arguments: [local.deviceID])
            let request = EnrollmentRequest(
                device: local.deviceID, name: me?["name"] ?? "?", team: me?["team"], keys: keys.publicKeys,
                createdAt: ISO8601DateFormatter().string(from: environment.now()), role: local.role)
            return (request, keys)
        }
    }

    /// Enrolls a laptop from its request (on the office). The same request again changes nothing; a
    /// revoked device, or a device id enrolled with other keys, is refused.
    @discardableResult
    public func enroll(_ request: EnrollmentRequest) throws -> TrustList.Member {
        try write { db in
            try requireCentral(db, tr("enrolls devices"))
            _ = try storeKeys(db)
            let local = try LocalState.fetch(db)
            guard request.device != local.deviceID else {
                throw FieldbookError.notPermitted(tr("the request is this office's own device id (was the office store copied to a laptop?)"))
            }
            if let row = try Row.fetchOne(db, sql: "SELECT sign, box, revoked_after_seq FROM device_key WHERE device_id = ?", arguments: [request.device]) {
                if let after = row["revoked_after_seq"] as Int64? {
                    throw FieldbookError.notPermitted(
                        tr("device \(request.name) was revoked (its changes after \(after) are refused); a revoked laptop is never enrolled again: make it a new store with `fieldbook init`"))
                }
                guard try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data) == request.keys else {
                    throw FieldbookError.notPermitted(
                        tr("device \(request.name) is enrolled already with other keys; a device's keys never change (was its store made again? enroll the new store, which has a new device id)"))
                }
            } else {
                if let by = try String.fetchOne(db, sql: "SELECT office_id FROM delegated_key WHERE device_id = ?", arguments: [request.device]) {
                    let name = try String.fetchOne(db, sql: "SELECT name FROM device_key WHERE device_id = ?", arguments: [by]) ?? by
                    throw FieldbookError.notPermitted(
                        tr("device \(request.name) is enrolled by \(name), an office below this one; its changes reach this office in that office's bundles"))
                }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM upstream_key WHERE device_id = ?", arguments: [request.device]) ?? false {
                    throw FieldbookError.notPermitted(tr("device \(request.name) is the office above this one; it cannot also be enrolled below it"))
                }
                let sign = request.keys.sign, box = request.keys.box
                let reused = try Bool.fetchOne(
                    db, sql: """
                        SELECT 1 FROM device_key WHERE sign IN (?1, ?2) OR box IN (?1, ?2)
                        UNION SELECT 1 FROM office_key WHERE sign IN (?1, ?2) OR box IN (?1, ?2)
                        UNION SELECT 1 FROM upstream_key WHERE sign IN (?1, ?2) OR box IN (?1, ?2)
                        UNION SELECT 1 FROM delegated_key WHERE sign IN (?1, ?2) OR box IN (?1, ?2)
                        """,
                    arguments: [sign, box]) ?? false
                let own = try storeKeys(db).publicKeys
                if reused || request.keys.sign == own.sign || request.keys.box == own.box {
                    throw FieldbookError.notPermitted(
                        tr("the request for \(request.name) carries keys another device (or this office) already has; every store makes its own keys. Was the store file copied? Make the laptop a new store with `fieldbook init`"))
                }
                if let role = try String.fetchOne(db, sql: "SELECT role FROM device WHERE id = ? AND confirmed = 1", arguments: [request.device]),
                    role != request.role.rawValue
                {
                    throw FieldbookError.notPermitted(
                        request.role == .central
                            ? tr("device \(request.name) is known here as a laptop; a store's role never changes, and only an office store enrolls as an office")
                            : tr("device \(request.name) is an office store; only laptops are enrolled as laptops"))
                }
                // A key names one device: a second device with the same keys is a copied store.
                if try String.fetchOne(db, sql: "SELECT device_id FROM device_key WHERE sign = ? OR box = ?",
                                       arguments: [request.keys.sign, request.keys.box]) != nil
                    || [own.sign, own.box].contains(request.keys.sign) || [own.sign, own.box].contains(request.keys.box)
                {
                    throw FieldbookError.notPermitted(
                        tr("device \(request.name) has the keys of another device (was a store copied from one laptop to another?); make the laptop a new store with `fieldbook init`"))
                }
                try db.execute(
                    sql: "INSERT INTO device_key (device_id, name, team, sign, box, enrolled_at, role) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [request.device, request.name, request.team, request.keys.sign, request.keys.box,
                                ISO8601DateFormatter().string(from: environment.now()), request.role.rawValue])
                try db.execute(
                    sql: """
                        INSERT INTO device (id, name, team, role, confirmed) VALUES (?, ?, ?, ?, 1)
                        ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, role = excluded.role, confirmed = 1
                        """, arguments: [request.device, request.name, request.team, request.role.rawValue])
            }
            return TrustList.Member(
                device: request.device, name: request.name, team: request.team, keys: request.keys, revokedAfterSeq: nil, role: request.role)
        }
    }

    /// Revokes an enrolled device from `afterSeq` on (default: what the office holds of it without a
    /// gap): its changes up to there stay, later ones are refused wherever the trust list reaches.
    public func revoke(device text: String, afterSeq: Int64?) throws -> (name: String, afterSeq: Int64) {
        try write { db in
            try requireCentral(db, tr("revokes devices"))
            let rows = try Row.fetchAll(db, sql: "SELECT device_id, name, revoked_after_seq FROM device_key")
            let matches = rows.filter { ($0["device_id"] as String).hasPrefix(text.lowercased()) || ($0["name"] as String) == text }
            guard matches.count == 1, let row = matches.first else {
                if matches.isEmpty {
                    throw FieldbookError.invalidValue(
                        field: "device", value: text, expected: tr("an enrolled device's name or id (fieldbook devices lists them)"))
                }
                throw FieldbookError.invalidValue(
                    field: "device", value: text, expected: tr("one device; it names \(matches.count): give more of the id"))
            }
            let id: String = row["device_id"], name: String = row["name"]
            let held = try Store.contiguousSeq(db, device: id)
            let after = afterSeq ?? held
            guard after >= 0 else { throw FieldbookError.invalidValue(field: "after-seq", value: String(after), expected: tr("0 or more")) }
            if let before = row["revoked_after_seq"] as Int64? {
                guard after <= before else {
                    throw FieldbookError.notPermitted(tr("device \(name) is revoked after change \(before) already; a revocation can only move earlier"))
                }
            }
            try db.execute(
                sql: "UPDATE device_key SET revoked_after_seq = ?, revoked_at = coalesce(revoked_at, ?) WHERE device_id = ?",
                arguments: [after, ISO8601DateFormatter().string(from: environment.now()), id])
            return (name, after)
        }
    }

    private func requireCentral(_ db: Database, _ what: String) throws {
        guard try LocalState.fetch(db).role == .central else {
            throw FieldbookError.notPermitted(tr("only the office \(what); this is a laptop's store"))
        }
    }

    /// The highest n such that this store holds every change 1…n of `device`.
    static func contiguousSeq(_ db: Database, device: String) throws -> Int64 {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT count(*) AS n, max(seq) AS last FROM change WHERE device_id = ?", arguments: [device]),
            let last = row["last"] as Int64?
        else { return 0 }
        if (row["n"] as Int64) == last { return last }
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM change WHERE device_id = ? AND seq = 1", arguments: [device]) ?? false else {
            return 0
        }
        // The first gap: the lowest held seq whose successor is missing.
        return try Int64.fetchOne(
            db,
            sql: """
                SELECT min(c.seq) FROM change c WHERE c.device_id = ?1
                AND NOT EXISTS (SELECT 1 FROM change d WHERE d.device_id = ?1 AND d.seq = c.seq + 1)
                """, arguments: [device]) ?? 0
    }

    /// The signature policy and whether it requires signatures now.
    public func signaturePolicy() throws -> (policy: SignaturePolicy, requires: Bool) {
        let context = try trustContext()
        return (context.policy, context.requiresSignatures)
    }

    public func setSignaturePolicy(_ policy: SignaturePolicy) throws {
        try write { db in try db.execute(sql: "UPDATE trust_state SET policy = ?", arguments: [policy.rawValue]) }
    }

    /// Every device this store knows: enrolled, pending (changes seen, never enrolled), revoked.
    public func deviceListings() throws -> [DeviceListing] {
        try read { db in
            let context = try TrustContext.load(db)
            var out: [DeviceListing] = []
            var last: [String: (String, String?)] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT device_id, file_name, coalesce(merged_at, created_at) AS at FROM bundle ORDER BY rowid")
            {
                last[row["device_id"]] = (row["file_name"], row["at"])
            }
            var seqs: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT device_id, max(seq) AS last FROM change GROUP BY device_id") {
                seqs[row["device_id"]] = row["last"]
            }
            var ids = Set(try String.fetchAll(db, sql: "SELECT id FROM device"))
            ids.formUnion(context.members.keys)
            ids.formUnion(context.delegated.keys)
            for id in ids {
                let row = try Row.fetchOne(db, sql: "SELECT name, team, role FROM device WHERE id = ?", arguments: [id])
                // A device an office below this one enrolled stands as that office's list says.
                let enrolledBy = context.members[id] == nil ? context.delegatedBy[id].map { context.members[$0]?.name ?? $0 } : nil
                let member = context.members[id] ?? (enrolledBy != nil ? context.delegated[id] : nil)
                let role = DeviceRole(rawValue: row?["role"] ?? "field") ?? .field
                let standing: DeviceListing.Standing =
                    id == context.localID ? .this
                    : member.map { $0.revokedAfterSeq == nil ? .enrolled : .revoked } ?? (role == .central ? .office : .pending)
                // This store's own keys, and on a laptop the pinned office's, have fingerprints too.
                var fingerprint = member?.keys.fingerprint
                if id == context.localID { fingerprint = context.keys?.publicKeys.fingerprint }
                if let office = context.office, id == office.device, member == nil { fingerprint = office.keys.fingerprint }
                out.append(DeviceListing(
                    id: id, name: member?.name ?? row?["name"] ?? id, team: member?.team ?? row?["team"], role: role,
                    standing: standing, fingerprint: fingerprint, revokedAfterSeq: member?.revokedAfterSeq,
                    lastSeq: seqs[id] ?? 0, contiguousSeq: try Store.contiguousSeq(db, device: id),
                    lastBundle: last[id]?.0, lastBundleAt: last[id]?.1, enrolledBy: enrolledBy))
            }
            return out.sorted { ($0.team ?? "", $0.name, $0.id) < ($1.team ?? "", $1.name, $1.id) }
        }
    }

    /// On the office: the trust list its next bundle carries, issued anew (version + 1) when what it
    /// says has changed since the last one; nil while no device is enrolled.
    func currentTrustList(_ db: Database) throws -> TrustList.Signed? {
        let context = try TrustContext.load(db)
        guard context.isCentral, !context.members.isEmpty, let keys = context.keys ?? (try? storeKeys(db)) else { return nil }
        let office = context.office ?? OfficeKeyFile(device: context.localID, name: "office", keys: keys.publicKeys)
        var receipts: [String: Int64] = [:]
        for id in context.members.keys.sorted() {
            let n = try Store.contiguousSeq(db, device: id)
            if n > 0 { receipts[id] = n }
        }
        var list = TrustList(
            version: context.version, issuedAt: ISO8601DateFormatter().string(from: environment.now()), office: office,
            members: Array(context.members.values), receipts: receipts)
        if let row = try Row.fetchOne(db, sql: "SELECT document, signature FROM trust_state WHERE document IS NOT NULL"),
            let held = try? TrustList.parse(row["document"]),
            held.members.sorted(by: { $0.device < $1.device }) == list.members.sorted(by: { $0.device < $1.device }),
            held.receipts == list.receipts, held.office == list.office
        {
            return TrustList.Signed(document: (row["document"] as Data).base64EncodedString(), signature: (row["signature"] as Data).base64EncodedString())
        }
        // The version goes up by one at least, and to the issuing time in seconds when that is more:
        // an office restored from an older key backup still issues a list newer than the laptops hold.
        list.version = max(context.version + 1, Int64(environment.now().timeIntervalSince1970))
        let signed = list.signed(by: keys)
        try db.execute(
            sql: "UPDATE trust_state SET version = ?, document = ?, signature = ?",
            arguments: [list.version, Data(base64Encoded: signed.document)!, Data(base64Encoded: signed.signature)!])
        return signed
    }

    /// On a laptop: takes a trust list from the office's bundle, if newer than the one held; the
    /// version taken, or nil.
    @discardableResult
    func applyTrustList(_ signed: TrustList.Signed, _ db: Database) throws -> Int64? {
        let context = try TrustContext.load(db)
        guard !context.isCentral else { return nil }
        guard let office = context.office else { return nil }
        let list: TrustList
        do {
            list = try TrustList.open(signed, officeKey: office.keys)
        } catch let error as TrustError {
            throw BundleError(error.reason)
        }
        if let row = try Row.fetchOne(db, sql: "SELECT document FROM trust_state WHERE document IS NOT NULL"),
            let held = try? TrustList.parse(row["document"])
        {
            if let problem = TrustList.replacementProblem(older: held, newer: list) {
                // An older list that changes nothing held is simply not taken (an old roster bundle
                // merged again); one that would undo a revocation is refused.
                if list.version < held.version, TrustList.replacementProblem(older: held, newer: TrustList(
                    version: held.version, issuedAt: list.issuedAt, office: list.office, members: list.members, receipts: [:])) == nil
                {
                    return nil
                }
                throw BundleError(tr("carries a trust list that \(problem)"))
            }
            if list.version == held.version { return nil }
        }
        try db.execute(sql: "DELETE FROM device_key")
        for m in list.members {
            try db.execute(
                sql: "INSERT INTO device_key (device_id, name, team, sign, box, revoked_after_seq, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [m.device, m.name, m.team, m.keys.sign, m.keys.box, m.revokedAfterSeq, list.issuedAt])
        }
        for (device, seq) in list.receipts {
            try db.execute(
                sql: "INSERT INTO receipt (device_id, through_seq) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET through_seq = max(through_seq, excluded.through_seq)",
                arguments: [device, seq])
        }
        try db.execute(
            sql: "UPDATE trust_state SET version = ?, document = ?, signature = ?",
            arguments: [list.version, Data(base64Encoded: signed.document)!, Data(base64Encoded: signed.signature)!])
        return list.version
    }

    /// What this store trusts, for `status` and `keys show`; reads only (a store without keys yet
    /// is not given any).
    public func trustSummary() throws -> TrustSummary {
        try read { db in
            let context = try TrustContext.load(db)
            let me = context.members[context.localID]
            return TrustSummary(
                isCentral: context.isCentral, deviceID: context.localID, keys: context.keys?.publicKeys,
                office: context.office,
                enrolled: context.members.values.filter { $0.revokedAfterSeq == nil }.count,
                revoked: context.members.values.filter { $0.revokedAfterSeq != nil }.count,
                standing: me.map { $0.revokedAfterSeq == nil ? .enrolled : .revoked },
                revokedAfterSeq: me?.revokedAfterSeq,
                trustListVersion: context.version, policy: context.policy,
                requiresSignatures: context.requiresSignatures, upstream: context.upstream,
                offices: context.members.values.filter { $0.role == .central }.count, delegated: context.delegated.count)
        }
    }

    /// On an office: takes the trust list of an office enrolled below it (`office`), checked by
    /// ``BundleAuthentication`` and newer than the one held: the devices it enrolls and revokes
    /// replace the ones that office's earlier list named. The version taken, or nil.
    func applyDelegatedTrust(_ signed: TrustList.Signed, _ list: TrustList, office: String, _ db: Database) throws -> Int64? {
        if let held = try Int64.fetchOne(db, sql: "SELECT version FROM delegated_trust WHERE office_id = ?", arguments: [office]),
            held >= list.version
        {
            return nil
        }
        try db.execute(sql: "DELETE FROM delegated_key WHERE office_id = ?", arguments: [office])
        for m in list.members {
            try db.execute(
                sql: "INSERT INTO delegated_key (device_id, office_id, name, team, sign, box, revoked_after_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [m.device, office, m.name, m.team, m.keys.sign, m.keys.box, m.revokedAfterSeq])
        }
        try db.execute(
            sql: "INSERT OR REPLACE INTO delegated_trust (office_id, version, document, signature) VALUES (?, ?, ?, ?)",
            arguments: [office, list.version, Data(base64Encoded: signed.document)!, Data(base64Encoded: signed.signature)!])
        return list.version
    }

    /// On a laptop: how many of its own changes the office has confirmed holding, and how many not yet.
    public func officeConfirmation() throws -> (confirmed: Int64, unconfirmed: Int64, receipts: Bool) {
        try read { db in
            let local = try LocalState.fetch(db)
            let through = try Int64.fetchOne(db, sql: "SELECT through_seq FROM receipt WHERE device_id = ?", arguments: [local.deviceID])
            let confirmed = min(through ?? 0, local.lastSeq)
            return (confirmed, local.lastSeq - confirmed, through != nil)
        }
    }
}
