import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

@Suite("Pending: the evening list of households not yet visited")
struct PendingTests {
    let dir = TemporaryDirectory("pending")

    @Test("households with no live visit, priority households first, then in roster order")
    func priorityFirst() throws {
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.visit, ["household": "XH001"])
        let list = try store.pending()
        #expect(list.pending.map(\.code) == ["DG002", "GC001", "GC002", "DG003"])
        #expect(list.pending.map(\.priority) == [[.dibao, .weifang], [.dibao], [.weifang], []])
        #expect(list.households == 6)
        #expect(list.visited == 2)
        #expect(list.priorityPending == 3)
        #expect(list.round == "五届第五轮")
        let dg002 = try #require(list.pending.first)
        #expect(dg002.head == "李秀英")
        #expect(dg002.group == "一组")
        #expect(dg002.village == "东关村")
        #expect(dg002.township == "城关镇")
    }

    @Test("--village and --priority-only narrow the list and its counts")
    func villageAndPriority() throws {
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        let village = try store.pending(PendingQuery(village: "城关镇/东关村"))
        #expect(village.pending.map(\.code) == ["DG002", "DG003"])
        #expect(village.village == "城关镇/东关村")
        #expect(village.households == 3)
        let priority = try store.pending(PendingQuery(village: "城关镇/东关村", priorityOnly: true))
        #expect(priority.pending.map(\.code) == ["DG002"])
        #expect(priority.households == 2)
        #expect(priority.visited == 1)
        let everywhere = try store.pending(PendingQuery(priorityOnly: true))
        #expect(everywhere.pending.map(\.code) == ["DG002", "GC001", "GC002"])
        #expect(throws: FieldbookError.ambiguousVillage("东关村", candidates: ["古城乡/东关村", "城关镇/东关村"])) {
            try store.pending(PendingQuery(village: "东关村"))
        }
    }

    @Test("a deleted visit puts its household back on the list; a moved visit moves it")
    func deletesAndMoves() throws {
        let store = try makeFieldStore(in: dir)
        let visit = try store.record(.visit, ["household": "DG003"])
        let moved = try store.record(.visit, ["household": "DG001"])
        #expect(try !store.pending().pending.map(\.code).contains("DG003"))
        _ = try store.delete(visit.id)
        _ = try store.edit(moved.id, set: [("household", "GC001")])
        let codes = try store.pending().pending.map(\.code)
        #expect(codes == ["DG001", "DG002", "GC002", "DG003", "XH001"])
    }

    @Test("visits count in this device's round by default, in a named round, or in any round")
    func rounds() throws {
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        try store.setRound("五届第六轮")
        _ = try store.record(.visit, ["household": "DG002"])
        #expect(try store.pending().pending.map(\.code).contains("DG001"), "DG001 was visited in the previous round only")
        #expect(try !store.pending().pending.map(\.code).contains("DG002"))
        #expect(try store.pending().round == "五届第六轮")
        let fifth = try store.pending(PendingQuery(rounds: .named("五届第五轮")))
        #expect(fifth.pending.map(\.code).contains("DG002"))
        #expect(!fifth.pending.map(\.code).contains("DG001"))
        let any = try store.pending(PendingQuery(rounds: .all))
        #expect(any.round == nil)
        #expect(any.pending.map(\.code) == ["GC001", "GC002", "DG003", "XH001"])
    }

    @Test("the printed list fits 80 columns, has a tick column, and says when everything is done")
    func printable() throws {
        let store = try makeFieldStore(in: dir)
        let text = PendingTable.render(try store.pending(), language: .zh)
        for line in text.components(separatedBy: "\n") {
            #expect(DisplayWidth.of(line) <= 80, "\(line)")
        }
        #expect(text.hasPrefix("未走访户\n"))
        #expect(text.contains("低保户、危房改造户  DG002  李秀英  一组    城关镇/东关村"), "\(text)")
        #expect(text.contains("[ ]"))
        #expect(text.hasSuffix("在册 6 户，已走访 0 户，未走访 6 户（其中重点户 4 户）。"), "\(text)")
        _ = try store.record(.visit, ["household": "DG001"])
        let priority = PendingTable.render(try store.pending(PendingQuery(village: "城关镇/东关村", priorityOnly: true)), language: .zh)
        #expect(priority.hasPrefix("城关镇/东关村 未走访的重点户\n"), "\(priority)")
        #expect(priority.hasSuffix("在册重点户 2 户，已走访 1 户，未走访 1 户。"), "\(priority)")
        for code in ["DG002", "DG003", "XH001", "GC001", "GC002"] {
            _ = try store.record(.visit, ["household": code])
        }
        let done = PendingTable.render(try store.pending(PendingQuery(priorityOnly: true)), language: .en)
        #expect(done.contains("All 4 priority households have been visited."), "\(done)")
        #expect(!done.contains("[ ]"))
    }

    @Test("the CSV and JSON lists hold the same households in the same order")
    func csvAndJSON() throws {
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        let list = try store.pending()
        let csv = TallyCSV.pending(list, language: .zh)
        #expect(csv.hasPrefix("\u{FEFF}重点户类型,户号,户主,村民组,乡镇,村（社区）\r\n"))
        let rows = csv.dropFirst().components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] } == list.pending.map { Substring($0.code) })
        #expect(rows.first == "低保户、危房改造户,DG002,李秀英,一组,城关镇,东关村")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TallyJSON.pending(list).utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "fieldbook.pending/1")
        let pending = try #require(json["pending"] as? [[String: Any]])
        #expect(pending.map { $0["code"] as? String } == list.pending.map(\.code))
        #expect(pending.first?["priority"] as? [String] == ["dibao", "weifang"])
        #expect(json["households"] as? Int == 6)
        #expect(json["visited"] as? Int == 1)
    }
}
