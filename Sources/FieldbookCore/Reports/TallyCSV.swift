import Foundation

/// The tally and the pending list as CSV that Excel and WPS open correctly: UTF-8 with a
/// byte-order mark, RFC 4180 quoting, CRLF line ends, one header row in the report's language.
///
/// The rows are the table's rows in the table's order, each with a `level` column (township,
/// village, county, city, district, unknown_households, unknown_villages), so a spreadsheet can
/// filter them. The county and city columns come last, so a reader of the older columns reads on.
/// Numbers are bare integers; an empty cell means "not applicable" (a percentage of nothing).
public enum TallyCSV {
    /// The UTF-8 byte-order mark Excel and WPS need to read UTF-8.
    public static let byteOrderMark = "\u{FEFF}"

    public static func render(_ report: TallyReport, by level: TallyLevel = .village, language: ReportLanguage = .zh)
        -> String
    {
        let l = TallyLabels(language)
        var lines = [l.csvColumns.map(\.header)]
        for row in TallyRows.rows(report, by: level, labels: l) {
            lines.append(cells(
                level: l.level(row.level), township: row.township ?? "", village: row.village ?? "",
                kind: row.kind.map(l.kind) ?? "", counts: row.counts, withVillages: true,
                county: row.county ?? "", city: row.city ?? ""))
        }
        if level != .district {
            lines.append(cells(level: l.level(.district), township: "", village: "", kind: "", counts: report.district, withVillages: true))
        }
        if report.unknownHouseholds.visits > 0 {
            var counts = TallyCounts()
            counts.visited = report.unknownHouseholds.households
            counts.visits = report.unknownHouseholds.visits
            lines.append(cells(level: l.unknownHouseholdsLevel, township: "", village: "", kind: "", counts: counts, withVillages: false, roster: false))
        }
        if !report.unknownVillages.isEmpty {
            lines.append(cells(
                level: l.unknownVillagesLevel, township: "", village: "", kind: "", counts: report.unknownVillages,
                withVillages: false))
        }
        return document(lines)
    }

    /// One row: text cells, then the figures in the order of `TallyLabels.csvColumns`.
    static func cells(
        level: String, township: String, village: String, kind: String, counts c: TallyCounts, withVillages: Bool,
        roster: Bool = true, county: String = "", city: String = ""
    ) -> [String] {
        let optional = { (n: Int?) in n.map(String.init) ?? "" }
        var figures: [String] = [
            roster ? String(c.households) : "", String(c.visited), roster ? optional(c.coveragePercent) : "",
        ]
        for kind in PriorityKind.allCases {
            figures += roster ? [String(c[kind].households), String(c[kind].visited)] : ["", ""]
        }
        figures += [c.visits, c.forums, c.participants, c.notices, c.copies, c.fixesOpen, c.fixesFixed, c.fixesVerified]
            .map { String($0) }
        figures += withVillages
            ? [String(c.villages), String(c.villagesInspected), optional(c.inspectedPercent)] : ["", "", ""]
        let p = c.problems
        figures += [c.problemsFound, c.fixes, p.clues, p.cluesDiscipline, p.cluesOrganisation, p.cluesOther,
                    c.problemsRectified, c.problemsVerified, p.notRectifiable, c.problemsOpen, p.overdue].map { String($0) }
        figures.append(optional(c.rectificationPercent))
        return [text(level), text(township), text(village), text(kind)] + figures + [text(county), text(city)]
    }

    /// The pending list: one row per household, priority households first.
    public static func pending(_ list: PendingList, language: ReportLanguage = .zh) -> String {
        let l = TallyLabels(language)
        var lines = [l.pendingCSVColumns.map(\.header)]
        for h in list.pending {
            lines.append([
                l.priorities(h.priority), h.code, h.head ?? "", h.group ?? "", h.township ?? "",
                h.village ?? l.unknownVillage,
            ].map(text))
        }
        return document(lines)
    }

    /// The BOM, then each row's fields quoted where RFC 4180 needs it, each line ending in CRLF.
    static func document(_ lines: [[String]]) -> String {
        byteOrderMark + lines.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// A field, in double quotes (its quotes doubled) when it holds a comma, quote or line break.
    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A text cell made safe for spreadsheets: text starting with = + - @ (which Excel and WPS
    /// would run as a formula) gets a leading apostrophe.
    static func text(_ value: String) -> String {
        guard let first = value.first, "=+-@\t\r".contains(first) else { return value }
        return "'" + value
    }
}
