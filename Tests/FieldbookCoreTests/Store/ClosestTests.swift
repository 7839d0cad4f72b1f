import Testing

@testable import FieldbookCore

/// The suggestions for a name or code that matched nothing (`Closest`).
struct ClosestTests {
    static let households: [(key: String, label: String)] = (0..<45_000).map { i in
        let head = ["张建国", "李秀英", "王大力", "赵海燕"][i % 4] + String(i % 97)
        return (head, "H\(i) \(head)")
    }

    /// A pasted paragraph against a district's households: the distance to each was worked out in
    /// full, twelve seconds for a thousand characters and minutes for more. Keys whose length
    /// alone puts them out of reach are passed over now.
    @Test(.timeLimit(.minutes(1))) func aLongTextSuggestsNothingAtOnce() {
        for length in [1_000, 20_000] {
            #expect(Closest.matches(for: String(repeating: "张", count: length), among: Self.households).isEmpty)
        }
    }

    /// What is suggested is what the full distance suggested: within half the text's length (at
    /// least two edits), or containing the text, closest first.
    @Test func suggestionsAreTheFullDistances() {
        let candidates = Self.households.prefix(2_000).map { $0 }
        for input in ["张建国1", "张建", "李秀英9", "王大力", "赵海燕96", "张", "zz", "王大力123456"] {
            let target = Array(input.lowercased())
            let bound = max(2, target.count / 2)
            var expected: [(Int, String)] = []
            for c in candidates {
                let key = Array(c.key.lowercased())
                if key.count >= target.count, c.key.lowercased().contains(input.lowercased()) {
                    expected.append((key.count - target.count, c.label))
                } else {
                    let d = Closest.editDistance(target, key)
                    if d <= bound { expected.append((d + 1, c.label)) }
                }
            }
            expected.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            #expect(Closest.matches(for: input, among: candidates) == Array(expected.map(\.1).prefix(5)), "\(input)")
        }
    }
}
