import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Categories: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("List the problem categories (问题类别), or add one (the office)."),
            subcommands: [ListCategories.self, Add.self], defaultSubcommand: ListCategories.self)

        struct ListCategories: StoreCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: tr("List the categories: key, Chinese name, default or added."))

            @OptionGroup var store: StoreOptions

            func run(_ context: CommandContext) throws {
                let categories = try context.open().categories()
                var table = TextTable(columns: [.init(tr("key")), .init(tr("name"), shrinks: true), .init(tr("list"))])
                for category in categories {
                    let isDefault = ProblemCategory.defaults.contains { $0.key == category.key }
                    table.add([category.key, category.name, isDefault ? tr("default") : tr("added")])
                }
                print(table.render())
            }
        }

        struct Add: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Add a category (the office's store only; it travels to the laptops with the roster)."))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The key: lowercase letters, digits and -, e.g. land-use."))) var key: String
            @Option(help: ArgumentHelp(tr("The Chinese name, e.g. 土地流转."))) var name: String

            func run(_ context: CommandContext) throws {
                let category = try context.open().addCategory(key: key, name: name)
                print(tr("Added category \(category.key) (\(category.name)).").oneLine)
            }
        }
    }
}
