import FieldbookTestSupport
import Foundation
import Glibc
import Testing

/// A small ext4 file system in an image file, mounted on a loop device: a USB stick for fault
/// tests (filled up, write-protected, damaged). Needs root and a working `mount -o loop`; tests
/// that use it are enabled only when ``LoopMount/available``. ``close()`` (also run on release)
/// unmounts it and deletes the image.
final class LoopMount: @unchecked Sendable {
    /// Whether loop mounts work here: root, the tools found, and a probe image mounted and
    /// unmounted once.
    static let available: Bool = {
        guard geteuid() == 0, tool("mount") != nil, tool("umount") != nil, tool("mkfs.ext4") != nil else { return false }
        guard let probe = try? LoopMount(megabytes: 2) else { return false }
        probe.close()
        return true
    }()

    static let why = "needs root and a working `mount -o loop` (loop devices) to make a USB stick"

    private let folder = TemporaryDirectory("fieldbook-stick")
    /// The image file.
    var image: String { folder.path("stick.img") }
    /// Where the file system is mounted.
    var point: String { folder.path("stick") }
    private(set) var mounted = false
    private var closed = false

    /// Makes and mounts an empty ext4 file system of `megabytes` with 1 KiB blocks (what mkfs
    /// picks for a small stick) and no blocks reserved for root, so that "full" means full.
    init(megabytes: Int = 8) throws {
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        try Self.run("mkfs.ext4", "-q", "-F", "-m", "0", "-b", "1024", image)
        try mount()
    }

    /// The path of `name` on the stick.
    func path(_ name: String) -> String { (point as NSString).appendingPathComponent(name) }

    /// Mounts the image; `readOnly` as a write-protected stick (the loop device is read-only too).
    func mount(readOnly: Bool = false) throws {
        try Self.run("mount", "-o", readOnly ? "loop,ro" : "loop", image, point)
        mounted = true
    }

    func unmount() throws {
        guard mounted else { return }
        try Self.run("umount", point)
        mounted = false
    }

    /// Unmounts and mounts again write-protected.
    func remountReadOnly() throws {
        try unmount()
        try mount(readOnly: true)
    }

    /// Fills the file system until no block is left, or until `leaving` bytes are left free.
    /// Each call writes files of its own (`filler-N-…`); ``emptyFillers()`` removes them all.
    func fill(leaving: Int = 0) throws {
        fillers += 1
        for (name, size) in [("filler-\(fillers)-large", 1 << 16), ("filler-\(fillers)-small", 1 << 10)] {
            let fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw Failure("cannot create \(name) on the stick") }
            let block = [UInt8](repeating: 0x5A, count: size)
            while free() - size >= leaving, block.withUnsafeBytes({ write(fd, $0.baseAddress!, size) }) > 0 {}
            fsync(fd)
            Glibc.close(fd)
        }
    }

    private var fillers = 0

    /// Removes what ``fill(leaving:)`` wrote: space on the stick again.
    func emptyFillers() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: point) where name.hasPrefix("filler-") {
            try FileManager.default.removeItem(atPath: path(name))
        }
    }

    /// Bytes free on the stick.
    func free() -> Int {
        var stats = statvfs()
        guard statvfs(point, &stats) == 0 else { return 0 }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    /// The names, sizes and modification times of every file on the stick, and the names of its
    /// folders, for before-and-after.
    func listing() throws -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: point) else { throw Failure("cannot list \(point)") }
        var lines: [String] = []
        while let name = walker.nextObject() as? String {
            let attributes = try fm.attributesOfItem(atPath: path(name))
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                lines.append(name + "/")
                continue
            }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            lines.append("\(name) \(attributes[.size] ?? 0) \(modified)")
        }
        return lines.sorted()
    }

    /// Unmounts (retrying a busy mount for a moment) and deletes the image; safe to call twice.
    func close() {
        guard !closed else { return }
        closed = true
        for _ in 0..<20 where mounted {
            if (try? unmount()) == nil { usleep(100_000) }
        }
        if mounted { _ = try? Self.run("umount", "-l", point) }
    }

    deinit { close() }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The path of a system tool, looked for in $PATH and the sbin folders.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.map { ($0 as NSString).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a system tool; throws with what it printed when it fails. Returns its standard output.
    @discardableResult
    static func run(_ name: String, _ arguments: String...) throws -> String {
        guard let executable = tool(name) else { throw Failure("\(name) is not installed") }
        let outputs = TemporaryDirectory("fieldbook-tool")
        _ = FileManager.default.createFile(atPath: outputs.path("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: outputs.path("err"), contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputs.path("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: outputs.path("err")))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: FileManager.default.contents(atPath: outputs.path("out")) ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: outputs.path("err")) ?? Data(), as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw Failure("\(name) \(arguments.joined(separator: " ")) failed: \(out)\(err)")
        }
        return out
    }
}
