import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// The attacker's USB stick, through the built binary: good bundles and every crafted one
/// (HostileBundles, the generator the core tests use) in one folder, offered to one
/// `fieldbook verify FOLDER` and one `fieldbook merge FOLDER` run at the office.
@Suite struct HostileBinaryTests {
    /// What one `fieldbook merge` run said of one bundle.
    enum Said: Equatable {
        case merged, alreadyMerged, rejected
    }

    @Test func oneMergeRunOverEveryHostileBundle() throws {
        let sandbox = Sandbox()
        let world = try HostileWorld.build(in: sandbox.folder, mergeGood: false)
        let bundles = HostileBundles.make(world)
        let stick = sandbox.path("stick")
        let reference = sandbox.path("reference-stick")
        for folder in [stick, reference] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        // The good bundles first (by name), the crafted ones after them, the sound crafted ones last.
        var good: [(token: String, said: Said)] = []
        for (i, path) in world.goodBundles.enumerated() {
            let name = "0-good-\(i)-" + (path as NSString).lastPathComponent
            for folder in [stick, reference] {
                try FileManager.default.copyItem(atPath: path, toPath: (folder as NSString).appendingPathComponent(name))
            }
            // The office packed its roster itself: already merged. The laptops' bundles merge.
            good.append(("0-good-\(i)-", i == 0 ? .alreadyMerged : .merged))
        }
        for bundle in bundles {
            try Data(bundle.bytes).write(to: URL(fileURLWithPath: (stick as NSString).appendingPathComponent(bundle.fileName)))
            // The reference merges what should merge, and what may (a store keeps its record as it was).
            let mayMerge: Bool
            switch bundle.expect {
            case .accepted, .storeKeeps: mayMerge = true
            case .unsound, .storeRefuses: mayMerge = false
            }
            if mayMerge {
                try Data(bundle.bytes).write(to: URL(fileURLWithPath: (reference as NSString).appendingPathComponent(bundle.fileName)))
            }
        }
        // The same office, to merge only what should merge: the hostile run must end where it does.
        try FileManager.default.copyItem(atPath: world.officePath, toPath: sandbox.path("reference.sqlite"))
        // And the same office with only the good bundles merged, for `verify --db`, which judges each
        // bundle by that store's rules too (a merge rolled back): it must agree with merge on all.
        try FileManager.default.copyItem(atPath: world.officePath, toPath: sandbox.path("dry.sqlite"))
        try FileManager.default.createDirectory(atPath: sandbox.path("good-stick"), withIntermediateDirectories: true)
        for path in world.goodBundles {
            try FileManager.default.copyItem(atPath: path, toPath: sandbox.path("good-stick/" + (path as NSString).lastPathComponent))
        }
        try sandbox.ok("merge", "--db", "dry.sqlite", "good-stick")
        // What a store must keep whatever it makes of a storeKeeps bundle: the record as it is now
        // (the roster's), or the device as its own bundle describes it.
        var keep: [String: String] = [:]
        do {
            let before = try Store.open(at: world.officePath)
            for bundle in bundles {
                guard case .storeKeeps(let id) = bundle.expect else { continue }
                keep[id] = try [world.laptop, world.laptop2].first { $0.id == id }.map(Self.describe) ?? Self.values(before, id)
            }
        }

        let verifyJSON = try sandbox.run(["verify", "--json", "stick"], timeout: 120)
        let verify = try sandbox.run(["verify", "stick"], timeout: 120)
        let merge = try sandbox.run(["merge", "--db", "office.sqlite", "stick"], timeout: 120)
        let referenceMerge = try sandbox.run(["merge", "--db", "reference.sqlite", "reference-stick"], timeout: 120)
        let verifyDB = try sandbox.run(["verify", "--db", "dry.sqlite", "--json", "stick"], timeout: 120)
        expectNoCrashReport(verifyDB)

        // Every run ends normally: no signal, no crash report, exit 65 (bad bundles), one summary.
        for run in [verifyJSON, verify, merge] {
            expectNoCrashReport(run)
            #expect(run.status == 65, "\(run.arguments.joined(separator: " ")) exited \(run.status)")
        }
        #expect(referenceMerge.status == 0 || referenceMerge.status == 65, "\(referenceMerge)")
        expectNoCrashReport(referenceMerge)
        let total = world.goodBundles.count + bundles.count
        #expect(merge.stdoutLines.contains { $0.hasSuffix("of \(NumberText.grouped(total)) bundles.") }, "no summary line for \(total) bundles")
        #expect(merge.stderr.hasPrefix("fieldbook: "), "\(merge.stderr.prefix(300))")

        // What verify said of each file, by name.
        let entries = try #require(try parseJSON(verifyJSON.stdout) as? [[String: Any]])
        #expect(entries.count == total)
        func soundness(_ entries: [[String: Any]]) -> [String: Bool] {
            var sound: [String: Bool] = [:]
            for entry in entries {
                guard let file = entry["file"] as? String, let isSound = entry["sound"] as? Bool else { continue }
                sound[(file as NSString).lastPathComponent] = isSound
            }
            return sound
        }
        let sound = soundness(entries)
        let soundWithStore = soundness(try #require(try parseJSON(verifyDB.stdout) as? [[String: Any]]))

        // What merge said of each bundle: exactly one line each, found by the token its name starts
        // with (after the status word, padded to 16 columns).
        let statusWords: [(String, Said)] = [("merged ", .merged), ("already merged ", .alreadyMerged), ("rejected ", .rejected)]
        var linesByToken: [String: [String]] = [:]
        for line in merge.stdoutLines where statusWords.contains(where: { line.hasPrefix($0.0) }) {
            let name = line.dropFirst(16)
            linesByToken[String(name.prefix(name.hasPrefix("0-good-") ? 9 : 6)), default: []].append(line)
        }
        func said(_ token: String) -> (Said, String)? {
            let lines = linesByToken[token] ?? []
            guard lines.count == 1, let line = lines.first else {
                Issue.record("\(lines.count) lines of merge's output name \(token): \(lines)")
                return nil
            }
            guard let word = statusWords.first(where: { line.hasPrefix($0.0) }) else { return nil }
            return (word.1, line)
        }
        for (token, expected) in good {
            if let (status, line) = said(token) { #expect(status == expected, "\(line)") }
        }
        var disagreements: [String] = []
        for bundle in bundles {
            let what = "\(bundle.cls) [\(bundle.token)]"
            guard let (status, line) = said(bundle.token + "-") else { continue }
            guard let isSound = sound[bundle.fileName] else {
                Issue.record("verify said nothing of \(what)")
                continue
            }
            switch bundle.expect {
            case .unsound:
                if isSound { Issue.record("\(what): verify found it sound") }
                if status != .rejected { Issue.record("\(what): merge did not reject it: \(line.debugDescription)") }
            case .storeRefuses:
                if !isSound { Issue.record("\(what): verify refused it; only a store can judge it") }
                if status != .rejected { Issue.record("\(what): merge did not reject it: \(line.debugDescription)") }
            case .accepted:
                if !isSound { Issue.record("\(what): verify refused a sound bundle") }
                if status == .rejected { Issue.record("\(what): merge rejected a sound bundle: \(line.debugDescription)") }
            case .storeKeeps:
                if !isSound { Issue.record("\(what): verify refused it; only a store can judge it") }
            }
            // verify and merge agree bundle by bundle on which are refused, but where only a store can know;
            // verify --db agrees on all of them.
            if !bundle.expect.storeOnly, isSound == (status == .rejected) {
                disagreements.append("\(what): verify \(isSound ? "sound" : "refused"), merge \(status)")
            }
            if let withStore = soundWithStore[bundle.fileName], withStore == (status == .rejected) {
                disagreements.append("\(what): verify --db \(withStore ? "sound" : "refused"), merge \(status)")
            }
        }
        #expect(disagreements.isEmpty, "verify and merge disagree on \(disagreements.count) bundles:\n\(disagreements.joined(separator: "\n"))")

        // Every line merge printed is a bundle's line or one of its summaries: a reason that echoed
        // a line break from a crafted value would start a line of its own.
        let summaries = ["gap: ", "kept: ", "  ! its clock ran ", "conflicts to review"]
        let stray = merge.stdoutLines.filter { line in
            !statusWords.contains { line.hasPrefix($0.0) } && !summaries.contains { line.hasPrefix($0) || line.contains($0) }
                && !line.hasSuffix("bundles.")
        }
        // (This failed on 6ded167, where reasons quoted refused values raw so that a value holding a
        // line break started a stray line; it passes since main's terminal safety, a75baa4/c543868.)
        #expect(stray.isEmpty, "merge printed \(stray.count) lines that belong to no bundle: \(stray.prefix(5).map(\.debugDescription))")

        // No raw ESC reaches the terminal: not from a file name, a name in a manifest, nor a value.
        // (This failed on 6ded167: file names were printed raw, and refusal reasons quoted crafted
        // values (unknown kinds, field names, text) raw. It passes since main's terminal safety,
        // a75baa4/c543868.)
        for run in [verify, verifyJSON, merge] {
            let name = run.arguments.joined(separator: " ")
            let out = Self.escLines(run.stdout), err = Self.escLines(run.stderr)
            #expect(out.isEmpty, "raw ESC on the stdout of `fieldbook \(name)`, \(out.count) lines: \(out.prefix(4).map(\.debugDescription))")
            #expect(err.isEmpty, "raw ESC on the stderr of `fieldbook \(name)`, \(err.count) lines: \(err.prefix(4).map(\.debugDescription))")
        }

        // The store: sound, and exactly where merging only the good and the sound bundles leaves it.
        let office = try Store.open(at: sandbox.path("office.sqlite"))
        let referenceStore = try Store.open(at: sandbox.path("reference.sqlite"))
        #expect(try Self.integrity(office) == "ok")
        let (hostileDump, referenceDump) = (try Self.dump(office), try Self.dump(referenceStore))
        let a = Set(hostileDump), b = Set(referenceDump)
        let onlyHostile = a.subtracting(b).sorted().map(\.debugDescription), onlyReference = b.subtracting(a).sorted().map(\.debugDescription)
        #expect(
            onlyHostile.isEmpty && onlyReference.isEmpty,
            """
            the office after the hostile run differs from the office that merged only the good and sound bundles:
            only after the hostile run (\(onlyHostile.count)): \(onlyHostile.prefix(12).joined(separator: "\n"))
            only in the reference (\(onlyReference.count)): \(onlyReference.prefix(12).joined(separator: "\n"))
            """)
        // What the storeKeeps classes must keep, kept.
        for bundle in bundles {
            guard case .storeKeeps(let id) = bundle.expect else { continue }
            let kept = [world.laptop.id, world.laptop2.id].contains(id) ? try Self.device(office, id) : try Self.values(office, id)
            #expect(kept == keep[id], "\(bundle.cls): \(keep[id] ?? "?") became \(kept)")
        }
    }

    /// The lines of `text` that hold a raw ESC byte.
    static func escLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { $0.utf8.contains(0x1B) }
    }

    static func integrity(_ store: Store) throws -> String {
        try store.dbQueue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Records, conflicts, the change log and the devices, one line each (not the bundle ledger, not
    /// the clock).
    static func dump(_ store: Store) throws -> [String] {
        try store.dbQueue.read { db in
            var out: [String] = []
            for table in RecordKind.allCases.map(\.table) + ["conflict", "device"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2, 3") { out.append("\(table) \(row)") }
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM change ORDER BY device_id, seq")
            {
                out.append("change \(row)")
            }
            return out
        }
    }

    /// A record's values, sorted by field.
    static func values(_ store: Store, _ id: String) throws -> String {
        let record = try store.record(id: id)
        return record.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + (record.deleted ? " deleted" : "")
    }

    /// A device's name, team and role as this store knows them.
    static func device(_ store: Store, _ id: String) throws -> String {
        guard let d = try store.devices().first(where: { $0.id == id }) else { return "unknown" }
        return "\(d.name) / \(d.team ?? "-") / \(d.role)"
    }

    static func describe(_ d: CraftDevice) -> String { "\(d.name) / \(d.team ?? "-") / \(d.role)" }
}

/// What else a stick can hold under a bundle's name: not files at all.
@Suite struct HostileStickTests {
    /// A named pipe (mkfifo; a stick formatted ext4 can hold one) blocks whoever opens it for
    /// reading until someone writes: `verify` and `merge` must refuse it, not wait for ever.
    ///
    /// A process blocked there does not die of the SIGTERM `Sandbox.run` sends at its time limit
    /// (it inherits the test runner's blocked signals), so a watchdog unblocks it instead: it opens
    /// the pipe for writing, which succeeds only while a reader waits, and closes it.
    @Test func aNamedPipeNamedLikeABundleDoesNotHang() throws {
        let sandbox = try Sandbox.withStore()
        try FileManager.default.createDirectory(atPath: sandbox.path("stick"), withIntermediateDirectories: true)
        let pipe = sandbox.path("stick/a-pipe.fbundle")
        #expect(mkfifo(pipe, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: sandbox.path("stick/b-zero.fbundle"), withDestinationPath: "/dev/zero")
        for arguments in [["verify", "stick"], ["merge", "stick"]] {
            let watchdog = PipeWatchdog(pipe)
            let result = try sandbox.run(arguments, timeout: 60)
            let hung = watchdog.stop()
            #expect(!hung, "`fieldbook \(arguments.joined(separator: " "))` waited on the named pipe until the watchdog wrote to it")
            expectNoCrashReport(result)
            #expect(result.status == 65, "\(result)")
            #expect((result.stdout + result.stderr).contains("a-pipe.fbundle"), "\(result)")
        }
    }
}

/// Opens a named pipe for writing every 2 seconds, which unblocks (with end of file) a reader that
/// waits on it; remembers whether it ever did.
final class PipeWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var unblocked = false

    init(_ path: String) {
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 2)
                let done: Bool = lock.withLock {
                    guard running else { return true }
                    let fd = open(path, O_WRONLY | O_NONBLOCK)
                    if fd >= 0 {
                        unblocked = true
                        close(fd)
                    }
                    return false
                }
                if done { return }
            }
        }
    }

    /// Stops watching; true when a reader had to be unblocked.
    func stop() -> Bool {
        lock.withLock {
            running = false
            return unblocked
        }
    }
}
