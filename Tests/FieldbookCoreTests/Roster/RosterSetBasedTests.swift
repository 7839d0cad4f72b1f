import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// The set-based roster import (``ReferenceBatch``) against the import one record at a time
/// through `ensureReference`, as it was before: two central stores on identical clocks go through
/// the same steps, one importing each way, and must end with the same reports, the same changes
/// (ids, sequence numbers, clocks, fields, bases), the same rows, conflicts, clock and readings.
@Suite(.timeLimit(.minutes(2))) struct RosterSetBasedTests {
    struct Pair {
        let dir = TemporaryDirectory()
        let before: Store
        let setBased: Store

        init(district: String? = nil) throws {
            let setup = DeviceSetup(name: "巡察办", round: "五届第五轮", central: true, district: district)
            // (A seed of their own: the laptops and offices of the test support have theirs.)
            before = try Store.create(at: dir.path("before.sqlite"), setup: setup, environment: FixedEnvironment(seed: 5).environment)
            setBased = try Store.create(at: dir.path("set.sqlite"), setup: setup, environment: FixedEnvironment(seed: 5).environment)
        }

        /// Imports `csv` into both stores, each its own way; expects the same outcome and the same
        /// stores, and returns the set-based import's report.
        @discardableResult
        func importBoth(
            _ csv: String, batch: Int = 512, waiting: Int = 8, sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> RosterImportReport {
            let path = dir.write("r-\(UUID().uuidString.prefix(8)).csv", csv)
            let a = Result { try before.importRoster(csvAt: path, setBased: false) }
            let b = Result { try setBased.importRoster(csvAt: path, setBased: true, batch: batch, waiting: waiting) }
            #expect(Self.outcome(a) == Self.outcome(b), sourceLocation: sourceLocation)
            try expectSame(sourceLocation: sourceLocation)
            return try b.get()
        }

        /// Does the same to both stores.
        func both(_ body: (Store) throws -> Void) throws {
            try body(before)
            try body(setBased)
        }

        /// Runs `sql` on both stores (a hand edit, a trigger of the connection's); returns the rows
        /// it changed in each.
        @discardableResult
        func execute(_ sql: String, arguments: StatementArguments = []) throws -> [Int] {
            var changed: [Int] = []
            try both { s in
                changed.append(try s.dbQueue.write { db in
                    try db.execute(sql: sql, arguments: arguments)
                    return db.changesCount
                })
            }
            return changed
        }

        func expectSame(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let a = try Self.snapshot(before), b = try Self.snapshot(setBased)
            #expect(a.count == b.count, sourceLocation: sourceLocation)
            for (x, y) in zip(a, b) where x != y {
                Issue.record("before: \(x)\nset-based: \(y)", sourceLocation: sourceLocation)
                break
            }
        }

        static func outcome(_ result: Result<RosterImportReport, any Error>) -> String {
            switch result {
            case .success(let r):
                "added \(r.added) updated \(r.updated) unchanged \(r.unchanged) townships \(r.townshipsAdded) "
                    + "villages \(r.villagesAdded) rejected \(r.rejected.map { "\($0.line): \($0.reason)" }) ignored \(r.ignoredColumns)"
            // (Each names its own store's file.)
            case .failure(let error as FieldbookError):
                "error \(error.exitCode): "
                    + error.message.replacingOccurrences(of: "before.sqlite", with: "S").replacingOccurrences(of: "set.sqlite", with: "S")
            case .failure(let error): "error \(error)"
            }
        }

        /// Every change, row, conflict and reading the store holds, and its clock, as text.
        static func snapshot(_ store: Store) throws -> [String] {
            try store.dbQueue.read { db in
                var lines: [String] = []
                for (table, order) in [
                    ("change", "id"), ("township", "id"), ("village", "id"), ("household", "id"),
                    ("conflict", "record_id, field, loser"), ("local_state", "singleton"),
                    ("household_reading", "household"), ("village_reading", "village"),
                ] {
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") {
                        lines.append("\(table) \(row)")
                    }
                }
                // Rows by rowid too: the readings are keyed by it.
                for row in try Row.fetchAll(db, sql: "SELECT rowid, id FROM household ORDER BY rowid") {
                    lines.append("household rowid \(row)")
                }
                return lines
            }
        }
    }

    @Test func reimportingUnchangedAndEditedFilesWritesWhatItDidBefore() throws {
        let pair = try Pair()
        let first = try pair.importBoth(sampleRosterCSV)
        #expect(first.added == 6 && first.townshipsAdded == 2 && first.villagesAdded == 4)
        let again = try pair.importBoth(sampleRosterCSV)
        #expect(again.unchanged == 6 && again.added == 0 && again.updated == 0)
        // A changed head and priority, a village that became a community, a new household beside
        // the others, a new township with a village and household, a row left out, a bad row.
        let edited = sampleRosterCSV
            .replacingOccurrences(of: "DG001,张建国,五保户", with: "DG001,张建军,五保户")
            .replacingOccurrences(of: "DG003,王大力,", with: "DG003,王大力,低保户")
            .replacingOccurrences(of: "古城乡,西河村,,二组", with: "古城乡,西河村,社区,二组")
            .replacingOccurrences(of: "古城乡,东关村,村,一组,GC001,刘海,低保\n", with: "")
            + "城关镇,东关村,村,二组,DG004,孙丽,\n新镇,新村,村,一组,XZ001,周正,\n新镇,新村,村,一组,,无户号,\n"
        let third = try pair.importBoth(edited)
        #expect(third.added == 2 && third.updated == 2 && third.unchanged == 3 && third.rejected.count == 1)
        #expect(third.townshipsAdded == 1 && third.villagesAdded == 1)
        // The village that became a community is counted as updated: it was written, and the
        // report had said nothing of it (neither added nor updated).
        #expect(third.villagesUpdated == 1 && third.townshipsUpdated == 0)
        let fourth = try pair.importBoth(edited)
        #expect(fourth.villagesUpdated == 0 && fourth.townshipsUpdated == 0 && fourth.unchanged == 7)
        let back = try pair.importBoth(sampleRosterCSV)
        #expect(back.villagesUpdated == 1)
    }

    @Test func householdsEditedOrDeletedSinceGoTheWayOfTheirLog() throws {
        let pair = try Pair()
        try pair.importBoth(sampleRosterCSV)
        try pair.both { s in
            _ = try s.edit(RecordID.household(code: "DG001"), set: [("head", "张三丰"), ("group", "五组")])
            _ = try s.delete(RecordID.household(code: "DG002"))
            _ = try s.edit(RecordID.village(township: "城关镇", name: "新华社区"), set: [("name", "新华里社区")])
        }
        try pair.expectSame()
        // The roster again: DG001's head and group back (an update naming the edit as its base),
        // DG002 alive again, 新华社区's name back; DG003 untouched.
        let report = try pair.importBoth(sampleRosterCSV)
        #expect(report.updated == 1 && report.added == 1 && report.unchanged == 4)
        #expect(try pair.setBased.record(id: RecordID.household(code: "DG001"))["head"] == .text("张建国"))
        // And once more, now that each has several changes: unchanged.
        let again = try pair.importBoth(sampleRosterCSV)
        #expect(again.unchanged == 6)
        try pair.importBoth(sampleRosterCSV.replacingOccurrences(of: "DG002,李秀英", with: "DG002,李秀兰"))
    }

    @Test func aHouseholdFoundInTheFieldThenPutOnTheRoster() throws {
        let pair = try Pair()
        try pair.importBoth(sampleRosterCSV)
        // A laptop (given the roster by an office of its own) finds XH777 in the field; its bundle
        // brings the household's field create, and that office's roster creates, to both stores.
        let laptop = try makeFieldStore(in: pair.dir, name: "laptop.sqlite", device: "笔记本A")
        _ = try laptop.record(.visit, ["household": "XH777"], newHousehold: NewHousehold(village: "新华社区", head: "田七"))
        let bundle = try #require(try laptop.pack(into: pair.dir.path("laptop-out"))).path
        try pair.both { s in #expect(s.merge(bundleAt: bundle).status == .merged) }
        try pair.expectSame()
        // The roster now names XH777 with another head: the office's roster outranks the field.
        let withIt = sampleRosterCSV + "城关镇,新华社区,社区,三组,XH777,田七七,低保户\n"
        let report = try pair.importBoth(withIt)
        #expect(report.updated == 1 && report.unchanged == 6)
        #expect(try pair.setBased.record(id: RecordID.household(code: "XH777"))["head"] == .text("田七七"))
        try pair.importBoth(withIt)
    }

    @Test func countyAndCityLevelsImportAsBefore() throws {
        let pair = try Pair()
        let first = try pair.importBoth(levelsRosterCSV)
        #expect(first.added == 7 && first.rejected.isEmpty)
        try pair.importBoth(levelsRosterCSV)
        let edited = levelsRosterCSV.replacingOccurrences(of: "虞城县,城关镇,东关村,DG001,王大力,", with: "虞城县,城关镇,东关村,DG001,王大力,五保户")
            + "商丘市,夏邑县,城关镇,东关村,DG001,李四,\n"
        let report = try pair.importBoth(edited)
        #expect(report.added == 1 && report.updated == 1 && report.townshipsAdded == 1)
        // A one-district roster beside it: the same codes without county or city are other households.
        try pair.importBoth(sampleRosterCSV)
    }

    @Test func aCreateSpelledAnotherWayIsReadRatherThanTakenAsTheSame() throws {
        let pair = try Pair()
        try pair.importBoth(sampleRosterCSV)
        // The same values with other spacing (another writer's JSON): still unchanged.
        let respelled = try pair.execute("""
            UPDATE change SET fields = replace(fields, ',"head":', ', "head" : ')
            WHERE record_id = ? AND op = 'create'
            """, arguments: [RecordID.household(code: "DG003")])
        #expect(respelled == [1, 1])
        let report = try pair.importBoth(sampleRosterCSV)
        #expect(report.unchanged == 6)
        let edited = try pair.importBoth(sampleRosterCSV.replacingOccurrences(of: "DG003,王大力", with: "DG003,王大立"))
        #expect(edited.updated == 1)
    }

    @Test func aWriteThatFailsFailsAlikeAndLeavesNothing() throws {
        let pair = try Pair()
        try pair.importBoth(sampleRosterCSV)
        // A household row the store refuses (a trigger of this connection's): the import stops
        // with the same message, and nothing of it is left.
        try pair.execute("""
            CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.household WHEN NEW.code = 'DG009'
            BEGIN SELECT RAISE(ABORT, 'household DG009 refused'); END
            """)
        let more = sampleRosterCSV + "城关镇,东关村,村,一组,DG008,孙丽,\n城关镇,东关村,村,一组,DG009,周正,\n"
        #expect(throws: FieldbookError.self) { try pair.importBoth(more) }
        #expect(try pair.setBased.status().counts[.household] == 6)
        try pair.execute("DROP TRIGGER temp.refuse")
        // A sequence number taken by a change this store never made: refused alike.
        try pair.both { s in
            try s.dbQueue.write { db in
                let local = try LocalState.fetch(db)
                try db.execute(
                    sql: """
                        INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base)
                        VALUES (?, ?, ?, 'round', ?, 'create', '{"_deleted":0,"name":"x"}', '{}')
                        """,
                    arguments: [local.deviceID, local.lastSeq + 2, local.lastHLC.rawValue, RecordID.round("x")])
            }
        }
        #expect(throws: FieldbookError.self) { try pair.importBoth(more) }
        try pair.expectSame()
    }

    /// A row the log has no change for (a store altered outside fieldbook): the import's create
    /// overwrites it, as the single-record way's does, and the reading of its head is stored for
    /// that row, not for a row of its own. The set-based import inserts a new record's row and
    /// names it by its rowid; where a row was there already it must fall back to the upsert and
    /// find the row by id.
    @Test func aRowWithoutChangesIsOverwrittenAsBefore() throws {
        let pair = try Pair()
        let id = RecordID.household(code: "DG002")
        try pair.execute(
            """
            INSERT INTO household (id, village_id, code, head, priority, source, created_by, created_hlc, updated_hlc)
            VALUES (?, 'v', 'DG002', '冒名', '[]', 'roster', 'x', 1, 1)
            """, arguments: [id])
        try pair.execute(
            "INSERT INTO household_reading (household, name, reading) SELECT rowid, '冒名', 'maoming' FROM household WHERE id = ?",
            arguments: [id])
        let first = try pair.importBoth(sampleRosterCSV)
        #expect(first.added == 6)
        try pair.both { s in
            let (rows, head, readings) = try s.dbQueue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM household WHERE id = ?", arguments: [id]),
                    try String.fetchOne(db, sql: "SELECT head FROM household WHERE id = ?", arguments: [id]),
                    try String.fetchAll(
                        db, sql: "SELECT r.name FROM household_reading r JOIN household h ON h.rowid = r.household WHERE h.id = ?",
                        arguments: [id])
                )
            }
            #expect(rows == 1 && head != "冒名" && readings == [head])
        }
    }

    /// A roster of households 0..<count, seven to a village, five townships; `head` names each.
    static func roster(_ count: Int, head: (Int) -> String) -> String {
        var csv = "乡镇,村,类型,村民组,户号,户主,重点户\n"
        for i in 0..<count {
            let v = i / 7
            csv += "第\(v % 5 + 1)镇,第\(v + 1)村,村,一组,\(code(i)),\(head(i)),\(i % 11 == 0 ? "五保户" : "")\n"
        }
        return csv
    }

    static func code(_ i: Int) -> String { "B" + String(1_000_000 + i).dropFirst() }

    /// The import reads and prepares its records on one thread and writes them on another, in
    /// batches (512 records; 40 here, two of them waiting at most, so that the reader waits for
    /// room): a roster of many batches, with records of every batch edited, deleted or changed on
    /// the roster, and heads left empty, imports as the one-record way does; a write that fails
    /// in a late batch stops the reader and leaves nothing.
    @Test func aRosterOfManyBatchesImportsAsBefore() throws {
        let pair = try Pair()
        let heads = ["张建国", "李秀英", "王大力", "赵海燕", "单雄信", "", "Li 2"]
        let first = try pair.importBoth(Self.roster(1_400) { heads[$0 % heads.count] }, batch: 40, waiting: 2)
        #expect(first.added == 1_400 && first.villagesAdded == 200 && first.townshipsAdded == 5)
        try pair.both { s in
            for i in [3, 700, 1_399] { _ = try s.edit(RecordID.household(code: Self.code(i)), set: [("head", "张三丰")]) }
            _ = try s.delete(RecordID.household(code: Self.code(1_000)))
        }
        // 100 new, B01000 alive again, the three heads back, five heads changed on the roster.
        let edited = Self.roster(1_500) { $0 % 300 == 7 ? "周正" : heads[$0 % heads.count] }
        let second = try pair.importBoth(edited, batch: 40, waiting: 2)
        #expect(second.added == 101 && second.updated == 8 && second.unchanged == 1_391)
        // A row the store refuses in the fourth batch: both fail alike, and nothing is left.
        let before = try pair.setBased.status().changes
        try pair.execute("""
            CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.household WHEN NEW.code = 'B001580'
            BEGIN SELECT RAISE(ABORT, 'household B001580 refused'); END
            """)
        #expect(throws: FieldbookError.self) { try pair.importBoth(Self.roster(1_600) { heads[$0 % heads.count] }, batch: 40, waiting: 2) }
        #expect(try pair.setBased.status().changes == before)
        try pair.expectSame()
        // (Not imported again here: the test clock ticks at every reading, and the two ways read
        // it a different number of times in the transaction that was rolled back, so their next
        // changes' clocks would differ by those ticks, as they did before the import had threads.)
        try pair.execute("DROP TRIGGER temp.refuse")
        let after = try pair.setBased.importRoster(csvAt: pair.dir.write("r-after.csv", Self.roster(1_600) { heads[$0 % heads.count] }))
        #expect(after.added == 100 && after.updated == 5 && after.unchanged == 1_495)
    }

    @Test func aFieldStoreIsRefusedAlike() throws {
        let dir = TemporaryDirectory()
        let laptop = try makeFieldStore(in: dir, name: "l.sqlite")
        let path = dir.write("r.csv", sampleRosterCSV)
        for setBased in [false, true] {
            #expect {
                try laptop.importRoster(csvAt: path, setBased: setBased)
            } throws: { error in
                (error as? FieldbookError)?.exitCode == 77
            }
        }
    }

    @Test func cellsReadAsTheyStandOnlyWhenCleaningWouldLeaveThemSo() {
        let cells = [
            "", " ", "\t", "张建国", " 张建国", "张建国 ", "\u{3000}张建国", "张建国\u{3000}", "\u{A0}李", "李\u{A0}", "李 四",
            "李\t四", "李\n四", "李\r\n四", "李\r四", "李\u{0B}四", "李\u{0C}四", "李\u{85}四", "李\u{2028}四", "李\u{2029}四",
            "李\u{2014}四", "李\u{2003}", "\u{2003}李", "李\u{200B}", "a\u{301}", "\u{301}a", " \u{301}a", "H0000001",
            "五保户;低保户", "\u{1F}x", "x\u{1F}", "é", "e\u{301}", "李¢四", "李\u{C2}", "\u{200B}李", "李\u{180E}",
            "\u{FEFF}李", "李\u{FEFF}", "\u{7F}李", "李）", "（李", "１号", "Ⅻ", "李\u{205F}", "\u{1680}李", "李\u{202F}",
        ]
        // Every scalar of the first plane and a few beyond at either end of a name, and inside it.
        var scalars = (0...0xFFFF).compactMap(Unicode.Scalar.init)
        scalars += [0x1F600, 0x20000, 0xE0020, 0x10FFFD].compactMap(Unicode.Scalar.init)
        for scalar in scalars {
            let c = String(scalar)
            for cell in [c + "李", "李" + c, "李" + c + "四"] where Roster.clean(cell) != Roster.cleanCharacterByCharacter(cell) {
                Issue.record("U+\(String(scalar.value, radix: 16)) in \(cell.debugDescription)")
            }
        }
        for cell in cells {
            #expect(Roster.clean(cell) == Roster.cleanCharacterByCharacter(cell), "\(cell.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // A `/` byte is a slash, with a mark on it too (keysAreTheirBytesWhateverTheOrder); a
        // full-width ／ is not.
        for (name, slash) in [("a/b", true), ("/", true), ("a/\u{301}b", true), ("ab", false), ("a／b", false), ("东关村", false), ("\u{301}/", true)] {
            #expect(Roster.hasSlash(name) == slash, "\(name)")
        }
    }
}
