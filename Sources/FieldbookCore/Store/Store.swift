import CSQLiteSettings
import Foundation
import GRDB
import GRDBSQLite

/// What `fieldbook init` asks for.
public struct DeviceSetup: Sendable {
    public var name: String
    public var team: String?
    public var round: String?
    public var inspectors: [String]
    public var central: Bool
    /// The one district (区/县) of a roster without county columns, as tallies name it.
    public var district: String?

    public init(
        name: String, team: String? = nil, round: String? = nil, inspectors: [String] = [],
        central: Bool = false, district: String? = nil
    ) {
        self.name = name
        self.team = team
        self.round = round
        self.inspectors = inspectors
        self.central = central
        self.district = district
    }
}

/// One Fieldbook store: a SQLite file on a laptop, or the central one at the office.
///
/// The store owns its database connection and runs the migrations when it opens. Every write goes
/// through a versioned change in the same transaction as the record it folds into, so a record
/// acknowledged on screen is durable (WAL, synchronous=FULL) and a power cut loses nothing.
public final class Store: Sendable {
    public let path: String
    public let environment: FieldbookEnvironment
    let dbQueue: DatabaseQueue
    /// Why this store can only be read (a write-protected stick, a read-only folder or file), when
    /// it was opened read-only; every write then says so instead of trying.
    public let readOnlyReason: String?
    /// Why this store was opened only to read because its disk is (nearly) full.
    let fullReason: String?

    /// The private folder holding the copy a read-only store with a log is read from, if any.
    private let scratch: String?
    /// The log's copies running alongside this store's writes, if any (``withLogCheckpointedAside(limit:_:)``).
    let logCopies = Locked<LogCheckpoints?>(nil)

    private init(
        path: String, dbQueue: DatabaseQueue, environment: FieldbookEnvironment, readOnlyReason: String? = nil,
        fullReason: String? = nil, scratch: String? = nil
    ) {
        self.path = path
        self.dbQueue = dbQueue
        self.environment = environment
        self.readOnlyReason = readOnlyReason
        self.fullReason = fullReason
        self.scratch = scratch
    }

    deinit {
        if let scratch { ReadOnlyCopy.remove(scratch) }
    }

    /// The error a write gets before it starts, when the store can only be read.
    var cannotWrite: FieldbookError? {
        if let readOnlyReason { return .storeReadOnly(path: path, reason: readOnlyReason) }
        if let fullReason { return .storeFailure(path: path, message: fullReason) }
        return nil
    }

    /// Creates a new store at `path` for a new device. Refuses to touch an existing file.
    public static func create(
        at path: String, setup: DeviceSetup, environment: FieldbookEnvironment = .live
    ) throws -> Store {
        // A store is a file: a path that is empty or ends in / names none (SQLite opened `x/` as the
        // store `x` already there, and failed half-way with its own words).
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw FieldbookError.invalidValue(field: "db", value: path, expected: tr("name the store's file, e.g. fieldbook.sqlite, without a / at its end"))
        }
        if FilePaths.isTaken(path) { throw FieldbookError.storeExists(path: path) }
        guard !setup.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FieldbookError.invalidValue(
                field: "device", value: setup.name, expected: tr("name this laptop, e.g. 第一巡察组-笔记本1"))
        }
        // The names every bundle's manifest carries meet the rules a manifest is checked by.
        for (field, text) in [("device", setup.name), ("team", setup.team), ("round", setup.round), ("district", setup.district)] {
            if let text, let problem = ChangeRules.textProblem(text, maxLength: ChangeRules.shortText) {
                throw FieldbookError.invalidValue(field: field, value: text, expected: problem)
            }
        }
        try checkDefaultInspectors(setup.inspectors)
        do {
            let dbQueue = try DatabaseQueue(path: path, configuration: configuration(path: path, environment: environment))
            try Schema.migrator.migrate(dbQueue)
            // The tally indexes a migration leaves to the open (the visits' parts, v11): empty here.
            _ = try dbQueue.write(Store.buildMissingTallyIndexes)
            let store = Store(path: path, dbQueue: dbQueue, environment: environment)
            try dbQueue.write { db in
                try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
                let deviceID = environment.makeDeviceID()
                try db.execute(
                    sql: "INSERT INTO device (id, name, team, role) VALUES (?, ?, ?, ?)",
                    arguments: [deviceID, setup.name, setup.team, setup.central ? "central" : "field"])
                try db.execute(
                    sql: "INSERT INTO local_state (singleton, device_id, inspectors, district) VALUES (1, ?, ?, ?)",
                    arguments: [deviceID, CanonicalJSON.encode(setup.inspectors),
                                setup.district.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }])
                if let team = setup.team {
                    try store.ensureReference(
                        db, kind: .team, id: RecordID.team(team),
                        fields: ["name": .text(team), "members": .list([])])
                }
                if let round = setup.round {
                    let roundID = try store.ensureRound(db, name: round)
                    try db.execute(sql: "UPDATE local_state SET round_id = ?", arguments: [roundID])
                }
            }
            return store
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            if let error = error as? FieldbookError { throw error }
            throw FieldbookError.storeFailure(path: path, message: Store.describe(error))
        }
    }

    /// Opens an existing store, refusing files that are not Fieldbook stores or are too new.
    public static func open(at path: String, environment: FieldbookEnvironment = .live) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else { throw FieldbookError.noStore(path: path) }
        // Only a file is opened: reading a pipe waits for a writer that may never come, and a
        // device (/dev/zero) reads forever.
        switch FilePaths.kind(of: path) {
        case .folder: throw FieldbookError.notAStore(path: path, reason: tr("it is a folder"))
        case .other: throw FieldbookError.notAStore(path: path, reason: tr("it is not a file (a pipe or a device)"))
        case .file, .missing: break
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FieldbookError.notAStore(path: path, reason: tr("it cannot be read"))
        }
        let header = (try? handle.read(upToCount: 16)) ?? nil
        try? handle.close()
        guard let header, header == Data("SQLite format 3\0".utf8) else {
            throw FieldbookError.notAStore(path: path, reason: tr("it is not an SQLite database"))
        }
        let readOnly = readOnlyReason(path)
        // On a nearly full disk, a store with no log to replay is read without SQLite's memory-mapped
        // log index, which faults (SIGBUS) when the disk cannot give it blocks; writes then say the
        // disk is full before they start.
        let full = readOnly == nil ? diskFullReason(path) : nil
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        let readOnlyOpen = readOnly != nil || (full != nil && walSize == 0)
        let dbQueue: DatabaseQueue
        var scratch: String?
        do {
            var config = configuration(path: path, environment: environment)
            var location = path
            if readOnlyOpen {
                // Read without writing anything beside the store (no -wal, no -shm of this user's).
                // With no write-ahead log to replay, the file is read as immutable, which needs no
                // lock file at all (a write-protected stick); with one, it is read as it stands,
                // or from a private copy where SQLite cannot read the log in place (below).
                config.readonly = true
                if walSize == 0 {
                    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                    location = "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute) + "?immutable=1"
                }
            }
            func load(_ location: String) throws -> (DatabaseQueue, Int32, Bool, Bool) {
                let queue = try DatabaseQueue(path: location, configuration: config)
                let (appID, superseded, complete) = try queue.read { db in
                    (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                     try Schema.migrator.hasBeenSuperseded(db), try Schema.migrator.hasCompletedMigrations(db))
                }
                return (queue, appID, superseded, complete)
            }
            var loaded: (DatabaseQueue, Int32, Bool, Bool)
            do {
                loaded = try load(location)
            } catch where readOnlyOpen && walSize > 0 {
                // SQLite reads a log only beside its index file (-shm), which a write-protected
                // stick cannot take: the store and its log are read from a private copy, so that
                // the changes only the log holds are seen. The copy goes when the store does.
                let copy = try ReadOnlyCopy.make(of: path)
                scratch = copy.folder
                do {
                    loaded = try load(copy.store)
                } catch {
                    ReadOnlyCopy.remove(copy.folder)
                    scratch = nil
                    throw error
                }
            }
            let (queue, appID, superseded, complete) = loaded
            dbQueue = queue
            guard appID == Schema.applicationID else {
                throw FieldbookError.notAStore(path: path, reason: tr("it is an SQLite database of another program"))
            }
            if superseded { throw FieldbookError.newerSchema(path: path) }
            if readOnlyOpen {
                guard complete else {
                    throw FieldbookError.notAStore(
                        path: path, reason: tr("it was written by an earlier fieldbook and must be updated, but \(readOnly ?? full ?? tr("it can only be read")); copy it to a writable folder first"))
                }
            } else {
                try Schema.migrate(dbQueue)
                // A tally index that a killed merge set aside is built again, unless a merge or a
                // roster import is running now: that one builds it at its end (TallyIndexes.swift).
                // Without it a tally is right, only slower; a build that fails is tried next time.
                // Nor is it built on a disk without room for it: the build would fill the disk first.
                if StoreActivity.current(forStore: path) == nil, try !dbQueue.read(Store.missingTallyIndexes).isEmpty,
                    let room = try? dbQueue.read({ try Store.tallyIndexesRoom($0, path: path) }), room.free >= room.needed
                {
                    _ = try? dbQueue.write(Store.buildMissingTallyIndexes)
                }
            }
            // Nothing but text where fieldbook writes text (UnalteredText), before any command reads it.
            if let problem = try dbQueue.read(UnalteredText.problem) {
                throw FieldbookError.alteredStore(path: path, reason: problem)
            }
        } catch let error as FieldbookError {
            if let scratch { ReadOnlyCopy.remove(scratch) }
            throw error
        } catch {
            if let scratch { ReadOnlyCopy.remove(scratch) }
            throw FieldbookError.notAStore(path: path, reason: describe(error))
        }
        return Store(
            path: path, dbQueue: dbQueue, environment: environment, readOnlyReason: readOnly,
            fullReason: readOnlyOpen ? full : nil, scratch: scratch)
    }

    /// Free space below which the store is not written: a write needs a few pages of log, and the
    /// log index a 32 KiB region it maps.
    static let minimumFreeBytes: Int64 = 256 << 10

    /// "the disk is full (40 KB free)" when the store's disk has less than ``minimumFreeBytes`` free.
    static func diskFullReason(_ path: String) -> String? {
        let folder = FilePaths.folder(of: path)
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return nil }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        guard free < minimumFreeBytes else { return nil }
        return tr("the disk is full (\(free >> 10) KB free where the store is; fieldbook needs at least \(minimumFreeBytes >> 10) KB to write)")
    }

    /// Why the store at `path` can only be read, or nil when it can be written: the medium is
    /// write-protected or mounted read-only, or the folder or file is not writable by this user.
    static func readOnlyReason(_ path: String) -> String? {
        let folder = FilePaths.folder(of: path)
        if access(path, W_OK) != 0 || access(folder, W_OK) != 0 {
            if errno == EROFS { return tr("the disk it is on is read-only (a write-protected stick?)") }
            return access(path, W_OK) != 0 ? tr("the file is read-only for this user") : tr("its folder is read-only for this user")
        }
        return nil
    }

    /// SQLite's settings for the whole process, made as the program is loaded, before anything in
    /// it can use SQLite (CSQLiteSettings): no memory statistics. A merge makes a dozen SQLite
    /// allocations and more a change, and SQLite counted each under a process-wide lock: an eighth
    /// of a merge's writer's work (docs/PERFORMANCE.md, "Merge speed", seventh round). Nothing here reads those
    /// statistics (SQLite's heap limits need them, and are not used). False when SQLite was used
    /// before (by another library's own load-time code): it is then left as it is.
    public static let sqliteSettingsMade: Bool = fieldbook_sqlite_memstatus_off() == SQLITE_OK

    /// Whether the VFS that lets a store's writer gather its log's writes (``gatherLog(_:)``) is in
    /// front of SQLite's own, for every connection the process opens after it (any store's opening
    /// puts it there): the others' files, and their logs, are SQLite's own untouched.
    public static let logGatheringInstalled: Bool = fieldbook_log_gathering_install() == SQLITE_OK

    /// A store's log gathers its writes into runs of a mebibyte (CSQLiteSettings): a log's frames,
    /// each 24 bytes longer than a page, were each written alone, and the kernel zeroed the rest of
    /// every disk block a frame began in before writing it (docs/PERFORMANCE.md, "Merge speed", eighth round).
    /// Asked at the start of every write transaction: the connection syncs at each commit
    /// (synchronous FULL), which this requires, and its log is open then.
    static func gatherLog(_ db: Database) {
        _ = fieldbook_log_gathering_on(db.sqliteConnection)
    }

    /// Ends ``gatherLog(_:)`` once its transaction has ended, committed or rolled back, before the
    /// connection does anything else: gathering is asked again, with the connection's settings,
    /// by the next transaction. What a rolled-back transaction gathered (pages it spilled to the
    /// log) was written out as its write lock went, where nobody reads; were any left, it is
    /// dropped here, never read back nor written over the frames another command commits there.
    static func stopGatheringLog(_ db: Database) {
        _ = fieldbook_log_gathering_off(db.sqliteConnection)
    }

    private static func configuration(path: String, environment: FieldbookEnvironment) -> Configuration {
        _ = sqliteSettingsMade
        _ = logGatheringInstalled
        var config = Configuration()
        // The store's path is its connections' label, so that `db.description`, which messages
        // raised inside a transaction name the store by, is the file and not "GRDB.DatabaseQueue".
        config.label = path
        // A command waits as long as another holds the store (a merge of a province's year holds
        // it for a minute): a wait is never reported as a failure. After a second it says, once,
        // what it waits for; a killed holder releases its lock with its process.
        let notice = WaitNotice()
        config.busyMode = .callback { tries in
            if tries == 20, notice.first() {
                environment.waiting(path, StoreActivity.current(forStore: path))
            }
            usleep(tries < 20 ? 50_000 : 100_000)
            return true
        }
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // A read-only store is read as it is.
            guard !db.configuration.readonly else { return }
            // WAL lets a report read while a merge writes; FULL makes every commit durable.
            // (GRDB's own WAL setting would lower synchronous to NORMAL.)
            guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                throw DatabaseError(message: tr("could not switch the store to WAL mode"))
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    /// A short reason for a database error, without raw result codes as the only text.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return tr("the store is busy in another fieldbook command")
            case .SQLITE_FULL: return tr("the disk is full")
            case .SQLITE_READONLY: return tr("the file is read-only")
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: return tr("the file is damaged or not a database")
            case .SQLITE_CANTOPEN: return tr("the file cannot be opened")
            case .SQLITE_IOERR: return tr("the disk reported an input/output error")
            case .SQLITE_CONSTRAINT: return tr("a value broke a rule of the store (\(error.message ?? "constraint"))")
            default: return error.message ?? tr("database error \(error.resultCode.rawValue)")
            }
        }
        return error.localizedDescription
    }

    /// Runs `body` in one write transaction; database failures become a ``FieldbookError``.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        if let cannotWrite { throw cannotWrite }
        do {
            // GRDB's `write`, with the log's gathering ended after the transaction.
            return try dbQueue.writeWithoutTransaction { db in
                defer { Store.stopGatheringLog(db) }
                var result: T?
                try db.inTransaction {
                    Store.gatherLog(db)
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw storeError(error, otherwise: writeFailure)
        }
    }

    /// Gives back the space the log took: after a failed write (one that ran out of disk leaves its
    /// log file at the size it reached), or a large one in a store kept open. Best effort: nothing
    /// is lost if it cannot.
    public func releaseLog() {
        guard cannotWrite == nil else { return }
        // A copy running alongside would make SQLite refuse this one at once (it waits for no
        // other checkpoint): it ends first.
        logCopies.withLock { $0 }?.waitForCopies()
        try? dbQueue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// An error of a read or a write of this store as its command reports it: fieldbook's own and
    /// a bundle's refusal as they are, a change no fieldbook writes as the store changed outside
    /// fieldbook (naming its file), anything else (SQLite's) as `otherwise` words it.
    private func storeError(_ error: any Error, otherwise: (any Error) -> FieldbookError) -> any Error {
        switch error {
        case is FieldbookError, is BundleError: error
        case let altered as AlteredLog: FieldbookError.alteredStore(path: path, reason: altered.reason)
        default: otherwise(error)
        }
    }

    /// A failed write as a ``FieldbookError``: a store SQLite finds read-only says so as one opened
    /// read-only does.
    private func writeFailure(_ error: any Error) -> FieldbookError {
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_READONLY {
            return .storeReadOnly(path: path, reason: tr("it or the log beside it (-wal, -shm) cannot be written"))
        }
        return .storeFailure(path: path, message: Store.describe(error))
    }

    /// Runs `body` in one write transaction and rolls it back: what a merge would do, undone.
    func writeAndRollBack(_ body: (Database) throws -> Void) throws {
        if let cannotWrite { throw cannotWrite }
        do {
            try dbQueue.inDatabase { db in
                defer { Store.stopGatheringLog(db) }
                try db.inTransaction(.immediate) {
                    Store.gatherLog(db)
                    try body(db)
                    return .rollback
                }
            }
        } catch {
            throw storeError(error, otherwise: writeFailure)
        }
    }

    /// Runs `body` in a read transaction.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.read(body)
        } catch {
            throw storeError(error) { .storeReadFailure(path: path, message: Store.describe($0)) }
        }
    }
}

/// A copy of a read-only store and its log in a private temporary folder, to read the log from.
enum ReadOnlyCopy {
    static func make(of path: String) throws -> (folder: String, store: String) {
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("fieldbook-read-\(UUID().uuidString)").path
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let store = (folder as NSString).appendingPathComponent("store.sqlite")
            try fm.copyItem(atPath: path, toPath: store)
            try fm.copyItem(atPath: path + "-wal", toPath: store + "-wal")
            return (folder, store)
        } catch {
            remove(folder)
            throw FieldbookError.notAStore(
                path: path,
                reason: tr("it can only be read, and its log of recent changes (-wal) can be read only from a copy, which could not be made in \(fm.temporaryDirectory.path); copy the store with its -wal file to a writable folder"))
        }
    }

    static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Whether the waiting notice has been given yet, once per store connection.
private final class WaitNotice: @unchecked Sendable {
    private let lock = NSLock()
    private var given = false

    func first() -> Bool {
        lock.withLock {
            defer { given = true }
            return !given
        }
    }
}
