/// Finding a household by what an inspector knows of it: its code, its head's name in characters,
/// in full pinyin or by initials (张建国: `zhangjianguo`, `zjg`, also `zhangjg`, `zhang jian guo`),
/// narrowed by its village or village group (`东关 zjg`).
///
/// Pure: it ranks the candidates it is given (the store reads them, with each name's pinyin from
/// ``NameReader``). Every word of the text must match the household, as its code or name or as
/// its place (village, township, village group, also in pinyin); the household ranks by its best
/// name match, best first:
///
/// 1. the code, exactly (case aside);
/// 2. the start of the code;
/// 3. the head's name, exactly;
/// 4. the name's pinyin, exactly: full, initials, or syllables begun (`zhangjg`, `zjguo`);
/// 5. the start of the name, in characters or pinyin (`张建`, `zhangj`, `zj`);
/// 6. part of the code, of the name, or a later part of the pinyin (`建国`, `jianguo`, `jg`);
/// 7. only the place matches (`东关` alone: that village's households).
///
/// Ties go by code. Pinyin matches syllable by syllable, never in the middle of one (`angjian`
/// finds nobody), and `v` reads as ü (`lv`, `nv`).
public enum HouseholdSearch {
    /// How well a household matches, best first.
    public enum Tier: Int, Comparable, Sendable, CaseIterable {
        case code, codePrefix, name, reading, prefix, contains, place

        public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }

        /// The tier as written in `--json`.
        public var key: String {
            switch self {
            case .code: "code"
            case .codePrefix: "code-prefix"
            case .name: "name"
            case .reading: "pinyin"
            case .prefix: "prefix"
            case .contains: "contains"
            case .place: "place"
            }
        }

        /// Whether a match of this tier names one household well enough for `visit` to record it
        /// when it is the only one: the name exactly, in characters or pinyin.
        public var namesHousehold: Bool { self == .name || self == .reading }
    }

    /// A village, with its township and the pinyin of its name.
    public struct Place: Sendable, Hashable {
        public var township: String
        public var village: String
        public var reading: String

        public init(township: String, village: String, reading: String) {
            self.township = township
            self.village = village
            self.reading = reading
        }
    }

    /// A household as the search sees it.
    public struct Candidate: Sendable, Hashable {
        public var code: String
        public var head: String?
        /// The pinyin of the head's name (``NameReader``), "" when none.
        public var reading: String
        public var group: String?
        /// The index of its village in the places given, or -1.
        public var place: Int

        public init(code: String, head: String?, reading: String, group: String?, place: Int) {
            self.code = code
            self.head = head
            self.reading = reading
            self.group = group
            self.place = place
        }
    }

    /// A candidate that matched: its index among the candidates, and how well.
    public struct Match: Sendable, Hashable {
        public var index: Int
        public var tier: Tier
    }

    /// One word of the text.
    struct Term {
        /// The word's bytes, ASCII letters lowercased.
        var bytes: [UInt8]
        /// As pinyin: lowercase letters, v as u, apostrophes dropped; nil when the word is not only letters.
        var letters: [UInt8]?

        init(_ word: some StringProtocol) {
            bytes = word.utf8.map(\.lowercasedASCII)
            var letters: [UInt8] = []
            for byte in bytes where byte != UInt8(ascii: "'") {
                guard byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") else {
                    self.letters = nil
                    return
                }
                letters.append(byte == UInt8(ascii: "v") ? UInt8(ascii: "u") : byte)
            }
            self.letters = letters.isEmpty ? nil : letters
        }
    }

    /// The words of `text`, split at spaces (also the ideographic space).
    static func terms(_ text: String) -> [Term] {
        text.split(whereSeparator: { $0.isWhitespace }).map { Term($0) }
    }

    /// The candidates that match `text`, best first (ties by code).
    public static func rank(_ text: String, _ candidates: [Candidate], places: [Place]) -> [Match] {
        let terms = terms(text)
        guard !terms.isEmpty else { return [] }
        // "zhang jian guo": the words together, as one name in pinyin.
        let joined: [UInt8]? =
            terms.count > 1 && terms.allSatisfy({ $0.letters != nil }) ? terms.flatMap { $0.letters! } : nil
        var scratch = Syllables()
        // Which places each word matches, once per place rather than once per household.
        let placeMatches: [[Bool]] = terms.map { term in
            places.map { place in
                contains(place.village, term.bytes) || contains(place.township, term.bytes)
                    || term.letters.map { readingTier($0, place.reading, &scratch) != nil } ?? false
            }
        }
        var matches: [Match] = []
        for (index, candidate) in candidates.enumerated() {
            var best: Tier? = nil
            var all = true
            for (t, term) in terms.enumerated() {
                let tier = nameTier(term, candidate, &scratch)
                if let tier {
                    if best == nil || tier < best! { best = tier }
                    continue
                }
                let atPlace = (candidate.place >= 0 && candidate.place < places.count && placeMatches[t][candidate.place])
                    || (candidate.group.map { contains($0, term.bytes) } ?? false)
                if !atPlace {
                    all = false
                    break
                }
            }
            var tier: Tier? = all ? (best ?? .place) : nil
            if let joined, let together = readingTier(joined, candidate.reading, &scratch), tier == nil || together < tier! {
                tier = together
            }
            if let tier { matches.append(Match(index: index, tier: tier)) }
        }
        matches.sort { a, b in
            if a.tier != b.tier { return a.tier < b.tier }
            let x = candidates[a.index].code.utf8, y = candidates[b.index].code.utf8
            if !x.elementsEqual(y) { return x.lexicographicallyPrecedes(y) }
            return a.index < b.index
        }
        return matches
    }

    /// How well `term` matches the household's code or head's name, if it does.
    static func nameTier(_ term: Term, _ candidate: Candidate, _ scratch: inout Syllables) -> Tier? {
        var best: Tier? = nil
        switch compare(candidate.code, term.bytes) {
        case .equal: return .code
        case .prefix: return .codePrefix
        case .contains: best = .contains
        case .none: break
        }
        if let head = candidate.head {
            switch compare(head, term.bytes) {
            case .equal: return .name
            case .prefix: best = .prefix
            case .contains: best = best ?? .contains
            case .none: break
            }
        }
        if let letters = term.letters, let tier = readingTier(letters, candidate.reading, &scratch), best == nil || tier < best! {
            best = tier
        }
        return best
    }

    enum Comparison { case none, contains, prefix, equal }

    /// How `text` holds `term`, ASCII letters compared without case.
    static func compare(_ text: String, _ term: [UInt8]) -> Comparison {
        if let result = text.utf8.withContiguousStorageIfAvailable({ compare($0, term) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { compare($0, term) }
    }

    static func compare(_ text: UnsafeBufferPointer<UInt8>, _ term: [UInt8]) -> Comparison {
        let n = term.count
        guard n > 0, text.count >= n else { return .none }
        var start = 0
        while start + n <= text.count {
            if text[start].lowercasedASCII == term[0] {
                var k = 1
                while k < n, text[start + k].lowercasedASCII == term[k] { k += 1 }
                if k == n { return start > 0 ? .contains : n == text.count ? .equal : .prefix }
            }
            start += 1
        }
        return .none
    }

    static func contains(_ text: String, _ term: [UInt8]) -> Bool { compare(text, term) != .none }

    /// The syllables of one reading, as byte ranges; kept between calls to spare allocations.
    struct Syllables {
        var starts: [Int] = []
        var ends: [Int] = []
    }

    /// How `query` (pinyin letters) matches `reading`: every syllable from the first read in full
    /// or begun (`.reading`), the first ones so (`.prefix`), or from a later one (`.contains`).
    static func readingTier(_ query: [UInt8], _ reading: String, _ scratch: inout Syllables) -> Tier? {
        guard !query.isEmpty, !reading.isEmpty else { return nil }
        let result = reading.utf8.withContiguousStorageIfAvailable { readingTier(query, $0, &scratch) }
        return result ?? Array(reading.utf8).withUnsafeBufferPointer { readingTier(query, $0, &scratch) }
    }

    static func readingTier(_ query: [UInt8], _ reading: UnsafeBufferPointer<UInt8>, _ scratch: inout Syllables) -> Tier? {
        var best: Tier? = nil
        var position = 0
        let bar = UInt8(ascii: "|"), space = UInt8(ascii: " ")
        while position < reading.count {
            // One alternative: syllables up to the next "|".
            scratch.starts.removeAll(keepingCapacity: true)
            scratch.ends.removeAll(keepingCapacity: true)
            var start = position
            while position <= reading.count {
                let end = position == reading.count || reading[position] == bar
                if end || reading[position] == space {
                    if position > start {
                        scratch.starts.append(start)
                        scratch.ends.append(position)
                    }
                    start = position + 1
                    if end { break }
                }
                position += 1
            }
            position += 1
            let count = scratch.starts.count
            for first in 0..<count {
                // Quick refusal: the query starts the syllable.
                guard reading[scratch.starts[first]] == query[0] else { continue }
                let outcome = query.withUnsafeBufferPointer {
                    consume($0, 0, reading, scratch.starts, scratch.ends, first, count)
                }
                guard outcome > 0 else { continue }
                let tier: Tier = first > 0 ? .contains : outcome == 2 ? .reading : .prefix
                if best == nil || tier < best! { best = tier }
                if tier == .reading { return tier }
                break
            }
        }
        return best
    }

    /// Whether the query from `p` reads syllables `i`..<`n`, each in full or begun: 2 when it
    /// reads them all, 1 when it ends before the last, 0 when it does not read them.
    static func consume(
        _ q: UnsafeBufferPointer<UInt8>, _ p: Int, _ r: UnsafeBufferPointer<UInt8>, _ starts: [Int], _ ends: [Int],
        _ i: Int, _ n: Int
    ) -> Int {
        if p == q.count { return i == n ? 2 : 1 }
        if i == n { return 0 }
        var m = 0
        let s = starts[i], e = ends[i]
        while p + m < q.count, s + m < e, q[p + m] == r[s + m] { m += 1 }
        var best = 0
        var k = m
        while k >= 1 {
            let outcome = consume(q, p + k, r, starts, ends, i + 1, n)
            if outcome == 2 { return 2 }
            best = max(best, outcome)
            k -= 1
        }
        return best
    }

    /// When nothing matches: up to `limit` candidates whose code, name or pinyin is a few edits
    /// from the text, closest first.
    public static func closest(_ text: String, _ candidates: [Candidate], limit: Int = 5) -> [Int] {
        let query = text.filter { !$0.isWhitespace }
        guard !query.isEmpty else { return [] }
        let lower = Array(query.utf8.map(\.lowercasedASCII))
        let scalars = Array(query.unicodeScalars)
        let letters = Term(query).letters
        let ascii = query.utf8.allSatisfy { $0 < 0x80 }
        let bound = max(1, min(3, scalars.count / 3))
        var scored: [(score: Int, index: Int)] = []
        for (index, candidate) in candidates.enumerated() {
            var score = Int.max
            if ascii {
                score = min(score, distance(lower, Array(candidate.code.utf8.map(\.lowercasedASCII)), bound: bound))
            }
            if let letters, !candidate.reading.isEmpty {
                for alternative in candidate.reading.split(separator: "|") {
                    let full = alternative.utf8.filter { $0 != UInt8(ascii: " ") }
                    score = min(score, distance(letters, full, bound: bound))
                }
            }
            if !ascii, let head = candidate.head {
                score = min(score, distance(scalars, Array(head.unicodeScalars), bound: bound))
            }
            if score <= bound { scored.append((score, index)) }
        }
        scored.sort { ($0.score, candidates[$0.index].code) < ($1.score, candidates[$1.index].code) }
        return scored.prefix(limit).map(\.index)
    }

    /// The edit distance of `a` and `b`, or more than `bound` when it exceeds it.
    static func distance<T: Equatable>(_ a: [T], _ b: [T], bound: Int) -> Int {
        if abs(a.count - b.count) > bound { return bound + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > bound { return bound + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
