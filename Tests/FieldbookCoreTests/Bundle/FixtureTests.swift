import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// Bundles written by an earlier Fieldbook must merge, in any order, into the same tally.
@Suite struct FixtureTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bundles/fixtures/v1").path

    var bundles: [String] {
        get throws {
            try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".fbundle") }.sorted()
                .map { (Self.folder as NSString).appendingPathComponent($0) }
        }
    }

    func expected() throws -> Any {
        let data = try #require(FileManager.default.contents(atPath: (Self.folder as NSString).appendingPathComponent("expected-tally.json")))
        return try JSONSerialization.jsonObject(with: data)
    }

    func tally(_ store: Store) throws -> NSDictionary {
        let json = TallyJSON.render(try store.tally(TallyQuery()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(Self.withoutProblems(object.filter { $0.key != "generated_at" }) as? [String: Any]) as NSDictionary
    }

    /// The tally JSON without the `problems` objects added with problems found (v6), nor the
    /// `priority_households` added with the priority households counted once, so it compares
    /// with expected-tally.json as the earlier Fieldbook wrote it: every older field unchanged. The
    /// `problems` objects are checked on the way: these bundles hold fixes and no problems, so each
    /// row's problems found are its fixes, rectified its fixed ones, verified its verified ones.
    static func withoutProblems(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(withoutProblems) }
        guard var object = value as? [String: Any] else { return value }
        if let fixes = object["fixes"] as? [String: Int] {
            let problems = object["problems"] as? [String: Any]
            let (open, fixed, verified) = (fixes["open"] ?? 0, fixes["fixed"] ?? 0, fixes["verified"] ?? 0)
            let found = open + fixed + verified
            #expect(problems?["found"] as? Int == found)
            #expect(problems?["fixed_on_the_spot"] as? Int == found)
            #expect(problems?["clues"] as? [String: Int] == ["total": 0, "discipline": 0, "organisation": 0, "other": 0])
            #expect(problems?["rectified"] as? Int == fixed)
            #expect(problems?["verified"] as? Int == verified)
            #expect(problems?["not_rectifiable"] as? Int == 0)
            #expect(problems?["open"] as? Int == open)
            #expect(problems?["overdue"] as? Int == 0)
            if found == 0 {
                #expect(problems?["rectification_percent"] is NSNull)
            } else {
                #expect(problems?["rectification_percent"] as? Int == Percent.of(fixed + verified, found))
            }
            object["problems"] = nil
        }
        // Added with the priority households counted once: at least the largest kind's, at most their sum.
        if let kinds = object["priority"] as? [String: [String: Int]], let all = object["priority_households"] as? [String: Int] {
            let households = kinds.values.map { $0["households"] ?? 0 }
            let visited = kinds.values.map { $0["visited"] ?? 0 }
            #expect((households.max() ?? 0)...households.reduce(0, +) ~= all["households"] ?? -1, "\(object)")
            #expect((visited.max() ?? 0)...visited.reduce(0, +) ~= all["visited"] ?? -1, "\(object)")
            object["priority_households"] = nil
        }
        return object.mapValues(withoutProblems)
    }

    @Test func everyFixtureButTheTruncatedOneIsSound() throws {
        let files = try bundles
        #expect(files.count >= 10)
        let unsound = files.filter { (try? BundleVerifier.verify($0)) == nil }
        #expect(unsound.count == 1)
        #expect(unsound.first?.contains("s17-17") == true)
    }

    @Test func mergedInAnyOrderTheFixturesGiveTheExpectedTally() throws {
        let expected = try #require(try expected() as? [String: Any]) as NSDictionary
        let files = try bundles
        var rng = SplitMix64(seed: 11)
        let orders = [files, files.reversed()] + (0..<3).map { _ in files.shuffled(using: &rng) }
        let dir = TemporaryDirectory("fixtures")
        for (n, order) in orders.enumerated() {
            let store = try makeCentral(in: dir, name: "order-\(n).sqlite")
            var rejected = 0
            for file in order {
                if case .rejected(let reason) = store.merge(bundleAt: file).status {
                    rejected += 1
                    #expect(reason.contains("truncated"), "\(file): \(reason)")
                }
            }
            #expect(rejected == 1)
            #expect(try tally(store) == expected, "order \(n) gave another tally")
            #expect(try store.conflicts().count == 1)
        }
    }
}
