import ArgumentParser
import FieldbookCore
import Foundation
import GRDB
import GRDBSQLite

/// Builds a district's worth of field work on several laptops, then times what users run:
/// `fieldbook pack`, `verify` and `merge` as child processes (wall time and their own peak memory),
/// against plain SQLite upserting the same rows through one prepared statement in one transaction.
@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldbook-bench", abstract: "Measure Fieldbook's pack, verify and merge against plain SQLite.")

    @Option(help: "Changes to build across the laptops.") var changes = 1_000_000
    @Option(help: "Laptops recording them.") var devices = 4
    @Option(help: "Villages on the roster (10 households each).") var villages = 10_000
    @Option(help: "Work folder (default: a new temporary folder, removed at the end).") var dir: String?
    @Option(help: "The fieldbook binary (default: the one beside this benchmark).") var fieldbook: String?
    @Option(help: "Timed runs of each step a target's ratio is made of (roster import, merges, their yardsticks): the median is printed.")
    var runs = 3
    @Flag(help: "Only the growth mode: the same changes merged into stores of --growth-sizes changes.") var growth = false
    @Option(help: "Growth mode: the sizes of the stores merged into, in changes, comma-separated.")
    var growthSizes = "0,1000000,5000000"
    @Option(help: "Growth mode: the changes merged into each store.") var growthChanges = 100_000

    mutating func run() throws {
        let work = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("fieldbook-bench-\(getpid())").path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: work) } }
        let binary = fieldbook ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("fieldbook").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("No fieldbook binary at \(binary): build it first (swift build -c release).")
        }
        let runner = Runner(binary: binary, work: work)
        // Before each timed step, what earlier steps wrote goes to disk and the step's inputs are
        // read once (StoreFiles.settle), as the growth mode and step 7 do: a step that syncs (a
        // merge, a pack, a yardstick's commit) otherwise also waits for the gigabytes the steps
        // before it left to the kernel, which the next step may not.
        func path(_ name: String) -> String { (work as NSString).appendingPathComponent(name) }
        func settle(_ names: [String]) { StoreFiles.settle(names.map(path)) }
        func storeFiles(_ name: String) -> [String] { [name, name + "-wal"] }
        func folderFiles(_ folder: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: path(folder)).sorted()
                .map { (folder as NSString).appendingPathComponent($0) }
        }
        // The yardsticks (plain SQLite, in this process) run with SQLite's process settings as
        // fieldbook makes them (no memory statistics), as they use a store's journal and sync
        // settings: made here, before this process first uses SQLite. Their logs do not gather
        // their writes (Store.gatherLog): that is fieldbook's work on top of SQLite, not SQLite's.
        let sqliteSettings = Store.sqliteSettingsMade
        let households = villages * 10
        print(growth
            ? "Fieldbook benchmark, growth mode: roster of \(Fmt.int(villages)) villages, \(Fmt.int(households)) households"
            : "Fieldbook benchmark: \(Fmt.int(changes)) changes on \(devices) laptops; roster of \(Fmt.int(villages)) villages, \(Fmt.int(households)) households")
        print("machine: \(Machine.describe())")
        print("SQLite \(String(cString: sqlite3_libversion())), memory statistics \(sqliteSettings ? "off" : "on") in fieldbook and in the yardsticks; the log's writes \(Store.logGatheringInstalled ? "gathered in fieldbook only" : "not gathered")")
        print("work folder: \(work)\n")
        if growth {
            try Growth(runner: runner, work: work, villages: villages, changes: growthChanges,
                       sizes: growthSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }).run()
            return
        }
        var table = Table()
        // The steps a target's ratio is made of are each timed `runs` times, on fresh stores, and
        // the median is printed, with the slowest and fastest run beside the ratio: on this kind
        // of machine (a shared virtual one) one merge of the same bundles into an empty store took
        // from 10.97 s to 12.96 s in seven runs in a row, and one run of each side made the ratio.
        let runs = max(1, self.runs)
        var spreads: [String] = []
        func median(_ step: String, _ measure: (Int) throws -> Measured) rethrows -> Measured {
            let all = try (0..<runs).map(measure).sorted { $0.seconds < $1.seconds }
            spreads.append(String(format: "%@ %.2f–%.2f s", step, all.first!.seconds, all.last!.seconds))
            var middle = all[all.count / 2]
            // Of an even number of runs, the mean of the two in the middle.
            if all.count % 2 == 0 { middle.seconds = (all[all.count / 2 - 1].seconds + middle.seconds) / 2 }
            middle.peakKB = all.map(\.peakKB).max()!
            return middle
        }
        func scratch(_ name: String, _ k: Int) -> String { k == 0 ? name : "try\(k)-" + name }
        func remove(_ name: String) { StoreFiles.remove(path(name)) }
        // The layout's floor (LayoutFloor) of a step that wrote the rows `source` holds: `runs`
        // times into `store`, which `make` makes afresh each time and which is removed after.
        func layoutFloor(_ step: String, rowsOf source: String, merging bundles: [String] = [], into store: String,
                   made make: (String) throws -> Void) throws -> Measured {
            try median(step) { _ in
                remove(store)
                try make(store)
                settle([])
                let seconds = try LayoutFloor.write(rowsOf: path(source), into: path(store), merging: bundles.map(path))
                remove(store)
                return Measured(seconds: seconds, peakKB: 0)
            }
        }

        // 1. The roster, imported at the office and handed out as a bundle.
        let roster = path("roster.csv")
        try Generator.writeRoster(to: roster, villages: villages)
        // The office's store is the first run's; the others' are removed.
        let rosterImport = try median("roster") { k in
            let office = scratch("office.sqlite", k)
            try runner.ok(["init", "--db", office, "--device", "巡察办", "--central", "--round", "五届第五轮"])
            settle(storeFiles(office) + ["roster.csv"])
            let m = try runner.run(["roster", "import", "--db", office, roster])
            if k > 0 { remove(office) }
            return m
        }
        table.add("roster import (office)", households, rosterImport)
        let plainRoster = try median("plain roster") { _ in
            settle([])
            let plain = try PlainInsert.households(
                from: path("office.sqlite"),
                into: path("plain-households.sqlite"))
            return Measured(seconds: plain.seconds, peakKB: 0)
        }
        table.add("plain SQLite insert, same households", households, plainRoster)
        try runner.ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster"])

        // 2. Field work on each laptop, recorded through the store in batches.
        let perDevice = changes / devices
        var generated = 0.0
        for d in 0..<devices {
            let name = "dev\(d)"
            try runner.ok(["init", "--db", "\(name).sqlite", "--device", "笔记本\(d + 1)", "--team", "第\(d / 2 + 1)组", "--round", "五届第五轮"])
            try runner.ok(["merge", "--db", "\(name).sqlite", "roster"])
            let store = try Store.open(at: path("\(name).sqlite"))
            let start = Date()
            try Generator.recordFieldWork(store, count: perDevice - 3, seed: UInt64(d), villages: villages)
            generated += Date().timeIntervalSince(start)
        }
        // The same stores, copied twice before any pack, for format 1 against format 2 (step 7).
        for d in 0..<devices {
            for copy in ["f1", "f2"] {
                try StoreFiles.copy(path("dev\(d).sqlite"),
                                    to: path("dev\(d)-\(copy).sqlite"))
            }
        }
        table.add("record in batches (in process)", perDevice * devices, Measured(seconds: generated, peakKB: Machine.peakKB()))

        // 3. Pack, verify, merge: the binary, as users run it.
        var packTime = 0.0, packPeak = 0
        for d in 0..<devices {
            settle(storeFiles("dev\(d).sqlite"))
            let m = try runner.run(["pack", "--db", "dev\(d).sqlite", "--out", "bundles"])
            packTime += m.seconds
            packPeak = max(packPeak, m.peakKB)
        }
        let bundleChanges = try Generator.bundleChanges(in: path("bundles"))
        table.add("pack (\(devices) bundles)", bundleChanges.changes, Measured(seconds: packTime, peakKB: packPeak))
        settle(try folderFiles("bundles"))
        let verify = try runner.run(["verify", "bundles"])
        table.add("verify (no store)", bundleChanges.changes, verify)
        let zlib = try ZlibYardstick.measure(folder: path("bundles"))
        table.add("zlib level 6 alone, same lines", bundleChanges.changes, Measured(seconds: zlib.deflateSeconds, peakKB: 0))
        table.add("inflate alone, same lines", bundleChanges.changes, Measured(seconds: zlib.inflateSeconds, peakKB: 0))
        // The central store is the first run's (the yardstick and the tally read it); the others' are removed.
        let mergeEmpty = try median("merge") { k in
            let central = scratch("central.sqlite", k)
            try runner.ok(["init", "--db", central, "--device", "市巡察办", "--central"])
            settle(storeFiles(central) + (try folderFiles("bundles")))
            let m = try runner.run(["merge", "--db", central, "bundles"])
            if k > 0 { remove(central) }
            return m
        }
        table.add("merge into an empty store", bundleChanges.changes, mergeEmpty)
        let emptyFloor = try layoutFloor("floor", rowsOf: "central.sqlite", merging: try folderFiles("bundles"), into: "floor.sqlite") {
            try runner.ok(["init", "--db", $0, "--device", "市巡察办", "--central"])
        }
        table.add("  SQLite alone, the rows it wrote", bundleChanges.changes, emptyFloor)

        // Half-full: the first half of the laptops' bundles are in the store before the timed merge.
        try runner.ok(["init", "--db", "half.sqlite", "--device", "区巡察办", "--central"])
        let bundleFiles = try FileManager.default.contentsOfDirectory(atPath: path("bundles"))
            .filter { $0.hasSuffix(".fbundle") }.sorted()
        let firstHalf = Array(bundleFiles.prefix(devices / 2)).map { "bundles/\($0)" }
        let secondHalf = Array(bundleFiles.dropFirst(devices / 2)).map { "bundles/\($0)" }
        try runner.ok(["merge", "--db", "half.sqlite"] + firstHalf)
        let secondChanges = try secondHalf.reduce(0) { $0 + (try BundleFile.open(path($1)).manifest.changes) }
        // Each run into a copy of that store.
        let mergeHalf = try median("half") { k in
            let copy = "half-\(k).sqlite"
            try StoreFiles.copy(path("half.sqlite"), to: path(copy))
            settle(storeFiles(copy) + secondHalf)
            let m = try runner.run(["merge", "--db", copy] + secondHalf)
            // The first run's store is what the floor below reads the merge's rows from.
            if k > 0 { remove(copy) }
            return m
        }
        table.add("merge into a half-full store", secondChanges, mergeHalf)
        let halfFloor = try layoutFloor("half floor", rowsOf: "half-0.sqlite", merging: secondHalf, into: "half-floor.sqlite") {
            try StoreFiles.copy(path("half.sqlite"), to: path($0))
        }
        remove("half-0.sqlite")
        table.add("  SQLite alone, the rows it wrote", secondChanges, halfFloor)

        // 4. Plain SQLite: the same change rows, upserted by key through one prepared statement.
        var plainRows = 0
        let plain = try median("plain") { _ in
            settle([])
            let upsert = try PlainSQLite.upsert(
                rowsFrom: path("central.sqlite"),
                into: path("plain.sqlite"))
            plainRows = upsert.rows
            return Measured(seconds: upsert.seconds, peakKB: 0)
        }
        table.add("plain SQLite upsert, same rows", plainRows, plain)
        // The roster import's floor (LayoutFloor), measured here, after the field work was recorded
        // in this process (whose peak memory is that step's figure), and shown under the import.
        // Its store made as the office's was, so that its own first changes are those the import found.
        let rosterFloor = try layoutFloor("roster floor", rowsOf: "office.sqlite", into: "roster-floor.sqlite") {
            try runner.ok(["init", "--db", $0, "--device", "巡察办", "--central", "--round", "五届第五轮"])
        }
        table.add("  SQLite alone, the rows it wrote", households, rosterFloor, after: "plain SQLite insert, same households")
        print(table.render())
        if runs > 1 { print("medians of \(runs) runs each (fastest–slowest): \(spreads.joined(separator: ", "))") }
        let plainRate = Double(plainRows) / plain.seconds
        let emptyRate = Double(bundleChanges.changes) / mergeEmpty.seconds
        let halfRate = Double(secondChanges) / mergeHalf.seconds
        print("")
        print("bundles: \(Fmt.bytes(bundleChanges.raw)) of change lines → \(Fmt.bytes(bundleChanges.compressed)) gzip (\(String(format: "%.1f", Double(bundleChanges.raw) / Double(bundleChanges.compressed)))× smaller)")
        print(String(format: "merge ÷ plain SQLite: %.2f× into an empty store (target ≥ 0.5×), %.2f× into a half-full one (target ≥ 0.4×)", emptyRate / plainRate, halfRate / plainRate))
        print(String(format: "the store's layout alone (SQLite writing the rows each merge wrote: its log, records and tally indexes): %.2f× plain SQLite into an empty store, %.2f× into the half-full one; each merge ÷ its floor: %.2f×, %.2f×",
                     Double(bundleChanges.changes) / emptyFloor.seconds / plainRate, Double(secondChanges) / halfFloor.seconds / plainRate,
                     emptyFloor.seconds / mergeEmpty.seconds, halfFloor.seconds / mergeHalf.seconds))
        print(String(format: "roster import ÷ plain SQLite insert of the same households: %.2f× (target ≥ 0.3×); the store's layout alone (SQLite writing the rows the import wrote): %.2f× plain SQLite; the import ÷ that floor: %.2f×",
                     plainRoster.seconds / rosterImport.seconds, plainRoster.seconds / rosterFloor.seconds, rosterFloor.seconds / rosterImport.seconds))
        print(String(format: "pack ÷ zlib level 6 on the same lines (%.0f MB/s alone): %.2f× (target ≥ 0.6×); verify ÷ inflate (%.0f MB/s alone): %.2f× (target ≥ 0.3×)",
                     Double(zlib.rawBytes) / zlib.deflateSeconds / 1e6, zlib.deflateSeconds / packTime,
                     Double(zlib.rawBytes) / zlib.inflateSeconds / 1e6, zlib.inflateSeconds / verify.seconds))
        print("peak memory of a merge: \(Fmt.mb(max(mergeEmpty.peakKB, mergeHalf.peakKB))) (target < 200 MB)")

        // 5. The office's tally of the merged store, whole process, three runs. The office has the
        // roster too (merged after the yardstick read the store's rows): a tally walks its
        // households and villages, which the laptops' bundles do not carry.
        try runner.ok(["merge", "--db", "central.sqlite", "roster"])
        settle(storeFiles("central.sqlite"))
        let tallies = try (0..<3).map { _ in try runner.run(["tally", "--db", "central.sqlite", "--by", "township"]).seconds }.sorted()
        let (villagesHeld, householdsHeld, visits, problems, clues) = try DatabaseQueue(path: path("central.sqlite")).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM village WHERE deleted = 0") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM household WHERE deleted = 0") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM visit WHERE deleted = 0") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM problem WHERE deleted = 0") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM problem WHERE deleted = 0 AND transferred_to IS NOT NULL") ?? 0)
        }
        print(String(format: "tally of the merged store (%@ villages, %@ households, %@ visits, %@ problems, %@ clues), fieldbook tally --by township: median %.2f s (target < 0.5 s)",
                     Fmt.int(villagesHeld), Fmt.int(householdsHeld), Fmt.int(visits), Fmt.int(problems), Fmt.int(clues), tallies[1]))

        // 6. One recording command on a laptop's store, process start to durable commit.
        settle(storeFiles("dev0.sqlite"))
        var times: [Double] = []
        let codes = (0..<31).map { Generator.householdCode(($0 * 7919) % households) }
        for code in codes {
            times.append(try runner.run(["visit", "--db", "dev0.sqlite", code, "--note", "基准测试"]).seconds * 1000)
        }
        times.sort()
        print(String(format: "recording command (fieldbook visit) on a store of %@ changes: median %.1f ms, slowest %.1f ms (target < 50 ms)",
                     Fmt.int(perDevice + households + 2 * villages / 30 + 31), times[times.count / 2], times.last!))

        // 7. Format 2 against format 1 on the same changes. Of the two copies made before step 3, the
        // f2 ones pin the office's key and are enrolled, and the office's signed roster bundle brings
        // them the trust list; the f1 ones stay as they were. Then each pair is packed in turn (the
        // order alternating), and each set merged twice, f1 f2 f2 f1, into empty office stores (the
        // f2 ones hold the office's keys and trust list, restored from its backup). Before each timed
        // step the disks are synced and the inputs read once, so neither format meets a colder cache
        // or the other's writes (timed once, after all the rest, format 2 read 1.00× to 1.35× of
        // format 1 in three runs of a million changes).
        try runner.ok(["keys", "export", "--db", "office.sqlite", "--out", "office.fbkey"])
        for d in 0..<devices {
            try runner.ok(["keys", "pin", "--db", "dev\(d)-f2.sqlite", "office.fbkey"])
            try runner.ok(["enroll", "--db", "dev\(d)-f2.sqlite", "--out", "requests"])
        }
        for request in try FileManager.default.contentsOfDirectory(atPath: path("requests")).sorted()
        where request.hasSuffix(".fbenroll") {
            try runner.ok(["devices", "enroll", "--db", "office.sqlite", "requests/\(request)", "--yes"])
        }
        try runner.ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster2"])
        for d in 0..<devices { try runner.ok(["merge", "--db", "dev\(d)-f2.sqlite", "roster2"]) }
        try "fieldbook-bench passphrase\n".write(toFile: path("passphrase.txt"), atomically: true, encoding: .utf8)
        try runner.ok(["keys", "backup", "--db", "office.sqlite", "--out", "office.fbkeys", "--passphrase-file", "passphrase.txt"])

        var packs = [Paired(), Paired()]
        for d in 0..<devices {
            for f in d % 2 == 0 ? [0, 1] : [1, 0] {
                let store = "dev\(d)-f\(f + 1).sqlite"
                StoreFiles.settle([store, store + "-wal"].map { path($0) })
                packs[f].add(try runner.run(["pack", "--db", store, "--out", "bundles-f\(f + 1)"]))
            }
        }
        let sets = try [1, 2].map { try Generator.bundleChanges(in: path("bundles-f\($0)")) }
        guard sets[0].format2 == 0, sets[1].format2 == devices, sets[0].changes == bundleChanges.changes, sets[1].changes == bundleChanges.changes else {
            throw BenchError("format 2 run: \(sets[1].format2) of \(devices) bundles signed, \(sets[1].changes) changes (format 1: \(sets[0].changes), step 3: \(bundleChanges.changes))")
        }
        var merges = [Paired(), Paired()]
        for (n, f) in [0, 1, 1, 0].enumerated() {
            let store = "central-f\(f + 1)-\(n).sqlite"
            try runner.ok(["init", "--db", store, "--device", "市巡察办", "--central"])
            if f == 1 { try runner.ok(["keys", "restore", "--db", store, "office.fbkeys", "--passphrase-file", "passphrase.txt"]) }
            let folder = path("bundles-f\(f + 1)")
            StoreFiles.settle(try FileManager.default.contentsOfDirectory(atPath: folder).map { (folder as NSString).appendingPathComponent($0) })
            merges[f].add(try runner.run(["merge", "--db", store, "bundles-f\(f + 1)"]))
            let merged = try DatabaseQueue(path: path(store)).read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE device_id IN (SELECT id FROM device WHERE role <> 'central')") ?? 0
            }
            guard merged == bundleChanges.changes else {
                throw BenchError("format \(f + 1) merge: \(merged) changes in the store, \(bundleChanges.changes) packed")
            }
            remove(store)
        }
        func line(_ label: String, _ one: String, _ two: String, _ r: Double, _ rest: String = "") -> String {
            label.padding(toLength: 29, withPad: " ", startingAt: 0)
                + "\(one) → \(two)".padding(toLength: 21, withPad: " ", startingAt: 0)
                + String(format: "%.3f× (target ≤ 1.10×)", r) + rest
        }
        func timed(_ label: String, _ p: [Paired]) -> String {
            line(label, String(format: "%.2f s", p[0].seconds), String(format: "%.2f s", p[1].seconds), p[1].seconds / p[0].seconds,
                 String(format: "  cpu %.3f×", p[1].cpu / p[0].cpu) + ", peak RSS \(Fmt.mb(p[0].peakKB)) → \(Fmt.mb(p[1].peakKB))")
        }
        print("")
        print("signed and encrypted (format 2) vs format 1, same \(Fmt.int(bundleChanges.changes)) changes (copies of the laptops' stores, timed in turn):")
        print(timed("  pack (\(devices) bundles)", packs))
        print(timed("  merge into an empty store", merges.map { $0.mean }) + " (mean of 2)")
        print(line("  bundle bytes", Fmt.bytes(sets[0].fileBytes), Fmt.bytes(sets[1].fileBytes),
                   Double(sets[1].fileBytes) / Double(sets[0].fileBytes)))
        print("\nmachine at the end: \(Machine.load())")
    }
}
