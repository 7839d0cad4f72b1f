/// One payload line, read and checked: the change's identity and kind as values, its `fields` and
/// `base` objects as JSON text to hand to SQLite.
struct ChangeLine {
    var device: String
    var seq: Int64
    var hlc: Int64
    var kind: RecordKind
    var record: String
    var op: ChangeOp
    var fields: String
    var base: String
    /// Top-level members of `fields`, the tombstone flag included.
    var fieldCount: Int
    /// `fields` read into values, for the rules every change meets (ChangeRules).
    var values: [String: FieldValue]
    /// `base` read into versions.
    var replaced: [String: [VersionID]]

    var version: VersionID { VersionID(device: device, seq: seq) }
}

/// Reads change lines: a strict JSON (RFC 8259) reader that checks the whole line, keeps the nested
/// `fields` and `base` objects as text, and never builds a tree, so a merge reads a million lines
/// fast and in bounded memory. Members it does not know are checked and skipped: a newer writer may
/// add some.
enum ChangeLineParser {
    struct Failure: Error {
        var reason: String
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> ChangeLine {
        var reader = Reader(bytes: bytes.bindMemory(to: UInt8.self))
        return try reader.line()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        /// Whether the last string read held an escape.
        var lastStringEscaped = false
        /// Whether a name in `fields` was spelled with an escape (`"no\u0074e"`).
        var fieldNameEscaped = false

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func line() throws(Failure) -> ChangeLine {
            var device: String?, record: String?, kind: RecordKind?, op: ChangeOp?
            var seq: Int64?, hlc: Int64?
            var fields: (Int, Int, Int)?, base: (Int, Int, Int)?
            var values: [String: FieldValue] = [:], replaced: [String: [VersionID]] = [:]
            skipSpace()
            try expect(UInt8(ascii: "{"))
            skipSpace()
            var seen = Set<String>()
            if peek() == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipSpace()
                    let key = try string()
                    guard seen.insert(key).inserted else { throw Failure(reason: tr("has the member \"\(key)\" twice")) }
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    switch key {
                    case "device": device = try uuid(key)
                    case "record": record = try uuid(key)
                    case "kind":
                        let text = try string()
                        guard let k = RecordKind(rawValue: text) else { throw Failure(reason: tr("has an unknown kind \"\(text)\"")) }
                        kind = k
                    case "op":
                        let text = try string()
                        guard let o = ChangeOp(rawValue: text) else { throw Failure(reason: tr("has an unknown operation \"\(text)\"")) }
                        op = o
                    case "seq": seq = try integer(key)
                    case "hlc": hlc = try integer(key)
                    case "fields":
                        let start = i
                        values = try fieldsObject()
                        fields = (start, i, values.count)
                    case "base":
                        let start = i
                        replaced = try baseObject()
                        base = (start, i, replaced.count)
                    default: try value(depth: 0)
                    }
                    skipSpace()
                    guard let c = next() else { throw Failure(reason: tr("ends inside an object")) }
                    if c == UInt8(ascii: "}") { break }
                    guard c == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or \("}") at byte \(i))")) }
                }
            }
            skipSpace()
            guard i == bytes.count else { throw Failure(reason: tr("has text after its closing brace")) }
            guard let device, let record, let kind, let op, let seq, let hlc, let fields else {
                let missing = [("device", device == nil), ("record", record == nil), ("kind", kind == nil), ("op", op == nil),
                               ("seq", seq == nil), ("hlc", hlc == nil), ("fields", fields == nil)]
                    .filter(\.1).map(\.0)
                throw Failure(reason: tr("lacks \(missing.joined(separator: ", "))"))
            }
            guard seq >= 1 else { throw Failure(reason: tr("has sequence number \(seq); they start at 1")) }
            guard hlc >= 0 else { throw Failure(reason: tr("has a negative clock")) }
            // SQLite's json_extract looks field names up as spelled: a name spelled with an escape
            // would read as missing there, and as itself everywhere else. Such fields are stored as
            // this reader reads them.
            return ChangeLine(
                device: device, seq: seq, hlc: hlc, kind: kind, record: record, op: op,
                fields: fieldNameEscaped ? CanonicalJSON.encode(values) : text(fields.0, fields.1), base: base.map { text($0.0, $0.1) } ?? "{}", fieldCount: fields.2,
                values: values, replaced: replaced)
        }

        /// `fields`: an object of field name → null, a whole number, text, or a list of text.
        mutating func fieldsObject() throws(Failure) -> [String: FieldValue] {
            guard next() == UInt8(ascii: "{") else { throw Failure(reason: tr("has fields that is not an object")) }
            var values: [String: FieldValue] = [:]
            skipSpace()
            if peek() == UInt8(ascii: "}") { i += 1; return values }
            while true {
                skipSpace()
                let name = try string()
                if lastStringEscaped { fieldNameEscaped = true }
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                let value = try fieldValue(name)
                guard values.updateValue(value, forKey: name) == nil else {
                    throw Failure(reason: tr("has the field \"\(name.prefix(64))\" twice"))
                }
                skipSpace()
                guard let c = next() else { throw Failure(reason: tr("ends inside an object")) }
                if c == UInt8(ascii: "}") { return values }
                guard c == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or \("}") at byte \(i - 1))")) }
            }
        }

        mutating func fieldValue(_ name: String) throws(Failure) -> FieldValue {
            let field = name.prefix(64)
            switch peek() {
            case UInt8(ascii: "\""): return .text(try string())
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "["):
                i += 1
                var items: [String] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") { i += 1; return .list(items) }
                while true {
                    skipSpace()
                    guard peek() == UInt8(ascii: "\"") else {
                        throw Failure(reason: tr("has field \(field) with a list that holds something other than text"))
                    }
                    items.append(try string())
                    guard items.count <= ChangeRules.listItems else {
                        throw Failure(reason: tr("has field \(field) with a list of more than \(ChangeRules.listItems) items"))
                    }
                    skipSpace()
                    guard let d = next() else { throw Failure(reason: tr("ends inside an array")) }
                    if d == UInt8(ascii: "]") { return .list(items) }
                    guard d == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or ] at byte \(i - 1))")) }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                try value(depth: 0)
                throw Failure(reason: tr("has field \(field) whose value is an object or true/false; a value is null, a whole number, text or a list of text"))
            default:
                let start = i
                try number()
                guard let n = Int64(text(start, i)) else {
                    throw Failure(reason: tr("has field \(field) with the number \(text(start, min(i, start + 40))), which is not a whole number from \(Int64.min) to \(Int64.max)"))
                }
                return .int(n)
            }
        }

        /// `base`: an object of field name → list of versions `DEVICE:SEQ`.
        mutating func baseObject() throws(Failure) -> [String: [VersionID]] {
            guard next() == UInt8(ascii: "{") else { throw Failure(reason: tr("has base that is not an object")) }
            var result: [String: [VersionID]] = [:]
            skipSpace()
            if peek() == UInt8(ascii: "}") { i += 1; return result }
            while true {
                skipSpace()
                let name = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                guard next() == UInt8(ascii: "[") else { throw Failure(reason: tr("has base.\(name.prefix(64)) that is not a list of versions")) }
                var versions: [VersionID] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") {
                    i += 1
                } else {
                    while true {
                        skipSpace()
                        guard peek() == UInt8(ascii: "\"") else { throw Failure(reason: tr("has base.\(name.prefix(64)) holding something other than a version")) }
                        let text = try string()
                        guard let version = VersionID(text), ChangeRules.isID(version.device), version.seq >= 1 else {
                            throw Failure(reason: tr("has a base version \"\(text.prefix(80))\" that is not DEVICE:SEQ"))
                        }
                        versions.append(version)
                        guard versions.count <= ChangeRules.baseVersions else {
                            throw Failure(reason: tr("has base.\(name.prefix(64)) naming more than \(ChangeRules.baseVersions) versions"))
                        }
                        skipSpace()
                        guard let d = next() else { throw Failure(reason: tr("ends inside an array")) }
                        if d == UInt8(ascii: "]") { break }
                        guard d == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or ] at byte \(i - 1))")) }
                    }
                }
                guard result.updateValue(versions, forKey: name) == nil else {
                    throw Failure(reason: tr("has base.\(name.prefix(64)) twice"))
                }
                skipSpace()
                guard let c = next() else { throw Failure(reason: tr("ends inside an object")) }
                if c == UInt8(ascii: "}") { return result }
                guard c == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or \("}") at byte \(i - 1))")) }
            }
        }

        func text(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func next() -> UInt8? {
            guard i < bytes.count else { return nil }
            defer { i += 1 }
            return bytes[i]
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws(Failure) {
            let at = i
            guard next() == c else {
                if at >= bytes.count {
                    throw Failure(reason: at == 0 ? tr("is empty") : tr("ends where \(Character(Unicode.Scalar(c))) should be"))
                }
                throw Failure(reason: tr("is not valid JSON (expected \(Character(Unicode.Scalar(c))) at byte \(at))"))
            }
        }

        mutating func uuid(_ key: String) throws(Failure) -> String {
            let s = try string()
            guard s.utf8.count == 36, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D })
            else { throw Failure(reason: tr("has a \(key) id that is not a lowercase UUID")) }
            return s
        }

        mutating func integer(_ key: String) throws(Failure) -> Int64 {
            let start = i
            try number()
            guard let n = Int64(text(start, i)) else { throw Failure(reason: tr("has a \(key) that is not a whole number")) }
            return n
        }

        /// Checks one JSON value; for an object, returns its member count.
        @discardableResult
        mutating func value(depth: Int) throws(Failure) -> Int {
            guard depth < 32 else { throw Failure(reason: tr("nests too deeply")) }
            guard let c = peek() else { throw Failure(reason: tr("ends where a value should be")) }
            switch c {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if peek() == UInt8(ascii: "}") { i += 1; return 0 }
                var count = 0
                while true {
                    skipSpace()
                    _ = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    try value(depth: depth + 1)
                    count += 1
                    skipSpace()
                    guard let d = next() else { throw Failure(reason: tr("ends inside an object")) }
                    if d == UInt8(ascii: "}") { return count }
                    guard d == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or \("}") at byte \(i - 1))")) }
                }
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                if peek() == UInt8(ascii: "]") { i += 1; return 0 }
                while true {
                    skipSpace()
                    try value(depth: depth + 1)
                    skipSpace()
                    guard let d = next() else { throw Failure(reason: tr("ends inside an array")) }
                    if d == UInt8(ascii: "]") { return 0 }
                    guard d == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or ] at byte \(i - 1))")) }
                }
            case UInt8(ascii: "\""):
                _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
            return 0
        }

        mutating func literal(_ word: String) throws(Failure) {
            for expected in word.utf8 {
                guard next() == expected else { throw Failure(reason: tr("is not valid JSON (bad literal at byte \(i - 1))")) }
            }
        }

        mutating func number() throws(Failure) {
            let start = i
            if peek() == UInt8(ascii: "-") { i += 1 }
            guard let first = peek(), first >= 0x30 && first <= 0x39 else {
                throw Failure(reason: tr("is not valid JSON (bad value at byte \(start))"))
            }
            i += 1
            if first != 0x30 { while let d = peek(), d >= 0x30 && d <= 0x39 { i += 1 } }
            if peek() == UInt8(ascii: ".") {
                i += 1
                guard let d = peek(), d >= 0x30 && d <= 0x39 else { throw Failure(reason: tr("is not valid JSON (bad number at byte \(start))")) }
                while let d = peek(), d >= 0x30 && d <= 0x39 { i += 1 }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                i += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
                guard let d = peek(), d >= 0x30 && d <= 0x39 else { throw Failure(reason: tr("is not valid JSON (bad number at byte \(start))")) }
                while let d = peek(), d >= 0x30 && d <= 0x39 { i += 1 }
            }
        }

        /// A JSON string: escapes and UTF-8 checked. Returns its text (escapes decoded).
        mutating func string() throws(Failure) -> String {
            guard next() == UInt8(ascii: "\"") else { throw Failure(reason: tr("is not valid JSON (expected a string at byte \(i - 1))")) }
            let start = i
            let base = bytes.baseAddress!
            let count = bytes.count
            var j = i
            var escaped = false
            var ascii = true
            // One tight loop over the bytes: this is where a merge spends its parsing time.
            while true {
                guard j < count else { throw Failure(reason: tr("ends inside a string")) }
                let c = base[j]
                if c == 0x22 { break }
                if c == 0x5C {
                    escaped = true
                    guard j + 1 < count else { throw Failure(reason: tr("ends inside a string")) }
                    let e = base[j + 1]
                    switch e {
                    case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                        j += 2
                    case 0x75:
                        guard j + 5 < count else { throw Failure(reason: tr("ends inside a string")) }
                        for k in (j + 2)...(j + 5) {
                            let h = base[k]
                            guard (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                                throw Failure(reason: tr("has a bad \\u escape"))
                            }
                        }
                        j += 6
                    default: throw Failure(reason: tr("has a bad escape in a string"))
                    }
                    continue
                }
                if c < 0x20 { throw Failure(reason: tr("has a control character inside a string")) }
                if c >= 0x80 { ascii = false }
                j += 1
            }
            i = j + 1
            lastStringEscaped = escaped
            let raw = UnsafeBufferPointer(start: base + start, count: j - start)
            if !escaped {
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let s = String(validating: raw, as: UTF8.self) else { throw Failure(reason: tr("is not UTF-8 text")) }
                return s
            }
            guard String(validating: raw, as: UTF8.self) != nil else { throw Failure(reason: tr("is not UTF-8 text")) }
            guard let text = Self.unescape(raw) else {
                throw Failure(reason: tr("has a \\u escape that is half of a surrogate pair (not a character)"))
            }
            return text
        }

        /// The text of a JSON string's body; nil when a `\u` escape is a lone surrogate.
        static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
            var scalars = String.UnicodeScalarView()
            var utf8 = Array(raw)
            var k = 0
            var plain: [UInt8] = []
            func flush() {
                if !plain.isEmpty { scalars.append(contentsOf: String(decoding: plain, as: UTF8.self).unicodeScalars); plain.removeAll() }
            }
            while k < utf8.count {
                let c = utf8[k]
                if c != UInt8(ascii: "\\") { plain.append(c); k += 1; continue }
                flush()
                let e = utf8[k + 1]
                k += 2
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    let hex = String(decoding: utf8[k..<(k + 4)], as: UTF8.self)
                    k += 4
                    var value = UInt32(hex, radix: 16) ?? 0xFFFD
                    if (0xD800..<0xDC00).contains(value), k + 6 <= utf8.count, utf8[k] == UInt8(ascii: "\\"), utf8[k + 1] == UInt8(ascii: "u"),
                        let low = UInt32(String(decoding: utf8[(k + 2)..<(k + 6)], as: UTF8.self), radix: 16), (0xDC00..<0xE000).contains(low)
                    {
                        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        k += 6
                    }
                    guard let scalar = Unicode.Scalar(value) else { return nil }
                    scalars.append(scalar)
                default: scalars.append(Unicode.Scalar(e))
                }
            }
            flush()
            utf8 = []
            return String(scalars)
        }
    }
}
