import Foundation

/// What a bundle says about itself, readable without inflating its payload.
///
/// The manifest is JSON (UTF-8, sorted keys) inside the envelope described in `bundles/FORMAT.md`.
public struct BundleManifest: Codable, Sendable, Equatable {
    public struct Device: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var team: String?
        public var role: String
    }

    /// One device whose changes the bundle carries: its own, or ones it merged and relays.
    public struct DeviceRange: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var team: String?
        public var role: String
        public var firstSeq: Int64
        public var lastSeq: Int64
        public var count: Int

        enum CodingKeys: String, CodingKey {
            case id, name, team, role, count
            case firstSeq = "first_seq"
            case lastSeq = "last_seq"
        }
    }

    public struct Payload: Codable, Sendable, Equatable {
        /// `jsonl`: one change per line, see FORMAT.md.
        public var encoding: String
        /// `gzip` (RFC 1952).
        public var compression: String
        public var rawSize: Int64
        public var compressedSize: Int64
        /// Lowercase hex SHA-256 of the compressed payload bytes.
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case encoding, compression, sha256
            case rawSize = "raw_size"
            case compressedSize = "compressed_size"
        }
    }

    /// Format 2: how the payload is encrypted, and for whom.
    public struct Encryption: Codable, Sendable, Equatable {
        /// `fieldbook-stream-v1`: 64 KiB chunks of ChaCha20-Poly1305, the file key wrapped by HPKE.
        public var scheme: String
        public var chunkSize: Int
        public var recipients: [Recipient]

        enum CodingKeys: String, CodingKey {
            case scheme, recipients
            case chunkSize = "chunk_size"
        }
    }

    /// The file key, wrapped for one recipient's X25519 key.
    public struct Recipient: Codable, Sendable, Equatable {
        /// The recipient's key id (``KeyID``).
        public var keyID: String
        /// HPKE's encapsulated key (32 bytes), base64.
        public var enc: String
        /// The sealed file key (48 bytes), base64.
        public var wrapped: String

        enum CodingKeys: String, CodingKey {
            case enc, wrapped
            case keyID = "key_id"
        }
    }

    /// Format 2: who signed the bundle (its packer); the signature itself is in the trailer.
    public struct Signature: Codable, Sendable, Equatable {
        /// `ed25519`.
        public var scheme: String
        /// The key id of the packer's signing key.
        public var keyID: String

        enum CodingKeys: String, CodingKey {
            case scheme
            case keyID = "key_id"
        }
    }

    public var format: Int
    public var bundleID: String
    /// When the bundle was written, by the packing device's clock (UTC, ISO 8601).
    public var createdAt: String
    /// The packing device's hybrid clock when it wrote the bundle.
    public var createdHLC: Int64
    public var device: Device
    public var round: String?
    /// `changes` (what was not yet packed), `all` (everything, for a lost stick) or `roster`.
    public var scope: String
    public var devices: [DeviceRange]
    /// Changes per record kind.
    public var counts: [String: Int]
    public var changes: Int
    public var minHLC: Int64
    public var maxHLC: Int64
    public var payload: Payload
    /// How the payload is encrypted: null in format 1.
    public var encryption: Encryption?
    /// Who signed the bundle: null in format 1 (the trailer is empty).
    public var signature: Signature?
    /// Format 2: the signed runs of each author's changes the payload holds (absent in format 1).
    public var segments: [Segment]? = nil
    /// Format 2, office bundles: the office's signed trust list (absent otherwise).
    public var trust: TrustList.Signed? = nil

    enum CodingKeys: String, CodingKey {
        case format, device, round, scope, devices, counts, changes, payload, encryption, signature, segments, trust
        case bundleID = "bundle_id"
        case createdAt = "created_at"
        case createdHLC = "created_hlc"
        case minHLC = "min_hlc"
        case maxHLC = "max_hlc"
    }

    /// The packing device's own sequence range in this bundle, if it carries any of its changes.
    public var ownRange: DeviceRange? { devices.first { $0.id == device.id } }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(bundleID, forKey: .bundleID)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(createdHLC, forKey: .createdHLC)
        try c.encode(device, forKey: .device)
        try c.encode(round, forKey: .round)
        try c.encode(scope, forKey: .scope)
        try c.encode(devices, forKey: .devices)
        try c.encode(counts, forKey: .counts)
        try c.encode(changes, forKey: .changes)
        try c.encode(minHLC, forKey: .minHLC)
        try c.encode(maxHLC, forKey: .maxHLC)
        try c.encode(payload, forKey: .payload)
        try c.encode(encryption, forKey: .encryption)
        try c.encode(signature, forKey: .signature)
        if format >= 2 {
            try c.encode(segments ?? [], forKey: .segments)
            try c.encodeIfPresent(trust, forKey: .trust)
        }
    }
}

extension BundleManifest {
    /// What a manifest must say of itself before any of its payload is read: ids are ids, names are
    /// bounded one-line text, roles and scopes come from their sets, each device range can hold its
    /// count, and the counts add up. Sizes are checked against the file by ``BundleFile/open(_:)``.
    func check() throws {
        func refuse(_ what: String) -> BundleError { BundleError(tr("has a manifest whose \(what)")) }
        func name(_ text: String, _ what: String, required: Bool = true) throws {
            if let problem = ChangeRules.textProblem(text, maxLength: ChangeRules.shortText) { throw refuse(tr("\(what) is refused: \(problem)")) }
            if required, text.allSatisfy(\.isWhitespace) { throw refuse(tr("\(what) is empty")) }
        }
        guard ChangeRules.isID(bundleID) else { throw refuse(tr("bundle_id is not a lowercase UUID")) }
        guard ChangeRules.isID(device.id) else { throw refuse(tr("device id is not a lowercase UUID")) }
        try name(device.name, tr("device name"))
        if let team = device.team { try name(team, tr("device team"), required: false) }
        guard DeviceRole(rawValue: device.role) != nil else { throw refuse(tr("device role is neither field nor central")) }
        if let round { try name(round, "round", required: false) }
        try name(createdAt, "created_at", required: false)
        guard ["changes", "all", "roster", "unconfirmed"].contains(scope) else { throw refuse(tr("scope is not changes, all, roster or unconfirmed")) }
        guard changes >= 0, changes <= 1 << 40 else { throw refuse(tr("change count \(changes) is impossible")) }
        guard createdHLC >= 0, changes == 0 || (minHLC >= 0 && minHLC <= maxHLC) else { throw refuse(tr("clock range is impossible")) }
        guard payload.compressedSize > 0, payload.rawSize >= 0, payload.rawSize <= BundleFile.maxRawSize else {
            throw BundleError(tr("declares impossible payload sizes (\(payload.rawSize) bytes raw from \(payload.compressedSize) compressed)"))
        }
        guard payload.sha256.utf8.count == 64, payload.sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw refuse(tr("payload sha256 is not 64 lowercase hex digits"))
        }
        var ids = Set<String>()
        var total = 0
        for d in devices {
            guard ChangeRules.isID(d.id) else { throw refuse(tr("devices list an id that is not a lowercase UUID")) }
            guard ids.insert(d.id).inserted else { throw refuse(tr("devices list \(d.id) twice")) }
            try name(d.name, tr("name of device \(d.id)"))
            if let team = d.team { try name(team, tr("team of device \(d.id)"), required: false) }
            guard DeviceRole(rawValue: d.role) != nil else { throw refuse(tr("role of device \(d.id) is neither field nor central")) }
            guard d.firstSeq >= 1, d.lastSeq >= d.firstSeq, d.count >= 1,
                d.lastSeq - d.firstSeq >= Int64(d.count) - 1, d.count <= changes
            else {
                throw refuse(tr("range of device \(d.id) (\(Int(d.count), "change") numbered \(d.firstSeq)–\(d.lastSeq)) is impossible"))
            }
            total += d.count
        }
        guard total == changes else { throw refuse(tr("devices hold \(Int(total), "change") where it says \(changes)")) }
        // The packer's entry in `devices` is the packer: described otherwise, a store could not tell
        // which description to believe (merge refuses it too, in DeviceBook).
        if let own = ownRange, own.name != device.name || own.team != device.team || own.role != device.role {
            throw BundleError(tr("has a manifest that describes its own device in two ways"))
        }
        var kinds = 0
        for (kind, n) in counts {
            guard RecordKind(rawValue: kind) != nil else { throw refuse(tr("counts name an unknown kind")) }
            guard n >= 0, n <= changes else { throw refuse(tr("count of \(kind) is impossible")) }
            kinds += n
        }
        guard kinds == changes else { throw refuse(tr("counts per kind add up to \(kinds) where it says \(changes)")) }
        if format == 2 { try checkSigned(refuse) }
    }

    /// Format 2's members: how the payload is encrypted, who signed, the segments.
    private func checkSigned(_ refuse: (String) -> BundleError) throws {
        func isHex(_ text: String, _ count: Int) -> Bool {
            text.utf8.count == count && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        func bytes(_ text: String) -> Int { text.utf8.count > 200 ? -1 : Data(base64Encoded: text)?.count ?? -1 }
        guard let encryption else { throw refuse(tr("encryption is missing, which format 2 requires")) }
        guard encryption.scheme == "fieldbook-stream-v1", encryption.chunkSize == BundleCrypto.chunkSize else {
            throw refuse(tr("encryption scheme is not fieldbook-stream-v1 with chunks of 65536 bytes"))
        }
        guard !encryption.recipients.isEmpty, encryption.recipients.count <= 10_000 else {
            throw refuse(tr("recipients list is empty or too long"))
        }
        for r in encryption.recipients {
            guard isHex(r.keyID, 16), bytes(r.enc) == 32, bytes(r.wrapped) == 48 else {
                throw refuse(tr("recipients hold an entry that is not a key id with a 32-byte key and a 48-byte wrapped key"))
            }
        }
        guard let signature, signature.scheme == "ed25519", isHex(signature.keyID, 16) else {
            throw refuse(tr("signature is not an ed25519 key id, which format 2 requires"))
        }
        guard payload.compressedSize >= Int64(BundleCrypto.tagSize) else { throw refuse(tr("payload is too small to be sealed")) }
        guard let segments else { throw refuse(tr("segments are missing, which format 2 requires")) }
        guard segments.count <= 1_000_000 else { throw refuse(tr("segments list is too long")) }
        var byDevice: [String: [(Int64, Int64)]] = [:]
        for g in segments {
            guard ChangeRules.isID(g.device), g.firstSeq >= 1, g.lastSeq >= g.firstSeq, g.lastSeq <= 1 << 53, isHex(g.sha256, 64),
                bytes(g.signature) == 64
            else {
                throw refuse(tr("segments hold an entry that is not a device, a sequence range, a digest and a signature"))
            }
            byDevice[g.device, default: []].append((g.firstSeq, g.lastSeq))
        }
        for (device, ranges) in byDevice {
            let sorted = ranges.sorted { $0.0 < $1.0 }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.0 <= a.1 {
                throw refuse(tr("segments of device \(device) overlap"))
            }
        }
    }
}
