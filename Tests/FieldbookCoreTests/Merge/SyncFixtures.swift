import FieldbookTestSupport
import Foundation
import GRDB

@testable import FieldbookCore

/// A deterministic random number generator for seeded scenarios.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Everything a store shows, in a form two stores can be compared by: record tables, conflicts,
/// and the change log (decoded, so formatting of JSON does not matter).
func dump(_ store: Store) throws -> String {
    try store.dbQueue.read { db in
        var out: [String] = []
        for kind in RecordKind.allCases {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(kind.table) ORDER BY id") {
                out.append("\(kind.rawValue) \(row)")
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM conflict ORDER BY record_id, field, loser") {
            out.append("conflict \(row)")
        }
        let changes = try Row.fetchAll(db, sql: "SELECT * FROM change").map { try Store.change(from: $0) }
        for change in changes.sorted(by: { ($0.device, $0.seq) < ($1.device, $1.seq) }) {
            out.append("change \(change.device):\(change.seq) \(change.hlc.rawValue) \(change.kind) \(change.recordID) \(change.op) \(change.fields.sorted { $0.key < $1.key }) \(change.base.sorted { $0.key < $1.key })")
        }
        return out.joined(separator: "\n")
    }
}

/// The record tables and conflicts only: what a person sees.
func dumpRecords(_ store: Store) throws -> String {
    try dump(store).split(separator: "\n").filter { !$0.hasPrefix("change ") }.joined(separator: "\n")
}

/// A central store; each name gets its own device id (two stores sharing one would be a copied file).
func makeCentral(
    in dir: TemporaryDirectory, name: String, clock: FixedEnvironment? = nil, round: String? = "五届第五轮"
) throws -> Store {
    let seed = name.utf8.reduce(UInt64(7)) { $0 &* 31 &+ UInt64($1) }
    let clock = clock ?? FixedEnvironment(seed: seed)
    return try Store.create(
        at: dir.path(name), setup: DeviceSetup(name: "巡察办", round: round, central: true),
        environment: clock.environment)
}

/// A field laptop without a roster of its own: it gets the roster from a bundle.
func makeLaptop(in dir: TemporaryDirectory, name: String, clock: FixedEnvironment) throws -> Store {
    try Store.create(
        at: dir.path(name + ".sqlite"),
        setup: DeviceSetup(name: name, team: "第一巡察组", round: "五届第五轮", inspectors: [name]),
        environment: clock.environment)
}
