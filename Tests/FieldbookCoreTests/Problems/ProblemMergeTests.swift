import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Problems, their rectification and transfers made on two laptops and the office travel in
/// bundles; merged in any order they give one ledger, and concurrent status changes stay conflicts.
@Suite struct ProblemMergeTests {
    struct Work {
        var roster: String
        var bundles: [String]
        var ids: [String: String]
    }

    /// Laptop A finds two problems; B finds one, takes A's bundle, marks A's first problem rectified
    /// and transfers the second; A, not knowing, marks the first one rectifying; the office takes A's
    /// first bundle and B's, verifies the first problem, finds B's not rectifiable, records one of
    /// its own. Four bundles: A's two, B's, the office's.
    static func fieldWork(in dir: TemporaryDirectory) throws -> Work {
        let office = try makeCentral(in: dir, name: "office.sqlite", clock: FixedEnvironment(seed: 90))
        _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
        let roster = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
        let a = try makeLaptop(in: dir, name: "笔记本A", clock: FixedEnvironment(seed: 91))
        let b = try makeLaptop(
            in: dir, name: "笔记本B", clock: FixedEnvironment(start: Date(timeIntervalSince1970: 1_795_222_830), seed: 92))
        for laptop in [a, b] {
            if case .rejected(let reason) = laptop.merge(bundleAt: roster).status { Issue.record("\(reason)") }
        }
        var ids: [String: String] = [:]
        ids["p1"] = try a.record(.problem, [
            "village": "城关镇/东关村", "summary": "低保评定未公示", "deadline": "2026-11-10", "found_on": "2026-11-01",
            "category": "farm-subsidies", "responsible": "村支书",
        ]).id
        ids["p2"] = try a.record(.problem, [
            "village": "城关镇/东关村", "summary": "村干部优亲厚友", "detail": ProblemLedgerTests.secret, "found_on": "2026-11-02",
        ]).id
        let a1 = try #require(try a.pack(into: dir.path("stick"))).path
        ids["p3"] = try b.record(.problem, ["village": "古城乡/西河村", "summary": "道路破损未修", "deadline": "2026-12-31"]).id
        _ = b.merge(bundleAt: a1)
        _ = try b.rectify(ids["p1"]!, status: "rectified", measures: "补公示三年低保名单")
        _ = try b.transfer(ids["p2"]!, to: "纪委监委", note: ProblemLedgerTests.note)
        let b1 = try #require(try b.pack(into: dir.path("stick"))).path
        _ = try a.rectify(ids["p1"]!, status: "rectifying", measures: "正在整理名单")
        let a2 = try #require(try a.pack(into: dir.path("stick"))).path
        for bundle in [a1, b1] {
            if case .rejected(let reason) = office.merge(bundleAt: bundle).status { Issue.record("\(reason)") }
        }
        _ = try office.rectify(ids["p1"]!, status: "verified", by: "陈志强")
        _ = try office.rectify(ids["p3"]!, status: "无法整改", measures: "道路属县交通局管辖")
        ids["p4"] = try office.record(.problem, ["village": "城关镇/新华社区", "summary": "党费收缴不规范", "deadline": "2026-11-15", "found_on": "2026-11-05"]).id
        let o1 = try #require(try office.pack(into: dir.path("stick"))).path
        return Work(roster: roster, bundles: [a1, a2, b1, o1], ids: ids)
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            var rest = items
            let first = rest.remove(at: i)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// What the office reads after merging `order`: the ledger in every format, the conflicts, the records.
    static func merged(_ order: [String], in dir: TemporaryDirectory, name: String) throws -> (ledger: String, conflicts: [ConflictEntry], records: String) {
        // Every central store reads the same day: the ledger's days overdue depend on it.
        let central = try makeCentral(in: dir, name: name, clock: FixedEnvironment(seed: 99))
        for bundle in order {
            if case .rejected(let reason) = central.merge(bundleAt: bundle).status { Issue.record("\(bundle): \(reason)") }
        }
        let ledger = try central.problemLedger()
        let text = ProblemLedgerReport.table(ledger) + ProblemLedgerReport.csv(ledger) + ProblemLedgerReport.json(ledger)
        return (text, try central.conflicts(), try dumpRecords(central))
    }

    /// Every order of the four bundles (after the roster), six per case: those that start with
    /// bundle `first`, each against the order as made. Case 0 also takes the roster last, and a
    /// copied stick merged twice.
    @Test(arguments: 0..<4)
    func everyDeliveryOrderGivesOneLedgerAndKeepsTheConflict(first: Int) throws {
        let dir = TemporaryDirectory("problem-merge")
        let work = try Self.fieldWork(in: dir)
        var orders = Self.permutations(work.bundles).filter { $0[0] == work.bundles[first] }.map { [work.roster] + $0 }
        #expect(orders.count == 6)
        if first == 0 {
            orders.append(work.bundles + [work.roster])
            orders.append(work.bundles.reversed() + [work.roster] + work.bundles)
        }
        let reference = try Self.merged([work.roster] + work.bundles, in: dir, name: "central-reference.sqlite")
        for (i, order) in orders.enumerated() {
            let other = try Self.merged(order, in: dir, name: "central-\(i).sqlite")
            #expect(other.ledger == reference.ledger, "order \(i) gives another ledger")
            #expect(other.records == reference.records, "order \(i) gives other records")
            #expect(other.conflicts.map(\.id) == reference.conflicts.map(\.id), "order \(i) keeps other conflicts")
        }
        guard first == 0 else { return }

        // What the ledger says once everything is in.
        let central = try makeCentral(in: dir, name: "check.sqlite", clock: FixedEnvironment(seed: 99))
        for bundle in [work.roster] + work.bundles { _ = central.merge(bundleAt: bundle) }
        let ledger = try central.problemLedger()
        let byID = Dictionary(uniqueKeysWithValues: ledger.items.map { ($0.id, $0) })
        #expect(ledger.items.count == 4)
        #expect(byID[work.ids["p2"]!]?.transferredTo == .discipline)
        #expect(byID[work.ids["p3"]!]?.status == .notRectifiable)
        #expect(byID[work.ids["p4"]!]?.daysOverdue == 6)
        #expect(!reference.ledger.contains(ProblemLedgerTests.secret) && !reference.ledger.contains(ProblemLedgerTests.note))
        // A's "rectifying" and the office's chain (B's "rectified", then "verified") were concurrent:
        // one is kept, the other is a conflict to review, on the status and on the measures.
        let p1 = work.ids["p1"]!
        let conflicts = reference.conflicts.filter { $0.recordID == p1 }
        #expect(Set(conflicts.map(\.field)) == ["status", "measures"], "\(reference.conflicts)")
        let status = try #require(conflicts.first { $0.field == "status" })
        #expect(Set([status.kept, status.overwritten]).contains("rectifying"))
        #expect(byID[p1]?.status.rawValue == status.kept)
    }

    @Test func aTransferredCluesConflictingTextIsNotListed() throws {
        let dir = TemporaryDirectory("problem-conflict")
        let office = try makeCentral(in: dir, name: "office.sqlite", clock: FixedEnvironment(seed: 90))
        _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
        let roster = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
        let a = try makeLaptop(in: dir, name: "笔记本A", clock: FixedEnvironment(seed: 91))
        let b = try makeLaptop(in: dir, name: "笔记本B", clock: FixedEnvironment(seed: 92))
        _ = a.merge(bundleAt: roster)
        _ = b.merge(bundleAt: roster)
        let p = try a.record(.problem, ["village": "城关镇/东关村", "summary": "村干部优亲厚友"])
        _ = b.merge(bundleAt: try #require(try a.pack(into: dir.path("stick"))).path)
        _ = try a.transfer(p.id, to: "discipline", note: "A的移交说明")
        _ = try b.transfer(p.id, to: "discipline", note: "B的移交说明")
        for laptop in [a, b] { _ = office.merge(bundleAt: try #require(try laptop.pack(into: dir.path("stick"))).path) }
        let conflict = try #require(try office.conflicts().first { $0.field == "transfer_note" })
        #expect(!conflict.kept.contains("移交说明") && !conflict.overwritten.contains("移交说明"))
        #expect(conflict.kept.contains("fieldbook show"))
    }
}
