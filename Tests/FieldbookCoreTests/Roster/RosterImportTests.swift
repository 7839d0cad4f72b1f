import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct RosterImportTests {
    func store(_ dir: TemporaryDirectory) throws -> Store {
        try Store.create(
            at: dir.path("s.sqlite"), setup: DeviceSetup(name: "巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment().environment)
    }

    @Test func aFieldStoreRefusesToImportTheRosterAndNamesTheWay() throws {
        let dir = TemporaryDirectory()
        let laptop = try Store.create(
            at: dir.path("l.sqlite"), setup: DeviceSetup(name: "笔记本", round: "五届第五轮"),
            environment: FixedEnvironment().environment)
        #expect(throws: FieldbookError.self) { try laptop.importRoster(csvAt: dir.write("r.csv", sampleRosterCSV)) }
        do {
            _ = try laptop.importRoster(csvAt: dir.write("r.csv", sampleRosterCSV))
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
            #expect(error.message.contains("pack --roster"))
        }
        #expect(try laptop.status().counts[.household] ?? 0 == 0)
    }

    @Test func chineseHeadersWithABOMImportEveryKindAndPriority() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let report = try s.importRoster(csvAt: dir.write("r.csv", "\u{FEFF}" + sampleRosterCSV))
        #expect(report.added == 6)
        #expect(report.townshipsAdded == 2)
        #expect(report.villagesAdded == 4)
        #expect(report.rejected.isEmpty)
        let status = try s.status()
        #expect(status.counts[.household] == 6)
        let dg002 = try s.record(id: RecordID.household(code: "DG002"))
        #expect(dg002["priority"] == .list(["dibao", "weifang"]))
        #expect(dg002["head"] == .text("李秀英"))
        #expect(dg002["group"] == .text("一组"))
        let community = try s.record(id: RecordID.village(township: "城关镇", name: "新华社区"))
        #expect(community["village_kind"] == .text("community"))
    }

    @Test func englishHeadersInAnyOrderAndExtraColumnsAreRead() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let csv = "head,household,phone,village,township,priority\n张三,A1,138,东村,一镇,wubao;dibao\n"
        let report = try s.importRoster(csvAt: dir.write("r.csv", csv))
        #expect(report.added == 1)
        #expect(report.ignoredColumns == ["phone"])
        #expect(try s.record(id: RecordID.household(code: "A1"))["priority"] == .list(["wubao", "dibao"]))
    }

    @Test func importingTwiceChangesNothingAndAnEditedRowUpdates() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let path = dir.write("r.csv", sampleRosterCSV)
        _ = try s.importRoster(csvAt: path)
        let changes = try s.status().changes
        let again = try s.importRoster(csvAt: path)
        #expect(again.added == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == 6)
        #expect(try s.status().changes == changes)
        let edited = dir.write("r2.csv", sampleRosterCSV.replacingOccurrences(of: "王大力,", with: "王大力,五保户"))
        let third = try s.importRoster(csvAt: edited)
        #expect(third.updated == 1)
        #expect(third.unchanged == 5)
        #expect(try s.status().changes == changes + 1)
    }

    @Test func badRowsAreRejectedByLineAndTheRestImported() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let csv = """
            乡镇,村,户号,户主,重点户
            一镇,东村,A1,张三,
            一镇,东村,,无户号,
            一镇,东村,A2,"李
            四",
            一镇,东村,A3,王五,贫困户
            一镇,,A4,赵六,
            一镇,东村,A5
            一镇,东村,A1,别人,

            """
        let report = try s.importRoster(csvAt: dir.write("r.csv", csv))
        #expect(report.added == 2)
        #expect(report.rejected.map(\.line) == [3, 6, 7, 8, 9])
        #expect(report.rejected[1].reason.contains("贫困户"))
        #expect(report.rejected[4].reason.contains("line 2"))
        // A line break inside a cell (Alt+Enter in Excel) becomes a space: a name is one line.
        #expect(try s.record(id: RecordID.household(code: "A2"))["head"] == .text("李 四"))
    }

    /// What is not a file to read: a missing path, a folder, a pipe nobody writes to, a device.
    /// A FIFO waited for a writer forever and /dev/zero was read until memory ran out; each was
    /// "bad data" (65) where it is no input (66). Each is refused at once, naming why.
    @Test(.timeLimit(.minutes(1))) func whatIsNotAFileIsRefusedAsNoInput() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let before = try s.status().changes
        let fifo = dir.path("pipe.csv")
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases: [(path: String, reason: String)] = [
            (dir.path("absent.csv"), "there is no such file"), (dir.path(""), "it is a folder"),
            (fifo, "it is not a file"), ("/dev/zero", "it is not a file"),
        ]
        for c in cases {
            #expect {
                try s.importRoster(csvAt: c.path)
            } throws: { error in
                guard case FieldbookError.unreadableFile(let path, let reason) = error else { return false }
                return path == c.path && reason.hasPrefix(c.reason) && (error as? FieldbookError)?.exitCode == 66
            }
        }
        #expect(try s.status().changes == before)
    }

    /// Spellings Swift takes for one string but whose bytes differ (a composed é and e with a
    /// combining accent; the compatibility ideograph U+F90A and 金) are two keys, as the ids derived
    /// from their bytes are two: they were one village or one household, spelt as whichever row
    /// came first, so the file's order moved households between villages, and a second household
    /// was dropped or refused as a duplicate of the first. Whatever the order, the same records.
    @Test func keysAreTheirBytesWhateverTheOrder() throws {
        let rows = [
            "一镇,\u{F90A}村,村,一组,K1,张三,", "一镇,金村,村,一组,K2,李四,",
            "一镇,东村,村,一组,Caf\u{E9},王五,", "一镇,东村,村,一组,Cafe\u{301},赵六,",
        ]
        var snapshots: [[String]] = []
        for (n, order) in [rows, rows.reversed()].enumerated() {
            let dir = TemporaryDirectory()
            let s = try store(dir)
            let report = try s.importRoster(csvAt: dir.write("r\(n).csv", "乡镇,村,类型,村民组,户号,户主,重点户\n" + order.joined(separator: "\n") + "\n"))
            #expect(report.added == 4 && report.rejected.isEmpty && report.villagesAdded == 3, "\(report)")
            snapshots.append(try s.dbQueue.read { db in
                try String.fetchAll(db, sql: """
                    SELECT hex(h.id) || ' ' || hex(h.code) || ' ' || hex(v.id) || ' ' || hex(v.name)
                    FROM household h JOIN village v ON v.id = h.village_id ORDER BY h.id
                    """)
            })
        }
        #expect(snapshots[0] == snapshots[1])
        #expect(Set(snapshots[0].map { $0.split(separator: " ")[2] }).count == 3)
    }

    /// A `/` with a mark on it in a township's name made the key of another township's village.
    @Test func aSlashWithAMarkIsASlash() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let report = try s.importRoster(csvAt: dir.write("r.csv", "乡镇,村,户号\nA/\u{301},\u{301}B,C1\nA,\u{301}/\u{301}B,C2\nA,B,C3\n"))
        #expect(report.added == 1 && report.rejected.map(\.line) == [2, 3], "\(report)")
    }

    /// Lines are numbered as the file's lines end, LF, CRLF or a lone CR (old Mac Excel): a
    /// header cell holding CRLF, a CR-only file's quoting error and its rows after a cell of two
    /// lines were all numbered wrong.
    @Test func linesAreNumberedWhateverTheirEnds() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        func rejectedLines(_ csv: String) throws -> [Int] {
            try s.importRoster(csvAt: dir.write("r-\(UUID().uuidString.prefix(6)).csv", csv)).rejected.map(\.line)
        }
        // Line 3 has no code, in each spelling of the line ends.
        for end in ["\n", "\r\n", "\r"] {
            #expect(try rejectedLines(["乡镇,村,户号", "一镇,东村,A1", "一镇,东村,"].joined(separator: end) + end) == [3], "\(end.debugDescription)")
            // A header cell of two lines: the row without a code is on line 4.
            #expect(try rejectedLines(["乡镇,村,户号,\"备" + end + "注\"", "一镇,东村,A2,x", "一镇,东村,,y"].joined(separator: end) + end) == [4], "\(end.debugDescription)")
            // A cell of two lines on line 2: the next row is on line 4.
            #expect(try rejectedLines(["乡镇,村,户号,备注", "一镇,东村,A3,\"一" + end + "二\"", "一镇,东村,,z"].joined(separator: end) + end) == [4], "\(end.debugDescription)")
            let stray = dir.write("q-\(end.utf8.count)-\(end.utf8.first!).csv", ["乡镇,村,户号", "一镇,东村,A1", "一镇,\"东\"村,A2"].joined(separator: end) + end)
            #expect {
                try s.importRoster(csvAt: stray)
            } throws: { error in
                guard case FieldbookError.badFile(_, let reason) = error else { return false }
                return reason.hasPrefix("line 3:")
            }
        }
        #expect(Roster.lineBreaks(in: "a\r\nb\rc\nd\r") == 4)
    }

    /// Files as careless tools save them: UTF-16 was refused as "maybe GBK/ANSI"; a second
    /// byte-order mark hid in the first column's name, so 乡镇 was "missing" beside a 乡镇 shown;
    /// blank lines above the header made the file "empty"; a header of a megabyte (a file of
    /// zeros) was quoted whole in the message.
    @Test(.timeLimit(.minutes(1))) func filesAsCarelessToolsSaveThem() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let utf16 = dir.path("u.csv")
        try Data([0xFF, 0xFE] + Array("乡镇,村,户号\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }).write(to: URL(fileURLWithPath: utf16))
        #expect {
            try s.importRoster(csvAt: utf16)
        } throws: { error in
            guard case FieldbookError.badFile(_, let reason) = error else { return false }
            return reason.contains("UTF-16") && !reason.contains("GBK")
        }
        let twice = dir.path("b.csv")
        try Data([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("乡镇,村,户号\n一镇,东村,A1\n".utf8)).write(to: URL(fileURLWithPath: twice))
        #expect(try s.importRoster(csvAt: twice).added == 1)
        let blank = dir.write("blank.csv", "\n,,\n乡镇,村,户号\n一镇,东村,A2\n一镇,东村,\n")
        let report = try s.importRoster(csvAt: blank)
        #expect(report.added == 1 && report.rejected.map(\.line) == [5], "\(report)")
        let zeros = dir.path("z.csv")
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: zeros))
        #expect {
            try s.importRoster(csvAt: zeros)
        } throws: { error in
            guard case FieldbookError.badFile(_, let reason) = error else { return false }
            return reason.contains("missing column") && reason.utf8.count < 1_000
        }
    }

    @Test func wholeFileProblemsAreRefusedAndWriteNothing() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        let before = try s.status().changes
        let missing = dir.write("m.csv", "村,户主\n东村,张三\n")
        #expect {
            try s.importRoster(csvAt: missing)
        } throws: { error in
            guard case FieldbookError.badFile(let path, let reason) = error else { return false }
            return path == missing && reason.contains("township") && reason.contains("household")
        }
        let quoting = dir.write("q.csv", "乡镇,村,户号\n一镇,东村,A1\n一镇,\"东村,A2\n一镇,东村,A3\n")
        #expect {
            try s.importRoster(csvAt: quoting)
        } throws: { error in
            guard case FieldbookError.badFile(_, let reason) = error else { return false }
            return reason.hasPrefix("line 3:") && reason.contains("never closed")
        }
        // A quote closed before the field ends, then a Chinese character: named as it stands.
        let stray = dir.write("s.csv", "乡镇,村,户号\n一镇,东村,A1\n\n一镇,\"东\"村,A2\n")
        #expect {
            try s.importRoster(csvAt: stray)
        } throws: { error in
            guard case FieldbookError.badFile(_, let reason) = error else { return false }
            return reason.hasPrefix("line 4:") && reason.contains("followed by \"村\"")
        }
        let gbk = dir.path("g.csv")
        try Data("乡镇,村,户号\n".utf8 + [0xB3, 0xC7, 0xB9, 0xD8] + Data(",东村,A1\n".utf8)).write(to: URL(fileURLWithPath: gbk))
        #expect {
            try s.importRoster(csvAt: gbk)
        } throws: { error in
            guard case FieldbookError.badFile(_, let reason) = error else { return false }
            return reason.hasPrefix("line 2 is not UTF-8") && reason.contains("CSV UTF-8")
        }
        #expect(throws: FieldbookError.self) { try s.importRoster(csvAt: dir.path("absent.csv")) }
        #expect(try s.status().changes == before)
    }

    /// The file is read and checked before the store is locked for writing: a file that cannot
    /// be imported says so at once, even while another command writes the store (a merge), which
    /// a store otherwise waits for.
    @Test func aFileThatCannotBeImportedFailsWithoutWaitingForTheStore() throws {
        let dir = TemporaryDirectory()
        let s = try store(dir)
        var held = Configuration()
        held.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: dir.path("s.sqlite"), configuration: held)
        try other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let missing = dir.write("m.csv", "村,户主\n东村,张三\n")
        let failure = Locked<FieldbookError?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            do { _ = try s.importRoster(csvAt: missing) } catch { failure.withLock { $0 = error as? FieldbookError } }
            finished.signal()
        }.start()
        let inTime = finished.wait(timeout: .now() + 20) == .success
        #expect(inTime, "the import waited for the store before reading the file")
        // The other writer ends; an import that waited goes on, so that the test ends either way.
        try other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
        if !inTime { finished.wait() }
        guard case .badFile(let path, _)? = failure.withLock({ $0 }) else {
            Issue.record("no bad-file error: \(String(describing: failure.withLock { $0 }))")
            return
        }
        #expect(path == missing)
    }

    @Test func twoLaptopsImportingOneRosterMakeTheSameRecords() throws {
        let dir = TemporaryDirectory()
        let a = try makeFieldStore(in: dir, name: "a.sqlite", device: "A")
        let b = try makeFieldStore(in: dir, name: "b.sqlite", device: "B", clock: FixedEnvironment(seed: 99))
        let idsA = try a.dbQueue.read { try String.fetchAll($0, sql: "SELECT id FROM household ORDER BY id") }
        let idsB = try b.dbQueue.read { try String.fetchAll($0, sql: "SELECT id FROM household ORDER BY id") }
        #expect(idsA == idsB)
        #expect(idsA.count == 6)
    }

    /// The file's quoting is checked byte by byte; it must find what the scalar-by-scalar check
    /// of before found (kept here as the reference), on texts of quotes, commas, line ends and
    /// characters of one to four bytes, with marks that combine. (Both count a lone CR as a line's
    /// end, as the CSV reader does: linesAreNumberedWhateverTheirEnds.)
    @Test func quotingIsJudgedAsItWasScalarByScalar() {
        let alphabet = ["\"", "\"", ",", "\n", "\r", "\r\n", "a", "张", "é", "e\u{301}", "😀", " ", "\"\""]
        var state: UInt64 = 41
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var problems = 0
        for _ in 0..<20_000 {
            let text = (0..<next(14)).map { _ in alphabet[next(alphabet.count)] }.joined()
            let old = Self.scalarByScalar(text), new = Roster.quotingProblem(text)
            #expect(old?.line == new?.line && old?.reason == new?.reason, "\(text.debugDescription)")
            if old != nil { problems += 1 }
        }
        // Both kinds of text were tried.
        #expect(problems > 2_000 && problems < 18_000)
    }

        static func scalarByScalar(_ text: String) -> (line: Int, reason: String)? {
            var line = 1
            var inQuotes = false
            var quoteLine = 1
            var atFieldStart = true
            var scalars = text.unicodeScalars.makeIterator()
            var pending: Unicode.Scalar? = nil
            func next() -> Unicode.Scalar? {
                if let p = pending { pending = nil; return p }
                return scalars.next()
            }
            /// After a CR: whether it ends a line by itself (no LF follows).
            func loneCR() -> Bool {
                let following = next()
                pending = following
                return following != "\n"
            }
            while let c = next() {
                if inQuotes {
                    if c == "\"" {
                        let after = next()
                        if after == "\"" { continue }
                        inQuotes = false
                        atFieldStart = false
                        if let after {
                            if after == "," { atFieldStart = true } else if after == "\n" || after == "\r" {
                                if after == "\n" || loneCR() { line += 1 }
                                atFieldStart = true
                            } else {
                                return (line, tr("a quoted field is followed by \"\(after)\" instead of a comma or the end of the line"))
                            }
                        }
                    } else if c == "\n" || (c == "\r" && loneCR()) {
                        line += 1
                    }
                    continue
                }
                switch c {
                case "\"":
                    if atFieldStart {
                        inQuotes = true
                        quoteLine = line
                    } else {
                        return (line, tr("a quote appears inside an unquoted field; put the whole field in quotes and double the inner quotes"))
                    }
                case ",":
                    atFieldStart = true
                case "\n":
                    line += 1
                    atFieldStart = true
                case "\r":
                    if loneCR() { line += 1 }
                    atFieldStart = true
                default:
                    atFieldStart = false
                }
            }
            if inQuotes { return (quoteLine, tr("a quoted field opened here is never closed")) }
            return nil
        }

}
