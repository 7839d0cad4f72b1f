import FieldbookCore
import FieldbookTestSupport
import Foundation
import GRDB
import Testing

/// bundles/reader/fieldbook_reader.py, the second implementation written from bundles/FORMAT.md,
/// reads what Fieldbook writes: a laptop's format-2 bundle and a teammate's relay, opened with the
/// office's private key, checked against the office's and the laptops' public keys, print exactly
/// the changes the office holds after merging them; a flipped byte is refused, and nothing printed.
///
/// It needs python3 with the `cryptography` package (Debian: python3-cryptography, which .ci/run
/// installs). Without them these tests fail, saying so: they never skip.
///
/// `FIELDBOOK_WRITE_EXAMPLE=DIR swift test --filter PythonReader` also copies the bundles, the
/// office's key file and the office's private X25519 key into DIR (bundles/reader/example is made so).
@Suite("The Python reader (bundles/reader) reads format 1 and 2 as Fieldbook does")
struct PythonReaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let reader = root.appendingPathComponent("bundles/reader/fieldbook_reader.py").path

    struct Run {
        var status: Int32
        var out: Data
        var err: String
        var lines: [Data] { out.split(separator: 0x0A, omittingEmptySubsequences: true).map { Data($0) } }
    }

    /// Runs python3 with `arguments`, its output in files (no pipe to fill up).
    static func python(_ arguments: [String], in dir: TemporaryDirectory) throws -> Run {
        let label = UUID().uuidString.prefix(8)
        let outPath = dir.path("py-\(label).out"), errPath = dir.path("py-\(label).err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, out: try Data(contentsOf: URL(fileURLWithPath: outPath)),
            err: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
    }

    /// Fails the test, saying what to install, when python3 or its cryptography package is missing.
    static func requirePython(_ dir: TemporaryDirectory) throws {
        let probe = try? python(["-c", "import cryptography.hazmat.primitives.ciphers.aead, sys; print(sys.version)"], in: dir)
        try #require(
            probe?.status == 0,
            "python3 with the cryptography package is needed to test bundles/reader: install python3-cryptography (apt-get install python3-cryptography; CI's .ci/run installs it). \(probe?.err ?? "python3 did not start")"
        )
    }

    /// A change as the reader printed it, or as the office holds it: comparable values.
    struct Change: Hashable, CustomStringConvertible {
        var device: String
        var seq: Int64
        var hlc: Int64
        var kind: String
        var record: String
        var op: String
        var fields: NSDictionary
        var base: NSDictionary
        var description: String { "\(kind) \(op) \(record) (\(device.prefix(8)):\(seq))" }
    }

    static func object(_ text: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: text) as? NSDictionary)
    }

    static func printed(_ run: Run) throws -> [Change] {
        try run.lines.map { line in
            let o = try object(line)
            return Change(
                device: o["device"] as! String, seq: (o["seq"] as! NSNumber).int64Value, hlc: (o["hlc"] as! NSNumber).int64Value,
                kind: o["kind"] as! String, record: o["record"] as! String, op: o["op"] as! String,
                fields: o["fields"] as! NSDictionary, base: (o["base"] as? NSDictionary) ?? [:])
        }
    }

    /// What a store holds of the changes a manifest lists (its devices' ranges).
    static func held(_ storePath: String, _ manifest: BundleManifest) throws -> [Change] {
        let db = try DatabaseQueue(path: storePath)
        defer { try? db.close() }
        return try db.read { db in
            var out: [Change] = []
            for d in manifest.devices {
                for row in try Row.fetchAll(
                    db, sql: "SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM change WHERE device_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                    arguments: [d.id, d.firstSeq, d.lastSeq])
                {
                    out.append(Change(
                        device: row["device_id"], seq: row["seq"], hlc: row["hlc"], kind: row["kind"], record: row["record_id"],
                        op: row["op"], fields: try object(Data((row["fields"] as String).utf8)),
                        base: try object(Data((row["base"] as String).utf8))))
                }
            }
            return out
        }
    }

    /// The bundle's manifest, as Fieldbook reads it.
    static func manifest(_ path: String) throws -> BundleManifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data[10..<14].reduce(0) { $0 << 8 | Int($1) }
        return try JSONDecoder().decode(BundleManifest.self, from: data[46..<46 + length])
    }

    @Test("a laptop's bundle and a teammate's relay: the reader prints what the office holds after merging them")
    func formatTwo() throws {
        let dir = TemporaryDirectory()
        try Self.requirePython(dir)
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        let roster = try d.handOutRoster()
        let note = "户主在家。反映：低保评定不公，村干部优亲厚友\n第二行：已转乡镇核查"
        let visit = try a.record(.visit, ["household": "DG001", "note": note])
        let fromA = try d.pack(a)
        #expect(b.merge(bundleAt: fromA).status == .merged)
        let visitB = try b.record(.visit, ["household": "DG002", "note": "王某某：屋顶漏雨"])
        let relay = try d.pack(b)
        for path in [fromA, relay] {
            let outcome = d.office.merge(bundleAt: path)
            #expect(outcome.status == .merged, "\(outcome.status)")
        }

        // The office's keys: its public key file, and its private X25519 key from its store.
        let officeKey = dir.path("office.fbkey")
        try d.office.officeKeyFile()!.encoded().write(to: URL(fileURLWithPath: officeKey))
        let boxPrivate = try DatabaseQueue(path: dir.path("office.sqlite")).read { db in
            try #require(try Data.fetchOne(db, sql: "SELECT box_private FROM store_key"))
        }
        #expect(boxPrivate.count == 32)
        let keyFile = dir.path("office-box.key")
        try boxPrivate.write(to: URL(fileURLWithPath: keyFile))

        var printedNotes: [String: String] = [:]
        for (path, keyArgument) in [(fromA, keyFile), (relay, boxPrivate.base64EncodedString())] {
            let run = try Self.python(
                [Self.reader, path, "--key", keyArgument, "--office", officeKey, "--trust", roster], in: dir)
            #expect(run.status == 0, "\(run.err)")
            let manifest = try Self.manifest(path)
            #expect(manifest.format == 2)
            let printed = try Self.printed(run)
            let held = try Self.held(dir.path("office.sqlite"), manifest)
            #expect(printed.count == manifest.changes)
            #expect(held.count == manifest.changes)
            #expect(Set(printed) == Set(held), "printed \(printed), the office holds \(held)")
            // Lines come ordered by device, then sequence number.
            #expect(printed.map { "\($0.device) \(String(format: "%020lld", $0.seq))" }
                == printed.map { "\($0.device) \(String(format: "%020lld", $0.seq))" }.sorted())
            for change in printed where change.kind == "visit" {
                printedNotes[change.record] = change.fields["note"] as? String
            }
        }
        #expect(printedNotes[visit.id] == note)
        #expect(printedNotes[visitB.id] == "王某某：屋顶漏雨")
        // The relay carries A's segment as A signed it, and B's own.
        #expect(try Self.manifest(relay).segments?.count == 2)

        // Without the authors' keys, the relay's segments cannot be checked: refused, nothing printed.
        let noAuthors = try Self.python([Self.reader, relay, "--key", keyFile, "--office", officeKey], in: dir)
        #expect(noAuthors.status == 1 && noAuthors.out.isEmpty, "\(noAuthors.err)")
        // A key the bundle is not addressed to.
        let stranger = Data(repeating: 7, count: 32).base64EncodedString()
        let wrongKey = try Self.python([Self.reader, fromA, "--key", stranger, "--office", officeKey, "--trust", roster], in: dir)
        #expect(wrongKey.status == 1 && wrongKey.err.contains("not addressed"), "\(wrongKey.err)")

        if let out = ProcessInfo.processInfo.environment["FIELDBOOK_WRITE_EXAMPLE"] {
            try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (from, name) in [(fromA, "laptop.fbundle"), (relay, "relay.fbundle"), (roster, "roster.fbundle"), (officeKey, "office.fbkey")] {
                let target = (out as NSString).appendingPathComponent(name)
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: from, toPath: target)
            }
            try Data((boxPrivate.base64EncodedString() + "\n").utf8)
                .write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("office-box.key")))
        }
    }

    @Test("a byte flipped anywhere in a format-2 bundle is refused, and no change printed")
    func flippedByte() throws {
        let dir = TemporaryDirectory()
        try Self.requirePython(dir)
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let roster = try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001", "note": "户主在家"])
        let path = try d.pack(a)
        let officeKey = dir.path("office.fbkey")
        try d.office.officeKeyFile()!.encoded().write(to: URL(fileURLWithPath: officeKey))
        let boxPrivate = try DatabaseQueue(path: dir.path("office.sqlite")).read { db in
            try #require(try Data.fetchOne(db, sql: "SELECT box_private FROM store_key"))
        }
        let key = boxPrivate.base64EncodedString()
        let arguments = ["--key", key, "--office", officeKey, "--trust", roster]
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let clean = try Self.python([Self.reader, path] + arguments, in: dir)
        #expect(clean.status == 0, "\(clean.err)")
        #expect(!clean.out.isEmpty)

        let m = try Self.manifest(path)
        let manifestEnd = 46 + (original[10..<14].reduce(0) { $0 << 8 | Int($1) })
        let payloadEnd = manifestEnd + Int(m.payload.compressedSize)
        // The version, the manifest's length and digest, the manifest, the sealed payload (first and
        // last byte, the tag), the trailer's length and its signature.
        var offsets = [9, 12, 20, 45, 46, manifestEnd - 2, manifestEnd, manifestEnd + 1, (manifestEnd + payloadEnd) / 2,
                       payloadEnd - 1, payloadEnd + 3, payloadEnd + 4, original.count - 1]
        offsets += stride(from: 60, to: manifestEnd, by: max(1, (manifestEnd - 60) / 6)).map { $0 }
        for offset in offsets {
            var bytes = original
            bytes[offset] ^= 0x01
            let copy = dir.path("flipped-\(offset).fbundle")
            try bytes.write(to: URL(fileURLWithPath: copy))
            let run = try Self.python([Self.reader, copy] + arguments, in: dir)
            #expect(run.status == 1, "a flip at \(offset) was not refused: \(run.err)")
            #expect(run.out.isEmpty, "a flip at \(offset) printed changes")
            #expect(run.err.contains("refused"), "\(run.err)")
            // Fieldbook refuses it too.
            #expect(d.office.merge(bundleAt: copy).status != .merged)
        }
    }

    @Test("a change altered in a relay (the relaying laptop's signature is good, its author's is not) is refused")
    func forgedRelay() throws {
        let dir = TemporaryDirectory()
        try Self.requirePython(dir)
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        let roster = try d.handOutRoster()
        let visit = try a.record(.visit, ["household": "DG001", "note": "甲"])
        #expect(b.merge(bundleAt: try d.pack(a)).status == .merged)
        // B's owner edits A's change in B's store file, then packs: B signs the bundle, A's segment
        // no longer matches its lines.
        let db = try DatabaseQueue(path: dir.path("笔记本2.sqlite"))
        try db.write { db in
            try db.execute(sql: "UPDATE change SET fields = replace(fields, '甲', '乙') WHERE record_id = ?", arguments: [visit.id])
        }
        try db.close()
        let forged = try d.pack(b, scope: .all)
        let officeKey = dir.path("office.fbkey")
        try d.office.officeKeyFile()!.encoded().write(to: URL(fileURLWithPath: officeKey))
        let boxPrivate = try DatabaseQueue(path: dir.path("office.sqlite")).read { db in
            try #require(try Data.fetchOne(db, sql: "SELECT box_private FROM store_key"))
        }
        let arguments = [Self.reader, forged, "--key", boxPrivate.base64EncodedString(), "--office", officeKey, "--trust", roster]
        // A laptop's `--all` bundle carries only what its authors signed (not the office's roster
        // changes, which no segment covers), so A's segment is what gives the forgery away.
        let run = try Self.python(arguments, in: dir)
        #expect(run.status == 1 && run.out.isEmpty, "\(run.err)")
        #expect(run.err.contains("differ from what their author signed"), "\(run.err)")
        if case .rejected(let reason) = d.office.merge(bundleAt: forged).status {
            #expect(reason.contains("differ from what their author signed"))
        } else {
            Issue.record("the office merged a forged relay")
        }
    }

    @Test("FORMAT.md's worked example: the files in bundles/reader/example read, and add up as the page says")
    func workedExample() throws {
        let dir = TemporaryDirectory()
        try Self.requirePython(dir)
        let example = Self.root.appendingPathComponent("bundles/reader/example").path
        func file(_ name: String) -> String { (example as NSString).appendingPathComponent(name) }
        let keys = ["--key", file("office-box.key"), "--office", file("office.fbkey"), "--trust", file("roster.fbundle")]
        for (name, changes) in [("laptop.fbundle", 3), ("relay.fbundle", 6)] {
            let run = try Self.python([Self.reader, file(name)] + keys, in: dir)
            #expect(run.status == 0, "\(name): \(run.err)")
            #expect(run.lines.count == changes, "\(name)")
            // Fieldbook reads the same file's envelope and manifest.
            #expect(try BundleVerifier.verify(file(name)).format == 2)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file("laptop.fbundle")))
        let m = bytes[10..<14].reduce(0) { $0 << 8 | Int($1) }
        let c = Int(try Self.manifest(file("laptop.fbundle")).payload.compressedSize)
        func grouped(_ n: Int) -> String {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.locale = Locale(identifier: "en_US")
            return formatter.string(from: NSNumber(value: n))!
        }
        let sum = "46 + \(grouped(m)) + \(grouped(c)) + 4 + 64 = \(grouped(bytes.count))"
        let page = (try? String(contentsOf: Self.root.appendingPathComponent("bundles/FORMAT.md"), encoding: .utf8)) ?? ""
        #expect(page.contains(sum), "FORMAT.md's worked example should say \(sum)")
    }

    @Test("format 1: the reader prints the lines Fieldbook wrote, and refuses it when signatures are required")
    func formatOne() throws {
        let dir = TemporaryDirectory()
        try Self.requirePython(dir)
        let legacy = try makeFieldStore(in: dir, name: "legacy.sqlite", device: "旧笔记本", clock: FixedEnvironment(seed: 55))
        let visit = try legacy.record(.visit, ["household": "DG001", "note": "户主不在家，邻居代述"])
        let bundle = try #require(try legacy.pack(into: dir.path("stick")))
        #expect(bundle.manifest.format == 1)
        let run = try Self.python([Self.reader, bundle.path], in: dir)
        #expect(run.status == 0, "\(run.err)")
        let printed = try Self.printed(run)
        #expect(Set(printed) == Set(try Self.held(dir.path("legacy.sqlite"), bundle.manifest)))
        #expect(printed.first { $0.record == visit.id }?.fields["note"] as? String == "户主不在家，邻居代述")
        let strict = try Self.python([Self.reader, bundle.path, "--require-signed"], in: dir)
        #expect(strict.status == 1 && strict.out.isEmpty && strict.err.contains("unsigned"), "\(strict.err)")
    }
}
