import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The rules a bundle's changes meet together (BundleChecks) are judged by the parser when there is
/// one (a merge), and by the reader's caller when several parse (`verify`): the same verdict, at
/// the same line, after the same lines, either way.
@Suite struct InOrderChecksTests {
    @Test func theVerdictIsTheSameWhoeverJudgesTheLinesTogether() throws {
        let dir = TemporaryDirectory()
        let sealed = try SealedLines(dir)
        let lines = sealed.lines
        #expect(lines.count == 2502)  // the team's and the round's creates first
        // A visit's create again under the next number (the same change twice), in the third
        // batch; a visit under the id of the household the next line visits, in the second; and
        // the bundle as it is.
        var twice = lines
        twice[2099] = Array(String(decoding: lines[2098], as: UTF8.self).utf8)
        var kinds = lines
        let visitLine = String(decoding: lines[1500], as: UTF8.self)
        let record = try #require(visitLine.range(of: "\"record\":\"[0-9a-f-]{36}\"", options: .regularExpression))
        // The household the next line visits: that line is refused, its household being a visit.
        let household = String(decoding: lines[1501], as: UTF8.self)
        let householdField = try #require(household.range(of: "\"household\":\"[0-9a-f-]{36}\"", options: .regularExpression))
        let householdID = household[householdField].dropFirst("\"household\":\"".count).dropLast()
        kinds[1500] = Array(visitLine.replacingCharacters(in: record, with: "\"record\":\"\(householdID)\"").utf8)
        for (name, variant, line, words) in [
            ("twice", twice, 2100, ["line 2100", "twice"]), ("two kinds", kinds, 1502, ["line 1502", "a visit, not a household"]),
        ] {
            let one = try sealed.read(variant, in: dir, parsers: 1)
            let two = try sealed.read(variant, in: dir, parsers: 2)
            let three = try sealed.read(variant, in: dir, parsers: 3)
            #expect(one.0.count == line - 1 && one.0.last == line - 1 && one.0 == Array(1..<line), "\(name)")
            for word in words { #expect(one.1?.contains(word) == true, "\(name): \(one.1 ?? "accepted")") }
            #expect(two.0 == one.0 && three.0 == one.0, "\(name)")
            #expect(two.1 == one.1 && three.1 == one.1, "\(name)")
        }
        let sound = try sealed.read(lines, in: dir, parsers: 1)
        #expect(sound.1 == nil, "\(sound.1 ?? "")")
        #expect(sound.0.count == 2502 && sound.0 == Array(1...2502))
        #expect(try sealed.read(lines, in: dir, parsers: 2).0 == sound.0)
    }
}
