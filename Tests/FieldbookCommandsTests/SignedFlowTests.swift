import FieldbookTestSupport
import Foundation
import Testing

/// The trust flow through the built binary, as the office and a team run it: keys, enrollment, the
/// signed roster, a sealed stick, and every refusal a clerk meets as one line with the exit code.
@Suite struct SignedFlowTests {
    func fingerprint(_ text: String) -> String? {
        text.firstMatch(of: #/\d{5}(?: \d{5}){5}/#).map { String($0.output) }
    }

    /// An office with the sample roster and keys, and the laptop `db` enrolled there (the
    /// fingerprint compared); returns the request file's path.
    func enrolledLaptop(_ s: Sandbox, db: String, name: String) throws {
        try s.ok("init", "--db", db, "--device", name, "--team", "第一巡察组", "--round", "五届第五轮", "--office", "office.fbkey")
        let wrote = try s.ok("enroll", "--db", db, "--out", "requests")
        let file = try #require(wrote.firstMatch(of: #/Wrote (\S+\.fbenroll)/#)?.output.1, "\(wrote)")
        try s.ok("devices", "enroll", "--db", "office.sqlite", String(file), "--fingerprint", try #require(fingerprint(wrote)))
    }

    func office(_ s: Sandbox) throws {
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        s.write("roster.csv", sampleRosterCSV)
        try s.ok("roster", "import", "--db", "office.sqlite", "roster.csv")
        try s.ok("keys", "export", "--db", "office.sqlite", "--out", "office.fbkey")
    }

    @Test("keys, enrollment, a sealed stick, and each refusal: one line, exit 65, nothing merged")
    func theWholeFlow() throws {
        let s = Sandbox()
        try office(s)
        try enrolledLaptop(s, db: "a.sqlite", name: "第一组-笔记本1")
        let roster = try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "roster")
        #expect(roster.contains("Signed by this store's key and encrypted"), "\(roster)")
        let took = try s.ok("merge", "--db", "a.sqlite", "roster")
        #expect(took.contains("signed by 巡察办") && took.contains("trust list, version"), "\(took)")

        let secret = "举报人反映村支书优亲厚友"
        try s.record("visit", "--db", "a.sqlite", "DG001", "--note", secret)
        let packed = try s.ok("pack", "--db", "a.sqlite", "--out", "stick")
        #expect(packed.contains("encrypted to 2 keys"), "\(packed)")
        let bundle = try #require(try FileManager.default.contentsOfDirectory(atPath: s.path("stick")).first)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: s.path("stick/\(bundle)")))
        #expect(bytes.range(of: Data(secret.utf8)) == nil)

        // verify alone judges the envelope and says what it cannot; with the office's store, all of it.
        let alone = try s.ok("verify", "stick")
        #expect(alone.contains("envelope sound") && alone.contains("encrypted"), "\(alone)")
        #expect(try s.ok("verify", "--db", "office.sqlite", "stick").contains(": sound"))

        // An altered copy, and a laptop the office never enrolled: refused, one line each.
        var altered = bytes
        altered[altered.count - 80] ^= 0x01
        try FileManager.default.createDirectory(atPath: s.path("bad"), withIntermediateDirectories: true)
        try altered.write(to: URL(fileURLWithPath: s.path("bad/altered.fbundle")))
        try s.ok("init", "--db", "stranger.sqlite", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--office", "office.fbkey")
        try s.ok("pack", "--db", "stranger.sqlite", "--out", "bad")
        let before = try s.ok("status", "--db", "office.sqlite")
        let refused = try s.run("merge", "--db", "office.sqlite", "bad")
        #expect(refused.status == 65, "\(refused)")
        let lines = refused.stdout.split(separator: "\n").filter { $0.hasPrefix("rejected") }
        #expect(lines.count == 2, "\(refused)")
        #expect(lines.contains { $0.contains("altered.fbundle") && ($0.contains("damaged") || $0.contains("altered")) }, "\(refused)")
        #expect(lines.contains { $0.contains("does not know") && $0.contains("devices enroll") }, "\(refused)")
        #expect(try s.ok("status", "--db", "office.sqlite") == before)

        // The real stick merges; then the laptop is revoked, and its next stick is refused.
        let merged = try s.ok("merge", "--db", "office.sqlite", "stick")
        #expect(merged.contains("signed by 第一组-笔记本1"), "\(merged)")
        let revoked = try s.ok("devices", "revoke", "--db", "office.sqlite", "第一组-笔记本1")
        #expect(revoked.contains("3"), "\(revoked)")
        try s.record("visit", "--db", "a.sqlite", "DG002")
        try s.ok("pack", "--db", "a.sqlite", "--out", "later")
        let late = try s.run("merge", "--db", "office.sqlite", "later")
        #expect(late.status == 65 && late.stdout.contains("revoked after its change 3"), "\(late)")

        // An unsigned (format 1) bundle is refused now that devices are enrolled, saying what to do.
        try s.ok("init", "--db", "old.sqlite", "--device", "旧笔记本", "--round", "五届第五轮")
        try s.ok("pack", "--db", "old.sqlite", "--out", "old")
        let old = try s.run("merge", "--db", "office.sqlite", "old")
        #expect(old.status == 65 && old.stdout.contains("unsigned") && old.stdout.contains("devices policy --allow-unsigned"), "\(old)")
    }

    @Test("receipts: the office's roster bundle tells the laptop what is safe; pack --unconfirmed re-packs the rest")
    func receipts() throws {
        let s = Sandbox()
        try office(s)
        try enrolledLaptop(s, db: "a.sqlite", name: "第一组-笔记本1")
        try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "r1")
        try s.ok("merge", "--db", "a.sqlite", "r1")
        try s.record("visit", "--db", "a.sqlite", "DG001")
        try s.ok("pack", "--db", "a.sqlite", "--out", "s1")
        try s.ok("merge", "--db", "office.sqlite", "s1")
        try s.record("visit", "--db", "a.sqlite", "DG002")
        try s.ok("pack", "--db", "a.sqlite", "--out", "lost")
        try s.ok("pack", "--db", "office.sqlite", "--roster", "--out", "r2")
        try s.ok("merge", "--db", "a.sqlite", "r2")
        let status = try s.ok("status", "--db", "a.sqlite")
        #expect(status.contains("3 of your 4 changes are confirmed at the office; 1 not yet"), "\(status)")
        let again = try s.ok("pack", "--db", "a.sqlite", "--unconfirmed", "--out", "again")
        #expect(again.contains("Packed 1 change into"), "\(again)")
        let merged = try s.ok("merge", "--db", "office.sqlite", "again")
        #expect(merged.contains("(1 new)"), "\(merged)")
    }
}
