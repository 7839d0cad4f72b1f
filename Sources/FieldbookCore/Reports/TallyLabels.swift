import Foundation

/// The words of the tally and pending reports, in Chinese and in English.
struct TallyLabels: Sendable {
    var language: ReportLanguage

    init(_ language: ReportLanguage) { self.language = language }

    private func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// `1 visit`, `2 visits`: English counts with their noun.
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    // MARK: Titles and the filter line

    func title(_ level: TallyLevel) -> String {
        switch level {
        case .village: t("巡察覆盖统计（按村）", "Inspection coverage by village")
        case .township: t("巡察覆盖统计（按乡镇）", "Inspection coverage by township")
        case .county: t("巡察覆盖统计（按县区）", "Inspection coverage by county")
        case .city: t("巡察覆盖统计（按市）", "Inspection coverage by city")
        case .district: t("巡察覆盖统计（全区合计）", "Inspection coverage, district totals")
        }
    }

    var all: String { t("全部", "all") }

    func dates(from: String?, to: String?) -> String {
        switch (from, to) {
        case (nil, nil): all
        case (let from?, nil): t("\(from) 起", "from \(from)")
        case (nil, let to?): t("至 \(to)", "to \(to)")
        case (let from?, let to?): t("\(from) 至 \(to)", "\(from) to \(to)")
        }
    }

    /// The filters of a tally on one line (a city or county only when one is asked for).
    func filters(_ query: TallyQuery) -> String {
        var parts = [
            (t("轮次", "round"), query.round ?? all),
            (t("日期", "dates"), dates(from: query.from, to: query.to)),
            (t("乡镇", "township"), query.township ?? all),
            (t("巡察组", "team"), query.team ?? all),
        ]
        if let county = query.county { parts.insert((t("县区", "county"), county), at: 2) }
        if let city = query.city { parts.insert((t("市", "city"), city), at: 2) }
        return parts.map { t("\($0.0)：\($0.1)", "\($0.0): \($0.1)") }.joined(separator: t("　", "   "))
    }

    /// `2026-11-21T09:00:00+08:00` as `2026-11-21 09:00`.
    func generated(_ timestamp: String) -> String {
        let shown = timestamp.count >= 16
            ? String(timestamp.prefix(10)) + " " + String(timestamp.dropFirst(11).prefix(5)) : timestamp
        return t("生成时间：\(shown)", "generated \(shown)")
    }

    // MARK: Row labels

    var total: String { t("合计", "total") }
    var district: String { t("全区", "district") }
    var yes: String { t("是", "yes") }
    var no: String { t("否", "no") }
    var unknownTownship: String { t("（未知乡镇）", "(unknown township)") }
    var unknownVillage: String { t("（未知村）", "(unknown village)") }

    func township(_ name: String?) -> String { name ?? unknownTownship }

    /// A county's name; a roster without counties is the store's one district (its name, else 全区).
    func county(_ name: String?, district: String?) -> String { name ?? district ?? self.district }

    /// A city's name; a roster without cities is one city (全市).
    func city(_ name: String?) -> String { name ?? t("全市", "city") }

    func kind(_ kind: VillageKind) -> String { t(kind.chinese, kind.rawValue) }

    func priority(_ kind: PriorityKind) -> String { t(kind.chinese, kind.rawValue) }

    func fixStatus(_ status: FixStatus) -> String { t(status.chinese, status.rawValue) }

    // MARK: Table sections

    var coverageSection: String {
        t("一、入户走访覆盖（重点户各列为“已走访/在册”户数）", "1. Households visited (priority columns: visited/on roster)")
    }

    var workSection: String { t("二、走访、座谈、公告和立行立改", "2. Visits, forums, notices and on-the-spot fixes") }

    var problemsSection: String {
        t("三、发现问题与整改（问题数含立行立改；未整改含整改中）", "3. Problems found (with on-the-spot fixes) and rectified")
    }

    /// The columns of the problems table, after the name.
    var problemColumns: [String] {
        [
            t("问题数", "found"), t("立改", "spot"), t("移交", "clues"), t("已整改", "rectified"), t("已销号", "verified"),
            t("无法整改", "cannot"), t("未整改", "open"), t("逾期", "overdue"), t("整改率", "rate"),
        ]
    }

    func clueDestination(_ destination: ClueDestination) -> String {
        t(destination.chinese, destination.rawValue)
    }

    /// The lines under the problems table: the clues by destination, the overdue ones, and the rule.
    func problemsSummary(_ c: TallyCounts) -> [String] {
        let p = c.problems
        let byDestination = ClueDestination.allCases.map { "\(clueDestination($0)) \(p[$0])" }.joined(separator: t("，", ", "))
        return [
            t("移交问题线索 \(p.clues) 条：\(byDestination)。", "Clues transferred: \(p.clues) (\(byDestination))."),
            t("逾期 \(p.overdue) 个：整改时限已过（以生成日计），仍未整改或整改中。",
              "Overdue: \(p.overdue), past their deadline on the day of this tally and still open or rectifying."),
            t("整改率＝（已整改＋已验收销号）÷（问题数－无法整改），各级都由合计数算出；没有问题的显示“—”。立行立改的已整改、已核实计入已整改、已销号。",
              "Rectification rate = (rectified + verified) ÷ (found − not rectifiable), from each row's sums; — where there is nothing to rectify. Found includes on-the-spot fixes (spot), rectified or verified by their status; open includes rectifying."),
        ]
    }

    /// The first column's title; `grouped` when county rows group the townships.
    func nameColumn(_ level: TallyLevel, grouped: Bool = false) -> String {
        switch level {
        case .village: grouped ? t("县区/乡镇/村", "village") : t("乡镇/村", "village")
        case .township: grouped ? t("县区/乡镇", "township") : t("乡镇", "township")
        case .county: t("县区", "county")
        case .city: t("市", "city")
        case .district: t("范围", "scope")
        }
    }

    var households: String { t("在册户", "hh") }
    var visited: String { t("已访户", "visited") }
    var coverage: String { t("覆盖率", "cover") }
    func priorityColumn(_ kind: PriorityKind) -> String {
        switch kind {
        case .wubao: t("五保户", "wubao")
        case .dibao: t("低保户", "dibao")
        case .weifang: t("危房改造户", "weifang")
        }
    }
    var inspected: String { t("已巡察", "inspected") }
    var visits: String { t("走访次", "visits") }
    var forums: String { t("座谈", "forums") }
    var participants: String { t("人次", "people") }
    var notices: String { t("公告", "notices") }
    var copies: String { t("张数", "copies") }

    /// "已巡察村（社区）：213 / 349（61%）…"
    func inspectedSummary(_ counts: TallyCounts) -> String {
        let percent = counts.inspectedPercent.map { "\($0)%" } ?? "—"
        return t(
            "已巡察村（社区）：\(counts.villagesInspected) / \(counts.villages)（\(percent)）。已巡察指至少有一次入户走访、座谈或张贴公告。",
            "Villages inspected: \(counts.villagesInspected) of \(counts.villages) (\(percent)). A village counts as inspected with at least one visit, forum or notice."
        )
    }

    func unknownHouseholdsLine(_ unknown: UnknownHouseholdsTally) -> String {
        t(
            "另有 \(unknown.visits) 次走访指向名册上没有的 \(unknown.households) 户，未计入上表。",
            "Also \(Self.count(unknown.visits, "visit")) to \(Self.count(unknown.households, "household")) not on the roster, not counted above."
        )
    }

    func unknownVillagesLine(_ c: TallyCounts) -> String {
        var parts: [String] = []
        if c.households > 0 {
            parts.append(t("在册 \(c.households) 户（已访 \(c.visited) 户）", "\(Self.count(c.households, "household")) (\(c.visited) visited)"))
        }
        if c.visits > 0 { parts.append(t("走访 \(c.visits) 次", Self.count(c.visits, "visit"))) }
        if c.forums > 0 {
            parts.append(t("座谈 \(c.forums) 场（\(c.participants) 人次）", "\(Self.count(c.forums, "forum")) (\(Self.count(c.participants, "person", "people")))"))
        }
        if c.notices > 0 {
            parts.append(t("公告 \(c.notices) 次（\(c.copies) 张）", "\(Self.count(c.notices, "notice")) (\(Self.count(c.copies, "copy", "copies")))"))
        }
        if c.fixes > 0 {
            parts.append(t(
                "立行立改 \(c.fixes) 个（未整改 \(c.fixesOpen)、已整改 \(c.fixesFixed)、已核实 \(c.fixesVerified)）",
                "\(Self.count(c.fixes, "fix", "fixes")) (\(c.fixesOpen) open, \(c.fixesFixed) fixed, \(c.fixesVerified) verified)"))
        }
        if c.problems.count > 0 {
            let clues = c.problems.clues
            parts.append(t(
                "发现问题 \(c.problems.count) 个" + (clues > 0 ? "（其中移交线索 \(clues) 条）" : ""),
                Self.count(c.problems.count, "problem") + (clues > 0 ? " (\(Self.count(clues, "clue")) transferred)" : "")))
        }
        return t(
            "另有指向本库没有的村（社区）的记录，未计入上表：\(parts.joined(separator: "，"))。",
            "Also records of villages this store does not hold, not counted above: \(parts.joined(separator: ", ")).")
    }

    // MARK: CSV columns

    /// The CSV columns: a stable English key and the header in this language.
    var csvColumns: [(key: String, header: String)] {
        [
            ("level", t("层级", "level")),
            ("township", t("乡镇", "township")),
            ("village", t("村（社区）", "village")),
            ("kind", t("类型", "kind")),
            ("households", t("在册户数", "households")),
            ("visited", t("已走访户数", "visited")),
            ("coverage_percent", t("走访覆盖率(%)", "coverage_percent")),
            ("wubao", t("五保户在册", "wubao")),
            ("wubao_visited", t("五保户已走访", "wubao_visited")),
            ("dibao", t("低保户在册", "dibao")),
            ("dibao_visited", t("低保户已走访", "dibao_visited")),
            ("weifang", t("危房改造户在册", "weifang")),
            ("weifang_visited", t("危房改造户已走访", "weifang_visited")),
            ("visits", t("走访次数", "visits")),
            ("forums", t("座谈场次", "forums")),
            ("participants", t("座谈人次", "participants")),
            ("notices", t("公告次数", "notices")),
            ("copies", t("公告张数", "copies")),
            ("fixes_open", t("立行立改未整改", "fixes_open")),
            ("fixes_fixed", t("立行立改已整改", "fixes_fixed")),
            ("fixes_verified", t("立行立改已核实", "fixes_verified")),
            ("villages", t("村（社区）数", "villages")),
            ("villages_inspected", t("已巡察村数", "villages_inspected")),
            ("inspected_percent", t("巡察覆盖率(%)", "inspected_percent")),
            // Added with problems found (v6): after every older column, so older readers keep working.
            ("problems_found", t("发现问题数", "problems_found")),
            ("fixed_on_the_spot", t("其中立行立改", "fixed_on_the_spot")),
            ("clues", t("移交问题线索", "clues")),
            ("clues_discipline", t("移交纪委监委", "clues_discipline")),
            ("clues_organisation", t("移交组织部门", "clues_organisation")),
            ("clues_other", t("移交其他部门", "clues_other")),
            ("problems_rectified", t("已整改", "problems_rectified")),
            ("problems_verified", t("已验收销号", "problems_verified")),
            ("problems_not_rectifiable", t("无法整改", "problems_not_rectifiable")),
            ("problems_open", t("未整改（含整改中）", "problems_open")),
            ("problems_overdue", t("逾期未整改", "problems_overdue")),
            ("rectification_percent", t("整改率(%)", "rectification_percent")),
            ("county", t("县区", "county")),
            ("city", t("市", "city")),
        ]
    }

    func level(_ level: TallyLevel) -> String {
        switch level {
        case .village: t("村", "village")
        case .township: t("乡镇", "township")
        case .county: t("县区", "county")
        case .city: t("市", "city")
        case .district: t("合计", "district")
        }
    }

    var unknownHouseholdsLevel: String { t("未知户", "unknown_households") }
    var unknownVillagesLevel: String { t("未知村", "unknown_villages") }

    // MARK: Pending

    func pendingTitle(_ list: PendingList) -> String {
        let what = list.priorityOnly ? t("未走访的重点户", "Priority households not yet visited") : t("未走访户", "Households not yet visited")
        return list.village.map { t("\($0) \(what)", "\(what): \($0)") } ?? what
    }

    func pendingFilters(_ list: PendingList) -> String {
        t("轮次：\(list.round ?? "全部")", "round: \(list.round ?? "all")")
    }

    func pendingSummary(_ list: PendingList) -> String {
        let scope = list.priorityOnly ? t("重点户", "priority households") : t("户", "households")
        if list.pending.isEmpty {
            return t("在册\(scope) \(list.households) 户，已全部走访。", "All \(list.households) \(scope) have been visited.")
        }
        if list.priorityOnly {
            return t(
                "在册重点户 \(list.households) 户，已走访 \(list.visited) 户，未走访 \(list.pending.count) 户。",
                "\(list.pending.count) of \(list.households) priority households not yet visited, \(list.visited) visited.")
        }
        return t(
            "在册 \(list.households) 户，已走访 \(list.visited) 户，未走访 \(list.pending.count) 户（其中重点户 \(list.priorityPending) 户）。",
            "\(list.pending.count) of \(list.households) households not yet visited (\(list.priorityPending) priority), \(list.visited) visited.")
    }

    var pendingPriority: String { t("重点户", "priority") }
    var pendingCode: String { t("户号", "code") }
    var pendingHead: String { t("户主", "head") }
    var pendingGroup: String { t("村民组", "group") }
    var pendingVillage: String { t("乡镇/村", "township/village") }
    var pendingDone: String { t("已走访", "visited") }

    func priorities(_ kinds: [PriorityKind]) -> String {
        kinds.map(priority).joined(separator: t("、", ", "))
    }

    var pendingCSVColumns: [(key: String, header: String)] {
        [
            ("priority", t("重点户类型", "priority")),
            ("code", t("户号", "code")),
            ("head", t("户主", "head")),
            ("group", t("村民组", "group")),
            ("township", t("乡镇", "township")),
            ("village", t("村（社区）", "village")),
        ]
    }
}
