import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCommands
@testable import FieldbookCore

/// Helpers the fault tests share.
enum Faults {
    /// A laptop's store with the sample roster and two visits not yet packed.
    static func laptopWithVisits() throws -> Sandbox {
        let s = try Sandbox.withStore()
        try s.record("visit", "DG001", "--note", "户主在家")
        try s.record("visit", "DG002")
        return s
    }

    /// Every name in `folder` of the sandbox, hidden ones too; empty when there is no such folder.
    static func names(_ s: Sandbox, _ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: s.path(folder))) ?? []).sorted()
    }

    /// The first 12 hex digits of this machine's boot id, read here independently of the product.
    static let bootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return nil
        }
        let hex = text.lowercased().filter(\.isHexDigit)
        return hex.count >= 12 ? String(hex.prefix(12)) : nil
    }()

    /// Whether this user can make a file immutable here (root, and a file system that has the flag).
    static let immutableFilesWork: Bool = {
        guard geteuid() == 0, LoopMount.tool("chattr") != nil else { return false }
        let folder = TemporaryDirectory("fieldbook-chattr")
        let probe = folder.write("probe", "")
        guard (try? LoopMount.run("chattr", "+i", probe)) != nil else { return false }
        _ = try? LoopMount.run("chattr", "-i", probe)
        return true
    }()

    /// The id of a process that has just ended.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// The line of `text` that starts with `prefix`.
    static func line(_ text: String, startingWith prefix: String) -> String? {
        text.split(separator: "\n").map(String.init).first { $0.hasPrefix(prefix) }
    }
}

/// `pack` when the store cannot record what it packed, or the folder cannot take the bundle: a
/// message naming what failed and why, exit 74, and no bundle and no temporary file left behind.
@Suite("Pack under faults")
struct PackFaultTests {
    @Test(
        "pack from a store on a write-protected stick names the store and why, exits 74, writes no bundle",
        .enabled(if: LoopMount.available, "\(LoopMount.why)"))
    func readOnlyStore() throws {
        let s = try Faults.laptopWithVisits()
        let stick = try LoopMount()
        defer { stick.close() }
        try FileManager.default.copyItem(atPath: s.path("fieldbook.sqlite"), toPath: stick.path("fieldbook.sqlite"))
        try stick.remountReadOnly()
        let before = try stick.listing()
        let store = stick.path("fieldbook.sqlite")

        let result = try s.run("pack", "--db", store, "--out", "out")
        expectFailure(result, code: 74, naming: [store, "read-only"])
        #expect(Faults.names(s, "out").isEmpty, "a bundle was left in --out: \(Faults.names(s, "out"))")
        #expect(try stick.listing() == before)
        // The store still counts its changes as not yet packed.
        let status = try s.ok("status", "--db", store)
        #expect(status.contains("16 not yet packed"), "\(status)")
    }

    @Test(
        "pack from a store whose write lock SQLite refuses (a read-only log beside it) writes no bundle",
        .enabled(if: Faults.immutableFilesWork, "needs root and `chattr +i` to make the store's -wal read-only"))
    func storeWriteRefused() throws {
        let s = try Faults.laptopWithVisits()
        let wal = s.path("fieldbook.sqlite-wal")
        _ = FileManager.default.createFile(atPath: wal, contents: nil)
        try LoopMount.run("chattr", "+i", wal)
        defer { _ = try? LoopMount.run("chattr", "-i", wal) }

        let result = try s.run("pack", "--out", "out")
        expectFailure(result, code: 74, naming: ["fieldbook.sqlite", "cannot be written"])
        #expect(Faults.names(s, "out").isEmpty, "a bundle was left in --out: \(Faults.names(s, "out"))")

        try LoopMount.run("chattr", "-i", wal)
        let packed = try s.ok("pack", "--out", "out")
        #expect(packed.contains("Packed 4 changes"), "\(packed)")
    }

    @Test("a bundle written before the store fails to record it is removed, and its changes stay to be packed")
    func markCannotMove() throws {
        let s = try Faults.laptopWithVisits()
        let before = try s.ok("status")
        #expect(before.contains("16 not yet packed"), "\(before)")
        // The store fails the write that moves the "packed up to" mark, after the bundle is
        // written: as a disk that fills up or fails at that moment would.
        let db = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try db.write {
            try $0.execute(sql: """
                CREATE TRIGGER injected_fault BEFORE UPDATE OF packed_through ON local_state
                BEGIN SELECT RAISE(ABORT, 'injected fault'); END
                """)
        }
        try db.close()

        let result = try s.run("pack", "--out", "out")
        expectFailure(result, code: 74, naming: ["fieldbook.sqlite", "Nothing was written"])
        #expect(Faults.names(s, "out").isEmpty, "a bundle was left in --out: \(Faults.names(s, "out"))")
        #expect(try s.ok("status") == before)

        let repaired = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try repaired.write { try $0.execute(sql: "DROP TRIGGER injected_fault") }
        try repaired.close()
        let packed = try s.ok("pack", "--out", "out")
        #expect(packed.contains("Packed 4 changes"), "\(packed)")
        #expect(try s.ok("pack", "--out", "out").hasPrefix("Nothing to pack"))
    }

    @Test("pack --out naming a file says so in the product's words, exits 74, and leaves nothing")
    func outIsAFile() throws {
        let s = try Faults.laptopWithVisits()
        s.write("stick", "not a folder")
        let files = try s.fileNames()

        let result = try s.run("pack", "--out", "stick")
        expectFailure(result, code: 74, naming: ["--out stick", "it is a file, not a folder"])
        #expect(!result.stderr.contains(".."), "a doubled period: \(result)")
        #expect(!result.stderr.contains("operation"), "Foundation's text: \(result)")
        let nested = try s.run("pack", "--out", "stick/today")
        expectFailure(nested, code: 74, naming: ["--out stick/today", "stick is a file, not a folder"])

        #expect(s.contents("stick") == Data("not a folder".utf8))
        #expect(try s.fileNames() == files)
        #expect(try s.ok("status").contains("16 not yet packed"))
    }

    @Test(
        "pack --out on a full stick says it is full, exits 74, and leaves nothing on the stick",
        .enabled(if: LoopMount.available, "\(LoopMount.why)"))
    func fullStick() throws {
        let s = try Faults.laptopWithVisits()
        let stick = try LoopMount()
        defer { stick.close() }
        let out = stick.path("bundles")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try stick.fill()
        let before = try stick.listing()

        let result = try s.run("pack", "--out", out)
        expectFailure(result, code: 74, naming: ["--out \(out)", "the disk is full"])
        #expect(!result.stderr.contains(".."), "a doubled period: \(result)")
        #expect(try stick.listing() == before)
        #expect(try s.ok("status").contains("16 not yet packed"))

        // With room made, the same changes are packed.
        try stick.emptyFillers()
        let packed = try s.ok("pack", "--out", out)
        #expect(packed.contains("Packed 4 changes"), "\(packed)")
    }
}

/// A pack killed in the middle of its write leaves hidden temporary files; the next pack into that
/// folder removes those it can prove are left over, and `status` shows them until then.
@Suite("Leftovers of interrupted packs")
struct LeftoverTests {
    @Test(
        "pack removes the temporary files interrupted packs left, and nothing else; status shows them first",
        .enabled(if: Faults.bootID != nil, "needs Linux's boot id"))
    func leftoversRemoved() throws {
        let s = try Faults.laptopWithVisits()
        try s.ok("pack")
        let real = try #require(Faults.names(s, "bundles").first)
        let realBytes = try #require(s.contents("bundles/\(real)"))
        try s.record("visit", "DG003")

        let boot = try #require(Faults.bootID)
        let dead = try Faults.deadPID()
        let me = ProcessInfo.processInfo.processIdentifier
        let bundle = "第一组-笔记本1_s3-3_20261120-090000_0a1b2c3d.fbundle"
        let anHourAgo = Date().addingTimeInterval(-3600)
        // name, size, age, and whether pack may remove it.
        let files: [(String, Int, Date?, Bool)] = [
            // An earlier version's temporary files, untouched for an hour.
            (".\(bundle).tmp", 1000, anHourAgo, true),
            (".\(bundle).payload.tmp", 2000, anHourAgo, true),
            // This machine, a process that is gone.
            (".\(bundle).w\(boot)-\(dead).tmp", 3000, nil, true),
            (".\(bundle).w\(boot)-\(dead).payload.tmp", 4000, nil, true),
            // Another machine (or before a restart), an hour ago.
            (".\(bundle).w000000000000-77.payload.tmp", 500, anHourAgo, true),
            // Maybe being written now: this machine, a live process; another machine, just now;
            // an earlier version's, just now.
            (".\(bundle).w\(boot)-\(me).payload.tmp", 100, nil, false),
            (".\(bundle).w000000000000-77.tmp", 200, nil, false),
            (".x.fbundle.tmp", 300, nil, false),
        ]
        let foreign: [(String, Date?)] = [
            (".notes.tmp", anHourAgo), (".\(bundle).tmp.bak", anHourAgo), (".fbundle.tmp", anHourAgo),
            (".\(bundle).wABC-1.tmp", anHourAgo), ("\(bundle).tmp", anHourAgo),
        ]
        for (name, size, date, _) in files {
            try s.write("bundles/\(name)", bytes: [UInt8](repeating: 0x1F, count: size))
            if let date { try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: s.path("bundles/\(name)")) }
        }
        for (name, date) in foreign {
            s.write("bundles/\(name)", "someone else's")
            if let date { try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: s.path("bundles/\(name)")) }
        }
        // A folder with a temporary file's name is not a file a pack wrote.
        try FileManager.default.createDirectory(atPath: s.path("bundles/.\(bundle).payload.tmp.d"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: s.path("bundles/.y.fbundle.tmp"), withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.modificationDate: anHourAgo], ofItemAtPath: s.path("bundles/.y.fbundle.tmp"))

        let status = try s.ok("status")
        let line = try #require(Faults.line(status, startingWith: "leftovers"), "status does not mention the leftovers: \(status)")
        #expect(line.contains("8 temporary files (11.1 KB) of packs that did not finish, in bundles"), "\(line)")
        #expect(line.contains("3 may belong to a pack running now"), "\(line)")

        let packed = try s.ok("pack")
        let lines = packed.split(separator: "\n").map(String.init)
        #expect(lines.first == "Removed 5 temporary files (10.5 KB) that an interrupted pack left in bundles.", "\(packed)")
        #expect(lines.count == 3 && lines[1].hasPrefix("Packed 1 change into bundles/"), "\(packed)")

        let kept = Set(files.filter { !$0.3 }.map(\.0) + foreign.map(\.0) + [".\(bundle).payload.tmp.d", ".y.fbundle.tmp"])
        let left = Set(Faults.names(s, "bundles").filter { $0.hasPrefix(".") || !$0.hasSuffix(".fbundle") })
        #expect(left == kept)
        #expect(s.contents("bundles/\(real)") == realBytes)
        #expect(Faults.names(s, "bundles").filter { $0.hasSuffix(".fbundle") && !$0.hasPrefix(".") }.count == 2)
        try s.ok("verify", "bundles")

        let after = try s.ok("status")
        #expect(Faults.line(after, startingWith: "leftovers")?.contains("3 temporary files") == true, "\(after)")
    }

    @Test(
        "a pack killed in the middle of writing leaves its temporary file; status shows it; the next pack removes it",
        .enabled(
            if: LoopMount.tool("prlimit") != nil && LoopMount.tool("perl") != nil && Faults.bootID != nil,
            "needs prlimit (util-linux), perl and Linux's boot id"))
    func killedPack() throws {
        let s = try Faults.laptopWithVisits()
        let binary = try #require(FieldbookBinary.url)
        // Another connection holds the store open, so that its index (-shm) exists at its full size
        // and the pack's only growing file is its bundle: the file size limit stops the pack with
        // SIGXFSZ, a signal no cleanup code sees, in the middle of its payload.
        let holder = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try holder.read { _ = try Int.fetchOne($0, sql: "SELECT count(*) FROM change") }
        // A child starts with the signal mask of the test's thread, which blocks SIGXFSZ (the
        // write then only fails): perl unblocks every signal and restores their defaults.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(LoopMount.tool("perl")))
        process.arguments = [
            "-MPOSIX", "-e",
            #"sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; $SIG{XFSZ} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "exec: $!";"#,
            try #require(LoopMount.tool("prlimit")), "--fsize=300", "--core=0", "--", binary.path, "pack", "--all",
        ]
        process.currentDirectoryURL = s.url
        var environment = ProcessInfo.processInfo.environment
        environment["FIELDBOOK_DB"] = nil
        environment["FIELDBOOK_NOW"] = fixedNow
        environment["FIELDBOOK_TZ"] = "Asia/Shanghai"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try holder.close()
        #expect(process.terminationReason == .uncaughtSignal, "the pack was not stopped: exit \(process.terminationStatus)")

        let boot = try #require(Faults.bootID)
        let names = Faults.names(s, "bundles")
        #expect(names.count == 1, "\(names)")
        let leftover = try #require(names.first)
        #expect(leftover.hasPrefix(".第一组-笔记本1_all-s1-4_"), "\(leftover)")
        #expect(leftover.hasSuffix(".fbundle.w\(boot)-\(process.processIdentifier).payload.tmp"), "\(leftover)")

        let status = try s.ok("status")
        #expect(
            Faults.line(status, startingWith: "leftovers")?.contains("1 temporary files (300 bytes) of packs that did not finish, in bundles; the next `fieldbook pack` there removes them") == true,
            "\(status)")
        let packed = try s.ok("pack")
        #expect(packed.hasPrefix("Removed 1 temporary file (300 bytes) that an interrupted pack left in bundles.\nPacked 4 changes"), "\(packed)")
        let after = Faults.names(s, "bundles")
        #expect(after.count == 1 && after[0].hasSuffix(".fbundle") && !after[0].hasPrefix("."), "\(after)")
        #expect(Faults.line(try s.ok("status"), startingWith: "leftovers") == nil)
    }
}

/// `verify` and `merge` given a path they cannot read, or folders without bundles: a message that
/// names the path and says it cannot be read, exit 66, and nothing merged.
@Suite("Bundle paths that cannot be read")
struct UnreadableBundlePathTests {
    @Test("a path that is not there")
    func missing() throws {
        let s = try Faults.laptopWithVisits()
        let before = try s.snapshot()
        for command in ["verify", "merge"] {
            let result = try s.run(command, "stick")
            expectFailure(result, code: 66, naming: ["Cannot read stick", "no file or folder there"])
        }
        #expect(try s.snapshot() == before)
    }

    @Test("a file named as a folder")
    func fileAsFolder() throws {
        let s = try Faults.laptopWithVisits()
        s.write("stick", "a file")
        for command in ["verify", "merge"] {
            let result = try s.run(command, "stick/")
            expectFailure(result, code: 66, naming: ["Cannot read stick/", "that path is a file, not a folder"])
        }
    }

    @Test("an empty folder: it holds no bundle files, one line and no usage")
    func emptyFolder() throws {
        let s = try Faults.laptopWithVisits()
        try FileManager.default.createDirectory(atPath: s.path("stick"), withIntermediateDirectories: false)
        s.write("stick/notes.txt", "not a bundle")
        for command in ["verify", "merge"] {
            let result = try s.run(command, "stick")
            expectFailure(result, code: 66, naming: ["The folder stick holds no bundle files"])
            #expect(!result.stderr.contains("Usage"), "\(result)")
        }
        // An empty folder beside one with bundles is not an error.
        try s.ok("verify", "stick", "roster-bundles")
    }

    @Test(
        "a folder on a damaged stick, whose listing fails",
        .enabled(if: LoopMount.available && LoopMount.tool("debugfs") != nil, "\(LoopMount.why), and debugfs"))
    func damagedFolder() throws {
        let s = try Faults.laptopWithVisits()
        let stick = try LoopMount()
        defer { stick.close() }
        try FileManager.default.createDirectory(atPath: stick.path("bundles"), withIntermediateDirectories: false)
        try s.ok("pack", "--out", stick.path("bundles"))
        try stick.unmount()
        // Overwrite the folder's one block of entries: its checksum no longer matches.
        let blocks = try LoopMount.run("debugfs", "-R", "blocks /bundles", stick.image)
        let block = try #require(blocks.split(whereSeparator: \.isWhitespace).first.flatMap { UInt64($0) }, "debugfs: \(blocks)")
        let image = try FileHandle(forWritingTo: URL(fileURLWithPath: stick.image))
        try image.seek(toOffset: block * 1024)
        try image.write(contentsOf: Data(repeating: 0xA5, count: 1024))
        try image.close()
        try stick.mount(readOnly: true)
        let folder = stick.path("bundles")
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue)
        // The kernel finds the folder's checksum wrong (ext4's metadata_csum, mkfs's default).
        #expect(throws: BundlePaths.ListingFailure.self, "the damaged folder could still be listed") {
            try BundlePaths.listFolder(folder)
        }

        let before = try s.snapshot()
        for command in ["verify", "merge"] {
            let result = try s.run(command, folder)
            expectFailure(result, code: 66, naming: ["Cannot read \(folder)", "error while listing the folder"])
        }
        #expect(try s.snapshot() == before)
    }

    @Test("a folder whose listing fails, in process")
    func listingFails() throws {
        let folder = TemporaryDirectory("fieldbook-listing")
        func failing(_ path: String) throws(BundlePaths.ListingFailure) -> [String] {
            throw BundlePaths.ListingFailure(code: EIO)
        }
        let error = #expect(throws: FieldbookError.self) {
            try BundlePaths.expand([folder.url.path], list: failing)
        }
        guard case .unreadableInput(let path, let reason) = error else {
            Issue.record("expected unreadableInput, got \(String(describing: error))")
            return
        }
        #expect(path == folder.url.path)
        #expect(reason.contains("error while listing the folder"), "\(reason)")
        #expect(error?.exitCode == 66)
    }
}

/// A store on a write-protected stick is read as it stands: reports work, and nothing is written
/// beside it (no -wal, no -shm).
@Suite("Read-only stores")
struct ReadOnlyStoreTests {
    @Test(
        "status, tally and list of a store on a write-protected stick leave the stick as it was",
        .enabled(if: LoopMount.available, "\(LoopMount.why)"))
    func reportsLeaveNothing() throws {
        let s = try Faults.laptopWithVisits()
        let stick = try LoopMount()
        defer { stick.close() }
        try FileManager.default.copyItem(atPath: s.path("fieldbook.sqlite"), toPath: stick.path("fieldbook.sqlite"))
        try stick.remountReadOnly()
        let before = try stick.listing()
        let store = stick.path("fieldbook.sqlite")
        #expect(try s.ok("status", "--db", store).contains("16 not yet packed"))
        #expect(try s.ok("tally", "--db", store).contains("城关镇"))
        #expect(try s.ok("list", "--db", store).contains("DG002"))
        #expect(try stick.listing() == before)
    }

    @Test(
        "a store on a write-protected stick with changes still in its log (-wal) shows them, and leaves the stick as it was",
        .enabled(if: LoopMount.available, "\(LoopMount.why)"))
    func storeWithLog() throws {
        let s = try Faults.laptopWithVisits()
        // Another connection stays open, so that the next visit stays in the log when its command
        // ends, as on a laptop whose stick was pulled while a command ran.
        let holder = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try holder.read { _ = try Int.fetchOne($0, sql: "SELECT count(*) FROM change") }
        try s.record("visit", "DG003", "--note", "只在日志里")
        let stick = try LoopMount()
        defer { stick.close() }
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: s.path("fieldbook.sqlite" + suffix), toPath: stick.path("fieldbook.sqlite" + suffix))
        }
        try holder.close()
        let log = try FileManager.default.attributesOfItem(atPath: stick.path("fieldbook.sqlite-wal"))[.size] as? Int
        #expect((log ?? 0) > 0, "the visit did not stay in the log")
        try stick.remountReadOnly()
        let before = try stick.listing()
        let temporary = FileManager.default.temporaryDirectory.path
        let copies = { try FileManager.default.contentsOfDirectory(atPath: temporary).filter { $0.hasPrefix("fieldbook-read-") } }
        let copiesBefore = try copies()

        let store = stick.path("fieldbook.sqlite")
        #expect(try s.ok("status", "--db", store).contains("17 not yet packed"))
        #expect(try s.ok("tally", "--db", store).contains("城关镇"))
        #expect(try s.ok("list", "--db", store).contains("只在日志里"))
        #expect(try stick.listing() == before)
        #expect(try copies() == copiesBefore, "a private copy was left in \(temporary)")
    }
}
