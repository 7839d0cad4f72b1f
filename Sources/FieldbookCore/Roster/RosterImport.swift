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
    public var rejected: [Rejection] = []
    /// Header columns Fieldbook does not read (a phone number column, say).
    public var ignoredColumns: [String] = []
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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FieldbookError.badFile(path: path, reason: tr("cannot be read. Check the path."))
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let offset = firstInvalidUTF8(bytes) {
            let line = bytes[..<offset].filter { $0 == 0x0A }.count + 1
            throw FieldbookError.badFile(
                path: path,
                reason: tr("line \(line) is not UTF-8 text (it may be saved as GBK/ANSI). Save the file as \"CSV UTF-8\" in Excel or WPS and import again."))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let problem = quotingProblem(text) {
            throw FieldbookError.badFile(path: path, reason: tr("line \(problem.line): \(problem.reason). Fix the quoting and import again."))
        }
        let reader = try CSVReader(string: text, hasHeaderRow: false)
        guard let header = reader.next(), header.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
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
                reason: tr("missing column \(missing.map(\.display).joined(separator: ", ")); the header has \(header.joined(separator: ", ")). A roster needs township, village and household columns (乡镇, 村, 户号)."))
        }
        var rows: [Row] = []
        var rejected: [RosterImportReport.Rejection] = []
        var line = 2 + header.joined().filter { $0 == "\n" }.count
        var firstLine: [String: (line: Int, row: Row)] = [:]
        while let fields = reader.next() {
            defer { line += 1 + fields.joined().filter { $0 == "\n" || $0 == "\r\n" }.count }
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard fields.count == header.count else {
                rejected.append(.init(line: line, reason: tr("has \(fields.count, "field"); the header has \(header.count)")))
                continue
            }
            func value(_ column: Column) -> String? {
                guard let index = positions[column] else { return nil }
                // A line break inside a cell (Alt+Enter in Excel) becomes a space: names are one line.
                let v = fields[index].split(whereSeparator: { $0.isNewline || $0 == "\t" })
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
                return v.isEmpty ? nil : v
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
            guard !township.contains("/"), !village.contains("/") else {
                rejected.append(.init(line: line, reason: tr("a township or village name cannot contain /")))
                continue
            }
            let county = value(.county)
            let city = value(.city)
            guard !(county ?? "").contains("/"), !(city ?? "").contains("/") else {
                rejected.append(.init(line: line, reason: tr("a county or city name cannot contain /")))
                continue
            }
            let kindText = value(.villageKind) ?? (village.hasSuffix("社区") ? "community" : "village")
            guard let kind = VillageKind(input: kindText) else {
                rejected.append(.init(line: line, reason: tr("village kind \"\(kindText)\" is not 村 (village) or 社区 (community)")))
                continue
            }
            let priority: [String]
            do {
                priority = try Store.parsePriorities(value(.priority) ?? "")
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
            let codeKey = RecordID.scopedKey(code, county: county, city: city)
            if let earlier = firstLine[codeKey] {
                var same = earlier.row
                same.line = line
                if same != row {
                    rejected.append(.init(line: line, reason: tr("household \(code) is already on line \(earlier.line) with other details")))
                }
                continue
            }
            firstLine[codeKey] = (line, row)
            rows.append(row)
        }
        return (rows, rejected, ignored)
    }

    /// The byte offset of the first byte that is not valid UTF-8, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Checks RFC 4180 quoting: a quoted field ends with a quote before a comma or line end, quotes
    /// inside it are doubled, and no quoted field runs off the end of the file.
    static func quotingProblem(_ text: String) -> (line: Int, reason: String)? {
        var line = 1
        var inQuotes = false
        var quoteLine = 1
        var atFieldStart = true
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return scalars.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    let after = next()
                    if after == "\"" { continue }
                    inQuotes = false
                    atFieldStart = false
                    if let after {
                        if after == "," { atFieldStart = true } else if after == "\n" || after == "\r" {
                            if after == "\n" { line += 1 }
                            atFieldStart = true
                        } else {
                            return (line, tr("a quoted field is followed by \"\(after)\" instead of a comma or the end of the line"))
                        }
                    }
                } else if c == "\n" {
                    line += 1
                }
                continue
            }
            switch c {
            case "\"":
                if atFieldStart {
                    inQuotes = true
                    quoteLine = line
                } else {
                    return (line, tr("a quote appears inside an unquoted field; put the whole field in quotes and double the inner quotes"))
                }
            case ",":
                atFieldStart = true
            case "\n":
                line += 1
                atFieldStart = true
            case "\r":
                atFieldStart = true
            default:
                atFieldStart = false
            }
        }
        if inQuotes { return (quoteLine, tr("a quoted field opened here is never closed")) }
        return nil
    }
}

extension Store {
    /// Imports a roster CSV: townships, villages and households, in one transaction.
    public func importRoster(csvAt path: String) throws -> RosterImportReport {
        let role = try read { db in try LocalState.fetch(db).role }
        guard role == .central else {
            throw FieldbookError.notPermitted(
                tr("the roster is the office's. Import it into the central store, `fieldbook pack --roster` there, and merge that bundle here"))
        }
        let (rows, rejected, ignored) = try Roster.read(path: path)
        var report = RosterImportReport()
        report.rejected = rejected
        report.ignoredColumns = ignored
        try write { db in
            var townships: [String: String] = [:]
            var villages: [String: String] = [:]
            for row in rows {
                // County and city are written only where the roster gives them: a one-district
                // roster makes the very changes it always made.
                var levels: [String: FieldValue] = [:]
                if let county = row.county { levels["county"] = .text(county) }
                if let city = row.city { levels["city"] = .text(city) }
                let townshipKey = row.townshipKey
                let townshipID: String
                if let known = townships[townshipKey] {
                    townshipID = known
                } else {
                    townshipID = RecordID.township(row.township, county: row.county, city: row.city)
                    let fields = levels.merging(["name": .text(row.township)]) { $1 }
                    if try ensureReference(db, kind: .township, id: townshipID, fields: fields) == .added {
                        report.townshipsAdded += 1
                    }
                    townships[townshipKey] = townshipID
                }
                let villageKey = "\(townshipKey)/\(row.village)"
                let villageID: String
                if let known = villages[villageKey] {
                    villageID = known
                } else {
                    villageID = RecordID.village(township: townshipKey, name: row.village)
                    let outcome = try ensureReference(
                        db, kind: .village, id: villageID,
                        fields: ["township": .text(townshipID), "name": .text(row.village),
                                 "village_kind": .text(row.villageKind.rawValue)])
                    if outcome == .added { report.villagesAdded += 1 }
                    villages[villageKey] = villageID
                }
                let outcome = try ensureReference(
                    db, kind: .household, id: RecordID.household(code: row.code, county: row.county, city: row.city),
                    fields: levels.merging([
                        "village": .text(villageID), "code": .text(row.code),
                        "group": row.group.map(FieldValue.text) ?? .null,
                        "head": row.head.map(FieldValue.text) ?? .null,
                        "priority": .list(row.priority), "source": .text("roster"),
                    ]) { $1 })
                switch outcome {
                case .added: report.added += 1
                case .updated: report.updated += 1
                case .unchanged: report.unchanged += 1
                }
            }
            // The pinyin of the new names, for `fieldbook find` (NameReading.swift).
            try NameReadings.fillMissing(db)
        }
        return report
    }
}
