import Foundation

/// The words of the tally and pending reports, in Chinese and in English: the report's language
/// (`--lang`) is chosen apart from the interface's, and its words come from the one catalog
/// (``ChineseCatalog``) through `tr("…", in:)`. A word whose English is also another's (`village`
/// is 村 as a level and 村（社区） as a CSV header) is named by an id: `tr(id: "tally.…", "village", in:)`.
struct TallyLabels: Sendable {
    var language: ReportLanguage

    init(_ language: ReportLanguage) { self.language = language }

    /// The catalog's language of this report.
    private var lang: Language { language == .zh ? .zh : .en }

    /// Chinese punctuation, or the English.
    private func p(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// A domain word: its Chinese name (``VillageKind/chinese`` and the like, which the store also
    /// reads), or its English value.
    private func name(_ chinese: String, _ value: String) -> String { language == .zh ? chinese : value }

    /// `1 visit`, `2 visits`: English counts with their noun.
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    // MARK: Titles and the filter line

    func title(_ level: TallyLevel) -> String {
        switch level {
        case .village: tr("Inspection coverage by village", in: lang)
        case .township: tr("Inspection coverage by township", in: lang)
        case .county: tr("Inspection coverage by county", in: lang)
        case .city: tr("Inspection coverage by city", in: lang)
        case .district: tr("Inspection coverage, district totals", in: lang)
        }
    }

    var all: String { tr("all", in: lang) }

    func dates(from: String?, to: String?) -> String {
        switch (from, to) {
        case (nil, nil): all
        case (let from?, nil): tr("from \(from)", in: lang)
        case (nil, let to?): tr("to \(to)", in: lang)
        case (let from?, let to?): tr("\(from) to \(to)", in: lang)
        }
    }

    /// The filters of a tally on one line (a city or county only when one is asked for).
    func filters(_ query: TallyQuery) -> String {
        var parts = [
            (tr("round", in: lang), query.round ?? all),
            (tr("dates", in: lang), dates(from: query.from, to: query.to)),
            (tr("township", in: lang), query.township ?? all),
            (tr("team", in: lang), query.team ?? all),
        ]
        if let county = query.county { parts.insert((tr("county", in: lang), county), at: 2) }
        if let city = query.city { parts.insert((tr("city", in: lang), city), at: 2) }
        return parts.map { "\($0.0)" + p("：", ": ") + "\($0.1)" }.joined(separator: p("　", "   "))
    }

    /// `2026-11-21T09:00:00+08:00` as `2026-11-21 09:00`.
    func generated(_ timestamp: String) -> String {
        let shown = timestamp.count >= 16
            ? String(timestamp.prefix(10)) + " " + String(timestamp.dropFirst(11).prefix(5)) : timestamp
        return tr("generated \(shown)", in: lang)
    }

    // MARK: Row labels

    var total: String { tr("total", in: lang) }
    var district: String { tr(id: "tally.district", "district", in: lang) }
    var yes: String { tr("yes", in: lang) }
    var no: String { tr("no", in: lang) }
    var unknownTownship: String { tr("(unknown township)", in: lang) }
    var unknownVillage: String { tr("(unknown village)", in: lang) }

    func township(_ name: String?) -> String { name ?? unknownTownship }

    /// A county's name; a roster without counties is the store's one district (its name, else 全区).
    func county(_ name: String?, district: String?) -> String { name ?? district ?? self.district }

    /// A city's name; a roster without cities is one city (全市).
    func city(_ name: String?) -> String { name ?? tr(id: "tally.all-cities", "city", in: lang) }

    func kind(_ kind: VillageKind) -> String { name(kind.chinese, kind.rawValue) }

    func priority(_ kind: PriorityKind) -> String { name(kind.chinese, kind.rawValue) }

    func fixStatus(_ status: FixStatus) -> String { name(status.chinese, status.rawValue) }

    // MARK: Table sections

    var coverageSection: String {
        tr("1. Households visited (priority columns: visited/on roster)", in: lang)
    }

    var workSection: String { tr("2. Visits, forums, notices and on-the-spot fixes", in: lang) }

    var problemsSection: String {
        tr("3. Problems found (with on-the-spot fixes) and rectified", in: lang)
    }

    /// The columns of the problems table, after the name.
    var problemColumns: [String] {
        [
            tr(id: "tally.col.found", "found", in: lang), tr(id: "tally.col.spot", "spot", in: lang),
            tr(id: "tally.col.clues", "clues", in: lang), tr(id: "tally.col.rectified", "rectified", in: lang),
            tr(id: "tally.col.verified", "verified", in: lang), tr(id: "tally.col.cannot", "cannot", in: lang),
            tr(id: "tally.col.open", "open", in: lang), tr(id: "tally.col.overdue", "overdue", in: lang),
            tr(id: "tally.col.rate", "rate", in: lang),
        ]
    }

    func clueDestination(_ destination: ClueDestination) -> String {
        name(destination.chinese, destination.rawValue)
    }

    /// The lines under the problems table: the clues by destination, the overdue ones, and the rule.
    func problemsSummary(_ c: TallyCounts) -> [String] {
        let p = c.problems
        let byDestination = ClueDestination.allCases.map { "\(clueDestination($0)) \(p[$0])" }.joined(separator: self.p("，", ", "))
        return [
            tr("Clues transferred: \(p.clues) (\(byDestination)).", in: lang),
            tr("Overdue: \(p.overdue), past their deadline on the day of this tally and still open or rectifying.", in: lang),
            tr("Rectification rate = (rectified + verified) ÷ (found − not rectifiable), from each row's sums; — where there is nothing to rectify. Found includes on-the-spot fixes (spot), rectified or verified by their status; open includes rectifying.", in: lang),
        ]
    }

    /// The first column's title; `grouped` when county rows group the townships.
    func nameColumn(_ level: TallyLevel, grouped: Bool = false) -> String {
        switch level {
        case .village: grouped ? tr(id: "tally.col.village.grouped", "village", in: lang) : tr(id: "tally.col.village", "village", in: lang)
        case .township: grouped ? tr(id: "tally.col.township.grouped", "township", in: lang) : tr("township", in: lang)
        case .county: tr("county", in: lang)
        case .city: tr("city", in: lang)
        case .district: tr("scope", in: lang)
        }
    }

    var households: String { tr(id: "tally.col.households", "hh", in: lang) }
    var visited: String { tr(id: "tally.col.visited", "visited", in: lang) }
    var coverage: String { tr(id: "tally.col.coverage", "cover", in: lang) }
    func priorityColumn(_ kind: PriorityKind) -> String {
        switch kind {
        case .wubao: tr(id: "tally.col.wubao", "wubao", in: lang)
        case .dibao: tr(id: "tally.col.dibao", "dibao", in: lang)
        case .weifang: tr(id: "tally.col.weifang", "weifang", in: lang)
        }
    }
    var inspected: String { tr(id: "tally.col.inspected", "inspected", in: lang) }
    var visits: String { tr(id: "tally.col.visits", "visits", in: lang) }
    var forums: String { tr(id: "tally.col.forums", "forums", in: lang) }
    var participants: String { tr(id: "tally.col.participants", "people", in: lang) }
    var notices: String { tr(id: "tally.col.notices", "notices", in: lang) }
    var copies: String { tr(id: "tally.col.copies", "copies", in: lang) }

    /// "已巡察村（社区）：213 / 349（61%）…"
    func inspectedSummary(_ counts: TallyCounts) -> String {
        let percent = counts.inspectedPercent.map { "\($0)%" } ?? "—"
        return tr("Villages inspected: \(counts.villagesInspected) of \(counts.villages) (\(percent)). A village counts as inspected with at least one visit, forum or notice.", in: lang)
    }

    func unknownHouseholdsLine(_ unknown: UnknownHouseholdsTally) -> String {
        tr("Also \(unknown.visits, "visit") to \(unknown.households, "household") not on the roster, not counted above.", in: lang)
    }

    func unknownVillagesLine(_ c: TallyCounts) -> String {
        var parts: [String] = []
        if c.households > 0 {
            parts.append(tr("\(c.households, "household") (\(c.visited) visited)", in: lang))
        }
        if c.visits > 0 { parts.append(tr("\(c.visits, "visit")", in: lang)) }
        if c.forums > 0 {
            parts.append(tr("\(c.forums, "forum") (\(c.participants, "person", plural: "people"))", in: lang))
        }
        if c.notices > 0 {
            parts.append(tr("\(c.notices, "notice") (\(c.copies, "copy", plural: "copies"))", in: lang))
        }
        if c.fixes > 0 {
            parts.append(tr("\(c.fixes, "fix", plural: "fixes") (\(c.fixesOpen) open, \(c.fixesFixed) fixed, \(c.fixesVerified) verified)", in: lang))
        }
        if c.problems.count > 0 {
            let clues = c.problems.clues
            parts.append(tr("\(c.problems.count, "problem")", in: lang) + (clues > 0 ? tr(" (\(clues, "clue") transferred)", in: lang) : ""))
        }
        return tr("Also records of villages this store does not hold, not counted above: \(parts.joined(separator: p("，", ", "))).", in: lang)
    }

    // MARK: CSV columns

    /// The CSV columns: a stable English key and the header in this language.
    var csvColumns: [(key: String, header: String)] {
        [
            ("level", tr(id: "tally.csv.level", "level", in: lang)),
            ("township", tr(id: "tally.csv.township", "township", in: lang)),
            ("village", tr(id: "tally.csv.village", "village", in: lang)),
            ("kind", tr(id: "tally.csv.kind", "kind", in: lang)),
            ("households", tr(id: "tally.csv.households", "households", in: lang)),
            ("visited", tr(id: "tally.csv.visited", "visited", in: lang)),
            ("coverage_percent", tr(id: "tally.csv.coverage_percent", "coverage_percent", in: lang)),
            ("wubao", tr(id: "tally.csv.wubao", "wubao", in: lang)),
            ("wubao_visited", tr(id: "tally.csv.wubao_visited", "wubao_visited", in: lang)),
            ("dibao", tr(id: "tally.csv.dibao", "dibao", in: lang)),
            ("dibao_visited", tr(id: "tally.csv.dibao_visited", "dibao_visited", in: lang)),
            ("weifang", tr(id: "tally.csv.weifang", "weifang", in: lang)),
            ("weifang_visited", tr(id: "tally.csv.weifang_visited", "weifang_visited", in: lang)),
            ("visits", tr(id: "tally.csv.visits", "visits", in: lang)),
            ("forums", tr(id: "tally.csv.forums", "forums", in: lang)),
            ("participants", tr(id: "tally.csv.participants", "participants", in: lang)),
            ("notices", tr(id: "tally.csv.notices", "notices", in: lang)),
            ("copies", tr(id: "tally.csv.copies", "copies", in: lang)),
            ("fixes_open", tr(id: "tally.csv.fixes_open", "fixes_open", in: lang)),
            ("fixes_fixed", tr(id: "tally.csv.fixes_fixed", "fixes_fixed", in: lang)),
            ("fixes_verified", tr(id: "tally.csv.fixes_verified", "fixes_verified", in: lang)),
            ("villages", tr(id: "tally.csv.villages", "villages", in: lang)),
            ("villages_inspected", tr(id: "tally.csv.villages_inspected", "villages_inspected", in: lang)),
            ("inspected_percent", tr(id: "tally.csv.inspected_percent", "inspected_percent", in: lang)),
            // Added with problems found (v6): after every older column, so older readers keep working.
            ("problems_found", tr(id: "tally.csv.problems_found", "problems_found", in: lang)),
            ("fixed_on_the_spot", tr(id: "tally.csv.fixed_on_the_spot", "fixed_on_the_spot", in: lang)),
            ("clues", tr(id: "tally.csv.clues", "clues", in: lang)),
            ("clues_discipline", tr(id: "tally.csv.clues_discipline", "clues_discipline", in: lang)),
            ("clues_organisation", tr(id: "tally.csv.clues_organisation", "clues_organisation", in: lang)),
            ("clues_other", tr(id: "tally.csv.clues_other", "clues_other", in: lang)),
            ("problems_rectified", tr(id: "tally.csv.problems_rectified", "problems_rectified", in: lang)),
            ("problems_verified", tr(id: "tally.csv.problems_verified", "problems_verified", in: lang)),
            ("problems_not_rectifiable", tr(id: "tally.csv.problems_not_rectifiable", "problems_not_rectifiable", in: lang)),
            ("problems_open", tr(id: "tally.csv.problems_open", "problems_open", in: lang)),
            ("problems_overdue", tr(id: "tally.csv.problems_overdue", "problems_overdue", in: lang)),
            ("rectification_percent", tr(id: "tally.csv.rectification_percent", "rectification_percent", in: lang)),
            ("county", tr(id: "tally.csv.county", "county", in: lang)),
            ("city", tr(id: "tally.csv.city", "city", in: lang)),
        ]
    }

    func level(_ level: TallyLevel) -> String {
        switch level {
        case .village: tr(id: "tally.level.village", "village", in: lang)
        case .township: tr(id: "tally.level.township", "township", in: lang)
        case .county: tr(id: "tally.level.county", "county", in: lang)
        case .city: tr(id: "tally.level.city", "city", in: lang)
        case .district: tr(id: "tally.level.district", "district", in: lang)
        }
    }

    var unknownHouseholdsLevel: String { tr(id: "tally.level.unknown-households", "unknown_households", in: lang) }
    var unknownVillagesLevel: String { tr(id: "tally.level.unknown-villages", "unknown_villages", in: lang) }

    // MARK: Pending

    func pendingTitle(_ list: PendingList) -> String {
        guard let village = list.village else {
            return list.priorityOnly ? tr("Priority households not yet visited", in: lang) : tr("Households not yet visited", in: lang)
        }
        return list.priorityOnly
            ? tr("Priority households not yet visited: \(village)", in: lang) : tr("Households not yet visited: \(village)", in: lang)
    }

    func pendingFilters(_ list: PendingList) -> String {
        tr("round: \(list.round ?? all)", in: lang)
    }

    func pendingSummary(_ list: PendingList) -> String {
        if list.pending.isEmpty {
            return list.priorityOnly
                ? tr("All \(list.households) priority households have been visited.", in: lang)
                : tr("All \(list.households) households have been visited.", in: lang)
        }
        if list.priorityOnly {
            return tr("\(list.pending.count) of \(list.households) priority households not yet visited, \(list.visited) visited.", in: lang)
        }
        return tr("\(list.pending.count) of \(list.households) households not yet visited (\(list.priorityPending) priority), \(list.visited) visited.", in: lang)
    }

    var pendingPriority: String { tr(id: "tally.pending.priority", "priority", in: lang) }
    var pendingCode: String { tr(id: "tally.pending.code", "code", in: lang) }
    var pendingHead: String { tr(id: "tally.pending.head", "head", in: lang) }
    var pendingGroup: String { tr(id: "tally.pending.group", "group", in: lang) }
    var pendingVillage: String { tr(id: "tally.pending.village", "township/village", in: lang) }
    var pendingDone: String { tr(id: "tally.pending.visited", "visited", in: lang) }

    func priorities(_ kinds: [PriorityKind]) -> String {
        kinds.map(priority).joined(separator: p("、", ", "))
    }

    var pendingCSVColumns: [(key: String, header: String)] {
        [
            ("priority", tr(id: "tally.pending.csv.priority", "priority", in: lang)),
            ("code", tr(id: "tally.pending.csv.code", "code", in: lang)),
            ("head", tr(id: "tally.pending.csv.head", "head", in: lang)),
            ("group", tr(id: "tally.pending.csv.group", "group", in: lang)),
            ("township", tr(id: "tally.pending.csv.township", "township", in: lang)),
            ("village", tr(id: "tally.pending.csv.village", "village", in: lang)),
        ]
    }
}

/// A report's word named by an id (its English beside), in `language`: for the words whose English
/// is also another word's, so that each has its own entry in ``ChineseCatalog``.
private func tr(id: String, _ english: String, in language: Language) -> String {
    LocalizedText(id: id, english: english).rendered(in: language)
}
