import FieldbookCore
import Foundation

/// A folder under the system's temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init(_ label: String = "fieldbook") {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` as UTF-8 into a file of this folder and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = path(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// A deterministic environment: a clock that starts at `start` and moves `step` seconds each time it
/// is read, and random bytes from a counter. Two runs make the same ids and clock readings.
public final class FixedEnvironment: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date
    private let step: TimeInterval
    private var counter: UInt64 = 0
    private let seed: UInt64

    public init(start: Date = Date(timeIntervalSince1970: 1_795_222_800), step: TimeInterval = 1, seed: UInt64 = 0) {
        time = start
        self.step = step
        self.seed = seed
    }

    /// Moves the clock by `seconds` (negative to set it back, as a laptop's clock may be).
    public func advance(_ seconds: TimeInterval) {
        lock.withLock { time += seconds }
    }

    public var environment: FieldbookEnvironment {
        FieldbookEnvironment(
            now: { [self] in
                lock.withLock {
                    defer { time += step }
                    return time
                }
            },
            randomBytes: { [self] count in
                lock.withLock {
                    // SplitMix64 over (seed, counter): different seeds never share a stream.
                    var state = seed &* 0xD1B5_4A32_D192_ED03 &+ counter &* 0x9E37_79B9_7F4A_7C15
                    counter += 1
                    var bytes: [UInt8] = []
                    while bytes.count < count {
                        state &+= 0x9E37_79B9_7F4A_7C15
                        var z = state
                        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                        z ^= z >> 31
                        for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
                            bytes.append(UInt8(truncatingIfNeeded: z >> UInt64(shift)))
                        }
                    }
                    return bytes
                }
            },
            timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    }
}

/// A small roster: two townships, a village name used in both, a community, priority households.
public let sampleRosterCSV = """
    乡镇,村,类型,村民组,户号,户主,重点户
    城关镇,东关村,村,一组,DG001,张建国,五保户
    城关镇,东关村,村,一组,DG002,李秀英,低保户;危房改造户
    城关镇,东关村,村,二组,DG003,王大力,
    城关镇,新华社区,社区,三组,XH001,赵明,
    古城乡,东关村,村,一组,GC001,刘海,低保
    古城乡,西河村,,二组,GC002,陈静,weifang

    """

/// A field store in `directory` with the sample roster imported, on a fixed clock.
public func makeFieldStore(
    in directory: TemporaryDirectory, name: String = "field.sqlite", device: String = "笔记本1",
    clock: FixedEnvironment = FixedEnvironment()
) throws -> Store {
    let store = try Store.create(
        at: directory.path(name),
        setup: DeviceSetup(name: device, team: "第一巡察组", round: "五届第五轮", inspectors: ["张三", "李四"]),
        environment: clock.environment)
    try giveRoster(sampleRosterCSV, to: store, in: directory)
    return store
}

/// A central store in `directory` with the sample roster imported, on a fixed clock: the office,
/// which may also change the roster (delete a household, a village) as a test needs.
public func makeOfficeStore(
    in directory: TemporaryDirectory, name: String = "office.sqlite", clock: FixedEnvironment = FixedEnvironment()
) throws -> Store {
    let store = try Store.create(
        at: directory.path(name),
        setup: DeviceSetup(name: "巡察办", team: "第一巡察组", round: "五届第五轮", inspectors: ["张三", "李四"], central: true),
        environment: clock.environment)
    _ = try store.importRoster(csvAt: directory.write("roster-\(name).csv", sampleRosterCSV))
    return store
}

/// Hands a field store the roster the way an office does: imported into a central store, packed
/// with `--roster`, merged. Returns the office's import report.
@discardableResult
public func giveRoster(_ csv: String, to store: Store, in directory: TemporaryDirectory) throws -> RosterImportReport {
    let label = UUID().uuidString.prefix(8)
    let office = try Store.create(
        at: directory.path("office-\(label).sqlite"),
        setup: DeviceSetup(name: "巡察办", round: "五届第五轮", central: true),
        environment: FixedEnvironment(seed: 77).environment)
    let report = try office.importRoster(csvAt: directory.write("roster-\(label).csv", csv))
    guard let bundle = try office.pack(into: directory.path("roster-\(label)"), scope: .roster) else { return report }
    let outcome = store.merge(bundleAt: bundle.path)
    if case .rejected(let reason) = outcome.status { throw BundleError(reason) }
    return report
}
