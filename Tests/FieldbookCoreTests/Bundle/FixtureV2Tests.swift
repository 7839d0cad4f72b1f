import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Signed and encrypted (format 2) bundles written by an earlier Fieldbook must still open, with the
/// office's keys restored from its backup, and merge in any order into the same tally; the bad ones
/// among them must stay refused, each for its own reason.
@Suite struct FixtureV2Tests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bundles/fixtures")
    static let folder = fixtures.appendingPathComponent("v2").path
    static let v1Folder = fixtures.appendingPathComponent("v1").path

    /// The passphrase of `v2/office-keys.fbbackup`, as bundles/fixtures/README.md gives it. Test keys.
    static let passphrase = "fieldbook-fixtures-v2 test keys, not secret"

    static func file(_ name: String, in folder: String = folder) -> String { (folder as NSString).appendingPathComponent(name) }

    static func bundles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".fbundle") }.sorted()
            .map { file($0, in: folder) }
    }

    /// What a fixture is, from its name (`FOLDER--FILE`, after the demo's stick folders), and the
    /// words its refusal must contain; nil for a good bundle, which merges or is already merged.
    static func refusal(_ path: String) -> [String]? {
        let name = (path as NSString).lastPathComponent
        // The office's own bundles (the roster, and the receipts with the revocation) were signed by
        // the demo's office store; a store restored from its backup is another store with the same
        // keys, and refuses them by design (README: "If the office's disk dies": `roster import`).
        if name.hasPrefix("0-roster--") || name.hasPrefix("9-receipts--") { return ["this office's own key", "another store"] }
        if name.contains("伪造 ") { return ["does not know", "enroll"] }  // a laptop the office never enrolled
        if name.contains("改动 ") { return ["altered after it was signed"] }  // the manifest edited, its digest fixed up
        if name.hasPrefix("stolen--") { return ["revoked after its change 29"] }  // the stolen laptop, after revocation
        if name.hasPrefix("round-2--第一巡察组-笔记本2_s17-17") { return ["truncated"] }  // a yanked cable; recopied-- is whole
        return nil
    }

    func expected() throws -> NSDictionary {
        let data = try #require(FileManager.default.contents(atPath: Self.file("expected-tally.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]) as NSDictionary
    }

    func tally(_ store: Store) throws -> NSDictionary {
        let json = TallyJSON.render(try store.tally(TallyQuery()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(FixtureTests.withoutProblems(object.filter { $0.key != "generated_at" }) as? [String: Any]) as NSDictionary
    }

    func backup() throws -> Data {
        try #require(FileManager.default.contents(atPath: Self.file("office-keys.fbbackup")))
    }

    /// A new office on a new machine, as the README says: `init --central`, `keys restore`, `roster import`.
    func restoredOffice(in dir: TemporaryDirectory, name: String, roster: Bool = true) throws -> (Store, KeyRestore) {
        let store = try makeCentral(in: dir, name: name)
        let restored = try store.restoreKeys(from: try backup(), passphrase: Self.passphrase)
        if roster { _ = try store.importRoster(csvAt: Self.file("roster.csv")) }
        return (store, restored)
    }

    @Test func theFixturesReadmeGivesThePassphraseOfTheTestKeys() throws {
        let readme = try String(contentsOf: Self.fixtures.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(Self.passphrase))
        let dir = TemporaryDirectory("fixtures-v2")
        let store = try makeCentral(in: dir, name: "wrong.sqlite")
        #expect(throws: TrustError.self) { try store.restoreKeys(from: try backup(), passphrase: "not the passphrase") }
    }

    @Test func withoutKeysOnlyTheTruncatedFixtureIsUnsound() throws {
        let files = try Self.bundles(in: Self.folder)
        #expect(files.count == 16)
        let unsound = files.filter { (try? BundleVerifier.verify($0)) == nil }
        #expect(unsound.map { ($0 as NSString).lastPathComponent } == ["round-2--第一巡察组-笔记本2_s17-17_20260504-091000_3b7f927c.fbundle"])
        // Every fixture but the truncated one is format 2: signed, and sealed to its recipients.
        for file in files where !unsound.contains(file) {
            let manifest = try BundleVerifier.verify(file)
            #expect(manifest.signature != nil && manifest.encryption != nil, "\(file)")
        }
    }

    @Test func theBackupBringsTheOfficesKeysTheEnrolledLaptopsAndTheTrustList() throws {
        let dir = TemporaryDirectory("fixtures-v2")
        let laptop = Self.file("round-1--第一巡察组-笔记本1_s1-14_20260304-090000_84172a57.fbundle")
        let store = try makeCentral(in: dir, name: "restore.sqlite")
        // A new office store has keys of its own: the laptops' bundles are not for it.
        guard case .rejected(let before) = store.merge(bundleAt: laptop, options: MergeOptions(dryRun: true)).status else {
            Issue.record("a laptop's bundle opened in an office store without the office's keys")
            return
        }
        #expect(before.contains("does not know"), "\(before)")

        let restored = try store.restoreKeys(from: try backup(), passphrase: Self.passphrase)
        let office = try OfficeKeyFile.decode(try #require(FileManager.default.contents(atPath: Self.file("office.fbkey"))))
        #expect(restored.keys == office.keys)
        #expect(try store.publicKeys() == office.keys)
        #expect(restored.enrolled == 2 && restored.revoked == 1)
        #expect(restored.trustListVersion == 2)
        let summary = try store.trustSummary()
        #expect(summary.trustListVersion == 2 && summary.requiresSignatures && summary.policy == .auto)
        let devices = Dictionary(try store.deviceListings().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(devices["第一巡察组-笔记本1"]?.standing == .enrolled && devices["第一巡察组-笔记本1"]?.team == "第一巡察组")
        #expect(devices["第一巡察组-笔记本2"]?.standing == .enrolled)
        #expect(devices["第二巡察组-笔记本1"]?.standing == .revoked && devices["第二巡察组-笔记本1"]?.revokedAfterSeq == 29)

        // Now every good laptop bundle opens and verifies (a dry-run merge: `verify --db`).
        _ = try store.importRoster(csvAt: Self.file("roster.csv"))
        for file in try Self.bundles(in: Self.folder) where Self.refusal(file) == nil {
            let outcome = store.merge(bundleAt: file, options: MergeOptions(dryRun: true))
            #expect(outcome.status == .merged && outcome.signed, "\(file): \(outcome.status)")
        }
    }

    @Test func mergedInAnyOrderTheGoodFixturesGiveTheExpectedTallyAndTheBadOnesAreRefused() throws {
        let expected = try expected()
        let files = try Self.bundles(in: Self.folder)
        #expect(files.filter { Self.refusal($0) != nil }.count == 6)
        var rng = SplitMix64(seed: 12)
        let orders = [files, files.reversed()] + (0..<4).map { _ in files.shuffled(using: &rng) }
        let dir = TemporaryDirectory("fixtures-v2")
        for (n, order) in orders.enumerated() {
            let (store, _) = try restoredOffice(in: dir, name: "order-\(n).sqlite")
            var merged = 0
            for file in order {
                let status = store.merge(bundleAt: file).status
                if let words = Self.refusal(file) {
                    guard case .rejected(let reason) = status else {
                        Issue.record("order \(n): \(file) was not refused: \(status)")
                        continue
                    }
                    for word in words { #expect(reason.contains(word), "order \(n): \(file): \(reason)") }
                } else {
                    #expect(status == .merged || status == .alreadyMerged, "order \(n): \(file): \(status)")
                    if status == .merged { merged += 1 }
                }
            }
            #expect(merged >= 5, "order \(n)")
            #expect(try tally(store) == expected, "order \(n) gave another tally")
            #expect(try store.conflicts().count == 1)
            // Everything merged: offered again, the good ones are already merged, the bad ones refused.
            for file in order {
                let again = store.merge(bundleAt: file).status
                if Self.refusal(file) == nil { #expect(again == .alreadyMerged, "order \(n): \(file): \(again)") }
                else if case .rejected = again {} else { Issue.record("order \(n): \(file) was not refused again: \(again)") }
            }
        }
    }

    /// The v1 (unsigned) fixtures at an office that has enrolled devices: refused under the default
    /// policy, naming it; merged, into v1's tally, once unsigned bundles are allowed.
    @Test func v1FixturesMergeAtAnEnrolledOfficeOnlyOnceUnsignedBundlesAreAllowed() throws {
        let v1Data = try #require(FileManager.default.contents(atPath: Self.file("expected-tally.json", in: Self.v1Folder)))
        let v1Expected = try #require(try JSONSerialization.jsonObject(with: v1Data) as? [String: Any]) as NSDictionary
        let files = try Self.bundles(in: Self.v1Folder)
        #expect(files.count >= 10)
        let dir = TemporaryDirectory("fixtures-v2")
        for policy in [SignaturePolicy.auto, .require] {
            let (store, _) = try restoredOffice(in: dir, name: "\(policy.rawValue).sqlite", roster: false)
            try store.setSignaturePolicy(policy)
            #expect(try store.signaturePolicy().requires)
            for file in files {
                guard case .rejected(let reason) = store.merge(bundleAt: file).status else {
                    Issue.record("\(policy): \(file) merged at an office that requires signatures")
                    continue
                }
                if file.contains("round-2--第一巡察组-笔记本2_s17-17") {
                    #expect(reason.contains("truncated"), "\(reason)")
                } else {
                    #expect(reason.contains("unsigned bundle (format 1)"), "\(reason)")
                    #expect(reason.contains(policy == .require ? "(its policy)" : "since it has enrolled devices"), "\(reason)")
                    #expect(reason.contains("devices policy --allow-unsigned"), "\(reason)")
                }
            }
            #expect(try store.tally(TallyQuery()).district.households == 0)
        }

        var rng = SplitMix64(seed: 13)
        let orders = [files, files.reversed()] + (0..<2).map { _ in files.shuffled(using: &rng) }
        for (n, order) in orders.enumerated() {
            let (store, _) = try restoredOffice(in: dir, name: "allow-\(n).sqlite", roster: false)
            #expect(try store.trustSummary().enrolled == 2)
            try store.setSignaturePolicy(.allowUnsigned)
            #expect(try !store.signaturePolicy().requires)
            var rejected = 0
            for file in order {
                if case .rejected(let reason) = store.merge(bundleAt: file).status {
                    rejected += 1
                    #expect(reason.contains("truncated"), "\(file): \(reason)")
                }
            }
            #expect(rejected == 1)
            #expect(try tally(store) == v1Expected, "order \(n) gave another tally")
            #expect(try store.conflicts().count == 1)
        }
    }
}
