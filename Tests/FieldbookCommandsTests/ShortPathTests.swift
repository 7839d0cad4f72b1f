import Foundation
import Testing

/// Paths of one character (`a`, `中`) for a store, `--out` and key files: Foundation's
/// `deletingLastPathComponent` traps on them, and `fieldbook status --db a` crashed with signal 4
/// on a store `init --db a` had just made. Every command here must finish as it would with a
/// longer name.
@Suite("Paths of one character, end to end")
struct ShortPathTests {
    func expectFine(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exitedNormally && result.status == 0, "\(result)", sourceLocation: sourceLocation)
    }

    @Test func aStoreNamedWithOneCharacter() throws {
        let s = Sandbox()
        for name in ["a", "中"] {
            expectFine(try s.run("init", "--db", name, "--device", "笔记本\(name)", "--team", "第一巡察组"), sourceLocation: #_sourceLocation)
            expectFine(try s.run("status", "--db", name))
            expectFine(try s.run("list", "--db", name))
            expectFine(try s.run(["list"], environment: ["FIELDBOOK_DB": name]))
            expectFine(try s.run("pack", "--db", name, "--out", "b\(name)"))
        }
    }

    @Test func keyFilesNamedWithOneCharacter() throws {
        let s = Sandbox()
        expectFine(try s.run("init", "--db", "o.sqlite", "--central", "--device", "区巡察办"))
        expectFine(try s.run("keys", "export", "--db", "o.sqlite", "--out", "k"))
        s.write("p", "a long enough passphrase\n")
        expectFine(try s.run("keys", "backup", "--db", "o.sqlite", "--out", "b", "--passphrase-file", "p"))
        #expect(s.contents("k") != nil && s.contents("b") != nil)
    }
}
