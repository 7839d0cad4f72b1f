import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The rules a bundle's changes meet together (BundleChecks) are judged by the parser when there is
/// one (a merge), and by the reader's caller when several parse (`verify`): the same verdict, at
/// the same line, after the same lines, either way.
@Suite struct InOrderChecksTests {
    /// A laptop's bundle of 2,500 visits (lines in three of the pipeline's batches of 1,024), and
    /// its payload's lines.
    private func bundle(_ dir: TemporaryDirectory) throws -> (manifest: [UInt8], lines: [[UInt8]]) {
        let laptop = try makeFieldStore(in: dir)
        let round = RecordID.round("五届第五轮")
        _ = try laptop.recordBatch((0..<2500).map { i in
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
        return (Array(manifest.utf8), lines)
    }

    /// What reading `lines` sealed under `manifest` gives with `parsers` parsers: the line numbers
    /// handed on, and the refusal.
    private func read(_ dir: TemporaryDirectory, _ manifest: [UInt8], _ lines: [[UInt8]], parsers: Int) throws -> ([Int], String?) {
        var payload: [UInt8] = []
        for line in lines { payload += line + [0x0A] }
        let sealed = try #require(manifest.withUnsafeBytes { m in payload.withUnsafeBytes { p in BundleFuzzing.seal(manifestTemplate: m, payload: p) } })
        let path = dir.path("sealed-\(parsers)-\(lines.count).fbundle")
        try Data(sealed).write(to: URL(fileURLWithPath: path))
        var handed: [Int] = []
        do {
            try BundleReading.forEachChange(try BundleFile.open(path), progress: nil, parsers: parsers) { number, _ in handed.append(number) }
            return (handed, nil)
        } catch let error as BundleError {
            return (handed, error.reason)
        }
    }

    @Test func theVerdictIsTheSameWhoeverJudgesTheLinesTogether() throws {
        let dir = TemporaryDirectory()
        let (manifest, lines) = try bundle(dir)
        #expect(lines.count == 2502)  // the team's and the round's creates first
        // A visit's create again under the next number (the same change twice), in the third
        // batch; a visit under the id of the household the next line visits, in the second; and
        // the bundle as it is.
        var twice = lines
        twice[2099] = Array(String(decoding: lines[2098], as: UTF8.self).utf8)
        var kinds = lines
        let visitLine = String(decoding: lines[1500], as: UTF8.self)
        let record = try #require(visitLine.range(of: "\"record\":\"[0-9a-f-]{36}\"", options: .regularExpression))
        // The household the next line visits: that line is refused, its household being a visit.
        let household = String(decoding: lines[1501], as: UTF8.self)
        let householdField = try #require(household.range(of: "\"household\":\"[0-9a-f-]{36}\"", options: .regularExpression))
        let householdID = household[householdField].dropFirst("\"household\":\"".count).dropLast()
        kinds[1500] = Array(visitLine.replacingCharacters(in: record, with: "\"record\":\"\(householdID)\"").utf8)
        for (name, variant, line, words) in [
            ("twice", twice, 2100, ["line 2100", "twice"]), ("two kinds", kinds, 1502, ["line 1502", "a visit, not a household"]),
        ] {
            let one = try read(dir, manifest, variant, parsers: 1)
            let two = try read(dir, manifest, variant, parsers: 2)
            let three = try read(dir, manifest, variant, parsers: 3)
            #expect(one.0.count == line - 1 && one.0.last == line - 1 && one.0 == Array(1..<line), "\(name)")
            for word in words { #expect(one.1?.contains(word) == true, "\(name): \(one.1 ?? "accepted")") }
            #expect(two.0 == one.0 && three.0 == one.0, "\(name)")
            #expect(two.1 == one.1 && three.1 == one.1, "\(name)")
        }
        let sound = try read(dir, manifest, lines, parsers: 1)
        #expect(sound.1 == nil, "\(sound.1 ?? "")")
        #expect(sound.0.count == 2502 && sound.0 == Array(1...2502))
        #expect(try read(dir, manifest, lines, parsers: 2).0 == sound.0)
    }
}
