import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Problems found, their rectification and transfer, recorded through the one change path.
@Suite struct ProblemRecordingTests {
    @Test func aProblemIsRecordedWithItsDefaultsAndCategoryByKeyOrName() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let byName = try store.record(.problem, ["village": "城关镇/东关村", "summary": "低保评定未公示", "category": "惠农资金"])
        #expect(byName["status"].text == "open")
        #expect(byName["category"].text == "farm-subsidies")
        #expect(byName["found_on"].text == byName.date)
        let byKey = try store.record(.problem, ["village": "古城乡/西河村", "summary": "账目不清", "category": "village-assets"])
        #expect(byKey["category"].text == "village-assets")
        #expect(throws: FieldbookError.self) {
            try store.record(.problem, ["village": "城关镇/东关村", "summary": "x", "category": "没有这类"])
        }
        #expect(throws: FieldbookError.self) {
            try store.record(.problem, ["village": "城关镇/东关村", "summary": "  "])
        }
    }

    @Test func aProblemFromAVisitMustBeInThatVillage() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001"])
        let tied = try store.record(.problem, ["village": "城关镇/东关村", "summary": "危房未改造", "found_in": String(visit.id.prefix(13))])
        #expect(tied["found_in"].text == visit.id)
        #expect(throws: FieldbookError.self) {
            try store.record(.problem, ["village": "古城乡/西河村", "summary": "危房未改造", "found_in": visit.id])
        }
    }

    @Test func verificationNeedsAnotherInspectorOrDevice() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let p = try store.record(.problem, ["village": "城关镇/东关村", "summary": "村务未公开", "deadline": "2027-03-01"])
        #expect(throws: FieldbookError.self) { try store.rectify(p.id, status: "verified") }  // not rectified yet
        let rectified = try store.rectify(p.id, status: "rectified", measures: "补公开三年账目")
        #expect(rectified["status"].text == "rectified")
        #expect(rectified["rectified_by"].list == ["张三", "李四"])
        do {
            _ = try store.rectify(p.id, status: "已验收销号")
            Issue.record("the same inspectors on the same device verified their own rectification")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
            #expect(error.message.contains("another inspector"))
        }
        let verified = try store.rectify(p.id, status: "verified", by: "王五")
        #expect(verified["status"].text == "verified")
        #expect(verified["verified_by"].list == ["王五"])
        #expect(throws: FieldbookError.self) { try store.edit(p.id, set: [("status", "open")]) }
    }

    @Test func aTransferIsRecordedAndTheStepsMergeAnywhere() throws {
        let dir = TemporaryDirectory()
        let laptop = try makeFieldStore(in: dir)
        let p = try laptop.record(.problem, ["village": "城关镇/东关村", "summary": "村干部优亲厚友", "detail": "举报人：某某"])
        let moved = try laptop.transfer(p.id, to: "纪委监委", note: "涉及村支书")
        #expect(moved["transferred_to"].text == "discipline")
        #expect(throws: FieldbookError.self) { try laptop.transfer(p.id, to: "police") }
        let office = try makeOfficeStore(in: dir, clock: FixedEnvironment(seed: 5))
        let bundle = try #require(try laptop.pack(into: dir.path("out")))
        let outcome = office.merge(bundleAt: bundle.path)
        if case .rejected(let reason) = outcome.status { Issue.record("\(reason)") }
        let there = try office.record(id: p.id)
        #expect(there["transferred_to"].text == "discipline")
        #expect(there["detail"].text == "举报人：某某")
        // The office verifies what the team rectified: another device.
        _ = try laptop.rectify(p.id, status: "rectified")
        let second = try #require(try laptop.pack(into: dir.path("out")))
        _ = office.merge(bundleAt: second.path)
        #expect(try office.rectify(p.id, status: "verified")["status"].text == "verified")
    }

    @Test func onlyTheOfficeAddsCategories() throws {
        let dir = TemporaryDirectory()
        let office = try makeOfficeStore(in: dir, clock: FixedEnvironment(seed: 5))
        try office.addCategory(key: "land-use", name: "土地流转")
        #expect(try office.categories().last == ProblemCategory(key: "land-use", name: "土地流转"))
        #expect(throws: FieldbookError.self) { try office.addCategory(key: "Land Use", name: "x") }
        #expect(throws: FieldbookError.self) { try office.addCategory(key: "other-2", name: "其他") }
        let laptop = try makeFieldStore(in: dir)
        #expect(throws: FieldbookError.self) { try laptop.addCategory(key: "land-use", name: "土地流转") }
        // The office's list reaches the laptops with the roster: a team records a problem in it by name.
        let roster = try #require(try office.pack(into: dir.path("roster"), scope: .roster))
        #expect(laptop.merge(bundleAt: roster.path).status == .merged)
        #expect(try laptop.categories().contains(ProblemCategory(key: "land-use", name: "土地流转")))
        let p = try laptop.record(.problem, ["village": "城关镇/东关村", "summary": "土地流转合同不规范", "category": "土地流转"])
        #expect(p["category"].text == "land-use")
    }
}

/// The rules a bundle's problem and category changes meet: the same as typed input's.
@Suite struct ProblemBoundaryTests {
    static let device = "8e770ca3-c60e-4fc1-a86d-7f7a1aeb6254"
    static let id = "019cb65b-de99-72d2-96ce-f6236e866a7b"

    func problem(_ changes: [String: FieldValue]) -> [String: FieldValue] {
        var fields: [String: FieldValue] = [
            "_deleted": .int(0), "round": .text(RecordID.round("五届第五轮")),
            "village": .text(RecordID.village(township: "城关镇", name: "东关村")), "summary": .text("低保评定未公示"),
            "found_on": .text("2026-11-20"), "status": .text("open"),
        ]
        fields.merge(changes) { _, new in new }
        return fields
    }

    func check(_ kind: RecordKind, _ fields: [String: FieldValue], id: String = id) -> ChangeRules.Violation? {
        do {
            try ChangeRules.check(
                kind: kind, recordID: id, op: .create, fields: fields, base: [:], version: VersionID(device: Self.device, seq: 1))
            return nil
        } catch {
            return error
        }
    }

    @Test func aProblemsCategoryIsAKeyAndItsStatusAndDestinationFromTheirLists() {
        #expect(check(.problem, problem([:])) == nil)
        #expect(check(.problem, problem(["category": .text("farm-subsidies")])) == nil)
        #expect(check(.problem, problem(["category": .text("惠农资金")]))?.reason.contains("category key") == true)
        #expect(check(.problem, problem(["category": .text("Farm-Subsidies")]))?.field == "category")
        #expect(check(.problem, problem(["status": .text("closed")]))?.field == "status")
        #expect(check(.problem, problem(["status": .text("已整改")]))?.field == "status")
        #expect(check(.problem, problem(["transferred_to": .text("police")]))?.field == "transferred_to")
        #expect(check(.problem, problem(["found_in": .text("DG001")]))?.field == "found_in")
        #expect(check(.problem, problem(["summary": .text("a\u{1B}[2Jb")]))?.reason.contains("U+001B") == true)
        #expect(check(.problem, problem(["summary": .null]))?.field == "summary")
        #expect(check(.problem, problem(["deadline": .text("2026-02-30")]))?.field == "deadline")
    }

    @Test func aCategorysIdIsDerivedFromItsKeyAndOnlyTheOfficeWritesOne() {
        let fields: [String: FieldValue] = ["_deleted": .int(0), "key": .text("land-use"), "name": .text("土地流转")]
        #expect(check(.category, fields, id: RecordID.derived(.category, key: "land-use")) == nil)
        #expect(check(.category, fields)?.field == "record")
        var bad = fields
        bad["key"] = .text("土地")
        #expect(check(.category, bad, id: RecordID.derived(.category, key: "土地"))?.field == "key")
        #expect(ChangeRules.authority(kind: .category, op: .create, fields: fields, role: .field) != nil)
        #expect(ChangeRules.authority(kind: .category, op: .create, fields: fields, role: .central) == nil)
        #expect(ChangeRules.authority(kind: .problem, op: .update, fields: [:], role: .field) == nil)
    }
}
