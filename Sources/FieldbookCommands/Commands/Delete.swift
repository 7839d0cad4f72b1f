import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Delete: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Delete a wrong record. Its history is kept, and the deletion travels in bundles."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The record's id (or its first characters)."))) var id: String

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let record = try store.delete(id)
            let short = try store.shortIDs(for: [record.id])[record.id] ?? record.id
            print(tr("Deleted \(RecordReport.summary(record)). `fieldbook history \(short)` shows what it held.").oneLine)
        }
    }
}
