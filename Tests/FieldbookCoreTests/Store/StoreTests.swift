import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct StoreOpeningTests {
    @Test func initRefusesToOverwriteAFile() throws {
        let dir = TemporaryDirectory()
        _ = try makeFieldStore(in: dir)
        #expect(throws: FieldbookError.storeExists(path: dir.path("field.sqlite"))) {
            try Store.create(at: dir.path("field.sqlite"), setup: DeviceSetup(name: "x"))
        }
        let other = dir.write("notes.txt", "hello")
        #expect(throws: FieldbookError.storeExists(path: other)) {
            try Store.create(at: other, setup: DeviceSetup(name: "x"))
        }
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "hello")
    }

    /// A path that is empty or ends in / names no store file: `init --db x/` over a store `x`
    /// failed half-way with SQLite's "UNIQUE constraint failed".
    @Test func createRefusesAPathThatNamesNoFile() throws {
        let dir = TemporaryDirectory()
        _ = try makeFieldStore(in: dir, name: "x")
        for path in [dir.path("x") + "/", "", dir.path("new") + "/"] {
            #expect(throws: FieldbookError.self, "\(path)") { try Store.create(at: path, setup: DeviceSetup(name: "笔记本2")) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("new")))
        try FileManager.default.createSymbolicLink(atPath: dir.path("dangling"), withDestinationPath: dir.path("nowhere"))
        #expect(throws: FieldbookError.storeExists(path: dir.path("dangling"))) {
            try Store.create(at: dir.path("dangling"), setup: DeviceSetup(name: "笔记本2"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func openRefusesMissingFilesAndOtherFiles() throws {
        let dir = TemporaryDirectory()
        #expect(throws: FieldbookError.noStore(path: dir.path("none.sqlite"))) {
            try Store.open(at: dir.path("none.sqlite"))
        }
        let text = dir.write("roster.csv", "a,b\n")
        #expect(throws: FieldbookError.notAStore(path: text, reason: "it is not an SQLite database")) {
            try Store.open(at: text)
        }
        let foreign = dir.path("other.sqlite")
        let queue = try DatabaseQueue(path: foreign)
        try queue.write { try $0.execute(sql: "CREATE TABLE t(x)") }
        try queue.close()
        #expect(throws: FieldbookError.notAStore(path: foreign, reason: "it is an SQLite database of another program")) {
            try Store.open(at: foreign)
        }
        // A pipe nobody writes to was opened and waited on for ever; a folder and a device are refused too.
        let fifo = dir.path("pipe.sqlite")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FieldbookError.notAStore(path: fifo, reason: "it is not a file (a pipe or a device)")) {
            try Store.open(at: fifo)
        }
        #expect(throws: FieldbookError.notAStore(path: "/dev/zero", reason: "it is not a file (a pipe or a device)")) {
            try Store.open(at: "/dev/zero")
        }
        #expect(throws: FieldbookError.notAStore(path: dir.path(""), reason: "it is a folder")) {
            try Store.open(at: dir.path(""))
        }
    }

    @Test func openRefusesAStoreFromANewerFieldbook() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        try store.dbQueue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        #expect(throws: FieldbookError.newerSchema(path: dir.path("field.sqlite"))) {
            try Store.open(at: dir.path("field.sqlite"))
        }
    }

    @Test func storeUsesWALAndFullSync() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let (mode, sync, fk) = try store.dbQueue.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)
        #expect(fk == 1)
    }
}

@Suite struct RecordingTests {
    @Test func aVisitByCodeAloneTakesTodayTheRoundAndTheInspectors() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001"])
        #expect(visit["date"] == .text("2026-11-21"))
        #expect(visit["inspectors"] == .list(["张三", "李四"]))
        #expect(visit.labels["round"] == "五届第五轮")
        #expect(visit.labels["household"] == "DG001 张建国")
        #expect(visit.labels["village"] == "城关镇/东关村")
        #expect(visit.createdByName == "笔记本1")
    }

    @Test func everyChangeIsVersionedWithSequenceClockAndBase() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001", "note": "初访"])
        _ = try store.edit(visit.id, set: [("note", "户主外出务工")])
        _ = try store.delete(visit.id)
        let changes = try store.dbQueue.read { try Store.changes(of: visit.id, $0) }
        #expect(changes.map(\.op) == [.create, .update, .delete])
        #expect(changes.map(\.seq) == changes.map(\.seq).sorted())
        #expect(zip(changes, changes.dropFirst()).allSatisfy { $0.seq + 1 == $1.seq && $0.hlc < $1.hlc })
        #expect(changes[1].fields == ["note": .text("户主外出务工"), deletedField: .int(0)])
        #expect(changes[1].base["note"] == [changes[0].version])
        #expect(changes[2].fields == [deletedField: .int(1)])
        #expect(changes[2].base[deletedField] == [changes[1].version])
        // This device's own changes are numbered 1, 2, 3… with no gap (the roster came by bundle).
        let all = try store.dbQueue.read {
            try Int64.fetchAll($0, sql: "SELECT seq FROM change WHERE device_id = (SELECT device_id FROM local_state) ORDER BY id")
        }
        #expect(all == Array(1...Int64(all.count)))
    }

    @Test func theClockNeverGoesBackWhenTheLaptopsDoes() throws {
        let dir = TemporaryDirectory()
        let clock = FixedEnvironment()
        let store = try makeFieldStore(in: dir, clock: clock)
        let first = try store.record(.visit, ["household": "DG001"])
        clock.advance(-86_400 * 30)
        let second = try store.record(.visit, ["household": "DG002"])
        #expect(second.createdAt > first.createdAt)
        let reopened = try Store.open(at: dir.path("field.sqlite"), environment: clock.environment)
        clock.advance(-86_400)
        let third = try reopened.record(.visit, ["household": "DG003"])
        #expect(third.createdAt > second.createdAt)
    }

    @Test func deletesAreTombstonesWithHistory() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let notice = try store.record(.notice, ["village": "新华社区", "copies": "3", "place": "公示栏"])
        _ = try store.edit(notice.id, set: [("copies", "4")])
        _ = try store.delete(notice.id)
        #expect(try store.list().isEmpty)
        #expect(try store.list(RecordFilter(includeDeleted: true)).map(\.id) == [notice.id])
        #expect(try store.record(id: notice.id).deleted)
        let (_, entries) = try store.history(notice.id)
        #expect(entries.map(\.op) == [.create, .update, .delete])
        let copies = try #require(entries[1].fields.first { $0.field == "copies" })
        #expect(copies.from == [.int(3)])
        #expect(copies.to == .int(4))
        #expect(throws: FieldbookError.recordDeleted(id: notice.id)) { try store.edit(notice.id, set: [("copies", "5")]) }
        #expect(throws: FieldbookError.recordDeleted(id: notice.id)) { try store.delete(notice.id) }
    }

    @Test func fixMovesFromOpenToFixedToVerifiedWithDates() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let fix = try store.record(.fix, ["village": "西河村", "problem": "公开栏未更新", "action": "当场更新"])
        #expect(fix["status"] == .text("open"))
        #expect(fix["found_on"] == .text("2026-11-21"))
        let earlier = try store.record(.fix, ["village": "西河村", "problem": "公开栏未更新", "action": "当场更新", "found_on": "2026-11-19"])
        #expect(earlier["found_on"] == .text("2026-11-19"))
        let fixed = try store.setFixStatus(earlier.id, to: "fixed", date: "2026-11-20")
        #expect(fixed["status"] == .text("fixed"))
        #expect(fixed["fixed_on"] == .text("2026-11-20"))
        let verified = try store.setFixStatus(earlier.id, to: "已核实")
        #expect(verified["status"] == .text("verified"))
        #expect(verified["verified_on"] == .text("2026-11-21"))
        // A step before the day the problem was found is refused, as a problem's is, and writes nothing.
        let changes = try store.status().changes
        #expect(throws: FieldbookError.invalidValue(field: "fixed_on", value: "2026-11-20", expected: "the problem was found on 2026-11-21; give that day or a later one")) {
            try store.setFixStatus(fix.id, to: "fixed", date: "2026-11-20")
        }
        #expect(throws: FieldbookError.self) { try store.setFixStatus(fix.id, to: "verified", date: "1900-01-01") }
        #expect(throws: FieldbookError.self) { try store.edit(earlier.id, set: [("found_on", "2026-11-21")]) }
        // Checked before it was fixed: refused too.
        #expect(throws: FieldbookError.invalidValue(field: "verified_on", value: "2026-11-19", expected: "its fixed_on is 2026-11-20; a check comes on that day or later")) {
            try store.edit(earlier.id, set: [("verified_on", "2026-11-19")])
        }
        #expect(try store.status().changes == changes)
    }

    /// A problem checked before the day it was rectified is refused, as it is before it was found.
    @Test func aProblemIsVerifiedOnOrAfterItsRectification() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        func dates(_ d: [String: String]) -> [String: FieldValue] { d.mapValues { .text($0) } }
        try store.checkProblemDates(dates(["found_on": "2026-11-01", "rectified_on": "2026-11-03", "verified_on": "2026-11-03"]))
        #expect(throws: FieldbookError.invalidValue(field: "verified_on", value: "2026-11-02", expected: "its rectified_on is 2026-11-03; a check comes on that day or later")) {
            try store.checkProblemDates(dates(["found_on": "2026-11-01", "rectified_on": "2026-11-03", "verified_on": "2026-11-02"]))
        }
    }

    /// The rules a record's values meet together hold for an edit as for a record typed afresh:
    /// a forum of 5 participants took 100,000 cadres by `edit`, and a fix a household of another
    /// village by `fix --household`.
    @Test func editsAndFixesMeetTheRulesOfARecordTogether() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let forum = try store.record(.forum, ["village": "新华社区", "participants": "5"])
        let changes = try store.status().changes
        #expect(throws: FieldbookError.self) { try store.edit(forum.id, set: [("cadres", "100000")]) }
        #expect(throws: FieldbookError.self) { try store.edit(forum.id, set: [("cadres", "3"), ("members", "3")]) }
        #expect(throws: FieldbookError.self) {
            try store.record(.fix, ["village": "城关镇/东关村", "problem": "p", "action": "a", "household": "GC002"])
        }
        let fix = try store.record(.fix, ["village": "城关镇/东关村", "problem": "p", "action": "a", "household": "DG001"])
        #expect(throws: FieldbookError.self) { try store.edit(fix.id, set: [("household", "XH001")]) }
        #expect(throws: FieldbookError.self) { try store.edit(fix.id, set: [("village", "古城乡/西河村")]) }
        #expect(try store.status().changes == changes + 1)
        // What keeps them together is taken.
        _ = try store.edit(forum.id, set: [("participants", "12"), ("cadres", "3"), ("members", "3")])
        _ = try store.edit(fix.id, set: [("village", "古城乡/西河村"), ("household", "GC002")])
        #expect(try store.record(id: fix.id)["household"] == .text(RecordID.household(code: "GC002")))
    }

    @Test func forumParticipantsMayComeFromTheSplit() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let forum = try store.record(.forum, ["village": "新华社区", "cadres": "3", "members": "5", "villagers": "12"])
        #expect(forum["participants"] == .int(20))
        #expect(throws: FieldbookError.self) {
            try store.record(.forum, ["village": "新华社区", "participants": "5", "cadres": "3", "members": "5"])
        }
    }

    @Test func badInputWritesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let before = try store.status().changes
        #expect(throws: FieldbookError.unknownHousehold("DG01", suggestions: ["DG001 张建国", "DG002 李秀英", "DG003 王大力"])) {
            try store.record(.visit, ["household": "DG01"])
        }
        #expect(throws: FieldbookError.ambiguousVillage("东关村", candidates: ["古城乡/东关村", "城关镇/东关村"])) {
            try store.record(.notice, ["village": "东关村", "copies": "1", "place": "x"])
        }
        #expect(throws: FieldbookError.invalidValue(field: "date", value: "2026-02-30", expected: "give a real date as YYYY-MM-DD, e.g. 2026-11-21")) {
            try store.record(.visit, ["household": "DG001", "date": "2026-02-30"])
        }
        #expect(throws: FieldbookError.invalidValue(field: "copies", value: "-3", expected: "give a whole number from 1 to 10000")) {
            try store.record(.notice, ["village": "新华社区", "copies": "-3", "place": "x"])
        }
        #expect(throws: FieldbookError.invalidValue(field: "problem", value: " ", expected: "it must not be empty")) {
            try store.record(.fix, ["village": "新华社区", "problem": " ", "action": "x"])
        }
        #expect(throws: FieldbookError.unknownRecord("0000ffff")) { try store.edit("0000ffff", set: [("note", "x")]) }
        let visit = try store.record(.visit, ["household": "DG001"])
        #expect(throws: FieldbookError.unknownField("colour", kind: .visit)) { try store.edit(visit.id, set: [("colour", "red")]) }
        #expect(throws: FieldbookError.nothingToChange(id: visit.id)) { try store.edit(visit.id, set: [("date", "2026/11/21")]) }
        #expect(try store.status().changes == before + 1)
    }

    @Test func villagesResolveByTownshipWhenNamesRepeat() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let notice = try store.record(.notice, ["village": "古城乡/东关村", "copies": "2", "place": "村口"])
        #expect(notice.labels["village"] == "古城乡/东关村")
        #expect(throws: FieldbookError.self) { try store.record(.notice, ["village": "南山村", "copies": "2", "place": "x"]) }
    }

    @Test func aHouseholdFoundInTheFieldIsRecordedWithItsVisit() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(
            .visit, ["household": "XH099"],
            newHousehold: NewHousehold(village: "新华社区", head: "孙丽", group: "四组", priority: "低保户"))
        #expect(visit.labels["household"] == "XH099 孙丽")
        let household = try store.record(id: RecordID.household(code: "XH099"))
        #expect(household["source"] == .text("field"))
        #expect(household["priority"] == .list(["dibao"]))
        #expect(throws: FieldbookError.householdExists(code: "DG001", village: "东关村")) {
            try store.record(.visit, ["household": "DG001"], newHousehold: NewHousehold(village: "新华社区"))
        }
    }

    @Test func theSchemaRefusesWhatTheCoreWouldNever() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let bad = [
            "INSERT INTO notice (id, round_id, village_id, date, place, copies, created_by, created_hlc, updated_hlc) VALUES ('n', 'r', 'v', '2026-11-21', 'x', 0, 'd', 1, 1)",
            "INSERT INTO visit (id, round_id, household_id, date, created_by, created_hlc, updated_hlc) VALUES ('v', 'r', 'h', '21/11/2026', 'd', 1, 1)",
            "INSERT INTO fix (id, round_id, village_id, problem, status, found_on, created_by, created_hlc, updated_hlc) VALUES ('f', 'r', 'v', '  ', 'open', '2026-11-21', 'd', 1, 1)",
            "INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields) VALUES ('d', 0, 1, 'visit', 'x', 'create', '{}')",
        ]
        for sql in bad {
            #expect(throws: DatabaseError.self) { try store.dbQueue.write { try $0.execute(sql: sql) } }
        }
    }

    @Test func idsResolveByUniquePrefix() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001"])
        #expect(try store.record(id: String(visit.id.prefix(20))).id == visit.id)
        #expect(try store.record(id: visit.id.uppercased()).id == visit.id)
        #expect(throws: FieldbookError.unknownRecord("abc")) { try store.record(id: "abc") }
    }
}
