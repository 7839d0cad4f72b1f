import Foundation
import GRDB

/// The recording commands an inspection team uses in a village all day.
extension Store {
    /// Records a visit, a forum, a notice or a fix from what the inspector typed.
    ///
    /// `inputs` maps field names to text as typed: references by name (household code, village
    /// name), dates as `YYYY-MM-DD`, lists separated by commas. Missing dates default to today, the
    /// round to this device's current round, a visit's inspectors to this device's inspectors, a
    /// fix's status to open. A visit to a household missing from the roster records the household
    /// too when `newHousehold` is given.
    public func record(
        _ kind: RecordKind, _ inputs: [String: String], newHousehold: NewHousehold? = nil
    ) throws -> Record {
        precondition(RecordKind.fieldKinds.contains(kind), "record(_:) records field records only")
        var inputs = inputs
        if kind == .problem, let foundIn = inputs["found_in"] {
            inputs["found_in"] = try locateSource(foundIn)
        }
        let id = environment.makeRecordID()
        try write { db in
            let local = try LocalState.fetch(db)
            var fields: [String: FieldValue] = [:]
            if let round = inputs["round"] {
                fields["round"] = .text(try resolveRound(db, round))
            } else {
                guard let round = local.roundID else { throw FieldbookError.noRound }
                fields["round"] = .text(round)
            }
            for (name, text) in inputs where name != "round" && !(name == "household" && newHousehold != nil) {
                guard let spec = kind.field(name) else { throw FieldbookError.unknownField(name, kind: kind) }
                if kind == .problem, name == "category" {
                    fields[name] = .text(try resolveCategory(db, text))
                    continue
                }
                fields[name] = try parse(db, text, for: spec)
            }
            if let newHousehold, kind == .visit, let code = inputs["household"] {
                fields["household"] = .text(try addFieldHousehold(db, code: code, newHousehold))
            }
            let today = environment.today()
            switch kind {
            case .visit:
                if fields["inspectors"] == nil { fields["inspectors"] = .list(local.inspectors) }
            case .fix:
                if fields["status"] == nil { fields["status"] = .text(FixStatus.open.rawValue) }
                if fields["found_on"] == nil { fields["found_on"] = .text(fields["date"]?.text ?? today) }
                let status = FixStatus(rawValue: fields["status"]!.text!)!
                if status != .open, fields[status.dateField] == nil { fields[status.dateField] = .text(today) }
                if status == .verified, fields["fixed_on"] == nil { fields["fixed_on"] = .text(today) }
                fields["date"] = nil
            case .problem:
                if fields["status"] == nil { fields["status"] = .text(ProblemStatus.open.rawValue) }
                if fields["found_on"] == nil { fields["found_on"] = .text(today) }
            case .forum:
                let split = ["cadres", "members", "villagers"].compactMap { fields[$0]?.int }
                let sum = split.reduce(0, +)
                if (fields["participants"] ?? .null).isNull, split.count == 3 {
                    guard sum >= 1 else {
                        throw FieldbookError.invalidValue(
                            field: "participants", value: "0", expected: tr("a forum needs at least one participant"))
                    }
                    fields["participants"] = .int(sum)
                }
            default:
                break
            }
            try checkTogether(db, kind, fields, changed: Set(fields.keys))
            if kind.field("date") != nil, fields["date"] == nil { fields["date"] = .text(today) }
            for spec in kind.fields where spec.required && (fields[spec.name] ?? .null).isNull {
                throw FieldbookError.invalidValue(field: spec.name, value: "", expected: tr("it is required"))
            }
            try appendLocalChange(db, kind: kind, recordID: id, op: .create, fields: fields, fresh: true)
        }
        return try record(id: id)
    }

    /// The rules a field record's values meet together, for what a person types (`record`, and
    /// the record as `edit`, `fix-status` or `rectify` leave it), checked on its values after
    /// the change; `changed` names the fields the change sets, for the rules that read the store:
    /// - a problem's deadline and step dates are not before the day it was found, and the record
    ///   it was found in (`found_in`) was made in its village;
    /// - a fix's fixed and verified dates are not before the day it was found, and its household
    ///   lives in its village;
    /// - a forum's cadres, members and villagers add up to no more than its participants.
    func checkTogether(_ db: Database, _ kind: RecordKind, _ values: [String: FieldValue], changed: Set<String>) throws {
        switch kind {
        case .problem:
            try checkProblemDates(values)
            if !changed.isDisjoint(with: ["found_in", "village"]), let foundIn = values["found_in"]?.text,
                let village = values["village"]?.text
            {
                try checkSourceVillage(db, source: foundIn, village: village)
            }
        case .fix:
            try Store.checkStepDates(values, steps: ["fixed_on", "verified_on"], checked: "fixed_on")
            if !changed.isDisjoint(with: ["household", "village"]), let household = values["household"]?.text,
                let village = values["village"]?.text
            {
                try checkHouseholdVillage(db, household: household, village: village)
            }
        case .forum:
            let sum = ["cadres", "members", "villagers"].compactMap { values[$0]?.int }.reduce(0, +)
            if let participants = values["participants"]?.int, sum > participants {
                throw FieldbookError.invalidValue(
                    field: "participants", value: String(participants),
                    expected: tr("the cadres, members and villagers given add up to \(sum); give at least that many"))
            }
        default:
            break
        }
    }

    /// Refuses a household that lives in another village than the one named.
    private func checkHouseholdVillage(_ db: Database, household: String, village: String) throws {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT h.code, h.village_id, t.name AS township, v.name FROM household h
                LEFT JOIN village v ON v.id = h.village_id LEFT JOIN township t ON t.id = v.township_id
                WHERE h.id = ?
                """, arguments: [household])
        guard let row, let homeVillage: String = row["village_id"], homeVillage != village else { return }
        let label = "\(row["township"] ?? "?")/\(row["name"] ?? "?")"
        throw FieldbookError.invalidValue(
            field: "household", value: row["code"] ?? household,
            expected: tr("it lives in \(label); name that village, or leave --household out"))
    }

    private func addFieldHousehold(_ db: Database, code rawCode: String, _ new: NewHousehold) throws -> String {
        let code = rawCode.trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty else {
            throw FieldbookError.invalidValue(field: "household", value: rawCode, expected: tr("give the household's code"))
        }
        // Its code is unique within its village's county and city (none in a one-district store).
        let village = try resolveVillage(db, new.village)
        let levels = try Row.fetchOne(
            db, sql: "SELECT t.county, t.city FROM village v JOIN township t ON t.id = v.township_id WHERE v.id = ?",
            arguments: [village])
        let county: String? = levels?["county"]
        let city: String? = levels?["city"]
        let id = RecordID.household(code: code, county: county, city: city)
        if let existing = try Row.fetchOne(
            db,
            sql: "SELECT v.name FROM household h LEFT JOIN village v ON v.id = h.village_id WHERE h.id = ? AND h.deleted = 0",
            arguments: [id])
        {
            throw FieldbookError.householdExists(code: code, village: existing["name"] ?? tr("unknown village"))
        }
        var fields: [String: FieldValue] = [
            "village": .text(village), "code": .text(code),
            "group": new.group.map { .text($0) } ?? .null,
            "head": new.head.map { .text($0) } ?? .null,
            "priority": .list(try Store.parsePriorities(new.priority ?? "")),
            "source": .text("field"),
        ]
        if let county { fields["county"] = .text(county) }
        if let city { fields["city"] = .text(city) }
        try ensureReference(db, kind: .household, id: id, fields: fields)
        return id
    }

    /// Sets fields of a record from `FIELD=VALUE` pairs; returns the record and the fields changed.
    public func edit(_ idOrPrefix: String, set assignments: [(field: String, value: String)]) throws
        -> (record: Record, changed: [String])
    {
        let (kind, id) = try locate(idOrPrefix)
        let changed: [String] = try write { db in
            let current = try Store.state(of: id, kind: kind, db)
            guard !current.deleted else { throw FieldbookError.recordDeleted(id: id) }
            var fields: [String: FieldValue] = [:]
            for (name, text) in assignments {
                guard let spec = kind.field(name) else { throw FieldbookError.unknownField(name, kind: kind) }
                if name == "source" {
                    throw FieldbookError.notEditable(field: name, kind: kind, hint: tr("it says where the record came from"))
                }
                if kind == .problem, Self.problemStepFields.contains(name) {
                    throw FieldbookError.notEditable(
                        field: name, kind: kind,
                        hint: tr("a problem's rectification is recorded with `fieldbook rectify ID --status …`, its transfer with `fieldbook transfer ID --to …`"))
                }
                if kind == .problem, name == "category" {
                    fields[name] = .text(try resolveCategory(db, text))
                    continue
                }
                fields[name] = try parse(db, text, for: spec)
            }
            if kind == .fix, let status = fields["status"]?.text.flatMap(FixStatus.init(rawValue:)), status != .open,
                (current.values[status.dateField] ?? .null).isNull, fields[status.dateField] == nil
            {
                fields[status.dateField] = .text(environment.today())
            }
            // The record as the edit leaves it meets the rules its values meet together, as a
            // record typed afresh does: an edit was a way around them.
            var after = current.values
            after.merge(fields) { _, new in new }
            try checkTogether(db, kind, after, changed: Set(fields.keys))
            let differing = fields.filter { current.values[$0.key] ?? .null != $0.value }
            guard !differing.isEmpty else { throw FieldbookError.nothingToChange(id: id) }
            try appendLocalChange(db, kind: kind, recordID: id, op: .update, fields: differing)
            return differing.keys.sorted()
        }
        return (try record(id: id), changed)
    }

    /// Marks a fix fixed or verified, stamping the date of that step.
    public func setFixStatus(_ idOrPrefix: String, to status: String, date: String? = nil) throws -> Record {
        let (kind, id) = try locate(idOrPrefix)
        guard kind == .fix else {
            throw FieldbookError.invalidValue(field: "id", value: idOrPrefix, expected: tr("name a fix (立行立改), not a \(kind.rawValue)"))
        }
        guard let newStatus = FixStatus(input: status) else {
            throw FieldbookError.invalidValue(field: "status", value: status, expected: tr("use fixed or verified"))
        }
        var assignments: [(field: String, value: String)] = [("status", newStatus.rawValue)]
        if let date { assignments.append((newStatus.dateField, date)) }
        return try edit(id, set: assignments).record
    }

    /// Deletes a record by writing a tombstone; its history stays.
    public func delete(_ idOrPrefix: String) throws -> Record {
        let (kind, id) = try locate(idOrPrefix)
        try write { db in
            let current = try Store.state(of: id, kind: kind, db)
            guard !current.deleted else { throw FieldbookError.recordDeleted(id: id) }
            try appendLocalChange(db, kind: kind, recordID: id, op: .delete, fields: [:])
        }
        return try record(id: id)
    }

    /// Sets the round this device records in, creating it if it is new.
    /// Returns the names of the rounds the store held before, when `name` is a new round (nil
    /// when the store held it already): a misspelt round would split the tally.
    @discardableResult
    public func setRound(_ name: String) throws -> [String]? {
        try write { db in
            let known = try String.fetchAll(db, sql: "SELECT name FROM round WHERE deleted = 0 ORDER BY created_hlc")
            let existed = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM round WHERE id = ? AND deleted = 0",
                arguments: [RecordID.round(name.trimmingCharacters(in: .whitespaces))]) == true
            let id = try ensureRound(db, name: name)
            try db.execute(sql: "UPDATE local_state SET round_id = ?", arguments: [id])
            return existed ? nil : known
        }
    }

    /// Sets the inspectors a visit names when `--by` is not given.
    public func setInspectors(_ names: String) throws {
        let list = Store.splitNames(names)
        try Store.checkDefaultInspectors(list)
        try write { db in
            try db.execute(sql: "UPDATE local_state SET inspectors = ?", arguments: [CanonicalJSON.encode(list)])
        }
    }

    /// The inspectors a visit names when `--by` is not given meet the rules of a visit's
    /// `inspectors` field, the one definition of them: set unchecked, a name with an escape
    /// sequence or an invisible character made every later visit fail on a value nobody typed there.
    static func checkDefaultInspectors(_ names: [String]) throws {
        guard let spec = RecordKind.visit.fields.first(where: { $0.name == "inspectors" }) else { return }
        do {
            try ChangeRules.check(.list(names), spec)
        } catch {
            throw FieldbookError.invalidValue(field: "inspectors", value: error.value, expected: error.reason)
        }
    }
}
