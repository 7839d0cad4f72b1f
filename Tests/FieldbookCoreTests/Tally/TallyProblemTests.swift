import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Problem figures in one line, so a failing expectation shows them all: found, of them fixed on the
/// spot, clues (discipline/organisation/other), rectified, verified, not rectifiable, open, overdue, rate.
func problemFigures(_ c: TallyCounts) -> String {
    let p = c.problems
    return "found \(c.problemsFound) spot \(c.fixes) clues \(p.clues) (\(p.cluesDiscipline)/\(p.cluesOrganisation)/\(p.cluesOther)) rectified \(c.problemsRectified) verified \(c.problemsVerified) cannot \(p.notRectifiable) open \(c.problemsOpen) overdue \(p.overdue) rate \(c.rectificationPercent.map { "\($0)%" } ?? "—")"
}

/// Problems found, clues transferred and rectification in the tally, counted by hand on the sample
/// roster (城关镇: 东关村, 新华社区; 古城乡: 东关村, 西河村). The store's clock says 2026-11-21.
@Suite("Tallies: problems found, clues and rectification")
struct TallyProblemTests {
    let dir = TemporaryDirectory("tally-problems")

    /// Secret words of transferred problems: they must never appear in a report.
    static let secrets = ["村支书优亲厚友", "举报人某某", "涉及村支书", "危改资金去向不明", "集体土地私卖", "第三份线索"]

    /// The store by hand:
    ///
    ///     城关镇/东关村  p1 open, found 11-01, due 11-10: overdue 11 days (listed)
    ///                    p2 rectifying, found 11-03, due 11-15, transferred to discipline: overdue, never listed
    ///                    p3 rectified, due 11-20 (not overdue: rectified)
    ///                    p4 open, due 11-21 (today: not overdue)
    ///                    fix fixed, fix open
    ///     城关镇/新华社区 p5 verified
    ///     古城乡/西河村   p6 verified, transferred to organisation; p7 not rectifiable, transferred to other;
    ///                    fix verified; p8 open, due 11-05, deleted (never counts)
    ///     古城乡/东关村   nothing
    func storeByHand() throws -> Store {
        let store = try makeFieldStore(in: dir)
        let p1 = try store.record(.problem, [
            "village": "城关镇/东关村", "summary": "低保评定未公示", "found_on": "2026-11-01", "deadline": "2026-11-10",
            "responsible": "村支书王某",
        ])
        #expect(p1["status"].text == "open")
        let p2 = try store.record(.problem, [
            "village": "城关镇/东关村", "summary": "村支书优亲厚友", "detail": "举报人某某", "found_on": "2026-11-03",
            "deadline": "2026-11-15", "responsible": "第三份线索",
        ])
        _ = try store.rectify(p2.id, status: "rectifying")
        _ = try store.transfer(p2.id, to: "纪委监委", note: "涉及村支书")
        let p3 = try store.record(.problem, [
            "village": "城关镇/东关村", "summary": "集体资产台账不全", "found_on": "2026-11-02", "deadline": "2026-11-20",
        ])
        _ = try store.rectify(p3.id, status: "rectified")
        _ = try store.record(.problem, ["village": "城关镇/东关村", "summary": "公示栏破损", "deadline": "2026-11-21"])
        _ = try store.record(.fix, ["village": "城关镇/东关村", "problem": "公开栏未更新", "status": "fixed"])
        _ = try store.record(.fix, ["village": "城关镇/东关村", "problem": "台账缺页"])
        let p5 = try store.record(.problem, ["village": "新华社区", "summary": "服务中心无人值守"])
        _ = try store.rectify(p5.id, status: "rectified")
        _ = try store.rectify(p5.id, status: "verified", by: "王五")
        let p6 = try store.record(.problem, ["village": "西河村", "summary": "危改资金去向不明", "deadline": "2026-11-12", "found_on": "2026-11-04"])
        _ = try store.transfer(p6.id, to: "organisation")
        _ = try store.rectify(p6.id, status: "rectified")
        _ = try store.rectify(p6.id, status: "verified", by: "王五")
        let p7 = try store.record(.problem, ["village": "西河村", "summary": "集体土地私卖", "found_on": "2026-11-06"])
        _ = try store.rectify(p7.id, status: "not-rectifiable")
        _ = try store.transfer(p7.id, to: "other")
        _ = try store.record(.fix, ["village": "西河村", "problem": "低保公示缺失", "status": "verified"])
        let p8 = try store.record(.problem, ["village": "西河村", "summary": "已删除的问题", "found_on": "2026-11-01", "deadline": "2026-11-05"])
        _ = try store.delete(p8.id)
        return store
    }

    @Test("every figure per village, township and district, counted by hand")
    func figuresByHand() throws {
        let store = try storeByHand()
        let report = try store.tally()
        #expect(report.generatedAt.hasPrefix("2026-11-21"))
        #expect(problemFigures(try report.village("城关镇", "东关村").counts)
            == "found 6 spot 2 clues 1 (1/0/0) rectified 2 verified 0 cannot 0 open 4 overdue 2 rate 33%")
        #expect(problemFigures(try report.village("城关镇", "新华社区").counts)
            == "found 1 spot 0 clues 0 (0/0/0) rectified 0 verified 1 cannot 0 open 0 overdue 0 rate 100%")
        #expect(problemFigures(try report.village("古城乡", "西河村").counts)
            == "found 3 spot 1 clues 2 (0/1/1) rectified 0 verified 2 cannot 1 open 0 overdue 0 rate 100%")
        #expect(problemFigures(try report.village("古城乡", "东关村").counts)
            == "found 0 spot 0 clues 0 (0/0/0) rectified 0 verified 0 cannot 0 open 0 overdue 0 rate —")
        // Rates from sums: 城关镇 is 3 of 7 (43%), not the mean of 33% and 100%.
        #expect(problemFigures(try report.township("城关镇").counts)
            == "found 7 spot 2 clues 1 (1/0/0) rectified 2 verified 1 cannot 0 open 4 overdue 2 rate 43%")
        #expect(problemFigures(try report.township("古城乡").counts)
            == "found 3 spot 1 clues 2 (0/1/1) rectified 0 verified 2 cannot 1 open 0 overdue 0 rate 100%")
        // The district is 5 of 10 − 1 (56%), not the mean of its townships (71%) nor of its villages (78%).
        #expect(problemFigures(report.district)
            == "found 10 spot 3 clues 3 (1/1/1) rectified 2 verified 3 cannot 1 open 4 overdue 2 rate 56%")
        #expect(report.district.problems.rectifying == 1)
        // Problems alone do not make a village inspected.
        #expect(!(try report.village("城关镇", "东关村").inspected))
        #expect(report.district.villagesInspected == 0)
        // found = rectified + verified + not rectifiable + open, at every level.
        for c in report.villages.map(\.counts) + report.townships.map(\.counts) + [report.district] {
            #expect(c.problemsFound == c.problemsRectified + c.problemsVerified + c.problems.notRectifiable + c.problemsOpen)
        }
        // The overdue list: p1 alone (p2 is overdue but transferred; p8 is deleted).
        #expect(report.overdue.map(\.summary) == ["低保评定未公示"])
        let p1 = try #require(report.overdue.first)
        #expect(p1.daysOverdue == 11)
        #expect(p1.deadline == "2026-11-10")
        #expect(p1.village == "东关村" && p1.township == "城关镇")
        #expect(p1.responsible == "村支书王某")
        #expect(p1.status == .open)

        // Without the list (the formats other than HTML): the same counts, nothing listed.
        let counted = try store.tally(TallyQuery(listsOverdue: false))
        #expect(counted.overdue.isEmpty)
        #expect(counted.district == report.district)
        #expect(!counted.query.listsOverdue)
    }

    @Test("overdue is measured against the store's clock: a day later, the problem due today is overdue")
    func overdueFollowsTheClock() throws {
        let clock = FixedEnvironment()
        let store = try makeFieldStore(in: dir, clock: clock)
        _ = try store.record(.problem, ["village": "西河村", "summary": "今天到期", "deadline": "2026-11-21"])
        let p = try store.record(.problem, ["village": "西河村", "summary": "明天到期后整改中", "deadline": "2026-11-22"])
        _ = try store.rectify(p.id, status: "rectifying")
        #expect(try store.tally().district.problems.overdue == 0)
        clock.advance(86_400)
        #expect(try store.tally().district.problems.overdue == 1)
        clock.advance(86_400)
        let later = try store.tally()
        #expect(later.district.problems.overdue == 2)
        #expect(later.overdue.map(\.summary) == ["今天到期", "明天到期后整改中"])
        #expect(later.overdue.map(\.daysOverdue) == [2, 1])
        _ = try store.rectify(p.id, status: "rectified")
        #expect(try store.tally().district.problems.overdue == 1, "a rectified problem is no longer overdue")
    }

    @Test("past the limit, the overdue list holds the most overdue ones, ties broken by id, and counts the rest")
    func overdueLimit() throws {
        let store = try makeFieldStore(in: dir)
        for (summary, found, deadline) in [
            ("第四", "2026-11-03", "2026-11-15"), ("并列甲", "2026-11-02", "2026-11-12"), ("最早", "2026-11-01", "2026-11-10"),
            ("并列乙", "2026-11-02", "2026-11-12"), ("第五", "2026-11-04", "2026-11-16"),
        ] {
            _ = try store.record(.problem, ["village": "西河村", "summary": summary, "found_on": found, "deadline": deadline])
        }
        let all = try store.tally()
        #expect(all.overdue.count == 5)
        #expect(all.overdueNotTransferred == 5)
        #expect(all.overdue.first?.summary == "最早")
        #expect(Set(all.overdue[1...2].map(\.summary)) == ["并列甲", "并列乙"])
        #expect(all.overdue[1].id < all.overdue[2].id, "ties by id")
        for limit in 1...5 {
            var query = TallyQuery()
            query.overdueLimit = limit
            let limited = try store.tally(query)
            #expect(limited.overdue == Array(all.overdue.prefix(limit)), "limit \(limit)")
            #expect(limited.overdueNotTransferred == 5)
            let html = TallyHTML.render(limited)
            #expect(html.contains("另有 \(5 - limit) 个逾期问题未列出") == (limit < 5), "limit \(limit)")
        }
        let counted = TallyHTML.render(try store.tally(TallyQuery(listsOverdue: false)))
        #expect(counted.contains("另有 5 个逾期问题未列出"))
    }

    @Test("the filters count problems as they count fixes: by round, found_on, township and team")
    func filters() throws {
        let store = try storeByHand()
        let fromTheSecond = try store.tally(TallyQuery(from: "2026-11-02"))
        // p1 (found 11-01) drops out: 东关村 keeps p2, p3, p4 and both fixes (found today).
        #expect(problemFigures(try fromTheSecond.village("城关镇", "东关村").counts)
            == "found 5 spot 2 clues 1 (1/0/0) rectified 2 verified 0 cannot 0 open 3 overdue 1 rate 40%")
        #expect(fromTheSecond.overdue.isEmpty, "the one overdue problem left was transferred")
        let toTheFifth = try store.tally(TallyQuery(to: "2026-11-05"))
        #expect(problemFigures(toTheFifth.district)
            == "found 4 spot 0 clues 2 (1/1/0) rectified 1 verified 1 cannot 0 open 2 overdue 2 rate 50%")
        let township = try store.tally(TallyQuery(township: "古城乡"))
        #expect(problemFigures(township.district)
            == "found 3 spot 1 clues 2 (0/1/1) rectified 0 verified 2 cannot 1 open 0 overdue 0 rate 100%")
        #expect(township.overdue.isEmpty)
        let team = try store.tally(TallyQuery(team: "第一巡察组"))
        #expect(team.district == (try store.tally()).district)

        // Another round: nothing found, and no rate at any level.
        try store.setRound("五届第六轮")
        _ = try store.record(.problem, ["village": "西河村", "summary": "新一轮的问题"])
        let sixth = try store.tally(TallyQuery(round: "五届第六轮"))
        #expect(problemFigures(sixth.district) == "found 1 spot 0 clues 0 (0/0/0) rectified 0 verified 0 cannot 0 open 1 overdue 0 rate 0%")
        #expect(try sixth.township("城关镇").counts.rectificationPercent == nil)
        #expect(try sixth.township("城关镇").counts.problemsFound == 0)
        let fifth = try store.tally(TallyQuery(round: "五届第五轮"))
        #expect(fifth.district.problemsFound == 10)
    }

    @Test("a level with no problems has no rate: — in the table, null in JSON, empty in CSV")
    func noProblemsNoRate() throws {
        let report = try makeFieldStore(in: dir).tally()
        #expect(report.district.rectificationPercent == nil)
        #expect(report.district.problemsFound == 0)
        let table = TallyTable.render(report, by: .township, language: .zh)
        let tables = TallyRenderTests.tables(in: table)
        try #require(tables.count == 3, "\(table)")
        #expect(tables[2].totals == ["合计", "0", "0", "0", "0", "0", "0", "0", "0", "—"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TallyJSON.render(report).utf8)) as? [String: Any])
        let problems = try #require((json["district"] as? [String: Any])?["problems"] as? [String: Any])
        #expect(problems["rectification_percent"] is NSNull)
        #expect(problems["found"] as? Int == 0)
        let csv = TallyRenderTests.parseCSV(String(TallyCSV.render(report, by: .district, language: .en).dropFirst()))
        #expect(csv[1].last == "")
        // Every problem not rectifiable: nothing left to rectify, so no rate either.
        var c = TallyCounts()
        c.problems.notRectifiable = 2
        #expect(c.rectificationPercent == nil)
        #expect(TallyHTML.render(report).contains("没有逾期未整改的问题。"))
    }

    @Test("the table's third section shows the figures per row, fits 80 columns, and says the rule")
    func table() throws {
        let report = try storeByHand().tally()
        for language in ReportLanguage.allCases {
            for level in TallyLevel.allCases {
                let text = TallyTable.render(report, by: level, language: language)
                for line in text.components(separatedBy: "\n") {
                    #expect(DisplayWidth.of(line) <= 80, "\(DisplayWidth.of(line)) columns: \(line)")
                }
                for secret in Self.secrets { #expect(!text.contains(secret)) }
            }
        }
        let text = TallyTable.render(report, by: .village, language: .zh)
        let tables = TallyRenderTests.tables(in: text)
        try #require(tables.count == 3, "\(text)")
        let problems = tables[2]
        #expect(problems.header == ["乡镇/村", "问题数", "立改", "移交", "已整改", "已销号", "无法整改", "未整改", "逾期", "整改率"])
        #expect(problems.rows[0] == ["城关镇", "7", "2", "1", "2", "1", "0", "4", "2", "43%"])
        #expect(problems.rows[1] == ["东关村", "6", "2", "1", "2", "0", "0", "4", "2", "33%"])
        #expect(problems.rows[4] == ["东关村", "0", "0", "0", "0", "0", "0", "0", "0", "—"], "古城乡/东关村")
        #expect(problems.totals == ["合计", "10", "3", "3", "2", "3", "1", "4", "2", "56%"])
        #expect(text.contains("三、发现问题与整改"))
        #expect(text.contains("\n移交问题线索 3 条：纪委监委 1，组织部门 1，其他部门 1。\n逾期 2 个："), "\(text)")
        #expect(text.contains("整改率＝（已整改＋已验收销号）÷（问题数－无法整改）"), "\(text)")
        let english = TallyTable.render(report, by: .township, language: .en)
        #expect(english.contains("\nClues transferred: 3 (discipline 1, organisation 1, other 1).\nOverdue: 2,"), "\(english)")
    }

    /// The CSV header before problems were added, copied from docs/TALLY.md as it stood.
    static let oldHeaderZH = "层级,乡镇,村（社区）,类型,在册户数,已走访户数,走访覆盖率(%),五保户在册,五保户已走访,低保户在册,低保户已走访,危房改造户在册,危房改造户已走访,走访次数,座谈场次,座谈人次,公告次数,公告张数,立行立改未整改,立行立改已整改,立行立改已核实,村（社区）数,已巡察村数,巡察覆盖率(%)"
    static let oldHeaderEN = "level,township,village,kind,households,visited,coverage_percent,wubao,wubao_visited,dibao,dibao_visited,weifang,weifang_visited,visits,forums,participants,notices,copies,fixes_open,fixes_fixed,fixes_verified,villages,villages_inspected,inspected_percent"

    @Test("CSV: the old columns first, in the same order; the problem columns appended after them")
    func csv() throws {
        let report = try storeByHand().tally()
        let zh = TallyCSV.render(report, by: .village, language: .zh)
        let en = TallyCSV.render(report, by: .village, language: .en)
        #expect(zh.hasPrefix("\u{FEFF}" + Self.oldHeaderZH + ",发现问题数,"), "\(zh.prefix(400))")
        #expect(en.hasPrefix("\u{FEFF}" + Self.oldHeaderEN + ","))
        let records = TallyRenderTests.parseCSV(String(en.dropFirst()))
        let header = records[0]
        #expect(Array(header[24..<36]) == [
            "problems_found", "fixed_on_the_spot", "clues", "clues_discipline", "clues_organisation", "clues_other",
            "problems_rectified", "problems_verified", "problems_not_rectifiable", "problems_open", "problems_overdue",
            "rectification_percent",
        ])
        // Then the levels' columns, added in the same release.
        #expect(Array(header.dropFirst(36)) == ["county", "city"])
        #expect(records.allSatisfy { $0.count == header.count })
        let byName = { (record: [String]) in Dictionary(uniqueKeysWithValues: zip(header, record)) }
        let dongguan = byName(try #require(records.first { $0[0] == "village" && $0[1] == "城关镇" && $0[2] == "东关村" }))
        #expect(["problems_found", "fixed_on_the_spot", "clues", "clues_discipline", "problems_rectified", "problems_open", "problems_overdue", "rectification_percent"]
            .map { dongguan[$0]! } == ["6", "2", "1", "1", "2", "4", "2", "33"])
        let district = byName(try #require(records.first { $0[0] == "district" }))
        #expect(header[24..<36].map { district[$0]! } == ["10", "3", "3", "1", "1", "1", "2", "3", "1", "4", "2", "56"])
        let empty = byName(try #require(records.first { $0[0] == "village" && $0[1] == "古城乡" && $0[2] == "东关村" }))
        #expect(empty["rectification_percent"] == "")
        for secret in Self.secrets { #expect(!zh.contains(secret) && !en.contains(secret)) }
    }

    @Test("JSON: a problems object in every counts object, the old fields as they were")
    func json() throws {
        let report = try storeByHand().tally()
        let text = TallyJSON.render(report)
        for secret in Self.secrets { #expect(!text.contains(secret)) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "fieldbook.tally/1")
        let district = try #require(json["district"] as? [String: Any])
        #expect(Set(district.keys) == [
            "households", "visited", "coverage_percent", "priority", "visits", "forums", "participants", "notices", "copies",
            "fixes", "villages", "villages_inspected", "inspected_percent", "problems", "priority_households",
        ])
        #expect(district["fixes"] as? [String: Int] == ["open": 1, "fixed": 1, "verified": 1])
        let problems = try #require(district["problems"] as? [String: Any])
        #expect(problems["found"] as? Int == 10)
        #expect(problems["fixed_on_the_spot"] as? Int == 3)
        #expect(problems["clues"] as? [String: Int] == ["total": 3, "discipline": 1, "organisation": 1, "other": 1])
        #expect(problems["rectified"] as? Int == 2)
        #expect(problems["verified"] as? Int == 3)
        #expect(problems["not_rectifiable"] as? Int == 1)
        #expect(problems["open"] as? Int == 4)
        #expect(problems["overdue"] as? Int == 2)
        #expect(problems["rectification_percent"] as? Int == 56)
        #expect(Set(problems.keys).count == 9)
        let villages = try #require(json["villages"] as? [[String: Any]])
        let empty = try #require(villages.first { $0["township"] as? String == "古城乡" && $0["name"] as? String == "东关村" })
        #expect((empty["problems"] as? [String: Any])?["rectification_percent"] is NSNull)
        #expect((json["unknown_villages"] as? [String: Any])?["problems"] != nil)
    }

    @Test("HTML: the rate per township, the overdue list, and never a transferred problem's content")
    func html() throws {
        let store = try storeByHand()
        let report = try store.tally()
        for language in ReportLanguage.allCases {
            for level in TallyLevel.allCases {
                let html = TallyHTML.render(report, by: level, language: language)
                for secret in Self.secrets { #expect(!html.contains(secret), "\(language) \(level): \(secret)") }
                #expect(html.contains("低保评定未公示"))
            }
        }
        let html = TallyHTML.render(report, by: .village, language: .zh)
        let section = String(html[try #require(html.firstRange(of: /<section class="problems">(.|\n)*?<\/section>/))])
        #expect(section.contains("<h2>发现问题与整改</h2>"))
        #expect(section.components(separatedBy: "<div class=\"ratebar\">").count - 1 == report.townships.count)
        #expect(section.contains(">43%</text>") && section.contains(">3/7</text>"), "城关镇's bar")
        #expect(section.contains(">100%</text>") && section.contains(">2/2</text>"), "古城乡's bar")
        #expect(section.contains("逾期 2"))
        let overdue = String(section[try #require(section.firstRange(of: /<table class="overdue">(.|\n)*?<\/table>/))])
        #expect(overdue.components(separatedBy: "<tr>").count - 1 == 2, "the header and p1")
        #expect(overdue.contains("<td>城关镇/东关村</td><td class=\"text\">低保评定未公示</td><td>2026-11-10</td><td class=\"gap\">11</td><td class=\"text\">村支书王某</td>"), "\(overdue)")
        let totals = String(section[try #require(section.firstRange(of: /<tfoot><tr>.*?<\/tr>/))])
        #expect(totals.matches(of: /<td[^>]*>(.*?)<\/td>/).map { String($0.1) } == ["合计", "10", "3", "3", "1", "1", "1", "2", "3", "1", "4", "2", "56%"])
        #expect(html.contains("10 <em>整改率 56%</em>"), "the district's card")
        // The section comes before the detail table, whose rows stay as they were.
        let problemsAt = try #require(html.range(of: "<section class=\"problems\">"))
        let detailAt = try #require(html.range(of: "<section class=\"detail\">"))
        #expect(problemsAt.lowerBound < detailAt.lowerBound)

        // Only transferred problems overdue: counted, not listed.
        let onlyTransferred = try store.tally(TallyQuery(from: "2026-11-02"))
        let page = TallyHTML.render(onlyTransferred, by: .township, language: .zh)
        #expect(page.contains("逾期的问题均已移交线索：只计数，不列出。"))
        #expect(!page.contains("<table class=\"overdue\">"))
        for secret in Self.secrets { #expect(!page.contains(secret)) }
    }

    /// Whether a statement's bytecode reads a column of `table`'s rows (not of an index on it). A
    /// partial index is reported as `USING INDEX`, not `COVERING INDEX`, because its WHERE column
    /// (`deleted`) is not among its keys; SQLite then seeks the table row lazily (`DeferredSeek`), only
    /// when a column the index lacks is read, so no `Column` of the table's cursor means no table row read.
    static func readsTableRows(_ db: Database, _ sql: String, _ arguments: StatementArguments, table: String) throws -> Bool {
        let root = try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table])
        let program = try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: arguments)
        let cursors = Set(program.filter { ($0["opcode"] as String) == "OpenRead" && ($0["p2"] as Int) == root }.map { $0["p1"] as Int })
        return program.contains { row in
            ["Column", "SeekRowid", "NotExists", "Rowid"].contains(row["opcode"] as String) && cursors.contains(row["p1"] as Int)
        }
    }

    @Test("the problems statement reads problem_tally and never a table row; the overdue one finds its rows through it")
    func usesTheProblemIndex() throws {
        let store = try storeByHand()
        try store.dbQueue.read { db in
            for query in [TallyQuery(), TallyQuery(round: "五届第五轮", from: "2026-01-01", to: "2026-12-31", township: "城关镇", team: "第一巡察组")] {
                let filter = try TallyFilter(query, store: store, db: db)
                let arguments = StatementArguments(["2026-11-21", "2026-11-21"]) + filter.arguments
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + TallySQL.problems(filter), arguments: arguments)
                    .map { $0["detail"] as String }.joined(separator: "\n")
                #expect(plan.contains("USING INDEX problem_tally") || plan.contains("COVERING INDEX problem_tally"), "\(plan)")
                #expect(!plan.contains("SCAN problem\n") && !plan.hasSuffix("SCAN problem"), "\(plan)")
                #expect(try !Self.readsTableRows(db, TallySQL.problems(filter), arguments, table: "problem"), "\(TallySQL.problems(filter))")
                #expect(!plan.contains("TEMP B-TREE FOR GROUP BY"), "grouped in index order: \(plan)")
                let overdue = try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + TallySQL.overdue(filter, cutoff: true),
                    arguments: StatementArguments(["2026-11-21", "2026-11-21"]) + filter.arguments + ["2026-11-10", "2026-11-10", "2026-11-01", 300]
                ).map { $0["detail"] as String }.joined(separator: "\n")
                #expect(overdue.contains("INDEX problem_tally"), "\(overdue)")
                let cutoffArguments = StatementArguments(["2026-11-21"]) + filter.arguments + [299]
                #expect(try !Self.readsTableRows(db, TallySQL.overdueCutoff(filter), cutoffArguments, table: "problem"))
            }
            // The check can fail: the overdue statement reads the summaries from the table's rows.
            let filter = try TallyFilter(TallyQuery(), store: store, db: db)
            #expect(try Self.readsTableRows(db, TallySQL.overdue(filter, cutoff: false), ["2026-11-21", "2026-11-21", 300], table: "problem"))
        }
    }

    @Test("problems recorded, rectified, verified and transferred on two laptops give one tally in any merge order")
    func mergeInAnyOrder() throws {
        let office = try makeCentral(in: dir, name: "office.sqlite")
        _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
        let roster = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
        let a = try makeLaptop(in: dir, name: "笔记本A", clock: FixedEnvironment(seed: 31))
        let b = try makeLaptop(in: dir, name: "笔记本B", clock: FixedEnvironment(seed: 32))
        _ = a.merge(bundleAt: roster)
        _ = b.merge(bundleAt: roster)

        let late = try a.record(.problem, ["village": "城关镇/东关村", "summary": "低保评定未公示", "found_on": "2026-11-01", "deadline": "2026-11-10"])
        let clue = try a.record(.problem, ["village": "城关镇/东关村", "summary": "村支书优亲厚友", "deadline": "2026-11-21"])
        _ = try a.transfer(clue.id, to: "discipline")
        let done = try a.record(.problem, ["village": "西河村", "summary": "账目不清"])
        _ = try a.rectify(done.id, status: "rectified")
        _ = try a.record(.fix, ["village": "西河村", "problem": "台账缺页", "status": "fixed"])
        let a1 = try #require(try a.pack(into: dir.path("stick"))).path
        // B checks A's rectification off (another device), finds one of its own, and A deletes a wrong entry.
        #expect(b.merge(bundleAt: a1).status == .merged)
        _ = try b.rectify(done.id, status: "verified")
        let own = try b.record(.problem, ["village": "新华社区", "summary": "服务中心无人值守", "deadline": "2026-11-15", "found_on": "2026-11-02"])
        _ = try b.rectify(own.id, status: "not-rectifiable")
        _ = try b.transfer(own.id, to: "组织部门")
        let wrong = try a.record(.problem, ["village": "西河村", "summary": "录错了", "found_on": "2026-11-01", "deadline": "2026-11-02"])
        _ = try a.delete(wrong.id)
        _ = try a.rectify(late.id, status: "rectifying")
        let a2 = try #require(try a.pack(into: dir.path("stick"))).path
        let b1 = try #require(try b.pack(into: dir.path("stick"))).path

        var reference: TallyReport?
        for (n, order) in permutations([a1, a2, b1]).enumerated() {
            var bundles = order
            bundles.insert(roster, at: n % 4)
            let central = try makeCentral(in: dir, name: "central-\(n).sqlite", round: nil)
            for bundle in bundles {
                let outcome = central.merge(bundleAt: bundle)
                if case .rejected(let reason) = outcome.status { Issue.record("\(bundle): \(reason)") }
            }
            var report = try central.tally()
            report.generatedAt = ""
            if let reference {
                #expect(report == reference, "order \(n) gave another tally")
            } else {
                reference = report
            }
        }
        let report = try #require(reference)
        #expect(problemFigures(report.district)
            == "found 5 spot 1 clues 2 (1/1/0) rectified 1 verified 1 cannot 1 open 2 overdue 1 rate 50%")
        #expect(report.overdue.map(\.summary) == ["低保评定未公示"])
        #expect(report.overdue.first?.status == .rectifying)
    }
}
