import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

// The generator of crafted bundles lives in FieldbookTestSupport (HostileBundles.swift), so the
// binary tests offer the very same files to `fieldbook verify` and `fieldbook merge`. Here: the
// office they are offered to in process, and how each is judged against its expectation.

/// An office store holding the roster and two laptops' first bundles, to offer crafted bundles to.
final class HostileOffice {
    let dir = TemporaryDirectory("hostile")
    let world: HostileWorld
    let store: Store

    init() throws {
        world = try HostileWorld.build(in: dir, mergeGood: true)
        store = try Store.open(at: world.officePath, environment: FixedEnvironment(seed: 9199).environment)
    }

    /// Writes a crafted bundle onto the stick; returns its path.
    func write(_ bundle: HostileBundle) throws -> String {
        let folder = dir.path("stick")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(bundle.fileName)
        try Data(bundle.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Why `verify` refuses the file; nil when it finds it sound.
    static func verdict(_ path: String) -> String? {
        do {
            _ = try BundleVerifier.verify(path)
            return nil
        } catch let error as BundleError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    /// What any write to the store changes, cheaply: counts and clocks of every table.
    func fingerprint() throws -> String {
        try store.dbQueue.read { db in
            var parts: [String] = []
            for kind in RecordKind.allCases {
                parts.append(try String.fetchOne(db, sql: "SELECT count(*) || '/' || ifnull(max(updated_hlc), 0) || '/' || ifnull(sum(deleted), 0) FROM \(kind.table)") ?? "")
            }
            for sql in ["SELECT count(*) || '/' || ifnull(max(id), 0) FROM change", "SELECT count(*) FROM conflict", "SELECT count(*) FROM bundle",
                        "SELECT ifnull(group_concat(id || name || ifnull(team, '') || role || confirmed), '') FROM device",
                        "SELECT last_hlc || '/' || last_seq FROM local_state"]
            {
                parts.append(try String.fetchOne(db, sql: sql) ?? "")
            }
            return parts.joined(separator: " ")
        }
    }

    func integrity() throws -> String {
        try store.dbQueue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Offers each bundle to `verify` and to the office's `merge`, and checks what happened against
    /// what the rules say (HostileExpectation). Every miss is recorded with the bundle's class.
    ///
    /// The store's dump is compared before and after each bundle; with `everyDump` false (hundreds of
    /// bundles), a fingerprint of every table is compared instead, and the dump once at the end when
    /// nothing was to be merged.
    func judge(_ bundles: [HostileBundle], everyDump: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let start = try dump(store)
        let dump = everyDump ? { try FieldbookCoreTests.dump($0) } : { (_: Store) in try self.fingerprint() }
        for bundle in bundles {
            let path = try write(bundle)
            let what = bundle.cls
            let verdict = Self.verdict(path)
            let before = try dump(store)
            var kept: (record: FieldbookCore.Record?, device: DeviceSummary?)
            if case .storeKeeps(let id) = bundle.expect {
                kept = (try? store.record(id: id), try store.devices().first { $0.id == id })
            }
            let outcome = store.merge(bundleAt: path)
            let after = try dump(store)
            func fail(_ message: String) { Issue.record(Comment(rawValue: "\(what): \(message)"), sourceLocation: sourceLocation) }
            func named(_ names: [String], in reason: String, by who: String) {
                for name in names where !reason.contains(name) {
                    fail("\(who)'s reason does not name \(name.debugDescription): \(reason.debugDescription)")
                }
            }
            switch bundle.expect {
            case .unsound(let names):
                if let verdict { named(names, in: verdict, by: "verify") } else { fail("verify found it sound") }
                if case .rejected(let why) = outcome.status { named(names, in: why, by: "merge") } else {
                    fail("merge did not refuse it: \(outcome.status)")
                }
                if after != before { fail("the store changed") }
            case .storeRefuses(let names):
                if let verdict { fail("verify refused it (only a store can judge it): \(verdict.debugDescription)") }
                if case .rejected(let why) = outcome.status { named(names, in: why, by: "merge") } else {
                    fail("merge did not refuse it: \(outcome.status)")
                }
                if after != before { fail("the store changed") }
            case .accepted:
                if let verdict { fail("verify refused a sound bundle: \(verdict.debugDescription)") }
                switch outcome.status {
                case .merged, .alreadyMerged:
                    for check in bundle.checks { self.check(check, fail) }
                case .rejected(let why):
                    fail("merge refused a sound bundle: \(why.debugDescription)")
                case .storeFailed(let error):
                    fail("the store failed: \(error.message)")
                }
            case .storeKeeps(let id):
                if let verdict { fail("verify refused it (only a store can judge it): \(verdict.debugDescription)") }
                if case .rejected = outcome.status {
                    if after != before { fail("the store changed") }
                } else {
                    if let record = kept.record {
                        let now = try store.record(id: id)
                        if now.values != record.values || now.deleted != record.deleted {
                            fail("merge accepted it and changed record \(id): \(record.values) became \(now.values)")
                        }
                    }
                    if let device = kept.device, let now = try store.devices().first(where: { $0.id == id }),
                        (now.name, now.team, now.role) != (device.name, device.team, device.role)
                    {
                        fail("merge accepted it and changed device \(id): \(device.name)/\(device.team ?? "-")/\(device.role) became \(now.name)/\(now.team ?? "-")/\(now.role)")
                    }
                }
            }
        }
        if bundles.allSatisfy({ if case .unsound = $0.expect { true } else if case .storeRefuses = $0.expect { true } else { false } }) {
            #expect(try FieldbookCoreTests.dump(store) == start, "the store changed", sourceLocation: sourceLocation)
        }
    }

    func check(_ check: HostileCheck, _ fail: (String) -> Void) {
        switch check {
        case .exists(let id):
            guard let record = try? store.record(id: id), !record.deleted else { return fail("record \(id) is missing") }
        case .field(let id, let field, let value):
            guard let record = try? store.record(id: id) else { return fail("record \(id) is missing") }
            if record[field] != value { fail("record \(id) holds \(field) = \(record[field]), not \(value)") }
        case .device(let id, let role, let part):
            guard let device = try? store.devices().first(where: { $0.id == id }) else { return fail("device \(id) is unknown") }
            if device.role != role { fail("device \(device.name.debugDescription) is \(device.role), not \(role)") }
            if !device.name.contains(part) { fail("device \(device.name.debugDescription) is not named with \(part.debugDescription)") }
        }
    }
}
