import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// `fieldbook find` and `visit NAME`: readings of names, the ranking, and the store around them.
@Suite struct HouseholdSearchTests {
    // MARK: Readings

    @Test func namesReadAsToneless_syllables_withTheSurnamesOwnReadingBeside() {
        var reader = NameReader()
        #expect(reader.reading(of: "张建国") == "zhang jian guo")
        #expect(reader.reading(of: "吕布") == "lu bu")
        #expect(reader.reading(of: "李a2") == "li a2")
        // The transform alone reads 单 dan and 曾 ceng; as surnames they read shan and zeng.
        #expect(reader.reading(of: "单雄信") == "shan xiong xin|dan xiong xin")
        #expect(reader.reading(of: "曾国藩") == "zeng guo fan|ceng guo fan")
        #expect(reader.reading(of: "解放军") == "xie fang jun|jie fang jun")
        // Compound surnames and ones ICU's name readings miss come from the table.
        #expect(reader.reading(of: "长孙无忌") == "chang sun wu ji|zhang sun wu ji")
        #expect(reader.reading(of: "朴正浩").hasPrefix("piao zheng hao|"))
        #expect(reader.reading(of: "·") == "")
    }

    // MARK: Ranking

    static let places = [
        HouseholdSearch.Place(township: "城关镇", village: "东关村", reading: "dong guan cun"),
        HouseholdSearch.Place(township: "古城乡", village: "西河村", reading: "xi he cun"),
    ]

    static func candidates(_ rows: [(String, String?, String?, Int)]) -> [HouseholdSearch.Candidate] {
        var reader = NameReader()
        return rows.map { code, head, group, place in
            HouseholdSearch.Candidate(
                code: code, head: head, reading: head.map { reader.reading(of: $0) } ?? "", group: group, place: place)
        }
    }

    static let roster = candidates([
        ("DG001", "张建国", "一组", 0), ("DG002", "李秀英", "一组", 0), ("DG003", "王大力", "二组", 0),
        ("DG004", "单雄信", "二组", 0), ("GC001", "张建国", "3组", 1), ("GC002", "吕布", "3组", 1),
        ("GC003", "张建", "3组", 1), ("ZJG1", nil, nil, 1),
    ])

    /// The codes found for `text`, best first, with their tiers.
    func find(_ text: String) -> [String] {
        HouseholdSearch.rank(text, Self.roster, places: Self.places).map { "\(Self.roster[$0.index].code):\($0.tier.key)" }
    }

    @Test func theNameInCharactersFullPinyinInitialsOrMixedFindsTheHead() {
        for text in ["张建国", "zhangjianguo", "zjg", "zhangjg", "zjguo", "zhang jian guo", "ZJG", "Zhang Jian Guo"] {
            let found = find(text)
            #expect(found.contains("DG001:\(text == "张建国" ? "name" : "pinyin")"), "\(text): \(found)")
            #expect(found.contains("GC001:\(text == "张建国" ? "name" : "pinyin")"), "\(text): \(found)")
        }
        // 张建 begins 张建国: a worse match than the exact one, a better one than a part.
        #expect(find("张建") == ["GC003:name", "DG001:prefix", "GC001:prefix"])
    }

    @Test func tiersRankCodeThenCodePrefixThenNameThenPinyinThenPrefixThenPart() {
        // zjg: the code ZJG1 begins with it; 张建国 reads zjg; 张建 does not.
        #expect(find("zjg") == ["ZJG1:code-prefix", "DG001:pinyin", "GC001:pinyin"])
        #expect(find("zjg1") == ["ZJG1:code"])
        #expect(find("dg00") == ["DG001:code-prefix", "DG002:code-prefix", "DG003:code-prefix", "DG004:code-prefix"])
        // li: 李秀英 begins with it (and 刘… would, as li begins liu); 王大力 holds it later.
        #expect(find("li") == ["DG002:prefix", "DG003:contains"])
        #expect(find("建国") == ["DG001:contains", "GC001:contains"])
        #expect(find("jianguo") == ["DG001:contains", "GC001:contains"])
    }

    @Test func pinyinMatchesWholeSyllablesOrTheirStartsNeverTheirMiddles() {
        #expect(find("angjian").isEmpty)
        #expect(find("hangjianguo").isEmpty)
        #expect(find("xyz").isEmpty)
        #expect(find("").isEmpty)
    }

    @Test func surnamesWithTwoReadingsAndUmlautAreFoundEitherWay() {
        #expect(find("shanxiongxin") == ["DG004:pinyin"])
        #expect(find("danxiongxin") == ["DG004:pinyin"])
        #expect(find("sxx") == ["DG004:pinyin"])
        #expect(find("dxx") == ["DG004:pinyin"])
        #expect(find("lvbu") == ["GC002:pinyin"])
        #expect(find("lubu") == ["GC002:pinyin"])
    }

    @Test func villageAndGroupWordsNarrowTheSearch() {
        #expect(find("东关 zjg") == ["DG001:pinyin"])
        #expect(find("西河 zjg") == ["ZJG1:code-prefix", "GC001:pinyin"])
        #expect(find("zjg xihe") == ["ZJG1:code-prefix", "GC001:pinyin"])
        #expect(find("3组 zjg") == ["GC001:pinyin"])
        #expect(find("古城 张建国") == ["GC001:name"])
        // A place alone lists its households.
        #expect(find("西河") == ["GC001:place", "GC002:place", "GC003:place", "ZJG1:place"])
        // A word that matches neither name nor place excludes everyone.
        #expect(find("东关 吕布").isEmpty)
    }

    @Test func whenNothingMatchesTheClosestAreAFewEditsAway() {
        let closest = { (text: String) in HouseholdSearch.closest(text, Self.roster).map { Self.roster[$0].code } }
        #expect(closest("张健国") == ["DG001", "GC001"])
        #expect(closest("zhangjiangou").prefix(2) == ["DG001", "GC001"])
        #expect(closest("DG01") == ["DG001"])
        #expect(closest("完全不同的名字").isEmpty)
    }

    /// A district-size roster (45,000 households): the search finds exactly the households a
    /// plain reading of the rules finds. (Not timed here: the README gives the binary's time.)
    @Test func aDistrictRosterFindsExactlyWhatTheRulesSay() {
        let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单")
        let given = Array("建国秀英明华军平志强伟芳娜敏静丽霞玉兰桂凤红梅春生海林波辉刚勇杰涛斌超鹏飞宇浩然子轩欣怡佳琪")
        var rows: [(String, String?, String?, Int)] = []
        for i in 0..<45_000 {
            let name = "\(surnames[i % surnames.count])\(given[(i / surnames.count) % given.count])\(given[(i / 7 + 3) % given.count])"
            rows.append((String(format: "H%05d", i), i % 50 == 7 ? String(name.prefix(2)) : name, "\(i % 9 + 1)组", i % 2))
        }
        let candidates = Self.candidates(rows)
        let matches = HouseholdSearch.rank("zjg", candidates, places: Self.places)
        // Exactly the three-character names whose initials (in some reading) are z, j, g.
        let expected = Set(candidates.indices.filter { i in
            candidates[i].reading.split(separator: "|").contains { alternative in
                String(alternative.split(separator: " ").map { $0.first! }) == "zjg"
            }
        })
        #expect(!expected.isEmpty)
        #expect(Set(matches.filter { $0.tier == .reading }.map(\.index)) == expected)
        #expect(matches.prefix(expected.count).allSatisfy { $0.tier == .reading })
        // One name in characters: every household of that name, and no other.
        let name = rows[12_345].1!
        let byName = HouseholdSearch.rank(name, candidates, places: Self.places)
        #expect(Set(byName.filter { $0.tier == .name }.map(\.index)) == Set(rows.indices.filter { rows[$0].1 == name }))
        #expect(byName.first?.tier == .name)
        // A code: that household first.
        #expect(HouseholdSearch.rank("H12345", candidates, places: Self.places).first?.index == 12_345)
        // A village word halves the list.
        let east = HouseholdSearch.rank("东关 zjg", candidates, places: Self.places)
        #expect(Set(east.map(\.index)) == Set(matches.map(\.index).filter { candidates[$0].place == 0 }))
    }

    // MARK: The store

    func office(_ dir: TemporaryDirectory) throws -> Store {
        let store = try makeOfficeStore(in: dir)
        _ = try store.importRoster(csvAt: dir.write("more.csv", """
            乡镇,村,类型,村民组,户号,户主,重点户
            古城乡,西河村,村,三组,GC003,张建国,
            城关镇,东关村,村,二组,DG004,单雄信,

            """))
        return store
    }

    /// The stored readings of heads' names, one per household that has a head.
    func readings(_ store: Store) throws -> [(name: String, reading: String)] {
        try store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT name, reading FROM household_reading ORDER BY household").map {
                ($0[0] as String, $0[1] as String)
            }
        }
    }

    @Test func rosterImportStoresTheReadingsOfItsNames() throws {
        let dir = TemporaryDirectory()
        let store = try office(dir)
        let stored = try readings(store)
        #expect(stored.count == 8)
        #expect(stored.filter { $0.name == "张建国" }.map(\.reading) == ["zhang jian guo", "zhang jian guo"])
        #expect(stored.first { $0.name == "单雄信" }?.reading == "shan xiong xin|dan xiong xin")
        let villages = try store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM village_reading") }
        #expect(villages == 4)
    }

    @Test func findGivesTheHouseholdsWithTheirPlacePriorityAndVisit() throws {
        let dir = TemporaryDirectory()
        let store = try office(dir)
        _ = try store.record(.visit, ["household": "DG001"])
        let finding = try store.findHouseholds("zjg")
        #expect(finding.total == 2)
        #expect(finding.atBest == 2)
        #expect(finding.round == "五届第五轮")
        #expect(finding.households.map(\.label) == ["DG001 张建国 (城关镇/东关村)", "GC003 张建国 (古城乡/西河村)"])
        #expect(finding.households.map(\.visited) == [true, false])
        #expect(finding.households[0].priority == [.wubao])
        #expect(finding.households[0].group == "一组")
        #expect(try store.findHouseholds("zjg", village: "古城乡/西河村").households.map(\.code) == ["GC003"])
        #expect(try store.findHouseholds("dg", limit: 2).households.count == 2)
        #expect(try store.findHouseholds("dg", limit: 2).total == 5)
        #expect(throws: FieldbookError.self) { try store.findHouseholds("zjg", village: "没有这个村") }
    }

    @Test func visitTakesACodeAsItIsAndAUniqueNameAsItsHousehold() throws {
        let dir = TemporaryDirectory()
        let store = try office(dir)
        #expect(try store.householdForVisit("DG001") == nil)
        let chosen = try #require(try store.householdForVisit("单雄信"))
        #expect(chosen.input == "DG004")
        #expect(chosen.household.label == "DG004 单雄信 (城关镇/东关村)")
        #expect(try store.householdForVisit("lxy")?.input == "DG002")
        #expect(try store.householdForVisit("东关 zjg")?.input == "DG001")
        // The only household whose name begins so.
        #expect(try store.householdForVisit("zhao")?.input == "XH001")
    }

    @Test func visitRefusesAnAmbiguousOrUnknownNameNamingTheClosest() throws {
        let dir = TemporaryDirectory()
        let store = try office(dir)
        do {
            _ = try store.householdForVisit("张建国")
            Issue.record("an ambiguous name was taken")
        } catch let error as FieldbookError {
            #expect(error == .ambiguousHousehold("张建国", candidates: ["DG001 张建国 (城关镇/东关村)", "GC003 张建国 (古城乡/西河村)"], total: 2))
            #expect(error.exitCode == 1)
            #expect(error.message.contains("Give the household's code"))
        }
        do {
            _ = try store.householdForVisit("张健国")
            Issue.record("an unknown name was taken")
        } catch let error as FieldbookError {
            #expect(error == .unknownHousehold("张健国", suggestions: ["DG001 张建国 (城关镇/东关村)", "GC003 张建国 (古城乡/西河村)"]))
            #expect(error.exitCode == 1)
        }
        // A part of a name alone is never taken: it is named as the closest.
        #expect(throws: FieldbookError.unknownHousehold("秀英", suggestions: ["DG002 李秀英 (城关镇/东关村)"])) {
            try store.householdForVisit("秀英")
        }
    }

    @Test func aLaptopReadsTheNamesItMergedAtItsFirstSearchAndAnEditedNameAgain() throws {
        let dir = TemporaryDirectory()
        let laptop = try makeFieldStore(in: dir)
        // The roster came by merge: no readings yet; the first search makes and keeps them.
        #expect(try readings(laptop).isEmpty)
        #expect(try laptop.findHouseholds("zjg").households.map(\.code) == ["DG001"])
        #expect(try readings(laptop).count == 6)
        // A head renamed (by a merged change of the office's) leaves a stale reading, read again.
        let stale = try laptop.dbQueue.write { db in
            try db.execute(sql: "UPDATE household SET head = '王建国' WHERE code = 'DG001'")
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM household_reading WHERE name = '张建国'")
        }
        #expect(stale == 1)
        #expect(try laptop.findHouseholds("zjg").households.isEmpty)
        #expect(try laptop.findHouseholds("wangjianguo").households.map(\.code) == ["DG001"])
        #expect(try readings(laptop).first?.name == "王建国")
        #expect(try readings(laptop).first?.reading == "wang jian guo")
    }

    @Test func theMigrationReadsTheNamesOfAStoreThatHadNoReadings() throws {
        let dir = TemporaryDirectory()
        let path: String
        do {
            let store = try office(dir)
            path = store.path
            try store.dbQueue.write { db in
                try db.execute(sql: "DROP TABLE household_reading; DROP TABLE village_reading")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v9-household-search'")
            }
        }
        let reopened = try Store.open(at: path, environment: FixedEnvironment().environment)
        #expect(try readings(reopened).count == 8)
        #expect(try reopened.findHouseholds("sxx").households.map(\.code) == ["DG004"])
    }

    @Test func completionOffersCodesNamesAndVillagesButNothingTheShellWouldExpand() throws {
        let dir = TemporaryDirectory()
        let store = try office(dir)
        let odd = try store.importRoster(csvAt: dir.write("odd.csv", """
            乡镇,村,类型,村民组,户号,户主,重点户
            城关镇,东关村,村,二组,DG$(touch x),张三,
            城关镇,东关村,村,二组,DG`id`,李四,

            """))
        #expect(odd.added == 2, "\(odd.rejected)")
        #expect(StoreCompletions.words(.households, prefix: "DG", storeAt: store.path) == ["DG001", "DG002", "DG003", "DG004"])
        #expect(StoreCompletions.words(.households, prefix: "张", storeAt: store.path) == ["张三", "张建国"])
        #expect(StoreCompletions.words(.villages, prefix: "", storeAt: store.path) == [
            "古城乡/东关村", "古城乡/西河村", "城关镇/东关村", "城关镇/新华社区", "新华社区", "西河村",
        ])
        #expect(StoreCompletions.words(.villages, prefix: "", storeAt: dir.path("none.sqlite")).isEmpty)
        #expect(StoreCompletions.words(.villages, prefix: "", storeAt: dir.write("not.sqlite", "not a store")).isEmpty)
    }
}
