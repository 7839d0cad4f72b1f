import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Find: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Find a household by its code, its head's name in characters or pinyin, or its village."),
            discussion: tr(id: "help.find.discussion", """
                fieldbook find 张建国, find zhangjianguo, find zjg (initials), find zhangjg or \
                find zhang jian guo all find 张建国; find 东关 zjg only in villages whose name holds 东关 \
                (a village group such as 3组 narrows too). Best matches first: the code, the start of \
                the code, the name exactly, the name in pinyin or initials, the start of the name, \
                part of it. Pinyin is read one character at a time, each with its commonest reading, \
                and the first one also as a surname (单 shan and dan, 曾 zeng and ceng); write ü as v \
                or u. `fieldbook visit` takes a name the same way when it names one household. \
                Exits 1 when nothing matches.
                """))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("The code, the head's name (张建国, zhangjianguo, zjg), and village or group words.")))
        var text: [String]
        @Option(
            help: ArgumentHelp(tr("Only households of this village: NAME or TOWNSHIP/NAME.")),
            completion: .custom(StoreCompletion.villages))
        var village: String?
        @Option(help: ArgumentHelp(tr("Show at most this many households, best first."))) var limit = 20
        @Flag(help: ArgumentHelp(tr("Print the households as JSON instead of a table."))) var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError(tr("--limit must be 1 or more.")) }
            guard text.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw ValidationError(tr("Give a code, a name or pinyin to find, e.g. fieldbook find zjg."))
            }
        }

        func run(_ context: CommandContext) throws {
            let query = text.joined(separator: " ")
            let store = try context.open()
            let finding = try store.findHouseholds(query, village: village, limit: limit)
            if json {
                Console.writeRaw(Self.json(finding).rendered() + "\n")
                if finding.total == 0 { throw ExitCode(1) }
                return
            }
            guard !finding.households.isEmpty else {
                let closest = try store.closestHouseholds(query).map(\.label)
                Console.error(
                    "fieldbook: "
                        + (closest.isEmpty
                            ? tr("No household matches \(query.oneLine).")
                            : tr("No household matches \(query.oneLine). Closest: \(closest.joined(separator: ", ").oneLine)."))
                )
                throw ExitCode(1)
            }
            print(Self.table(finding))
        }

        static func table(_ finding: HouseholdFinding) -> String {
            let titles = tr("code|head|village|group|priority|visited|match").split(separator: "|").map(String.init)
            let yesNo = tr("yes|no").split(separator: "|").map(String.init)
            let tiers = tr("code|start of code|name|pinyin|start of name|part of it|place").split(separator: "|").map(String.init)
            var table = TextTable(columns: titles.enumerated().map { TextTable.Column($1, shrinks: $0 == 2) })
            for h in finding.households {
                table.add([
                    h.code, h.head ?? "", h.place, h.group ?? "", h.priority.map(\.chinese).joined(separator: "、"),
                    h.visited ? yesNo.first ?? "" : yesNo.last ?? "", tiers.indices.contains(h.tier.rawValue) ? tiers[h.tier.rawValue] : "",
                ])
            }
            var out = table.render(maxWidth: 100)
            let round = finding.round.map { tr("visited: in round \($0)") } ?? tr("visited: in any round")
            if finding.total > finding.households.count {
                out += "\n" + tr("\(finding.households.count) of \(finding.total, "household") shown, best first; --limit shows more; \(round).")
            } else {
                out += "\n" + tr("\(finding.total, "household"); \(round).")
            }
            return out
        }

        static func json(_ finding: HouseholdFinding) -> JSONValue {
            .object([
                "total": .int(Int64(finding.total)),
                "round": finding.round.map(JSONValue.string) ?? .null,
                "households": .array(finding.households.map { h in
                    var o: [String: JSONValue] = [
                        "id": .string(h.id), "code": .string(h.code), "head": h.head.map(JSONValue.string) ?? .null,
                        "township": h.township.map(JSONValue.string) ?? .null, "village": h.village.map(JSONValue.string) ?? .null,
                        "group": h.group.map(JSONValue.string) ?? .null,
                        "priority": .array(h.priority.map { .string($0.rawValue) }), "visited": .bool(h.visited),
                        "match": .string(h.tier.key),
                    ]
                    if let county = h.county { o["county"] = .string(county) }
                    if let city = h.city { o["city"] = .string(city) }
                    return .object(o)
                }),
            ])
        }
    }
}
