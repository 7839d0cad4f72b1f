import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Rectify: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Record a step of a problem's rectification (整改)."),
            discussion: tr(id: "help.rectify.discussion", """
                rectifying (整改中), rectified (已整改), verified (已验收销号) or not-rectifiable (无法整改). \
                A problem is verified only once rectified, and by another inspector (--by NAME) or on \
                another device than the one that marked it rectified.
                """))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The problem's id (or its first characters)."))) var id: String
        @Option(help: ArgumentHelp(tr("rectifying, rectified, verified or not-rectifiable (or the Chinese name)."))) var status: String
        @Option(help: ArgumentHelp(tr("The rectification measures taken (整改措施)."))) var measures: String?
        @Option(help: ArgumentHelp(tr("The day of this step, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("Who records this step, e.g. 王五 (default: this device's inspectors)."))) var by: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            let record = try context.open().rectify(id, status: status, measures: measures, date: date, by: by)
            print(tr("Updated \(RecordReport.summary(record))"))
        }
    }
}
