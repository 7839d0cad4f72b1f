import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// A laptop's real bundle taken apart into its manifest (a template for ``BundleFuzzing/seal``) and
/// its payload's lines, so that tests can change lines and seal them again with every digest right.
struct SealedLines {
    let manifest: [UInt8]
    let lines: [[UInt8]]

    /// A laptop's bundle of `visits` visits after its team's and round's creates: 2,500 visits put
    /// lines in three of the pipeline's batches of 1,024.
    init(_ dir: TemporaryDirectory, visits: Int = 2500) throws {
        let laptop = try makeFieldStore(in: dir)
        let round = RecordID.round("五届第五轮")
        _ = try laptop.recordBatch((0..<visits).map { i in
            (.visit, ["round": .text(round), "household": .text(RecordID.household(code: "DG\(i % 40)")),
                      "date": .text("2026-11-20"), "inspectors": .list(["张三"])])
        })
        let packed = try #require(try laptop.pack(into: dir.path("out")))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: packed.path)))
        let length = bytes[10..<14].reduce(0) { $0 << 8 | Int($1) }
        var manifest = String(decoding: bytes[46..<(46 + length)], as: UTF8.self)
        // The payload's digest and sizes become the places `seal` fills in.
        for (key, mark) in [("sha256", "\"@H\""), ("raw_size", "@R"), ("compressed_size", "@C")] {
            let pattern = key == "sha256" ? "\"sha256\":\"[0-9a-f]{64}\"" : "\"\(key)\":[0-9]+"
            let range = try #require(manifest.range(of: pattern, options: .regularExpression))
            manifest.replaceSubrange(range, with: "\"\(key)\":\(mark)")
        }
        var lines: [[UInt8]] = []
        try BundleFile.readLines(try BundleFile.open(packed.path)) { _, line in lines.append(Array(line)) }
        self.manifest = Array(manifest.utf8)
        self.lines = lines
    }

    /// `payload` (a raw payload, or a gzip stream) sealed under this manifest, written in `dir`.
    func seal(_ payload: [UInt8], in dir: TemporaryDirectory, name: String) throws -> String {
        let sealed = try #require(manifest.withUnsafeBytes { m in payload.withUnsafeBytes { p in BundleFuzzing.seal(manifestTemplate: m, payload: p) } })
        let path = dir.path(name)
        try Data(sealed).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// What reading `lines` sealed under this manifest gives with `parsers` parsers: the line
    /// numbers handed on, and the refusal.
    func read(_ lines: [[UInt8]], in dir: TemporaryDirectory, parsers: Int, tag: String = "") throws -> ([Int], String?) {
        var payload: [UInt8] = []
        for line in lines { payload += line + [0x0A] }
        let path = try seal(payload, in: dir, name: "sealed-\(tag)-\(parsers)-\(lines.count).fbundle")
        var handed: [Int] = []
        do {
            try BundleReading.forEachChange(try BundleFile.open(path), progress: nil, parsers: parsers) { number, _ in handed.append(number) }
            return (handed, nil)
        } catch let error as BundleError {
            return (handed, error.reason)
        }
    }
}

/// Writes into a store's log: one transaction of about `pages` pages, into a table of its own.
func writePages(_ store: Store, _ pages: Int) throws {
    try store.write { db in
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS scratch (x BLOB)")
        try db.execute(
            sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO scratch SELECT randomblob(3900) FROM n",
            arguments: [pages])
    }
}

/// A file's size, 0 when it is not there.
func fileSize(_ path: String) -> Int64 {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
}
