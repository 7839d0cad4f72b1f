import FieldbookTestSupport
import Foundation
import Testing

/// County offices report to the city, through the built binary: `init --central --office`, `keys
/// export`, `enroll`, `devices enroll`, `pack`, `merge`, `tally`, `devices`.
@Suite struct UpwardEndToEndTests {
    /// The fingerprints (six groups of five digits) in `text`, in order.
    func fingerprints(_ text: String) -> [String] {
        text.matches(of: #/\d{5}(?: \d{5}){5}/#).map { String($0.output) }
    }

    /// A county roster: its townships named with its prefix, its codes with its letter.
    func roster(_ prefix: String, _ letter: String) -> String {
        """
        乡镇,村,类型,村民组,户号,户主,重点户
        \(prefix)城镇,东关村,村,一组,\(letter)001,张建国,五保户
        \(prefix)城镇,东关村,村,一组,\(letter)002,李秀英,低保户
        \(prefix)城镇,新华社区,社区,三组,\(letter)003,赵明,
        \(prefix)河乡,西河村,村,二组,\(letter)004,陈静,危房改造户
        \(prefix)河乡,西河村,村,二组,\(letter)005,刘海,

        """
    }

    /// Writes `db`'s enrollment request into `stick` and enrolls it at `at`, comparing fingerprints.
    func enroll(_ s: Sandbox, db: String, at: String, stick: String) throws -> String {
        let wrote = try s.ok("enroll", "--db", db, "--out", stick)
        let fingerprint = try #require(fingerprints(wrote).first, "\(wrote)")
        let file = try #require(wrote.firstMatch(of: #/Wrote (\S+\.fbenroll)/#)?.output.1, "\(wrote)")
        return try s.ok("devices", "enroll", "--db", at, String(file), "--fingerprint", fingerprint)
    }

    /// One number of a tally's JSON object.
    func figure(_ object: Any?, _ key: String) -> Int { ((object as? [String: Any])?[key] as? NSNumber)?.intValue ?? -1 }

    @Test("two counties and the city through the binary: pin, enroll, pack, merge in two orders, tally sums, devices name the laptops")
    func countiesReportToTheCity() throws {
        let s = Sandbox()
        let created = try s.ok("init", "--db", "city.sqlite", "--central", "--device", "市委巡察办", "--round", "五届第五轮")
        let cityPrint = try #require(fingerprints(created).first)
        try s.ok("keys", "export", "--db", "city.sqlite", "--out", "city.fbkey")

        for (prefix, letter) in [("甲", "A"), ("乙", "B")] {
            let county = "\(letter).sqlite"
            let made = try s.ok("init", "--db", county, "--central", "--device", "\(prefix)县巡察办", "--round", "五届第五轮", "--office", "city.fbkey")
            #expect(made.contains("Pinned the office above this one from city.fbkey: 市委巡察办, fingerprint \(cityPrint)"), "\(made)")
            let shown = try s.ok("keys", "show", "--db", county)
            #expect(shown.contains("reports to  市委巡察办") && shown.contains(cityPrint), "\(shown)")
            s.write("roster-\(letter).csv", roster(prefix, letter))
            try s.ok("roster", "import", "--db", county, "roster-\(letter).csv")
            let enrolled = try enroll(s, db: county, at: "city.sqlite", stick: "up-requests")
            #expect(enrolled.hasPrefix("Enrolled the office \(prefix)县巡察办 (id "), "\(enrolled)")
            try s.ok("keys", "export", "--db", county, "--out", "\(letter).fbkey")
            // Two laptops of one team, each enrolled at the county.
            for n in 1...2 {
                try s.ok("init", "--db", "\(letter)\(n).sqlite", "--device", "\(prefix)县笔记本\(n)", "--team", "\(prefix)县第一巡察组",
                         "--round", "五届第五轮", "--inspectors", "张三", "--office", "\(letter).fbkey")
                _ = try enroll(s, db: "\(letter)\(n).sqlite", at: county, stick: "requests-\(letter)")
            }
            try s.ok("pack", "--db", county, "--roster", "--out", "roster-\(letter)")
            for n in 1...2 { try s.ok("merge", "--db", "\(letter)\(n).sqlite", "roster-\(letter)") }
            try s.record("visit", "--db", "\(letter)1.sqlite", "\(letter)001", "--note", "户主反映低保评定不公开")
            try s.record("visit", "--db", "\(letter)1.sqlite", "\(letter)002")
            try s.record("forum", "--db", "\(letter)1.sqlite", "\(prefix)城镇/东关村", "--participants", "12")
            try s.record("notice", "--db", "\(letter)2.sqlite", "\(prefix)河乡/西河村", "--copies", "3", "--place", "村委会公示栏")
            try s.record("visit", "--db", "\(letter)2.sqlite", "\(letter)004")
            try s.record("fix", "--db", "\(letter)2.sqlite", "\(prefix)河乡/西河村", "--problem", "低保公示缺失", "--action", "当场补贴公示")
            // Laptop 2 relays laptop 1's bundle; the county merges the relay alone first.
            try s.ok("pack", "--db", "\(letter)1.sqlite", "--out", "field-\(letter)1")
            try s.ok("merge", "--db", "\(letter)2.sqlite", "field-\(letter)1")
            try s.ok("pack", "--db", "\(letter)2.sqlite", "--out", "field-\(letter)2")
            try s.ok("merge", "--db", county, "field-\(letter)2")
            try s.ok("merge", "--db", county, "field-\(letter)1")
            let packed = try s.ok("pack", "--db", county, "--out", "up-\(letter)")
            #expect(packed.contains("encrypted to the office above it (市委巡察办) and this office"), "\(packed)")
            #expect(try s.ok("pack", "--db", county, "--out", "up-\(letter)-again").hasPrefix("Nothing to pack"))
        }
        // A stolen stick: no note, name or code in the bundle.
        let upA = try #require(try FileManager.default.contentsOfDirectory(atPath: s.path("up-A")).first)
        let bytes = try #require(s.contents("up-A/" + upA))
        for secret in ["户主反映低保评定不公开", "张建国", "A001", "东关村"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in the clear")
        }

        // The city merges both counties, in one order; a copy of its store, made before, in the other.
        try FileManager.default.copyItem(atPath: s.path("city.sqlite"), toPath: s.path("city2.sqlite"))
        let merged = try s.ok("merge", "--db", "city.sqlite", "up-A", "up-B")
        #expect(merged.contains("2 merged, 0 already merged, 0 rejected"), "\(merged)")
        #expect(merged.contains("signed by 甲县巡察办") && merged.contains("甲县巡察办's trust list, version"), "\(merged)")
        try s.ok("merge", "--db", "city2.sqlite", "up-B")
        try s.ok("merge", "--db", "city2.sqlite", "up-A")
        #expect(try s.ok("merge", "--db", "city.sqlite", "up-A").contains("already merged"))

        // The city's tally is the sum of the counties', by district and by township.
        func tally(_ db: String) throws -> [String: Any] {
            try #require(try parseJSON(try s.ok("tally", "--db", db, "--by", "township", "--format", "json")) as? [String: Any])
        }
        let a = try tally("A.sqlite"), b = try tally("B.sqlite")
        for db in ["city.sqlite", "city2.sqlite"] {
            let city = try tally(db)
            for key in ["households", "visited", "visits", "forums", "participants", "notices", "copies", "villages", "villages_inspected"] {
                #expect(figure(city["district"], key) == figure(a["district"], key) + figure(b["district"], key), "\(db) \(key)")
                #expect(figure(a["district"], key) >= 0 && figure(b["district"], key) >= 0)
            }
            #expect(figure(city["district"], "visits") == 6)
            let rows = { (t: [String: Any]) in (t["townships"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")=\(figure($0, "visited"))/\(figure($0, "households"))" } }
            #expect(Set(rows(city)) == Set(rows(a) + rows(b)), "\(rows(city))")
        }

        // The laptops are listed at the city, enrolled by their county; history names the laptop.
        let devices = try s.ok("devices", "--db", "city.sqlite")
        for line in ["甲县笔记本1", "甲县笔记本2", "乙县笔记本1", "乙县笔记本2"] {
            #expect(devices.split(separator: "\n").contains { $0.contains(line) && $0.contains("enrolled by \(line.prefix(1))县巡察办") }, "\(devices)")
        }
        #expect(devices.split(separator: "\n").contains { $0.contains("甲县巡察办") && $0.contains("enrolled (office)") }, "\(devices)")
        let list = try s.ok("list", "visits", "--db", "city.sqlite")
        let row = try #require(list.split(separator: "\n").first { $0.contains("A001") }, "\(list)")
        let id = try #require(row.split(separator: " ").first.map(String.init))
        let history = try s.ok("history", "--db", "city.sqlite", id)
        #expect(history.contains("create by 甲县笔记本1"), "\(history)")

        // A county the city never enrolled is refused, one line, exit 65, nothing written.
        try s.ok("init", "--db", "C.sqlite", "--central", "--device", "丙县巡察办", "--office", "city.fbkey")
        s.write("roster-C.csv", roster("丙", "C"))
        try s.ok("roster", "import", "--db", "C.sqlite", "roster-C.csv")
        try s.ok("pack", "--db", "C.sqlite", "--out", "up-C")
        let before = try s.ok("status", "--db", "city.sqlite")
        let refused = try s.run("merge", "--db", "city.sqlite", "up-C")
        #expect(refused.status == 65, "\(refused)")
        let rejected = refused.stdout.split(separator: "\n").filter { $0.hasPrefix("rejected") }
        #expect(rejected.count == 1 && rejected[0].contains("丙县巡察办") && rejected[0].contains("enroll it first"), "\(refused)")
        #expect(try s.ok("status", "--db", "city.sqlite") == before)
        // A county the city revoked: its next bundle is refused.
        try s.ok("devices", "revoke", "--db", "city.sqlite", "乙县巡察办")
        try s.record("visit", "--db", "B1.sqlite", "B003")
        try s.ok("pack", "--db", "B1.sqlite", "--out", "field-B1-later")
        try s.ok("merge", "--db", "B.sqlite", "field-B1-later")
        try s.ok("pack", "--db", "B.sqlite", "--out", "up-B-later")
        let late = try s.run("merge", "--db", "city.sqlite", "up-B-later")
        #expect(late.status == 65 && late.stdout.contains("revoked"), "\(late)")
        // The city's bundle does not go down: a county refuses it.
        try s.ok("pack", "--db", "city.sqlite", "--out", "down")
        let down = try s.run("merge", "--db", "A.sqlite", "down")
        #expect(down.status == 65 && down.stdout.contains("office above this one"), "\(down)")
    }
}
