import Crypto
import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

// Above the district (issue 11, 上下联动): county offices merge their laptops' bundles and report to
// the city office, whose tally must be the sum of theirs; the city trusts the laptops its enrolled
// counties enrolled, and nothing else a county's trust list claims.

/// A city office (市委巡察办) and county offices below it. Each county imports its own roster (its
/// townships named with its prefix, its household codes with its letter, until the roster carries
/// county columns), pins the city's key and is enrolled there as an office; each county's laptops
/// pin the county's key, are enrolled there, and get the county's signed roster.
final class Region {
    final class County {
        let name: String
        let prefix: String
        let letter: String
        let office: Store
        let path: String
        var laptops: [Store] = []
        /// `TOWNSHIP/VILLAGE` of each village, and its household codes.
        var villages: [String] = []
        var codes: [[String]] = []
        /// Fixes recorded, for later rounds to move on.
        var fixes: [(laptop: Int, id: String)] = []
        var visits: [(laptop: Int, id: String)] = []
        /// Problems to rectify in later rounds.
        var problems: [(laptop: Int, id: String)] = []

        init(name: String, prefix: String, letter: String, office: Store, path: String) {
            self.name = name
            self.prefix = prefix
            self.letter = letter
            self.office = office
            self.path = path
        }

        var id: String { (try? office.status().deviceID) ?? "" }
    }

    let dir = TemporaryDirectory("upward")
    let city: Store
    private(set) var counties: [County] = []
    private var seed: UInt64 = 600

    init(cityName: String = "city.sqlite") throws {
        city = try Store.create(
            at: dir.path(cityName), setup: DeviceSetup(name: "市委巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 500).environment)
        _ = try city.publicKeys()
    }

    /// A county roster: two townships of three villages (one a community) of five households.
    /// `scoped`: the roster names its county (区县), and both counties use the same township names and
    /// household codes, as real counties do (every county has its 城关镇).
    static func roster(prefix: String, letter: String, scoped: Bool = false) -> (csv: String, villages: [String], codes: [[String]]) {
        var csv = (scoped ? "区县," : "") + "乡镇,村,类型,村民组,户号,户主,重点户\n"
        var villages: [String] = []
        var codes: [[String]] = []
        let heads = Array("王李张刘陈杨黄赵吴周")
        let townships = scoped ? ["城关镇", "河东乡"] : ["\(prefix)城镇", "\(prefix)河乡"]
        for (t, township) in townships.enumerated() {
            for (v, village) in [("东关村", false), ("西河村", false), ("新华社区", true)].enumerated() {
                villages.append("\(township)/\(village.0)")
                var list: [String] = []
                for h in 0..<5 {
                    let code = (scoped ? "" : letter) + "\(t + 1)\(v + 1)0\(h + 1)"
                    let priority = h == 0 ? "五保户" : h == 3 ? "低保户;危房改造户" : ""
                    csv += (scoped ? "\(prefix)县," : "") + "\(township),\(village.0),\(village.1 ? "社区" : "村"),\(h / 3 + 1)组,\(code),\(heads[(t * 3 + v + h) % heads.count])某,\(priority)\n"
                    list.append(code)
                }
                codes.append(list)
            }
        }
        return (csv, villages, codes)
    }

    /// A county office with its roster and `laptops` enrolled laptops, reporting to the city.
    @discardableResult
    func addCounty(_ prefix: String, letter: String, laptops: Int, enrollAtCity: Bool = true, scoped: Bool = false) throws -> County {
        seed += 10
        let path = dir.path("county-\(letter).sqlite")
        let office = try Store.create(
            at: path, setup: DeviceSetup(name: "\(prefix)县巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: seed).environment)
        let (csv, villages, codes) = Self.roster(prefix: prefix, letter: letter, scoped: scoped)
        _ = try office.importRoster(csvAt: dir.write("roster-\(letter).csv", csv))
        try office.pinOffice(try #require(try city.officeKeyFile()))
        if enrollAtCity { try city.enroll(try office.enrollmentRequest().request) }
        let county = County(name: "\(prefix)县巡察办", prefix: prefix, letter: letter, office: office, path: path)
        county.villages = villages
        county.codes = codes
        for i in 0..<laptops {
            seed += 1
            let laptop = try Store.create(
                at: dir.path("\(letter)-laptop\(i + 1).sqlite"),
                setup: DeviceSetup(
                    name: "\(prefix)县第\(i + 1)组-笔记本", team: "\(prefix)县第\(i / 2 + 1)巡察组", round: "五届第五轮", inspectors: ["张三"]),
                environment: FixedEnvironment(seed: seed).environment)
            try laptop.pinOffice(try #require(try office.officeKeyFile()))
            try office.enroll(try laptop.enrollmentRequest().request)
            county.laptops.append(laptop)
        }
        try handOutRoster(county)
        counties.append(county)
        return county
    }

    /// The county's signed roster bundle (with its trust list), merged by each of its laptops.
    func handOutRoster(_ county: County) throws {
        let roster = try #require(try county.office.pack(into: dir.path("roster-\(county.letter)-\(UUID().uuidString.prefix(6))"), scope: .roster))
        for laptop in county.laptops {
            let outcome = laptop.merge(bundleAt: roster.path)
            if case .rejected(let reason) = outcome.status { throw BundleError(reason) }
        }
    }

    /// A store's bundle of what is new, in a folder of its own.
    func pack(_ store: Store, scope: PackScope = .unpacked) throws -> String {
        try #require(try store.pack(into: dir.path("stick-\(UUID().uuidString.prefix(8))"), scope: scope)).path
    }

    /// One round of field work in a county: each laptop visits some households of its villages
    /// (priority ones first), holds a forum and posts notices, records a fix; the first round also
    /// corrects a visit and deletes a wrong one; later rounds mark fixes fixed, and the county
    /// office verifies one. Laptop 2 merges laptop 1's bundle in the field and relays it. The county
    /// merges every laptop's bundle.
    func work(_ county: County, round: Int) throws {
        var bundles: [String] = []
        for (i, laptop) in county.laptops.enumerated() {
            for (v, codes) in county.codes.enumerated() where v % county.laptops.count == i {
                let share = (v + round) % 3 == 0 ? 5 : (v + round) % 3 == 1 ? 3 : 1
                for code in codes.prefix(share) {
                    let visit = try laptop.record(.visit, ["household": code, "date": "2026-11-\(10 + round)", "note": "第\(round)轮走访"])
                    county.visits.append((i, visit.id))
                }
                if (v + round) % 2 == 0 {
                    _ = try laptop.record(.forum, [
                        "village": county.villages[v], "participants": String(8 + v + round), "date": "2026-11-\(10 + round)",
                    ])
                }
                _ = try laptop.record(.notice, [
                    "village": county.villages[v], "copies": String(1 + (v + round) % 4), "place": "村部公示栏", "date": "2026-11-\(10 + round)",
                ])
                if round == 1, v / county.laptops.count == 0 {
                    let fix = try laptop.record(.fix, ["village": county.villages[v], "problem": "村务公开栏未更新", "found_on": "2026-11-11"])
                    county.fixes.append((i, fix.id))
                    // Problems found: one to rectify, one a clue transferred at once, one left open past its deadline.
                    let p = try laptop.record(.problem, [
                        "village": county.villages[v], "summary": "低保评定未公示", "category": "惠农资金",
                        "found_on": "2026-11-11", "deadline": "2026-11-20",
                    ])
                    county.problems.append((i, p.id))
                    let clue = try laptop.record(.problem, ["village": county.villages[v], "summary": "村干部优亲厚友", "found_on": "2026-11-11"])
                    _ = try laptop.transfer(clue.id, to: "discipline", date: "2026-11-11")
                    _ = try laptop.record(.problem, [
                        "village": county.villages[v], "summary": "三资台账缺失", "found_on": "2026-11-11", "deadline": "2026-11-12",
                    ])
                }
            }
            if round == 1 {
                let mine = county.visits.filter { $0.laptop == i }
                if let first = mine.first { _ = try laptop.edit(first.id, set: [("note", "户主反映低保评定不公开，已登记")]) }
                if mine.count > 1 { _ = try laptop.delete(mine[1].id) }
            } else {
                for fix in county.fixes where fix.laptop == i {
                    _ = try laptop.setFixStatus(fix.id, to: "fixed", date: "2026-11-\(10 + round)")
                }
                for problem in county.problems where problem.laptop == i {
                    _ = try laptop.rectify(problem.id, status: "rectified", measures: "补公示", date: "2026-11-\(10 + round)")
                }
            }
            if i == 1 {
                // A teammate's bundle, merged in the field and relayed with its author's segment.
                let field = laptop.merge(bundleAt: bundles[0])
                #expect(field.status == .merged, "\(field.status)")
            }
            bundles.append(try pack(laptop))
        }
        for bundle in bundles {
            let outcome = county.office.merge(bundleAt: bundle)
            #expect(outcome.status == .merged, "\(county.name): \(outcome.status)")
        }
        if round > 1, let fix = county.fixes.first {
            _ = try county.office.setFixStatus(fix.id, to: "verified", date: "2026-11-\(10 + round)")
        }
        if round > 1, let problem = county.problems.first {
            _ = try county.office.rectify(problem.id, status: "verified", date: "2026-11-\(10 + round)", by: "县巡察办王五")
        }
    }

    /// A city store with the same keys and enrollments (from the city's key backup): the same city
    /// merging in another order.
    func cityCopy(_ name: String) throws -> Store {
        let backup = try city.backupKeys(passphrase: "市委巡察办备份口令", cost: cheapCost)
        let copy = try Store.create(
            at: dir.path(name), setup: DeviceSetup(name: "市委巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 501).environment)
        try copy.restoreKeys(from: backup, passphrase: "市委巡察办备份口令")
        return copy
    }

    /// A store's private keys, as a forger who has the store file holds them.
    func keys(_ county: County) throws -> ForgeKeys { try Arena.keys(county.path) }
}

/// Figure by figure: the city's tally is the sum of the counties'.
func expectSum(_ city: TallyReport, _ counties: [TallyReport], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(city.district == counties.map(\.district).reduce(TallyCounts(), +), sourceLocation: sourceLocation)
    var townships: [String: TallyCounts] = [:]
    var villages: [String: TallyCounts] = [:]
    for county in counties {
        for t in county.townships { townships[t.id] = t.counts }
        for v in county.villages { villages[v.id] = v.counts }
    }
    let cityTownships = Dictionary(city.townships.map { ($0.id, $0.counts) }, uniquingKeysWith: { a, _ in a })
    #expect(cityTownships == townships, sourceLocation: sourceLocation)
    let cityVillages = Dictionary(city.villages.map { ($0.id, $0.counts) }, uniquingKeysWith: { a, _ in a })
    #expect(cityVillages == villages, sourceLocation: sourceLocation)
    #expect(city.unknownHouseholds == UnknownHouseholdsTally(), sourceLocation: sourceLocation)
    #expect(city.unknownVillages.isEmpty, sourceLocation: sourceLocation)
}

@Suite("Above the district: county offices report to the city")
struct UpwardTests {
    func reason(_ outcome: MergeOutcome) -> String {
        if case .rejected(let r) = outcome.status { return r }
        return "\(outcome.status)"
    }

    @Test("two counties' laptops, merged at each county, merged at the city in several orders: the city's tally is the sum of the counties', figure by figure")
    func cityTallyIsTheSum() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 3)
        let b = try region.addCounty("乙", letter: "B", laptops: 2)
        try region.work(a, round: 1)
        try region.work(b, round: 1)
        let a1 = try region.pack(a.office)
        let b1 = try region.pack(b.office)
        try region.work(a, round: 2)
        try region.work(b, round: 2)
        let a2 = try region.pack(a.office)
        let b2 = try region.pack(b.office)
        // Packing again sends nothing: every change went in a bundle.
        #expect(try a.office.pack(into: region.dir.path("again")) == nil)

        let second = try region.cityCopy("city2.sqlite")
        let third = try region.cityCopy("city3.sqlite")
        let orders: [(Store, [String])] = [
            (region.city, [a1, b1, a2, b2]),
            (second, [b2, a2, b1, a1]),
            (third, [a2, b1, a1, b2]),
        ]
        for (city, order) in orders {
            for bundle in order {
                let outcome = city.merge(bundleAt: bundle)
                #expect(outcome.status == .merged, "\(reason(outcome))")
                #expect(outcome.signed)
                #expect(outcome.leftOutRevoked == 0)
            }
            // Merged again (a copied stick): already merged.
            #expect(city.merge(bundleAt: a1).status == .alreadyMerged)
            #expect(city.merge(bundleAt: b2).status == .alreadyMerged)
        }
        let counties = [try a.office.tally(), try b.office.tally()]
        #expect(counties[0].district.visits > 0 && counties[1].district.visits > 0)
        #expect(counties[0].district.forums > 0 && counties[0].district.notices > 0)
        #expect(counties[0].district.fixesVerified == 1 && counties[0].district.fixesFixed > 0)
        #expect(counties[1].district.wubao.visited > 0)
        for (city, _) in orders {
            let tally = try city.tally()
            expectSum(tally, counties)
            #expect(tally.townships.count == 4)
            #expect(tally.district.villages == 12)
            // No conflict: nothing was edited twice.
            #expect(try city.mergeSummary().conflicts == 0)
        }
        #expect(try region.city.tally().district == second.tally().district)
        // By township and round as well.
        let query = TallyQuery(round: "五届第五轮", township: "甲河乡")
        #expect(try region.city.tally(query).district == a.office.tally(query).district)
    }

    @Test("two counties with the same township names and household codes (the roster names its county): the city keeps them apart and its tally, problems included, is the sum of the counties'")
    func cityTallyIsTheSumWithTheSameNamesInBothCounties() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 2, scoped: true)
        let b = try region.addCounty("乙", letter: "B", laptops: 2, scoped: true)
        for round in 1...2 {
            try region.work(a, round: round)
            try region.work(b, round: round)
        }
        let bundles = [try region.pack(a.office), try region.pack(b.office)]
        for bundle in bundles.reversed() {
            let outcome = region.city.merge(bundleAt: bundle)
            #expect(outcome.status == .merged, "\(reason(outcome))")
        }
        let counties = [try a.office.tally(), try b.office.tally()]
        #expect(counties[0].district.problemsFound > 0 && counties[0].district.problems.clues > 0)
        #expect(counties[0].district.problems.verified == 1 && counties[0].district.problems.overdue > 0)
        let city = try region.city.tally()
        expectSum(city, counties)
        // Two 城关镇 and two 河东乡, one of each per county; by county, each county's own district.
        #expect(city.townships.count == 4)
        #expect(city.townships.filter { $0.name == "城关镇" }.count == 2)
        #expect(city.counties.count == 2)
        for (county, report) in zip(["甲县", "乙县"], counties) {
            #expect(try region.city.tally(TallyQuery(county: county)).district == report.district, "\(county)")
        }
    }

    @Test("a county's bundle for the city is signed, encrypted to the city, carries its laptops' segments and its trust list; a lost stick shows nothing")
    func whatTravelsUpward() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 2)
        try region.work(a, round: 1)
        let up = try region.pack(a.office)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: up))
        #expect(bytes[9] == 2)
        for secret in ["户主反映低保评定不公开", "第1轮走访", "村务公开栏未更新", "A1101", "东关村", "村部公示栏"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in the clear")
        }
        #expect(bytes.range(of: Data([0x1F, 0x8B, 0x08])) == nil)
        let manifest = try BundleFile.open(up).manifest
        let cityBox = try region.city.publicKeys().boxID
        let countyBox = try a.office.publicKeys().boxID
        #expect(manifest.encryption?.recipients.map(\.keyID) == [cityBox, countyBox])
        #expect(manifest.device.role == "central")
        #expect(manifest.trust != nil)
        // A segment per laptop (their signatures), and the county's own.
        let authors = Set((manifest.segments ?? []).map(\.device))
        let laptopIDs = try a.laptops.map { try $0.status().deviceID }
        #expect(authors == Set(laptopIDs + [a.id]))
        // The county's laptops cannot open it, nor can another county.
        let b = try region.addCounty("乙", letter: "B", laptops: 1)
        #expect(reason(a.laptops[0].merge(bundleAt: up)).contains("not addressed to this store"))
        #expect(reason(b.office.merge(bundleAt: up)).contains("does not know"))
        // The city's bundle does not go down to a county: bundles flow upward.
        let down = try region.pack(region.city)
        #expect(reason(a.office.merge(bundleAt: down)).contains("office above this one"))
    }

    @Test("the city trusts the laptops an enrolled county enrolled: devices lists them as enrolled by the county, history names the laptop")
    func relayedChangesStayAttributable() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 2)
        try region.work(a, round: 1)
        let up = try region.pack(a.office)
        let outcome = region.city.merge(bundleAt: up)
        #expect(outcome.status == .merged, "\(reason(outcome))")
        #expect(outcome.delegatedTrustVersion != nil)
        let listings = try region.city.deviceListings()
        for laptop in a.laptops {
            let id = try laptop.status().deviceID
            let listing = try #require(listings.first { $0.id == id })
            #expect(listing.standing == .enrolled)
            #expect(listing.enrolledBy == "甲县巡察办")
            #expect(listing.name == (try laptop.status().deviceName))
            #expect(listing.fingerprint == (try laptop.publicKeys().fingerprint))
            #expect(listing.lastSeq == Int64(try laptop.status().ownChanges))
        }
        let county = try #require(listings.first { $0.id == a.id })
        #expect(county.role == .central && county.standing == .enrolled && county.enrolledBy == nil)
        // The second laptop's visit, relayed by the county, is the laptop's at the city.
        let visit = try #require(a.visits.first { $0.laptop == 1 })
        let history = try region.city.history(visit.id)
        #expect(history.record.createdByName == "甲县第2组-笔记本")
        #expect(history.entries.allSatisfy { $0.deviceName == "甲县第2组-笔记本" })
        let summary = try region.city.trustSummary()
        #expect(summary.offices == 1 && summary.delegated == 2)
    }

    @Test("a laptop its county revoked: its changes after the revocation are left out at the city, whatever the order")
    func revokedByTheCounty() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 2)
        try region.work(a, round: 1)
        let stolen = a.laptops[0]
        let stolenID = try stolen.status().deviceID
        // The county holds the laptop's changes up to `held`; it revokes it earlier, after `keep`.
        let held = Int64(try stolen.status().ownChanges)
        let keep = held - 3
        let before = try region.pack(a.office)
        _ = try a.office.revoke(device: "甲县第1组-笔记本", afterSeq: keep)
        _ = try a.laptops[1].record(.visit, ["household": a.codes[1][4], "date": "2026-11-20"])
        #expect(a.office.merge(bundleAt: try region.pack(a.laptops[1])).status == .merged)
        let after = try region.pack(a.office)
        // What the county packs after the revocation leaves the laptop's later changes out.
        let forge = try SignedBundleForge.open(after, box: try region.keys(a).box)
        #expect(!forge.lines.contains { SignedBundleForge.describe($0).device == stolenID && SignedBundleForge.describe($0).seq > keep })

        let second = try region.cityCopy("city2.sqlite")
        // Revocation first, then the older bundle: its changes past the point are left out.
        let r1 = region.city.merge(bundleAt: after)
        #expect(r1.status == .merged, "\(reason(r1))")
        let r2 = region.city.merge(bundleAt: before)
        #expect(r2.status == .merged, "\(reason(r2))")
        #expect(r2.leftOutRevoked == 3)
        let listing = try #require(try region.city.deviceListings().first { $0.id == stolenID })
        #expect(listing.standing == .revoked && listing.revokedAfterSeq == keep && listing.enrolledBy == "甲县巡察办")
        #expect(listing.lastSeq == keep)
        // The other order keeps what arrived before the city knew of the revocation (as the county
        // did), and takes the revocation.
        #expect(second.merge(bundleAt: before).status == .merged)
        #expect(second.merge(bundleAt: after).status == .merged)
        #expect(try second.deviceListings().first { $0.id == stolenID }?.standing == .revoked)
        // A thief's later work never reaches the city: the county refuses it.
        _ = try stolen.record(.visit, ["household": a.codes[0][4], "date": "2026-11-21"])
        #expect(reason(a.office.merge(bundleAt: try region.pack(stolen))).contains("revoked"))
    }

    @Test("the city refuses a county it never enrolled, and a county bundle whose trust list is not signed by that county")
    func untrustedCounty() throws {
        let region = try Region()
        let rogue = try region.addCounty("丙", letter: "C", laptops: 1, enrollAtCity: false)
        try region.work(rogue, round: 1)
        let fromRogue = try region.pack(rogue.office)
        #expect(reason(region.city.merge(bundleAt: fromRogue)).contains("does not know: enroll it first"))

        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        try region.work(a, round: 1)
        let honest = try region.pack(a.office)
        let countyKeys = try region.keys(a)
        var forge = try SignedBundleForge.open(honest, box: try Arena.keys(region.city.path).box)
        forge.bundleID = newID()
        forge.recipients = [try region.city.publicKeys().box]
        // The county's own trust list, with a laptop added, signed by a key that is not the county's.
        var document = try #require(SignedBundleForge.trustDocument(forge.manifest))
        let stranger = ForgeKeys()
        var devices = document["devices"] as! [JSONObject]
        devices.append([
            "device": UUID().uuidString.lowercased(), "name": "冒名笔记本", "sign": stranger.signPublic.base64EncodedString(),
            "box": stranger.boxPublic.base64EncodedString(), "status": "enrolled",
        ])
        document["devices"] = devices
        document["version"] = ((document["version"] as? NSNumber)?.int64Value ?? 1) + 1
        forge.manifest["trust"] = SignedBundleForge.signedTrust(document, signer: stranger)
        let forged = try forge.write(to: region.dir.path("forged.fbundle"), signer: countyKeys)
        let before = try Arena.dump(region.city.path)
        #expect(reason(region.city.merge(bundleAt: forged)).contains("not signed by 甲县巡察办"))
        #expect(try Arena.dump(region.city.path) == before)
        // The same bundle, honest, merges (the forge is not what was refused).
        var control = try SignedBundleForge.open(honest, box: try Arena.keys(region.city.path).box)
        control.bundleID = newID()
        control.recipients = [try region.city.publicKeys().box]
        let controlPath = try control.write(to: region.dir.path("control.fbundle"), signer: countyKeys)
        let merged = region.city.merge(bundleAt: controlPath)
        #expect(merged.status == .merged, "\(reason(merged))")
    }

    /// A dishonest county office: its store's trust list made to enroll `row` (inserted straight into
    /// its device table, past every check `devices enroll` makes), then packed for the city.
    func dishonestBundle(_ region: Region, _ county: Region.County, enrolling row: (id: String, name: String, keys: PublicKeys, role: String)) throws -> String {
        try DatabaseQueue(path: county.path).write { db in
            try db.execute(
                sql: "INSERT INTO device_key (device_id, name, team, sign, box, enrolled_at, role) VALUES (?, ?, NULL, ?, ?, '2026-11-21T00:00:00Z', ?)",
                arguments: [row.id, row.name, row.keys.sign, row.keys.box, row.role])
        }
        _ = try county.office.record(.notice, ["village": county.villages[0], "copies": "1", "place": "村口"])
        return try region.pack(county.office)
    }

    @Test(
        "a county's trust list cannot enroll the city's key, another county's laptop, an office, or this office's own device",
        arguments: ["city key", "other county's laptop", "central role", "city's id", "other county"])
    func countyOverreach(_ claim: String) throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        let b = try region.addCounty("乙", letter: "B", laptops: 1)
        try region.work(b, round: 1)
        #expect(region.city.merge(bundleAt: try region.pack(b.office)).status == .merged)
        let cityKeys = try region.city.publicKeys()
        let bLaptop = b.laptops[0]
        let row: (id: String, name: String, keys: PublicKeys, role: String)
        switch claim {
        case "city key": row = (UUID().uuidString.lowercased(), "假市办", cityKeys, "field")
        case "other county's laptop": row = (try bLaptop.status().deviceID, "乙县笔记本", try bLaptop.publicKeys(), "field")
        case "central role": row = (UUID().uuidString.lowercased(), "甲县下属办", ForgeKeys().publicKeys, "central")
        case "city's id": row = (try region.city.status().deviceID, "市委巡察办", ForgeKeys().publicKeys, "field")
        default: row = (b.id, "乙县巡察办", try b.office.publicKeys(), "field")
        }
        let bundle = try dishonestBundle(region, a, enrolling: row)
        let before = try Arena.dump(region.city.path)
        let outcome = region.city.merge(bundleAt: bundle)
        let expected = [
            "city key": "enrolls this office itself", "other county's laptop": "which 乙县巡察办 enrolled",
            "central role": "as an office (central)", "city's id": "enrolls this office itself",
            "other county": "which this office enrolled itself",
        ][claim]!
        #expect(reason(outcome).contains(expected), "\(reason(outcome))")
        #expect(try Arena.dump(region.city.path) == before)
    }

    @Test("a county's own changes at the city stay in its county: it verifies its laptop's fix and deletes its own household; a problem category of its own refuses its bundle, naming the county and the record")
    func countyScope() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        try region.work(a, round: 1)
        #expect(region.city.merge(bundleAt: try region.pack(a.office)).status == .merged)
        try region.work(a, round: 2)
        let own = RecordID.household(code: "A1101")
        try a.office.write { db in
            _ = try a.office.appendLocalChange(db, kind: .household, recordID: own, op: .delete, fields: [:])
        }
        let second = region.city.merge(bundleAt: try region.pack(a.office))
        #expect(second.status == .merged, "\(reason(second))")
        #expect(try region.city.record(id: own).deleted)
        let fix = try #require(a.fixes.first)
        #expect(try region.city.record(id: fix.id).values["status"] == .text("verified"))
        try a.office.addCategory(key: "land-use", name: "土地流转")
        let before = try Arena.dump(region.city.path)
        let third = region.city.merge(bundleAt: try region.pack(a.office))
        let why = reason(third)
        #expect(why.contains("甲县巡察办") && why.contains("category create") && why.contains(RecordID.derived(.category, key: "land-use")), "\(why)")
        #expect(try Arena.dump(region.city.path) == before)
    }

    @Test("a county's delete of another county's household that reaches the city before that county's roster is refused; the roster then merges whole")
    func countyScopeBeforeTheRoster() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        let b = try region.addCounty("乙", letter: "B", laptops: 1)
        let household = RecordID.household(code: "B1101")
        try a.office.write { db in
            _ = try a.office.appendLocalChange(db, kind: .household, recordID: household, op: .delete, fields: [:])
        }
        let early = region.city.merge(bundleAt: try region.pack(a.office))
        #expect(reason(early).contains("merge the bundle that created it first") && reason(early).contains(household), "\(reason(early))")
        #expect(region.city.merge(bundleAt: try region.pack(b.office)).status == .merged)
        #expect(try region.city.record(id: household).deleted == false)
    }

    @Test("a county the city revoked: its bundles bring nothing new; its laptops cannot be enrolled at the city behind its back")
    func revokedCounty() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 2)
        try region.work(a, round: 1)
        let first = try region.pack(a.office)
        #expect(region.city.merge(bundleAt: first).status == .merged)
        // A laptop enrolled by the county is not the city's to enroll too.
        do {
            try region.city.enroll(try a.laptops[0].enrollmentRequest().request)
            Issue.record("the city enrolled a county's laptop")
        } catch let error as FieldbookError {
            #expect(error.message.contains("enrolled by 甲县巡察办"))
        }
        _ = try region.city.revoke(device: "甲县巡察办", afterSeq: nil)
        try region.work(a, round: 2)
        let later = try region.pack(a.office)
        let before = try Arena.dump(region.city.path)
        let outcome = region.city.merge(bundleAt: later)
        #expect(reason(outcome).contains("revoked"), "\(reason(outcome))")
        #expect(try Arena.dump(region.city.path) == before)
        // The old bundle again is still "already merged".
        #expect(region.city.merge(bundleAt: first).status == .alreadyMerged)
    }

    @Test("a county office enrolls at the city as an office: the request says central; pinning itself or a second city is refused")
    func enrollingACounty() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 0, enrollAtCity: false)
        // With no laptop enrolled yet, its roster stays unsigned, for laptops that pinned nothing yet.
        #expect(try #require(try a.office.pack(into: region.dir.path("r0"), scope: .roster)).manifest.format == 1)
        let (request, keys) = try a.office.enrollmentRequest()
        let read = try EnrollmentRequest.decode(request.encoded(signedBy: keys))
        #expect(read.role == .central)
        let member = try region.city.enroll(read)
        #expect(member.role == .central)
        #expect(try region.city.enroll(read) == member)
        #expect(try region.city.deviceListings().first { $0.id == a.id }?.role == .central)
        // The city's trust list names it as an office.
        let list = try TrustList.parse(Data(base64Encoded: try #require(region.city.write { db in try region.city.currentTrustList(db) }).document)!)
        #expect(list.members.first { $0.device == a.id }?.role == .central)
        // A county pins one city; its own key file is refused.
        #expect(throws: FieldbookError.self) { try a.office.pinOffice(try a.office.officeKeyFile()!) }
        let other = try Store.create(
            at: region.dir.path("other-city.sqlite"), setup: DeviceSetup(name: "另一市办", central: true),
            environment: FixedEnvironment(seed: 999).environment)
        #expect(throws: FieldbookError.self) { try a.office.pinOffice(try other.officeKeyFile()!) }
        try a.office.pinOffice(try other.officeKeyFile()!, replace: true)
        #expect(try a.office.trustSummary().upstream?.name == "另一市办")
        // A laptop's request is still a laptop's.
        let laptop = try Store.create(
            at: region.dir.path("laptop.sqlite"), setup: DeviceSetup(name: "笔记本", team: "一组"),
            environment: FixedEnvironment(seed: 998).environment)
        #expect(try laptop.enrollmentRequest().request.role == .field)
    }

    @Test("format 1 keeps working: a county with no keys pinned packs unsigned, and a city allowing unsigned bundles merges it")
    func unsignedCounty() throws {
        let dir = TemporaryDirectory("upward-f1")
        let county = try Store.create(
            at: dir.path("county.sqlite"), setup: DeviceSetup(name: "丁县巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 40).environment)
        let (csv, villages, _) = Region.roster(prefix: "丁", letter: "D")
        _ = try county.importRoster(csvAt: dir.write("roster.csv", csv))
        let laptop = try Store.create(
            at: dir.path("laptop.sqlite"), setup: DeviceSetup(name: "丁县笔记本", team: "丁县一组", round: "五届第五轮"),
            environment: FixedEnvironment(seed: 41).environment)
        #expect(laptop.merge(bundleAt: try #require(try county.pack(into: dir.path("r"), scope: .roster)).path).status == .merged)
        _ = try laptop.record(.visit, ["household": "D1101"])
        _ = try laptop.record(.forum, ["village": villages[0], "participants": "9"])
        #expect(county.merge(bundleAt: try #require(try laptop.pack(into: dir.path("l"))).path).status == .merged)
        let up = try #require(try county.pack(into: dir.path("u"))).path
        #expect(try BundleFile.open(up).format == 1)
        let city = try Store.create(
            at: dir.path("city.sqlite"), setup: DeviceSetup(name: "市委巡察办", central: true),
            environment: FixedEnvironment(seed: 42).environment)
        #expect(city.merge(bundleAt: up).status == .merged)
        expectSum(try city.tally(), [try county.tally()])
        // Once the city enrolls an office, unsigned bundles need its policy.
        let other = try Store.create(
            at: dir.path("other.sqlite"), setup: DeviceSetup(name: "戊县巡察办", central: true),
            environment: FixedEnvironment(seed: 43).environment)
        try city.enroll(try other.enrollmentRequest().request)
        _ = try laptop.record(.visit, ["household": "D1102"])
        #expect(county.merge(bundleAt: try #require(try laptop.pack(into: dir.path("l2"))).path).status == .merged)
        let up2 = try #require(try county.pack(into: dir.path("u2"))).path
        #expect(reason(city.merge(bundleAt: up2)).contains("unsigned bundle (format 1)"))
        try city.setSignaturePolicy(.allowUnsigned)
        #expect(city.merge(bundleAt: up2).status == .merged)
        expectSum(try city.tally(), [try county.tally()])
    }

    @Test("the Python reader reads a county's bundle at the city from FORMAT.md: the city's trust list names the county an office, the county's its laptops")
    func pythonReaderReadsUpward() throws {
        let region = try Region()
        try PythonReaderTests.requirePython(region.dir)
        let a = try region.addCounty("甲", letter: "A", laptops: 2)
        let b = try region.addCounty("乙", letter: "B", laptops: 1)
        try region.work(a, round: 1)
        try region.work(b, round: 1)
        #expect(region.city.merge(bundleAt: try region.pack(b.office)).status == .merged)
        let up = try region.pack(a.office)
        let cityFile = region.dir.path("city.fbkey")
        try region.city.officeKeyFile()!.encoded().write(to: URL(fileURLWithPath: cityFile))
        let signed = try #require(try region.city.write { db in try region.city.currentTrustList(db) })
        let trust = region.dir.write("city-trust.json", "{\"document\":\"\(signed.document)\",\"signature\":\"\(signed.signature)\"}")
        let key = try Arena.keys(region.city.path).box.rawRepresentation.base64EncodedString()
        let run = try PythonReaderTests.python(
            [PythonReaderTests.reader, up, "--key", key, "--office", cityFile, "--trust", trust], in: region.dir)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("\(3) segment(s) checked"), "\(run.err)")
        #expect(run.lines.count == (try BundleFile.open(up).manifest.changes))
        // Without the city's trust list the county's key is not known.
        let bare = try PythonReaderTests.python([PythonReaderTests.reader, up, "--key", key, "--office", cityFile], in: region.dir)
        #expect(bare.status == 1 && bare.err.contains("was not given"), "\(bare.err)")
        // A county trust list that enrolls the city's own key is refused, and nothing printed.
        let cityKeys = try region.city.publicKeys()
        let claimsCity = try dishonestBundle(region, a, enrolling: (UUID().uuidString.lowercased(), "假市办", cityKeys, "field"))
        let refused = try PythonReaderTests.python(
            [PythonReaderTests.reader, claimsCity, "--key", key, "--office", cityFile, "--trust", trust], in: region.dir)
        #expect(refused.status == 1 && refused.err.contains("no business enrolling"), "\(refused.err)")
        #expect(refused.out.isEmpty)
    }

    @Test("a store made before offices above offices opens with the v8-upward migration: its enrolled devices stay laptops")
    func migration() throws {
        let dir = TemporaryDirectory("upward-migration")
        let path = dir.path("old.sqlite")
        let officeID = newID(), laptopID = newID()
        let laptopKeys = ForgeKeys()
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v5-trust")
        try queue.write { db in
            try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
            try db.execute(sql: "INSERT INTO device (id, name, role) VALUES (?, '巡察办', 'central')", arguments: [officeID])
            try db.execute(sql: "INSERT INTO local_state (singleton, device_id, inspectors) VALUES (1, ?, '[]')", arguments: [officeID])
            try db.execute(
                sql: "INSERT INTO device_key (device_id, name, sign, box, enrolled_at) VALUES (?, '笔记本', ?, ?, '2026-11-21T00:00:00Z')",
                arguments: [laptopID, laptopKeys.signPublic, laptopKeys.boxPublic])
        }
        try queue.close()
        let store = try Store.open(at: path, environment: FixedEnvironment(seed: 5).environment)
        #expect(try store.read { db in try Schema.migrator.appliedIdentifiers(db) }.contains("v8-upward"))
        #expect(try store.trustContext().members[laptopID]?.role == .field)
        #expect(try store.trustSummary().upstream == nil)
        // The office's list names it as before: no role member for a laptop.
        let list = try #require(try store.write { db in try store.currentTrustList(db) })
        #expect(!String(decoding: Data(base64Encoded: list.document)!, as: UTF8.self).contains("\"role\""))
    }

    @Test("the city's key backup keeps its counties as offices, and a county's keeps the city it reports to")
    func backups() throws {
        let region = try Region()
        let a = try region.addCounty("甲", letter: "A", laptops: 1)
        let copy = try region.cityCopy("copy.sqlite")
        #expect(try copy.deviceListings().first { $0.id == a.id }?.role == .central)
        let backup = try a.office.backupKeys(passphrase: "甲县备份口令很长", cost: cheapCost)
        let restored = try Store.create(
            at: region.dir.path("a-restored.sqlite"), setup: DeviceSetup(name: "甲县巡察办", central: true),
            environment: FixedEnvironment(seed: 777).environment)
        try restored.restoreKeys(from: backup, passphrase: "甲县备份口令很长")
        #expect(try restored.trustSummary().upstream?.keys == region.city.publicKeys())
    }
}
