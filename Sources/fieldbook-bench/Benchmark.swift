import ArgumentParser
import FieldbookCore
import Foundation
import GRDB

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
        let households = villages * 10
        print("Fieldbook benchmark: \(Fmt.int(changes)) changes on \(devices) laptops; roster of \(Fmt.int(villages)) villages, \(Fmt.int(households)) households")
        print("machine: \(Machine.describe())")
        print("work folder: \(work)\n")
        var table = Table()

        // 1. The roster, imported at the office and handed out as a bundle.
        let roster = (work as NSString).appendingPathComponent("roster.csv")
        try Generator.writeRoster(to: roster, villages: villages)
        try runner.ok(["init", "--db", "office.sqlite", "--device", "巡察办", "--central", "--round", "五届第五轮"])
        let rosterImport = try runner.run(["roster", "import", "--db", "office.sqlite", roster])
        table.add("roster import (office)", households, rosterImport)
        try runner.ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster"])

        // 2. Field work on each laptop, recorded through the store in batches.
        let perDevice = changes / devices
        var generated = 0.0
        for d in 0..<devices {
            let name = "dev\(d)"
            try runner.ok(["init", "--db", "\(name).sqlite", "--device", "笔记本\(d + 1)", "--team", "第\(d / 2 + 1)组", "--round", "五届第五轮"])
            try runner.ok(["merge", "--db", "\(name).sqlite", "roster"])
            let store = try Store.open(at: (work as NSString).appendingPathComponent("\(name).sqlite"))
            let start = Date()
            try Generator.recordFieldWork(store, count: perDevice - 3, seed: UInt64(d), villages: villages)
            generated += Date().timeIntervalSince(start)
        }
        // The same stores, copied before any pack, for the signed and encrypted run (step 7).
        for d in 0..<devices {
            try StoreFiles.copy((work as NSString).appendingPathComponent("dev\(d).sqlite"),
                                to: (work as NSString).appendingPathComponent("dev\(d)-f2.sqlite"))
        }
        table.add("record in batches (in process)", perDevice * devices, Measured(seconds: generated, peakKB: Machine.peakKB()))

        // 3. Pack, verify, merge: the binary, as users run it.
        var packTime = 0.0, packPeak = 0
        for d in 0..<devices {
            let m = try runner.run(["pack", "--db", "dev\(d).sqlite", "--out", "bundles"])
            packTime += m.seconds
            packPeak = max(packPeak, m.peakKB)
        }
        let bundleChanges = try Generator.bundleChanges(in: (work as NSString).appendingPathComponent("bundles"))
        table.add("pack (\(devices) bundles)", bundleChanges.changes, Measured(seconds: packTime, peakKB: packPeak))
        table.add("verify (no store)", bundleChanges.changes, try runner.run(["verify", "bundles"]))
        try runner.ok(["init", "--db", "central.sqlite", "--device", "市巡察办", "--central"])
        let mergeEmpty = try runner.run(["merge", "--db", "central.sqlite", "bundles"])
        table.add("merge into an empty store", bundleChanges.changes, mergeEmpty)

        // Half-full: the first half of the laptops' bundles are in the store before the timed merge.
        try runner.ok(["init", "--db", "half.sqlite", "--device", "区巡察办", "--central"])
        let bundleFiles = try FileManager.default.contentsOfDirectory(atPath: (work as NSString).appendingPathComponent("bundles"))
            .filter { $0.hasSuffix(".fbundle") }.sorted()
        let firstHalf = Array(bundleFiles.prefix(devices / 2)).map { "bundles/\($0)" }
        let secondHalf = Array(bundleFiles.dropFirst(devices / 2)).map { "bundles/\($0)" }
        try runner.ok(["merge", "--db", "half.sqlite"] + firstHalf)
        let secondChanges = try secondHalf.reduce(0) { $0 + (try BundleFile.open((work as NSString).appendingPathComponent($1)).manifest.changes) }
        let mergeHalf = try runner.run(["merge", "--db", "half.sqlite"] + secondHalf)
        table.add("merge into a half-full store", secondChanges, mergeHalf)

        // 4. Plain SQLite: the same change rows, upserted by key through one prepared statement.
        let plain = try PlainSQLite.upsert(
            rowsFrom: (work as NSString).appendingPathComponent("central.sqlite"),
            into: (work as NSString).appendingPathComponent("plain.sqlite"))
        table.add("plain SQLite upsert, same rows", plain.rows, Measured(seconds: plain.seconds, peakKB: 0))
        print(table.render())
        let plainRate = Double(plain.rows) / plain.seconds
        let emptyRate = Double(bundleChanges.changes) / mergeEmpty.seconds
        let halfRate = Double(secondChanges) / mergeHalf.seconds
        print("")
        print("bundles: \(Fmt.bytes(bundleChanges.raw)) of change lines → \(Fmt.bytes(bundleChanges.compressed)) gzip (\(String(format: "%.1f", Double(bundleChanges.raw) / Double(bundleChanges.compressed)))× smaller)")
        print(String(format: "merge ÷ plain SQLite: %.2f× into an empty store, %.2f× into a half-full one (target ≥ 0.8×)", emptyRate / plainRate, halfRate / plainRate))
        print("peak memory of a merge: \(Fmt.mb(max(mergeEmpty.peakKB, mergeHalf.peakKB))) (target < 200 MB)")

        // 5. The office's tally of the merged store, whole process, three runs.
        let tallies = try (0..<3).map { _ in try runner.run(["tally", "--db", "central.sqlite", "--by", "township"]).seconds }.sorted()
        let visits = try DatabaseQueue(path: (work as NSString).appendingPathComponent("central.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM visit WHERE deleted = 0") ?? 0
        }
        print(String(format: "tally of the merged store (%@ villages, %@ households, %@ visits), fieldbook tally --by township: median %.2f s",
                     Fmt.int(villages), Fmt.int(households), Fmt.int(visits), tallies[1]))

        // 6. One recording command on a laptop's store, process start to durable commit.
        var times: [Double] = []
        let codes = (0..<31).map { Generator.householdCode(($0 * 7919) % households) }
        for code in codes {
            times.append(try runner.run(["visit", "--db", "dev0.sqlite", code, "--note", "基准测试"]).seconds * 1000)
        }
        times.sort()
        print(String(format: "recording command (fieldbook visit) on a store of %@ changes: median %.1f ms, slowest %.1f ms",
                     Fmt.int(perDevice + households + 2 * villages / 30 + 31), times[times.count / 2], times.last!))

        // 7. Format 2 on the same changes: the copies made before step 3 pin the office's key and are
        // enrolled; the office's signed roster bundle brings them the trust list. Then pack (timed),
        // and merge into an empty office store that holds the office's keys and trust list (timed).
        try runner.ok(["keys", "export", "--db", "office.sqlite", "--out", "office.fbkey"])
        for d in 0..<devices {
            try runner.ok(["keys", "pin", "--db", "dev\(d)-f2.sqlite", "office.fbkey"])
            try runner.ok(["enroll", "--db", "dev\(d)-f2.sqlite", "--out", "requests"])
        }
        for request in try FileManager.default.contentsOfDirectory(atPath: (work as NSString).appendingPathComponent("requests")).sorted()
        where request.hasSuffix(".fbenroll") {
            try runner.ok(["devices", "enroll", "--db", "office.sqlite", "requests/\(request)", "--yes"])
        }
        try runner.ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster2"])
        for d in 0..<devices { try runner.ok(["merge", "--db", "dev\(d)-f2.sqlite", "roster2"]) }
        try "fieldbook-bench passphrase\n".write(toFile: (work as NSString).appendingPathComponent("passphrase.txt"), atomically: true, encoding: .utf8)
        try runner.ok(["keys", "backup", "--db", "office.sqlite", "--out", "office.fbkeys", "--passphrase-file", "passphrase.txt"])
        try runner.ok(["init", "--db", "central2.sqlite", "--device", "市巡察办", "--central"])
        try runner.ok(["keys", "restore", "--db", "central2.sqlite", "office.fbkeys", "--passphrase-file", "passphrase.txt"])

        var pack2Time = 0.0, pack2Peak = 0
        for d in 0..<devices {
            let m = try runner.run(["pack", "--db", "dev\(d)-f2.sqlite", "--out", "bundles2"])
            pack2Time += m.seconds
            pack2Peak = max(pack2Peak, m.peakKB)
        }
        let bundles2 = try Generator.bundleChanges(in: (work as NSString).appendingPathComponent("bundles2"))
        guard bundles2.format2 == devices, bundles2.changes == bundleChanges.changes else {
            throw BenchError("format 2 run: \(bundles2.format2) of \(devices) bundles signed, \(bundles2.changes) changes (format 1: \(bundleChanges.changes))")
        }
        let merge2 = try runner.run(["merge", "--db", "central2.sqlite", "bundles2"])
        let merged2 = try DatabaseQueue(path: (work as NSString).appendingPathComponent("central2.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE device_id IN (SELECT id FROM device WHERE role <> 'central')") ?? 0
        }
        guard merged2 == bundleChanges.changes else {
            throw BenchError("format 2 merge: \(merged2) changes in the store, \(bundleChanges.changes) packed")
        }
        func ratio(_ label: String, _ one: String, _ two: String, _ r: Double, _ peaks: String = "") -> String {
            label.padding(toLength: 29, withPad: " ", startingAt: 0)
                + "\(one) → \(two)".padding(toLength: 21, withPad: " ", startingAt: 0)
                + String(format: "%.3f× (target ≤ 1.10×)", r) + peaks
        }
        print("")
        print("signed and encrypted (format 2) vs format 1, same \(Fmt.int(bundleChanges.changes)) changes:")
        print(ratio("  pack (\(devices) bundles)", String(format: "%.2f s", packTime), String(format: "%.2f s", pack2Time),
                    pack2Time / packTime, "   peak RSS \(Fmt.mb(packPeak)) → \(Fmt.mb(pack2Peak))"))
        print(ratio("  merge into an empty store", String(format: "%.2f s", mergeEmpty.seconds), String(format: "%.2f s", merge2.seconds),
                    merge2.seconds / mergeEmpty.seconds, "   peak RSS \(Fmt.mb(mergeEmpty.peakKB)) → \(Fmt.mb(merge2.peakKB))"))
        print(ratio("  bundle bytes", Fmt.bytes(bundleChanges.fileBytes), Fmt.bytes(bundles2.fileBytes),
                    Double(bundles2.fileBytes) / Double(bundleChanges.fileBytes)))
    }
}
