import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Check bundle files, and print what each holds."),
            discussion: tr(id: "help.verify.discussion", """
                Without --db, every rule a bundle can be judged by alone: envelope, manifest, every \
                change and value (of a signed, encrypted bundle: its envelope and manifest only, since \
                only a store it is addressed to can open it). With --db STORE, also the rules only that store can know (who may \
                change what, a copied device id, a record of another kind): the bundle is merged and \
                rolled back, so a bundle verify calls sound merges. Exit code 0 when every bundle is \
                sound, 65 when any is not, 66 when a file or folder named cannot be read or the \
                folders hold no bundle. Each bundle's lines come in order, a bundle that is not sound \
                on stderr, and the summary last.
                """))

        @Argument(help: ArgumentHelp(tr("Bundle files, or folders of them."))) var bundles: [String]
        @Flag(help: ArgumentHelp(tr("Print the manifests as JSON."))) var json = false
        @Option(name: .long, help: ArgumentHelp(tr("Also judge the bundles by this store's rules (nothing is written).")))
        var db: String?

        /// Each bundle verified without a store, several at once.
        static func verifyAlone(_ paths: [String]) -> [Result<BundleManifest, any Error>] {
            final class Results: @unchecked Sendable {
                let lock = NSLock()
                var results: [Result<BundleManifest, any Error>?]
                init(_ count: Int) { results = Array(repeating: nil, count: count) }
            }
            let box = Results(paths.count)
            let alongside = min(paths.count, ProcessInfo.processInfo.activeProcessorCount)
            DispatchQueue.concurrentPerform(iterations: paths.count) { index in
                let result = Result { try BundleVerifier.verify(paths[index], alongside: alongside) }
                box.lock.lock()
                box.results[index] = result
                box.lock.unlock()
            }
            return box.results.map { $0! }
        }

        func run() throws {
            var bad = 0
            var manifests: [JSONValue] = []
            let store = try db.map { path in
                try Store.open(at: path, environment: CommandContext.fieldbookEnvironment(ProcessInfo.processInfo.environment))
            }
            let paths = try BundlePaths.expand(bundles)
            // Without a store, each bundle is judged alone and nothing is written: as many at once as
            // there are cores (each parses on every core, and checks its lines in order on its own),
            // printed in order below.
            let alone = store == nil ? Self.verifyAlone(paths) : []
            for (index, path) in paths.enumerated() {
                let name = (path as NSString).lastPathComponent
                do {
                    let m: BundleManifest
                    if let store {
                        let outcome = store.merge(bundleAt: path, options: MergeOptions(dryRun: true))
                        if case .rejected(let reason) = outcome.status { throw BundleError(reason) }
                        m = try outcome.manifest ?? BundleVerifier.verify(path)
                    } else {
                        m = try alone[index].get()
                    }
                    if json {
                        manifests.append(.object(["file": .string(path), "sound": .bool(true), "manifest": BundleText.json(m)]))
                        continue
                    }
                    let p = m.payload
                    // Every line names what the manifest holds, which came from a stick: one line each.
                    // A sealed bundle read without a store it is addressed to: only its envelope was judged.
                    let sealedUnread = store == nil && m.format == 2
                    var lines = [
                        sealedUnread ? tr("\(name): envelope sound; its changes are encrypted (verify --db STORE, with a store it is addressed to, checks them)") : tr("\(name): sound"),
                        tr("  bundle   \(m.bundleID)  (format \(m.format), \(m.scope))"),
                        BundleText.device(m),
                        tr("  created  \(m.createdAt)"),
                        tr("  changes  \(m.changes): \(BundleText.counts(m))"),
                    ]
                    lines += m.devices.map { d in tr("  from     \(d.name): changes \(d.firstSeq)–\(d.lastSeq) (\(d.count))") }
                    var info = stat()
                    let file = stat(path, &info) == 0 ? Int(info.st_size) : nil
                    lines.append(file.map { tr("  size     \($0, "byte") on disk; its changes \(NumberText.grouped(Int(p.rawSize))) raw, \(NumberText.grouped(Int(p.compressedSize))) compressed (\(BundleText.ratio(p)))") }
                        ?? tr("  size     its changes \(Int(p.rawSize), "byte") raw, \(NumberText.grouped(Int(p.compressedSize))) compressed (\(BundleText.ratio(p)))"))
                    lines.append("  sha256   \(p.sha256)")
                    if let e = m.encryption, let sig = m.signature {
                        lines.append(tr("  sealed   signed by key \(sig.keyID), encrypted to \(e.recipients.count, "key"): \(e.recipients.map(\.keyID).joined(separator: ", "))"))
                    }
                    print(lines.map(\.oneLine).joined(separator: "\n"))
                } catch let error as BundleError {
                    bad += 1
                    if json {
                        manifests.append(.object(["file": .string(path), "sound": .bool(false), "reason": .string(error.reason)]))
                    } else {
                        Console.error("\(name): \(error.reason)".oneLine)
                    }
                }
            }
            if json { Console.writeRaw(JSONValue.array(manifests).rendered() + "\n") }
            if bad > 0 {
                Console.error(tr("fieldbook: \(bad) of \(paths.count) bundles are not sound."))
                throw ExitCode(65)
            }
        }
    }
}

enum BundlePaths {
    /// Files as given, and the bundle files inside any folder, by name. A path that is not there,
    /// a file named as a folder (`stick/`) or a folder that cannot be listed fails with
    /// ``FieldbookError/unreadableInput(path:reason:)``, after every other such path is reported
    /// on stderr; folders that hold no bundle at all, when nothing else was named, with
    /// ``FieldbookError/noBundles(paths:)``. `list` lists a folder (a seam for tests).
    static func expand(_ paths: [String], list: (String) throws(ListingFailure) -> [String] = listFolder) throws -> [String] {
        var found: [String] = []
        var problems: [FieldbookError] = []
        var emptyFolders: [String] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                let code = errno
                let reason = code == ENOENT ? tr("there is no file or folder there (is the stick plugged in?)")
                    : code == ENOTDIR ? (path.hasSuffix("/") ? tr("that path is a file, not a folder") : tr("part of that path is a file, not a folder"))
                    : ListingFailure(code: code).reason
                problems.append(.unreadableInput(path: path.oneLine, reason: reason))
                continue
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                found.append(path)
                continue
            }
            do {
                let names = try list(path).filter { $0.hasSuffix("." + BundleFile.fileExtension) && !$0.hasPrefix(".") }
                if names.isEmpty { emptyFolders.append(path.oneLine) }
                found += names.sorted().map { (path as NSString).appendingPathComponent($0) }
            } catch {
                problems.append(.unreadableInput(path: path.oneLine, reason: error.reason))
            }
        }
        if let last = problems.last {
            for problem in problems.dropLast() { Console.error("fieldbook: \(problem.message.oneLine)") }
            throw last
        }
        if found.isEmpty { throw FieldbookError.noBundles(paths: emptyFolders) }
        return found
    }

    /// Why a folder could not be listed.
    struct ListingFailure: Error {
        var code: Int32

        /// The errors of a damaged disk or file system (a bad checksum is EBADMSG on Linux).
        #if os(Linux)
        static let damaged: Set<Int32> = [EIO, EBADMSG, EUCLEAN]
        #else
        static let damaged: Set<Int32> = [EIO, EBADMSG]
        #endif
        var reason: String {
            switch code {
            case _ where Self.damaged.contains(code):
                return tr("the disk reported an error while listing the folder (a damaged stick? check it on another computer)")
            case EACCES, EPERM:
                return tr("this user may not list the folder")
            default:
                return tr("listing the folder failed (\(String(cString: strerror(code)).lowercased()))")
            }
        }
    }

    /// The names in `folder`, with the system's error when the listing fails part way.
    static func listFolder(_ folder: String) throws(ListingFailure) -> [String] {
        guard let dir = opendir(folder) else { throw ListingFailure(code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw ListingFailure(code: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }
}

extension BundleText {
    static func json(_ m: BundleManifest) -> JSONValue {
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(m), let object = try? JSONDecoder().decode(AnyJSON.self, from: data) else {
            return .null
        }
        return object.value
    }
}

/// Decodes any JSON into a ``JSONValue``.
struct AnyJSON: Decodable {
    var value: JSONValue

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            value = .null
        } else if let b = try? c.decode(Bool.self) {
            value = .bool(b)
        } else if let n = try? c.decode(Int64.self) {
            value = .int(n)
        } else if let d = try? c.decode(Double.self) {
            value = .double(d)
        } else if let s = try? c.decode(String.self) {
            value = .string(s)
        } else if let a = try? c.decode([AnyJSON].self) {
            value = .array(a.map(\.value))
        } else {
            value = .object(try c.decode([String: AnyJSON].self).mapValues(\.value))
        }
    }
}
