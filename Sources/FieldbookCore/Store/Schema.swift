import Foundation
import GRDB

/// The store's schema, as named migrations. Append new ones; never edit one that has shipped.
enum Schema {
    /// `PRAGMA application_id` of a Fieldbook store: "FBK1".
    static let applicationID: Int32 = 0x4642_4B31

    /// Runs the migrations the store lacks, as the migrator does, and again from what is applied
    /// when another fieldbook opening the same store at the same moment ran some of them first.
    ///
    /// The migrator reads which migrations are applied before it takes the write lock for the
    /// first it runs: two commands started together on a store of an earlier release (a report and
    /// a merge, after an update) both find the same ones pending, and the second to take the lock
    /// runs again one the first has applied. That run fails (a table already there, or the
    /// migrations table's own key) and rolls back whole, nothing applied twice. So a failed run
    /// is tried again for as long as some migration was applied meanwhile, by this command or
    /// another; a migration that fails on its own fails again, and that error is thrown.
    static func migrate(_ writer: some DatabaseWriter) throws {
        func applied() throws -> Int { try writer.read { db in try migrator.appliedIdentifiers(db).count } }
        var before = try applied()
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                let now = try applied()
                guard now > before else { throw error }
                before = now
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-field-store", migrate: createFieldStore)
        migrator.registerMigration("v2-bundle-ledger", migrate: createBundleLedger)
        migrator.registerMigration("v3-tally-indexes", migrate: createTallyIndexes)
        migrator.registerMigration("v4-device-confirmed", migrate: addDeviceConfirmed)
        migrator.registerMigration("v5-trust", migrate: createTrust)
        migrator.registerMigration("v6-problems", migrate: createProblems)
        migrator.registerMigration("v7-levels", migrate: addLevels)
        migrator.registerMigration("v8-upward", migrate: createUpward)
        migrator.registerMigration("v9-household-search", migrate: createHouseholdSearch)
        migrator.registerMigration("v9-checks-without-lists", migrate: checksWithoutLists)
        migrator.registerMigration("v10-id-checks-by-layout", migrate: idChecksByLayout)
        migrator.registerMigration("v11-visit-tally-split", migrate: splitVisitTally)
        migrator.registerMigration("v12-log-json-read-once", migrate: logJSONReadOnce)
        migrator.registerMigration("v13-unaltered-text", migrate: UnalteredText.createIndexes)
        return migrator
    }

    /// The change log's `fields` and `base` no longer parsed again by SQLite as each change is
    /// written (`CHECK (json_type(fields) = 'object')`, and the same for `base`).
    ///
    /// Every text the log takes has already been read whole as an object by the rules of what a
    /// change is: a bundle's line by the reader that judges it (``ChangeLineParser``:
    /// `fieldsObject` and `baseObject`, with names, values, lists, versions, nesting and escapes),
    /// a laptop's own changes as ``CanonicalJSON`` writes them. SQLite's second reading of the same
    /// text cost about 0.85 µs a change, a quarter of what the log's row costs SQLite (docs/PERFORMANCE.md,
    /// "Merge speed", ninth round), and judged less than the first: it takes any JSON object.
    /// `LogJSONTests` holds that every text the reader takes is an object to SQLite too. Only the
    /// text of the table's definition changes (as in v9 and v10): every row the log holds passed
    /// both readings.
    private static func logJSONReadOnce(_ db: Database) throws {
        try rewriteTables(db, where: "name = 'change'", rewriteJSONChecks)
    }

    /// The change log's definition without its two JSON checks, and nothing else changed.
    static func rewriteJSONChecks(_ sql: String) -> String {
        sql.replacingOccurrences(of: " CHECK (json_type(fields) = 'object')", with: "")
            .replacingOccurrences(of: " CHECK (json_type(base) = 'object')", with: "")
    }

    /// The visits' tally index in two parts split at a row number: `visit_tally` holds the live
    /// visits up to it, `visit_recent_tally` those after it (Schema.tallyIndexes, TallyIndexes.swift).
    ///
    /// One index of every visit, keyed by household, takes a merge's visits all over a tree far
    /// bigger than the merge's cache: into a store of 5,000,000 changes, 100,000 more cost five times
    /// what they cost into an empty one, four fifths of it this index (docs/PERFORMANCE.md, "Merge speed"). A
    /// new visit gets the table's next row number, so it lands in the recent part, which stays small;
    /// a merge that would make it more than an eighth of the table builds both again at a new split.
    ///
    /// The migration only drops the old index. The open that follows builds the parts, split where
    /// the table ends, as it builds any missing tally index: with a cache sized for the sort, and
    /// only when the disk has room (a province's visits take hundreds of megabytes of index; a
    /// migration that met a full disk would leave the store unopenable by this release).
    private static func splitVisitTally(_ db: Database) throws {
        try db.execute(sql: "DROP INDEX IF EXISTS visit_tally")
    }

    /// The same checks, spelled so that SQLite judges them without building a table per row.
    ///
    /// SQLite evaluates `x IN ('a', 'b', 'c')` (three values or more) by filling a temporary b-tree
    /// with the list each time a statement runs: for every change merged, two of them (its kind and
    /// op), about a third of the cost of writing the change. `(x = 'a' OR x = 'b' OR x = 'c')` is
    /// the same check (the same truth for every value, NULL included, under the column's affinity
    /// and collation) and costs a few comparisons. Only the text of the tables' definitions changes
    /// (SQLite's documented procedure for changes that leave every stored row valid: writable_schema
    /// and a new schema_version), so a store of any size is migrated at once, nothing copied.
    private static func checksWithoutLists(_ db: Database) throws {
        try rewriteTables(db, where: "sql LIKE '% IN%(%'", rewriteListChecks)
    }

    /// The change log's id checks spelled as the layout of an id: 36 characters with dashes where a
    /// UUID has them (`GLOB '????????-????-????-????-????????????'`), where they were "36
    /// characters, none but `0`–`9`, `a`–`f` and `-`" (`NOT GLOB '*[^0-9a-f-]*'`).
    ///
    /// SQLite judges the old spelling by trying the character class at each of the 36 places: 1.3 µs
    /// an id, two ids a change, a tenth of what a merge spends on a change (docs/PERFORMANCE.md, "Merge speed",
    /// fourth round). The layout costs a fifth of that. Every id is judged whole before it is
    /// written, by the one rule of what an id is (``ChangeRules/isID(_:)``: a bundle's lines as they
    /// are read, a laptop's ids as they are made), which the layout check backs up. Every id a log
    /// holds has passed both, so no row is judged again (the text of the table's definition
    /// changes, as in v9).
    private static func idChecksByLayout(_ db: Database) throws {
        try rewriteTables(db, where: "name = 'change'", rewriteIDChecks)
    }

    /// `column NOT GLOB '*[^0-9a-f-]*'` as `column GLOB '????????-????-????-????-????????????'`.
    static func rewriteIDChecks(_ sql: String) -> String {
        let regex = try! NSRegularExpression(pattern: #"([a-z_]+) NOT GLOB '\*\[\^0-9a-f-\]\*'"#)
        return regex.stringByReplacingMatches(
            in: sql, range: NSRange(sql.startIndex..., in: sql), withTemplate: "$1 GLOB '????????-????-????-????-????????????'")
    }

    /// Rewrites the definitions of the tables `filter` picks with `transform`, by SQLite's documented
    /// procedure for changes that leave every stored row valid (writable_schema and a new
    /// schema_version): a store of any size is migrated at once, nothing copied.
    private static func rewriteTables(_ db: Database, where filter: String, _ transform: (String) -> String) throws {
        let tables = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND \(filter)")
        var rewritten: [(name: String, sql: String)] = []
        for row in tables {
            let name: String = row["name"], sql: String = row["sql"]
            let new = transform(sql)
            if new != sql { rewritten.append((name, new)) }
        }
        guard !rewritten.isEmpty else { return }
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        do {
            for table in rewritten {
                try db.execute(
                    sql: "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", arguments: [table.sql, table.name])
            }
            try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        } catch {
            try? db.execute(sql: "PRAGMA writable_schema = OFF")
            throw error
        }
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        // The new text is read back and parsed: a mistake fails the migration, which rolls back.
        for table in rewritten {
            _ = try Row.fetchAll(db, sql: "SELECT * FROM \(table.name.quotedDatabaseIdentifier) LIMIT 0")
        }
    }

    /// `column IN ('a', 'b', 'c')` as `(column = 'a' OR column = 'b' OR column = 'c')`, for lists of
    /// three quoted words or more (SQLite compares lists of one or two without a table).
    static func rewriteListChecks(_ sql: String) -> String {
        let pattern = #"([a-z_]+) IN\s*\(((?:'[a-z-]+'\s*,\s*){2,}'[a-z-]+')\)"#
        let regex = try! NSRegularExpression(pattern: pattern)
        var result = sql
        for match in regex.matches(in: sql, range: NSRange(sql.startIndex..., in: sql)).reversed() {
            let whole = Range(match.range, in: sql)!
            let column = String(sql[Range(match.range(at: 1), in: sql)!])
            let values = sql[Range(match.range(at: 2), in: sql)!].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let spelled = "(" + values.map { "\(column) = \($0)" }.joined(separator: " OR ") + ")"
            result.replaceSubrange(Range(NSRange(whole, in: sql), in: result)!, with: spelled)
        }
        return result
    }

    /// Problems found and their rectification, and the office's problem categories: two record
    /// kinds, so the change log's kind check is widened (SQLite changes a CHECK only by copying the
    /// table: the log is copied once, row for row, ids and all).
    private static func createProblems(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE change_v6 (
                    id INTEGER PRIMARY KEY,
                    device_id TEXT NOT NULL CHECK (\(uuidCheck("device_id"))),
                    seq INTEGER NOT NULL CHECK (typeof(seq) = 'integer' AND seq >= 1),
                    hlc INTEGER NOT NULL CHECK (typeof(hlc) = 'integer' AND hlc >= 0),
                    kind TEXT NOT NULL CHECK (kind IN
                        ('township', 'village', 'household', 'round', 'team', 'visit', 'forum', 'notice', 'fix',
                         'problem', 'category')),
                    record_id TEXT NOT NULL CHECK (\(uuidCheck("record_id"))),
                    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
                    fields TEXT NOT NULL CHECK (json_type(fields) = 'object'),
                    base TEXT NOT NULL DEFAULT '{}' CHECK (json_type(base) = 'object'),
                    UNIQUE (device_id, seq)
                );
                INSERT INTO change_v6 (id, device_id, seq, hlc, kind, record_id, op, fields, base)
                    SELECT id, device_id, seq, hlc, kind, record_id, op, fields, base FROM change ORDER BY id;
                DROP TABLE change;
                ALTER TABLE change_v6 RENAME TO change;
                CREATE INDEX change_by_record ON change(record_id);

                CREATE TABLE problem (
                    id TEXT PRIMARY KEY NOT NULL,
                    round_id TEXT NOT NULL,
                    village_id TEXT NOT NULL,
                    found_in_id TEXT,
                    summary TEXT NOT NULL CHECK (length(trim(summary)) > 0),
                    category TEXT,
                    detail TEXT,
                    responsible TEXT,
                    deadline TEXT CHECK (deadline \(dateCheck)),
                    found_on TEXT NOT NULL CHECK (found_on \(dateCheck)),
                    status TEXT NOT NULL
                        CHECK (status IN ('open', 'rectifying', 'rectified', 'verified', 'not-rectifiable')),
                    measures TEXT,
                    rectified_on TEXT CHECK (rectified_on \(dateCheck)),
                    rectified_by TEXT NOT NULL DEFAULT '[]',
                    rectified_device TEXT,
                    verified_on TEXT CHECK (verified_on \(dateCheck)),
                    verified_by TEXT NOT NULL DEFAULT '[]',
                    closed_on TEXT CHECK (closed_on \(dateCheck)),
                    transferred_to TEXT CHECK (transferred_to IN ('discipline', 'organisation', 'other')),
                    transferred_on TEXT CHECK (transferred_on \(dateCheck)),
                    transfer_note TEXT,
                    \(meta)
                );
                CREATE INDEX problem_by_village ON problem(village_id);
                -- The tally's covering index: live problems by village, with what it filters and counts.
                CREATE INDEX problem_tally ON problem(village_id, round_id, found_on, created_by, status, deadline, transferred_to)
                    WHERE deleted = 0;

                CREATE TABLE category (
                    id TEXT PRIMARY KEY NOT NULL,
                    key TEXT NOT NULL,
                    name TEXT NOT NULL,
                    \(meta)
                );
                """)
    }

    /// Levels above the township (上下联动): the county (区/县) and city (市) of a township, and of a
    /// household (they qualify its id), where a roster names them; and the name of the one district
    /// of a store whose roster names none (`fieldbook init --district`).
    private static func addLevels(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE township ADD COLUMN county TEXT;
                ALTER TABLE township ADD COLUMN city TEXT;
                ALTER TABLE household ADD COLUMN county TEXT;
                ALTER TABLE household ADD COLUMN city TEXT;
                ALTER TABLE local_state ADD COLUMN district TEXT;
                """)
    }

    /// Offices above offices (a county office reporting to the city's): the role an enrolled device
    /// has (a county office is enrolled at the city as a central device); on a county office, the
    /// office it reports to; on the city's, each enrolled county's newest signed trust list and the
    /// devices it enrolls, whose signed changes the city accepts inside that county's bundles.
    private static func createUpward(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE device_key ADD COLUMN role TEXT NOT NULL DEFAULT 'field' CHECK (role IN ('field', 'central'));

                -- On an office store: the office above it, which its bundles of changes are packed for.
                CREATE TABLE upstream_key (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    device_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    sign BLOB NOT NULL CHECK (length(sign) = 32),
                    box BLOB NOT NULL CHECK (length(box) = 32)
                );

                -- On an office with offices enrolled below it: each one's newest trust list, as signed.
                CREATE TABLE delegated_trust (
                    office_id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    document BLOB NOT NULL,
                    signature BLOB NOT NULL
                );

                -- The devices those trust lists enroll (or revoke), with the office that vouches for them.
                CREATE TABLE delegated_key (
                    device_id TEXT PRIMARY KEY NOT NULL CHECK (\(uuidCheck("device_id"))),
                    office_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    team TEXT,
                    sign BLOB NOT NULL CHECK (length(sign) = 32),
                    box BLOB NOT NULL CHECK (length(box) = 32),
                    revoked_after_seq INTEGER CHECK (revoked_after_seq IS NULL OR revoked_after_seq >= 0)
                );
                CREATE INDEX delegated_key_by_office ON delegated_key(office_id);
                """)
    }

    /// Keys and trust (bundles/FORMAT.md, format 2): this store's private keys, the office's public
    /// keys (pinned on a laptop, its own on the office), the devices the office enrolled or revoked,
    /// the trust list in force, the signed segments of changes this store holds, and receipts.
    private static func createTrust(_ db: Database) throws {
        try db.execute(
            sql: """
                -- This store's private keys: Ed25519 (signing) and X25519 (receiving), raw 32 bytes.
                CREATE TABLE store_key (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    sign_private BLOB NOT NULL CHECK (length(sign_private) = 32),
                    box_private BLOB NOT NULL CHECK (length(box_private) = 32)
                );

                -- The office this store trusts: pinned from office.fbkey on a laptop; the office's own.
                CREATE TABLE office_key (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    device_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    sign BLOB NOT NULL CHECK (length(sign) = 32),
                    box BLOB NOT NULL CHECK (length(box) = 32)
                );

                -- Devices the office enrolled, with their public keys; revoked ones keep their changes
                -- up to revoked_after_seq.
                CREATE TABLE device_key (
                    device_id TEXT PRIMARY KEY NOT NULL CHECK (\(uuidCheck("device_id"))),
                    name TEXT NOT NULL,
                    team TEXT,
                    sign BLOB NOT NULL CHECK (length(sign) = 32),
                    box BLOB NOT NULL CHECK (length(box) = 32),
                    revoked_after_seq INTEGER CHECK (revoked_after_seq IS NULL OR revoked_after_seq >= 0),
                    enrolled_at TEXT NOT NULL,
                    revoked_at TEXT
                );

                -- The trust list in force: the office's last issued one (on the office), or the newest
                -- one received (on a laptop), as the signed bytes; and the signature policy.
                CREATE TABLE trust_state (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    version INTEGER NOT NULL DEFAULT 0,
                    document BLOB,
                    signature BLOB,
                    policy TEXT NOT NULL DEFAULT 'auto' CHECK (policy IN ('auto', 'require', 'allow-unsigned'))
                );
                INSERT INTO trust_state (singleton) VALUES (1);

                -- Signed runs of one device's changes, as received or made here: relays carry them on.
                CREATE TABLE segment (
                    device_id TEXT NOT NULL,
                    first_seq INTEGER NOT NULL,
                    last_seq INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    PRIMARY KEY (device_id, first_seq, last_seq)
                );

                -- Receipts from the office: it holds every change of device_id up to through_seq.
                CREATE TABLE receipt (
                    device_id TEXT PRIMARY KEY NOT NULL,
                    through_seq INTEGER NOT NULL CHECK (through_seq >= 0)
                );
                """)
    }

    /// Whether a device's name, team and role came from the device itself or from an office store
    /// (1), or are a placeholder for a device a field store relayed (0), which its own bundle or
    /// the office's later replaces.
    private static func addDeviceConfirmed(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE device ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1))")
    }

    /// Columns every record table carries besides its fields.
    private static let meta = """
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        created_by TEXT NOT NULL,
        created_hlc INTEGER NOT NULL,
        updated_hlc INTEGER NOT NULL
        """

    /// A lowercase UUID: the only shape of device and record ids, so they are safe in any text.
    private static func uuidCheck(_ column: String) -> String {
        "length(\(column)) = 36 AND \(column) NOT GLOB '*[^0-9a-f-]*'"
    }

    /// The indexes only the tallies read (created by migrations v3-tally-indexes and v6-problems, and
    /// after v11-visit-tally-split by the store's open, as these texts, which `sqlite_master` keeps,
    /// a part's with its split):
    /// a big merge sets them aside and builds them afresh at its end (TallyIndexes.swift), and a
    /// store opened without one builds it again.
    static let tallyIndexes: [TallyIndex] = [
        TallyIndex("household_tally", .household, "CREATE INDEX household_tally ON household(id, village_id, priority) WHERE deleted = 0"),
        TallyIndex("visit_tally", .visit, "CREATE INDEX visit_tally ON visit(household_id, round_id, date, created_by) WHERE deleted = 0", .upToSplit),
        TallyIndex("visit_recent_tally", .visit, "CREATE INDEX visit_recent_tally ON visit(household_id, round_id, date, created_by) WHERE deleted = 0", .afterSplit),
        TallyIndex("forum_tally", .forum, """
            CREATE INDEX forum_tally ON forum(village_id, round_id, date, created_by, participants)
                WHERE deleted = 0
            """),
        TallyIndex("notice_tally", .notice, "CREATE INDEX notice_tally ON notice(village_id, round_id, date, created_by, copies) WHERE deleted = 0"),
        TallyIndex("fix_tally", .fix, "CREATE INDEX fix_tally ON fix(village_id, round_id, found_on, created_by, status) WHERE deleted = 0"),
        TallyIndex("problem_tally", .problem, """
            CREATE INDEX problem_tally ON problem(village_id, round_id, found_on, created_by, status, deadline, transferred_to)
                WHERE deleted = 0
            """),
    ]

    /// The kinds with a tally index, each once, in the order of `tallyIndexes`.
    static let tallyKinds: [RecordKind] = tallyIndexes.reduce(into: []) { kinds, index in
        if !kinds.contains(index.kind) { kinds.append(index.kind) }
    }

    /// One of the tally's indexes: its name, the kind whose table it indexes, its definition, and
    /// which of the table's live rows it holds.
    struct TallyIndex: Sendable {
        /// All live rows, or those up to or after the row number the index is split at (migration
        /// v11): the parts of one index, whose definitions end in `AND rowid <= split` or `AND rowid > split`.
        enum Rows: Sendable { case all, upToSplit, afterSplit }

        let name: String
        let kind: RecordKind
        /// Its definition, without the condition on row numbers of a part.
        let sql: String
        let rows: Rows

        init(_ name: String, _ kind: RecordKind, _ sql: String, _ rows: Rows = .all) {
            self.name = name
            self.kind = kind
            self.sql = sql
            self.rows = rows
        }

        /// Its definition, as `sqlite_master` keeps it, for a store split at row `split`.
        func definition(split: Int64) -> String {
            switch rows {
            case .all: sql
            case .upToSplit: sql + " AND rowid <= \(split)"
            case .afterSplit: sql + " AND rowid > \(split)"
            }
        }

        /// The condition a statement names to read this index (a partial index is read only by a
        /// statement whose condition holds its own): `deleted = 0 AND rowid <= split` for a part.
        func condition(split: Int64, prefix: String = "") -> String {
            switch rows {
            case .all: "\(prefix)deleted = 0"
            case .upToSplit: "\(prefix)deleted = 0 AND \(prefix)rowid <= \(split)"
            case .afterSplit: "\(prefix)deleted = 0 AND \(prefix)rowid > \(split)"
            }
        }

        /// The row number a part's definition (as `sqlite_master` keeps it) is split at; nil for an
        /// index of all live rows, or a definition that is not one this code writes.
        /// Only a definition this code writes is taken, the very text: `rowid <= 007` is not the
        /// statements' `rowid <= 7` to SQLite, whose planner would then refuse the index.
        func split(ofDefinition text: String) -> Int64? {
            guard rows != .all else { return nil }
            let prefix = definition(split: 0).dropLast(1)
            guard text.hasPrefix(prefix), let split = Int64(text.dropFirst(prefix.count)),
                definition(split: split) == text
            else { return nil }
            return split
        }

        /// Its columns in order, as its definition names them: `household_id, round_id, …` of `visit_tally`.
        var columns: [String] {
            let list = sql.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }
            return list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    private static let dateCheck = "GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"

    /// Indexes the tallies read instead of the record tables: live records only (partial), and
    /// holding every column a tally filters or counts (covering), so a province-size tally scans
    /// indexes in key order and never visits a table row. Households and their visits are both
    /// keyed by household id first, so walking one while seeking in the other reads both in order.
    private static func createTallyIndexes(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE INDEX household_tally ON household(id, village_id, priority) WHERE deleted = 0;
                CREATE INDEX visit_tally ON visit(household_id, round_id, date, created_by) WHERE deleted = 0;
                CREATE INDEX forum_tally ON forum(village_id, round_id, date, created_by, participants)
                    WHERE deleted = 0;
                CREATE INDEX notice_tally ON notice(village_id, round_id, date, created_by, copies) WHERE deleted = 0;
                CREATE INDEX fix_tally ON fix(village_id, round_id, found_on, created_by, status) WHERE deleted = 0;
                """)
    }

    private static func createBundleLedger(_ db: Database) throws {
        try db.execute(
            sql: """
                -- Every bundle this store wrote or merged, written in the same transaction as its
                -- changes: a bundle seen again, under any name, is "already merged".
                CREATE TABLE bundle (
                    id TEXT PRIMARY KEY NOT NULL,
                    payload_sha256 TEXT NOT NULL,
                    direction TEXT NOT NULL CHECK (direction IN ('packed', 'merged')),
                    device_id TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    changes INTEGER NOT NULL,
                    new_changes INTEGER NOT NULL DEFAULT 0,
                    max_hlc INTEGER NOT NULL,
                    -- How far the bundle's clock ran ahead of this machine's when merged (ms).
                    ahead_ms INTEGER NOT NULL DEFAULT 0,
                    merged_at TEXT
                );
                CREATE INDEX bundle_by_payload ON bundle(payload_sha256);
                """)
    }

    private static func createFieldStore(_ db: Database) throws {
        try db.execute(
            sql: """
                -- This store: its device, the round it records in, its clock and counters.
                CREATE TABLE local_state (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    device_id TEXT NOT NULL,
                    round_id TEXT,
                    inspectors TEXT NOT NULL DEFAULT '[]',
                    last_hlc INTEGER NOT NULL DEFAULT 0 CHECK (last_hlc >= 0),
                    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
                    packed_through INTEGER NOT NULL DEFAULT 0
                );

                -- Every device whose changes this store holds, this one included.
                CREATE TABLE device (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    team TEXT,
                    role TEXT NOT NULL CHECK (role IN ('field', 'central'))
                );

                -- The change log: the source of truth. Record tables below are folded from it.
                CREATE TABLE change (
                    id INTEGER PRIMARY KEY,
                    device_id TEXT NOT NULL CHECK (\(uuidCheck("device_id"))),
                    seq INTEGER NOT NULL CHECK (typeof(seq) = 'integer' AND seq >= 1),
                    hlc INTEGER NOT NULL CHECK (typeof(hlc) = 'integer' AND hlc >= 0),
                    kind TEXT NOT NULL CHECK (kind IN
                        ('township', 'village', 'household', 'round', 'team', 'visit', 'forum', 'notice', 'fix')),
                    record_id TEXT NOT NULL CHECK (\(uuidCheck("record_id"))),
                    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
                    fields TEXT NOT NULL CHECK (json_type(fields) = 'object'),
                    base TEXT NOT NULL DEFAULT '{}' CHECK (json_type(base) = 'object'),
                    UNIQUE (device_id, seq)
                );
                CREATE INDEX change_by_record ON change(record_id);

                -- Conflicts: versions of a field that lost to a concurrent one, kept for review.
                CREATE TABLE conflict (
                    record_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    field TEXT NOT NULL,
                    winner TEXT NOT NULL,
                    winner_value TEXT NOT NULL,
                    winner_hlc INTEGER NOT NULL,
                    loser TEXT NOT NULL,
                    loser_value TEXT NOT NULL,
                    loser_hlc INTEGER NOT NULL,
                    PRIMARY KEY (record_id, field, loser)
                );

                CREATE TABLE township (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    \(meta)
                );
                CREATE INDEX township_by_name ON township(name);

                CREATE TABLE village (
                    id TEXT PRIMARY KEY NOT NULL,
                    township_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    village_kind TEXT NOT NULL CHECK (village_kind IN ('village', 'community')),
                    \(meta)
                );
                CREATE INDEX village_by_name ON village(name);
                CREATE INDEX village_by_township ON village(township_id);

                CREATE TABLE household (
                    id TEXT PRIMARY KEY NOT NULL,
                    village_id TEXT NOT NULL,
                    code TEXT NOT NULL CHECK (length(code) > 0),
                    village_group TEXT,
                    head TEXT,
                    priority TEXT NOT NULL DEFAULT '[]',
                    source TEXT NOT NULL CHECK (source IN ('roster', 'field')),
                    \(meta)
                );
                CREATE INDEX household_by_code ON household(code);
                CREATE INDEX household_by_village ON household(village_id);

                CREATE TABLE round (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    \(meta)
                );

                CREATE TABLE team (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    members TEXT NOT NULL DEFAULT '[]',
                    \(meta)
                );

                CREATE TABLE visit (
                    id TEXT PRIMARY KEY NOT NULL,
                    round_id TEXT NOT NULL,
                    household_id TEXT NOT NULL,
                    date TEXT NOT NULL CHECK (date \(dateCheck)),
                    inspectors TEXT NOT NULL DEFAULT '[]',
                    met TEXT,
                    note TEXT,
                    issues TEXT,
                    follow_up TEXT,
                    \(meta)
                );
                -- Visits by household: visit_tally (migration v3) serves live visits.

                CREATE TABLE forum (
                    id TEXT PRIMARY KEY NOT NULL,
                    round_id TEXT NOT NULL,
                    village_id TEXT NOT NULL,
                    date TEXT NOT NULL CHECK (date \(dateCheck)),
                    participants INTEGER NOT NULL CHECK (typeof(participants) = 'integer' AND participants >= 1),
                    cadres INTEGER CHECK (cadres IS NULL OR (typeof(cadres) = 'integer' AND cadres >= 0)),
                    members INTEGER CHECK (members IS NULL OR (typeof(members) = 'integer' AND members >= 0)),
                    villagers INTEGER CHECK (villagers IS NULL OR (typeof(villagers) = 'integer' AND villagers >= 0)),
                    topics TEXT NOT NULL DEFAULT '[]',
                    note TEXT,
                    \(meta)
                );
                CREATE INDEX forum_by_village ON forum(village_id);

                CREATE TABLE notice (
                    id TEXT PRIMARY KEY NOT NULL,
                    round_id TEXT NOT NULL,
                    village_id TEXT NOT NULL,
                    date TEXT NOT NULL CHECK (date \(dateCheck)),
                    place TEXT NOT NULL,
                    copies INTEGER NOT NULL CHECK (typeof(copies) = 'integer' AND copies >= 1),
                    \(meta)
                );
                CREATE INDEX notice_by_village ON notice(village_id);

                CREATE TABLE fix (
                    id TEXT PRIMARY KEY NOT NULL,
                    round_id TEXT NOT NULL,
                    village_id TEXT NOT NULL,
                    household_id TEXT,
                    problem TEXT NOT NULL CHECK (length(trim(problem)) > 0),
                    category TEXT,
                    action TEXT,
                    responsible TEXT,
                    status TEXT NOT NULL CHECK (status IN ('open', 'fixed', 'verified')),
                    found_on TEXT NOT NULL CHECK (found_on \(dateCheck)),
                    fixed_on TEXT CHECK (fixed_on \(dateCheck)),
                    verified_on TEXT CHECK (verified_on \(dateCheck)),
                    \(meta)
                );
                CREATE INDEX fix_by_village ON fix(village_id);
                """)
    }
}
