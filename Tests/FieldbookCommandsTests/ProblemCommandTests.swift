@testable import FieldbookCommands
import FieldbookCore
import FieldbookTestSupport
import Foundation
import Testing

/// `problem`, `rectify`, `transfer`, `problems` and `categories`: parsed in process, and the built
/// binary end to end.
@Suite("Problems, rectification and the ledger")
struct ProblemCommandTests {
    static let secret = "举报人王某某称村支书挪用低保金"
    static let note = "涉及村支书张某"

    @Test("the problem commands parse, with the Chinese words kept as typed")
    func parsing() throws {
        let problem = try #require(
            try Fieldbook.parseAsRoot([
                "problem", "城关镇/东关村", "--summary", "低保评定未公示", "--category", "惠农资金", "--from", "01a1ff13-5908",
                "--deadline", "2026-12-31", "--date", "2026-11-20", "--responsible", "村支书",
            ]) as? Fieldbook.Problem)
        #expect(problem.village == "城关镇/东关村" && problem.summary == "低保评定未公示" && problem.category == "惠农资金")
        #expect(problem.from == "01a1ff13-5908" && problem.deadline == "2026-12-31" && problem.date == "2026-11-20")
        #expect(problem.detail == nil && problem.round == nil)
        let rectify = try #require(
            try Fieldbook.parseAsRoot(["rectify", "01a1ff13", "--status", "已整改", "--measures", "补公示", "--by", "王五"])
                as? Fieldbook.Rectify)
        #expect(rectify.id == "01a1ff13" && rectify.status == "已整改" && rectify.by == "王五" && rectify.date == nil)
        let transfer = try #require(try Fieldbook.parseAsRoot(["transfer", "01a1ff13", "--to", "纪委监委"]) as? Fieldbook.Transfer)
        #expect(transfer.to == "纪委监委" && transfer.note == nil)
        let ledger = try #require(
            try Fieldbook.parseAsRoot(["problems", "--overdue", "--format", "csv", "--village", "西河村"]) as? Fieldbook.Problems)
        #expect(ledger.overdue && ledger.format == .csv && ledger.village == "西河村" && ledger.status == nil)
        #expect(try Fieldbook.parseAsRoot(["categories"]) is Fieldbook.Categories.ListCategories)
        let add = try #require(try Fieldbook.parseAsRoot(["categories", "add", "land-use", "--name", "土地流转"]) as? Fieldbook.Categories.Add)
        #expect(add.key == "land-use" && add.name == "土地流转")
        // What is missing or malformed is a usage error.
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["problem", "西河村"]) }
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["rectify", "01a1ff13"]) }
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["transfer", "01a1ff13"]) }
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["problems", "--format", "xlsx"]) }
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["categories", "add", "land-use"]) }
    }

    @Test("problem → rectify → verify refused for the same inspector → verified by another → transfer → the ledger")
    func endToEnd() throws {
        let s = try Sandbox.withStore()
        let visit = try s.record("visit", "DG002")
        let p1 = try s.record(
            "problem", "城关镇/东关村", "--summary", "低保评定未公示", "--category", "惠农资金", "--from", visit.id,
            "--responsible", "村支书", "--deadline", "2026-11-10", "--date", "2026-11-01")
        #expect(p1.line == "Recorded problem \(p1.id) 城关镇/东关村 2026-11-01 [open] 低保评定未公示")
        let p2 = try s.record(
            "problem", "城关镇/东关村", "--summary", "村干部优亲厚友", "--detail", Self.secret, "--category", "favouritism",
            "--deadline", "2026-11-12", "--date", "2026-11-02")
        let p3 = try s.record("problem", "古城乡/西河村", "--summary", "道路破损未修", "--deadline", "2026-12-31")

        let rectified = try s.ok("rectify", p1.id, "--status", "rectified", "--measures", "补公示三年低保名单")
        #expect(rectified == "Updated problem \(p1.id) 城关镇/东关村 2026-11-01 [rectified] 低保评定未公示\n")
        // The inspectors who marked it rectified may not verify it themselves.
        let refused = try s.run("rectify", p1.id, "--status", "verified")
        expectFailure(refused, code: 77, naming: [p1.id, "another inspector"])
        let verified = try s.ok("rectify", String(p1.id.prefix(13)), "--status", "已验收销号", "--by", "王五")
        #expect(verified == "Updated problem \(p1.id) 城关镇/东关村 2026-11-01 [verified] 低保评定未公示\n")

        let transferred = try s.ok("transfer", p2.id, "--to", "纪委监委", "--note", Self.note)
        #expect(transferred == "Updated problem \(p2.id) 城关镇/东关村 2026-11-02 [open] 村干部优亲厚友 [clue transferred to discipline]\n")

        // The overdue ledger: the transferred clue, nine days late, marked, without its detail.
        let overdue = try s.ok("problems", "--overdue")
        let lines = overdue.split(separator: "\n").map(String.init)
        #expect(lines.first == "逾期未整改问题")
        for line in lines { #expect(displayWidth(line) <= 80, "too wide: \(line)") }
        let row = try #require(lines.first { $0.hasPrefix(String(p2.id.prefix(13))) }, "\(overdue)")
        #expect(row.contains("[已移交纪委监委]") && row.contains("9天") && row.contains("未整改"))
        #expect(!overdue.contains(String(p1.id.prefix(13))) && !overdue.contains(String(p3.id.prefix(13))))
        #expect(lines.last == "共 1 个问题：未整改 1 个；逾期 1 个；移交问题线索 1 条（纪委监委 1 条）。")

        // The whole ledger in every format, and list: never the clue's detail nor the note.
        let table = try s.ok("problems")
        let csv = try s.ok("problems", "--format", "csv")
        let json = try s.ok("problems", "--format", "json")
        let list = try s.ok("list", "problems")
        let listJSON = try s.ok("list", "--json")
        for (name, text) in ["table": table, "csv": csv, "json": json, "list": list, "list --json": listJSON] {
            #expect(!text.contains(Self.secret) && !text.contains(Self.note), "\(name) shows the clue's text: \(text)")
        }
        #expect(csv.hasPrefix("\u{FEFF}编号,") && csv.contains("\r\n"))
        #expect(csv.contains(",已移交纪委监委,"))
        let ledger = try #require(try parseJSON(json) as? [String: Any])
        #expect(ledger["schema"] as? String == "fieldbook.problems/1")
        let items = try #require(ledger["items"] as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == [p2.id, p3.id, p1.id])
        #expect(items[0]["sensitive"] as? Bool == true && items[2]["status"] as? String == "verified")
        #expect(list.contains("[open·clue to discipline] 村干部") && list.contains("[verified] 低保评定未公示"))
        let listed = try #require(try parseJSON(listJSON) as? [[String: Any]])
        let clue = try #require(listed.first { $0["id"] as? String == p2.id })
        #expect(clue["sensitive"] as? Bool == true && clue["detail"] is NSNull)

        // show: the one place it is printed, under the warning.
        let shown = try s.ok("show", String(p2.id.prefix(13)))
        #expect(shown.split(separator: "\n")[1] == "sensitive: clue transferred to 纪委监委 (discipline) on \(today); keep this screen private")
        #expect(shown.contains(Self.secret) && shown.contains("detail [sensitive]"))
        let shownJSON = try #require(try parseJSON(try s.ok("show", p2.id, "--json")) as? [String: Any])
        #expect(shownJSON["detail"] as? String == Self.secret && shownJSON["sensitive"] as? Bool == true)

        // Wider, for A4 landscape: every column, the measures and the day found too.
        let wide = try s.ok("problems", "--width", "160")
        let wideLines = wide.split(separator: "\n").map(String.init)
        for line in wideLines { #expect(displayWidth(line) <= 160, "too wide: \(line)") }
        let wideHeader = try #require(wideLines.first { $0.hasPrefix("编号") })
        for column in ["村", "类别", "发现日期", "责任人", "整改时限", "状态", "逾期", "措施"] {
            #expect(wideHeader.contains(column), "\(wide)")
        }
        #expect(wide.contains("补公示三年低保名单") && wide.contains("[已移交纪委监委] 村干部优亲厚友") && !wide.contains(Self.secret))
        expectUsageError(try s.run("problems", "--width", "10"), naming: ["--width"])

        let status = try s.ok("status")
        #expect(status.contains("problems   2 open 未整改, 1 verified 已验收销号; 1 overdue, 1 clue transferred"), "\(status)")
    }

    @Test("bad input: one line, the documented exit code, nothing written")
    func badInput() throws {
        let s = try Sandbox.withStore()
        let p = try s.record("problem", "城关镇/东关村", "--summary", "村务公开不及时")
        let before = try s.snapshot()
        expectFailure(try s.run("rectify", p.id, "--status", "done"), code: 64, naming: ["done", "rectifying"])
        expectFailure(try s.run("rectify", p.id, "--status", "verified", "--by", "王五"), code: 77, naming: ["rectified first"])
        expectFailure(try s.run("rectify", "ffffffff-0000", "--status", "rectified"), code: 1, naming: ["ffffffff-0000"])
        expectFailure(try s.run("transfer", p.id, "--to", "公安局"), code: 64, naming: ["公安局", "纪委监委"])
        expectFailure(try s.run("transfer", p.id, "--to", "discipline", "--date", "2026-02-30"), code: 64, naming: ["2026-02-30"])
        expectFailure(try s.run("problem", "城关镇/东关村", "--summary", "x", "--category", "没有这类"), code: 1, naming: ["没有这类", "farm-subsidies"])
        expectFailure(try s.run("problem", "城关镇/东关村", "--summary", "x", "--deadline", "2026-11-01"), code: 64, naming: ["2026-11-01", today])
        expectFailure(try s.run("problem", "没有这个村", "--summary", "x"), code: 1, naming: ["没有这个村"])
        expectFailure(try s.run("problems", "--status", "finished"), code: 64, naming: ["finished"])
        expectFailure(try s.run("problems", "--village", "没有这个村"), code: 1, naming: ["没有这个村"])
        expectFailure(try s.run("categories", "add", "land-use", "--name", "土地流转"), code: 77, naming: ["categories"])
        expectUsageError(try s.run("problems", "--format", "xlsx"), naming: ["xlsx"])
        #expect(try s.snapshot() == before, "a refused command changed the store")
    }

    @Test("problems, list, show, history and status show a problem's hostile text escaped")
    func hostileTextIsEscaped() throws {
        let village = "东关村\u{202E}FORGED"
        let s = try Sandbox.withStore(roster: "乡镇,村,户号,户主,重点户\n城关镇,\(village),DG001,张三,\n")
        let p = try s.record(
            "problem", "城关镇/" + village, "--summary", "低保\u{202E}未公示", "--responsible", "村支书\u{2066}X\u{2069}",
            "--deadline", "2026-11-10", "--date", "2026-11-01", "--detail", "详情\u{202E}")
        #expect(p.line.contains("东关村\\u{202E}FORGED") && !p.line.unicodeScalars.contains("\u{202E}"))
        try s.ok("rectify", p.id, "--status", "rectifying", "--measures", "措施\u{202E}一")
        try s.ok("transfer", p.id, "--to", "organisation", "--note", "说明\u{202E}")
        for arguments in [
            ["problems"], ["problems", "--width", "200"], ["problems", "--overdue"], ["problems", "--village", "城关镇/" + village],
            ["list"], ["show", p.id], ["history", p.id], ["status"], ["categories"],
        ] {
            let result = try s.run(arguments)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
            #expect(!result.stdout.unicodeScalars.contains { $0 != "\n" && TerminalText.needsEscape($0) }, "\(result)")
            expectNoCrashReport(result)
        }
        let wide = try s.ok("problems", "--width", "200")
        #expect(wide.contains("低保\\u{202E}未公示") && wide.contains("措施\\u{202E}一") && wide.contains("[已移交组织部门]"))
        #expect(!wide.contains("详情") && !wide.contains("说明"))
        let csv = try s.ok("problems", "--format", "csv")
        #expect(csv.contains("低保\u{202E}未公示"), "CSV keeps the exact text")
    }

    @Test("categories: the default list with keys and Chinese names; the office adds one")
    func categories() throws {
        let s = try Sandbox.withStore()
        let listed = try s.ok("categories")
        let lines = listed.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("key") && lines[0].contains("name"))
        #expect(lines.contains { $0.hasPrefix("farm-subsidies") && $0.contains("惠农资金") && $0.hasSuffix("default") })
        #expect(lines.count == 2 + 11)
        #expect(try s.ok("categories", "add", "--db", "office.sqlite", "land-use", "--name", "土地流转") == "Added category land-use (土地流转).\n")
        let office = try s.ok("categories", "list", "--db", "office.sqlite")
        #expect(office.split(separator: "\n").last.map(String.init)?.hasPrefix("land-use") == true)
        #expect(office.contains("土地流转") && office.hasSuffix("added\n"))
        expectFailure(
            try s.run("categories", "add", "--db", "office.sqlite", "land-2", "--name", "土地流转"), code: 64, naming: ["土地流转"])
    }
}
