import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Round: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Show or set the round (轮) this device records in."),
            discussion: tr("A round named for the first time is created, and the command says so: a misspelt name would start a round of its own."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The round to record in from now on, e.g. 五届第五轮."))) var name: String?
        @Option(help: ArgumentHelp(tr("Also set the inspectors named on visits by default, e.g. 张三,李四."))) var inspectors: String?

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let before = try name.flatMap { try store.setRound($0) }
            if let inspectors { try store.setInspectors(inspectors) }
            let status = try store.status()
            let round = status.round ?? tr("none set")
            if status.inspectors.isEmpty {
                print(tr("Round: \(round)").oneLine)
            } else {
                print(tr("Round: \(round); inspectors: \(status.inspectors.joined(separator: "、"))").oneLine)
            }
            if let before {
                print((before.isEmpty
                    ? tr("\(round) is a new round: the first of this store.")
                    : tr("\(round) is a new round: this store held \(before.joined(separator: Language.current == .zh ? "、" : ", ")). Check the spelling; records from now on are in \(round).")).oneLine)
            }
        }
    }
}
