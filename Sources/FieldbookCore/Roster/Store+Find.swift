import Foundation
import GRDB

/// A household `fieldbook find` found.
public struct FoundHousehold: Sendable, Hashable {
    public var id: String
    public var code: String
    public var head: String?
    public var group: String?
    public var township: String?
    public var village: String?
    public var county: String?
    public var city: String?
    public var priority: [PriorityKind]
    /// Whether a live visit to it is recorded in this device's round (in any round when the
    /// device has none).
    public var visited: Bool
    public var tier: HouseholdSearch.Tier
    /// `TOWNSHIP/VILLAGE`, with `COUNTY/` (and `CITY/`) before it where the store holds several.
    public var place: String

    /// `DG001 张建国 (城关镇/东关村)`.
    public var label: String {
        [code, head].compactMap { $0 }.joined(separator: " ") + " (\(place))"
    }
}

/// What `fieldbook find` found: the best matches, and how many there were.
public struct HouseholdFinding: Sendable {
    /// The best matches, up to the limit asked for, best first.
    public var households: [FoundHousehold]
    /// How many households matched.
    public var total: Int
    /// How many matched as well as the best one.
    public var atBest: Int
    /// The round whose visits count as visited, or nil for every round.
    public var round: String?
}

extension Store {
    /// The households that match `text` (``HouseholdSearch``), best first, at most `limit`;
    /// only in `village` (`NAME` or `TOWNSHIP/NAME`) when given.
    public func findHouseholds(_ text: String, village: String? = nil, limit: Int = 20) throws -> HouseholdFinding {
        let (finding, missing) = try read { db -> (HouseholdFinding, SearchIndex.Missing) in
            let villageID = try village.map { try resolveVillage(db, $0) }
            let index = try SearchIndex.load(db, village: villageID)
            let matches = HouseholdSearch.rank(text, index.candidates, places: index.places)
            let best = matches.first?.tier
            let top = Array(matches.prefix(max(0, limit)))
            let found = try details(db, index, top)
            let roundID = try LocalState.fetch(db).roundID
            let round = try roundID.flatMap { try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0]) }
            let finding = HouseholdFinding(
                households: found, total: matches.count, atBest: matches.prefix { $0.tier == best }.count, round: round)
            return (finding, index.missing)
        }
        keep(missing)
        return finding
    }

    /// The household `visit TEXT` records, when TEXT is not a household code: the one household
    /// whose head's name (in characters or pinyin) TEXT gives, or whose name alone TEXT begins.
    /// Nil when TEXT is a code (or `COUNTY/CODE`): the visit names it as it is. Several households
    /// → ``FieldbookError/ambiguousHousehold(_:candidates:total:)``; none →
    /// ``FieldbookError/unknownHousehold(_:suggestions:)`` with the closest ones.
    public func householdForVisit(_ text: String) throws -> (household: FoundHousehold, input: String)? {
        let unknown: FieldbookError
        do {
            _ = try read { db in try resolveHousehold(db, text) }
            return nil
        } catch let error as FieldbookError {
            guard case .unknownHousehold = error else { throw error }
            unknown = error
        }
        let finding = try findHouseholds(text, limit: 5)
        guard let first = finding.households.first else {
            // Nothing matches: the codes a few keystrokes away, else the names and pinyin.
            if case .unknownHousehold(_, let suggestions) = unknown, !suggestions.isEmpty { throw unknown }
            throw FieldbookError.unknownHousehold(
                text.trimmingCharacters(in: .whitespaces), suggestions: try closestHouseholds(text).map(\.label))
        }
        let chosen = (first.tier.namesHousehold && finding.atBest == 1) || (first.tier == .prefix && finding.total == 1)
        guard chosen else {
            if finding.total == 1 {
                throw FieldbookError.unknownHousehold(text.trimmingCharacters(in: .whitespaces), suggestions: [first.label])
            }
            throw FieldbookError.ambiguousHousehold(
                text.trimmingCharacters(in: .whitespaces), candidates: finding.households.map(\.label), total: finding.total)
        }
        // The code, or COUNTY/CODE (CITY/COUNTY/CODE) where other counties use the code.
        let shared = try read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM household WHERE code = ? AND deleted = 0", arguments: [first.code]) ?? 0
        }
        let input = shared > 1 ? [first.city, first.county, first.code].compactMap { $0 }.joined(separator: "/") : first.code
        return (first, input)
    }

    /// When nothing matches `text`: up to five households whose code, name or pinyin is a few
    /// edits away (``HouseholdSearch/closest(_:_:limit:)``), closest first.
    public func closestHouseholds(_ text: String) throws -> [FoundHousehold] {
        try read { db in
            let index = try SearchIndex.load(db, village: nil)
            let near = HouseholdSearch.closest(text, index.candidates)
            return try details(db, index, near.map { HouseholdSearch.Match(index: $0, tier: .contains) })
        }
    }

    /// The found households of `matches`, in their order.
    private func details(_ db: Database, _ index: SearchIndex, _ matches: [HouseholdSearch.Match]) throws -> [FoundHousehold] {
        guard !matches.isEmpty else { return [] }
        let rowids = matches.map { index.rowids[$0.index] }
        let marks = Array(repeating: "?", count: rowids.count).joined(separator: ", ")
        var rows: [Int64: Row] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT rowid, id, code, head, village_group, priority, county, city FROM household WHERE rowid IN (\(marks))",
            arguments: StatementArguments(rowids))
        {
            rows[row[0]] = row
        }
        let roundID = try LocalState.fetch(db).roundID
        let ids = rows.values.map { $0["id"] as String }
        let idMarks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        // Through each part of the visits' tally index: the visits have no other index by household.
        let reads = Store.liveReads(
            .visit, Store.tallyParts(.visit, try Store.tallyIndexDefinitions(db)), as: "v", select: "v.household_id",
            " AND v.household_id IN (\(idMarks))\(roundID == nil ? "" : " AND v.round_id = ?")")
        let visited = Set(try String.fetchAll(
            db, sql: reads.joined(separator: " UNION "),
            arguments: StatementArguments(Array(repeating: ids + (roundID.map { [$0] } ?? []), count: reads.count).flatMap { $0 })))
        let severalCounties = Set(index.places.map { "\($0.city ?? "")/\($0.county ?? "")" }).count > 1
        let severalCities = Set(index.places.map { $0.city ?? "" }).count > 1
        return matches.compactMap { match in
            guard let row = rows[index.rowids[match.index]] else { return nil }
            let candidate = index.candidates[match.index]
            let place = candidate.place >= 0 ? index.places[candidate.place] : nil
            let priority = (try? CanonicalJSON.decode([String].self, from: row["priority"] as String)) ?? []
            var label = place.map { "\($0.place.township)/\($0.place.village)" } ?? "?"
            if severalCounties { label = "\(row["county"] as String? ?? "?")/" + label }
            if severalCities { label = "\(row["city"] as String? ?? "?")/" + label }
            return FoundHousehold(
                id: row["id"], code: row["code"], head: row["head"], group: row["village_group"],
                township: place?.place.township, village: place?.place.village, county: row["county"], city: row["city"],
                priority: priority.compactMap(PriorityKind.init(rawValue:)).sorted(), visited: visited.contains(row["id"]),
                tier: match.tier, place: label)
        }
    }

    /// Stores the readings a search had to make, when the store can be written; a search that
    /// cannot store them still found what it found.
    private func keep(_ missing: SearchIndex.Missing) {
        guard !missing.households.isEmpty || !missing.villages.isEmpty, readOnlyReason == nil else { return }
        _ = try? write { db in
            try NameReadings.store(db, NameReadings.households, missing.households)
            try NameReadings.store(db, NameReadings.villages, missing.villages)
        }
    }
}

/// The live households and villages as the search reads them, with their names' readings.
struct SearchIndex {
    struct PlaceRow {
        var place: HouseholdSearch.Place
        var county: String?
        var city: String?
    }

    /// Readings a search made because the store had none (or a stale one): (rowid, name, reading).
    struct Missing {
        var households: [(Int64, String, String)] = []
        var villages: [(Int64, String, String)] = []
    }

    var candidates: [HouseholdSearch.Candidate] = []
    /// Each candidate's household rowid.
    var rowids: [Int64] = []
    var places: [PlaceRow] = []
    var missing = Missing()

    /// Reads the live households (of one village when given) and every live village. Households
    /// and their readings are both read in rowid order and walked side by side: no lookup per
    /// household.
    static func load(_ db: Database, village: String?) throws -> SearchIndex {
        var index = SearchIndex()
        var reader = NameReader()
        // Villages: a few hundred in a district.
        var villageReadings: [Int64: (name: String, reading: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT village, name, reading FROM village_reading") {
            villageReadings[row[0]] = (row[1], row[2])
        }
        var placeOf: [String: Int] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT v.rowid, v.id, v.name, t.name, t.county, t.city FROM village v
                LEFT JOIN township t ON t.id = v.township_id WHERE v.deleted = 0
                """)
        {
            let rowid: Int64 = row[0]
            let name: String = row[2]
            var reading = villageReadings[rowid].flatMap { $0.name == name ? $0.reading : nil }
            if reading == nil {
                let made = reader.reading(of: name)
                index.missing.villages.append((rowid, name, made))
                reading = made
            }
            placeOf[row[1]] = index.places.count
            index.places.append(PlaceRow(
                place: HouseholdSearch.Place(township: row[3] ?? "", village: name, reading: reading ?? ""),
                county: row[4], city: row[5]))
        }
        // Households and their readings, side by side in rowid order.
        let readings = try Row.fetchCursor(db, sql: "SELECT household, name, reading FROM household_reading ORDER BY household")
        var next = try readings.next().map { (rowid: $0[0] as Int64, name: $0[1] as String, reading: $0[2] as String) }
        let households = try Row.fetchCursor(
            db,
            sql: """
                SELECT rowid, code, head, village_group, village_id FROM household
                WHERE deleted = 0\(village == nil ? "" : " AND village_id = ?") ORDER BY rowid
                """,
            arguments: StatementArguments(village.map { [$0] } ?? []))
        var lastVillage = ""
        var lastPlace = -1
        while let row = try households.next() {
            let rowid: Int64 = row[0]
            let head: String? = row[2]
            while let current = next, current.rowid < rowid {
                next = try readings.next().map { ($0[0], $0[1], $0[2]) }
            }
            var reading = ""
            if let head {
                if let current = next, current.rowid == rowid, current.name == head {
                    reading = current.reading
                } else {
                    reading = reader.reading(of: head)
                    index.missing.households.append((rowid, head, reading))
                }
            }
            let villageID: String = row[4]
            if villageID != lastVillage {
                lastVillage = villageID
                lastPlace = placeOf[villageID] ?? -1
            }
            index.rowids.append(rowid)
            index.candidates.append(HouseholdSearch.Candidate(
                code: row[1], head: head, reading: reading, group: row[3], place: lastPlace))
        }
        return index
    }
}

extension HouseholdSearch {
    /// Ranks candidates among the store's places.
    static func rank(_ text: String, _ candidates: [Candidate], places: [SearchIndex.PlaceRow]) -> [Match] {
        rank(text, candidates, places: places.map(\.place))
    }
}
