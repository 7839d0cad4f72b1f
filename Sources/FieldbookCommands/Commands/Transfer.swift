import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Transfer: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Record that a problem's clue was transferred (移交问题线索)."),
            discussion: tr(id: "help.transfer.discussion", """
                discipline (纪委监委) for cadres' violations, organisation (组织部门) for appointments, \
                or other. From then on no list or report shows the problem's detail or the note: the \
                ledger shows it as transferred, and only `fieldbook show ID` prints them, marked.
                """))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The problem's id (or its first characters)."))) var id: String
        @Option(help: ArgumentHelp(tr("discipline (纪委监委), organisation (组织部门) or other."))) var to: String
        @Option(help: ArgumentHelp(tr("The day transferred, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("A note on the transfer (sensitive: shown only by `fieldbook show`)."))) var note: String?

        @OptionGroup var dates: DateOptions

        func run(_ context: CommandContext) throws {
            let record = try context.open().transfer(id, to: to, date: date, note: note)
            print(tr("Updated \(RecordReport.summary(record))"))
        }
    }
}
