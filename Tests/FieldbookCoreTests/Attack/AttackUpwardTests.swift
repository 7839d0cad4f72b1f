import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Attacks on offices above offices (issue 11): a county office, enrolled at the city as an office
/// (central), speaks for its own county.
@Suite struct AttackUpwardTests {
    func reason(_ outcome: MergeOutcome) -> String {
        if case .rejected(let r) = outcome.status { return r }
        return "\(outcome.status)"
    }

    /// FAILS today. County 甲's office, enrolled at the city, writes a delete of a household of
    /// county 乙 (its id is derived from its code, so needs no copy of 乙's roster) and of one of 乙's
    /// townships, and adds a problem category. The city merges it: a county store's changes are
    /// judged as a central store's (ChangeRules.authority returns nil for `.central`), so one county
    /// rewrites another's roster at the city, and the city's category list.
    @Test func aCountyOfficeCannotChangeAnotherCountysRosterAtTheCity() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        let b = try region.addCounty("乙", letter: "B", laptops: 1)
        #expect(region.city.merge(bundleAt: try region.pack(b.office)).status == .merged)
        let household = RecordID.household(code: "B1101")
        let township = RecordID.township("乙城镇")
        #expect(try region.city.record(id: household).deleted == false)
        try a.office.write { db in
            _ = try a.office.appendLocalChange(db, kind: .household, recordID: household, op: .delete, fields: [:])
            _ = try a.office.appendLocalChange(db, kind: .township, recordID: township, op: .delete, fields: [:])
        }
        let outcome = region.city.merge(bundleAt: try region.pack(a.office))
        #expect(outcome.status != .merged, "the city took county 甲's delete of county 乙's roster")
        #expect(try region.city.record(id: household).deleted == false)
        #expect(try region.city.record(id: township).deleted == false)
    }
}
