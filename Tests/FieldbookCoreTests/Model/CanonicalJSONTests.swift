import Foundation
import Testing

@testable import FieldbookCore

/// CanonicalJSON writes lists and fields itself: the bytes must be JSONEncoder's, the spelling the
/// store kept before, for any text.
@Suite struct CanonicalJSONTests {
    /// Texts from an alphabet of what needs escaping and what must not be escaped.
    static func texts(count: Int, seed: UInt64) -> [String] {
        let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}",
                                  "\u{7F}", "é", "张", "户", "😀", "\u{2028}", "-", ","]
        var state = seed
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        return (0..<count).map { _ in (0..<(next() % 9)).map { _ in alphabet[next() % alphabet.count] }.joined() }
    }

    static func encoded<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func aListIsWrittenAsJSONEncoderWritesIt() throws {
        let texts = Self.texts(count: 4000, seed: 7)
        for start in stride(from: 0, to: texts.count, by: 4) {
            let items = Array(texts[start..<min(texts.count, start + start % 5)])
            #expect(CanonicalJSON.encode(items) == (try Self.encoded(items)), "\(items)")
        }
        #expect(CanonicalJSON.encode([String]()) == "[]")
    }

    @Test func fieldsAreWrittenAsJSONEncoderWritesThem() throws {
        let texts = Self.texts(count: 3000, seed: 11)
        for start in stride(from: 0, to: texts.count - 6, by: 6) {
            let fields: [String: FieldValue] = [
                texts[start]: .text(texts[start + 1]), "n" + texts[start + 2]: .int(Int64(start) - 500),
                "l" + texts[start + 3]: .list([texts[start + 4], texts[start + 5]]), "z": .null,
            ]
            #expect(CanonicalJSON.encode(fields) == (try Self.encoded(fields)), "\(fields)")
        }
    }
}
