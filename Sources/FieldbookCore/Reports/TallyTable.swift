import Foundation

/// The tally as a terminal shows it: three tables that line up with Chinese text and fit 80
/// columns (coverage first, then the rest of the field work, then problems found and their
/// rectification), a totals row, and the inspected figure and any unknown lines below, wrapped to
/// the width.
public enum TallyTable {
    public static func render(
        _ report: TallyReport, by level: TallyLevel = .village, language: ReportLanguage = .zh, width: Int = 80
    ) -> String {
        let l = TallyLabels(language)
        let rows = TallyRows.rows(report, by: level, labels: l)

        let name = TextTable.Column(l.nameColumn(level, grouped: TallyRows.grouped(report)), shrinks: true)
        let coverageColumns = [l.households, l.visited, l.coverage] + PriorityKind.allCases.map(l.priorityColumn) + [l.inspected]
        let workColumns = [l.visits, l.forums, l.participants, l.notices, l.copies] + FixStatus.allCases.map(l.fixStatus)
        let coverageRows = rows.map { coverageCells($0, labels: l) }
        let workRows = rows.map { workCells($0, labels: l) }
        var coverageTotals: [String]?
        var workTotals: [String]?
        if level != .district {
            let total = TallyRows.Row(label: l.total, counts: report.district, isVillage: false)
            coverageTotals = coverageCells(total, labels: l)
            workTotals = workCells(total, labels: l)
        }
        let problemRows = rows.map(problemCells)
        let problemTotals = level == .district ? nil : problemCells(TallyRows.Row(label: l.total, counts: report.district, isVillage: false))
        let coverage = fitted(name, coverageColumns, rows: coverageRows, totals: coverageTotals, width: width)
        let work = fitted(name, workColumns, rows: workRows, totals: workTotals, width: width)
        let problems = fitted(name, l.problemColumns, rows: problemRows, totals: problemTotals, width: width)

        var out: [String] = []
        out += TextWrap.lines(l.title(level), width: width)
        out += TextWrap.lines(l.filters(report.query), width: width)
        out += TextWrap.lines(l.generated(report.generatedAt), width: width)
        out.append("")
        out += TextWrap.lines(l.coverageSection, width: width)
        out.append(coverage.joined(separator: "\n\n"))
        out.append("")
        out += TextWrap.lines(l.workSection, width: width)
        out.append(work.joined(separator: "\n\n"))
        out.append("")
        out += TextWrap.lines(l.problemsSection, width: width)
        out.append(problems.joined(separator: "\n\n"))
        out.append("")
        for line in l.problemsSummary(report.district) { out += TextWrap.lines(line, width: width) }
        out.append("")
        out += TextWrap.lines(l.inspectedSummary(report.district), width: width)
        if report.unknownHouseholds.visits > 0 {
            out += TextWrap.lines(l.unknownHouseholdsLine(report.unknownHouseholds), width: width)
        }
        if !report.unknownVillages.isEmpty {
            out += TextWrap.lines(l.unknownVillagesLine(report.unknownVillages), width: width)
        }
        return out.joined(separator: "\n")
    }

    /// A table of right-aligned figure columns after a name column, as one table when it fits
    /// `width`, else as several that each repeat the name column (the figures split evenly between
    /// them), so no line is wider than the terminal and no figure is cut.
    static func fitted(
        _ name: TextTable.Column, _ titles: [String], rows: [[String]], totals: [String]?, width maxWidth: Int
    ) -> [String] {
        let all = rows + (totals.map { [$0] } ?? [])
        // Figures are mostly plain ASCII, one column per byte: skip the Unicode lookups for them.
        let width = { (text: String) in
            text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? text.utf8.count : DisplayWidth.of(text)
        }
        let widths = titles.indices.map { i in
            all.reduce(width(titles[i])) { max($0, width($1[i + 1])) }
        }
        let nameWidth = max(6, DisplayWidth.of(name.title))
        func fits(_ part: [Int]) -> Bool {
            nameWidth + part.reduce(0) { $0 + 2 + widths[$1] } <= maxWidth
        }
        // As few tables as the width allows, then the columns spread evenly over them.
        var parts: [[Int]] = [[]]
        for i in titles.indices {
            if !parts[parts.count - 1].isEmpty, !fits(parts[parts.count - 1] + [i]) { parts.append([]) }
            parts[parts.count - 1].append(i)
        }
        if parts.count > 1 {
            let per = (titles.count + parts.count - 1) / parts.count
            let even = stride(from: 0, to: titles.count, by: per).map { Array($0..<min($0 + per, titles.count)) }
            if even.count == parts.count, even.allSatisfy(fits) { parts = even }
        }
        return parts.map { part in
            var table = TextTable(columns: [name] + part.map { TextTable.Column(titles[$0], alignRight: true) })
            for row in rows { table.add([row[0]] + part.map { row[$0 + 1] }) }
            table.totals = totals.map { t in [t[0]] + part.map { t[$0 + 1] } }
            return table.render(maxWidth: maxWidth)
        }
    }

    static func coverageCells(_ row: TallyRows.Row, labels l: TallyLabels) -> [String] {
        let c = row.counts
        return [row.label, String(c.households), String(c.visited), c.coveragePercent.map { "\($0)%" } ?? "—"]
            + PriorityKind.allCases.map { c[$0].households == 0 ? "—" : "\(c[$0].visited)/\(c[$0].households)" }
            + [row.isVillage ? (c.villagesInspected > 0 ? l.yes : l.no) : "\(c.villagesInspected)/\(c.villages)"]
    }

    /// Found, of them fixed on the spot, clues, rectified, verified, not rectifiable, open, overdue: the
    /// order of the table's, CSV's and HTML's problem columns (the rate follows them).
    static func problemFigures(_ c: TallyCounts) -> [Int] {
        [c.problemsFound, c.fixes, c.problems.clues, c.problemsRectified, c.problemsVerified, c.problems.notRectifiable,
         c.problemsOpen, c.problems.overdue]
    }

    static func problemCells(_ row: TallyRows.Row) -> [String] {
        [row.label] + problemFigures(row.counts).map { String($0) } + [row.counts.rectificationPercent.map { "\($0)%" } ?? "—"]
    }

    static func workCells(_ row: TallyRows.Row, labels l: TallyLabels) -> [String] {
        let c = row.counts
        return [row.label] + [c.visits, c.forums, c.participants, c.notices, c.copies, c.fixesOpen, c.fixesFixed, c.fixesVerified].map {
            String($0)
        }
    }
}

/// The rows of a tally at one level, in the order every format prints them.
enum TallyRows {
    struct Row {
        var label: String
        var counts: TallyCounts
        var isVillage: Bool
        var level: TallyLevel = .village
        var township: String?
        var village: String?
        var kind: VillageKind?
        /// The county and city of the row, as the CSV's last columns show them.
        var county: String?
        var city: String?
    }

    /// Whether county rows group the townships: the store holds more than one county.
    static func grouped(_ report: TallyReport) -> Bool { report.counties.count > 1 }

    /// By village: each township's row, then its villages indented; by township: one row each; by
    /// county or city: one row each (a city's counties under it where there are several cities); by
    /// district: the district's totals alone. Where the store holds several counties, each county's
    /// row heads its townships at the village and township levels.
    static func rows(_ report: TallyReport, by level: TallyLevel, labels l: TallyLabels) -> [Row] {
        let cities = report.cities
        let counties = cities.flatMap(\.counties)
        let severalCities = cities.count > 1
        func countyName(_ name: String?) -> String? { name ?? report.districtName }
        func countyRow(_ county: CountyTally, indent: String = "", qualified: Bool = false) -> Row {
            let name = l.county(county.name, district: report.districtName)
            let label = qualified && severalCities ? "\(l.city(county.city))/\(name)" : name
            return Row(label: indent + label, counts: county.counts, isVillage: false, level: .county, county: name, city: county.city)
        }
        func townshipRows(_ township: TownshipTally, indent: String, withVillages: Bool) -> [Row] {
            let name = l.township(township.name)
            let county = countyName(township.county)
            return [Row(label: indent + name, counts: township.counts, isVillage: false, level: .township, township: name,
                        county: county, city: township.city)]
                + (withVillages ? township.villages.map {
                    Row(label: indent + "  " + $0.name, counts: $0.counts, isVillage: true, level: .village, township: name,
                        village: $0.name, kind: $0.kind, county: county, city: township.city)
                } : [])
        }
        switch level {
        case .district:
            let label = counties.count > 1 ? l.total : report.districtName ?? l.district
            return [Row(label: label, counts: report.district, isVillage: false, level: .district)]
        case .city:
            return cities.map { Row(label: l.city($0.name), counts: $0.counts, isVillage: false, level: .city, city: l.city($0.name)) }
        case .county:
            guard severalCities else { return counties.map { countyRow($0) } }
            return cities.flatMap { city in
                [Row(label: l.city(city.name), counts: city.counts, isVillage: false, level: .city, city: l.city(city.name))]
                    + city.counties.map { countyRow($0, indent: "  ") }
            }
        case .township, .village:
            guard counties.count > 1 else {
                return report.townships.flatMap { townshipRows($0, indent: "", withVillages: level == .village) }
            }
            return counties.flatMap { county in
                [countyRow(county, qualified: true)]
                    + county.townships.flatMap { townshipRows($0, indent: "  ", withVillages: level == .village) }
            }
        }
    }
}

/// Wrapping prose to a terminal width, counting Chinese characters as two columns and keeping
/// closing punctuation off the start of a line.
///
/// The text is made one line first (`oneLine`): a village, round or team name in it cannot break
/// a line or drive the terminal, and the wrapping measures the escaped text.
enum TextWrap {
    static func lines(_ text: String, width: Int) -> [String] {
        let text = text.oneLine
        guard DisplayWidth.of(text) > width else { return [text] }
        var lines: [String] = []
        var line = ""
        for token in tokens(text) {
            if !line.isEmpty, DisplayWidth.of(line + token) > width {
                lines.append(String(line.reversed().drop(while: { $0 == " " }).reversed()))
                line = String(token.drop(while: { $0 == " " }))
            } else {
                line += token
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Words with their leading space, single wide characters, and punctuation glued to its neighbour.
    static func tokens(_ text: String) -> [String] {
        let closing: Set<Character> = ["，", "。", "、", "）", "：", "；", "”", "！", "？", ",", ".", ")", ":", ";", "%"]
        let opening: Set<Character> = ["（", "“", "("]
        var tokens: [String] = []
        var current = ""
        var pendingOpen = ""
        func flush() {
            if !current.isEmpty { tokens.append(current) }
            current = ""
        }
        for character in text {
            if closing.contains(character) {
                if current.isEmpty, let last = tokens.popLast() { current = last }
                current.append(character)
                continue
            }
            if opening.contains(character) {
                flush()
                pendingOpen.append(character)
                continue
            }
            if character == " " {
                flush()
                current = " "
                continue
            }
            if DisplayWidth.of(String(character)) == 2 {
                flush()
                tokens.append(pendingOpen + String(character))
                pendingOpen = ""
                continue
            }
            if !pendingOpen.isEmpty {
                flush()
                current = pendingOpen
                pendingOpen = ""
            }
            if let last = current.last, DisplayWidth.of(String(last)) == 2 { flush() }
            current.append(character)
        }
        flush()
        if !pendingOpen.isEmpty { tokens.append(pendingOpen) }
        return tokens
    }
}
