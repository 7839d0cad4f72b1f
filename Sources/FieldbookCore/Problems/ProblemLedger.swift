import Foundation
import GRDB

/// Which problems the rectification ledger (整改台账) shows.
public struct ProblemLedgerQuery: Sendable, Hashable {
    /// Only this village: NAME or TOWNSHIP/NAME.
    public var village: String?
    /// Only this round (default: every round).
    public var round: String?
    /// Only this status: the English word or the Chinese name.
    public var status: String?
    /// Only the overdue problems: deadline before today, still open or being rectified.
    public var overdueOnly: Bool

    public init(village: String? = nil, round: String? = nil, status: String? = nil, overdueOnly: Bool = false) {
        self.village = village
        self.round = round
        self.status = status
        self.overdueOnly = overdueOnly
    }
}

/// The rectification ledger (整改台账): each live problem with what the follow-up needs, overdue
/// items first.
///
/// It never holds a problem's detail nor a transfer's note: a transferred clue (移交问题线索) shows
/// in the ledger as transferred, with its summary, and what it says stays in the store (only
/// `fieldbook show` prints it, marked). Every rendering of the ledger is therefore safe to print.
public struct ProblemLedger: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var id: String
        /// The id as `list` shows it: the shortest prefix that names it alone.
        public var shortID: String
        public var township: String?
        public var village: String
        public var villageID: String
        public var round: String?
        public var summary: String
        public var categoryKey: String?
        public var categoryName: String?
        public var foundOn: String
        public var responsible: String?
        public var deadline: String?
        public var status: ProblemStatus
        public var measures: String?
        public var rectifiedOn: String?
        public var verifiedOn: String?
        public var closedOn: String?
        public var transferredTo: ClueDestination?
        public var transferredOn: String?
        /// Days past the deadline for an overdue item; nil for one that is not overdue.
        public var daysOverdue: Int?

        public var isOverdue: Bool { daysOverdue != nil }
        /// A clue transferred on: its detail and the transfer's note are sensitive.
        public var isTransferred: Bool { transferredTo != nil }
    }

    /// The day the ledger is as of (the store's clock): what "overdue" is measured against.
    public var today: String
    /// The filters as given, resolved to names: village `TOWNSHIP/NAME`, round, status.
    public var village: String?
    public var round: String?
    public var status: ProblemStatus?
    public var overdueOnly: Bool
    /// The items in ledger order (``ordered(_:)``).
    public var items: [Item]

    /// How many items have each status.
    public func count(_ status: ProblemStatus) -> Int { items.filter { $0.status == status }.count }
    public var overdue: Int { items.filter(\.isOverdue).count }
    public var transferred: Int { items.filter(\.isTransferred).count }

    /// Ledger order: overdue items first, most days overdue first; then the items still open or
    /// being rectified, by deadline (those without one last); then the rest: rectified and awaiting
    /// verification, not rectifiable, verified. Ties go by the day found, then the id.
    public static func ordered(_ items: [Item]) -> [Item] {
        func group(_ item: Item) -> Int {
            if item.isOverdue { return 0 }
            switch item.status {
            case .open, .rectifying: return 1
            case .rectified: return 2
            case .notRectifiable: return 3
            case .verified: return 4
            }
        }
        return items.sorted { a, b in
            let ga = group(a)
            let gb = group(b)
            if ga != gb { return ga < gb }
            if ga == 0, a.daysOverdue != b.daysOverdue { return (a.daysOverdue ?? 0) > (b.daysOverdue ?? 0) }
            if ga == 1, a.deadline != b.deadline {
                // No deadline sorts last.
                return (a.deadline ?? "9999-99-99") < (b.deadline ?? "9999-99-99")
            }
            return (a.foundOn, a.id) < (b.foundOn, b.id)
        }
    }

    /// Days past `deadline` as of `today`, for a problem with `status`; nil when it is not overdue
    /// (no deadline, the deadline not yet passed, or rectified, verified or not rectifiable).
    public static func daysOverdue(deadline: String?, status: ProblemStatus, today: String) -> Int? {
        guard status.isOpen, let deadline, let due = DayNumber.of(deadline), let now = DayNumber.of(today), due < now
        else { return nil }
        return now - due
    }
}

/// Calendar days as numbers, so that two `YYYY-MM-DD` days subtract to the days between them.
enum DayNumber {
    /// Days since 1970-01-01 of a `YYYY-MM-DD` day (proleptic Gregorian), or nil for other text.
    static func of(_ day: String) -> Int? {
        let parts = day.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension Store {
    /// The rectification ledger (整改台账) of the live problems `query` selects, as of today on
    /// this store's clock.
    public func problemLedger(_ query: ProblemLedgerQuery = ProblemLedgerQuery()) throws -> ProblemLedger {
        let today = environment.today()
        let status = try query.status.map { text in
            guard let status = ProblemStatus(input: text) else {
                throw FieldbookError.invalidValue(
                    field: "status", value: text,
                    expected: tr("use open (未整改), rectifying (整改中), rectified (已整改), verified (已验收销号) or not-rectifiable (无法整改)"))
            }
            return status
        }
        var ledger: ProblemLedger = try read { db in
            let villageID = try query.village.map { try resolveVillage(db, $0) }
            let roundID = try query.round.map { try resolveRound(db, $0) }
            var clauses = ["p.deleted = 0"]
            var arguments: StatementArguments = []
            if let villageID {
                clauses.append("p.village_id = ?")
                arguments += [villageID]
            }
            if let roundID {
                clauses.append("p.round_id = ?")
                arguments += [roundID]
            }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, p.village_id, p.summary, p.category, p.found_on, p.responsible, p.deadline,
                        p.status, p.measures, p.rectified_on, p.verified_on, p.closed_on, p.transferred_to,
                        p.transferred_on, v.name AS village_name, t.name AS township_name, r.name AS round_name
                    FROM problem p
                    LEFT JOIN village v ON v.id = p.village_id
                    LEFT JOIN township t ON t.id = v.township_id
                    LEFT JOIN round r ON r.id = p.round_id
                    WHERE \(clauses.joined(separator: " AND "))
                    """, arguments: arguments)
            let categories = Dictionary(try Store.categories(db).map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
            var items: [ProblemLedger.Item] = []
            for row in rows {
                let itemStatus = ProblemStatus(rawValue: row["status"] ?? "") ?? .open
                let deadline: String? = row["deadline"]
                let key: String? = row["category"]
                let villageID: String = row["village_id"]
                items.append(ProblemLedger.Item(
                    id: row["id"], shortID: row["id"], township: row["township_name"],
                    village: row["village_name"] ?? tr("unknown village \(villageID.prefix(8))"), villageID: villageID,
                    round: row["round_name"], summary: row["summary"] ?? "", categoryKey: key,
                    categoryName: key.map { categories[$0] ?? $0 }, foundOn: row["found_on"] ?? "",
                    responsible: row["responsible"], deadline: deadline, status: itemStatus, measures: row["measures"],
                    rectifiedOn: row["rectified_on"], verifiedOn: row["verified_on"], closedOn: row["closed_on"],
                    transferredTo: (row["transferred_to"] as String?).flatMap(ClueDestination.init(rawValue:)),
                    transferredOn: row["transferred_on"],
                    daysOverdue: ProblemLedger.daysOverdue(deadline: deadline, status: itemStatus, today: today)))
            }
            let villageLabel = try villageID.flatMap { id in
                try Row.fetchOne(
                    db, sql: "SELECT t.name AS township, v.name FROM village v LEFT JOIN township t ON t.id = v.township_id WHERE v.id = ?",
                    arguments: [id]
                ).map { "\($0["township"] ?? "?")/\($0["name"] ?? "?")" }
            }
            let roundName = try roundID.flatMap { try String.fetchOne(db, sql: "SELECT name FROM round WHERE id = ?", arguments: [$0]) }
            return ProblemLedger(
                today: today, village: villageLabel, round: roundName, status: status, overdueOnly: query.overdueOnly,
                items: items)
        }
        ledger.items = ProblemLedger.ordered(
            ledger.items.filter { item in
                (status.map { item.status == $0 } ?? true) && (!query.overdueOnly || item.isOverdue)
            })
        let short = try shortIDs(for: ledger.items.map(\.id))
        for i in ledger.items.indices { ledger.items[i].shortID = short[ledger.items[i].id] ?? ledger.items[i].id }
        return ledger
    }
}
