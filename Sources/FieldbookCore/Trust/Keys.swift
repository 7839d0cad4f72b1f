import Crypto
import Foundation

/// A store's public keys: Ed25519 to check what it signs, X25519 to encrypt bundles to it.
///
/// Both are 32 raw bytes (RFC 8032 and RFC 7748 encodings), written as standard base64 in files and
/// manifests. A key is named in a manifest by its *key id*: the first 8 bytes of the SHA-256 of the
/// raw key, as 16 lowercase hex digits.
public struct PublicKeys: Sendable, Equatable, Hashable {
    public var sign: Data
    public var box: Data

    public init(sign: Data, box: Data) throws {
        guard sign.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: sign)) != nil else {
            throw TrustError(tr("a signing key is not 32 bytes of Ed25519"))
        }
        guard box.count == 32, (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: box)) != nil else {
            throw TrustError(tr("an encryption key is not 32 bytes of X25519"))
        }
        self.sign = sign
        self.box = box
    }

    /// Reads two base64 keys.
    public init(sign: String, box: String) throws {
        guard let s = Data(base64Encoded: sign), let b = Data(base64Encoded: box) else {
            throw TrustError(tr("a key is not base64"))
        }
        try self.init(sign: s, box: b)
    }

    public var signingKey: Curve25519.Signing.PublicKey { try! .init(rawRepresentation: sign) }
    public var agreementKey: Curve25519.KeyAgreement.PublicKey { try! .init(rawRepresentation: box) }
    public var signID: String { KeyID.of(sign) }
    public var boxID: String { KeyID.of(box) }

    /// What a person reads aloud to compare two screens: six groups of five digits, from the SHA-256
    /// of `fieldbook fingerprint v1\n` followed by both raw keys (each 5-byte slice of the digest,
    /// big-endian, modulo 100,000). About 100 bits: no one can make another key with the same digits.
    public var fingerprint: String {
        var hasher = SHA256()
        hasher.update(data: Data("fieldbook fingerprint v1\n".utf8))
        hasher.update(data: sign)
        hasher.update(data: box)
        let digest = Array(hasher.finalize())
        return (0..<6).map { group -> String in
            let value = digest[group * 5..<group * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let digits = String(value % 100_000)
            return String(repeating: "0", count: 5 - digits.count) + digits
        }.joined(separator: " ")
    }
}

/// Key ids: the first 8 bytes of a raw key's SHA-256, as lowercase hex.
public enum KeyID {
    public static func of(_ key: Data) -> String {
        RecordID.hex(Array(SHA256.hash(data: key).prefix(8)))
    }
}

/// A store's private keys. They are made when the store is made and never leave it, except in a
/// passphrase-protected backup (``KeyBackup``).
public struct StoreKeys {
    public let signing: Curve25519.Signing.PrivateKey
    public let agreement: Curve25519.KeyAgreement.PrivateKey

    public init(signing: Curve25519.Signing.PrivateKey, agreement: Curve25519.KeyAgreement.PrivateKey) {
        self.signing = signing
        self.agreement = agreement
    }

    /// New keys from 64 random bytes.
    public init(random: [UInt8]) {
        precondition(random.count == 64)
        signing = try! .init(rawRepresentation: random[0..<32])
        agreement = try! .init(rawRepresentation: random[32..<64])
    }

    init(signRaw: Data, boxRaw: Data) throws {
        guard let s = try? Curve25519.Signing.PrivateKey(rawRepresentation: signRaw),
            let b = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: boxRaw)
        else { throw TrustError(tr("the store's private keys are damaged")) }
        signing = s
        agreement = b
    }

    public var publicKeys: PublicKeys {
        try! PublicKeys(sign: signing.publicKey.rawRepresentation, box: agreement.publicKey.rawRepresentation)
    }

    func sign(_ message: Data) -> Data {
        (try? signing.signature(for: message)) ?? Data()
    }
}

/// Why a key file, a trust list or a signature was refused.
public struct TrustError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// `office.fbkey`: the public keys an office hands to its teams, pinned by `init --office`.
///
/// ```json
/// {"box":"…","check":"…","device":"…","fieldbook":"office-key","format":1,"name":"某某区巡察办","sign":"…"}
/// ```
///
/// `check` is the first 16 bytes, as hex, of the SHA-256 of `fieldbook office key v1\n` followed by
/// the sorted-key JSON of the other members: a damaged file (a flipped byte in a key) is refused
/// rather than pinned. It is no defence against a file swapped on purpose (anyone can write a
/// matching check): the fingerprint, read aloud and compared with the office's screen, is. Files
/// without `check` (written before it existed) are still read.
public struct OfficeKeyFile: Sendable, Equatable {
    public var device: String
    public var name: String
    public var keys: PublicKeys

    public init(device: String, name: String, keys: PublicKeys) {
        self.device = device
        self.name = name
        self.keys = keys
    }

    public func encoded() -> Data {
        var object = members()
        object["check"] = Self.check(object)
        var data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    private func members() -> [String: Any] {
        [
            "fieldbook": "office-key", "format": 1, "device": device, "name": name,
            "sign": keys.sign.base64EncodedString(), "box": keys.box.base64EncodedString(),
        ]
    }

    /// The damage check over every member but `check` itself.
    private static func check(_ object: [String: Any]) -> String {
        let body = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return RecordID.hex(Array(SHA256.hash(data: Data("fieldbook office key v1\n".utf8) + body).prefix(16)))
    }

    public static func decode(_ data: Data) throws -> OfficeKeyFile {
        guard data.count < 65536, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["fieldbook"] as? String == "office-key"
        else { throw TrustError(tr("is not an office key file (fieldbook keys export writes one)")) }
        guard (object["format"] as? Int) == 1 else { throw TrustError(tr("is an office key file of a format this fieldbook does not read")) }
        guard let device = object["device"] as? String, ChangeRules.isID(device), let name = object["name"] as? String,
            ChangeRules.textProblem(name, maxLength: ChangeRules.shortText) == nil,
            let sign = object["sign"] as? String, let box = object["box"] as? String
        else { throw TrustError(tr("is an office key file with a missing or damaged member")) }
        if let check = object["check"] {
            var rest = object
            rest["check"] = nil
            guard let check = check as? String, check == Self.check(rest) else {
                throw TrustError(tr("is an office key file that was damaged or altered after it was written (its check does not match); ask the office for the file again"))
            }
        }
        return OfficeKeyFile(device: device, name: name, keys: try PublicKeys(sign: sign, box: box))
    }
}

/// What `fieldbook enroll` writes for a laptop to carry to the office: who it is and its public keys,
/// signed with its own signing key (so the file cannot name keys its maker does not hold).
public struct EnrollmentRequest: Sendable, Equatable {
    public var device: String
    public var name: String
    public var team: String?
    public var keys: PublicKeys
    public var createdAt: String
    /// `field` for a laptop; `central` for an office store enrolling at the office above it (a
    /// county office at the city's). Written only when central.
    public var role: DeviceRole

    public init(device: String, name: String, team: String?, keys: PublicKeys, createdAt: String, role: DeviceRole = .field) {
        self.device = device
        self.name = name
        self.team = team
        self.keys = keys
        self.createdAt = createdAt
        self.role = role
    }

    /// The signed part: sorted-key JSON without `signature`.
    func body() -> Data {
        var object: [String: Any] = [
            "fieldbook": "enrollment-request", "format": 1, "device": device, "name": name,
            "sign": keys.sign.base64EncodedString(), "box": keys.box.base64EncodedString(), "created_at": createdAt,
        ]
        if let team { object["team"] = team }
        if role == .central { object["role"] = "central" }
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static let signingContext = Data("fieldbook enrollment request v1\n".utf8)

    public func encoded(signedBy keys: StoreKeys) -> Data {
        let body = body()
        let signature = keys.sign(Self.signingContext + body)
        let object: [String: Any] = [
            "request": body.base64EncodedString(), "signature": signature.base64EncodedString(),
        ]
        var data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        data.append(0x0A)
        return data
    }

    public static func decode(_ data: Data) throws -> EnrollmentRequest {
        guard data.count < 65536, let outer = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let bodyText = outer["request"] as? String, let body = Data(base64Encoded: bodyText),
            let signatureText = outer["signature"] as? String, let signature = Data(base64Encoded: signatureText),
            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            object["fieldbook"] as? String == "enrollment-request"
        else { throw TrustError(tr("is not an enrollment request (fieldbook enroll writes one)")) }
        guard (object["format"] as? Int) == 1 else {
            throw TrustError(tr("is an enrollment request of a format this fieldbook does not read; update fieldbook"))
        }
        guard let device = object["device"] as? String, ChangeRules.isID(device), let name = object["name"] as? String,
            ChangeRules.textProblem(name, maxLength: ChangeRules.shortText) == nil, !name.allSatisfy(\.isWhitespace),
            let sign = object["sign"] as? String, let box = object["box"] as? String,
            let createdAt = object["created_at"] as? String,
            ChangeRules.textProblem(createdAt, maxLength: ChangeRules.shortText) == nil
        else { throw TrustError(tr("is an enrollment request with a missing or damaged member")) }
        let team = object["team"] as? String
        if let team, ChangeRules.textProblem(team, maxLength: ChangeRules.shortText) != nil {
            throw TrustError(tr("is an enrollment request with a damaged team name"))
        }
        var role = DeviceRole.field
        if let r = object["role"] {
            guard let text = r as? String, let parsed = DeviceRole(rawValue: text) else {
                throw TrustError(tr("is an enrollment request with a damaged role"))
            }
            role = parsed
        }
        let keys = try PublicKeys(sign: sign, box: box)
        guard keys.signingKey.isValidSignature(signature, for: signingContext + body) else {
            throw TrustError(tr("is an enrollment request whose signature does not match its keys (altered after it was written?)"))
        }
        return EnrollmentRequest(device: device, name: name, team: team, keys: keys, createdAt: createdAt, role: role)
    }
}
