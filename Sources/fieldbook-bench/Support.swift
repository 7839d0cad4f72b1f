import FieldbookCore
import Foundation
import GRDB

/// Wall time and the peak resident memory of one measured step.
struct Measured {
    var seconds: Double
    var peakKB: Int
    /// User and system CPU time of the child (0 where not measured).
    var cpu: Double = 0
}

/// Runs of one kind added up: wall time, CPU time, the highest peak.
struct Paired {
    var seconds = 0.0, cpu = 0.0, peakKB = 0, runs = 0

    mutating func add(_ m: Measured) {
        seconds += m.seconds
        cpu += m.cpu
        peakKB = max(peakKB, m.peakKB)
        runs += 1
    }

    var mean: Paired {
        Paired(seconds: seconds / Double(max(runs, 1)), cpu: cpu / Double(max(runs, 1)), peakKB: peakKB, runs: 1)
    }
}

/// Runs the fieldbook binary in the work folder and measures it with wait4: the child's own peak RSS.
struct Runner {
    var binary: String
    var work: String

    func run(_ arguments: [String]) throws -> Measured {
        var pid: pid_t = 0
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let log = (work as NSString).appendingPathComponent("last-stderr.txt")
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cwd = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(work)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        let start = Date()
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("could not start \(binary): \(spawned)") }
        let sampler = PeakSampler(pid: pid)
        // Wait for the exit without reaping, so the sampler never reads another process's pid.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(start)
        let sampled = sampler.stop()
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        guard status == 0 else {
            let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw BenchError("fieldbook \(arguments.joined(separator: " ")) failed (\(status)): \(stderr)")
        }
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Measured(seconds: seconds, peakKB: sampled > 0 ? sampled : Int(usage.ru_maxrss), cpu: cpu)
    }

    func ok(_ arguments: [String]) throws { _ = try run(arguments) }
}

/// A child's own peak resident memory: VmHWM of /proc/PID/status, read every 10 ms until it exits.
/// wait4's ru_maxrss is not the child's own: posix_spawn starts it with vfork, and the kernel gives
/// the child the benchmark's own peak at exec (a 40 MB pack read as 147 MB after step 4).
final class PeakSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var peak = 0
    private let finished = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        let path = "/proc/\(pid)/status"
        Thread.detachNewThread { [self] in
            while true {
                let kb = Self.highWaterKB(path)
                let stop = lock.withLock {
                    peak = max(peak, kb)
                    return stopped
                }
                if stop { break }
                usleep(10_000)
            }
            finished.signal()
        }
    }

    /// Stops sampling (call once the child has exited, before reaping it) and returns the peak in KB.
    func stop() -> Int {
        lock.withLock { stopped = true }
        finished.wait()
        return lock.withLock { peak }
    }

    private static func highWaterKB(_ path: String) -> Int {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return 0 }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.dropFirst(6).filter(\.isNumber)) ?? 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The figures, as a table.
struct Table {
    private var rows: [[String]] = []

    /// Adds a step's row, at the end or after the row of the step named `after`.
    mutating func add(_ step: String, _ count: Int, _ m: Measured, after: String? = nil) {
        let at = after.flatMap { name in rows.firstIndex { $0.first == name }.map { $0 + 1 } } ?? rows.count
        rows.insert([step, Fmt.int(count), String(format: "%.2f s", m.seconds),
                     Fmt.int(Int(Double(count) / max(m.seconds, 1e-9))), m.peakKB > 0 ? Fmt.mb(m.peakKB) : "—"], at: at)
    }

    func render() -> String {
        var table = TextTable(columns: [
            .init("step"), .init("rows", alignRight: true), .init("time", alignRight: true),
            .init("rows/s", alignRight: true), .init("peak RSS", alignRight: true),
        ])
        for row in rows { table.add(row) }
        return table.render(maxWidth: 100)
    }
}

enum Fmt {
    static func int(_ n: Int) -> String { NumberText.grouped(n) }

    static func mb(_ kb: Int) -> String { String(format: "%.0f MB", Double(kb) / 1024) }
    static func bytes(_ n: Int64) -> String { String(format: "%.1f MB", Double(n) / 1_000_000) }
}

enum Machine {
    static func describe() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        #if DEBUG
            let build = "debug build (use -c release for real figures)"
        #else
            let build = "release build"
        #endif
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) GiB, \(build), \(load())"
    }

    /// The machine's load when asked (it is shared: other processes' work slows every figure).
    static func load() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return "load average " + text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func peakKB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }
}

/// Realistic generated data: Chinese names, village groups, priority households, field records.
enum Generator {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let given = Array("建国秀英桂兰明华军红玉梅海燕志强丽娟德胜永福春花文杰金凤国庆淑珍玉兰小红立新卫东")

    static func householdCode(_ i: Int) -> String { String(format: "H%07d", i) }

    static func name(_ i: Int) -> String {
        let s = surnames[i % surnames.count]
        let g1 = given[(i / surnames.count) % given.count]
        let g2 = given[(i / 7 + 3) % given.count]
        return "\(s)\(g1)\(g2)"
    }

    static func writeRoster(to path: String, villages: Int) throws {
        var text = "乡镇,村,类型,村民组,户号,户主,重点户\n"
        let townships = max(1, villages / 30)
        for v in 0..<villages {
            let township = "第\(v % townships + 1)镇"
            let village = v % 7 == 6 ? "第\(v + 1)社区" : "第\(v + 1)村"
            for h in 0..<10 {
                let i = v * 10 + h
                let priority = i % 17 == 0 ? "五保户" : i % 13 == 0 ? "低保户" : i % 29 == 0 ? "危房改造户;低保户" : ""
                text += "\(township),\(village),\(v % 7 == 6 ? "社区" : "村"),\(h / 4 + 1)组,\(householdCode(i)),\(name(i)),\(priority)\n"
            }
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Visits (90%), forums (2%), notices (2%), on-the-spot fixes (1%) and problems found (5%, open, a tenth of
    /// them clues transferred), in transactions of 20,000.
    static func recordFieldWork(_ store: Store, count: Int, seed: UInt64, villages: Int) throws {
        var rng = seed &* 6_364_136_223_846_793_005 &+ 1
        func next(_ n: Int) -> Int {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((rng >> 33) % UInt64(n))
        }
        let round = RecordID.round("五届第五轮")
        let townships = max(1, villages / 30)
        var remaining = count
        while remaining > 0 {
            let n = min(20_000, remaining)
            remaining -= n
            var batch: [(kind: RecordKind, fields: [String: FieldValue])] = []
            batch.reserveCapacity(n)
            for _ in 0..<n {
                let v = next(villages)
                let village = RecordID.village(township: "第\(v % townships + 1)镇", name: v % 7 == 6 ? "第\(v + 1)社区" : "第\(v + 1)村")
                let day = String(format: "2026-%02d-%02d", 3 + next(9), 1 + next(28))
                switch next(100) {
                case 0..<90:
                    let h = v * 10 + next(10)
                    batch.append((.visit, [
                        "round": .text(round), "household": .text(RecordID.household(code: householdCode(h))),
                        "date": .text(day), "inspectors": .list([name(next(500)), name(next(500))]),
                        "met": .text(next(3) == 0 ? "户主本人" : "户主家属"),
                        "note": .text(next(4) == 0 ? "反映低保评定不透明，要求公开评议结果" : "了解家庭收入和惠民政策落实情况"),
                        "issues": next(5) == 0 ? .text("村道路灯损坏") : .null,
                        "follow_up": next(10) == 0 ? .text("核实低保资格") : .null,
                    ]))
                case 90..<92:
                    batch.append((.forum, [
                        "round": .text(round), "village": .text(village), "date": .text(day),
                        "participants": .int(Int64(6 + next(20))), "topics": .list(["村务公开", "惠民政策"]),
                    ]))
                case 92..<94:
                    batch.append((.notice, [
                        "round": .text(round), "village": .text(village), "date": .text(day),
                        "place": .text("\(1 + next(6))组公示栏"), "copies": .int(Int64(1 + next(4))),
                    ]))
                case 95..<100:
                    // Created open, as every problem is (its rectification steps are later changes).
                    let clue = next(10) == 0
                    batch.append((.problem, [
                        "round": .text(round), "village": .text(village), "summary": .text("惠农补贴发放不及时"),
                        "category": .text("farm-subsidies"), "detail": .text("耕地地力保护补贴延迟三个月发放"),
                        "found_on": .text(day), "deadline": .text(String(format: "2026-%02d-%02d", 4 + next(9), 1 + next(28))),
                        "status": .text(ProblemStatus.open.rawValue),
                        "transferred_to": clue ? .text(ClueDestination.allCases[next(3)].rawValue) : .null,
                        "transferred_on": clue ? .text(day) : .null,
                    ]))
                default:
                    batch.append((.fix, [
                        "round": .text(round), "village": .text(village), "problem": .text("村务公开栏内容未及时更新"),
                        "category": .text("村务公开"), "action": .text("当场更新公开栏"), "status": .text("fixed"),
                        "found_on": .text(day), "fixed_on": .text(day),
                    ]))
                }
            }
            _ = try store.recordBatch(batch)
        }
    }

    struct BundleTotals {
        var changes = 0
        var raw: Int64 = 0
        var compressed: Int64 = 0
        var rosterRelays = 0
        /// The files' whole size: header, manifest, signatures and payload.
        var fileBytes: Int64 = 0
        /// Bundles written in format 2 (signed and encrypted).
        var format2 = 0
    }

    static func bundleChanges(in folder: String) throws -> BundleTotals {
        var totals = BundleTotals()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".fbundle") {
            let path = (folder as NSString).appendingPathComponent(name)
            let m = try BundleFile.open(path).manifest
            totals.fileBytes += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
            if m.format == 2 { totals.format2 += 1 }
            totals.changes += m.changes
            totals.raw += m.payload.rawSize
            totals.compressed += m.payload.compressedSize
            totals.rosterRelays += m.devices.filter { $0.id != m.device.id }.reduce(0) { $0 + $1.count }
        }
        return totals
    }
}

/// Copies of a store's files.
enum StoreFiles {
    /// Removes a store's file and its log's, where they are.
    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Checkpoints the store's write-ahead log into it, then copies it (and any log left) byte for byte.
    static func copy(_ path: String, to copy: String) throws {
        _ = try DatabaseQueue(path: path).writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        remove(copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let wal = path + "-wal"
        if let size = try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int64, size > 0 {
            try FileManager.default.copyItem(atPath: wal, toPath: copy + "-wal")
        }
    }

    /// Before a timed step: what earlier steps wrote goes to disk (sync), and the step's input files
    /// are read once, so that they are in the page cache whichever step ran before.
    static func settle(_ paths: [String]) {
        sync()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for path in paths {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { continue }
            while read(fd, &buffer, buffer.count) > 0 {}
            close(fd)
        }
    }
}

/// The yardstick: the same change rows upserted by key into a plain table, one prepared statement,
/// one transaction, same journal and sync settings as a store. Rows are read into memory first, in
/// chunks, and only the upserts are timed. With `held`, the table first holds that store's log, one
/// row per record (the growth mode: plain SQLite's own cost of a bigger table).
enum PlainSQLite {
    static func upsert(
        rowsFrom source: String, where filter: String = "true", into path: String, holding held: String? = nil
    ) throws -> (rows: Int, seconds: Double) {
        StoreFiles.remove(path)
        var config = Configuration()
        config.prepareDatabase { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let target = try DatabaseQueue(path: path, configuration: config)
        let from = try DatabaseQueue(path: source)
        try target.write { db in
            try db.execute(sql: """
                CREATE TABLE change (record_id TEXT PRIMARY KEY NOT NULL, device_id TEXT NOT NULL, seq INTEGER NOT NULL,
                    hlc INTEGER NOT NULL, kind TEXT NOT NULL, op TEXT NOT NULL, fields TEXT NOT NULL, base TEXT NOT NULL)
                """)
        }
        if let held {
            // The table already holds the rows of another store's log, one per record (untimed).
            try target.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS held", arguments: [held])
                try db.inTransaction {
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO change (record_id, device_id, seq, hlc, kind, op, fields, base)
                        SELECT record_id, device_id, seq, hlc, kind, op, fields, base FROM held.change ORDER BY id
                        """)
                    return .commit
                }
                try db.execute(sql: "DETACH DATABASE held")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        var rows = 0
        var reading = 0.0
        let started = Date()
        try target.writeWithoutTransaction { db in
            try db.inTransaction {
                let upsert = try db.makeStatement(sql: """
                    INSERT INTO change (record_id, device_id, seq, hlc, kind, op, fields, base) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (record_id) DO UPDATE SET device_id = excluded.device_id, seq = excluded.seq,
                        hlc = excluded.hlc, kind = excluded.kind, op = excluded.op, fields = excluded.fields, base = excluded.base
                    WHERE excluded.hlc > change.hlc
                    """)
                var last: Int64 = 0
                while true {
                    let readStart = Date()
                    let chunk = try from.read { source in
                        try Row.fetchAll(source, sql: """
                            SELECT id, record_id, device_id, seq, hlc, kind, op, fields, base FROM change
                            WHERE id > ? AND (\(filter)) ORDER BY id LIMIT 100000
                            """, arguments: [last]).map { row -> (Int64, StatementArguments) in
                            (row["id"], [row["record_id"] as String, row["device_id"] as String, row["seq"] as Int64,
                                         row["hlc"] as Int64, row["kind"] as String, row["op"] as String,
                                         row["fields"] as String, row["base"] as String])
                        }
                    }
                    guard let end = chunk.last?.0 else { break }
                    last = end
                    reading += Date().timeIntervalSince(readStart)
                    for (_, arguments) in chunk { try upsert.execute(arguments: arguments) }
                    rows += chunk.count
                }
                return .commit
            }
        }
        // Everything but the reading of source rows: the upserts and the commit.
        return (rows, Date().timeIntervalSince(started) - reading)
    }
}
