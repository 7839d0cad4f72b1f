import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The four formats of a tally: each checked on its own, and against each other.
@Suite("Tally reports: table, CSV, JSON and HTML")
struct TallyRenderTests {
    static let merged = Result<TallyReport, any Error> {
        let (office, dir) = try TallyFixture.mergedOffice()
        return try withExtendedLifetime(dir) { try office.tally() }
    }

    func report() throws -> TallyReport { try Self.merged.get() }

    // MARK: Reading the formats back, independently of the code that writes them

    /// The rows of the two tables of a rendered tally: cells split on runs of two or more spaces.
    struct ParsedTable {
        var header: [String]
        var rows: [[String]]
        var totals: [String]?
        var lines: [String]
    }

    static func tables(in text: String) -> [ParsedTable] {
        let lines = text.components(separatedBy: "\n")
        var tables: [ParsedTable] = []
        var i = 0
        while i < lines.count {
            guard i + 1 < lines.count, !lines[i + 1].isEmpty, lines[i + 1].allSatisfy({ $0 == "-" }) else {
                i += 1
                continue
            }
            var table = ParsedTable(header: cells(lines[i]), rows: [], totals: nil, lines: [lines[i], lines[i + 1]])
            i += 2
            while i < lines.count, !lines[i].isEmpty {
                table.lines.append(lines[i])
                if lines[i].allSatisfy({ $0 == "-" }) {
                    table.totals = cells(lines[i + 1])
                    table.lines.append(lines[i + 1])
                    i += 2
                    break
                }
                table.rows.append(cells(lines[i]))
                i += 1
            }
            tables.append(table)
        }
        return tables
    }

    static func cells(_ line: String) -> [String] {
        line.split(separator: /\s{2,}/).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// RFC 4180 records, written here independently of the product's writer.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r", chars.first == "\n" {
                chars.removeFirst()
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { records.append(record + [field]) }
        return records
    }

    /// The rows of the HTML detail table: level and cells, tags stripped.
    static func htmlRows(_ html: String) -> [(level: String, cells: [String])] {
        guard let start = html.range(of: "<section class=\"detail\">") else { return [] }
        let table = html[start.upperBound...]
        return table.matches(of: /<tr class="[^"]*" data-level="([a-z_]+)">(.*?)<\/tr>/).map { match in
            let cells = String(match.2).matches(of: /<td[^>]*>(.*?)<\/td>/).map { unescape(String($0.1)) }
            return (String(match.1), cells)
        }
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func number(_ cell: String) -> Int? { Int(cell.replacingOccurrences(of: ",", with: "")) }

    // MARK: The formats agree

    @Test("the table shows the report's figures, row by row, with a totals row")
    func tableShowsTheReport() throws {
        let report = try report()
        let text = TallyTable.render(report, by: .village, language: .zh)
        let tables = Self.tables(in: text)
        try #require(tables.count == 3, "\(text)")
        let (coverage, work, problems) = (tables[0], tables[1], tables[2])
        #expect(problems.header == ["乡镇/村", "问题数", "立改", "移交", "已整改", "已销号", "无法整改", "未整改", "逾期", "整改率"])
        try #require(problems.rows.count == coverage.rows.count)
        for (row, problemRow) in zip(coverage.rows, problems.rows) { #expect(row[0] == problemRow[0]) }
        #expect(coverage.header == ["乡镇/村", "在册户", "已访户", "覆盖率", "五保户", "低保户", "危房改造户", "已巡察"])
        #expect(work.header == ["乡镇/村", "走访次", "座谈", "人次", "公告", "张数", "未整改", "已整改", "已核实"])
        let expected = report.townships.flatMap { t in [(t.name ?? "?", t.counts, false)] + t.villages.map { ($0.name, $0.counts, true) } }
        try #require(coverage.rows.count == expected.count, "\(text)")
        try #require(work.rows.count == expected.count, "\(text)")
        for ((name, c, isVillage), (row, workRow)) in zip(expected, zip(coverage.rows, work.rows)) {
            let coverageText: String = c.coveragePercent.map { "\($0)%" } ?? "—"
            let priority: [String] = PriorityKind.allCases.map { kind in
                c[kind].households == 0 ? "—" : "\(c[kind].visited)/\(c[kind].households)"
            }
            let inspected: String = isVillage ? (c.villagesInspected == 1 ? "是" : "否") : "\(c.villagesInspected)/\(c.villages)"
            let expectedRow: [String] = [name, String(c.households), String(c.visited), coverageText] + priority + [inspected]
            #expect(row == expectedRow)
            let work: [Int] = [c.visits, c.forums, c.participants, c.notices, c.copies, c.fixesOpen, c.fixesFixed, c.fixesVerified]
            #expect(workRow == [name] + work.map { String($0) })
        }
        for ((_, c, _), row) in zip(expected, problems.rows) {
            let figures: [Int] = [c.problemsFound, c.fixes, c.problems.clues, c.problemsRectified, c.problemsVerified,
                                  c.problems.notRectifiable, c.problemsOpen, c.problems.overdue]
            #expect(Array(row.dropFirst()) == figures.map { String($0) } + [c.rectificationPercent.map { "\($0)%" } ?? "—"])
        }
        let d = report.district
        #expect(coverage.totals?.first == "合计")
        #expect(coverage.totals?[1] == String(d.households))
        #expect(coverage.totals?.last == "\(d.villagesInspected)/\(d.villages)")
        #expect(work.totals?[1] == String(d.visits))
        #expect(text.contains("已巡察村（社区）：\(d.villagesInspected) / \(d.villages)（\(d.inspectedPercent!)%）"), "\(text)")
        #expect(text.contains("另有 \(report.unknownHouseholds.visits) 次走访指向名册上没有的 \(report.unknownHouseholds.households) 户"), "\(text)")
        #expect(text.contains("另有指向本库没有的村（社区）的记录"), "\(text)")
    }

    @Test("the CSV holds the table's rows in the table's order, with the same figures")
    func csvAgreesWithTable() throws {
        let report = try report()
        for level in TallyLevel.allCases {
            let table = Self.tables(in: TallyTable.render(report, by: level, language: .zh))
            let csv = TallyCSV.render(report, by: level, language: .zh)
            #expect(csv.hasPrefix("\u{FEFF}"))
            let records = Self.parseCSV(String(csv.dropFirst()))
            let header = try #require(records.first)
            #expect(header.count == 38)
            #expect(records.allSatisfy { $0.count == header.count }, "\(records)")
            let column = { (name: String) in header.firstIndex(of: name)! }
            let body = Array(records.dropFirst())
            // Table rows, then the totals row, then the unknown lines.
            var tableRows = zip(table[0].rows, table[1].rows).map { ($0, $1) }
            if let totals = table[0].totals, let workTotals = table[1].totals { tableRows.append((totals, workTotals)) }
            var problemRows = table[2].rows
            if let totals = table[2].totals { problemRows.append(totals) }
            let problemColumns = ["发现问题数", "其中立行立改", "移交问题线索", "已整改", "已验收销号", "无法整改", "未整改（含整改中）", "逾期未整改"]
            for (record, row) in zip(body, problemRows) {
                let rate = record[column("整改率(%)")]
                #expect(Array(row.dropFirst()) == problemColumns.map { record[column($0)] } + [rate.isEmpty ? "—" : rate + "%"], "\(row) vs \(record)")
            }
            try #require(body.count == tableRows.count + 2, "\(level): \(body.count) CSV rows, \(tableRows.count) table rows")
            for (record, (row, work)) in zip(body, tableRows) {
                let name = ["村（社区）", "乡镇", "县区", "市"].map { record[column($0)] }.first { !$0.isEmpty } ?? ""
                if record[column("层级")] != "合计" { #expect(row[0] == name, "\(row) vs \(record)") }
                #expect(row[1] == record[column("在册户数")])
                #expect(row[2] == record[column("已走访户数")])
                #expect(row[3] == (record[column("走访覆盖率(%)")].isEmpty ? "—" : record[column("走访覆盖率(%)")] + "%"))
                for (i, kind) in ["五保户", "低保户", "危房改造户"].enumerated() {
                    let onRoster = record[column("\(kind)在册")], visited = record[column("\(kind)已走访")]
                    #expect(row[4 + i] == (onRoster == "0" ? "—" : "\(visited)/\(onRoster)"), "\(row) vs \(record)")
                }
                let inspected = record[column("层级")] == "村"
                    ? (record[column("已巡察村数")] == "1" ? "是" : "否")
                    : "\(record[column("已巡察村数")])/\(record[column("村（社区）数")])"
                #expect(row[7] == inspected)
                let workColumns = ["走访次数", "座谈场次", "座谈人次", "公告次数", "公告张数", "立行立改未整改", "立行立改已整改", "立行立改已核实"]
                #expect(Array(work.dropFirst()) == workColumns.map { record[column($0)] }, "\(work) vs \(record)")
            }
            let unknownHouseholds = try #require(body.first { $0[0] == "未知户" })
            #expect(unknownHouseholds[column("已走访户数")] == String(report.unknownHouseholds.households))
            #expect(unknownHouseholds[column("走访次数")] == String(report.unknownHouseholds.visits))
            #expect(unknownHouseholds[column("在册户数")] == "")
            let unknownVillages = try #require(body.first { $0[0] == "未知村" })
            #expect(unknownVillages[column("在册户数")] == String(report.unknownVillages.households))
            #expect(unknownVillages[column("座谈场次")] == String(report.unknownVillages.forums))
        }
    }

    @Test("the JSON holds every village, township and the district with the table's figures")
    func jsonAgreesWithReport() throws {
        let report = try report()
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(TallyJSON.render(report).utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "fieldbook.tally/1")
        #expect(Set(json.keys) == ["schema", "generated_at", "filters", "villages", "townships", "district", "unknown_households", "unknown_villages"])
        let villages = try #require(json["villages"] as? [[String: Any]])
        let townships = try #require(json["townships"] as? [[String: Any]])
        #expect(villages.count == report.villages.count)
        #expect(townships.count == report.townships.count)
        func check(_ object: [String: Any], _ c: TallyCounts, villages withVillages: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(object["households"] as? Int == c.households, sourceLocation: sourceLocation)
            #expect(object["visited"] as? Int == c.visited, sourceLocation: sourceLocation)
            #expect(object["coverage_percent"] as? Int == c.coveragePercent, sourceLocation: sourceLocation)
            let priority = object["priority"] as? [String: [String: Int]]
            for kind in PriorityKind.allCases {
                #expect(priority?[kind.rawValue] == ["households": c[kind].households, "visited": c[kind].visited], sourceLocation: sourceLocation)
            }
            #expect(object["priority_households"] as? [String: Int] == ["households": c.priority.households, "visited": c.priority.visited], sourceLocation: sourceLocation)
            #expect(object["visits"] as? Int == c.visits, sourceLocation: sourceLocation)
            #expect(object["forums"] as? Int == c.forums, sourceLocation: sourceLocation)
            #expect(object["participants"] as? Int == c.participants, sourceLocation: sourceLocation)
            #expect(object["notices"] as? Int == c.notices, sourceLocation: sourceLocation)
            #expect(object["copies"] as? Int == c.copies, sourceLocation: sourceLocation)
            #expect(object["fixes"] as? [String: Int] == ["open": c.fixesOpen, "fixed": c.fixesFixed, "verified": c.fixesVerified], sourceLocation: sourceLocation)
            if withVillages {
                #expect(object["villages"] as? Int == c.villages, sourceLocation: sourceLocation)
                #expect(object["villages_inspected"] as? Int == c.villagesInspected, sourceLocation: sourceLocation)
            } else {
                #expect(object["villages"] == nil, sourceLocation: sourceLocation)
            }
        }
        for (object, village) in zip(villages, report.villages) {
            #expect(object["name"] as? String == village.name)
            #expect(object["id"] as? String == village.id)
            #expect(object["inspected"] as? Bool == village.inspected)
            check(object, village.counts)
        }
        for (object, township) in zip(townships, report.townships) {
            #expect(object["name"] as? String == township.name)
            check(object, township.counts)
        }
        check(try #require(json["district"] as? [String: Any]), report.district)
        check(try #require(json["unknown_villages"] as? [String: Any]), report.unknownVillages, villages: false)
        #expect(json["unknown_households"] as? [String: Int] == ["visits": report.unknownHouseholds.visits, "households": report.unknownHouseholds.households])
        #expect((json["filters"] as? [String: Any])?.count == 5)
    }

    @Test("the HTML detail table holds the terminal table's rows and figures")
    func htmlAgreesWithTable() throws {
        let report = try report()
        for level in TallyLevel.allCases {
            let tables = Self.tables(in: TallyTable.render(report, by: level, language: .zh))
            let html = TallyHTML.render(report, by: level, language: .zh)
            let rows = Self.htmlRows(html)
            var expected = zip(tables[0].rows, tables[1].rows).map { ($0, $1) }
            if let totals = tables[0].totals, let work = tables[1].totals { expected.append((totals, work)) }
            try #require(rows.count == expected.count, "\(level): \(rows.count) HTML rows, \(expected.count) table rows")
            for (row, (coverage, work)) in zip(rows, expected) {
                // HTML: name, hh, visited, cover, 3 priority, 8 work figures, inspected.
                let html = row.cells.map { Self.number($0).map(String.init) ?? $0 }
                #expect(html == Array(coverage.dropLast()) + Array(work.dropFirst()) + [coverage.last!], "\(row)")
            }
            if level != .district { #expect(rows.last?.level == "total") }
            #expect(html.contains("data-level=\"unknown_households\""))
            #expect(html.contains("另有 \(report.unknownHouseholds.visits) 次走访指向名册上没有的 \(report.unknownHouseholds.households) 户"))
        }
    }

    @Test("the HTML chart has a bar per village grouped by township, the priority gaps and the district totals")
    func htmlContents() throws {
        let report = try report()
        let html = TallyHTML.render(report, by: .village, language: .zh)
        #expect(html.components(separatedBy: "<div class=\"bar").count - 1 == report.villages.count)
        #expect(html.components(separatedBy: "<figure class=\"group\">").count - 1 == report.townships.count)
        let byTownship = TallyHTML.render(report, by: .township, language: .zh)
        #expect(byTownship.components(separatedBy: "<div class=\"bar").count - 1 == report.townships.count)
        let d = report.district
        #expect(html.contains("\(d.villagesInspected) <small>/ \(d.villages)</small> <em>\(d.inspectedPercent!)%</em>"))
        // One gap row per village with priority households not yet visited.
        let gapVillages = report.villages.filter { v in PriorityKind.allCases.contains { v.counts[$0].notVisited > 0 } }
        let gapTable = try #require(html.firstRange(of: /<table class="gaptable">(.|\n)*?<\/table>/))
        #expect(html[gapTable].components(separatedBy: "<tr>").count - 1 == gapVillages.count + 2)  // with the header and totals rows
        #expect(!gapVillages.isEmpty)
        let english = TallyHTML.render(report, by: .village, language: .en)
        #expect(english.contains("<html lang=\"en\">"))
        #expect(english.contains("Villages inspected"))
    }

    @Test("the HTML is one self-contained file: no script, no link, nothing fetched")
    func htmlSelfContained() throws {
        var report = try report()
        report.townships[0].villages[0].name = "<script>alert(1)</script>&村"
        let html = TallyHTML.render(report, by: .village, language: .zh)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        for forbidden in ["<script", "<link", "src=", "url(", "@import", "<img", "<iframe", "https:"] {
            #expect(!html.contains(forbidden), "the page holds \(forbidden)")
        }
        let http = html.components(separatedBy: "http").count - 1
        let namespace = html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
        #expect(http == namespace, "only the SVG namespace may name a URL")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;村"))
        #expect(html.contains("@page { size: A4"))
    }

    // MARK: Each format on its own

    /// A report with long names and province-size figures, for layout checks.
    static func bigReport() -> TallyReport {
        var counts = TallyCounts()
        counts.households = 1_234_567
        counts.visited = 987_654
        counts.wubao = PriorityTally(households: 65_432, visited: 54_321)
        counts.dibao = PriorityTally(households: 123_456, visited: 98_765)
        counts.weifang = PriorityTally(households: 34_567, visited: 23_456)
        counts.visits = 1_000_000
        counts.forums = 40_000
        counts.participants = 640_000
        counts.notices = 40_000
        counts.copies = 120_000
        counts.fixesOpen = 7_000
        counts.fixesFixed = 8_000
        counts.fixesVerified = 9_000
        counts.villages = 1
        counts.villagesInspected = 1
        counts.problems.open = 12_000
        counts.problems.rectifying = 8_000
        counts.problems.rectified = 15_000
        counts.problems.verified = 11_000
        counts.problems.notRectifiable = 4_000
        counts.problems.overdue = 6_543
        counts.problems.cluesDiscipline = 2_500
        counts.problems.cluesOrganisation = 1_500
        counts.problems.cluesOther = 1_000
        let village = VillageTally(id: "v", name: "幸福美丽新时代乡村振兴示范社区", kind: .community, counts: counts)
        var township = TownshipTally(id: "t", name: "城关镇街道办事处联合管理委员会", villages: [village, village], counts: counts + counts)
        township.villages[1].name = "Xingfu Village, a long English name"
        return TallyReport(
            query: TallyQuery(round: "五届第五轮（2026年下半年集中巡察）", from: "2026-03-01", to: "2026-11-30", township: "城关镇街道办事处联合管理委员会", team: "第一巡察组"),
            generatedAt: "2026-11-21T09:00:00+08:00", townships: [township, township],
            district: township.counts + township.counts,
            unknownHouseholds: UnknownHouseholdsTally(visits: 12_345, households: 678), unknownVillages: counts)
    }

    @Test("every line of the table fits 80 columns and every figure lines up under its header", arguments: ReportLanguage.allCases)
    func tableFitsAndAligns(language: ReportLanguage) throws {
        for report in [Self.bigReport(), try report()] {
            for level in TallyLevel.allCases {
                let text = TallyTable.render(report, by: level, language: language)
                for line in text.components(separatedBy: "\n") {
                    #expect(DisplayWidth.of(line) <= 80, "\(DisplayWidth.of(line)) columns: \(line)")
                }
                for table in Self.tables(in: text) {
                    // Every column after the name is right-aligned: each cell ends where its header ends.
                    let ends = { (line: String) -> [Int] in
                        line.matches(of: /\S+(?: \S+)*/).map { DisplayWidth.of(String(line[..<$0.range.upperBound])) }
                    }
                    let header = ends(table.lines[0])
                    for line in table.lines.dropFirst(2) where !line.allSatisfy({ $0 == "-" }) {
                        #expect(Array(ends(line).suffix(header.count - 1)) == Array(header.dropFirst()), "\(language) \(level):\n\(table.lines[0])\n\(line)")
                    }
                }
            }
        }
    }

    @Test("a table too wide for 80 columns splits in two that repeat the names; names are cut with …, figures never")
    func wideTablesSplit() throws {
        let text = TallyTable.render(Self.bigReport(), by: .village, language: .zh)
        let tables = Self.tables(in: text)
        try #require(tables.count == 4, "\(text)")
        let (first, second, work) = (tables[0], tables[1], tables[2])
        #expect(tables[3].totals == ["合计", "296000", "96000", "20000", "92000", "80000", "16000", "108000", "26172", "61%"], "\(text)")
        #expect(first.header.first == "乡镇/村" && second.header.first == "乡镇/村")
        #expect(Array(first.header.dropFirst()) + Array(second.header.dropFirst()) == ["在册户", "已访户", "覆盖率", "五保户", "低保户", "危房改造户", "已巡察"])
        #expect(first.rows.map { $0[0] } == second.rows.map { $0[0] })
        #expect(first.rows.count == 6 && second.rows.count == 6)
        #expect(first.rows[1] == ["幸福美丽新时代乡村振兴示范社区", "1234567", "987654", "80%", "54321/65432"])
        #expect(second.rows[1] == ["幸福美丽新时代乡村振兴示范社区", "98765/123456", "23456/34567", "是"])
        #expect(first.totals == ["合计", "4938268", "3950616", "80%", "217284/261728"])
        #expect(second.totals == ["合计", "395060/493824", "93824/138268", "4/4"])
        // The work table needs the room: the names give it up.
        #expect(work.rows[1][0] == "幸福美丽新…", "\(work.rows)")
        #expect(Array(work.rows[1].dropFirst()) == ["1000000", "40000", "640000", "40000", "120000", "7000", "8000", "9000"])
    }

    @Test("CSV: a byte-order mark, CRLF line ends, RFC 4180 quoting, and no formula a spreadsheet would run")
    func csvEncoding() throws {
        var report = Self.bigReport()
        report.townships[0].villages[0].name = "东关村,\"一组\""
        report.townships[0].villages[1].name = "=HYPERLINK(\"http://x\")"
        let csv = TallyCSV.render(report, by: .village, language: .en)
        #expect(Array(csv.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(csv.hasSuffix("\r\n"))
        #expect(!csv.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(csv.contains(",\"东关村,\"\"一组\"\"\","))
        #expect(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","))
        let records = Self.parseCSV(String(csv.dropFirst()))
        #expect(records[0].prefix(7) == ["level", "township", "village", "kind", "households", "visited", "coverage_percent"])
        #expect(records[2][2] == "东关村,\"一组\"")
        #expect(records[3][2] == "'=HYPERLINK(\"http://x\")")
        #expect(records[2][3] == "community")
        #expect(Set(records.map(\.count)).count == 1)
    }

    @Test("the JSON writer reads back as JSONEncoder's output does, tricky text included")
    func jsonWriterMatchesEncoder() throws {
        let tricky = JSONValue.object([
            "text": .string("引号\"、反斜杠\\、换行\n、制表\t、\u{01}控制、/斜杠、😀"),
            "empty": .array([]), "none": .object([:]), "null": .null, "yes": .bool(true), "n": .int(-12),
            "nested": .array([.object(["b": .int(1), "a": .string("")]), .array([.int(2)])]),
        ])
        for value in [tricky, TallyJSON.value(try report())] {
            let ours = try JSONSerialization.jsonObject(with: Data(TallyJSON.write(value).utf8)) as? NSDictionary
            let encoder = try JSONSerialization.jsonObject(with: Data(value.rendered().utf8)) as? NSDictionary
            #expect(ours != nil)
            #expect(ours == encoder)
        }
        #expect(TallyJSON.write(.object(["b": .int(1), "a": .array([.string("x")])])) == "{\n  \"a\" : [\n    \"x\"\n  ],\n  \"b\" : 1\n}")
    }

    @Test("the same report renders the same bytes in every format")
    func deterministic() throws {
        let report = try report()
        #expect(TallyTable.render(report) == TallyTable.render(report))
        #expect(TallyCSV.render(report) == TallyCSV.render(report))
        #expect(TallyJSON.render(report) == TallyJSON.render(report))
        #expect(TallyHTML.render(report) == TallyHTML.render(report))
    }

    @Test("the report of the merged fixture is written to .build/test-output for a person to look at")
    func writesTestOutput() throws {
        _ = try TestOutput.write("tally-big.txt", TallyTable.render(Self.bigReport(), by: .village, language: .zh) + "\n\n" + TallyTable.render(Self.bigReport(), by: .village, language: .en) + "\n")
        let report = try report()
        let html = try TestOutput.write("tally.html", TallyHTML.render(report, by: .village, language: .zh))
        _ = try TestOutput.write("tally-en.html", TallyHTML.render(report, by: .village, language: .en))
        _ = try TestOutput.write("tally.txt", TallyTable.render(report, by: .village, language: .zh) + "\n")
        _ = try TestOutput.write("tally.csv", TallyCSV.render(report, by: .village, language: .zh))
        _ = try TestOutput.write("tally.json", TallyJSON.render(report) + "\n")
        #expect(FileManager.default.fileExists(atPath: html.path))
    }
}
