import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The attacker with a USB stick: every class of crafted bundle (HostileBundles) offered to
/// `BundleVerifier.verify` and to an office's `Store.merge`.
///
/// The rules ("No bundle can harm the store"): verify and merge judge a bundle by one set of rules.
/// A bundle verify refuses, merge refuses too, naming the line, field and value where there is one,
/// and the store is left exactly as it was. A bundle verify finds sound, merge accepts, except
/// what only a store can know (a change it holds with other content; changes under its own id;
/// who may change what; roles; a record id's kind). `PRAGMA integrity_check` stays "ok".
@Suite struct HostileBundleTests {
    static let groups = ["envelope", "manifest", "payload", "value", "shape", "semantic", "terminal", "accepted"]

    @Test(arguments: groups)
    func everyCraftedBundleIsJudgedByTheRules(group: String) throws {
        let office = try HostileOffice()
        let bundles = HostileBundles.make(office.world, groups: [group])
        #expect(!bundles.isEmpty)
        try office.judge(bundles, everyDump: group != "value")
        #expect(try office.integrity() == "ok")
    }

    /// The value classes change one value of these creates: each must be sound and merge as it is,
    /// so that a refusal of the changed one is for the value alone.
    @Test func theCreatesTheValueClassesChangeAreSound() throws {
        let office = try HostileOffice()
        let controls = HostileBundles.controls(office.world)
        #expect(controls.count == RecordKind.allCases.count)
        try office.judge(controls)
    }

    @Test func theGeneratorCoversEveryClass() throws {
        let office = try HostileOffice()
        let bundles = HostileBundles.make(office.world)
        let byGroup = Dictionary(grouping: bundles, by: \.group)
        #expect(Set(byGroup.keys) == Set(Self.groups))
        // Every field of every kind gets bad values of its type, and the non-values.
        for kind in RecordKind.allCases {
            for spec in kind.fields {
                let classes = bundles.filter { $0.cls.hasPrefix("value/\(kind.rawValue).\(spec.name) ") }
                #expect(classes.count >= 8, "\(kind.rawValue).\(spec.name) has \(classes.count) bad values")
                #expect(classes.contains { $0.cls.hasSuffix(" a float") } && classes.contains { $0.cls.hasSuffix(" an object") })
            }
        }
        for needed in ["bad magic", "version 2", "manifest length 0", "manifest length 4 GiB", "manifest digest wrong",
                       "truncated in the payload", "one trailing byte", "compressed_size 2^62", "compressed_size Int64.max",
                       "raw_size one short", "decompression bomb", "bit flip", "count 10 over range 1–9", "a device listed twice",
                       "not JSON", "a member twice", "missing fields", "lone high surrogate", "a raw NUL byte", "a line over 1 MiB",
                       "100k identical lines", "copied store", "own device id", "deletes a roster household", "renames a village",
                       "renames another laptop and makes it central", "a visit under a household's id", "ESC CSI in the device name",
                       "OSC title in the round", "U+202E", "file name"]
        {
            #expect(bundles.contains { $0.cls.contains(needed) }, "no class \(needed)")
        }
        #expect(Set(bundles.map(\.fileName)).count == bundles.count)
        #expect(Set(bundles.map(\.token)).count == bundles.count)
    }

    /// 100,000 copies of one line: refused at line 2, without inflating the rest.
    @Test func aHundredThousandRepeatedLinesAreRefusedAtLineTwo() throws {
        let office = try HostileOffice()
        let many = try #require(HostileBundles.make(office.world, groups: ["payload"]).first { $0.cls.contains("100k identical lines") })
        let path = try office.write(many)
        let clock = ContinuousClock()
        var verdict: String?
        let verifying = clock.measure { verdict = HostileOffice.verdict(path) }
        #expect(verdict?.contains("line 2") == true, "\(verdict ?? "sound")")
        var status: MergeOutcome.Status?
        let merging = clock.measure { status = office.store.merge(bundleAt: path).status }
        if case .rejected(let why)? = status { #expect(why.contains("line 2")) } else { Issue.record("merged: \(String(describing: status))") }
        // Reading all 33 MB would take seconds in a debug build; refusing at line 2 takes milliseconds.
        #expect(verifying < .seconds(1), "verify took \(verifying)")
        #expect(merging < .seconds(1), "merge took \(merging)")
    }

    /// A bundle id is the writer's claim, not proof: a crafted bundle that reuses the id of a real
    /// bundle not yet merged (copied from the stick, payload replaced) must not make the real one
    /// "already merged" with its changes never merged.
    @Test func aBundleIDReusedByAnotherPayloadDoesNotHideTheRealBundle() throws {
        let office = try HostileOffice()
        let laptop = try Store.create(
            at: office.dir.path("laptop3.sqlite"), setup: DeviceSetup(name: "第三组-笔记本3", team: "第三巡察组", round: "五届第五轮"),
            environment: FixedEnvironment(seed: 9104).environment)
        #expect(laptop.merge(bundleAt: office.world.goodBundles[0]).status == .merged)
        let visit = try laptop.record(.visit, ["household": "DG002", "note": "真的走访"])
        let real = try #require(try laptop.pack(into: office.dir.path("real")))
        let forged = HostileBundles.sound(office.world, bundleID: real.manifest.bundleID)
        let forgedPath = office.dir.path("forged.fbundle")
        try Data(forged.bytes).write(to: URL(fileURLWithPath: forgedPath))
        #expect(office.store.merge(bundleAt: forgedPath).status == .merged)
        let outcome = office.store.merge(bundleAt: real.path)
        #expect(outcome.status == .merged, "the real bundle was \(outcome.status)")
        #expect((try? office.store.record(id: visit.id)) != nil, "the real bundle's visit never reached the office")
    }
}
