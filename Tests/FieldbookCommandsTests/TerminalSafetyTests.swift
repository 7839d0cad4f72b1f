@testable import FieldbookCommands
import FieldbookTestSupport
import Foundation
import Testing

#if os(Linux)
private let isLinux = true
#else
private let isLinux = false
#endif

/// Text from a USB stick never drives the terminal: village names, household heads, notes, device
/// and team names and bundle file names that hold escape sequences, line breaks or bidi controls
/// are shown escaped by every command a person reads, and kept exact in CSV, JSON and HTML.
///
/// Each name ends in FORGED right after a control character: on a terminal that word must never
/// start a line of its own, and must always follow a visible escape (`\u{A}FORGED`, `\u{202E}FORGED`).
@Suite("Text from data never drives the terminal")
struct TerminalSafetyTests {
    /// The names one scenario uses. Without `escInValues` only bidi controls go into values (they
    /// stay allowed however strict values get), and ESC, OSC and line feeds only into bundle file
    /// names; with it, also into roster cells, a note, the device and team names.
    struct Names {
        var escInValues: Bool

        let bidiVillage = "东关村\u{202E}FORGED"
        let bidiHead = "张\u{202E}三\u{2066}FORGED\u{2069}"
        let htmlVillage = "南街村<b>&\"x\""
        let escVillage = "西河村\u{1B}[2J"
        let escHead = "李\u{1B}]0;pwned\u{07}四\nFORGED"
        let bidiNote = "初访\u{202E}FORGED"
        let escNote = "复访\u{1B}[2J\u{1B}[31m\nFORGED"
        let bidiDevice = "笔记本\u{202E}FORGED"
        let bidiTeam = "第一组\u{2067}FORGED"
        var device: String { escInValues ? "笔记本\u{1B}[2J\u{202E}A\nFORGED" : bidiDevice }
        var team: String { escInValues ? "第一组\u{1B}]0;title\u{07}\u{202E}FORGED" : bidiTeam }
        /// Bundle file names: never a value, so these hold ESC, OSC and line feeds in every scenario.
        let firstBundle = "stick\u{1B}[2J\u{202E}\nFORGED.fbundle"
        let secondBundle = "two\u{1B}]0;title\u{07}\nFORGED.fbundle"
        let cutBundle = "cut\u{1B}[2J\r\nFORGED.fbundle"

        /// The roster handed out to the laptop: bidi controls and HTML's special characters only.
        var rosterCSV: String {
            "乡镇,村,户号,户主,重点户\n"
                + "城关镇,\(bidiVillage),DG001,\(bidiHead),低保户\n"
                + "城关镇,\(bidiVillage),DG002,王\u{202E}五,五保户\n"
                + "城关镇,\"南街村<b>&\"\"x\"\"\",NJ001,赵六,\n"
        }

        /// A roster row with ESC, OSC and a line feed, imported at the office only, after the
        /// roster went out: the laptop's merge never depends on such values being accepted.
        var escRosterCSV: String { "乡镇,村,户号,户主,重点户\n城关镇,\(escVillage),XH001,\"\(escHead)\",低保户\n" }
    }

    /// What the scenario leaves behind for the commands to show.
    struct Office {
        var sandbox: Sandbox
        var names: Names
        /// The visit recorded on the laptop, merged into the office, edited on both sides.
        var visit: String
        /// The device and team name the laptop ended up with (ESC ones when they are accepted).
        var device: String
        var team: String
        /// Whether the roster row with ESC in its village and head was imported.
        var escRosterAccepted: Bool
        /// The merge outputs of the first and second bundle.
        var merges: [RunResult]
    }

    /// The office imports the roster and hands it out; a laptop with a hostile name records a
    /// visit; its bundles reach the office under hostile file names; the office and the laptop
    /// edit the same note, so the second bundle leaves a conflict.
    func office(escInValues: Bool) throws -> Office {
        let names = Names(escInValues: escInValues)
        let s = Sandbox()
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        s.write("roster.csv", names.rosterCSV)
        try s.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "from-office")
        if escInValues {
            s.write("roster-esc.csv", names.escRosterCSV)
            let imported = try s.run("roster", "import", "--db", "office.sqlite", "roster-esc.csv")
            expectTerminalSafe(imported)
            // A store that refuses control characters in values rejects the row, and says so safely.
            #expect(imported.status == 0 || imported.status == 65, "\(imported)")
            if imported.status == 65 { #expect(imported.stderrLines.count == 2, "\(imported)") }
        }

        var device = names.device, team = names.team
        let created = try s.run("init", "--db", "a.sqlite", "--device", device, "--team", team, "--round", "五届第五轮", "--inspectors", "张三")
        expectTerminalSafe(created)
        if created.status != 0 {
            // Names with ESC refused: the refusal was shown safely; go on with bidi names.
            #expect(escInValues, "\(created)")
            (device, team) = (names.bidiDevice, names.bidiTeam)
            try s.ok("init", "--db", "a.sqlite", "--device", device, "--team", team, "--round", "五届第五轮", "--inspectors", "张三")
        } else {
            #expect(created.stdoutLines.count == 1, "\(created)")
        }
        try s.ok("merge", "--db", "a.sqlite", "from-office")
        let visit = try s.record("visit", "--db", "a.sqlite", "DG001", "--note", names.bidiNote).id
        if escInValues {
            let escVisit = try s.run("visit", "--db", "a.sqlite", "DG001", "--note", names.escNote)
            expectTerminalSafe(escVisit)
        }
        try s.ok("pack", "--db", "a.sqlite", "--out", "stick-a")
        try FileManager.default.createDirectory(atPath: s.path("stick"), withIntermediateDirectories: true)
        try moveOnlyBundle(in: "stick-a", to: "stick/" + names.firstBundle, s)

        var merges = [try s.run("merge", "--db", "office.sqlite", "stick/" + names.firstBundle)]
        try s.ok("edit", "--db", "office.sqlite", visit, "--set", "note=办公室改\u{202E}FORGED")
        try s.ok("edit", "--db", "a.sqlite", visit, "--set", "note=笔记本改\u{202E}FORGED")
        try s.ok("pack", "--db", "a.sqlite", "--out", "stick-a")
        try moveOnlyBundle(in: "stick-a", to: "stick/" + names.secondBundle, s)
        merges.append(try s.run("merge", "--db", "office.sqlite", "stick/" + names.secondBundle))

        let villages = villageNames(inTallyJSON: try parseJSON(try s.ok("tally", "--db", "office.sqlite", "--format", "json")))
        return Office(
            sandbox: s, names: names, visit: visit, device: device, team: team,
            escRosterAccepted: villages.contains(names.escVillage), merges: merges)
    }

    @Test(
        "list, show, history, status, tally, pending, conflicts, merge and verify show hostile text escaped",
        arguments: [false, true])
    func humanOutputIsEscaped(escInValues: Bool) throws {
        let o = try office(escInValues: escInValues)
        let s = o.sandbox
        let db = ["--db", "office.sqlite"]

        // merge: one line per bundle, its file name escaped; nothing on stderr without a TTY.
        for (merge, file) in zip(o.merges, [o.names.firstBundle, o.names.secondBundle]) {
            #expect(merge.status == 0, "\(merge)")
            expectTerminalSafe(merge)
            #expect(merge.stderr.isEmpty, "\(merge)")
            let merged = merge.stdoutLines.filter { $0.hasPrefix("merged ") }
            #expect(merged.count == 1, "\(merge)")
            #expect(merged.first?.contains(shown(file)) == true, "\(merge)")
            #expect(merged.first?.contains("\\u{1B}") == true, "the escape is visible: \(merge)")
            #expect(merge.stdoutLines.contains("1 merged, 0 already merged, 0 rejected, of 1 bundle."), "\(merge)")
        }
        // Exactly: the merged line, the count, the conflict line.
        #expect(o.merges[1].stdoutLines.count == 3, "\(o.merges[1])")

        // A bundle cut short under a hostile name: merge and verify reject it on one line each.
        let whole = try #require(s.contents("stick/" + o.names.secondBundle))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: s.path("stick/" + o.names.cutBundle)))
        let rejected = try s.run(["merge", "stick"] + db)
        #expect(rejected.status == 65, "\(rejected)")
        expectTerminalSafe(rejected)
        #expect(rejected.stdoutLines.filter { $0.hasPrefix("rejected        ") }.count == 1, "\(rejected)")
        #expect(rejected.stdoutLines.contains("0 merged, 2 already merged, 1 rejected, of 3 bundles."), "\(rejected)")
        #expect(rejected.stdoutLines.count == 5, "3 bundles, the count, the conflict line: \(rejected)")
        #expect(rejected.stderrLines.count == 1, "\(rejected)")

        let verify = try s.run("verify", "stick")
        #expect(verify.status == 65, "\(verify)")
        expectTerminalSafe(verify)
        #expect(verify.stderrLines.count == 2, "the cut bundle and the count: \(verify)")
        #expect(verify.stderrLines.first?.hasPrefix(shown(o.names.cutBundle) + ": is truncated") == true, "\(verify)")
        let sound = verify.stdoutLines.filter { $0.hasSuffix(": sound") }
        #expect(Set(sound) == Set([o.names.firstBundle, o.names.secondBundle].map { shown($0) + ": sound" }), "\(verify)")
        #expect(verify.stdout.contains("  device   " + shown(o.device) + ", team " + shown(o.team)), "\(verify)")
        #expect(verify.stdoutLines.count == 2 * 8, "eight lines for each sound bundle: \(verify)")

        // The other commands, at the office and on the laptop.
        var outputs: [String: RunResult] = [:]
        for arguments in [
            ["list"], ["show", o.visit], ["history", o.visit], ["status"], ["tally"], ["tally", "--by", "township"],
            ["pending"], ["pending", "--village", o.names.bidiVillage], ["conflicts"],
        ] {
            let result = try s.run(arguments + db)
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.isEmpty, "\(result)")
            expectTerminalSafe(result)
            outputs[arguments.joined(separator: " ")] = result
        }
        for arguments in [["status"], ["list"], ["show", o.visit], ["history", o.visit]] {
            let result = try s.run(arguments + ["--db", "a.sqlite"])
            #expect(result.status == 0, "\(result)")
            expectTerminalSafe(result)
        }

        // The escapes are there to read, where the names were.
        let show = outputs["show \(o.visit)"]!.stdout
        #expect(show.contains("recorded by  " + shown(o.device)), "\(show)")
        #expect(show.contains(shown(o.names.bidiVillage)), "\(show)")
        #expect(show.contains(shown(o.names.bidiHead)), "\(show)")
        let history = outputs["history \(o.visit)"]!.stdout
        #expect(history.contains("by " + shown(o.device)), "\(history)")
        #expect(history.contains("note: " + shown(o.names.bidiNote)), "\(history)")
        let status = outputs["status"]!.stdout
        #expect(status.contains("\\u{202E}"), "the laptop's name in the device table: \(status)")
        let conflicts = outputs["conflicts"]!
        #expect(conflicts.stdoutLines.count == 4, "one conflict, three lines, and the count: \(conflicts)")
        #expect(conflicts.stdout.contains(shown(o.device)), "\(conflicts)")
        let pending = outputs["pending"]!.stdout
        #expect(pending.contains("王\\u{202E}五"), "\(pending)")
        let tally = outputs["tally"]!.stdout
        #expect(tally.contains(shown(o.names.bidiVillage)), "\(tally)")
        if o.escRosterAccepted {
            #expect(tally.contains(shown(o.names.escVillage)), "\(tally)")
            #expect(pending.contains("李\\u{1B}]0;pwned"), "\(pending)")
        }
        let records = try #require(try parseJSON(try s.ok(["list", "--json"] + db)) as? [Any])
        expectListAligned(outputs["list"]!.stdout, rows: records.count)
    }

    @Test("CSV, JSON and HTML keep the exact text; JSON escapes control characters as JSON does")
    func exactFormatsKeepTheText() throws {
        let o = try office(escInValues: true)
        let s = o.sandbox
        let db = ["--db", "office.sqlite"]

        let csv = try s.ok(["tally", "--format", "csv"] + db)
        #expect(csv.contains(o.names.bidiVillage), "\(csv)")
        #expect(!csv.contains(shown(o.names.bidiVillage)), "\(csv)")
        let json = try s.ok(["tally", "--format", "json"] + db)
        let villages = villageNames(inTallyJSON: try parseJSON(json))
        #expect(villages.contains(o.names.bidiVillage), "\(villages)")
        #expect(villages.contains(o.names.htmlVillage), "\(villages)")
        #expect(json.contains("\u{202E}"))
        let pendingCSV = try s.ok(["pending", "--format", "csv"] + db)
        #expect(pendingCSV.contains("王\u{202E}五"), "\(pendingCSV)")
        let pendingJSON = try s.ok(["pending", "--format", "json"] + db)
        #expect(pendingJSON.contains("王\u{202E}五"), "\(pendingJSON)")
        if o.escRosterAccepted {
            #expect(csv.contains(o.names.escVillage), "\(csv)")
            #expect(villages.contains(o.names.escVillage), "\(villages)")
            #expect(json.contains("西河村\\u001b[2J"), "JSON writes ESC as \\u001b: \(json)")
            #expect(pendingJSON.contains("\\u001b]0;pwned\\u0007"), "\(pendingJSON)")
            #expect(pendingCSV.contains(o.names.escHead), "\(pendingCSV)")
        }
        for text in [json, pendingJSON] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "JSON escapes C0 controls: \(text)")
        }

        let html = try s.ok(["tally", "--format", "html"] + db)
        #expect(html.contains(o.names.bidiVillage), "\(html)")
        #expect(html.contains("南街村&lt;b&gt;&amp;&quot;x&quot;"), "HTML escapes <, >, & and \": \(html)")
        #expect(!html.contains(o.names.htmlVillage))

        // verify --json, conflicts --json, list --json, show --json: the exact names, as JSON writes them.
        let verify = try s.ok("verify", "--json", "stick")
        let manifests = try #require(try parseJSON(verify) as? [[String: Any]])
        #expect(Set(manifests.compactMap { $0["file"] as? String }) == Set([o.names.firstBundle, o.names.secondBundle].map { "stick/" + $0 }))
        let devices = manifests.compactMap { (($0["manifest"] as? [String: Any])?["device"] as? [String: Any])?["name"] as? String }
        #expect(devices == [o.device, o.device], "\(verify)")
        let conflicts = try #require(try parseJSON(try s.ok(["conflicts", "--json"] + db)) as? [[String: Any]])
        let conflictDevices = conflicts.flatMap { c in ["kept", "overwritten"].compactMap { (c[$0] as? [String: Any])?["device"] as? String } }
        #expect(conflictDevices.contains(o.device), "\(conflicts)")
        let show = try #require(try parseJSON(try s.ok(["show", "--json", o.visit] + db)) as? [String: Any])
        #expect(show["recorded_by"] as? String == o.device)
        #expect(show["village"] as? String == "城关镇/" + o.names.bidiVillage)
        for text in [verify, try s.ok(["conflicts", "--json"] + db), try s.ok(["list", "--json"] + db)] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "JSON escapes C0 controls: \(text)")
        }
    }

    @Test("a bad bundle's hostile file name and a refused value quote safely in error messages")
    func errorMessagesAreEscaped() throws {
        let s = Sandbox()
        try s.ok("init", "--device", "笔记本1", "--round", "五届第五轮")
        let name = "bad\u{1B}[2J\u{202E}\nFORGED.fbundle"
        s.write(name, "not a bundle")
        for arguments in [["verify", name], ["merge", name]] {
            let result = try s.run(arguments)
            #expect(result.status == 65, "\(result)")
            expectTerminalSafe(result)
            expectNoCrashReport(result)
        }
        // A value the store refuses is quoted in a one-line message.
        let unknown = try s.run("visit", "H\u{1B}[2J\u{202E}\nFORGED")
        expectTerminalSafe(unknown)
        expectFailure(unknown, code: 1, naming: ["H\\u{1B}[2J\\u{202E}\\u{A}FORGED"])
        let village = try s.run("forum", "村\u{1B}]0;t\u{07}\nFORGED", "--participants", "3")
        expectTerminalSafe(village)
        #expect(village.status != 0 && village.stderrLines.count == 1, "\(village)")
    }

    @Test("the merge's progress line keeps its own carriage return and escapes the file name")
    func progressLine() {
        let text = Console.progressText("  merging a\u{1B}[2J\u{202E}\nFORGED.fbundle: 50% of 10 changes   ")
        #expect(text == "\r  merging a\\u{1B}[2J\\u{202E}\\u{A}FORGED.fbundle: 50% of 10 changes   ")
    }

    @Test(
        "on a terminal, merge still draws and clears its progress line, with the file name escaped",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script") && isLinux))
    func progressLineOnATerminal() throws {
        let s = Sandbox()
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        s.write("roster.csv", sampleRosterCSV)
        try s.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "from-office")
        try s.ok("init", "--db", "a.sqlite", "--device", "笔记本1")
        try FileManager.default.createDirectory(atPath: s.path("stick"), withIntermediateDirectories: true)
        let name = "roster\u{1B}]0;title\u{07}\u{1B}[2J\u{202E}\nFORGED.fbundle"
        try moveOnlyBundle(in: "from-office", to: "stick/" + name, s)

        // util-linux script(1) runs the merge on a pseudo-terminal and copies what it shows.
        let binary = try #require(FieldbookBinary.url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\"$FIELDBOOK_BINARY\" merge --db a.sqlite stick", "/dev/null"]
        process.currentDirectoryURL = s.url
        var environment = ProcessInfo.processInfo.environment
        environment["FIELDBOOK_BINARY"] = binary.path
        environment["FIELDBOOK_NOW"] = fixedNow
        environment["FIELDBOOK_TZ"] = "Asia/Shanghai"
        process.environment = environment
        let output = s.path("terminal.out")
        try Data().write(to: URL(fileURLWithPath: output))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + 60) == .timedOut {
            process.terminate()
            finished.wait()
            Issue.record("script(1) running the merge did not finish in 60 s")
        }
        process.waitUntilExit()
        try handle.close()
        let screen = String(decoding: try #require(s.contents("terminal.out")), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(screen)")

        let escaped = shown(name)
        #expect(screen.contains("\r  merging \(escaped): "), "the progress line shows the escaped name: \(screen.debugDescription)")
        // The only escape sequence is the program's own: clear the progress line.
        let clears = screen.components(separatedBy: "\r\u{1B}[K").count - 1
        #expect(clears == 1, "\(screen.debugDescription)")
        #expect(screen.utf8.filter { $0 == 0x1B }.count == clears, "\(screen.debugDescription)")
        #expect(!screen.contains("\u{202E}") && !screen.contains("\u{07}"), "\(screen.debugDescription)")
        #expect(screen.contains("merged          \(escaped): "), "\(screen.debugDescription)")
        // No line that the file name started; the terminal ends lines with \r\n.
        for line in screen.components(separatedBy: "\n") {
            #expect(!line.hasPrefix("FORGED"), "\(screen.debugDescription)")
        }
    }

    // MARK: Helpers

    /// How a terminal should show `text`, written here from the documented notation, apart from
    /// the product's own function: each control, line break and bidi control as `\u{HEX}`.
    func shown(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            isTerminalControl(scalar) ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }.joined()
    }

    func isTerminalControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// Moves the one bundle a `pack` wrote into `folder` to `path`.
    func moveOnlyBundle(in folder: String, to path: String, _ s: Sandbox) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: s.path(folder))
        let file = try #require(files.count == 1 ? files.first : nil, "\(files)")
        try FileManager.default.moveItem(atPath: s.path(folder + "/" + file), toPath: s.path(path))
    }

    func villageNames(inTallyJSON json: Any) -> Set<String> {
        let villages = ((json as? [String: Any])?["villages"] as? [[String: Any]]) ?? []
        return Set(villages.compactMap { $0["name"] as? String })
    }

    /// Output meant for a person: no character that drives a terminal, breaks a line (other than
    /// "\n") or reorders text, and no line that a value started: FORGED only ever follows an escape.
    func expectTerminalSafe(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
        for (stream, text) in [("stdout", result.stdout), ("stderr", result.stderr)] {
            let bad = text.unicodeScalars.filter { $0 != "\n" && isTerminalControl($0) }
            #expect(bad.isEmpty, "\(stream) holds raw \(bad.map { "U+" + String($0.value, radix: 16, uppercase: true) }): \(result)",
                    sourceLocation: sourceLocation)
            #expect(!text.utf8.contains(0x1B), "\(stream) holds a raw ESC: \(result)", sourceLocation: sourceLocation)
            for line in text.split(separator: "\n") {
                #expect(!line.trimmingCharacters(in: .whitespaces).hasPrefix("FORGED"), "a value started a line in \(stream): \(result)",
                        sourceLocation: sourceLocation)
            }
            var rest = Substring(text)
            while let range = rest.range(of: "FORGED") {
                let before = rest[rest.startIndex..<range.lowerBound].last
                #expect(before == "}", "FORGED follows \(before.map { String($0) } ?? "nothing"), not an escape, in \(stream): \(result)",
                        sourceLocation: sourceLocation)
                rest = rest[range.upperBound...]
            }
        }
    }

    /// `list` at the office: a row per record, and each row's date and what start under their titles.
    func expectListAligned(_ table: String, rows: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + rows, "\(table)", sourceLocation: sourceLocation)
        guard let date = displayColumn(of: "date", in: lines[0]), let what = displayColumn(of: "what", in: lines[0]) else {
            Issue.record("no date or what column: \(table)", sourceLocation: sourceLocation)
            return
        }
        for row in lines.dropFirst(2) {
            #expect(dateColumn(in: row) == date, "\(table)", sourceLocation: sourceLocation)
            let rowCells = cells(row)
            #expect(what < rowCells.count && rowCells[what] != nil && rowCells[what] != " ", "\(table)", sourceLocation: sourceLocation)
        }
    }
}
