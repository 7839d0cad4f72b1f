import Foundation
import GRDB

/// Turning what an inspector types (a village name, a household code, a date, a count) into values.
extension Store {
    /// The id of the live village named `input`: `NAME`, or `TOWNSHIP/NAME` where names repeat.
    func resolveVillage(_ db: Database, _ input: String) throws -> String {
        let text = input.trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let rows: [Row]
        if parts.count == 2 {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT v.id, t.name AS township, v.name FROM village v JOIN township t ON t.id = v.township_id
                    WHERE v.deleted = 0 AND v.name = ? AND t.name = ?
                    """, arguments: [parts[1], parts[0]])
        } else {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT v.id, t.name AS township, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id
                    WHERE v.deleted = 0 AND v.name = ? ORDER BY t.name
                    """, arguments: [text])
        }
        if rows.count == 1 { return rows[0]["id"] }
        if rows.count > 1 {
            throw FieldbookError.ambiguousVillage(
                text, candidates: rows.map { "\($0["township"] ?? "?")/\($0["name"] as String)" })
        }
        let name = parts.last ?? text
        let all = try Row.fetchAll(
            db,
            sql: """
                SELECT t.name AS township, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id
                WHERE v.deleted = 0
                """)
        let suggestions = Closest.matches(
            for: name, among: all.map { (key: $0["name"] as String, label: "\($0["township"] ?? "?")/\($0["name"] as String)") })
        throw FieldbookError.unknownVillage(text, suggestions: suggestions)
    }

    /// The id of the live household with code `input`.
    func resolveHousehold(_ db: Database, _ input: String) throws -> String {
        let code = input.trimmingCharacters(in: .whitespaces)
        if let id = try String.fetchOne(
            db, sql: "SELECT id FROM household WHERE code = ? AND deleted = 0 ORDER BY created_hlc LIMIT 1",
            arguments: [code])
        {
            return id
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

    func resolveTownship(_ db: Database, _ input: String) throws -> String {
        let name = input.trimmingCharacters(in: .whitespaces)
        let id = RecordID.township(name)
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM township WHERE id = ? AND deleted = 0", arguments: [id]) == true {
            return id
        }
        throw FieldbookError.invalidValue(field: "township", value: name, expected: "a township on the roster")
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
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: "it must not be empty")
                }
                return .null
            }
            return .text(text)
        case .date:
            if text.isEmpty, !spec.required { return .null }
            guard let date = FieldDate.normalize(text) else {
                throw FieldbookError.invalidValue(
                    field: spec.name, value: input, expected: "give a real date as YYYY-MM-DD, e.g. 2026-11-21")
            }
            return .text(date)
        case .count(let minimum, let maximum):
            if text.isEmpty, !spec.required { return .null }
            guard let n = Int64(text), n >= minimum, n <= maximum else {
                throw FieldbookError.invalidValue(
                    field: spec.name, value: input, expected: "give a whole number from \(minimum) to \(maximum)")
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
                    field: spec.name, value: input, expected: "use one of \(words.joined(separator: ", "))")
            }
            return .text(word)
        case .reference(let kind):
            if text.isEmpty {
                if spec.required {
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: "it must not be empty")
                }
                return .null
            }
            switch kind {
            case .household: return .text(try resolveHousehold(db, text))
            case .village: return .text(try resolveVillage(db, text))
            case .round: return .text(try resolveRound(db, text))
            case .township: return .text(try resolveTownship(db, text))
            default:
                throw FieldbookError.invalidValue(field: spec.name, value: input, expected: "it cannot be set by name")
            }
        case .recordOf(let kinds):
            if text.isEmpty {
                if spec.required {
                    throw FieldbookError.invalidValue(field: spec.name, value: input, expected: "it must not be empty")
                }
                return .null
            }
            for kind in kinds
            where try Bool.fetchOne(db, sql: "SELECT 1 FROM \(kind.table) WHERE id = ? AND deleted = 0", arguments: [text]) == true {
                return .text(text)
            }
            throw FieldbookError.invalidValue(
                field: spec.name, value: input,
                expected: "give the id of a " + kinds.map { "\($0.rawValue) (\($0.chinese))" }.joined(separator: ", a ")
                    + " this store holds; `fieldbook list` shows the ids")
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
                    expected: "use wubao, dibao or weifang (五保户, 低保户, 危房改造户), separated by ;")
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
        var scored: [(score: Int, label: String)] = []
        for candidate in candidates {
            let key = Array(candidate.key.lowercased())
            var score: Int
            if key.count >= target.count, candidate.key.lowercased().contains(input.lowercased()) {
                score = key.count - target.count
            } else {
                score = editDistance(target, key) + 1
                guard score <= max(2, target.count / 2) + 1 else { continue }
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
