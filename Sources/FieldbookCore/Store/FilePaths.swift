import Foundation

/// Paths a user gives (a store, an `--out` file, a key file), taken apart without Foundation's
/// `NSString.deletingLastPathComponent`, which traps on a path of one character (`a`, `中`, `a/`)
/// in the Foundation of this toolchain: `fieldbook init --db a` was fine, and every later command
/// on that store crashed. Every folder of a given path is worked out here.
public enum FilePaths {
    /// What a path names, its links followed.
    public enum Kind { case missing, file, folder, other }

    /// What `path` names: a file, a folder, something else (a pipe, a device), or nothing.
    public static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        default: return .other
        }
    }

    /// Whether anything is at `path`, a link to nothing included: a new file is never made there.
    public static func isTaken(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The folder holding `path`: `.` for a bare name, `/` for a name at the root, and otherwise
    /// everything before its last component (trailing and doubled slashes dropped).
    public static func folder(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == slash { bytes.removeLast() }
        guard let last = bytes.lastIndex(of: slash) else { return "." }
        var end = last
        while end > 0, bytes[end - 1] == slash { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// `name` in the folder holding `path`, spelled as the user would: `bundles` beside
    /// `office.sqlite`, `d/bundles` beside `d/office.sqlite`.
    public static func beside(_ path: String, _ name: String) -> String {
        let folder = folder(of: path)
        switch folder {
        case ".": return name
        case "/": return "/" + name
        default: return folder + "/" + name
        }
    }

    private static let slash = UInt8(ascii: "/")
}
