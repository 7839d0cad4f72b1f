import Crypto
import Foundation

/// The office's signed list of whom to trust: its own keys, every enrolled or revoked device with its
/// keys and team, and receipts (for each device, the highest sequence number up to which the office
/// holds all of that device's changes). Its version only goes up.
///
/// It travels inside the manifest of the office's bundles as the exact bytes signed: `document` is
/// the base64 of a sorted-key JSON object, `signature` the base64 Ed25519 signature of
/// `fieldbook trust list v1\n` followed by those bytes, by the office's signing key.
public struct TrustList: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var device: String
        public var name: String
        public var team: String?
        public var keys: PublicKeys
        /// Nil while enrolled; the last sequence number kept once revoked.
        public var revokedAfterSeq: Int64?
        /// `field` for a laptop; `central` for an office enrolled below this one (a county office
        /// enrolled at the city's).
        public var role: DeviceRole

        public init(
            device: String, name: String, team: String?, keys: PublicKeys, revokedAfterSeq: Int64?, role: DeviceRole = .field
        ) {
            self.device = device
            self.name = name
            self.team = team
            self.keys = keys
            self.revokedAfterSeq = revokedAfterSeq
            self.role = role
        }
    }

    public var version: Int64
    public var issuedAt: String
    public var office: OfficeKeyFile
    public var members: [Member]
    /// Device id → the highest sequence number up to which the office holds every change.
    public var receipts: [String: Int64]

    static let signingContext = Data("fieldbook trust list v1\n".utf8)
    /// The most devices a list may name, so a forged one cannot exhaust memory.
    static let maxMembers = 100_000

    func document() -> Data {
        let members = self.members.sorted { $0.device < $1.device }.map { m -> [String: Any] in
            var o: [String: Any] = [
                "device": m.device, "name": m.name, "sign": m.keys.sign.base64EncodedString(),
                "box": m.keys.box.base64EncodedString(), "status": m.revokedAfterSeq == nil ? "enrolled" : "revoked",
            ]
            if let team = m.team { o["team"] = team }
            if let seq = m.revokedAfterSeq { o["revoked_after_seq"] = seq }
            // Written only for an office enrolled below this one: a list of laptops reads as before.
            if m.role == .central { o["role"] = "central" }
            return o
        }
        let object: [String: Any] = [
            "fieldbook": "trust-list", "format": 1, "version": version, "issued_at": issuedAt,
            "office": [
                "device": office.device, "name": office.name, "sign": office.keys.sign.base64EncodedString(),
                "box": office.keys.box.base64EncodedString(),
            ],
            "devices": members,
            "receipts": receipts.keys.sorted().map { ["device": $0, "through_seq": receipts[$0]!] as [String: Any] },
        ]
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The signed form carried in manifests.
    public struct Signed: Codable, Sendable, Equatable {
        public var document: String
        public var signature: String
    }

    func signed(by keys: StoreKeys) -> Signed {
        let document = document()
        return Signed(
            document: document.base64EncodedString(),
            signature: keys.sign(Self.signingContext + document).base64EncodedString())
    }

    /// Reads and checks a signed list: its signature by `officeKey` (the office this store pinned),
    /// and every member. Throws with the reason.
    static func open(_ signed: Signed, officeKey: PublicKeys) throws -> TrustList {
        guard let document = Data(base64Encoded: signed.document), document.count <= 64 << 20,
            let signature = Data(base64Encoded: signed.signature)
        else { throw TrustError(tr("carries a trust list that is not base64")) }
        guard officeKey.signingKey.isValidSignature(signature, for: signingContext + document) else {
            throw TrustError(tr("carries a trust list not signed by the office this store trusts (its signature does not match the office's key)"))
        }
        let list = try parse(document)
        guard list.office.keys == officeKey else {
            throw TrustError(tr("carries a trust list that names another office's keys than the one that signed it"))
        }
        for m in list.members where m.device == list.office.device || m.keys.sign == officeKey.sign || m.keys.box == officeKey.box
            || m.keys.sign == list.office.keys.sign || m.keys.box == list.office.keys.box
        {
            throw TrustError(tr("carries a trust list that enrolls the office itself (\(m.name.terminalSafe)) as a laptop"))
        }
        var keys = Set<Data>()
        for m in list.members where !keys.insert(m.keys.sign).inserted || !keys.insert(m.keys.box).inserted {
            throw TrustError(tr("carries a trust list in which two devices share keys"))
        }
        return list
    }

    static func parse(_ document: Data) throws -> TrustList {
        func bad(_ what: String) -> TrustError { TrustError(tr("carries a trust list whose \(what)")) }
        guard let object = try? JSONSerialization.jsonObject(with: document) as? [String: Any],
            object["fieldbook"] as? String == "trust-list", (object["format"] as? Int) == 1
        else { throw bad(tr("document is not a trust list")) }
        guard let version = (object["version"] as? NSNumber)?.int64Value, version >= 1 else { throw bad(tr("version is missing")) }
        let issuedAt = object["issued_at"] as? String ?? ""
        guard let o = object["office"] as? [String: Any], let oid = o["device"] as? String, ChangeRules.isID(oid),
            let oname = o["name"] as? String, let osign = o["sign"] as? String, let obox = o["box"] as? String
        else { throw bad(tr("office is missing or damaged")) }
        let office = OfficeKeyFile(device: oid, name: oname, keys: try PublicKeys(sign: osign, box: obox))
        guard let list = object["devices"] as? [[String: Any]], list.count <= maxMembers else { throw bad(tr("devices are missing")) }
        var members: [Member] = []
        var seen = Set<String>()
        for m in list {
            guard let id = m["device"] as? String, ChangeRules.isID(id), seen.insert(id).inserted,
                let name = m["name"] as? String, ChangeRules.textProblem(name, maxLength: ChangeRules.shortText) == nil,
                let sign = m["sign"] as? String, let box = m["box"] as? String,
                let status = m["status"] as? String, status == "enrolled" || status == "revoked"
            else { throw bad(tr("device list holds a damaged entry")) }
            let team = m["team"] as? String
            if let team, ChangeRules.textProblem(team, maxLength: ChangeRules.shortText) != nil { throw bad(tr("device list holds a damaged team")) }
            var role = DeviceRole.field
            if let r = m["role"] {
                guard let text = r as? String, let parsed = DeviceRole(rawValue: text) else { throw bad(tr("device list holds a damaged role")) }
                role = parsed
            }
            var after: Int64?
            if status == "revoked" {
                guard let seq = (m["revoked_after_seq"] as? NSNumber)?.int64Value, seq >= 0 else { throw bad(tr("revocation has no sequence number")) }
                after = seq
            }
            members.append(Member(
                device: id, name: name, team: team, keys: try PublicKeys(sign: sign, box: box), revokedAfterSeq: after, role: role))
        }
        var receipts: [String: Int64] = [:]
        for r in object["receipts"] as? [[String: Any]] ?? [] {
            guard let id = r["device"] as? String, ChangeRules.isID(id), let seq = (r["through_seq"] as? NSNumber)?.int64Value, seq >= 0
            else { throw bad(tr("receipts hold a damaged entry")) }
            receipts[id] = seq
        }
        return TrustList(version: version, issuedAt: issuedAt, office: office, members: members, receipts: receipts)
    }

    /// Why `newer` may not replace `older`: a version that does not go up, or a device it un-revokes
    /// (or revokes from a later point than before).
    static func replacementProblem(older: TrustList, newer: TrustList) -> String? {
        if newer.version < older.version {
            return tr("is version \(newer.version), older than the version \(older.version) this store holds; an old trust list cannot replace a newer one")
        }
        let now = Dictionary(newer.members.map { ($0.device, $0) }, uniquingKeysWith: { a, _ in a })
        for m in older.members {
            guard let revoked = m.revokedAfterSeq else { continue }
            guard let later = now[m.device]?.revokedAfterSeq, later <= revoked else {
                return tr("would un-revoke device \(m.name.terminalSafe), which version \(older.version) revoked; a revocation cannot be undone")
            }
        }
        return nil
    }
}
