@testable import FieldbookCommands
import FieldbookCore
import FieldbookTestSupport
import Foundation
import Testing

/// What the top-level `fieldbook` command does before a subcommand runs: `--version`, `--db`
/// given before the subcommand, a mistyped subcommand; and the demo's "Try next" lines.
@Suite("The top-level command")
struct TopLevelTests {
    // MARK: In process

    @Test("--db FILE and --db=FILE before the subcommand move after its path; nothing else moves")
    func leadingOptionsMove() {
        let move = CommandLineWords.movingLeadingOptions
        #expect(move(["--db", "o.sqlite", "status"]) == ["status", "--db", "o.sqlite"])
        #expect(move(["--db=o.sqlite", "status", "--json"]) == ["status", "--db=o.sqlite", "--json"])
        #expect(move(["--db", "o.sqlite", "roster", "import", "r.csv"]) == ["roster", "import", "--db", "o.sqlite", "r.csv"])
        #expect(move(["--db", "o.sqlite", "keys", "export", "--out", "k"]) == ["keys", "export", "--db", "o.sqlite", "--out", "k"])
        #expect(move(["--db", "o.sqlite", "visit", "DG001"]) == ["visit", "--db", "o.sqlite", "DG001"])
        // Only before the subcommand: a later --db, or a word that only looks like one, stays.
        #expect(move(["visit", "DG001", "--db", "x"]) == ["visit", "DG001", "--db", "x"])
        #expect(move(["visit", "--db"]) == ["visit", "--db"])
        #expect(move(["--db"]) == ["--db"])
    }

    @Test("a slip of one or two letters finds the subcommand it was meant to be; a word far from all finds none")
    func suggestions() {
        let names = Fieldbook.configuration.subcommands.flatMap(CommandLineWords.names)
        #expect(CommandLineWords.suggestions(for: "vist", among: names) == ["visit"])
        #expect(CommandLineWords.suggestions(for: "stauts", among: names) == ["status"])
        #expect(CommandLineWords.suggestions(for: "Merge", among: names) == ["merge"])
        #expect(CommandLineWords.suggestions(for: "probelms", among: names) == ["problems"])
        #expect(CommandLineWords.suggestions(for: "xyzzy", among: names).isEmpty)
        #expect(CommandLineWords.suggestions(for: "v", among: names).isEmpty)
        #expect(CommandLineWords.editDistance(Array("abcd"), Array("acbd")) == 1)
        #expect(CommandLineWords.editDistance(Array(""), Array("ab")) == 2)
    }

    @Test("the demo's next commands name the program as it was run")
    func demoNamesTheBinaryAsRun() throws {
        let invoked = Fieldbook.Demo.invokedAs
        // `swift run` starts the build folder's binary by its full path.
        #expect(invoked("/home/u/fieldbook/.build/x86_64-unknown-linux-gnu/debug/fieldbook", [:]) == "swift run fieldbook")
        #expect(invoked("/home/u/fieldbook/.build/release/fieldbook", [:]) == "swift run -c release fieldbook")
        // Typed by hand, relative: as typed. Found on PATH: the name.
        #expect(invoked(".build/release/fieldbook", [:]) == ".build/release/fieldbook")
        #expect(invoked("fieldbook", [:]) == "fieldbook")
        // A full path outside a build folder: the name when PATH finds this very file, else the path.
        let folder = TemporaryDirectory("invoked")
        let binary = folder.write("fieldbook", "#!/bin/sh\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        #expect(invoked(binary, ["PATH": "/nonexistent:" + folder.url.path]) == "fieldbook")
        #expect(invoked(binary, ["PATH": "/nonexistent"]) == binary)
        #expect(Fieldbook.Demo.shellQuoted("/tmp/my demo/fieldbook") == "'/tmp/my demo/fieldbook'")
        #expect(Fieldbook.Demo.shellQuoted("fieldbook-demo/office.sqlite") == "fieldbook-demo/office.sqlite")
    }

    // MARK: The binary

    @Test("--version prints the version, the bundle formats read and written, and the store schema")
    func version() throws {
        let sandbox = Sandbox()
        let english = try sandbox.ok("--version")
        let lines = english.split(separator: "\n").map(String.init)
        #expect(lines.first == "fieldbook \(FieldbookVersion.version)", "\(english)")
        #expect(lines.contains("Bundle formats: reads 1, 2; writes 1 (plain, a store without keys) and 2 (signed and encrypted)."), "\(english)")
        #expect(lines.contains { $0.hasPrefix("Store schema: v") }, "\(english)")
        let chinese = try sandbox.run(["--version"], environment: ["FIELDBOOK_LANG": "zh"])
        #expect(chinese.status == 0)
        #expect(chinese.stdout.contains("数据包格式：可读 1, 2"), "\(chinese)")
    }

    @Test("--db FILE before the subcommand works as after it, nested subcommands included")
    func dbBeforeTheSubcommand() throws {
        let sandbox = Sandbox()
        try sandbox.ok("--db", "office.sqlite", "init", "--central", "--device", "巡察办", "--round", "五届第五轮")
        sandbox.write("roster.csv", sampleRosterCSV)
        #expect(try sandbox.ok("--db", "office.sqlite", "roster", "import", "roster.csv").hasPrefix("Imported roster.csv: 6 households added"))
        let before = try sandbox.ok("--db", "office.sqlite", "status")
        let equals = try sandbox.ok("--db=office.sqlite", "status")
        let after = try sandbox.ok("status", "--db", "office.sqlite")
        #expect(before == after)
        #expect(equals == after)
        #expect(after.contains("巡察办"))
        #expect(try sandbox.ok("--db", "office.sqlite", "keys", "export", "--out", "office.fbkey").contains("office.fbkey"))
        #expect(FileManager.default.fileExists(atPath: sandbox.path("office.fbkey")))
        // No default store was made on the way.
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("fieldbook.sqlite")))
    }

    @Test("a mistyped subcommand: one line naming the closest, exit 64, nothing written")
    func mistypedSubcommand() throws {
        let sandbox = Sandbox()
        let vist = try sandbox.run("vist", "DG003")
        expectFailure(vist, code: 64, naming: ["vist", "Did you mean `fieldbook visit`?"])
        #expect(!vist.stderr.contains("list"), "\(vist)")
        let nested = try sandbox.run("roster", "imprt", "roster.csv")
        expectFailure(nested, code: 64, naming: ["imprt", "`fieldbook roster import`"])
        let unknown = try sandbox.run("--db", "x.sqlite", "xyzzy")
        expectFailure(unknown, code: 64, naming: ["xyzzy", "fieldbook --help"])
        let chinese = try sandbox.run(["stauts"], environment: ["FIELDBOOK_LANG": "zh"])
        expectFailure(chinese, code: 64, naming: ["没有 stauts 这个命令", "fieldbook status"])
        #expect(try sandbox.fileNames().isEmpty)
        // A word a subcommand takes as its own argument is not a mistyped subcommand.
        #expect(try sandbox.run("conflicts", "--json").status != 64)
    }

    @Test("quickstart prints the guide, in Chinese when asked")
    func quickstart() throws {
        let sandbox = Sandbox()
        #expect(try sandbox.ok("quickstart").contains("fieldbook init --db office.sqlite --central"))
        let chinese = try sandbox.run(["quickstart"], environment: ["FIELDBOOK_LANG": "zh"])
        #expect(chinese.stdout.hasPrefix("Fieldbook 快速上手"), "\(chinese)")
    }
}
