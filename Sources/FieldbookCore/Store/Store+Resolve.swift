import Foundation
import GRDB

/// Turning what an inspector types (a village name, a household code, a date, a count) into values.
extension Store {
    /// The id of the live village named `input`: `NAME`, or `TOWNSHIP/NAME` where names repeat, or
    /// `COUNTY/TOWNSHIP/NAME` (and `CITY/COUNTY/TOWNSHIP/NAME`) at a store holding several counties.
    func resolveVillage(_ db: Database, _ input: String) throws -> String {
        let text = input.trimmingCharacters(in: .whitespaces)
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count > 4 || parts.contains(where: \.isEmpty) { parts = [text] }
        // From the right: village, township, county, city.
        let names = ["v.name", "t.name", "t.county", "t.city"]
        let clauses = parts.indices.map { " AND \(names[parts.count - 1 - $0]) = ?" }.joined()
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT v.id, t.name AS township, t.county, t.city, v.name FROM village v
                \(parts.count > 1 ? "JOIN" : "LEFT JOIN") township t ON t.id = v.township_id
                WHERE v.deleted = 0\(clauses) ORDER BY t.city, t.county, t.name
                """, arguments: StatementArguments(parts))
        if rows.count == 1 { return rows[0]["id"] }
        if rows.count > 1 {
            throw FieldbookError.ambiguousVillage(text, candidates: Self.villageLabels(rows))
        }
        let name = parts.last ?? text
        let all = try Row.fetchAll(
            db,
            sql: """
                SELECT t.name AS township, t.county, t.city, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id
                WHERE v.deleted = 0
                """)
        let labels = Self.villageLabels(all, always: false)
        let suggestions = Closest.matches(
            for: name, among: zip(all, labels).map { (key: $0["name"] as String, label: $1) })
        throw FieldbookError.unknownVillage(text, suggestions: suggestions)
    }

    /// How villages are named to a person: `TOWNSHIP/VILLAGE`; `COUNTY/TOWNSHIP/VILLAGE` where
    /// their counties differ (or, unless `always` is false, wherever a county is known), and
    /// `CITY/COUNTY/TOWNSHIP/VILLAGE` where a county's name alone does not tell them apart.
    static func villageLabels(_ rows: [Row], always: Bool = true) -> [String] {
        let scopes = rows.map { (county: $0["county"] as String?, city: $0["city"] as String?) }
        let counties = Set(scopes.map { $0.county ?? "" })
        let withCity = Set(scopes.map { "\($0.city ?? "")/\($0.county ?? "")" }).count > counties.count
        return zip(rows, scopes).map { row, scope in
            var label = "\(row["township"] ?? "?")/\(row["name"] as String)"
            if counties.count > 1 || withCity || (!always && scope.county != nil) { label = "\(scope.county ?? "?")/" + label }
            if withCity { label = "\(scope.city ?? "?")/" + label }
            return label
        }
    }

    /// The id of the live household with code `input`.
    func resolveHousehold(_ db: Database, _ input: String) throws -> String {
        let code = input.trimmingCharacters(in: .whitespaces)
        var rows = try Row.fetchAll(
            db, sql: "SELECT id, code, county, city FROM household WHERE code = ? AND deleted = 0 ORDER BY created_hlc",
            arguments: [code])
        // `COUNTY/CODE` (or `CITY/COUNTY/CODE`) where codes repeat across counties.
        var parts = code.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if rows.isEmpty, (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) {
            let clauses = parts.count == 3 ? " AND city = ? AND county = ?" : " AND county = ?"
            let last = parts.removeLast()
            rows = try Row.fetchAll(
                db, sql: "SELECT id, code, county, city FROM household WHERE code = ?\(clauses) AND deleted = 0 ORDER BY created_hlc",
                arguments: StatementArguments([last] + parts))
        }
        if let first = rows.first {
            let scopes = Set(rows.map { "\($0["city"] as String? ?? "")/\($0["county"] as String? ?? "")" })
            guard scopes.count > 1 else { return first["id"] }
            let labels = rows.map { row in
                [row["city"] as String?, row["county"] as String?, row["code"] as String?].compactMap { $0 }.joined(separator: "/")
            }
            throw FieldbookError.invalidValue(
                field: "household", value: code,
                expected: tr("households of several counties have this code: \(labels.joined(separator: ", ")); name one as COUNTY/CODE"))
        }
        let all = try Row.fetchAll(db, sql: "SELECT code, head FROM household WHERE deleted = 0")
        let suggestions = Closest.matches(
            for: code,
            among: all.map { row in
                let head: String? = row["head"]
                return (key: row["code"] as String, label: head.map { "\(row["code"] as String) \($0)" } ?? row["code"])
            })
        throw FieldbookError.unknownHousehold(code, suggestions: suggestions)
    }

    /// The id of an existing round named `input`.
    func resolveRound(_ db: Database, _ input: String) throws -> String {
        let name = input.trimmingCharacters(in: .whitespaces)
        let id = RecordID.round(name)
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM round WHERE id = ? AND deleted = 0", arguments: [id]) == true {
            return id
        }
        let known = try String.fetchAll(db, sql: "SELECT name FROM round WHERE deleted = 0 ORDER BY created_hlc")
        throw FieldbookError.unknownRound(name, known: known)
    }

    /// The id of the live township named `input`: `NAME`, or `COUNTY/NAME` (`CITY/COUNTY/NAME`)
    /// where two counties have a township of that name.
    func resolveTownship(_ db: Database, _ input: String) throws -> String {
        let name = input.trimmingCharacters(in: .whitespaces)
        let id = RecordID.township(name)
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM township WHERE id = ? AND deleted = 0", arguments: [id]) == true {
            return id
        }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count > 3 || parts.contains(where: \.isEmpty) { parts = [name] }
        let columns = ["name", "county", "city"]
        let clauses = parts.indices.map { " AND \(columns[parts.count - 1 - $0]) = ?" }.joined()
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, name, county, city FROM township WHERE deleted = 0\(clauses) ORDER BY city, county",
            arguments: StatementArguments(parts))
        if rows.count == 1 { return rows[0]["id"] }
        if rows.count > 1 {
            let labels = rows.map { row in
                [row["city"] as String?, row["county"] as String?, row["name"] as String?].compactMap { $0 }.joined(separator: "/")
            }
            throw FieldbookError.invalidValue(
                field: "township", value: name,
                expected: tr("several townships have this name: \(labels.joined(separator: ", ")); name one as COUNTY/TOWNSHIP"))
        }
        let known = try String.fetchAll(db, sql: "SELECT name FROM township WHERE deleted = 0 ORDER BY created_hlc, id")
        throw FieldbookError.unknownName(
            field: "township", value: name,
            expected: known.isEmpty
                ? tr("the store holds no township yet; import the roster with `fieldbook roster import FILE.csv`")
                : tr("use a township of this store: \(TallyPlace.listed(TallyPlace.distinct(known)))"))
    }

    /// Reads one field's value from what a person typed, checking it as the store would.
    func parse(_ db: Database, _ input: String, for spec: FieldSpec) throws -> FieldValue {
        let value = try parseTyped(db, input, for: spec)
        // The same rules a bundle's values meet (ChangeRules), from the same field specs.
        do {
            try ChangeRules.check(value, spec)
        } catch {
            throw FieldbookError.invalidValue(field: spec.name, value: input, expected: error.reason)
        }
        return value
    }

    private func parseTyped(_ db: Database, _ input: String, for spec: FieldSpec) throws -> FieldValue {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        switch spec.type {
        case .text:
            if text.isEmpty {
                if spec.required {
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: tr("it must not be empty"))
                }
                return .null
            }
            return .text(text)
        case .date:
            if text.isEmpty, !spec.required { return .null }
            guard let date = FieldDate.normalize(text) else {
                throw FieldbookError.invalidValue(
                    field: spec.name, value: input, expected: tr("give a real date as YYYY-MM-DD, e.g. 2026-11-21"))
            }
            if !environment.allowsFutureDates, let problem = ChangeRules.futureDateProblem(date, spec, today: environment.today()) {
                throw FieldbookError.invalidValue(field: spec.name, value: input, expected: problem)
            }
            return .text(date)
        case .count(let minimum, let maximum):
            if text.isEmpty, !spec.required { return .null }
            guard let n = Int64(text), n >= minimum, n <= maximum else {
                throw FieldbookError.invalidValue(
                    field: spec.name, value: input, expected: tr("give a whole number from \(minimum) to \(maximum)"))
            }
            return .int(n)
        case .list:
            return .list(Self.splitNames(text))
        case .priorities:
            return .list(try Self.parsePriorities(text, field: spec.name))
        case .choice(let words):
            if text.isEmpty, !spec.required { return .null }
            let word: String? =
                switch spec.name {
                case "status" where words.contains(ProblemStatus.rectifying.rawValue): ProblemStatus(input: text)?.rawValue
                case "status": FixStatus(input: text)?.rawValue
                case "village_kind": VillageKind(input: text)?.rawValue
                case "transferred_to": ClueDestination(input: text)?.rawValue
                default: words.contains(text) ? text : nil
                }
            guard let word else {
                throw FieldbookError.invalidValue(
                    field: spec.name, value: input, expected: tr("use one of \(words.joined(separator: ", "))"))
            }
            return .text(word)
        case .reference(let kind):
            if text.isEmpty {
                if spec.required {
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: tr("it must not be empty"))
                }
                return .null
            }
            switch kind {
            case .household: return .text(try resolveHousehold(db, text))
            case .village: return .text(try resolveVillage(db, text))
            case .round: return .text(try resolveRound(db, text))
            case .township: return .text(try resolveTownship(db, text))
            default:
                throw FieldbookError.invalidValue(field: spec.name, value: input, expected: tr("it cannot be set by name"))
            }
        case .recordOf(let kinds):
            if text.isEmpty {
                if spec.required {
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: tr("it must not be empty"))
                }
                return .null
            }
            for kind in kinds
            where try Bool.fetchOne(db, sql: "SELECT 1 FROM \(kind.table) WHERE id = ? AND deleted = 0", arguments: [text]) == true {
                return .text(text)
            }
            throw FieldbookError.invalidValue(
                field: spec.name, value: input,
                expected: tr("give the id of a \(kinds.map { "\($0.rawValue) (\($0.chinese))" }.joined(separator: tr(", a "))) this store holds; `fieldbook list` shows the ids"))
        }
    }

    /// Splits `张三,李四`, `张三、李四` or `张三；李四` into names.
    public static func splitNames(_ text: String) -> [String] {
        text.split(whereSeparator: { ",，、;；\n".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Reads priority kinds in English or Chinese, separated by `;` (or `；`, `、`, `,`).
    static func parsePriorities(_ text: String, field: String = "priority") throws -> [String] {
        var kinds = Set<PriorityKind>()
        for word in splitNames(text) {
            guard let kind = PriorityKind(input: word) else {
                throw FieldbookError.invalidValue(
                    field: field, value: word,
                    expected: tr("use wubao, dibao or weifang (五保户, 低保户, 危房改造户), separated by ;"))
            }
            kinds.insert(kind)
        }
        return kinds.sorted().map(\.rawValue)
    }
}

/// Suggestions for a name or code that matched nothing.
enum Closest {
    /// Up to five labels whose keys contain the input, start alike, or are a few edits away.
    static func matches(for input: String, among candidates: [(key: String, label: String)], limit: Int = 5)
        -> [String]
    {
        let target = Array(input.lowercased())
        guard !target.isEmpty else { return [] }
        // The most edits a suggestion may be away. Two texts are at least their difference in
        // length apart, so a key whose length differs by more is passed over without the distance
        // worked out: a pasted paragraph (a thousand characters against 45,000 households) took
        // twelve seconds to suggest nothing.
        let bound = max(2, target.count / 2)
        var scored: [(score: Int, label: String)] = []
        for candidate in candidates {
            let key = Array(candidate.key.lowercased())
            var score: Int
            if key.count >= target.count, candidate.key.lowercased().contains(input.lowercased()) {
                score = key.count - target.count
            } else {
                guard abs(key.count - target.count) <= bound else { continue }
                score = editDistance(target, key) + 1
                guard score <= bound + 1 else { continue }
            }
            scored.append((score, candidate.label))
        }
        scored.sort { ($0.score, $0.label) < ($1.score, $1.label) }
        var seen = Set<String>()
        return scored.map(\.label).filter { seen.insert($0).inserted }.prefix(limit).map { $0 }
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
