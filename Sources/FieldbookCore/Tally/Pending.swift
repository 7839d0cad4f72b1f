import Foundation
import GRDB

/// Which households `pending` lists.
public struct PendingQuery: Sendable, Hashable {
    /// Which visits count as "visited".
    public enum Rounds: Sendable, Hashable {
        /// Visits in this device's current round (every round when none is set).
        case device
        /// Visits in the round of this name.
        case named(String)
        /// Visits in any round.
        case all
    }

    /// One village: `NAME` or `TOWNSHIP/NAME`.
    public var village: String?
    /// Only 五保户, 低保户 and 危房改造户.
    public var priorityOnly: Bool
    public var rounds: Rounds

    public init(village: String? = nil, priorityOnly: Bool = false, rounds: Rounds = .device) {
        self.village = village
        self.priorityOnly = priorityOnly
        self.rounds = rounds
    }
}

/// A household on the roster not yet visited.
public struct PendingHousehold: Sendable, Hashable {
    public var id: String
    public var code: String
    public var head: String?
    public var group: String?
    public var priority: [PriorityKind]
    public var villageID: String
    /// Nil when the household's village is not in the store.
    public var village: String?
    public var township: String?

    public var isPriority: Bool { !priority.isEmpty }
}

/// The team leader's evening list: households not yet visited, priority households first.
public struct PendingList: Sendable, Hashable {
    /// The round whose visits count; nil when visits of every round count.
    public var round: String?
    /// `TOWNSHIP/VILLAGE` when the list is for one village.
    public var village: String?
    public var priorityOnly: Bool
    /// Households the list was drawn from (the village's, or all; priority ones with priorityOnly).
    public var households: Int
    /// The households not yet visited: priority ones first, then in roster order.
    public var pending: [PendingHousehold]
    /// When the list was made, ISO 8601 in the store's time zone.
    public var generatedAt: String

    public var visited: Int { households - pending.count }
    public var priorityPending: Int { pending.filter(\.isPriority).count }
}

extension Store {
    /// Live households with no live visit (in the round asked for), priority households first.
    public func pending(_ query: PendingQuery = PendingQuery()) throws -> PendingList {
        let generatedAt = Self.timestamp(environment.now(), in: environment.timeZone)
        return try read { db in
            let roundID: String?
            switch query.rounds {
            case .device: roundID = try LocalState.fetch(db).roundID
            case .named(let name): roundID = try resolveRound(db, name)
            case .all: roundID = nil
            }
            let roundName = try roundID.flatMap { try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0]) }
            var villageID: String?
            var villageLabel: String?
            if let village = query.village {
                let id = try resolveVillage(db, village)
                villageID = id
                villageLabel = try Row.fetchOne(
                    db,
                    sql: "SELECT t.name AS township, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id WHERE v.id = ?",
                    arguments: [id]
                ).map { "\($0["township"] ?? "?")/\($0["name"] as String)" }
            }
            var scope = "h.deleted = 0"
            var scopeArguments: StatementArguments = []
            if let villageID {
                scope += " AND h.village_id = ?"
                scopeArguments += [villageID]
            }
            if query.priorityOnly { scope += " AND json_array_length(h.priority) > 0" }
            let households = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM household h WHERE \(scope)", arguments: scopeArguments) ?? 0
            let visitParts = Store.tallyParts(.visit, try Store.tallyIndexDefinitions(db))
            // The round once for each read of the visits (PendingSQL.households).
            let rounds = roundID.map { Array(repeating: $0, count: visitParts?.count ?? 1) } ?? []
            let rows = try Row.fetchAll(
                db, sql: PendingSQL.households(scope: scope, round: roundID != nil, visitParts: visitParts),
                arguments: scopeArguments + StatementArguments(rounds))
            let pending = rows.map { row in
                let priority = (try? CanonicalJSON.decode([String].self, from: row["priority"] as String)) ?? []
                return PendingHousehold(
                    id: row["id"], code: row["code"], head: row["head"], group: row["village_group"],
                    priority: priority.compactMap(PriorityKind.init(rawValue:)).sorted(), villageID: row["village_id"],
                    village: row["village"], township: row["township"])
            }
            return PendingList(
                round: roundName, village: villageLabel, priorityOnly: query.priorityOnly, households: households,
                pending: pending, generatedAt: generatedAt)
        }
    }
}

/// The pending list's statement.
enum PendingSQL {
    /// Live households under `scope` with no live visit (in the round, the last argument, when
    /// `round`, bound once for each part). With the parts of the visits' tally index each
    /// household's visits are a seek into each; without one (a big merge has set it aside) a seek per household would read every visit
    /// once per household, so the visited households are read once, in one pass, and each household
    /// looked up among them.
    static func households(scope: String, round: Bool, visitParts: [TallyPart]?) -> String {
        let roundClause = round ? " AND x.round_id = ?" : ""
        // `household_id` is never NULL: NOT IN is NOT EXISTS.
        let unvisited = visitParts.map { parts in
            Store.liveReads(.visit, parts, as: "x", select: "1", " AND x.household_id = h.id\(roundClause)")
                .map { "NOT EXISTS (\($0))" }.joined(separator: " AND ")
        } ?? "h.id NOT IN (SELECT x.household_id FROM visit x WHERE x.deleted = 0\(roundClause))"
        return """
            SELECT h.id, h.code, h.head, h.village_group, h.priority, h.village_id,
                v.name AS village, t.name AS township
            FROM household h
            LEFT JOIN village v ON v.id = h.village_id AND v.deleted = 0
            LEFT JOIN township t ON t.id = v.township_id AND t.deleted = 0
            WHERE \(scope)
            AND \(unvisited)
            ORDER BY json_array_length(h.priority) = 0, v.id IS NULL, t.id IS NULL, t.created_hlc,
                v.township_id, v.created_hlc, h.village_id, h.created_hlc, h.code
            """
    }
}
