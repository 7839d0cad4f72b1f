import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Round: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the round (轮) this device records in.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The round to record in from now on, e.g. 五届第五轮.") var name: String?
        @Option(help: "Also set the inspectors named on visits by default, e.g. 张三,李四.") var inspectors: String?

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            if let name { try store.setRound(name) }
            if let inspectors { try store.setInspectors(inspectors) }
            let status = try store.status()
            print(("Round: \(status.round ?? "none set")" + (status.inspectors.isEmpty ? "" : "; inspectors: \(status.inspectors.joined(separator: "、"))")).oneLine)
        }
    }
}
