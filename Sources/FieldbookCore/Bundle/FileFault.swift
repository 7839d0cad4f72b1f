import Foundation

#if canImport(Glibc)
import Glibc
private let systemClose = Glibc.close
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemClose = Darwin.close
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#endif

/// A file operation that failed, with the system's error number, so that the message can say in
/// the product's words what happened (Foundation's own texts end in a period of their own and
/// name no file the person gave).
struct FileFault: Error {
    var code: Int32
    var path: String

    init(_ code: Int32 = errno, path: String) {
        self.code = code
        self.path = path
    }

    /// What went wrong, for a message that goes on to say where: "the disk is full (12 KB free
    /// there)", "it is a file, not a folder".
    func reason(folder: String) -> String { FileFault.describe(code, folder: folder) }

    /// `code` in the product's words; `folder` is where free space is measured for a full disk.
    static func describe(_ code: Int32, folder: String) -> String {
        switch code {
        case ENOSPC, EDQUOT:
            let free = freeSpace(folder).map { FileFault.bytes($0) }
            return free.map { tr("the disk is full (\($0) free there): free some space on it, or use another stick or folder") }
                ?? tr("the disk is full: free some space on it, or use another stick or folder")
        case EFBIG:
            return tr("the file grew larger than that disk or this account allows (a FAT32 stick takes files of at most 4 GB)")
        case EROFS:
            return tr("the disk is read-only (a write-protected stick?)")
        case EACCES, EPERM:
            return tr("this user may not write there")
        case EIO:
            return tr("the disk reported an input/output error (was the stick pulled out?)")
        case ENOTDIR, EEXIST:
            return tr("it is a file, not a folder")
        case ENOENT:
            return tr("there is no such folder")
        case ENAMETOOLONG:
            return tr("the path is too long for that disk")
        default:
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
    }

    /// The space this user may still write on the disk holding `folder` (or its nearest existing
    /// parent), or nil when it cannot be measured.
    static func freeSpace(_ folder: String) -> Int64? {
        var path = folder.isEmpty ? "." : folder
        var stats = statvfs()
        while statvfs(path, &stats) != 0 {
            let parent = FilePaths.folder(of: path)
            if parent.isEmpty || parent == path { return nil }
            path = parent
        }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    static func bytes(_ n: Int64) -> String {
        if n < 1 << 10 { return tr("\(Int(n), "byte")") }
        if n < 1 << 20 { return "\(n >> 10) KB" }
        return String(format: "%.1f MB", Double(n) / 1_048_576)
    }
}

/// A file written and read with the system calls themselves, so that every failure keeps its
/// error number (``FileFault``).
final class RawFile {
    let path: String
    private var fd: Int32

    /// Creates `path`, which must not exist yet, for reading and writing.
    init(creating path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileFault(path: path) }
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                // A write of nothing on a disk that is not full does not happen; say full.
                throw FileFault(n == 0 ? ENOSPC : errno, path: path)
            }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Reads up to `count` bytes from the current offset; empty at the end.
    func read(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, count) }
            if n >= 0 { return Array(buffer.prefix(n)) }
            if errno != EINTR { throw FileFault(path: path) }
        }
    }

    func rewind() throws {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw FileFault(path: path) }
    }

    /// Flushes the file to the disk: a full disk or a pulled stick shows here at the latest.
    func sync() throws {
        guard fsync(fd) == 0 else { throw FileFault(path: path) }
    }

    func close() throws {
        guard fd >= 0 else { return }
        let result = systemClose(fd)
        fd = -1
        guard result == 0 else { throw FileFault(path: path) }
    }
}

/// Folders for output, made the way `mkdir -p` makes them, with the failure's error number.
enum OutputFolder {
    /// Makes `directory` and any missing parent; returns the folders it made, deepest last. A
    /// path that names a file fails with `ENOTDIR`, naming that file.
    static func make(_ directory: String) throws -> [String] {
        if isFolder(directory) { return [] }
        if FileManager.default.fileExists(atPath: directory) { throw FileFault(ENOTDIR, path: directory) }
        var made: [String] = []
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o777) == 0 {
                made.append(prefix)
                continue
            }
            let code = errno
            if isFolder(prefix) { continue }
            throw FileFault(code == EEXIST ? ENOTDIR : code, path: prefix)
        }
        return made
    }

    /// Removes the folders `make` made, deepest first, as long as they are empty.
    static func unmake(_ made: [String]) {
        for folder in made.reversed() { _ = rmdir(folder) }
    }

    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Flushes the folder's entries (a rename, a removal) to the disk.
    static func sync(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            _ = systemClose(fd)
        }
    }
}
