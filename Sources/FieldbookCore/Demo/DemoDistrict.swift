import Foundation

/// A generated district shaped like the one in the source articles (睢阳区): 19 townships and
/// sub-districts, 295 villages and 54 communities, households with Chinese names in village groups,
/// and 5–8% priority households.
public struct DemoDistrict: Sendable {
    public struct Household: Sendable {
        public var code: String
        public var head: String
        public var group: String
        public var priority: [PriorityKind]
    }

    public struct Village: Sendable {
        public var township: String
        public var name: String
        public var kind: VillageKind
        public var households: [Household]
        /// The county (区/县) and city (市) of its township, at the province scale; nil in a district.
        public var county: String? = nil
        public var city: String? = nil

        public var qualifiedName: String {
            [city, county, township, name].compactMap { $0 }.joined(separator: "/")
        }

        /// Its id, as the roster import derives it.
        public var id: String { RecordID.village(township: township, county: county, city: city, name: name) }
    }

    public var name: String
    public var townships: [String]
    public var villages: [Village]

    public var householdCount: Int { villages.reduce(0) { $0 + $1.households.count } }

    /// The sizes of a demo.
    public struct Scale: Sendable {
        public var townships: Int
        public var subDistricts: Int
        public var villages: Int
        public var communities: Int
        public var households: ClosedRange<Int>
        /// Villages inspected over all rounds.
        public var inspected: Int
        public var rounds: Int
        /// Visits per inspected village, on average.
        public var visitsPerVillage: Int
        public var teams: Int
        /// Whether a household is visited again when a village has fewer households than visits.
        public var revisits = false
        /// Problems found per inspected village, on average (on-the-spot fixes aside).
        public var problemsPerVillage = 0.0
        /// Cities (市) and counties (区/县) above the townships: none for one district.
        public var cities = 0
        public var counties = 0

        /// 睢阳区's year: 349 units, 213 inspected in five rounds, ~14,700 households visited.
        public static let district = Scale(
            townships: 14, subDistricts: 5, villages: 295, communities: 54, households: 60...180,
            inspected: 213, rounds: 5, visitsPerVillage: 69, teams: 6, problemsPerVillage: 10.6)
        /// A province's worth for the benchmark: ~10,000 villages, ~1,000,000 visits, in 17 cities
        /// of 5 counties each (每县一个城关镇). Households are few per village here (the benchmark's
        /// shape: 100,000+ households), and are visited several times each.
        public static let province = Scale(
            townships: 300, subDistricts: 40, villages: 8_500, communities: 1_500, households: 8...14,
            inspected: 9_600, rounds: 5, visitsPerVillage: 104, teams: 4, revisits: true, problemsPerVillage: 5.2,
            cities: 17, counties: 85)
        /// A few villages: the bundles kept as format fixtures, and tests.
        public static let sample = Scale(
            townships: 2, subDistricts: 1, villages: 5, communities: 2, households: 12...20,
            inspected: 5, rounds: 2, visitsPerVillage: 8, teams: 2, problemsPerVillage: 3)
    }

    static let townshipNames = [
        "李口镇", "郭村镇", "坞墙镇", "冯桥镇", "路河乡", "闫集镇", "宋集镇", "包公庙乡", "娄店乡", "勒马乡",
        "临河店乡", "毛堌堆镇", "高辛镇", "王楼乡", "观堂镇", "双八镇", "刘口镇", "水池铺镇", "谢集镇",
    ]
    static let subDistrictNames = ["古宋街道", "新城街道", "文化街道", "东方街道", "宋城街道", "白云街道", "胜利街道"]
    static let villageStems = Array("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
    static let villageSuffixes = ["庄", "楼", "集", "营", "寨", "店", "岗", "口", "湾", "屯", "堂", "桥", "庙", "洼", "园"]
    static let communityStems = [
        "文化路", "建设路", "凯旋路", "神火大道", "南京路", "珠江路", "长江路", "黄河路", "华商大道", "北海路",
        "平原路", "归德路", "民主路", "八一路", "团结路", "青年路", "府前", "古城", "商丘路", "运河",
    ]
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let givenNames = [
        "建国", "秀英", "桂兰", "明华", "玉梅", "海燕", "志强", "丽娟", "德胜", "永福", "春花", "文杰", "金凤", "国庆",
        "淑珍", "玉兰", "小红", "立新", "卫东", "红梅", "长江", "保国", "秀珍", "凤英", "振华", "家富", "素芳", "庆林",
        "俊峰", "学文", "玉珍", "新民", "春生", "爱华", "彩云", "宝山", "桂英", "树林", "广辉", "翠兰",
    ]
    static let cityNames = [
        "郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市", "焦作市", "濮阳市", "许昌市", "漯河市",
        "三门峡市", "南阳市", "商丘市", "信阳市", "周口市", "驻马店市",
    ]
    static let countyStems = [
        "城东", "城西", "新华", "中原", "金水", "永安", "长乐", "平安", "太平", "安乐", "兴隆", "宁远", "东明", "西平",
        "南召", "北固", "清河", "高平", "长丰", "龙泉",
    ]
    static let groupNames = ["一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组", "十组"]

    /// The district a seed makes: the same seed, the same district.
    public static func generate(scale: Scale, seed: UInt64, name: String = "睢阳区") -> DemoDistrict {
        var rng = SeededRandom(seed: seed)
        var townships = Array(townshipNames.prefix(scale.townships))
        var subDistricts = Array(subDistrictNames.prefix(scale.subDistricts))
        while townships.count < scale.townships { townships.append("第\(townships.count + 1)镇") }
        while subDistricts.count < scale.subDistricts { subDistricts.append("第\(subDistricts.count + 1)街道") }
        // Cities and counties (the province scale): each township's, by its index in townships +
        // sub-districts; each county's first township is its 城关镇, a name every county repeats.
        var levels: [Int: (county: String, city: String)] = [:]
        if scale.counties > 0 {
            let perCity = max(1, (scale.counties + max(1, scale.cities) - 1) / max(1, scale.cities))
            let counties = (0..<scale.counties).map { c -> (county: String, city: String) in
                let city = c / perCity < cityNames.count ? cityNames[c / perCity] : "第\(c / perCity + 1)市"
                let county = "\(countyStems[c % countyStems.count])\(c % perCity == 0 ? "区" : "县")"
                return (county, city)
            }
            var seat = Set<Int>()
            for i in townships.indices {
                let c = i * counties.count / townships.count
                levels[i] = counties[c]
                if seat.insert(c).inserted { townships[i] = "城关镇" }
            }
            for j in subDistricts.indices { levels[townships.count + j] = counties[j * counties.count / subDistricts.count] }
        }
        func key(_ index: Int, _ name: String) -> String {
            levels[index].map { "\($0.city)/\($0.county)/\(name)" } ?? name
        }
        var villages: [Village] = []
        var usedInTownship = Set<String>()
        var codeCounter = 0
        func households(_ township: Int) -> [Household] {
            let count = Int.random(in: scale.households, using: &rng)
            codeCounter += 1
            let villageCode = String(format: "%02d%04d", township + 1, codeCounter)
            return (0..<count).map { h in
                var priority: [PriorityKind] = []
                let roll = Int.random(in: 0..<1000, using: &rng)
                if roll < 12 { priority.append(.wubao) }
                if roll >= 12 && roll < 52 { priority.append(.dibao) }
                if roll >= 45 && roll < 68 { priority.append(.weifang) }
                let head = "\(surnames.randomElement(using: &rng)!)\(givenNames.randomElement(using: &rng)!)"
                return Household(
                    code: "\(villageCode)\(String(format: "%03d", h + 1))", head: head,
                    group: groupNames[min(groupNames.count - 1, h / 30)], priority: priority)
            }
        }
        // Villages in the townships, communities mostly in the sub-districts.
        for v in 0..<scale.villages {
            let t = v % townships.count
            var name: String
            repeat {
                name = "\(villageStems.randomElement(using: &rng)!)\(villageSuffixes.randomElement(using: &rng)!)村"
            } while usedInTownship.contains("\(key(t, townships[t]))/\(name)")
            usedInTownship.insert("\(key(t, townships[t]))/\(name)")
            villages.append(Village(
                township: townships[t], name: name, kind: .village, households: households(t), county: levels[t]?.county,
                city: levels[t]?.city))
        }
        for c in 0..<scale.communities {
            let inSubDistrict = c % 9 != 8 || scale.subDistricts == 0
            let (index, township) = inSubDistrict
                ? (townships.count + c % max(1, subDistricts.count), subDistricts[c % max(1, subDistricts.count)])
                : (c % townships.count, townships[c % townships.count])
            var name: String
            var attempt = 0
            repeat {
                let stem = communityStems[(c + attempt * 7) % communityStems.count]
                name = attempt < communityStems.count ? "\(stem)社区" : "\(stem)第\(attempt)社区"
                attempt += 1
            } while usedInTownship.contains("\(key(index, township))/\(name)")
            usedInTownship.insert("\(key(index, township))/\(name)")
            villages.append(Village(
                township: township, name: name, kind: .community, households: households(index),
                county: levels[index]?.county, city: levels[index]?.city))
        }
        return DemoDistrict(name: name, townships: townships + subDistricts, villages: villages)
    }

    /// The roster as the office keeps it: a CSV with Chinese headers and a byte-order mark; at the
    /// province scale each row names its city (市) and county (县区) first.
    public func rosterCSV() -> String {
        let levels = villages.contains { $0.county != nil }
        var lines = [(levels ? "市,县区," : "") + "乡镇,村,类型,村民组,户号,户主,重点户"]
        for village in villages {
            let prefix = levels ? "\(village.city ?? ""),\(village.county ?? "")," : ""
            for h in village.households {
                let priority = h.priority.map(\.chinese).joined(separator: ";")
                lines.append("\(prefix)\(village.township),\(village.name),\(village.kind.chinese),\(h.group),\(h.code),\(h.head),\(priority)")
            }
        }
        return "\u{FEFF}" + lines.joined(separator: "\n") + "\n"
    }
}
