import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Fix: StoreCommand {
        static let configuration = CommandConfiguration(abstract: tr("Record a problem fixed on the spot (立行立改)."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The village or community: NAME, or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String
        @Option(help: ArgumentHelp(tr("The problem found."))) var problem: String
        @Option(help: ArgumentHelp(tr("The action taken."))) var action: String
        @Option(help: ArgumentHelp(tr("The household concerned, by code.")), completion: .custom(StoreCompletion.households)) var household: String?
        @Option(help: ArgumentHelp(tr("The category, e.g. 惠民政策落实."))) var category: String?
        @Option(help: ArgumentHelp(tr("The person or unit responsible."))) var responsible: String?
        @Option(help: ArgumentHelp(tr("open, fixed or verified (default: open)."))) var status: String?
        @Option(help: ArgumentHelp(tr("The date found, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("The round (default: this device's round)."))) var round: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village, "problem": problem, "action": action]
            inputs["household"] = household
            inputs["category"] = category
            inputs["responsible"] = responsible
            inputs["status"] = status
            inputs["found_on"] = date
            inputs["round"] = round
            let record = try context.open().record(.fix, inputs)
            print(tr("Recorded \(RecordReport.summary(record))"))
        }
    }

    struct FixStatusCommand: StoreCommand {
        static let configuration = CommandConfiguration(
            commandName: "fix-status", abstract: tr("Mark an on-the-spot fix fixed or verified."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The fix's id (or its first characters)."))) var id: String
        @Argument(help: ArgumentHelp(tr("fixed or verified."))) var status: String
        @Option(help: ArgumentHelp(tr("The date of this step, YYYY-MM-DD (default: today)."))) var date: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            let record = try context.open().setFixStatus(id, to: status, date: date)
            print(tr("Updated \(RecordReport.summary(record))"))
        }
    }
}
