import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Writes a bundle of hand-made changes, packed as `packer` says it is: what a careless tool or an
/// attacker with a USB stick can put on a stick.
func craftBundle(
    in dir: TemporaryDirectory, name: String, packer: BundleManifest.Device, changes: [Change],
    devices: [BundleManifest.DeviceRange]? = nil
) throws -> String {
    let lines = changes.map { change in
        "{\"base\":\(change.base.isEmpty ? "{}" : CanonicalJSON.encode(change.base)),\"device\":\"\(change.device)\","
            + "\"fields\":\(CanonicalJSON.encode(change.fields)),\"hlc\":\(change.hlc.rawValue),"
            + "\"kind\":\"\(change.kind.rawValue)\",\"op\":\"\(change.op.rawValue)\",\"record\":\"\(change.recordID)\","
            + "\"seq\":\(change.seq)}"
    }
    var ranges: [BundleManifest.DeviceRange] = []
    for device in Set(changes.map(\.device)).sorted() {
        let seqs = changes.filter { $0.device == device }.map(\.seq)
        ranges.append(.init(
            id: device, name: device == packer.id ? packer.name : "笔记本X", team: device == packer.id ? packer.team : nil,
            role: device == packer.id ? packer.role : "field", firstSeq: seqs.min()!, lastSeq: seqs.max()!, count: seqs.count))
    }
    var counts: [String: Int] = [:]
    for change in changes { counts[change.kind.rawValue, default: 0] += 1 }
    return try BundleWriter.write(
        directory: dir.path("crafted"), fileName: name,
        lines: { emit in for line in lines { try Array(line.utf8).withUnsafeBytes { try emit($0) } } },
        manifest: { summary in
            BundleManifest(
                format: 1, bundleID: RecordID.timeOrdered(at: Date(), random: (0..<10).map { _ in UInt8.random(in: 0...255) }),
                createdAt: "2026-11-21T01:00:00Z", createdHLC: changes.map(\.hlc.rawValue).max() ?? 0,
                device: packer, round: nil, scope: "changes", devices: devices ?? ranges, counts: counts,
                changes: changes.count, minHLC: changes.map(\.hlc.rawValue).min() ?? 0,
                maxHLC: changes.map(\.hlc.rawValue).max() ?? 0,
                payload: .init(encoding: "jsonl", compression: "gzip", rawSize: summary.rawSize,
                               compressedSize: summary.compressedSize, sha256: summary.sha256),
                encryption: nil, signature: nil)
        }).path
}

func integrityOK(_ store: Store) throws -> Bool {
    try store.dbQueue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok"
}

func localDeviceID(_ store: Store) throws -> String {
    try store.dbQueue.read { try String.fetchOne($0, sql: "SELECT device_id FROM local_state")! }
}

let hlc2026 = HybridTimestamp(millis: 1_795_222_800_000, counter: 0)

@Suite struct OwnDeviceTests {
    /// A bundle carrying changes under the merging store's own device id would take its next
    /// sequence numbers: the office's next write would then be silently dropped.
    @Test func aBundleUnderTheOfficesOwnIdIsRefusedAndItsNextWriteIsLogged() throws {
        let t = try MergeTests.Team()
        let officeID = try localDeviceID(t.office)
        let lastSeq = try t.office.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT last_seq FROM local_state")! }
        let forged = Change(
            device: officeID, seq: lastSeq + 1, hlc: hlc2026, kind: .round, recordID: RecordID.round("五届第六轮"),
            op: .create, fields: ["name": .text("五届第六轮"), deletedField: .int(0)])
        let bundle = try craftBundle(
            in: t.dir, name: "forged.fbundle",
            packer: .init(id: officeID, name: "巡察办", team: nil, role: "central"), changes: [forged])
        let before = try dump(t.office)
        guard case .rejected(let reason) = t.office.merge(bundleAt: bundle).status else {
            Issue.record("a bundle under the office's own id merged")
            return
        }
        #expect(reason.contains("own device id"))
        #expect(try dump(t.office) == before)
        // The office's own next write takes that number, and is in the log to be packed.
        try t.office.setRound("五届第六轮")
        let logged = try t.office.dbQueue.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM change WHERE device_id = ? AND seq = ?", arguments: [officeID, lastSeq + 1])
        }
        #expect(logged == 1)
        #expect(try integrityOK(t.office))
    }

    /// The store checks the invariant itself: a write whose sequence number is already in the log
    /// (however it got there) fails, instead of reporting success with no change logged.
    @Test func aLocalWriteWhoseNumberIsTakenFailsInsteadOfVanishing() throws {
        let t = try MergeTests.Team()
        let id = try localDeviceID(t.a)
        try t.a.dbQueue.write { db in
            let next = try Int64.fetchOne(db, sql: "SELECT last_seq + 1 FROM local_state")!
            try db.execute(
                sql: "INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base) VALUES (?, ?, 0, 'visit', ?, 'delete', '{\"_deleted\":1}', '{}')",
                arguments: [id, next, RecordID.timeOrdered(at: Date(), random: Array(repeating: 1, count: 10))])
        }
        #expect(throws: FieldbookError.self) { _ = try t.a.record(.visit, ["household": "DG001"]) }
        #expect(try t.a.list().isEmpty)
    }
}

@Suite struct AuthorityTests {
    /// A laptop's bundle that deletes a roster household, renames a village, or adds a household
    /// to the roster as if it were the office's, is refused with the reason; nothing is written.
    @Test(arguments: ["delete household", "rename village", "roster household", "rename township", "rename round"])
    func aFieldLaptopCannotChangeTheRoster(_ what: String) throws {
        let t = try MergeTests.Team()
        let laptop = try localDeviceID(t.a)
        let village = RecordID.village(township: "城关镇", name: "东关村")
        let officeVersion = { (record: String) throws -> [VersionID] in
            try t.office.dbQueue.read { db in try Store.state(of: record, kind: .village, db).leaves["name"] ?? [] }
        }
        let change: Change
        switch what {
        case "delete household":
            change = Change(device: laptop, seq: 50, hlc: hlc2026, kind: .household, recordID: RecordID.household(code: "DG001"),
                            op: .delete, fields: [deletedField: .int(1)])
        case "rename village":
            change = Change(device: laptop, seq: 50, hlc: hlc2026, kind: .village, recordID: village, op: .update,
                            fields: ["name": .text("西关村"), deletedField: .int(0)], base: ["name": try officeVersion(village)])
        case "rename township":
            change = Change(device: laptop, seq: 50, hlc: hlc2026, kind: .township, recordID: RecordID.township("城关镇"),
                            op: .update, fields: ["name": .text("城西镇"), deletedField: .int(0)])
        case "rename round":
            change = Change(device: laptop, seq: 50, hlc: hlc2026, kind: .round, recordID: RecordID.round("五届第五轮"),
                            op: .update, fields: ["name": .text("六届第一轮"), deletedField: .int(0)])
        default:
            change = Change(
                device: laptop, seq: 50, hlc: hlc2026, kind: .household, recordID: RecordID.household(code: "DG100"), op: .create,
                fields: ["village": .text(village), "code": .text("DG100"), "group": .null, "head": .text("张三"),
                         "priority": .list(["wubao"]), "source": .text("roster"), deletedField: .int(0)])
        }
        let bundle = try craftBundle(
            in: t.dir, name: "laptop.fbundle", packer: .init(id: laptop, name: "笔记本A", team: "第一巡察组", role: "field"),
            changes: [change])
        // Sound on its own (every value is good); only a store knows who may make it.
        #expect(throws: Never.self) { try BundleVerifier.verify(bundle) }
        let before = try dump(t.office)
        guard case .rejected(let reason) = t.office.merge(bundleAt: bundle).status else {
            Issue.record("\(what) by a field laptop merged")
            return
        }
        #expect(reason.contains("(a field store) that this store refuses"), "\(reason)")
        #expect(try dump(t.office) == before)
        // `verify --db` judges it the same way, and writes nothing.
        let dry = t.office.merge(bundleAt: bundle, options: MergeOptions(dryRun: true))
        #expect(dry.status == .rejected(reason))
        #expect(try dump(t.office) == before)
    }

    @Test func aFieldStoreRefusesTheSameChangesTypedAtItsOwnKeyboard() throws {
        let t = try MergeTests.Team()
        for attempt in [
            { _ = try t.a.delete(RecordID.household(code: "DG001")) },
            { _ = try t.a.edit(RecordID.village(township: "城关镇", name: "东关村"), set: [("name", "西关村")]) },
            { _ = try t.a.edit(RecordID.household(code: "DG001"), set: [("head", "张三")]) },
        ] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a field store changed the roster")
            } catch let error as FieldbookError {
                #expect(error.exitCode == 77, "\(error)")
            }
        }
        // A household found in the field is the laptop's to add.
        _ = try t.a.record(.visit, ["household": "DG099"], newHousehold: NewHousehold(village: "城关镇/东关村", head: "孙丽"))
        #expect(t.office.merge(bundleAt: try t.pack(t.a, "a")).status == .merged)
    }

    /// A manifest speaks for its own device, and an office's for any; a field laptop's manifest
    /// cannot rename another laptop or make it central.
    @Test func aManifestCannotRenameAnotherLaptopOrMakeItCentral() throws {
        let t = try MergeTests.Team()
        _ = try t.b.record(.visit, ["household": "DG002"])
        #expect(t.office.merge(bundleAt: try t.pack(t.b, "b")).status == .merged)
        let a = try localDeviceID(t.a), b = try localDeviceID(t.b)
        let visit = Change(
            device: a, seq: 40, hlc: hlc2026, kind: .visit, recordID: RecordID.timeOrdered(at: Date(), random: Array(repeating: 7, count: 10)),
            op: .create, fields: ["round": .text(RecordID.round("五届第五轮")), "household": .text(RecordID.household(code: "DG001")),
                                  "date": .text("2026-11-21"), deletedField: .int(0)])
        let relayed = Change(
            device: b, seq: 41, hlc: hlc2026, kind: .visit, recordID: RecordID.timeOrdered(at: Date(), random: Array(repeating: 8, count: 10)),
            op: .create, fields: ["round": .text(RecordID.round("五届第五轮")), "household": .text(RecordID.household(code: "DG003")),
                                  "date": .text("2026-11-21"), deletedField: .int(0)])
        let packer = BundleManifest.Device(id: a, name: "笔记本A", team: "第一巡察组", role: "field")
        let devices: [BundleManifest.DeviceRange] = [
            .init(id: a, name: "笔记本A", team: "第一巡察组", role: "field", firstSeq: 40, lastSeq: 40, count: 1),
            .init(id: b, name: "冒名的办公室", team: "第九组", role: "central", firstSeq: 41, lastSeq: 41, count: 1),
        ]
        let bundle = try craftBundle(in: t.dir, name: "rename.fbundle", packer: packer, changes: [visit, relayed], devices: devices)
        #expect(t.office.merge(bundleAt: bundle).status == .merged)
        let row = try t.office.dbQueue.read { try Row.fetchOne($0, sql: "SELECT name, team, role FROM device WHERE id = ?", arguments: [b])! }
        #expect(row["name"] as String == "笔记本B")
        #expect(row["team"] as String? == "第一巡察组")
        #expect(row["role"] as String == "field")
        // A laptop that says, of itself, that it is now an office is refused: a role never changes.
        let turncoat = try craftBundle(
            in: t.dir, name: "turncoat.fbundle", packer: .init(id: b, name: "笔记本B", team: "第一巡察组", role: "central"),
            changes: [Change(device: b, seq: 42, hlc: hlc2026, kind: .township, recordID: RecordID.township("城关镇"), op: .update,
                             fields: ["name": .text("城西镇"), deletedField: .int(0)])])
        guard case .rejected(let reason) = t.office.merge(bundleAt: turncoat).status else {
            Issue.record("a laptop made itself central")
            return
        }
        #expect(reason.contains("role never changes"), "\(reason)")
    }

    /// An unknown device relayed by a field laptop is kept under a placeholder; its own bundle later
    /// gives its name.
    @Test func aRelayedUnknownDeviceGetsItsNameFromItsOwnBundle() throws {
        let t = try MergeTests.Team()
        _ = try t.b.record(.visit, ["household": "DG002"])
        let fromB = try t.pack(t.b, "b")
        #expect(t.a.merge(bundleAt: fromB).status == .merged)
        _ = try t.a.record(.visit, ["household": "DG001"])
        let relay = try t.pack(t.a, "a")
        #expect(t.office.merge(bundleAt: relay).status == .merged)
        let b = try localDeviceID(t.b)
        let name = { try t.office.dbQueue.read { try String.fetchOne($0, sql: "SELECT name FROM device WHERE id = ?", arguments: [b])! } }
        #expect(try name().hasPrefix("device \(b.prefix(8))"))
        // B's own bundle brings nothing new, but B speaks for itself in it.
        #expect(t.office.merge(bundleAt: fromB).status == .alreadyMerged)
        #expect(try name() == "笔记本B")
    }

    /// A laptop may add a household it found in the field, but a "found" household with the code of
    /// one on the roster cannot take the roster's place, whatever its clock: its values are kept
    /// as conflicts for the office, in whatever order the bundles arrive.
    @Test func aFieldHouseholdCannotOverrideTheRosterWhateverItsClock() throws {
        let t = try MergeTests.Team()
        let laptop = try localDeviceID(t.a)
        let farFuture = HybridTimestamp(millis: 1_795_222_800_000 + 90 * 86_400_000, counter: 0)
        let id = RecordID.household(code: "DG001")
        let found = Change(
            device: laptop, seq: 60, hlc: farFuture, kind: .household, recordID: id, op: .create,
            fields: ["village": .text(RecordID.village(township: "古城乡", name: "西河村")), "code": .text("DG001"),
                     "group": .null, "head": .text("冒名"), "priority": .list([]), "source": .text("field"), deletedField: .int(0)])
        let bundle = try craftBundle(
            in: t.dir, name: "found.fbundle", packer: .init(id: laptop, name: "笔记本A", team: "第一巡察组", role: "field"),
            changes: [found])
        for order in [[bundle, t.rosterBundle], [t.rosterBundle, bundle]] {
            let office = try makeCentral(in: t.dir, name: "office-\(order[0].hashValue).sqlite", round: nil)
            for path in order { #expect(office.merge(bundleAt: path).status == .merged) }
            let record = try office.record(id: id)
            #expect(record["head"] == .text("张建国"))
            #expect(record["source"] == .text("roster"))
            #expect(record["village"] == .text(RecordID.village(township: "城关镇", name: "东关村")))
            let conflicts = try office.conflicts().filter { $0.recordID == id }
            #expect(Set(conflicts.map(\.field)) == ["head", "source", "village", "priority", "group"])
        }
    }
}
