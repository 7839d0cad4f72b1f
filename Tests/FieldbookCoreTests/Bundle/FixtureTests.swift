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
        return object.filter { $0.key != "generated_at" } as NSDictionary
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
