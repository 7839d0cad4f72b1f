import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Two laptops and an office, as three stores driven through the binary: bundles on sticks that get
/// copied twice and truncated, merged in every order.
@Suite("Bundles between two laptops and an office")
struct SyncEndToEndTests {
    /// The office hands out the roster; laptops A and B record, swap a bundle in the field, edit one
    /// record concurrently, and pack. Returns the sandbox and the laptops' bundle paths.
    func fieldDay() throws -> (Sandbox, [String]) {
        let s = Sandbox()
        s.write("roster.csv", sampleRosterCSV)
        try s.ok("init", "--db", "office.sqlite", "--device", "巡察办", "--central", "--round", "五届第五轮")
        try s.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "from-office")
        for (db, name, who) in [("a.sqlite", "笔记本A", "张三"), ("b.sqlite", "笔记本B", "王五")] {
            try s.ok("init", "--db", db, "--device", name, "--team", "第一巡察组", "--round", "五届第五轮", "--inspectors", who)
            try s.ok("merge", "--db", db, "from-office")
        }
        let visit = try s.record("visit", "--db", "a.sqlite", "DG001", "--note", "初访").id
        try s.record("visit", "--db", "a.sqlite", "DG002")
        try s.record("forum", "--db", "a.sqlite", "新华社区", "--participants", "15")
        try s.ok("pack", "--db", "a.sqlite", "--out", "stick-a")
        try s.ok("merge", "--db", "b.sqlite", "stick-a")  // a teammate's bundle, in the field
        try s.ok("edit", "--db", "a.sqlite", visit, "--set", "note=户主外出，家属接待")
        try s.ok("edit", "--db", "b.sqlite", visit, "--set", "note=户主在家", "--set", "met=户主本人")
        let notice = try s.record("notice", "--db", "b.sqlite", "西河村", "--copies", "2", "--place", "村口").id
        try s.record("visit", "--db", "b.sqlite", "GC002")
        try s.ok("delete", "--db", "b.sqlite", notice)
        try s.ok("pack", "--db", "a.sqlite", "--out", "stick-a")
        try s.ok("pack", "--db", "b.sqlite", "--out", "stick-b")
        let bundles = try ["stick-a", "stick-b"].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: s.path(folder)).sorted().map { "\(folder)/\($0)" }
        }
        #expect(bundles.count == 3)
        return (s, bundles)
    }

    /// What a person sees of a store: every record and every conflict.
    func view(_ s: Sandbox, _ db: String) throws -> String {
        try s.ok("list", "--db", db, "--json", "--include-deleted") + (try s.ok("conflicts", "--db", db, "--json"))
    }

    @Test("every order of the bundles gives the office the same store")
    func everyOrder() throws {
        let (s, bundles) = try fieldDay()
        var views: Set<String> = []
        for (n, order) in permutations(bundles).enumerated() {
            let db = "central-\(n).sqlite"
            try s.ok("init", "--db", db, "--device", "巡察办\(n)", "--central")
            let merged = try s.ok(["merge", "--db", db] + order)
            #expect(merged.contains("0 rejected"), "\(merged)")
            // Merging the same bundles again changes nothing.
            let before = try view(s, db)
            let again = try s.ok(["merge", "--db", db] + order)
            #expect(again.contains("0 merged, 3 already merged"), "\(again)")
            #expect(try view(s, db) == before)
            views.insert(before)
        }
        #expect(views.count == 1)
        let conflicts = try s.ok("conflicts", "--db", "central-0.sqlite")
        #expect(conflicts.contains("note: kept"), "\(conflicts)")
        #expect(conflicts.contains("overwritten"), "\(conflicts)")
        #expect(conflicts.contains("户主外出，家属接待") && conflicts.contains("户主在家"), "\(conflicts)")
    }

    @Test("a duplicated and a truncated stick: the copy is already merged, the cut one rejected, the rest merge")
    func duplicatedAndTruncatedStick() throws {
        let (s, bundles) = try fieldDay()
        try FileManager.default.createDirectory(atPath: s.path("stick"), withIntermediateDirectories: true)
        for bundle in bundles {
            try FileManager.default.copyItem(atPath: s.path(bundle), toPath: s.path("stick/" + (bundle as NSString).lastPathComponent))
        }
        let first = (bundles[0] as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: s.path(bundles[0]), toPath: s.path("stick/copy of \(first)"))
        let whole = try #require(s.contents(bundles[2]))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: s.path("stick/cut.fbundle")))

        let verify = try s.run("verify", "stick")
        #expect(verify.status == 65, "\(verify)")
        #expect(verify.stderr.contains("cut.fbundle: is truncated"), "\(verify)")

        let merge = try s.run("merge", "--db", "office.sqlite", "stick")
        #expect(merge.status == 65, "\(merge)")
        // Whichever of the two copies comes first merges; the other is already merged.
        let copies = merge.stdout.split(separator: "\n").filter { $0.contains(first) }
        #expect(copies.count == 2, "\(merge)")
        #expect(copies.filter { $0.hasPrefix("already merged  ") }.count == 1, "\(merge)")
        #expect(merge.stdout.contains("rejected        cut.fbundle: is truncated"), "\(merge)")
        #expect(merge.stdout.contains("3 merged, 1 already merged, 1 rejected, of 5 bundles."), "\(merge)")
        #expect(merge.stderr.split(separator: "\n").count == 1, "\(merge)")

        // The office hands everything back out; after one exchange all three stores are identical.
        try s.ok("pack", "--db", "office.sqlite", "--out", "from-office-2")
        for db in ["a.sqlite", "b.sqlite"] {
            try s.ok("merge", "--db", db, "from-office-2")
        }
        try s.ok("pack", "--db", "a.sqlite", "--out", "last-a")
        try s.ok("merge", "--db", "b.sqlite", "last-a")
        let office = try view(s, "office.sqlite")
        #expect(try view(s, "a.sqlite") == office)
        #expect(try view(s, "b.sqlite") == office)
        let status = try s.ok("status", "--db", "office.sqlite")
        #expect(status.contains("笔记本A") && status.contains("笔记本B"), "\(status)")
        #expect(!status.contains("missing"), "\(status)")
    }

    @Test("kill -9 in the middle of a merge leaves the store as it was; merging again finishes it")
    func killDuringMerge() throws {
        let s = Sandbox()
        let count = 120_000
        let bundle = try Self.bigBundle(into: s.path("big"), visits: count)
        try s.ok("init", "--db", "office.sqlite", "--device", "巡察办", "--central")
        let before = try s.ok("list", "--db", "office.sqlite", "--json", "--include-deleted")

        let binary = try #require(FieldbookBinary.url)
        var killedMidway = false
        for delay in [0.4, 0.8, 1.6] where !killedMidway {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["merge", "--db", s.path("office.sqlite"), bundle]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidway = true
            }
            process.waitUntilExit()
            if killedMidway {
                #expect(process.terminationReason == .uncaughtSignal)
                // The store opens, holds what it held, and says so.
                #expect(try s.ok("list", "--db", "office.sqlite", "--json", "--include-deleted") == before)
                let status = try s.ok("status", "--db", "office.sqlite")
                // However wide the table (it grows with the kinds it lists), the visits' live count is 0.
                #expect(status.contains(#/visits 入户走访 +0 +0\n/#), "\(status)")
            }
        }
        try #require(killedMidway, "every merge finished before it could be killed; nothing was tested")
        // The merge had set the tally's indexes aside; the commands above opened the store and built
        // them again (no merge runs: the one that announced itself is gone).
        #expect(try Self.tallyIndexes(s.path("office.sqlite")) == Self.allTallyIndexes)
        let merged = try s.ok("merge", "--db", "office.sqlite", bundle)
        #expect(merged.contains("1 merged"), "\(merged)")
        let status = try s.ok("status", "--db", "office.sqlite")
        #expect(status.contains("visits 入户走访  \(count)") || status.contains("\(count)"), "\(status)")
        #expect(try s.ok("merge", "--db", "office.sqlite", bundle).contains("already merged"))
    }

    @Test("a merge big enough to set the tally's indexes aside gives the records and tally of one that kept them")
    func bigMergeSetsIndexesAside() throws {
        let s = Sandbox()
        let bundle = try Self.bigBundle(into: s.path("big"), visits: Store.tallyIndexesAsideFrom + 100)
        try s.ok("init", "--db", "aside.sqlite", "--device", "巡察办", "--central")
        try s.ok("init", "--db", "kept.sqlite", "--device", "巡察办", "--central")
        // The binary sets them aside; the library's merge of one bundle keeps them up to date.
        let merged = try s.ok("merge", "--db", "aside.sqlite", bundle)
        #expect(merged.contains("1 merged") && !merged.contains("!"), "\(merged)")
        let kept = try Store.open(at: s.path("kept.sqlite"))
        #expect(kept.merge(bundleAt: bundle).status == .merged)
        #expect(try Self.tallyIndexes(s.path("aside.sqlite")) == Self.allTallyIndexes)
        // The visits' index was dropped and built again (both parts: four changes of the schema), at
        // a new split, the table's end; the others kept. The library's merge left every visit after
        // the split a new store has.
        func schemaVersion(_ db: String) throws -> Int {
            try DatabaseQueue(path: s.path(db)).read { try Int.fetchOne($0, sql: "PRAGMA schema_version") ?? 0 }
        }
        #expect(try schemaVersion("aside.sqlite") == schemaVersion("kept.sqlite") + 4)
        func split(_ db: String) throws -> Int64? {
            try DatabaseQueue(path: s.path(db)).read { Store.tallySplit(.visit, try Store.tallyIndexDefinitions($0)) }
        }
        #expect(try split("kept.sqlite") == 0)
        #expect(try split("aside.sqlite") == Int64(Store.tallyIndexesAsideFrom + 100))
        func tally(_ db: String) throws -> String {
            try s.ok("tally", "--db", db, "--format", "json").split(separator: "\n").filter { !$0.contains("generated_at") }.joined(separator: "\n")
        }
        #expect(try tally("aside.sqlite") == tally("kept.sqlite"))
        #expect(try s.ok("list", "--db", "aside.sqlite", "--json") == s.ok("list", "--db", "kept.sqlite", "--json"))
    }

    static let allTallyIndexes = Schema.tallyIndexes.map(\.name).sorted()

    /// The tally indexes a store holds, read without opening it as a store (which builds missing ones).
    static func tallyIndexes(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_tally' ESCAPE '\\' ORDER BY name")
        }
    }

    /// A bundle of `visits` visit creates from one made-up laptop, written with the real writer.
    static func bigBundle(into folder: String, visits: Int) throws -> String {
        let device = "0f0e0d0c-0b0a-4908-8706-050403020100"
        let round = RecordID.round("五届第五轮")
        let household = RecordID.household(code: "DG001")
        let start: Int64 = 1_795_222_800_000 << 16
        func line(_ i: Int) -> String {
            let record = String(format: "01a1fb9e-%04x-7000-8000-%012x", i >> 16, i)
            return "{\"base\":{},\"device\":\"\(device)\",\"fields\":{\"_deleted\":0,\"date\":\"2026-11-21\",\"follow_up\":null,\"household\":\"\(household)\",\"inspectors\":[\"张三\"],\"issues\":null,\"met\":null,\"note\":\"第\(i)户走访记录\",\"round\":\"\(round)\"},\"hlc\":\(start + Int64(i)),\"kind\":\"visit\",\"op\":\"create\",\"record\":\"\(record)\",\"seq\":\(i + 1)}"
        }
        return try BundleWriter.write(
            directory: folder, fileName: "big.fbundle",
            lines: { emit in for i in 0..<visits { try Array(line(i).utf8).withUnsafeBytes { try emit($0) } } },
            manifest: { summary in
                BundleManifest(
                    format: 1, bundleID: "01a1fb9e-0000-7000-8000-00000000b166", createdAt: "2026-11-21T01:00:00Z",
                    createdHLC: start + Int64(visits), device: .init(id: device, name: "笔记本Z", team: nil, role: "field"),
                    round: "五届第五轮", scope: "changes",
                    devices: [.init(id: device, name: "笔记本Z", team: nil, role: "field", firstSeq: 1, lastSeq: Int64(visits), count: visits)],
                    counts: ["visit": visits], changes: visits, minHLC: start, maxHLC: start + Int64(visits - 1),
                    payload: .init(encoding: "jsonl", compression: "gzip", rawSize: summary.rawSize,
                                   compressedSize: summary.compressedSize, sha256: summary.sha256),
                    encryption: nil, signature: nil)
            }).path
    }
}

func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[T]] in
        var rest = items
        let head = rest.remove(at: i)
        return permutations(rest).map { [head] + $0 }
    }
}
