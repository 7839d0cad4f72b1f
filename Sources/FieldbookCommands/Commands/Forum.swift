import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Forum: StoreCommand {
        static let configuration = CommandConfiguration(abstract: "Record a forum with villagers (座谈).")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The village or community: NAME, or TOWNSHIP/NAME.", completion: .custom(StoreCompletion.villages)) var village: String
        @Option(help: "How many took part (人次); may be left out when the split below is given.") var participants: String?
        @Option(help: "Of them, village cadres.") var cadres: String?
        @Option(help: "Of them, party members.") var members: String?
        @Option(help: "Of them, villagers.") var villagers: String?
        @Option(help: "Topics, e.g. 低保评定,村务公开.") var topics: String?
        @Option(help: "Notes of the forum.") var note: String?
        @Option(help: "The date, YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "The round (default: this device's round).") var round: String?

        func validate() throws {
            if participants == nil, cadres == nil || members == nil || villagers == nil {
                throw ValidationError("Give --participants N, or all of --cadres, --members and --villagers.")
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
            print("Recorded \(RecordReport.summary(record))")
        }
    }
}
