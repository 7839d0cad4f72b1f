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
        let priorityLines = PriorityKind.allCases.map { kind in
            "\(esc(h.priorityName(kind))) \(num(d[kind].visited))/\(num(d[kind].households))"
        }.joined(separator: " · ")
        let priorityVisited = PriorityKind.allCases.reduce(0) { $0 + d[$1].visited }
        let priorityAll = PriorityKind.allCases.reduce(0) { $0 + d[$1].households }
        let cards: [(String, String, String)] = [
            (h.cardInspected, "\(num(d.villagesInspected)) <small>/ \(num(d.villages))</small> <em>\(percent(d.inspectedPercent))</em>",
             esc(h.cardInspectedNote)),
            (h.cardVisited, "\(num(d.visited)) <small>/ \(num(d.households)) \(esc(h.householdUnit))</small> <em>\(percent(d.coveragePercent))</em>",
             esc(h.visitsNote(d.visits))),
            (h.cardPriority, "\(num(priorityVisited)) <small>/ \(num(priorityAll)) \(esc(h.householdUnit))</small> <em>\(percent(Percent.of(priorityVisited, priorityAll)))</em>",
             priorityLines),
            (h.cardForums, "\(num(d.forums)) <small>\(esc(h.sessionUnit))</small>", esc(h.participantsNote(d.participants))),
            (h.cardNotices, "\(num(d.notices)) <small>\(esc(h.timesUnit))</small>", esc(h.copiesNote(d.copies))),
            (h.cardProblems, "\(num(d.problemsFound)) <small>\(esc(h.problemUnit))</small> <em>\(esc(h.ratePrefix))\(percent(d.rectificationPercent))</em>",
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
            out += "<figure class=\"group\"><figcaption>\(esc(h.byLevelCaption(level)))</figcaption>\n"
            out += bars(rows.map { Bar(label: $0.label.trimmingCharacters(in: .whitespaces), counts: $0.counts, isVillage: false) }, h)
            out += "</figure>\n"
        } else if perVillage {
            for township in report.townships {
                let name = grouped ? "\(countyName(township.county))/\(l.township(township.name))" : l.township(township.name)
                let title = "\(name) · \(h.townshipSummary(township.counts))"
                out += "<figure class=\"group\"><figcaption>\(esc(title))</figcaption>\n"
                out += bars(township.villages.map { Bar(label: $0.name, counts: $0.counts, isVillage: true) }, h)
                out += "</figure>\n"
            }
        } else if grouped {
            for county in report.counties {
                let title = "\(countyName(county.name)) · \(h.townshipSummary(county.counts))"
                out += "<figure class=\"group\"><figcaption>\(esc(title))</figcaption>\n"
                out += bars(county.townships.map { Bar(label: l.township($0.name), counts: $0.counts, isVillage: false) }, h)
                out += "</figure>\n"
            }
        } else {
            out += "<figure class=\"group\"><figcaption>\(esc(h.byTownshipCaption))</figcaption>\n"
            out += bars(report.townships.map { Bar(label: l.township($0.name), counts: $0.counts, isVillage: false) }, h)
            out += "</figure>\n"
        }
        return out + "</section>\n"
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

    /// Horizontal bars, one small SVG per row so that a printed page breaks between bars, under
    /// an axis row: a label, a track for 0–100%, the bar, the percentage and visited/roster, and a
    /// red mark for priority households not yet visited (a township's villages inspected instead).
    static func bars(_ bars: [Bar], _ h: HTMLText) -> String {
        typealias G = Geometry
        let svgOpen = { (height: Double, label: String) in
            "<svg viewBox=\"0 0 \(Int(G.width)) \(fmt(height))\" width=\"100%\" role=\"img\" aria-label=\"\(esc(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
        }
        var out = "<div class=\"axis\">" + svgOpen(14, h.chartHeading)
        for tick in [0, 25, 50, 75, 100] {
            let x = G.trackX + G.trackWidth * Double(tick) / 100
            out += "<text x=\"\(fmt(x))\" y=\"10\" text-anchor=\"middle\" class=\"axis\">\(tick)%</text>"
        }
        out += "</svg></div>\n"
        for bar in bars {
            let c = bar.counts
            let percent = c.coveragePercent
            let exact = c.households == 0 ? 0 : Double(c.visited) / Double(c.households)
            let inspected = bar.isVillage ? c.villagesInspected > 0 : true
            let y = (G.rowHeight - G.barHeight) / 2
            out += "<div class=\"bar\(inspected ? "" : " idle")\">" + svgOpen(G.rowHeight, "\(bar.label): \(h.barTitle(c))")
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
            let gap = PriorityKind.allCases.reduce(0) { $0 + c[$1].notVisited }
            if !bar.isVillage {
                out += "<text x=\"\(fmt(G.markX))\" y=\"12.5\" class=\"fraction\">\(esc(h.villagesShort(c)))</text>"
            } else if gap > 0 {
                out += "<text x=\"\(fmt(G.markX))\" y=\"12.5\" class=\"gapmark\">\(esc(h.priorityGapShort(gap)))</text>"
            }
            out += "</svg></div>\n"
        }
        return out
    }

    // MARK: Priority gaps

    static func gaps(_ report: TallyReport, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"gaps\">\n<h2>\(esc(h.gapsHeading))</h2>\n"
        let rows = report.townships.flatMap { township in
            township.villages.filter { v in PriorityKind.allCases.contains { v.counts[$0].notVisited > 0 } }
                .map { (township: TallyRows.grouped(report)
                            ? "\(l.county(township.county, district: report.districtName))/\(l.township(township.name))"
                            : l.township(township.name), village: $0) }
        }
        let all = PriorityKind.allCases.reduce(0) { $0 + report.district[$1].households }
        guard !rows.isEmpty else {
            return out + "<p class=\"ok\">\(esc(all == 0 ? h.noPriority : h.noGaps))</p>\n</section>\n"
        }
        out += "<p class=\"note\">\(esc(h.gapsNote))</p>\n"
        out += "<table class=\"gaptable\">\n<thead><tr><th>\(esc(l.nameColumn(.village)))</th>"
        for kind in PriorityKind.allCases { out += "<th>\(esc(h.priorityName(kind)))</th>" }
        out += "<th>\(esc(h.gapTotal))</th></tr></thead>\n<tbody>\n"
        var totals = [PriorityKind: Int]()
        for row in rows {
            out += "<tr><td>\(esc(row.township))/\(esc(row.village.name))</td>"
            for kind in PriorityKind.allCases {
                let p = row.village.counts[kind]
                totals[kind, default: 0] += p.notVisited
                out += p.households == 0
                    ? "<td class=\"dim\">—</td>"
                    : "<td\(p.notVisited > 0 ? " class=\"gap\"" : "")>\(num(p.notVisited)) <small>/ \(num(p.households))</small></td>"
            }
            let gap = PriorityKind.allCases.reduce(0) { $0 + row.village.counts[$1].notVisited }
            out += "<td class=\"gap\">\(num(gap))</td></tr>\n"
        }
        out += "</tbody>\n<tfoot><tr><td>\(esc(l.total))</td>"
        for kind in PriorityKind.allCases { out += "<td>\(num(totals[kind] ?? 0))</td>" }
        out += "<td>\(num(totals.values.reduce(0, +)))</td></tr></tfoot>\n</table>\n"
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
        let svgOpen = { (height: Double, label: String) in
            "<svg viewBox=\"0 0 \(Int(G.width)) \(fmt(height))\" width=\"100%\" role=\"img\" aria-label=\"\(esc(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
        }
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

    static func table(_ report: TallyReport, level: TallyLevel, _ h: HTMLText, _ l: TallyLabels) -> String {
        var out = "<section class=\"detail\">\n<h2>\(esc(h.tableHeading(level)))</h2>\n<table class=\"tally\">\n<thead><tr>"
        let headers = [l.nameColumn(level, grouped: TallyRows.grouped(report)), l.households, l.visited, l.coverage]
            + PriorityKind.allCases.map(l.priorityColumn)
            + [l.visits, l.forums, l.participants, l.notices, l.copies]
            + FixStatus.allCases.map(l.fixStatus) + [l.inspected]
        out += headers.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in TallyRows.rows(report, by: level, labels: l) {
            out += tableRow(row, level: row.level.rawValue, l)
        }
        out += "</tbody>\n"
        if level != .district {
            out += "<tfoot>\n" + tableRow(TallyRows.Row(label: l.total, counts: report.district, isVillage: false, level: .district), level: "total", l) + "</tfoot>\n"
        }
        return out + "</table>\n</section>\n"
    }

    static func tableRow(_ row: TallyRows.Row, level: String, _ l: TallyLabels) -> String {
        let cells = TallyTable.coverageCells(row, labels: l)
        let work = TallyTable.workCells(row, labels: l).dropFirst()
        let all = Array(cells.dropLast()) + work + [cells.last!]
        let label = row.label.trimmingCharacters(in: .whitespaces)
        let figures = all.dropFirst().map { cell in
            "<td>\(esc(Int(cell).map(num) ?? cell))</td>"
        }.joined()
        let idle = row.isVillage && row.counts.villagesInspected == 0 ? " idle" : ""
        return "<tr class=\"\(level)\(idle)\" data-level=\"\(level)\"><td>\(esc(label))</td>\(figures)</tr>\n"
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

    static let style = """

        @page { size: A4; margin: 14mm 12mm 16mm; }
        * { box-sizing: border-box; }
        html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { margin: 0 auto; padding: 10mm 0; max-width: 186mm; color: #1d2433; background: #fff;
          font: 10.5pt/1.5 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
            "Hiragino Sans GB", "WenQuanYi Micro Hei", sans-serif; }
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
        figure.group { margin: 0 0 3.5mm; }
        figcaption { font-weight: 700; font-size: 10pt; margin-bottom: 0.3mm; break-after: avoid; }
        .axis { break-after: avoid; }
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
        tr { break-inside: avoid; }
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

/// The words of the HTML page that the terminal table does not use.
struct HTMLText {
    var language: ReportLanguage

    init(_ language: ReportLanguage) { self.language = language }

    private func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    func priorityName(_ kind: PriorityKind) -> String { t(kind.chinese, kind.rawValue) }

    var totalsHeading: String { t("全区合计", "District totals") }
    var cardInspected: String { t("已巡察村（社区）", "Villages inspected") }
    var cardInspectedNote: String { t("至少有一次入户走访、座谈或张贴公告", "at least one visit, forum or notice") }
    var cardVisited: String { t("入户走访覆盖", "Households visited") }
    var cardPriority: String { t("重点户走访", "Priority households visited") }
    var cardForums: String { t("座谈", "Forums") }
    var cardNotices: String { t("张贴公告", "Notices posted") }
    var cardProblems: String { t("发现问题（含立行立改）", "Problems found (with on-the-spot fixes)") }
    var ratePrefix: String { t("整改率 ", "rectified ") }
    var householdUnit: String { t("户", "hh") }
    var sessionUnit: String { t("场", "sessions") }
    var timesUnit: String { t("次", "times") }
    var problemUnit: String { t("个", "problems") }

    func visitsNote(_ n: Int) -> String { t("走访 \(TallyHTML.num(n)) 次，同户多次只计一户", "\(TallyHTML.num(n)) visits; a household counts once") }
    func participantsNote(_ n: Int) -> String { t("\(TallyHTML.num(n)) 人次", "\(TallyHTML.num(n)) participants") }
    func copiesNote(_ n: Int) -> String { t("\(TallyHTML.num(n)) 张", "\(TallyHTML.num(n)) copies") }
    func problemsNote(_ c: TallyCounts) -> String {
        t("立行立改 \(TallyHTML.num(c.fixes)) · 移交线索 \(TallyHTML.num(c.problems.clues)) · 逾期 \(TallyHTML.num(c.problems.overdue))",
          "\(TallyHTML.num(c.fixes)) on the spot · \(TallyHTML.num(c.problems.clues)) clues transferred · \(TallyHTML.num(c.problems.overdue)) overdue")
    }

    var problemsHeading: String { t("发现问题与整改", "Problems found and rectified") }
    var rateRule: String {
        t("整改率＝（已整改＋已验收销号）÷（发现问题－无法整改），各级都由合计数算出，没有问题的显示“—”。发现问题含立行立改，其已整改、已核实计入已整改、已验收销号。逾期指整改时限已过（以生成日计）仍未整改或整改中。",
          "Rectification rate = (rectified + verified) ÷ (found − not rectifiable), from each row's sums; — where there is nothing to rectify. Problems found include on-the-spot fixes, counted as rectified or verified by their status. Overdue: past the deadline on the day of this tally, still open or rectifying.")
    }
    var ratesCaption: String { t("各乡镇整改率", "Rectification rate per township") }
    var problemHeaders: [String] {
        [t("发现问题", "found"), t("其中立行立改", "on the spot"), t("移交线索", "clues")]
            + ClueDestination.allCases.map { t($0.chinese, "to \($0.rawValue)") }
            + [t("已整改", "rectified"), t("已验收销号", "verified"), t("无法整改", "not rectifiable"),
               t("未整改", "open"), t("逾期", "overdue"), t("整改率", "rate")]
    }
    func rateTitle(_ c: TallyCounts) -> String {
        t("发现问题 \(c.problemsFound) 个，已整改 \(c.problemsRectified)、已验收销号 \(c.problemsVerified)、无法整改 \(c.problems.notRectifiable)、逾期 \(c.problems.overdue)",
          "\(c.problemsFound) found, \(c.problemsRectified) rectified, \(c.problemsVerified) verified, \(c.problems.notRectifiable) not rectifiable, \(c.problems.overdue) overdue")
    }
    var noProblems: String { t("无问题", "no problems") }
    func overdueShort(_ n: Int) -> String { t("逾期 \(n)", "\(n) overdue") }
    var overdueHeading: String { t("逾期未整改的问题", "Overdue problems") }
    var overdueNote: String {
        t("整改时限已过、仍未整改或整改中的问题，逾期最久的在前。已移交的问题线索只计数，不列出。",
          "Past their deadline and still open or rectifying, the longest overdue first. Transferred clues are counted above, never listed.")
    }
    var overdueSummary: String { t("问题", "problem") }
    var overdueDeadline: String { t("整改时限", "deadline") }
    var overdueDays: String { t("逾期天数", "days overdue") }
    var overdueResponsible: String { t("责任人", "responsible") }
    var noOverdue: String { t("没有逾期未整改的问题。", "No problem is overdue.") }
    var overdueAllTransferred: String {
        t("逾期的问题均已移交线索：只计数，不列出。", "Every overdue problem was transferred as a clue: counted, not listed.")
    }
    func overdueMore(_ n: Int) -> String {
        t("另有 \(TallyHTML.num(n)) 个逾期问题未列出；全部见 fieldbook problems。", "\(TallyHTML.num(n)) more overdue problems are not listed; fieldbook problems shows them all.")
    }

    var chartHeading: String { t("各村入户走访覆盖率", "Households visited per village") }
    var byTownshipCaption: String { t("各乡镇入户走访覆盖率", "Households visited per township") }
    func byLevelCaption(_ level: TallyLevel) -> String {
        level == .city ? t("各市入户走访覆盖率", "Households visited per city") : t("各县区入户走访覆盖率", "Households visited per county")
    }
    var legendFull: String { t("全部走访", "all visited") }
    var legendMost: String { t("60% 及以上", "60% or more") }
    var legendLow: String { t("不足 60%", "under 60%") }
    var legendNone: String { t("未走访", "none visited") }
    var noRoster: String { t("名册无户", "no households") }
    var legendIdleSample: String { t("灰色村名", "grey name") }
    var legendIdle: String { t("未巡察", "not inspected") }
    var legendGap: String { t("重点户未走访户数", "priority households not yet visited") }

    func tooManyVillages(_ n: Int) -> String {
        t("共 \(n) 个村（社区），图中按乡镇显示；各村数字见下表。", "\(n) villages: the chart shows townships; the table below has every village.")
    }

    func townshipSummary(_ c: TallyCounts) -> String {
        t("已巡察 \(c.villagesInspected)/\(c.villages) 个村（社区），走访 \(TallyHTML.num(c.visited))/\(TallyHTML.num(c.households)) 户",
          "\(c.villagesInspected) of \(c.villages) villages inspected, \(TallyHTML.num(c.visited)) of \(TallyHTML.num(c.households)) households visited")
    }

    func villagesShort(_ c: TallyCounts) -> String {
        t("巡察 \(c.villagesInspected)/\(c.villages) 村", "\(c.villagesInspected)/\(c.villages) insp.")
    }

    func barTitle(_ c: TallyCounts) -> String {
        t("已走访 \(c.visited) 户 / 在册 \(c.households) 户，走访 \(c.visits) 次",
          "\(c.visited) of \(c.households) households visited, \(c.visits) visits")
    }

    func priorityGapShort(_ n: Int) -> String { t("缺 \(n)", "\(n) left") }

    var gapsHeading: String { t("重点户未走访情况", "Priority households not yet visited") }
    var gapsNote: String {
        t("五保户、低保户、危房改造户须全部走访。各格为“未走访 / 在册”户数；名单用 fieldbook pending 打印。",
          "Every wubao, dibao and weifang household must be visited. Cells: not visited / on roster; print the names with fieldbook pending.")
    }
    var gapTotal: String { t("未走访合计", "not visited") }
    var noGaps: String { t("所有重点户均已走访。", "Every priority household has been visited.") }
    var noPriority: String { t("名册中没有重点户。", "The roster holds no priority households.") }
    func tableHeading(_ level: TallyLevel) -> String {
        switch level {
        case .village: t("分村统计表", "Figures per village")
        case .township: t("分乡镇统计表", "Figures per township")
        case .county: t("分县区统计表", "Figures per county")
        case .city: t("分市统计表", "Figures per city")
        case .district: t("全区统计", "District figures")
        }
    }

    var rule: String {
        t("统计口径：只计未删除的记录；一户多次走访只计一户；已巡察指至少有一次入户走访、座谈或张贴公告；立行立改不计入已巡察；发现问题含立行立改，已移交的问题线索只计数。由 Fieldbook 生成。",
          "Counting rules: deleted records never count; a household visited several times counts once; a village is inspected with at least one visit, forum or notice (fixes alone do not count); problems found include on-the-spot fixes, and a transferred clue is only counted. Made by Fieldbook.")
    }
}
