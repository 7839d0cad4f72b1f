@testable import FieldbookCommands
import FieldbookTestSupport
import Foundation
import Testing

/// `fieldbook tally` and `fieldbook pending`: parsed in process, and run as the built binary.
@Suite("tally and pending")
struct TallyCommandTests {
    /// A field store with a day's work, made once and copied for each test.
    static let worked = Result<Sandbox, any Error> {
        let sandbox = try Sandbox.withStore().removeAtExit()
        try sandbox.record("visit", "DG001")
        try sandbox.record("visit", "DG001", "--date", "2026-11-20")
        try sandbox.record("visit", "GC001")
        try sandbox.record("forum", "新华社区", "--participants", "12")
        try sandbox.record("notice", "西河村", "--copies", "3", "--place", "村部")
        try sandbox.record("fix", "城关镇/东关村", "--problem", "台账缺页", "--action", "补齐")
        let deleted = try sandbox.record("visit", "DG003")
        try sandbox.ok("delete", deleted.id)
        return sandbox
    }

    func store() throws -> Sandbox { try Sandbox.copy(of: try Self.worked.get()) }

    @Test("tally options parse; --by, --format and --lang take only their words")
    func parsing() throws {
        let command = try #require(
            try Fieldbook.parseAsRoot(["tally", "--by", "township", "--round", "五届第五轮", "--from", "2026-11-01", "--to", "2026-11-21",
                                       "--township", "城关镇", "--team", "第一巡察组", "--format", "csv", "--lang", "en", "--out", "t.csv"])
                as? Fieldbook.Tally)
        #expect(command.by == .township)
        #expect(command.format == .csv)
        #expect(command.lang == .en)
        #expect(command.out == "t.csv")
        #expect(command.township == "城关镇")
        let plain = try #require(try Fieldbook.parseAsRoot(["tally"]) as? Fieldbook.Tally)
        #expect(plain.by == .village)
        #expect(plain.format == .table)
        #expect(plain.lang == nil)
        for bad in [["tally", "--by", "province"], ["tally", "--format", "pdf"], ["tally", "--lang", "fr"]] {
            #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(bad) }
        }
        let pending = try #require(try Fieldbook.parseAsRoot(["pending", "--village", "西河村", "--priority-only"]) as? Fieldbook.Pending)
        #expect(pending.village == "西河村")
        #expect(pending.priorityOnly)
        #expect(throws: (any Error).self) { try Fieldbook.parseAsRoot(["pending", "--round", "五届第五轮", "--all-rounds"]) }
    }

    @Test("tally prints the table: the day's work per village, the deleted visit left out")
    func table() throws {
        let sandbox = try store()
        let out = try sandbox.ok("tally", "--lang", "zh")
        let lines = out.components(separatedBy: "\n")
        #expect(lines.first == "巡察覆盖统计（按村）")
        #expect(lines.contains("生成时间：2026-11-21 09:00"), "\(out)")
        let row = { (prefix: String, section: Int) -> [String] in
            let blocks = out.components(separatedBy: "\n\n")
            let block = blocks.first { $0.contains(section == 1 ? "覆盖率" : "走访次") } ?? ""
            let line = block.components(separatedBy: "\n").first { $0.hasPrefix(prefix) } ?? ""
            return line.split(separator: /\s{2,}/).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(row("  东关村", 1) == ["东关村", "3", "1", "33%", "1/1", "0/1", "0/1", "是"], "\(out)")
        #expect(row("  新华社区", 1) == ["新华社区", "1", "0", "0%", "—", "—", "—", "是"], "\(out)")
        #expect(row("合计", 1) == ["合计", "6", "2", "33%", "1/1", "1/2", "0/2", "4/4"], "\(out)")
        #expect(row("合计", 2) == ["合计", "3", "1", "12", "1", "3", "1", "0", "0"], "\(out)")
        #expect(out.contains("已巡察村（社区）：4 / 4（100%）"))
        for line in lines { #expect(displayWidth(line) <= 80, "\(line)") }
    }

    @Test("tally --format csv --out writes UTF-8 with a BOM and says where it went")
    func csvFile() throws {
        let sandbox = try store()
        let out = try sandbox.ok("tally", "--format", "csv", "--out", "tally.csv", "--lang", "en", "--by", "township")
        #expect(out == "Wrote tally.csv (csv): 4 villages in 2 townships, 4 inspected.\n")
        let data = try #require(sandbox.contents("tally.csv"))
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("level,township,village,kind,households,visited,coverage_percent,"))
        #expect(lines[1].hasPrefix("township,城关镇,,,4,1,25,"), "\(text)")
        #expect(lines[3].hasPrefix("district,,,,6,2,33,"), "\(text)")
        #expect(lines.count == 5 && lines[4].isEmpty, "three rows and a final CRLF: \(text)")
    }

    @Test("tally --format json prints the documented schema with the table's figures")
    func json() throws {
        let sandbox = try store()
        let object = try #require(try parseJSON(try sandbox.ok("tally", "--format", "json", "--round", "五届第五轮")) as? [String: Any])
        #expect(object["schema"] as? String == "fieldbook.tally/1")
        #expect((object["generated_at"] as? String)?.hasPrefix("2026-11-21T09:00:") == true)
        #expect((object["filters"] as? [String: Any])?["round"] as? String == "五届第五轮")
        let district = try #require(object["district"] as? [String: Any])
        #expect(district["households"] as? Int == 6)
        #expect(district["visited"] as? Int == 2)
        #expect(district["visits"] as? Int == 3)
        #expect(district["villages_inspected"] as? Int == 4)
        #expect((object["villages"] as? [Any])?.count == 4)
    }

    @Test("tally --format html --out writes one page that the table agrees with")
    func html() throws {
        let sandbox = try store()
        try sandbox.ok("tally", "--format", "html", "--out", "report.html")
        let html = String(decoding: try #require(sandbox.contents("report.html")), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<tr class=\"total\" data-level=\"total\"><td>合计</td><td>6</td><td>2</td><td>33%</td>"), "\(html)")
    }

    @Test("filters that name nothing fail with one line that names the value")
    func badFilters() throws {
        let sandbox = try store()
        expectFailure(try sandbox.run("tally", "--round", "五届第九轮"), code: 1, naming: ["五届第九轮", "五届第五轮"])
        expectFailure(try sandbox.run("tally", "--team", "第九巡察组"), code: 1, naming: ["第九巡察组", "第一巡察组"])
        expectFailure(try sandbox.run("tally", "--from", "2026-11-31"), code: 64, naming: ["2026-11-31"])
        expectFailure(try sandbox.run("tally", "--from", "2026-11-21", "--to", "2026-11-01"), code: 64, naming: ["2026-11-01"])
        expectFailure(try sandbox.run("tally", "--township", "不存在乡"), code: 1, naming: ["不存在乡", "城关镇, 古城乡"])
        expectUsageError(try sandbox.run("tally", "--by", "province"), naming: ["province"])
        expectFailure(try sandbox.run("tally", "--county", "不存在县"), code: 1, naming: ["不存在县", "county"])
        expectFailure(try sandbox.run("pending", "--village", "东关村"), code: 1, naming: ["城关镇/东关村", "古城乡/东关村"])
        let unwritable = try sandbox.run("tally", "--out", "no/such/folder/t.txt")
        #expect(unwritable.status == 74, "\(unwritable)")
        #expect(unwritable.stderr.hasPrefix("fieldbook: could not write no/such/folder/t.txt"), "\(unwritable)")
        #expect(unwritable.stdout.isEmpty)
        expectNoCrashReport(unwritable)
    }

    /// `--out` wrote over whatever was at the path: `tally --format csv --out fieldbook.sqlite`
    /// replaced the store with a CSV, and a link or a device node with a file. Every report's
    /// `--out` now writes a new file or nothing (exit 73, as `--help` says), and a path it cannot
    /// write is named with the system's reason, not Foundation's.
    @Test("a report's --out never replaces a file: not the store, not last week's report, not a link")
    func outNeverReplaces() throws {
        let sandbox = try store()
        let store = try #require(sandbox.contents("fieldbook.sqlite"))
        sandbox.write("old.csv", "last week\n")
        try FileManager.default.createSymbolicLink(atPath: sandbox.path("link.csv"), withDestinationPath: sandbox.path("old.csv"))
        try FileManager.default.createSymbolicLink(atPath: sandbox.path("dangling.csv"), withDestinationPath: sandbox.path("nowhere.csv"))
        let refusals: [[String]] = [
            ["tally", "--format", "csv", "--out", "fieldbook.sqlite"], ["tally", "--out", "old.csv"],
            ["problems", "--format", "json", "--out", "old.csv"], ["pending", "--out", "link.csv"], ["tally", "--out", "dangling.csv"],
            ["tally", "--format", "html", "--out", "."],
        ]
        for arguments in refusals {
            let result = try sandbox.run(arguments)
            #expect(result.status == 73, "\(result)")
            #expect(result.stderr.contains("already exists") && result.stderr.split(separator: "\n").count == 1, "\(result)")
            expectNoCrashReport(result)
        }
        #expect(sandbox.contents("fieldbook.sqlite") == store)
        #expect(sandbox.contents("old.csv") == Data("last week\n".utf8))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: sandbox.path("link.csv"))) == sandbox.path("old.csv"))
        try sandbox.ok("tally", "--format", "csv", "--out", "new.csv")
        #expect(sandbox.contents("new.csv")?.isEmpty == false)
        let empty = try sandbox.run("tally", "--out", "")
        #expect(empty.status == 74 && !empty.stderr.contains("NSCocoaErrorDomain"), "\(empty)")
    }

    @Test("tally --by county at an office of several counties: a row per county, their sums; a bad --county in one line")
    func levels() throws {
        let sandbox = Sandbox()
        try sandbox.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        sandbox.write("roster.csv", """
            \u{FEFF}市,县区,乡镇,村,户号,户主,重点户
            商丘市,睢阳区,城关镇,东关村,DG001,张建国,五保户
            商丘市,睢阳区,城关镇,东关村,DG002,李秀英,
            商丘市,虞城县,城关镇,东关村,DG001,王大力,低保户
            商丘市,虞城县,城关镇,南街社区,DG003,赵明,

            """)
        let imported = try sandbox.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        #expect(imported.contains("4"), "\(imported)")
        try sandbox.record("visit", "--db", "office.sqlite", "睢阳区/DG001")
        try sandbox.record("visit", "--db", "office.sqlite", "DG002")
        try sandbox.record("visit", "--db", "office.sqlite", "虞城县/DG001")
        try sandbox.record("forum", "--db", "office.sqlite", "虞城县/城关镇/东关村", "--participants", "9")
        // 城关镇/东关村 is in both counties: the candidates are named COUNTY/TOWNSHIP/VILLAGE.
        expectFailure(try sandbox.run("forum", "--db", "office.sqlite", "城关镇/东关村", "--participants", "3"), code: 1,
                      naming: ["睢阳区/城关镇/东关村", "虞城县/城关镇/东关村"])

        let out = try sandbox.ok("tally", "--db", "office.sqlite", "--by", "county", "--lang", "zh")
        #expect(out.hasPrefix("巡察覆盖统计（按县区）\n"), "\(out)")
        let cells = { (prefix: String, header: String) -> [String] in
            let block = out.components(separatedBy: "\n\n").first { $0.contains(header) } ?? ""
            let line = block.components(separatedBy: "\n").first { $0.hasPrefix(prefix) } ?? ""
            return line.split(separator: /\s{2,}/).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        #expect(cells("睢阳区", "覆盖率") == ["睢阳区", "2", "2", "100%", "1/1", "—", "—", "1/1"], "\(out)")
        #expect(cells("虞城县", "覆盖率") == ["虞城县", "2", "1", "50%", "—", "1/1", "—", "1/2"], "\(out)")
        #expect(cells("合计", "覆盖率") == ["合计", "4", "3", "75%", "1/1", "1/1", "—", "2/3"], "\(out)")
        #expect(cells("虞城县", "走访次") == ["虞城县", "1", "1", "9", "0", "0", "0", "0", "0"], "\(out)")
        for line in out.components(separatedBy: "\n") { #expect(displayWidth(line) <= 80, "\(line)") }

        let csv = try sandbox.ok("tally", "--db", "office.sqlite", "--by", "county", "--format", "csv", "--lang", "en")
        let rows = csv.dropFirst().components(separatedBy: "\r\n")
        #expect(rows[0].hasSuffix(",county,city"), "\(csv)")
        #expect(rows[1].hasPrefix("county,,,,2,2,100,") && rows[1].hasSuffix(",睢阳区,商丘市"), "\(csv)")
        let filtered = try sandbox.ok("tally", "--db", "office.sqlite", "--county", "虞城县", "--by", "township", "--lang", "en")
        #expect(filtered.contains("county: 虞城县"), "\(filtered)")
        #expect(!filtered.contains("睢阳区"))

        expectFailure(try sandbox.run("tally", "--db", "office.sqlite", "--county", "夏邑县"), code: 1, naming: ["夏邑县", "睢阳区, 虞城县"])
        expectFailure(try sandbox.run("tally", "--db", "office.sqlite", "--city", "开封市"), code: 1, naming: ["开封市", "商丘市"])
    }

    @Test("init --district names the district a roster without county columns covers")
    func district() throws {
        let sandbox = Sandbox()
        let made = try sandbox.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--district", "睢阳区")
        #expect(made.contains("district 睢阳区"), "\(made)")
        sandbox.write("roster.csv", sampleRosterCSV)
        try sandbox.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        let out = try sandbox.ok("tally", "--db", "office.sqlite", "--by", "county", "--lang", "zh")
        #expect(out.contains("\n睢阳区 "), "\(out)")
        #expect(try sandbox.ok("tally", "--db", "office.sqlite", "--county", "睢阳区", "--format", "json").contains("\"district_name\" : \"睢阳区\""))
    }

    @Test("pending prints the evening list, priority households first")
    func pending() throws {
        let sandbox = try store()
        let out = try sandbox.ok("pending", "--lang", "zh")
        let codes = out.matches(of: /(DG|GC|XH)\d{3}/).map { String($0.output.0) }
        #expect(codes == ["DG002", "GC002", "DG003", "XH001"], "\(out)")
        #expect(out.hasSuffix("在册 6 户，已走访 2 户，未走访 4 户（其中重点户 2 户）。\n"), "\(out)")
        let village = try sandbox.ok("pending", "--village", "城关镇/东关村", "--priority-only", "--lang", "en")
        #expect(village.hasPrefix("Priority households not yet visited: 城关镇/东关村\n"), "\(village)")
        #expect(village.matches(of: /(DG|GC|XH)\d{3}/).map { String($0.output.0) } == ["DG002"])
        let json = try #require(try parseJSON(try sandbox.ok("pending", "--format", "json", "--all-rounds")) as? [String: Any])
        #expect(json["round"] is NSNull)
        #expect((json["pending"] as? [[String: Any]])?.count == 4)
    }

    @Test("the language follows the locale when --lang is not given")
    func locale() throws {
        let sandbox = try store()
        let english = try sandbox.run(["tally"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""])
        #expect(english.stdout.hasPrefix("Inspection coverage by village\n"), "\(english)")
        let chinese = try sandbox.run(["tally"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""])
        #expect(chinese.stdout.hasPrefix("巡察覆盖统计（按村）\n"), "\(chinese)")
    }

    @Test("FIELDBOOK_LANG chooses the reports' language as it does the interface's, over the locale")
    func fieldbookLang() throws {
        let sandbox = try store()
        let english = try sandbox.run(["tally"], environment: ["FIELDBOOK_LANG": "en", "LANG": "zh_CN.UTF-8", "LC_ALL": ""])
        #expect(english.stdout.hasPrefix("Inspection coverage by village\n"), "\(english)")
        let chinese = try sandbox.run(["pending"], environment: ["FIELDBOOK_LANG": "zh", "LC_ALL": "en_US.UTF-8"])
        let englishPending = try sandbox.run(["pending"], environment: ["FIELDBOOK_LANG": "en"])
        #expect(chinese.status == 0 && englishPending.status == 0 && chinese.stdout != englishPending.stdout)
        #expect(chinese.stdout.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } && !chinese.stdout.contains("household"), "\(chinese)")
        let chosen = try sandbox.run(["tally", "--lang", "zh"], environment: ["FIELDBOOK_LANG": "en"])
        #expect(chosen.stdout.hasPrefix("巡察覆盖统计（按村）\n"), "--lang wins: \(chosen)")
    }
}
