import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Attacks on the visits' tally index split at a row number (migration v11; by a helper reviewing
/// it): every tally filter and pending list the same at every split and without the parts; a
/// definition this code did not write (hand-edited) never taken as its own; row numbers at the edge
/// of 64 bits; and statements outside the tally that read visits by household.
@Suite struct AttackVisitTallySplitTests {
    static let roster = """
        市,县,乡镇,村,类型,村民组,户号,户主,重点户
        商丘市,睢阳区,城关镇,东关村,村,一组,DG001,张建国,五保户
        商丘市,睢阳区,城关镇,东关村,村,一组,DG002,李秀英,低保户;危房改造户
        商丘市,睢阳区,城关镇,东关村,村,二组,DG003,王大力,
        商丘市,睢阳区,城关镇,新华社区,社区,三组,XH001,赵明,
        商丘市,梁园区,古城乡,西河村,村,二组,GC002,陈静,危房改造户
        商丘市,梁园区,古城乡,西河村,村,二组,GC003,陈动,

        """

    /// An office with visits of two teams, two rounds, several dates, some deleted, some edited to
    /// another household, some to a household the office then deletes.
    static func office(_ dir: TemporaryDirectory) throws -> Store {
        let office = try makeCentral(in: dir, name: "office.sqlite")
        _ = try office.importRoster(csvAt: dir.write("roster.csv", roster))
        let rosterBundle = try #require(try office.pack(into: dir.path("roster"), scope: .roster)).path
        var bundles: [String] = []
        for (n, (team, round)) in [("甲组", "五届第五轮"), ("乙组", "五届第六轮")].enumerated() {
            let laptop = try Store.create(
                at: dir.path("laptop\(n).sqlite"),
                setup: DeviceSetup(name: "笔记本\(n)", team: team, round: round, inspectors: ["某"]),
                environment: FixedEnvironment(seed: UInt64(11 + n)).environment)
            #expect(laptop.merge(bundleAt: rosterBundle).status == .merged)
            var ids: [String] = []
            let households = ["DG001", "DG002", "DG003", "XH001", "GC002", "GC003"]
            for i in 0..<18 {
                ids.append(try laptop.record(.visit, [
                    "household": households[(i * (n + 1)) % households.count],
                    "date": "2026-0\(1 + i % 9)-1\(i % 10)", "note": "第\(i)次",
                ]).id)
            }
            _ = try laptop.edit(ids[1], set: [("household", "GC003")])
            _ = try laptop.delete(ids[2])
            bundles.append(try #require(try laptop.pack(into: dir.path("stick\(n)"))).path)
        }
        for bundle in bundles { #expect(office.merge(bundleAt: bundle).status == .merged) }
        _ = try office.record(.visit, ["household": "XH001", "date": "2026-03-03"])
        return office
    }

    static func queries() -> [TallyQuery] {
        var all: [TallyQuery] = []
        for round in [nil, "五届第五轮", "五届第六轮"] {
            for from in [nil, "2026-03-01"] {
                for to in [nil, "2026-06-30"] {
                    for team in [nil, "甲组", "乙组"] {
                        for place in 0..<4 {
                            var q = TallyQuery()
                            q.round = round; q.from = from; q.to = to; q.team = team
                            switch place {
                            case 1: q.township = "城关镇"
                            case 2: q.county = "梁园区"
                            case 3: q.city = "商丘市"
                            default: break
                            }
                            all.append(q)
                        }
                    }
                }
            }
        }
        return all
    }

    static func figures(_ store: Store) throws -> [String] {
        var lines = try queries().map { query in
            TallyJSON.render(try store.tally(query)).split(separator: "\n").filter { !$0.contains("generated_at") }.joined(separator: "\n")
        }
        for rounds in [PendingQuery.Rounds.all, .named("五届第五轮"), .named("五届第六轮"), .device] {
            for village in [nil, "东关村"] {
                for priorityOnly in [false, true] {
                    var list = try store.pending(PendingQuery(village: village, priorityOnly: priorityOnly, rounds: rounds))
                    list.generatedAt = ""
                    lines.append("\(list)")
                }
            }
        }
        lines.append("\(try store.unknownReferences().map { "\($0.kind.rawValue).\($0.field) \($0.count)" })")
        let status = try store.status()
        lines.append("\(status.counts.sorted { $0.key.rawValue < $1.key.rawValue }) \(status.deletedCounts.sorted { $0.key.rawValue < $1.key.rawValue })")
        return lines
    }

    static func resplit(_ store: Store, at split: Int64) throws {
        try store.dbQueue.write { db in
            for index in Schema.tallyIndexes where index.kind == .visit {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
                try db.execute(sql: index.definition(split: split))
            }
        }
    }

    @Test func everyFilterIsTheSameAtEverySplitAndWithoutTheParts() throws {
        let dir = TemporaryDirectory("attack-split")
        let store = try Self.office(dir)
        // A household the office deletes: its visits point at a household it does not hold.
        try store.dbQueue.write { db in try db.execute(sql: "UPDATE household SET deleted = 1 WHERE code = 'GC003'") }
        let rows = try store.read { db in try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM visit") ?? 0 }
        try Self.resplit(store, at: rows)
        let reference = try Self.figures(store)
        // The data reaches every path: visits of a household the office does not hold.
        #expect(reference[0].contains("\"households\" : 1,\n    \"visits\" : 5"))
        // Without the parts: the table's reads.
        try store.dbQueue.write { db in try db.execute(sql: "DROP INDEX visit_recent_tally") }
        let table = try Self.figures(store)
        #expect(table == reference)
        for split in [0, 1, rows / 3, rows / 2, rows - 1, rows + 7] {
            try Self.resplit(store, at: split)
            let got = try Self.figures(store)
            for (i, (a, b)) in zip(got, reference).enumerated() where a != b {
                Issue.record("split \(split), figure \(i): \(a.prefix(300)) vs \(b.prefix(300))")
            }
        }
    }
}

@Suite struct AttackVisitTallySplitHostileTests {
    /// The earlier part's split written with a leading zero. Were it read as 3000000000, the recent
    /// part would be "as this code writes it", nothing missing, and every statement would name
    /// `rowid <= 3000000000`, which SQLite does not find implies the index's `rowid <= 03000000000`
    /// (a literal past 32 bits is compared as text): "no query solution" for the tally, pending,
    /// status and the merge summary's unknown references, and no open would rebuild it.
    @Test func aSplitWithALeadingZeroIsNotTakenAsTheCodesOwn() throws {
        let dir = TemporaryDirectory("attack-split-zero")
        let store = try makeCentral(in: dir, name: "zero.sqlite")
        _ = try store.importRoster(csvAt: dir.write("roster.csv", AttackVisitTallySplitTests.roster))
        _ = try store.record(.visit, ["household": "DG001"])
        try store.dbQueue.write { db in
            let parts = Schema.tallyIndexes.filter { $0.kind == .visit }
            for index in parts { try db.execute(sql: "DROP INDEX \(index.name)") }
            try db.execute(sql: parts[0].definition(split: 0).dropLast(1) + "03000000000")
            try db.execute(sql: parts[1].definition(split: 3_000_000_000))
        }
        let path = store.path
        // Opened again for writing, as the next command would: a part not as this code writes it is built again.
        let reopened = try Store.open(at: path)
        #expect(throws: Never.self) { _ = try reopened.tally() }
        #expect(throws: Never.self) { _ = try reopened.pending(PendingQuery(rounds: .all)) }
        #expect(throws: Never.self) { _ = try reopened.status() }
        #expect(throws: Never.self) { _ = try reopened.unknownReferences() }
    }

    /// Another tally index hand-edited to another condition (`household_tally … WHERE deleted = 1`):
    /// the tally must not pin a statement to it ("no query solution"), and the next open for
    /// writing builds it as this code writes it.
    @Test func anotherTallyIndexOfAnotherDefinitionIsNotReadAndIsBuiltAgain() throws {
        let dir = TemporaryDirectory("attack-split-other")
        let store = try makeCentral(in: dir, name: "other.sqlite")
        _ = try store.importRoster(csvAt: dir.write("roster.csv", AttackVisitTallySplitTests.roster))
        _ = try store.record(.visit, ["household": "DG001"])
        let tally = TallyJSON.render(try store.tally()).split(separator: "\n").filter { !$0.contains("generated_at") }
        let household = try #require(Schema.tallyIndexes.first { $0.name == "household_tally" })
        try store.dbQueue.write { db in
            try db.execute(sql: "DROP INDEX household_tally")
            try db.execute(sql: household.sql.replacingOccurrences(of: "deleted = 0", with: "deleted = 1"))
        }
        #expect(try store.read { db in Store.missingTallyIndexes(try Store.tallyIndexDefinitions(db)).map(\.name) } == ["household_tally"])
        #expect(throws: Never.self) { _ = try store.tally() }
        #expect(TallyJSON.render(try store.tally()).split(separator: "\n").filter { !$0.contains("generated_at") } == tally)
        let reopened = try Store.open(at: store.path)
        let after = try reopened.read { db in
            (Store.missingTallyIndexes(try Store.tallyIndexDefinitions(db)),
             try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'household_tally'"))
        }
        #expect(after.0.isEmpty)
        #expect(after.1 == household.sql)
    }

    /// A visit with a row number past 2^63/256 (a hand-edited file), with the visits' parts missing
    /// (after migration v11, or a killed merge): the room check's `rows * tallyIndexEntryBound`
    /// overflowed and trapped on every open for writing.
    @Test func aHugeRowNumberDoesNotCrashTheOpen() async throws {
        await #expect(processExitsWith: .success) {
            let dir = TemporaryDirectory("attack-split-huge")
            let store = try makeCentral(in: dir, name: "huge.sqlite")
            _ = try store.importRoster(csvAt: dir.write("roster.csv", AttackVisitTallySplitTests.roster))
            _ = try store.record(.visit, ["household": "DG001"])
            try store.dbQueue.write { db in
                try db.execute(sql: "UPDATE visit SET rowid = 100000000000000000")
                try db.execute(sql: "DROP INDEX visit_tally")
                try db.execute(sql: "DROP INDEX visit_recent_tally")
            }
            _ = try Store.open(at: store.path)
        }
    }

    /// A visit with a row number of 19 digits: the parts are built split there, which
    /// `split(ofDefinition:)` read only up to 18 digits: they counted as missing forever, were built
    /// again at every open for writing, and no tally read them.
    @Test func aSplitOfNineteenDigitsIsReadBack() throws {
        let part = try #require(Schema.tallyIndexes.first { $0.rows == .upToSplit })
        #expect(part.split(ofDefinition: part.definition(split: 1_000_000_000_000_000_000)) == 1_000_000_000_000_000_000)
        #expect(part.split(ofDefinition: part.definition(split: Int64.max)) == Int64.max)
        // And only what the code writes: no leading zero.
        #expect(part.split(ofDefinition: part.definition(split: 0).dropLast(1) + "007") == nil)
    }
}

/// Statements outside the tally that read live visits by household: before v11 SQLite sought them
/// in `visit_tally` (its condition was `deleted = 0`); neither part's condition follows from
/// `deleted = 0` alone and the visits have no other household index, so they must name the parts
/// or scan the whole visit table (`fieldbook find`'s visited mark, `fieldbook list --village`).
@Suite struct AttackVisitTallySplitPlanTests {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var sql: [String] = []
        func add(_ text: String) { lock.lock(); sql.append(text); lock.unlock() }
    }

    @Test func findAndListDoNotScanTheVisits() throws {
        let dir = TemporaryDirectory("attack-split-plan")
        let store = try makeCentral(in: dir, name: "plan.sqlite")
        _ = try store.importRoster(csvAt: dir.write("roster.csv", AttackVisitTallySplitTests.roster))
        for code in ["DG001", "DG002", "XH001"] { _ = try store.record(.visit, ["household": code]) }
        let box = Box()
        store.dbQueue.inDatabase { db in
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event, statement.sql.contains("FROM visit") { box.add(statement.expandedSQL) }
            }
        }
        _ = try store.findHouseholds("张")
        _ = try store.list(RecordFilter(kinds: [.visit], village: "东关村"))
        store.dbQueue.inDatabase { db in db.trace(options: .statement, nil) }
        #expect(box.sql.count >= 2)
        try store.dbQueue.read { db in
            for sql in box.sql {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }
                #expect(!plan.contains { $0 == "SCAN visit" || $0 == "SCAN v" }, "\(sql)\n\(plan)")
            }
        }
    }
}
