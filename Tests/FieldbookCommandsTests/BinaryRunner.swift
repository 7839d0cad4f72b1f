import FieldbookTestSupport
import Foundation
import Testing

/// What one run of the built `fieldbook` binary did.
struct RunResult: CustomStringConvertible {
    var arguments: [String]
    var stdout: String
    var stderr: String
    /// The exit code; for a process killed by a signal, 128 + the signal number.
    var status: Int32
    /// False when the process died of a signal (a crash) or had to be killed after the time limit.
    var exitedNormally: Bool

    var description: String {
        "fieldbook \(arguments.joined(separator: " ")) → exit \(status)\(exitedNormally ? "" : " (signal)")\n"
            + "--- stdout:\n\(stdout)--- stderr:\n\(stderr)---"
    }

    /// Non-empty stderr lines.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    /// Stdout lines, without the final empty line.
    var stdoutLines: [String] {
        Array(stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(stdout.hasSuffix("\n") ? 1 : 0))
    }
}

/// The built `fieldbook` executable, found next to the test bundle.
enum FieldbookBinary {
    static let url: URL? = {
        let fm = FileManager.default
        var folders: [URL] = []
        if let override = ProcessInfo.processInfo.environment["FIELDBOOK_BINARY"], !override.isEmpty {
            let url = URL(fileURLWithPath: override)
            if fm.isExecutableFile(atPath: url.path) { return url }
        }
        // Linux: the test runner is an executable in the products folder, e.g. .build-e2e/debug.
        folders.append(Bundle.main.bundleURL)
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        // macOS: the tests are a .xctest bundle inside the products folder.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL {
            folders.append(executable.deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent("fieldbook")
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        return nil
    }()
}

/// The fixed clock and time zone every run gets: 2026-11-21, 09:00 in Shanghai.
let fixedNow = "2026-11-21T09:00:00+08:00"
let today = "2026-11-21"

/// A temporary working folder in which to run `fieldbook`, as an inspector would in a terminal.
final class Sandbox: Sendable {
    let folder = TemporaryDirectory("fieldbook-e2e")

    var url: URL { folder.url }

    func path(_ name: String) -> String { folder.path(name) }

    /// Writes UTF-8 text into the working folder.
    @discardableResult
    func write(_ name: String, _ text: String) -> String { folder.write(name, text) }

    /// Writes raw bytes into the working folder.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func contents(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }

    /// The names of the files in the working folder, sorted.
    func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
    }

    /// Runs `fieldbook` with `arguments` in the working folder, with the fixed clock and time zone
    /// and without $FIELDBOOK_DB, and returns what it printed and its exit code.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 60) throws
        -> RunResult
    {
        let binary = try #require(
            FieldbookBinary.url,
            "the fieldbook executable was not found next to the tests (Bundle.main: \(Bundle.main.bundleURL.path)); build with --build-tests")
        // Output goes to files, not pipes, so a chatty process can never block on a full pipe.
        let outputs = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldbook-e2e-out-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputs) }
        let outURL = outputs.appendingPathComponent("stdout")
        let errURL = outputs.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)

        var environment = ProcessInfo.processInfo.environment
        environment["FIELDBOOK_DB"] = nil
        environment["FIELDBOOK_NOW"] = fixedNow
        environment["FIELDBOOK_TZ"] = "Asia/Shanghai"
        // An English interface and Chinese reports (the defaults of a machine whose locale is
        // neither), whatever the machine's locale, unless a test asks otherwise.
        environment["FIELDBOOK_LANG"] = nil
        environment["LC_ALL"] = "C.UTF-8"
        for (key, value) in extra { environment[key] = value }

        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder.url
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            finished.wait()
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()

        let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        let normal = process.terminationReason == .exit && !timedOut
        let result = RunResult(
            arguments: arguments, stdout: stdout, stderr: stderr,
            status: normal ? process.terminationStatus : 128 + process.terminationStatus, exitedNormally: normal)
        #expect(!timedOut, "fieldbook \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        return result
    }

    @discardableResult
    func run(_ arguments: String...) throws -> RunResult { try run(arguments) }

    /// Runs a command that must succeed: exit 0, nothing on stderr. Returns its stdout.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try ok(arguments, sourceLocation: sourceLocation)
    }

    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments)
        #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "stderr should be empty on success: \(result)", sourceLocation: sourceLocation)
        #expect(result.exitedNormally, "\(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a recording command (visit, forum, notice, fix) that must succeed, and returns the id
    /// printed in its "Recorded KIND ID ..." line, and the line.
    @discardableResult
    func record(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: String, line: String) {
        let stdout = try ok(arguments, sourceLocation: sourceLocation)
        let id = try #require(
            recordedID(in: stdout, kind: arguments[0]), "no \"Recorded \(arguments[0]) ID\" line in: \(stdout)",
            sourceLocation: sourceLocation)
        return (id, stdout.trimmingCharacters(in: .newlines))
    }

    /// A store made as an inspection team makes it on the first morning: `init`, then the roster.
    static func withStore(roster: String = "\u{FEFF}" + sampleRosterCSV) throws -> Sandbox {
        let sandbox = Sandbox()
        try sandbox.ok(
            "init", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--round", "五届第五轮", "--inspectors", "张三,李四")
        sandbox.write("roster.csv", roster)
        try sandbox.giveRoster("roster.csv")
        return sandbox
    }

    /// Gives this folder's laptop store the roster the way the office does: imports `csv` into the
    /// office's central store `office.sqlite` (made when missing), packs it with `--roster` and
    /// merges that bundle here. Returns what `roster import` printed at the office.
    @discardableResult
    func giveRoster(_ csv: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        if !FileManager.default.fileExists(atPath: path("office.sqlite")) {
            try ok(["init", "--db", "office.sqlite", "--central", "--device", "巡察办"], sourceLocation: sourceLocation)
        }
        let imported = try ok(["roster", "import", "--db", "office.sqlite", csv], sourceLocation: sourceLocation)
        try ok(["pack", "--db", "office.sqlite", "--roster", "--out", "roster-bundles"], sourceLocation: sourceLocation)
        try ok(["merge", "roster-bundles"], sourceLocation: sourceLocation)
        return imported
    }

    /// Marks a sandbox kept in a static (a template) for removal when the test process exits: a
    /// static is never released, so its folder would otherwise stay behind.
    func removeAtExit() -> Sandbox {
        FoldersToRemoveAtExit.shared.add(folder.url)
        return self
    }

    /// A new working folder holding a copy of `other`'s store files (the database and any WAL),
    /// so that tests which only need a ready store do not each run `init` and `roster import`.
    static func copy(of other: Sandbox) throws -> Sandbox {
        let sandbox = Sandbox()
        for name in try other.fileNames() where name.hasPrefix("fieldbook.sqlite") || name.hasPrefix("office.sqlite") {
            try FileManager.default.copyItem(atPath: other.path(name), toPath: sandbox.path(name))
        }
        return sandbox
    }

    /// Everything a command could have written, as the tool itself shows it: `status` (counts,
    /// changes in the log, the last change) and every record with `list --json --include-deleted`.
    func snapshot(db: String = "fieldbook.sqlite") throws -> String {
        let status = try ok("status", "--db", db)
        let records = try ok("list", "--json", "--include-deleted", "--db", db)
        return status + "\n" + records
    }
}

/// Folders removed when the test process exits.
final class FoldersToRemoveAtExit: @unchecked Sendable {
    static let shared = FoldersToRemoveAtExit()
    private let lock = NSLock()
    private var urls: [URL] = []

    private init() {
        atexit { FoldersToRemoveAtExit.shared.removeAll() }
    }

    func add(_ url: URL) { lock.withLock { urls.append(url) } }

    func removeAll() {
        lock.withLock {
            for url in urls { try? FileManager.default.removeItem(at: url) }
            urls = []
        }
    }
}

/// The id in a `Recorded KIND ID ...` (or `Updated`, `Deleted`, `Edited`) line.
func recordedID(in text: String, kind: String) -> String? {
    let pattern = #/(?:Recorded|Updated|Deleted|Edited) (\w+) ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/#
    guard let match = text.firstMatch(of: pattern), match.1 == kind else { return nil }
    return String(match.2)
}

/// Parses JSON output, failing the test when it is not JSON.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// How many terminal columns `text` takes: CJK ideographs, kana, hangul and fullwidth forms take
/// two, combining marks none, everything else one. Written here independently of the product's
/// own width function so that a mistake there shows.
func displayWidth(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { $0 + displayWidth($1) }
}

func displayWidth(_ scalar: Unicode.Scalar) -> Int {
    let v = scalar.value
    if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark: return 0
    default: break
    }
    let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
    return wide.contains { $0.contains(v) } ? 2 : 1
}

/// A line as terminal cells: each character in its first cell, `nil` in the second cell of a wide one.
func cells(_ line: String) -> [Character?] {
    var result: [Character?] = []
    for character in line {
        result.append(character)
        let width = displayWidth(String(character))
        if width > 1 { result += Array(repeating: nil, count: width - 1) }
    }
    return result
}

/// The display column (0-based) where `needle` first starts in `line`, or nil.
func displayColumn(of needle: some StringProtocol, in line: String) -> Int? {
    guard let range = line.range(of: needle) else { return nil }
    return displayWidth(String(line[..<range.lowerBound]))
}

/// The display column where the first `YYYY-MM-DD` date starts in `line`, or nil.
func dateColumn(in line: String) -> Int? {
    guard let match = line.firstMatch(of: #/\d{4}-\d{2}-\d{2}/#) else { return nil }
    return displayWidth(String(line[..<match.range.lowerBound]))
}

/// A message meant for a person: no Swift crash report, no stack trace, no raw internals.
func expectNoCrashReport(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.exitedNormally, "the process died of a signal: \(result)", sourceLocation: sourceLocation)
    for marker in ["Fatal error", "Stack dump", "Backtrace", "backtrace", "Crash", "#0 ", "0x0000", ".swift:", "SQLite error"] {
        #expect(!result.stderr.contains(marker), "stderr holds \"\(marker)\": \(result)", sourceLocation: sourceLocation)
        #expect(!result.stdout.contains(marker), "stdout holds \"\(marker)\": \(result)", sourceLocation: sourceLocation)
    }
}

/// Checks a failed run: the exit code, one line on stderr starting with "fieldbook:" that names
/// each of `names`, nothing on stdout, no crash report.
func expectFailure(
    _ result: RunResult, code: Int32, naming names: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == code, "expected exit \(code): \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout should be empty on failure: \(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasSuffix("\n"), "the message should end its line: \(result)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1, "expected a single-line message: \(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("fieldbook: "), "the message should start with \"fieldbook: \": \(result)", sourceLocation: sourceLocation)
    for name in names {
        #expect(result.stderr.contains(name), "the message should name \(name): \(result)", sourceLocation: sourceLocation)
    }
    expectNoCrashReport(result, sourceLocation: sourceLocation)
}

/// Checks a usage error reported by ArgumentParser: exit 64, "Error: ..." naming `names` on the
/// first line, then only the usage, nothing on stdout.
func expectUsageError(_ result: RunResult, naming names: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 64, "expected exit 64: \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout should be empty on failure: \(result)", sourceLocation: sourceLocation)
    let first = result.stderrLines.first ?? ""
    #expect(first.hasPrefix("Error: "), "the message should start with \"Error: \": \(result)", sourceLocation: sourceLocation)
    for name in names {
        #expect(first.contains(name), "the first line should name \(name): \(result)", sourceLocation: sourceLocation)
    }
    for line in result.stderrLines.dropFirst() {
        #expect(
            line.hasPrefix("Usage: ") || line.hasPrefix("Help: ") || line.hasPrefix("  ") || line.hasPrefix("See "),
            "after the message only the usage may follow: \(result)", sourceLocation: sourceLocation)
    }
    expectNoCrashReport(result, sourceLocation: sourceLocation)
}
