import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Notice: StoreCommand {
        static let configuration = CommandConfiguration(abstract: "Record inspection notices posted (张贴巡察公告).")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The village or community: NAME, or TOWNSHIP/NAME.", completion: .custom(StoreCompletion.villages)) var village: String
        @Option(help: "Copies posted (张).") var copies: String
        @Option(help: "Where: a village group, natural village or notice board, e.g. 村委会公示栏.") var place: String
        @Option(help: "The date, YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "The round (default: this device's round).") var round: String?

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village, "copies": copies, "place": place]
            inputs["date"] = date
            inputs["round"] = round
            let record = try context.open().record(.notice, inputs)
            print("Recorded \(RecordReport.summary(record))")
        }
    }
}
