import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Pack: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Write every change not yet packed into one bundle file, for a USB stick."))

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("The folder to write the bundle to."))) var out = "bundles"
        @Flag(help: ArgumentHelp(tr("Re-export every change this store holds (for a lost stick)."))) var all = false
        @Flag(help: ArgumentHelp(tr("Pack only the roster: townships, villages, households, rounds, teams (for the office to hand out).")))
        var roster = false
        @Flag(help: ArgumentHelp(tr("Re-pack every change the office has not confirmed holding (its receipts), for a stick that never arrived.")))
        var unconfirmed = false

        func validate() throws {
            if [all, roster, unconfirmed].filter({ $0 }).count > 1 {
                throw ValidationError(tr("--all, --roster and --unconfirmed cannot be used together."))
            }
        }

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let scope: PackScope = all ? .all : roster ? .roster : unconfirmed ? .unconfirmed : .unpacked
            // A store that cannot record what it packed writes no bundle: say so before writing.
            try store.checkWritable()
            // What a killed pack left in this folder goes first: on a stick it would pile up.
            let removed = BundleLeftovers.remove(in: out)
            if !removed.isEmpty {
                let size = removed.reduce(Int64(0)) { $0 + $1.size }
                print(tr("Removed \(removed.count, "temporary file") (\(BundleText.bytes(size))) that an interrupted pack left in \(out.oneLine)."))
            }
            guard let (path, manifest) = try store.pack(into: out, scope: scope) else {
                print(tr("Nothing to pack: every change in \(context.path.oneLine) is already in a bundle. Use --all to re-export everything."))
                return
            }
            let p = manifest.payload
            // The size of the file on the stick (its envelope, manifest and payload), not the payload's.
            var info = stat()
            let size = stat(path, &info) == 0 ? Int64(info.st_size) : p.compressedSize
            print(tr("Packed \(manifest.changes, "change") into \(path.oneLine) (\(BundleText.bytes(size)), \(BundleText.ratio(p)) smaller than raw)."))
            if let recipients = manifest.encryption?.recipients, let upstream = try store.trustSummary().upstream, !roster,
                recipients.first?.keyID == upstream.keys.boxID
            {
                print(tr("Signed by this office's key and encrypted to the office above it (\(upstream.name)) and this office; its laptops' changes carry their own signatures. A lost stick shows no field text.").oneLine)
            } else if let recipients = manifest.encryption?.recipients {
                print(recipients.count > 2
                    ? tr("Signed by this store's key and encrypted to \(recipients.count) keys (the office and this team's enrolled laptops): a lost stick shows no field text.")
                    : tr("Signed by this store's key and encrypted to \(recipients.count) keys (the office): a lost stick shows no field text."))
            } else if !roster {
                print(tr("Not signed or encrypted (format 1): a laptop signs and encrypts once it has pinned the office's key, the office once it has enrolled a laptop (fieldbook keys show)."))
            }
        }
    }
}

/// Small helpers for how bundle figures read.
enum BundleText {
    static func bytes(_ n: Int64) -> String {
        if n < 10_000 { return tr("\(NumberText.grouped(Int(n))) bytes") }
        if n < 10_000_000 { return String(format: "%.1f KB", Double(n) / 1000) }
        return String(format: "%.1f MB", Double(n) / 1_000_000)
    }

    static func ratio(_ p: BundleManifest.Payload) -> String {
        String(format: "%.1f×", Double(p.rawSize) / Double(max(1, p.compressedSize)))
    }

    /// The `verify` line naming the device that packed a bundle, its team and round.
    static func device(_ m: BundleManifest) -> String {
        switch (m.device.team, m.round) {
        case (let team?, let round?): tr("  device   \(m.device.name), team \(team), round \(round)")
        case (let team?, nil): tr("  device   \(m.device.name), team \(team)")
        case (nil, let round?): tr("  device   \(m.device.name), round \(round)")
        case (nil, nil): tr("  device   \(m.device.name)")
        }
    }

    static func counts(_ m: BundleManifest) -> String {
        RecordKind.allCases.compactMap { kind in m.counts[kind.rawValue].map { "\(kind.rawValue) \($0)" } }
            .joined(separator: ", ")
    }

    static func duration(_ seconds: TimeInterval) -> String {
        if seconds >= 86_400 { return tr("\(String(format: "%.1f", seconds / 86_400)) days") }
        if seconds >= 3600 { return tr("\(String(format: "%.1f", seconds / 3600)) hours") }
        return tr("\(String(format: "%.0f", seconds / 60)) minutes")
    }
}
