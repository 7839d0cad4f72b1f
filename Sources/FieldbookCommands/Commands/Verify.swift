import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check bundle files, and print what each holds.",
            discussion: """
                Without --db, every rule a bundle can be judged by alone: envelope, manifest, every \
                change and value. With --db STORE, also the rules only that store can know (who may \
                change what, a copied device id, a record of another kind): the bundle is merged and \
                rolled back, so a bundle verify calls sound merges. Exit code 0 when every bundle is \
                sound, 65 when any is not.
                """)

        @Argument(help: "Bundle files, or folders of them.") var bundles: [String]
        @Flag(help: "Print the manifests as JSON.") var json = false
        @Option(name: .long, help: "Also judge the bundles by this store's rules (nothing is written).")
        var db: String?

        func run() throws {
            var bad = 0
            var manifests: [JSONValue] = []
            let store = try db.map { path in
                try Store.open(at: path, environment: CommandContext.fieldbookEnvironment(ProcessInfo.processInfo.environment))
            }
            for path in BundlePaths.expand(bundles) {
                let name = (path as NSString).lastPathComponent
                do {
                    let m: BundleManifest
                    if let store {
                        let outcome = store.merge(bundleAt: path, options: MergeOptions(dryRun: true))
                        if case .rejected(let reason) = outcome.status { throw BundleError(reason) }
                        m = try outcome.manifest ?? BundleVerifier.verify(path)
                    } else {
                        m = try BundleVerifier.verify(path)
                    }
                    if json {
                        manifests.append(.object(["file": .string(path), "sound": .bool(true), "manifest": BundleText.json(m)]))
                        continue
                    }
                    let p = m.payload
                    // Every line names what the manifest holds, which came from a stick: one line each.
                    var lines = [
                        "\(name): sound",
                        "  bundle   \(m.bundleID)  (format \(m.format), \(m.scope))",
                        "  device   \(m.device.name)" + (m.device.team.map { ", team \($0)" } ?? "") + (m.round.map { ", round \($0)" } ?? ""),
                        "  created  \(m.createdAt)",
                        "  changes  \(m.changes): \(BundleText.counts(m))",
                    ]
                    lines += m.devices.map { d in "  from     \(d.name): changes \(d.firstSeq)–\(d.lastSeq) (\(d.count))" }
                    lines.append("  size     \(p.rawSize) bytes raw, \(p.compressedSize) compressed (\(BundleText.ratio(p)))")
                    lines.append("  sha256   \(p.sha256)")
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
                Console.error("fieldbook: \(bad) of \(BundlePaths.expand(bundles).count) bundles are not sound.")
                throw ExitCode(65)
            }
        }
    }
}

enum BundlePaths {
    /// Files as given, and the bundle files inside any folder, by name.
    static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                return [path]
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix("." + BundleFile.fileExtension) && !$0.hasPrefix(".") }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
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
