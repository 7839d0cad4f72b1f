import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Conflicts: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("List conflicts: concurrent edits of one field, the value kept and the one overwritten."),
            subcommands: [Resolve.self])

        @OptionGroup var store: StoreOptions
        @Flag(help: ArgumentHelp(tr("Print JSON."))) var json = false

        func run(_ context: CommandContext) throws {
            let conflicts = try context.open().conflicts()
            let zone = context.environment.timeZone
            if json {
                Console.writeRaw(JSONValue.array(conflicts.map { c in
                    .object([
                        "id": .string(c.id), "kind": .string(c.kind.rawValue), "record_id": .string(c.recordID),
                        "record": .string(c.record), "field": .string(c.field),
                        "kept": .object(["value": .string(c.kept), "device": .string(c.keptDevice), "at": .string(c.keptAt.formatted(in: zone))]),
                        "overwritten": .object(["value": .string(c.overwritten), "device": .string(c.overwrittenDevice), "at": .string(c.overwrittenAt.formatted(in: zone))]),
                    ])
                }).rendered() + "\n")
                return
            }
            guard !conflicts.isEmpty else {
                print(tr("No conflicts."))
                return
            }
            for c in conflicts {
                print("\(c.id)  \(RecordReport.kindWord(c.kind)) \(c.recordID.prefix(13)) \(c.record)".oneLine)
                print(("    " + tr("\(c.field): kept \(c.kept)  (\(c.keptDevice), \(c.keptAt.formatted(in: zone)))")).oneLine)
                print(("    \(String(repeating: " ", count: DisplayWidth.of(c.field.oneLine)))  " + tr("overwritten \(c.overwritten)  (\(c.overwrittenDevice), \(c.overwrittenAt.formatted(in: zone)))")).oneLine)
            }
            print(tr("\(conflicts.count, "conflict"). Decide one with `fieldbook conflicts resolve ID --keep kept|overwritten` or `--value VALUE`."))
        }

        struct Resolve: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Record a person's decision on a conflict, as a new change that travels like any other."))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The conflict's id (or its first characters)."))) var id: String
            @Option(help: ArgumentHelp(tr("kept (the value shown now) or overwritten (the value that lost)."))) var keep: String?
            @Option(help: ArgumentHelp(tr("Write this value instead of either."))) var value: String?

            func validate() throws {
                guard (keep == nil) != (value == nil) else { throw ValidationError(tr("Give either --keep kept|overwritten or --value VALUE.")) }
                if let keep, !["kept", "overwritten"].contains(keep) {
                    throw ValidationError(tr("--keep takes kept or overwritten, not \(keep.oneLine)."))
                }
            }

            func run(_ context: CommandContext) throws {
                let choice: ConflictChoice = value.map { .value($0) } ?? (keep == "kept" ? .kept : .overwritten)
                let record = try context.open().resolveConflict(id, keep: choice)
                print(tr("Resolved conflict \(id): \(RecordReport.summary(record))").oneLine)
            }
        }
    }
}
