import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A merge folds each create into its record from the values its line was read into (CreateFold):
/// the records, conflicts and counts must be those of folding every record from all its changes.
@Suite struct CreateFoldTests {
    /// Two laptops with the roster: creates, edits and deletes in one bundle each, and a household
    /// both found in the field under one code (two creates of one record).
    struct Work {
        let dir = TemporaryDirectory("create-fold")
        let bundles: [String]

        init() throws {
            let office = try makeCentral(in: dir, name: "office.sqlite")
            _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
            let roster = try #require(try office.pack(into: dir.path("roster"), scope: .roster)).path
            var bundles = [roster]
            for (n, name) in ["笔记本A", "笔记本B"].enumerated() {
                let laptop = try makeLaptop(in: dir, name: name, clock: FixedEnvironment(seed: UInt64(n + 1)))
                #expect(laptop.merge(bundleAt: roster).status == .merged)
                var visits: [String] = []
                for i in 0..<12 {
                    visits.append(try laptop.record(.visit, ["household": ["DG001", "DG002", "DG003", "XH001"][i % 4], "note": "第\(i)次"]).id)
                    if i % 5 == 0 {
                        _ = try laptop.record(.notice, ["village": "新华社区", "copies": "\(i + 1)", "place": "公示栏"])
                    }
                }
                // Lists given and left out, a count left out, a problem with a clue's fields.
                _ = try laptop.record(.forum, ["village": "西河村", "participants": "\(n + 9)", "topics": "低保评定,村务\"公开\""])
                _ = try laptop.record(.forum, ["village": "新华社区", "participants": "4", "cadres": "1"])
                _ = try laptop.record(.problem, ["village": "西河村", "summary": "台账缺失\\第\(n)处", "deadline": "2026-12-31"])
                _ = try laptop.record(.visit, ["household": "ZZ009"], newHousehold: NewHousehold(village: "西河村", head: name == "笔记本A" ? "孙丽" : "孙莉"))
                _ = try laptop.edit(visits[1], set: [("note", "改过")])
                _ = try laptop.edit(visits[7], set: [("met", "户主本人")])
                _ = try laptop.delete(visits[9])
                bundles.append(try #require(try laptop.pack(into: dir.path("stick-\(n)"))).path)
            }
            self.bundles = bundles
        }
    }

    /// Records in every table a merge writes, live or deleted.
    static func recordCount(_ store: Store) throws -> Int {
        try store.dbQueue.read { db in
            try RecordKind.allCases.reduce(0) { $0 + (try Int.fetchOne(db, sql: "SELECT count(*) FROM \($1.table)") ?? 0) }
        }
    }

    @Test func recordsAndCountsAreThoseOfFoldingEveryRecordFromItsChanges() throws {
        let work = try Work()
        let store = try makeCentral(in: work.dir, name: "office-folded.sqlite")
        var newRecords = 0
        for bundle in work.bundles {
            let before = try Self.recordCount(store)
            let outcome = store.merge(bundleAt: bundle)
            #expect(outcome.status == .merged)
            // Each record the merge made is counted once, whichever way it was folded.
            #expect(outcome.newRecords == (try Self.recordCount(store)) - before)
            newRecords += outcome.newRecords
        }
        #expect(newRecords > 30)
        let merged = try dumpRecords(store)
        #expect(try Self.refoldedFromTheLog(store) == merged)
        // The household both laptops found is one record with its conflict, not two, not lost.
        #expect(merged.contains("孙丽") && merged.contains("孙莉"))
        #expect(merged.contains("conflict "))
    }

    /// The oracle: the store's records after every record is folded again from all of its changes
    /// (Store.refold).
    static func refoldedFromTheLog(_ store: Store) throws -> String {
        try store.dbQueue.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT DISTINCT record_id, kind FROM change") {
                try Store.refold(row["record_id"], kind: RecordKind(rawValue: row["kind"])!, db)
            }
        }
        return try dumpRecords(store)
    }

    /// A live create by `device`, its clock set by its number.
    static func create(by device: String, _ seq: Int64, _ kind: RecordKind, _ id: String, _ fields: [String: FieldValue]) -> Change {
        Change(device: device, seq: seq, hlc: HybridTimestamp(millis: 1_795_222_800_000 + seq, counter: 0), kind: kind,
               recordID: id, op: .create, fields: fields.merging([deletedField: .int(0)]) { a, _ in a }, base: [:])
    }

    /// Another writer's creates may leave out what a laptop's spell as null: a list left out is
    /// stored empty, any other field NULL, as the fold of all its changes stores them.
    @Test func fieldsACreateLeavesOutAreStoredAsTheFoldStoresThem() throws {
        let dir = TemporaryDirectory("create-fold-omitted")
        let store = try makeCentral(in: dir, name: "office.sqlite")
        let device = "0193a000-0000-7000-8000-00000000000a"
        let round = "0193a000-0000-7000-8000-0000000000a1", village = "0193a000-0000-7000-8000-0000000000b1"
        let forum = "0193a000-0000-7000-8000-0000000000c1", visit = "0193a000-0000-7000-8000-0000000000d1"
        func create(_ seq: Int64, _ kind: RecordKind, _ id: String, _ fields: [String: FieldValue]) -> Change {
            Self.create(by: device, seq, kind, id, fields)
        }
        let bundle = try craftBundle(
            in: dir, name: "omitted.fbundle", packer: BundleManifest.Device(id: device, name: "笔记本X", team: nil, role: "field"),
            changes: [
                create(1, .forum, forum, ["round": .text(round), "village": .text(village), "date": .text("2026-11-20"), "participants": .int(5)]),
                create(2, .visit, visit, ["round": .text(round), "household": .text(village), "date": .text("2026-11-20"), "note": .text("走访")]),
            ])
        let outcome = store.merge(bundleAt: bundle)
        #expect(outcome.status == .merged, "\(outcome.status)")
        #expect(outcome.newRecords == 2)
        let merged = try dumpRecords(store)
        let (topics, cadres, inspectors) = try store.dbQueue.read { db in
            (try String.fetchOne(db, sql: "SELECT topics FROM forum WHERE id = ?", arguments: [forum]),
             try Row.fetchOne(db, sql: "SELECT cadres FROM forum WHERE id = ?", arguments: [forum])?[0] as DatabaseValue?,
             try String.fetchOne(db, sql: "SELECT inspectors FROM visit WHERE id = ?", arguments: [visit]))
        }
        #expect(topics == "[]" && cadres == .null && inspectors == "[]")
        #expect(try Self.refoldedFromTheLog(store) == merged)
    }

    /// A merge binds each list of a create as the JSON its parser worked out (ChangeLine.listTexts):
    /// creates with two lists, with escapes in a list's items, with an empty list, are stored as the
    /// fold of all their changes stores them, each list in its own column.
    @Test func aCreatesListsAreStoredEachInItsColumn() throws {
        let dir = TemporaryDirectory("create-fold-lists")
        let store = try makeCentral(in: dir, name: "office.sqlite")
        let device = "0193a000-0000-7000-8000-00000000000b"
        let round = "0193a000-0000-7000-8000-0000000000a2", village = "0193a000-0000-7000-8000-0000000000b2"
        let problem = "0193a000-0000-7000-8000-0000000000c2", forum = "0193a000-0000-7000-8000-0000000000d2"
        let visit = "0193a000-0000-7000-8000-0000000000e2"
        func create(_ seq: Int64, _ kind: RecordKind, _ id: String, _ fields: [String: FieldValue]) -> Change {
            Self.create(by: device, seq, kind, id, fields.merging(["round": .text(round)]) { a, _ in a })
        }
        let bundle = try craftBundle(
            in: dir, name: "lists.fbundle", packer: BundleManifest.Device(id: device, name: "笔记本Y", team: nil, role: "field"),
            changes: [
                create(1, .problem, problem, [
                    "village": .text(village), "summary": .text("台账"), "found_on": .text("2026-11-20"), "status": .text("open"),
                    "rectified_by": .list([]), "verified_by": .list([]),
                ]),
                create(2, .forum, forum, [
                    "village": .text(village), "date": .text("2026-11-20"), "participants": .int(5),
                    "topics": .list(["村务\"公开\"", "低保"]),
                ]),
                create(3, .visit, visit, [
                    "household": .text(village), "date": .text("2026-11-20"), "inspectors": .list(["张三", "李\\四"]),
                ]),
            ])
        let outcome = store.merge(bundleAt: bundle)
        #expect(outcome.status == .merged, "\(outcome.status)")
        let merged = try dumpRecords(store)
        let columns = try store.dbQueue.read { db in
            [try String.fetchOne(db, sql: "SELECT rectified_by FROM problem WHERE id = ?", arguments: [problem]),
             try String.fetchOne(db, sql: "SELECT verified_by FROM problem WHERE id = ?", arguments: [problem]),
             try String.fetchOne(db, sql: "SELECT topics FROM forum WHERE id = ?", arguments: [forum]),
             try String.fetchOne(db, sql: "SELECT inspectors FROM visit WHERE id = ?", arguments: [visit])]
        }
        #expect(columns == ["[]", "[]", CanonicalJSON.encode(["村务\"公开\"", "低保"]),
                            CanonicalJSON.encode(["张三", "李\\四"])])
        #expect(try Self.refoldedFromTheLog(store) == merged)
        // No create the rules let in has two lists that differ; the parser's lists are kept in
        // their line's order all the same, each the JSON its column takes.
        let text = #"{"base":{},"device":"0193a000-0000-7000-8000-00000000000b","fields":{"_deleted":0,"rectified_by":["王五","赵\"六\""],"summary":"x","verified_by":["李\u56db"]},"hlc":1,"kind":"problem","op":"create","record":"0193a000-0000-7000-8000-0000000000c3","seq":9}"#
        let line = try Array(text.utf8).withUnsafeBytes { try ChangeLineParser.parse($0) }
        #expect(line.listTexts == [CanonicalJSON.encode(["王五", "赵\"六\""]), CanonicalJSON.encode(["李四"])])
        let bare = try Array(text.utf8).withUnsafeBytes { try ChangeLineParser.parse($0, texts: false) }
        #expect(bare.listTexts.isEmpty)
    }

    @Test func aRecordRowNoChangeExplainsIsMendedFromTheCreate() throws {
        let work = try Work()
        let clean = try makeCentral(in: work.dir, name: "clean.sqlite")
        let edited = try makeCentral(in: work.dir, name: "edited.sqlite")
        for store in [clean, edited] { #expect(store.merge(bundleAt: work.bundles[0]).status == .merged) }
        // A visit's row written by hand before its create arrives (a store edited outside Fieldbook).
        let laptopBundle = work.bundles[1]
        let visit = try #require(
            try Store.open(at: work.dir.path("笔记本A.sqlite")).dbQueue.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM visit ORDER BY created_hlc LIMIT 1")
            })
        try edited.dbQueue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO visit (id, round_id, household_id, date, note, created_by, created_hlc, updated_hlc)
                    VALUES (?, 'x', 'y', '2026-01-01', '手改', 'z', 1, 1)
                    """, arguments: [visit])
        }
        let a = clean.merge(bundleAt: laptopBundle)
        let b = edited.merge(bundleAt: laptopBundle)
        #expect(a.status == .merged && b.status == .merged)
        // The field records as the clean store has them (each office made its own round record).
        func visits(_ store: Store) throws -> [Substring] {
            try dumpRecords(store).split(separator: "\n").filter { $0.hasPrefix("visit ") }
        }
        #expect(try visits(edited) == visits(clean))
        #expect(try !visits(edited).contains { $0.contains("手改") })
        #expect(b.newRecords == a.newRecords - 1)
    }

    /// A rule of this store that a bundle's values cannot know of refuses the visit noted "第6次":
    /// a trigger that aborts the statement, or a unique index that another visit of the bundle
    /// (noted "第2次", the same household) has taken first.
    @Test(arguments: [
        "CREATE TRIGGER refuse BEFORE INSERT ON visit WHEN NEW.note = '第6次' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        "CREATE UNIQUE INDEX refuse ON visit(household_id) WHERE note = '第2次' OR note = '第6次'",
    ])
    func aCreateTheStoreRefusesIsNamedByItsLineAndNothingIsMerged(rule: String) throws {
        let work = try Work()
        let store = try makeCentral(in: work.dir, name: "refusing.sqlite")
        #expect(store.merge(bundleAt: work.bundles[0]).status == .merged)
        try store.dbQueue.write { db in try db.execute(sql: rule) }
        var line = 0
        try BundleFile.readLines(try BundleFile.open(work.bundles[1])) { number, bytes in
            if String(decoding: bytes, as: UTF8.self).contains("第6次") { line = number }
        }
        #expect(line > 0)
        let before = try dump(store)
        let outcome = store.merge(bundleAt: work.bundles[1])
        guard case .rejected(let reason) = outcome.status else {
            Issue.record("merged a bundle the store refuses: \(outcome.status)")
            return
        }
        #expect(reason.contains("has a visit at line \(line) this store refuses"), "\(reason)")
        #expect(try dump(store) == before)
    }
}
