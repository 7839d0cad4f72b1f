import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// A small county's inspection, merged at the office: three townships, twelve villages and
/// communities, two laptops of two teams, and everything a tally must get right (a deleted visit, a
/// visit moved to another household, a household both laptops visited, a household found in the
/// field, a household and a village the office removed after they were visited, problems found:
/// one overdue, a clue transferred, one rectified, one in the removed village).
enum TallyFixture {
    static let townships: [(name: String, villages: [(name: String, community: Bool, households: Int)])] = [
        ("城关镇", [("东关村", false, 14), ("西关村", false, 12), ("新华社区", true, 10), ("南门村", false, 9)]),
        ("古城乡", [("东关村", false, 11), ("西河村", false, 13), ("柳林村", false, 8), ("王庄村", false, 12)]),
        ("白云街道", [("文化路社区", true, 15), ("建设路社区", true, 10), ("幸福里社区", true, 6), ("东风村", false, 9)]),
    ]

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    static let given = Array("建国秀英桂兰明华军红玉梅海燕志强丽娟德胜永福春花")

    /// The roster CSV, and the codes per village in roster order.
    static func roster() -> (csv: String, codes: [[String]]) {
        var csv = "乡镇,村,类型,村民组,户号,户主,重点户\n"
        var codes: [[String]] = []
        var n = 0
        for (t, township) in townships.enumerated() {
            for (v, village) in township.villages.enumerated() {
                var villageCodes: [String] = []
                for h in 0..<village.households {
                    n += 1
                    let code = "T\(t + 1)V\(v + 1)-\(String(format: "%03d", h + 1))"
                    let priority = n % 9 == 0 ? "五保户" : n % 7 == 0 ? "低保户" : n % 11 == 0 ? "危房改造户;低保户" : ""
                    let head = "\(surnames[n % surnames.count])\(given[n % given.count])\(given[(n / 3) % given.count])"
                    csv += "\(township.name),\(village.name),\(village.community ? "社区" : "村"),\(h / 5 + 1)组,\(code),\(head),\(priority)\n"
                    villageCodes.append(code)
                }
                codes.append(villageCodes)
            }
        }
        return (csv, codes)
    }

    /// The office's store with both laptops' bundles merged, and its folder.
    static func mergedOffice() throws -> (store: Store, dir: TemporaryDirectory) {
        let dir = TemporaryDirectory("tally-fixture")
        let (csv, codes) = roster()
        let office = try Store.create(
            at: dir.path("office.sqlite"), setup: DeviceSetup(name: "县委巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 7).environment)
        _ = try office.importRoster(csvAt: dir.write("roster.csv", csv))
        let rosterBundle = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
        let a = try Store.create(
            at: dir.path("a.sqlite"),
            setup: DeviceSetup(name: "一组笔记本", team: "第一巡察组", round: "五届第五轮", inspectors: ["张三", "李四"]),
            environment: FixedEnvironment(seed: 1).environment)
        let b = try Store.create(
            at: dir.path("b.sqlite"),
            setup: DeviceSetup(name: "二组笔记本", team: "第二巡察组", round: "五届第五轮", inspectors: ["王五"]),
            environment: FixedEnvironment(seed: 2).environment)
        _ = a.merge(bundleAt: rosterBundle)
        _ = b.merge(bundleAt: rosterBundle)

        // Team one works in 城关镇 and 古城乡, team two in 白云街道; how far each got varies by village.
        let shares = [1.0, 0.75, 0.4, 0.0, 0.9, 0.5, 0.0, 0.25, 0.8, 0.6, 1.0, 0.0]
        var day = 0
        func date() -> String {
            day += 1
            return String(format: "2026-11-%02d", 2 + day % 19)
        }
        for (index, villageCodes) in codes.enumerated() {
            let store = index < 8 ? a : b
            let visited = Int((Double(villageCodes.count) * shares[index]).rounded())
            for code in villageCodes.prefix(visited) {
                _ = try store.record(.visit, ["household": code, "date": date()])
            }
        }
        // Forums and notices where the teams were, one village with a notice only.
        let places = [("城关镇/东关村", 18), ("城关镇/西关村", 9), ("古城乡/东关村", 14), ("西河村", 11), ("王庄村", 7)]
        for (village, people) in places {
            _ = try a.record(.forum, ["village": village, "participants": String(people), "date": date()])
            _ = try a.record(.notice, ["village": village, "copies": "3", "place": "村部公示栏", "date": date()])
        }
        _ = try a.record(.notice, ["village": "柳林村", "copies": "2", "place": "村口", "date": date()])
        for village in ["文化路社区", "建设路社区", "幸福里社区"] {
            _ = try b.record(.forum, ["village": village, "participants": "12", "date": date()])
            _ = try b.record(.notice, ["village": village, "copies": "4", "place": "社区服务中心", "date": date()])
        }
        _ = try a.record(.fix, ["village": "城关镇/东关村", "problem": "村务公开栏未更新", "status": "verified"])
        _ = try a.record(.fix, ["village": "西河村", "problem": "低保公示缺失", "status": "fixed"])
        _ = try b.record(.fix, ["village": "文化路社区", "problem": "台账缺页"])
        // Problems found: one overdue, a clue transferred, one rectified, one in the community removed later.
        _ = try a.record(.problem, [
            "village": "城关镇/东关村", "summary": "低保评定未公示", "found_on": "2026-11-03", "deadline": "2026-11-10", "responsible": "村委会",
        ])
        let clue = try a.record(.problem, ["village": "西河村", "summary": "村干部优亲厚友", "detail": "群众反映", "found_on": "2026-11-04"])
        _ = try a.transfer(clue.id, to: "discipline")
        let done = try b.record(.problem, ["village": "文化路社区", "summary": "台账不全", "deadline": "2026-11-30"])
        _ = try b.rectify(done.id, status: "rectified")
        _ = try b.record(.problem, ["village": "幸福里社区", "summary": "服务中心无人值守"])
        // A wrong entry deleted, a visit moved, a household both teams visited, one found in the field.
        let wrong = try a.record(.visit, ["household": codes[3][0], "date": date()])
        _ = try a.delete(wrong.id)
        let moved = try a.record(.visit, ["household": codes[0][0], "date": date()])
        _ = try a.edit(moved.id, set: [("household", codes[7][0])])
        _ = try b.record(.visit, ["household": codes[0][1], "date": date()])
        _ = try b.record(.visit, ["household": "X999", "date": date()], newHousehold: NewHousehold(village: "东风村", head: "孙小红"))

        for store in [a, b] {
            let bundle = try #require(try store.pack(into: dir.path("stick")))
            #expect(office.merge(bundleAt: bundle.path).status == .merged)
        }
        // The office takes a visited household and a visited community off its roster.
        _ = try office.delete(RecordID.household(code: codes[2][0]))
        _ = try office.delete(RecordID.village(township: "白云街道", name: "幸福里社区"))
        return (office, dir)
    }
}

/// Where the tests leave files a person looks at: `.build/test-output/` of the package.
enum TestOutput {
    static var folder: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-output", isDirectory: true)
    }

    static func write(_ name: String, _ text: String) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url, options: .atomic)
        return url
    }
}
