import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Attack on migration v12 (the change log without its JSON checks): a long differential fuzz of the
/// line reader against SQLite's JSON reader (and against the JSONDecoder every later reading of the
/// log uses). Runs `FIELDBOOK_LOGJSON_FUZZ_ROUNDS` rounds of 2,000 lines (default 30, the same
/// lines every run; a seed of its own in `FIELDBOOK_LOGJSON_FUZZ_SEED`, more rounds for a long run).
@Suite struct LogJSONAttackTests {
    /// SplitMix64 (SyncFixtures.swift), with a number below `n` and a pick from a list.
    struct RNG {
        var mix: SplitMix64
        init(state: UInt64) { mix = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { mix.next() }
        mutating func callAsFunction(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ a: [T]) -> T { a[self(a.count)] }
    }

    static let devices = ["91c64fe0-7a95-42b7-bab1-22973a4f2bea", "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"]

    /// A JSON spelling of one scalar inside a string body: raw, or any escape that means it.
    static func spell(_ s: Unicode.Scalar, _ r: inout RNG) -> String {
        let v = s.value
        var options: [String] = []
        switch s {
        case "\"": options = ["\\\""]
        case "\\": options = ["\\\\"]
        case "\n": options = ["\\n"]
        case "\r": options = ["\\r"]
        case "\t": options = ["\\t"]
        case "\u{08}": options = ["\\b"]
        case "\u{0C}": options = ["\\f"]
        case "/": options = ["/", "\\/"]
        default: if v >= 0x20 { options = [String(s)] }
        }
        if v < 0x10000 {
            options.append(String(format: "\\u%04x", v))
            options.append(String(format: "\\u%04X", v))
        } else {
            let x = v - 0x10000
            options.append(String(format: "\\u%04x\\u%04x", 0xD800 + (x >> 10), 0xDC00 + (x & 0x3FF)))
            options.append(String(format: "\\u%04X\\u%04x", 0xD800 + (x >> 10), 0xDC00 + (x & 0x3FF)))
        }
        return r.pick(options)
    }

    static let scalars: [Unicode.Scalar] =
        (0..<0x21).compactMap(Unicode.Scalar.init) + [
            "\"", "\\", "/", "a", "e", "0", ":", "{", "}", "[", "]", ",", "\u{7F}", "\u{80}", "\u{85}", "\u{A0}", "\u{AD}",
            "\u{2028}", "\u{2029}", "\u{3000}", "中", "村", "\u{FFFD}", "\u{FEFF}", "\u{FFFE}", "\u{FFFF}", "\u{D7FF}", "\u{E000}",
            "\u{1F600}", "\u{10FFFF}", "\u{0301}", "é",
        ]

    static func body(_ r: inout RNG, maxLen: Int = 10) -> String {
        var out = ""
        for _ in 0..<r(maxLen + 1) { out += spell(r.pick(scalars), &r) }
        return out
    }

    static func ws(_ r: inout RNG) -> String {
        r(3) != 0 ? "" : String((0..<(1 + r(3))).map { _ in r.pick([" ", "\t", "\r", "\n"] as [Character]) })
    }

    static let numbers = [
        "0", "-0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "1000000", "18", "3",
    ]

    static func name(_ r: inout RNG) -> String {
        let known = ["note", "_deleted", "household", "inspectors", "met", "copies", "date", "place", "round", "village", "topics",
                     "participants", "cadres", "summary", "source", "name", "status"]
        if r(3) == 0 { return body(&r, maxLen: 6) }
        let n = r.pick(known)
        if r(3) != 0 { return n }
        return String(n.unicodeScalars.map { r(2) == 0 ? String(format: "\\u%04x", $0.value) : String($0) }.joined())
    }

    static func value(_ r: inout RNG) -> String {
        switch r(5) {
        case 0: return "null"
        case 1: return r.pick(numbers)
        case 2, 3: return "\"" + body(&r, maxLen: 16) + "\""
        default:
            let items = (0..<r(4)).map { _ in ws(&r) + "\"" + body(&r, maxLen: 8) + "\"" + ws(&r) }
            return "[" + ws(&r) + items.joined(separator: ",") + "]"
        }
    }

    static func anyValue(_ r: inout RNG, depth: Int = 0) -> String {
        switch r(depth > 3 ? 4 : 7) {
        case 0: return "null"
        case 1: return r.pick(["true", "false", "1.5e-3", "-0.0", "1E+999", "0e0", "123456789012345678901234567890"])
        case 2: return r.pick(numbers)
        case 3: return "\"" + body(&r) + "\""
        case 4, 5:
            let n = r(3)
            return "{" + (0..<n).map { _ in ws(&r) + "\"" + body(&r, maxLen: 4) + "\"" + ws(&r) + ":" + ws(&r) + anyValue(&r, depth: depth + 1) }
                .joined(separator: ",") + ws(&r) + "}"
        default:
            return "[" + (0..<r(3)).map { _ in ws(&r) + anyValue(&r, depth: depth + 1) + ws(&r) }.joined(separator: ",") + "]"
        }
    }

    /// A line the reader is meant to take, spelled in every way JSON allows.
    static func line(_ r: inout RNG) -> String {
        var members: [String] = []
        func member(_ key: String, _ v: String) {
            let k = r(6) == 0 ? String(key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()) : key
            members.append(ws(&r) + "\"" + k + "\"" + ws(&r) + ":" + ws(&r) + v + ws(&r))
        }
        member("device", "\"" + r.pick(devices) + "\"")
        member("record", "\"019cac0f-2681-745a-86d6-404e8aa20a1\(r(10))\"")
        member("kind", "\"" + r.pick(RecordKind.allCases).rawValue + "\"")
        member("op", "\"" + r.pick(["create", "update", "delete"]) + "\"")
        member("seq", String(1 + r(1000)))
        member("hlc", r.pick(["0", "1", "281474976710655", "9223372036854775807"]))
        var names = Set<String>()
        var fields: [String] = []
        for _ in 0..<r(7) {
            let n = name(&r)
            guard names.insert(n).inserted else { continue }
            fields.append(ws(&r) + "\"" + n + "\"" + ws(&r) + ":" + ws(&r) + value(&r) + ws(&r))
        }
        member("fields", "{" + ws(&r) + fields.joined(separator: ",") + "}")
        if r(3) != 0 {
            var bnames = Set<String>()
            var base: [String] = []
            for _ in 0..<r(4) {
                let n = name(&r)
                guard bnames.insert(n).inserted else { continue }
                let versions = (0..<r(3)).map { _ in "\"" + r.pick(devices) + ":" + String(1 + r(99)) + "\"" }
                base.append(ws(&r) + "\"" + n + "\"" + ws(&r) + ":" + ws(&r) + "[" + versions.joined(separator: ",") + "]" + ws(&r))
            }
            member("base", "{" + ws(&r) + base.joined(separator: ",") + "}")
        }
        for _ in 0..<(r(4) == 0 ? 1 + r(2) : 0) { member("x" + body(&r, maxLen: 3), anyValue(&r)) }
        for k in stride(from: members.count - 1, to: 0, by: -1) { members.swapAt(k, r(k + 1)) }
        return ws(&r) + "{" + members.joined(separator: ",") + "}" + ws(&r)
    }

    static let alphabet: [[UInt8]] = {
        var pieces = [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "-", "+", ".", "e", "E", "0", "1", "9", "t", "f", "n", "u", "l",
            " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\\u", "\\ud800", "\\udc00", "\\u00", "\\x", "\\'", "null", "true",
            "1e999", "01", "-", "\"\"", "{}", "[]", "中", "\u{7F}", "\u{2028}", "\u{FEFF}", "\\u0000", "\\ud83d\\ude00",
            "\\uDBFF\\uDFFF", "\\ud800\\u0041", "-0", "9223372036854775808", "-9223372036854775809", "\u{85}", "\u{A0}",
            "\u{3000}", "\\/", "\\\"", "\\\\", "\":\"", "\",\"", "\"a\":1,", ",\"b\":null", "[\"x\"]", "\\U0041", "\\u+041",
            "\\u 041", "\\u004", "0x1", "Infinity", "NaN", "'", "\"_deleted\":0,", "\"no\\u0074e\":\"x\",",
        ].map { Array($0.utf8) }
        pieces += [[0x00], [0x01], [0x1F], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xE4, 0xB8], [0xEF, 0xBB, 0xBF],
                   [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80], [0xC2], [0x5C, 0x00]]
        return pieces
    }()

    static func mutate(_ original: [UInt8], _ r: inout RNG) -> [UInt8] {
        var bytes = original
        for _ in 0...r(4) {
            let at = r(bytes.count)
            let piece = r.pick(alphabet)
            switch r(5) {
            case 0: bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: piece)
            case 1: bytes.insert(contentsOf: piece, at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + r(4)))
            case 3:
                let end = min(bytes.count, at + 1 + r(12))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            default:
                // Flip one bit.
                if !bytes.isEmpty { bytes[at] ^= UInt8(1 << r(8)) }
            }
            if bytes.isEmpty { bytes = original }
        }
        return bytes
    }

    struct Taken {
        var line: [UInt8]
        var fields: String
        var base: String
        var values: [String: FieldValue]
        var replaced: [String: [VersionID]]
    }

    @Test func everyLineTheReaderTakesIsAnObjectToSQLiteAndReadsBackTheSame() throws {
        let rounds = Int(ProcessInfo.processInfo.environment["FIELDBOOK_LOGJSON_FUZZ_ROUNDS"] ?? "30") ?? 30
        var r = RNG(state: UInt64(ProcessInfo.processInfo.environment["FIELDBOOK_LOGJSON_FUZZ_SEED"] ?? "") ?? 0xC0FFEE)
        var tried = 0, generated = 0, generatedTaken = 0, mutatedTaken = 0, ruled = 0, checked = 0
        var escapedNames = 0
        var failures: [String] = []
        var pending: [Taken] = []
        let corpus = LogJSONTests.seeds.map { Array($0.utf8) }
        var pool: [[UInt8]] = corpus

        func flush() throws {
            let fields = try LogJSONTests.objects(pending.map(\.fields)), bases = try LogJSONTests.objects(pending.map(\.base))
            for (k, t) in pending.enumerated() {
                checked += 1
                if !fields[k] || !bases[k] {
                    failures.append("SQLite: \(String(decoding: t.line, as: UTF8.self).debugDescription) fields=\(t.fields.debugDescription) base=\(t.base.debugDescription)")
                }
                // Every later reading of the log (fold, resolve, status, pack's peer) uses JSONDecoder.
                let values = try? CanonicalJSON.decode([String: FieldValue].self, from: t.fields)
                let replaced = try? CanonicalJSON.decode([String: [VersionID]].self, from: t.base)
                if values != t.values || replaced != t.replaced {
                    failures.append("JSONDecoder: \(String(decoding: t.line, as: UTF8.self).debugDescription) -> \(String(describing: values)) / \(String(describing: replaced)), reader \(t.values) / \(t.replaced)")
                }
            }
            pending.removeAll(keepingCapacity: true)
        }

        for _ in 0..<rounds where failures.count < 20 {
            for _ in 0..<2_000 {
                let bytes: [UInt8]
                let fresh = r(4) == 0
                if fresh { bytes = Array(Self.line(&r).utf8); generated += 1 } else { bytes = Self.mutate(r.pick(pool), &r) }
                tried += 1
                let read = bytes.withUnsafeBytes { raw in Result { () throws(ChangeLineParser.Failure) in try ChangeLineParser.parse(raw) } }
                guard case .success(let line) = read else { continue }
                if fresh { generatedTaken += 1 } else { mutatedTaken += 1 }
                if line.fields.utf8.count != 0, !bytes.withUnsafeBytes({ raw in
                    String(decoding: raw, as: UTF8.self).contains(line.fields)
                }) { escapedNames += 1 }
                let judged = bytes.withUnsafeBytes { raw in LinePipeline.parse(raw, number: 1) }
                if case .line = judged { ruled += 1 }
                pending.append(Taken(line: bytes, fields: line.fields, base: line.base, values: line.values, replaced: line.replaced))
                // Taken lines seed further mutation.
                if pool.count < 4_000 { pool.append(bytes) } else { pool[r(pool.count)] = bytes }
            }
            try flush()
        }
        try flush()
        print("LogJSONAttack: tried \(tried) (generated \(generated), taken \(generatedTaken)); mutated taken \(mutatedTaken); also within ChangeRules \(ruled); checked in SQLite and JSONDecoder \(checked); fields re-encoded for escaped names \(escapedNames); failures \(failures.count)")
        for f in failures.prefix(20) { Issue.record(Comment(rawValue: f)) }
        #expect(failures.isEmpty)
    }

    /// Hostile but sound spellings, merged for real into an office whose log has no JSON checks:
    /// every row it holds afterwards is an object to SQLite, reads back through JSONDecoder, and
    /// packs into a line the reader takes again (what the office's next bundle carries).
    @Test func hostileSpellingsMergedIntoTheLogStayObjects() throws {
        let office = try HostileOffice()
        let w = office.world
        let device = RecordID.derived(.visit, key: "logjson-attack/device")
        var changes: [CraftedChange] = []
        func visit(_ extra: String, fieldsPrefix: String = "", base: String = "{}", op: String = "create", record: String? = nil) {
            let seq = Int64(changes.count + 1)
            let id = record ?? RecordID.derived(.visit, key: "logjson-attack/\(seq)")
            let known = #""date":"2026-11-20","follow_up":null,"household":"\#(w.household)","inspectors":["张三"],"issues":null,"met":"户主本人","round":"\#(w.round)""#
            let fields = op == "create" ? "{" + fieldsPrefix + known + extra + "}" : "{" + fieldsPrefix + extra + "}"
            let line = #"{"base":\#(base),"device":"\#(device)","fields":\#(fields),"hlc":\#(HostileWorld.baseHLC + seq),"kind":"visit","op":"\#(op)","record":"\#(id)","seq":\#(seq)}"#
            var c = CraftedChange(device: device, seq: seq, hlc: HostileWorld.baseHLC + seq, kind: .visit, record: id, fields: Obj())
            c.bytes = Array(line.utf8)
            changes.append(c)
        }
        // An escaped name (the fields re-encoded) beside a NUL, a lone-looking pair and odd scalars.
        visit(#","no\u0074e":"a\/c\ud83d\ude00\u2028\t\n","x\u005fy":"\ud800\udc00\u00e9e\u0301","_deleted":0"#)
        // Raw (kept as spelled): U+2028, BOM, DEL, NEL, NBSP in names and values; -0; the ends of Int64.
        visit(",\"k2\":\"v\u{A0}\u{3000}\u{FFFF}\u{2028}\u{FEFF}\u{10FFFF}\",\"zero\":-0,\"min\":-9223372036854775808,\"max\":9223372036854775807,\"_deleted\":0,\"memo\":\"\\ud83d\\ude00\\u2029\"")
        // JSON's four whitespaces everywhere inside fields (no LF: it ends a line).
        visit(",\r\t \"note\"\r:\t\"x\"\t\r,\"_deleted\" :0 ,\"tags\":[ \"a\" ,\r\"\\\"\" ]\t", fieldsPrefix: "\r\t ")
        // Unknown members nested 31 deep beside the line's, and a 200 KB text.
        let deep = String(repeating: "[", count: 31) + String(repeating: "]", count: 31)
        visit(",\"_deleted\":0,\"long\":\"" + String(repeating: "长", count: 3_999) + "\"")
        let deepLine = String(decoding: changes.last!.line, as: UTF8.self).replacingOccurrences(of: "{\"base\"", with: "{\"zz\":\(deep),\"base\"")
        changes[changes.count - 1].bytes = Array(deepLine.utf8)
        // An edit whose base names fields with escapes and spaces.
        let first = changes[0].record
        visit(#""_deleted":0,"n\u006Fte":"edited""#, base: "{ \"n\\u006fte\" : [ \"\(device):1\" ] ,\r\"_deleted\":[\"\(device):1\"] }", op: "update", record: first)

        var spec = CraftSpec(packer: CraftDevice(id: device, name: "攻击笔记本", team: "第九巡察组"), changes: changes, bundleID: RecordID.derived(.visit, key: "logjson-attack/bundle"))
        spec.round = .str("五届第五轮")
        let path = office.dir.path("logjson.fbundle")
        try Data(spec.bytes()).write(to: URL(fileURLWithPath: path))
        let outcome = office.store.merge(bundleAt: path)
        #expect(outcome.status == .merged, "\(outcome.status)")
        try office.store.dbQueue.read { db in
            let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'") ?? ""
            #expect(!definition.contains("json_"))
            let rows = try Row.fetchAll(db, sql: "SELECT device_id, seq, hlc, kind, record_id, op, fields, base, json_valid(fields) AND json_type(fields) = 'object' AS f, json_valid(base) AND json_type(base) = 'object' AS b FROM change")
            #expect(rows.count > 20)
            var mine = 0
            for row in rows {
                let f: Bool = row["f"], b: Bool = row["b"]
                #expect(f && b, "\(String(describing: row))")
                _ = try Store.change(from: row)
                var line: [UInt8] = []
                Store.appendLine(row, to: &line)
                let again = line.withUnsafeBytes { LinePipeline.parse($0, number: 1) }
                if case .refused(let why) = again { Issue.record("packed line refused: \(why) \(String(decoding: line, as: UTF8.self).prefix(300))") }
                if (row["device_id"] as String) == device { mine += 1 }
            }
            #expect(mine == changes.count)
        }
        let record = try office.store.record(id: first)
        #expect(record.values["note"] == .text("edited"))
        _ = try office.store.statusReport()
        _ = try office.store.conflicts()
        #expect(try office.integrity() == "ok")
    }
}
