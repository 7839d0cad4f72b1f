import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct RosterCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "roster", abstract: tr("Manage the household roster."), subcommands: [Import.self])

        struct Import: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Import households from a CSV file (UTF-8, headers in English or Chinese)."),
                discussion: tr(id: "help.roster.import.discussion", """
                    Columns: township (乡镇), village (村), village_kind (类型: 村/社区), group (村民组), \
                    household (户号), head (户主), priority (重点户: 五保户;低保户;危房改造户), and for an \
                    office above one district city (市) and county (区县, 区/县). \
                    township, village and household are required. Importing the same file twice changes nothing.
                    """))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The roster CSV file."))) var file: String

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                let activity = store.announce(tr("a roster import"))
                defer { activity.end() }
                let report = try store.importRoster(csvAt: file)
                print(tr("Imported \(file.oneLine): \(report.added, "household") added, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected.count) rejected (\(report.townshipsAdded, "township") and \(report.villagesAdded, "village") added)."))
                if report.townshipsUpdated + report.villagesUpdated > 0 {
                    print(tr("Updated from the roster: \(report.townshipsUpdated, "township") and \(report.villagesUpdated, "village")."))
                }
                if !report.ignoredColumns.isEmpty {
                    print(tr("Ignored columns: \(report.ignoredColumns.joined(separator: ", ")).").oneLine)
                }
                guard report.rejected.isEmpty else {
                    for rejection in report.rejected {
                        Console.error("\(file):\(rejection.line): \(rejection.reason)".oneLine)
                    }
                    Console.error(
                        "fieldbook: " + tr("\(report.rejected.count, "row") of \(file.oneLine) were rejected (listed above); the others were imported. Fix those rows and import the file again."))
                    throw ExitCode(65)
                }
            }
        }
    }
}
