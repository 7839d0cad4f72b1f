@testable import FieldbookCommands
import Testing

/// The command line parsed in process with `Fieldbook.parseAsRoot`: no store, no binary.
@Suite("Parsing in process")
struct ParsingTests {
    /// The error parsing `arguments` throws, or nil when they parse.
    func parseError(_ arguments: [String]) -> (any Error)? {
        do {
            _ = try Fieldbook.parseAsRoot(arguments)
            return nil
        } catch {
            return error
        }
    }

    @Test("a visit by household code alone parses, with the defaults left unset")
    func visitByCodeAlone() throws {
        let command = try Fieldbook.parseAsRoot(["visit", "DG001"])
        let visit = try #require(command as? Fieldbook.Visit)
        #expect(visit.household == "DG001")
        #expect(visit.date == nil)
        #expect(visit.by == nil)
        #expect(visit.newHousehold == false)
        #expect(visit.store.db == nil)
    }

    @Test("visit H001 --by 张三,李四 parses, and keeps the Chinese names as typed")
    func visitWithInspectors() throws {
        let command = try Fieldbook.parseAsRoot(
            ["visit", "H001", "--by", "张三,李四", "--met", "户主本人", "--follow-up", "核实低保", "--db", "外勤.sqlite"])
        let visit = try #require(command as? Fieldbook.Visit)
        #expect(visit.household == "H001")
        #expect(visit.by == "张三,李四")
        #expect(visit.met == "户主本人")
        #expect(visit.followUp == "核实低保")
        #expect(visit.store.db == "外勤.sqlite")
    }

    @Test("a visit to a household found in the field parses with --new-household --village")
    func newHouseholdVisit() throws {
        let command = try Fieldbook.parseAsRoot(
            ["visit", "DG009", "--new-household", "--village", "城关镇/东关村", "--head", "孙小红", "--priority", "低保户"])
        let visit = try #require(command as? Fieldbook.Visit)
        #expect(visit.newHousehold)
        #expect(visit.village == "城关镇/东关村")
        #expect(visit.head == "孙小红")
        #expect(visit.priority == "低保户")
    }

    @Test("forum parses with --participants alone, or with the full split")
    func forumParses() throws {
        let alone = try #require(try Fieldbook.parseAsRoot(["forum", "西河村", "--participants", "12"]) as? Fieldbook.Forum)
        #expect(alone.village == "西河村")
        #expect(alone.participants == "12")
        let split = try #require(
            try Fieldbook.parseAsRoot(["forum", "西河村", "--cadres", "3", "--members", "5", "--villagers", "12"])
                as? Fieldbook.Forum)
        #expect(split.participants == nil)
        #expect([split.cadres, split.members, split.villagers] == ["3", "5", "12"])
    }

    @Test("edit takes several --set FIELD=VALUE, and values may hold = and Chinese")
    func editParses() throws {
        let command = try Fieldbook.parseAsRoot(
            ["edit", "0190a3b4-5c6d", "--set", "note=户主外出务工", "--set", "issues=a=b"])
        let edit = try #require(command as? Fieldbook.Edit)
        #expect(edit.id == "0190a3b4-5c6d")
        #expect(edit.assignments == ["note=户主外出务工", "issues=a=b"])
    }

    @Test("notice --copies=-3 parses: the count is checked when recording, not as an option")
    func negativeCopiesParses() throws {
        let command = try Fieldbook.parseAsRoot(["notice", "西河村", "--copies=-3", "--place", "公示栏"])
        let notice = try #require(command as? Fieldbook.Notice)
        #expect(notice.copies == "-3")
    }

    @Test("the other commands parse into their own types")
    func otherCommands() throws {
        let fix = try #require(
            try Fieldbook.parseAsRoot(["fix", "东关村", "--problem", "公示未更新", "--action", "当场更新"]) as? Fieldbook.Fix)
        #expect(fix.problem == "公示未更新")
        #expect(fix.status == nil)
        let status = try #require(
            try Fieldbook.parseAsRoot(["fix-status", "0190a3b4", "verified", "--date", "2026-11-22"])
                as? Fieldbook.FixStatusCommand)
        #expect(status.id == "0190a3b4")
        #expect(status.status == "verified")
        #expect(status.date == "2026-11-22")
        let importing = try #require(
            try Fieldbook.parseAsRoot(["roster", "import", "花名册.csv"]) as? Fieldbook.RosterCommand.Import)
        #expect(importing.file == "花名册.csv")
        let list = try #require(try Fieldbook.parseAsRoot(["list", "座谈", "--json"]) as? Fieldbook.List)
        #expect(list.kind == "座谈")
        #expect(list.json)
        #expect(try Fieldbook.parseAsRoot(["init", "--device", "笔记本1"]) is Fieldbook.Init)
        #expect(try Fieldbook.parseAsRoot(["status"]) is Fieldbook.Status)
        #expect(try Fieldbook.parseAsRoot(["history", "0190a3b4"]) is Fieldbook.History)
        #expect(try Fieldbook.parseAsRoot(["delete", "0190a3b4"]) is Fieldbook.Delete)
        #expect(try Fieldbook.parseAsRoot(["show", "0190a3b4", "--json"]) is Fieldbook.Show)
    }

    @Test(
        "validation errors exit 64 and say what is missing",
        arguments: [
            (["edit", "0190a3b4-5c6d"], "--set"),
            (["edit", "0190a3b4-5c6d", "--set", "note"], "note"),
            (["forum", "西河村"], "--participants"),
            (["forum", "西河村", "--cadres", "3", "--members", "5"], "--villagers"),
            (["visit", "DG001", "--village", "城关镇/东关村"], "--new-household"),
            (["visit", "DG001", "--head", "孙小红"], "--new-household"),
            (["visit", "DG009", "--new-household"], "--village"),
            (["list", "meetings"], "meetings"),
        ])
    func validationErrors(arguments: [String], named: String) throws {
        let error = try #require(parseError(arguments), "\(arguments) should not parse")
        #expect(Fieldbook.exitCode(for: error).rawValue == 64)
        let message = Fieldbook.message(for: error)
        #expect(message.contains(named), "\(message)")
    }

    @Test(
        "usage errors exit 64 and name the option or command at fault",
        arguments: [
            (["notice", "西河村", "--place", "公示栏"], "--copies"),
            (["fix", "西河村", "--problem", "公示未更新"], "--action"),
            (["visit"], "household"),
            (["init"], "--device"),
            (["vist", "DG001"], "vist"),
            (["visit", "DG001", "--colour", "red"], "--colour"),
        ])
    func usageErrors(arguments: [String], named: String) throws {
        let error = try #require(parseError(arguments), "\(arguments) should not parse")
        #expect(Fieldbook.exitCode(for: error).rawValue == 64)
        let message = Fieldbook.fullMessage(for: error)
        #expect(message.contains(named), "\(message)")
    }

    @Test("--help parses into a help request that exits 0 with the command's usage")
    func help() throws {
        var command = try Fieldbook.parseAsRoot(["visit", "--help"])
        #expect(!(command is Fieldbook.Visit))
        do {
            try command.run()
            Issue.record("a help request should end by throwing its clean exit")
        } catch {
            #expect(Fieldbook.exitCode(for: error).rawValue == 0)
            #expect(Fieldbook.fullMessage(for: error).contains("--new-household"))
        }
    }
}
