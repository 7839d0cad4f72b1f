import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Tally: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Count coverage per village, township, county, city and district (走访覆盖统计)."),
            discussion: tr(id: "help.tally.discussion", """
                Households visited (each counted once) against households on the roster, priority \
                households (五保户, 低保户, 危房改造户) by kind and, each household once, together (as \
                `pending --priority-only` lists them), visits, forums and participants (人次), notices and \
                copies (张), fixes by status, problems found (fixes included) with the clues \
                transferred, rectified, verified, overdue and the rectification rate (整改率), and \
                villages inspected (at least one visit, forum or notice). Deleted records never count. \
                Works on a field store or the central one. \
                A roster with county (区/县) and city (市) columns tallies by county and city too; \
                a county's and a city's figures are the sums of their townships'. \
                The rules and the JSON schema: docs/TALLY.md.
                """))

        enum Level: String, CaseIterable, ExpressibleByArgument {
            case village, township, county, city, district
        }

        enum Format: String, CaseIterable, ExpressibleByArgument {
            case table, csv, json, html
        }

        enum Language: String, CaseIterable, ExpressibleByArgument {
            case zh, en
        }

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("One row per village (with township subtotals), per township, per county (区/县), per city (市), or the district's totals.")))
        var by: Level = .village
        @Option(help: ArgumentHelp(tr("Only records of this round, e.g. 五届第五轮."))) var round: String?
        @Option(help: ArgumentHelp(tr("Only records dated this day or later, YYYY-MM-DD."))) var from: String?
        @Option(help: ArgumentHelp(tr("Only records dated this day or earlier, YYYY-MM-DD."))) var to: String?
        @Option(help: ArgumentHelp(tr("Only the villages of this township."))) var township: String?
        @Option(help: ArgumentHelp(tr("Only the townships of this county or district (区/县), as the roster's county column names it.")))
        var county: String?
        @Option(help: ArgumentHelp(tr("Only the counties of this city (市), as the roster's city column names it."))) var city: String?
        @Option(help: ArgumentHelp(tr("Only records made on devices of this team."))) var team: String?
        @Option(help: ArgumentHelp(tr("table (default), csv (UTF-8 with BOM, for Excel and WPS), json, or html (one file, prints on A4).")))
        var format: Format = .table
        @Option(help: ArgumentHelp(tr("Headers and labels in zh or en (default: from the locale, else zh)."))) var lang: Language?
        @Option(help: ArgumentHelp(tr("Write the report to this new file instead of the terminal (a file already there is left untouched: exit 73)."))) var out: String?

        func run(_ context: CommandContext) throws {
            // Only the HTML page lists the overdue problems; the other formats count them.
            let query = TallyQuery(
                round: round, from: from, to: to, township: township, team: team, county: county, city: city,
                listsOverdue: format == .html)
            let report = try context.open().tally(query)
            let level = TallyLevel(rawValue: by.rawValue)!
            let language = lang.flatMap { ReportLanguage(rawValue: $0.rawValue) }
                ?? ReportLanguage.preferred(environment: ProcessInfo.processInfo.environment)
            let text: String
            switch format {
            case .table: text = TallyTable.render(report, by: level, language: language) + "\n"
            case .csv: text = TallyCSV.render(report, by: level, language: language)
            case .json: text = TallyJSON.render(report) + "\n"
            case .html: text = TallyHTML.render(report, by: level, language: language)
            }
            try ReportOutput.emit(text, to: out, exact: format != .table)
            if let out {
                let villages = report.villages.count
                print(tr("Wrote \(out.oneLine) (\(format.rawValue)): \(villages, "village") in \(report.townships.count, "township"), \(report.district.villagesInspected) inspected."))
            }
        }
    }
}

/// Where a report goes: the terminal, or a file written whole or not at all.
enum ReportOutput {
    /// Writes `text` to `path`, or to the terminal: `exact` for CSV, JSON and HTML, which must keep
    /// the exact text, else (a table, whose values the core already shows escaped) through the
    /// guard every line for a person goes through.
    ///
    /// A file is written new, whole or not at all, as the key files are (``KeyFiles/writeNew``):
    /// whatever is at the path already (last week's report, the store itself, a link, a device)
    /// is left untouched and the command exits 73, as `--help` says.
    static func emit(_ text: String, to path: String?, exact: Bool) throws {
        guard let path else {
            if exact { Console.writeRaw(text) } else { Console.out(text) }
            return
        }
        try KeyFiles.writeNew(Data(text.utf8), to: path)
    }
}
