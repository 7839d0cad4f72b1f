import FieldbookTestSupport
import Foundation
import Testing

/// One bad command line: what it is, the exit code, and what its message must name.
/// `{visit}` in the arguments stands for the id of a visit the store holds.
struct BadCommand: Sendable, CustomTestStringConvertible {
    var label: String
    var arguments: [String]
    var code: Int32
    var names: [String]

    var testDescription: String { label }
}

/// The built binary, given bad input: the right exit code, one clear line on stderr naming the
/// value at fault, and nothing written to the store.
@Suite("Bad input, end to end")
struct BadInputTests {
    /// A store with the sample roster and one visit, made once and copied for each test, and what
    /// `snapshot()` shows of it: every copy shows the same until a command writes to it.
    struct Template: Sendable {
        var sandbox: Sandbox
        var visitID: String
        var snapshot: String
    }

    static let template = Result<Template, any Error> {
        let sandbox = try Sandbox.withStore().removeAtExit()
        let visit = try sandbox.record("visit", "DG001", "--note", "户主在家")
        return Template(sandbox: sandbox, visitID: visit.id, snapshot: try sandbox.snapshot())
    }

    /// A fresh copy of the template store, the id of its visit, and its snapshot.
    func storeWithAVisit() throws -> (sandbox: Sandbox, visitID: String, before: String) {
        let template = try Self.template.get()
        #expect(template.snapshot.contains("visits 入户走访"), "\(template.snapshot)")
        return (try Sandbox.copy(of: template.sandbox), template.visitID, template.snapshot)
    }

    static let badCommands: [BadCommand] = [
        BadCommand(
            label: "unknown household, closest codes listed", arguments: ["visit", "DG004"], code: 1,
            names: ["DG004", "DG001 张建国", "DG002 李秀英", "DG003 王大力"]),
        BadCommand(
            label: "unknown household in a fix", arguments: ["fix", "城关镇/东关村", "--problem", "门牌缺失", "--action", "补挂", "--household", "XH01"],
            code: 1, names: ["XH01", "XH001"]),
        BadCommand(
            label: "village name in two townships", arguments: ["forum", "东关村", "--participants", "10"], code: 1,
            names: ["东关村", "城关镇/东关村", "古城乡/东关村", "TOWNSHIP/VILLAGE"]),
        BadCommand(
            label: "unknown village", arguments: ["notice", "南山村", "--copies", "2", "--place", "公示栏"], code: 1,
            names: ["南山村"]),
        BadCommand(
            label: "village in the wrong township", arguments: ["notice", "城关镇/西河村", "--copies", "2", "--place", "公示栏"],
            code: 1, names: ["城关镇/西河村", "古城乡/西河村"]),
        BadCommand(
            label: "a day that does not exist", arguments: ["visit", "DG001", "--date", "2026-02-30"], code: 64,
            names: ["2026-02-30", "date"]),
        BadCommand(
            label: "a month that does not exist, in an edit", arguments: ["edit", "{visit}", "--set", "date=2026-13-01"],
            code: 64, names: ["2026-13-01", "date"]),
        BadCommand(
            label: "negative copies", arguments: ["notice", "西河村", "--copies=-3", "--place", "公示栏"], code: 64,
            names: ["-3", "copies"]),
        BadCommand(
            label: "copies not a number", arguments: ["notice", "西河村", "--copies", "三", "--place", "公示栏"], code: 64,
            names: ["\"三\"", "copies"]),
        BadCommand(
            label: "a forum of nobody", arguments: ["forum", "西河村", "--participants=0"], code: 64,
            names: ["participants", "\"0\""]),
        BadCommand(
            label: "a forum split larger than its participants",
            arguments: ["forum", "西河村", "--participants", "5", "--cadres", "3", "--members", "2", "--villagers", "4"],
            code: 64, names: ["participants", "9"]),
        BadCommand(
            label: "empty problem", arguments: ["fix", "西河村", "--problem", "", "--action", "当场整改"], code: 64,
            names: ["problem"]),
        BadCommand(
            label: "blank problem", arguments: ["fix", "西河村", "--problem", "   ", "--action", "当场整改"], code: 64,
            names: ["problem"]),
        BadCommand(
            label: "unknown fix status", arguments: ["fix", "西河村", "--problem", "公示未更新", "--action", "更新", "--status", "done"],
            code: 64, names: ["done", "status"]),
        BadCommand(
            label: "unknown round", arguments: ["visit", "DG001", "--round", "六届第一轮"], code: 1, names: ["六届第一轮", "五届第五轮"]),
        BadCommand(
            label: "unknown priority on a new household",
            arguments: ["visit", "DG010", "--new-household", "--village", "城关镇/东关村", "--priority", "特困户"],
            code: 64, names: ["特困户"]),
        BadCommand(
            label: "new household that is on the roster",
            arguments: ["visit", "DG001", "--new-household", "--village", "城关镇/东关村"], code: 1, names: ["DG001"]),
        BadCommand(
            label: "new household in an ambiguous village",
            arguments: ["visit", "DG010", "--new-household", "--village", "东关村"], code: 1,
            names: ["东关村", "城关镇/东关村", "古城乡/东关村"]),
        BadCommand(label: "edit of an unknown id", arguments: ["edit", "ffffffff-ffff", "--set", "note=x"], code: 1, names: ["ffffffff-ffff"]),
        BadCommand(label: "delete of an unknown id", arguments: ["delete", "ffffffff-ffff"], code: 1, names: ["ffffffff-ffff"]),
        BadCommand(label: "show of an unknown id", arguments: ["show", "ffffffff"], code: 1, names: ["ffffffff"]),
        BadCommand(label: "history of a word, not an id", arguments: ["history", "张建国"], code: 1, names: ["张建国"]),
        BadCommand(label: "fix-status of an unknown id", arguments: ["fix-status", "ffffffff-ffff", "fixed"], code: 1, names: ["ffffffff-ffff"]),
        BadCommand(label: "fix-status of a visit", arguments: ["fix-status", "{visit}", "fixed"], code: 64, names: ["{visit}", "visit"]),
        BadCommand(
            label: "unknown field in an edit", arguments: ["edit", "{visit}", "--set", "colour=红"], code: 64,
            names: ["colour", "note", "follow_up"]),
        BadCommand(
            label: "a field edit cannot clear", arguments: ["edit", "{visit}", "--set", "household="], code: 64,
            names: ["household"]),
        BadCommand(
            label: "an edit that changes nothing", arguments: ["edit", "{visit}", "--set", "note=户主在家"], code: 1,
            names: ["{visit}"]),
        BadCommand(
            label: "list of an unknown village", arguments: ["list", "--village", "南山村"], code: 1, names: ["南山村"]),
        BadCommand(
            label: "list since a bad date", arguments: ["list", "--since", "2026-11-31"], code: 64, names: ["2026-11-31"]),
    ]

    @Test("a bad value is refused with one clear line, and nothing is written", arguments: badCommands)
    func badValue(_ bad: BadCommand) throws {
        let (sandbox, visitID, before) = try storeWithAVisit()
        let arguments = bad.arguments.map { $0 == "{visit}" ? visitID : $0.replacingOccurrences(of: "{visit}", with: visitID) }
        let result = try sandbox.run(arguments)
        expectFailure(result, code: bad.code, naming: bad.names.map { $0.replacingOccurrences(of: "{visit}", with: visitID) })
        #expect(try sandbox.snapshot() == before, "\(bad.label) changed the store")
    }

    @Test("an edit of a deleted record is refused, and the record stays deleted")
    func editDeleted() throws {
        let (sandbox, visitID, _) = try storeWithAVisit()
        try sandbox.ok("delete", visitID)
        let before = try sandbox.snapshot()
        let result = try sandbox.run("edit", visitID, "--set", "note=改")
        expectFailure(result, code: 1, naming: [visitID, "deleted", "fieldbook history"])
        let again = try sandbox.run("delete", visitID)
        expectFailure(again, code: 1, naming: [visitID, "deleted"])
        #expect(try sandbox.snapshot() == before)
    }

    @Test("usage errors from the argument parser exit 64, name the option, and write nothing")
    func usageErrors() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        expectUsageError(try sandbox.run("visit", "DG001", "--village", "城关镇/东关村"), naming: ["--village", "--new-household"])
        expectUsageError(try sandbox.run("forum", "西河村", "--cadres", "3"), naming: ["--participants"])
        expectUsageError(try sandbox.run("notice", "西河村", "--place", "公示栏"), naming: ["--copies"])
        expectUsageError(try sandbox.run("edit", "0190a3b4"), naming: ["--set"])
        expectUsageError(try sandbox.run("list", "meetings"), naming: ["meetings"])
        #expect(try sandbox.snapshot() == before)
    }

    @Test("notice --copies -3, without =, gets the domain's message, not a silent record")
    func negativeCopiesWithoutEquals() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        let result = try sandbox.run("notice", "西河村", "--copies", "-3", "--place", "公示栏")
        expectFailure(result, code: 64, naming: ["copies", "\"-3\"", "whole number"])
        #expect(!result.stderr.contains("Missing value"), "\(result)")
        #expect(try sandbox.snapshot() == before)
    }

    // MARK: Roster files

    @Test("a roster without the village column is refused with exit 65, and nothing is imported")
    func rosterMissingColumns() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        sandbox.write("缺列.csv", "乡镇,户号,户主\n城关镇,DG010,王明\n")
        let result = try sandbox.run("roster", "import", "--db", "office.sqlite", "缺列.csv")
        expectFailure(result, code: 65, naming: ["缺列.csv", "village", "村"])
        #expect(try sandbox.snapshot() == before)
    }

    @Test("a roster with an unterminated quote is refused with exit 65 and the line of the quote")
    func rosterBrokenQuoting() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        sandbox.write(
            "引号.csv", "乡镇,村,户号,户主\n城关镇,东关村,DG010,王明\n城关镇,\"东关村,DG011,刘芳\n城关镇,东关村,DG012,李雷\n")
        let result = try sandbox.run("roster", "import", "--db", "office.sqlite", "引号.csv")
        expectFailure(result, code: 65, naming: ["引号.csv", "line 3", "quote"])
        #expect(try sandbox.snapshot() == before)
        // Not a single row of the file was taken.
        expectFailure(try sandbox.run("visit", "DG010"), code: 1, naming: ["DG010"])
    }

    @Test("a roster saved as GBK is refused with exit 65, the line, and how to save it as UTF-8")
    func rosterNotUTF8() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        // "城关" in GBK is B3 C7 B9 D8.
        let bytes = Array("township,village,household\n".utf8) + Array("城关镇,东关村,DG010\n".utf8)
            + [0xB3, 0xC7, 0xB9, 0xD8] + Array(",东关村,DG011\n".utf8)
        try sandbox.write("gbk.csv", bytes: bytes)
        let result = try sandbox.run("roster", "import", "--db", "office.sqlite", "gbk.csv")
        expectFailure(result, code: 65, naming: ["gbk.csv", "line 3", "UTF-8", "GBK"])
        #expect(try sandbox.snapshot() == before)
    }

    @Test("an empty roster file is refused with exit 65")
    func rosterEmpty() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        sandbox.write("空.csv", "")
        expectFailure(try sandbox.run("roster", "import", "--db", "office.sqlite", "空.csv"), code: 65, naming: ["空.csv", "empty"])
        // A file that is not there is no input (66, as --help says), not bad data.
        expectFailure(try sandbox.run("roster", "import", "--db", "office.sqlite", "没有这个文件.csv"), code: 66, naming: ["没有这个文件.csv", "no such file"])
        #expect(try sandbox.snapshot() == before)
    }

    @Test("rejected roster rows: exit 65, each named by its line, the good rows imported")
    func rosterRowsRejected() throws {
        let (sandbox, _, _) = try storeWithAVisit()
        // A 备注 column Fieldbook does not read; in it, a cell with a line break (Alt+Enter in Excel).
        let csv = """
            乡镇,村,类型,村民组,户号,户主,重点户,备注
            古城乡,西河村,村,三组,GC003,周平,,
            古城乡,西河村,村,三组,,无户号,,

            古城乡,西河村,村,三组,GC004,吴敏,特困户,
            古城乡,西河村,村,三组,GC005,郑强,
            古城乡,西河村,村,三组,GC006,冯小梅,,"户主长期
            在外务工"
            古城乡,南坡村,乡村,一组,GC007,钱多,,
            古城乡,西河村,村,三组,GC003,周平平,,
            古城乡,西河村,村,三组,GC008,"王""二""\",dibao,

            """
        sandbox.write("roster-bad.csv", csv)
        let result = try sandbox.run("roster", "import", "--db", "office.sqlite", "roster-bad.csv")
        #expect(result.status == 65, "\(result)")
        expectNoCrashReport(result)
        #expect(
            result.stdout == "Imported roster-bad.csv: 3 households added, 0 updated, 0 unchanged, 5 rejected "
                + "(0 townships and 0 villages added).\nIgnored columns: 备注.\n", "\(result)")
        let lines = result.stderrLines
        #expect(lines.count == 6, "\(result)")
        let expected: [(line: Int, names: [String])] = [
            (3, ["household code", "户号"]),
            (5, ["特困户"]),
            (6, ["7 fields", "8"]),
            (9, ["乡村"]),
            (10, ["GC003", "line 2"]),
        ]
        for (index, rejection) in expected.enumerated() where index < lines.count {
            let line = lines[index]
            #expect(line.hasPrefix("roster-bad.csv:\(rejection.line): "), "rejection \(index + 1) should name line \(rejection.line): \(line)")
            for name in rejection.names {
                #expect(line.contains(name), "\(line) should name \(name)")
            }
        }
        #expect(lines.last?.hasPrefix("fieldbook: 5 rows of roster-bad.csv were rejected") == true, "\(result)")

        // The good rows are on the roster; the rejected ones are not. The laptop gets it by bundle.
        try sandbox.ok("pack", "--db", "office.sqlite", "--roster", "--out", "roster-bundles")
        try sandbox.ok("merge", "roster-bundles")
        let status = try sandbox.ok("status")
        #expect(status.contains("roster     2 townships, 4 villages, 9 households"), "\(status)")
        try sandbox.record("visit", "GC003")
        try sandbox.record("visit", "GC006")
        let quoted = try sandbox.record("visit", "GC008")
        #expect(quoted.line.contains("GC008 王\"二\" (古城乡/西河村)"), "\(quoted.line)")
        for code in ["GC004", "GC005", "GC007"] {
            expectFailure(try sandbox.run("visit", code), code: 1, naming: [code])
        }
    }

    @Test(
        "a roster cell with a line break does not break one-line messages")
    func lineBreakInHead() throws {
        let sandbox = Sandbox()
        try sandbox.ok("init", "--device", "笔记本1", "--round", "五届第五轮")
        sandbox.write("roster.csv", "乡镇,村,户号,户主\n城关镇,东关村,DG001,\"冯小梅\n(续)\"\n城关镇,东关村,DG002,张三\n")
        try sandbox.giveRoster("roster.csv")
        let visit = try sandbox.record("visit", "DG001")
        #expect(!visit.line.contains("\n"), "\(visit.line)")
        let unknown = try sandbox.run("visit", "DG003")
        expectFailure(unknown, code: 1, naming: ["DG003", "DG001", "DG002"])
    }

    // MARK: Stores

    @Test("a file that is not an SQLite database, given as --db, is refused with exit 66 and left as it was")
    func notAStore() throws {
        let sandbox = Sandbox()
        sandbox.write("笔记.txt", "这不是数据库\n")
        let filesBefore = try sandbox.fileNames()
        let result = try sandbox.run("status", "--db", "笔记.txt")
        expectFailure(result, code: 66, naming: ["笔记.txt", "not a Fieldbook store"])
        let visit = try sandbox.run("visit", "DG001", "--db", "笔记.txt")
        expectFailure(visit, code: 66, naming: ["笔记.txt"])
        #expect(sandbox.contents("笔记.txt") == Data("这不是数据库\n".utf8))
        #expect(try sandbox.fileNames() == filesBefore)
    }

    @Test("a damaged file that starts like an SQLite database is refused with exit 66 and left as it was")
    func damagedStore() throws {
        let sandbox = Sandbox()
        let bytes = Array("SQLite format 3\0".utf8) + Array(repeating: 0xAB, count: 2048)
        try sandbox.write("坏.sqlite", bytes: bytes)
        let filesBefore = try sandbox.fileNames()
        let result = try sandbox.run("status", "--db", "坏.sqlite")
        expectFailure(result, code: 66, naming: ["坏.sqlite", "not a Fieldbook store"])
        #expect(sandbox.contents("坏.sqlite") == Data(bytes))
        #expect(try sandbox.fileNames() == filesBefore)
    }

    @Test("a command run where there is no store exits 66 and creates nothing")
    func noStore() throws {
        let sandbox = Sandbox()
        for arguments in [["status"], ["visit", "DG001"], ["list"], ["roster", "import", "roster.csv"]] {
            let result = try sandbox.run(arguments)
            expectFailure(result, code: 66, naming: ["fieldbook.sqlite", "fieldbook init"])
            let files = try sandbox.fileNames()
            #expect(files.isEmpty, "\(arguments) created files: \(files)")
        }
        let named = try sandbox.run("status", "--db", "外勤/fieldbook.sqlite")
        expectFailure(named, code: 66, naming: ["外勤/fieldbook.sqlite"])
        #expect(try sandbox.fileNames().isEmpty)
    }

    @Test("init over an existing store exits 73 and leaves the store as it was")
    func initOverStore() throws {
        let (sandbox, _, before) = try storeWithAVisit()
        let result = try sandbox.run("init", "--device", "第二组-笔记本9", "--round", "六届第一轮")
        expectFailure(result, code: 73, naming: ["fieldbook.sqlite", "--db"])
        let after = try sandbox.snapshot()
        #expect(after == before)
        #expect(after.hasPrefix("device     第一组-笔记本1 "))
    }

    @Test("init over a file that is not a store exits 73 and leaves the file as it was")
    func initOverOtherFile() throws {
        let sandbox = Sandbox()
        sandbox.write("花名册.csv", sampleRosterCSV)
        let result = try sandbox.run("init", "--device", "笔记本1", "--db", "花名册.csv")
        expectFailure(result, code: 73, naming: ["花名册.csv"])
        #expect(sandbox.contents("花名册.csv") == Data(sampleRosterCSV.utf8))
        #expect(try sandbox.fileNames() == ["花名册.csv"])
    }

    @Test("a blank device name is refused with exit 64 and no store is left behind")
    func initBlankDevice() throws {
        let sandbox = Sandbox()
        expectFailure(try sandbox.run("init", "--device", "  "), code: 64, naming: ["device"])
        #expect(try sandbox.fileNames().isEmpty)
    }

    @Test("recording with no round set exits 64 and says how to set one")
    func noRound() throws {
        let sandbox = Sandbox()
        try sandbox.ok("init", "--device", "笔记本1")
        sandbox.write("roster.csv", sampleRosterCSV)
        try sandbox.giveRoster("roster.csv")
        let before = try sandbox.snapshot()
        expectFailure(try sandbox.run("visit", "DG001"), code: 64, naming: ["fieldbook round"])
        #expect(try sandbox.snapshot() == before)
    }
}
