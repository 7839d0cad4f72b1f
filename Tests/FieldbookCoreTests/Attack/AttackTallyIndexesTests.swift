import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Attacks on the tally indexes a big merge sets aside (TallyIndexes.swift): while they are aside
/// (a merge runs in another process, or was killed and the store can only be read), the tally and
/// the pending list must give the same figures in about the same order of time, never one that
/// grows with households × visits.
@Suite struct AttackTallyIndexesTests {
    /// The record table scans in `sql`'s plan that run once per row of an outer loop (a scan under a
    /// correlated subquery): each reads the whole table again for every household.
    static func scansPerRow(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [String] {
        let rows = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
        var nodes: [Int: (parent: Int, detail: String)] = [:]
        for row in rows { nodes[row["id"]] = (row["parent"], row["detail"]) }
        // A scan of a subquery's rows (the seeks into each part of a split index, as a co-routine)
        // reads what those seeks found, not a table.
        let subqueries = Set(nodes.values.compactMap { node in
            ["CO-ROUTINE ", "MATERIALIZE "].first { node.detail.hasPrefix($0) }.map { "SCAN " + node.detail.dropFirst($0.count) }
        })
        return nodes.values.filter { $0.detail.hasPrefix("SCAN ") && !subqueries.contains($0.detail) }.compactMap { node in
            var parent = node.parent
            var seen = 0
            while let up = nodes[parent], seen < nodes.count {
                if up.detail.contains("CORRELATED") { return node.detail }
                parent = up.parent
                seen += 1
            }
            return nil
        }
    }

    static func dropTallyIndexes(_ store: Store, _ names: [String]) throws {
        try store.dbQueue.write { db in
            for name in names { try db.execute(sql: "DROP INDEX \(name)") }
        }
    }

    static func queries() -> [TallyQuery] {
        var round = TallyQuery()
        round.round = "五届第五轮"
        round.from = "2026-01-01"
        round.to = "2026-12-31"
        var township = TallyQuery()
        township.township = "城关镇"
        return [TallyQuery(), round, township]
    }

    @Test("without a part of the visits' index, no tally or pending statement reads the visits once per household")
    func noScanPerHouseholdWithoutTheVisitsIndex() throws {
        let work = try TallyIndexesTests.Work()
        let store = try makeCentral(in: work.dir, name: "aside.sqlite", round: nil)
        for bundle in work.bundles { #expect(store.merge(bundleAt: bundle).status == .merged) }
        // What a big merge of visits sets aside (one part of their index, or both), what one of
        // every other kind does, and all of them.
        let all = Schema.tallyIndexes.map(\.name)
        for missing in [["visit_recent_tally"], ["visit_tally"], all.filter { !$0.hasPrefix("visit_") }, all] {
            _ = try store.restoreTallyIndexes()
            try Self.dropTallyIndexes(store, missing)
            try store.dbQueue.read { db in
                for query in Self.queries() {
                    let filter = try TallyFilter(query, store: store, db: db)
                    for withTotal in [true, false] {
                        let sql = TallySQL.households(filter, withTotal: withTotal)
                        #expect(try Self.scansPerRow(db, sql, filter.householdArguments(withTotal: withTotal)).isEmpty, "\(missing)\n\(sql)")
                    }
                    #expect(try Self.scansPerRow(db, TallySQL.unknownHouseholds(filter), filter.visitArguments).isEmpty)
                }
                for round in [false, true] {
                    let parts = Store.tallyParts(.visit, try Store.tallyIndexDefinitions(db))
                    #expect((parts == nil) == missing.contains { $0.hasPrefix("visit_") })
                    let sql = PendingSQL.households(scope: "h.deleted = 0", round: round, visitParts: parts)
                    let rounds = round ? Array(repeating: "r", count: parts?.count ?? 1) : []
                    #expect(try Self.scansPerRow(db, sql, StatementArguments(rounds)).isEmpty, "\(sql)")
                }
            }
        }
    }

    @Test("the tally and the pending list without the tally indexes are those with them", arguments: [true, false])
    func sameFiguresWithoutTheIndexes(withRoster: Bool) throws {
        let work = try TallyIndexesTests.Work(visits: 30)
        let store = try makeCentral(in: work.dir, name: "figures.sqlite", round: nil)
        // Without the roster, every visit points at a household the store does not know yet.
        for bundle in withRoster ? work.bundles : Array(work.bundles.dropFirst()) {
            #expect(store.merge(bundleAt: bundle).status == .merged)
        }
        func figures() throws -> [String] {
            // Without the roster no township is known: the whole store, and a round.
            try Self.queries().prefix(withRoster ? 3 : 2).map { query in
                let json = TallyJSON.render(try store.tally(query))
                return json.split(separator: "\n").filter { !$0.contains("generated_at") }.joined(separator: "\n")
            } + [PendingQuery(rounds: .all), PendingQuery(rounds: .named("五届第五轮")), PendingQuery(priorityOnly: true, rounds: .all)].map {
                var list = try store.pending($0)
                list.generatedAt = ""
                return "\(list)"
            }
        }
        let kept = try figures()
        if withRoster {
            #expect(kept[0].contains("东关村"))
        } else {
            #expect(try store.tally().unknownHouseholds.visits > 0)
        }
        try Self.dropTallyIndexes(store, ["visit_recent_tally"])
        #expect(try figures() == kept)
        try Self.dropTallyIndexes(store, ["visit_tally"])
        #expect(try figures() == kept)
        try Self.dropTallyIndexes(store, Schema.tallyIndexes.map(\.name).filter { $0.hasPrefix("visit_") == false })
        #expect(try figures() == kept)
        _ = try store.restoreTallyIndexes()
        #expect(try figures() == kept)
    }
}
