import FieldbookTestSupport
import Foundation
import Testing

/// `fieldbook list` as a terminal shows it: Chinese text takes two columns, and the table must
/// still line up and fit in 80 columns.
@Suite("Tables line up with Chinese text")
struct TableLayoutTests {
    static let roster = sampleRosterCSV + """
        城关镇,幸福美丽新时代乡村振兴示范社区,社区,五组,XF001,欧阳志远,低保户
        城关镇,幸福美丽新时代乡村振兴示范社区,社区,五组,XF002,Li Na,

        """

    /// A store with records of every kind, short and long, in short and long village names; made
    /// once, and copied for each test.
    static let busy = Result<Sandbox, any Error> { try makeBusyStore() }

    func busyStore() throws -> Sandbox { try Sandbox.copy(of: try Self.busy.get()) }

    static func makeBusyStore() throws -> Sandbox {
        let sandbox = try Sandbox.withStore(roster: Self.roster).removeAtExit()
        try sandbox.record("visit", "DG001")
        try sandbox.record("visit", "DG002", "--note", "户主反映低保金发放不及时，已当场联系民政办核实，承诺本周内补发到位并电话回访")
        try sandbox.record("visit", "XF001", "--note", "「危房改造」补助款已到账", "--issues", "房顶漏雨", "--date", "2026-11-19")
        try sandbox.record("visit", "XF002", "--note", "mixed 中英 text, 12 chars: ABCDEF")
        try sandbox.record("forum", "城关镇/幸福美丽新时代乡村振兴示范社区", "--participants", "35", "--topics", "低保评定,村务公开,人居环境整治")
        try sandbox.record("forum", "西河村", "--participants", "8")
        try sandbox.record("notice", "新华社区", "--copies", "12", "--place", "社区服务中心门口公示栏及各小区单元楼道")
        try sandbox.record("notice", "古城乡/东关村", "--copies", "1", "--place", "村部")
        try sandbox.record(
            "fix", "城关镇/幸福美丽新时代乡村振兴示范社区", "--problem", "村务公开栏内容长期未更新，群众无法及时了解惠民政策落实情况",
            "--action", "当场更新", "--date", "2026-11-20")
        try sandbox.record("fix", "西河村", "--problem", "台账缺页", "--action", "补齐", "--status", "fixed")
        return sandbox
    }

    /// Checks one table: every line fits, every column starts at the same display column on every
    /// row as in the header, and the date column in particular.
    func expectAligned(_ table: String, rows expectedRows: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.isEmpty }
        #expect(lines.count == 2 + expectedRows, "\(table)", sourceLocation: sourceLocation)
        guard lines.count >= 3 else { return }
        let header = lines[0]
        #expect(header.hasPrefix("id"), "\(table)", sourceLocation: sourceLocation)
        #expect(lines[1].allSatisfy { $0 == "-" }, "the second line is the rule: \(lines[1])", sourceLocation: sourceLocation)
        #expect(displayWidth(lines[1]) >= displayWidth(header), "\(table)", sourceLocation: sourceLocation)

        for line in lines {
            #expect(displayWidth(line) <= 80, "\(displayWidth(line)) columns: \(line)", sourceLocation: sourceLocation)
        }

        let titles = ["kind", "date", "village", "what"]
        let starts = titles.compactMap { displayColumn(of: $0, in: header) }
        #expect(starts.count == titles.count, "header: \(header)", sourceLocation: sourceLocation)
        guard let dateStart = displayColumn(of: "date", in: header) else { return }

        for row in lines.dropFirst(2) {
            #expect(dateColumn(in: row) == dateStart, "the date should start at column \(dateStart): \(row)",
                    sourceLocation: sourceLocation)
            // Every column starts where its title does: after two blank columns, on a character's
            // first cell, not inside a wide character.
            let rowCells = cells(row)
            for start in starts {
                guard start < rowCells.count else {
                    Issue.record("row ends before column \(start): \(row)", sourceLocation: sourceLocation)
                    continue
                }
                #expect(rowCells[start] != nil && rowCells[start] != " ",
                        "no cell starts at column \(start): \(row)", sourceLocation: sourceLocation)
                #expect(rowCells[start - 1] == " " && rowCells[start - 2] == " ",
                        "the gap before column \(start) is not blank: \(row)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("list: every row fits in 80 columns and every column, the date first, starts on the same column")
    func listLinesUp() throws {
        let sandbox = try busyStore()
        let table = try sandbox.ok("list")
        expectAligned(table, rows: 10)
        // Long text was cut to fit, and says so.
        #expect(table.contains("…"), "\(table)")
        // Short text is shown whole.
        #expect(table.contains("[fixed] 台账缺页"), "\(table)")
        #expect(table.contains("1 copy · 村部"), "\(table)")
        // Oldest first: the visit of the 19th, then the fix of the 20th.
        let dates = table.split(separator: "\n").dropFirst(2).compactMap { line in
            line.firstMatch(of: #/\d{4}-\d{2}-\d{2}/#).map { String($0.0) }
        }
        #expect(dates == dates.sorted(), "\(table)")
        #expect(dates.first == "2026-11-19" && dates.dropFirst().first == "2026-11-20", "\(table)")
    }

    @Test("list of one kind, one village, and with deleted rows lines up too")
    func filteredListsLineUp() throws {
        let sandbox = try busyStore()
        let visits = try sandbox.ok("list", "visits")
        expectAligned(visits, rows: 4)
        let village = try sandbox.ok("list", "--village", "幸福美丽新时代乡村振兴示范社区")
        expectAligned(village, rows: 4)

        let firstVisit = try #require(
            visits.split(separator: "\n").dropFirst(2).first.flatMap { $0.split(separator: " ").first }.map(String.init))
        try sandbox.ok("delete", firstVisit)
        let withDeleted = try sandbox.ok("list", "visits", "--include-deleted")
        expectAligned(withDeleted, rows: 4)
        #expect(withDeleted.contains("[deleted]"), "\(withDeleted)")
        expectAligned(try sandbox.ok("list", "visits"), rows: 3)
    }

    @Test("the alignment check itself catches a table padded by characters instead of columns")
    func checkCatchesMisalignment() {
        // Padded as if every character took one column: 入户走访 then pushes the date 4 columns right.
        let misaligned = """
            id             kind  date        village  what
            --------------------------------------------------
            01a1fb9e-0682  座谈  2026-11-21  西河村   20人次
            01a1fb9e-0683  入户走访  2026-11-21  东关村   DG001 张建国
            """
        let lines = misaligned.split(separator: "\n").map(String.init)
        let dateStart = displayColumn(of: "date", in: lines[0])
        #expect(dateStart == 21)
        #expect(dateColumn(in: lines[2]) == dateStart)
        #expect(dateColumn(in: lines[3]) != dateStart, "the check must see the shifted date")
        let tooWide = """
            id             kind      date        village  what
            ------------------------------------------------------
            01a1fb9e-0682  座谈      2026-11-21  西河村   \(String(repeating: "很长的备注", count: 8))
            """
        #expect(tooWide.split(separator: "\n").contains { displayWidth(String($0)) > 80 }, "the check must see the overflow")
    }

    @Test("status lines its counts up under their titles")
    func statusLinesUp() throws {
        let sandbox = try busyStore()
        let status = try sandbox.ok("status")
        let lines = status.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("record") })
        let liveEnd = try #require(displayColumn(of: "live", in: header)) + displayWidth("live")
        let deletedEnd = try #require(displayColumn(of: "deleted", in: header)) + displayWidth("deleted")
        for plural in ["visits", "forums", "notices", "fixes"] {
            let row = try #require(lines.first { $0.hasPrefix(plural + " ") }, "\(status)")
            // Right-aligned: the counts end under the ends of their titles.
            let rowCells = cells(row)
            #expect(rowCells.count == deletedEnd, "\(row)")
            #expect(liveEnd - 1 < rowCells.count && rowCells[liveEnd - 1]?.isNumber == true && rowCells[liveEnd] == " ", "\(row)")
        }
        #expect(counts(in: status, "visits") == [4, 0])
        #expect(counts(in: status, "forums") == [2, 0])
        #expect(counts(in: status, "notices") == [2, 0])
        #expect(counts(in: status, "fixes") == [2, 0])
    }

    @Test(
        "a note with a line break does not break the table")
    func noteWithLineBreak() throws {
        let sandbox = try Sandbox.withStore()
        try sandbox.record("visit", "DG001", "--note", "第一行\n第二行")
        try sandbox.record("visit", "DG002", "--note", "正常")
        expectAligned(try sandbox.ok("list"), rows: 2)
    }
}
