import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Pending: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("List households not yet visited, priority households first (the evening list)."),
            discussion: tr(id: "help.pending.discussion", """
                A household counts as visited once a visit to it in this device's round is recorded \
                (every round when the device has none; choose with --round or --all-rounds). Deleted \
                visits do not count. A household of two priority kinds is one household here, as in \
                the tally's priority figures.
                """))

        enum Format: String, CaseIterable, ExpressibleByArgument {
            case table, csv, json
        }

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("Only the households of this village: NAME or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String?
        @Flag(name: .customLong("priority-only"), help: ArgumentHelp(tr("Only 五保户, 低保户 and 危房改造户."))) var priorityOnly = false
        @Option(help: ArgumentHelp(tr("Count visits of this round (default: this device's round)."))) var round: String?
        @Flag(name: .customLong("all-rounds"), help: ArgumentHelp(tr("Count visits of every round."))) var allRounds = false
        @Option(help: ArgumentHelp(tr("table (default, printable), csv (UTF-8 with BOM) or json."))) var format: Format = .table
        @Option(help: ArgumentHelp(tr("Headers and labels in zh or en (default: from the locale, else zh)."))) var lang: Tally.Language?
        @Option(help: ArgumentHelp(tr("Write the report to this new file instead of the terminal (a file already there is left untouched: exit 73)."))) var out: String?

        func validate() throws {
            if allRounds, round != nil {
                throw ValidationError(tr("--round and --all-rounds exclude each other: give one."))
            }
        }

        func run(_ context: CommandContext) throws {
            let rounds: PendingQuery.Rounds = allRounds ? .all : round.map { .named($0) } ?? .device
            let list = try context.open().pending(PendingQuery(village: village, priorityOnly: priorityOnly, rounds: rounds))
            let language = lang.flatMap { ReportLanguage(rawValue: $0.rawValue) }
                ?? ReportLanguage.preferred(environment: ProcessInfo.processInfo.environment)
            let text: String
            switch format {
            case .table: text = PendingTable.render(list, language: language) + "\n"
            case .csv: text = TallyCSV.pending(list, language: language)
            case .json: text = TallyJSON.pending(list) + "\n"
            }
            try ReportOutput.emit(text, to: out, exact: format != .table)
            if let out {
                print(tr("Wrote \(out.oneLine) (\(format.rawValue)): \(list.pending.count, "household") not yet visited, \(list.priorityPending) of them priority."))
            }
        }
    }
}
