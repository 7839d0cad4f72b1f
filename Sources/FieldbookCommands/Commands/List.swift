import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct List: StoreCommand {
        static let configuration = CommandConfiguration(abstract: tr("List field records."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("visits, forums, notices, fixes or problems (default: all five)."))) var kind: String?
        @Option(help: ArgumentHelp(tr("Only this village: NAME or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String?
        @Option(help: ArgumentHelp(tr("Only this round."))) var round: String?
        @Option(help: ArgumentHelp(tr("Only records dated on or after this day, YYYY-MM-DD."))) var since: String?
        @Flag(name: .customLong("include-deleted"), help: ArgumentHelp(tr("Show deleted records too."))) var includeDeleted = false
        @Flag(help: ArgumentHelp(tr("Print JSON instead of a table."))) var json = false

        func validate() throws {
            if let kind, List.kinds(kind) == nil {
                throw ValidationError(tr("Unknown kind \(kind.oneLine): use visits, forums, notices, fixes or problems."))
            }
        }

        static func kinds(_ text: String) -> [RecordKind]? {
            let word = text.lowercased()
            return RecordKind.fieldKinds.first { $0.plural == word || $0.rawValue == word || $0.chinese == text }.map { [$0] }
        }

        func run(_ context: CommandContext) throws {
            let filter = RecordFilter(
                kinds: kind.flatMap(List.kinds) ?? RecordKind.fieldKinds, village: village, round: round,
                since: since, includeDeleted: includeDeleted)
            let store = try context.open()
            let records = try store.list(filter)
            if json {
                Console.writeRaw(JSONValue.array(records.map { RecordReport.json($0) }).rendered() + "\n")
            } else {
                print(RecordReport.table(records, shortIDs: try store.shortIDs(for: records.map(\.id))))
            }
        }
    }
}
