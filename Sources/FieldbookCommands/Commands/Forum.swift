import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Forum: StoreCommand {
        static let configuration = CommandConfiguration(abstract: tr("Record a forum with villagers (座谈)."))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The village or community: NAME, or TOWNSHIP/NAME.")), completion: .custom(StoreCompletion.villages)) var village: String
        @Option(parsing: .unconditional, help: ArgumentHelp(tr("How many took part (人次); may be left out when the split below is given."))) var participants: String?
        @Option(parsing: .unconditional, help: ArgumentHelp(tr("Of them, village cadres."))) var cadres: String?
        @Option(parsing: .unconditional, help: ArgumentHelp(tr("Of them, party members."))) var members: String?
        @Option(parsing: .unconditional, help: ArgumentHelp(tr("Of them, villagers."))) var villagers: String?
        @Option(help: ArgumentHelp(tr("Topics, e.g. 低保评定,村务公开."))) var topics: String?
        @Option(help: ArgumentHelp(tr("Notes of the forum."))) var note: String?
        @Option(help: ArgumentHelp(tr("The date, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("The round (default: this device's round)."))) var round: String?

        @OptionGroup var dates: DateOptions

        func validate() throws {
            if participants == nil, cadres == nil || members == nil || villagers == nil {
                throw ValidationError(tr("Give --participants N, or all of --cadres, --members and --villagers."))
            }
        }

        func run(_ context: CommandContext) throws {
            var inputs = ["village": village]
            inputs["participants"] = participants
            inputs["cadres"] = cadres
            inputs["members"] = members
            inputs["villagers"] = villagers
            inputs["topics"] = topics
            inputs["note"] = note
            inputs["date"] = date
            inputs["round"] = round
            let record = try context.open().record(.forum, inputs)
            print(tr("Recorded \(RecordReport.summary(record))"))
        }
    }
}
