import Foundation

/// One payload line, read and checked: the change's identity and kind as values, its `fields` and
/// `base` objects as JSON text to hand to SQLite. A class: lines are handed between threads and
/// on to the caller, and a reference is one count to keep, not one per string.
final class ChangeLine: Sendable {
    let device: String
    let seq: Int64
    let hlc: Int64
    let kind: RecordKind
    let record: String
    let op: ChangeOp
    /// `fields` and `base` as the line spells them (empty when read without texts: see
    /// ``ChangeLineParser/parse(_:previous:texts:)``).
    let fields: String
    let base: String
    /// `fields` read into values, in the line's order, each with its place in its kind's fields:
    /// for the rules every change meets (ChangeRules) and a bundle's (BundleChecks).
    let entries: [LineField]
    /// `base` read into versions.
    let replaced: [String: [VersionID]]
    /// The record id as ``BundleChecks``' key, worked out on the thread that parsed the line.
    let recordKey: BundleChecks.RecordKey
    /// Each list among `entries`, in their order, as its column holds it (canonical JSON), worked
    /// out on the thread that parsed the line (empty when read without texts): what a merge's
    /// writer binds to the record's row.
    let listTexts: [String]

    init(
        device: String, seq: Int64, hlc: Int64, kind: RecordKind, record: String, op: ChangeOp, fields: String, base: String,
        entries: [LineField], replaced: [String: [VersionID]], withListTexts: Bool = false
    ) {
        self.device = device
        self.seq = seq
        self.hlc = hlc
        self.kind = kind
        self.record = record
        self.op = op
        self.fields = fields
        self.base = base
        self.entries = entries
        self.replaced = replaced
        self.recordKey = BundleChecks.RecordKey(record)
        self.listTexts = !withListTexts ? [] : entries.compactMap { entry in
            guard case .list(let items) = entry.value else { return nil }
            return CanonicalJSON.encode(items)
        }
    }

    /// Top-level members of `fields`, the tombstone flag included.
    var fieldCount: Int { entries.count }

    /// `fields` read into values (names are distinct: the reader refuses a name given twice).
    var values: [String: FieldValue] { Self.values(entries) }

    static func values(_ entries: [LineField]) -> [String: FieldValue] {
        Dictionary(entries.lazy.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value of the field `name`, if the change writes it.
    func value(_ name: String) -> FieldValue? { entries.first { $0.name == name }?.value }

    var version: VersionID { VersionID(device: device, seq: seq) }
}

/// One member of a change's `fields`: its name, where its kind defines it, and its value.
struct LineField {
    /// ``spec`` of the tombstone flag ``deletedField``.
    static var deleted: Int { -2 }
    /// ``spec`` of a name the change's kind does not define.
    static var undefined: Int { -1 }

    var name: String
    /// The place of the field in its kind's ``RecordKind/fields``, or ``deleted`` or ``undefined``.
    var spec: Int
    var value: FieldValue

    init(name: String, spec: Int, value: FieldValue) {
        self.name = name
        self.spec = spec
        self.value = value
    }

    /// A field of a change of `kind` named `name`.
    init(_ kind: RecordKind, name: String, value: FieldValue) {
        self.name = name
        self.spec = name == deletedField ? Self.deleted : kind.fieldIndex(name) ?? Self.undefined
        self.value = value
    }
}

/// Reads change lines: a strict JSON (RFC 8259) reader that checks the whole line, keeps the nested
/// `fields` and `base` objects as text, and never builds a tree, so a merge reads a million lines
/// fast and in bounded memory. Members it does not know are checked and skipped: a newer writer may
/// add some.
enum ChangeLineParser {
    struct Failure: Error {
        var reason: String
    }

    /// Reads one line. `previous`, a line read before on this thread, lends its device id when
    /// this line's is the same (lines of one device come in runs): one string less to make.
    /// `texts` false leaves `fields` and `base` empty, for a reader that stores nothing: every
    /// check is the same.
    static func parse(_ bytes: UnsafeRawBufferPointer, previous: ChangeLine? = nil, texts: Bool = true) throws(Failure) -> ChangeLine {
        var reader = Reader(bytes: bytes.bindMemory(to: UInt8.self))
        reader.previousDevice = previous?.device
        reader.previousEntries = previous?.entries ?? []
        reader.texts = texts
        return try reader.line()
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        /// Whether the last string read held an escape.
        var lastStringEscaped = false
        /// Whether a name in `fields` was spelled with an escape (`"no\u0074e"`).
        var fieldNameEscaped = false
        /// The device id of a line read before, to use again when this line's is the same.
        var previousDevice: String?
        /// The fields of a line read before: a text spelled as the one at the same place there is
        /// that text again (a round's id, a date, a stock phrase), not a new string.
        var previousEntries: [LineField] = []
        /// Whether the line keeps its `fields` and `base` text.
        var texts = true
        let table = FieldNames.table

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func line() throws(Failure) -> ChangeLine {
            var device: String?, record: String?, kind: RecordKind?, op: ChangeOp?
            var seq: Int64?, hlc: Int64?
            var fields: (Int, Int)?, base: (Int, Int)?
            var entries: [LineField] = [], replaced: [String: [VersionID]] = [:]
            skipSpace()
            try expect(UInt8(ascii: "{"))
            skipSpace()
            // The members this reader knows, as bits of `Member`; others by name.
            var seenMembers: UInt8 = 0
            var seenOthers: Set<String>?
            if peek() == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipSpace()
                    let (member, other) = try memberName()
                    if let member {
                        guard seenMembers & (1 << member.rawValue) == 0 else {
                            throw Failure(reason: tr("has the member \"\(member.name)\" twice"))
                        }
                        seenMembers |= 1 << member.rawValue
                    } else {
                        if seenOthers == nil { seenOthers = [] }
                        guard seenOthers!.insert(other).inserted else { throw Failure(reason: tr("has the member \"\(other)\" twice")) }
                    }
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    switch member {
                    case .device: device = try uuid("device", same: previousDevice)
                    case .record: record = try uuid("record")
                    case .kind:
                        let raw = try scanString()
                        if !raw.escaped, let k = table.kind(UnsafeBufferPointer(rebasing: bytes[raw.start..<raw.end])) {
                            kind = k
                        } else {
                            let text = try makeString(raw)
                            guard let k = RecordKind(rawValue: text) else { throw Failure(reason: tr("has an unknown kind \"\(text)\"")) }
                            kind = k
                        }
                    case .op:
                        let raw = try scanString()
                        if !raw.escaped, let o = Self.op(UnsafeBufferPointer(rebasing: bytes[raw.start..<raw.end])) {
                            op = o
                        } else {
                            let text = try makeString(raw)
                            guard let o = ChangeOp(rawValue: text) else { throw Failure(reason: tr("has an unknown operation \"\(text)\"")) }
                            op = o
                        }
                    case .seq: seq = try integer("seq")
                    case .hlc: hlc = try integer("hlc")
                    case .fields:
                        let start = i
                        entries = try fieldsObject()
                        fields = (start, i)
                    case .base:
                        let start = i
                        replaced = try baseObject()
                        base = (start, i)
                    case nil: try value(depth: 0)
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
            // Each name's place in this kind's fields: the kind may come after the fields.
            for k in entries.indices where entries[k].spec >= 0 {
                let id = entries[k].spec
                entries[k].spec = id == FieldNames.deleted ? LineField.deleted : kind.fieldIndex(nameID: id) ?? LineField.undefined
            }
            // SQLite's json_extract looks field names up as spelled: a name spelled with an escape
            // would read as missing there, and as itself everywhere else. Such fields are stored as
            // this reader reads them.
            return ChangeLine(
                device: device, seq: seq, hlc: hlc, kind: kind, record: record, op: op,
                fields: !texts ? "" : fieldNameEscaped ? CanonicalJSON.encode(ChangeLine.values(entries)) : text(fields.0, fields.1),
                base: !texts ? "" : base.map { text($0.0, $0.1) } ?? "{}", entries: entries, replaced: replaced,
                withListTexts: texts)
        }

        /// The members of a change line this reader knows.
        enum Member: UInt8 {
            case device, record, kind, op, seq, hlc, fields, base

            var name: String {
                switch self {
                case .device: "device"
                case .record: "record"
                case .kind: "kind"
                case .op: "op"
                case .seq: "seq"
                case .hlc: "hlc"
                case .fields: "fields"
                case .base: "base"
                }
            }

            init?(_ b: UnsafeBufferPointer<UInt8>) {
                func eq(_ word: StaticString) -> Bool {
                    word.utf8CodeUnitCount == b.count && memcmp(word.utf8Start, b.baseAddress!, b.count) == 0
                }
                switch b.count {
                case 2 where eq("op"): self = .op
                case 3 where eq("seq"): self = .seq
                case 3 where eq("hlc"): self = .hlc
                case 4 where eq("kind"): self = .kind
                case 4 where eq("base"): self = .base
                case 6 where eq("device"): self = .device
                case 6 where eq("record"): self = .record
                case 6 where eq("fields"): self = .fields
                default: return nil
                }
            }
        }

        /// The operation spelled by exactly these bytes.
        static func op(_ b: UnsafeBufferPointer<UInt8>) -> ChangeOp? {
            guard b.count == 6 else { return nil }
            func eq(_ word: StaticString) -> Bool { memcmp(word.utf8Start, b.baseAddress!, 6) == 0 }
            return eq("create") ? .create : eq("update") ? .update : eq("delete") ? .delete : nil
        }

        /// A member's name: one this reader knows, or the text of another.
        mutating func memberName() throws(Failure) -> (Member?, String) {
            let raw = try scanString()
            if !raw.escaped && raw.ascii {
                let bytes = UnsafeBufferPointer(rebasing: self.bytes[raw.start..<raw.end])
                if let member = Member(bytes) { return (member, "") }
                return (nil, String(decoding: bytes, as: UTF8.self))
            }
            let text = try makeString(raw)
            var utf8 = text
            return (utf8.withUTF8 { Member($0) }, text)
        }

        /// A name in `fields`, with its ``FieldNames`` id (or ``LineField/undefined``).
        mutating func fieldName() throws(Failure) -> (String, Int) {
            let raw = try scanString()
            if !raw.escaped && raw.ascii {
                let bytes = UnsafeBufferPointer(rebasing: self.bytes[raw.start..<raw.end])
                if let id = table.id(bytes) { return (table.names[id], id) }
                return (String(decoding: bytes, as: UTF8.self), LineField.undefined)
            }
            let text = try makeString(raw)
            return (text, FieldNames.id(text) ?? LineField.undefined)
        }

        /// `fields`: an object of field name → null, a whole number, text, or a list of text. Each
        /// entry's `spec` is its name's ``FieldNames`` id (or ``LineField/undefined``) until the
        /// kind is known.
        mutating func fieldsObject() throws(Failure) -> [LineField] {
            guard next() == UInt8(ascii: "{") else { throw Failure(reason: tr("has fields that is not an object")) }
            var entries: [LineField] = []
            skipSpace()
            if peek() == UInt8(ascii: "}") { i += 1; return entries }
            entries.reserveCapacity(12)
            // Names known to some kind, as bits of their ids; others by name.
            var known: (UInt64, UInt64) = (0, 0)
            var others: Set<String>?
            while true {
                skipSpace()
                let (name, id) = try fieldName()
                if lastStringEscaped { fieldNameEscaped = true }
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                let k = entries.count
                let value = try fieldValue(name, same: k < previousEntries.count && previousEntries[k].name == name ? previousEntries[k].value : nil)
                let twice: Bool
                if id >= 0 && id < 128 {
                    let bit: UInt64 = 1 << UInt64(id & 63)
                    if id < 64 {
                        twice = known.0 & bit != 0
                        known.0 |= bit
                    } else {
                        twice = known.1 & bit != 0
                        known.1 |= bit
                    }
                } else {
                    if others == nil { others = [] }
                    twice = !others!.insert(name).inserted
                }
                guard !twice else { throw Failure(reason: tr("has the field \"\(name.prefix(64))\" twice")) }
                entries.append(LineField(name: name, spec: id, value: value))
                skipSpace()
                guard let c = next() else { throw Failure(reason: tr("ends inside an object")) }
                if c == UInt8(ascii: "}") { return entries }
                guard c == UInt8(ascii: ",") else { throw Failure(reason: tr("is not valid JSON (expected , or \("}") at byte \(i - 1))")) }
            }
        }

        /// A value in `fields`; `same`, a value the text is likely to repeat, is returned when it does.
        mutating func fieldValue(_ name: String, same: FieldValue? = nil) throws(Failure) -> FieldValue {
            var field: Substring { name.prefix(64) }
            switch peek() {
            case UInt8(ascii: "\""):
                let raw = try scanString()
                let count = raw.end - raw.start
                // The same bytes as a string already read (and checked): that string.
                if !raw.escaped, count > 0, case .text(var text)? = same, text.utf8.count == count,
                    text.withUTF8({ memcmp($0.baseAddress!, bytes.baseAddress! + raw.start, count) == 0 })
                {
                    return .text(text)
                }
                return .text(try makeString(raw))
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
                guard let n = int64(start, i) else {
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

        mutating func uuid(_ key: String, same: String? = nil) throws(Failure) -> String {
            let raw = try scanString()
            if !raw.escaped && raw.ascii {
                guard raw.end - raw.start == 36, Self.isUUIDBytes(bytes.baseAddress! + raw.start) else {
                    throw Failure(reason: tr("has a \(key) id that is not a lowercase UUID"))
                }
                if var same, same.utf8.count == 36,
                    same.withUTF8({ memcmp($0.baseAddress!, bytes.baseAddress! + raw.start, 36) == 0 })
                {
                    return same
                }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[raw.start..<raw.end]), as: UTF8.self)
            }
            let s = try makeString(raw)
            guard s.utf8.count == 36, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D })
            else { throw Failure(reason: tr("has a \(key) id that is not a lowercase UUID")) }
            return s
        }

        /// 36 bytes of lowercase hex digits and `-`, anywhere (what `uuid` has always accepted).
        static func isUUIDBytes(_ p: UnsafePointer<UInt8>) -> Bool {
            for k in 0..<36 {
                let c = p[k]
                guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c == 0x2D else { return false }
            }
            return true
        }

        /// The bytes `start..<end`, which `number()` accepted, as an integer if they are one in
        /// range: what `Int64(String)` reads them as, without making the string.
        func int64(_ start: Int, _ end: Int) -> Int64? {
            var k = start
            let negative = bytes[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            guard k < end else { return nil }
            var n: Int64 = 0
            while k < end {
                let d = bytes[k]
                guard d >= 0x30 && d <= 0x39 else { return nil }
                let (times, o1) = n.multipliedReportingOverflow(by: 10)
                let (sum, o2) = negative ? times.subtractingReportingOverflow(Int64(d - 0x30)) : times.addingReportingOverflow(Int64(d - 0x30))
                guard !o1, !o2 else { return nil }
                n = sum
                k += 1
            }
            return n
        }

        mutating func integer(_ key: String) throws(Failure) -> Int64 {
            let start = i
            try number()
            guard let n = int64(start, i) else { throw Failure(reason: tr("has a \(key) that is not a whole number")) }
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
            try makeString(try scanString())
        }

        /// Where a string's body lies, read by ``scanString()``.
        struct RawString {
            var start: Int
            var end: Int
            var escaped: Bool
            var ascii: Bool
        }

        /// A JSON string read to its closing quote, its escapes checked (not its UTF-8: see
        /// ``makeString(_:)``).
        mutating func scanString() throws(Failure) -> RawString {
            guard next() == UInt8(ascii: "\"") else { throw Failure(reason: tr("is not valid JSON (expected a string at byte \(i - 1))")) }
            let start = i
            let base = bytes.baseAddress!
            let count = bytes.count
            var j = i
            var escaped = false
            var ascii = true
            // One tight loop over the bytes: this is where a merge spends its parsing time. Eight
            // bytes at a time while none of them is a quote, a backslash or a control character.
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while true {
                while j + 8 <= count {
                    let x = UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)
                    let quote = x ^ (ones &* 0x22), backslash = x ^ (ones &* 0x5C)
                    // Not zero when some byte is below 0x20, or a quote, or a backslash (a byte
                    // below n: (x - n·ones) & ~x & highs; a zero byte: n = 1).
                    let stop = (((x &- ones &* 0x20) & ~x) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
                    if stop != 0 {
                        // The lowest flagged byte is a real stop (a borrow only flags bytes above
                        // one): step to it, noting the bytes before it, and judge it below.
                        let skip = UInt64(littleEndian: stop).trailingZeroBitCount >> 3
                        if skip > 0 {
                            if UInt64(littleEndian: x & highs) & ((1 << UInt64(skip * 8)) &- 1) != 0 { ascii = false }
                            j += skip
                        }
                        break
                    }
                    if x & highs != 0 { ascii = false }
                    j += 8
                }
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
            return RawString(start: start, end: j, escaped: escaped, ascii: ascii)
        }

        /// The text of a string ``scanString()`` read: its UTF-8 checked, its escapes decoded.
        func makeString(_ string: RawString) throws(Failure) -> String {
            let raw = UnsafeBufferPointer(rebasing: bytes[string.start..<string.end])
            let escaped = string.escaped, ascii = string.ascii
            guard ascii || Self.isUTF8(raw) else { throw Failure(reason: tr("is not UTF-8 text")) }
            // Valid UTF-8: decoding repairs nothing.
            if !escaped { return String(decoding: raw, as: UTF8.self) }
            guard let text = Self.unescape(raw) else {
                throw Failure(reason: tr("has a \\u escape that is half of a surrogate pair (not a character)"))
            }
            return text
        }

        /// Whether `bytes` are well-formed UTF-8 (The Unicode Standard, table 3-7): what
        /// `String(validating:as:)` accepts, without its generic path's cost on every string.
        static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var k = 0
            let n = bytes.count
            while k < n {
                let b0 = bytes[k]
                if b0 < 0x80 { k += 1; continue }
                func cont(_ at: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
                    at < n && bytes[at] >= low && bytes[at] <= high
                }
                switch b0 {
                case 0xC2...0xDF:
                    guard cont(k + 1) else { return false }
                    k += 2
                case 0xE0:
                    guard cont(k + 1, 0xA0, 0xBF), cont(k + 2) else { return false }
                    k += 3
                case 0xE1...0xEC, 0xEE...0xEF:
                    guard cont(k + 1), cont(k + 2) else { return false }
                    k += 3
                case 0xED:
                    guard cont(k + 1, 0x80, 0x9F), cont(k + 2) else { return false }
                    k += 3
                case 0xF0:
                    guard cont(k + 1, 0x90, 0xBF), cont(k + 2), cont(k + 3) else { return false }
                    k += 4
                case 0xF1...0xF3:
                    guard cont(k + 1), cont(k + 2), cont(k + 3) else { return false }
                    k += 4
                case 0xF4:
                    guard cont(k + 1, 0x80, 0x8F), cont(k + 2), cont(k + 3) else { return false }
                    k += 4
                default:
                    return false
                }
            }
            return true
        }

        /// The text of a JSON string's body; nil when a `\u` escape is a lone surrogate.
        ///
        /// Written into bytes, each escape's character encoded where it stands: appending pieces to
        /// a `String.UnicodeScalarView` grows in time with the square of their number, and one
        /// field of a megabyte alternating letters and escapes (`a\n` 340,000 times) took 3.8 s,
        /// each such line of a bundle as long again.
        static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
            let utf8 = Array(raw)
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count)
            func append(_ scalar: Unicode.Scalar) { UTF8.encode(scalar) { out.append($0) } }
            var k = 0
            while k < utf8.count {
                let c = utf8[k]
                if c != UInt8(ascii: "\\") { out.append(c); k += 1; continue }
                let e = utf8[k + 1]
                k += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
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
                    append(scalar)
                default: append(Unicode.Scalar(e))
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
