import CZlibSys
import Crypto
import FieldbookCore
import Foundation

// Crafted bundles: what an attacker with a USB stick can put in front of `fieldbook verify` and
// `fieldbook merge`. Everything here is written byte by byte (envelope, manifest, gzip, lines) with
// the public API only, so the core tests and the binary tests share one generator.

// MARK: JSON written by hand

/// JSON text as a crafted bundle writes it: anything a writer would write, and what it never would
/// (`raw`: floats, bare surrogates, duplicate members, nesting).
public indirect enum J: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case str(String)
    /// JSON text as given.
    case raw(String)
    case arr([J])
    /// Members in the order given (duplicates allowed).
    case obj([(String, J)])

    public var text: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let n): String(n)
        case .str(let s): J.quote(s)
        case .raw(let t): t
        case .arr(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .obj(let members): "{" + members.map { J.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string: quotes, backslashes and C0 controls escaped, everything else as UTF-8.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    public static func list(_ items: [String]) -> J { .arr(items.map { .str($0) }) }
}

/// A JSON object under construction: members by name, written with sorted keys.
public struct Obj: Sendable {
    public var members: [(String, J)]

    public init(_ members: [(String, J)] = []) { self.members = members }

    /// A member's value; setting nil removes it.
    public subscript(key: String) -> J? {
        get { members.first { $0.0 == key }?.1 }
        set {
            if let i = members.firstIndex(where: { $0.0 == key }) {
                if let newValue { members[i].1 = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Sorted by key (stable: duplicates keep their order).
    public var json: J {
        .obj(members.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element))
    }
}

// MARK: Bundles byte by byte

/// A device as a manifest describes it.
public struct CraftDevice: Sendable, Hashable {
    public var id: String
    public var name: String
    public var team: String?
    public var role: String

    public init(id: String, name: String, team: String? = nil, role: String = "field") {
        self.id = id
        self.name = name
        self.team = team
        self.role = role
    }
}

/// One payload line. `device`, `seq`, `hlc` and `kind` are what the manifest counts; the line as
/// written may differ (`members`, `replace`, `bytes`), so a damaged line still sits under a
/// manifest that agrees with everything else.
public struct CraftedChange: Sendable {
    public var device: String
    public var seq: Int64
    public var hlc: Int64
    public var kind: RecordKind
    public var record: String
    public var op: String
    public var fields: Obj
    public var base = Obj()
    /// Top-level members written instead of the ones above: a value, or nil to leave it out.
    public var members: [String: J?] = [:]
    /// Text replacements on the written line, for spellings no JSON writer makes.
    public var replace: [(String, String)] = []
    /// The line's bytes outright.
    public var bytes: [UInt8]?

    public init(device: String, seq: Int64, hlc: Int64, kind: RecordKind, record: String, op: String = "create", fields: Obj) {
        self.device = device
        self.seq = seq
        self.hlc = hlc
        self.kind = kind
        self.record = record
        self.op = op
        self.fields = fields
    }

    public var line: [UInt8] {
        if let bytes { return bytes }
        var top: [String: J] = [
            "base": base.json, "device": .str(device), "fields": fields.json, "hlc": .int(hlc),
            "kind": .str(kind.rawValue), "op": .str(op), "record": .str(record), "seq": .int(seq),
        ]
        for (key, value) in members { top[key] = value }
        var text = "{" + top.keys.sorted().map { J.quote($0) + ":" + top[$0]!.text }.joined(separator: ",") + "}"
        for (from, to) in replace { text = text.replacingOccurrences(of: from, with: to) }
        return Array(text.utf8)
    }
}

/// A manifest under construction: every member editable, nested ones too.
public struct CraftManifest: Sendable {
    /// Every member but `device`, `devices`, `counts` and `payload`.
    public var top = Obj()
    public var device = Obj()
    public var devices: [Obj] = []
    public var counts = Obj()
    public var payload = Obj()
    /// Members written instead of the assembled ones (nil: left out), applied last.
    public var override: [String: J?] = [:]

    public var text: String {
        var all = top
        all["device"] = device.json
        all["devices"] = .arr(devices.map(\.json))
        all["counts"] = counts.json
        all["payload"] = payload.json
        for (key, value) in override { all[key] = value }
        return all.json.text
    }
}

/// Offsets in a crafted file, for damage done to it after it is written.
public struct CraftLayout: Sendable {
    public var manifestLength: Int
    public var payloadOffset: Int
    public var payloadLength: Int
    public var trailerOffset: Int
}

/// Everything a crafted bundle is made of, and the damage done at each stage.
public struct CraftSpec {
    public var packer: CraftDevice
    public var changes: [CraftedChange]
    /// How the manifest's `devices` describes each device other than the packer.
    public var describe: [String: CraftDevice] = [:]
    public var bundleID: String
    public var round: J = .str("五届第五轮")
    public var editPayload: ((inout [UInt8]) -> Void)?
    public var editCompressed: ((inout [UInt8]) -> Void)?
    public var editManifest: ((inout CraftManifest) -> Void)?
    public var editManifestBytes: ((inout [UInt8]) -> Void)?
    public var editFile: ((inout [UInt8], CraftLayout) -> Void)?

    public init(packer: CraftDevice, changes: [CraftedChange], bundleID: String) {
        self.packer = packer
        self.changes = changes
        self.bundleID = bundleID
    }

    public func bytes() -> [UInt8] {
        var raw = [UInt8]()
        for change in changes {
            raw += change.line
            raw.append(0x0A)
        }
        editPayload?(&raw)
        var compressed = HostileBytes.gzip(raw)
        editCompressed?(&compressed)

        var m = CraftManifest()
        let hlcs = changes.map(\.hlc)
        m.top["format"] = .int(1)
        m.top["bundle_id"] = .str(bundleID)
        m.top["created_at"] = .str("2026-11-21T00:59:00Z")
        m.top["created_hlc"] = .int(max(hlcs.max() ?? 0, HostileWorld.baseHLC))
        m.top["round"] = round
        m.top["scope"] = .str("changes")
        m.top["changes"] = .int(Int64(changes.count))
        m.top["min_hlc"] = .int(hlcs.min() ?? 0)
        m.top["max_hlc"] = .int(hlcs.max() ?? 0)
        m.top["encryption"] = .null
        m.top["signature"] = .null
        m.device = Self.describe(packer)
        var byDevice: [String: (first: Int64, last: Int64, count: Int)] = [:]
        var counts: [String: Int] = [:]
        for c in changes {
            let r = byDevice[c.device]
            byDevice[c.device] = (min(r?.first ?? .max, c.seq), max(r?.last ?? .min, c.seq), (r?.count ?? 0) + 1)
            counts[c.kind.rawValue, default: 0] += 1
        }
        for (id, r) in byDevice.sorted(by: { $0.key < $1.key }) {
            let who = id == packer.id ? packer : describe[id] ?? CraftDevice(id: id, name: "设备-\(id.prefix(8))")
            var d = Self.describe(who)
            d["first_seq"] = .int(r.first)
            d["last_seq"] = .int(r.last)
            d["count"] = .int(Int64(r.count))
            m.devices.append(d)
        }
        for (kind, n) in counts { m.counts[kind] = .int(Int64(n)) }
        m.payload["encoding"] = .str("jsonl")
        m.payload["compression"] = .str("gzip")
        m.payload["raw_size"] = .int(Int64(raw.count))
        m.payload["compressed_size"] = .int(Int64(compressed.count))
        m.payload["sha256"] = .str(HostileBytes.hex(HostileBytes.sha256(compressed)))
        editManifest?(&m)
        var manifest = Array(m.text.utf8)
        editManifestBytes?(&manifest)

        var file: [UInt8] = [0x89, 0x46, 0x42, 0x4E, 0x44, 0x0D, 0x0A, 0x1A, 0x00, 0x01]
        let length = UInt32(manifest.count)
        file += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        file += HostileBytes.sha256(manifest)
        file += manifest
        let layout = CraftLayout(
            manifestLength: manifest.count, payloadOffset: file.count, payloadLength: compressed.count,
            trailerOffset: file.count + compressed.count)
        file += compressed
        file += [0, 0, 0, 0]
        editFile?(&file, layout)
        return file
    }

    static func describe(_ d: CraftDevice) -> Obj {
        var o = Obj([("id", .str(d.id)), ("name", .str(d.name)), ("role", .str(d.role))])
        if let team = d.team { o["team"] = .str(team) }
        return o
    }
}

/// zlib and SHA-256 for the generator.
public enum HostileBytes {
    public static func gzip(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(
            &stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK)
        defer { deflateEnd(&stream) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        data.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { b in
                    stream.next_out = b.baseAddress
                    stream.avail_out = uInt(b.count)
                    return deflate(&stream, Z_FINISH)
                }
                out += buffer[..<(buffer.count - Int(stream.avail_out))]
                if status == Z_STREAM_END { break }
                precondition(status == Z_OK || status == Z_BUF_ERROR)
            }
        }
        return out
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: Data(bytes))) }

    public static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

// MARK: The world a crafted bundle is offered to

/// An office store with the sample roster, two laptops that got the roster from it, and their
/// first bundles (merged into the office, or left for a test to merge).
public struct HostileWorld: Sendable {
    public var officePath: String
    /// The office store's own device (central).
    public var office: CraftDevice
    /// A laptop the office knows and has confirmed as a field store once its bundle is merged.
    public var laptop: CraftDevice
    /// The second laptop, also known and confirmed once its bundle is merged.
    public var laptop2: CraftDevice
    /// The last of the laptop's changes the office holds (once its bundle is merged).
    public var laptopLastSeq: Int64
    /// A visit the laptop recorded.
    public var laptopVisit: String
    /// The first line of the laptop's bundle: a change the office holds, as the laptop wrote it.
    public var laptopFirstLine: String
    /// The office's roster bundle and each laptop's first bundle.
    public var goodBundles: [String]

    public let round = RecordID.round("五届第五轮")
    public let township = RecordID.township("城关镇")
    public let village = RecordID.village(township: "城关镇", name: "东关村")
    public let community = RecordID.village(township: "城关镇", name: "新华社区")
    /// Household DG001 (张建国, 五保户) of the roster.
    public let household = RecordID.household(code: "DG001")
    public let team = RecordID.team("第一巡察组")

    /// 2026-11-21 00:30 UTC: half an hour before the world's clocks.
    public static let baseHLC: Int64 = 1_795_221_000_000 << 16

    public static func build(in directory: TemporaryDirectory, mergeGood: Bool) throws -> HostileWorld {
        let good = directory.path("good")
        let office = try Store.create(
            at: directory.path("office.sqlite"), setup: DeviceSetup(name: "巡察办", round: "五届第五轮", central: true),
            environment: FixedEnvironment(seed: 9101).environment)
        _ = try office.importRoster(csvAt: directory.write("hostile-roster.csv", sampleRosterCSV))
        guard let roster = try office.pack(into: good, scope: .roster) else { throw BundleError("no roster to pack") }

        func laptop(_ name: String, team: String, seed: UInt64, record: (Store) throws -> Void) throws -> (Store, String) {
            let store = try Store.create(
                at: directory.path("\(seed).sqlite"),
                setup: DeviceSetup(name: name, team: team, round: "五届第五轮", inspectors: ["张三"]),
                environment: FixedEnvironment(seed: seed).environment)
            guard store.merge(bundleAt: roster.path).status == .merged else { throw BundleError("the roster did not merge") }
            try record(store)
            guard let bundle = try store.pack(into: good) else { throw BundleError("nothing to pack") }
            return (store, bundle.path)
        }
        var visit = ""
        let (one, first) = try laptop("第一组-笔记本1", team: "第一巡察组", seed: 9102) { s in
            visit = try s.record(.visit, ["household": "DG001", "note": "户主在家"]).id
            _ = try s.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
        }
        let (two, second) = try laptop("第二组-笔记本2", team: "第二巡察组", seed: 9103) { s in
            _ = try s.record(.forum, ["village": "新华社区", "participants": "12"])
        }
        if mergeGood {
            for bundle in [first, second] {
                let outcome = office.merge(bundleAt: bundle)
                guard outcome.status == .merged else { throw BundleError("a good bundle did not merge: \(outcome.status)") }
            }
        }
        var firstLine = ""
        try BundleFile.readLines(try BundleFile.open(first)) { n, bytes in
            if n == 1 { firstLine = String(decoding: bytes, as: UTF8.self) }
        }
        let officeStatus = try office.status()
        let oneStatus = try one.status()
        let twoStatus = try two.status()
        return HostileWorld(
            officePath: office.path,
            office: CraftDevice(id: officeStatus.deviceID, name: officeStatus.deviceName, team: officeStatus.team, role: "central"),
            laptop: CraftDevice(id: oneStatus.deviceID, name: oneStatus.deviceName, team: oneStatus.team, role: "field"),
            laptop2: CraftDevice(id: twoStatus.deviceID, name: twoStatus.deviceName, team: twoStatus.team, role: "field"),
            laptopLastSeq: Int64(oneStatus.ownChanges), laptopVisit: visit, laptopFirstLine: firstLine,
            goodBundles: [roster.path, first, second])
    }
}

// MARK: What should happen

/// What the rules say of a crafted bundle.
public enum HostileExpectation: Sendable, Equatable {
    /// `verify` refuses it and so does `merge`; both reasons hold each string.
    case unsound([String])
    /// Only a store can know it is bad: `verify` finds it sound, `merge` refuses it naming each string.
    case storeRefuses([String])
    /// Sound, and merged.
    case accepted
    /// Sound; a store may refuse it or merge it, but must keep the record or device with this id as
    /// it was.
    case storeKeeps(String)

    /// Whether it is one of the classes only a store can judge (verify may accept, merge refuse).
    public var storeOnly: Bool {
        switch self {
        case .storeRefuses, .storeKeeps: true
        case .unsound, .accepted: false
        }
    }
}

/// What must hold in a store after an accepted bundle merged.
public enum HostileCheck: Sendable, Equatable {
    /// A record exists, live.
    case exists(String)
    /// A record's field holds this value.
    case field(String, String, FieldValue)
    /// A device's role, and a part of its name.
    case device(String, role: String, nameContains: String)
}

public struct HostileBundle: Sendable {
    /// `group/what`, e.g. `value/visit.date "2026-02-30"`.
    public var cls: String
    /// A file name unique in the set, starting with a short token (`u0042-`).
    public var fileName: String
    public var token: String
    public var bytes: [UInt8]
    public var expect: HostileExpectation
    public var checks: [HostileCheck] = []

    public var group: String { String(cls.prefix { $0 != "/" }) }
}

// MARK: The generator

/// Every class of hostile bundle, against one world.
public struct HostileBundles {
    public let world: HostileWorld
    public private(set) var all: [HostileBundle] = []
    private var counter = 0

    public static func make(_ world: HostileWorld, groups: Set<String>? = nil) -> [HostileBundle] {
        var g = HostileBundles(world: world)
        let makers: [(String, (inout HostileBundles) -> Void)] = [
            ("envelope", { $0.envelope() }), ("manifest", { $0.manifest() }), ("payload", { $0.payload() }),
            ("value", { $0.values() }), ("shape", { $0.shapes() }), ("semantic", { $0.semantic() }),
            ("terminal", { $0.terminal() }), ("accepted", { $0.accepted() }),
        ]
        for (name, make) in makers where groups?.contains(name) ?? true { make(&g) }
        return g.all
    }

    init(world: HostileWorld) { self.world = world }

    /// Controls: a valid create of every kind by a new central store, each in its own bundle. The
    /// value classes change one value of these; each of these must be sound and merge.
    public static func controls(_ world: HostileWorld) -> [HostileBundle] {
        var g = HostileBundles(world: world)
        for kind in RecordKind.allCases {
            let packer = g.centralDevice()
            let change = g.create(kind, by: packer.id)
            let s = g.spec(packer, [change])
            g.add("control/\(kind.rawValue) create", .accepted, checks: [.exists(change.record)], s)
        }
        return g.all
    }

    /// A sound bundle of one visit from a new laptop, under the bundle id given.
    public static func sound(_ world: HostileWorld, bundleID: String) -> (bytes: [UInt8], record: String) {
        var g = HostileBundles(world: world)
        var s = g.soundSpec()
        s.bundleID = bundleID
        return (s.bytes(), s.changes[0].record)
    }

    // MARK: Building blocks

    /// A fresh lowercase UUID (version 8 layout), the same on every run.
    mutating func fresh() -> String {
        counter += 1
        return RecordID.derived(.visit, key: "hostile/\(counter)")
    }

    mutating func fieldDevice(_ name: String = "陌生笔记本") -> CraftDevice {
        CraftDevice(id: fresh(), name: name, team: "第九巡察组", role: "field")
    }

    mutating func centralDevice(_ name: String = "另一个办公室") -> CraftDevice {
        CraftDevice(id: fresh(), name: name, role: "central")
    }

    func hlc(_ i: Int) -> Int64 { HostileWorld.baseHLC + Int64(min(i, 1 << 20)) }

    /// A valid create of `kind` by `device`: every field, sound values, the right id.
    mutating func create(_ kind: RecordKind, by device: String, seq: Int64 = 1) -> CraftedChange {
        counter += 1
        let tag = String(counter)
        let w = world
        var f = Obj()
        var id = fresh()
        switch kind {
        case .township:
            f["name"] = .str("测试乡\(tag)")
            id = RecordID.township("测试乡\(tag)")
        case .village:
            f["township"] = .str(w.township)
            f["name"] = .str("新村\(tag)")
            f["village_kind"] = .str("village")
            id = RecordID.village(township: "城关镇", name: "新村\(tag)")
        case .household:
            f["village"] = .str(w.village)
            f["code"] = .str("HX\(tag)")
            f["group"] = .str("一组")
            f["head"] = .str("王五")
            f["priority"] = J.list(["dibao"])
            f["source"] = .str("roster")
            id = RecordID.household(code: "HX\(tag)")
        case .round:
            f["name"] = .str("六届第\(tag)轮")
            id = RecordID.round("六届第\(tag)轮")
        case .team:
            f["name"] = .str("第\(tag)巡察组")
            f["members"] = J.list(["甲", "乙"])
            id = RecordID.team("第\(tag)巡察组")
        case .visit:
            f["round"] = .str(w.round)
            f["household"] = .str(w.household)
            f["date"] = .str("2026-11-20")
            f["inspectors"] = J.list(["张三"])
            f["met"] = .str("户主本人")
            f["note"] = .str("户主反映\n低保评定不透明")
            f["issues"] = .null
            f["follow_up"] = .null
        case .forum:
            f["round"] = .str(w.round)
            f["village"] = .str(w.village)
            f["date"] = .str("2026-11-20")
            f["participants"] = .int(20)
            f["cadres"] = .int(5)
            f["members"] = .int(5)
            f["villagers"] = .int(10)
            f["topics"] = J.list(["低保评定"])
            f["note"] = .null
        case .notice:
            f["round"] = .str(w.round)
            f["village"] = .str(w.community)
            f["date"] = .str("2026-11-20")
            f["place"] = .str("公示栏")
            f["copies"] = .int(2)
        case .fix:
            f["round"] = .str(w.round)
            f["village"] = .str(w.village)
            f["household"] = .str(w.household)
            f["problem"] = .str("低保公示缺失")
            f["category"] = .str("低保")
            f["action"] = .str("补公示")
            f["responsible"] = .str("村委")
            f["status"] = .str("open")
            f["found_on"] = .str("2026-11-20")
            f["fixed_on"] = .null
            f["verified_on"] = .null
        case .problem:
            f["round"] = .str(w.round)
            f["village"] = .str(w.village)
            f["found_in"] = .null
            f["summary"] = .str("低保评定未公示")
            f["category"] = .str("farm-subsidies")
            f["detail"] = .str("村民反映\n低保评定结果未张榜")
            f["responsible"] = .str("村委")
            f["deadline"] = .str("2027-01-20")
            f["found_on"] = .str("2026-11-20")
            f["status"] = .str("open")
            for name in ["measures", "rectified_on", "rectified_device", "verified_on", "closed_on", "transferred_to",
                         "transferred_on", "transfer_note"] {
                f[name] = .null
            }
            f["rectified_by"] = J.list([])
            f["verified_by"] = J.list([])
        case .category:
            f["key"] = .str("test-\(tag)")
            f["name"] = .str("测试类别\(tag)")
            id = RecordID.derived(.category, key: "test-\(tag)")
        }
        f["_deleted"] = .int(0)
        return CraftedChange(device: device, seq: seq, hlc: hlc(Int(seq)), kind: kind, record: id, fields: f)
    }

    /// An edit by `device` of record `id`.
    func update(_ kind: RecordKind, _ id: String, by device: String, seq: Int64 = 1, _ fields: [(String, J)]) -> CraftedChange {
        var f = Obj(fields)
        if f["_deleted"] == nil { f["_deleted"] = .int(0) }
        return CraftedChange(device: device, seq: seq, hlc: hlc(Int(seq)), kind: kind, record: id, op: "update", fields: f)
    }

    func delete(_ kind: RecordKind, _ id: String, by device: String, seq: Int64 = 1) -> CraftedChange {
        CraftedChange(device: device, seq: seq, hlc: hlc(Int(seq)), kind: kind, record: id, op: "delete", fields: Obj([("_deleted", .int(1))]))
    }

    /// Adds a bundle. The token sorts store-only classes first and accepted ones last, so that in
    /// one merge run nothing a bundle is expected to change comes before a bundle that relies on
    /// the store as it was.
    mutating func add(
        _ cls: String, _ expect: HostileExpectation, checks: [HostileCheck] = [], name: String? = nil, _ spec: CraftSpec
    ) {
        add(cls, expect, checks: checks, name: name, bytes: spec.bytes())
    }

    mutating func add(
        _ cls: String, _ expect: HostileExpectation, checks: [HostileCheck] = [], name: String? = nil, bytes: [UInt8]
    ) {
        let letter: String
        switch expect {
        case .storeRefuses, .storeKeeps: letter = "s"
        case .unsound: letter = "u"
        case .accepted: letter = "z"
        }
        let token = letter + String(format: "%04d", all.count)
        let slug = String(cls.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(60))
        let fileName = "\(token)-\(name ?? slug).fbundle"
        all.append(HostileBundle(cls: cls, fileName: fileName, token: token, bytes: bytes, expect: expect, checks: checks))
    }

    /// A sound one-visit bundle from a new field device, to damage.
    mutating func soundSpec() -> CraftSpec {
        let d = fieldDevice()
        return CraftSpec(packer: d, changes: [create(.visit, by: d.id)], bundleID: fresh())
    }

    /// A bundle of one change, packed by `packer`, with `describe` for the other devices.
    mutating func spec(_ packer: CraftDevice, _ changes: [CraftedChange], describe: [CraftDevice] = []) -> CraftSpec {
        var s = CraftSpec(packer: packer, changes: changes, bundleID: fresh())
        for d in describe { s.describe[d.id] = d }
        return s
    }

    // MARK: Envelope

    mutating func envelope() {
        func damaged(_ cls: String, _ names: [String] = [], _ edit: @escaping (inout [UInt8], CraftLayout) -> Void) {
            var s = soundSpec()
            s.editFile = edit
            add("envelope/\(cls)", .unsound(names), s)
        }
        damaged("bad magic", ["not a Fieldbook bundle"]) { f, _ in f[1] = 0x47 }
        damaged("text file", ["not a Fieldbook bundle"]) { f, _ in f = Array("乡镇,村,户号\n城关镇,东关村,DG001\n".utf8) }
        damaged("empty file", ["not a Fieldbook bundle"]) { f, _ in f = [] }
        damaged("bare gzip", ["bare gzip"]) { f, l in f = Array(f[l.payloadOffset..<l.trailerOffset]) }
        damaged("magic only", ["truncated inside its header"]) { f, _ in f = Array(f[..<8]) }
        damaged("version 0", ["format 0"]) { f, _ in f[9] = 0 }
        damaged("version 2", ["format 2"]) { f, _ in f[9] = 2 }
        damaged("version 65535", ["format 65535"]) { f, _ in f[8] = 0xFF; f[9] = 0xFF }
        damaged("manifest length 0", ["manifest of 0 bytes"]) { f, _ in f[10] = 0; f[11] = 0; f[12] = 0; f[13] = 0 }
        damaged("manifest length 4 GiB", ["manifest of 4294967295 bytes"]) { f, _ in f[10] = 0xFF; f[11] = 0xFF; f[12] = 0xFF; f[13] = 0xFF }
        damaged("manifest length 1 MiB + 1", ["manifest of 1048577 bytes"]) { f, _ in f[10] = 0; f[11] = 0x10; f[12] = 0; f[13] = 1 }
        damaged("manifest length past the end", ["truncated inside its manifest"]) { f, _ in f[10] = 0; f[11] = 0x0F; f[12] = 0; f[13] = 0 }
        damaged("manifest length one short", ["damaged manifest"]) { f, l in
            let n = l.manifestLength - 1
            f[12] = UInt8(n >> 8 & 0xFF); f[13] = UInt8(n & 0xFF)
        }
        damaged("manifest digest wrong", ["damaged manifest"]) { f, _ in f[20] ^= 0x01 }
        damaged("manifest digest zero", ["damaged manifest"]) { f, _ in for i in 14..<46 { f[i] = 0 } }
        for (where_, cut) in [("in the header", 30), ("in the manifest", 200)] {
            damaged("truncated \(where_) at \(cut)") { f, _ in f = Array(f[..<cut]) }
        }
        damaged("truncated at the manifest's end", ["truncated"]) { f, l in f = Array(f[..<l.payloadOffset]) }
        damaged("truncated in the payload", ["truncated"]) { f, l in f = Array(f[..<(l.payloadOffset + l.payloadLength / 2)]) }
        damaged("truncated before the trailer", ["truncated"]) { f, l in f = Array(f[..<l.trailerOffset]) }
        damaged("truncated inside the trailer", ["truncated"]) { f, _ in f.removeLast() }
        damaged("one trailing byte", ["unexpected bytes after its end"]) { f, _ in f.append(0) }
        damaged("a trailing second bundle", ["unexpected bytes after its end"]) { f, _ in f += f }
        damaged("a signature block", ["signature block"]) { f, _ in f[f.count - 1] = 4; f += [1, 2, 3, 4] }
        damaged("bit flip in the payload's gzip header") { f, l in f[l.payloadOffset + 3] ^= 0x10 }
        damaged("bit flip in the middle of the payload") { f, l in f[l.payloadOffset + l.payloadLength / 2] ^= 0x04 }
        damaged("bit flip in the gzip CRC", ["damaged payload"]) { f, l in f[l.trailerOffset - 6] ^= 0x80 }
        damaged("bit flip in the gzip size", ["damaged payload"]) { f, l in f[l.trailerOffset - 2] ^= 0x01 }
        damaged("bit flip in the manifest", ["damaged manifest"]) { f, l in f[46 + l.manifestLength / 2] ^= 0x02 }
        damaged("bit flip in the trailer") { f, _ in f[f.count - 2] ^= 0x20 }
        damaged("payload replaced by zeros", ["damaged payload"]) { f, l in
            for i in l.payloadOffset..<l.trailerOffset { f[i] = 0 }
        }

        func sizes(_ cls: String, _ names: [String] = [], _ edit: @escaping (inout Obj, Int64, Int64) -> Void) {
            var s = soundSpec()
            s.editManifest = { m in
                guard case .int(let compressed)? = m.payload["compressed_size"], case .int(let raw)? = m.payload["raw_size"] else { return }
                edit(&m.payload, compressed, raw)
            }
            add("envelope/\(cls)", .unsound(names), s)
        }
        sizes("compressed_size 2^62", ["truncated"]) { p, _, _ in p["compressed_size"] = .int(1 << 62) }
        sizes("compressed_size Int64.max", ["truncated"]) { p, _, _ in p["compressed_size"] = .int(.max) }
        sizes("compressed_size Int64.max - 3") { p, _, _ in p["compressed_size"] = .int(.max - 3) }
        sizes("compressed_size 0", ["impossible payload sizes"]) { p, _, _ in p["compressed_size"] = .int(0) }
        sizes("compressed_size -1", ["impossible payload sizes"]) { p, _, _ in p["compressed_size"] = .int(-1) }
        sizes("compressed_size Int64.min", ["impossible payload sizes"]) { p, _, _ in p["compressed_size"] = .int(.min) }
        sizes("compressed_size one short") { p, c, _ in p["compressed_size"] = .int(c - 1) }
        sizes("compressed_size one long", ["truncated"]) { p, c, _ in p["compressed_size"] = .int(c + 1) }
        sizes("compressed_size 2^64 (not an Int64)", ["not valid bundle JSON"]) { p, _, _ in p["compressed_size"] = .raw("18446744073709551616") }
        sizes("compressed_size a float", ["not valid bundle JSON"]) { p, c, _ in p["compressed_size"] = .raw("\(c).5") }
        sizes("raw_size one short", ["inflates past its declared size"]) { p, _, r in p["raw_size"] = .int(r - 1) }
        sizes("raw_size one long", ["where the manifest says"]) { p, _, r in p["raw_size"] = .int(r + 1) }
        sizes("raw_size 0", ["inflates past its declared size"]) { p, _, _ in p["raw_size"] = .int(0) }
        sizes("raw_size -1", ["impossible payload sizes"]) { p, _, _ in p["raw_size"] = .int(-1) }
        sizes("raw_size Int64.max", ["impossible payload sizes"]) { p, _, _ in p["raw_size"] = .int(.max) }
        sizes("raw_size 64 GiB + 1", ["impossible payload sizes"]) { p, _, _ in p["raw_size"] = .int((64 << 30) + 1) }
        sizes("raw_size beyond any deflate ratio", ["impossible payload sizes"]) { p, c, _ in p["raw_size"] = .int(c * 2000 + 2048) }
        sizes("sha256 of another payload", ["damaged payload"]) { p, _, _ in p["sha256"] = .str(String(repeating: "ab", count: 32)) }
        sizes("sha256 in capitals", ["sha256"]) { p, _, _ in
            if case .str(let s)? = p["sha256"] { p["sha256"] = .str(s.uppercased()) }
        }
        sizes("sha256 too short", ["sha256"]) { p, _, _ in p["sha256"] = .str("abcd") }

        // A bomb: 16 MiB of one line that compresses to a few KiB, under a manifest claiming 1 KiB.
        var bomb = soundSpec()
        bomb.editPayload = { raw in raw = [UInt8](repeating: 0x20, count: 16 << 20) + raw }
        bomb.editManifest = { m in m.payload["raw_size"] = .int(1024) }
        add("envelope/decompression bomb (16 MiB declared as 1 KiB)", .unsound(["inflates past its declared size"]), bomb)
        // The same bomb declared honestly is refused at its first line, not inflated to the end.
        var honest = soundSpec()
        honest.editPayload = { raw in raw = [UInt8](repeating: 0x78, count: 16 << 20) + [0x0A] + raw }
        add("envelope/16 MiB line declared honestly", .unsound(["longer than"]), honest)
        // Two gzip members, and bytes after the gzip end, inside compressed_size.
        var twoMembers = soundSpec()
        twoMembers.editCompressed = { c in c += HostileBytes.gzip(Array("{}\n".utf8)) }
        add("envelope/a second gzip member", .unsound(["damaged payload"]), twoMembers)
        var garbage = soundSpec()
        garbage.editCompressed = { c in c += [0xDE, 0xAD] }
        add("envelope/bytes after the gzip end", .unsound(["damaged payload"]), garbage)
        var notGzip = soundSpec()
        notGzip.editCompressed = { c in c = Array("{\"not\":\"gzip\"}\n".utf8) }
        add("envelope/payload not gzip", .unsound(["damaged payload"]), notGzip)
    }

    // MARK: Manifest

    mutating func manifest() {
        func edited(_ cls: String, _ names: [String], _ edit: @escaping (inout CraftManifest) -> Void) {
            var s = soundSpec()
            s.editManifest = edit
            add("manifest/\(cls)", .unsound(names), s)
        }
        func bytes(_ cls: String, _ names: [String], _ edit: @escaping (inout [UInt8]) -> Void) {
            var s = soundSpec()
            s.editManifestBytes = edit
            add("manifest/\(cls)", .unsound(names), s)
        }
        bytes("not JSON", ["not valid bundle JSON"]) { b in b = Array("manifest".utf8) }
        bytes("a JSON array", ["not valid bundle JSON"]) { b in b = Array("[1,2,3]".utf8) }
        bytes("JSON cut short", ["not valid bundle JSON"]) { b in b.removeLast() }
        bytes("invalid UTF-8", ["not valid bundle JSON"]) { b in
            if let i = b.firstIndex(where: { $0 >= 0x80 }) { b[i] = 0xFF } else { b.insert(0xFF, at: 1) }
        }
        bytes("100k-deep nesting in an unknown member", ["not valid bundle JSON"]) { b in
            b = Array("{\"deep\":".utf8) + [UInt8](repeating: 0x5B, count: 100_000) + [UInt8](repeating: 0x5D, count: 100_000) + [0x2C] + b.dropFirst()
        }
        edited("bundle_id missing", ["not valid bundle JSON"]) { $0.override["bundle_id"] = .some(nil) }
        edited("device missing", ["not valid bundle JSON"]) { $0.override["device"] = .some(nil) }
        edited("changes as text", ["not valid bundle JSON"]) { $0.top["changes"] = .str("1") }
        edited("changes a float", ["not valid bundle JSON"]) { $0.top["changes"] = .raw("1.5") }
        edited("devices an object", ["not valid bundle JSON"]) { $0.override["devices"] = .obj([]) }
        edited("format 2 inside format 1", ["manifest format 2"]) { $0.top["format"] = .int(2) }
        edited("encoding json", ["uses payload json+gzip"]) { $0.payload["encoding"] = .str("json") }
        edited("compression zstd", ["uses payload jsonl+zstd"]) { $0.payload["compression"] = .str("zstd") }
        edited("encrypted", ["encrypted or signed"]) { $0.top["encryption"] = .str("age") }
        edited("signed", ["encrypted or signed"]) { $0.top["signature"] = .str("ed25519") }
        edited("bundle_id in capitals", ["bundle_id"]) { m in
            if case .str(let s)? = m.top["bundle_id"] { m.top["bundle_id"] = .str(s.uppercased()) }
        }
        edited("bundle_id not a UUID", ["bundle_id"]) { $0.top["bundle_id"] = .str("../../etc/passwd") }
        edited("device id not a UUID", ["device id"]) { $0.device["id"] = .str("笔记本") }
        edited("device role admin", ["device role"]) { $0.device["role"] = .str("admin") }
        edited("device name empty", ["device name is empty"]) { $0.device["name"] = .str("  ") }
        edited("device name 201 characters", ["device name", "201 characters"]) { $0.device["name"] = .str(String(repeating: "名", count: 201)) }
        edited("scope everything", ["scope"]) { $0.top["scope"] = .str("everything") }
        edited("changes -1", ["change count -1"]) { $0.top["changes"] = .int(-1) }
        edited("changes 2^41", ["change count"]) { $0.top["changes"] = .int(1 << 41) }
        edited("min_hlc after max_hlc", ["clock range"]) { m in
            if case .int(let hi)? = m.top["max_hlc"] { m.top["min_hlc"] = .int(hi + 1) }
        }
        edited("created_hlc -1", ["clock range"]) { $0.top["created_hlc"] = .int(-1) }
        edited("a device id that is not a UUID", ["not a lowercase UUID"]) { $0.devices[0]["id"] = .str("AAAAAAAA-0000-0000-0000-000000000000") }
        edited("a device role superuser", ["role of device"]) { $0.devices[0]["role"] = .str("superuser") }
        edited("count 10 over range 1–9", ["impossible"]) { m in
            m.devices[0]["first_seq"] = .int(1); m.devices[0]["last_seq"] = .int(9); m.devices[0]["count"] = .int(10)
            m.top["changes"] = .int(10); m.counts["visit"] = .int(10)
        }
        edited("first_seq 0", ["impossible"]) { m in m.devices[0]["first_seq"] = .int(0) }
        edited("last_seq before first_seq", ["impossible"]) { m in m.devices[0]["first_seq"] = .int(5); m.devices[0]["last_seq"] = .int(4) }
        edited("count 0", ["impossible"]) { m in m.devices[0]["count"] = .int(0) }
        edited("count Int.min", ["impossible"]) { m in m.devices[0]["count"] = .int(.min) }
        edited("last_seq Int64.max, first_seq Int64.min", ["impossible"]) { m in
            m.devices[0]["first_seq"] = .int(.min); m.devices[0]["last_seq"] = .int(.max)
        }
        edited("range Int64.max wide, count above changes", ["impossible"]) { m in
            m.devices[0]["first_seq"] = .int(1); m.devices[0]["last_seq"] = .int(.max); m.devices[0]["count"] = .int(2)
        }
        edited("devices hold more than changes", ["devices hold"]) { m in
            var extra = m.devices[0]
            extra["id"] = .str(RecordID.derived(.visit, key: "hostile/extra-device"))
            m.devices.append(extra)
        }
        edited("a device listed twice", ["twice"]) { m in
            m.devices.append(m.devices[0])
            m.top["changes"] = .int(2); m.counts["visit"] = .int(2)
        }
        edited("counts name an unknown kind", ["unknown kind"]) { m in m.counts["visit"] = nil; m.counts["planet"] = .int(1) }
        edited("counts negative", ["impossible"]) { m in m.counts["visit"] = .int(2); m.counts["forum"] = .int(-1) }
        edited("counts add up to more", ["add up to"]) { m in m.counts["forum"] = .int(1) }
        edited("counts Int.max and Int.min", ["impossible"]) { m in m.counts["forum"] = .int(.max); m.counts["notice"] = .int(.min) }
        edited("counts that add up but disagree", ["counts per kind disagree"]) { m in m.counts["visit"] = nil; m.counts["forum"] = .int(1) }
        edited("ranges that hold up but disagree", ["sequence ranges disagree"]) { m in
            m.devices[0]["first_seq"] = .int(2); m.devices[0]["last_seq"] = .int(2)
        }
        edited("clock range that disagrees", ["clock range disagrees"]) { m in
            if case .int(let hi)? = m.top["max_hlc"] { m.top["max_hlc"] = .int(hi + 1) }
        }
        edited("fewer lines than changes", ["changes where the manifest says"]) { m in
            m.top["changes"] = .int(2); m.counts["visit"] = .int(2); m.devices[0]["last_seq"] = .int(2); m.devices[0]["count"] = .int(2)
        }
        // The packer's own entry in `devices` says another name or role than `device`: nothing a
        // store knows decides this, so verify must refuse it as merge does.
        edited("own device described two ways (name)", ["two ways"]) { m in m.devices[0]["name"] = .str("另一个名字") }
        edited("own device described two ways (role)", ["two ways"]) { m in m.devices[0]["role"] = .str("central") }

        // A device listed without lines, and lines of a device not listed.
        var unlisted = soundSpec()
        let packerID = unlisted.packer.id
        unlisted.changes[0].device = RecordID.derived(.visit, key: "hostile/stranger")
        unlisted.editManifest = { m in m.devices[0]["id"] = .str(packerID) }
        add("manifest/lines of a device it does not list", .unsound([]), unlisted)
    }

    // MARK: Payload

    mutating func payload() {
        func line(_ cls: String, _ names: [String], _ edit: @escaping (inout CraftedChange) -> Void) {
            var s = soundSpec()
            edit(&s.changes[0])
            add("payload/\(cls)", .unsound(names), s)
        }
        func text(_ cls: String, _ names: [String], _ text: @escaping (String) -> String) {
            line(cls, names) { c in c.bytes = Array(text(String(decoding: c.line, as: UTF8.self)).utf8) }
        }
        func bytes(_ cls: String, _ names: [String], _ edit: @escaping ([UInt8]) -> [UInt8]) {
            line(cls, names) { c in c.bytes = edit(c.line) }
        }
        text("not JSON", ["line 1", "not valid JSON"]) { _ in "{{{" }
        text("an empty line", ["line 1"]) { _ in "" }
        text("a line of spaces", ["line 1"]) { _ in "   " }
        text("a JSON array", ["line 1"]) { "[" + $0 + "]" }
        text("a JSON string", ["line 1"]) { _ in "\"change\"" }
        text("a byte order mark", ["line 1"]) { "\u{FEFF}" + $0 }
        text("text after the closing brace", ["line 1", "after its closing brace"]) { $0 + " x" }
        text("two objects on one line", ["line 1"]) { $0 + $0 }
        text("unterminated object", ["line 1"]) { String($0.dropLast()) }
        text("a member twice", ["line 1", "\"seq\" twice"]) { $0.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"seq\":1") }
        text("a member twice, second spelled with an escape", ["line 1", "twice"]) {
            $0.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"s\\u0065q\":2")
        }
        text("a field twice", ["line 1", "\"note\" twice"]) { $0.replacingOccurrences(of: "\"note\":", with: "\"note\":\"x\",\"note\":") }
        text("a field twice, second spelled with an escape", ["line 1", "twice"]) {
            $0.replacingOccurrences(of: "\"note\":", with: "\"note\":\"x\",\"no\\u0074e\":")
        }
        text("fields with a trailing comma", ["line 1"]) { $0.replacingOccurrences(of: "\"_deleted\":0", with: "\"_deleted\":0,") }
        line("missing device", ["line 1", "lacks device"]) { $0.members["device"] = .some(nil) }
        line("missing record", ["line 1", "lacks record"]) { $0.members["record"] = .some(nil) }
        line("missing kind", ["line 1", "lacks kind"]) { $0.members["kind"] = .some(nil) }
        line("missing op", ["line 1", "lacks op"]) { $0.members["op"] = .some(nil) }
        line("missing seq", ["line 1", "lacks seq"]) { $0.members["seq"] = .some(nil) }
        line("missing hlc", ["line 1", "lacks hlc"]) { $0.members["hlc"] = .some(nil) }
        line("missing fields", ["line 1", "lacks fields"]) { $0.members["fields"] = .some(nil) }
        line("an empty object", ["line 1", "lacks"]) { $0.bytes = Array("{}".utf8) }
        line("seq a float", ["line 1", "seq"]) { $0.members["seq"] = .raw("1.0") }
        line("hlc a float", ["line 1", "hlc"]) { $0.members["hlc"] = .raw("1.7e17") }
        line("seq true", ["line 1"]) { $0.members["seq"] = .bool(true) }
        line("fields an array", ["line 1", "not an object"]) { $0.members["fields"] = .arr([]) }
        line("fields null", ["line 1", "not an object"]) { $0.members["fields"] = .null }
        line("base an array", ["line 1", "base"]) { $0.members["base"] = .arr([]) }

        for (cls, value) in [("lone high surrogate", "\\ud800"), ("lone low surrogate", "\\udc00"),
                             ("high surrogate then a letter", "\\ud800\\u0041"), ("high surrogate then high", "\\ud800\\ud800"),
                             ("surrogates reversed", "\\udc00\\ud800")]
        {
            line("\(cls) in a field", ["line 1", "surrogate"]) { $0.fields["note"] = .raw("\"a\(value)b\"") }
        }
        line("lone surrogate in a field name", ["line 1", "surrogate"]) { $0.fields.members.append(("x\\ud800", .int(1))); $0.replace = [("\"x\\\\ud800\"", "\"x\\ud800\"")] }
        line("lone surrogate in an unknown member", ["line 1", "surrogate"]) { $0.members["zzz"] = .raw("\"\\udfff\"") }
        line("lone surrogate in the kind", ["line 1"]) { $0.members["kind"] = .raw("\"visit\\ud800\"") }
        let note = Array("户主反映".utf8)
        func inNote(_ cls: String, _ names: [String], _ bad: [UInt8]) {
            bytes(cls, names) { b in
                guard let i = Self.find(note, in: b) else { return b }
                return Array(b[..<i]) + bad + Array(b[i...])
            }
        }
        inNote("raw surrogate bytes (CESU-8)", ["line 1", "UTF-8"], [0xED, 0xA0, 0x80])
        inNote("byte FF", ["line 1", "UTF-8"], [0xFF])
        inNote("overlong slash", ["line 1", "UTF-8"], [0xC0, 0xAF])
        inNote("cut UTF-8 sequence", ["line 1", "UTF-8"], [0xE4, 0xB8])
        inNote("a raw NUL byte", ["line 1", "control character"], [0x00])
        inNote("a raw ESC byte", ["line 1", "control character"], [0x1B])
        inNote("a raw newline splitting the line", ["line 1"], [0x0A])
        bytes("a NUL between members", ["line 1"]) { b in [b[0], 0x00] + b.dropFirst() }
        line("NUL escaped in a value", ["line 1", "note", "U+0000"]) { $0.fields["note"] = .str("户主\u{0}在家") }
        line("a bad escape", ["line 1", "escape"]) { $0.fields["note"] = .raw("\"\\x41\"") }
        line("a short \\u escape", ["line 1", "escape"]) { $0.fields["note"] = .raw("\"\\u12\"") }
        line("nesting 40 deep in an unknown member", ["line 1", "nests too deeply"]) {
            $0.members["zzz"] = .raw(String(repeating: "[", count: 40) + String(repeating: "]", count: 40))
        }
        line("nesting 200k deep in an unknown member", ["line 1", "nests too deeply"]) {
            $0.members["zzz"] = .raw(String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000))
        }
        line("nesting 100k deep in a field", ["line 1", "nests too deeply"]) {
            $0.fields["note"] = .raw(String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000))
        }
        line("a line over 1 MiB", ["line 1", "longer than"]) { $0.members["zzz"] = .str(String(repeating: "长", count: 400_000)) }
        line("an integer past Int64", ["line 1", "note"]) { $0.fields["note"] = .raw("99999999999999999999") }
        line("a number with a leading zero", ["line 1"]) { $0.members["seq"] = .raw("01") }
        line("a number with a plus", ["line 1"]) { $0.members["seq"] = .raw("+1") }
        line("NaN", ["line 1"]) { $0.fields["note"] = .raw("NaN") }
        line("a JSON5 comment", ["line 1"]) { $0.members["seq"] = .raw("1/*x*/") }
        line("single quotes", ["line 1"]) { $0.fields["note"] = .raw("'x'") }

        // Bundle-level: (device, seq) twice, kinds mixed.
        var twice = soundSpec()
        twice.changes.append(twice.changes[0])
        twice.changes[1].seq = 2
        twice.changes[1].bytes = twice.changes[0].line
        add("payload/the same line twice", .unsound(["line 2", "twice"]), twice)
        var differ = soundSpec()
        differ.changes.append(create(.notice, by: differ.packer.id, seq: 2))
        differ.changes[1].members["seq"] = .int(1)
        add("payload/(device, seq) twice with different changes", .unsound(["line 2", "twice"]), differ)

        // 100,000 copies of one line: refused at line 2, long before the end.
        var many = soundSpec()
        many.editPayload = { raw in
            var out = [UInt8]()
            out.reserveCapacity(raw.count * 100_000)
            for _ in 0..<100_000 { out += raw }
            raw = out
        }
        many.editManifest = { m in
            m.top["changes"] = .int(100_000)
            m.counts["visit"] = .int(100_000)
            m.devices[0]["last_seq"] = .int(100_000)
            m.devices[0]["count"] = .int(100_000)
        }
        add("payload/100k identical lines", .unsound(["line 2", "twice"]), many)

        var last = soundSpec()
        last.editPayload = { raw in raw.removeLast() }
        add("payload/last line not terminated", .unsound(["not terminated"]), last)
        var extraLine = soundSpec()
        extraLine.editPayload = { raw in raw += Array("\n".utf8) }
        add("payload/an empty line at the end", .unsound(["line 2"]), extraLine)

        // A record id of two kinds, a reference to a record of another kind, in one bundle.
        let d = fieldDevice()
        let visit = create(.visit, by: d.id)
        var forum = create(.forum, by: d.id, seq: 2)
        forum.record = visit.record
        add("payload/a record id as two kinds", .unsound(["line 2", "one kind"]), spec(d, [visit, forum]))
        let d2 = fieldDevice()
        let notice = create(.notice, by: d2.id)
        var pointing = create(.visit, by: d2.id, seq: 2)
        pointing.fields["household"] = .str(notice.record)
        add("payload/a household reference to a notice", .unsound(["line 2", "household", "not a household"]), spec(d2, [notice, pointing]))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    // MARK: Values

    /// Bad values of a field spec: a label, the value, and what the reason shows of it (nil when
    /// the line is refused before the value is read as a value).
    static func badValues(_ spec: FieldSpec) -> [(String, J, String?)] {
        var out: [(String, J, String?)] = []
        switch spec.type {
        case .text(let maxLength, let multiline):
            out += [
                ("an integer", .int(5), "5"), ("a list", J.list(["a"]), "[\"a\"]"),
                ("C0 control", .str("a\u{01}b"), "U+0001"), ("ESC sequence", .str("\u{1B}[31m红字\u{1B}[0m"), "U+001B"),
                ("OSC sequence", .str("\u{1B}]0;owned\u{07}"), "U+001B"), ("C1 NEL", .str("a\u{85}b"), "U+0085"),
                ("C1 CSI", .str("\u{9B}31m"), "U+009B"), ("DEL", .str("a\u{7F}"), "U+007F"), ("NUL", .str("a\u{0}b"), "U+0000"),
                ("too long", .str(String(repeating: "字", count: maxLength + 1)), "\(maxLength + 1) characters"),
            ]
            if multiline {
                // Notes may hold tabs and line breaks; a bare carriage return rewrites a terminal line.
                out += [("a bare carriage return", .str("备注\r已删除"), "U+000D"), ("vertical tab", .str("a\u{0B}b"), "U+000B")]
            } else {
                out += [("a newline", .str("a\nb"), "U+000A"), ("a tab", .str("a\tb"), "U+0009"), ("a carriage return", .str("a\rb"), "U+000D")]
            }
            if spec.required { out += [("blank", .str("  \u{3000} "), "empty"), ("null", .null, "required")] }
        case .date:
            for bad in ["2026-02-30", "2026-02-29", "1899-12-31", "2201-01-01", "2026-1-5", "2026/11/21", " 2026-11-21",
                        "2026-11-21T00:00", "20261121", "", "2026-13-01", "2026-00-10", "2026-11-00", "2026年11月21日", "２０２６-11-21"]
            {
                out.append(("\"\(bad)\"", .str(bad), "\"\(bad)\""))
            }
            out += [("an integer", .int(20_261_121), "20261121"), ("a list", J.list(["2026-11-21"]), nil)]
            if spec.required { out.append(("null", .null, "required")) }
        case .count(let minimum, let maximum):
            out += [
                ("below minimum", .int(minimum - 1), String(minimum - 1)), ("above maximum", .int(maximum + 1), String(maximum + 1)),
                ("Int64.max", .int(.max), String(Int64.max)), ("Int64.min", .int(.min), String(Int64.min)),
                ("text", .str("5"), "\"5\""), ("a list", .arr([]), nil),
            ]
            if spec.required { out.append(("null", .null, "required")) }
        case .list:
            out += [
                ("101 items", J.list((0...100).map { "人\($0)" }), nil), ("an item with ESC", J.list(["\u{1B}[2J"]), "U+001B"),
                ("an item 201 long", J.list([String(repeating: "名", count: 201)]), "201 characters"),
                ("an empty item", J.list([""]), "empty"), ("a blank item", J.list(["  "]), "empty"),
                ("an item with a newline", J.list(["张\n三"]), "U+000A"),
                ("text", .str("张三"), "must be a list"), ("an integer", .int(1), "must be a list"),
                ("a number item", .raw("[1]"), nil), ("a null item", .raw("[null]"), nil), ("a nested list", .raw("[[\"a\"]]"), nil),
            ]
        case .priorities:
            out += [
                ("an unknown kind", J.list(["gold"]), "gold is not a priority"), ("a kind twice", J.list(["dibao", "dibao"]), "twice"),
                ("text", .str("dibao"), "must be a list"), ("an empty kind", J.list([""]), "not a priority"),
                ("capitals", J.list(["DIBAO"]), "not a priority"), ("Chinese", J.list(["低保户"]), "not a priority"),
                ("101 items", J.list(Array(repeating: "dibao", count: 101)), nil),
            ]
        case .choice(let words):
            out += [
                ("capitals", .str(words[0].uppercased()), "must be one of"), ("empty", .str(""), "must be one of"),
                ("a trailing space", .str(words[0] + " "), "must be one of"), ("an integer", .int(1), "must be one of"),
                ("a list", J.list([words[0]]), "must be one of"),
            ]
            if spec.required { out.append(("null", .null, "required")) }
        case .reference, .recordOf:
            let id = RecordID.household(code: "DG001")
            out += [
                ("capitals", .str(id.uppercased()), "lowercase UUID"), ("a code", .str("DG001"), "lowercase UUID"),
                ("no dashes", .str(id.replacingOccurrences(of: "-", with: "")), "lowercase UUID"),
                ("braces", .str("{\(id)}"), "lowercase UUID"), ("36 dashes", .str(String(repeating: "-", count: 36)), "lowercase UUID"),
                ("a path", .str("../../../../etc/passwd/xxxxxxxxxxxx"), "lowercase UUID"),
                ("an integer", .int(1), "lowercase UUID"), ("a list", J.list([id]), "lowercase UUID"), ("empty", .str(""), "lowercase UUID"),
            ]
            if spec.required { out.append(("null", .null, "required")) }
        }
        return out
    }

    mutating func values() {
        // Each bundle from its own new central store: one wrongly merged cannot change how the
        // next is judged.
        for kind in RecordKind.allCases {
            for field in kind.fields {
                var cases = Self.badValues(field)
                // Values no change may hold, whatever the field.
                cases += [("a float", .raw("1.5"), nil), ("an exponent", .raw("1e3"), nil), ("an object", .raw("{\"a\":1}"), nil), ("true", .bool(true), nil)]
                for (label, value, shown) in cases {
                    let packer = centralDevice()
                    var change = create(kind, by: packer.id)
                    change.fields[field.name] = value
                    var names = ["line 1", field.name]
                    if let shown { names.append(shown) }
                    add("value/\(kind.rawValue).\(field.name) \(label)", .unsound(names), spec(packer, [change]))
                }
            }
            // The rest of the non-values on one field of each kind, and one bad value on an edit.
            let first = kind.fields[0].name
            for (label, value) in [("1.0", J.raw("1.0")), ("-0.0", .raw("-0.0")), ("{}", .raw("{}")), ("false", .bool(false)),
                                   ("[1.5]", .raw("[1.5]")), ("[true]", .raw("[true]")), ("[{}]", .raw("[{}]"))]
            {
                let packer = centralDevice()
                var change = create(kind, by: packer.id)
                change.fields[first] = value
                add("value/\(kind.rawValue).\(first) \(label)", .unsound(["line 1", first]), spec(packer, [change]))
            }
            let text = kind.fields.first { if case .text = $0.type { true } else { false } }!.name
            let edited = fresh()
            let packer = centralDevice()
            let edit = update(kind, edited, by: packer.id, [(text, .str("a\u{1B}b"))])
            add("value/\(kind.rawValue).\(text) ESC in an edit", .unsound(["line 1", text, "U+001B"]), spec(packer, [edit]))
            if let required = kind.fields.first(where: \.required) {
                let erased = fresh()
                let eraser = centralDevice()
                let erase = update(kind, erased, by: eraser.id, [(required.name, .null)])
                add("value/\(kind.rawValue).\(required.name) erased by an edit", .unsound(["line 1", required.name, "required"]), spec(eraser, [erase]))
            }
        }
    }

    // MARK: Shapes

    mutating func shapes() {
        func one(_ cls: String, _ names: [String], kind: RecordKind = .visit, _ edit: @escaping (inout CraftedChange) -> Void) {
            let d = centralDevice()
            var c = create(kind, by: d.id, seq: 5)
            edit(&c)
            add("shape/\(cls)", .unsound(names), spec(d, [c]))
        }
        one("_deleted absent", ["line 1", "_deleted", "every change writes"]) { $0.fields["_deleted"] = nil }
        one("_deleted 2", ["line 1", "_deleted", "0 or 1"]) { $0.fields["_deleted"] = .int(2) }
        one("_deleted -1", ["line 1", "_deleted", "0 or 1"]) { $0.fields["_deleted"] = .int(-1) }
        one("_deleted \"0\"", ["line 1", "_deleted", "0 or 1"]) { $0.fields["_deleted"] = .str("0") }
        one("_deleted null", ["line 1", "_deleted", "0 or 1"]) { $0.fields["_deleted"] = .null }
        one("_deleted false", ["line 1", "_deleted"]) { $0.fields["_deleted"] = .bool(false) }
        one("_deleted 0.0", ["line 1", "_deleted"]) { $0.fields["_deleted"] = .raw("0.0") }
        one("a create writing _deleted 1", ["line 1", "a create makes a live record"]) { $0.fields["_deleted"] = .int(1) }
        one("a create with a base", ["line 1", "a create replaces nothing"]) { c in c.base["note"] = J.list(["\(c.device):1"]) }
        one("a delete writing _deleted 0", ["line 1", "a delete writes 1"]) { c in c.op = "delete"; c.fields = Obj([("_deleted", .int(0))]) }
        one("a delete writing a note too", ["line 1", "a delete writes only"]) { c in
            c.op = "delete"; c.fields = Obj([("_deleted", .int(1)), ("note", .str("删除原因"))])
        }
        one("a delete writing nothing", ["line 1", "_deleted"]) { c in c.op = "delete"; c.fields = Obj() }
        one("an update writing nothing", ["line 1", "_deleted"]) { c in c.op = "update"; c.fields = Obj() }
        for kind in RecordKind.allCases {
            for field in kind.fields where field.required {
                one("a \(kind.rawValue) create without \(field.name)", ["line 1", field.name, "needs it"], kind: kind) { $0.fields[field.name] = nil }
            }
        }
        one("base naming a field not written", ["line 1", "base", "does not write"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["met"] = J.list(["\(c.device):1"])
        }
        one("base with an empty list", ["line 1", "base", "between 1 and"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = .arr([])
        }
        one("base naming 257 versions", ["line 1", "more than 256"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))])
            c.base["note"] = J.list((1...257).map { "\(RecordID.derived(.visit, key: "v\($0)")):1" })
        }
        one("base naming itself", ["line 1", "base", "only earlier changes of its own device"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = J.list(["\(c.device):5"])
        }
        one("base naming a later change of its device", ["line 1", "base", "only earlier changes of its own device"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = J.list(["\(c.device):9"])
        }
        one("base naming a version twice", ["line 1", "base", "twice"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))])
            c.base["note"] = J.list(["\(c.device):1", "\(c.device):1"])
        }
        for (label, version) in [("in capitals", "\(RecordID.household(code: "X").uppercased()):1"), ("seq 0", "\(RecordID.household(code: "X")):0"),
                                 ("seq -1", "\(RecordID.household(code: "X")):-1"), ("no colon", RecordID.household(code: "X")),
                                 ("not a UUID", "laptop:1"), ("seq past Int64", "\(RecordID.household(code: "X")):99999999999999999999"),
                                 ("empty", "")]
        {
            one("a base version \(label)", ["line 1", "DEVICE:SEQ"]) { c in
                c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = J.list([version])
            }
        }
        one("base holding a number", ["line 1", "base"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = .raw("[1]")
        }
        one("base holding text, not a list", ["line 1", "base"]) { c in
            c.op = "update"; c.fields = Obj([("_deleted", .int(0)), ("note", .str("x"))]); c.base["note"] = .str("\(c.device):1")
        }
        for kind in [RecordKind.township, .round, .team, .household] {
            one("a \(kind.rawValue) create under an id not derived from its key", ["line 1", "record", "derived"], kind: kind) { c in
                c.record = RecordID.derived(.visit, key: "not-derived-\(kind)")
            }
        }
        one("a household create under another code's id", ["line 1", "record", "derived"], kind: .household) { c in
            c.record = RecordID.household(code: "DG001")
        }
        one("record id in capitals", ["line 1", "record"]) { c in c.record = c.record.uppercased() }
        one("record id of 36 dashes", ["line 1", "record"]) { c in c.record = String(repeating: "-", count: 36) }
        one("record id of 36 hex digits", ["line 1", "record"]) { c in c.record = String(repeating: "a", count: 36) }
        one("record id too long", ["line 1", "record"]) { c in c.record += "0" }
        one("device id in capitals", ["line 1", "device"]) { c in c.members["device"] = .str(c.device.uppercased()) }
        one("device id of 36 dashes", []) { c in c.members["device"] = .str(String(repeating: "-", count: 36)) }
        one("seq 0", ["line 1", "sequence number 0"]) { c in c.members["seq"] = .int(0) }
        one("seq -1", ["line 1", "sequence number -1"]) { c in c.members["seq"] = .int(-1) }
        one("seq Int64.min", ["line 1", "sequence number"]) { c in c.members["seq"] = .int(.min) }
        one("seq past Int64", ["line 1", "seq"]) { c in c.members["seq"] = .raw("9223372036854775808") }
        one("seq as text", ["line 1"]) { c in c.members["seq"] = .str("5") }
        one("hlc -1", ["line 1", "negative clock"]) { c in c.members["hlc"] = .int(-1) }
        one("hlc as text", ["line 1"]) { c in c.members["hlc"] = .str("1") }
        one("kind unknown", ["line 1", "unknown kind"]) { c in c.members["kind"] = .str("planet") }
        one("kind in capitals", ["line 1", "unknown kind"]) { c in c.members["kind"] = .str("VISIT") }
        one("kind a number", ["line 1"]) { c in c.members["kind"] = .int(6) }
        one("op unknown", ["line 1", "unknown operation"]) { c in c.members["op"] = .str("upsert") }
        one("op in capitals", ["line 1", "unknown operation"]) { c in c.members["op"] = .str("CREATE") }
        // Fields the kind does not define: a newer writer's, bounded.
        one("an unknown field in capitals", ["line 1", "Mood", "lowercase letters"]) { $0.fields["Mood"] = .str("x") }
        one("an unknown field starting with a digit", ["line 1", "lowercase letters"]) { $0.fields["2nd"] = .str("x") }
        one("an unknown field with a dash", ["line 1", "lowercase letters"]) { $0.fields["a-b"] = .str("x") }
        one("an unknown field with a dot", ["line 1", "lowercase letters"]) { $0.fields["a.b"] = .str("x") }
        one("an unknown field named $", ["line 1", "lowercase letters"]) { $0.fields["$"] = .str("x") }
        one("an unknown field with an accent", ["line 1", "lowercase letters"]) { $0.fields["café"] = .str("x") }
        one("an unknown field with ESC in its name", ["line 1", "lowercase letters"]) { $0.fields["a\u{1B}[2Jb"] = .str("x") }
        one("an unknown field named empty", ["line 1", "lowercase letters"]) { $0.fields[""] = .str("x") }
        one("an unknown field name of 65", ["line 1", "lowercase letters"]) { $0.fields[String(repeating: "a", count: 65)] = .int(1) }
        one("33 unknown fields", ["line 1", "at most 32"]) { c in for i in 0..<33 { c.fields["extra_\(i)"] = .int(Int64(i)) } }
        one("an unknown field a float", ["line 1", "mood"]) { $0.fields["mood"] = .raw("0.5") }
        one("an unknown field an object", ["line 1", "mood"]) { $0.fields["mood"] = .raw("{\"a\":{}}") }
        one("an unknown field true", ["line 1", "mood"]) { $0.fields["mood"] = .bool(true) }
        one("an unknown field a nested list", ["line 1", "mood"]) { $0.fields["mood"] = .raw("[[\"a\"]]") }
        one("an unknown field a list of 101", ["line 1", "mood"]) { $0.fields["mood"] = J.list((0...100).map { "m\($0)" }) }
        one("an unknown field with ESC", ["line 1", "mood", "U+001B"]) { $0.fields["mood"] = .str("\u{1B}[5m") }
        one("an unknown field 4001 long", ["line 1", "mood", "4001 characters"]) { $0.fields["mood"] = .str(String(repeating: "长", count: 4001)) }
        one("an unknown field list item with ESC", ["line 1", "mood", "U+001B"]) { $0.fields["mood"] = J.list(["\u{1B}[5m"]) }
    }

    // MARK: What only a store knows

    mutating func semantic() {
        let w = world
        // (a) A change the store holds, different: a copied store file.
        let copied = create(.visit, by: w.laptop.id, seq: 1)
        add("semantic/copied store: (laptop, 1) with different content", .storeRefuses(["differs from the one this store already has"]),
            spec(w.laptop, [copied]))
        // (b) Changes under the office's own id that it never made.
        let relay = fieldDevice()
        var own = create(.visit, by: w.office.id, seq: 9999)
        own.hlc = hlc(9999)
        add("semantic/own device id relayed by a laptop", .storeRefuses(["own device id"]),
            spec(relay, [create(.visit, by: relay.id), own], describe: [w.office]))
        add("semantic/own device id as the packer", .storeRefuses(["own device id"]),
            spec(w.office, [create(.household, by: w.office.id, seq: 9999)]))
        // (c) Who may change what.
        func field(_ cls: String, _ names: [String], _ make: (inout HostileBundles, String) -> CraftedChange) {
            let d = fieldDevice()
            let c = make(&self, d.id)
            add("semantic/\(cls)", .storeRefuses(names), spec(d, [c]))
        }
        field("a field laptop deletes a roster household", ["household delete", "line 1", "only the office"]) { g, id in
            g.delete(.household, g.world.household, by: id)
        }
        field("a field laptop renames a village", ["village update", "line 1", "only the office"]) { g, id in
            g.update(.village, g.world.village, by: id, [("name", .str("改名村"))])
        }
        field("a field laptop deletes a village", ["village delete", "line 1"]) { g, id in g.delete(.village, g.world.village, by: id) }
        field("a field laptop renames a township", ["township update", "line 1"]) { g, id in
            g.update(.township, g.world.township, by: id, [("name", .str("改名镇"))])
        }
        field("a field laptop creates a township", ["township create", "line 1"]) { g, id in g.create(.township, by: id) }
        field("a field laptop creates a village", ["village create", "line 1"]) { g, id in g.create(.village, by: id) }
        field("a field laptop creates a roster household", ["household create", "line 1", "source field"]) { g, id in g.create(.household, by: id) }
        field("a field laptop edits a household's head", ["household update", "line 1"]) { g, id in
            g.update(.household, g.world.household, by: id, [("head", .str("冒名顶替"))])
        }
        field("a field laptop strips a household's priority", ["household update", "line 1"]) { g, id in
            g.update(.household, g.world.household, by: id, [("priority", .arr([]))])
        }
        field("a field laptop renames a round", ["round update", "line 1"]) { g, id in
            g.update(.round, g.world.round, by: id, [("name", .str("假轮次"))])
        }
        field("a field laptop deletes a round", ["round delete", "line 1"]) { g, id in g.delete(.round, g.world.round, by: id) }
        field("a field laptop edits a team's members", ["team update", "line 1"]) { g, id in
            g.update(.team, g.world.team, by: id, [("members", J.list(["冒名"]))])
        }
        field("a field laptop deletes a team", ["team delete", "line 1"]) { g, id in g.delete(.team, g.world.team, by: id) }
        // (d) Roles: from the device itself or the office; never changed once confirmed.
        var promoted = w.laptop
        promoted.role = "central"
        add("semantic/a known laptop says it is central", .storeRefuses(["role never changes"]),
            spec(promoted, [create(.visit, by: w.laptop.id, seq: w.laptopLastSeq + 1)]))
        let office2 = centralDevice()
        var renamed = w.laptop
        renamed.name = "巡察办"
        renamed.role = "central"
        add("semantic/another central store makes a known laptop central", .storeRefuses(["role never changes"]),
            spec(office2, [create(.visit, by: office2.id), create(.visit, by: w.laptop.id, seq: w.laptopLastSeq + 1)], describe: [renamed]))
        let teammate = fieldDevice()
        add("semantic/a laptop renames another laptop and makes it central, to delete a household",
            .storeRefuses(["household delete", "only the office"]),
            spec(teammate, [create(.visit, by: teammate.id), delete(.household, w.household, by: w.laptop.id, seq: w.laptopLastSeq + 1)],
                 describe: [renamed]))
        let relayer = fieldDevice()
        let unknown = CraftDevice(id: fresh(), name: "巡察办", role: "central")
        add("semantic/a laptop lists an unknown device as central, to create a township",
            .storeRefuses(["township create", "line 2"]),
            spec(relayer, [create(.visit, by: relayer.id), create(.township, by: unknown.id)], describe: [unknown]))
        // (e) A record id belongs to one kind.
        field("a visit under a household's id", ["one kind"]) { g, id in
            var c = g.create(.visit, by: id)
            c.record = g.world.household
            c.fields["household"] = .str(RecordID.household(code: "DG002"))
            return c
        }
        field("a forum edit under a visit's id", ["one kind"]) { g, id in
            g.update(.forum, g.world.laptopVisit, by: id, [("participants", .int(3))])
        }
        field("a notice delete under a round's id", ["one kind"]) { g, id in g.delete(.notice, g.world.round, by: id) }
        // A "create" of a roster household by a field laptop (source field, its derived id, a clock
        // far ahead) is an edit of that household in all but name.
        field("a field laptop re-creates a roster household", []) { g, id in
            var c = g.create(.household, by: id)
            c.record = g.world.household
            c.fields["code"] = .str("DG001")
            c.fields["village"] = .str(g.world.community)
            c.fields["head"] = .str("冒名顶替")
            c.fields["priority"] = .arr([])
            c.fields["source"] = .str("field")
            c.hlc = (1_900_000_000_000 << 16)
            return c
        }
        all[all.count - 1].expect = .storeKeeps(w.household)
        // A bundle that says this very office packed it (it did not), speaking for a known laptop:
        // the office's word on names is its own, not a stick's. (The second laptop: no later
        // bundle in a merge run speaks for it and would name it back.)
        var rename = w.laptop2
        rename.name = "巡察办"
        rename.team = "巡察办"
        let carrier = fieldDevice()
        add("semantic/a bundle claiming to be packed by this office renames a known laptop", .storeKeeps(w.laptop2.id),
            spec(w.office, [create(.visit, by: carrier.id), create(.visit, by: w.laptop2.id, seq: 300)], describe: [carrier, rename]))
    }

    // MARK: Terminal text

    mutating func terminal() {
        let sequences: [(String, String)] = [
            ("ESC CSI", "\u{1B}[2J\u{1B}[31m"), ("OSC title", "\u{1B}]0;owned\u{07}"), ("OSC 8 link", "\u{1B}]8;;http://x\u{1B}\\点我\u{1B}]8;;\u{1B}\\"),
            ("C1 CSI", "\u{9B}31m"), ("a newline", "笔记本\n伪造行"), ("a carriage return", "笔记本\r巡察办"), ("NUL", "a\u{0}b"),
        ]
        for (label, bad) in sequences {
            func edited(_ what: String, _ names: [String], _ edit: @escaping (inout CraftManifest) -> Void) {
                var s = soundSpec()
                s.editManifest = edit
                add("terminal/\(label) in \(what)", .unsound(names), s)
            }
            edited("the device name", ["device name"]) { $0.device["name"] = .str(bad); $0.devices[0]["name"] = .str(bad) }
            edited("the device team", ["device team"]) { $0.device["team"] = .str(bad); $0.devices[0]["team"] = .str(bad) }
            edited("the round", ["round"]) { $0.top["round"] = .str(bad) }
            edited("created_at", ["created_at"]) { $0.top["created_at"] = .str(bad) }
        }
        // A relayed device's name and team.
        for (label, bad) in sequences.prefix(2) {
            let d = fieldDevice()
            let other = CraftDevice(id: fresh(), name: "第三组\(bad)", team: "组\(bad)")
            add("terminal/\(label) in a relayed device's name", .unsound(["name of device"]),
                spec(d, [create(.visit, by: d.id), create(.visit, by: other.id)], describe: [other]))
        }
        // The value a refusal names, with escape sequences in it.
        let d = fieldDevice()
        var kind = create(.visit, by: d.id)
        kind.members["kind"] = .str("\u{1B}]0;owned\u{07}visit")
        add("terminal/OSC in an unknown kind", .unsound(["line 1", "unknown kind"]), spec(d, [kind]))
        // A bundle file named with escape sequences: refused, then sound.
        var refused = soundSpec()
        refused.changes[0].fields["date"] = .str("2026-02-30")
        add("terminal/OSC in the file name of a refused bundle", .unsound(["line 1"]), name: "\u{1B}]0;owned\u{07}\u{1B}[2J", refused)
    }

    // MARK: Sound bundles

    mutating func accepted() {
        let w = world
        var s = soundSpec()
        add("accepted/a sound bundle from a new laptop", .accepted, checks: [.field(s.changes[0].record, "date", .text("2026-11-20"))], s)

        let finder = fieldDevice()
        var found = create(.household, by: finder.id)
        found.fields["source"] = .str("field")
        var visit = create(.visit, by: finder.id, seq: 2)
        visit.fields["household"] = .str(found.record)
        add("accepted/a laptop creates a household it found", .accepted, checks: [.field(found.record, "source", .text("field"))],
            spec(finder, [found, visit]))
        let starter = fieldDevice()
        let round = create(.round, by: starter.id)
        let team = create(.team, by: starter.id, seq: 2)
        var roundName = FieldValue.null
        if case .str(let name)? = round.fields["name"] { roundName = .text(name) }
        add("accepted/a laptop creates a round and a team by name", .accepted, checks: [.field(round.record, "name", roundName)],
            spec(starter, [round, team]))

        // Right-to-left overrides are text: allowed in names (output escapes them).
        let bidi = CraftDevice(id: fresh(), name: "笔记本\u{202E}exe.1", team: "\u{202E}组巡察", role: "field")
        var b = spec(bidi, [create(.visit, by: bidi.id)])
        b.round = .str("五届\u{202E}轮五第")
        add("accepted/U+202E in the device, team and round names", .accepted,
            checks: [.device(bidi.id, role: "field", nameContains: "\u{202E}")], b)

        // A laptop relaying an unknown device, which calls itself central: a field placeholder.
        let relayer = fieldDevice()
        let unknown = CraftDevice(id: fresh(), name: "巡察办", role: "central")
        let relayed = create(.visit, by: unknown.id)
        add("accepted/a laptop relays an unknown device that calls itself central", .accepted,
            checks: [.device(unknown.id, role: "field", nameContains: "relayed"), .field(relayed.record, "date", .text("2026-11-20"))],
            spec(relayer, [create(.visit, by: relayer.id), relayed], describe: [unknown]))
        // A laptop that renames a known laptop and calls it central: the claim is ignored.
        let teammate = fieldDevice()
        var renamed = w.laptop
        renamed.name = "巡察办"
        renamed.role = "central"
        add("accepted/a laptop renames another laptop and calls it central", .accepted,
            checks: [.device(w.laptop.id, role: "field", nameContains: w.laptop.name)],
            spec(teammate, [create(.visit, by: teammate.id), create(.visit, by: w.laptop.id, seq: w.laptopLastSeq + 100)], describe: [renamed]))

        // Field names spelled with \u escapes are the same names (JSON): read as such everywhere.
        let escaper = fieldDevice()
        var notice = create(.notice, by: escaper.id)
        notice.replace = [("\"copies\":", "\"\\u0063opies\":")]
        add("accepted/a required field's name spelled with an escape", .accepted, checks: [.field(notice.record, "copies", .int(2))],
            spec(escaper, [notice]))
        let escaper2 = fieldDevice()
        var noted = create(.visit, by: escaper2.id)
        noted.replace = [("\"note\":", "\"no\\u0074e\":")]
        add("accepted/an optional field's name spelled with an escape", .accepted,
            checks: [.field(noted.record, "note", .text("户主反映\n低保评定不透明"))], spec(escaper2, [noted]))

        // Clocks and sequence numbers at the ends of their range: flagged, never a trap.
        var far = soundSpec()
        far.changes[0].hlc = .max
        add("accepted/a change clocked at Int64.max", .accepted, checks: [.exists(far.changes[0].record)], far)
        var zero = soundSpec()
        zero.changes[0].hlc = 0
        add("accepted/a change clocked at 0", .accepted, checks: [.exists(zero.changes[0].record)], zero)
        var last = soundSpec()
        last.changes.append(create(.visit, by: last.packer.id, seq: .max))
        add("accepted/sequence numbers 1 and Int64.max", .accepted, checks: [.exists(last.changes[1].record)], last)

        s = soundSpec()
        add("accepted/ESC sequences in the file name of a sound bundle", .accepted, name: "\u{1B}[2J\u{1B}[31mPWNED\u{1B}[0m", s)

        let newer = fieldDevice()
        var extra = create(.visit, by: newer.id)
        for i in 0..<29 { extra.fields["extra_\(i)"] = .int(Int64(i)) }
        extra.fields["mood"] = .str("多行\n文本")
        extra.fields["tags"] = J.list(Array(repeating: "标签", count: 100))
        extra.fields["gone"] = .null
        add("accepted/32 fields a newer writer added", .accepted, checks: [.field(extra.record, "met", .text("户主本人"))], spec(newer, [extra]))

        // The laptop's first change, which the store holds, written with other spacing and key
        // order: the same content, so the same change.
        if let respelled = Self.respell(w.laptopFirstLine) {
            var change = create(.visit, by: w.laptop.id, seq: 1)
            change.bytes = Array(respelled.utf8)
            if let object = try? JSONSerialization.jsonObject(with: Data(w.laptopFirstLine.utf8)) as? [String: Any],
                let kind = (object["kind"] as? String).flatMap(RecordKind.init(rawValue:)),
                let clock = (object["hlc"] as? NSNumber)?.int64Value, let seq = (object["seq"] as? NSNumber)?.int64Value
            {
                change.kind = kind
                change.hlc = clock
                change.seq = seq
            }
            add("accepted/a change the store holds, spelled differently", .accepted, spec(w.laptop, [change]))
        }
    }

    /// The same JSON object with members in reverse order and spaces after separators.
    static func respell(_ line: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else { return nil }
        func write(_ value: Any) -> String {
            switch value {
            case let d as [String: Any]:
                return "{ " + d.keys.sorted(by: >).map { J.quote($0) + " : " + write(d[$0]!) }.joined(separator: " , ") + " }"
            case let a as [Any]: return "[ " + a.map(write).joined(separator: " , ") + " ]"
            case let s as String: return J.quote(s)
            case is NSNull: return "null"
            case let n as NSNumber: return n.stringValue
            default: return "null"
            }
        }
        return write(object)
    }
}
