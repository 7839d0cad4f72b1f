import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Damaged, forged and hostile bundles: each refused with a reason, nothing written.
@Suite struct BadBundleTests {
    /// A small real bundle from a laptop, and the office store it would merge into.
    struct Fixture {
        let dir = TemporaryDirectory("bad")
        let bundle: String
        let bytes: [UInt8]
        let office: Store

        init() throws {
            let laptop = try makeFieldStore(in: dir, name: "a.sqlite", device: "笔记本A")
            _ = try laptop.record(.visit, ["household": "DG001", "note": "户主反映低保评定不透明"])
            _ = try laptop.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
            bundle = try #require(try laptop.pack(into: dir.path("stick"))).path
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: bundle)))
            office = try makeCentral(in: dir, name: "office.sqlite")
        }

        func write(_ name: String, _ content: [UInt8]) -> String {
            let path = dir.path(name)
            _ = FileManager.default.createFile(atPath: path, contents: Data(content))
            return path
        }
    }

    func reason(_ path: String) -> String? {
        do {
            _ = try BundleVerifier.verify(path)
            return nil
        } catch let error as BundleError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test func theFixtureIsSound() throws {
        let f = try Fixture()
        #expect(reason(f.bundle) == nil)
        #expect(f.bytes.count > 500)
    }

    @Test func everyTruncationIsRefused() throws {
        let f = try Fixture()
        let path = f.dir.path("cut.fbundle")
        for length in 0..<f.bytes.count {
            _ = FileManager.default.createFile(atPath: path, contents: Data(f.bytes[..<length]))
            #expect(reason(path) != nil, "truncated to \(length) bytes was accepted")
        }
        // And a sample of them offered to a store: refused, store unchanged.
        let before = try dump(f.office)
        for length in stride(from: 0, to: f.bytes.count, by: 97) {
            _ = FileManager.default.createFile(atPath: path, contents: Data(f.bytes[..<length]))
            guard case .rejected = f.office.merge(bundleAt: path).status else {
                Issue.record("truncated to \(length) bytes merged")
                continue
            }
        }
        #expect(try dump(f.office) == before)
    }

    @Test func bitFlipsAreRefused() throws {
        let f = try Fixture()
        var rng = SplitMix64(seed: 42)
        let path = f.dir.path("flipped.fbundle")
        let before = try dump(f.office)
        for trial in 0..<3000 {
            var damaged = f.bytes
            let bit = Int.random(in: 0..<(damaged.count * 8), using: &rng)
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            _ = FileManager.default.createFile(atPath: path, contents: Data(damaged))
            #expect(reason(path) != nil, "flip of bit \(bit) was accepted")
            if trial % 100 == 0, case .merged = f.office.merge(bundleAt: path).status {
                Issue.record("flip of bit \(bit) merged")
            }
        }
        #expect(try dump(f.office) == before)
    }

    @Test func wrongMagicFutureVersionAndOtherFilesAreNamed() throws {
        let f = try Fixture()
        var future = f.bytes
        future[9] = 7
        #expect(reason(f.write("future.fbundle", future))?.contains("format 7; this fieldbook reads formats 1 and 2") == true)
        #expect(reason(f.write("text.fbundle", Array("乡镇,村,户号\n".utf8)))?.contains("not a Fieldbook bundle") == true)
        #expect(reason(f.write("empty.fbundle", []))?.contains("not a Fieldbook bundle") == true)
        #expect(reason(f.write("gz.fbundle", [0x1F, 0x8B, 8, 0]))?.contains("bare gzip") == true)
        #expect(reason(f.dir.path("missing.fbundle")) == "does not exist")
        #expect(reason(f.dir.path("stick")) == "is a folder, not a bundle")
        #expect(reason(f.write("long.fbundle", f.bytes + [0]))?.contains("unexpected bytes after its end") == true)
    }

    /// Writes a bundle whose manifest and payload are what the test says, signed off correctly.
    func craft(_ f: Fixture, name: String, lines: [String], edit: (inout BundleManifest) -> Void = { _ in }) throws -> String {
        let original = try BundleFile.open(f.bundle).manifest
        return try BundleWriter.write(
            directory: f.dir.path("crafted"), fileName: name,
            lines: { emit in for line in lines { try Array(line.utf8).withUnsafeBytes { try emit($0) } } },
            manifest: { summary in
                var m = original
                m.payload.rawSize = summary.rawSize
                m.payload.compressedSize = summary.compressedSize
                m.payload.sha256 = summary.sha256
                m.changes = lines.count
                edit(&m)
                return m
            }).path
    }

    func payloadLines(_ path: String) throws -> [String] {
        var lines: [String] = []
        try BundleFile.readLines(try BundleFile.open(path)) { _, bytes in lines.append(String(decoding: bytes, as: UTF8.self)) }
        return lines
    }

    @Test func aManifestThatDisagreesWithItsPayloadIsRefused() throws {
        let f = try Fixture()
        let lines = try payloadLines(f.bundle)
        #expect(lines.count == (try BundleFile.open(f.bundle).manifest.changes))
        // Counts that add up but put one change under the wrong kind.
        let counts = try craft(f, name: "counts.fbundle", lines: lines) {
            $0.counts["visit", default: 0] -= 1
            $0.counts["forum", default: 0] += 1
        }
        #expect(reason(counts)?.contains("counts per kind disagree") == true)
        let ranges = try craft(f, name: "ranges.fbundle", lines: lines) { $0.devices[0].lastSeq += 1 }
        #expect(reason(ranges)?.contains("sequence ranges disagree") == true)
        let missing = try craft(f, name: "missing.fbundle", lines: Array(lines.dropLast())) { $0.changes = lines.count }
        #expect(reason(missing)?.contains("changes where the manifest says") == true)
        let junk = try craft(f, name: "junk.fbundle", lines: lines.dropLast() + ["{\"not\": \"a change\"}"])
        #expect(reason(junk)?.contains("line \(lines.count)") == true)
        let notJSON = try craft(f, name: "json.fbundle", lines: ["{{{"] + lines.dropFirst())
        #expect(reason(notJSON)?.contains("line 1 that is not valid JSON") == true)
        let before = try dump(f.office)
        for bad in [counts, ranges, missing, junk, notJSON] {
            guard case .rejected = f.office.merge(bundleAt: bad).status else {
                Issue.record("\(bad) merged")
                continue
            }
        }
        #expect(try dump(f.office) == before)
    }

    @Test func aForgedValueIsRefusedWholeNotHalfMerged() throws {
        let f = try Fixture()
        var lines = try payloadLines(f.bundle)
        let notice = try #require(lines.lastIndex { $0.contains("\"kind\":\"notice\"") && $0.contains("\"op\":\"create\"") })
        lines[notice] = lines[notice].replacingOccurrences(of: "\"copies\":2", with: "\"copies\":-2")
        let forged = try craft(f, name: "forged.fbundle", lines: lines)
        // verify and merge judge by one set of rules: both refuse it, naming the line, field and value.
        #expect(reason(forged)?.contains("notice change at line \(notice + 1) whose copies -2 is refused") == true)
        let before = try dump(f.office)
        guard case .rejected(let why) = f.office.merge(bundleAt: forged).status else {
            Issue.record("a notice with -2 copies merged")
            return
        }
        #expect(why.contains("notice"))
        #expect(try dump(f.office) == before)
    }

    /// A manifest that says, consistently, that the bundle holds one visit.
    func oneChange(_ m: inout BundleManifest) {
        m.changes = 1
        m.counts = ["visit": 1]
        m.devices = [m.devices[0]]
        m.devices[0].count = 1
        m.devices[0].lastSeq = m.devices[0].firstSeq
    }

    @Test func aDecompressionBombIsRefusedWithinItsDeclaredSize() throws {
        let f = try Fixture()
        // 64 MB of one repeated line compresses to a few tens of KB; the manifest claims 1 KB.
        let line = "{\"base\":{},\"device\":\"" + String(repeating: "0", count: 2000) + "\"}"
        let bomb = try BundleWriter.write(
            directory: f.dir.path("crafted"), fileName: "bomb.fbundle",
            lines: { emit in
                let bytes = Array(line.utf8)
                for _ in 0..<32_000 { try bytes.withUnsafeBytes { try emit($0) } }
            },
            manifest: { summary in
                var m = try! BundleFile.open(f.bundle).manifest
                m.payload.rawSize = 1024
                m.payload.compressedSize = summary.compressedSize
                m.payload.sha256 = summary.sha256
                oneChange(&m)
                return m
            }).path
        #expect(reason(bomb)?.contains("inflates past its declared size") == true)
        let oneLine = try BundleWriter.write(
            directory: f.dir.path("crafted"), fileName: "longline.fbundle",
            lines: { emit in
                let bytes = Array(String(repeating: "x", count: 3 << 20).utf8)
                try bytes.withUnsafeBytes { try emit($0) }
            },
            manifest: { summary in
                var m = try! BundleFile.open(f.bundle).manifest
                m.payload.rawSize = summary.rawSize
                m.payload.compressedSize = summary.compressedSize
                m.payload.sha256 = summary.sha256
                oneChange(&m)
                return m
            }).path
        #expect(reason(oneLine)?.contains("longer than") == true)
    }

    @Test func thePayloadIsPlainGzipOfJSONLines() throws {
        let f = try Fixture()
        let envelope = try BundleFile.open(f.bundle)
        let start = Int(envelope.payloadOffset)
        let payload = Array(f.bytes[start..<(start + Int(envelope.manifest.payload.compressedSize))])
        #expect(payload.starts(with: [0x1F, 0x8B]))
        let gz = f.write("payload.gz", payload)
        let zcat = Process()
        zcat.executableURL = URL(fileURLWithPath: "/bin/sh")
        zcat.arguments = ["-c", "gzip -dc '\(gz)'"]
        let pipe = Pipe()
        zcat.standardOutput = pipe
        try zcat.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        zcat.waitUntilExit()
        #expect(zcat.terminationStatus == 0)
        let lines = text.split(separator: "\n")
        #expect(lines.count == envelope.manifest.changes)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["device"] is String)
            #expect(object?["fields"] is [String: Any])
        }
        #expect(text.contains("户主反映低保评定不透明"))
    }
}
