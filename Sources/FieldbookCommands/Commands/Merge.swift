import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Merge: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Merge bundles into this store, each whole or not at all."),
            discussion: tr(id: "help.merge.discussion", """
                Bundles merged before, under any name, are reported as already merged. A bad bundle is \
                rejected with its reason and the others still merge; the exit code is then 65. A file \
                or folder named that cannot be read, or folders that hold no bundle, exit 66 before \
                anything is merged. Each bundle's line goes to stdout, in order, then the summary and \
                its notes (conflicts, gaps); a rejection is also said once on stderr, last. A record dated after the day it was \
                merged is kept: a laptop's clock may run wrong, and the bundle's clock is flagged.
                """))

        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp(tr("Bundle files, or folders of them."))) var bundles: [String]
        @Option(name: .customLong("max-skew"), help: ArgumentHelp(tr("Flag bundles whose clock runs more than this many minutes ahead.")))
        var maxSkew: Double = 60

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let paths = try BundlePaths.expand(bundles)
            let activity = store.announce("a merge")
            defer { activity.end() }
            var merged = 0, already = 0, rejected = 0
            let showProgress = isatty(STDERR_FILENO) == 1
            // A big merge keeps the tally's indexes aside and builds them once at its end: the
            // records and the tally are the same, the merge is faster. Were that not possible, the
            // merge keeps them up to date as it goes, as a small one does.
            let setAside = (try? store.setTallyIndexesAside(forMerging: paths)) ?? []
            // Each bundle's pages are copied from the log into the store while the next is merged.
            try store.withLogCheckpointedAside { checkpoints in
                for (index, path) in paths.enumerated() {
                    // A file name from a stick is data like any other: shown on one line, escaped.
                    let name = (path as NSString).lastPathComponent.oneLine
                    var progress: (@Sendable (Int, Int) -> Void)? = nil
                    if showProgress {
                        progress = { done, total in
                            let percent = total > 0 ? done * 100 / total : 100
                            Console.progress(tr("  merging \(name): \(percent)% of \(total, "change")   "))
                        }
                    }
                    let outcome = store.merge(bundleAt: path, options: MergeOptions(maxSkew: maxSkew * 60, progress: progress))
                    checkpoints?.committed()
                    if showProgress { Console.clearProgress() }
                    switch outcome.status {
                    case .merged:
                        merged += 1
                        var line = tr("merged          \(name): \(outcome.changes, "change") (\(outcome.newChanges) new), \(outcome.newRecords, "new record"), \(outcome.updatedFields, "updated field")")
                        if outcome.newConflicts > 0 { line += tr(", \(outcome.newConflicts, "conflict")") }
                        if outcome.signed { line += tr("; signed by \(outcome.manifest?.device.name ?? "?"), opened with this store's key") }
                        print(line.oneLine)
                        if let version = outcome.trustListVersion {
                            print(tr("  the office's trust list, version \(version), taken: enrolled and revoked devices, and receipts (fieldbook status)"))
                        }
                        if let version = outcome.delegatedTrustVersion {
                            print(tr("  \(outcome.manifest?.device.name ?? "?")'s trust list, version \(version), taken: the laptops it enrolled and revoked (fieldbook devices)").oneLine)
                        }
                    case .alreadyMerged:
                        already += 1
                        print(tr("already merged  \(name)"))
                    case .rejected(let reason):
                        rejected += 1
                        print(tr("rejected        \(name): \(reason.oneLine)"))
                    case .storeFailed(let error):
                        // Nothing is wrong with the bundles: the store cannot take them. Stop, and say so once.
                        let left = Array(paths[index...])
                        for path in left { print(tr("not merged      \((path as NSString).lastPathComponent.oneLine)")) }
                        if !setAside.isEmpty { _ = try? store.restoreTallyIndexes() }
                        print(tr("\(merged) merged, \(already) already merged, \(rejected) rejected, \(left.count) not merged, of \(paths.count, "bundle")."))
                        store.releaseLog()
                        throw StoreFault.explain(error, store: store.path, bundles: left)
                    }
                    if outcome.leftOutRevoked > 0 {
                        print(tr("  ! \(outcome.leftOutRevoked, "change") of a revoked device, made after its revocation point, were left out"))
                    }
                    if let ahead = outcome.aheadBy {
                        print(tr("  ! its clock ran \(BundleText.duration(ahead)) ahead of this machine's: check that laptop's clock. Its edits win only against edits that never saw them."))
                    }
                }
                // The summary comes after every bundle's line it sums up; a rejection is said on stderr
                // too, last, so that stdout and stderr sent to one file or pipe read in order.
                if !setAside.isEmpty {
                    if showProgress { Console.progress(tr("  building the tally's indexes")) }
                    do {
                        try store.restoreTallyIndexes()
                        checkpoints?.committed()
                    } catch {
                        // What was merged stays merged; only the tally's shortcut waits for the next open.
                        print(tr("  ! the tally's indexes could not be built again (\((error as? FieldbookError)?.message ?? String(describing: error))): they are built the next time this store is opened; tallies are right meanwhile, only slower").oneLine)
                    }
                    if showProgress { Console.clearProgress() }
                }
                print(tr("\(merged) merged, \(already) already merged, \(rejected) rejected, of \(paths.count, "bundle")."))
                let summary = try store.mergeSummary()
                let conflicts = summary.conflicts
                if conflicts > 0 { print(tr("\(conflicts, "conflict") to review: `fieldbook conflicts`.")) }
                for (device, gaps) in summary.gaps {
                    print(tr("gap: changes \(gaps.map(Status.describe).joined(separator: ", ")) of \(device.oneLine) have not arrived yet."))
                }
                for unknown in summary.unknown {
                    let kind = Language.current == .zh ? unknown.kind.chinese : unknown.kind.plural
                    print(tr("kept: \(unknown.count) \(kind) point at a \(unknown.field.oneLine) this store does not know yet."))
                }
                if rejected > 0 {
                    Console.error(tr("fieldbook: \(rejected) of \(paths.count) bundles were rejected (reasons above); the others were merged."))
                    throw ExitCode(65)
                }
            }
        }
    }
}

/// What a command says when the store, not its input, failed.
enum StoreFault {
    /// The store's error, with what a person can do: for a full disk, the free space there and about
    /// how much merging `bundles` needs (three times their inflated size: the change log, the
    /// records and their indexes, and the WAL that holds them until the commit).
    static func explain(_ error: FieldbookError, store: String, bundles: [String]) -> FieldbookError {
        guard case .storeFailure(let path, let message) = error, message.hasPrefix(tr("the disk is full")) else { return error }
        let raw = bundles.reduce(Int64(0)) { sum, path in sum + ((try? BundleFile.open(path).manifest.payload.rawSize) ?? 0) }
        var stats = statvfs()
        let folder = FilePaths.folder(of: store)
        let free = statvfs(folder, &stats) == 0 ? Int64(stats.f_bavail) * Int64(stats.f_frsize) : nil
        let need = "merging the \(bundles.count) bundles left needs about \(megabytes(raw * 3)) free"
        return .storeFailure(
            path: path,
            message: "the disk is full (\(free.map(megabytes) ?? "no space") free where the store is; \(need)). The bundles named \"not merged\" were left as they are; free some space and merge them again")
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes < 1 << 20 ? "\(max(1, bytes >> 10)) KB" : String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}