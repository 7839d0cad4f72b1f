import FieldbookCore
import FieldbookTestSupport
import Foundation
import Testing

/// Attacks on issue 11 through the built binary: what a clerk can type.
@Suite("Attacks on problems and rectification (issue 11), end to end")
struct AttackIssue11CommandTests {
    /// FAILS today. The inspectors who marked a problem rectified verify it themselves on the same
    /// laptop by naming nobody: `--by ""` (or `--by ,`). It must be refused like `--by` their own names
    /// (exit 77, naming another inspector), and the ledger must not show it verified.
    @Test("rectify --status verified --by \"\" on the device that rectified it is refused")
    func verifyingWithAnEmptyByIsRefused() throws {
        let s = try Sandbox.withStore()
        let p = try s.record("problem", "城关镇/东关村", "--summary", "村务未公开", "--date", "2026-11-01")
        _ = try s.ok("rectify", p.id, "--status", "rectified", "--measures", "补公开")
        expectFailure(try s.run("rectify", p.id, "--status", "verified"), code: 77, naming: [p.id, "another inspector"])
        for by in ["", ",", "、"] {
            let result = try s.run("rectify", p.id, "--status", "verified", "--by", by)
            #expect(result.status == 77, "--by \"\(by)\": \(result)")
        }
        let ledger = try s.ok("problems", "--format", "csv")
        #expect(!ledger.contains("已验收销号"), "\(ledger)")
    }
}
