import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// The sample roster, by hand:
///
///     城关镇  东关村    DG001 五保户 · DG002 低保户+危房改造户 · DG003
///             新华社区  XH001 (a community)
///     古城乡  东关村    GC001 低保户
///             西河村    GC002 危房改造户
///
/// Every expected figure below is counted from that by hand.
extension TallyReport {
    func village(_ township: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> VillageTally {
        let found = townships.filter { $0.name == township }.flatMap(\.villages).filter { $0.name == name }
        #expect(found.count == 1, "\(township)/\(name) should appear once", sourceLocation: sourceLocation)
        return try #require(found.first, sourceLocation: sourceLocation)
    }

    func township(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TownshipTally {
        try #require(townships.first { $0.name == name }, "no township \(name)", sourceLocation: sourceLocation)
    }
}

/// Figures in one line, so a failing expectation shows them all.
func figures(_ c: TallyCounts) -> String {
    "hh \(c.households) visited \(c.visited) visits \(c.visits) wubao \(c.wubao.visited)/\(c.wubao.households) dibao \(c.dibao.visited)/\(c.dibao.households) weifang \(c.weifang.visited)/\(c.weifang.households) forums \(c.forums)/\(c.participants) notices \(c.notices)/\(c.copies) fixes \(c.fixesOpen)/\(c.fixesFixed)/\(c.fixesVerified) villages \(c.villagesInspected)/\(c.villages)"
}

@Suite("Tallies: what is counted")
struct TallyTests {
    let dir = TemporaryDirectory("tally")

    func fieldStore() throws -> Store { try makeFieldStore(in: dir) }

    @Test("a fresh roster: households and priority kinds on the roster, nothing visited or inspected")
    func freshRoster() throws {
        let report = try fieldStore().tally()
        #expect(report.townships.map(\.name) == ["城关镇", "古城乡"])
        #expect(report.townships.map { $0.villages.map(\.name) } == [["东关村", "新华社区"], ["东关村", "西河村"]])
        #expect(try report.village("城关镇", "新华社区").kind == .community)
        let d = report.district
        #expect(figures(d) == "hh 6 visited 0 visits 0 wubao 0/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 0/4")
        #expect(d.coveragePercent == 0)
        #expect(d.inspectedPercent == 0)
        #expect(report.unknownHouseholds == UnknownHouseholdsTally())
        #expect(report.unknownVillages.isEmpty)
        #expect(report.villages.allSatisfy { !$0.inspected })
    }

    @Test("households count once however often visited, and every kind of work counts where it happened")
    func everyKindOfWork() throws {
        let store = try fieldStore()
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.visit, ["household": "DG002"])
        _ = try store.record(.visit, ["household": "GC001"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "12"])
        _ = try store.record(.forum, ["village": "城关镇/东关村", "cadres": "2", "members": "3", "villagers": "3"])
        _ = try store.record(.notice, ["village": "西河村", "copies": "3", "place": "村部"])
        _ = try store.record(.notice, ["village": "西河村", "copies": "2", "place": "二组公示栏"])
        _ = try store.record(.fix, ["village": "古城乡/东关村", "problem": "台账缺页", "action": "补齐"])
        _ = try store.record(.fix, ["village": "城关镇/东关村", "problem": "公开栏未更新", "status": "fixed"])
        _ = try store.record(.fix, ["village": "城关镇/东关村", "problem": "低保公示缺失", "status": "verified"])

        let report = try store.tally()
        let dongguan = try report.village("城关镇", "东关村")
        #expect(figures(dongguan.counts) == "hh 3 visited 2 visits 3 wubao 1/1 dibao 1/1 weifang 1/1 forums 1/8 notices 0/0 fixes 0/1/1 villages 1/1")
        #expect(dongguan.counts.coveragePercent == 67)
        let xinhua = try report.village("城关镇", "新华社区")
        #expect(figures(xinhua.counts) == "hh 1 visited 0 visits 0 wubao 0/0 dibao 0/0 weifang 0/0 forums 1/12 notices 0/0 fixes 0/0/0 villages 1/1")
        #expect(xinhua.inspected, "a forum alone makes a village inspected")
        let gucheng = try report.village("古城乡", "东关村")
        #expect(figures(gucheng.counts) == "hh 1 visited 1 visits 1 wubao 0/0 dibao 1/1 weifang 0/0 forums 0/0 notices 0/0 fixes 1/0/0 villages 1/1")
        #expect(gucheng.counts.coveragePercent == 100)
        let xihe = try report.village("古城乡", "西河村")
        #expect(figures(xihe.counts) == "hh 1 visited 0 visits 0 wubao 0/0 dibao 0/0 weifang 0/1 forums 0/0 notices 2/5 fixes 0/0/0 villages 1/1")
        #expect(xihe.inspected, "a notice alone makes a village inspected")

        #expect(figures(try report.township("城关镇").counts) == "hh 4 visited 2 visits 3 wubao 1/1 dibao 1/1 weifang 1/1 forums 2/20 notices 0/0 fixes 0/1/1 villages 2/2")
        #expect(figures(try report.township("古城乡").counts) == "hh 2 visited 1 visits 1 wubao 0/0 dibao 1/1 weifang 0/1 forums 0/0 notices 2/5 fixes 1/0/0 villages 2/2")
        #expect(figures(report.district) == "hh 6 visited 3 visits 4 wubao 1/1 dibao 2/2 weifang 1/2 forums 2/20 notices 2/5 fixes 1/1/1 villages 4/4")
        #expect(report.district.coveragePercent == 50)
        #expect(report.district.inspectedPercent == 100)
    }

    @Test("an on-the-spot fix alone does not make a village inspected")
    func fixAloneIsNotInspection() throws {
        let store = try fieldStore()
        _ = try store.record(.fix, ["village": "西河村", "problem": "台账缺页", "action": "补齐"])
        let report = try store.tally()
        let xihe = try report.village("古城乡", "西河村")
        #expect(xihe.counts.fixesOpen == 1)
        #expect(!xihe.inspected)
        #expect(report.district.villagesInspected == 0)
    }

    @Test("deleted visits, forums, notices and fixes never count")
    func tombstonesNeverCount() throws {
        let store = try fieldStore()
        let first = try store.record(.visit, ["household": "DG001"])
        let second = try store.record(.visit, ["household": "DG001"])
        let forum = try store.record(.forum, ["village": "新华社区", "participants": "12"])
        let notice = try store.record(.notice, ["village": "西河村", "copies": "3", "place": "村部"])
        let fix = try store.record(.fix, ["village": "西河村", "problem": "台账缺页", "action": "补齐"])
        #expect(figures(try store.tally().district) == "hh 6 visited 1 visits 2 wubao 1/1 dibao 0/2 weifang 0/2 forums 1/12 notices 1/3 fixes 1/0/0 villages 3/4")

        _ = try store.delete(first.id)
        var report = try store.tally()
        #expect(figures(try report.village("城关镇", "东关村").counts) == "hh 3 visited 1 visits 1 wubao 1/1 dibao 0/1 weifang 0/1 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/1")

        for record in [second, forum, notice, fix] { _ = try store.delete(record.id) }
        report = try store.tally()
        #expect(figures(report.district) == "hh 6 visited 0 visits 0 wubao 0/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 0/4")
        #expect(report.unknownHouseholds == UnknownHouseholdsTally())
        #expect(report.unknownVillages.isEmpty)
    }

    @Test("an edit that moves a visit to another household moves it in the tally")
    func movedVisit() throws {
        let store = try fieldStore()
        let visit = try store.record(.visit, ["household": "DG001"])
        _ = try store.edit(visit.id, set: [("household", "GC001")])
        let report = try store.tally()
        let before = try report.village("城关镇", "东关村")
        #expect(figures(before.counts) == "hh 3 visited 0 visits 0 wubao 0/1 dibao 0/1 weifang 0/1 forums 0/0 notices 0/0 fixes 0/0/0 villages 0/1")
        #expect(!before.inspected)
        let after = try report.village("古城乡", "东关村")
        #expect(figures(after.counts) == "hh 1 visited 1 visits 1 wubao 0/0 dibao 1/1 weifang 0/0 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/1")
        #expect(report.district.visits == 1)
    }

    @Test("visits to a household no longer on the roster are a line of their own, outside every village")
    func unknownHouseholds() throws {
        let store = try makeOfficeStore(in: dir)
        _ = try store.record(.visit, ["household": "DG003"])
        _ = try store.record(.visit, ["household": "DG003"])
        _ = try store.record(.visit, ["household": "GC002"])
        _ = try store.delete(RecordID.household(code: "DG003"))
        let report = try store.tally()
        #expect(report.unknownHouseholds == UnknownHouseholdsTally(visits: 2, households: 1))
        let dongguan = try report.village("城关镇", "东关村")
        #expect(figures(dongguan.counts) == "hh 2 visited 0 visits 0 wubao 0/1 dibao 0/1 weifang 0/1 forums 0/0 notices 0/0 fixes 0/0/0 villages 0/1")
        #expect(figures(report.district) == "hh 5 visited 1 visits 1 wubao 0/1 dibao 0/2 weifang 1/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/4")
        #expect(report.unknownVillages.isEmpty)
    }

    @Test("records of a village the store no longer holds are a line of their own")
    func unknownVillages() throws {
        let store = try makeOfficeStore(in: dir)
        _ = try store.record(.visit, ["household": "XH001"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "9"])
        _ = try store.record(.notice, ["village": "新华社区", "copies": "4", "place": "社区服务中心"])
        _ = try store.record(.fix, ["village": "新华社区", "problem": "台账缺页", "status": "fixed"])
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.delete(RecordID.village(township: "城关镇", name: "新华社区"))
        let report = try store.tally()
        #expect(try report.township("城关镇").villages.map(\.name) == ["东关村"])
        #expect(figures(report.unknownVillages) == "hh 1 visited 1 visits 1 wubao 0/0 dibao 0/0 weifang 0/0 forums 1/9 notices 1/4 fixes 0/1/0 villages 0/0")
        #expect(figures(report.district) == "hh 5 visited 1 visits 1 wubao 1/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/3")
        #expect(report.unknownHouseholds == UnknownHouseholdsTally(), "the household is known; its village is not")
    }

    @Test("--round counts that round's records only; an unknown round is an error that names it")
    func roundFilter() throws {
        let store = try fieldStore()
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.notice, ["village": "西河村", "copies": "3", "place": "村部"])
        try store.setRound("五届第六轮")
        _ = try store.record(.visit, ["household": "DG002"])
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "12"])

        let fifth = try store.tally(TallyQuery(round: "五届第五轮"))
        #expect(figures(fifth.district) == "hh 6 visited 1 visits 1 wubao 1/1 dibao 0/2 weifang 0/2 forums 0/0 notices 1/3 fixes 0/0/0 villages 2/4")
        #expect(fifth.query.round == "五届第五轮")
        let sixth = try store.tally(TallyQuery(round: " 五届第六轮 "))
        #expect(figures(sixth.district) == "hh 6 visited 2 visits 2 wubao 1/1 dibao 1/2 weifang 1/2 forums 1/12 notices 0/0 fixes 0/0/0 villages 2/4")
        #expect(sixth.query.round == "五届第六轮")
        let all = try store.tally()
        #expect(figures(all.district) == "hh 6 visited 2 visits 3 wubao 1/1 dibao 1/2 weifang 1/2 forums 1/12 notices 1/3 fixes 0/0/0 villages 3/4")

        #expect(throws: FieldbookError.unknownRound("五届第九轮", known: ["五届第五轮", "五届第六轮"])) {
            try store.tally(TallyQuery(round: "五届第九轮"))
        }
    }

    @Test("--from and --to count the days between them, both included, in any date spelling")
    func dateFilter() throws {
        let store = try fieldStore()
        _ = try store.record(.visit, ["household": "DG001", "date": "2026-11-01"])
        _ = try store.record(.visit, ["household": "DG002", "date": "2026-11-10"])
        _ = try store.record(.visit, ["household": "DG003", "date": "2026-11-20"])
        _ = try store.record(.notice, ["village": "西河村", "copies": "3", "place": "村部", "date": "2026-11-10"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "7", "date": "2026-11-21"])
        _ = try store.record(.fix, ["village": "西河村", "problem": "台账缺页", "found_on": "2026-11-05"])

        let middle = try store.tally(TallyQuery(from: "2026-11-10", to: "2026-11-20"))
        #expect(figures(middle.district) == "hh 6 visited 2 visits 2 wubao 0/1 dibao 1/2 weifang 1/2 forums 0/0 notices 1/3 fixes 0/0/0 villages 2/4")
        #expect(middle.query.from == "2026-11-10")
        let firstDay = try store.tally(TallyQuery(from: "2026/11/01", to: "2026年11月01日"))
        #expect(figures(firstDay.district) == "hh 6 visited 1 visits 1 wubao 1/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 0/0/0 villages 1/4")
        #expect(firstDay.query.to == "2026-11-01")
        let fromOnly = try store.tally(TallyQuery(from: "2026-11-05"))
        #expect(figures(fromOnly.district) == "hh 6 visited 2 visits 2 wubao 0/1 dibao 1/2 weifang 1/2 forums 1/7 notices 1/3 fixes 1/0/0 villages 3/4")
        let toOnly = try store.tally(TallyQuery(to: "2026-11-05"))
        #expect(figures(toOnly.district) == "hh 6 visited 1 visits 1 wubao 1/1 dibao 0/2 weifang 0/2 forums 0/0 notices 0/0 fixes 1/0/0 villages 1/4")

        #expect(throws: FieldbookError.self) { try store.tally(TallyQuery(from: "2026-02-30")) }
        do {
            _ = try store.tally(TallyQuery(from: "2026-11-20", to: "2026-11-10"))
            Issue.record("a range that ends before it starts should be refused")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 64)
            #expect(error.message.contains("2026-11-10") && error.message.contains("2026-11-20"), "\(error.message)")
        }
    }

    @Test("--township counts that township's villages only, and leaves out the unknown lines")
    func townshipFilter() throws {
        let store = try makeOfficeStore(in: dir)
        _ = try store.record(.visit, ["household": "GC001"])
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "12"])
        _ = try store.record(.notice, ["village": "西河村", "copies": "3", "place": "村部"])
        _ = try store.record(.visit, ["household": "DG003"])
        _ = try store.delete(RecordID.household(code: "DG003"))

        let report = try store.tally(TallyQuery(township: "古城乡"))
        #expect(report.townships.map(\.name) == ["古城乡"])
        #expect(figures(report.district) == "hh 2 visited 1 visits 1 wubao 0/0 dibao 1/1 weifang 0/1 forums 0/0 notices 1/3 fixes 0/0/0 villages 2/2")
        #expect(report.unknownHouseholds == UnknownHouseholdsTally())
        #expect(try store.tally().unknownHouseholds == UnknownHouseholdsTally(visits: 1, households: 1))
        #expect(throws: FieldbookError.self) { try store.tally(TallyQuery(township: "不存在乡")) }
    }

    @Test("rolled-up rows are the sums of the rows under them")
    func rollUpsAreSums() throws {
        let store = try fieldStore()
        for code in ["DG001", "DG002", "GC002", "XH001", "GC002"] { _ = try store.record(.visit, ["household": code]) }
        _ = try store.record(.forum, ["village": "古城乡/东关村", "participants": "30"])
        let report = try store.tally()
        for township in report.townships {
            #expect(township.counts == township.villages.map(\.counts).reduce(TallyCounts(), +))
        }
        #expect(report.district == report.townships.map(\.counts).reduce(TallyCounts(), +))
        #expect(report.district.villages == 4)
    }

    @Test("percentages round half up, but never show 100% while something is missing, nor 0% once something is done")
    func percentages() {
        #expect(Percent.of(213, 349) == 61)
        #expect(Percent.of(2, 3) == 67)
        #expect(Percent.of(1, 2) == 50)
        #expect(Percent.of(1, 8) == 13)
        #expect(Percent.of(999, 1000) == 99)
        #expect(Percent.of(1000, 1000) == 100)
        #expect(Percent.of(1, 1000) == 1)
        #expect(Percent.of(0, 1000) == 0)
        #expect(Percent.of(0, 0) == nil)
    }

    @Test("the tally's statements read the tally indexes, not the record tables")
    func usesTallyIndexes() throws {
        let store = try fieldStore()
        try store.dbQueue.read { db in
            for query in [TallyQuery(), TallyQuery(round: "五届第五轮", from: "2026-01-01", to: "2026-12-31", team: "第一巡察组")] {
                let filter = try TallyFilter(query, store: store, db: db)
                let statements: [(String, StatementArguments, String)] = [
                    (TallySQL.households(filter, withTotal: true), filter.householdArguments(withTotal: true), "visit_tally"),
                    (TallySQL.forums(filter), filter.arguments, "forum_tally"),
                    (TallySQL.notices(filter), filter.arguments, "notice_tally"),
                    (TallySQL.fixes(filter), filter.arguments, "fix_tally"),
                ]
                for (sql, arguments, index) in statements {
                    let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                        .map { $0["detail"] as String }.joined(separator: "\n")
                    #expect(plan.contains("COVERING INDEX \(index)") || plan.contains("USING INDEX \(index)"), "\(sql)\n\(plan)")
                    #expect(!plan.contains("SCAN visit\n") && !plan.hasSuffix("SCAN visit"), "\(plan)")
                    if index == "visit_tally" {
                        #expect(plan.contains("USING INDEX visit_recent_tally"), "\(plan)")
                        #expect(plan.contains("COVERING INDEX household_tally") || plan.contains("USING INDEX household_tally"), "\(plan)")
                    }
                }
            }
        }
    }

    @Test("the report language follows the locale: English for en_*, Chinese otherwise")
    func languageFromLocale() {
        #expect(ReportLanguage.preferred(environment: [:]) == .zh)
        #expect(ReportLanguage.preferred(environment: ["LANG": "en_US.UTF-8"]) == .en)
        #expect(ReportLanguage.preferred(environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(ReportLanguage.preferred(environment: ["LANG": "C.UTF-8"]) == .zh)
        #expect(ReportLanguage.preferred(environment: ["LC_ALL": "zh_CN.UTF-8", "LANG": "en_GB.UTF-8"]) == .zh)
        #expect(ReportLanguage.preferred(environment: ["LC_ALL": "", "LC_MESSAGES": "en_GB.UTF-8"]) == .en)
    }
}
