import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

@Suite struct DemoTests {
    /// Every file under `folder`, by relative path, with its bytes (SQLite files left out: their
    /// bytes are not the point; what they hold is compared through the bundles they wrote).
    func files(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let full = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
            if isDirectory.boolValue || relative.contains(".sqlite") { continue }
            result[relative] = FileManager.default.contents(atPath: full)
        }
        return result
    }

    @Test func theSameSeedWritesTheSameBytes() throws {
        let dir = TemporaryDirectory("demo")
        var logs: [[String]] = [[], [], []]
        for (i, seed) in [7, 7, 8].enumerated() {
            _ = try Demo.run(in: dir.path("run\(i)"), seed: UInt64(seed), scale: .sample) { logs[i].append($0) }
        }
        let first = try files(dir.path("run0"))
        let second = try files(dir.path("run1"))
        #expect(first.keys.sorted() == second.keys.sorted())
        #expect(first.keys.contains { $0.hasSuffix(".fbundle") })
        for (name, bytes) in first { #expect(second[name] == bytes, "\(name) differs between two runs of one seed") }
        #expect(logs[0] == logs[1])
        #expect(try files(dir.path("run2")) != first)
    }

    @Test func theDemoGoesThroughEveryAccidentAndTheOfficeGetsEverything() throws {
        let dir = TemporaryDirectory("demo")
        let report = try Demo.run(in: dir.path("d"), seed: 3, scale: .sample) { _ in }
        let statuses = report.outcomes.map(\.status)
        // Refused: the truncated bundle, a bundle from a laptop never enrolled, a bundle altered on
        // the stick, and the stolen laptop's bundle after its revocation.
        let reasons = statuses.compactMap { status -> String? in if case .rejected(let r) = status { return r } else { return nil } }
        #expect(reasons.count == 4, "\(reasons)")
        #expect(reasons.contains { $0.contains("truncated") })
        #expect(reasons.contains { $0.contains("does not know") })
        #expect(reasons.contains { $0.contains("revoked") })
        #expect(reasons.contains { $0.contains("altered after it was signed") })
        // The bundle copied twice onto the stick: one copy merges, the other is already merged.
        // (The altered copy of a bundle, refused, is left out: it is not that bundle.)
        let copies = Dictionary(
            grouping: report.outcomes.filter { o in
                if case .rejected = o.status { return false }
                return o.manifest != nil
            }, by: { $0.manifest!.bundleID })
            .values.filter { $0.count == 2 }
        #expect(copies.count == 1)
        #expect(Set(copies.first?.map(\.status) ?? []) == [.merged, .alreadyMerged])
        #expect(report.outcomes.contains { $0.aheadBy != nil })
        let office = try Store.open(at: report.officePath)
        #expect(try office.conflicts().count == 1)
        // Every laptop's live records reached the office.
        let officeIDs = Set(try office.list().map(\.id))
        for laptop in report.laptopPaths {
            let own = try Store.open(at: laptop).list()
            #expect(Set(own.map(\.id)).isSubset(of: officeIDs), "\(laptop) has records the office lacks")
        }
        #expect(try office.status().counts[.forum] == DemoDistrict.Scale.sample.inspected)
        // Nothing is left of the impostor's and the thief's stores, not even their logs.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path("d"))
        #expect(!left.contains { $0.hasPrefix("impostor.") || $0.hasPrefix("stolen.") }, "\(left)")
    }

    @Test func problemsFoundInTheFieldAreFollowedByTheOfficeUntilCheckedOff() throws {
        let dir = TemporaryDirectory("demo")
        let report = try Demo.run(in: dir.path("d"), seed: 3, scale: .sample) { _ in }
        let office = try Store.open(at: report.officePath)
        let problems = try office.list(RecordFilter(kinds: [.problem]))
        // About three a village, on every inspected village.
        #expect(problems.count >= 2 * DemoDistrict.Scale.sample.inspected, "\(problems.count) problems")
        let statuses = Set(problems.compactMap { $0["status"].text })
        #expect(statuses.contains(ProblemStatus.verified.rawValue))
        #expect(statuses.contains { ProblemStatus(rawValue: $0)?.isOpen == true })
        for p in problems where p["status"].text == ProblemStatus.verified.rawValue {
            // Rectified by one clerk, checked off by another: never the same person.
            #expect(Set(p["rectified_by"].list).isDisjoint(with: p["verified_by"].list))
            #expect((p["verified_on"].text ?? "") >= (p["rectified_on"].text ?? "~"))
        }
        // Every problem tied to where it came up is tied to a record of its own village.
        for p in problems {
            guard let source = p["found_in"].text else { continue }
            let origin = try office.record(id: source)
            #expect(origin.labels["village"] == p.labels["village"])
        }
    }

    @Test func aFolderThatIsNotADemoIsLeftAlone() throws {
        let dir = TemporaryDirectory("demo")
        try FileManager.default.createDirectory(atPath: dir.path("mine"), withIntermediateDirectories: true)
        dir.write("mine/notes.txt", "keep me")
        #expect(throws: FieldbookError.self) { try Demo.run(in: dir.path("mine"), seed: 1, scale: .sample) { _ in } }
        #expect(FileManager.default.contents(atPath: dir.path("mine/notes.txt")) == Data("keep me".utf8))
    }

    @Test func theDistrictIsShapedLikeTheRealOne() {
        let district = DemoDistrict.generate(scale: .district, seed: 2026)
        #expect(district.townships.count == 19)
        #expect(district.villages.count == 349)
        #expect(district.villages.filter { $0.kind == .community }.count == 54)
        let households = district.villages.flatMap(\.households)
        let priority = Double(households.filter { !$0.priority.isEmpty }.count) / Double(households.count)
        #expect(priority >= 0.05 && priority <= 0.08, "priority share \(priority)")
        #expect(Set(households.map(\.code)).count == households.count)
        #expect(Set(district.villages.map(\.qualifiedName)).count == district.villages.count)
    }
}
