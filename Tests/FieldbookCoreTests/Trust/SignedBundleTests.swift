import Crypto
@testable import FieldbookCore
import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@Suite("Signed and encrypted bundles (format 2)")
struct SignedBundleTests {
    func merged(_ outcome: MergeOutcome) -> Bool { outcome.status == .merged }
    func reason(_ outcome: MergeOutcome) -> String {
        if case .rejected(let r) = outcome.status { return r }
        return "\(outcome.status)"
    }

    @Test("an enrolled laptop's bundle is format 2, merges at the office, and hides its notes")
    func roundTrip() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        try d.handOutRoster()
        let note = "举报人王某某反映村支书优亲厚友"
        _ = try a.record(.visit, ["household": "DG001", "note": note])
        let path = try d.pack(a)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes[9] == 2)
        #expect(bytes.range(of: Data(note.utf8)) == nil)
        #expect(bytes.range(of: Data("DG001".utf8)) == nil)
        let outcome = d.office.merge(bundleAt: path)
        #expect(merged(outcome), "\(reason(outcome))")
        #expect(outcome.signed)
        #expect(try d.office.status().changes > 0)
    }

    @Test("a lost stick: strings and zcat show no note, name or household code of a laptop's or the office's bundle")
    func lostStick() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let roster = try d.handOutRoster()
        let note = "举报人王某某反映村支书优亲厚友"
        _ = try a.record(.visit, ["household": "DG002", "note": note, "met": "李秀英本人"])
        let field = try d.pack(a)
        func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: out, as: UTF8.self))
        }
        // Every text of the sample roster and the visit, in the clear anywhere else.
        let secrets = [note, "李秀英", "张建国", "DG001", "DG002", "东关村", "一组", "五保户", "wubao"]
        for path in [field, roster] {
            let strings = try run("/usr/bin/strings", ["-a", "-n", "3", "-e", "S", path])
            #expect(strings.status == 0)
            for secret in secrets { #expect(!strings.out.contains(secret), "strings shows \(secret) in \(path)") }
            let zcat = try run("/usr/bin/zcat", ["-f", path])
            for secret in secrets { #expect(!zcat.out.contains(secret), "zcat shows \(secret) in \(path)") }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.range(of: Data([0x1F, 0x8B, 0x08])) == nil, "a gzip stream in the clear in \(path)")
        }
    }

    @Test("a teammate relays a laptop's changes; the office checks them against their author's signature")
    func relay() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001", "note": "甲"])
        let fromA = try d.pack(a)
        let atB = b.merge(bundleAt: fromA)
        #expect(merged(atB), "\(reason(atB))")
        _ = try b.record(.visit, ["household": "DG002"])
        let relay = try d.pack(b)
        let outcome = d.office.merge(bundleAt: relay)
        #expect(merged(outcome), "\(reason(outcome))")
        // A's team, round and visit, and B's: each laptop names its team and round when it is made.
        #expect(outcome.newChanges == 6)
    }

    @Test("a change altered in a relay is refused, naming its author")
    func forgedRelay() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        try d.handOutRoster()
        let visit = try a.record(.visit, ["household": "DG001", "note": "甲"])
        #expect(merged(b.merge(bundleAt: try d.pack(a))))
        // B's owner edits A's change in B's store file, then packs.
        let db = try DatabaseQueue(path: dir.path("笔记本2.sqlite"))
        try db.write { db in
            try db.execute(sql: "UPDATE change SET fields = replace(fields, '甲', '乙') WHERE record_id = ?", arguments: [visit.id])
        }
        try db.close()
        let outcome = d.office.merge(bundleAt: try d.pack(b, scope: .all))
        #expect(reason(outcome).contains("differ from what their author signed"))
    }

    @Test("a byte flipped anywhere after signing is refused")
    func tampered() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001", "note": "甲"])
        let path = try d.pack(a)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in stride(from: 9, to: original.count, by: max(1, original.count / 40)) {
            var bytes = original
            bytes[offset] ^= 0x01
            let copy = dir.path("flipped-\(offset).fbundle")
            try bytes.write(to: URL(fileURLWithPath: copy))
            let outcome = d.office.merge(bundleAt: copy)
            #expect(!merged(outcome), "flip at \(offset) merged")
        }
    }

    @Test("a store not addressed cannot open the bundle, and says whom it is for")
    func notAddressed() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let other = try d.makeLaptop("笔记本9", team: "第二巡察组")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001"])
        let outcome = other.merge(bundleAt: try d.pack(a))
        #expect(reason(outcome).contains("not addressed to this store"))
        #expect(reason(outcome).contains("the office"))
    }

    @Test("an unenrolled laptop's bundle is refused at the office with what to do")
    func unknownSigner() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        _ = try d.makeLaptop("笔记本1")
        let stranger = try d.makeLaptop("笔记本7", enroll: false)
        try d.handOutRoster(to: ["笔记本1"])
        let outcome = d.office.merge(bundleAt: try d.pack(stranger))
        #expect(reason(outcome).contains("does not know"))
        #expect(reason(outcome).contains("devices enroll"))
    }

    @Test("once devices are enrolled, the office refuses format 1; allow-unsigned lets it in")
    func policy() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        _ = try d.makeLaptop("笔记本1")
        let legacy = try makeFieldStore(in: dir, name: "legacy.sqlite", device: "旧笔记本", clock: FixedEnvironment(seed: 55))
        _ = try legacy.record(.visit, ["household": "DG001"])
        let path = try d.pack(legacy)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[9] == 1)
        #expect(reason(d.office.merge(bundleAt: path)).contains("unsigned"))
        try d.office.setSignaturePolicy(.allowUnsigned)
        #expect(merged(d.office.merge(bundleAt: path)))
    }

    @Test("a revoked laptop: its changes up to the point stay, its later bundle is refused, relays leave them out")
    func revocation() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001"])
        #expect(merged(d.office.merge(bundleAt: try d.pack(a))))
        let kept = try d.office.status().changes
        let revoked = try d.office.revoke(device: "笔记本1", afterSeq: nil)
        #expect(revoked.afterSeq == 3)
        _ = try a.record(.visit, ["household": "DG002"])
        let later = try d.pack(a)
        // B got A's later bundle before the revocation reached it, and relays it.
        #expect(merged(b.merge(bundleAt: later)))
        #expect(reason(d.office.merge(bundleAt: later)).contains("revoked"))
        _ = try b.record(.visit, ["household": "DG003"])
        let relay = d.office.merge(bundleAt: try d.pack(b))
        #expect(merged(relay), "\(reason(relay))")
        #expect(relay.leftOutRevoked == 1)
        #expect(try d.office.status().changes == kept + 3)
        // The revocation reaches B with the roster; B then refuses A's later changes too.
        try d.handOutRoster(to: ["笔记本2"])
        let c = try d.makeLaptop("笔记本3")
        try d.handOutRoster(to: ["笔记本3"])
        #expect(reason(c.merge(bundleAt: later)).contains("revoked"))
    }

    @Test("receipts: the office's roster bundle tells a laptop how much of its work is safe")
    func receipts() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001"])
        _ = try a.record(.visit, ["household": "DG002"])
        #expect(merged(d.office.merge(bundleAt: try d.pack(a))))
        _ = try a.record(.visit, ["household": "DG003"])
        _ = try d.pack(a)  // a stick that never arrives
        try d.handOutRoster(to: ["笔记本1"])
        let confirmation = try a.officeConfirmation()
        #expect(confirmation.confirmed == 4)
        #expect(confirmation.unconfirmed == 1)
        let again = try d.pack(a, scope: .unconfirmed)
        let outcome = d.office.merge(bundleAt: again)
        #expect(merged(outcome), "\(reason(outcome))")
        #expect(outcome.newChanges == 1)
    }

    @Test("a revocation inside a relayed segment: the kept changes stay, and later relays still merge everywhere")
    func revocationInsideSegment() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        let c = try d.makeLaptop("笔记本3")
        try d.handOutRoster()
        _ = try a.record(.visit, ["household": "DG001"])
        _ = try a.record(.visit, ["household": "DG002"])
        let fromA = try d.pack(a)  // A's 1–4, one segment
        #expect(merged(b.merge(bundleAt: fromA)))
        _ = try d.office.revoke(device: "笔记本1", afterSeq: 3)
        try d.handOutRoster(to: ["笔记本3"])
        // C learns of the revocation first, then gets A's work through B: 1–3 kept, 4 left out.
        let relayB = try d.pack(b)
        let atC = c.merge(bundleAt: relayB)
        #expect(merged(atC), "\(reason(atC))")
        #expect(atC.leftOutRevoked == 1)
        // C's own relay carries only what it can prove; the office and B take it.
        _ = try c.record(.visit, ["household": "DG003"])
        let relayC = try d.pack(c)
        let atOffice = d.office.merge(bundleAt: relayC)
        #expect(merged(atOffice), "\(reason(atOffice))")
        try d.handOutRoster(to: ["笔记本2"])
        let atB = b.merge(bundleAt: relayC)
        #expect(merged(atB), "\(reason(atB))")
    }

    @Test("an office whose disk died without a key backup: laptops pin the new office, enroll, and give it everything")
    func deadOfficeWithoutBackup() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        try d.handOutRoster()
        let visit = try a.record(.visit, ["household": "DG001", "note": "甲"])
        _ = try d.pack(a)  // reached the old office, which is lost
        let office = try makeOfficeStore(in: dir, name: "new-office.sqlite", clock: FixedEnvironment(seed: 9))
        let newKey = try #require(try office.officeKeyFile())
        #expect(throws: FieldbookError.self) { try a.pinOffice(newKey) }
        try a.pinOffice(newKey, replace: true)
        try office.enroll(try a.enrollmentRequest().request)
        let everything = office.merge(bundleAt: try d.pack(a, scope: .all))
        #expect(merged(everything), "\(reason(everything))")
        #expect(try office.list().contains { $0.id == visit.id })
    }

    @Test("an older trust list, or one that un-revokes a device, is refused")
    func rollback() throws {
        let dir = TemporaryDirectory()
        let d = try TrustedDistrict(dir)
        let a = try d.makeLaptop("笔记本1")
        let b = try d.makeLaptop("笔记本2")
        let first = try d.handOutRoster()
        _ = try d.office.revoke(device: "笔记本1", afterSeq: 0)
        try d.handOutRoster(to: ["笔记本2"])
        _ = a
        let outcome = b.merge(bundleAt: first)
        // Already merged by its digest: a copy under another id still carries the old list.
        #expect(outcome.status == .alreadyMerged || reason(outcome).contains("older"))
    }
}

@Suite("HPKE wrapping")
struct HPKEWrapTests {
    @Test("the file key Fieldbook wraps opens with swift-crypto's HPKE recipient, and only for its bundle id")
    func wrapOpensWithLibrary() throws {
        for seed in 0..<20 {
            let env = FixedEnvironment(seed: UInt64(seed)).environment
            let recipient = StoreKeys(random: env.randomBytes(64))
            let fileKey = SymmetricKey(data: env.randomBytes(32))
            let entry = try BundleCrypto.wrap(fileKey, for: recipient.publicKeys, bundleID: "b-\(seed)", ephemeral: env.randomBytes(32))
            let opened = try BundleCrypto.unwrap(entry, with: recipient.agreement, bundleID: "b-\(seed)")
            #expect(opened == fileKey)
            #expect(throws: BundleError.self) { try BundleCrypto.unwrap(entry, with: recipient.agreement, bundleID: "other") }
            let stranger = StoreKeys(random: env.randomBytes(64))
            #expect(throws: BundleError.self) { try BundleCrypto.unwrap(entry, with: stranger.agreement, bundleID: "b-\(seed)") }
        }
    }
}
