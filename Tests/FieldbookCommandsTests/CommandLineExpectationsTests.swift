import FieldbookTestSupport
import Foundation
import Testing

/// Issue 12, through the built binary: the command line as people expect it. A negative count gets
/// the domain's message, a date after today is refused unless allowed, a new round is said, piped
/// output keeps its order, an unknown name exits 1 with the candidates, and `pack` prints the
/// size of the file it wrote.
@Suite struct CommandLineExpectationsTests {
    static let template: Sandbox = {
        let sandbox = try! Sandbox.withStore()
        return sandbox.removeAtExit()
    }()

    func store() throws -> Sandbox { try Sandbox.copy(of: Self.template) }

    /// Runs `command` in `sandbox` through the shell (with the runner's clock, zone and language),
    /// stdout and stderr both going where the command line says; returns the exit code.
    func shell(_ sandbox: Sandbox, _ command: String) throws -> Int32 {
        let binary = try #require(FieldbookBinary.url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = sandbox.url
        var environment = ProcessInfo.processInfo.environment
        environment["FIELDBOOK_DB"] = nil
        environment["FIELDBOOK_NOW"] = fixedNow
        environment["FIELDBOOK_TZ"] = "Asia/Shanghai"
        environment["FIELDBOOK_LANG"] = "en"
        environment["FB"] = binary.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func lines(_ sandbox: Sandbox, _ name: String) -> [String] {
        String(decoding: sandbox.contents(name) ?? Data(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("--participants -3 and --copies -3 get the domain's message, not 'Missing value'")
    func negativeCounts() throws {
        let s = try store()
        let before = try s.snapshot()
        for arguments in [["forum", "城关镇/东关村", "--participants", "-3"], ["forum", "城关镇/东关村", "--participants", "-3", "--date", today]] {
            let result = try s.run(arguments)
            expectFailure(result, code: 64, naming: ["participants", "\"-3\"", "whole number"])
            #expect(!result.stderr.contains("Missing value"), "\(result)")
        }
        #expect(try s.snapshot() == before)
        try s.record("forum", "城关镇/东关村", "--participants", "3")
    }

    @Test("a date after today is refused with the reason unless --allow-future; a deadline may lie ahead")
    func futureDates() throws {
        let s = try store()
        let before = try s.snapshot()
        let refused = try s.run("visit", "DG001", "--date", "2027-01-01")
        expectFailure(refused, code: 64, naming: ["2027-01-01", today, "--allow-future"])
        expectFailure(try s.run("forum", "城关镇/东关村", "--participants", "3", "--date", "2026-11-22"), code: 64, naming: ["2026-11-22"])
        expectFailure(try s.run("fix", "城关镇/东关村", "--problem", "路灯坏了", "--action", "已报修", "--date", "2026/12/01"), code: 64, naming: ["2026/12/01", "--allow-future"])
        #expect(try s.snapshot() == before, "nothing was written")
        let visit = try s.record("visit", "DG001", "--date", "2027-01-01", "--allow-future")
        #expect(visit.line.contains("2027-01-01"), "\(visit.line)")
        let problem = try s.record("problem", "城关镇/东关村", "--summary", "低保评定未公示", "--deadline", "2027-03-01")
        expectFailure(try s.run("rectify", problem.id, "--status", "rectifying", "--date", "2026-12-01"), code: 64, naming: ["2026-12-01", "--allow-future"])
        expectFailure(try s.run("edit", visit.id, "--set", "date=2026-12-24"), code: 64, naming: ["2026-12-24"])
        try s.ok("edit", visit.id, "--set", "date=2026-12-24", "--allow-future")
        // In Chinese, with the reason.
        let chinese = try s.run(["visit", "DG002", "--date", "2027-01-01"], environment: ["FIELDBOOK_LANG": "zh"])
        #expect(chinese.status == 64 && chinese.stderr.contains("晚于今天") && chinese.stderr.contains("--allow-future"), "\(chinese)")
        let help = try s.ok("visit", "--help")
        #expect(help.contains("--allow-future"), "\(help)")
    }

    @Test("fieldbook round NAME says when NAME is a new round, and which rounds the store held")
    func newRound() throws {
        let s = try store()
        let known = try s.ok("round", "五届第五轮")
        #expect(known == "Round: 五届第五轮; inspectors: 张三、李四\n", "\(known)")
        let new = try s.ok("round", "五届第六论")
        #expect(new.contains("五届第六论 is a new round: this store held 五届第五轮. Check the spelling"), "\(new)")
        #expect(!(try s.ok("round", "五届第六论")).contains("new round"))
        let chinese = try s.run(["round", "五届第七轮"], environment: ["FIELDBOOK_LANG": "zh"])
        #expect(chinese.stdout.contains("五届第七轮 是新轮次"), "\(chinese)")
    }

    @Test("merge and verify keep their order with stdout and stderr in one file or pipe: the summary comes last")
    func outputOrder() throws {
        let s = try store()
        try s.record("visit", "DG001")
        try s.ok("pack", "--out", "stick")
        // Named to sort after the laptop's bundle (第一组-…), so that the rejection comes second.
        try s.write("stick/龟-damaged.fbundle", bytes: Array("not a bundle".utf8))
        #expect(try shell(s, "\"$FB\" merge --db office.sqlite stick > merged.txt 2>&1") == 65)
        let merged = lines(s, "merged.txt")
        let rejected = try #require(merged.firstIndex { $0.hasPrefix("rejected") }, "\(merged)")
        let summary = try #require(merged.firstIndex { $0.hasPrefix("1 merged, 0 already merged, 1 rejected, of 2 bundles.") }, "\(merged)")
        #expect(merged.firstIndex { $0.hasPrefix("merged ") }! < rejected && rejected < summary, "\(merged)")
        #expect(merged.last == "fieldbook: 1 of 2 bundles were rejected (reasons above); the others were merged.", "\(merged)")
        #expect(summary == merged.count - 2, "the summary, then the stderr line: \(merged)")

        #expect(try shell(s, "\"$FB\" merge --db office.sqlite stick 2>&1 | cat > piped.txt") == 0)
        let piped = lines(s, "piped.txt")
        #expect(piped.map { $0.prefix(8) } == ["already ", "rejected", "0 merged", "fieldboo"], "\(piped)")

        #expect(try shell(s, "\"$FB\" verify stick > verified.txt 2>&1") == 65)
        let verified = lines(s, "verified.txt")
        let sound = try #require(verified.firstIndex { $0.hasSuffix(": sound") }, "\(verified)")
        let bad = try #require(verified.firstIndex { $0.hasPrefix("龟-damaged.fbundle: ") }, "\(verified)")
        #expect(sound < bad && verified.last == "fieldbook: 1 of 2 bundles are not sound.", "\(verified)")
    }

    @Test("an unknown township, county, team, category, round or village exits 1 and lists the candidates")
    func unknownNames() throws {
        let s = try store()
        expectFailure(try s.run("tally", "--township", "不存在乡"), code: 1, naming: ["不存在乡", "城关镇, 古城乡"])
        expectFailure(try s.run("tally", "--county", "夏邑县"), code: 1, naming: ["夏邑县"])
        expectFailure(try s.run("tally", "--city", "开封市"), code: 1, naming: ["开封市"])
        expectFailure(try s.run("tally", "--team", "第九巡察组"), code: 1, naming: ["第九巡察组", "第一巡察组"])
        expectFailure(try s.run("tally", "--round", "五届第九轮"), code: 1, naming: ["五届第九轮", "五届第五轮"])
        expectFailure(try s.run("problem", "城关镇/东关村", "--summary", "x", "--category", "没有这类"), code: 1, naming: ["没有这类", "farm-subsidies"])
        expectFailure(try s.run("pending", "--village", "南关村"), code: 1, naming: ["南关村"])
        expectFailure(try s.run("visit", "DG001", "--round", "六届第一轮"), code: 1, naming: ["六届第一轮", "五届第五轮"])
    }

    @Test("pack prints the size of the file it wrote, plain and sealed")
    func packSize() throws {
        let s = try store()
        try s.record("visit", "DG001", "--note", String(repeating: "入户走访记录。", count: 200))
        let packed = try s.ok("pack", "--out", "stick")
        try checkSize(packed, in: s)
        // Sealed: the office's roster, signed and encrypted to an enrolled laptop.
        try s.ok("keys", "export", "--db", "office.sqlite", "--out", "office.fbkey")
        try s.ok("init", "--db", "laptop.sqlite", "--device", "第二组-笔记本1", "--office", "office.fbkey")
        let request = try s.ok("enroll", "--db", "laptop.sqlite", "--out", "requests")
        let file = try #require(request.firstMatch(of: #/Wrote (\S+\.fbenroll)/#)?.output.1, "\(request)")
        let fingerprint = try #require(request.firstMatch(of: #/\d{5}(?: \d{5}){5}/#)?.output, "\(request)")
        try s.ok("devices", "enroll", "--db", "office.sqlite", String(file), "--fingerprint", String(fingerprint))
        let sealed = try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "sealed")
        #expect(sealed.contains("Signed by this store's key and encrypted"), "\(sealed)")
        try checkSize(sealed, in: s)
    }

    func checkSize(_ output: String, in s: Sandbox) throws {
        let match = try #require(output.firstMatch(of: #/Packed \d+ changes? into (\S+) \(([\d,]+) bytes|Packed \d+ changes? into (\S+) \(([\d.]+) KB/#), "\(output)")
        let path = String(match.output.1 ?? match.output.3 ?? "")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: s.path(path))[.size] as? NSNumber).intValue
        if let bytes = match.output.2 {
            #expect(Int(bytes.replacingOccurrences(of: ",", with: "")) == size, "printed \(bytes), the file holds \(size) bytes")
            #expect(size < 1000 || bytes.contains(","), "thousands separated: \(bytes)")
        } else if let kb = match.output.4 {
            #expect(String(format: "%.1f", Double(size) / 1000) == kb, "printed \(kb) KB, the file holds \(size) bytes")
        }
    }
}
