import FieldbookTestSupport
import Foundation
import Testing

/// The built binary, end to end, through a day of inspection work in a village.
@Suite("A day in a village")
struct DayInVillageTests {
    @Test("init, roster, visits, forum, notice, fix, edit, delete, history, list and status")
    func dayInAVillage() throws {
        let day = Sandbox()

        // Morning: set up the laptop and import the roster the township office sent (with a BOM, as Excel writes it).
        let created = try day.ok(
            "init", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--round", "五届第五轮", "--inspectors", "张三,李四")
        #expect(created.hasPrefix("Created store fieldbook.sqlite for device 第一组-笔记本1 (id "), "\(created)")
        #expect(created.hasSuffix(", team 第一巡察组, round 五届第五轮.\n"), "\(created)")
        #expect(FileManager.default.fileExists(atPath: day.path("fieldbook.sqlite")))

        // The roster is the office's: it imports the township's file and packs it for the laptops.
        day.write("花名册.csv", "\u{FEFF}" + sampleRosterCSV)
        let refused = try day.run("roster", "import", "花名册.csv")
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains("pack --roster"), "\(refused)")
        let imported = try day.giveRoster("花名册.csv")
        #expect(
            imported == "Imported 花名册.csv: 6 households added, 0 updated, 0 unchanged, 0 rejected "
                + "(2 townships and 4 villages added).\n")

        // Visits by household code alone: today's date and the device's inspectors.
        let v1 = try day.record("visit", "DG001")
        #expect(v1.line == "Recorded visit \(v1.id) DG001 张建国 (城关镇/东关村) \(today) by 张三、李四")
        let v2 = try day.record("visit", "GC002")
        #expect(v2.line == "Recorded visit \(v2.id) GC002 陈静 (古城乡/西河村) \(today) by 张三、李四")

        // A visit with what was found, on yesterday's date, by other inspectors.
        let v3 = try day.record(
            "visit", "DG002", "--date", "2026-11-20", "--by", "王五、赵六", "--met", "户主本人",
            "--note", "低保金按月发放", "--follow-up", "核实危房改造进度")
        #expect(v3.line == "Recorded visit \(v3.id) DG002 李秀英 (城关镇/东关村) 2026-11-20 by 王五、赵六")

        // A household found in the field, not on the roster.
        let fieldNote = "户主说：“路灯坏了三个月，没人管”。已记录，转村委会。"
        let v4 = try day.record(
            "visit", "DG009", "--new-household", "--village", "城关镇/东关村", "--head", "孙小红", "--group", "三组",
            "--priority", "低保户", "--note", fieldNote)
        #expect(v4.line == "Recorded visit \(v4.id) DG009 孙小红 (城关镇/东关村) \(today) by 张三、李四")

        // A forum given as the split only: participants are the sum.
        let forum = try day.record(
            "forum", "西河村", "--cadres", "3", "--members", "5", "--villagers", "12", "--topics", "低保评定,村务公开",
            "--note", "群众反映道路破损")
        #expect(forum.line == "Recorded forum \(forum.id) 古城乡/西河村 \(today) 20 participants")

        let notice = try day.record("notice", "新华社区", "--copies", "4", "--place", "村委会公示栏")
        #expect(notice.line == "Recorded notice \(notice.id) 城关镇/新华社区 \(today) 4 copies at 村委会公示栏")

        // An on-the-spot fix, then fixed and verified.
        let fix = try day.record(
            "fix", "城关镇/东关村", "--problem", "低保公示未更新", "--action", "当场督促更新公示", "--household", "DG002",
            "--category", "惠民政策落实", "--responsible", "村支书")
        #expect(fix.line == "Recorded fix \(fix.id) 城关镇/东关村 \(today) [open] 低保公示未更新")
        let fixed = try day.ok("fix-status", fix.id, "fixed")
        #expect(fixed == "Updated fix \(fix.id) 城关镇/东关村 \(today) [fixed] 低保公示未更新\n")
        // The id as `list` shows it (the shortest prefix that tells the records apart) is enough.
        let shownID = try #require(tableRow(for: fix.id, in: try day.ok("list")).flatMap { $0.split(separator: " ").first })
        #expect(shownID.count < fix.id.count)
        // Verified the next day, recorded tonight: a date after today needs --allow-future.
        let verified = try day.ok("fix-status", String(shownID), "verified", "--date", "2026-11-22", "--allow-future")
        #expect(verified == "Updated fix \(fix.id) 城关镇/东关村 \(today) [verified] 低保公示未更新\n")
        let fixJSON = try #require(try parseJSON(try day.ok("show", fix.id, "--json")) as? [String: Any])
        #expect(fixJSON["status"] as? String == "verified")
        #expect(fixJSON["found_on"] as? String == today)
        #expect(fixJSON["fixed_on"] as? String == today)
        #expect(fixJSON["verified_on"] as? String == "2026-11-22")
        #expect(fixJSON["household"] as? String == "DG002 李秀英")
        #expect(fixJSON["village"] as? String == "城关镇/东关村")
        #expect(fixJSON["problem"] as? String == "低保公示未更新")

        // Correct a field: show --json has the new value.
        let edited = try day.ok("edit", v1.id, "--set", "note=户主外出务工，其妻代答")
        #expect(edited.hasPrefix("Edited visit \(v1.id) (note): DG001 张建国"), "\(edited)")
        let v1JSON = try #require(try parseJSON(try day.ok("show", v1.id, "--json")) as? [String: Any])
        #expect(v1JSON["note"] as? String == "户主外出务工，其妻代答")
        #expect(v1JSON["id"] as? String == v1.id)
        #expect(v1JSON["deleted"] as? Bool == false)

        // Correct a text field that had a value: history shows it from → to.
        try day.ok("edit", v3.id, "--set", "note=低保金已按月足额发放")
        let v3History = try day.ok("history", v3.id)
        #expect(v3History.contains("    note: 低保金按月发放 → 低保金已按月足额发放\n"), "\(v3History)")

        // A wrong record: correct it, then delete it.
        try day.ok("edit", v2.id, "--set", "met=户主之子")
        let deleted = try day.ok("delete", v2.id)
        #expect(deleted.hasPrefix("Deleted visit \(v2.id) GC002 陈静"), "\(deleted)")

        let list = try day.ok("list")
        #expect(!list.contains("GC002"), "the deleted visit is still listed:\n\(list)")
        for (id, what) in [(v1.id, "DG001"), (v3.id, "DG002"), (v4.id, "DG009")] {
            #expect(tableRow(for: id, in: list)?.contains(what) == true, "no row for \(what) (\(id)) in:\n\(list)")
        }
        for id in [forum.id, notice.id, fix.id] {
            #expect(tableRow(for: id, in: list) != nil, "\(id) missing from:\n\(list)")
        }
        #expect(tableRow(for: v2.id, in: list) == nil, "\(list)")
        // Header, rule, and one row per live record.
        #expect(list.split(separator: "\n").count == 2 + 6, "\(list)")

        let withDeleted = try day.ok("list", "--include-deleted")
        let deletedRow = tableRow(for: v2.id, in: withDeleted)
        #expect(deletedRow?.contains("[deleted] GC002") == true, "\(withDeleted)")
        #expect(withDeleted.split(separator: "\n").count == 2 + 7, "\(withDeleted)")

        // History: the create, the correction, the deletion, each with when and by whom.
        let history = try day.ok("history", v2.id)
        let lines = history.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("visit \(v2.id) GC002 陈静 (古城乡/西河村)") == true, "\(history)")
        let entries = lines.filter { $0.hasPrefix("2026-11-21 ") }
        #expect(entries.count == 3, "\(history)")
        let ops = entries.compactMap { $0.firstMatch(of: #/^2026-11-21 \d{2}:\d{2}:\d{2}  (\w+) by 第一组-笔记本1 \(change \d+\)$/#) }
            .map { String($0.1) }
        #expect(ops == ["create", "update", "delete"], "\(history)")
        #expect(lines.contains("    household: GC002 陈静"), "\(history)")
        #expect(lines.contains("    met: — → 户主之子"), "\(history)")
        #expect(lines.contains("    deleted: no → yes"), "\(history)")
        let numbers = entries.compactMap(changeNumber)
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "\(history)")

        // list visits --json: the live visits, Chinese text exactly as typed.
        let json = try #require(try parseJSON(try day.ok("list", "visits", "--json")) as? [[String: Any]])
        #expect(json.count == 3)
        #expect(Set(json.compactMap { $0["id"] as? String }) == [v1.id, v3.id, v4.id])
        #expect(json.allSatisfy { $0["kind"] as? String == "visit" && $0["deleted"] as? Bool == false })
        let found = try #require(json.first { $0["id"] as? String == v4.id })
        #expect(found["note"] as? String == fieldNote)
        #expect(found["household"] as? String == "DG009 孙小红")
        #expect(found["village"] as? String == "城关镇/东关村")
        #expect(found["inspectors"] as? [String] == ["张三", "李四"])
        #expect(found["round"] as? String == "五届第五轮")
        #expect(found["date"] as? String == today)
        let yesterday = try #require(json.first { $0["id"] as? String == v3.id })
        #expect(yesterday["inspectors"] as? [String] == ["王五", "赵六"])
        #expect(yesterday["met"] as? String == "户主本人")
        #expect(yesterday["note"] as? String == "低保金已按月足额发放")
        #expect(yesterday["follow_up"] as? String == "核实危房改造进度")
        #expect(yesterday["date"] as? String == "2026-11-20")
        // Oldest first: yesterday's visit leads.
        #expect(json.first?["id"] as? String == v3.id)

        // The new household is on the roster now: a second visit needs only its code.
        let again = try day.record("visit", "DG009", "--date", "2026-11-21")
        #expect(again.line.contains("DG009 孙小红 (城关镇/东关村)"))
        try day.ok("delete", again.id)

        // Status: the device, the roster and the counts.
        let status = try day.ok("status")
        let statusLines = status.split(separator: "\n").map(String.init)
        #expect(statusLines.first?.hasPrefix("device     第一组-笔记本1 (field, id ") == true, "\(status)")
        #expect(statusLines.contains("team       第一巡察组"), "\(status)")
        #expect(statusLines.contains("round      五届第五轮"), "\(status)")
        #expect(statusLines.contains("inspectors 张三、李四"), "\(status)")
        #expect(statusLines.contains("roster     2 townships, 4 villages, 7 households"), "\(status)")
        #expect(counts(in: status, "visits") == [3, 2], "\(status)")
        #expect(counts(in: status, "forums") == [1, 0], "\(status)")
        #expect(counts(in: status, "notices") == [1, 0], "\(status)")
        #expect(counts(in: status, "fixes") == [1, 0], "\(status)")
    }

    @Test("importing the same roster twice adds nothing and reports every household unchanged")
    func rosterTwice() throws {
        let day = try Sandbox.withStore()
        let before = try day.snapshot()
        let again = try day.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        #expect(
            again == "Imported roster.csv: 0 households added, 0 updated, 6 unchanged, 0 rejected "
                + "(0 townships and 0 villages added).\n")
        #expect(try day.snapshot() == before)
    }

    @Test("a roster with English headers, CRLF line ends and a column Fieldbook does not read")
    func englishRosterWithCRLF() throws {
        let day = Sandbox()
        try day.ok("init", "--device", "笔记本2", "--round", "五届第五轮")
        day.write(
            "roster.csv",
            "township,village,household,head,phone,priority\r\n"
                + "城关镇,东关村,DG001,张建国,13800000000,wubao\r\n"
                + "城关镇,\"东关村\",DG002,\"李秀英\",13900000000,\"dibao;weifang\"\r\n")
        let imported = try day.giveRoster("roster.csv")
        #expect(
            imported == "Imported roster.csv: 2 households added, 0 updated, 0 unchanged, 0 rejected "
                + "(1 township and 1 village added).\nIgnored columns: phone.\n")
        let visit = try day.record("visit", "DG002", "--by", "张三")
        #expect(visit.line == "Recorded visit \(visit.id) DG002 李秀英 (城关镇/东关村) \(today) by 张三")
    }

    @Test("--help prints the usage on stdout and exits 0")
    func help() throws {
        let day = Sandbox()
        let help = try day.ok("visit", "--help")
        #expect(help.contains("USAGE: fieldbook visit"), "\(help)")
        #expect(help.contains("--new-household"), "\(help)")
        #expect(try day.fileNames().isEmpty)
    }

    @Test(
        "the history command that delete suggests works")
    func deleteSuggestsAWorkingHistoryCommand() throws {
        let day = try Sandbox.withStore()
        // Record visits until two ids share their first 13 characters (their creation millisecond):
        // with FIELDBOOK_NOW every run starts at the same instant, so this comes quickly.
        var ids: [String] = []
        var twin: String?
        for _ in 0..<12 where twin == nil {
            let id = try day.record("visit", "DG001").id
            twin = ids.first { $0.prefix(13) == id.prefix(13) }.map { _ in id }
            ids.append(id)
        }
        // Usually two ids share their first 13 characters by now; the suggestion must work either way.
        let id = twin ?? ids.last!
        let deleted = try day.ok("delete", id)
        let suggested = try #require(deleted.firstMatch(of: #/`fieldbook (history [^`]+)`/#).map { String($0.1) }, "\(deleted)")
        let result = try day.run(suggested.split(separator: " ").map(String.init))
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains(id), "\(result)")
    }

    @Test(
        "an id as `list fixes` shows it can be given to fix-status")
    func filteredListShowsUsableIDs() throws {
        let day = try Sandbox.withStore()
        let fix = try day.record("fix", "西河村", "--problem", "台账缺页", "--action", "补齐").id
        // Record visits until one shares the fix's first 13 characters (its creation millisecond):
        // with FIELDBOOK_NOW every run starts at the same instant, so this comes quickly.
        var twin: String?
        for _ in 0..<12 where twin == nil {
            let id = try day.record("visit", "DG001").id
            if id.prefix(13) == fix.prefix(13) { twin = id }
        }
        // Usually a visit shares the fix's first 13 characters by now; the shown id must work either way.
        _ = twin
        let shown = try #require(tableRow(for: fix, in: try day.ok("list", "fixes")).flatMap { $0.split(separator: " ").first })
        let result = try day.run("fix-status", String(shown), "fixed")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("[fixed]"), "\(result)")
    }

    @Test("FIELDBOOK_DB and --db name the store; --db wins")
    func storeLocation() throws {
        let day = Sandbox()
        try day.ok("init", "--device", "笔记本3", "--round", "五届第五轮", "--db", "外勤.sqlite")
        #expect(try day.fileNames().contains("外勤.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: day.path("fieldbook.sqlite")))
        let viaEnvironment = try day.run(["status"], environment: ["FIELDBOOK_DB": day.path("外勤.sqlite")])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment)")
        #expect(viaEnvironment.stdout.hasPrefix("device     笔记本3 "), "\(viaEnvironment)")
        let override = try day.run(["status", "--db", "别处.sqlite"], environment: ["FIELDBOOK_DB": day.path("外勤.sqlite")])
        #expect(override.status == 66, "\(override)")
        #expect(override.stderr.contains("别处.sqlite"), "\(override)")
    }
}

/// The row of a `list` table that shows the record `id`: its first cell is a prefix of the id.
func tableRow(for id: String, in table: String) -> Substring? {
    table.split(separator: "\n").dropFirst(2).first { row in
        guard let shown = row.split(separator: " ").first, shown.count >= 13 else { return false }
        return id.hasPrefix(shown)
    }
}

/// The change number at the end of a history entry line: `... (change 12)`.
func changeNumber(_ line: String) -> Int? {
    line.firstMatch(of: #/\(change (\d+)\)$/#).flatMap { Int($0.1) }
}

/// The live and deleted counts on the status line of `plural` (`visits 入户走访   3   1`).
func counts(in status: String, _ plural: String) -> [Int]? {
    for line in status.split(separator: "\n") where line.hasPrefix(plural + " ") {
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers
    }
    return nil
}
