import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Delete: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a wrong record. Its history is kept, and the deletion travels in bundles.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The record's id (or its first characters).") var id: String

        func run(_ context: CommandContext) throws {
            let record = try context.open().delete(id)
            print("Deleted \(RecordReport.summary(record)). `fieldbook history \(record.shortID)` shows what it held.")
        }
    }
}
