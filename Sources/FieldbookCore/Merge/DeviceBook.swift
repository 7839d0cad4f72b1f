import GRDB

/// The devices a merge knows: who each is and what it may change.
///
/// A device's name, team and role come from that device's own bundle (its manifest's `device`) or
/// from an office store's bundle, never from another field device's manifest: a teammate's bundle
/// that relays an unknown device's changes records it under a placeholder, as a field store, until
/// its own bundle or the office's arrives. A role never changes once a device has spoken for itself
/// or the office has.
struct DeviceBook {
    struct Entry {
        var name: String
        var team: String?
        var role: DeviceRole
        var confirmed: Bool
        var changed = false
    }

    private var entries: [String: Entry] = [:]
    private let localID: String

    /// `speaksFor`, when given, limits the devices a central packer speaks for (an office below
    /// this one speaks for its own laptops only); the others are taken as from a field device.
    init(_ db: Database, local: LocalState, manifest: BundleManifest, speaksFor: ((String) -> Bool)? = nil) throws {
        localID = local.deviceID
        for row in try Row.fetchAll(db, sql: "SELECT id, name, team, role, confirmed FROM device") {
            entries[row["id"]] = Entry(
                name: row["name"], team: row["team"], role: DeviceRole(rawValue: row["role"]) ?? .field,
                confirmed: row["confirmed"] as Bool)
        }
        let packer = manifest.device
        let packerRole = DeviceRole(rawValue: packer.role) ?? .field
        if let own = manifest.devices.first(where: { $0.id == packer.id }),
            own.name != packer.name || own.team != packer.team || own.role != packer.role
        {
            throw BundleError(tr("has a manifest that describes its own device in two ways"))
        }
        try speak(id: packer.id, name: packer.name, team: packer.team, role: packerRole, by: packer.name)
        // A bundle packed by this very store speaks for nobody: what it says of other devices came
        // from this store's own device table, and a forged one must not rename them.
        let speaksForOthers = packerRole == .central && packer.id != localID
        for d in manifest.devices where d.id != packer.id {
            if speaksForOthers, speaksFor?(d.id) ?? true {
                try speak(id: d.id, name: d.name, team: d.team, role: DeviceRole(rawValue: d.role) ?? .field, by: packer.name)
            } else if entries[d.id] == nil {
                entries[d.id] = Entry(
                    name: "device \(d.id.prefix(8)) (relayed by \(packer.name))", team: nil, role: .field,
                    confirmed: false, changed: true)
            }
        }
    }

    /// Records what a device says of itself, or the office of it.
    private mutating func speak(id: String, name: String, team: String?, role: DeviceRole, by speaker: String) throws {
        guard id != localID else { return }
        if let known = entries[id], known.confirmed, known.role != role {
            throw BundleError(
                tr("says device \(name) is a \(role.rawValue) store, but this store knows it as a \(known.role.rawValue) store; a store's role never changes"))
        }
        if let known = entries[id], known.confirmed, known.name == name, known.team == team { return }
        entries[id] = Entry(name: name, team: team, role: role, confirmed: true, changed: true)
    }

    /// The role of a device the bundle carries changes of; nil for one it does not list.
    func role(_ id: String) -> DeviceRole? { entries[id]?.role }

    func name(_ id: String) -> String { entries[id]?.name ?? id }

    /// How a refusal describes the device's standing: its role, or that only a teammate vouched for it.
    func standing(_ id: String) -> String {
        guard let entry = entries[id] else { return tr("a device this store does not know") }
        guard entry.confirmed else {
            return tr("known here only from a teammate's relay; merge that device's own bundle, or the office's, first")
        }
        return tr("a \(entry.role.rawValue) store")
    }

    /// Writes what changed into the device table.
    func save(_ db: Database) throws {
        for (id, entry) in entries where entry.changed {
            try db.execute(
                sql: """
                    INSERT INTO device (id, name, team, role, confirmed) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, role = excluded.role,
                        confirmed = excluded.confirmed
                    """, arguments: [id, entry.name, entry.team, entry.role.rawValue, entry.confirmed])
        }
    }
}
