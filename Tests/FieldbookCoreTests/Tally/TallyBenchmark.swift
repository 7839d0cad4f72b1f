import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// How long a province-size tally takes. Not a timed test: it prints, and runs only when asked.
///
///     FIELDBOOK_TALLY_BENCH=1 swift test -c release --filter TallyBenchmark
///         builds a store of 10,000 villages, 100,000 households and 1,000,000 visits (plus 40,000
///         forums, 40,000 notices, 20,000 fixes, 50,000 problems of which 5,000 transferred as clues,
///         2% of everything deleted), then times it;
///     FIELDBOOK_TALLY_BENCH=/path/office.sqlite swift test -c release --filter TallyBenchmark
///         times the tally of an existing store (e.g. `fieldbook demo --scale province`'s office),
///         or, when there is no file there yet, generates the province-size store there and keeps it.
///
/// (`-c release` needs `-Xswiftc -enable-testing` for the tests' `@testable import`.)
///
/// The generated store's roster goes through the roster import; the field records are written
/// straight into the record tables with SQL, as merged bundles leave them (the tally reads only
/// those tables), because recording a million changes one by one would take the benchmark longer
/// than it has to say.
@Suite("Tally benchmark", .enabled(if: ProcessInfo.processInfo.environment["FIELDBOOK_TALLY_BENCH"] != nil))
struct TallyBenchmark {
    @Test("a province-size tally, timed")
    func provinceTally() throws {
        let setting = ProcessInfo.processInfo.environment["FIELDBOOK_TALLY_BENCH"] ?? "1"
        let dir = TemporaryDirectory("tally-bench")
        let store: Store
        if FileManager.default.fileExists(atPath: setting) {
            store = try Store.open(at: setting)
            print("tally benchmark: \(setting)")
        } else {
            let started = Date()
            store = try Self.provinceStore(at: setting.hasSuffix(".sqlite") ? setting : dir.path("province.sqlite"), in: dir)
            print(String(format: "tally benchmark: generated the store in %.1f s", Date().timeIntervalSince(started)))
        }
        let status = try store.status()
        print("  \(status.counts[.village] ?? 0) villages, \(status.counts[.household] ?? 0) households, \(status.counts[.visit] ?? 0) visits, \(status.counts[.forum] ?? 0) forums, \(status.counts[.notice] ?? 0) notices, \(status.counts[.fix] ?? 0) fixes, \(status.counts[.problem] ?? 0) problems (live)")

        func time<T>(_ label: String, runs: Int = 5, _ body: () throws -> T) rethrows -> T {
            var result: T?
            var times: [Double] = []
            for _ in 0..<runs {
                let start = Date()
                result = try body()
                times.append(Date().timeIntervalSince(start))
            }
            times.sort()
            print(String(format: "  %-34@ median %.3f s   (best %.3f, worst %.3f; %d runs)", label as NSString, times[runs / 2], times[0], times[runs - 1], runs))
            return result!
        }
        // The statements alone, without building the report.
        try store.dbQueue.read { db in
            let filter = try TallyFilter(TallyQuery(), store: store, db: db)
            let day: StatementArguments = [store.environment.today()]
            for (label, sql, arguments) in [
                ("SQL: households and visits", TallySQL.households(filter, withTotal: true), StatementArguments()),
                ("SQL: forums", TallySQL.forums(filter), []), ("SQL: notices", TallySQL.notices(filter), []),
                ("SQL: fixes", TallySQL.fixes(filter), []), ("SQL: problems", TallySQL.problems(filter), day + day),
                ("SQL: overdue problems (all)", TallySQL.overdue(filter, cutoff: false), day + day + [Int.max]),
                ("SQL: villages", TallySQL.villages(filter), []),
            ] {
                _ = try time(label, runs: 3) { try Row.fetchAll(db, sql: sql, arguments: arguments).count }
            }
        }
        let team = try store.dbQueue.read { db in
            try String.fetchOne(db, sql: "SELECT team FROM device WHERE team IS NOT NULL ORDER BY team LIMIT 1")
        }
        let report = time("tally() (with the overdue list)") { try! store.tally() }
        _ = time("tally() (counts only)") { try! store.tally(TallyQuery(listsOverdue: false)) }
        let round = try store.dbQueue.read { db in try String.fetchOne(db, sql: "SELECT name FROM round WHERE deleted = 0 ORDER BY created_hlc LIMIT 1") }
        _ = time("tally(round:, from:, to:)") { try! store.tally(TallyQuery(round: round, from: "2026-04-01", to: "2026-09-30")) }
        if let team { _ = time("tally(team: \(team))") { try! store.tally(TallyQuery(team: team)) } }
        _ = time("tally(township:)") { try! store.tally(TallyQuery(township: report.townships.first?.name ?? "")) }
        _ = time("render table (by township)", runs: 3) { TallyTable.render(report, by: .township) }
        _ = time("render table (by village)", runs: 3) { TallyTable.render(report, by: .village) }
        _ = time("render CSV", runs: 3) { TallyCSV.render(report) }
        _ = time("render JSON", runs: 3) { TallyJSON.render(report) }
        _ = time("render HTML", runs: 3) { TallyHTML.render(report) }
        _ = time("pending (one village)", runs: 3) {
            try! store.pending(PendingQuery(village: "\(report.townships[0].name ?? "")/\(report.townships[0].villages[0].name)", rounds: .all))
        }
        print("  problems: \(report.district.problemsFound) found (\(report.district.fixes) on the spot), \(report.district.problems.clues) clues, \(report.district.problems.overdue) overdue (\(report.overdueNotTransferred) not transferred, \(report.overdue.count) listed), rate \(report.district.rectificationPercent.map { "\($0)%" } ?? "—")")
        print("  district: \(report.district.visited) of \(report.district.households) households visited, \(report.district.visits) visits, \(report.district.villagesInspected) of \(report.district.villages) villages inspected")
        #expect(report.villages.count == status.counts[.village])
    }

    /// 10,000 villages in 333 townships, 10 households each; a million visits over 9 months.
    static func provinceStore(at path: String, in dir: TemporaryDirectory) throws -> Store {
        let villages = 10_000
        let townships = villages / 30
        var csv = "乡镇,村,类型,村民组,户号,户主,重点户\n"
        csv.reserveCapacity(villages * 10 * 60)
        for v in 0..<villages {
            let township = "第\(v % townships + 1)镇"
            let village = v % 7 == 6 ? "第\(v + 1)社区" : "第\(v + 1)村"
            for h in 0..<10 {
                let i = v * 10 + h
                let priority = i % 17 == 0 ? "五保户" : i % 13 == 0 ? "低保户" : i % 29 == 0 ? "危房改造户;低保户" : ""
                csv += "\(township),\(village),\(v % 7 == 6 ? "社区" : "村"),\(h / 4 + 1)组,H\(String(format: "%07d", i)),户主\(i),\(priority)\n"
            }
        }
        let store = try Store.create(
            at: path,
            setup: DeviceSetup(name: "省巡视办", team: "第一巡察组", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 9).environment)
        _ = try store.importRoster(csvAt: dir.write("roster.csv", csv))
        try store.dbQueue.write { db in
            let device = try String.fetchOne(db, sql: "SELECT device_id FROM local_state")!
            try db.execute(sql: "INSERT INTO device (id, name, team, role) VALUES ('00000000-0000-4000-8000-000000000002', '笔记本2', '第二巡察组', 'field')")
            let round = RecordID.round("五届第五轮")
            // A random-looking lowercase UUID from SQLite's randomness.
            let uuid = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-7' || substr(hex(randomblob(2)), 2) || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
            let day = "printf('2026-%02d-%02d', 3 + abs(random()) % 9, 1 + abs(random()) % 28)"
            let creator = "CASE WHEN abs(random()) % 2 THEN '\(device)' ELSE '00000000-0000-4000-8000-000000000002' END"
            try db.execute(sql: "CREATE TEMP TABLE hh AS SELECT row_number() OVER (ORDER BY rowid) - 1 AS n, id FROM household")
            try db.execute(sql: "CREATE TEMP TABLE vv AS SELECT row_number() OVER (ORDER BY rowid) - 1 AS n, id FROM village")
            try db.execute(sql: "CREATE INDEX temp.hh_n ON hh(n)")
            try db.execute(sql: "CREATE INDEX temp.vv_n ON vv(n)")
            try db.execute(sql: """
                WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 999999),
                picks AS (SELECT i, abs(random()) % 100000 AS h FROM c)
                INSERT INTO visit (id, round_id, household_id, date, inspectors, met, note, deleted, created_by, created_hlc, updated_hlc)
                SELECT \(uuid), '\(round)', hh.id, \(day), '["张三","李四"]', '户主本人', '了解家庭收入和惠民政策落实情况',
                    abs(random()) % 50 = 0, \(creator), i, i
                FROM picks JOIN hh ON hh.n = picks.h
                """)
            for (table, count, columns, values) in [
                ("forum", 40_000, "participants, topics", "6 + abs(random()) % 20, '[\"村务公开\"]'"),
                ("notice", 40_000, "place, copies", "'村部公示栏', 1 + abs(random()) % 4"),
            ] {
                try db.execute(sql: """
                    WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < \(count - 1)),
                    picks AS (SELECT i, abs(random()) % \(villages) AS v FROM c)
                    INSERT INTO \(table) (id, round_id, village_id, date, \(columns), deleted, created_by, created_hlc, updated_hlc)
                    SELECT \(uuid), '\(round)', vv.id, \(day), \(values), abs(random()) % 50 = 0, \(creator), i, i
                    FROM picks JOIN vv ON vv.n = picks.v
                    """)
            }
            try db.execute(sql: """
                WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 19999),
                picks AS (SELECT i, abs(random()) % \(villages) AS v FROM c)
                INSERT INTO fix (id, round_id, village_id, problem, status, found_on, deleted, created_by, created_hlc, updated_hlc)
                SELECT \(uuid), '\(round)', vv.id, '村务公开栏内容未及时更新',
                    CASE abs(random()) % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'fixed' ELSE 'verified' END, \(day),
                    abs(random()) % 50 = 0, \(creator), i, i
                FROM picks JOIN vv ON vv.n = picks.v
                """)
            // 50,000 problems, every status, deadlines around the tally's day, one in ten a transferred clue.
            try db.execute(sql: """
                WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 49999),
                picks AS (SELECT i, abs(random()) % \(villages) AS v FROM c)
                INSERT INTO problem (id, round_id, village_id, summary, responsible, found_on, deadline, status,
                    transferred_to, transferred_on, deleted, created_by, created_hlc, updated_hlc)
                SELECT \(uuid), '\(round)', vv.id, '惠农补贴发放不及时', '村委会', \(day),
                    printf('2026-%02d-%02d', 10 + abs(random()) % 3, 1 + abs(random()) % 28),
                    CASE abs(random()) % 5 WHEN 0 THEN 'open' WHEN 1 THEN 'rectifying' WHEN 2 THEN 'rectified'
                        WHEN 3 THEN 'verified' ELSE 'not-rectifiable' END,
                    CASE WHEN i % 10 = 0 THEN CASE abs(random()) % 3 WHEN 0 THEN 'discipline' WHEN 1 THEN 'organisation' ELSE 'other' END END,
                    CASE WHEN i % 10 = 0 THEN \(day) END,
                    abs(random()) % 50 = 0, \(creator), i, i
                FROM picks JOIN vv ON vv.n = picks.v
                """)
            try db.execute(sql: "DROP TABLE temp.hh; DROP TABLE temp.vv")
        }
        try store.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return store
    }
}
