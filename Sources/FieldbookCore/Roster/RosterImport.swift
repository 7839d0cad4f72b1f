import CSV
import Foundation
import GRDB

/// What `fieldbook roster import` did.
public struct RosterImportReport: Sendable {
    public struct Rejection: Sendable, Hashable {
        public var line: Int
        public var reason: String
    }

    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var townshipsAdded = 0
    public var villagesAdded = 0
    /// Townships and villages the roster changed (a village become a community, say).
    public var townshipsUpdated = 0
    public var villagesUpdated = 0
    public var rejected: [Rejection] = []
    /// Header columns Fieldbook does not read (a phone number column, say).
    public var ignoredColumns: [String] = []
}

extension RosterImportReport {
    /// Counts what ensuring one reference record did.
    mutating func count(_ kind: RecordKind, _ outcome: ReferenceOutcome) {
        switch (kind, outcome) {
        case (.township, .added): townshipsAdded += 1
        case (.township, .updated): townshipsUpdated += 1
        case (.village, .added): villagesAdded += 1
        case (.village, .updated): villagesUpdated += 1
        case (.household, .added): added += 1
        case (.household, .updated): updated += 1
        case (.household, .unchanged): unchanged += 1
        default: break
        }
    }
}

/// The household roster: one CSV row per household, with its village and township.
///
/// Headers may be English or Chinese; the file may carry a byte-order mark (as Excel and WPS write
/// it). Rows that cannot be read are reported with their line number; the rest are imported in one
/// transaction. Households are keyed by code, villages by township and name, so importing a file
/// twice changes nothing and two laptops importing one roster make the same records.
///
/// A roster may name the county (区/县) and city (市) of each row, for an office above one district
/// (上下联动): townships, villages and households are then keyed within their county and city, so
/// two counties' 城关镇 and their household codes do not collide. Without those columns a roster
/// is one district's, and its records get exactly the ids they always had.
public enum Roster {
    /// The columns, each with the header names it is known by.
    public enum Column: String, CaseIterable, Sendable {
        case township, village, villageKind = "village_kind", group, household, head, priority, county, city

        public var names: [String] {
            switch self {
            case .township: ["township", "乡镇", "乡镇街道", "乡镇（街道）", "乡镇(街道)", "镇", "乡", "街道"]
            case .village: ["village", "村", "村社区", "村（社区）", "村(社区)", "村/社区", "社区"]
            case .villageKind: ["village_kind", "kind", "类型", "村类型"]
            case .group: ["group", "village_group", "村民组", "组", "村民小组"]
            case .household: ["household", "code", "household_code", "户号", "户编号", "户编码"]
            case .head: ["head", "户主", "户主姓名"]
            case .priority: ["priority", "重点户", "重点户类型", "类别"]
            case .county:
                ["county", "district", "区县", "县区", "区/县", "县/区", "县（市、区）", "县(市、区)", "县（区）", "县(区)",
                 "县市区", "县（市）", "县", "区", "所属县区"]
            case .city: ["city", "市", "地市", "市州", "城市", "地级市", "所属市", "市（州）", "市(州)"]
            }
        }

        static let required: [Column] = [.township, .village, .household]

        /// The name in a message: English and Chinese.
        var display: String { "\(rawValue) (\(names.first { $0.unicodeScalars.first!.value > 0x2E80 } ?? rawValue))" }
    }

    /// One household row, read and checked.
    struct Row: Hashable {
        var line: Int
        var township: String
        var village: String
        var villageKind: VillageKind
        var group: String?
        var code: String
        var head: String?
        var priority: [String]
        var county: String? = nil
        var city: String? = nil

        /// The township's natural key: its name, qualified by county and city where given.
        var townshipKey: String { RecordID.townshipKey(township, county: county, city: city) }

        /// What the field rules refuse in this row, if anything: `its head "…" is refused: …`.
        var problem: String? {
            let checks: [(RecordKind, String, String?)] = [
                (.township, "name", township), (.village, "name", village), (.household, "code", code),
                (.household, "group", group), (.household, "head", head),
                (.township, "county", county), (.township, "city", city),
            ]
            for (kind, name, text) in checks {
                guard let text, let spec = kind.field(name) else { continue }
                do {
                    try ChangeRules.check(.text(text), spec)
                } catch {
                    let column = name == "county" || name == "city" ? name
                        : kind == .township ? "township" : kind == .village ? "village" : name
                    return tr("its \(column) \(error.value) is refused: \(error.reason)")
                }
            }
            return nil
        }
    }

    /// Reads and checks the file: whole-file problems throw; row problems become rejections.
    static func read(path: String) throws -> (rows: [Row], rejected: [RosterImportReport.Rejection], ignored: [String]) {
        var rows: [Row] = []
        let (rejected, ignored) = try read(path: path) { rows.append($0) }
        return (rows, rejected, ignored)
    }

    /// Reads and checks the file, handing each row that passes to `each` as it is read. The
    /// whole-file problems (not UTF-8, bad quoting, no header, a missing column) throw before the
    /// first row is handed on; row problems become rejections, returned at the end.
    static func read(
        path: String, each: (Row) throws -> Void
    ) throws -> (rejected: [RosterImportReport.Rejection], ignored: [String]) {
        // A roster is a file: a pipe or a device (/dev/zero, a FIFO nobody writes) would be read
        // forever or wait for a writer, and is refused before it is opened (66, no input).
        switch FilePaths.kind(of: path) {
        case .file: break
        case .missing:
            // (errno is still stat's.)
            throw FieldbookError.unreadableFile(
                path: path, reason: errno == ENOENT || errno == ENOTDIR ? tr("there is no such file") : tr("it cannot be opened by this user"))
        case .folder: throw FieldbookError.unreadableFile(path: path, reason: tr("it is a folder; name the roster's CSV file"))
        case .other: throw FieldbookError.unreadableFile(path: path, reason: tr("it is not a file (a pipe or a device); save the roster as a CSV file and name that"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FieldbookError.unreadableFile(path: path, reason: tr("it cannot be opened by this user"))
        }
        var bytes = [UInt8](data)
        // (A file saved twice by a careless tool may carry the mark twice.)
        while bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw FieldbookError.badFile(
                path: path,
                reason: tr("is saved as UTF-16 (\"Unicode text\"). Save the file as \"CSV UTF-8\" in Excel or WPS and import again."))
        }
        // Validated whole first (the common case); only a file that is not UTF-8 is walked
        // again to find where.
        guard let text = UTF8Text.validated(bytes) else {
            let offset = UTF8Text.firstInvalidByte(bytes) ?? 0
            let line = bytes[..<offset].filter { $0 == 0x0A }.count + 1
            throw FieldbookError.badFile(
                path: path,
                reason: tr("line \(line) is not UTF-8 text (it may be saved as GBK/ANSI). Save the file as \"CSV UTF-8\" in Excel or WPS and import again."))
        }
        if let problem = quotingProblem(text) {
            throw FieldbookError.badFile(path: path, reason: tr("line \(problem.line): \(problem.reason). Fix the quoting and import again."))
        }
        let reader = try CSVReader(string: text, hasHeaderRow: false)
        // The header is the first line with something on it: blank lines above it are passed over.
        var headerLine = 1
        var found: [String]?
        while let first = reader.next() {
            if first.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                found = first
                break
            }
            headerLine += 1 + first.reduce(0) { $0 + lineBreaks(in: $1) }
        }
        guard let header = found else {
            throw FieldbookError.badFile(path: path, reason: tr("is empty; a roster needs a header row and one row per household."))
        }
        var positions: [Column: Int] = [:]
        var ignored: [String] = []
        for (index, raw) in header.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if let column = Column.allCases.first(where: { $0.names.contains(name) }), positions[column] == nil {
                positions[column] = index
            } else if !name.isEmpty {
                ignored.append(raw)
            }
        }
        let missing = Column.required.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw FieldbookError.badFile(
                path: path,
                reason: tr("missing column \(missing.map(\.display).joined(separator: ", ")); the header has \(Self.shown(header)). A roster needs township, village and household columns (乡镇, 村, 户号)."))
        }
        var rejected: [RosterImportReport.Rejection] = []
        var line = headerLine + 1 + header.reduce(0) { $0 + lineBreaks(in: $1) }
        // By the code key's bytes, as the household's id is derived (see ReferenceMaker).
        var firstLine: [ByteKey: (line: Int, row: Row)] = [:]
        // Village kinds and priorities as read, by their text: a roster repeats a handful.
        var kinds: [String: VillageKind?] = [:]
        var priorities: [String: Result<[String], any Error>] = [:]
        while let fields = reader.next() {
            defer {
                // (Only a cell holding a line break spans lines.)
                line += 1 + fields.reduce(0) { $0 + lineBreaks(in: $1) }
            }
            if fields.allSatisfy({ isPlain($0) ? $0.isEmpty : $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard fields.count == header.count else {
                rejected.append(.init(line: line, reason: tr("has \(fields.count, "field"); the header has \(header.count)")))
                continue
            }
            func value(_ column: Column) -> String? {
                guard let index = positions[column] else { return nil }
                return clean(fields[index])
            }
            guard let code = value(.household) else {
                rejected.append(.init(line: line, reason: tr("has no household code (户号)")))
                continue
            }
            guard let township = value(.township) else {
                rejected.append(.init(line: line, reason: tr("household \(code) has no township (乡镇)")))
                continue
            }
            guard let village = value(.village) else {
                rejected.append(.init(line: line, reason: tr("household \(code) has no village (村)")))
                continue
            }
            guard !hasSlash(township), !hasSlash(village) else {
                rejected.append(.init(line: line, reason: tr("a township or village name cannot contain /")))
                continue
            }
            let county = value(.county)
            let city = value(.city)
            guard !hasSlash(county ?? ""), !hasSlash(city ?? "") else {
                rejected.append(.init(line: line, reason: tr("a county or city name cannot contain /")))
                continue
            }
            let kindText = value(.villageKind) ?? (village.hasSuffix("社区") ? "community" : "village")
            if kinds[kindText] == nil { kinds[kindText] = VillageKind(input: kindText) }
            guard let kind = kinds[kindText]! else {
                rejected.append(.init(line: line, reason: tr("village kind \"\(kindText)\" is not 村 (village) or 社区 (community)")))
                continue
            }
            let priority: [String]
            do {
                let text = value(.priority) ?? ""
                if priorities[text] == nil { priorities[text] = Result { try Store.parsePriorities(text) } }
                priority = try priorities[text]!.get()
            } catch let error as FieldbookError {
                if case .invalidValue(_, let word, _) = error {
                    rejected.append(.init(line: line, reason: tr("unknown priority kind \"\(word)\"; use 五保户, 低保户, 危房改造户 (wubao, dibao, weifang) separated by ;")))
                } else {
                    rejected.append(.init(line: line, reason: error.message))
                }
                continue
            }
            let row = Row(
                line: line, township: township, village: village, villageKind: kind, group: value(.group), code: code,
                head: value(.head), priority: priority, county: county, city: city)
            // The rules every change meets (ChangeRules), so no row can fail half-way through the import.
            if let problem = row.problem {
                rejected.append(.init(line: line, reason: tr("household \(code): \(problem)")))
                continue
            }
            // Codes are unique within a county: the same code in two counties is two households.
            let codeKey = ByteKey(RecordID.scopedKey(code, county: county, city: city))
            if let earlier = firstLine[codeKey] {
                var same = earlier.row
                same.line = line
                if same != row {
                    rejected.append(.init(line: line, reason: tr("household \(code) is already on line \(earlier.line) with other details")))
                }
                continue
            }
            firstLine[codeKey] = (line, row)
            try each(row)
        }
        return (rejected, ignored)
    }

    /// A cell's value: trimmed, a line break or tab inside it (Alt+Enter in Excel) made one
    /// space, since names are one line; nil when nothing is left.
    static func clean(_ cell: String) -> String? {
        if isPlain(cell) { return cell.isEmpty ? nil : cell }
        return cleanCharacterByCharacter(cell)
    }

    /// ``clean(_:)`` for any cell, the slow way.
    static func cleanCharacterByCharacter(_ cell: String) -> String? {
        let v = cell.split(whereSeparator: { $0.isNewline || $0 == "\t" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        return v.isEmpty ? nil : v
    }

    /// Whether a cell reads as it stands: no line break or tab in it, and nothing Foundation's
    /// `.whitespaces` could trim at either end (which holds more than the space separators: U+200B
    /// too). An end counts as plain when it is a visible ASCII character, a letter or a digit;
    /// any other cell is cleaned the slow way.
    static func isPlain(_ cell: String) -> Bool {
        func isPlainEnd(_ s: Unicode.Scalar) -> Bool {
            if s.value < 0x80 { return s.value > 0x20 && s.value < 0x7F }
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return false
            }
        }
        let utf8 = cell.utf8
        guard let first = utf8.first, let last = utf8.last else { return true }
        if first < 0x80 ? !(first > 0x20 && first < 0x7F) : !isPlainEnd(cell.unicodeScalars.first!) { return false }
        if last < 0x80 ? !(last > 0x20 && last < 0x7F) : !isPlainEnd(cell.unicodeScalars.last!) { return false }
        // Tab and the line breaks of Character.isNewline: 09–0D, and U+0085, U+2028, U+2029, whose
        // UTF-8 starts C2 or E2 (looked at scalar by scalar when one of those bytes appears).
        var wide = false
        for byte in utf8 {
            if byte >= 0x09 && byte <= 0x0D { return false }
            if byte == 0xC2 || byte == 0xE2 { wide = true }
        }
        if wide {
            for scalar in cell.unicodeScalars where scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                return false
            }
        }
        return true
    }

    /// Whether a name contains a `/`, even as the start of a character with marks on it: a
    /// village's id is derived from its township's key and its name joined by `/`, and township
    /// `A/\u{301}` with village `\u{301}B` gave the id of township `A` with village `\u{301}/\u{301}B`.
    static func hasSlash(_ name: String) -> Bool {
        name.utf8.contains(0x2F)
    }

    /// A text as a dictionary key by its UTF-8 bytes, as ids are derived from it (Swift's `String`
    /// equality takes canonically equivalent spellings for one), hashed in one call.
    struct ByteKey: Hashable {
        var text: String
        init(_ text: String) { self.text = text }

        static func == (a: ByteKey, b: ByteKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// A header as a message shows it: its first twenty cells, each cut at forty characters. A
    /// file of zeros or of one enormous line is one header cell, and the message quoted it whole.
    static func shown(_ header: [String]) -> String {
        var cells = header.prefix(20).map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }
        if header.count > 20 { cells.append(tr("and \(header.count - 20) more")) }
        return cells.joined(separator: ", ")
    }

    /// The line breaks inside a cell, counted as the CSV reader ends lines: LF, CRLF and a lone
    /// CR each one (`"\r\n"` is one Swift character, and a count of line feeds missed lone CRs).
    static func lineBreaks(in cell: String) -> Int {
        let utf8 = cell.utf8
        guard utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return 0 }
        var count = 0
        var afterCR = false
        for byte in utf8 {
            if byte == 0x0D {
                count += 1
            } else if byte == 0x0A, !afterCR {
                count += 1
            }
            afterCR = byte == 0x0D
        }
        return count
    }

    /// Checks RFC 4180 quoting: a quoted field ends with a quote before a comma or line end, quotes
    /// inside it are doubled, and no quoted field runs off the end of the file.
    static func quotingProblem(_ text: String) -> (line: Int, reason: String)? {
        var text = text
        return text.withUTF8 { bytes in
            var line = 1
            var inQuotes = false
            var quoteLine = 1
            var atFieldStart = true
            var i = 0
            // A line ends at LF, CRLF or a lone CR (old Mac Excel), as the CSV reader reads it: a
            // CR counts unless an LF follows it.
            func crEndsLine(at k: Int) -> Bool { k + 1 >= bytes.count || bytes[k + 1] != 0x0A }
            // Every byte this looks for is ASCII, which UTF-8 never uses inside a longer character.
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                if inQuotes {
                    if c == UInt8(ascii: "\"") {
                        guard i < bytes.count else { inQuotes = false; continue }
                        let after = bytes[i]
                        i += 1
                        if after == UInt8(ascii: "\"") { continue }
                        inQuotes = false
                        atFieldStart = false
                        if after == UInt8(ascii: ",") {
                            atFieldStart = true
                        } else if after == 0x0A || after == 0x0D {
                            if after == 0x0A || crEndsLine(at: i - 1) { line += 1 }
                            atFieldStart = true
                        } else {
                            // (The one character, as a scalar: at most four bytes.)
                            let scalar = String(decoding: bytes[(i - 1)..<min(i + 3, bytes.count)], as: UTF8.self).unicodeScalars.first
                            return (line, tr("a quoted field is followed by \"\(scalar.map(String.init) ?? "")\" instead of a comma or the end of the line"))
                        }
                    } else if c == 0x0A || (c == 0x0D && crEndsLine(at: i - 1)) {
                        line += 1
                    }
                    continue
                }
                switch c {
                case UInt8(ascii: "\""):
                    if atFieldStart {
                        inQuotes = true
                        quoteLine = line
                    } else {
                        return (line, tr("a quote appears inside an unquoted field; put the whole field in quotes and double the inner quotes"))
                    }
                case UInt8(ascii: ","):
                    atFieldStart = true
                case 0x0A:
                    line += 1
                    atFieldStart = true
                case 0x0D:
                    if crEndsLine(at: i - 1) { line += 1 }
                    atFieldStart = true
                default:
                    atFieldStart = false
                }
            }
            if inQuotes { return (quoteLine, tr("a quoted field opened here is never closed")) }
            return nil
        }
    }
}

extension Roster {
    /// One reference record a roster row asks for: a township, village or household, with the
    /// fields it should have.
    struct Reference {
        var kind: RecordKind
        var id: String
        var fields: [String: FieldValue]
    }

    /// The townships, villages and households the rows ask for, in the order the import writes
    /// them: each row's township and village where they first appear, then its household. Each id
    /// appears once (townships and villages by their natural key, households by code: `read`
    /// leaves one row per code).
    static func references(_ rows: [Row]) -> [Reference] {
        var references: [Reference] = []
        references.reserveCapacity(rows.count + rows.count / 8)
        var maker = ReferenceMaker()
        for row in rows { maker.add(row, to: &references) }
        return references
    }

    /// ``references(_:)`` a row at a time, as the rows are read.
    struct ReferenceMaker {
        // Keyed by the keys' bytes, as the ids derived from them are: Swift's `String` equality
        // takes canonically equivalent spellings (a composed é and e with a combining accent, a
        // compatibility ideograph and its unified one) for one key, and so made one record of
        // two ids, spelt as whichever row came first.
        private var townships: [Roster.ByteKey: String] = [:]
        private var villages: [Roster.ByteKey: String] = [:]

        /// Appends the references `row` asks for that no earlier row asked for.
        mutating func add(_ row: Row, to references: inout [Reference]) {
            // County and city are written only where the roster gives them: a one-district
            // roster makes the very changes it always made.
            var levels: [String: FieldValue] = [:]
            if let county = row.county { levels["county"] = .text(county) }
            if let city = row.city { levels["city"] = .text(city) }
            let townshipKey = row.townshipKey
            let townshipID: String
            if let known = townships[ByteKey(townshipKey)] {
                townshipID = known
            } else {
                townshipID = RecordID.township(row.township, county: row.county, city: row.city)
                let fields = levels.merging(["name": .text(row.township)]) { $1 }
                references.append(Reference(kind: .township, id: townshipID, fields: fields))
                townships[ByteKey(townshipKey)] = townshipID
            }
            let villageKey = "\(townshipKey)/\(row.village)"
            let villageID: String
            if let known = villages[ByteKey(villageKey)] {
                villageID = known
            } else {
                villageID = RecordID.village(township: townshipKey, name: row.village)
                references.append(Reference(
                    kind: .village, id: villageID,
                    fields: ["township": .text(townshipID), "name": .text(row.village),
                             "village_kind": .text(row.villageKind.rawValue)]))
                villages[ByteKey(villageKey)] = villageID
            }
            var fields = levels
            fields.reserveCapacity(levels.count + 6)
            let group: FieldValue = row.group.map(FieldValue.text) ?? .null
            let head: FieldValue = row.head.map(FieldValue.text) ?? .null
            fields["village"] = .text(villageID)
            fields["code"] = .text(row.code)
            fields["group"] = group
            fields["head"] = head
            fields["priority"] = .list(row.priority)
            fields["source"] = .text("roster")
            references.append(Reference(
                kind: .household, id: RecordID.household(code: row.code, county: row.county, city: row.city), fields: fields))
        }
    }
}

extension Store {
    /// Imports a roster CSV: townships, villages and households, in one transaction.
    ///
    /// Set-based (``ReferenceBatch``) and on two threads. One reads the file, checks each row,
    /// and works out each record's create (its fields, their canonical JSON, the rules'
    /// judgement) and the pinyin of its name, needing no store; it hands them on in batches. The
    /// other, in the write transaction, reads in one statement what the store holds for a
    /// batch's ids, judges each record added, updated or unchanged in memory, and writes a record
    /// the store has never seen as its create and its row straight away. Only a record with
    /// changes of its own goes the single-record way (``ensureReference``). The changes, their
    /// order, sequence numbers and clocks are those the single-record way writes. A file that
    /// cannot be read throws before anything is written; any failure rolls the whole import back.
    public func importRoster(csvAt path: String) throws -> RosterImportReport {
        try importRoster(csvAt: path, setBased: true)
    }

    /// The import, set-based or (`setBased: false`, for tests that compare the two) one record
    /// at a time through ``ensureReference``, on one thread, as it was before. `batch` and
    /// `waiting`: how many records the reader hands on at a time, and how many such batches may
    /// wait for the writer (small in tests, so that the reader waits for room).
    func importRoster(csvAt path: String, setBased: Bool, batch size: Int = 512, waiting: Int = 8) throws -> RosterImportReport {
        let local = try read { db in try LocalState.fetch(db) }
        guard local.role == .central else {
            throw FieldbookError.notPermitted(
                tr("the roster is the office's. Import it into the central store, `fieldbook pack --roster` there, and merge that bundle here"))
        }
        guard setBased else { return try importRosterOneByOne(csvAt: path) }
        var report = RosterImportReport()
        let handoff = Handoff<[ReferenceBatch.Prepared], RosterReading>(capacity: waiting)
        let (role, device) = (local.role, local.deviceID)
        // A thread of its own, not one of a shared pool that other work may hold.
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            Self.readRoster(at: path, role: role, device: device, batch: size, into: handoff)
            done.signal()
        }
        reader.stackSize = 1 << 22
        reader.start()
        // However the import ends, the reader is stopped and waited for before this returns.
        defer {
            handoff.stop()
            done.wait()
        }
        // The file's first batch, or its end, before the store is locked for writing: a file that
        // cannot be read (or never ends, a pipe) fails or waits without holding the store.
        var next = try handoff.take()
        try write { db in
            var batch = try ReferenceBatch(self, db)
            // (What the reader judged with is what this transaction reads.)
            guard batch.role == role, batch.device == device else {
                throw FieldbookError.storeFailure(path: db.description, message: tr("the store changed while the roster was read; import again"))
            }
            while true {
                let records: [ReferenceBatch.Prepared]
                switch next {
                case .batch(let given): records = given
                case .end(let read):
                    report.rejected = read.rejected
                    report.ignoredColumns = read.ignored
                    try batch.finish()
                    // The pinyin of names the batch did not store with a create of its own (an
                    // edited head, say), for `fieldbook find` (NameReading.swift).
                    try NameReadings.fillMissing(db)
                    return
                }
                try batch.lookUp(records.map(\.id))
                for record in records {
                    report.count(record.kind, try batch.ensure(record))
                }
                next = try handoff.take()
            }
        }
        return report
    }

    /// What the roster's reader returns at its end: the rows it rejected, the columns it did not
    /// read.
    struct RosterReading: Sendable {
        var rejected: [RosterImportReport.Rejection]
        var ignored: [String]
    }

    /// The reader's thread of ``importRoster(csvAt:)``: reads and checks the rows, prepares
    /// their records, and hands them on in batches of `size`.
    private static func readRoster(
        at path: String, role: DeviceRole, device: String, batch size: Int,
        into handoff: Handoff<[ReferenceBatch.Prepared], RosterReading>
    ) {
        struct Stopped: Error {}
        var maker = Roster.ReferenceMaker()
        var references: [Roster.Reference] = []
        var records: [ReferenceBatch.Prepared] = []
        records.reserveCapacity(size + 2)
        var reader = NameReader()
        do {
            let (rejected, ignored) = try Roster.read(path: path) { row in
                references.removeAll(keepingCapacity: true)
                maker.add(row, to: &references)
                for reference in references {
                    var record = ReferenceBatch.Prepared(
                        reference.kind, id: reference.id, fields: reference.fields, role: role, device: device)
                    if let read = NameReadings.read(reference.kind), case .text(let name)? = reference.fields[read.field] {
                        record.reading = (name, reader.reading(of: name))
                    }
                    records.append(record)
                }
                if records.count >= size {
                    guard handoff.put(records) else { throw Stopped() }
                    records.removeAll(keepingCapacity: true)
                }
            }
            if !records.isEmpty, !handoff.put(records) { return }
            handoff.finish(.success(RosterReading(rejected: rejected, ignored: ignored)))
        } catch is Stopped {
            return
        } catch let error as FieldbookError {
            handoff.finish(.failure(error))
        } catch {
            handoff.finish(.failure(.badFile(path: path, reason: tr("cannot be read as CSV. Save it again as CSV UTF-8 and import again."))))
        }
    }

    /// ``importRoster(csvAt:setBased:)`` one record at a time.
    private func importRosterOneByOne(csvAt path: String) throws -> RosterImportReport {
        let (rows, rejected, ignored) = try Roster.read(path: path)
        var report = RosterImportReport()
        report.rejected = rejected
        report.ignoredColumns = ignored
        let references = Roster.references(rows)
        try write { db in
            for reference in references {
                report.count(reference.kind, try ensureReference(db, kind: reference.kind, id: reference.id, fields: reference.fields))
            }
            try NameReadings.fillMissing(db)
        }
        return report
    }
}
