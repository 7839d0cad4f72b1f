import Foundation
import Testing

@testable import FieldbookCore

/// bundles/FORMAT.md shows the fields of every kind from the same specs the CLI, verify and merge
/// check values by: a rule changed in one place shows here as a failing test.
@Suite struct FormatDocTests {
    static let formatPage: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("bundles/FORMAT.md"), encoding: .utf8)) ?? ""
    }()

    @Test func theFieldTableIsTheSpecs() {
        #expect(Self.formatPage.contains(ChangeRules.fieldTableMarkdown()), "regenerate FORMAT.md's table:\n\(ChangeRules.fieldTableMarkdown())")
    }

    @Test func theWorkedExampleClockAddsUp() throws {
        // "The clock `H` is `M × 65536 + C`" must be arithmetic that holds.
        let page = Self.formatPage
        let pattern = try Regex(#"`(\d+)` is `(\d+) × 65,?536 \+ (\d+)`"#)
        let matches = page.matches(of: pattern)
        #expect(!matches.isEmpty)
        for match in matches {
            let h = Int64(String(match.output[1].substring!))!, m = Int64(String(match.output[2].substring!))!
            let c = Int64(String(match.output[3].substring!))!
            #expect(h == m * 65_536 + c, "\(h) is not \(m) × 65536 + \(c)")
        }
    }
}
