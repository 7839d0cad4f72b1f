import ArgumentParser
import FieldbookCore
import Foundation

/// The `fieldbook` command: its subcommands live one per file in `Commands/`.
public struct Fieldbook: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fieldbook",
        abstract: tr("Record village inspection work offline, and report coverage."),
        discussion: tr(id: "help.fieldbook.discussion", """
            Exit codes: 0 done; 1 a name or id that is not there; 64 a bad argument or value (also: \
            no passphrase given, or an enrollment request whose fingerprint was not given); 65 bad \
            data in a file (a damaged key file or request, a key backup with a wrong passphrase); \
            66 no usable store, or bundle, key or request files or folders that cannot be read or \
            hold no bundle; 73 the store, or a file given with --out, already exists; 74 the store \
            could not be written or read, or holds what no fieldbook writes (its file changed by \
            another program), or a bundle or key file could not be written to --out; 77 a \
            change this store may not make (also: a fingerprint that does not match or is not \
            confirmed, a key command on the wrong kind of store).
            """),
        version: FieldbookVersion.text,
        subcommands: [
            Init.self, Round.self, RosterCommand.self, Find.self, Visit.self, Forum.self, Notice.self, Fix.self,
            FixStatusCommand.self, Problem.self, Rectify.self, Transfer.self, Problems.self, Categories.self,
            Edit.self, Delete.self, History.self, List.self, Show.self, Status.self,
            Pack.self, Verify.self, Merge.self, Conflicts.self, Demo.self, Tally.self, Pending.self,
            Keys.self, Enroll.self, Devices.self, Quickstart.self,
        ])

    public init() {}

    /// Runs the command line and returns the exit code; messages go to stdout and stderr.
    public static func run(arguments: [String]) -> Int32 {
        FaultSignals.install()
        Language.current = Language(environment: ProcessInfo.processInfo.environment)
        let arguments = CommandLineWords.movingLeadingOptions(arguments)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let error as FieldbookError {
            Console.error("fieldbook: \(error.message.oneLine)")
            return error.exitCode
        } catch {
            let code = exitCode(for: error)
            if code != .success, let unknown = CommandLineWords.unknownCommand(in: arguments) {
                Console.error("fieldbook: \(unknown)")
                return ExitCode.validationFailure.rawValue
            }
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                Console.error(message)
            }
            return code.rawValue
        }
    }
}

/// Options every command that opens a store shares.
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(tr("The store file (default: $FIELDBOOK_DB, or fieldbook.sqlite here).")))
    public var db: String?

    public init() {}

    func path(_ environment: [String: String]) -> String {
        db ?? environment["FIELDBOOK_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "fieldbook.sqlite"
    }
}

/// A command that works on a store.
protocol StoreCommand: ParsableCommand {
    var store: StoreOptions { get }
    func run(_ context: CommandContext) throws
}

extension StoreCommand {
    public mutating func run() throws {
        try run(CommandContext(options: store, environment: ProcessInfo.processInfo.environment))
    }
}

/// What a command needs at run time: where the store is, and the clock and random source.
struct CommandContext {
    var path: String
    var environment: FieldbookEnvironment

    init(options: StoreOptions, environment: [String: String]) throws {
        path = options.path(environment)
        self.environment = try Self.fieldbookEnvironment(environment)
    }

    /// The live environment, unless FIELDBOOK_NOW fixes the clock (for tests and documentation).
    static func fieldbookEnvironment(_ environment: [String: String]) throws -> FieldbookEnvironment {
        var env = FieldbookEnvironment.live
        if let tz = environment["FIELDBOOK_TZ"], let zone = TimeZone(identifier: tz) { env.timeZone = zone }
        // On a terminal, a command held up by another says what it waits for.
        if isatty(STDERR_FILENO) == 1 {
            env.waiting = { store, activity in
                Console.error("fieldbook: \(tr("waiting for \(activity ?? tr("another fieldbook command")) to finish with \((store as NSString).lastPathComponent.oneLine)…"))")
            }
        }
        if let fixed = environment["FIELDBOOK_NOW"], !fixed.isEmpty {
            let formatter = ISO8601DateFormatter()
            guard let start = formatter.date(from: fixed) else {
                throw ValidationError(tr("FIELDBOOK_NOW must be an ISO 8601 time such as 2026-11-21T09:00:00+08:00, not \(fixed.oneLine)."))
            }
            // A clock that starts within ten seconds after FIELDBOOK_NOW (where in those ten seconds
            // follows the real clock, so successive commands do not all start at one millisecond
            // and make ids that share their time part) and moves on as real time passes.
            let real = Date()
            let offset = start.addingTimeInterval(real.timeIntervalSince1970.truncatingRemainder(dividingBy: 10))
                .timeIntervalSince(real)
            env.now = { Date().addingTimeInterval(offset) }
        }
        return env
    }

    func open() throws -> Store { try Store.open(at: path, environment: environment) }
}
