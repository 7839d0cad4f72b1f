import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Stores written by earlier releases (Tests/Fixtures/stores-v8: schema v1–v8; stores-v9: v1–v9,
/// the release before migration v10; stores-v10: v1–v10, the release before migration v11;
/// stores-v11: v1–v11, the release before migration v12) open
/// with today's code and are migrated in place: every change kept, the same tally, and bundles of
/// that release and of this one merge into them.
@Suite struct ReleaseMigrationTests {
    static let releases = ["stores-v8", "stores-v9", "stores-v10", "stores-v11"]
    /// The releases whose visits' tally index is one, not yet split (before migration v11).
    static let releasesBeforeTheSplit = ["stores-v8", "stores-v9", "stores-v10"]

    /// Migration v11 splits the visits' tally index where the table ends: every visit the store
    /// held is in the settled part, and the next lands in the recent one.
    @Test(arguments: releasesBeforeTheSplit, ["office.sqlite", "laptop1.sqlite"])
    func theVisitsIndexIsSplitWhereTheTableEnded(_ release: String, _ name: String) throws {
        let dir = TemporaryDirectory("migration-v11")
        let path = try copy(name, of: release, to: dir)
        let rows = try DatabaseQueue(path: path).read { db in
            (try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'visit_tally'"),
             try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM visit") ?? 0)
        }
        #expect(rows.0?.contains("rowid") == false)
        #expect(rows.1 > 1)
        let store = try Store.open(at: path, environment: environment())
        try store.read { db in
            let definitions = try Store.tallyIndexDefinitions(db)
            #expect(Store.tallySplit(.visit, definitions) == rows.1)
            #expect(Store.missingTallyIndexes(definitions).isEmpty)
            for index in Schema.tallyIndexes where index.kind == .visit {
                #expect(definitions[index.name] == index.definition(split: rows.1))
            }
            let settled = try Int.fetchOne(db, sql: "SELECT count(*) FROM visit INDEXED BY visit_tally WHERE deleted = 0 AND rowid <= \(rows.1)")
            #expect(settled == (try Int.fetchOne(db, sql: "SELECT count(*) FROM visit WHERE deleted = 0")))
        }
        if name == "laptop1.sqlite" {
            _ = try store.record(.visit, ["household": "DG002", "note": "迁移之后"])
            let recent = try store.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM visit INDEXED BY visit_recent_tally WHERE deleted = 0 AND rowid > \(rows.1)")
            }
            #expect(recent == 1)
        }
    }

    func copy(_ name: String, of release: String, to dir: TemporaryDirectory) throws -> String {
        try StoreFixture(release).copy(name, to: dir)
    }

    func changeLog(_ path: String) throws -> [String] { try StoreFixture.changeLog(path, ids: false) }

    /// When the fixtures were made (their dates end in November 2026): nothing is overdue that was not then.
    func environment() -> FieldbookEnvironment {
        FixedEnvironment(start: Date(timeIntervalSince1970: 1_796_428_800)).environment
    }

    @Test(arguments: releases, ["office.sqlite", "laptop1.sqlite", "laptop2.sqlite"])
    func aStoreOfAnEarlierReleaseMigratesInPlaceAndKeepsEveryChange(_ release: String, _ name: String) throws {
        let dir = TemporaryDirectory("migration")
        let path = try copy(name, of: release, to: dir)
        let before = try changeLog(path)
        #expect(before.count > 10)
        _ = try Store.open(at: path, environment: environment())
        #expect(try changeLog(path) == before)
        // Opening again migrates nothing more.
        _ = try Store.open(at: path, environment: environment())
        #expect(try changeLog(path) == before)
    }

    /// `value` with every object's `key` removed, at any depth.
    static func without(_ key: String, _ value: Any) -> Any {
        if let array = value as? [Any] { return array.map { without(key, $0) } }
        guard var object = value as? [String: Any] else { return value }
        object[key] = nil
        return object.mapValues { without(key, $0) }
    }

    @Test(arguments: releases)
    func theMigratedOfficeTalliesAsThatReleaseDid(_ release: String) throws {
        let dir = TemporaryDirectory("migration")
        let office = try Store.open(at: try copy("office.sqlite", of: release, to: dir), environment: environment())
        func figures(_ text: Data) throws -> NSDictionary {
            let object = try JSONSerialization.jsonObject(with: text) as! [String: Any]
            return object.filter { $0.key != "generated_at" } as NSDictionary
        }
        let then = try figures(Data(contentsOf: StoreFixture(release).folder.appendingPathComponent("office-tally.json")))
        let now = try figures(Data(TallyJSON.render(try office.tally()).utf8))
        // Every field that release wrote holds the same figure; `priority_households` (priority
        // households counted once) came after v8, and is the only field added since.
        #expect(Self.without("priority_households", now) as? NSDictionary == Self.without("priority_households", then) as? NSDictionary)
        if release != "stores-v8" { #expect(now == then) }
        #expect((now["district"] as? [String: Any])?["priority_households"] != nil)
        #expect(try office.tally().district.visits == 4)
        #expect(try office.conflicts().isEmpty)
    }

    @Test(arguments: releases)
    func aBundleOfThatReleaseAndOneOfThisMergeIntoTheMigratedOffice(_ release: String) throws {
        let dir = TemporaryDirectory("migration")
        let office = try Store.open(at: try copy("office.sqlite", of: release, to: dir), environment: environment())
        let laptop = try Store.open(at: try copy("laptop1.sqlite", of: release, to: dir), environment: environment())
        let changesBefore = try office.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM change")! }
        // That release's bundle: the first laptop's edit of a note the second laptop edited too.
        let old = office.merge(bundleAt: try copy("pending.fbundle", of: release, to: dir))
        #expect(old.status == .merged, "\(old.status)")
        #expect(old.newChanges == 1)
        let conflicts = try office.conflicts()
        #expect(conflicts.count == 1)
        #expect(office.merge(bundleAt: dir.path("pending.fbundle")).status == .alreadyMerged)
        // This release's bundle from the migrated laptop: its unpacked visit and a new problem.
        let problem = try laptop.record(.problem, [
            "village": "城关镇/东关村", "summary": "村务公开栏未更新", "category": "road-lights", "deadline": "2027-01-20",
        ])
        let bundle = try #require(try laptop.pack(into: dir.path("stick")))
        let outcome = office.merge(bundleAt: bundle.path)
        #expect(outcome.status == .merged, "\(outcome.status)")
        #expect(outcome.newChanges == 2)
        #expect(try office.record(id: problem.id)["category"].text == "road-lights")
        #expect(try office.tally().district.visits == 5)
        let changesAfter = try office.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM change")! }
        #expect(changesAfter == changesBefore + 3)
    }
}

/// Migration v9 spells the checks of a list of values as comparisons: the same checks, without the
/// temporary table SQLite builds for a list each time a statement runs.
@Suite struct ListCheckTests {
    @Test func theChecksRefuseWhatTheyRefusedAndBuildNoTable() throws {
        let dir = TemporaryDirectory("migration-v9")
        let path = dir.path("office.sqlite")
        try FileManager.default.copyItem(
            atPath: StoreFixture("stores-v8").folder.appendingPathComponent("office.sqlite").path, toPath: path)
        let store = try Store.open(at: path)
        try store.read { db in
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'")!
            #expect(!sql.contains("kind IN") && !sql.contains("op IN"))
            #expect(sql.contains("kind = 'category'"))
            let program = try Row.fetchAll(
                db, sql: "EXPLAIN INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base) VALUES ('a', 1, 1, 'visit', 'b', 'create', '{}', '{}')")
            #expect(!program.contains { ($0["opcode"] as String) == "OpenEphemeral" })
        }
        let device = "00000000-0000-4000-8000-000000000001", record = "00000000-0000-4000-8000-000000000002"
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        func takes(kind: String, op: String) throws -> Bool {
            try logTakes(queue, device: device, record: record, kind: kind, op: op)
        }
        #expect(try takes(kind: "visit", op: "create"))
        #expect(try takes(kind: "category", op: "delete"))
        #expect(try !takes(kind: "visits", op: "create"))
        #expect(try !takes(kind: "visit", op: "Create"))
        #expect(Schema.rewriteListChecks("CHECK (status IN ('open', 'fixed', 'verified'))")
            == "CHECK ((status = 'open' OR status = 'fixed' OR status = 'verified'))")
        #expect(Schema.rewriteListChecks("CHECK (deleted IN (0, 1)) CHECK (role IN ('field', 'central'))")
            == "CHECK (deleted IN (0, 1)) CHECK (role IN ('field', 'central'))")
    }
}

/// Migration v10 spells the change log's id checks as an id's layout; the whole rule of an id is
/// ChangeRules.isID, which every id meets before it is written.
@Suite struct IDCheckTests {
    @Test(arguments: ReleaseMigrationTests.releases)
    func theLogTakesIdsOfAnIdsLayoutOnly(_ release: String) throws {
        let dir = TemporaryDirectory("migration-v10")
        let path = try StoreFixture(release).copy("office.sqlite", to: dir)
        let store = try Store.open(at: path)
        try store.read { db in
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'")!
            #expect(!sql.contains("NOT GLOB"))
            #expect(sql.contains("device_id GLOB '????????-????-????-????-????????????'"))
            #expect(sql.contains("record_id GLOB '????????-????-????-????-????????????'"))
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        func takes(device: String, record: String) throws -> Bool {
            try logTakes(queue, device: device, record: record, kind: "visit", op: "create")
        }
        let device = "00000000-0000-4000-8000-000000000001", record = "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b"
        #expect(try takes(device: device, record: record))
        for bad in ["019a2b3c4d5e-7f60-8a9b-0c1d2e3f4a5b-", "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5", "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5bc", ""] {
            #expect(try !takes(device: device, record: bad), "\(bad)")
            #expect(try !takes(device: bad, record: record), "\(bad)")
        }
        // The layout admits what the rule of an id refuses; that rule judges every id first.
        #expect(!ChangeRules.isID("019A2B3C-4D5E-7F60-8A9B-0C1D2E3F4A5B") && !ChangeRules.isID("019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5g"))
        #expect(Schema.rewriteIDChecks("CHECK (length(x) = 36 AND x NOT GLOB '*[^0-9a-f-]*')")
            == "CHECK (length(x) = 36 AND x GLOB '????????-????-????-????-????????????')")
    }
}

/// Whether the change log of the store behind `queue` takes a change with these values (rolled
/// back either way).
func logTakes(_ queue: DatabaseQueue, device: String, record: String, kind: String, op: String) throws -> Bool {
    var taken = false
    try queue.inTransaction { db in
        taken = (try? db.execute(
            sql: "INSERT INTO change (device_id, seq, hlc, kind, record_id, op, fields, base) VALUES (?, 1, 1, ?, ?, ?, '{}', '{}')",
            arguments: [device, kind, record, op])) != nil
        return .rollback
    }
    return taken
}
