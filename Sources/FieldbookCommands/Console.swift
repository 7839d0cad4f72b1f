import FieldbookCore
import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// The one way out of the commands to the terminal.
///
/// What a person reads (`print`, which this module shadows, and ``error(_:)``) goes through a
/// final guard: every terminal control, line break other than "\n", and bidi control is shown
/// escaped as `\u{HEX}` (``TerminalText``). The "\n" stays because it separates the lines the
/// commands compose; a data value put into a one-line message must itself go through `oneLine`
/// so that a line feed it holds cannot forge a line. CSV, JSON and HTML keep their exact text and
/// go out through ``writeRaw(_:)``; the merge's progress line, the only control sequences the
/// program sends itself, through ``progress(_:)`` and ``clearProgress()``.
enum Console {
    /// Writes text for a person to stdout, with the guard applied.
    static func out(_ text: String) {
        write(STDOUT_FILENO, TerminalText.escape(text, keepingLineFeeds: true))
    }

    /// Writes a message for a person to stderr, with the guard applied, and ends its line.
    static func error(_ message: String) {
        write(STDERR_FILENO, TerminalText.escape(message, keepingLineFeeds: true) + "\n")
    }

    /// Writes a machine-readable output (CSV, JSON, HTML) to stdout exactly as given: its format's
    /// own escaping (JSON's \u001b, HTML's &lt;) keeps it safe, and its data must stay exact.
    static func writeRaw(_ text: String) {
        write(STDOUT_FILENO, text)
    }

    /// Shows `line` as the progress line on stderr (a terminal), over the previous one.
    static func progress(_ line: String) {
        write(STDERR_FILENO, progressText(line))
    }

    /// Clears the progress line.
    static func clearProgress() {
        write(STDERR_FILENO, "\r\u{1B}[K")
    }

    /// Writes all of `text` to `fd`, retrying short writes and interruptions. Output that cannot
    /// be written (stdout on a full disk, a closed pipe) is dropped: a failed message must never
    /// crash the command that made it (Foundation's `FileHandle.write(_:)` traps on any error).
    static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
        bytes.removeAll()
    }

    /// What ``progress(_:)`` writes: a carriage return, then `line` on one line, escaped.
    static func progressText(_ line: String) -> String {
        "\r" + line.oneLine
    }
}

/// `print` within the commands: as `Swift.print`, through ``Console/out(_:)``'s guard.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Console.out(items.map { String(describing: $0) }.joined(separator: separator) + terminator)
}
