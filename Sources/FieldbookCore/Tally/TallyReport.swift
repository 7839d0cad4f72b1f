import Foundation

/// What a tally counts: which round, which days, which city, county or township, and which team's
/// devices.
///
/// Every filter is optional; none given counts every live record in the store.
public struct TallyQuery: Sendable, Hashable {
    /// A round's name, e.g. 五届第五轮.
    public var round: String?
    /// The first day counted, `YYYY-MM-DD` (also 2026/11/21, 2026年11月21日).
    public var from: String?
    /// The last day counted, inclusive.
    public var to: String?
    /// A township's name: only its villages are counted.
    public var township: String?
    /// A team's name: only records made on devices of that team are counted.
    public var team: String?
    /// A county's (区/县) name: only its townships' villages are counted.
    public var county: String?
    /// A city's (市) name: only its counties' villages are counted.
    public var city: String?

    /// Whether to read the overdue problems themselves (``TallyReport/overdue``), which only the
    /// HTML page lists; without it the report still counts them.
    public var listsOverdue = true
    /// At most this many overdue problems are listed (the rest are counted).
    var overdueLimit = TallyReport.overdueLimit

    public init(
        round: String? = nil, from: String? = nil, to: String? = nil, township: String? = nil, team: String? = nil,
        county: String? = nil, city: String? = nil, listsOverdue: Bool = true
    ) {
        self.round = round
        self.from = from
        self.to = to
        self.township = township
        self.team = team
        self.county = county
        self.city = city
        self.listsOverdue = listsOverdue
    }
}

/// The level of a tally's rows: one per village, per township, per county (区/县), per city (市),
/// or the district's totals alone.
public enum TallyLevel: String, CaseIterable, Sendable {
    case village
    case township
    case county
    case city
    case district
}

/// The language of a report's headers and labels. JSON keys are English whatever the language.
public enum ReportLanguage: String, CaseIterable, Sendable {
    case zh
    case en

    /// The language `FIELDBOOK_LANG` names (as for the interface), else the one the locale asks
    /// for (`LC_ALL`, then `LC_MESSAGES`, then `LANG`): English for `en…`, Chinese for anything
    /// else or nothing, since the report is a document for the office.
    public static func preferred(environment: [String: String]) -> ReportLanguage {
        if let chosen = environment["FIELDBOOK_LANG"].flatMap(Language.parse) {
            return chosen == .zh ? .zh : .en
        }
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[key], !value.isEmpty else { continue }
            return value.lowercased().hasPrefix("en") ? .en : .zh
        }
        return .zh
    }
}

/// Households of one priority kind: on the roster, and visited.
public struct PriorityTally: Sendable, Hashable {
    public var households = 0
    public var visited = 0

    public init(households: Int = 0, visited: Int = 0) {
        self.households = households
        self.visited = visited
    }

    /// Households of this kind not yet visited.
    public var notVisited: Int { households - visited }
}

/// The figures of one row of a tally: a village, a township, the district, or an unknown line.
public struct TallyCounts: Sendable, Hashable {
    /// Live households on the roster (imported, or added in the field).
    public var households = 0
    /// Households with at least one counted visit: each counts once, however many visits.
    public var visited = 0
    public var wubao = PriorityTally()
    public var dibao = PriorityTally()
    public var weifang = PriorityTally()
    /// Priority households of any kind, each counted once (a 低保户 that is also a 危房改造户 is one
    /// household here and one in each kind above): what `pending --priority-only` lists.
    public var priority = PriorityTally()
    /// Counted visits.
    public var visits = 0
    /// Forums (座谈, sessions) and their participants (人次).
    public var forums = 0
    public var participants = 0
    /// Notices posted (times) and copies (张).
    public var notices = 0
    public var copies = 0
    /// On-the-spot fixes by status.
    public var fixesOpen = 0
    public var fixesFixed = 0
    public var fixesVerified = 0
    /// Village-level units (村 and 社区), and how many of them count as inspected.
    public var villages = 0
    public var villagesInspected = 0
    /// Problems found (发现问题) by status, overdue, and their clues transferred. On-the-spot fixes are
    /// the `fixes*` figures; the `problems*` figures below add the two (docs/TALLY.md).
    public var problems = ProblemTally()

    public init() {}

    public subscript(kind: PriorityKind) -> PriorityTally {
        get {
            switch kind {
            case .wubao: wubao
            case .dibao: dibao
            case .weifang: weifang
            }
        }
        set {
            switch kind {
            case .wubao: wubao = newValue
            case .dibao: dibao = newValue
            case .weifang: weifang = newValue
            }
        }
    }

    public var fixes: Int { fixesOpen + fixesFixed + fixesVerified }

    /// Problems found: problems recorded plus on-the-spot fixes (立行立改 counts among them).
    public var problemsFound: Int { problems.count + fixes }
    /// Rectified (已整改): problems rectified, and fixes with status fixed.
    public var problemsRectified: Int { problems.rectified + fixesFixed }
    /// Verified (已验收销号): problems verified, and fixes verified (已核实).
    public var problemsVerified: Int { problems.verified + fixesVerified }
    /// Not yet rectified: problems open or rectifying, and fixes still open.
    public var problemsOpen: Int { problems.open + problems.rectifying + fixesOpen }

    /// (Rectified + verified) of (problems found − not rectifiable), as a whole percent by the rule
    /// of ``Percent/of(_:_:)``, from this row's sums. Nil when nothing is left to rectify (no problems).
    public var rectificationPercent: Int? {
        Percent.of(problemsRectified + problemsVerified, problemsFound - problems.notRectifiable)
    }

    /// Households visited of households on the roster, as a whole percent (nil without households).
    public var coveragePercent: Int? { Percent.of(visited, households) }

    /// Villages inspected of all villages, as a whole percent (nil without villages).
    public var inspectedPercent: Int? { Percent.of(villagesInspected, villages) }

    /// Whether any field work is counted here: a visit, forum or notice (the inspected rule).
    public var hasInspectionWork: Bool { visits > 0 || forums > 0 || notices > 0 }

    /// Whether the row holds nothing at all.
    public var isEmpty: Bool { self == TallyCounts() }

    public static func + (a: TallyCounts, b: TallyCounts) -> TallyCounts {
        var sum = a
        sum.households += b.households
        sum.visited += b.visited
        for kind in PriorityKind.allCases {
            sum[kind].households += b[kind].households
            sum[kind].visited += b[kind].visited
        }
        sum.priority.households += b.priority.households
        sum.priority.visited += b.priority.visited
        sum.visits += b.visits
        sum.forums += b.forums
        sum.participants += b.participants
        sum.notices += b.notices
        sum.copies += b.copies
        sum.fixesOpen += b.fixesOpen
        sum.fixesFixed += b.fixesFixed
        sum.fixesVerified += b.fixesVerified
        sum.villages += b.villages
        sum.villagesInspected += b.villagesInspected
        sum.problems = sum.problems + b.problems
        return sum
    }
}

/// Problems found (发现问题, the `problem` records; on-the-spot fixes are counted apart) by their
/// status now, those overdue, and the clues transferred (移交问题线索) by destination.
public struct ProblemTally: Sendable, Hashable {
    public var open = 0
    public var rectifying = 0
    public var rectified = 0
    public var verified = 0
    public var notRectifiable = 0
    /// Open or rectifying with a deadline before the tally's day (a subset of open and rectifying).
    public var overdue = 0
    /// Clues transferred, by destination (a subset of all the problems, whatever their status).
    public var cluesDiscipline = 0
    public var cluesOrganisation = 0
    public var cluesOther = 0

    public init() {}

    /// Problems recorded, every status.
    public var count: Int { open + rectifying + rectified + verified + notRectifiable }

    /// Clues transferred, every destination.
    public var clues: Int { cluesDiscipline + cluesOrganisation + cluesOther }

    public subscript(destination: ClueDestination) -> Int {
        switch destination {
        case .discipline: cluesDiscipline
        case .organisation: cluesOrganisation
        case .other: cluesOther
        }
    }

    public static func + (a: ProblemTally, b: ProblemTally) -> ProblemTally {
        var sum = a
        sum.open += b.open
        sum.rectifying += b.rectifying
        sum.rectified += b.rectified
        sum.verified += b.verified
        sum.notRectifiable += b.notRectifiable
        sum.overdue += b.overdue
        sum.cluesDiscipline += b.cluesDiscipline
        sum.cluesOrganisation += b.cluesOrganisation
        sum.cluesOther += b.cluesOther
        return sum
    }
}

/// A problem past its deadline and not rectified, as the office's page lists it. A problem whose
/// clue was transferred is never listed (its content is sensitive; it counts, nothing more).
public struct OverdueProblem: Sendable, Hashable {
    public var id: String
    public var villageID: String
    /// The village's and its township's names; nil when the store does not hold them.
    public var village: String?
    public var township: String?
    public var summary: String
    public var responsible: String?
    public var deadline: String
    /// Days from the deadline to the tally's day (at least 1).
    public var daysOverdue: Int
    public var status: ProblemStatus
}

/// One village or community and its figures.
public struct VillageTally: Sendable, Hashable {
    public var id: String
    public var name: String
    public var kind: VillageKind
    public var counts: TallyCounts

    /// At least one counted visit, forum or notice (`counts.villagesInspected` is then 1).
    public var inspected: Bool { counts.villagesInspected > 0 }
}

/// One township, its villages and their sum.
public struct TownshipTally: Sendable, Hashable {
    public var id: String
    /// Nil when the villages point at a township this store does not hold.
    public var name: String?
    public var villages: [VillageTally]
    public var counts: TallyCounts
    /// Its county (区/县) and city (市), where the roster names them.
    public var county: String? = nil
    public var city: String? = nil
}

/// One county (区/县) or district, its townships and their sum. `name` is nil for townships whose
/// roster named no county: the store's one district.
public struct CountyTally: Sendable, Hashable {
    public var name: String?
    public var city: String?
    public var townships: [TownshipTally]
    public var counts: TallyCounts
}

/// One city (市), its counties and their sum. `name` is nil for townships whose roster named no city.
public struct CityTally: Sendable, Hashable {
    public var name: String?
    public var counties: [CountyTally]
    public var counts: TallyCounts
}

/// Visits to households that have no live record in the store: not attributed to any village.
public struct UnknownHouseholdsTally: Sendable, Hashable {
    public var visits = 0
    /// Distinct household ids those visits point at.
    public var households = 0

    public init(visits: Int = 0, households: Int = 0) {
        self.visits = visits
        self.households = households
    }
}

/// A tally: per village, per township, the district's totals, and what could not be placed.
public struct TallyReport: Sendable, Hashable {
    /// The filters as applied: dates normalised, names trimmed.
    public var query: TallyQuery
    /// When the tally was made, ISO 8601 in the store's time zone.
    public var generatedAt: String
    /// Townships in roster order, each with its villages in roster order.
    public var townships: [TownshipTally]
    /// The sum of every township (the district's totals). Unknown lines are not in it.
    public var district: TallyCounts
    /// Visits to households the store does not hold.
    public var unknownHouseholds: UnknownHouseholdsTally
    /// Households, visits, forums, notices, fixes and problems of villages the store does not hold.
    public var unknownVillages: TallyCounts
    /// The name of the store's one district (`fieldbook init --district`), for townships whose
    /// roster named no county.
    public var districtName: String? = nil
    /// Problems overdue on the tally's day that were not transferred as clues, most overdue first
    /// (deadline, then the day found, then id), under the tally's filters: the first
    /// ``overdueLimit`` of them; empty when the query did not ask for them (`listsOverdue`).
    public var overdue: [OverdueProblem] = []
    /// How many problems are overdue and not transferred, listed or not (unknown villages included).
    public var overdueNotTransferred = 0

    /// The most overdue problems a report lists; the HTML page says how many more there are.
    public static let overdueLimit = 300

    public var villages: [VillageTally] { townships.flatMap(\.villages) }

    /// The townships grouped by county and city, in the order each first appears; each county's
    /// figures are the sum of its townships' (rates are computed from these sums, never averaged).
    public var counties: [CountyTally] {
        var counties: [CountyTally] = []
        var index: [String: Int] = [:]
        for township in townships {
            let key = RecordID.scopedKey("", county: township.county ?? "", city: township.city ?? "")
            if let i = index[key] {
                counties[i].townships.append(township)
                counties[i].counts = counties[i].counts + township.counts
            } else {
                index[key] = counties.count
                counties.append(CountyTally(name: township.county, city: township.city, townships: [township], counts: township.counts))
            }
        }
        return counties
    }

    /// The counties grouped by city, in the order each first appears; each city's figures the sum
    /// of its counties'.
    public var cities: [CityTally] {
        var cities: [CityTally] = []
        var index: [String: Int] = [:]
        for county in counties {
            let key = county.city ?? ""
            if let i = index[key] {
                cities[i].counties.append(county)
                cities[i].counts = cities[i].counts + county.counts
            } else {
                index[key] = cities.count
                cities.append(CityTally(name: county.city, counties: [county], counts: county.counts))
            }
        }
        return cities
    }
}

/// Whole percentages as reports print them.
public enum Percent {
    /// `part` of `whole` as a whole percent, rounded half up, except that it never shows 100 while
    /// something is missing nor 0 once something is done (999 of 1,000 is 99%, 1 of 1,000 is 1%).
    /// Nil when `whole` is 0.
    public static func of(_ part: Int, _ whole: Int) -> Int? {
        guard whole > 0 else { return nil }
        let rounded = (200 * part + whole) / (2 * whole)
        if part < whole, rounded >= 100 { return 99 }
        if part > 0, rounded == 0 { return 1 }
        return rounded
    }
}
