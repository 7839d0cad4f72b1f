import Crypto
import Foundation

/// What the demo did and where it put it.
public struct DemoReport: Sendable {
    public var directory: String
    public var district: DemoDistrict
    public var officePath: String
    /// The office's store, on the demo's clock: reports made from it carry the demo's dates.
    public var office: Store
    public var laptopPaths: [String]
    public var sticks: String
    /// What the office's merge said of every file on the sticks, in merge order.
    public var outcomes: [MergeOutcome]
    public var bundlesWritten: Int
}

/// `fieldbook demo`: a district's year of inspection work, through the real store, pack and merge.
///
/// The office imports the roster and packs it for the laptops; inspection teams, each with one or
/// two laptops, work through five rounds of villages: visits (every priority household, then
/// others), forums, notices, on-the-spot fixes, corrections and a few wrong entries deleted.
/// Teammates swap bundles in the field, two of them edit one visit at once, one laptop's clock runs
/// a month ahead, one bundle is copied twice onto the stick and one is truncated (and copied again
/// later). The office merges every stick. Same seed, same bytes.
public enum Demo {
    public static let marker = ".fieldbook-demo"

    public static func run(
        in directory: String, seed: UInt64, scale: DemoDistrict.Scale, log: (String) -> Void
    ) throws -> DemoReport {
        let fm = FileManager.default
        try prepare(directory)
        var rng = SeededRandom(seed: seed)
        let district = DemoDistrict.generate(scale: scale, seed: seed)
        let clock = SimulatedClock(start: date("2026-03-02", hour: 8))
        @Sendable func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let sticks = path("sticks")

        // The office: the roster, packed for the laptops.
        try district.rosterCSV().write(toFile: path("roster.csv"), atomically: true, encoding: .utf8)
        let office = try Store.create(
            at: path("office.sqlite"), setup: DeviceSetup(
                name: "\(district.name)巡察办", central: true, district: scale.counties == 0 ? district.name : nil),
            environment: clock.environment(seed: seed &* 1000 &+ 1))
        let roster = try office.importRoster(csvAt: path("roster.csv"))
        // Each store stays open for the whole year: give back the log a roster's worth of changes
        // grew to (34 MB in a district), as closing the store would.
        office.releaseLog()
        log(tr("roster: \(roster.added, "household") in \(district.villages.count) villages and communities of \(district.townships.count, "township"), imported at the office"))
        // The office's keys, made with its store; their public half goes to the teams as office.fbkey.
        guard let officeKey = try office.officeKeyFile() else {
            throw FieldbookError.storeFailure(path: path("office.sqlite"), message: tr("the office has no keys"))
        }
        try officeKey.encoded().write(to: URL(fileURLWithPath: path("office.fbkey")))
        log(tr("keys: the office's fingerprint is \(officeKey.keys.fingerprint); office.fbkey goes to every team"))

        // The teams and their laptops.
        let rounds = (1...scale.rounds).map { "五届第\(chineseNumber($0))轮" }
        struct Laptop: Sendable {
            var name: String
            var team: Int
            var store: Store
            var inspectors: [String]
        }
        var planned: [(name: String, team: Int, teamName: String, inspectors: [String])] = []
        for team in 1...scale.teams {
            let teamName = "第\(chineseNumber(team))巡察组"
            for n in 1...(team <= (scale.teams + 1) / 2 ? 2 : 1) {
                let inspectors = (0..<2).map { _ in
                    "\(DemoDistrict.surnames.randomElement(using: &rng)!)\(DemoDistrict.givenNames.randomElement(using: &rng)!)"
                }
                planned.append(("\(teamName)-笔记本\(n)", team, teamName, inspectors))
            }
        }
        try fm.createDirectory(atPath: path("laptops"), withIntermediateDirectories: true)
        // Each laptop is set up and given the roster by bundle; two at a time, as two cores allow.
        let plans = planned
        let made = Locked([Int: Result<Laptop, any Error>]())
        DispatchQueue.concurrentPerform(iterations: plans.count) { index in
            let plan = plans[index]
            // The last laptop's clock runs a month ahead: someone set the wrong month.
            let offset: TimeInterval = index == plans.count - 1 ? 30 * 86_400 : 0
            let result = Result { () throws -> Laptop in
                let store = try Store.create(
                    at: path("laptops/\(plan.name).sqlite"),
                    setup: DeviceSetup(name: plan.name, team: plan.teamName, round: rounds[0], inspectors: plan.inspectors),
                    environment: clock.environment(seed: seed &* 1000 &+ UInt64(10 + index), offset: offset))
                try store.pinOffice(officeKey)
                return Laptop(name: plan.name, team: plan.team, store: store, inspectors: plan.inspectors)
            }
            made.withLock { $0[index] = result }
        }
        let laptops = try made.withLock { results in try plans.indices.map { try results[$0]!.get() } }
        // Each laptop's enrollment request reaches the office, whose clerk compares the fingerprint
        // the team leader reads from the laptop's screen, and enrolls it.
        for laptop in laptops { try office.enroll(try laptop.store.enrollmentRequest().request) }
        // The roster, signed by the office and encrypted to every enrolled laptop, with the trust list.
        guard let rosterBundle = try office.pack(into: (sticks as NSString).appendingPathComponent("0-roster"), scope: .roster) else {
            throw FieldbookError.storeFailure(path: path("office.sqlite"), message: tr("the roster could not be packed"))
        }
        let rosterPath = rosterBundle.path
        DispatchQueue.concurrentPerform(iterations: laptops.count) { index in
            let outcome = laptops[index].store.merge(bundleAt: rosterPath)
            laptops[index].store.releaseLog()
            made.withLock { $0[index] = outcome.status == .merged ? .success(laptops[index]) : .failure(
                FieldbookError.storeFailure(path: laptops[index].store.path, message: tr("the roster bundle did not merge: \(outcome.status)"))) }
        }
        _ = try made.withLock { results in try plans.indices.map { try results[$0]!.get() } }
        log(tr("teams: \(scale.teams, "inspection team") with \(laptops.count, "laptop"), each enrolled at the office and given the signed, encrypted roster"))

        // Which villages each round inspects, and which laptop goes where.
        let chosen = Array(district.villages.indices.shuffled(using: &rng).prefix(scale.inspected))
        let perRound = (chosen.count + scale.rounds - 1) / scale.rounds
        var bundlesWritten = 1
        var concurrentEditDone = false
        var outcomes: [MergeOutcome] = []
        // The rectification of the problems found, which the office follows after the teams leave.
        var rectification: [DemoProblems.Plan] = []
        for (r, roundName) in rounds.enumerated() {
            let roundStart = date("2026-03-02", hour: 8).addingTimeInterval(Double(r) * 63 * 86_400)
            for laptop in laptops { try laptop.store.setRound(roundName) }
            let villages = Array(chosen.dropFirst(r * perRound).prefix(perRound))
            var visits = 0
            var households = 0
            for (i, v) in villages.enumerated() {
                let team = i % scale.teams + 1
                let teamLaptops = laptops.filter { $0.team == team }
                let laptop = teamLaptops[(i / scale.teams) % teamLaptops.count]
                let day = roundStart.addingTimeInterval(Double(i / scale.teams) * 2 * 86_400)
                clock.set(day.addingTimeInterval(3600))
                let done = try inspect(
                    district.villages[v], round: roundName, on: day, by: laptop.store, inspectors: laptop.inspectors,
                    visits: scale.visitsPerVillage, revisits: scale.revisits, problems: scale.problemsPerVillage, rng: &rng)
                visits += done.visits
                households += done.households
                rectification += done.plans
            }
            // Teammates with two laptops swap bundles in the field, both ways. Those bundles stay on
            // the stick and reach the office too: every bundle a laptop writes must.
            let stick = (sticks as NSString).appendingPathComponent("round-\(r + 1)")
            for team in 1...scale.teams {
                let pair = laptops.filter { $0.team == team }
                guard pair.count == 2 else { continue }
                let field = stick
                if let b = try pair[1].store.pack(into: field) { _ = pair[0].store.merge(bundleAt: b.path); bundlesWritten += 1 }
                if let a = try pair[0].store.pack(into: field) { _ = pair[1].store.merge(bundleAt: a.path); bundlesWritten += 1 }
                // Once, in the second round, both correct the same visit before the next exchange.
                if r == min(1, scale.rounds - 1), !concurrentEditDone,
                    let visit = try pair[0].store.list(RecordFilter(kinds: [.visit], round: roundName)).last
                {
                    clock.set(clock.now.addingTimeInterval(600))
                    _ = try pair[0].store.edit(visit.id, set: [("note", "户主外出务工，由其妻子接待，反映低保评定不公开")])
                    _ = try pair[1].store.edit(visit.id, set: [("note", "户主本人在家，反映低保评定结果未张榜公示"), ("met", "户主本人")])
                    concurrentEditDone = true
                }
            }
            // End of the round: every laptop packs onto the stick for the office.
            var packed: [String] = []
            for laptop in laptops {
                if let bundle = try laptop.store.pack(into: stick) { packed.append(bundle.path) }
            }
            bundlesWritten += packed.count
            // Someone else's stick in round 2: a bundle from a laptop the office never enrolled, under
            // a real laptop's name, and a real bundle with one byte changed after it was written.
            if r == min(1, scale.rounds - 1), let real = packed.first {
                do {  // the impostor's store is closed before its files go
                    let impostor = try Store.create(
                        at: path("impostor.sqlite"),
                        setup: DeviceSetup(name: laptops[0].name, team: "第一巡察组", round: roundName, inspectors: ["冒名者"]),
                        environment: clock.environment(seed: seed &* 1000 &+ 999))
                    try impostor.pinOffice(officeKey)
                    if let forged = try impostor.pack(into: stick) {
                        try fm.moveItem(atPath: forged.path, toPath: (stick as NSString).appendingPathComponent("伪造 " + (forged.path as NSString).lastPathComponent))
                    }
                }
                for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path("impostor.sqlite") + suffix) }
                // The manifest edited (its date), and its digest in the header made to match again:
                // only the signature tells.
                var bytes = try Data(contentsOf: URL(fileURLWithPath: real))
                let length = Int(bytes[10]) << 24 | Int(bytes[11]) << 16 | Int(bytes[12]) << 8 | Int(bytes[13])
                if let at = bytes[46..<(46 + length)].range(of: Data("\"created_at\":\"2026".utf8)) {
                    bytes[at.upperBound - 1] = UInt8(ascii: "5")
                }
                bytes.replaceSubrange(14..<46, with: Array(SHA256.hash(data: bytes[46..<(46 + length)])))
                try bytes.write(to: URL(fileURLWithPath: (stick as NSString).appendingPathComponent("改动 " + (real as NSString).lastPathComponent)))
            }
            // Accidents on the way: a bundle copied twice, and one truncated by a yanked cable.
            if r == min(2, scale.rounds - 1), let copied = packed.first {
                let copy = (stick as NSString).appendingPathComponent("副本 " + (copied as NSString).lastPathComponent)
                try fm.copyItem(atPath: copied, toPath: copy)
            }
            if r == min(3, scale.rounds - 1), packed.count > 1 {
                let victim = packed[1]
                let recopied = (sticks as NSString).appendingPathComponent("recopied")
                try fm.createDirectory(atPath: recopied, withIntermediateDirectories: true)
                try fm.copyItem(atPath: victim, toPath: (recopied as NSString).appendingPathComponent((victim as NSString).lastPathComponent))
                let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
                try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: victim))
            }
            log(visits == households
                ? tr("\(roundName): \(villages.count, "village"), \(visits, "visit"); \(packed.count, "bundle") onto the stick")
                : tr("\(roundName): \(villages.count, "village"), \(visits, "visit") to \(households, "household"); \(packed.count, "bundle") onto the stick"))
            // The stick reaches the office the day after the round, and the clerk merges it.
            clock.set(clock.now.addingTimeInterval(86_400))
            outcomes += try mergeFolder(stick, into: office)
            // The villages report their rectification; the office records it and checks it off.
            rectification = try DemoProblems.followUp(rectification, at: office, until: clock.now)
        }
        // The truncated bundle, copied again from its laptop, arrives last.
        clock.set(clock.now.addingTimeInterval(7 * 86_400))
        let recopied = (sticks as NSString).appendingPathComponent("recopied")
        if fm.fileExists(atPath: recopied) { outcomes += try mergeFolder(recopied, into: office) }
        rectification = try DemoProblems.followUp(rectification, at: office, until: clock.now)

        // A laptop is stolen after the last round. The office revokes it from what it holds of it;
        // the thief's bundle is refused. (The thief works on a copy here, so the demo keeps the
        // laptop's honest store to compare with the office's.)
        let stolen = laptops[laptops.count - 1]
        let revocation = try office.revoke(device: stolen.name, afterSeq: nil)
        log(tr("revoked: \(stolen.name) was stolen; the office keeps its changes up to \(revocation.afterSeq) and refuses any later one"))
        for suffix in ["", "-wal"] where fm.fileExists(atPath: stolen.store.path + suffix) {
            try fm.copyItem(atPath: stolen.store.path + suffix, toPath: path("stolen.sqlite") + suffix)
        }
        let thief = try Store.open(at: path("stolen.sqlite"), environment: clock.environment(seed: seed &* 1000 &+ 998))
        _ = try thief.record(.visit, [
            "household": district.villages[chosen[0]].households[0].code, "note": "盗用笔记本录入的虚假走访",
        ])
        let stolenStick = (sticks as NSString).appendingPathComponent("stolen")
        if let forged = try thief.pack(into: stolenStick) { bundlesWritten += 1; _ = forged }
        for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path("stolen.sqlite") + suffix) }
        outcomes += try mergeFolder(stolenStick, into: office)

        // Receipts: the office's next roster bundle carries the revocation and, for every laptop, how
        // far it holds all of its changes; each laptop merges it and knows what is safe.
        guard let receipts = try office.pack(into: (sticks as NSString).appendingPathComponent("9-receipts"), scope: .roster) else {
            throw FieldbookError.storeFailure(path: path("office.sqlite"), message: tr("the receipts could not be packed"))
        }
        bundlesWritten += 1
        var confirmed: Int64 = 0, unconfirmed: Int64 = 0
        for laptop in laptops.dropLast() {
            _ = laptop.store.merge(bundleAt: receipts.path)
            let c = try laptop.store.officeConfirmation()
            confirmed += c.confirmed
            unconfirmed += c.unconfirmed
        }
        log(tr("receipts: the office's signed receipts reach \(laptops.count - 1, "laptop"): \(Int(confirmed)) of their changes confirmed at the office, \(Int(unconfirmed)) not yet"))
        return DemoReport(
            directory: directory, district: district, officePath: office.path, office: office, laptopPaths: laptops.map(\.store.path),
            sticks: sticks, outcomes: outcomes, bundlesWritten: bundlesWritten)
    }

    /// Merges every bundle file in `folder`, by name, as a clerk would.
    static func mergeFolder(_ folder: String, into office: Store) throws -> [MergeOutcome] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            .filter { $0.hasSuffix("." + BundleFile.fileExtension) }
            .map { office.merge(bundleAt: (folder as NSString).appendingPathComponent($0)) }
    }

    /// A day in one village: visits, a forum, notices, maybe a fix, a few corrections.
    static func inspect(
        _ village: DemoDistrict.Village, round roundName: String, on day: Date, by store: Store, inspectors: [String],
        visits visitTarget: Int, revisits: Bool, problems problemsPerVillage: Double = 0, rng: inout SeededRandom
    ) throws -> (visits: Int, households: Int, plans: [DemoProblems.Plan]) {
        let round = RecordID.round(roundName)
        let villageID = village.id
        let dateText = FieldDate.string(from: day, in: TimeZone(identifier: "Asia/Shanghai")!)
        let scale = Double.random(in: 0.7...1.3, using: &rng)
        let wanted = Int(Double(visitTarget) * scale)
        let target = revisits ? wanted : min(wanted, village.households.count)
        let priority = village.households.filter { !$0.priority.isEmpty }
        let others = village.households.filter { $0.priority.isEmpty }.shuffled(using: &rng)
        // Every priority household, then others; where the target is more than the village has
        // (the province scale), households are visited again.
        let order = priority + others
        let count = max(priority.count, order.isEmpty ? 0 : target)
        let visited = order.isEmpty ? [] : (0..<count).map { order[$0 % order.count] }
        let distinct = min(count, order.count)
        var batch: [(kind: RecordKind, fields: [String: FieldValue])] = visited.map { h in
            let noteIndex = Int.random(in: 0..<notes.count, using: &rng)
            return (.visit, [
                "round": .text(round), "household": .text(RecordID.household(code: h.code, county: village.county, city: village.city)), "date": .text(dateText),
                "inspectors": .list(inspectors), "met": .text(met.randomElement(using: &rng)!),
                "note": .text(notes[noteIndex]),
                "issues": Int.random(in: 0..<6, using: &rng) == 0 ? .text(issues.randomElement(using: &rng)!) : .null,
                "follow_up": Int.random(in: 0..<10, using: &rng) == 0 ? .text("核实后电话回访") : .null,
            ])
        }
        let participants = Int.random(in: 6...14, using: &rng)
        let cadres = Int.random(in: 1...2, using: &rng)
        let members = Int.random(in: 1...3, using: &rng)
        batch.append((.forum, [
            "round": .text(round), "village": .text(villageID), "date": .text(dateText),
            "participants": .int(Int64(participants)), "cadres": .int(Int64(cadres)), "members": .int(Int64(members)),
            "villagers": .int(Int64(participants - cadres - members)), "topics": .list(["惠民政策落实", "村务公开", "村干部作风"]),
        ]))
        var copies = Int.random(in: 8...12, using: &rng)
        for place in ["村委会公示栏", "一组", "村口宣传栏"] where copies > 0 {
            let n = place == "村口宣传栏" ? copies : min(copies, Int.random(in: 3...5, using: &rng))
            copies -= n
            batch.append((.notice, [
                "round": .text(round), "village": .text(villageID), "date": .text(dateText), "place": .text(place),
                "copies": .int(Int64(n)),
            ]))
        }
        if Int.random(in: 0..<1000, using: &rng) < 291 {
            let problem = problems.randomElement(using: &rng)!
            batch.append((.fix, [
                "round": .text(round), "village": .text(villageID), "problem": .text(problem.0), "category": .text(problem.1),
                "action": .text(problem.2), "responsible": .text("村党支部"), "status": .text("fixed"),
                "found_on": .text(dateText), "fixed_on": .text(dateText),
            ]))
        }
        let ids = try store.recordBatch(batch)
        let visitIDs = ids.prefix(visited.count)
        // Problems found in the village, a few of them clues transferred at once.
        let found = problemsPerVillage > 0 ? Int((problemsPerVillage * Double.random(in: 0.5...1.5, using: &rng)).rounded()) : 0
        let plans = try DemoProblems.find(
            count: found, village: villageID, round: round, dateText: dateText, day: day, visits: Array(visitIDs.dropLast()),
            forum: ids.count > visited.count ? ids[visited.count] : nil, by: store, rng: &rng)
        // Corrections the same evening: a note made more precise, now and then a wrong entry deleted.
        for id in visitIDs where Int.random(in: 0..<60, using: &rng) == 0 {
            _ = try store.edit(id, set: [("note", "补记：户主反映的问题已登记，待核实")])
        }
        if Int.random(in: 0..<15, using: &rng) == 0, let wrong = visitIDs.last {
            _ = try store.delete(wrong)
            return (count - 1, distinct - (count > order.count ? 0 : 1), plans)
        }
        return (count, distinct, plans)
    }

    static let met = ["户主本人", "户主本人", "户主配偶", "户主子女", "户主父母"]
    static let notes = [
        "了解家庭收入和惠民政策落实情况", "反映低保评定不透明，要求公开评议结果", "对村干部工作表示满意",
        "反映危房改造补助款未按时到位", "反映村道路灯损坏，夜间出行不便", "反映五保供养金发放及时",
        "反映村务公开栏长期未更新", "反映医保缴费政策不清楚", "无意见建议",
    ]
    static let issues = ["村道路灯损坏", "低保评议未公示", "饮水管道漏水", "危房改造验收拖延", "村集体收支不公开"]
    static let problems: [(String, String, String)] = [
        ("村务公开栏内容未及时更新", "村务公开", "当场督促更新公开栏"),
        ("低保户名单未张榜公示", "惠民政策落实", "当天张榜公示"),
        ("村级财务票据不规范", "财务管理", "补齐票据手续"),
        ("党员活动室制度未上墙", "基层组织建设", "当场整改上墙"),
        ("危房改造户档案缺失", "惠民政策落实", "补建档案"),
    ]

    static func prepare(_ directory: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            let entries = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            guard isDirectory.boolValue, entries.isEmpty || entries.contains(marker) else {
                throw FieldbookError.badFile(
                    path: directory, reason: tr("exists and is not a demo folder; choose another with --dir."))
            }
            for entry in entries { try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(entry)) }
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = fm.createFile(atPath: (directory as NSString).appendingPathComponent(marker), contents: Data("fieldbook demo\n".utf8))
    }

    static func date(_ day: String, hour: Int) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: "\(day)T\(String(format: "%02d", hour)):00:00+08:00")!
    }

    /// 1 → 一, 10 → 十, 12 → 十二, 40 → 四十.
    public static func chineseNumber(_ n: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        if n < 10 { return digits[n] }
        if n < 20 { return "十" + (n % 10 == 0 ? "" : digits[n % 10]) }
        if n < 100 { return digits[n / 10] + "十" + (n % 10 == 0 ? "" : digits[n % 10]) }
        return String(n)
    }
}
