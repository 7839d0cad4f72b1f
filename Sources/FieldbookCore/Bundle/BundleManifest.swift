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
    /// Reserved: how the payload is encrypted. Always null in format 1.
    public var encryption: String?
    /// Reserved: how the bundle is signed. Always null in format 1 (the trailer is empty).
    public var signature: String?

    enum CodingKeys: String, CodingKey {
        case format, device, round, scope, devices, counts, changes, payload, encryption, signature
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
    }
}
