import ArgumentParser
import FieldbookCore
import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// The small files the key commands read and write (office.fbkey, .fbenroll, key backups), and
/// what they ask a person at the terminal.
enum KeyFiles {
    /// The largest key file, enrollment request or key backup read.
    static let maxSize = 64 << 20

    /// A refusal the commands print themselves: one line on stderr, then the exit code.
    static func refuse(_ message: String, code: Int32) -> ExitCode {
        Console.error("fieldbook: " + message.oneLine)
        return ExitCode(code)
    }

    /// The bytes of a file named on the command line; a file that cannot be read exits 66.
    static func read(_ path: String, what: String) throws -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw refuse(tr("cannot read \(what) \(path): there is no such file. Nothing was done; check the path."), code: 66)
        }
        guard !isFolder.boolValue else {
            throw refuse(tr("cannot read \(what) \(path): it is a folder. Nothing was done; name the file."), code: 66)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxSize else {
            throw FieldbookError.badFile(path: path, reason: tr("is \(size >> 20) MB, too large to be \(what); nothing was done"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw refuse(tr("cannot read \(what) \(path): it cannot be opened by this user. Nothing was done."), code: 66)
        }
        return data
    }

    /// Writes `data` as a new file at `path`, whole or not at all: into a temporary file beside it,
    /// synced, then moved into place. An existing file is never replaced: that refuses with 73.
    /// A file that cannot be written exits 74 and leaves nothing behind.
    static func writeNew(_ data: Data, to path: String, mode: mode_t = 0o644, flag: String = "--out") throws {
        if FilePaths.isTaken(path) {
            throw refuse(tr("\(path) already exists; it was left untouched. Remove it first, or choose another path with \(flag)."), code: 73)
        }
        let folder = FilePaths.folder(of: path)
        let temporary = folder + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        func fail(_ reason: String) -> ExitCode {
            unlink(temporary)
            return refuse(tr("could not write \(path): \(reason). Nothing was written there; choose another path with \(flag)."), code: 74)
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        var offset = 0
        let ok = data.withUnsafeBytes { buffer -> Int32 in
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return n == 0 ? ENOSPC : errno
                }
            }
            return fsync(fd) == 0 ? 0 : errno
        }
        close(fd)
        guard ok == 0 else { throw fail(String(cString: strerror(ok))) }
        // link() takes the name only if no one has (a file made meanwhile is not replaced); a
        // stick's FAT has no links, so there the name is checked again and the file renamed.
        if link(temporary, path) == 0 {
            unlink(temporary)
        } else if errno == EEXIST {
            throw fail(tr("a file of that name appeared meanwhile"))
        } else {
            guard !FileManager.default.fileExists(atPath: path) else { throw fail(tr("a file of that name appeared meanwhile")) }
            guard rename(temporary, path) == 0 else { throw fail(String(cString: strerror(errno))) }
        }
        let dir = open(folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// Makes `folder` (and its parents) if missing; exits 74 when it cannot.
    static func makeFolder(_ folder: String, flag: String = "--out") throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw refuse(tr("could not write to \(folder): it is a file, not a folder. Choose another folder with \(flag)."), code: 74)
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            throw refuse(tr("could not make the folder \(folder): \(reason) Choose another folder with \(flag)."), code: 74)
        }
    }

    /// A key file's problem, as the one line `fieldbook:` prints: the file's name, then the reason.
    static func bad(_ path: String, _ error: TrustError) -> FieldbookError {
        .badFile(path: path, reason: error.reason)
    }
}

/// What the commands ask a person at a terminal.
enum Prompt {
    /// Whether a person can be asked: stdin and stderr (where the question goes) are a terminal.
    static var canAsk: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    /// Asks a yes/no question; yes only for y or yes.
    static func confirm(_ question: String) -> Bool {
        Console.write(STDERR_FILENO, TerminalText.escape(question) + " [y/N] ")
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Reads a line without echoing it (a passphrase).
    static func hidden(_ prompt: String) -> String? {
        Console.write(STDERR_FILENO, prompt)
        var saved = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if haveTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            Console.write(STDERR_FILENO, "\n")
        }
        return readLine(strippingNewline: true)
    }
}

/// Where a key backup's passphrase comes from: the first line of --passphrase-file, else
/// $FIELDBOOK_PASSPHRASE, else typed (twice, for a new backup) at the terminal without echo.
enum Passphrase {
    static func obtain(file: String?, confirm: Bool, environment: [String: String]) throws -> String {
        try candidates(file: file, confirm: confirm, environment: environment)[0]
    }

    /// The passphrase, then, for a file, how releases before 6 December read the same file when
    /// that differs (``earlierReading(_:)``): a backup made with such a file opens with it.
    static func candidates(file: String?, confirm: Bool, environment: [String: String]) throws -> [String] {
        if let file {
            let data = try KeyFiles.read(file, what: tr("the passphrase file"))
            let line = try firstLine(data, file: file)
            let earlier = earlierReading(data)
            return earlier == line ? [line] : [line, earlier]
        }
        return [try typedOrFromEnvironment(confirm: confirm, environment: environment)]
    }

    /// A passphrase file's first line: without a UTF-8 byte-order mark before it (Notepad writes
    /// one) or its line's end after it, LF, CRLF (Windows) or a lone CR. A file that is not UTF-8
    /// is refused (65): its bad bytes would otherwise all read as one character, and two
    /// different files open one backup.
    static func firstLine(_ data: Data, file: String) throws -> String {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let end = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) { bytes.removeSubrange(end...) }
        guard UTF8Text.firstInvalidByte([UInt8](data)) == nil, let line = UTF8Text.validated(bytes) else {
            throw KeyFiles.refuse(
                tr("the passphrase file \(file) is not UTF-8 text; nothing was done. Save it again as UTF-8 (its first line is the passphrase)."),
                code: 65)
        }
        return line
    }

    /// How releases before 6 December read a passphrase file: decoded with bad bytes replaced,
    /// up to the first LF, without one CR before it. `"\r\n"` is one Swift character, so a file
    /// with Windows line ends was taken whole, and a byte-order mark kept.
    static func earlierReading(_ data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        var line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    private static func typedOrFromEnvironment(confirm: Bool, environment: [String: String]) throws -> String {
        if let value = environment["FIELDBOOK_PASSPHRASE"], !value.isEmpty { return value }
        guard Prompt.canAsk else {
            throw KeyFiles.refuse(
                tr("no passphrase: give --passphrase-file FILE (its first line), set FIELDBOOK_PASSPHRASE, or run this at a terminal to type it."),
                code: 64)
        }
        guard let first = Prompt.hidden(tr("Passphrase (at least \(KeyBackup.minimumPassphraseLength) characters): ")) else {
            throw KeyFiles.refuse(tr("no passphrase was typed; nothing was done."), code: 64)
        }
        if confirm {
            guard let second = Prompt.hidden(tr("The same passphrase again: ")), second == first else {
                throw KeyFiles.refuse(tr("the two passphrases typed differ; nothing was written."), code: 64)
            }
        }
        return first
    }
}
