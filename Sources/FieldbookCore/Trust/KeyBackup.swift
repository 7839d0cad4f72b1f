import Crypto
import Foundation
import GRDB
import _CryptoExtras

/// The office's private keys and trust state under a passphrase: what `fieldbook keys backup`
/// writes and `fieldbook keys restore` reads.
///
/// The file is JSON:
///
/// ```json
/// {"cipher":"chacha20-poly1305","fieldbook":"key-backup","format":1,
///  "kdf":{"n":32768,"name":"scrypt","p":1,"r":8,"salt":"…"},"nonce":"…","sealed":"…"}
/// ```
///
/// The key is scrypt (N, r, p as written, 16 random bytes of salt, 32 bytes out) of the passphrase
/// in Unicode NFC; `sealed` is the ChaCha20-Poly1305 ciphertext and tag (12-byte `nonce`) of the
/// contents, with ``associatedData(_:)`` (the format and the cost) as associated data, so a file
/// whose parameters were changed does not open. The contents are sorted-key JSON: the private
/// keys, the office's public keys, the trust list in force and every enrolled or revoked device
/// (``Contents``). A wrong passphrase and a damaged file look the same: the tag does not match.
public enum KeyBackup {
    /// The shortest passphrase a backup is written under, in characters.
    public static let minimumPassphraseLength = 8
    /// The largest backup file read (a trust list of many devices stays far below).
    static let maxFileSize = 64 << 20

    /// What scrypt costs: N (rounds), r (block size), p (parallelism).
    struct Cost: Sendable, Equatable {
        var n: Int
        var r: Int
        var p: Int

        /// What `fieldbook keys backup` uses: 32 MiB and about a tenth of a second on a laptop
        /// (a release build), so that guessing passphrases is slow.
        static let standard = Cost(n: 32768, r: 8, p: 1)

        /// Whether a file may ask for this: N a power of two, and at most 256 MiB of memory, so a
        /// crafted file cannot make a restore take the machine's memory.
        var isAcceptable: Bool {
            n >= 2 && n & (n - 1) == 0 && n <= 1 << 20 && (1...32).contains(r) && (1...16).contains(p)
                && 128 * r * (n + p + 1) <= 256 << 20
        }
    }

    /// The outer file.
    struct File: Codable {
        struct KDF: Codable {
            var name: String
            var n: Int
            var r: Int
            var p: Int
            var salt: Data
        }
        var fieldbook: String
        var format: Int
        var kdf: KDF
        var cipher: String
        var nonce: Data
        var sealed: Data
    }

    /// What the file seals.
    struct Contents: Codable, Equatable {
        struct Office: Codable, Equatable {
            var device: String
            var name: String
            var sign: Data
            var box: Data
            var signPrivate: Data
            var boxPrivate: Data
        }
        struct Trust: Codable, Equatable {
            var version: Int64
            var document: Data?
            var signature: Data?
            var policy: String
        }
        struct Device: Codable, Equatable {
            var device: String
            var name: String
            var team: String?
            var sign: Data
            var box: Data
            var revokedAfterSeq: Int64?
            var enrolledAt: String
            var revokedAt: String?
            /// `central` for an office enrolled below this one; absent for a laptop.
            var role: String? = nil
        }
        /// The office above this one, when it pinned one (a county office: the city's).
        struct Upstream: Codable, Equatable {
            var device: String
            var name: String
            var sign: Data
            var box: Data
        }
        var fieldbook = "key-backup-contents"
        var format = 1
        var madeAt: String
        var office: Office
        var trust: Trust
        var devices: [Device]
        var upstream: Upstream? = nil
    }

    /// The passphrase as the key is made from it: NFC, so that the same characters typed on
    /// another machine (which may compose them otherwise) give the same key.
    static func normalized(_ passphrase: String) -> String {
        passphrase.precomposedStringWithCanonicalMapping
    }

    /// The associated data: what the file says about how it was sealed.
    static func associatedData(_ cost: Cost) -> Data {
        Data("fieldbook key-backup 1\nscrypt n=\(cost.n) r=\(cost.r) p=\(cost.p)\nchacha20-poly1305\n".utf8)
    }

    static func key(passphrase: String, salt: Data, cost: Cost) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Data(normalized(passphrase).utf8), salt: salt, outputByteCount: 32, rounds: cost.n,
            blockSize: cost.r, parallelism: cost.p)
    }

    /// Seals `contents` under `passphrase`.
    static func seal(_ contents: Contents, passphrase: String, cost: Cost, random: (Int) -> [UInt8]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let plaintext = try encoder.encode(contents)
        let salt = Data(random(16))
        let nonce = try ChaChaPoly.Nonce(data: Data(random(12)))
        let box = try ChaChaPoly.seal(
            plaintext, using: try key(passphrase: passphrase, salt: salt, cost: cost), nonce: nonce,
            authenticating: associatedData(cost))
        let file = File(
            fieldbook: "key-backup", format: 1, kdf: .init(name: "scrypt", n: cost.n, r: cost.r, p: cost.p, salt: salt),
            cipher: "chacha20-poly1305", nonce: Data(nonce), sealed: box.ciphertext + box.tag)
        let fileEncoder = JSONEncoder()
        fileEncoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try fileEncoder.encode(file)
        data.append(0x0A)
        return data
    }

    /// Opens a backup file; throws ``TrustError`` with the reason (one that reads after the file's
    /// name) when it is not one, is damaged, or the passphrase is wrong.
    static func open(_ data: Data, passphrase: String) throws -> Contents {
        guard data.count <= maxFileSize, let file = try? JSONDecoder().decode(File.self, from: data),
            file.fieldbook == "key-backup"
        else { throw TrustError(tr("is not a Fieldbook key backup (fieldbook keys backup writes one)")) }
        guard file.format == 1 else {
            throw TrustError(tr("is a key backup of format \(file.format), which this fieldbook does not read; update fieldbook"))
        }
        let cost = Cost(n: file.kdf.n, r: file.kdf.r, p: file.kdf.p)
        guard file.kdf.name == "scrypt", file.cipher == "chacha20-poly1305", cost.isAcceptable,
            file.kdf.salt.count == 16, file.nonce.count == 12, file.sealed.count >= 16
        else { throw TrustError(tr("is a key backup whose parameters are damaged (or not this fieldbook's); nothing was restored")) }
        let wrong = TrustError(tr("the passphrase is wrong, or the file is damaged; nothing was restored"))
        let plaintext: Data
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: try ChaChaPoly.Nonce(data: file.nonce), ciphertext: file.sealed.dropLast(16), tag: file.sealed.suffix(16))
            plaintext = try ChaChaPoly.open(
                box, using: try key(passphrase: passphrase, salt: file.kdf.salt, cost: cost),
                authenticating: associatedData(cost))
        } catch {
            throw wrong
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let contents = try? decoder.decode(Contents.self, from: plaintext), contents.fieldbook == "key-backup-contents",
            contents.format == 1
        else { throw TrustError(tr("opens, but holds contents this fieldbook does not read; update fieldbook")) }
        return contents
    }
}

/// What a restore did.
public struct KeyRestore: Sendable, Equatable {
    /// The office's keys now in force (the backup's).
    public var keys: PublicKeys
    /// This store's keys before, when the restore replaced other keys (a store just made).
    public var replaced: PublicKeys?
    /// Devices in the trust list after the restore: enrolled, and revoked.
    public var enrolled: Int
    public var revoked: Int
    /// The version of the trust list in force after the restore.
    public var trustListVersion: Int64
    /// When the backup was made (ISO 8601).
    public var madeAt: String
}

extension Store {
    /// The office's private keys and trust state, sealed under `passphrase` (at least
    /// ``KeyBackup/minimumPassphraseLength`` characters): the bytes of a backup file.
    ///
    /// Only the office backs up its keys: a laptop's never leave it (a lost laptop is revoked and
    /// replaced by a new store, enrolled anew).
    public func backupKeys(passphrase: String) throws -> Data {
        try backupKeys(passphrase: passphrase, cost: .standard)
    }

    /// As ``backupKeys(passphrase:)``, at another scrypt cost (tests use a cheap one).
    func backupKeys(passphrase: String, cost: KeyBackup.Cost) throws -> Data {
        let length = KeyBackup.normalized(passphrase).count
        guard length >= KeyBackup.minimumPassphraseLength else {
            throw FieldbookError.invalidValue(
                field: "passphrase", value: tr("\(length, "character")"),
                expected: tr("use at least \(KeyBackup.minimumPassphraseLength) characters"))
        }
        guard try read({ db in try LocalState.fetch(db).role }) == .central else {
            throw FieldbookError.notPermitted(
                tr("only the office's keys are backed up; a laptop's keys never leave it (a lost laptop is revoked, and a new store is enrolled)"))
        }
        _ = try publicKeys()
        let contents = try read { db -> KeyBackup.Contents in
            let keys = try storeKeys(db)
            let local = try LocalState.fetch(db)
            let name = try String.fetchOne(db, sql: "SELECT name FROM device WHERE id = ?", arguments: [local.deviceID]) ?? "office"
            let state = try Row.fetchOne(db, sql: "SELECT version, document, signature, policy FROM trust_state")
            let devices = try Row.fetchAll(
                db,
                sql: "SELECT device_id, name, team, sign, box, revoked_after_seq, enrolled_at, revoked_at, role FROM device_key ORDER BY device_id"
            ).map { row in
                KeyBackup.Contents.Device(
                    device: row["device_id"], name: row["name"], team: row["team"], sign: row["sign"], box: row["box"],
                    revokedAfterSeq: row["revoked_after_seq"], enrolledAt: row["enrolled_at"], revokedAt: row["revoked_at"],
                    role: (row["role"] as String) == DeviceRole.central.rawValue ? DeviceRole.central.rawValue : nil)
            }
            let upstream = try Row.fetchOne(db, sql: "SELECT device_id, name, sign, box FROM upstream_key").map { row in
                KeyBackup.Contents.Upstream(device: row["device_id"], name: row["name"], sign: row["sign"], box: row["box"])
            }
            return KeyBackup.Contents(
                madeAt: ISO8601DateFormatter().string(from: environment.now()),
                office: .init(
                    device: local.deviceID, name: name, sign: keys.publicKeys.sign, box: keys.publicKeys.box,
                    signPrivate: keys.signing.rawRepresentation, boxPrivate: keys.agreement.rawRepresentation),
                trust: .init(
                    version: state?["version"] ?? 0, document: state?["document"], signature: state?["signature"],
                    policy: state?["policy"] ?? SignaturePolicy.auto.rawValue),
                devices: devices, upstream: upstream)
        }
        return try KeyBackup.seal(contents, passphrase: passphrase, cost: cost, random: environment.randomBytes)
    }

    /// Brings back the office's keys and trust state from a backup, into a central store: a new
    /// one made with `fieldbook init --central` on a new machine (whose own new keys it replaces),
    /// or the same office (where it changes nothing it should not: the same backup twice is
    /// harmless, and a revocation made since stays).
    ///
    /// Refused, with nothing changed: on a laptop; over a store that enrolled devices under other
    /// keys (those laptops trust those keys); when a device the store enrolled has other keys in
    /// the backup. A wrong passphrase or a damaged file throws ``TrustError``.
    @discardableResult
    public func restoreKeys(from data: Data, passphrase: String) throws -> KeyRestore {
        guard try read({ db in try LocalState.fetch(db).role }) == .central else {
            throw FieldbookError.notPermitted(
                tr("keys are restored only into an office store (make one with `fieldbook init --central`); a laptop keeps its own keys"))
        }
        let contents = try KeyBackup.open(data, passphrase: passphrase)
        let damaged = TrustError(tr("opens, but what it holds does not agree with itself; the file is damaged, nothing was restored"))
        let keys = try StoreKeys(signRaw: contents.office.signPrivate, boxRaw: contents.office.boxPrivate)
        guard keys.publicKeys.sign == contents.office.sign, keys.publicKeys.box == contents.office.box else { throw damaged }
        if let document = contents.trust.document {
            guard let signature = contents.trust.signature,
                (try? TrustList.open(
                    .init(document: document.base64EncodedString(), signature: signature.base64EncodedString()),
                    officeKey: keys.publicKeys)) != nil
            else { throw damaged }
        }
        var backupDevices: [String: PublicKeys] = [:]
        for d in contents.devices {
            guard ChangeRules.isID(d.device), backupDevices[d.device] == nil,
                ChangeRules.textProblem(d.name, maxLength: ChangeRules.shortText) == nil,
                d.role.map({ DeviceRole(rawValue: $0) != nil }) ?? true
            else { throw damaged }
            backupDevices[d.device] = try PublicKeys(sign: d.sign, box: d.box)
        }
        guard SignaturePolicy(rawValue: contents.trust.policy) != nil, contents.trust.version >= 0 else { throw damaged }
        let upstream = try contents.upstream.map { u -> OfficeKeyFile in
            guard ChangeRules.isID(u.device), ChangeRules.textProblem(u.name, maxLength: ChangeRules.shortText) == nil else { throw damaged }
            return OfficeKeyFile(device: u.device, name: u.name, keys: try PublicKeys(sign: u.sign, box: u.box))
        }

        return try write { db in
            let local = try LocalState.fetch(db)
            guard local.role == .central else {
                throw FieldbookError.notPermitted(tr("keys are restored only into an office store"))
            }
            var previous: PublicKeys?
            if let row = try Row.fetchOne(db, sql: "SELECT sign_private, box_private FROM store_key") {
                previous = try StoreKeys(signRaw: row["sign_private"], boxRaw: row["box_private"]).publicKeys
            }
            let held = try Row.fetchAll(db, sql: "SELECT device_id, name, sign, box, revoked_after_seq FROM device_key")
            let version = try Int64.fetchOne(db, sql: "SELECT version FROM trust_state") ?? 0
            if let previous, previous != keys.publicKeys, !held.isEmpty || version > 0 {
                throw FieldbookError.notPermitted(
                    tr("this office store has keys of its own (fingerprint \(previous.fingerprint)) and has enrolled \(held.count, "device") with them; those laptops trust its keys. Restore into a new store made with `fieldbook init --central`"))
            }
            for row in held {
                let id: String = row["device_id"]
                guard let backupKeys = backupDevices[id] else { continue }
                guard try PublicKeys(sign: row["sign"] as Data, box: row["box"] as Data) == backupKeys else {
                    throw FieldbookError.notPermitted(
                        tr("device \(row["name"] as String) is enrolled here with other keys than in the backup; nothing was restored"))
                }
            }
            if backupDevices[local.deviceID] != nil { throw damaged }

            let name = try String.fetchOne(db, sql: "SELECT name FROM device WHERE id = ?", arguments: [local.deviceID]) ?? contents.office.name
            try db.execute(
                sql: "INSERT OR REPLACE INTO store_key (singleton, sign_private, box_private) VALUES (1, ?, ?)",
                arguments: [keys.signing.rawRepresentation, keys.agreement.rawRepresentation])
            try db.execute(
                sql: "INSERT OR REPLACE INTO office_key (singleton, device_id, name, sign, box) VALUES (1, ?, ?, ?, ?)",
                arguments: [local.deviceID, name, keys.publicKeys.sign, keys.publicKeys.box])
            for d in contents.devices {
                // A revocation only moves earlier: the earlier of the store's and the backup's stays.
                try db.execute(
                    sql: """
                        INSERT INTO device_key (device_id, name, team, sign, box, revoked_after_seq, enrolled_at, revoked_at, role)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (device_id) DO UPDATE SET
                            revoked_after_seq = CASE
                                WHEN device_key.revoked_after_seq IS NULL THEN excluded.revoked_after_seq
                                WHEN excluded.revoked_after_seq IS NULL THEN device_key.revoked_after_seq
                                ELSE min(device_key.revoked_after_seq, excluded.revoked_after_seq) END,
                            revoked_at = coalesce(device_key.revoked_at, excluded.revoked_at)
                        """,
                    arguments: [d.device, d.name, d.team, d.sign, d.box, d.revokedAfterSeq, d.enrolledAt, d.revokedAt, d.role ?? "field"])
                try db.execute(
                    sql: """
                        INSERT INTO device (id, name, team, role, confirmed) VALUES (?, ?, ?, ?, 1)
                        ON CONFLICT (id) DO NOTHING
                        """, arguments: [d.device, d.name, d.team, d.role ?? "field"])
            }
            if let upstream, try Int.fetchOne(db, sql: "SELECT count(*) FROM upstream_key") == 0 {
                try db.execute(
                    sql: "INSERT INTO upstream_key (singleton, device_id, name, sign, box) VALUES (1, ?, ?, ?, ?)",
                    arguments: [upstream.device, upstream.name, upstream.keys.sign, upstream.keys.box])
            }
            if contents.trust.version >= version {
                try db.execute(
                    sql: "UPDATE trust_state SET version = ?, document = ?, signature = ?, policy = ?",
                    arguments: [contents.trust.version, contents.trust.document, contents.trust.signature, contents.trust.policy])
            }
            let context = try TrustContext.load(db)
            return KeyRestore(
                keys: keys.publicKeys, replaced: previous == keys.publicKeys ? nil : previous,
                enrolled: context.members.values.filter { $0.revokedAfterSeq == nil }.count,
                revoked: context.members.values.filter { $0.revokedAfterSeq != nil }.count,
                trustListVersion: context.version, madeAt: contents.madeAt)
        }
    }
}
