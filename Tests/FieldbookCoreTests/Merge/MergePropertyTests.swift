import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Properties of the merge, over seeded random work on three laptops that also swap bundles in the
/// field: every delivery order (with replays) gives the same store, and merging twice changes nothing.
@Suite struct MergePropertyTests {
    /// Three laptops record, edit, delete and swap bundles; returns every bundle they wrote.
    func fieldWork(seed: UInt64, in dir: TemporaryDirectory) throws -> [String] {
        var rng = SplitMix64(seed: seed)
        let office = try makeCentral(in: dir, name: "office.sqlite")
        _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
        var bundles = [try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path]
        // B and C share a start time, so equal clock readings happen and the device id breaks ties.
        let clocks = [FixedEnvironment(seed: seed * 10 + 1),
                      FixedEnvironment(start: Date(timeIntervalSince1970: 1_795_222_900), seed: seed * 10 + 2),
                      FixedEnvironment(start: Date(timeIntervalSince1970: 1_795_222_900), seed: seed * 10 + 3)]
        let laptops = try ["A", "B", "C"].enumerated().map { i, name in
            try makeLaptop(in: dir, name: "笔记本\(name)", clock: clocks[i])
        }
        for laptop in laptops { _ = laptop.merge(bundleAt: bundles[0]) }
        let households = ["DG001", "DG002", "DG003", "XH001", "GC001", "GC002"]
        let villages = ["新华社区", "西河村", "城关镇/东关村", "古城乡/东关村"]
        for step in 0..<45 {
            let i = Int.random(in: 0..<3, using: &rng)
            let laptop = laptops[i]
            let live = try laptop.list()
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                _ = try laptop.record(.visit, ["household": households.randomElement(using: &rng)!, "note": "走访\(step)"])
            case 2:
                _ = try laptop.record(.notice, ["village": villages.randomElement(using: &rng)!,
                                                "copies": String(Int.random(in: 1...5, using: &rng)), "place": "公示栏"])
            case 3, 4, 5:
                guard let record = live.randomElement(using: &rng) else { continue }
                let edit: (String, String) = record.kind == .visit
                    ? [("note", "改\(step)"), ("met", "户主\(step % 3)"), ("date", "2026-11-\(10 + step % 9)")].randomElement(using: &rng)!
                    : [("copies", String(step % 7 + 1)), ("place", "二组\(step % 2)")].randomElement(using: &rng)!
                _ = try? laptop.edit(record.id, set: [edit])
            case 6:
                guard let record = live.randomElement(using: &rng) else { continue }
                _ = try laptop.delete(record.id)
            case 7, 8:
                if let bundle = bundles.randomElement(using: &rng) { _ = laptop.merge(bundleAt: bundle) }
            default:
                if let packed = try laptop.pack(into: dir.path("stick")) { bundles.append(packed.path) }
            }
            clocks[i].advance(Double(Int.random(in: -120...600, using: &rng)))
        }
        for laptop in laptops {
            if let packed = try laptop.pack(into: dir.path("stick")) { bundles.append(packed.path) }
        }
        return bundles
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func everyDeliveryOrderGivesOneStore(seed: UInt64) throws {
        let dir = TemporaryDirectory("property")
        let bundles = try fieldWork(seed: seed, in: dir)
        var rng = SplitMix64(seed: seed &+ 1000)
        var reference: String?
        var referenceRecords: String?
        for trial in 0..<5 {
            var order = bundles.shuffled(using: &rng)
            if trial > 0 { order += order.prefix(2) }  // replays of a copied stick
            let central = try makeCentral(in: dir, name: "central-\(trial).sqlite", round: nil)
            for bundle in order {
                let outcome = central.merge(bundleAt: bundle)
                #expect(outcome.status != .rejected(""), "\(outcome.status)")
                if case .rejected(let reason) = outcome.status { Issue.record("rejected: \(reason)") }
            }
            let records = try dumpRecords(central)
            let everything = try dump(central).split(separator: "\n").filter { !$0.contains("巡察办") }.joined()
            if let referenceRecords {
                #expect(records == referenceRecords, "order \(trial) of seed \(seed) diverged")
                #expect(everything == reference)
            } else {
                referenceRecords = records
                reference = everything
                #expect(try central.list(RecordFilter(includeDeleted: true)).count > 3)
            }
            // Merging everything again changes nothing.
            let before = try dump(central)
            for bundle in order { #expect(central.merge(bundleAt: bundle).status == .alreadyMerged) }
            #expect(try dump(central) == before)
        }
    }

    @Test func laptopsThatExchangedEverythingEndIdentical() throws {
        let dir = TemporaryDirectory("converge")
        let bundles = try fieldWork(seed: 9, in: dir)
        let stores = try (0..<3).map { i in try makeCentral(in: dir, name: "end-\(i).sqlite", round: nil) }
        for (i, store) in stores.enumerated() {
            for bundle in (i == 1 ? bundles.reversed() : bundles) { _ = store.merge(bundleAt: bundle) }
        }
        let dumps = try stores.map(dumpRecords)
        #expect(dumps[0] == dumps[1])
        #expect(dumps[1] == dumps[2])
    }
}
