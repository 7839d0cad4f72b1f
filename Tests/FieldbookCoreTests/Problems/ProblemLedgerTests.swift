import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The rectification ledger (整改台账): which problems, in which order, how many days overdue on the
/// store's clock, and what each rendering shows.
@Suite struct ProblemLedgerTests {
    /// A laptop whose clock reads 2026-11-21 (Shanghai), with problems in every state.
    struct Fixture {
        let dir = TemporaryDirectory("ledger")
        let clock = FixedEnvironment()
        let store: Store
        var ids: [String: String] = [:]

        init() throws {
            store = try makeFieldStore(in: dir, clock: clock)
            func add(_ name: String, _ inputs: [String: String]) throws -> String {
                var inputs = inputs
                inputs["summary"] = inputs["summary"] ?? name
                inputs["village"] = inputs["village"] ?? "城关镇/东关村"
                inputs["found_on"] = inputs["found_on"] ?? "2026-10-01"
                return try store.record(.problem, inputs).id
            }
            ids["late20"] = try add("低保评定未公示", ["deadline": "2026-11-01", "category": "farm-subsidies", "responsible": "村支书"])
            ids["late10"] = try add("村务公开不及时", ["deadline": "2026-11-11", "village": "古城乡/西河村"])
            ids["late1"] = try add("三资台账缺失", ["deadline": "2026-11-20", "category": "村级三资管理"])
            ids["due"] = try add("道路破损未修", ["deadline": "2026-12-01"])
            ids["noDeadline"] = try add("党员学习记录不全", [:])
            ids["rectified"] = try add("公示栏未更新", ["deadline": "2026-11-01"])
            ids["verified"] = try add("危房改造进度慢", ["deadline": "2026-11-05"])
            ids["dueToday"] = try add("补助发放延迟", ["deadline": "2026-11-21"])
            _ = try store.rectify(ids["late10"]!, status: "rectifying", measures: "已制定公开计划")
            _ = try store.rectify(ids["rectified"]!, status: "rectified", measures: "已更新", date: "2026-11-02")
            _ = try store.rectify(ids["verified"]!, status: "rectified", date: "2026-11-03")
            _ = try store.rectify(ids["verified"]!, status: "verified", date: "2026-11-04", by: "王五")
        }

        func name(_ id: String) -> String { ids.first { $0.value == id }?.key ?? id }
    }

    @Test func overdueFirstMostDaysFirstThenByDeadlineThenTheRest() throws {
        let f = try Fixture()
        let ledger = try f.store.problemLedger()
        #expect(ledger.today == "2026-11-21")
        #expect(ledger.items.map { f.name($0.id) } == [
            "late20", "late10", "late1", "dueToday", "due", "noDeadline", "rectified", "verified",
        ])
        #expect(ledger.items.map(\.daysOverdue) == [20, 10, 1, nil, nil, nil, nil, nil])
        #expect(ledger.overdue == 3)
        #expect(ledger.items[0].categoryName == "惠农资金")
        #expect(ledger.items[2].categoryKey == "village-assets")
        #expect(ledger.items[1].village == "西河村" && ledger.items[1].township == "古城乡")
        // Ten days later the same problems are further overdue, and the one due today is too.
        f.clock.advance(10 * 86_400)
        let later = try f.store.problemLedger()
        #expect(later.today == "2026-12-01")
        #expect(later.items.prefix(4).map { f.name($0.id) } == ["late20", "late10", "late1", "dueToday"])
        #expect(later.items.prefix(4).map(\.daysOverdue) == [30, 20, 11, 10])
        // Due on the 1st of December is not overdue on that day.
        #expect(later.items.first { f.name($0.id) == "due" }?.daysOverdue == nil)
    }

    @Test func filtersByStatusOverdueVillageAndRound() throws {
        let f = try Fixture()
        #expect(try f.store.problemLedger(.init(overdueOnly: true)).items.map { f.name($0.id) } == ["late20", "late10", "late1"])
        #expect(try f.store.problemLedger(.init(status: "整改中")).items.map { f.name($0.id) } == ["late10"])
        #expect(try f.store.problemLedger(.init(status: "verified")).items.map { f.name($0.id) } == ["verified"])
        let west = try f.store.problemLedger(.init(village: "西河村"))
        #expect(west.village == "古城乡/西河村")
        #expect(west.items.map { f.name($0.id) } == ["late10"])
        #expect(try f.store.problemLedger(.init(round: "五届第五轮")).items.count == 8)
        do {
            _ = try f.store.problemLedger(.init(status: "done"))
            Issue.record("an unknown status was accepted")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 64)
            #expect(error.message.contains("rectifying"))
        }
        #expect(throws: FieldbookError.self) { try f.store.problemLedger(.init(round: "没有这一轮")) }
        // A deleted problem leaves the ledger.
        _ = try f.store.delete(f.ids["late20"]!)
        #expect(try f.store.problemLedger().items.count == 7)
    }

    @Test func daysBetweenCalendarDays() {
        #expect(DayNumber.of("1970-01-01") == 0)
        #expect(DayNumber.of("2026-11-21")! - DayNumber.of("2026-10-22")! == 30)
        #expect(DayNumber.of("2025-03-01")! - DayNumber.of("2025-02-28")! == 1)
        #expect(DayNumber.of("2024-03-01")! - DayNumber.of("2024-02-28")! == 2)
        #expect(DayNumber.of("2027-01-01")! - DayNumber.of("2026-12-31")! == 1)
        #expect(DayNumber.of("2026-13-01") == nil)
        #expect(ProblemLedger.daysOverdue(deadline: "2026-11-20", status: .rectifying, today: "2026-11-21") == 1)
        #expect(ProblemLedger.daysOverdue(deadline: "2026-11-20", status: .rectified, today: "2026-11-21") == nil)
        #expect(ProblemLedger.daysOverdue(deadline: "2026-11-21", status: .open, today: "2026-11-21") == nil)
        #expect(ProblemLedger.daysOverdue(deadline: nil, status: .open, today: "2026-11-21") == nil)
    }

    @Test func theTableFitsEightyColumnsAndLinesUp() throws {
        let f = try Fixture()
        _ = try f.store.record(.problem, [
            "village": "城关镇/新华社区", "summary": String(repeating: "村集体经济合同管理混乱", count: 4), "deadline": "2026-11-15",
            "responsible": "新华社区居委会主任及会计", "category": "全面从严治党不力", "found_on": "2026-11-01",
        ])
        let text = ProblemLedgerReport.table(try f.store.problemLedger())
        let lines = text.split(separator: "\n").map(String.init)
        for line in lines { #expect(DisplayWidth.of(line) <= 80, "too wide: \(line)") }
        #expect(lines[0] == "整改台账")
        #expect(lines[1] == "轮次：全部　截至 2026-11-21")
        let header = try #require(lines.first { $0.hasPrefix("编号") })
        #expect(header.contains("整改时限") && header.contains("状态") && header.contains("逾期") && header.contains("措施"))
        // Every row's deadline starts in the header's column.
        let column = try #require(header.range(of: "整改时限").map { DisplayWidth.of(String(header[..<$0.lowerBound])) })
        let rows = lines.filter { $0.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) != nil && !$0.hasPrefix("轮次") }
        #expect(rows.count == 8)  // every problem with a deadline
        for row in rows {
            let date = try #require(row.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression))
            #expect(DisplayWidth.of(String(row[..<date.lowerBound])) == column, "misaligned: \(row)")
        }
        #expect(text.contains("20天"))
        #expect(lines.last == "共 9 个问题：未整改 6 个，整改中 1 个，已整改 1 个，已验收销号 1 个；逾期 4 个。")
        #expect(text.replacingOccurrences(of: "\n", with: " ").contains(
            "状态 status：未整改 open，整改中 rectifying，已整改 rectified，已验收销号 verified，无法整改 not-rectifiable。"))
        // Wide enough, every column shows, the day found too.
        let wide = ProblemLedgerReport.table(try f.store.problemLedger(), width: 160)
        #expect(wide.contains("发现日期") && wide.contains("类别") && wide.contains("责任人") && wide.contains("惠农资金"))
    }

    @Test func nothingOverdueNoOverdueColumnAndAShrinkingColumnKeepsItsMinimum() throws {
        let f = try Fixture()
        let onTime = ProblemLedgerReport.table(try f.store.problemLedger(.init(status: "rectified")))
        let header = try #require(onTime.split(separator: "\n").first { $0.hasPrefix("编号") })
        #expect(!header.contains("逾期") && header.contains("措施") && onTime.contains("公示栏未更新"))
        #expect(onTime.split(separator: "\n").last == "共 1 个问题：已整改 1 个；逾期 0 个。")
        var table = TextTable(columns: [
            .init("a", shrinks: true, minWidth: 20), .init("b", shrinks: true),
        ])
        table.add([String(repeating: "甲", count: 30), String(repeating: "乙", count: 30)])
        let first = try #require(table.render(maxWidth: 40).split(separator: "\n").last)
        #expect(DisplayWidth.of(String(first)) <= 40)
        #expect(first.hasPrefix(String(repeating: "甲", count: 9) + "…"))
    }

    @Test func csvAndJSONHoldEveryItemWithBothStatusWords() throws {
        let f = try Fixture()
        let ledger = try f.store.problemLedger()
        let csv = ProblemLedgerReport.csv(ledger)
        #expect(csv.hasPrefix("\u{FEFF}编号,乡镇,村,问题,类别,类别代码,发现日期,责任人,整改时限,状态,status,"))
        let rows = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == 9)
        #expect(rows[1].hasPrefix(f.ids["late20"]! + ",城关镇,东关村,低保评定未公示,惠农资金,farm-subsidies,2026-10-01,村支书,2026-11-01,未整改,open,,20,"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ProblemLedgerReport.json(ledger).utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "fieldbook.problems/1")
        #expect(json["as_of"] as? String == "2026-11-21")
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == ledger.items.map(\.id))
        #expect(items[1]["status"] as? String == "rectifying" && items[1]["status_name"] as? String == "整改中")
        #expect(items[0]["days_overdue"] as? Int == 20 && items[0]["overdue"] as? Bool == true)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["problems"] as? Int == 8 && totals["overdue"] as? Int == 3)
        #expect((totals["status"] as? [String: Int])?["open"] == 5)
    }

    /// Text that must never leave the store except through `show`.
    static let secret = "举报人王某某称村支书挪用低保金"
    static let note = "涉及村支书张某，移交编号2026-17"

    @Test func aTransferredCluesDetailAppearsInNoReport() throws {
        let f = try Fixture()
        let clue = try f.store.record(.problem, [
            "village": "城关镇/东关村", "summary": "村干部优亲厚友", "detail": Self.secret, "deadline": "2026-11-10",
            "found_on": "2026-11-01", "category": "favouritism",
        ])
        let plain = try f.store.record(.problem, [
            "village": "城关镇/东关村", "summary": "账目未公开", "detail": "普通问题的详细情况",
        ])
        _ = try f.store.transfer(clue.id, to: "discipline", date: "2026-11-15", note: Self.note)
        let ledger = try f.store.problemLedger()
        let item = try #require(ledger.items.first { $0.id == clue.id })
        #expect(item.transferredTo == .discipline && item.isOverdue)
        let outputs = [
            "table": ProblemLedgerReport.table(ledger), "wide table": ProblemLedgerReport.table(ledger, width: 300),
            "csv": ProblemLedgerReport.csv(ledger), "json": ProblemLedgerReport.json(ledger),
            "overdue": ProblemLedgerReport.table(try f.store.problemLedger(.init(overdueOnly: true))),
        ]
        for (name, text) in outputs {
            #expect(!text.contains(Self.secret) && !text.contains("王某某"), "\(name) shows the detail")
            #expect(!text.contains(Self.note) && !text.contains("张某"), "\(name) shows the transfer note")
            #expect(text.contains(name == "json" ? "\"transferred_to_name\" : \"纪委监委\"" : "已移交纪委监委"), "\(name) does not mark the transfer")
            #expect(text.contains("村干"), "\(name) leaves the item out")
        }
        for name in ["table", "overdue"] { #expect(outputs[name]!.contains("[已移交纪委监委] 村干"), "\(outputs[name]!)") }
        #expect(outputs["wide table"]!.contains("[已移交纪委监委] 村干部优亲厚友"))
        #expect(outputs["csv"]!.contains("村干部优亲厚友") && outputs["json"]!.contains("村干部优亲厚友"))
        #expect(outputs["table"]!.contains("移交问题线索 1 条（纪委监委 1 条）"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outputs["json"]!.utf8)) as? [String: Any])
        let items = try #require(json["items"] as? [[String: Any]])
        let entry = try #require(items.first { $0["id"] as? String == clue.id })
        #expect(entry["sensitive"] as? Bool == true && entry["transferred_to"] as? String == "discipline")
        #expect(entry["detail"] == nil)
        #expect(items.first { $0["id"] as? String == plain.id }?["sensitive"] as? Bool == false)

        // `list`: the row is marked, the detail absent, in the table and in JSON.
        let records = try f.store.list(RecordFilter(kinds: [.problem]))
        let listed = RecordReport.table(records, shortIDs: try f.store.shortIDs(for: records.map(\.id)))
        #expect(listed.contains("[open·clue to discipline] 村干部"), "\(listed)")
        #expect(listed.contains("[open] 账目未公开"))
        let listJSON = JSONValue.array(records.map { RecordReport.json($0) }).rendered()
        #expect(!listJSON.contains(Self.secret) && !listJSON.contains(Self.note))
        #expect(listJSON.contains("普通问题的详细情况"))  // an ordinary problem's detail is not withheld
        let one = try #require(try JSONSerialization.jsonObject(with: Data(RecordReport.json(try f.store.record(id: clue.id)).rendered().utf8)) as? [String: Any])
        #expect(one["sensitive"] as? Bool == true)
        #expect(one["detail"] is NSNull && one["transfer_note"] is NSNull)
        #expect(one["withheld"] as? [String] == ["detail", "transfer_note"])
        #expect(RecordReport.summary(try f.store.record(id: clue.id)).hasSuffix("[open] 村干部优亲厚友 [clue transferred to discipline]"))

        // `show` is the one place that prints it, under a warning, each line marked.
        let shown = RecordReport.detail(try f.store.record(id: clue.id))
        let shownLines = shown.split(separator: "\n").map(String.init)
        #expect(shownLines[1] == "sensitive: clue transferred to 纪委监委 (discipline) on 2026-11-15; keep this screen private")
        #expect(shownLines.contains { $0.contains("detail [sensitive]") && $0.contains(Self.secret) })
        #expect(shownLines.contains { $0.contains("transfer_note [sensitive]") && $0.contains(Self.note) })
        #expect(shownLines.contains { $0.contains("category") && $0.contains("优亲厚友 (favouritism)") })
        #expect(shownLines.contains { $0.contains("status") && $0.contains("未整改 (open)") })
        let shownJSON = RecordReport.json(try f.store.record(id: clue.id), revealSensitive: true).rendered()
        #expect(shownJSON.contains(Self.secret) && shownJSON.contains("\"sensitive\" : true"))
        // An ordinary problem is not marked.
        #expect(!RecordReport.detail(try f.store.record(id: plain.id)).contains("sensitive"))
        // history warns as show does, and withholds the text: show is the one place that prints it.
        let (record, entries) = try f.store.history(clue.id)
        let history = RecordReport.history(record, entries)
        #expect(history.split(separator: "\n")[1].hasPrefix("sensitive: clue transferred to 纪委监委"))
        #expect(!history.contains(Self.secret) && !history.contains(Self.note))
        #expect(history.contains("    detail: (sensitive: `fieldbook show \(clue.id.prefix(13))` prints it)"))
        #expect(history.contains("    summary: 村干部优亲厚友"))
    }

    @Test func textFromDataCannotDriveTheTerminal() {
        let hostile = "低保\u{1B}[2J未公示\n共 0 个问题\u{202E}"
        let item = ProblemLedger.Item(
            id: "01a1ff13-5908-7c24-8167-f6a5665ef81d", shortID: "01a1ff13-5908", township: "城关镇\u{9B}",
            village: "东关村\r伪造", villageID: "v", round: "五届\u{1B}]0;x\u{7}", summary: hostile, categoryKey: nil,
            categoryName: nil, foundOn: "2026-11-01", responsible: "村支书\u{2028}", deadline: "2026-11-10", status: .open,
            measures: "措施\t一", rectifiedOn: nil, verifiedOn: nil, closedOn: nil, transferredTo: nil, transferredOn: nil,
            daysOverdue: 11)
        let ledger = ProblemLedger(
            today: "2026-11-21", village: "城关镇/东关\u{1B}[31m村", round: "五届\u{1B}]0;x\u{7}", status: nil, overdueOnly: false,
            items: [item])
        for width in [80, 160] {
            let table = ProblemLedgerReport.table(ledger, width: width)
            #expect(!table.unicodeScalars.contains { $0 != "\n" && TerminalText.needsEscape($0) }, "\(table)")
            #expect(table.contains("\\u{1B}"))
            #expect(!table.split(separator: "\n").contains { $0.hasPrefix("共 0 个问题") })
        }
        // CSV and JSON keep the exact text, in their own escaping.
        #expect(ProblemLedgerReport.csv(ledger).contains("\"" + hostile + "\""))
        let json = ProblemLedgerReport.json(ledger)
        #expect(!json.unicodeScalars.contains("\u{1B}") && json.contains("\\u001b"))
    }

    @Test func storeStatusCountsProblemsByStatus() throws {
        let f = try Fixture()
        _ = try f.store.transfer(f.ids["late1"]!, to: "组织部门")
        let status = try f.store.status()
        #expect(status.problemStatuses[.open] == 5 && status.problemStatuses[.rectifying] == 1)
        #expect(status.problemsOverdue == 3 && status.cluesTransferred == 1)
        let text = RecordReport.status(status)
        #expect(text.contains("problems   5 open 未整改, 1 rectifying 整改中, 1 rectified 已整改, 1 verified 已验收销号; 3 overdue, 1 clue transferred"))
        #expect(text.contains("problems 发现问题"))
    }
}
