import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Fix: StoreCommand {
        static let configuration = CommandConfiguration(abstract: "Record a problem fixed on the spot (立行立改).")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The village or community: NAME, or TOWNSHIP/NAME.", completion: .custom(StoreCompletion.villages)) var village: String
        @Option(help: "The problem found.") var problem: String
        @Option(help: "The action taken.") var action: String
        @Option(help: "The household concerned, by code.", completion: .custom(StoreCompletion.households)) var household: String?
        @Option(help: "The category, e.g. 惠民政策落实.") var category: String?
        @Option(help: "The person or unit responsible.") var responsible: String?
        @Option(help: "open, fixed or verified (default: open).") var status: String?
        @Option(help: "The date found, YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "The round (default: this device's round).") var round: String?

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village, "problem": problem, "action": action]
            inputs["household"] = household
            inputs["category"] = category
            inputs["responsible"] = responsible
            inputs["status"] = status
            inputs["found_on"] = date
            inputs["round"] = round
            let record = try context.open().record(.fix, inputs)
            print("Recorded \(RecordReport.summary(record))")
        }
    }

    struct FixStatusCommand: StoreCommand {
        static let configuration = CommandConfiguration(
            commandName: "fix-status", abstract: "Mark an on-the-spot fix fixed or verified.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The fix's id (or its first characters).") var id: String
        @Argument(help: "fixed or verified.") var status: String
        @Option(help: "The date of this step, YYYY-MM-DD (default: today).") var date: String?

        func run(_ context: CommandContext) throws {
            let record = try context.open().setFixStatus(id, to: status, date: date)
            print("Updated \(RecordReport.summary(record))")
        }
    }
}
