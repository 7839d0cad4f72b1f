/// The one definition of what a change may hold and who may make it.
///
/// Every change passes here: one typed at a laptop (`appendLocalChange`), and every line of a
/// bundle (`verify` and `merge` alike). Values are checked against their kind's field specs
/// (``RecordKind/fields``); a change's shape (operation, tombstone, `base`) against the rules of
/// bundles/FORMAT.md; its author's role against ``ChangeRules/authority(_:role:)``.
public enum ChangeRules {
    /// Longest text of a name, code, place or other one-line field, in Unicode scalars.
    public static let shortText = 200
    /// Longest text of a note, problem or action, in Unicode scalars.
    public static let longText = 4000
    /// Most items in a list (inspectors, topics, members).
    public static let listItems = 100
    /// Most fields a change may write that its kind does not define (from a newer writer).
    public static let unknownFields = 32
    /// Most versions a change may name as replaced, per field.
    public static let baseVersions = 256

    /// What is wrong with one value of a change: the field, the value as given, and why.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var value: String
        public var reason: String

        public init(field: String, value: FieldValue, reason: String) {
            self.field = field
            self.value = Violation.show(value)
            self.reason = reason
        }

        public init(field: String, text: String, reason: String) {
            self.field = field
            self.value = text
            self.reason = reason
        }

        public var description: String { "\(field) \(value): \(reason)" }

        /// A value as a person reads it in a message: short, one line, JSON-like.
        static func show(_ value: FieldValue) -> String {
            let text: String
            switch value {
            case .null: text = "null"
            case .int(let n): text = String(n)
            case .text(let s): text = "\"\(s)\""
            case .list(let items): text = "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            }
            return text.count > 80 ? String(text.prefix(77)) + "…" : text
        }
    }

    // MARK: Text

    /// Why `text` cannot be stored in a field (nil when it can): too long, or holding a control
    /// character. Notes (`multiline`) may hold line feeds and tabs; nothing may hold a carriage
    /// return, another C0 or C1 control, DEL or NUL.
    ///
    /// A name in a list (`allowsInvisible` false: inspectors, who rectified, who verified) may not hold an
    /// invisible formatting character either (a zero-width space, a joiner, a direction control), so
    /// that two names that read the same are the same name.
    public static func textProblem(_ text: String, maxLength: Int, multiline: Bool = false, allowsInvisible: Bool = true) -> String? {
        var text = text
        // Most text holds no byte that could begin a control character (below 0x20, 0x7F, or 0xC2,
        // the first byte of U+0080–U+009F): then only its length can be wrong, and its scalars are
        // its bytes that do not continue one. Eight bytes at a time.
        if allowsInvisible, let count = text.withUTF8(plainScalarCount) {
            return count > maxLength ? tr("it is \(count) characters long; at most \(maxLength) are allowed") : nil
        }
        // The scalars read from the text's UTF-8 (valid: it is a String's) as they come.
        let (count, problem) = text.withUTF8 { utf8 -> (Int, String?) in
            var count = 0
            var k = 0
            let n = utf8.count
            while k < n {
                let b = utf8[k]
                var v = UInt32(b)
                if b < 0x80 {
                    k += 1
                } else if b < 0xE0 {
                    v = (v & 0x1F) << 6 | UInt32(utf8[k + 1] & 0x3F)
                    k += 2
                } else if b < 0xF0 {
                    v = (v & 0x0F) << 12 | UInt32(utf8[k + 1] & 0x3F) << 6 | UInt32(utf8[k + 2] & 0x3F)
                    k += 3
                } else {
                    v = (v & 0x07) << 18 | UInt32(utf8[k + 1] & 0x3F) << 12 | UInt32(utf8[k + 2] & 0x3F) << 6 | UInt32(utf8[k + 3] & 0x3F)
                    k += 4
                }
                count += 1
                if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) {
                    if multiline, v == 0x0A || v == 0x09 { continue }
                    return (count, tr("it holds the control character U+\(hex4(v)); remove it"))
                }
                // (No format character lies among the CJK blocks, 2E80–FDFF: names skip the lookup.)
                if !allowsInvisible, v >= 0xAD, !(0x2E80...0xFDFF).contains(v), Unicode.Scalar(v)!.properties.generalCategory == .format {
                    return (count, tr("it holds the invisible formatting character U+\(hex4(v)); remove it"))
                }
            }
            return (count, nil)
        }
        if let problem { return problem }
        if count > maxLength { return tr("it is \(count) characters long; at most \(maxLength) are allowed") }
        return nil
    }

    /// The scalars of valid UTF-8 `utf8`, or nil when some byte is below 0x20, 0x7F or 0xC2.
    static func plainScalarCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = utf8.baseAddress else { return 0 }
        let n = utf8.count
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var continuing = 0, k = 0
        while k + 8 <= n {
            let x = UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)
            let del = x ^ (ones &* 0x7F), c2 = x ^ (ones &* 0xC2)
            // Not zero when some byte is below 0x20, is 0x7F or is 0xC2 (a byte below n: (x - n·ones) & ~x & highs).
            let stop = ((x &- ones &* 0x20) & ~x) | ((del &- ones) & ~del) | ((c2 &- ones) & ~c2)
            if stop & highs != 0 { return nil }
            // Bytes 10xxxxxx.
            continuing += (x & ~(x << 1) & highs).nonzeroBitCount
            k += 8
        }
        while k < n {
            let b = base[k]
            if b < 0x20 || b == 0x7F || b == 0xC2 { return nil }
            if b & 0xC0 == 0x80 { continuing += 1 }
            k += 1
        }
        return n - continuing
    }

    static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A lowercase UUID: the only shape of device and record ids.
    public static func isID(_ text: String) -> Bool {
        guard text.utf8.count == 36 else { return false }
        var text = text
        return text.withUTF8 { isID(UnsafeRawPointer($0.baseAddress!)) }
    }

    /// Whether the 36 bytes at `p` are a lowercase UUID: `-` at 8, 13, 18 and 23, a digit or
    /// `a`–`f` everywhere else. Eight bytes at a time: a dash's place is checked to hold `-` and
    /// then read as `0`, and every byte of the word must lie in `0`–`9` or `a`–`f`.
    static func isID(_ p: UnsafeRawPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080, lows = ones &* 0x7F
        /// The bytes of `x` (host order is little-endian: byte k is bits 8k..<8k+8) above `m` and
        /// below `n`, as their high bits (bit hacks' hasbetween, for 0 ≤ m < n ≤ 128).
        func between(_ x: UInt64, _ m: UInt64, _ n: UInt64) -> UInt64 {
            ((ones &* (127 &+ n)) &- (x & lows)) & ~x & ((x & lows) &+ ones &* (127 &- m)) & highs
        }
        func hexWord(_ x: UInt64) -> Bool { (between(x, 0x2F, 0x3A) | between(x, 0x60, 0x67)) == highs }
        func word(_ at: Int) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        // Dashes at 8 and 13 (bytes 0 and 5 of the second word), 18 and 23 (bytes 2 and 7 of the third).
        let dashes1: UInt64 = 0xFF | 0xFF << 40, dashes2: UInt64 = 0xFF << 16 | 0xFF << 56
        let w1 = word(8), w2 = word(16)
        guard w1 & dashes1 == ones &* 0x2D & dashes1, w2 & dashes2 == ones &* 0x2D & dashes2 else { return false }
        let last = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt32.self))) | (ones &* 0x30) << 32
        return hexWord(word(0)) && hexWord(w1 & ~dashes1 | ones &* 0x30 & dashes1)
            && hexWord(w2 & ~dashes2 | ones &* 0x30 & dashes2) && hexWord(word(24)) && hexWord(last)
    }

    /// Whether every character of `text` is whitespace (`text.allSatisfy(\.isWhitespace)`), asking
    /// no more than the first scalar when it is not: a character is whitespace when its first
    /// scalar is.
    static func isBlank(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return true }
        let v = first.value
        if v < 0x80 {
            guard v == 0x20 || (v >= 0x09 && v <= 0x0D) else { return false }
        } else if v >= 0x3040 && v <= 0xD7FF {
            // Kana, CJK and Hangul: no whitespace among them (U+3000 lies below).
            return false
        } else if !first.properties.isWhitespace {
            return false
        }
        return text.allSatisfy(\.isWhitespace)
    }

    // MARK: Values

    /// Checks one value against its field's spec: type, range, set, text rules.
    public static func check(_ value: FieldValue, _ spec: FieldSpec) throws(Violation) {
        var spec = spec
        try withUnsafePointer(to: &spec) { (spec) throws(Violation) in try check(value, spec) }
    }

    /// The same check of the spec at `spec`, read in place: a spec's name
    /// only when it is wrong, its type without copying the rest.
    static func check(_ value: FieldValue, _ spec: UnsafePointer<FieldSpec>) throws(Violation) {
        func fail(_ reason: String) -> Violation { Violation(field: spec.pointee.name, value: value, reason: reason) }
        if case .null = value {
            if spec.pointee.required { throw fail(tr("it is required")) }
            return
        }
        switch spec.pointee.type {
        case .text(let maxLength, let multiline):
            guard let s = value.text else { throw fail(tr("it must be text")) }
            if let problem = textProblem(s, maxLength: maxLength, multiline: multiline) { throw fail(problem) }
            if spec.pointee.required, isBlank(s) { throw fail(tr("it must not be empty")) }
        case .date:
            guard let s = value.text, FieldDate.isCanonical(s) else {
                throw fail(tr("it must be a real date written YYYY-MM-DD, between 1900 and 2200"))
            }
        case .count(let minimum, let maximum):
            guard let n = value.int else { throw fail(tr("it must be a whole number")) }
            guard n >= minimum, n <= maximum else { throw fail(tr("it must be between \(minimum) and \(maximum)")) }
        case .list:
            guard case .list(let items) = value else { throw fail(tr("it must be a list of names")) }
            try checkList(items, field: spec.pointee.name, value: value)
            for item in items where isBlank(item) { throw fail(tr("a list item is empty")) }
        case .priorities:
            guard case .list(let items) = value else { throw fail(tr("it must be a list of priority kinds")) }
            guard Set(items).count == items.count else { throw fail(tr("a priority kind is listed twice")) }
            for item in items where PriorityKind(rawValue: item) == nil {
                throw fail(tr("\(item) is not a priority kind (wubao, dibao, weifang)"))
            }
        case .choice(let words):
            guard let s = value.text, words.contains(s) else { throw fail(tr("it must be one of \(words.joined(separator: ", "))")) }
        case .reference(let kind):
            guard let s = value.text, isID(s) else { throw fail(tr("it must be the id of a \(kind.rawValue) (a lowercase UUID)")) }
        case .recordOf(let kinds):
            guard let s = value.text, isID(s) else {
                throw fail(tr("it must be the id of a \(kinds.map(\.rawValue).joined(separator: tr(", a "))) (a lowercase UUID)"))
            }
        }
    }

    /// Why a person may not type `day` into the date field `spec` on `today` (nil when they may).
    ///
    /// A date says when work was done (a visit, a forum, a step of a rectification), so it cannot
    /// lie after today, unless the field plans ahead (a deadline, ``FieldSpec/planned``). The
    /// recording commands apply it to what is typed, and `--allow-future` lifts it for one command.
    /// Bundles are not held to it: a laptop whose clock runs wrong still records its day's work, and
    /// refusing the whole bundle for one date would lose the rest (the merge flags such a clock).
    public static func futureDateProblem(_ day: String, _ spec: FieldSpec, today: String) -> String? {
        guard spec.type == .date, !spec.planned, day > today else { return nil }
        return tr("it is after today, \(today): a date says when the work was done. Check the date and this computer's clock, or add --allow-future if the day is right")
    }

    static func checkList(_ items: [String], field: String, value: FieldValue) throws(Violation) {
        guard items.count <= listItems else {
            throw Violation(field: field, value: value, reason: tr("it has \(items.count, "item"); at most \(listItems) are allowed"))
        }
        for item in items {
            if let problem = textProblem(item, maxLength: shortText, allowsInvisible: false) {
                throw Violation(field: field, value: value, reason: tr("an item: \(problem)"))
            }
        }
    }

    /// A field name a newer writer may use: lowercase letters, digits and `_`, at most 64.
    static func isFieldName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let first = utf8.first, first >= 0x61 && first <= 0x7A, utf8.count <= 64 else { return false }
        return utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    // MARK: Changes

    /// Checks a whole change: its id, operation and tombstone, every value it writes, and its base.
    public static func check(_ change: Change) throws(Violation) {
        try check(kind: change.kind, recordID: change.recordID, op: change.op, fields: change.fields,
                  base: change.base, version: change.version)
    }

    public static func check(
        kind: RecordKind, recordID: String, op: ChangeOp, fields: [String: FieldValue],
        base: [String: [VersionID]], version: VersionID
    ) throws(Violation) {
        try check(
            kind: kind, recordID: recordID, op: op, entries: fields.map { LineField(kind, name: $0.key, value: $0.value) },
            base: base, version: version)
    }

    /// Checks a whole change whose fields are `entries` (names distinct, each with its place in
    /// its kind's fields): what a bundle's line holds, read without a dictionary.
    static func check(
        kind: RecordKind, recordID: String, op: ChangeOp, entries: [LineField],
        base: [String: [VersionID]], version: VersionID
    ) throws(Violation) {
        func field(_ name: String) -> FieldValue? { entries.first { $0.name == name }?.value }
        guard isID(recordID) else { throw Violation(field: "record", text: recordID, reason: tr("a record id is a lowercase UUID")) }
        guard let deleted = entries.first(where: { $0.spec == LineField.deleted })?.value else {
            throw Violation(field: deletedField, text: tr("(absent)"), reason: tr("every change writes \(deletedField)"))
        }
        guard deleted == .int(0) || deleted == .int(1) else {
            throw Violation(field: deletedField, value: deleted, reason: tr("it must be 0 or 1"))
        }
        switch op {
        case .create:
            guard deleted == .int(0) else { throw Violation(field: deletedField, value: deleted, reason: tr("a create makes a live record")) }
            guard base.isEmpty else { throw Violation(field: "base", text: "{…}", reason: tr("a create replaces nothing")) }
        case .delete:
            guard deleted == .int(1) else { throw Violation(field: deletedField, value: deleted, reason: tr("a delete writes 1")) }
            guard entries.count == 1 else {
                throw Violation(
                    field: entries.first { $0.spec != LineField.deleted }?.name ?? "fields", text: "…",
                    reason: tr("a delete writes only \(deletedField)"))
            }
        case .update:
            break
        }
        var unknown = 0
        // The fields written with a value, as bits of their places in `specs`.
        var written: UInt64 = 0
        for entry in entries where entry.spec != LineField.deleted {
            let name = entry.name, value = entry.value
            if entry.spec >= 0 {
                if case .null = value {} else { written |= 1 << UInt64(entry.spec) }
                do {
                    // The spec read where it lies, not copied out of its array (a copy is a count on each of its strings).
                    try check(value, kind.spec(at: entry.spec))
                } catch where kind == .problem && (name == "detail" || name == "transfer_note") && value.text != nil {
                    // A problem's detail may be a transferred clue's: a refusal never quotes it.
                    throw Violation(field: name, text: tr("(withheld)"), reason: error.reason)
                }
                if let key = value.text, isCategoryKeyField(kind, name), !ProblemCategory.isKey(key) {
                    throw Violation(
                        field: name, value: value,
                        reason: tr("a category key is lowercase letters, digits and -, at most 40 (e.g. village-assets)"))
                }
            } else {
                unknown += 1
                guard unknown <= unknownFields else {
                    throw Violation(field: name, value: value, reason: tr("a change may carry at most \(unknownFields, "field") its kind does not define"))
                }
                guard isFieldName(name) else {
                    throw Violation(field: String(name.prefix(64)), value: value, reason: tr("a field name is lowercase letters, digits and _"))
                }
                switch value {
                case .null, .int: break
                case .text(let s):
                    if let problem = textProblem(s, maxLength: longText, multiline: true) {
                        throw Violation(field: name, value: value, reason: problem)
                    }
                case .list(let items): try checkList(items, field: name, value: value)
                }
            }
        }
        if op == .create, kind == .problem {
            // A problem is found open: its rectification is recorded step by step after, never at once.
            if let status = field("status"), status != .text(ProblemStatus.open.rawValue) {
                throw Violation(field: "status", value: status, reason: tr("a problem is created open; its rectification comes in later changes"))
            }
            for name in ["rectified_on", "rectified_device", "verified_on", "closed_on"] where !(field(name) ?? .null).isNull {
                throw Violation(field: name, value: field(name)!, reason: tr("a problem is created open; its rectification comes in later changes"))
            }
            for name in ["rectified_by", "verified_by"] where !(field(name)?.list.isEmpty ?? true) {
                throw Violation(field: name, value: field(name)!, reason: tr("a problem is created open; its rectification comes in later changes"))
            }
        }
        if op == .create {
            if kind.requiredFields & ~written != 0 {
                for (index, spec) in kind.fields.enumerated() where spec.required && written & (1 << UInt64(index)) == 0 {
                    throw Violation(field: spec.name, text: tr("(absent)"), reason: tr("a \(kind.rawValue) needs it"))
                }
            }
            if let key = naturalKey(kind, field), RecordID.derived(kind, key: key) != recordID {
                let shown = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: " / ")
                let from = kind == .household ? "code" : kind == .category ? "key" : "name"
                throw Violation(
                    field: "record", text: recordID, reason: tr("a \(kind.rawValue)'s id is derived from its \(from) \(shown)"))
            }
        }
        for (name, versions) in base {
            guard entries.contains(where: { $0.name == name }) else {
                throw Violation(field: "base", text: name, reason: tr("it names a field the change does not write"))
            }
            guard !versions.isEmpty, versions.count <= baseVersions else {
                throw Violation(field: "base", text: name, reason: tr("a field replaces between 1 and \(baseVersions) versions"))
            }
            for v in versions {
                guard isID(v.device), v.seq >= 1 else {
                    throw Violation(field: "base", text: v.description, reason: tr("a version is DEVICE:SEQ, with a lowercase UUID and a number from 1"))
                }
                guard v.device != version.device || v.seq < version.seq else {
                    throw Violation(field: "base", text: v.description, reason: tr("a change can replace only earlier changes of its own device"))
                }
            }
            guard Set(versions).count == versions.count else {
                throw Violation(field: "base", text: name, reason: tr("it names a version twice"))
            }
        }
    }

    /// Whether the field holds a problem category's key: a category's own, or a problem's category.
    static func isCategoryKeyField(_ kind: RecordKind, _ name: String) -> Bool {
        (kind == .category && name == "key") || (kind == .problem && name == "category")
    }

    /// The key a reference record's id is derived from, for kinds whose key is one of their fields.
    static func naturalKey(_ kind: RecordKind, _ fields: [String: FieldValue]) -> String? {
        naturalKey(kind) { fields[$0] }
    }

    static func naturalKey(_ kind: RecordKind, _ fields: (String) -> FieldValue?) -> String? {
        switch kind {
        case .round, .team, .township, .household, .category: break
        default: return nil
        }
        func scope(_ name: String?) -> String? {
            name.map { RecordID.scopedKey($0, county: fields("county")?.text, city: fields("city")?.text) }
        }
        return switch kind {
        case .round, .team: fields("name")?.text
        case .township: scope(fields("name")?.text)
        case .household: scope(fields("code")?.text)
        case .category: fields("key")?.text
        default: nil
        }
    }

    // MARK: Who may change what

    /// Why a device of `role` may not make `change` (nil when it may).
    ///
    /// Central stores (the office) change anything. A field store records visits, forums, notices
    /// and fixes; creates the households it finds in the field (`source` `field`); and may create a
    /// round or a team by name (its id is derived from the name, so that only asserts the name
    /// exists). Townships, villages and roster households, and any change to an existing round,
    /// team or household, are the office's.
    public static func authority(_ change: Change, role: DeviceRole) -> String? {
        authority(kind: change.kind, op: change.op, fields: change.fields, role: role)
    }

    public static func authority(kind: RecordKind, op: ChangeOp, fields: [String: FieldValue], role: DeviceRole) -> String? {
        authority(kind: kind, op: op, source: fields["source"], role: role)
    }

    /// As ``authority(kind:op:fields:role:)``, given the one field it reads: a household's `source`.
    static func authority(kind: RecordKind, op: ChangeOp, source: FieldValue?, role: DeviceRole) -> String? {
        guard role == .field else { return nil }
        switch kind {
        case .visit, .forum, .notice, .fix, .problem:
            return nil
        case .category:
            return tr("only the office adds or changes problem categories")
        case .round, .team:
            return op == .create ? nil : tr("only the office changes or deletes a \(kind.rawValue)")
        case .household:
            if op == .create, source == .text("field") { return nil }
            return op == .create
                ? tr("a field store creates only households found in the field (source field); the roster is the office's")
                : tr("only the office changes or deletes a household; record a note, the office decides")
        case .township, .village:
            return kind == .township ? tr("only the office changes the roster's townships") : tr("only the office changes the roster's villages")
        }
    }
}

extension ChangeRules {
    /// Why an office enrolled below this one (a county office, at the city's) may not make a change
    /// of its own here (nil when it may): its role is `central`, but it speaks for its own county
    /// only. It creates records; it updates or deletes only records that it or a laptop its trust
    /// list enrolls created (`inScope` of one of `creators()`, the devices whose creates of the record
    /// this store holds: asked for updates and deletes only), or a field record whose create has not
    /// arrived yet (its id is random, so no other office can name it); problem categories are this
    /// office's.
    /// Its laptops' changes it relays are judged by ``authority(kind:op:fields:role:)`` as field ones.
    public static func lowerOfficeAuthority(
        kind: RecordKind, op: ChangeOp, creators: () throws -> [String], inScope: (String) -> Bool
    ) rethrows -> String? {
        if kind == .category {
            return tr("problem categories are this office's own; an office below it adds none here (ask this office to add it)")
        }
        guard op != .create else { return nil }
        let by = try creators()
        if by.contains(where: inScope) { return nil }
        if by.isEmpty {
            // Not here yet: a field record's id is random, so this is that office's own record whose
            // create is in a bundle still on its way (bundles merge in any order); a roster record's id
            // is derived from names any office can write, so its create must come first.
            guard Store.rosterKinds.contains(kind) else { return nil }
            return tr("this store holds no create of that \(kind.rawValue) by that office or its laptops, and its id is derived from names any office can write; merge the bundle that created it first")
        }
        return op == .delete
            ? tr("the record was created by a device outside that office's county (not it, nor a laptop its trust list enrolls); an office below this one deletes only its own county's records")
            : tr("the record was created by a device outside that office's county (not it, nor a laptop its trust list enrolls); an office below this one changes only its own county's records")
    }
}

/// A store's role: a laptop in the field, or the office's central store.
public enum DeviceRole: String, Sendable, Codable, CaseIterable {
    case field
    case central
}

extension ChangeRules {
    /// The fields of every kind with their types and bounds, as the Markdown table bundles/FORMAT.md
    /// shows: written from the specs themselves, and a test holds the page to it.
    public static func fieldTableMarkdown() -> String {
        var out = "| kind | field | value | required |\n|---|---|---|---|\n"
        for kind in RecordKind.allCases {
            for spec in kind.fields {
                let value: String
                switch spec.type {
                case .text(let maxLength, let multiline):
                    value = "text, at most \(maxLength) characters" + (multiline ? ", line breaks allowed" : ", one line")
                case .date: value = "date `YYYY-MM-DD`, a real day, 1900–2200"
                case .count(let minimum, let maximum): value = "whole number \(minimum)–\(maximum)"
                case .list: value = "list of at most \(listItems) texts (one line, at most \(shortText) characters, not blank)"
                case .priorities: value = "list of distinct `wubao`, `dibao`, `weifang`"
                case .choice(let words): value = words.map { "`\($0)`" }.joined(separator: " / ")
                case .reference(let target): value = "id of a \(target.rawValue)"
                case .recordOf(let targets): value = "id of a " + targets.map(\.rawValue).joined(separator: ", a ")
                }
                out += "| \(kind.rawValue) | `\(spec.name)` | \(value) | \(spec.required ? "yes" : "") |\n"
            }
        }
        return out
    }
}
