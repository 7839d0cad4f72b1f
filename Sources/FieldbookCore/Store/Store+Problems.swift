import Foundation
import GRDB

/// Problems found (发现问题), their rectification (整改) and the transfer of clues (移交问题线索), and
/// the office's problem categories.
extension Store {
    /// The fields only `rectify` and `transfer` write, so the rule that a rectification is verified by
    /// someone else cannot be stepped around with `edit`.
    static let problemStepFields: Set<String> = [
        "status", "rectified_on", "rectified_by", "rectified_device", "verified_on", "verified_by", "closed_on",
        "transferred_to", "transferred_on", "transfer_note",
    ]

    /// Records a step of a problem's rectification: rectifying (整改中), rectified (已整改), verified
    /// (已验收销号) or not rectifiable (无法整改), with the measures taken and the day (default today).
    ///
    /// A rectification is verified by another device, or on the same device by an inspector who did
    /// not mark it rectified; and only once it is marked rectified. `by` names who records the step
    /// (default: this device's inspectors).
    public func rectify(
        _ idOrPrefix: String, status statusText: String, measures: String? = nil, date: String? = nil, by: String? = nil
    ) throws -> Record {
        let id = try locateProblem(idOrPrefix)
        guard let status = ProblemStatus(input: statusText), status != .open else {
            throw FieldbookError.invalidValue(
                field: "status", value: statusText,
                expected: tr("use rectifying (整改中), rectified (已整改), verified (已验收销号) or not-rectifiable (无法整改)"))
        }
        return try step(id) { db, current in
            let local = try LocalState.fetch(db)
            let spec = { (name: String) in RecordKind.problem.field(name)! }
            let day = try date.map { try parse(db, $0, for: spec("rectified_on")) } ?? .text(environment.today())
            let people = by.map(Store.splitNames) ?? local.inspectors
            if status == .verified, people.isEmpty {
                throw FieldbookError.notPermitted(
                    tr("a verification (验收销号) names who checked the rectification off, someone other than who rectified it: give --by NAME"))
            }
            if status == .rectified, people.isEmpty {
                throw FieldbookError.invalidValue(
                    field: "by", value: by ?? "",
                    expected: tr("name who records the rectification (--by NAME): it is checked off later by someone else, so both are named"))
            }
            var fields: [String: FieldValue] = ["status": .text(status.rawValue)]
            if let measures { fields["measures"] = try parse(db, measures, for: spec("measures")) }
            switch status {
            case .open, .rectifying:
                break
            case .rectified:
                fields["rectified_on"] = day
                fields["rectified_by"] = .list(people)
                fields["rectified_device"] = .text(local.deviceID)
            case .verified:
                let was = ProblemStatus(rawValue: current.values["status"]?.text ?? "") ?? .open
                guard was == .rectified else {
                    throw FieldbookError.notPermitted(
                        tr("problem \(id) is \(was.rawValue) (\(was.chinese)); only a rectified problem is verified. Mark it rectified first: `fieldbook rectify \(id.prefix(13)) --status rectified`"))
                }
                let marker = current.values["rectified_device"]?.text
                let markers = current.values["rectified_by"]?.list ?? []
                // No names on the rectification: nobody on that device can show they are someone else.
                let samePeople = markers.isEmpty || !Set(markers).isDisjoint(with: people)
                if marker == local.deviceID, samePeople {
                    let who = markers.isEmpty ? tr("this device") : tr("\(markers.joined(separator: "、")) on this device")
                    throw FieldbookError.notPermitted(
                        tr("problem \(id) was marked rectified by \(who); its verification (验收销号) must be recorded by another inspector (--by NAME) or on another device"))
                }
                fields["verified_on"] = day
                fields["verified_by"] = .list(people)
            case .notRectifiable:
                fields["closed_on"] = day
            }
            return fields
        }
    }

    /// Records that a problem's clue was transferred (移交问题线索) to the discipline commission
    /// (纪委监委), the organisation department (组织部门) or another body, on a day (default today).
    public func transfer(_ idOrPrefix: String, to destinationText: String, date: String? = nil, note: String? = nil)
        throws -> Record
    {
        let id = try locateProblem(idOrPrefix)
        guard let destination = ClueDestination(input: destinationText) else {
            throw FieldbookError.invalidValue(
                field: "to", value: destinationText,
                expected: tr("use discipline (纪委监委), organisation (组织部门) or other"))
        }
        return try step(id) { db, current in
            let spec = { (name: String) in RecordKind.problem.field(name)! }
            var fields: [String: FieldValue] = [
                "transferred_to": .text(destination.rawValue),
                "transferred_on": try date.map { try parse(db, $0, for: spec("transferred_on")) } ?? .text(environment.today()),
            ]
            if let note { fields["transfer_note"] = try parse(db, note, for: spec("transfer_note")) }
            return fields
        }
    }

    /// Writes a rectification or transfer step of a live problem: `fields` from its current state,
    /// their days no earlier than the day it was found, only what changes, refused when nothing does.
    private func step(
        _ id: String, _ fields: (Database, RecordState) throws -> [String: FieldValue]
    ) throws -> Record {
        try write { db in
            let current = try Store.state(of: id, kind: .problem, db)
            guard !current.deleted else { throw FieldbookError.recordDeleted(id: id) }
            let written = try fields(db, current)
            var dated = written
            dated["found_on"] = current.values["found_on"]
            try checkProblemDates(dated)
            let differing = written.filter { current.values[$0.key] ?? .null != $0.value }
            guard !differing.isEmpty else { throw FieldbookError.nothingToChange(id: id) }
            try appendLocalChange(db, kind: .problem, recordID: id, op: .update, fields: differing)
        }
        return try record(id: id)
    }

    /// The problem categories: the default list, then the office's additions, by key.
    public func categories() throws -> [ProblemCategory] {
        try read { db in try Store.categories(db) }
    }

    static func categories(_ db: Database) throws -> [ProblemCategory] {
        let added = try Row.fetchAll(db, sql: "SELECT key, name FROM category WHERE deleted = 0 ORDER BY key")
            .map { ProblemCategory(key: $0["key"], name: $0["name"]) }
        let defaults = ProblemCategory.defaults
        let renamed = Dictionary(added.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
        return defaults.map { ProblemCategory(key: $0.key, name: renamed[$0.key] ?? $0.name) }
            + added.filter { a in !defaults.contains { $0.key == a.key } }
    }

    /// Adds a problem category to the list (the office's: it travels to the laptops with the roster).
    @discardableResult
    public func addCategory(key rawKey: String, name rawName: String) throws -> ProblemCategory {
        let key = rawKey.trimmingCharacters(in: .whitespaces).lowercased()
        let name = rawName.trimmingCharacters(in: .whitespaces)
        guard ProblemCategory.isKey(key) else {
            throw FieldbookError.invalidValue(
                field: "key", value: rawKey, expected: tr("a category key is lowercase letters, digits and -, at most 40 (e.g. village-assets)"))
        }
        try write { db in
            let known = try Store.categories(db)
            if let same = known.first(where: { $0.key == key || $0.name == name }) {
                throw FieldbookError.invalidValue(
                    field: same.key == key ? "key" : "name", value: same.key == key ? key : name,
                    expected: tr("it is already the category \(same.key) (\(same.name)); choose another"))
            }
            let spec = RecordKind.category.field("name")!
            let fields: [String: FieldValue] = ["key": .text(key), "name": try parse(db, name, for: spec)]
            try ensureReference(db, kind: .category, id: RecordID.derived(.category, key: key), fields: fields)
        }
        return ProblemCategory(key: key, name: name)
    }

    /// The key of the category given by its key or its Chinese name.
    func resolveCategory(_ db: Database, _ input: String) throws -> String {
        let text = input.trimmingCharacters(in: .whitespaces)
        let all = try Store.categories(db)
        if let match = all.first(where: { $0.key == text.lowercased() || $0.name == text }) { return match.key }
        throw FieldbookError.unknownName(
            field: "category", value: input,
            expected: tr("use one of \(all.map { "\($0.key) (\($0.name))" }.joined(separator: ", ")); the office adds others with `fieldbook categories add KEY --name NAME`"))
    }

    /// The id of the problem `idOrPrefix` names.
    private func locateProblem(_ idOrPrefix: String) throws -> String {
        let (kind, id) = try locate(idOrPrefix)
        guard kind == .problem else {
            throw FieldbookError.invalidValue(
                field: "id", value: idOrPrefix, expected: tr("name a problem (发现问题), not a \(kind.rawValue)"))
        }
        return id
    }

    /// The id of the visit, forum or notice `idOrPrefix` names, where a problem came up.
    func locateSource(_ idOrPrefix: String) throws -> String {
        let (kind, id) = try locate(idOrPrefix)
        guard kind == .visit || kind == .forum || kind == .notice else {
            throw FieldbookError.invalidValue(
                field: "from", value: idOrPrefix,
                expected: tr("name the visit, forum or notice where the problem came up, not a \(kind.rawValue)"))
        }
        return id
    }

    /// Refuses a problem tied to a visit, forum or notice of another village.
    func checkSourceVillage(_ db: Database, source: String, village: String) throws {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT s.village_id, t.name AS township, v.name FROM (
                    SELECT village_id FROM forum WHERE id = ?1
                    UNION ALL SELECT village_id FROM notice WHERE id = ?1
                    UNION ALL SELECT h.village_id FROM visit x JOIN household h ON h.id = x.household_id WHERE x.id = ?1
                ) s LEFT JOIN village v ON v.id = s.village_id LEFT JOIN township t ON t.id = v.township_id
                """, arguments: [source])
        guard let row, let sourceVillage: String = row["village_id"], sourceVillage != village else { return }
        let label = "\(row["township"] ?? "?")/\(row["name"] ?? "?")"
        throw FieldbookError.invalidValue(
            field: "from", value: source, expected: tr("it was recorded in \(label); name that village, or leave --from out"))
    }

    /// Refuses a deadline or step date before the day the problem was found.
    func checkProblemDates(_ fields: [String: FieldValue]) throws {
        try Store.checkStepDates(
            fields, steps: ["deadline", "rectified_on", "verified_on", "closed_on", "transferred_on"], checked: "rectified_on")
    }

    /// The dates of a problem's or a fix's steps: none of `steps` before the day it was found
    /// (`found_on`), and its check (`verified_on`) not before the step it checks (`checked`).
    static func checkStepDates(_ values: [String: FieldValue], steps: [String], checked: String) throws {
        if let found = values["found_on"]?.text {
            for name in steps {
                if let day = values[name]?.text, day < found {
                    throw FieldbookError.invalidValue(
                        field: name, value: day, expected: tr("the problem was found on \(found); give that day or a later one"))
                }
            }
        }
        if let done = values[checked]?.text, let verified = values["verified_on"]?.text, verified < done {
            throw FieldbookError.invalidValue(
                field: "verified_on", value: verified, expected: tr("its \(checked) is \(done); a check comes on that day or later"))
        }
    }
}
