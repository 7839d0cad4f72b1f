import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Stores written by the release before problems (schema v1–v5, Tests/Fixtures/stores-v5) open with
/// today's code and are migrated in place: every change, record and key kept, and new kinds recorded,
/// packed and merged between them.
@Suite struct MigrationTests {
    static let fixture = StoreFixture("stores-v5")
    static var fixtures: URL { fixture.folder }

    func copy(_ name: String, to dir: TemporaryDirectory) throws -> String { try Self.fixture.copy(name, to: dir) }

    func changeLog(_ path: String) throws -> [String] { try StoreFixture.changeLog(path, ids: true) }

    @Test func anOfficeStoreOfTheLastReleaseMigratesInPlaceAndKeepsEverything() throws {
        let dir = TemporaryDirectory("migration")
        let path = try copy("office.sqlite", to: dir)
        let before = try changeLog(path)
        #expect(before.count > 15)
        let office = try Store.open(at: path)
        #expect(try changeLog(path) == before)
        // The tally that release printed, figure by figure.
        let old = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.fixtures.appendingPathComponent("office-tally.json"))) as! [String: Any]
        let then = old["district"] as! [String: Any]
        let now = try office.tally().district
        #expect(now.households == then["households"] as? Int)
        #expect(now.visited == then["visited"] as? Int)
        #expect(now.visits == then["visits"] as? Int)
        #expect(now.forums == then["forums"] as? Int)
        #expect(now.participants == then["participants"] as? Int)
        #expect(now.notices == then["notices"] as? Int)
        #expect(now.copies == then["copies"] as? Int)
        #expect(now.villagesInspected == then["villages_inspected"] as? Int)
        #expect(now.fixes == 1)
        // Its keys and its enrolled laptop survive.
        #expect(try office.officeKeyFile() != nil)
        // Opening again migrates nothing more.
        _ = try Store.open(at: path)
        #expect(try changeLog(path) == before)
    }

    @Test func aMigratedLaptopRecordsAProblemThatAMigratedOfficeMerges() throws {
        let dir = TemporaryDirectory("migration")
        let office = try Store.open(at: try copy("office.sqlite", to: dir))
        let laptop = try Store.open(at: try copy("laptop.sqlite", to: dir))
        #expect(try laptop.list(RecordFilter(kinds: [.visit])).count == 3)
        let visit = try #require(try laptop.list(RecordFilter(kinds: [.visit])).first)
        let problem = try laptop.record(.problem, [
            "village": "城关镇/东关村", "summary": "低保评定未公示", "category": "惠农资金", "found_in": visit.id,
            "deadline": "2027-01-20",
        ])
        _ = try laptop.transfer(problem.id, to: "discipline", note: "涉嫌优亲厚友")
        let bundle = try #require(try laptop.pack(into: dir.path("stick")))
        let outcome = office.merge(bundleAt: bundle.path)
        #expect(outcome.status == .merged, "\(outcome.status)")
        let there = try office.record(id: problem.id)
        #expect(there["transferred_to"].text == "discipline")
        #expect(there["category"].text == "farm-subsidies")
        // The visit recorded before the upgrade and not yet packed travelled with it.
        #expect(try office.list(RecordFilter(kinds: [.visit])).count == 3)
    }
}
