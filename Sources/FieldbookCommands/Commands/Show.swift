import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Show: StoreCommand {
        static let configuration = CommandConfiguration(abstract: tr("Show one record in full."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The record's id (or its first characters)."))) var id: String
        @Flag(help: ArgumentHelp(tr("Print JSON."))) var json = false

        func run(_ context: CommandContext) throws {
            let record = try context.open().record(id: id)
            if json {
                // The one place a transferred clue's detail is printed: it carries `sensitive: true`.
                Console.writeRaw(RecordReport.json(record, revealSensitive: true).rendered() + "\n")
            } else {
                print(RecordReport.detail(record, timeZone: context.environment.timeZone))
            }
        }
    }
}
