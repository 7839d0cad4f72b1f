import FieldbookTestSupport
import Foundation
import Testing

/// `fieldbook find`, `visit NAME` and the shell completion of codes and villages, through the binary.
@Suite("find and visit by name")
struct FindCommandTests {
    /// A laptop with the sample roster and two more households: a second 张建国, and 单雄信.
    func laptop() throws -> Sandbox {
        let box = Sandbox()
        try box.ok("init", "--device", "笔记本1", "--round", "五届第五轮", "--inspectors", "张三")
        box.write("roster.csv", sampleRosterCSV + "古城乡,西河村,村,三组,GC003,张建国,\n城关镇,东关村,村,二组,DG004,单雄信,\n")
        try box.giveRoster("roster.csv")
        return box
    }

    @Test("find by initials, full pinyin, name or code prints a table, best first")
    func findPrintsATable() throws {
        let box = try laptop()
        let table = try box.ok("find", "zjg")
        #expect(table == """
            code   head    village        group  priority  visited  match
            --------------------------------------------------------------
            DG001  张建国  城关镇/东关村  一组   五保户    no       pinyin
            GC003  张建国  古城乡/西河村  三组             no       pinyin
            2 households; visited: in round 五届第五轮.

            """)
        for text in [["zhangjianguo"], ["zhang", "jian", "guo"], ["张建国"], ["zhangjg"]] {
            let out = try box.ok(["find"] + text)
            #expect(out.split(separator: "\n").filter { $0.contains("张建国") }.count == 2, "\(text): \(out)")
        }
        // A village word narrows; a code comes first.
        let east = try box.ok("find", "东关", "zjg")
        #expect(east.contains("DG001") && !east.contains("GC003"), "\(east)")
        #expect(try box.ok("find", "--village", "古城乡/西河村", "zjg").contains("GC003"))
        #expect(try box.ok("find", "dg001").split(separator: "\n")[2].hasPrefix("DG001  张建国"))
        // --limit shows fewer, and says how many there are.
        let limited = try box.ok("find", "dg", "--limit", "2")
        #expect(limited.hasSuffix("2 of 5 households shown, best first; --limit shows more; visited: in round 五届第五轮.\n"), "\(limited)")
    }

    @Test("find --json gives each household with its place, priority, visit and match")
    func findJSON() throws {
        let box = try laptop()
        try box.ok("visit", "DG001")
        let json = try parseJSON(try box.ok("find", "--json", "zjg"))
        let object = try #require(json as? [String: Any])
        #expect(object["total"] as? Int == 2)
        #expect(object["round"] as? String == "五届第五轮")
        let households = try #require(object["households"] as? [[String: Any]])
        #expect(households.map { $0["code"] as? String } == ["DG001", "GC003"])
        #expect(households.map { $0["visited"] as? Bool } == [true, false])
        #expect(households.map { $0["match"] as? String } == ["pinyin", "pinyin"])
        #expect(households[0]["village"] as? String == "东关村")
        #expect(households[0]["township"] as? String == "城关镇")
        #expect(households[0]["priority"] as? [String] == ["wubao"])
    }

    @Test("find with no match exits 1 naming the closest")
    func findNothing() throws {
        let box = try laptop()
        let none = try box.run("find", "张健国")
        #expect(none.status == 1, "\(none)")
        #expect(none.stdout.isEmpty)
        #expect(none.stderrLines == ["fieldbook: No household matches 张健国. Closest: DG001 张建国 (城关镇/东关村), GC003 张建国 (古城乡/西河村)."])
        let nothing = try box.run("find", "xyz")
        #expect(nothing.status == 1)
        #expect(nothing.stderrLines == ["fieldbook: No household matches xyz."])
        let bad = try box.run("find", "zjg", "--limit", "0")
        #expect(bad.status == 64, "\(bad)")
    }

    @Test("visit NAME records the one household the name gives, and says which")
    func visitByName() throws {
        let box = try laptop()
        let out = try box.ok("visit", "单雄信", "--note", "反映低保评定不透明")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(out)")
        #expect(lines[0] == "单雄信 is household DG004 单雄信 (城关镇/东关村).")
        #expect(lines[1].hasPrefix("Recorded visit ") && lines[1].contains(" DG004 单雄信 (城关镇/东关村) \(today) by 张三"), "\(out)")
        let byInitials = try box.ok("visit", "lxy")
        #expect(byInitials.hasPrefix("lxy is household DG002 李秀英 (城关镇/东关村).\nRecorded visit "), "\(byInitials)")
        #expect(try box.ok("find", "sxx").contains("DG004  单雄信  城关镇/东关村  二组             yes"))
        // A code is taken as it is, with no line about a choice.
        #expect(try box.ok("visit", "DG003").hasPrefix("Recorded visit "))
    }

    @Test("visit with an ambiguous or unknown name exits 1, lists the closest, records nothing")
    func visitAmbiguousOrUnknown() throws {
        let box = try laptop()
        let ambiguous = try box.run("visit", "张建国")
        #expect(ambiguous.status == 1, "\(ambiguous)")
        #expect(ambiguous.stdout.isEmpty)
        #expect(ambiguous.stderrLines == [
            "fieldbook: 张建国 matches 2 households: DG001 张建国 (城关镇/东关村), GC003 张建国 (古城乡/西河村). Give the household's code (户号).",
        ])
        let unknown = try box.run("visit", "zhangjiangou")
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stderrLines == [
            "fieldbook: No household zhangjiangou on the roster. Closest: DG001 张建国 (城关镇/东关村), GC003 张建国 (古城乡/西河村). To record a household found in the field, add --new-household --village VILLAGE.",
        ])
        // Today's message for a code a keystroke away is unchanged.
        let code = try box.run("visit", "DG01")
        #expect(code.status == 1)
        #expect(code.stderr.hasPrefix("fieldbook: No household DG01 on the roster. Closest: DG001 张建国, "), "\(code)")
        let json = try parseJSON(try box.ok("list", "visits", "--json"))
        #expect((json as? [Any])?.isEmpty == true)
    }

    @Test("find and visit speak Chinese")
    func chinese() throws {
        let box = try laptop()
        let zh = ["FIELDBOOK_LANG": "zh"]
        let table = try box.run(["find", "zjg"], environment: zh)
        #expect(table.status == 0)
        #expect(table.stdoutLines.first == "户号   户主    村             村民组  重点户  已走访  匹配")
        #expect(table.stdoutLines.last == "共 2 户；已走访：五届第五轮。")
        let ambiguous = try box.run(["visit", "zjg"], environment: zh)
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.hasPrefix("fieldbook: zjg 与 2 户匹配："), "\(ambiguous)")
    }

    @Test("the shell completes household codes, names and villages from the store")
    func completion() throws {
        let box = try laptop()
        let codes = try box.ok("---completion", "visit", "--", "positional@0", "2", "3", "fieldbook", "visit", "DG0")
        #expect(codes == "DG001\nDG002\nDG003\nDG004\n")
        #expect(try box.ok("---completion", "visit", "--", "positional@0", "2", "1", "fieldbook", "visit", "单") == "单雄信\n")
        let villages = try box.ok("---completion", "forum", "--", "positional@0", "2", "1", "fieldbook", "forum", "西")
        #expect(villages == "西河村\n")
        // 东关村 is in two townships: completed with the township.
        let east = try box.ok("---completion", "notice", "--", "positional@0", "2", "1", "fieldbook", "notice", "城")
        #expect(east == "城关镇/东关村\n城关镇/新华社区\n")
        #expect(try box.ok("---completion", "find", "--", "--village", "3", "1", "fieldbook", "find", "--village", "新") == "新华社区\n")
        // The store named with --db (here the office's), and nothing at all where there is no store.
        let office = try box.ok(
            "---completion", "fix", "--", "--household", "5", "2", "fieldbook", "fix", "--db", "office.sqlite", "--household", "GC")
        #expect(office == "GC001\nGC002\nGC003\n")
        let missing = try box.run(
            ["---completion", "visit", "--", "positional@0", "2", "2", "fieldbook", "visit", "DG"],
            environment: ["FIELDBOOK_DB": box.path("none.sqlite")])
        #expect(missing.status == 0)
        #expect(missing.stdout.isEmpty && missing.stderr.isEmpty, "\(missing)")
    }
}
