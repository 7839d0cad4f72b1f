import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Status: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Show this device, its team and round, what it holds and what is not yet packed."))

        @OptionGroup var store: StoreOptions

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let zone = context.environment.timeZone
            let report = try store.statusReport()
            print(RecordReport.status(report.status, timeZone: zone))
            for line in try Self.trustLines(store) { print(line) }
            let devices = report.devices
            if devices.count > 1 || devices.contains(where: { !$0.gaps.isEmpty }) {
                print("")
                var table = TextTable(columns: [
                    .init(tr("device"), shrinks: true), .init(tr("team"), shrinks: true), .init(tr("changes"), alignRight: true),
                    .init(tr("last"), alignRight: true), .init(tr("gaps / clock"), shrinks: true),
                ])
                for d in devices {
                    var notes: [String] = []
                    if !d.gaps.isEmpty { notes.append(tr("missing \(d.gaps.map(Status.describe).joined(separator: ", "))")) }
                    if let ahead = d.aheadBy { notes.append(tr("clock \(BundleText.duration(ahead)) ahead")) }
                    table.add([d.name + (d.isThisDevice ? tr(" (this)") : ""), d.team ?? "", String(d.changes), String(d.lastSeq),
                               notes.isEmpty ? tr("ok") : notes.joined(separator: tr("; "))])
                }
                print(table.render())
            }
            let waiting = report.waitingChanges
            if waiting > 0 { print(RecordReport.statusLine(tr("waiting"), tr("\(waiting, "change") wait for their record's create, not yet merged"))) }
            for unknown in report.unknownReferences {
                print(RecordReport.statusLine(tr("unknown"), tr("\(unknown.count) \(Language.current == .zh ? unknown.kind.chinese : unknown.kind.plural) point at a \(unknown.field) this store does not know (kept)")).oneLine)
            }
            for (folder, leftovers) in Self.leftovers(store: context.path) {
                let size = leftovers.reduce(Int64(0)) { $0 + $1.size }
                let live = leftovers.filter { !$0.isAbandoned }.count
                var line = tr("\(leftovers.count) temporary files (\(BundleText.bytes(size))) of packs that did not finish, in \(folder)")
                line += live == 0
                    ? tr("; the next `fieldbook pack` there removes them")
                    : tr(" (\(live) may belong to a pack running now); the next `fieldbook pack` there removes those left behind")
                print(RecordReport.statusLine(tr("leftovers"), line).oneLine)
            }
        }

        /// Whether this store has keys, pins an office, is enrolled; on a laptop, how many of its
        /// changes the office has confirmed. Reads only.
        static func trustLines(_ store: Store) throws -> [String] {
            let s = try store.trustSummary()
            var lines: [String] = []
            if s.isCentral {
                guard let keys = s.keys else {
                    return [RecordReport.statusLine(tr("trust"), tr("no keys yet (`fieldbook keys show` makes them)"))]
                }
                let required = try store.signaturePolicy().requires ? tr("signatures required") : tr("unsigned bundles accepted")
                lines.append(RecordReport.statusLine(tr("trust"), tr("keys made (fingerprint \(keys.fingerprint)); \(s.enrolled, "device") enrolled, \(s.revoked) revoked; \(required)")))
                if s.offices > 0 {
                    lines.append(RecordReport.statusLine(tr("below"), tr("\(s.offices) offices enrolled below this one; their trust lists enroll \(s.delegated) devices")))
                }
                if let upstream = s.upstream {
                    lines.append(RecordReport.statusLine(tr("reports to"), tr("\(upstream.name) (fingerprint \(upstream.keys.fingerprint)): `fieldbook pack` packs for it")).oneLine)
                }
                return lines
            }
            var trust = s.keys == nil ? tr("no keys yet") : tr("keys made")
            if let office = s.office {
                trust += tr("; office \(office.name) pinned; ")
                switch s.standing {
                case .enrolled: trust += tr("enrolled (trust list version \(s.trustListVersion))")
                case .revoked: trust += tr("revoked: the office refuses its changes after \(s.revokedAfterSeq ?? 0)")
                default: trust += tr("not enrolled yet (`fieldbook enroll --out DIR`)")
                }
            } else {
                trust += tr("; no office keys pinned (`fieldbook keys pin office.fbkey`)")
            }
            lines.append(RecordReport.statusLine(tr("trust"), trust).oneLine)
            let confirmation = try store.officeConfirmation()
            if confirmation.receipts {
                let total = confirmation.confirmed + confirmation.unconfirmed
                var line = tr("\(confirmation.confirmed) of your \(total) changes are confirmed at the office")
                line += confirmation.unconfirmed == 0 ? "" : tr("; \(confirmation.unconfirmed) not yet (pack --unconfirmed re-packs them)")
                lines.append(RecordReport.statusLine(tr("confirmed"), line))
            }
            return lines
        }

        /// The temporary files of packs that did not finish, in the folders `pack` writes to by
        /// default: `bundles` beside the store, and `bundles` here.
        static func leftovers(store: String) -> [(folder: String, leftovers: [BundleLeftovers.Leftover])] {
            let beside = FilePaths.beside(store, "bundles")
            var seen = Set<String>()
            var result: [(String, [BundleLeftovers.Leftover])] = []
            for folder in [beside, "bundles"] {
                let key = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
                guard seen.insert(key).inserted else { continue }
                let found = BundleLeftovers.find(in: folder)
                if !found.isEmpty { result.append((folder, found)) }
            }
            return result
        }

        static func describe(_ gap: ClosedRange<Int64>) -> String {
            gap.lowerBound == gap.upperBound ? "\(gap.lowerBound)" : "\(gap.lowerBound)–\(gap.upperBound)"
        }
    }
}
