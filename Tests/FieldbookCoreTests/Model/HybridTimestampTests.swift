import Foundation
import Testing

@testable import FieldbookCore

@Suite struct HybridTimestampTests {
    let t0 = Date(timeIntervalSince1970: 1_795_222_800)

    @Test func followsTheWallClockWhenItMovesForward() {
        let a = HybridTimestamp.next(after: .zero, now: t0)
        let b = HybridTimestamp.next(after: a, now: t0.addingTimeInterval(1))
        #expect(a.millis == 1_795_222_800_000)
        #expect(a.counter == 0)
        #expect(b.millis == a.millis + 1000)
        #expect(b.counter == 0)
    }

    @Test func neverGoesBackWhenTheWallClockDoes() {
        var last = HybridTimestamp.next(after: .zero, now: t0)
        var readings = [last]
        for offset in [-3600.0, -1, 0, -86400] {
            last = HybridTimestamp.next(after: last, now: t0.addingTimeInterval(offset))
            readings.append(last)
        }
        #expect(readings == readings.sorted())
        #expect(Set(readings).count == readings.count)
        #expect(last.millis == readings[0].millis)
        #expect(last.counter == 4)
    }

    @Test func counterOverflowMovesToTheNextMillisecond() {
        let full = HybridTimestamp(millis: 1000, counter: 0xFFFF)
        let next = HybridTimestamp.next(after: full, now: Date(timeIntervalSince1970: 0))
        #expect(next > full)
        #expect(next.millis == 1001)
        #expect(next.counter == 0)
    }

    @Test func formatsInTheInspectorsTimeZone() {
        let stamp = HybridTimestamp(millis: 1_795_222_800_000, counter: 3)
        #expect(stamp.formatted(in: TimeZone(identifier: "Asia/Shanghai")!) == "2026-11-21 09:00:00")
    }
}

@Suite struct RecordIDTests {
    @Test func derivedIdsAreTheSameEverywhereAndDifferByKey() {
        #expect(RecordID.household(code: "DG001") == RecordID.household(code: "DG001"))
        #expect(RecordID.household(code: "DG001") != RecordID.household(code: "DG002"))
        #expect(RecordID.village(township: "城关镇", name: "东关村") != RecordID.village(township: "古城乡", name: "东关村"))
        #expect(RecordID.round("五届第五轮") != RecordID.team("五届第五轮"))
        #expect(RecordID.household(code: "DG001").count == 36)
    }

    @Test func timeOrderedIdsSortByTime() {
        let random = [UInt8](repeating: 0xFF, count: 10)
        let early = RecordID.timeOrdered(at: Date(timeIntervalSince1970: 1_000), random: random)
        let late = RecordID.timeOrdered(at: Date(timeIntervalSince1970: 1_001), random: [UInt8](repeating: 0, count: 10))
        #expect(early < late)
        #expect(Array(early)[14] == "7")
        #expect("89ab".contains(Array(early)[19]))
    }

    @Test func datesAreNormalizedOrRefused() {
        #expect(FieldDate.normalize("2026-11-21") == "2026-11-21")
        #expect(FieldDate.normalize("2026/1/5") == "2026-01-05")
        #expect(FieldDate.normalize("2026年11月21日") == "2026-11-21")
        #expect(FieldDate.normalize("2026-02-30") == nil)
        #expect(FieldDate.normalize("2026-13-01") == nil)
        #expect(FieldDate.normalize("yesterday") == nil)
        #expect(FieldDate.normalize("21-11-2026") == nil)
    }
}
