import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Edit: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Correct fields of a record."),
            discussion: tr("Example: fieldbook edit 0190a3b4-5c6d --set note=户主外出务工 --set date=2026-11-20"))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The record's id (or its first characters)."))) var id: String
        @Option(name: .customLong("set"), help: ArgumentHelp(tr("FIELD=VALUE; repeat for several fields."))) var assignments: [String] = []

        @OptionGroup var dates: DateOptions

        func validate() throws {
            guard !assignments.isEmpty else { throw ValidationError(tr("Give at least one --set FIELD=VALUE.")) }
            for assignment in assignments where !assignment.contains("=") {
                throw ValidationError(tr("--set \(assignment.oneLine) is not FIELD=VALUE."))
            }
        }

        func run(_ context: CommandContext) throws {
            let pairs = assignments.map { text -> (field: String, value: String) in
                let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (parts[0].trimmingCharacters(in: .whitespaces), parts.count > 1 ? String(parts[1]) : "")
            }
            let (record, changed) = try context.open().edit(id, set: pairs)
            print(tr("Edited \(RecordReport.kindWord(record.kind)) \(record.id) (\(changed.joined(separator: ", "))): \(RecordReport.headline(record))").oneLine)
        }
    }
}
