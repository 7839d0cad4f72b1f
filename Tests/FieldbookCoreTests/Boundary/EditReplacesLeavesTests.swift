import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// An edit, a delete, a fix-status change and a conflict resolution replace every version of each
/// field they write that their store holds unreplaced, so a value written after seeing others wins
/// whatever the clocks say.
@Suite struct EditReplacesLeavesTests {
    @Test func anEditAfterSeeingTwoFastLaptopsReplacesBoth() throws {
        let t = try MergeTests.Team()
        let clockC = FixedEnvironment(seed: 3)
        let c = try makeLaptop(in: t.dir, name: "笔记本C", clock: clockC)
        #expect(c.merge(bundleAt: t.rosterBundle).status == .merged)
        let visit = try t.a.record(.visit, ["household": "DG001", "note": "初访"])
        let first = try t.pack(t.a, "a0")
        _ = t.b.merge(bundleAt: first)
        _ = c.merge(bundleAt: first)
        // A runs 28 days fast, B 27 days fast; each edits the note without seeing the other.
        t.clockA.advance(28 * 86_400)
        t.clockB.advance(27 * 86_400)
        _ = try t.a.edit(visit.id, set: [("note", "A的记录")])
        _ = try t.b.edit(visit.id, set: [("note", "B的记录")])
        let fromA = try t.pack(t.a, "a1")
        let fromB = try t.pack(t.b, "b1")
        for bundle in [fromA, fromB] { _ = c.merge(bundleAt: bundle) }
        #expect(try c.conflictCount() == 1)
        // C has seen both, and edits the note with its right clock.
        _ = try c.edit(visit.id, set: [("note", "C核实后的记录")])
        #expect(try c.record(id: visit.id)["note"] == .text("C核实后的记录"))
        #expect(try c.conflicts().filter { $0.field == "note" }.isEmpty)
        let fromC = try t.pack(c, "c1")
        // Every store that merges everything shows C's value, with no conflict on the note.
        for store in [t.office, t.a, t.b] {
            for bundle in [first, fromA, fromB, fromC] { _ = store.merge(bundleAt: bundle) }
            #expect(try store.record(id: visit.id)["note"] == .text("C核实后的记录"))
            #expect(try store.conflicts().filter { $0.field == "note" }.isEmpty)
        }
    }

    @Test func aDeleteAfterSeeingConcurrentEditsReplacesThemAll() throws {
        let t = try MergeTests.Team()
        let visit = try t.a.record(.visit, ["household": "DG001", "note": "初访"])
        let first = try t.pack(t.a, "a0")
        _ = t.b.merge(bundleAt: first)
        t.clockB.advance(30 * 86_400)
        _ = try t.a.edit(visit.id, set: [("note", "A")])
        _ = try t.b.edit(visit.id, set: [("note", "B")])
        _ = t.a.merge(bundleAt: try t.pack(t.b, "b1"))
        // A has seen B's far-future edit; its delete replaces every live version of the record.
        _ = try t.a.delete(visit.id)
        let fromA = try t.pack(t.a, "a1")
        for store in [t.office, t.b] {
            for bundle in [first, fromA] { _ = store.merge(bundleAt: bundle) }
            #expect(try store.record(id: visit.id).deleted)
            #expect(try store.conflicts().filter { $0.field == "deleted" }.isEmpty)
        }
    }

    /// Whatever the clocks and the delivery order: once a store has merged everything and then
    /// writes a field, every store that merges everything shows that value, with no conflict on it.
    @Test(arguments: [11, 12, 13, 14, 15] as [UInt64])
    func aWriteAfterMergingEverythingWinsEverywhere(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let t = try MergeTests.Team()
        let clockC = FixedEnvironment(seed: seed * 10 + 3)
        let c = try makeLaptop(in: t.dir, name: "笔记本C", clock: clockC)
        _ = c.merge(bundleAt: t.rosterBundle)
        let laptops = [t.a, t.b, c]
        let clocks = [t.clockA, t.clockB, clockC]
        let visit = try t.a.record(.visit, ["household": "DG002", "note": "初访"])
        var bundles = [try t.pack(t.a, "p0")]
        for store in [t.b, c] { _ = store.merge(bundleAt: bundles[0]) }
        // Clocks anywhere from ten days slow to forty days fast; concurrent edits and partial swaps.
        for (i, clock) in clocks.enumerated() where i > 0 || Bool.random(using: &rng) {
            clock.advance(Double(Int.random(in: -864_000...3_456_000, using: &rng)))
        }
        for step in 0..<12 {
            let i = Int.random(in: 0..<3, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0, 1:
                let field = ["note", "met"].randomElement(using: &rng)!
                _ = try? laptops[i].edit(visit.id, set: [(field, "\(field)\(step)-\(i)")])
            default:
                if let bundle = bundles.randomElement(using: &rng) { _ = laptops[i].merge(bundleAt: bundle) }
            }
            if let packed = try laptops[i].pack(into: t.dir.path("p\(step)")) { bundles.append(packed.path) }
        }
        // One laptop merges everything, then writes both fields.
        let writer = laptops[Int.random(in: 0..<3, using: &rng)]
        for bundle in bundles { _ = writer.merge(bundleAt: bundle) }
        _ = try writer.edit(visit.id, set: [("note", "定稿"), ("met", "户主本人")])
        bundles.append(try t.pack(writer, "final"))
        for store in [t.office] + laptops {
            for bundle in bundles.shuffled(using: &rng) { _ = store.merge(bundleAt: bundle) }
            let record = try store.record(id: visit.id)
            #expect(record["note"] == .text("定稿"), "seed \(seed)")
            #expect(record["met"] == .text("户主本人"), "seed \(seed)")
            #expect(try store.conflicts().filter { ["note", "met"].contains($0.field) }.isEmpty, "seed \(seed)")
        }
    }
}
