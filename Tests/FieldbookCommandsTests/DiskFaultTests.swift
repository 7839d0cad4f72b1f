import FieldbookTestSupport
import Foundation
import GRDB
import Testing

/// A small filesystem with 1 KiB blocks (what mkfs picks for a USB stick), loop-mounted for one
/// test and removed after it. Needs root and a working `mount`; tests skip where there is none.
final class SmallDisk {
    let image: String
    let mountPoint: String
    private(set) var mounted = false

    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.ext4")
            || FileManager.default.isExecutableFile(atPath: "/sbin/mkfs.ext4")
        else { return false }
        guard let probe = try? SmallDisk(in: TemporaryDirectory("probe"), megabytes: 2) else { return false }
        probe.unmount()
        return true
    }()

    init(in dir: TemporaryDirectory, megabytes: Int) throws {
        image = dir.path("stick.img")
        mountPoint = dir.path("stick")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: image, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        try Self.sh("mkfs.ext4", "-q", "-F", "-b", "1024", image)
        try mount()
    }

    func mount(readOnly: Bool = false) throws {
        try Self.sh("mount", "-o", readOnly ? "loop,ro" : "loop", image, mountPoint)
        mounted = true
    }

    func unmount() {
        guard mounted else { return }
        try? Self.sh("umount", mountPoint)
        mounted = false
    }

    deinit { unmount() }

    /// Fills the disk with a file of zeros until it is full; returns the file's path.
    @discardableResult
    func fill(leaving: Int = 0, name: String = "filler") throws -> String {
        let path = mountPoint + "/" + name
        FileManager.default.createFile(atPath: path, contents: nil)
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            var stats = statvfs()
            statvfs(mountPoint, &stats)
            let free = Int(stats.f_bavail) * Int(stats.f_frsize)
            let want = min(chunk.count, free - leaving)
            if want <= 0 { break }
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, want) }) <= 0 { break }
        }
        return path
    }

    @discardableResult
    static func sh(_ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(arguments.joined(separator: " ")) failed"])
        }
        return process.terminationStatus
    }
}

@Suite("A full disk and a write-protected stick", .serialized, .enabled(if: SmallDisk.available, "needs root and loop mounts"))
struct DiskFaultTests {
    @Test("recording until the disk is full, then status, recording and merge: no crash, the disk named, every acknowledged record kept")
    func fullDisk() throws {
        let sandbox = try Sandbox.withStore()
        // A laptop's bundle to merge at the office on the stick.
        for code in ["DG001", "DG002", "DG003", "XH001"] { try sandbox.record("visit", code, "--note", String(repeating: "记", count: 900)) }
        try sandbox.ok("pack", "--out", "stick-bundles")
        let dir = TemporaryDirectory("full")
        let disk = try SmallDisk(in: dir, megabytes: 6)
        defer { disk.unmount() }
        let store = disk.mountPoint + "/office.sqlite"
        try sandbox.ok("init", "--db", store, "--central", "--device", "巡察办", "--round", "五届第五轮")
        try sandbox.ok("roster", "import", "--db", store, "roster.csv")
        try disk.fill(leaving: 300 << 10)
        // Record until the disk refuses: every command ends normally, 0 or 74.
        var acknowledged = 0
        for i in 0..<200 {
            let result = try sandbox.run("forum", "--db", store, "城关镇/东关村", "--participants", "3", "--note", "\(i)" + String(repeating: "满", count: 1300))
            #expect(result.exitedNormally, "\(result)")
            expectNoCrashReport(result)
            if result.status == 0 { acknowledged += 1; continue }
            #expect(result.status == 74, "\(result)")
            #expect(result.stderr.contains("disk is full"), "\(result)")
            break
        }
        #expect(acknowledged > 0)
        try disk.fill(name: "filler2")
        let status = try sandbox.run("status", "--db", store)
        #expect(status.status == 0 && status.exitedNormally, "\(status)")
        #expect(try sandbox.run("tally", "--db", store).status == 0)
        let visit = try sandbox.run("visit", "--db", store, "DG001")
        #expect(visit.status == 74 && visit.stderr.contains("disk is full"), "\(visit)")
        let merge = try sandbox.run("merge", "--db", store, "stick-bundles")
        #expect(merge.status == 74 && merge.exitedNormally, "\(merge)")
        #expect(merge.stdout.hasPrefix("not merged "), "\(merge)")
        #expect(!merge.stdout.contains("rejected "), "\(merge)")
        #expect(merge.stderr.contains("disk is full") && merge.stderr.contains("needs about"), "\(merge)")
        #expect(merge.stderr.split(separator: "\n").count == 1, "\(merge)")
        // Space again: nothing acknowledged was lost, the store is whole, and the merge goes through.
        try FileManager.default.removeItem(atPath: disk.mountPoint + "/filler")
        try FileManager.default.removeItem(atPath: disk.mountPoint + "/filler2")
        let check = try DatabaseQueue(path: store)
        #expect(try check.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM forum") } == acknowledged)
        try check.close()
        #expect(try sandbox.run("merge", "--db", store, "stick-bundles").status == 0)
    }

    @Test("a store on a write-protected stick: reports read it, writes say the disk is read-only, nothing is created beside it")
    func writeProtectedStick() throws {
        let sandbox = try Sandbox.withStore()
        try sandbox.record("visit", "DG001")
        try sandbox.ok("pack", "--out", "stick-bundles")
        let dir = TemporaryDirectory("ro")
        let disk = try SmallDisk(in: dir, megabytes: 4)
        defer { disk.unmount() }
        let store = disk.mountPoint + "/office.sqlite"
        try sandbox.ok("init", "--db", store, "--central", "--device", "巡察办", "--round", "五届第五轮")
        try sandbox.ok("roster", "import", "--db", store, "roster.csv")
        disk.unmount()
        try disk.mount(readOnly: true)
        let before = try FileManager.default.contentsOfDirectory(atPath: disk.mountPoint).sorted()
        for command in [["status"], ["tally"], ["list"], ["pending", "--village", "城关镇/东关村"]] {
            let result = try sandbox.run(command + ["--db", store])
            #expect(result.status == 0, "\(result)")
        }
        let visit = try sandbox.run("visit", "--db", store, "DG001")
        #expect(visit.status == 74 && visit.stderr.contains("read-only"), "\(visit)")
        let merge = try sandbox.run("merge", "--db", store, "stick-bundles")
        #expect(merge.status == 74, "\(merge)")
        #expect(!merge.stdout.contains("rejected "), "\(merge)")
        #expect(merge.stderr.components(separatedBy: "read-only").count == 2, "say it once: \(merge)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.mountPoint).sorted() == before)
    }
}
