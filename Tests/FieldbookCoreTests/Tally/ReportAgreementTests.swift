import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Issue 12: reports that never mislead. The HTML page's priority card counts households (a
/// household of two kinds once), as the tally and `pending` do; the printed page keeps each
/// township's head on its pages and the totals once; dates after today, unknown names and new
/// rounds are said as they are.
@Suite("Reports agree: priority households once, the printed page, dates after today, unknown names")
struct ReportAgreementTests {
    let dir = TemporaryDirectory("agree")

    /// The sample roster (DG002 is 低保户 and 危房改造户: four priority households, five kinds),
    /// with DG001 (五保户) and DG002 visited.
    func visited() throws -> Store {
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.visit, ["household": "DG002"])
        _ = try store.record(.visit, ["household": "DG002"])
        return store
    }

    // MARK: Priority households, each once

    @Test("the card, the tally and pending give the same priority households for a household of two kinds")
    func cardTallyAndPendingAgree() throws {
        let store = try visited()
        let report = try store.tally()
        let pending = try store.pending(PendingQuery(priorityOnly: true, rounds: .all))
        let d = report.district
        // Four households of five kinds: the kinds add up to more than the households.
        #expect(PriorityKind.allCases.reduce(0) { $0 + d[$1].households } == 5)
        #expect(d.priority == PriorityTally(households: 4, visited: 2))
        #expect(pending.households == d.priority.households && pending.visited == d.priority.visited)
        #expect(pending.pending.count == d.priority.notVisited)
        // Per village too: each village's priority figure is its pending list's.
        for village in report.villages {
            let township = try #require(report.townships.first { $0.villages.contains(village) }?.name)
            let list = try store.pending(PendingQuery(village: "\(township)/\(village.name)", priorityOnly: true, rounds: .all))
            #expect(list.households == village.counts.priority.households, "\(village.name)")
            #expect(list.visited == village.counts.priority.visited, "\(village.name)")
        }
        // The same under a round filter, against pending's round.
        let round = try store.tally(TallyQuery(round: "五届第五轮")).district.priority
        let roundList = try store.pending(PendingQuery(priorityOnly: true, rounds: .named("五届第五轮")))
        #expect(round.households == roundList.households && round.visited == roundList.visited)

        // The JSON says the same.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TallyJSON.render(report).utf8)) as? [String: Any])
        #expect((json["district"] as? [String: Any])?["priority_households"] as? [String: Int] == ["households": 4, "visited": 2])

        let html = TallyHTML.render(report, by: .village, language: .zh)
        let card = try #require(html.firstMatch(of: /<div class="label">重点户走访[^<]*<\/div><div class="big">(.*?)<\/div><div class="sub">(.*?)<\/div>/))
        #expect(String(card.1) == "2 <small>/ 4</small> <em>50%</em>", "the card counts households: \(card.0)")
        #expect(card.2.contains("五保户 1/1") && card.2.contains("低保户 1/2") && card.2.contains("危房改造户 1/2"), "the kinds beside: \(card.2)")
        #expect(card.2.contains("一户属两类的"), "says why the kinds add up to more")
        // The gaps table's last column counts households: 古城乡's two, each once.
        let gaps = String(html[try #require(html.firstRange(of: /<table class="gaptable">(.|\n)*?<\/table>/))])
        let totals = try #require(gaps.firstMatch(of: /<tfoot><tr>(.*?)<\/tr><\/tfoot>/))
        let cells = String(totals.1).matches(of: /<td[^>]*>(.*?)<\/td>/).map { String($0.1) }
        #expect(cells.last == String(pending.pending.count), "\(cells)")
    }

    @Test("a household of two kinds not yet visited is one household left, on the bar and in the gaps table")
    func gapsCountHouseholdsOnce() throws {
        let store = try makeFieldStore(in: dir)
        let report = try store.tally()
        let village = try #require(report.townships.first { $0.name == "城关镇" }?.villages.first { $0.name == "东关村" })
        #expect(village.counts.priority == PriorityTally(households: 2, visited: 0))
        let html = TallyHTML.render(report, by: .village, language: .zh)
        #expect(html.contains(">缺 2</text>"), "DG001 and DG002: two households, three kinds")
        #expect(!html.contains(">缺 3</text>"))
        #expect(html.contains("<td>城关镇/东关村</td>") && html.contains("<td class=\"gap\">2</td></tr>"))
    }

    // MARK: The printed page

    @Test("printed on A4: each township's table repeats its head, the totals come once, the chart's groups repeat caption and axis")
    func printedStructure() throws {
        let store = try visited()
        let report = try store.tally()
        let html = TallyHTML.render(report, by: .village, language: .zh)
        // The style: heads repeat on each page, footers do not, a township's section is kept whole where it fits.
        #expect(html.contains("thead { display: table-header-group; }"))
        #expect(html.contains("tfoot { display: table-row-group; }"))
        #expect(html.contains("figure.group { margin: 0 0 3.5mm; break-inside: avoid; }"))
        #expect(html.contains("table.tally.township, table.tally.county { table-layout: fixed; break-inside: avoid;"))

        // The detail: one table per township, whose head holds the columns and the township's row.
        let detail = String(html[try #require(html.firstRange(of: /<section class="detail">(.|\n)*?<\/section>/))])
        let tables = detail.matches(of: /<table class="tally township">(.|\n)*?<\/table>/).map { String($0.0) }
        #expect(tables.count == report.townships.count)
        for (table, township) in zip(tables, report.townships) {
            let head = String(table[try #require(table.firstRange(of: /<thead>(.|\n)*?<\/thead>/))])
            #expect(head.contains("<th>乡镇/村</th>") && head.contains("<th>危房改造户</th>"))
            #expect(head.contains("<tr class=\"township\" data-level=\"township\"><td>\(township.name ?? "")</td>"), "\(head)")
            let body = String(table[try #require(table.firstRange(of: /<tbody>(.|\n)*?<\/tbody>/))])
            #expect(body.components(separatedBy: "data-level=\"village\"").count - 1 == township.villages.count)
            #expect(!table.contains("<tfoot>"), "no totals under a township")
            // Every table has the same columns, so that they read as one.
            #expect(table.contains("<colgroup>") && table.components(separatedBy: "<col ").count - 1 == TallyHTML.columnWidths.count)
        }
        // The totals once, in the last table's footer, after every township.
        #expect(html.components(separatedBy: "data-level=\"total\"").count - 1 == 1)
        let last = try #require(detail.ranges(of: "<table class=").last)
        #expect(detail[last.lowerBound...].hasPrefix("<table class=\"tally totals\">"))
        #expect(detail[last.lowerBound...].contains("<tfoot>\n<tr class=\"total\" data-level=\"total\"><td>合计</td>"))

        // The chart: each township's bars under a head that holds its caption and the axis.
        let groups = html.matches(of: /<figure class="group"><table class="bars">\n<thead><tr><th><div class="caption">([^<]*)<\/div><div class="axis">/)
        #expect(groups.map { String($0.1).components(separatedBy: " · ")[0] } == report.townships.map { $0.name ?? "" })

        // The same labels everywhere, and the fonts Windows and Linux have.
        #expect(!html.contains("危房户"), "危房改造户 throughout")
        for font in ["\"Microsoft YaHei\"", "\"SimSun\"", "\"Noto Sans CJK SC\""] { #expect(html.contains(font), "\(font)") }
        #expect(html.contains("fonts-noto-cjk"))
        // By township: one table, the totals in its footer.
        let byTownship = TallyHTML.render(report, by: .township, language: .zh)
        #expect(byTownship.components(separatedBy: "<table class=\"tally\">").count - 1 == 1)
        #expect(byTownship.contains("</tbody>\n<tfoot>\n<tr class=\"total\""))
    }

    @Test("figures carry thousands separators in every row, the totals included")
    func thousandsSeparators() throws {
        var report = try visited().tally()
        report.townships[0].villages[0].counts.households = 12345
        report.townships[0].counts.wubao = PriorityTally(households: 1723, visited: 1043)
        report.district.households = 42499
        report.district.visited = 14338
        report.district.dibao = PriorityTally(households: 11723, visited: 1043)
        let html = TallyHTML.render(report, by: .village, language: .zh)
        let total = try #require(html.firstMatch(of: /<tr class="total" data-level="total">(.*?)<\/tr>/))
        let cells = String(total.1).matches(of: /<td>(.*?)<\/td>/).map { String($0.1) }
        #expect(Array(cells.prefix(3)) == ["合计", "42,499", "14,338"], "\(cells)")
        #expect(cells.contains("1,043/11,723"), "\(cells)")
        #expect(html.contains("<td>12,345</td>"))
        #expect(html.contains("<td>1,043/1,723</td>"))
        #expect(TallyHTML.grouped("1043/1723") == "1,043/1,723" && TallyHTML.grouped("100%") == "100%" && TallyHTML.grouped("—") == "—")
    }

    @Test("the English page reads in English")
    func englishPage() throws {
        let html = TallyHTML.render(try visited().tally(), by: .village, language: .en)
        #expect(html.contains("Priority households visited (each household once)"))
        #expect(html.contains("2 <small>/ 4</small> <em>50%</em>"))
        #expect(html.contains("A household of two kinds counts in each kind, once above."))
        #expect(!html.contains("重点户走访"))
    }

    // MARK: Dates after today

    @Test("a date after today is refused with the reason, unless allowed; a deadline may lie ahead")
    func futureDates() throws {
        let clock = FixedEnvironment()  // 2026-11-21 in Shanghai
        let store = try makeFieldStore(in: dir, clock: clock)
        #expect(throws: FieldbookError.self) { try store.record(.visit, ["household": "DG001", "date": "2026-11-22"]) }
        do {
            _ = try store.record(.forum, ["village": "城关镇/东关村", "participants": "12", "date": "2027-01-01"])
            Issue.record("a forum dated 2027 was recorded")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 64)
            #expect(error.message.contains("2027-01-01") && error.message.contains("2026-11-21") && error.message.contains("--allow-future"), "\(error.message)")
        }
        #expect(try store.list().isEmpty, "nothing was written")
        _ = try store.record(.visit, ["household": "DG001", "date": "2026-11-21"])
        // A deadline plans ahead.
        let problem = try store.record(.problem, ["village": "城关镇/东关村", "summary": "低保评定未公示", "deadline": "2027-03-01"])
        // A step of the rectification is done work: not after today.
        #expect(message { _ = try store.rectify(problem.id, status: "rectifying", date: "2026-12-01") }.contains("--allow-future"))
        #expect(message { _ = try store.edit(problem.id, set: [("found_on", "2026-11-30")]) }.contains("--allow-future"))
        _ = try store.rectify(problem.id, status: "rectifying", date: "2026-11-21")

        var allowing = clock.environment
        allowing.allowsFutureDates = true
        let laptop = try Store.open(at: dir.path("field.sqlite"), environment: allowing)
        let visit = try laptop.record(.visit, ["household": "DG002", "date": "2026-11-22"])
        #expect(visit.values["date"] == .text("2026-11-22"))

        // The one rule: a date field that records work, against today.
        let date = try #require(RecordKind.visit.field("date"))
        let deadline = try #require(RecordKind.problem.field("deadline"))
        #expect(ChangeRules.futureDateProblem("2026-11-21", date, today: "2026-11-21") == nil)
        #expect(ChangeRules.futureDateProblem("2026-11-22", date, today: "2026-11-21") != nil)
        #expect(ChangeRules.futureDateProblem("2030-01-01", deadline, today: "2026-11-21") == nil)
        #expect(RecordKind.allCases.flatMap(\.fields).filter(\.planned).map(\.name) == ["deadline"])
    }

    @Test("a bundle from a laptop whose clock runs ahead still merges its future-dated records")
    func futureDatesInBundlesMerge() throws {
        // The laptop's clock says 2026-12-05; the office's 2026-11-21.
        let ahead = FixedEnvironment(start: Date(timeIntervalSince1970: 1_795_222_800 + 14 * 86_400), seed: 3)
        let laptop = try makeFieldStore(in: dir, name: "ahead.sqlite", device: "笔记本9", clock: ahead)
        _ = try laptop.record(.visit, ["household": "DG003"])
        let bundle = try #require(try laptop.pack(into: dir.path("stick")))
        let office = try makeOfficeStore(in: dir)
        let outcome = office.merge(bundleAt: bundle.path)
        #expect(outcome.status == .merged, "merged, not refused for a date after the office's today: \(outcome.status)")
        #expect(try office.list().map { $0.values["date"] } == [.text("2026-12-05")])
    }

    // MARK: Names

    @Test("an unknown township, county, city, team or category exits 1 and lists what the store holds")
    func unknownNames() throws {
        let store = try visited()
        for query in [TallyQuery(township: "不存在乡"), TallyQuery(team: "第九巡察组"), TallyQuery(county: "夏邑县")] {
            do {
                _ = try store.tally(query)
                Issue.record("\(query) was tallied")
            } catch let error as FieldbookError {
                #expect(error.exitCode == 1, "\(error.message)")
                #expect(!error.message.contains("\n"))
            }
        }
        let township = message { _ = try store.tally(TallyQuery(township: "不存在乡")) }
        #expect(township.contains("不存在乡") && township.contains("城关镇, 古城乡"), "\(township)")
        let category = message { _ = try store.record(.problem, ["village": "城关镇/东关村", "summary": "x", "category": "没有这类"]) }
        #expect(category.contains("没有这类") && category.contains("farm-subsidies"), "\(category)")
        do {
            _ = try store.record(.problem, ["village": "城关镇/东关村", "summary": "x", "category": "没有这类"])
        } catch let error as FieldbookError {
            #expect(error.exitCode == 1)
            guard case .unknownName(let field, let value, _) = error else { Issue.record("\(error)"); return }
            #expect(field == "category" && value == "没有这类")
        }
    }

    @Test("setting a round says whether it is new, and which rounds the store held")
    func newRound() throws {
        let store = try visited()
        #expect(try store.setRound("五届第五轮") == nil)
        #expect(try store.setRound("五届第六轮") == ["五届第五轮"])
        #expect(try store.setRound(" 五届第六轮 ") == nil)
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch let error as FieldbookError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
