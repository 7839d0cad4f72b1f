import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Status: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show this device, its team and round, what it holds and what is not yet packed.")

        @OptionGroup var store: StoreOptions

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let zone = context.environment.timeZone
            let report = try store.statusReport()
            print(RecordReport.status(report.status, timeZone: zone))
            let devices = report.devices
            if devices.count > 1 || devices.contains(where: { !$0.gaps.isEmpty }) {
                print("")
                var table = TextTable(columns: [
                    .init("device", shrinks: true), .init("team", shrinks: true), .init("changes", alignRight: true),
                    .init("last", alignRight: true), .init("gaps / clock", shrinks: true),
                ])
                for d in devices {
                    var notes: [String] = []
                    if !d.gaps.isEmpty { notes.append("missing " + d.gaps.map(Status.describe).joined(separator: ", ")) }
                    if let ahead = d.aheadBy { notes.append("clock \(BundleText.duration(ahead)) ahead") }
                    table.add([d.name + (d.isThisDevice ? " (this)" : ""), d.team ?? "", String(d.changes), String(d.lastSeq),
                               notes.isEmpty ? "ok" : notes.joined(separator: "; ")])
                }
                print(table.render())
            }
            let waiting = report.waitingChanges
            if waiting > 0 { print("waiting    \(waiting) changes wait for their record's create, not yet merged") }
            for unknown in report.unknownReferences {
                print("unknown    \(unknown.count) \(unknown.kind.plural) point at a \(unknown.field) this store does not know (kept)".oneLine)
            }
        }

        static func describe(_ gap: ClosedRange<Int64>) -> String {
            gap.lowerBound == gap.upperBound ? "\(gap.lowerBound)" : "\(gap.lowerBound)–\(gap.upperBound)"
        }
    }
}
