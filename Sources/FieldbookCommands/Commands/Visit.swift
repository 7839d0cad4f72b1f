import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Visit: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Record a household visit (入户走访)."),
            discussion: tr("fieldbook visit H0012 is enough: the date defaults to today, the inspectors to this device's."))

        @OptionGroup var store: StoreOptions
        @Argument(
            help: ArgumentHelp(tr("The household's code (户号), or its head's name in characters or pinyin (张建国, zhangjianguo, zjg): see fieldbook find.")),
            completion: .custom(StoreCompletion.households))
        var household: String
        @Option(help: ArgumentHelp(tr("The date, YYYY-MM-DD (default: today)."))) var date: String?
        @Option(help: ArgumentHelp(tr("The inspectors who visited, e.g. 张三,李四."))) var by: String?
        @Option(help: ArgumentHelp(tr("Who was met, e.g. 户主本人."))) var met: String?
        @Option(help: ArgumentHelp(tr("Notes of the visit."))) var note: String?
        @Option(help: ArgumentHelp(tr("Issues the household raised."))) var issues: String?
        @Option(name: .customLong("follow-up"), help: ArgumentHelp(tr("Follow-up needed."))) var followUp: String?
        @Option(help: ArgumentHelp(tr("The round (default: this device's round)."))) var round: String?
        @Flag(name: .customLong("new-household"), help: ArgumentHelp(tr("Record a household found in the field that is not on the roster.")))
        var newHousehold = false
        @Option(help: ArgumentHelp(tr("With --new-household: its village.")), completion: .custom(StoreCompletion.villages)) var village: String?
        @Option(help: ArgumentHelp(tr("With --new-household: the head's name (户主)."))) var head: String?
        @Option(help: ArgumentHelp(tr("With --new-household: the village group (村民组)."))) var group: String?
        @Option(help: ArgumentHelp(tr("With --new-household: priority kinds, e.g. 低保户;五保户."))) var priority: String?

        @OptionGroup var dates: DateOptions

        func validate() throws {
            if newHousehold, village == nil {
                throw ValidationError(tr("--new-household needs --village VILLAGE: the village the household belongs to."))
            }
            if !newHousehold, village != nil || head != nil || group != nil || priority != nil {
                throw ValidationError(tr("--village, --head, --group and --priority describe a new household: add --new-household."))
            }
        }

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            var inputs = ["household": household]
            // Not a code: the one household whose head the text names (fieldbook find).
            if !newHousehold, let choice = try store.householdForVisit(household) {
                print(tr("\(household.oneLine) is household \(choice.household.label.oneLine)."))
                inputs["household"] = choice.input
            }
            inputs["date"] = date
            inputs["inspectors"] = by
            inputs["met"] = met
            inputs["note"] = note
            inputs["issues"] = issues
            inputs["follow_up"] = followUp
            inputs["round"] = round
            let new = newHousehold
                ? NewHousehold(village: village ?? "", head: head, group: group, priority: priority) : nil
            let record = try store.record(.visit, inputs, newHousehold: new)
            print(tr("Recorded \(RecordReport.summary(record))"))
        }
    }
}
