import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Problems: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Print the rectification ledger (整改台账): overdue problems first."),
            discussion: tr(id: "help.problems.discussion", """
                Overdue: the deadline (整改时限) is before today and the problem is still open (未整改) \
                or being rectified (整改中). Then the open problems by deadline, then the rectified, \
                not rectifiable and verified ones. Deleted problems never show; a transferred clue \
                shows as transferred, without its detail or note, in every format. The table leaves \
                out, as the width requires, the day found, the category, the responsible person, \
                the village (when all are in one) and the measures; CSV and JSON hold every column.
                """))

        enum Format: String, CaseIterable, ExpressibleByArgument {
            case table, csv, json
        }

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("Only this village: NAME or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String?
        @Option(help: ArgumentHelp(tr("Only this status: open, rectifying, rectified, verified or not-rectifiable."))) var status: String?
        @Flag(help: ArgumentHelp(tr("Only the overdue problems."))) var overdue = false
        @Option(help: ArgumentHelp(tr("Only problems of this round (default: every round)."))) var round: String?
        @Option(help: ArgumentHelp(tr("table (default, printable), csv (UTF-8 with BOM, for Excel and WPS) or json."))) var format: Format = .table
        @Option(help: ArgumentHelp(tr("The table's width in columns (default 80; e.g. 132 for A4 landscape shows every column).")))
        var width: Int = 80
        @Option(help: ArgumentHelp(tr("Write to this new file instead of the terminal (a file already there is left untouched: exit 73)."))) var out: String?

        func validate() throws {
            guard (60...400).contains(width) else {
                throw ValidationError(tr("--width must be between 60 and 400 columns, not \(width)."))
            }
        }

        func run(_ context: CommandContext) throws {
            let query = ProblemLedgerQuery(village: village, round: round, status: status, overdueOnly: overdue)
            let ledger = try context.open().problemLedger(query)
            let text: String
            switch format {
            case .table: text = ProblemLedgerReport.table(ledger, width: width) + "\n"
            case .csv: text = ProblemLedgerReport.csv(ledger)
            case .json: text = ProblemLedgerReport.json(ledger) + "\n"
            }
            try ReportOutput.emit(text, to: out, exact: format != .table)
            if let out {
                print(tr("Wrote \(out.oneLine) (\(format.rawValue)): \(ledger.items.count, "problem"), \(ledger.overdue) overdue."))
            }
        }
    }
}
