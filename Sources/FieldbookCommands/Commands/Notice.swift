import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Notice: StoreCommand {
        static let configuration = CommandConfiguration(abstract: tr("Record inspection notices posted (张贴巡察公告)."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The village or community: NAME, or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String
        @Option(parsing: .unconditional, help: ArgumentHelp(tr("Copies posted (张)."))) var copies: String
        @Option(help: ArgumentHelp(tr("Where: a village group, natural village or notice board, e.g. 村委会公示栏."))) var place: String
        @Option(help: ArgumentHelp(tr("The date, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("The round (default: this device's round)."))) var round: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village, "copies": copies, "place": place]
            inputs["date"] = date
            inputs["round"] = round
            let record = try context.open().record(.notice, inputs)
            print(tr("Recorded \(RecordReport.summary(record))"))
        }
    }
}
