import Crypto
import FieldbookCore
import FieldbookTestSupport
import Foundation
import GRDB
import Testing

// Attacks on format 2 (issue 9, "Refused"): bundles forged byte by byte with SignedBundleForge by
// someone who holds a key — a dishonest or stolen enrolled laptop, or (to check what the office's key
// alone can and cannot make a laptop accept) the office. Each test asserts the safe behaviour: the
// bundle refused with a one-line reason that says what is wrong, and the store byte for byte as it
// was. Where a forge is refused, a control shows that the same forge made honestly is accepted, so
// a refusal is not a mistake of the forge.

/// An office; laptops 笔记本1 (A) and 笔记本2 (B) of 第一巡察组 and 笔记本3 (C) of 第二巡察组, all
/// enrolled and given the office's roster (with the trust list). A has recorded a visit and packed it
/// (`fromA`, merged at the office); B has recorded one and packed it (`fromB`, not merged).
final class Arena {
    let dir = TemporaryDirectory("trust-attack")
    let d: TrustedDistrict
    let a: Store, b: Store, c: Store
    let officeID: String, aID: String, bID: String, cID: String
    let officeKeys: ForgeKeys, aKeys: ForgeKeys, bKeys: ForgeKeys, cKeys: ForgeKeys
    let fromA: String, fromB: String
    let roster: String
    /// A's lines (its team, round, visit: seqs 1–3) and B's, in the clear.
    let aBundle: Forge, bBundle: Forge

    init() throws {
        d = try TrustedDistrict(dir)
        a = try d.makeLaptop("笔记本1")
        b = try d.makeLaptop("笔记本2")
        c = try d.makeLaptop("笔记本3", team: "第二巡察组")
        roster = try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001", "note": "举报人王某某反映村支书优亲厚友"])
        fromA = try d.pack(a)
        _ = try b.record(.visit, ["household": "DG002", "note": "乙"])
        fromB = try d.pack(b)
        officeID = try d.office.status().deviceID
        aID = try a.status().deviceID
        bID = try b.status().deviceID
        cID = try c.status().deviceID
        officeKeys = try Arena.keys(dir.path("office.sqlite"))
        aKeys = try Arena.keys(dir.path("笔记本1.sqlite"))
        bKeys = try Arena.keys(dir.path("笔记本2.sqlite"))
        cKeys = try Arena.keys(dir.path("笔记本3.sqlite"))
        aBundle = try SignedBundleForge.open(fromA, box: officeKeys.box)
        bBundle = try SignedBundleForge.open(fromB, box: officeKeys.box)
        let merged = d.office.merge(bundleAt: fromA)
        guard merged.status == .merged else { throw BundleError("arena: A's bundle did not merge: \(merged.status)") }
    }

    var officePath: String { dir.path("office.sqlite") }
    func path(_ laptop: String) -> String { dir.path("\(laptop).sqlite") }

    static func keys(_ path: String) throws -> ForgeKeys {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: path, configuration: config)
        defer { try? q.close() }
        let raw: (Data, Data) = try q.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT sign_private, box_private FROM store_key")!
            return (row["sign_private"], row["box_private"])
        }
        return try ForgeKeys(signRaw: raw.0, boxRaw: raw.1)
    }

    static func query<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: path, configuration: config)
        defer { try? q.close() }
        return try q.read(body)
    }

    /// Every table of a store file, every row: compared before and after a refused merge.
    static func dump(_ path: String) throws -> String {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: path, configuration: config)
        defer { try? q.close() }
        return try q.read { db in
            var out = ""
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { row in
                    row.map { name, value -> String in
                        if case .blob(let data) = value.storage { return "\(name)=x'\(HostileBytes.hex([UInt8](data)))'" }
                        return "\(name)=\(value)"
                    }.joined(separator: " ")
                }
                out += "[\(table)]\n" + rows.sorted().joined(separator: "\n") + "\n"
            }
            return out
        }
    }

    var recipientsAB: [Data] { [officeKeys.boxPublic, aKeys.boxPublic, bKeys.boxPublic] }

    /// A bundle file path in the arena's folder.
    func file(_ name: String) -> String { dir.path("\(name)-\(UUID().uuidString.prefix(6)).fbundle") }

    /// B's bundle as B could rewrite it: its manifest and lines, a fresh id and file key, wrapped for
    /// the office, A and B.
    func fromBRewritten() -> Forge {
        var f = bBundle
        f.bundleID = newID()
        f.fileKey = SymmetricKey(size: .bits256)
        f.recipients = recipientsAB
        return f
    }

    /// The office's roster bundle as the office's key could rewrite it (opened with A's key).
    func rosterRewritten() throws -> Forge {
        var f = try SignedBundleForge.open(roster, box: aKeys.box)
        f.bundleID = newID()
        f.fileKey = SymmetricKey(size: .bits256)
        f.recipients = [officeKeys.boxPublic, aKeys.boxPublic, bKeys.boxPublic, cKeys.boxPublic]
        return f
    }

    /// A's visit line as a template: the same fields (household, round, inspectors), another record.
    func visit(device: String, seq: Int64, note: String? = nil) -> String {
        let template = aBundle.lines.first { $0.contains("\"kind\":\"visit\"") }!
        let o = try! JSONSerialization.jsonObject(with: Data(template.utf8)) as! JSONObject
        var fields = o["fields"] as! JSONObject
        if let note { fields["note"] = note }
        let text = String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        return SignedBundleForge.line(
            device: device, seq: seq, hlc: (o["hlc"] as! NSNumber).int64Value + seq * 1000, kind: "visit", record: newID(), fields: text)
    }

    func township(device: String, seq: Int64) -> String {
        let hlc = (SignedBundleForge.describe(aBundle.lines.last!).hlc) + seq * 1000
        let name = "伪造镇\(UUID().uuidString.prefix(4))"
        return SignedBundleForge.line(
            device: device, seq: seq, hlc: hlc, kind: "township", record: RecordID.township(name), fields: "{\"_deleted\":0,\"name\":\"\(name)\"}")
    }

    func device(_ id: String, _ name: String, team: String? = "第一巡察组", role: String = "field") -> JSONObject {
        var d: JSONObject = ["id": id, "name": name, "role": role]
        if let team { d["team"] = team }
        return d
    }
}

func newID() -> String { UUID().uuidString.lowercased() }

func reason(_ outcome: MergeOutcome) -> String {
    if case .rejected(let r) = outcome.status { return r }
    return "(not refused: \(outcome.status))"
}

/// Merges `bundle` into `store`: it must be refused with a one-line reason holding every one of
/// `needles`, and the store file must be as it was.
@discardableResult
func expectRefused(
    _ store: Store, at storePath: String, _ bundle: String, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    let before = try Arena.dump(storePath)
    let outcome = store.merge(bundleAt: bundle)
    let r = reason(outcome)
    guard case .rejected = outcome.status else {
        Issue.record("not refused: \(outcome.status) (new changes \(outcome.newChanges), left out \(outcome.leftOutRevoked))", sourceLocation: sourceLocation)
        return r
    }
    for needle in needles {
        #expect(r.contains(needle), "reason lacks “\(needle)”: \(r)", sourceLocation: sourceLocation)
    }
    #expect(!r.contains("\n"), "reason is not one line: \(r)", sourceLocation: sourceLocation)
    #expect(try Arena.dump(storePath) == before, "a refused bundle left something written", sourceLocation: sourceLocation)
    return r
}

@discardableResult
func expectMerged(_ store: Store, _ bundle: String, sourceLocation: SourceLocation = #_sourceLocation) -> MergeOutcome {
    let outcome = store.merge(bundleAt: bundle)
    #expect(outcome.status == .merged, "control did not merge: \(reason(outcome))", sourceLocation: sourceLocation)
    return outcome
}

@Suite("Attacks on signed bundles (format 2)")
struct TrustAttackTests {
    // MARK: The forge itself

    @Test("control: B's bundle taken apart and put together again with B's key merges at the office")
    func forgeControl() throws {
        let w = try Arena()
        let path = try w.fromBRewritten().write(to: w.file("control"), signer: w.bKeys)
        let outcome = expectMerged(w.d.office, path)
        #expect(outcome.newChanges == 3)
    }

    // MARK: Who packed it

    @Test("B re-signs a bundle that says A packed it (A's 'own' changes need no segment): refused")
    func resignedAsAnotherLaptop() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.manifest["device"] = w.device(w.aID, "笔记本1")
        f.lines = [w.visit(device: w.aID, seq: 4, note: "伪造")]
        f.segments = []
        f.describe = [:]
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("as-a"), signer: w.bKeys), ["笔记本2", "笔记本1"])
        // Control: the same bundle signed by A's key is A's.
        expectMerged(w.d.office, try f.write(to: w.file("as-a-control"), signer: w.aKeys))
    }

    @Test("B re-signs a bundle that says the office packed it, with a township the office 'made': refused at a laptop")
    func resignedAsOffice() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.manifest["device"] = w.device(w.officeID, "巡察办", role: "central")
        f.lines = [w.township(device: w.officeID, seq: 9000)]
        f.segments = []
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("as-office"), signer: w.bKeys), ["笔记本2"])
        // The same with the packer called a field store.
        f.manifest["device"] = w.device(w.officeID, "巡察办", role: "field")
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("as-office-field"), signer: w.bKeys), [])
        // Control: the office's key may.
        f.manifest["device"] = w.device(w.officeID, "巡察办", role: "central")
        expectMerged(w.a, try f.write(to: w.file("as-office-control"), signer: w.officeKeys))
    }

    @Test("B's own bundle whose manifest says B is a central store: refused")
    func fieldClaimsCentral() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.manifest["device"] = w.device(w.bID, "笔记本2", role: "central")
        f.lines.append(w.township(device: w.bID, seq: 4))
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("central"), signer: w.bKeys), ["central"])
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("central-a"), signer: w.bKeys), ["central"])
    }

    @Test("B's bundle lists the office's device as central and carries a township 'by' it, without a segment: refused")
    func fieldListsOfficeAsCentral() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.describe[w.officeID] = w.device(w.officeID, "巡察办", role: "central")
        f.lines.append(w.township(device: w.officeID, seq: 9000))
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("office-central"), signer: w.bKeys), ["did not sign"])
    }

    @Test("B's bundle lists a new device as central with a township by it: refused, also where unsigned changes are allowed")
    func fieldListsNewDeviceAsCentral() throws {
        let w = try Arena()
        let x = newID()
        var f = w.fromBRewritten()
        f.describe[x] = w.device(x, "巡察办", team: nil, role: "central")
        f.lines.append(w.township(device: x, seq: 1))
        let path = try f.write(to: w.file("new-central"), signer: w.bKeys)
        try expectRefused(w.d.office, at: w.officePath, path, ["did not sign"])
        // Let unsigned changes in: a field packer still cannot make a device central.
        try w.d.office.setSignaturePolicy(.allowUnsigned)
        try expectRefused(w.d.office, at: w.officePath, path, ["only the office"])
    }

    @Test("B lists A as central in its bundle, with A's signed segment: refused")
    func fieldListsTeammateAsCentral() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.describe[w.aID] = w.device(w.aID, "笔记本1", role: "central")
        f.lines += w.aBundle.lines
        f.segments += w.aBundle.segments
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("a-central"), signer: w.bKeys), ["central"])
    }

    // MARK: Relays

    @Test("a relay adds a change under A's id without any segment: refused, naming A")
    func relayWithoutSegment() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.lines.append(w.visit(device: w.aID, seq: 4, note: "伪造"))
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("relay-nosig"), signer: w.bKeys), ["笔记本1", "did not sign"])
        try expectRefused(w.c, at: w.path("笔记本3"), try f.write(to: w.file("relay-nosig-c"), signer: w.bKeys), [])
    }

    @Test("a relay adds a change under A's id with a segment the relay signed itself: refused, naming A")
    func relayWithOwnSegment() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        let forged = w.visit(device: w.aID, seq: 4, note: "伪造")
        f.lines.append(forged)
        f.segments.append(SignedBundleForge.segment(device: w.aID, first: 4, last: 4, lines: [forged], signer: w.bKeys))
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("relay-bsig"), signer: w.bKeys), ["笔记本1", "signature"])
        // Control: signed by A, the segment is A's.
        f.segments[f.segments.count - 1] = SignedBundleForge.segment(device: w.aID, first: 4, last: 4, lines: [forged], signer: w.aKeys)
        expectMerged(w.d.office, try f.write(to: w.file("relay-asig"), signer: w.bKeys))
    }

    @Test("A's segment moved into B's bundle with all its lines is A's work and merges; with a line missing it is refused")
    func segmentMoved() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.lines += w.aBundle.lines
        f.segments += w.aBundle.segments
        // At C (another team, which holds none of A's changes): wrapped for C too.
        f.recipients = w.recipientsAB + [w.cKeys.boxPublic]
        var partial = f
        partial.lines.removeAll { $0 == w.aBundle.lines.last! }
        try expectRefused(w.c, at: w.path("笔记本3"), try partial.write(to: w.file("moved-partial"), signer: w.bKeys), ["笔记本1", "without all"])
        // A line out of the middle: refused too, and the reason names the device as the others do.
        var middle = f
        middle.lines.removeAll { $0 == w.aBundle.lines[1] }
        try expectRefused(w.c, at: w.path("笔记本3"), try middle.write(to: w.file("moved-middle"), signer: w.bKeys), ["笔记本1"])
        let moved = expectMerged(w.c, try f.write(to: w.file("moved"), signer: w.bKeys))
        #expect(moved.newChanges == 6)
    }

    // MARK: Revocation

    @Test("after A is revoked: its old bundle again changes nothing; its bundle packed before with later changes is refused")
    func replayAfterRevocation() throws {
        let w = try Arena()
        _ = try a_record(w)
        let later = try w.d.pack(w.a)
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        let before = try Arena.dump(w.officePath)
        #expect(w.d.office.merge(bundleAt: w.fromA).status == .alreadyMerged)
        #expect(try Arena.dump(w.officePath) == before)
        try expectRefused(w.d.office, at: w.officePath, later, ["笔记本1", "revoked"])
    }

    @Test("a revoked laptop packs its own changes past the point, also hiding its own range: refused")
    func revokedPacksPastPoint() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        var f = w.aBundle
        f.bundleID = newID()
        f.fileKey = SymmetricKey(size: .bits256)
        f.recipients = w.recipientsAB
        f.lines = [w.visit(device: w.aID, seq: 4, note: "被盗后")]
        f.segments = []
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("revoked"), signer: w.aKeys), ["revoked"])
        // The manifest leaves A's own range out of `devices`: its payload still holds A's changes.
        f.recount = true
        f.editManifest = { m in
            m["devices"] = (m["devices"] as! [JSONObject]).filter { $0["id"] as? String != w.aID }
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("revoked-hidden"), signer: w.aKeys), [])
    }

    @Test("a revoked laptop's later changes, unsigned, inside a teammate's relay that calls it central: refused as unsigned, not 'left out as revoked'")
    func revokedHiddenInCentralLookingRelay() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        var f = w.fromBRewritten()
        f.describe[w.aID] = w.device(w.aID, "笔记本1", role: "central")
        f.lines.append(w.township(device: w.aID, seq: 4))
        f.lines.append(w.visit(device: w.aID, seq: 5))
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("revoked-central"), signer: w.bKeys), ["笔记本1"])
    }

    @Test("the revoked laptop's real later changes, with its segment, in a relay that calls it central: refused")
    func revokedSignedInCentralLookingRelay() throws {
        let w = try Arena()
        _ = try a_record(w)
        let later = try SignedBundleForge.open(try w.d.pack(w.a), box: w.officeKeys.box)
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        var f = w.fromBRewritten()
        f.describe[w.aID] = w.device(w.aID, "笔记本1", role: "central")
        f.lines += later.lines.filter { $0.contains(w.aID) }
        f.segments += later.segments.filter { $0["device"] as? String == w.aID }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("revoked-central-signed"), signer: w.bKeys), ["central"])
    }

    @Test("a revoked laptop cannot rename itself or change team at the office with a bundle of nothing new")
    func revokedRenamesItself() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        var f = w.aBundle
        f.bundleID = newID()
        f.fileKey = SymmetricKey(size: .bits256)
        f.recipients = w.recipientsAB
        f.setPacker(id: w.aID, name: "笔记本2", team: "第二巡察组", role: "field")
        let before = try Arena.dump(w.officePath)
        let outcome = w.d.office.merge(bundleAt: try f.write(to: w.file("revoked-rename"), signer: w.aKeys))
        #expect(outcome.newChanges == 0)
        let visit = try w.d.office.list(RecordFilter(kinds: [.visit])).first { $0.createdBy == w.aID }!
        #expect(visit.createdByName == "笔记本1", "a revoked laptop renamed itself: \(visit.createdByName)")
        if case .rejected = outcome.status { #expect(try Arena.dump(w.officePath) == before) }
    }

    // MARK: Who a laptop says it is

    @Test("an enrolled laptop's manifest gives it a teammate's name and another team: the office keeps its enrolled name and team")
    func laptopTakesTeammatesName() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.setPacker(id: w.bID, name: "笔记本1", team: "第二巡察组", role: "field")
        let outcome = w.d.office.merge(bundleAt: try f.write(to: w.file("b-as-a-name"), signer: w.bKeys))
        if case .rejected(let r) = outcome.status {
            #expect(r.contains("笔记本2") || r.contains("enrolled"), "\(r)")
            return
        }
        let visit = try w.d.office.list(RecordFilter(kinds: [.visit])).first { $0.createdBy == w.bID }!
        #expect(visit.createdByName == "笔记本2", "B's visit is shown as made by \(visit.createdByName)")
        let listing = try w.d.office.deviceListings().first { $0.id == w.bID }!
        #expect(listing.team == "第一巡察组")
        let teams = try Arena.query(w.officePath) { db in try String.fetchAll(db, sql: "SELECT team FROM device WHERE id = ?", arguments: [w.bID]) }
        #expect(teams == ["第一巡察组"], "the office's tallies by team now count B under \(teams)")
    }

    // MARK: Recipients

    @Test("B's bundle re-signed without the office among its recipients: refused, naming whom it is for")
    func recipientsWithoutOffice() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.recipients = [w.aKeys.boxPublic, w.bKeys.boxPublic]
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("no-office"), signer: w.bKeys), ["not addressed", "笔记本1", "笔记本2"])
    }

    @Test("garbage recipient entries beside the real ones do no harm")
    func recipientsGarbageAdded() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.recipients = w.recipientsAB + (0..<3).map { _ in ForgeKeys().boxPublic }
        expectMerged(w.d.office, try f.write(to: w.file("garbage"), signer: w.bKeys))
    }

    @Test("a garbage entry under the office's key id ahead of the real one: refused with a reason, nothing written")
    func recipientsDuplicateKeyID() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        let officeID = w.officeKeys.boxID
        f.editManifest = { m in
            var e = m["encryption"] as! JSONObject
            let garbage: JSONObject = [
                "key_id": officeID, "enc": Data(repeating: 9, count: 32).base64EncodedString(),
                "wrapped": Data(repeating: 7, count: 48).base64EncodedString(),
            ]
            e["recipients"] = [garbage] + (e["recipients"] as! [JSONObject])
            m["encryption"] = e
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("dup"), signer: w.bKeys), ["key"])
    }

    @Test("recipient lists of 10,001 entries are refused; 10,000 with the office's last open quickly")
    func recipientsHuge() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        let filler: [JSONObject] = (0..<10_000).map { i in
            ["key_id": String(format: "%016x", i), "enc": Data(repeating: 1, count: 32).base64EncodedString(),
             "wrapped": Data(repeating: 2, count: 48).base64EncodedString()]
        }
        f.editManifest = { m in
            var e = m["encryption"] as! JSONObject
            e["recipients"] = filler + (e["recipients"] as! [JSONObject])
            m["encryption"] = e
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("huge"), signer: w.bKeys), ["too long"])
        f.editManifest = { m in
            var e = m["encryption"] as! JSONObject
            e["recipients"] = Array(filler.prefix(9_999)) + (e["recipients"] as! [JSONObject]).prefix(1)
            m["encryption"] = e
        }
        let start = Date()
        expectMerged(w.d.office, try f.write(to: w.file("big"), signer: w.bKeys))
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test("the office's entry wrapped under another bundle id, or copied from A's bundle: refused")
    func recipientForAnotherBundle() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        let key = f.fileKey, officeBox = w.officeKeys.boxPublic
        f.recipients = nil
        f.editManifest = { m in
            var e = m["encryption"] as! JSONObject
            e["recipients"] = [try! SignedBundleForge.recipient(key, box: officeBox, bundleID: newID())]
            m["encryption"] = e
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("other-id"), signer: w.bKeys), ["does not open"])
        let fromAEntries = ((try SignedBundleForge.parts(of: w.fromA).manifest["encryption"] as! JSONObject)["recipients"] as! [JSONObject])
        let officeEntry = fromAEntries.first { $0["key_id"] as? String == w.officeKeys.boxID }!
        f.editManifest = { m in
            var e = m["encryption"] as! JSONObject
            e["recipients"] = [officeEntry]
            m["encryption"] = e
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("copied-entry"), signer: w.bKeys), ["does not open"])
    }

    // MARK: Chunks

    /// B's bundle with enough visits (random notes) for a sealed payload of several chunks.
    func bigFromB(_ w: Arena) -> Forge {
        var f = w.fromBRewritten()
        f.lines = w.bBundle.lines
        f.segments = []
        for seq in Int64(4)...Int64(400) {
            let note = (0..<30).map { _ in UUID().uuidString }.joined()
            f.lines.append(w.visit(device: w.bID, seq: seq, note: String(note.prefix(1000))))
        }
        return f
    }

    @Test("the sealed payload with its final chunk dropped (re-signed by its packer): refused")
    func finalChunkDropped() throws {
        let w = try Arena()
        var f = bigFromB(w)
        var count = 0
        f.editChunks = { chunks in count = chunks.count; chunks.removeLast() }
        let path = try f.write(to: w.file("dropped"), signer: w.bKeys)
        #expect(count >= 3)
        try expectRefused(w.d.office, at: w.officePath, path, ["chunk"])
        // Control: whole, it merges.
        f.editChunks = nil
        expectMerged(w.d.office, try f.write(to: w.file("whole"), signer: w.bKeys))
    }

    @Test("the final chunk dropped and the one before re-sealed as final: refused (the gzip stream is cut)")
    func finalChunkDroppedAndReflagged() throws {
        let w = try Arena()
        var f = bigFromB(w)
        let key = f.fileKey
        f.editChunks = { chunks in
            chunks.removeLast()
            let i = chunks.count - 1
            let sealed = chunks[i]
            let box = try! ChaChaPoly.SealedBox(
                nonce: SignedBundleForge.nonce(UInt64(i), last: false), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            let plain = try! ChaChaPoly.open(box, using: key)
            let again = try! ChaChaPoly.seal(plain, using: key, nonce: SignedBundleForge.nonce(UInt64(i), last: true))
            chunks[i] = Array(again.ciphertext) + Array(again.tag)
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("reflagged"), signer: w.bKeys), ["damaged"])
    }

    @Test("sealed chunks reordered or repeated: refused")
    func chunksReordered() throws {
        let w = try Arena()
        var f = bigFromB(w)
        f.editChunks = { chunks in chunks.swapAt(0, 1) }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("swapped"), signer: w.bKeys), ["chunk 1"])
        f.editChunks = { chunks in chunks.insert(chunks[0], at: 1) }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("repeated"), signer: w.bKeys), ["chunk 2"])
    }

    @Test("a sealed gzip bomb (one 64 MiB line), or a payload larger than declared, is refused without inflating it all")
    func sealedGzipBomb() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.recount = false
        f.rawOverride = [UInt8](repeating: 0x20, count: 64 << 20)
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("bomb"), signer: w.bKeys), ["longer than"])
        f.editManifest = { m in
            var p = m["payload"] as! JSONObject
            p["raw_size"] = 1000
            m["payload"] = p
        }
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("bomb-small"), signer: w.bKeys), ["payload"])
    }

    // MARK: Trust lists

    func trustDocument(_ w: Arena) throws -> JSONObject {
        SignedBundleForge.trustDocument(try SignedBundleForge.parts(of: w.roster).manifest)!
    }

    @Test("a trust list signed by a laptop's key, in the laptop's bundle or in an office-signed one: refused")
    func trustListSignedByLaptop() throws {
        let w = try Arena()
        var doc = try trustDocument(w)
        doc["version"] = (doc["version"] as! NSNumber).int64Value + 5
        var f = w.fromBRewritten()
        f.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.bKeys)
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("b-trust"), signer: w.bKeys), ["trust list", "office"])
        var r = try w.rosterRewritten()
        r.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.bKeys)
        try expectRefused(w.a, at: w.path("笔记本1"), try r.write(to: w.file("office-b-trust"), signer: w.officeKeys), ["trust list", "office"])
    }

    @Test("the office's own trust list carried in a field laptop's bundle: refused")
    func trustListInFieldBundle() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本3", afterSeq: 0)
        let newer = try w.d.handOutRoster(to: [])
        var f = w.fromBRewritten()
        f.manifest["trust"] = try SignedBundleForge.parts(of: newer).manifest["trust"]
        try expectRefused(w.a, at: w.path("笔记本1"), try f.write(to: w.file("relayed-trust"), signer: w.bKeys), ["trust list"])
    }

    @Test("an older trust list does not replace a newer one")
    func olderTrustList() throws {
        let w = try Arena()
        let first = w.roster
        _ = try w.d.office.revoke(device: "笔记本3", afterSeq: 0)
        _ = try w.d.handOutRoster(to: ["笔记本2"])
        // An office bundle with the first list but a payload B has not merged (another copy of the roster).
        var f = try w.rosterRewritten()
        f.manifest["trust"] = try SignedBundleForge.parts(of: first).manifest["trust"]
        let path = try f.write(to: w.file("old-trust"), signer: w.officeKeys)
        let before = try Arena.dump(w.path("笔记本2"))
        let outcome = w.b.merge(bundleAt: path)
        if case .rejected(let r) = outcome.status {
            #expect(r.contains("older"), "\(r)")
            #expect(try Arena.dump(w.path("笔记本2")) == before)
        }
        // 笔记本3 stays revoked at B.
        let key = try Arena.query(w.path("笔记本2")) { db in try Int64.fetchOne(db, sql: "SELECT revoked_after_seq FROM device_key WHERE device_id = ?", arguments: [w.cID]) }
        #expect(key == 0)
    }

    @Test("an office-signed newer trust list that un-revokes a device, or drops it: refused")
    func trustListUnrevokes() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本3", afterSeq: 0)
        let newer = try w.d.handOutRoster(to: ["笔记本2"])
        var doc = SignedBundleForge.trustDocument(try SignedBundleForge.parts(of: newer).manifest)!
        let version = (doc["version"] as! NSNumber).int64Value
        var members = doc["devices"] as! [JSONObject]
        let i = members.firstIndex { $0["device"] as? String == w.cID }!
        #expect(members[i]["status"] as? String == "revoked")
        members[i]["status"] = "enrolled"
        members[i]["revoked_after_seq"] = nil
        doc["devices"] = members
        doc["version"] = version + 1
        var r = try w.rosterRewritten()
        r.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.officeKeys)
        try expectRefused(w.b, at: w.path("笔记本2"), try r.write(to: w.file("unrevoke"), signer: w.officeKeys), ["un-revoke", "笔记本3"])
        // Same version as held, un-revoking.
        doc["version"] = version
        r.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.officeKeys)
        try expectRefused(w.b, at: w.path("笔记本2"), try r.write(to: w.file("unrevoke-same"), signer: w.officeKeys), ["un-revoke"])
        // Dropped from the list.
        members.remove(at: i)
        doc["devices"] = members
        doc["version"] = version + 2
        r.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.officeKeys)
        try expectRefused(w.b, at: w.path("笔记本2"), try r.write(to: w.file("dropped"), signer: w.officeKeys), ["un-revoke"])
    }

    @Test("a trust list entry that names the office's own device id (as a laptop with a laptop's key) is refused at a laptop")
    func trustListNamesOfficeDevice() throws {
        let w = try Arena()
        var doc = try trustDocument(w)
        var members = doc["devices"] as! [JSONObject]
        let rogue = ForgeKeys()
        members.append([
            "device": w.officeID, "name": "巡察办", "team": "第一巡察组", "status": "enrolled",
            "sign": rogue.signPublic.base64EncodedString(), "box": rogue.boxPublic.base64EncodedString(),
        ])
        doc["devices"] = members
        doc["version"] = (doc["version"] as! NSNumber).int64Value + 1
        var r = try w.rosterRewritten()
        r.manifest["trust"] = SignedBundleForge.signedTrust(doc, signer: w.officeKeys)
        try expectRefused(w.a, at: w.path("笔记本1"), try r.write(to: w.file("office-as-member"), signer: w.officeKeys), ["office"])
        let taken = try Arena.query(w.path("笔记本1")) { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM device_key WHERE device_id = ?", arguments: [w.officeID]) ?? false
        }
        #expect(!taken, "the laptop now holds the office's device id as an enrolled laptop with a stranger's key")
    }

    @Test("an enrollment request naming the office's own device id is refused")
    func enrollOfficeDeviceID() throws {
        let w = try Arena()
        let k = ForgeKeys()
        let request = EnrollmentRequest(device: w.officeID, name: "巡察办", team: "第一巡察组", keys: k.publicKeys, createdAt: "2026-11-21T00:00:00Z")
        let decoded = try EnrollmentRequest.decode(request.encoded(signedBy: StoreKeys(signing: k.sign, agreement: k.box)))
        #expect(throws: FieldbookError.self) { try w.d.office.enroll(decoded) }
    }

    @Test("a roster bundle (office-signed) that carries a laptop's change without its segment: the office vouches for it")
    func rosterCarriesLaptopChange() throws {
        // The office's key is the root of trust (it signs the trust list that names every laptop's
        // key), so a bundle it signs vouches for every change in it, as a central store speaks for
        // every device in format 1: the office hands on changes it kept of a revoked laptop, whose
        // segment can no longer travel whole (officeCarriesKeptChangesOfRevoked).
        let w = try Arena()
        var r = try w.rosterRewritten()
        r.lines.append(w.aBundle.lines.last!)
        r.describe[w.aID] = w.device(w.aID, "笔记本1")
        let outcome = w.b.merge(bundleAt: try r.write(to: w.file("roster-a"), signer: w.officeKeys))
        #expect(outcome.status == .merged, "\(reason(outcome))")
    }

    @Test("a revocation inside a segment: the office's own next bundle, which carries the changes it kept, still merges at a laptop")
    func officeCarriesKeptChangesOfRevoked() throws {
        let w = try Arena()
        _ = try a_record(w)
        _ = try w.a.record(.visit, ["household": "DG001", "note": "再后来"])
        let later = try w.d.pack(w.a)  // A's changes 4–5, one segment
        #expect(w.b.merge(bundleAt: later).status == .merged)
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: 4)
        _ = try w.b.record(.visit, ["household": "DG002", "note": "丙"])
        let relay = expectMerged(w.d.office, try w.d.pack(w.b))
        #expect(relay.leftOutRevoked == 1)
        try w.d.handOutRoster(to: ["笔记本3"])
        // The office hands its changes (A's 1–4 among them: kept, since 4 is the point) to C.
        let outcome = w.c.merge(bundleAt: try w.d.pack(w.d.office))
        #expect(outcome.status == .merged, "the office's own bundle is refused at C: \(reason(outcome))")
    }

    // MARK: Format 1

    @Test("a format-1 bundle to a laptop that holds a trust list: refused, saying why and what to do")
    func format1ToLaptop() throws {
        let w = try Arena()
        let legacy = try makeFieldStore(in: w.dir, name: "legacy.sqlite", device: "旧笔记本", clock: FixedEnvironment(seed: 55))
        _ = try legacy.record(.visit, ["household": "DG001"])
        let path = try w.d.pack(legacy)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[9] == 1)
        try expectRefused(w.a, at: w.path("笔记本1"), path, ["unsigned", "policy"])
    }

    // MARK: Segments

    @Test("20,000 signed segments with no lines: refused in reasonable time; overlapping segments refused")
    func manySegments() throws {
        let w = try Arena()
        var f = w.fromBRewritten()
        for seq in Int64(1000)..<Int64(21_000) {
            f.segments.append(SignedBundleForge.segment(device: w.bID, first: seq, last: seq, sha256: String(repeating: "ab", count: 32), signer: w.bKeys))
        }
        let start = Date()
        try expectRefused(w.d.office, at: w.officePath, try f.write(to: w.file("many"), signer: w.bKeys), ["without all"])
        #expect(Date().timeIntervalSince(start) < 60)
        var o = w.fromBRewritten()
        o.segments.append(SignedBundleForge.segment(device: w.bID, first: 2, last: 5, sha256: String(repeating: "ab", count: 32), signer: w.bKeys))
        try expectRefused(w.d.office, at: w.officePath, try o.write(to: w.file("overlap"), signer: w.bKeys), ["overlap"])
    }

    /// Run in a child process: B signs a segment of its own ending at Int64.max; the office merges.
    static func hugeLastSeqMerge() throws -> Bool {
        let w = try Arena()
        var f = w.fromBRewritten()
        f.segments.append(SignedBundleForge.segment(
            device: w.bID, first: 10, last: Int64.max, sha256: String(repeating: "ab", count: 32), signer: w.bKeys))
        let outcome = w.d.office.merge(bundleAt: try f.write(to: w.file("huge-seq"), signer: w.bKeys))
        if case .rejected = outcome.status { return true }
        return false
    }

    @Test("a signed segment numbered up to Int64.max does not crash the merge (it is refused)")
    func segmentEndingAtInt64Max() async throws {
        await #expect(processExitsWith: .success) {
            guard try TrustAttackTests.hugeLastSeqMerge() else { exit(3) }
        }
    }

    // MARK: Enrollment

    @Test("an enrollment request edited to swap in a teammate's keys, or its team, is refused; re-signed for an enrolled id, refused")
    func enrollmentSwapped() throws {
        let w = try Arena()
        let stranger = try w.d.makeLaptop("笔记本8", enroll: false)
        let file = try stranger.enrollmentRequest()
        let data = file.request.encoded(signedBy: file.keys)
        var outer = try JSONSerialization.jsonObject(with: data) as! JSONObject
        var body = try JSONSerialization.jsonObject(with: Data(base64Encoded: outer["request"] as! String)!) as! JSONObject
        body["sign"] = w.aKeys.signPublic.base64EncodedString()
        body["box"] = w.aKeys.boxPublic.base64EncodedString()
        outer["request"] = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]).base64EncodedString()
        #expect(throws: TrustError.self) { try EnrollmentRequest.decode(try JSONSerialization.data(withJSONObject: outer)) }
        body["sign"] = file.request.keys.sign.base64EncodedString()
        body["box"] = file.request.keys.box.base64EncodedString()
        body["team"] = "第二巡察组"
        outer["request"] = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]).base64EncodedString()
        #expect(throws: TrustError.self) { try EnrollmentRequest.decode(try JSONSerialization.data(withJSONObject: outer)) }
        // Someone with their own keys re-signs a request for A's (enrolled) device id.
        let k = ForgeKeys()
        let forged = EnrollmentRequest(device: w.aID, name: "笔记本1", team: "第一巡察组", keys: k.publicKeys, createdAt: "2026-11-21T00:00:00Z")
        let decoded = try EnrollmentRequest.decode(forged.encoded(signedBy: StoreKeys(signing: k.sign, agreement: k.box)))
        #expect(throws: FieldbookError.self) { try w.d.office.enroll(decoded) }
    }

    @Test("an enrollment request for a new device id with keys already enrolled for another device is refused")
    func enrollReusedKeys() throws {
        let w = try Arena()
        let request = EnrollmentRequest(device: newID(), name: "笔记本5", team: "第一巡察组", keys: w.bKeys.publicKeys, createdAt: "2026-11-21T00:00:00Z")
        let decoded = try EnrollmentRequest.decode(request.encoded(signedBy: StoreKeys(signing: w.bKeys.sign, agreement: w.bKeys.box)))
        let before = try Arena.dump(w.officePath)
        #expect(throws: FieldbookError.self) { try w.d.office.enroll(decoded) }
        #expect(try Arena.dump(w.officePath) == before)
    }

    @Test("a revoked laptop's keys enrolled again under a new device id are refused")
    func enrollRevokedKeysAgain() throws {
        let w = try Arena()
        _ = try w.d.office.revoke(device: "笔记本1", afterSeq: nil)
        let request = EnrollmentRequest(device: newID(), name: "笔记本1", team: "第一巡察组", keys: w.aKeys.publicKeys, createdAt: "2026-11-21T00:00:00Z")
        let decoded = try EnrollmentRequest.decode(request.encoded(signedBy: StoreKeys(signing: w.aKeys.sign, agreement: w.aKeys.box)))
        #expect(throws: FieldbookError.self) { try w.d.office.enroll(decoded) }
    }

    // MARK: Copies of the office

    @Test("a copy of the office's store packs a change of its own: the office refuses it as a copy")
    func copiedOfficeStore() throws {
        let w = try Arena()
        let copyPath = w.dir.path("office-copy.sqlite")
        var config = Configuration()
        config.readonly = true
        let source = try DatabaseQueue(path: w.officePath, configuration: config)
        let target = try DatabaseQueue(path: copyPath)
        try source.backup(to: target)
        try source.close()
        try target.close()
        let copy = try Store.open(at: copyPath, environment: FixedEnvironment(seed: 999).environment)
        _ = try copy.importRoster(csvAt: w.dir.write("more.csv", "乡镇,村,类型,村民组,户号,户主,重点户\n新镇,新村,村,一组,NEW001,钱七,\n"))
        let path = try w.d.pack(copy)
        try expectRefused(w.d.office, at: w.officePath, path, ["copied"])
    }

    @Test("a bundle signed with the office's own key by another device id is not merged at the office as if from a second office")
    func officeKeyOtherDevice() throws {
        let w = try Arena()
        var r = try w.rosterRewritten()
        let x = newID()
        r.setPacker(id: x, name: "巡察办", team: "第一巡察组", role: "central")
        r.manifest["trust"] = nil
        r.lines = [w.township(device: x, seq: 1)]
        try expectRefused(w.d.office, at: w.officePath, try r.write(to: w.file("office-key-x"), signer: w.officeKeys), ["key"])
    }

    // MARK: Reported as what it is not

    @Test("a merged bundle with its signature broken, or re-signed by another laptop, is refused, not 'already merged'")
    func alreadyMergedBeforeSignature() throws {
        let w = try Arena()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: w.fromA)))
        bytes[bytes.count - 5] ^= 0x01
        let broken = w.file("broken-sig")
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        try expectRefused(w.d.office, at: w.officePath, broken, ["altered"])
        // B re-signs A's bundle whole: manifest as it was but the key id.
        var p = try SignedBundleForge.parts(of: w.fromA)
        var sig = p.manifest["signature"] as! JSONObject
        sig["key_id"] = w.bKeys.signID
        p.manifest["signature"] = sig
        let resigned = w.file("resigned")
        try Data(SignedBundleForge.assemble(manifest: p.manifest, sealed: p.sealed, signer: w.bKeys)).write(to: URL(fileURLWithPath: resigned))
        try expectRefused(w.d.office, at: w.officePath, resigned, ["笔记本2", "笔记本1"])
    }

    @Test("verify without a store does not call a sealed bundle with a damaged payload sound")
    func verifyTamperedSealed() throws {
        let w = try Arena()
        let p = try SignedBundleForge.parts(of: w.fromA)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: w.fromA)))
        bytes[46 + p.manifestBytes.count + p.sealed.count / 2] ^= 0x20
        let path = w.file("tampered")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: BundleError.self) { try BundleVerifier.verify(path) }
    }

    @Test("verify --db (a dry-run merge) of a tampered sealed bundle is refused, and writes nothing")
    func verifyDBTampered() throws {
        let w = try Arena()
        let p = try SignedBundleForge.parts(of: w.fromB)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: w.fromB)))
        bytes[46 + p.manifestBytes.count + 3] ^= 0x20
        let path = w.file("tampered-db")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let before = try Arena.dump(w.officePath)
        let outcome = w.d.office.merge(bundleAt: path, options: MergeOptions(dryRun: true))
        #expect(reason(outcome).contains("damaged"), "\(reason(outcome))")
        #expect(try Arena.dump(w.officePath) == before)
    }
}

/// A records one more visit (seq 4).
func a_record(_ w: Arena) throws -> FieldbookCore.Record {
    try w.a.record(.visit, ["household": "DG003", "note": "后来"])
}
