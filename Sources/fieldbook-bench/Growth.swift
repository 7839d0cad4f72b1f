import FieldbookCore
import Foundation
import GRDB

/// The growth mode: the same bundle of `changes` merged into central stores that already hold each
/// of `sizes` changes (0 for an empty one). The stores are filled by laptops recording the
/// benchmark's field work in chunks, packed and merged into one growing store, copied at each size.
struct Growth {
    var runner: Runner
    var work: String
    var villages: Int
    var changes: Int
    var sizes: [Int]
    /// Changes one filling laptop records before it is packed, merged and removed.
    var chunk = 500_000

    func path(_ name: String) -> String { (work as NSString).appendingPathComponent(name) }

    func run() throws {
        let sizes = sizes.sorted()
        print("growth mode: \(Fmt.int(changes)) changes merged into stores of \(sizes.map { Fmt.int($0) }.joined(separator: ", ")) changes\n")
        try Generator.writeRoster(to: path("roster.csv"), villages: villages)
        try runner.ok(["init", "--db", "office.sqlite", "--device", "巡察办", "--central", "--round", "五届第五轮"])
        try runner.ok(["roster", "import", "--db", "office.sqlite", "roster.csv"])
        try runner.ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster"])

        // The bundle every store is given: one laptop's field work.
        try laptop("timed", count: changes, seed: 7, out: "timed")
        try runner.ok(["init", "--db", "grow.sqlite", "--device", "市巡察办", "--central"])
        var held = 0
        var rates: [(size: Int, held: Int, rate: Double, peakKB: Int)] = []
        var plainRates: [Double] = []
        var floorRates: [Double] = []
        var filler = 0
        for size in sizes {
            while held < size {
                let name = "fill\(filler)"
                try laptop(name, count: min(chunk, size - held), seed: UInt64(1000 + filler), out: name)
                try runner.ok(["merge", "--db", "grow.sqlite", name])
                try? FileManager.default.removeItem(atPath: path(name))
                filler += 1
                held = try count(path("grow.sqlite"))
            }
            let copy = "at-\(size).sqlite"
            try StoreFiles.copy(path("grow.sqlite"), to: path(copy))
            StoreFiles.settle([path(copy), path(copy) + "-wal"] + (try files(in: "timed")))
            let m = try runner.run(["merge", "--db", copy, "timed"])
            let merged = try count(path(copy)) - held
            // The laptop's own first changes (its team and round) are a few of them.
            guard merged > changes - 10 else { throw BenchError("growth: \(merged) changes merged of \(changes)") }
            rates.append((size, held, Double(merged) / m.seconds, m.peakKB))
            print(String(format: "  %@ changes into a store of %@ changes: %.2f s, %@ changes/s, peak RSS %@",
                         Fmt.int(merged), Fmt.int(held), m.seconds, Fmt.int(Int(Double(merged) / m.seconds)), Fmt.mb(m.peakKB)))
            // The layout's floor: SQLite alone writing the rows that merge wrote into another copy
            // of the store it began with (LayoutFloor).
            let floorCopy = "floor-\(size).sqlite"
            try StoreFiles.copy(path("grow.sqlite"), to: path(floorCopy))
            StoreFiles.settle([path(floorCopy), path(floorCopy) + "-wal"])
            let floor = try LayoutFloor.write(rowsOf: path(copy), into: path(floorCopy), merging: try files(in: "timed"))
            floorRates.append(Double(merged) / floor)
            StoreFiles.remove(path(floorCopy))
            print(String(format: "  SQLite alone, the rows that merge wrote, into a copy of the same store: %.2f s, %@ changes/s",
                         floor, Fmt.int(Int(Double(merged) / floor))))
            // Plain SQLite's own cost of size: the same rows upserted into a plain table that holds
            // the store's log before the merge (one row per record), as the main mode's yardstick.
            let timedDevice = "(SELECT id FROM device WHERE name = '笔记本-timed')"
            let plain = try PlainSQLite.upsert(
                rowsFrom: path(copy), where: "device_id = \(timedDevice)", into: path("plain-growth.sqlite"),
                holding: size > 0 ? path("grow.sqlite") : nil)
            plainRates.append(Double(plain.rows) / plain.seconds)
            print(String(format: "  plain SQLite: the same %@ rows upserted into a table of the store's records: %.2f s, %@ rows/s",
                         Fmt.int(plain.rows), plain.seconds, Fmt.int(Int(Double(plain.rows) / plain.seconds))))
            StoreFiles.remove(path(copy))
            StoreFiles.remove(path("plain-growth.sqlite"))
        }
        if let first = rates.first, let last = rates.last, rates.count > 1 {
            print(String(format: "\nmerge rate into the store of %@ changes ÷ into the store of %@: %.2f× (target ≥ 0.7×)",
                         Fmt.int(last.held), Fmt.int(first.held), last.rate / first.rate))
            print(String(format: "plain SQLite's own rate, same rows, into the table of that store's records ÷ into an empty one: %.2f×",
                         plainRates.last! / plainRates.first!))
            print(String(format: "the store's layout alone (SQLite writing the rows the merge wrote), into that store ÷ into the empty one: %.2f×",
                         floorRates.last! / floorRates.first!))
        }
    }

    /// A laptop with the roster that records `count` changes (its first three are its team, round
    /// and the like) and packs them into `out`; its store is removed.
    private func laptop(_ name: String, count: Int, seed: UInt64, out: String) throws {
        let db = "\(name).sqlite"
        try runner.ok(["init", "--db", db, "--device", "笔记本-\(name)", "--team", "第1组", "--round", "五届第五轮"])
        try runner.ok(["merge", "--db", db, "roster"])
        let store = try Store.open(at: path(db))
        try Generator.recordFieldWork(store, count: count - 3, seed: seed, villages: villages)
        try runner.ok(["pack", "--db", db, "--out", out])
        StoreFiles.remove(path(db))
    }

    private func count(_ store: String) throws -> Int {
        let queue = try DatabaseQueue(path: store)
        defer { try? queue.close() }
        return try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE device_id IN (SELECT id FROM device WHERE role <> 'central')") ?? 0
        }
    }

    private func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(folder)).map { (path(folder) as NSString).appendingPathComponent($0) }
    }
}
