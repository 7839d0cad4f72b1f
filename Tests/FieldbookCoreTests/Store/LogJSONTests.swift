import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Migration v12 takes the change log's JSON checks off its definition: SQLite no longer reads each
/// change's `fields` and `base` a second time as it is written. Every text the log takes has been
/// read whole by the rules of what a change is: a bundle's line by the line reader, a laptop's own
/// change as ``CanonicalJSON`` writes it. These tests hold that whatever either lets through is a
/// JSON object to SQLite too, so the checks taken off refused nothing the rules let through.
@Suite struct LogJSONTests {
    /// Whether SQLite reads each text as a JSON object (`json_type` throws on what is not JSON).
    static func objects(_ texts: [String]) throws -> [Bool] {
        let queue = try DatabaseQueue()
        return try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END")
            return try texts.map { try Bool.fetchOne(statement, arguments: [$0]) ?? false }
        }
    }

    static let device = "91c64fe0-7a95-42b7-bab1-22973a4f2bea"

    /// Lines the reader takes, each with something a mutation can break in its own way: escapes,
    /// lists, numbers, Chinese text, a base of versions, a name spelled with an escape.
    static let seeds: [String] = [
        #"{"base":{},"device":"\#(device)","fields":{"_deleted":0,"copies":3,"date":"2026-03-02","place":"村委会公示栏","round":"b59547ce-8428-89ec-a757-8de5f8332a13","village":"30df5349-87e9-8292-be73-b9a2f7b0ca54"},"hlc":1,"kind":"notice","op":"create","record":"019cac0f-2681-745a-86d6-404e8aa20a17","seq":1}"#,
        #"{"base":{"note":["\#(device):7","0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f:12"]},"device":"\#(device)","fields":{"inspectors":["张三","李四"],"met":null,"note":"反映\"低保\"评定\\不透明\n\t\u00e9\ud83d\ude00"},"hlc":281474976710655,"kind":"visit","op":"update","record":"019cac0f-2681-745a-86d6-404e8aa20a17","seq":9}"#,
        #"{ "seq" : 2 , "hlc" : 0 , "op" : "create" , "kind" : "forum" , "record" : "019cac0f-2681-745a-86d6-404e8aa20a18" , "device" : "\#(device)" , "base" : { } , "fields" : { "participants" : 18 , "cadres" : -0 , "topics" : [ ] , "no\u0074e" : "" , "date" : "2026-11-20" } }"#,
        #"{"device":"\#(device)","seq":3,"hlc":5,"kind":"problem","op":"delete","record":"019cac0f-2681-745a-86d6-404e8aa20a19","fields":{"_deleted":1},"base":{"_deleted":[]},"extra":{"a":[1,2.5e-3,true,false,null,{"b":"\u0000"}]}}"#,
    ]

    /// Bytes a mutation writes: JSON's own, and what JSON refuses or readers disagree on.
    static let alphabet: [[UInt8]] = {
        var pieces = [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "-", "+", ".", "e", "E", "0", "1", "9", "t", "f", "n", "u", "l",
            " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\\u", "\\ud800", "\\udc00", "\\u00", "\\x", "\\'", "null", "true",
            "1e999", "01", "-", "\"\"", "{}", "[]", "中", "\u{7F}", "\u{2028}", "\u{FEFF}",
        ].map { Array($0.utf8) }
        pieces += [[0x00], [0x01], [0x1F], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xE4, 0xB8]]
        return pieces
    }()

    /// Every line the reader takes from tens of thousands of mutations of the seeds (bytes
    /// replaced, inserted, removed, pieces repeated) has `fields` and `base` that SQLite reads as
    /// objects.
    @Test func everyTextTheLineReaderTakesIsAnObjectToSQLite() throws {
        var seed: UInt64 = 0x5DEE_CE66_D1CE_4E5B
        func random(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        var taken: [(fields: String, base: String)] = []
        var tried = 0
        for line in Self.seeds {
            let original = Array(line.utf8)
            for _ in 0..<12_000 {
                var bytes = original
                for _ in 0...random(3) {
                    let at = random(bytes.count)
                    let piece = Self.alphabet[random(Self.alphabet.count)]
                    switch random(4) {
                    case 0: bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: piece)
                    case 1: bytes.insert(contentsOf: piece, at: at)
                    case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random(4)))
                    default:
                        let end = min(bytes.count, at + 1 + random(12))
                        bytes.insert(contentsOf: bytes[at..<end], at: at)
                    }
                    if bytes.isEmpty { bytes = original }
                }
                tried += 1
                let read = bytes.withUnsafeBytes { raw in Result { () throws(ChangeLineParser.Failure) in try ChangeLineParser.parse(raw) } }
                if case .success(let change) = read { taken.append((change.fields, change.base)) }
            }
        }
        // Enough of them taken, and different enough, for the property to say something.
        #expect(taken.count > 2_000, "\(taken.count) of \(tried) taken")
        #expect(Set(taken.map(\.fields)).count > 1_000)
        let fields = try Self.objects(taken.map(\.fields)), bases = try Self.objects(taken.map(\.base))
        for (k, text) in taken.enumerated() {
            #expect(fields[k], "fields \(text.fields.debugDescription)")
            #expect(bases[k], "base \(text.base.debugDescription)")
        }
        // And what the reader refuses, SQLite may take: the rules are the stricter reading.
        #expect(try Self.objects([#"{"a":{"b":true}}"#, #"{"a":1.5}"#]) == [true, true])
    }

    /// A laptop's own changes: every value a field may hold, written by CanonicalJSON, is an
    /// object to SQLite, control characters, quotes, backslashes and every plane of Unicode in it.
    @Test func everyTextCanonicalJSONWritesIsAnObjectToSQLite() throws {
        var seed: UInt64 = 0x2545_F491_4F6C_DD1D
        func random(_ n: Int) -> Int {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return Int(seed % UInt64(n))
        }
        let scalars: [Unicode.Scalar] = (0..<0x30).compactMap(Unicode.Scalar.init) + ["\"", "\\", "/", "\u{7F}", "\u{80}", "\u{2028}", "中", "\u{FFFD}", "\u{FEFF}", "\u{1F600}", "\u{10FFFF}"]
        func text() -> String {
            var s = String.UnicodeScalarView()
            for _ in 0..<random(12) { s.append(scalars[random(scalars.count)]) }
            return String(s)
        }
        var texts: [String] = []
        for _ in 0..<3_000 {
            var fields: [String: FieldValue] = [:]
            for _ in 0..<random(6) {
                switch random(4) {
                case 0: fields[text()] = .null
                case 1: fields[text()] = .int([Int64.min, Int64.max, 0, -1, Int64(random(1 << 30))][random(5)])
                case 2: fields[text()] = .text(text())
                default: fields[text()] = .list((0..<random(4)).map { _ in text() })
                }
            }
            texts.append(CanonicalJSON.encode(fields))
            var base: [String: [VersionID]] = [:]
            for _ in 0..<random(3) {
                base[text()] = (0..<random(3)).map { _ in VersionID(device: Self.device, seq: Int64(1 + random(99))) }
            }
            texts.append(CanonicalJSON.encode(base))
        }
        #expect(try Self.objects(texts).allSatisfy { $0 })
    }

    /// A new store's log, and the log of a store of every earlier release once opened, has the
    /// same definition: its other checks as they were, no JSON check.
    @Test(arguments: ReleaseMigrationTests.releases)
    func theLogOfEveryReleaseIsDefinedWithoutJSONChecks(_ release: String) throws {
        let dir = TemporaryDirectory("migration-v12")
        let fresh = try makeOfficeStore(in: dir, name: "new.sqlite")
        let expected = try fresh.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'") }
        let path = try StoreFixture(release).copy("office.sqlite", to: dir)
        let before = try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'") }
        #expect(before?.contains("json_type(fields) = 'object'") == true)
        let store = try Store.open(at: path)
        let after = try store.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'") }
        #expect(after == expected)
        #expect(after.map { !$0.contains("json_") } == true)
        // The release before v12: the same definition, less its two JSON checks.
        if release == ReleaseMigrationTests.releases.last { #expect(after == before.map(Schema.rewriteJSONChecks)) }
        // The checks left still refuse what they refused.
        #expect(after?.contains("record_id GLOB '????????-????-????-????-????????????'") == true)
        #expect(after?.contains("CHECK (typeof(seq) = 'integer' AND seq >= 1)") == true)
        let integrity = try store.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        #expect(try logTakes(queue, device: Self.device, record: "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b", kind: "visit", op: "create"))
        #expect(try !logTakes(queue, device: Self.device, record: "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5", kind: "visit", op: "create"))
    }
}

/// A change whose text fieldbook never writes (the store file changed by hand, now that the log's
/// definition no longer parses it): reading it names the store's file and the change and says what
/// happened, in fieldbook's words, not Foundation's. Also a value set as bytes (a database
/// browser's "import as blob", `X'…'` in `sqlite3`), which the log's TEXT column keeps as a blob:
/// one that is not UTF-8 is named the same, not a crash in GRDB's reading of it as a String.
@Suite struct HandEditedLogTests {
    @Test(arguments: ["fields", "base"], ["'[]'", "X'7B80FF7D'"])
    func aChangeChangedByHandIsNamed(_ column: String, _ value: String) throws {
        let dir = TemporaryDirectory("hand-edited")
        let store = try makeOfficeStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG001", "note": "原记录"])
        let (device, seq) = try store.dbQueue.write { db in
            try db.execute(sql: "UPDATE change SET \(column) = \(value) WHERE record_id = ?", arguments: [visit.id])
            let row = try #require(try Row.fetchOne(db, sql: "SELECT device_id, seq FROM change WHERE record_id = ?", arguments: [visit.id]))
            return (row["device_id"] as String, row["seq"] as Int64)
        }
        let expected = FieldbookError.alteredStore(
            path: store.path, reason: "change \(seq) of device \(device) holds \(column) that fieldbook never writes")
        #expect(throws: expected) { _ = try store.history(visit.id) }
        #expect(throws: expected) { _ = try store.edit(visit.id, set: [("note", "再改")]) }
        #expect(expected.exitCode == 74)
    }
}

extension HandEditedLogTests {
    /// A bundle that brings again a change the store holds changed by hand (as bytes): the merge
    /// says the store was changed outside fieldbook, as the store's failure, not the bundle's
    /// and not a crash in reading the stored change to compare it.
    @Test func aMergeMeetingAChangeChangedByHandSaysSo() throws {
        let dir = TemporaryDirectory("hand-edited-merge")
        let office = try makeOfficeStore(in: dir)
        let roster = try #require(try office.pack(into: dir.path("roster"), scope: .roster)).path
        let laptop = try makeLaptop(in: dir, name: "笔记本A", clock: FixedEnvironment(seed: 5))
        #expect(laptop.merge(bundleAt: roster).status == .merged)
        let visit = try laptop.record(.visit, ["household": "DG001", "note": "原记录"])
        let first = try #require(try laptop.pack(into: dir.path("stick1"))).path
        #expect(office.merge(bundleAt: first).status == .merged)
        let (device, seq) = try office.dbQueue.write { db in
            try db.execute(sql: "UPDATE change SET fields = X'7B80FF7D' WHERE record_id = ?", arguments: [visit.id])
            let row = try #require(try Row.fetchOne(db, sql: "SELECT device_id, seq FROM change WHERE record_id = ?", arguments: [visit.id]))
            return (row["device_id"] as String, row["seq"] as Int64)
        }
        let again = try #require(try laptop.pack(into: dir.path("stick2"), scope: .all)).path
        let outcome = office.merge(bundleAt: again)
        guard case .storeFailed(let error) = outcome.status else {
            Issue.record("\(outcome.status)")
            return
        }
        #expect(error == .alteredStore(path: office.path, reason: "change \(seq) of device \(device) holds fields that fieldbook never writes"))
    }
}
