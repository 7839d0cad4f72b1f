@testable import FieldbookCommands
import FieldbookTestSupport
import Foundation
import GRDB
import Testing

/// The key commands parsed in process: no store, no binary.
@Suite struct TrustParsingTests {
    @Test func theKeyCommandsParse() throws {
        #expect(try Fieldbook.parseAsRoot(["keys"]) is Fieldbook.Keys.Show)
        let export = try #require(try Fieldbook.parseAsRoot(["keys", "export"]) as? Fieldbook.Keys.Export)
        #expect(export.out == "office.fbkey")
        let backup = try #require(
            try Fieldbook.parseAsRoot(["keys", "backup", "--out", "k.bak", "--passphrase-file", "p.txt"]) as? Fieldbook.Keys.Backup)
        #expect(backup.out == "k.bak" && backup.passphraseFile == "p.txt")
        #expect(try Fieldbook.parseAsRoot(["keys", "restore", "k.bak"]) is Fieldbook.Keys.Restore)
        #expect(try Fieldbook.parseAsRoot(["keys", "pin", "office.fbkey"]) is Fieldbook.Keys.Pin)
        #expect(try Fieldbook.parseAsRoot(["enroll", "--out", "stick"]) is Fieldbook.Enroll)
        let devices = try #require(try Fieldbook.parseAsRoot(["devices", "--format", "json"]) as? Fieldbook.Devices)
        #expect(devices.format == .json)
        let enroll = try #require(
            try Fieldbook.parseAsRoot(["devices", "enroll", "r.fbenroll", "--fingerprint", "1 2"]) as? Fieldbook.Devices.EnrollRequest)
        #expect(enroll.fingerprint == "1 2" && !enroll.yes)
        let revoke = try #require(try Fieldbook.parseAsRoot(["devices", "revoke", "笔记本1", "--after-seq", "12"]) as? Fieldbook.Devices.Revoke)
        #expect(revoke.afterSeq == 12)
        let policy = try #require(try Fieldbook.parseAsRoot(["devices", "policy", "--allow-unsigned"]) as? Fieldbook.Devices.Policy)
        #expect(policy.choice == .allowUnsigned)
        #expect((try Fieldbook.parseAsRoot(["devices", "policy"]) as? Fieldbook.Devices.Policy)?.choice == nil)
    }

    @Test(
        "the key commands' usage errors exit 64 and name what is at fault",
        arguments: [
            (["keys", "backup"], "--out"),
            (["keys", "restore"], "file"),
            (["enroll"], "--out"),
            (["devices", "revoke"], "device"),
            (["devices", "--format", "xml"], "xml"),
            (["devices", "policy", "--auto", "--require"], "--require"),
        ])
    func usageErrors(arguments: [String], named: String) throws {
        do {
            _ = try Fieldbook.parseAsRoot(arguments)
            Issue.record("\(arguments) should not parse")
        } catch {
            #expect(Fieldbook.exitCode(for: error).rawValue == 64)
            #expect(Fieldbook.fullMessage(for: error).contains(named), "\(Fieldbook.fullMessage(for: error))")
        }
    }
}

/// Keys, enrollment, revocation and key backups, through the built binary.
@Suite struct TrustCommandTests {
    /// The fingerprints (six groups of five digits) in `text`, in order.
    func fingerprints(_ text: String) -> [String] {
        text.matches(of: #/\d{5}(?: \d{5}){5}/#).map { String($0.output) }
    }

    /// An office (office.sqlite) that exported office.fbkey, and a laptop (fieldbook.sqlite) that
    /// pinned it at init; returns the office's fingerprint.
    func officeAndLaptop(_ s: Sandbox) throws -> String {
        let created = try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        let office = try #require(fingerprints(created).first, "\(created)")
        try s.ok("keys", "export", "--db", "office.sqlite", "--out", "office.fbkey")
        try s.ok("init", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--round", "五届第五轮", "--office", "office.fbkey")
        return office
    }

    /// Enrolls the laptop at `db` (its request written to `stick`) at the office, comparing the
    /// fingerprint as a person would.
    func enroll(_ s: Sandbox, db: String = "fieldbook.sqlite", stick: String = "stick") throws -> String {
        let wrote = try s.ok("enroll", "--db", db, "--out", stick)
        let fingerprint = try #require(fingerprints(wrote).first, "\(wrote)")
        let file = try #require(wrote.firstMatch(of: #/Wrote (\S+\.fbenroll)/#)?.output.1, "\(wrote)")
        try s.ok("devices", "enroll", "--db", "office.sqlite", String(file), "--fingerprint", fingerprint)
        return fingerprint
    }

    @Test("init --central makes the office's keys and prints their fingerprint; keys show prints it again")
    func initCentralPrintsAFingerprint() throws {
        let s = Sandbox()
        let created = try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办")
        let fingerprint = try #require(fingerprints(created).first, "\(created)")
        #expect(created.contains("keys backup"), "\(created)")
        let shown = try s.ok("keys", "show", "--db", "office.sqlite")
        #expect(shown.split(separator: "\n").contains("fingerprint \(fingerprint)"), "\(shown)")
        #expect(shown.contains("0 enrolled, 0 revoked"), "\(shown)")
        #expect(try s.ok("keys", "--db", "office.sqlite") == shown)
        let status = try s.ok("status", "--db", "office.sqlite")
        #expect(status.contains("trust      keys made (fingerprint \(fingerprint)); 0 devices enrolled, 0 revoked; unsigned bundles accepted"), "\(status)")
    }

    @Test("keys export writes office.fbkey once; init --device --office pins it and shows the office's fingerprint")
    func exportThenPinAtInit() throws {
        let s = Sandbox()
        let office = try officeAndLaptop(s)
        let file = try #require(s.contents("office.fbkey"))
        #expect(String(decoding: file, as: UTF8.self).contains("\"fieldbook\":\"office-key\""))
        expectFailure(try s.run("keys", "export", "--db", "office.sqlite", "--out", "office.fbkey"), code: 73, naming: ["office.fbkey", "already exists"])
        #expect(s.contents("office.fbkey") == file)

        let shown = try s.ok("keys", "show")
        #expect(fingerprints(shown).count == 2 && fingerprints(shown).last == office, "\(shown)")
        #expect(shown.contains("巡察办"), "\(shown)")
        #expect(shown.contains("enrolled    not yet"), "\(shown)")
        let status = try s.ok("status")
        #expect(status.contains("trust      keys made; office 巡察办 pinned; not enrolled yet"), "\(status)")
        // The laptop's keys go to the office in a request, not in office.fbkey.
        expectFailure(try s.run("keys", "export", "--out", "laptop.fbkey"), code: 77, naming: ["fieldbook enroll"])
        #expect(!FileManager.default.fileExists(atPath: s.path("laptop.fbkey")))
    }

    @Test("init --office with a missing, damaged or foreign file says so in one line and leaves no store")
    func badOfficeFileLeavesNoStore() throws {
        let s = Sandbox()
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办")
        try s.ok("keys", "export", "--db", "office.sqlite")
        let good = String(decoding: try #require(s.contents("office.fbkey")), as: UTF8.self)
        let sign = try #require(good.firstMatch(of: #/"sign":"([A-Za-z0-9+\/]{10})/#)?.output.1)
        s.write("damaged.fbkey", good.replacingOccurrences(of: sign, with: String(sign.reversed())))
        s.write("roster.fbkey", "乡镇,村\n")
        let init_ = ["init", "--device", "笔记本1", "--office"]
        expectFailure(try s.run(init_ + ["missing.fbkey"]), code: 66, naming: ["missing.fbkey"])
        expectFailure(try s.run(init_ + ["damaged.fbkey"]), code: 65, naming: ["damaged.fbkey", "damaged"])
        expectFailure(try s.run(init_ + ["roster.fbkey"]), code: 65, naming: ["roster.fbkey", "not an office key file"])
        #expect(!FileManager.default.fileExists(atPath: s.path("fieldbook.sqlite")))
        // An office made with --office pins the office above it; a bad file leaves no store either.
        expectFailure(try s.run("init", "--db", "county.sqlite", "--central", "--device", "县办", "--office", "damaged.fbkey"), code: 65, naming: ["damaged.fbkey"])
        #expect(!FileManager.default.fileExists(atPath: s.path("county.sqlite")))
    }

    @Test("keys pin pins a laptop made without --office, once; a laptop never trusts a second office")
    func keysPin() throws {
        let s = Sandbox()
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办")
        try s.ok("keys", "export", "--db", "office.sqlite")
        try s.ok("init", "--db", "other.sqlite", "--central", "--device", "别的办")
        try s.ok("keys", "export", "--db", "other.sqlite", "--out", "other.fbkey")
        let created = try s.ok("init", "--device", "笔记本1")
        #expect(created.split(separator: "\n").count == 1, "as before keys existed: \(created)")
        #expect(try s.ok("keys", "show").contains("none pinned: `fieldbook keys pin office.fbkey`"))
        let pinned = try s.ok("keys", "pin", "office.fbkey")
        #expect(pinned.hasPrefix("Pinned the office's keys from office.fbkey: 巡察办, fingerprint "), "\(pinned)")
        #expect(try s.ok("keys", "pin", "office.fbkey").contains("already trusts these keys"))
        expectFailure(try s.run("keys", "pin", "other.fbkey"), code: 77, naming: ["another office"])
        // On an office, pin names the office above it, once; its own file is refused.
        #expect(try s.ok("keys", "pin", "--db", "office.sqlite", "other.fbkey").hasPrefix("Pinned the office above this one from other.fbkey: 别的办"))
        expectFailure(try s.run("keys", "pin", "--db", "office.sqlite", "office.fbkey"), code: 77, naming: ["this office's own key file"])
    }

    @Test("enroll writes a request; devices enroll wants the fingerprint the laptop shows")
    func enrollComparesTheFingerprint() throws {
        let s = Sandbox()
        _ = try officeAndLaptop(s)
        let wrote = try s.ok("enroll", "--out", "stick")
        let fingerprint = try #require(fingerprints(wrote).first)
        #expect(fingerprints(try s.ok("keys", "show")).first == fingerprint)
        let names = try FileManager.default.contentsOfDirectory(atPath: s.path("stick"))
        #expect(names.count == 1 && names[0].hasPrefix("第一组-笔记本1_") && names[0].hasSuffix(".fbenroll"), "\(names)")
        let request = "stick/" + names[0]
        // Writing it again leaves the file as it is.
        #expect(try s.ok("enroll", "--out", "stick").contains("already holds this laptop's request"))

        let enroll = ["devices", "enroll", "--db", "office.sqlite", request]
        expectFailure(try s.run(enroll), code: 64, naming: [request, "--fingerprint"])
        let wrong = "12345 67890 12345 67890 12345 67890"
        expectFailure(try s.run(enroll + ["--fingerprint", wrong]), code: 77, naming: [wrong, fingerprint, "Nothing was enrolled"])
        expectFailure(try s.run(enroll + ["--fingerprint", "12345"]), code: 64, naming: ["fingerprint", "30 digits"])
        #expect(try s.ok("devices", "--db", "office.sqlite").contains("0 enrolled"))

        let done = try s.ok(enroll + ["--fingerprint", fingerprint.replacingOccurrences(of: " ", with: "")])
        #expect(done.hasPrefix("Enrolled 第一组-笔记本1 (id "), "\(done)")
        #expect(done.contains("team 第一巡察组") && done.contains("pack --roster"), "\(done)")
        #expect(try s.ok(enroll + ["--yes"]).contains("enrolled already with these keys; nothing changed"))

        // A laptop refuses the office's verb; an office's request is for the office above it.
        #expect(try s.ok("enroll", "--db", "office.sqlite", "--out", "stick").contains("This office's fingerprint, to read to the office above"))
        expectFailure(try s.run("devices", "enroll", request, "--yes"), code: 77, naming: ["only the office enrolls"])
        // A request altered on the way is refused.
        var text = String(decoding: try #require(s.contents(request)), as: UTF8.self)
        let body = try #require(text.firstMatch(of: #/"request":"([A-Za-z0-9+\/]{20})/#)?.output.1)
        text = text.replacingOccurrences(of: body, with: String(body.reversed()))
        s.write("altered.fbenroll", text)
        expectFailure(try s.run("devices", "enroll", "--db", "office.sqlite", "altered.fbenroll", "--yes"), code: 65, naming: ["altered.fbenroll"])
        expectFailure(try s.run("devices", "enroll", "--db", "office.sqlite", "none.fbenroll", "--yes"), code: 66, naming: ["none.fbenroll"])
    }

    @Test("devices lists enrolled, pending and revoked devices; revoke says what stays and what is refused")
    func devicesEnrolledPendingRevoked() throws {
        let s = try Sandbox.withStore()
        // fieldbook.sqlite records two visits, packs them, and the office merges them: pending.
        try s.record("visit", "DG001")
        try s.record("visit", "DG002")
        try s.ok("pack", "--out", "laptop-stick")
        try s.ok("merge", "--db", "office.sqlite", "laptop-stick")
        try s.ok("keys", "export", "--db", "office.sqlite")
        for name in ["笔记本A", "笔记本B"] {
            try s.ok("init", "--db", "\(name).sqlite", "--device", name, "--team", "第二巡察组", "--office", "office.fbkey")
            _ = try enroll(s, db: "\(name).sqlite", stick: "stick-\(name)")
        }
        let revoked = try s.ok("devices", "revoke", "--db", "office.sqlite", "笔记本B")
        #expect(revoked.hasPrefix("Revoked 笔记本B (id "), "\(revoked)")
        #expect(revoked.contains("after change 0"), "\(revoked)")
        #expect(revoked.contains("Kept: none of its changes."), "\(revoked)")
        #expect(revoked.contains("Refused: every change of it after 0"), "\(revoked)")
        #expect(revoked.contains("The next `fieldbook pack --roster` carries the revocation to the laptops."), "\(revoked)")
        expectFailure(try s.run("devices", "revoke", "--db", "office.sqlite", "笔记本B", "--after-seq", "5"), code: 77, naming: ["only move earlier"])
        expectFailure(try s.run("devices", "revoke", "--db", "office.sqlite", "没有这台"), code: 64, naming: ["没有这台"])
        expectFailure(try s.run("devices", "revoke", "笔记本A"), code: 77, naming: ["only the office"])

        let table = try s.ok("devices", "--db", "office.sqlite")
        let lines = table.split(separator: "\n").map(String.init)
        func row(_ name: String) -> String { lines.first { $0.hasPrefix(name + " ") } ?? "" }
        #expect(row("笔记本A").contains("enrolled"), "\(table)")
        #expect(row("笔记本B").contains("revoked after 0"), "\(table)")
        #expect(row("第一组-笔记本1").contains("pending"), "\(table)")
        #expect(row("第一组-笔记本1").contains("第一组-笔记本1_s1-"), "the last bundle: \(table)")
        #expect(row("巡察办").contains("this (office)"), "\(table)")
        #expect(lines.last == "1 enrolled, 1 pending, 1 revoked.", "\(table)")
        #expect(fingerprints(row("笔记本A")).count == 1, "\(table)")

        let json = try #require(try parseJSON(try s.ok("devices", "--db", "office.sqlite", "--format", "json")) as? [[String: Any]])
        let laptop = try #require(json.first { $0["name"] as? String == "第一组-笔记本1" })
        #expect(laptop["standing"] as? String == "pending")
        #expect((laptop["last_seq"] as? Int ?? 0) >= 3 && laptop["held_through_seq"] as? Int == laptop["last_seq"] as? Int)
        #expect(json.first { $0["name"] as? String == "笔记本B" }?["revoked_after_seq"] as? Int == 0)
        let csv = try s.ok("devices", "--db", "office.sqlite", "--format", "csv")
        #expect(csv.hasPrefix("\u{FEFF}id,device,team,role,standing,"), "\(csv)")
        #expect(csv.split(separator: "\r\n").count == 5, "\(csv)")

        let policy = try s.ok("devices", "policy", "--db", "office.sqlite")
        #expect(policy == "Signature policy: auto.\nSignatures are required now: the trust list names 2 devices, so unsigned (format 1) bundles are refused.\n", "\(policy)")
        let allow = try s.ok("devices", "policy", "--db", "office.sqlite", "--allow-unsigned")
        #expect(allow.hasPrefix("Signature policy changed from auto to allow-unsigned.\nSignature policy: allow-unsigned.\nSignatures are not required"), "\(allow)")
        #expect(try s.ok("devices", "policy", "--db", "office.sqlite", "--auto").contains("required now"))
        expectUsageError(try s.run("devices", "policy", "--db", "office.sqlite", "--auto", "--require"), naming: ["--auto", "--require"])
    }

    @Test("keys backup and keys restore through the command line, with a passphrase file")
    func backupAndRestore() throws {
        let s = Sandbox()
        let office = try officeAndLaptop(s)
        _ = try enroll(s)
        s.write("pass.txt", "正确 horse battery staple\nsecond line is ignored\n")
        s.write("wrong.txt", "a wrong passphrase\n")
        s.write("short.txt", "1234567\n")
        let backup = ["keys", "backup", "--db", "office.sqlite", "--out", "office.fbbackup"]
        expectFailure(try s.run(backup), code: 64, naming: ["--passphrase-file", "FIELDBOOK_PASSPHRASE"])
        expectFailure(try s.run(backup + ["--passphrase-file", "short.txt"]), code: 64, naming: ["passphrase", "at least 8"])
        #expect(!FileManager.default.fileExists(atPath: s.path("office.fbbackup")))
        let wrote = try s.ok(backup + ["--passphrase-file", "pass.txt"])
        #expect(wrote.contains("office.fbbackup") && wrote.contains(office) && wrote.contains("1 device enrolled"), "\(wrote)")
        let attributes = try FileManager.default.attributesOfItem(atPath: s.path("office.fbbackup"))
        #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o077 == 0, "only its owner reads the backup")
        expectFailure(try s.run(backup + ["--passphrase-file", "pass.txt"]), code: 73, naming: ["office.fbbackup", "already exists"])
        expectFailure(try s.run("keys", "backup", "--out", "laptop.fbbackup", "--passphrase-file", "pass.txt"), code: 77, naming: ["office"])

        // A new office machine: a new central store, then the backup.
        let made = try s.ok("init", "--db", "new.sqlite", "--central", "--device", "巡察办")
        let fresh = try #require(fingerprints(made).first)
        #expect(fresh != office)
        let restore = ["keys", "restore", "--db", "new.sqlite", "office.fbbackup"]
        expectFailure(try s.run(restore + ["--passphrase-file", "wrong.txt"]), code: 65, naming: ["office.fbbackup", "passphrase is wrong"])
        expectFailure(try s.run(restore), code: 64, naming: ["passphrase"])
        expectFailure(try s.run(["keys", "restore", "--db", "new.sqlite", "none.fbbackup", "--passphrase-file", "pass.txt"]), code: 66, naming: ["none.fbbackup"])
        expectFailure(try s.run(["keys", "restore", "office.fbbackup", "--passphrase-file", "pass.txt"]), code: 77, naming: ["office store"])
        #expect(fingerprints(try s.ok("keys", "show", "--db", "new.sqlite")).first == fresh)

        let restored = try s.ok(restore + ["--passphrase-file", "pass.txt"])
        #expect(restored.contains("fingerprint \(office)") && restored.contains("Devices: 1 enrolled, 0 revoked"), "\(restored)")
        #expect(restored.contains(fresh), "it names the keys it replaced: \(restored)")
        #expect(fingerprints(try s.ok("keys", "show", "--db", "new.sqlite")).first == office)
        let devices = try s.ok("devices", "--db", "new.sqlite")
        #expect(devices.contains("第一组-笔记本1") && devices.contains("1 enrolled"), "\(devices)")
        // Again: harmless. From $FIELDBOOK_PASSPHRASE too.
        let again = try s.run(restore, environment: ["FIELDBOOK_PASSPHRASE": "正确 horse battery staple"])
        #expect(again.status == 0 && again.stderr.isEmpty, "\(again)")
        #expect(try s.ok("devices", "--db", "new.sqlite") == devices)
        // The office the backup came from does not take another office's keys over its enrolled laptop.
        try s.ok("init", "--db", "other.sqlite", "--central", "--device", "别的办")
        s.write("other-pass.txt", "another passphrase\n")
        try s.ok("keys", "backup", "--db", "other.sqlite", "--out", "other.fbbackup", "--passphrase-file", "other-pass.txt")
        expectFailure(
            try s.run("keys", "restore", "--db", "office.sqlite", "other.fbbackup", "--passphrase-file", "other-pass.txt"),
            code: 77, naming: [office, "enrolled 1 device with them"])
    }

    /// A passphrase file saved on Windows (CRLF line ends, a byte-order mark) was taken whole:
    /// `"\r\n"` is one Swift character, so the first line ran to the file's end, and the backup
    /// opened only with that very file. Its first line is the passphrase now; a file that is not
    /// UTF-8 is refused; a backup an earlier release made with such a file still opens with it.
    @Test("a passphrase file is read as its first line, whatever its line ends")
    func passphraseFileLines() throws {
        let data = { (text: String) in Data(text.utf8) }
        #expect(try Passphrase.firstLine(data("correct horse\r\nkept in safe 3\r\n"), file: "p") == "correct horse")
        #expect(try Passphrase.firstLine(data("\u{FEFF}correct horse\n"), file: "p") == "correct horse")
        #expect(try Passphrase.firstLine(data("correct horse\rold Mac\r"), file: "p") == "correct horse")
        #expect(try Passphrase.firstLine(data("正确 horse battery staple"), file: "p") == "正确 horse battery staple")
        #expect(try Passphrase.firstLine(data(""), file: "p") == "")
        #expect(Passphrase.earlierReading(data("correct horse\r\nkept in safe 3\r\n")) == "correct horse\r\nkept in safe 3\r\n")

        let s = Sandbox()
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办")
        try s.write("windows.txt", bytes: [0xEF, 0xBB, 0xBF] + Array("correct horse\r\nkept in safe 3\r\n".utf8))
        try s.ok("keys", "backup", "--db", "office.sqlite", "--out", "a.fbbackup", "--passphrase-file", "windows.txt")
        try s.ok("init", "--db", "new.sqlite", "--central", "--device", "巡察办")
        let typed = try s.run(["keys", "restore", "--db", "new.sqlite", "a.fbbackup"], environment: ["FIELDBOOK_PASSPHRASE": "correct horse"])
        #expect(typed.status == 0, "the first line is the passphrase: \(typed)")

        try s.write("latin1.txt", bytes: [0x63, 0x61, 0x66, 0xE9, 0x20, 0x63, 0x72, 0xE8, 0x6D, 0x65, 0x0A])
        expectFailure(
            try s.run("keys", "backup", "--db", "office.sqlite", "--out", "b.fbbackup", "--passphrase-file", "latin1.txt"),
            code: 65, naming: ["latin1.txt", "UTF-8"])
        #expect(!FileManager.default.fileExists(atPath: s.path("b.fbbackup")))

        // What an earlier release made of windows.txt: the whole file, BOM and all.
        let earlier = "\u{FEFF}correct horse\r\nkept in safe 3\r\n"
        let old = try s.run(["keys", "backup", "--db", "office.sqlite", "--out", "old.fbbackup"], environment: ["FIELDBOOK_PASSPHRASE": earlier])
        #expect(old.status == 0, "\(old)")
        try s.ok("init", "--db", "third.sqlite", "--central", "--device", "巡察办")
        try s.ok("keys", "restore", "--db", "third.sqlite", "old.fbbackup", "--passphrase-file", "windows.txt")
    }

    @Test("status on a laptop says how many of its changes the office confirmed")
    func statusConfirmations() throws {
        let s = try Sandbox.withStore()
        try s.record("visit", "DG001")
        try s.record("visit", "DG002")
        let before = try s.ok("status")
        #expect(!before.contains("confirmed  "), "\(before)")
        // What a merged trust list leaves behind: the office holds this laptop's changes 1–3.
        let queue = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        let (id, last) = try queue.read { db in
            (try String.fetchOne(db, sql: "SELECT device_id FROM local_state")!, try Int64.fetchOne(db, sql: "SELECT last_seq FROM local_state")!)
        }
        try queue.write { db in
            try db.execute(sql: "INSERT INTO receipt (device_id, through_seq) VALUES (?, ?)", arguments: [id, last - 1])
        }
        try queue.close()
        let status = try s.ok("status")
        #expect(
            status.contains("confirmed  \(last - 1) of your \(last) changes are confirmed at the office; 1 not yet (pack --unconfirmed re-packs them)"),
            "\(status)")
    }
}
