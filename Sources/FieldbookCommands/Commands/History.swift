import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct History: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Show who changed what in a record, from what, and when."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The record's id (or its first characters)."))) var id: String

        func run(_ context: CommandContext) throws {
            let (record, entries) = try context.open().history(id)
            print(RecordReport.history(record, entries, timeZone: context.environment.timeZone))
        }
    }
}
