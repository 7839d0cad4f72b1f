import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A big merge sets the tally's indexes aside and builds them at its end (TallyIndexes.swift): the
/// records and the tally must be those of a merge that kept them, and a store left without one (a
/// merge killed in between) must get it back.
@Suite struct TallyIndexesTests {
    /// The office's roster, and a laptop's bundle of visits, notices and an edit.
    struct Work {
        let dir = TemporaryDirectory("tally-indexes")
        let bundles: [String]

        init(visits: Int = 24) throws {
            let office = try makeCentral(in: dir, name: "office.sqlite")
            _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
            let roster = try #require(try office.pack(into: dir.path("roster"), scope: .roster)).path
            let laptop = try makeLaptop(in: dir, name: "笔记本A", clock: FixedEnvironment(seed: 3))
            #expect(laptop.merge(bundleAt: roster).status == .merged)
            var ids: [String] = []
            for i in 0..<visits {
                ids.append(try laptop.record(.visit, ["household": ["DG001", "DG002", "DG003", "XH001"][i % 4], "note": "第\(i)次"]).id)
                if i % 6 == 0 { _ = try laptop.record(.notice, ["village": "新华社区", "copies": "\(i + 1)", "place": "公示栏"]) }
            }
            if ids.count > 2 {
                _ = try laptop.edit(ids[1], set: [("note", "改过")])
                _ = try laptop.delete(ids[2])
            }
            bundles = [roster, try #require(try laptop.pack(into: dir.path("stick"))).path]
        }
    }

    static func tallyIndexes(_ store: Store) throws -> [String] {
        try store.dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_tally' ESCAPE '\\' ORDER BY name")
        }
    }

    static func tally(_ store: Store) throws -> String {
        let json = TallyJSON.render(try store.tally(TallyQuery()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let data = try JSONSerialization.data(withJSONObject: object.filter { $0.key != "generated_at" }, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static let allNames = Schema.tallyIndexes.map(\.name).sorted()

    @Test func theDefinitionsAreThoseTheMigrationsWrote() throws {
        let work = try Work(visits: 1)
        let store = try makeCentral(in: work.dir, name: "fresh.sqlite")
        let written = try store.dbQueue.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index'").map {
                ($0["name"] as String, $0["sql"] as String?)
            })
        }
        // A new store's visits' index is split where its empty table ends: every visit is recent.
        let split = try store.dbQueue.read { db in Store.tallySplit(.visit, try Store.tallyIndexDefinitions(db)) }
        #expect(split == 0)
        for index in Schema.tallyIndexes {
            #expect(written[index.name] == index.definition(split: split ?? -1), "\(index.name)")
        }
        #expect(try Self.tallyIndexes(store) == Self.allNames)
    }

    @Test func aMergeWithTheIndexesAsideGivesTheSameRecordsAndTally() throws {
        let work = try Work()
        // Offices without a round of their own: every record comes from the bundles.
        let kept = try makeCentral(in: work.dir, name: "kept.sqlite", round: nil)
        let aside = try makeCentral(in: work.dir, name: "aside.sqlite", round: nil)
        #expect(try kept.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: Int.max).isEmpty)

        let setAside = try aside.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: 0)
        // The roster brings households, the laptop visits and notices; no forum, fix or problem.
        #expect(setAside.sorted() == ["household_tally", "notice_tally", "visit_recent_tally", "visit_tally"])
        #expect(try Self.tallyIndexes(aside) == ["fix_tally", "forum_tally", "problem_tally"])
        for bundle in work.bundles {
            #expect(kept.merge(bundleAt: bundle).status == .merged)
            #expect(aside.merge(bundleAt: bundle).status == .merged)
        }
        #expect(try aside.restoreTallyIndexes().sorted() == setAside.sorted())
        #expect(try Self.tallyIndexes(aside) == Self.allNames)
        #expect(try aside.restoreTallyIndexes().isEmpty)

        #expect(try dumpRecords(aside) == dumpRecords(kept))
        // The same bundles again: all merged already, so nothing is set aside (and rebuilt).
        #expect(try aside.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: 0).isEmpty)
        let tally = try Self.tally(kept)
        #expect(tally.contains("新华社区"))
        #expect(try Self.tally(aside) == tally)
    }

    @Test func aTallyWhileTheIndexesAreAsideIsTheSameTally() throws {
        let work = try Work()
        let store = try makeCentral(in: work.dir, name: "during.sqlite", round: nil)
        for bundle in work.bundles { #expect(store.merge(bundleAt: bundle).status == .merged) }
        let before = try Self.tally(store)
        // A merge in another process has set them all aside (the tally pins them with INDEXED BY).
        try store.dbQueue.write { db in
            for index in Schema.tallyIndexes { try db.execute(sql: "DROP INDEX \(index.name)") }
        }
        #expect(try Self.tallyIndexes(store).isEmpty)
        #expect(try Self.tally(store) == before)
        var township = TallyQuery()
        township.township = "城关镇"
        let one = TallyJSON.render(try store.tally(township))
        #expect(one.contains("东关村"))
    }

    @Test func theLeadingColumnsAreReadFromTheDefinitions() {
        let leading = Dictionary(uniqueKeysWithValues: Schema.tallyIndexes.map { ($0.name, $0.columns.first ?? "") })
        #expect(leading == [
            "household_tally": "id", "visit_tally": "household_id", "visit_recent_tally": "household_id", "forum_tally": "village_id",
            "notice_tally": "village_id", "fix_tally": "village_id", "problem_tally": "village_id",
        ])
        let visit = Schema.tallyIndexes.first { $0.name == "visit_tally" }
        #expect(visit?.columns == ["household_id", "round_id", "date", "created_by"])
    }

    /// A reference its tally index does not lead with (a problem's `found_in`) counts the same
    /// whether each record is sought in its targets or the targets' ids are read into a set, read
    /// from the table or as SQLite likes; and the problems are read from their table, each sought
    /// in the targets' id indexes, not looked up row by row through their tally index.
    @Test func foundInCountsTheSameSoughtOrBySet() throws {
        let dir = TemporaryDirectory("unknown-found-in")
        let store = try makeOfficeStore(in: dir)
        let visits = try ["DG001", "DG002", "DG003", "XH001"].map { try store.record(.visit, ["household": $0]).id }
        let forum = try store.record(.forum, ["village": "新华社区", "participants": "9"]).id
        let notice = try store.record(.notice, ["village": "新华社区", "copies": "3", "place": "公示栏"]).id
        func problem(_ village: String, _ foundIn: String?) throws -> String {
            var values = ["village": village, "summary": "低保评定未公示"]
            if let foundIn { values["found_in"] = foundIn }
            return try store.record(.problem, values).id
        }
        _ = try problem("城关镇/东关村", visits[0])
        _ = try problem("城关镇/东关村", visits[1])
        _ = try problem("城关镇/东关村", visits[2])
        let gone = try problem("城关镇/东关村", visits[2])
        _ = try problem("新华社区", forum)
        _ = try problem("新华社区", notice)
        _ = try problem("新华社区", nil)
        // Two visits and the forum deleted: four problems point at what the store no longer holds,
        // and one of them is deleted too.
        for id in [visits[1], visits[2], forum, gone] { _ = try store.delete(id) }
        let (_, spec, targets) = try #require(Store.referenceFields.first { $0.kind == .problem && $0.spec.name == "found_in" })
        let counted = try store.unknownReferences().first { $0.kind == .problem && $0.field == "found_in" }?.count
        #expect(counted == 3)
        for seek in [true, false] {
            for throughTable in [true, false] {
                let sql = Store.unknownReferencesSQL(.problem, spec.column, targets, seek: seek, throughTable: throughTable)
                #expect(try store.dbQueue.read { try Int.fetchOne($0, sql: sql) } == 3, "seek \(seek), table \(throughTable)")
            }
        }
        let plan = try store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Store.unknownReferencesSQL(.problem, spec.column, targets, seek: true, throughTable: true))
                .map { $0["detail"] as String }
        }
        #expect(plan.contains("SCAN r") && !plan.contains { $0.contains("problem_tally") }, "\(plan)")
        #expect(plan.contains { $0.contains("SEARCH t USING INDEX sqlite_autoindex_visit_1") } && !plan.contains { $0.contains("LIST SUBQUERY") }, "\(plan)")
    }

    /// The rows the targets have held are summed from their last row numbers, which a store
    /// changed by hand can set as high as SQLite allows (2^63 - 1): the count is still made, the
    /// same as by set, not a trap on the sum's overflow.
    @Test func unknownReferencesWithTargetsAtTheLastRowNumber() throws {
        let dir = TemporaryDirectory("unknown-last-rowid")
        let store = try makeOfficeStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001"]).id
        let forum = try store.record(.forum, ["village": "新华社区", "participants": "9"]).id
        _ = try store.record(.problem, ["village": "城关镇/东关村", "summary": "低保评定未公示", "found_in": visit])
        _ = try store.record(.problem, ["village": "新华社区", "summary": "低保评定未公示", "found_in": forum])
        _ = try store.delete(forum)
        try store.dbQueue.write { db in
            try db.execute(sql: "UPDATE visit SET rowid = 9223372036854775807 WHERE id = ?", arguments: [visit])
            try db.execute(sql: "UPDATE forum SET rowid = 9223372036854775807 WHERE id = ?", arguments: [forum])
        }
        let counted = try store.unknownReferences().first { $0.kind == .problem && $0.field == "found_in" }?.count
        #expect(counted == 1)
    }

    /// The unknown references counted a value at a time (for a column that leads a tally index) are
    /// those counted a record at a time, as before: with and without the roster, indexes or not.
    @Test func unknownReferencesCountedByValueAreThoseCountedByRecord() throws {
        let work = try Work()
        let store = try makeCentral(in: work.dir, name: "unknown.sqlite", round: nil)
        // The laptop's visits and notices first: their households and village are not known yet.
        #expect(store.merge(bundleAt: work.bundles[1]).status == .merged)
        func byRecord() throws -> [String] {
            try store.dbQueue.read { db in
                var counts: [String] = []
                for (kind, spec, targets) in Store.referenceFields {
                    let missing = targets.map {
                        "NOT EXISTS (SELECT 1 FROM \($0.table) t WHERE t.id = r.\(spec.column) AND t.deleted = 0)"
                    }.joined(separator: " AND ")
                    let n = try Int.fetchOne(db, sql: """
                        SELECT count(*) FROM \(kind.table) r WHERE r.deleted = 0 AND r.\(spec.column) IS NOT NULL AND \(missing)
                        """) ?? 0
                    if n > 0 { counts.append("\(kind.rawValue).\(spec.name) \(n)") }
                }
                return counts
            }
        }
        func byValue() throws -> [String] { try store.unknownReferences().map { "\($0.kind.rawValue).\($0.field) \($0.count)" } }
        let before = try byRecord()
        // 24 visits, one deleted, to four households; four notices at one village.
        #expect(before.contains("visit.household 23") && before.contains("notice.village 4"), "\(before)")
        #expect(try byValue() == before)
        try store.dbQueue.write { db in
            for index in Schema.tallyIndexes { try db.execute(sql: "DROP INDEX \(index.name)") }
        }
        #expect(try byValue() == before)
        #expect(try store.restoreTallyIndexes().count == Schema.tallyIndexes.count)
        #expect(store.merge(bundleAt: work.bundles[0]).status == .merged)
        #expect(try byRecord().isEmpty)
        #expect(try byValue().isEmpty)
        // A household deleted at the office: the visits to it point at what the store no longer holds.
        let household = try #require(try store.dbQueue.read { try String.fetchOne($0, sql: "SELECT id FROM household WHERE code = 'DG002'") })
        _ = try store.delete(household)
        let deleted = try byRecord()
        #expect(deleted == ["visit.household 6"], "\(deleted)")
        #expect(try byValue() == deleted)
        // And its round: both columns a visit's index leads with, counted in one pass, each right.
        let round = try #require(try store.dbQueue.read { try String.fetchOne($0, sql: "SELECT round_id FROM visit LIMIT 1") })
        _ = try store.delete(round)
        let noRound = try byRecord()
        #expect(noRound.contains("visit.household 6") && noRound.contains { $0.hasPrefix("visit.round ") }, "\(noRound)")
        #expect(try byValue() == noRound)
        try store.dbQueue.write { db in
            for index in Schema.tallyIndexes { try db.execute(sql: "DROP INDEX \(index.name)") }
        }
        #expect(try byValue() == noRound)
    }

    @Test func aKindWithFewChangesForItsTableKeepsItsIndex() throws {
        let work = try Work(visits: 40)
        let office = try makeCentral(in: work.dir, name: "office-2.sqlite")
        #expect(try office.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: 0).contains("visit_tally"))
        for bundle in work.bundles { #expect(office.merge(bundleAt: bundle).status == .merged) }
        _ = try office.restoreTallyIndexes()
        // One more visit for a table that has held 40, all settled: kept up to date as it comes.
        let laptop = try Store.open(at: work.dir.path("笔记本A.sqlite"), environment: FixedEnvironment(seed: 9).environment)
        _ = try laptop.record(.visit, ["household": "DG001", "note": "再访"])
        let next = try #require(try laptop.pack(into: work.dir.path("stick-2"))).path
        #expect(try office.setTallyIndexesAside(forMerging: [next], minimumChanges: 0).isEmpty)
        // A small merge keeps them whatever the store holds: below the least worth setting aside.
        let empty = try makeCentral(in: work.dir, name: "empty.sqlite")
        #expect(try empty.setTallyIndexesAside(forMerging: work.bundles).isEmpty)
    }

    @Test func bundlesThatCannotBeOpenedForecastNothing() throws {
        let work = try Work(visits: 1)
        let store = try makeCentral(in: work.dir, name: "forecast.sqlite")
        let junk = work.dir.write("junk.fbundle", "not a bundle")
        #expect(try store.setTallyIndexesAside(forMerging: [junk, work.dir.path("missing.fbundle"), work.dir.url.path]).isEmpty)
        #expect(try Self.tallyIndexes(store) == Self.allNames)
    }

    @Test func aStoreLeftWithoutItsIndexesGetsThemBackWhenOpened() throws {
        let work = try Work()
        let path = work.dir.path("killed.sqlite")
        do {
            let store = try makeCentral(in: work.dir, name: "killed.sqlite", round: nil)
            _ = try store.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: 0)
            // The merge was killed after its first bundle: the store keeps what it merged.
            #expect(store.merge(bundleAt: work.bundles[0]).status == .merged)
            #expect(try Self.tallyIndexes(store).count < Self.allNames.count)
        }
        // While a merge announces itself, its indexes are its own to build.
        let activity = StoreActivity(path: StoreActivity.path(forStore: path), activity: "a merge")
        let during = try Store.open(at: path)
        #expect(try Self.tallyIndexes(during).count < Self.allNames.count)
        activity.end()
        let after = try Store.open(at: path)
        #expect(try Self.tallyIndexes(after) == Self.allNames)
        #expect(after.merge(bundleAt: work.bundles[1]).status == .merged)
        let fresh = try makeCentral(in: work.dir, name: "fresh.sqlite", round: nil)
        for bundle in work.bundles { #expect(fresh.merge(bundleAt: bundle).status == .merged) }
        #expect(try Self.tally(after) == Self.tally(fresh))
    }
}
