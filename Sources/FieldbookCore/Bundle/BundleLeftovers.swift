import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files a `pack` leaves in its output folder when it is killed, or its machine
/// loses power, before it renames the finished bundle into place; and how a later `pack` proves
/// they are leftovers, not the files of a pack writing there right now, before removing them.
///
/// A pack writes `.NAME.fbundle.wBOOT-PID.payload.tmp` and `.NAME.fbundle.wBOOT-PID.tmp`, where
/// BOOT is the start of this machine's boot id and PID the writing process (packs of earlier
/// versions wrote `.NAME.fbundle.payload.tmp` and `.NAME.fbundle.tmp`). A file is a leftover when
/// it is a regular file whose name matches one of these patterns exactly, and
/// - its writer ran on this machine since it last started, and that process is gone (or, a day
///   later, another program has its number); or
/// - its writer ran elsewhere, before this machine last started, or is not named (an earlier
///   version's file), and the file has not changed for ``staleAfter``: a pack writes its
///   temporary files without pause until it renames them.
///
/// Even a wrong guess loses nothing: a pack whose temporary file was removed under it fails at
/// its rename, leaves no bundle and keeps its changes to be packed.
public enum BundleLeftovers {
    /// One temporary file of a pack that did not finish.
    public struct Leftover: Sendable, Equatable {
        public var path: String
        public var size: Int64
        /// False while the file may still be written by a pack running now.
        public var isAbandoned: Bool
    }

    /// How long a file whose writer cannot be asked must stay unchanged to count as abandoned.
    public static let staleAfter: TimeInterval = 10 * 60

    /// This process's part of a temporary file name: `wBOOT-PID`, or nil where the machine's boot
    /// id cannot be read (the name then carries no writer, and only age tells a leftover).
    static let writerTag: String? = bootID.map { "w\($0)-\(getpid())" }

    /// The first 12 hex digits of this machine's boot id, which changes at every start.
    static let bootID: String? = {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return nil
        }
        let hex = text.lowercased().filter { $0.isHexDigit }
        return hex.count >= 12 ? String(hex.prefix(12)) : nil
        #else
        return nil
        #endif
    }()

    /// The temporary file names of the bundle `fileName`, for the envelope and the payload.
    static func temporaryNames(for fileName: String) -> (envelope: String, payload: String) {
        let tag = writerTag.map { ".\($0)" } ?? ""
        return (".\(fileName)\(tag).tmp", ".\(fileName)\(tag).payload.tmp")
    }

    /// The writer a temporary file name names: nil when `name` is not a pack's temporary file;
    /// a nil boot and pid when it matches the pattern of packs that did not name their writer.
    static func parse(_ name: String) -> (boot: String?, pid: Int32?)? {
        guard let match = name.wholeMatch(of: pattern) else { return nil }
        let bundle = match.1
        guard bundle.count > BundleFile.fileExtension.count + 1, !bundle.contains("/") else { return nil }
        guard let boot = match.2, let pid = match.3 else { return (nil, nil) }
        guard let number = Int32(pid), number > 0 else { return nil }
        return (String(boot), number)
    }

    private nonisolated(unsafe) static let pattern = #/\.(.+\.fbundle)(?:\.w([0-9a-f]{12})-([0-9]{1,10}))?(?:\.payload)?\.tmp/#

    /// The temporary files of packs in `folder`, abandoned or not; none when it cannot be listed.
    public static func find(in folder: String, now: Date = Date()) -> [Leftover] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var found: [Leftover] = []
        for name in names.sorted() where name.hasPrefix(".") {
            guard let writer = parse(name) else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            #if canImport(Darwin)
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtimespec.tv_sec))
            #else
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            #endif
            found.append(
                Leftover(
                    path: path, size: Int64(info.st_size),
                    isAbandoned: isAbandoned(boot: writer.boot, pid: writer.pid, modified: modified, now: now)))
        }
        return found
    }

    /// Removes the abandoned temporary files of packs in `folder` and returns them.
    @discardableResult
    public static func remove(in folder: String, now: Date = Date()) -> [Leftover] {
        let removed = find(in: folder, now: now).filter { $0.isAbandoned && unlink($0.path) == 0 }
        if !removed.isEmpty { OutputFolder.sync(folder) }
        return removed
    }

    /// Whether the writer of a temporary file is surely not writing it now.
    static func isAbandoned(boot: String?, pid: Int32?, modified: Date, now: Date) -> Bool {
        if let boot, let pid, boot == bootID {
            // Written on this machine since it started: ask whether the process is still there.
            // A live process of that number that has not touched the file for a day is another
            // program that was given the number again.
            if pid == getpid() { return false }
            return (kill(pid, 0) != 0 && errno == ESRCH) || now.timeIntervalSince(modified) > 24 * 3600
        }
        return now.timeIntervalSince(modified) > staleAfter
    }
}
