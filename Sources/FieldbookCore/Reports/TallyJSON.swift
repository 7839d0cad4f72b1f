import Foundation

/// The tally and the pending list as JSON for other programs. The schema (`fieldbook.tally/1`,
/// `fieldbook.pending/1`) is documented field by field in docs/TALLY.md; keys are English and
/// sorted, so the same data always prints the same bytes. A new field may be added within a
/// schema version; a field is never renamed or removed without a new version.
public enum TallyJSON {
    public static let schema = "fieldbook.tally/1"
    public static let pendingSchema = "fieldbook.pending/1"

    /// Every level at once (villages, townships, district), whatever level a table would show.
    public static func render(_ report: TallyReport) -> String {
        write(value(report))
    }

    static func value(_ report: TallyReport) -> JSONValue {
        let q = report.query
        let optional = { (s: String?) in s.map(JSONValue.string) ?? .null }
        // The level fields (county, city, the counties and cities) are written where the store's
        // roster names a county or city, or a tally asks for one: a one-district store's JSON is
        // what it always was.
        let levels = report.townships.contains { $0.county != nil || $0.city != nil } || q.county != nil || q.city != nil
        var villages: [JSONValue] = []
        var townships: [JSONValue] = []
        for township in report.townships {
            let scope: [String: JSONValue] = levels ? ["county": optional(township.county), "city": optional(township.city)] : [:]
            townships.append(.object(counts(township.counts, villages: true).merging([
                "id": .string(township.id), "name": optional(township.name),
            ].merging(scope) { $1 }) { $1 }))
            for village in township.villages {
                villages.append(.object(counts(village.counts, villages: true).merging([
                    "id": .string(village.id), "name": .string(village.name), "kind": .string(village.kind.rawValue),
                    "township": optional(township.name), "township_id": .string(township.id),
                    "inspected": .bool(village.inspected),
                ].merging(scope) { $1 }) { $1 }))
            }
        }
        // Counties and cities: sums of their townships, each named as the roster names it (null
        // where the roster names none).
        let cityTallies = levels ? report.cities : []
        let counties: [JSONValue] = cityTallies.flatMap(\.counties).map { county in
            .object(counts(county.counts, villages: true).merging([
                "name": optional(county.name), "city": optional(county.city),
                "townships": int(county.townships.count),
            ]) { $1 })
        }
        let cities: [JSONValue] = cityTallies.map { city in
            .object(counts(city.counts, villages: true).merging([
                "name": optional(city.name), "counties": int(city.counties.count),
            ]) { $1 })
        }
        var filters: [String: JSONValue] = [
            "round": optional(q.round), "from": optional(q.from), "to": optional(q.to),
            "township": optional(q.township), "team": optional(q.team),
        ]
        var extra: [String: JSONValue] = [:]
        if levels {
            filters["county"] = optional(q.county)
            filters["city"] = optional(q.city)
            extra["counties"] = .array(counties)
            extra["cities"] = .array(cities)
        }
        if let name = report.districtName { extra["district_name"] = .string(name) }
        return .object(extra.merging([
            "schema": .string(schema),
            "generated_at": .string(report.generatedAt),
            "filters": .object(filters),
            "villages": .array(villages),
            "townships": .array(townships),
            "district": .object(counts(report.district, villages: true)),
            "unknown_households": .object([
                "visits": int(report.unknownHouseholds.visits), "households": int(report.unknownHouseholds.households),
            ]),
            "unknown_villages": .object(counts(report.unknownVillages, villages: false)),
        ]) { $1 })
    }

    /// The figures of one row. `villages` adds the village counts and the inspected percentage.
    static func counts(_ c: TallyCounts, villages: Bool) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "households": int(c.households),
            "visited": int(c.visited),
            "coverage_percent": c.coveragePercent.map(int) ?? .null,
            "priority": .object(Dictionary(uniqueKeysWithValues: PriorityKind.allCases.map { kind in
                (kind.rawValue, JSONValue.object(["households": int(c[kind].households), "visited": int(c[kind].visited)]))
            })),
            // Households of any priority kind, each once (what `pending --priority-only` lists).
            "priority_households": .object(["households": int(c.priority.households), "visited": int(c.priority.visited)]),
            "visits": int(c.visits),
            "forums": int(c.forums),
            "participants": int(c.participants),
            "notices": int(c.notices),
            "copies": int(c.copies),
            "fixes": .object(["open": int(c.fixesOpen), "fixed": int(c.fixesFixed), "verified": int(c.fixesVerified)]),
            "problems": .object([
                "found": int(c.problemsFound),
                "fixed_on_the_spot": int(c.fixes),
                "clues": .object([
                    "total": int(c.problems.clues), "discipline": int(c.problems.cluesDiscipline),
                    "organisation": int(c.problems.cluesOrganisation), "other": int(c.problems.cluesOther),
                ]),
                "rectified": int(c.problemsRectified),
                "verified": int(c.problemsVerified),
                "not_rectifiable": int(c.problems.notRectifiable),
                "open": int(c.problemsOpen),
                "overdue": int(c.problems.overdue),
                "rectification_percent": c.rectificationPercent.map(int) ?? .null,
            ]),
        ]
        if villages {
            object["villages"] = int(c.villages)
            object["villages_inspected"] = int(c.villagesInspected)
            object["inspected_percent"] = c.inspectedPercent.map(int) ?? .null
        }
        return object
    }

    public static func pending(_ list: PendingList) -> String {
        let optional = { (s: String?) in s.map(JSONValue.string) ?? .null }
        return write(JSONValue.object([
            "schema": .string(pendingSchema),
            "generated_at": .string(list.generatedAt),
            "round": optional(list.round),
            "village": optional(list.village),
            "priority_only": .bool(list.priorityOnly),
            "households": int(list.households),
            "visited": int(list.visited),
            "pending": .array(list.pending.map { h in
                .object([
                    "id": .string(h.id), "code": .string(h.code), "head": optional(h.head), "group": optional(h.group),
                    "priority": .array(h.priority.map { .string($0.rawValue) }),
                    "village_id": .string(h.villageID), "village": optional(h.village), "township": optional(h.township),
                ])
            }),
        ]))
    }

    private static func int(_ n: Int) -> JSONValue { .int(Int64(n)) }

    /// Pretty-printed JSON with sorted keys, in the layout of `JSONValue.rendered()`, written
    /// directly: a province's tally is ten thousand objects, which JSONEncoder takes half a second
    /// over.
    static func write(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(1 << 16)
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let n): out += String(n)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .string(let s): string(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                write(item, indent: indent + 2, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                string(key, into: &out)
                out += " : "
                write(members[key]!, indent: indent + 2, into: &out)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// A JSON string, escaped as change lines escape theirs.
    private static func string(_ s: String, into out: inout String) {
        CanonicalJSON.appendString(s, to: &out)
    }
}
