import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Tallies of a central store that merged the laptops' bundles.
@Suite("Tallies of merged stores")
struct TallyMergeTests {
    /// An office with the roster, and two laptops of two teams that got it by bundle.
    struct Office {
        let dir = TemporaryDirectory("tally-merge")
        let office: Store
        let a: Store
        let b: Store
        let rosterBundle: String

        init() throws {
            office = try makeCentral(in: dir, name: "office.sqlite")
            _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
            rosterBundle = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
            a = try Store.create(
                at: dir.path("a.sqlite"),
                setup: DeviceSetup(name: "笔记本A", team: "第一巡察组", round: "五届第五轮", inspectors: ["张三"]),
                environment: FixedEnvironment(seed: 1).environment)
            b = try Store.create(
                at: dir.path("b.sqlite"),
                setup: DeviceSetup(name: "笔记本B", team: "第二巡察组", round: "五届第五轮", inspectors: ["李四"]),
                environment: FixedEnvironment(seed: 2).environment)
            #expect(a.merge(bundleAt: rosterBundle).status == .merged)
            #expect(b.merge(bundleAt: rosterBundle).status == .merged)
        }

        func pack(_ store: Store, _ folder: String) throws -> String {
            try #require(try store.pack(into: dir.path(folder))).path
        }
    }

    @Test("two devices visiting one household count it once at the office, and merging again changes nothing")
    func duplicatesAcrossDevices() throws {
        let t = try Office()
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.b.record(.visit, ["household": "DG001"])
        _ = try t.b.record(.visit, ["household": "DG002"])
        let fromA = try t.pack(t.a, "a1")
        let fromB = try t.pack(t.b, "b1")
        #expect(t.office.merge(bundleAt: fromA).status == .merged)
        #expect(t.office.merge(bundleAt: fromB).status == .merged)

        let report = try t.office.tally()
        let dongguan = try report.village("城关镇", "东关村")
        #expect(figures(dongguan.counts) == "hh 3 visited 2 visits 3 wubao 1/1 dibao 1/1 weifang 1/1 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/1")
        #expect(report.district.visited == 2)

        // The same bundles again, and a copy under another name: the tally does not move.
        let copy = t.dir.path("copy.fbundle")
        try FileManager.default.copyItem(atPath: fromB, toPath: copy)
        #expect(t.office.merge(bundleAt: fromA).status == .alreadyMerged)
        #expect(t.office.merge(bundleAt: copy).status == .alreadyMerged)
        var again = try t.office.tally()
        again.generatedAt = report.generatedAt
        #expect(again == report)

        // Each laptop counts its own work.
        #expect(try t.a.tally().district.visited == 1)
        #expect(try t.b.tally().district.visits == 2)
    }

    @Test("--team counts the records of that team's devices")
    func teamFilter() throws {
        let t = try Office()
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.a.record(.forum, ["village": "新华社区", "participants": "12"])
        _ = try t.b.record(.visit, ["household": "DG001"])
        _ = try t.b.record(.visit, ["household": "GC001"])
        _ = try t.b.record(.notice, ["village": "西河村", "copies": "2", "place": "村部"])
        _ = t.office.merge(bundleAt: try t.pack(t.a, "a1"))
        _ = t.office.merge(bundleAt: try t.pack(t.b, "b1"))

        let first = try t.office.tally(TallyQuery(team: "第一巡察组"))
        #expect(figures(first.district) == "hh 6 visited 1 visits 1 wubao 1/1 dibao 0/2 weifang 0/2 forums 1/12 notices 0/0 fixes 0/0/0 villages 2/4")
        let second = try t.office.tally(TallyQuery(team: "第二巡察组"))
        #expect(figures(second.district) == "hh 6 visited 2 visits 2 wubao 1/1 dibao 1/2 weifang 0/2 forums 0/0 notices 1/2 fixes 0/0/0 villages 3/4")
        #expect(second.query.team == "第二巡察组")
        let both = try t.office.tally()
        #expect(figures(both.district) == "hh 6 visited 2 visits 3 wubao 1/1 dibao 1/2 weifang 0/2 forums 1/12 notices 1/2 fixes 0/0/0 villages 4/4")

        do {
            _ = try t.office.tally(TallyQuery(team: "第九巡察组"))
            Issue.record("an unknown team should be refused")
        } catch let error as FieldbookError {
            #expect(error.message.contains("第九巡察组"), "\(error.message)")
            #expect(error.message.contains("第一巡察组, 第二巡察组"), "\(error.message)")
        }
    }

    @Test("visits merged before the roster are an unknown-households line until the roster's bundle arrives")
    func visitsBeforeTheRoster() throws {
        let t = try Office()
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.a.record(.visit, ["household": "XH001"])
        let visits = try t.pack(t.a, "a1")

        let central = try makeCentral(in: t.dir, name: "central.sqlite")
        #expect(central.merge(bundleAt: visits).status == .merged)
        let before = try central.tally()
        #expect(before.unknownHouseholds == UnknownHouseholdsTally(visits: 3, households: 2))
        #expect(before.townships.isEmpty)
        #expect(before.district == TallyCounts())

        #expect(central.merge(bundleAt: t.rosterBundle).status == .merged)
        let after = try central.tally()
        #expect(after.unknownHouseholds == UnknownHouseholdsTally())
        #expect(figures(after.district) == "hh 6 visited 2 visits 3 wubao 1/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 2/4")
    }
}
