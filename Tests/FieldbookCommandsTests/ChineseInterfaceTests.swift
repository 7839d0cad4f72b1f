import FieldbookCore
import FieldbookTestSupport
import Foundation
import Testing

/// The built binary in Chinese (issue 12): a day in a village with FIELDBOOK_LANG=zh reads Chinese,
/// apart from what the program never translates (command and option names, ids, codes, file
/// names, field names, ArgumentParser's own words), and exits with the codes English does.
@Suite("The interface in Chinese")
struct ChineseInterfaceTests {
    static let zh = ["FIELDBOOK_LANG": "zh"]

    @Test("a day in a village reads Chinese, with English's exit codes and JSON")
    func aDayInChinese() throws {
        let day = Sandbox()
        let created = try day.ok(zh: "init", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--round", "五届第五轮", "--inspectors", "张三,李四")
        #expect(created.hasPrefix("已新建数据库 fieldbook.sqlite，设备 第一组-笔记本1（id "), "\(created)")
        #expect(created.hasSuffix("，巡察组 第一巡察组，轮次 五届第五轮。\n"), "\(created)")
        let office = try day.ok(zh: "init", "--db", "office.sqlite", "--central", "--device", "巡察办")
        #expect(office.contains("巡察办的密钥已生成，指纹："), "\(office)")

        day.write("roster.csv", "\u{FEFF}" + sampleRosterCSV)
        let imported = try day.ok(zh: "roster", "import", "--db", "office.sqlite", "roster.csv")
        #expect(imported == "已导入 roster.csv：新增 6 户，更新 0 户，未变 0 户，拒收 0 行（新增乡镇 2 个、村（社区）4 个）。\n")
        // pack, merge and round are converted by other parts of issue 12.
        for step in [["pack", "--db", "office.sqlite", "--roster", "--out", "rb"], ["merge", "rb"], ["round", "五届第五轮"]] {
            let result = try day.run(step, environment: Self.zh)
            #expect(result.status == 0, "\(result)")
            expectChinese(result.stdout, step.joined(separator: " "))
        }

        let visit = try day.recorded(zh: "visit", "DG001")
        #expect(visit.line == "已记录 入户走访 \(visit.id) DG001 张建国（城关镇/东关村）\(today)，走访人 张三、李四")
        let forum = try day.recorded(zh: "forum", "西河村", "--participants", "1")
        #expect(forum.line.hasSuffix("古城乡/西河村 \(today) 1 人次"), "\(forum.line)")
        let fix = try day.recorded(zh: "fix", "城关镇/东关村", "--problem", "低保公示未更新", "--action", "当场督促更新")
        #expect(fix.line.hasSuffix("[未整改] 低保公示未更新"), "\(fix.line)")
        let problem = try day.recorded(zh: "problem", "城关镇/东关村", "--summary", "低保评定未公示", "--deadline", "2026-11-30")
        #expect(problem.line == "已记录 发现问题 \(problem.id) 城关镇/东关村 \(today) [未整改] 低保评定未公示")
        let edited = try day.ok(zh: "edit", visit.id, "--set", "note=户主外出务工")
        #expect(edited.hasPrefix("已更正 入户走访 \(visit.id)（note）："), "\(edited)")

        // One status word per language: the list says 未整改 as the recording did.
        let list = try day.ok(zh: "list")
        #expect(list.hasPrefix("编号"), "\(list)")
        #expect(list.contains("[未整改] 低保公示未更新") && list.contains("[未整改] 低保评定未公示"), "\(list)")
        let status = try day.ok(zh: "status")
        #expect(status.contains("巡察组     第一巡察组\n") && status.contains("花名册     2 个乡镇，4 个村（社区），6 户"), "\(status)")
        #expect(status.contains("问题       未整改 1 个（open）；逾期 0 个，移交问题线索 0 条"), "\(status)")
        let ledger = try day.ok(zh: "problems")
        #expect(ledger.hasPrefix("整改台账\n"), "\(ledger)")
        let history = try day.ok(zh: "history", visit.id)
        #expect(history.contains("第一组-笔记本1 新建（第 ") && history.contains("第一组-笔记本1 修改（第 "), "\(history)")
        try day.ok(zh: "show", problem.id)
        #expect(try day.ok(zh: "conflicts") == "没有冲突。\n")
        let deleted = try day.ok(zh: "delete", forum.id)
        #expect(deleted.hasPrefix("已删除 座谈 \(forum.id)"), "\(deleted)")

        // JSON keeps its field names and values whatever the language.
        let listedZH = try day.run(["list", "--json"], environment: Self.zh)
        #expect(listedZH.status == 0, "\(listedZH)")
        let jsonZH = try #require(try parseJSON(listedZH.stdout) as? [[String: Any]])
        let jsonEN = try #require(try parseJSON(day.ok("list", "--json")) as? [[String: Any]])
        #expect(jsonZH.map { Set($0.keys) } == jsonEN.map { Set($0.keys) })
        #expect(jsonZH.map { $0["kind"] as? String } == jsonEN.map { $0["kind"] as? String })
        #expect(jsonZH.contains { $0["status"] as? String == "open" })

        // Errors: the same exit code in both languages, one line, nothing on stdout.
        let errors: [(arguments: [String], code: Int32, mine: Bool)] = [
            (["list", "会议"], 64, true),
            (["problems", "--width", "20"], 64, true),
            (["conflicts", "resolve", "0190", "--keep", "都要"], 64, true),
            (["visit", "ZZ999"], 1, false),
            (["visit", "DG001", "--date", "2026-13-45"], 64, false),
            (["roster", "import", "roster.csv"], 77, false),
        ]
        for error in errors {
            let chinese = try day.run(error.arguments, environment: Self.zh)
            let english = try day.run(error.arguments)
            #expect(chinese.status == error.code && english.status == error.code, "\(chinese)\n\(english)")
            #expect(chinese.stdout.isEmpty, "\(chinese)")
            if error.mine {
                expectChinese(chinese.stderr, error.arguments.joined(separator: " "))
                #expect(chinese.stderr != english.stderr, "\(chinese)")
            } else {
                expectChinese(chinese.stderr, error.arguments.joined(separator: " "))
            }
        }
    }

    @Test("LANG=zh_CN.UTF-8 alone gives Chinese; FIELDBOOK_LANG=en overrides it; English counts take the plural")
    func theLocaleChooses() throws {
        let day = try Sandbox.withStore()
        let locale = ["FIELDBOOK_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"]
        let chinese = try day.run(["status"], environment: locale)
        #expect(chinese.status == 0, "\(chinese)")
        #expect(chinese.stdout.hasPrefix("设备       第一组-笔记本1（现场，id "), "\(chinese)")
        expectChinese(chinese.stdout, "status")
        var english = locale
        english["FIELDBOOK_LANG"] = "en"
        let overridden = try day.run(["status"], environment: english)
        #expect(overridden.status == 0, "\(overridden)")
        #expect(overridden.stdout.hasPrefix("device     第一组-笔记本1 (field, id "), "\(overridden)")
        #expect(overridden.stdout.contains("roster     2 townships, 4 villages, 6 households"), "\(overridden)")
        let c = try day.run(["status"], environment: ["FIELDBOOK_LANG": "", "LC_ALL": "C", "LANG": "zh_CN.UTF-8"])
        #expect(c.stdout.hasPrefix("device     "), "LC_ALL comes before LANG: \(c)")

        let forum = try day.record("forum", "西河村", "--participants", "1")
        #expect(forum.line.hasSuffix(" 1 participant"), "\(forum.line)")
    }

    @Test("--help in Chinese: the abstract, the discussion and every option's help", arguments: [
        ["keys", "--help"], ["visit", "--help"], ["problems", "--help"], ["devices", "enroll", "--help"], ["keys", "pin", "--help"],
        ["conflicts", "resolve", "--help"], ["roster", "import", "--help"], ["init", "--help"], ["forum", "--help"],
        ["notice", "--help"], ["fix", "--help"], ["fix-status", "--help"], ["problem", "--help"], ["rectify", "--help"],
        ["transfer", "--help"], ["categories", "add", "--help"], ["edit", "--help"], ["delete", "--help"], ["history", "--help"],
        ["list", "--help"], ["show", "--help"], ["status", "--help"], ["conflicts", "--help"], ["enroll", "--help"],
        ["devices", "--help"], ["devices", "revoke", "--help"], ["devices", "policy", "--help"], ["keys", "export", "--help"],
        ["keys", "backup", "--help"], ["keys", "restore", "--help"], ["roster", "--help"], ["categories", "--help"],
        ["find", "--help"], ["tally", "--help"], ["pending", "--help"], ["pack", "--help"], ["merge", "--help"],
        ["verify", "--help"], ["round", "--help"], ["demo", "--help"], ["quickstart", "--help"], ["--help"],
    ])
    func helpInChinese(arguments: [String]) throws {
        let day = Sandbox()
        let result = try day.run(arguments, environment: Self.zh)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("OVERVIEW: "), "\(result)")
        // --db's help is Fieldbook.swift's, converted by another part of issue 12.
        let (own, shared) = Self.splittingDBHelp(result.stdout)
        expectChinese(own, arguments.joined(separator: " "))
        if !shared.isEmpty {
            expectChinese(shared, "--db")
        }
        let english = try day.run(arguments)
        #expect(english.status == 0 && english.stdout != result.stdout, "\(english)")
    }

    /// The help text without the --db option's lines, and those lines.
    static func splittingDBHelp(_ help: String) -> (String, String) {
        var own: [Substring] = []
        var shared: [Substring] = []
        var inDB = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  --db ") { inDB = true } else if !line.hasPrefix("          ") { inDB = false }
            if inDB { shared.append(line) } else { own.append(line) }
        }
        return (own.joined(separator: "\n"), shared.joined(separator: "\n"))
    }
}

// MARK: Reading Chinese

/// Expects `text` to hold Chinese and no English word of three letters or more outside
/// ``englishAllowed``.
func expectChinese(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "no Chinese from \(what): \(text)", sourceLocation: sourceLocation)
    let words = englishWords(text)
    #expect(words.isEmpty, "English from \(what): \(words)\n\(text)", sourceLocation: sourceLocation)
}

/// The words of `text` that read English: three or more letters, not a command, option, id, code,
/// file name, field name, value a command takes, metavariable (FILE, DIR) or ArgumentParser's word.
func englishWords(_ text: String) -> [String] {
    // ArgumentParser's own lines, which it does not let a program translate.
    var rest = text.replacingOccurrences(of: "Show the version.", with: " ")
    for pattern in [
        #"`[^`]*`"#,  // a command to type
        #"<[^>]*>"#,  // a value's name in ArgumentParser's usage
        #"'[^']*'"#,  // ArgumentParser's "See 'fieldbook help …'"
        #"[A-Za-z0-9_$-]+\.[A-Za-z0-9]+"#,  // a file name
        #"(?<![A-Za-z0-9])--?[A-Za-z][A-Za-z0-9-]*"#,  // an option
        #"\$[A-Z_]+"#,  // an environment variable
    ] {
        rest = rest.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
    }
    var words: [String] = []
    for match in rest.matches(of: /[A-Za-z0-9_\/-]+/) {
        let token = String(match.output).trimmingCharacters(in: CharacterSet(charactersIn: "-/"))
        guard token.count >= 3, !token.contains(where: { $0.isNumber || $0 == "_" || $0 == "/" }) else { continue }
        if token == token.uppercased() { continue }  // FILE, DIR, CSV, JSON, BOM: names, not words
        if englishAllowed.contains(token.lowercased()) { continue }
        words.append(token)
    }
    return words
}

/// What stays English in a Chinese interface.
let englishAllowed: Set<String> = {
    var words: Set<String> = [
        // The program and its commands.
        "fieldbook", "init", "round", "roster", "import", "visit", "forum", "notice", "fix", "fix-status", "problem",
        "rectify", "transfer", "problems", "categories", "list", "add", "edit", "delete", "history", "show", "status",
        "pack", "verify", "merge", "conflicts", "resolve", "demo", "tally", "pending", "keys", "export", "backup",
        "restore", "pin", "enroll", "devices", "revoke", "policy", "find", "quickstart",
        // Pinyin, as a name is typed (张建国).
        "zhangjianguo", "zjg", "zhangjg", "zhang", "jian", "guo", "shan", "dan", "zeng", "ceng",
        // Values and defaults commands take, and the streams a command names.
        "html", "district", "province", "sample", "bundles", "fieldbook-demo", "docs", "stdout", "stderr",
        // ArgumentParser's own words.
        "overview", "usage", "arguments", "options", "subcommands", "help", "information", "error", "see", "for",
        "more", "detailed", "values", "default",
        // Values commands take.
        "table", "csv", "json", "visits", "forums", "notices", "fixes", "kept", "overwritten", "discipline",
        "organisation", "other", "excel", "auto", "require", "allow-unsigned", "land-use",
        // Names of algorithms.
        "scrypt",
    ]
    for category in ProblemCategory.defaults { words.insert(category.key) }
    for kind in RecordKind.allCases {
        words.insert(kind.rawValue)
        for field in kind.fields { words.insert(field.name) }
    }
    for status in ProblemStatus.allCases { words.insert(status.rawValue) }
    for status in FixStatus.allCases { words.insert(status.rawValue) }
    return words
}()

extension Sandbox {
    /// Runs a command in Chinese that must succeed: exit 0, nothing on stderr, Chinese on stdout.
    @discardableResult
    func ok(zh arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments, environment: ChineseInterfaceTests.zh)
        #expect(result.status == 0 && result.stderr.isEmpty && result.exitedNormally, "\(result)", sourceLocation: sourceLocation)
        expectChinese(result.stdout, arguments.joined(separator: " "), sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a recording command in Chinese that must succeed, and returns the id its
    /// "已记录 KIND ID …" line names, and the line.
    func recorded(zh arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: String, line: String) {
        let result = try run(arguments, environment: ChineseInterfaceTests.zh)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)", sourceLocation: sourceLocation)
        let line = result.stdout.trimmingCharacters(in: .newlines)
        expectChinese(line, arguments.joined(separator: " "), sourceLocation: sourceLocation)
        let match = try #require(
            line.firstMatch(of: #/^已记录 \S+ ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) /#),
            "no \"已记录 KIND ID\" line: \(result)", sourceLocation: sourceLocation)
        return (String(match.1), line)
    }
}
