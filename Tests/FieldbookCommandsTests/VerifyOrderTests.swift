import FieldbookTestSupport
import Foundation
import Testing

/// `verify` without a store judges its bundles side by side (issue 10): what it prints is what
/// judging them one after another printed, in the order the files are named.
@Suite("verify judges bundles side by side, reports them in order")
struct VerifyOrderTests {
    @Test("sound and damaged bundles are reported in their order, the damaged on stderr, the summary last")
    func reportsInOrder() throws {
        let s = Sandbox()
        s.write("roster.csv", sampleRosterCSV)
        try s.ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        try s.ok("--db", "office.sqlite", "roster", "import", "roster.csv")
        try s.ok("--db", "office.sqlite", "pack", "--roster", "--out", "packed")
        let bundle = try #require(try FileManager.default.contentsOfDirectory(atPath: s.path("packed")).first)
        let bytes = try #require(s.contents("packed/" + bundle))
        try FileManager.default.createDirectory(atPath: s.path("stick"), withIntermediateDirectories: true)
        let names = ["a", "b", "c", "d", "e"].map { "\($0).fbundle" }
        for name in names {
            // b and d cut short: refused; the others sound.
            let cut = name == "b.fbundle" || name == "d.fbundle"
            try Data(cut ? bytes.prefix(bytes.count - 40) : bytes).write(to: URL(fileURLWithPath: s.path("stick/" + name)))
        }
        let run = try s.run(["verify", "stick"])
        #expect(run.status == 65, "\(run)")
        let sound = run.stdoutLines.filter { $0.hasSuffix(": sound") }
        #expect(sound == ["a.fbundle: sound", "c.fbundle: sound", "e.fbundle: sound"], "\(run.stdout)")
        let errors = run.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == 3, "\(run.stderr)")
        #expect(errors.first?.hasPrefix("b.fbundle: ") == true && errors.dropFirst().first?.hasPrefix("d.fbundle: ") == true, "\(run.stderr)")
        #expect(errors.last == "fieldbook: 2 of 5 bundles are not sound.", "\(run.stderr)")

        let json = try s.run(["verify", "--json", "stick"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } } == names)
        #expect(entries.compactMap { $0["sound"] as? Bool } == [true, false, true, false, true])
    }
}
