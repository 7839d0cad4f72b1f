import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Problem: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Record a problem found (发现问题), to be rectified (整改) and followed in the ledger."),
            discussion: tr(id: "help.problem.discussion", """
                The category is a key or a Chinese name from `fieldbook categories`; the status starts \
                open (未整改). Record its rectification with `fieldbook rectify`, a clue's transfer with \
                `fieldbook transfer`; `fieldbook problems` prints the ledger (整改台账).
                """))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The village or community: NAME, or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String
        @Option(help: ArgumentHelp(tr("The problem in one line, as the ledger shows it."))) var summary: String
        @Option(help: ArgumentHelp(tr("The category: a key or its Chinese name, e.g. farm-subsidies or 惠农资金."))) var category: String?
        @Option(help: ArgumentHelp(tr("What was found, in full (never shown in lists or the ledger once the clue is transferred).")))
        var detail: String?
        @Option(name: .customLong("from"), help: ArgumentHelp(tr("The visit, forum or notice where it came up (its id)."))) var from: String?
        @Option(help: ArgumentHelp(tr("The person or unit responsible for rectifying it."))) var responsible: String?
        @Option(help: ArgumentHelp(tr("The rectification deadline (整改时限), YYYY-MM-DD."))) var deadline: String?
        @Option(help: ArgumentHelp(tr("The date found, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("The round (default: this device's round)."))) var round: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village, "summary": summary]
            inputs["category"] = category
            inputs["detail"] = detail
            inputs["found_in"] = from
            inputs["responsible"] = responsible
            inputs["deadline"] = deadline
            inputs["found_on"] = date
            inputs["round"] = round
            let record = try context.open().record(.problem, inputs)
            print(tr("Recorded \(RecordReport.summary(record))"))
        }
    }
}
