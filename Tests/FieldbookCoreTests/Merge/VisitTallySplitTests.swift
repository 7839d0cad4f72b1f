import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// The visits' tally index in two parts split at a row number (migration v11, TallyIndexes.swift):
/// wherever the split is, the tally, the pending list and the unknown references are the same; a
/// merge's visits land after it; a merge that would make that part an eighth of the table builds
/// both at a new split.
@Suite struct VisitTallySplitTests {
    static let visitParts = Schema.tallyIndexes.filter { $0.kind == .visit }

    static func split(_ store: Store) throws -> Int64? {
        try store.read { db in Store.tallySplit(.visit, try Store.tallyIndexDefinitions(db)) }
    }

    /// Both parts built again at `split`, as a merge would have left them.
    static func resplit(_ store: Store, at split: Int64) throws {
        try store.dbQueue.write { db in
            for index in visitParts {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
                try db.execute(sql: index.definition(split: split))
            }
        }
    }

    /// The live visits each part holds, read through it.
    static func held(_ store: Store) throws -> [Int] {
        try store.read { db in
            let parts = try #require(Store.tallyParts(.visit, try Store.tallyIndexDefinitions(db)))
            return try parts.map { part in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM visit INDEXED BY \(part.name) WHERE \(part.condition())") ?? -1
            }
        }
    }

    @Test func aMergeSetsAsideOnePartOrBothByWhatItWouldLeaveAfterTheSplit() {
        let both = Self.visitParts
        func aside(rows: Int, split: Int64?, changes: Int, least: Int = 4096) -> [String] {
            Store.setAside(both, rows: rows, split: split, changes: changes, minimumChanges: least).map(\.name)
        }
        // 90,000 visits into a store of 4,500,000 all settled: they land in the recent part, kept
        // up to date as they come (building it alone would read the whole table).
        #expect(aside(rows: 4_500_000, split: 4_500_000, changes: 90_000).isEmpty)
        // Into one whose recent part holds 450,000: still under an eighth of the table (562,500) after.
        #expect(aside(rows: 4_500_000, split: 4_050_000, changes: 90_000).isEmpty)
        // 500,000 recent and 90,000 more reach an eighth: both parts, at a new split.
        #expect(aside(rows: 4_500_000, split: 4_000_000, changes: 90_000) == both.map(\.name))
        // A small merge (below the least worth setting aside) keeps the recent part up to date…
        #expect(aside(rows: 4_500_000, split: 4_400_000, changes: 2_000).isEmpty)
        // …until the small merges have filled it to an eighth of the table.
        #expect(aside(rows: 4_500_000, split: 3_938_000, changes: 3_000) == both.map(\.name))
        // A small store: below the least, nothing; from it, both (the recent part is all of it).
        #expect(aside(rows: 300, split: 0, changes: 100).isEmpty)
        #expect(aside(rows: 300, split: 0, changes: 100, least: 0) == both.map(\.name))
        // Nothing of the kind: nothing; a forged manifest's count: both, and no overflow.
        #expect(aside(rows: 4_500_000, split: 0, changes: 0).isEmpty)
        #expect(aside(rows: 4_500_000, split: 4_500_000, changes: Int.max) == both.map(\.name))
        // The earlier part missing (or not as this code writes it): whatever is present goes.
        #expect(aside(rows: 4_500_000, split: nil, changes: 1) == both.map(\.name))
        // An index of all live rows: an eighth of its table, as before the split.
        let forum = Schema.tallyIndexes.filter { $0.kind == .forum }
        #expect(Store.setAside(forum, rows: 40_000, split: nil, changes: 5_000, minimumChanges: 4096).map(\.name) == ["forum_tally"])
        #expect(Store.setAside(forum, rows: 40_000, split: nil, changes: 4_096, minimumChanges: 4096).isEmpty)
    }

    @Test func theTallyIsTheSameWhereverTheSplitIs() throws {
        let work = try TallyIndexesTests.Work(visits: 30)
        let store = try makeCentral(in: work.dir, name: "split.sqlite", round: nil)
        for bundle in work.bundles { #expect(store.merge(bundleAt: bundle).status == .merged) }
        // A visit deleted among the settled ones and one among the recent ones, whatever the split.
        let ids = try store.read { db in try String.fetchAll(db, sql: "SELECT id FROM visit WHERE deleted = 0 ORDER BY rowid") }
        _ = try store.delete(try #require(ids.first))
        _ = try store.delete(try #require(ids.last))
        func figures() throws -> [String] {
            var lines = try AttackTallyIndexesTests.queries().map { query in
                TallyJSON.render(try store.tally(query)).split(separator: "\n").filter { !$0.contains("generated_at") }.joined(separator: "\n")
            }
            for query in [PendingQuery(rounds: .all), PendingQuery(rounds: .named("五届第五轮"))] {
                var list = try store.pending(query)
                list.generatedAt = ""
                lines.append("\(list)")
            }
            lines.append("\(try store.unknownReferences().map { "\($0.kind.rawValue).\($0.field) \($0.count)" })")
            return lines
        }
        let rows = try store.read { db in try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM visit") ?? 0 }
        #expect(rows >= 30)
        #expect(try Self.split(store) == 0)
        let all = try figures()
        #expect(all[0].contains("东关村"))
        for split in [rows, rows / 2, rows / 3, 1, rows + 10, 0] {
            try Self.resplit(store, at: split)
            #expect(try Self.split(store) == split)
            let held = try Self.held(store)
            #expect(held.reduce(0, +) == ids.count - 2, "\(split): \(held)")
            if split == rows / 2 { #expect(!held.contains(0), "\(held)") }
            #expect(try figures() == all, "split at \(split)")
        }
        // The households' seeks read both parts and never the table.
        try store.read { db in
            let filter = try TallyFilter(TallyQuery(), store: store, db: db)
            #expect(filter.visitParts?.map(\.name) == ["visit_tally", "visit_recent_tally"])
            let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + TallySQL.households(filter, withTotal: true), arguments: filter.householdArguments(withTotal: true))
                .map { $0["detail"] as String }
            // (`USING INDEX`: the table's row is sought only if a column the index lacks is read,
            // and `deleted`, implied by the index's condition, is not.)
            #expect(plan.contains("SEARCH v USING INDEX visit_tally (household_id=?)"), "\(plan)")
            #expect(plan.contains("SEARCH v USING INDEX visit_recent_tally (household_id=?)"), "\(plan)")
            #expect(!plan.contains("SCAN visit") && !plan.contains("SCAN v"), "\(plan)")
        }
    }

    @Test func aBigMergeBuildsBothPartsAtTheTablesEndAndNewVisitsLandAfterIt() throws {
        let work = try TallyIndexesTests.Work(visits: 30)
        let office = try makeCentral(in: work.dir, name: "office-split.sqlite", round: "五届第五轮")
        let aside = try office.setTallyIndexesAside(forMerging: work.bundles, minimumChanges: 0)
        #expect(aside.contains("visit_tally") && aside.contains("visit_recent_tally"))
        for bundle in work.bundles { #expect(office.merge(bundleAt: bundle).status == .merged) }
        #expect(try office.restoreTallyIndexes().sorted() == aside.sorted())
        let rows = try office.read { db in try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM visit") ?? 0 }
        #expect(try Self.split(office) == rows)
        let live = try office.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM visit WHERE deleted = 0") ?? 0 }
        #expect(try Self.held(office) == [live, 0])
        // A visit recorded at the office lands after the split; one deleted leaves the settled part.
        _ = try office.record(.visit, ["household": "DG003", "note": "办公室补录"])
        let first = try #require(try office.read { db in try String.fetchOne(db, sql: "SELECT id FROM visit WHERE deleted = 0 ORDER BY rowid LIMIT 1") })
        _ = try office.delete(first)
        #expect(try Self.held(office) == [live - 1, 1])
        #expect(try Self.split(office) == rows)
    }

    @Test func aRecentPartOfAnotherSplitIsBuiltAgainAtTheSettledOnes() throws {
        let work = try TallyIndexesTests.Work(visits: 12)
        let store = try makeCentral(in: work.dir, name: "edited.sqlite", round: nil)
        for bundle in work.bundles { #expect(store.merge(bundleAt: bundle).status == .merged) }
        try Self.resplit(store, at: 6)
        let tally = try TallyIndexesTests.tally(store)
        // Someone rebuilt the recent part at another split: rows 7 and 8 would be in neither part.
        try store.dbQueue.write { db in
            let recent = try #require(Self.visitParts.first { $0.rows == .afterSplit })
            try db.execute(sql: "DROP INDEX \(recent.name)")
            try db.execute(sql: recent.definition(split: 8))
        }
        try store.read { db in
            let definitions = try Store.tallyIndexDefinitions(db)
            #expect(Store.missingTallyIndexes(definitions).map(\.name) == ["visit_recent_tally"])
            #expect(Store.tallyParts(.visit, definitions) == nil)
        }
        // The tally reads the table meanwhile: the same figures.
        #expect(try TallyIndexesTests.tally(store) == tally)
        #expect(try store.restoreTallyIndexes() == ["visit_recent_tally"])
        #expect(try Self.split(store) == 6)
        #expect(try store.read { db in Store.missingTallyIndexes(try Store.tallyIndexDefinitions(db)) }.isEmpty)
        #expect(try TallyIndexesTests.tally(store) == tally)
    }
}
