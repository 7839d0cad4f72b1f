import Foundation
import GRDB

/// Coverage tallies: households visited against the roster, and the rest of the field work, per
/// village, township and district. The rules are in docs/TALLY.md.
///
/// Every figure is aggregated by SQLite in a handful of set-based statements (one per record kind,
/// never one per village), reading the partial covering indexes of the `v3-tally-indexes`
/// migration (and `problem_tally` of `v6-problems`); Swift only joins the grouped rows to the villages and adds them up per township.
extension Store {
    /// Tallies the store's live records under `query`.
    public func tally(_ query: TallyQuery = TallyQuery()) throws -> TallyReport {
        let now = environment.now()
        let generatedAt = Self.timestamp(now, in: environment.timeZone)
        // The day a deadline is measured against: the generated_at day, in the store's time zone.
        let today = FieldDate.string(from: now, in: environment.timeZone)
        return try read { db in
            let filter = try TallyFilter(query, store: self, db: db)
            var byVillage: [String: TallyCounts] = [:]

            // Households and visits, per village; the last row counts every counted visit.
            // Columns by position (see TallySQL): a province has ten thousand rows of them.
            let withTotal = filter.townshipIDs == nil
            var allVisits = 0
            var placedVisits = 0
            let households = try Row.fetchCursor(
                db, sql: TallySQL.households(filter, withTotal: withTotal),
                arguments: filter.householdArguments(withTotal: withTotal))
            while let row = try households.next() {
                guard let villageID: String = row[0] else {
                    allVisits = row[3]
                    continue
                }
                var counts = TallyCounts()
                counts.households = row[1]
                counts.visited = row[2]
                counts.visits = row[3]
                counts.wubao = PriorityTally(households: row[4], visited: row[5])
                counts.dibao = PriorityTally(households: row[6], visited: row[7])
                counts.weifang = PriorityTally(households: row[8], visited: row[9])
                counts.priority = PriorityTally(households: row[10], visited: row[11])
                byVillage[villageID] = counts
                placedVisits += counts.visits
            }
            var unknownHouseholds = UnknownHouseholdsTally()
            if withTotal, allVisits > placedVisits {
                unknownHouseholds = UnknownHouseholdsTally(
                    visits: allVisits - placedVisits,
                    households: try Int.fetchOne(db, sql: TallySQL.unknownHouseholds(filter), arguments: filter.visitArguments) ?? 0)
            }

            // Forums, notices and fixes, per village: (village_id, figure, figure[, figure]).
            let others: [(String, (inout TallyCounts, Row) -> Void)] = [
                (TallySQL.forums(filter), { $0.forums = $1[1]; $0.participants = $1[2] }),
                (TallySQL.notices(filter), { $0.notices = $1[1]; $0.copies = $1[2] }),
                (TallySQL.fixes(filter), { $0.fixesOpen = $1[1]; $0.fixesFixed = $1[2]; $0.fixesVerified = $1[3] }),
            ]
            for (sql, apply) in others {
                let rows = try Row.fetchCursor(db, sql: sql, arguments: filter.arguments)
                while let row = try rows.next() {
                    apply(&byVillage[row[0] as String, default: TallyCounts()], row)
                }
            }

            // Problems found, per village: by status, overdue on `today`, and clues by destination;
            // and how many overdue ones were not transferred (the overdue list's length).
            var listable = 0
            let problems = try Row.fetchCursor(
                db, sql: TallySQL.problems(filter), arguments: StatementArguments([today, today]) + filter.arguments)
            while let row = try problems.next() {
                var p = ProblemTally()
                p.open = row[1]
                p.rectifying = row[2]
                p.rectified = row[3]
                p.verified = row[4]
                p.notRectifiable = row[5]
                p.overdue = row[6]
                p.cluesDiscipline = row[7]
                p.cluesOrganisation = row[8]
                p.cluesOther = row[9]
                listable += row[10] as Int
                byVillage[row[0] as String, default: TallyCounts()].problems = p
            }

            // The villages, in roster order, grouped by township.
            var townships: [TownshipTally] = []
            var townshipIndex: [String: Int] = [:]
            var villageNames: [String: (village: String, township: String?)] = [:]
            let villageRows = try Row.fetchAll(
                db, sql: TallySQL.villages(filter), arguments: filter.townshipArguments)
            for row in villageRows {
                let id: String = row[0]
                if listable > 0, filter.applied.listsOverdue { villageNames[id] = (row[1], row[4]) }
                var counts = byVillage.removeValue(forKey: id) ?? TallyCounts()
                counts.villages = 1
                counts.villagesInspected = counts.hasInspectionWork ? 1 : 0
                let village = VillageTally(
                    id: id, name: row[1], kind: VillageKind(rawValue: row[2]) ?? .village, counts: counts)
                let townshipID: String = row[3]
                if let index = townshipIndex[townshipID] {
                    townships[index].villages.append(village)
                    townships[index].counts = townships[index].counts + counts
                } else {
                    townshipIndex[townshipID] = townships.count
                    townships.append(TownshipTally(
                        id: townshipID, name: row[4], villages: [village], counts: counts, county: row[5], city: row[6]))
                }
            }
            // What is left points at villages the store does not hold.
            let unknownVillages = byVillage.values.reduce(TallyCounts(), +)

            // The overdue problems themselves, read only when some are overdue and the report lists
            // them (the HTML page); never a transferred one. Past the limit, the last day and found day
            // listed are found in the index first, so only the listed problems' rows are read.
            var overdue: [OverdueProblem] = []
            let limit = filter.applied.overdueLimit
            if listable > 0, filter.applied.listsOverdue, limit > 0 {
                var cutoff: StatementArguments = []
                if listable > limit,
                    let edge = try Row.fetchOne(
                        db, sql: TallySQL.overdueCutoff(filter),
                        arguments: StatementArguments([today]) + filter.arguments + [limit - 1])
                {
                    let (deadline, found): (String, String) = (edge[0], edge[1])
                    cutoff = [deadline, deadline, found]
                }
                let rows = try Row.fetchCursor(
                    db, sql: TallySQL.overdue(filter, cutoff: !cutoff.isEmpty),
                    arguments: StatementArguments([today, today]) + filter.arguments + cutoff + [limit])
                while let row = try rows.next() {
                    let villageID: String = row[1]
                    let names = villageNames[villageID]
                    overdue.append(OverdueProblem(
                        id: row[0], villageID: villageID, village: names?.village, township: names?.township,
                        summary: row[2], responsible: row[3], deadline: row[4], daysOverdue: row[5],
                        status: ProblemStatus(rawValue: row[6]) ?? .open))
                }
            }
            return TallyReport(
                query: filter.applied, generatedAt: generatedAt, townships: townships,
                district: townships.reduce(TallyCounts()) { $0 + $1.counts },
                unknownHouseholds: unknownHouseholds, unknownVillages: unknownVillages,
                districtName: filter.districtName, overdue: overdue, overdueNotTransferred: listable)
        }
    }

    /// `2026-11-21T09:00:00+08:00`.
    static func timestamp(_ date: Date, in zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// A tally's filters, resolved against the store: ids for names, normalised dates, and the
/// arguments each statement binds.
struct TallyFilter {
    var applied: TallyQuery
    var roundID: String?
    var from: String?
    var to: String?
    /// The townships whose villages are counted, when a city, county or township is asked for.
    var townshipIDs: [String]?
    /// The devices of the team asked for.
    var teamDevices: [String]?
    /// The store's one district's name (`fieldbook init --district`), for townships without a county.
    var districtName: String?
    /// The tally indexes the store holds now: all of them, but while a big merge has set some aside
    /// (TallyIndexes.swift). Without its index a statement reads the table: slower, the same figures.
    var indexes: Set<String> = Set(Schema.tallyIndexes.map(\.name))
    /// The parts of the visits' tally index (two, split at a row number), while the store holds both.
    var visitParts: [TallyPart]?

    /// `INDEXED BY name`, which pins a statement's plan to a tally index, when the store holds it.
    func indexedBy(_ name: String) -> String {
        indexes.contains(name) ? "INDEXED BY \(name)" : ""
    }

    init(_ query: TallyQuery, store: Store, db: Database) throws {
        let definitions = try Store.tallyIndexDefinitions(db)
        indexes = Set(definitions.keys).subtracting(Store.missingTallyIndexes(definitions).map(\.name))
        visitParts = Store.tallyParts(.visit, definitions)
        applied = TallyQuery(listsOverdue: query.listsOverdue)
        applied.overdueLimit = query.overdueLimit
        let trimmed = { (text: String?) -> String? in
            text.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let round = trimmed(query.round) {
            roundID = try store.resolveRound(db, round)
            applied.round = round
        }
        func day(_ text: String?, _ field: String) throws -> String? {
            guard let text = trimmed(text) else { return nil }
            guard let date = FieldDate.normalize(text) else {
                throw FieldbookError.invalidValue(field: field, value: text, expected: tr("give a real date as YYYY-MM-DD, e.g. 2026-11-21"))
            }
            return date
        }
        from = try day(query.from, "from")
        to = try day(query.to, "to")
        applied.from = from
        applied.to = to
        if let from, let to, from > to {
            throw FieldbookError.invalidValue(
                field: "to", value: to, expected: tr("the last day must not come before the first day, \(from)"))
        }
        districtName = try String.fetchOne(db, sql: "SELECT district FROM local_state WHERE singleton = 1")
        let township = trimmed(query.township)
        let county = trimmed(query.county)
        let city = trimmed(query.city)
        if township != nil || county != nil || city != nil {
            townshipIDs = try TallyPlace.townships(
                db, township: township, county: county, city: city, districtName: districtName, store: store)
            applied.township = township
            applied.county = county
            applied.city = city
        }
        if let team = trimmed(query.team) {
            let teams = try String.fetchAll(db, sql: "SELECT DISTINCT team FROM device WHERE team IS NOT NULL ORDER BY team")
            guard teams.contains(team) else {
                throw FieldbookError.unknownName(
                    field: "team", value: team,
                    expected: teams.isEmpty
                        ? tr("no device of this store belongs to a team")
                        : tr("use a team of this store's devices: \(teams.joined(separator: ", "))"))
            }
            teamDevices = try String.fetchAll(db, sql: "SELECT id FROM device WHERE team = ? ORDER BY id", arguments: [team])
            applied.team = team
        }
    }

    /// Reads of the live visits `v` with `clauses` (``recordClauses(date:prefix:)`` on `v.`), one
    /// for each part of the visits' tally index, pinned by `INDEXED BY` with the condition that
    /// selects its rows; one of the table while a part is missing. With `household`, the visits
    /// of that household (an outer statement's column): a seek into each part. Each read binds
    /// the clauses' arguments again: ``visitArguments``.
    func visitReads(_ select: String, ofHousehold household: String? = nil, _ clauses: String, groupedBy group: String? = nil) -> [String] {
        let one = household.map { " AND v.household_id = \($0)" } ?? ""
        let grouped = group.map { " GROUP BY \($0)" } ?? ""
        return Store.liveReads(.visit, visitParts, as: "v", select: select, one + clauses + grouped)
    }

    /// The visit filters' arguments, once for each read of ``visitReads(_:ofHousehold:_:groupedBy:)``.
    var visitArguments: StatementArguments {
        Array(repeating: recordArguments, count: visitParts?.count ?? 1).reduce([], +)
    }

    /// `AND …` clauses on a field record table, for its date column; `prefix` names the table's
    /// alias where a statement needs one.
    func recordClauses(date column: String, prefix: String = "") -> String {
        var sql = ""
        if roundID != nil { sql += " AND \(prefix)round_id = ?" }
        if from != nil { sql += " AND \(column) >= ?" }
        if to != nil { sql += " AND \(column) <= ?" }
        if let teamDevices {
            sql += " AND \(prefix)created_by IN (\(teamDevices.map { _ in "?" }.joined(separator: ", ")))"
        }
        return sql
    }

    var recordArguments: StatementArguments {
        var arguments: StatementArguments = []
        if let roundID { arguments += [roundID] }
        if let from { arguments += [from] }
        if let to { arguments += [to] }
        for device in teamDevices ?? [] { arguments += [device] }
        return arguments
    }

    /// `AND village_id IN (…)` when a township, county or city is asked for.
    var townshipClause: String {
        townshipIDs == nil ? "" : " AND village_id IN (SELECT id FROM village WHERE township_id IN (\(townshipMarks)) AND deleted = 0)"
    }

    /// One `?` per township asked for (a city holds a few hundred).
    var townshipMarks: String { (townshipIDs ?? []).map { _ in "?" }.joined(separator: ", ") }

    var townshipArguments: StatementArguments { StatementArguments(townshipIDs ?? []) }

    /// The arguments of the forum, notice and fix statements: the record filters, then the township.
    var arguments: StatementArguments { recordArguments + townshipArguments }

    /// The arguments of the households statement: the visit filters, the township, and the visit
    /// filters again for the total row.
    func householdArguments(withTotal: Bool) -> StatementArguments {
        (visitParts == nil ? recordArguments : visitArguments) + townshipArguments + (withTotal ? visitArguments : [])
    }
}

/// The statements of a tally. Each reads live rows only (`deleted = 0`, which is what lets SQLite
/// use the partial `*_tally` indexes) and groups in SQL.
enum TallySQL {
    /// Per village: households on the roster, visited, visits, and each priority kind on the roster
    /// and visited (columns read by position: village_id, households, visited, visits, then each
    /// kind and kind_visited in `PriorityKind` order, then the households of any priority kind and
    /// of them visited, each household once). With `withTotal`, a last row (village_id
    /// NULL) holds every counted visit in `visits`: those the village rows do not hold point at
    /// households the store does not have.
    ///
    /// Households are walked in id order through `household_tally` and each one's visits counted by
    /// a seek into each part of the visits' tally index, which is in household id order too: the
    /// indexes are read front to back, and no table row is touched. `INDEXED BY` pins that plan:
    /// without statistics SQLite may prefer `visit_by_household`, which reads a table row per visit
    /// and is five times slower at a million visits. (An index a big merge has set aside is not
    /// named: ``TallyFilter/indexedBy(_:)``, ``TallyFilter/visitReads(_:ofHousehold:_:groupedBy:)``; without the
    /// visits' index, the visits are grouped by household first.)
    static func households(_ filter: TallyFilter, withTotal: Bool) -> String {
        let flags = PriorityKind.allCases.map { "instr(h.priority, '\"\($0.rawValue)\"') > 0 AS \($0.rawValue)" }
            .joined(separator: ", ")
        let anyKind = "(" + PriorityKind.allCases.map(\.rawValue).joined(separator: " OR ") + ")"
        let sums = PriorityKind.allCases.map { "sum(\($0.rawValue)), sum(\($0.rawValue) AND n > 0)" }.joined(separator: ", ")
            + ", sum(\(anyKind)), sum(\(anyKind) AND n > 0)"
        let zeros = (PriorityKind.allCases.map { _ in "0, 0" } + ["0, 0"]).joined(separator: ", ")
        let visits = filter.recordClauses(date: "v.date", prefix: "v.")
        // Without the visits' index (a big merge has set it aside) nothing finds a household's visits
        // but a read of the whole table: a seek per household would read every visit once per
        // household (a hundred thousand households, a million visits: never done). The visits are
        // then counted per household in one grouped pass, and the households joined to the counts.
        let perHousehold = filter.visitParts != nil
            ? """
                SELECT h.village_id, \(flags),
                    \(filter.visitReads("count(*)", ofHousehold: "h.id", visits).map { "(\($0))" }.joined(separator: " + ")) AS n
                FROM household h \(filter.indexedBy("household_tally"))
                WHERE h.deleted = 0\(filter.townshipClause)
                ORDER BY h.id LIMIT -1
                """
            : """
                SELECT h.village_id, \(flags), ifnull(c.n, 0) AS n
                FROM household h \(filter.indexedBy("household_tally"))
                LEFT JOIN (
                    \(filter.visitReads("household_id, count(*) AS n", visits, groupedBy: "household_id")[0])
                ) c ON c.household_id = h.id
                WHERE h.deleted = 0\(filter.townshipClause)
                """
        return """
            SELECT village_id, count(*), count(nullif(n, 0)), ifnull(sum(n), 0), \(sums)
            FROM (
            \(perHousehold)
            )
            GROUP BY village_id
            \(withTotal ? "UNION ALL SELECT NULL, 0, 0, \(filter.visitReads("count(*)", visits).map { "(\($0))" }.joined(separator: " + ")), \(zeros)" : "")
            """
    }

    /// Distinct households the store does not have that counted visits point at. Run only when
    /// some counted visits are not in any village row. Each part of the visits' index is grouped
    /// by household in its own order, and the few groups of both grouped again: a distinct over
    /// their rows together would sort every visit (0.23 s against 0.15 s for 900,000 visits).
    static func unknownHouseholds(_ filter: TallyFilter) -> String {
        """
        SELECT count(*) FROM (
            SELECT household_id FROM (
                \(filter.visitReads("v.household_id", filter.recordClauses(date: "v.date", prefix: "v."), groupedBy: "v.household_id")
                    .joined(separator: "\n        UNION ALL "))
            ) GROUP BY household_id
        ) hv
        WHERE NOT EXISTS (SELECT 1 FROM household h WHERE h.id = hv.household_id AND h.deleted = 0)
        """
    }

    static func forums(_ filter: TallyFilter) -> String {
        """
        SELECT village_id, count(*) AS forums, sum(participants) AS participants FROM forum
        WHERE deleted = 0\(filter.recordClauses(date: "date"))\(filter.townshipClause)
        GROUP BY village_id
        """
    }

    static func notices(_ filter: TallyFilter) -> String {
        """
        SELECT village_id, count(*) AS notices, sum(copies) AS copies FROM notice
        WHERE deleted = 0\(filter.recordClauses(date: "date"))\(filter.townshipClause)
        GROUP BY village_id
        """
    }

    static func fixes(_ filter: TallyFilter) -> String {
        """
        SELECT village_id, sum(status = 'open') AS open, sum(status = 'fixed') AS fixed,
            sum(status = 'verified') AS verified FROM fix
        WHERE deleted = 0\(filter.recordClauses(date: "found_on"))\(filter.townshipClause)
        GROUP BY village_id
        """
    }

    /// Per village: problems by status (open, rectifying, rectified, verified, not rectifiable),
    /// overdue (open or rectifying with a deadline before the first argument, the tally's day),
    /// clues transferred to the discipline commission, the organisation department and others, and
    /// the overdue ones not transferred (the second argument is the tally's day again).
    /// Every column it reads is in `problem_tally`, so the table is never touched. `count(*) FILTER`
    /// steps an aggregate only for the rows it counts: a third faster than `sum(condition)` here.
    static func problems(_ filter: TallyFilter) -> String {
        """
        SELECT village_id, count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'rectifying'),
            count(*) FILTER (WHERE status = 'rectified'), count(*) FILTER (WHERE status = 'verified'),
            count(*) FILTER (WHERE status = 'not-rectifiable'),
            count(*) FILTER (WHERE deadline < ? AND status IN ('open', 'rectifying')),
            count(*) FILTER (WHERE transferred_to = 'discipline'), count(*) FILTER (WHERE transferred_to = 'organisation'),
            count(*) FILTER (WHERE transferred_to = 'other'),
            count(*) FILTER (WHERE deadline < ? AND status IN ('open', 'rectifying') AND transferred_to IS NULL)
        FROM problem \(filter.indexedBy("problem_tally"))
        WHERE deleted = 0\(filter.recordClauses(date: "found_on"))\(filter.townshipClause)
        GROUP BY village_id
        """
    }

    /// The overdue problems not transferred as clues, most overdue first, at most as many as the
    /// last argument (columns by position: id, village_id, summary, responsible, deadline, days
    /// overdue, status). The first two arguments are the tally's day; with `cutoff`, three more
    /// after the filters' keep the rows up to a deadline and found day (``overdueCutoff(_:)``), so
    /// that SQLite reads only those rows from the table, for their summaries and ids.
    static func overdue(_ filter: TallyFilter, cutoff: Bool) -> String {
        let clauses = filter.recordClauses(date: "found_on") + filter.townshipClause
            + (cutoff ? " AND (deadline < ? OR (deadline = ? AND found_on <= ?))" : "")
        return """
            SELECT id, village_id, summary, responsible, deadline,
                CAST(julianday(?) - julianday(deadline) AS INTEGER), status
            FROM problem \(filter.indexedBy("problem_tally"))
            WHERE deleted = 0 AND status IN ('open', 'rectifying') AND deadline < ? AND transferred_to IS NULL\(clauses)
            ORDER BY deadline, found_on, id
            LIMIT ?
            """
    }

    /// The deadline and found day of the last overdue problem listed (the OFFSET is the last
    /// argument), from `problem_tally` alone. The first argument is the tally's day.
    static func overdueCutoff(_ filter: TallyFilter) -> String {
        let clauses = filter.recordClauses(date: "found_on") + filter.townshipClause
        return """
            SELECT deadline, found_on FROM problem \(filter.indexedBy("problem_tally"))
            WHERE deleted = 0 AND status IN ('open', 'rectifying') AND deadline < ? AND transferred_to IS NULL\(clauses)
            ORDER BY deadline, found_on
            LIMIT 1 OFFSET ?
            """
    }

    /// Live villages in roster order (their township's, then their own), townships the store does
    /// not hold last. Columns read by position: id, name, village_kind, township_id, township,
    /// county, city.
    static func villages(_ filter: TallyFilter) -> String {
        """
        SELECT v.id, v.name, v.village_kind, v.township_id, t.name AS township, t.county, t.city
        FROM village v LEFT JOIN township t ON t.id = v.township_id AND t.deleted = 0
        WHERE v.deleted = 0\(filter.townshipIDs == nil ? "" : " AND v.township_id IN (\(filter.townshipMarks))")
        ORDER BY t.id IS NULL, t.created_hlc, v.township_id, v.created_hlc, v.id
        """
    }
}
