import ArgumentParser
import FieldbookCore
import Foundation

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
            for line in try Self.trustLines(store) { print(line) }
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
            for (folder, leftovers) in Self.leftovers(store: context.path) {
                let size = leftovers.reduce(Int64(0)) { $0 + $1.size }
                let live = leftovers.filter { !$0.isAbandoned }.count
                var line = "leftovers  \(leftovers.count) temporary files (\(BundleText.bytes(size))) of packs that did not finish, in \(folder)"
                line += live == 0
                    ? "; the next `fieldbook pack` there removes them"
                    : " (\(live) may belong to a pack running now); the next `fieldbook pack` there removes those left behind"
                print(line.oneLine)
            }
        }

        /// Whether this store has keys, pins an office, is enrolled; on a laptop, how many of its
        /// changes the office has confirmed. Reads only.
        static func trustLines(_ store: Store) throws -> [String] {
            let s = try store.trustSummary()
            var lines: [String] = []
            if s.isCentral {
                guard let keys = s.keys else {
                    return ["trust      no keys yet (`fieldbook keys show` makes them)"]
                }
                let required = try store.signaturePolicy().requires ? "signatures required" : "unsigned bundles accepted"
                lines.append("trust      keys made (fingerprint \(keys.fingerprint)); \(s.enrolled) devices enrolled, \(s.revoked) revoked; \(required)")
                if s.offices > 0 {
                    lines.append("below      \(s.offices) offices enrolled below this one; their trust lists enroll \(s.delegated) devices")
                }
                if let upstream = s.upstream {
                    lines.append("reports to \(upstream.name) (fingerprint \(upstream.keys.fingerprint)): `fieldbook pack` packs for it".oneLine)
                }
                return lines
            }
            var trust = s.keys == nil ? "no keys yet" : "keys made"
            if let office = s.office {
                trust += "; office \(office.name) pinned; "
                switch s.standing {
                case .enrolled: trust += "enrolled (trust list version \(s.trustListVersion))"
                case .revoked: trust += "revoked: the office refuses its changes after \(s.revokedAfterSeq ?? 0)"
                default: trust += "not enrolled yet (`fieldbook enroll --out DIR`)"
                }
            } else {
                trust += "; no office keys pinned (`fieldbook keys pin office.fbkey`)"
            }
            lines.append(("trust      " + trust).oneLine)
            let confirmation = try store.officeConfirmation()
            if confirmation.receipts {
                let total = confirmation.confirmed + confirmation.unconfirmed
                var line = "confirmed  \(confirmation.confirmed) of your \(total) changes are confirmed at the office"
                line += confirmation.unconfirmed == 0 ? "" : "; \(confirmation.unconfirmed) not yet (pack --unconfirmed re-packs them)"
                lines.append(line)
            }
            return lines
        }

        /// The temporary files of packs that did not finish, in the folders `pack` writes to by
        /// default: `bundles` beside the store, and `bundles` here.
        static func leftovers(store: String) -> [(folder: String, leftovers: [BundleLeftovers.Leftover])] {
            let beside = ((store as NSString).deletingLastPathComponent as NSString).appendingPathComponent("bundles")
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
