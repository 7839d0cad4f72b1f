import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Status: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show this device, its team and round, what it holds and what is not yet packed.")

        @OptionGroup var store: StoreOptions

        func run(_ context: CommandContext) throws {
            print(RecordReport.status(try context.open().status(), timeZone: context.environment.timeZone))
        }
    }
}
