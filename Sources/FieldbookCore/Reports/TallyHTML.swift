import Foundation

/// The tally as one self-contained HTML page for the inspection office: inline CSS and SVG, no
/// script, no font or image fetched from anywhere, laid out for A4 paper.
///
/// The page holds the district's totals, a bar chart of coverage per village grouped by township
/// (per township when there are too many villages to draw), the priority households not yet
/// visited per village, problems found and their rectification rate per township with the overdue
/// ones listed (never a transferred clue's), the full table with a totals row, and any unknown lines.
public enum TallyHTML {
    /// Above this many villages the chart draws one bar per township instead of one per village.
    public static let maxVillageBars = 600
    /// At most this many overdue problems are listed; the rest are counted under the list.
    public static let maxOverdueRows = TallyReport.overdueLimit

    public static func render(_ report: TallyReport, by level: TallyLevel = .village, language: ReportLanguage = .zh)
        -> String
    {
        let l = TallyLabels(language)
        let h = HTMLText(language)
        var out = """
            <!DOCTYPE html>
            <html lang="\(language == .zh ? "zh-CN" : "en")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(l.title(level)))</title>
            <style>\(style)\(levelRows(report, level))</style>
            </head>
            <body>
            <header>
            <h1>\(esc(l.title(level)))</h1>
            <p class="filters">\(esc(l.filters(report.query)))</p>
            <p class="filters">\(esc(l.generated(report.generatedAt)))</p>
            </header>

            """
        out += cards(report, h)
        out += chart(report, level: level, h, l)
        out += gaps(report, h, l)
        out += problems(report, h, l)
        out += table(report, level: level, h, l)
        out += notes(report, l)
        out += """
            <footer>\(esc(h.rule))</footer>
            </body>
            </html>

            """
        return out
    }

    // MARK: District totals

    static func cards(_ report: TallyReport, _ h: HTMLText) -> String {
        let d = report.district
        let percent = { (p: Int?) in p.map { "\($0)%" } ?? "—" }
        // Households, each counted once, whatever its kinds; the kinds beside, where a household of
        // two kinds counts in both (so that the kinds may add up to more than the households).
        let kinds = PriorityKind.allCases.map { kind in
            "\(esc(h.priorityName(kind))) \(num(d[kind].visited))/\(num(d[kind].households))"
        }.joined(separator: " · ")
        let kindsAll = PriorityKind.allCases.reduce(0) { $0 + d[$1].households }
        let priorityNote = kinds + (kindsAll > d.priority.households ? "<br>" + esc(h.priorityOverlap) : "")
        let cards: [(String, String, String)] = [
            (h.cardInspected, "\(num(d.villagesInspected)) <small>/ \(num(d.villages))</small> <em>\(percent(d.inspectedPercent))</em>",
             esc(h.cardInspectedNote)),
            (h.cardVisited, "\(num(d.visited)) <small>/ \(num(d.households))</small> <em>\(percent(d.coveragePercent))</em>",
             esc(h.visitsNote(d.visits))),
            (h.cardPriority, "\(num(d.priority.visited)) <small>/ \(num(d.priority.households))</small> <em>\(percent(Percent.of(d.priority.visited, d.priority.households)))</em>",
             priorityNote),
            (h.cardForums, num(d.forums), esc(h.participantsNote(d.participants))),
            (h.cardNotices, num(d.notices), esc(h.copiesNote(d.copies))),
            (h.cardProblems, "\(num(d.problemsFound)) <em>\(esc(h.rate(percent(d.rectificationPercent))))</em>",
             esc(h.problemsNote(d))),
        ]
        var out = "<section class=\"cards\" aria-label=\"\(esc(h.totalsHeading))\">\n"
        for (title, figure, note) in cards {
            out += "<div class=\"card\"><div class=\"label\">\(esc(title))</div><div class=\"big\">\(figure)</div><div class=\"sub\">\(note)</div></div>\n"
        }
        return out + "</section>\n"
    }

    // MARK: The chart

    struct Bar {
        var label: String
        var counts: TallyCounts
        var isVillage: Bool
    }

    static func chart(_ report: TallyReport, level: TallyLevel, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"chart\">\n<h2>\(esc(h.chartHeading))</h2>\n"
        out += "<p class=\"legend\">\(legend(h))</p>\n"
        let perVillage = level == .village && report.villages.count <= maxVillageBars
        if level == .village, !perVillage { out += "<p class=\"note\">\(esc(h.tooManyVillages(report.villages.count)))</p>\n" }
        // Where the store holds several counties, townships are grouped by county.
        let grouped = TallyRows.grouped(report)
        let countyName = { (county: String?) in l.county(county, district: report.districtName) }
        if level == .city || level == .county {
            let rows = TallyRows.rows(report, by: level, labels: l).filter { $0.level == level }
            out += group(h.byLevelCaption(level), rows.map { Bar(label: $0.label.trimmingCharacters(in: .whitespaces), counts: $0.counts, isVillage: false) }, h)
        } else if perVillage {
            for township in report.townships {
                let name = grouped ? "\(countyName(township.county))/\(l.township(township.name))" : l.township(township.name)
                out += group("\(name) · \(h.townshipSummary(township.counts))", township.villages.map { Bar(label: $0.name, counts: $0.counts, isVillage: true) }, h)
            }
        } else if grouped {
            for county in report.counties {
                out += group("\(countyName(county.name)) · \(h.townshipSummary(county.counts))", county.townships.map { Bar(label: l.township($0.name), counts: $0.counts, isVillage: false) }, h)
            }
        } else {
            out += group(h.byTownshipCaption, report.townships.map { Bar(label: l.township($0.name), counts: $0.counts, isVillage: false) }, h)
        }
        return out + "</section>\n"
    }

    /// One group of bars (a township's villages) as a table whose head, the caption and the axis,
    /// a browser repeats on each page the group runs onto; a group that fits on a page is kept whole.
    static func group(_ caption: String, _ rows: [Bar], _ h: HTMLText) -> String {
        var out = "<figure class=\"group\"><table class=\"bars\">\n<thead><tr><th><div class=\"caption\">\(esc(caption))</div>"
        out += axis(h) + "</th></tr></thead>\n<tbody>\n"
        for bar in bars(rows, h) { out += "<tr><td>\(bar)</td></tr>\n" }
        return out + "</tbody>\n</table></figure>\n"
    }

    static func legend(_ h: HTMLText) -> String {
        [("#2e7d32", h.legendFull), ("#2f6db5", h.legendMost), ("#e08a1e", h.legendLow), ("#eef0f4", h.legendNone)].map {
            "<span class=\"key\"><span class=\"swatch\" style=\"background:\($0.0)\"></span>\(esc($0.1))</span>"
        }.joined(separator: " ")
            + " <span class=\"key\"><span class=\"idlename\">\(esc(h.legendIdleSample))</span> \(esc(h.legendIdle))</span>"
            + " <span class=\"key\"><span class=\"gapsample\">\(esc(h.priorityGapShort(3)))</span> \(esc(h.legendGap))</span>"
    }

    static func color(_ percent: Int?) -> String {
        switch percent ?? 0 {
        case 100: "#2e7d32"
        case 60..<100: "#2f6db5"
        default: "#e08a1e"
        }
    }

    /// The geometry of a bar row, in SVG units (the row is drawn 720 units wide, scaled to the page).
    enum Geometry {
        static let width = 720.0
        static let labelEnd = 136.0
        static let trackX = 144.0
        static let trackWidth = 372.0
        static let percentEnd = 560.0
        static let fractionX = 568.0
        static let markX = 652.0
        static let rowHeight = 17.0
        static let barHeight = 11.0
    }

    static func svgOpen(_ height: Double, _ label: String) -> String {
        typealias G = Geometry
        return "<svg viewBox=\"0 0 \(Int(G.width)) \(fmt(height))\" width=\"100%\" role=\"img\" aria-label=\"\(esc(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
    }

    /// The axis over a group of bars: 0–100% along the track.
    static func axis(_ h: HTMLText) -> String {
        typealias G = Geometry
        var out = "<div class=\"axis\">" + svgOpen(14, h.chartHeading)
        for tick in [0, 25, 50, 75, 100] {
            let x = G.trackX + G.trackWidth * Double(tick) / 100
            out += "<text x=\"\(fmt(x))\" y=\"10\" text-anchor=\"middle\" class=\"axis\">\(tick)%</text>"
        }
        return out + "</svg></div>"
    }

    /// Horizontal bars, one small SVG per row so that a printed page breaks between bars: a label,
    /// a track for 0–100%, the bar, the percentage and visited/roster, and a red mark for priority
    /// households not yet visited, each once (a township's villages inspected instead).
    static func bars(_ bars: [Bar], _ h: HTMLText) -> [String] {
        typealias G = Geometry
        return bars.map { bar in
            let c = bar.counts
            let percent = c.coveragePercent
            let exact = c.households == 0 ? 0 : Double(c.visited) / Double(c.households)
            let inspected = bar.isVillage ? c.villagesInspected > 0 : true
            let y = (G.rowHeight - G.barHeight) / 2
            var out = "<div class=\"bar\(inspected ? "" : " idle")\">" + svgOpen(G.rowHeight, "\(bar.label): \(h.barTitle(c))")
            out += "<title>\(esc(bar.label)): \(esc(h.barTitle(c)))</title>"
            for tick in [25, 50, 75, 100] {
                let x = G.trackX + G.trackWidth * Double(tick) / 100
                out += "<line x1=\"\(fmt(x))\" y1=\"0\" x2=\"\(fmt(x))\" y2=\"\(fmt(G.rowHeight))\" class=\"tick\"/>"
            }
            out += "<text x=\"\(fmt(G.labelEnd))\" y=\"12.5\" text-anchor=\"end\" class=\"name\">\(esc(DisplayWidth.truncate(bar.label, to: 20)))</text>"
            out += "<rect x=\"\(fmt(G.trackX))\" y=\"\(fmt(y))\" width=\"\(fmt(G.trackWidth))\" height=\"\(fmt(G.barHeight))\" class=\"track\"/>"
            if exact > 0 {
                out += "<rect x=\"\(fmt(G.trackX))\" y=\"\(fmt(y))\" width=\"\(fmt(max(1.5, G.trackWidth * exact)))\" height=\"\(fmt(G.barHeight))\" fill=\"\(color(percent))\"/>"
            }
            if c.households == 0 {
                out += "<text x=\"\(fmt(G.fractionX))\" y=\"12.5\" class=\"fraction\">\(esc(h.noRoster))</text>"
            } else {
                out += "<text x=\"\(fmt(G.percentEnd))\" y=\"12.5\" text-anchor=\"end\" class=\"percent\">\(percent.map { "\($0)%" } ?? "—")</text>"
                out += "<text x=\"\(fmt(G.fractionX))\" y=\"12.5\" class=\"fraction\">\(num(c.visited))/\(num(c.households))</text>"
            }
            let gap = c.priority.notVisited
            if !bar.isVillage {
                out += "<text x=\"\(fmt(G.markX))\" y=\"12.5\" class=\"fraction\">\(esc(h.villagesShort(c)))</text>"
            } else if gap > 0 {
                out += "<text x=\"\(fmt(G.markX))\" y=\"12.5\" class=\"gapmark\">\(esc(h.priorityGapShort(gap)))</text>"
            }
            return out + "</svg></div>"
        }
    }

    // MARK: Priority gaps

    static func gaps(_ report: TallyReport, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"gaps\">\n<h2>\(esc(h.gapsHeading))</h2>\n"
        let rows = report.townships.flatMap { township in
            township.villages.filter { $0.counts.priority.notVisited > 0 }
                .map { (township: TallyRows.grouped(report)
                            ? "\(l.county(township.county, district: report.districtName))/\(l.township(township.name))"
                            : l.township(township.name), village: $0) }
        }
        guard !rows.isEmpty else {
            return out + "<p class=\"ok\">\(esc(report.district.priority.households == 0 ? h.noPriority : h.noGaps))</p>\n</section>\n"
        }
        out += "<p class=\"note\">\(esc(h.gapsNote))</p>\n"
        out += "<table class=\"gaptable\">\n<thead><tr><th>\(esc(l.nameColumn(.village)))</th>"
        for kind in PriorityKind.allCases { out += "<th>\(esc(h.priorityName(kind)))</th>" }
        out += "<th>\(esc(h.gapTotal))</th></tr></thead>\n<tbody>\n"
        var totals = [PriorityKind: Int]()
        var total = 0
        for row in rows {
            out += "<tr><td>\(esc(row.township))/\(esc(row.village.name))</td>"
            for kind in PriorityKind.allCases {
                let p = row.village.counts[kind]
                totals[kind, default: 0] += p.notVisited
                out += p.households == 0
                    ? "<td class=\"dim\">—</td>"
                    : "<td\(p.notVisited > 0 ? " class=\"gap\"" : "")>\(num(p.notVisited)) <small>/ \(num(p.households))</small></td>"
            }
            // Households, each once: a household of two kinds is one household not yet visited.
            let gap = row.village.counts.priority.notVisited
            total += gap
            out += "<td class=\"gap\">\(num(gap))</td></tr>\n"
        }
        out += "</tbody>\n<tfoot><tr><td>\(esc(l.total))</td>"
        for kind in PriorityKind.allCases { out += "<td>\(num(totals[kind] ?? 0))</td>" }
        out += "<td>\(num(total))</td></tr></tfoot>\n</table>\n"
        return out + "</section>\n"
    }

    // MARK: Problems found and their rectification

    static func problems(_ report: TallyReport, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"problems\">\n<h2>\(esc(h.problemsHeading))</h2>\n"
        out += "<p class=\"note\">\(esc(h.rateRule))</p>\n"
        out += "<figure class=\"rates\"><figcaption>\(esc(h.ratesCaption))</figcaption>\n"
        out += rateBars(report.townships.map { (l.township($0.name), $0.counts) }, h)
        out += "</figure>\n"

        // Figures per township and the total.
        out += "<table class=\"problemtable\">\n<thead><tr><th>\(esc(l.nameColumn(.township)))</th>"
        out += h.problemHeaders.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for township in report.townships {
            out += problemRow(l.township(township.name), township.counts)
        }
        out += "</tbody>\n<tfoot>\(problemRow(l.total, report.district))</tfoot>\n</table>\n"

        // The overdue list: a transferred clue is counted above and never listed here.
        out += "<h3>\(esc(h.overdueHeading))</h3>\n"
        if report.overdue.isEmpty {
            if report.overdueNotTransferred > 0 {  // counted, not read: the report was made without the list
                return out + "<p class=\"note\">\(esc(h.overdueMore(report.overdueNotTransferred)))</p>\n</section>\n"
            }
            let text = report.district.problems.overdue == 0 ? h.noOverdue : h.overdueAllTransferred
            return out + "<p class=\"ok\">\(esc(text))</p>\n</section>\n"
        }
        out += "<p class=\"note\">\(esc(h.overdueNote))</p>\n"
        out += "<table class=\"overdue\">\n<thead><tr>"
        out += [l.nameColumn(.village), h.overdueSummary, h.overdueDeadline, h.overdueDays, h.overdueResponsible]
            .map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for problem in report.overdue.prefix(maxOverdueRows) {
            let place = problem.village.map { "\(l.township(problem.township))/\($0)" } ?? l.unknownVillage
            out += "<tr><td>\(esc(place))</td><td class=\"text\">\(esc(problem.summary))</td><td>\(esc(problem.deadline))</td>"
            out += "<td class=\"gap\">\(num(problem.daysOverdue))</td><td class=\"text\">\(esc(problem.responsible ?? ""))</td></tr>\n"
        }
        out += "</tbody>\n</table>\n"
        let unlisted = max(report.overdueNotTransferred, report.overdue.count) - min(report.overdue.count, maxOverdueRows)
        if unlisted > 0 {
            out += "<p class=\"note\">\(esc(h.overdueMore(unlisted)))</p>\n"
        }
        return out + "</section>\n"
    }

    static func problemRow(_ label: String, _ c: TallyCounts) -> String {
        let figures = [c.problemsFound, c.fixes, c.problems.clues] + ClueDestination.allCases.map { c.problems[$0] }
            + [c.problemsRectified, c.problemsVerified, c.problems.notRectifiable, c.problemsOpen, c.problems.overdue]
        let cells = figures.map { "<td>\(num($0))</td>" }.joined()
        return "<tr><td>\(esc(label))</td>\(cells)<td>\(c.rectificationPercent.map { "\($0)%" } ?? "—")</td></tr>\n"
    }

    /// A bar per township for its rectification rate, drawn as the coverage bars are: the rate, the
    /// rectified and verified of the problems to rectify, and the overdue ones in red.
    static func rateBars(_ rows: [(label: String, counts: TallyCounts)], _ h: HTMLText) -> String {
        typealias G = Geometry
        var out = ""
        for (label, c) in rows {
            let done = c.problemsRectified + c.problemsVerified
            let base = c.problemsFound - c.problems.notRectifiable
            let percent = c.rectificationPercent
            let exact = base == 0 ? 0 : Double(done) / Double(base)
            let y = (G.rowHeight - G.barHeight) / 2
            out += "<div class=\"ratebar\">" + svgOpen(G.rowHeight, "\(label): \(h.rateTitle(c))")
            out += "<title>\(esc(label)): \(esc(h.rateTitle(c)))</title>"
            out += "<text x=\"\(fmt(G.labelEnd))\" y=\"12.5\" text-anchor=\"end\" class=\"name\">\(esc(DisplayWidth.truncate(label, to: 20)))</text>"
            out += "<rect x=\"\(fmt(G.trackX))\" y=\"\(fmt(y))\" width=\"\(fmt(G.trackWidth))\" height=\"\(fmt(G.barHeight))\" class=\"track\"/>"
            if exact > 0 {
                out += "<rect x=\"\(fmt(G.trackX))\" y=\"\(fmt(y))\" width=\"\(fmt(max(1.5, G.trackWidth * exact)))\" height=\"\(fmt(G.barHeight))\" fill=\"\(color(percent))\"/>"
            }
            if let percent {
                out += "<text x=\"\(fmt(G.percentEnd))\" y=\"12.5\" text-anchor=\"end\" class=\"percent\">\(percent)%</text>"
                out += "<text x=\"\(fmt(G.fractionX))\" y=\"12.5\" class=\"fraction\">\(num(done))/\(num(base))</text>"
            } else {
                out += "<text x=\"\(fmt(G.percentEnd))\" y=\"12.5\" text-anchor=\"end\" class=\"percent\">—</text>"
                out += "<text x=\"\(fmt(G.fractionX))\" y=\"12.5\" class=\"fraction\">\(esc(h.noProblems))</text>"
            }
            if c.problems.overdue > 0 {
                out += "<text x=\"\(fmt(G.markX))\" y=\"12.5\" class=\"gapmark\">\(esc(h.overdueShort(c.problems.overdue)))</text>"
            }
            out += "</svg></div>\n"
        }
        return out
    }

    // MARK: The full table

    /// The widths of the detail table's columns, in percent of the page: the same in every
    /// township's table, so that they read as one table.
    static let columnWidths = [13.4, 5.7, 5.7, 4.6, 8.7, 8.7, 8.7, 5.7, 4.6, 5.7, 4.6, 5.7, 3.8, 3.8, 3.8, 6.8]

    /// The full table. By village, each township is a table of its own whose head (the columns and
    /// the township's row) a browser repeats on each page it runs onto, so that a continuation page
    /// names its township; the totals close the last table once, in a footer that is not repeated.
    static func table(_ report: TallyReport, level: TallyLevel, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"detail\">\n<h2>\(esc(h.tableHeading(level)))</h2>\n"
        let headers = [l.nameColumn(level, grouped: TallyRows.grouped(report)), l.households, l.visited, l.coverage]
            + PriorityKind.allCases.map(l.priorityColumn)
            + [l.visits, l.forums, l.participants, l.notices, l.copies]
            + FixStatus.allCases.map(l.fixStatus) + [l.inspected]
        let head = "<tr>" + headers.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        let totals = level == .district ? "" : "<tfoot>\n" + tableRow(TallyRows.Row(label: l.total, counts: report.district, isVillage: false, level: .district), level: "total", l) + "</tfoot>\n"
        let rows = TallyRows.rows(report, by: level, labels: l)
        guard level == .village else {
            out += "<table class=\"tally\">\n<thead>\n\(head)</thead>\n<tbody>\n"
            for row in rows { out += tableRow(row, level: row.level.rawValue, l) }
            return out + "</tbody>\n\(totals)</table>\n</section>\n"
        }
        let columns = "<colgroup>" + columnWidths.map { "<col style=\"width:\(fmt($0))%\">" }.joined() + "</colgroup>\n"
        var open = false
        for row in rows {
            switch row.level {
            case .village:
                out += tableRow(row, level: row.level.rawValue, l)
            case .township:
                if open { out += "</tbody>\n</table>\n" }
                out += "<table class=\"tally township\">\n\(columns)<thead>\n\(head)\(tableRow(row, level: row.level.rawValue, l))</thead>\n<tbody>\n"
                open = true
            default:  // a county heading its townships, between their tables
                if open { out += "</tbody>\n</table>\n" }
                out += "<table class=\"tally county\">\n\(columns)<tbody>\n\(tableRow(row, level: row.level.rawValue, l))</tbody>\n</table>\n"
                open = false
            }
        }
        if open { out += "</tbody>\n</table>\n" }
        out += "<table class=\"tally totals\">\n\(columns)\(totals)</table>\n"
        return out + "</section>\n"
    }

    static func tableRow(_ row: TallyRows.Row, level: String, _ l: TallyLabels) -> String {
        let cells = TallyTable.coverageCells(row, labels: l)
        let work = TallyTable.workCells(row, labels: l).dropFirst()
        let all = Array(cells.dropLast()) + work + [cells.last!]
        let label = row.label.trimmingCharacters(in: .whitespaces)
        let figures = all.dropFirst().map { cell in "<td>\(esc(grouped(cell)))</td>" }.joined()
        let idle = row.isVillage && row.counts.villagesInspected == 0 ? " idle" : ""
        return "<tr class=\"\(level)\(idle)\" data-level=\"\(level)\"><td>\(esc(label))</td>\(figures)</tr>\n"
    }

    /// A cell's figures with thousands separators: `14743` as `14,743`, `1043/1723` as `1,043/1,723`.
    static func grouped(_ cell: String) -> String {
        var out = ""
        var digits = ""
        for character in cell {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            out += Int(digits).map(num) ?? digits
            digits = ""
            out.append(character)
        }
        return out + (Int(digits).map(num) ?? digits)
    }

    static func notes(_ report: TallyReport, _ l: TallyLabels) -> String {
        var out = "<section class=\"notes\">\n<p>\(esc(l.inspectedSummary(report.district)))</p>\n"
        if report.unknownHouseholds.visits > 0 {
            out += "<p class=\"warn\" data-level=\"unknown_households\">\(esc(l.unknownHouseholdsLine(report.unknownHouseholds)))</p>\n"
        }
        if !report.unknownVillages.isEmpty {
            out += "<p class=\"warn\" data-level=\"unknown_villages\">\(esc(l.unknownVillagesLine(report.unknownVillages)))</p>\n"
        }
        return out + "</section>\n"
    }

    // MARK: Helpers

    static func esc(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// 14743 as 14,743.
    static func num(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func fmt(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x)
    }

    /// The style of county and city rows, on a page that has them (a one-district page is as before).
    static func levelRows(_ report: TallyReport, _ level: TallyLevel) -> String {
        guard level == .county || level == .city || TallyRows.grouped(report) else { return "" }
        return "tr.county td, tr.city td { font-weight: 700; background: #e6eaf1; }\n"
    }

    /// The page's fonts: a Chinese one that Linux (Noto Sans CJK, from fonts-noto-cjk), Windows
    /// (Microsoft YaHei, SimSun) or a Mac has, before the generic family.
    static let fonts = "\"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", \"Microsoft YaHei\", \"微软雅黑\", "
        + "\"PingFang SC\", \"Hiragino Sans GB\", \"WenQuanYi Micro Hei\", \"SimSun\", \"宋体\", \"Noto Serif CJK SC\", sans-serif"

    static let style = """

        @page { size: A4; margin: 14mm 12mm 16mm; }
        * { box-sizing: border-box; }
        html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { margin: 0 auto; padding: 10mm 0; max-width: 186mm; color: #1d2433; background: #fff;
          font: 10.5pt/1.5 \(fonts); }
        h1 { font-size: 19pt; margin: 0 0 1.5mm; padding-bottom: 1.5mm; border-bottom: 2.5px solid #b3261e; }
        h2 { font-size: 13pt; margin: 7mm 0 2.5mm; padding-left: 2.5mm; border-left: 4px solid #b3261e; break-after: avoid; }
        .filters { margin: 0; color: #5b6478; font-size: 9.5pt; white-space: pre-wrap; }
        .cards { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 3mm; margin-top: 5mm; }
        .card { min-width: 0; border: 1px solid #d9dde5; border-radius: 2mm; padding: 2.5mm 3.5mm; break-inside: avoid; background: #fbfcfd; }
        .card .label { color: #5b6478; font-size: 9pt; }
        .card .big { font-size: 17pt; font-weight: 700; line-height: 1.25; }
        .card .big small { font-size: 10.5pt; font-weight: 400; color: #5b6478; }
        .card .big em { font-style: normal; font-size: 12pt; color: #b3261e; margin-left: 1.5mm; }
        .card .sub { font-size: 8.5pt; color: #5b6478; }
        .legend { margin: 0 0 2mm; font-size: 8.5pt; color: #5b6478; }
        .key { margin-right: 4mm; white-space: nowrap; }
        .swatch { display: inline-block; width: 3.2mm; height: 3.2mm; border-radius: 0.6mm; margin-right: 1mm; vertical-align: -0.4mm; }
        figure.group { margin: 0 0 3.5mm; break-inside: avoid; }
        table.bars { font-size: inherit; }
        table.bars th, table.bars td { padding: 0; border: none; text-align: left; white-space: normal; background: none; font-weight: 400; }
        .caption { font-weight: 700; font-size: 10pt; margin-bottom: 0.3mm; }
        .bar { break-inside: avoid; }
        svg { display: block; overflow: visible; }
        svg text { font-family: inherit; fill: #1d2433; font-size: 11px; }
        svg text.axis { fill: #8a93a6; font-size: 9.5px; }
        svg .tick { stroke: #ffffff; stroke-width: 1; }
        svg .track { fill: #eef0f4; }
        svg .percent { font-weight: 700; }
        svg .fraction { fill: #5b6478; }
        .idle svg .name { fill: #9aa1af; }
        svg .gapmark { fill: #b3261e; font-weight: 700; }
        .idlename { color: #9aa1af; }
        .gapsample { color: #b3261e; font-weight: 700; }
        table { border-collapse: collapse; width: 100%; font-size: 8pt; }
        th, td { padding: 0.9mm 0.8mm; border-bottom: 0.5px solid #d9dde5; text-align: right; white-space: nowrap; }
        th { white-space: normal; }
        th:first-child, td:first-child { text-align: left; }
        thead th { background: #eef0f4; font-weight: 700; border-bottom: 1px solid #9aa3b5; }
        thead { display: table-header-group; }
        tfoot { display: table-row-group; }
        tr { break-inside: avoid; }
        table.tally.township, table.tally.county { table-layout: fixed; break-inside: avoid; margin-bottom: 1.5mm; }
        table.tally.totals { table-layout: fixed; break-before: avoid; }
        table.tally.township td, table.tally.county td, table.tally.totals td { overflow: hidden; text-overflow: clip; }
        tr.township td { font-weight: 700; background: #f6f7f9; }
        tr.village td:first-child { padding-left: 4mm; }
        tr.idle td:first-child { color: #8a93a6; }
        tfoot td { font-weight: 700; border-top: 1.5px solid #1d2433; border-bottom: none; }
        h3 { font-size: 11pt; margin: 4mm 0 1.5mm; break-after: avoid; }
        figure.rates { margin: 0 0 3mm; }
        .ratebar { break-inside: avoid; }
        table.problemtable { font-size: 8.5pt; margin-bottom: 2mm; }
        table.overdue { font-size: 9pt; }
        table.overdue td.text { text-align: left; white-space: normal; }
        table.gaptable { width: auto; min-width: 60%; font-size: 9pt; }
        table.gaptable td, table.gaptable th { padding: 0.9mm 3mm; }
        td.gap { color: #b3261e; font-weight: 700; }
        td.dim { color: #aab1bf; }
        td small { color: #5b6478; font-weight: 400; }
        .note { font-size: 8.5pt; color: #5b6478; margin: 0 0 2mm; }
        .ok { color: #2e7d32; font-weight: 700; }
        .notes p { margin: 1.5mm 0; font-size: 9.5pt; }
        .notes .warn { color: #8a4b00; background: #fff6e5; border-left: 3px solid #e08a1e; padding: 1.5mm 2.5mm; }
        footer { margin-top: 6mm; padding-top: 2mm; border-top: 1px solid #d9dde5; font-size: 8pt; color: #8a93a6; }
        @media screen and (max-width: 720px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
        @media print { body { padding: 0; max-width: none; } }

        """
}

/// The words of the HTML page that the terminal table does not use, in the page's language
/// (`--lang`, apart from the interface's): the English is the catalog's key.
struct HTMLText {
    var language: ReportLanguage

    init(_ language: ReportLanguage) { self.language = language }

    private var lang: Language { language == .zh ? .zh : .en }

    private func n(_ value: Int) -> String { TallyHTML.num(value) }

    /// A priority kind's name, as the record kinds define it.
    func priorityName(_ kind: PriorityKind) -> String { language == .zh ? kind.chinese : kind.rawValue }

    var totalsHeading: String { tr("District totals", in: lang) }
    var cardInspected: String { tr("Villages inspected", in: lang) }
    var cardInspectedNote: String { tr("with at least one visit, forum or notice", in: lang) }
    var cardVisited: String { tr("Households visited (each household once)", in: lang) }
    var cardPriority: String { tr("Priority households visited (each household once)", in: lang) }
    var priorityOverlap: String { tr("A household of two kinds counts in each kind, once above.", in: lang) }
    var cardForums: String { tr("Forums held (sessions)", in: lang) }
    var cardNotices: String { tr("Notices posted (times)", in: lang) }
    var cardProblems: String { tr("Problems found, with on-the-spot fixes", in: lang) }
    func rate(_ percent: String) -> String { tr("rectified \(percent)", in: lang) }

    func visitsNote(_ visits: Int) -> String { tr("\(visits, "visit"); a household visited twice counts once", in: lang) }
    func participantsNote(_ people: Int) -> String { tr("\(people, "participant") in all", in: lang) }
    func copiesNote(_ copies: Int) -> String { tr("\(copies, "copy", plural: "copies") posted", in: lang) }
    func problemsNote(_ c: TallyCounts) -> String {
        tr("\(n(c.fixes)) on the spot · \(n(c.problems.clues)) clues transferred · \(n(c.problems.overdue)) overdue", in: lang)
    }

    var problemsHeading: String { tr("Problems found and rectified", in: lang) }
    var rateRule: String {
        tr("Rectification rate = (rectified + verified) ÷ (found − not rectifiable), from each row's sums; — where there is nothing to rectify. Problems found include on-the-spot fixes, counted as rectified or verified by their status. Overdue: past the deadline on the day of this tally, still open or rectifying.", in: lang)
    }
    var ratesCaption: String { tr("Rectification rate per township", in: lang) }
    var problemHeaders: [String] {
        [tr("Found", in: lang), tr("Of them on the spot", in: lang), tr("Clues transferred", in: lang)]
            + ClueDestination.allCases.map { destination in
                switch destination {
                case .discipline: tr("To the discipline commission", in: lang)
                case .organisation: tr("To the organisation department", in: lang)
                case .other: tr("To other departments", in: lang)
                }
            }
            + [tr("Rectified", in: lang), tr("Verified and closed", in: lang), tr("Not rectifiable", in: lang), tr("Not yet rectified", in: lang), tr("Overdue", in: lang),
               tr("Rectification rate", in: lang)]
    }
    func rateTitle(_ c: TallyCounts) -> String {
        tr("\(n(c.problemsFound)) found, \(n(c.problemsRectified)) rectified, \(n(c.problemsVerified)) verified, \(n(c.problems.notRectifiable)) not rectifiable, \(n(c.problems.overdue)) overdue", in: lang)
    }
    var noProblems: String { tr("no problems found", in: lang) }
    func overdueShort(_ count: Int) -> String { tr("\(n(count)) overdue", in: lang) }
    var overdueHeading: String { tr("Overdue problems", in: lang) }
    var overdueNote: String {
        tr("Past their deadline and still open or rectifying, the longest overdue first. Transferred clues are counted above, never listed.", in: lang)
    }
    var overdueSummary: String { tr("Problem (overdue)", in: lang) }
    var overdueDeadline: String { tr("Deadline for rectification", in: lang) }
    var overdueDays: String { tr("Days past the deadline", in: lang) }
    var overdueResponsible: String { tr("Person responsible", in: lang) }
    var noOverdue: String { tr("No problem is overdue.", in: lang) }
    var overdueAllTransferred: String { tr("Every overdue problem was transferred as a clue: counted, not listed.", in: lang) }
    func overdueMore(_ count: Int) -> String {
        tr("\(count, "more overdue problem") not listed; fieldbook problems shows them all.", in: lang)
    }

    var chartHeading: String { tr("Households visited per village", in: lang) }
    var byTownshipCaption: String { tr("Households visited per township", in: lang) }
    func byLevelCaption(_ level: TallyLevel) -> String {
        level == .city ? tr("Households visited per city", in: lang) : tr("Households visited per county", in: lang)
    }
    var legendFull: String { tr("all visited", in: lang) }
    var legendMost: String { tr("60% or more", in: lang) }
    var legendLow: String { tr("under 60%", in: lang) }
    var legendNone: String { tr("none visited", in: lang) }
    var noRoster: String { tr("no households on the roster", in: lang) }
    var legendIdleSample: String { tr("grey name", in: lang) }
    var legendIdle: String { tr("not inspected", in: lang) }
    var legendGap: String { tr("priority households not yet visited, each once", in: lang) }

    func tooManyVillages(_ count: Int) -> String {
        tr("\(count, "village"): the chart shows townships; the table below has every village.", in: lang)
    }

    func townshipSummary(_ c: TallyCounts) -> String {
        tr("\(n(c.villagesInspected)) of \(c.villages, "village") inspected, \(n(c.visited)) of \(c.households, "household") visited", in: lang)
    }

    func villagesShort(_ c: TallyCounts) -> String { tr("\(n(c.villagesInspected))/\(n(c.villages)) insp.", in: lang) }

    func barTitle(_ c: TallyCounts) -> String {
        tr("\(n(c.visited)) of \(c.households, "household") visited, \(c.visits, "visit")", in: lang)
    }

    func priorityGapShort(_ count: Int) -> String { tr("\(n(count)) left", in: lang) }

    var gapsHeading: String { tr("Priority households still to visit", in: lang) }
    var gapsNote: String {
        tr("Every wubao, dibao and weifang household must be visited. Cells: not visited / on roster; the last column counts households, each once; print the names with fieldbook pending --priority-only.", in: lang)
    }
    var gapTotal: String { tr("Households not visited", in: lang) }
    var noGaps: String { tr("Every priority household has been visited.", in: lang) }
    var noPriority: String { tr("The roster holds no priority households.", in: lang) }
    func tableHeading(_ level: TallyLevel) -> String {
        switch level {
        case .village: tr("Figures per village", in: lang)
        case .township: tr("Figures per township", in: lang)
        case .county: tr("Figures per county", in: lang)
        case .city: tr("Figures per city", in: lang)
        case .district: tr("District figures", in: lang)
        }
    }

    var rule: String {
        tr("Counting rules: deleted records never count; a household visited several times counts once, and a household of two priority kinds once among the priority households; a village is inspected with at least one visit, forum or notice (fixes alone do not count); problems found include on-the-spot fixes, and a transferred clue is only counted. Made by Fieldbook. Where Chinese shows as boxes, install a Chinese font (fonts-noto-cjk on Linux).", in: lang)
    }
}
