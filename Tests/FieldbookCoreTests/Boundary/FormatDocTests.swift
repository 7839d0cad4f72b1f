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

/// The date rule a bundle's values meet is the one typed dates are written by: for every day of
/// 1899–2201 and a few impossible ones, the fast check agrees with the calendar's.
@Suite struct DateRuleTests {
    @Test func theCanonicalCheckAgreesWithTheCalendarEveryDay() {
        var disagreements: [String] = []
        for year in [1899, 1900, 1901, 1996, 2000, 2024, 2026, 2100, 2199, 2200, 2201] {
            for month in 0...13 {
                for day in 0...32 {
                    let text = String(format: "%04d-%02d-%02d", year, month, day)
                    if FieldDate.isCanonical(text) != (FieldDate.normalize(text) == text) { disagreements.append(text) }
                }
            }
        }
        for text in ["2026-1-05", "2026/11/21", " 2026-11-21", "2026-11-21 ", "２０２６-11-21", "20261121", "2026-11-2a", ""] {
            #expect(!FieldDate.isCanonical(text), "\(text)")
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }
}
