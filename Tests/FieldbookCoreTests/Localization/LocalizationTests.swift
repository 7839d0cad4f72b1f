import Foundation
import Testing

@testable import FieldbookCore

/// The interface in two languages from one catalog: every `tr` text in the sources has its
/// Chinese, no Chinese is left without its English, and the values land where each language puts them.
@Suite struct LocalizationTests {
    // MARK: The catalog against the sources

    /// Every key the sources use, with the file and line of its first use.
    static let sourceKeys: [String: String] = {
        var keys: [String: String] = [:]
        for (file, text) in SourceScanner.sources() {
            for use in SourceScanner.keys(in: text) where keys[use.key] == nil {
                keys[use.key] = "\(file):\(use.line)"
            }
        }
        return keys
    }()

    @Test("the scanner finds the sources' tr texts")
    func scannerFindsTexts() {
        #expect(!Self.sourceKeys.isEmpty)
        #expect(Self.sourceKeys.keys.allSatisfy { !$0.isEmpty })
    }

    @Test("every tr text in the sources has its Chinese in the catalog")
    func everyKeyIsTranslated() {
        let missing = Self.sourceKeys.filter { ChineseCatalog.text(for: $0.key) == nil }
            .map { "\($0.value): \($0.key)" }.sorted()
        #expect(missing.isEmpty, "no Chinese for:\n\(missing.joined(separator: "\n"))")
    }

    @Test("every catalog entry is used by the sources")
    func noEntryIsLeftOver() {
        let unused = ChineseCatalog.allEntries.filter { Self.sourceKeys[$0.key] == nil }
            .map { "\($0.part): \($0.key)" }
        #expect(unused.isEmpty, "not used in the sources:\n\(unused.joined(separator: "\n"))")
    }

    @Test("no key is given twice")
    func noKeyTwice() {
        var seen: [String: String] = [:]
        var twice: [String] = []
        for entry in ChineseCatalog.allEntries {
            if let part = seen[entry.key] { twice.append("\(part) and \(entry.part): \(entry.key)") }
            seen[entry.key] = entry.part
        }
        #expect(twice.isEmpty, "given twice:\n\(twice.joined(separator: "\n"))")
    }

    @Test("each Chinese text uses exactly its key's placeholders, and is Chinese")
    func placeholdersAgree() {
        var wrong: [String] = []
        for entry in ChineseCatalog.allEntries {
            if Self.placeholders(entry.key) != Self.placeholders(entry.chinese) {
                wrong.append("\(entry.key) → \(entry.chinese)")
            }
            if entry.chinese.isEmpty || entry.chinese == entry.key && entry.key.contains(where: \.isLetter) {
                // A key that is all symbols or numbers may stand as it is; a word may not.
                if entry.key.unicodeScalars.contains(where: { CharacterSet.letters.contains($0) }) {
                    wrong.append("untranslated: \(entry.key)")
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
    }

    /// The placeholder numbers of a text: `{2}` and `{2 change}` both give 2.
    static func placeholders(_ text: String) -> [Int] {
        var numbers: [Int] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            if let n = Int(digits) { numbers.append(n) }
            rest = after
        }
        return numbers.sorted()
    }

    // MARK: Rendering

    @Test("English counts take the plural, and group their digits")
    func englishCounts() {
        let one: LocalizedText = "Packed \(1, "change") into \("a.fbz")."
        let many: LocalizedText = "Packed \(12345, "change") into \("a.fbz")."
        let entries: LocalizedText = "\(2, "entry", plural: "entries") left"
        #expect(one.key == "Packed {1 change} into {2}.")
        #expect(one.rendered(in: .en) == "Packed 1 change into a.fbz.")
        #expect(many.rendered(in: .en) == "Packed 12,345 changes into a.fbz.")
        #expect(entries.key == "{1 entry|entries} left")
        #expect(entries.rendered(in: .en) == "2 entries left")
    }

    @Test("Chinese puts the values where its text says, and falls back to English for an unknown key")
    func chineseFill() {
        let filled = LocalizedText.fill("{2} 里有 {1} 户", [.count(1234, singular: "household", plural: "households"), .text("东关村")], language: .zh)
        #expect(filled == "东关村 里有 1,234 户")
        let unknown: LocalizedText = "No such text \(3) in any catalog"
        #expect(unknown.rendered(in: .zh) == "No such text 3 in any catalog")
    }

    @Test("the language comes from FIELDBOOK_LANG, then LC_ALL, LC_MESSAGES, LANG")
    func languageFromEnvironment() {
        #expect(Language(environment: [:]) == .en)
        #expect(Language(environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language(environment: ["LANG": "en_US.UTF-8"]) == .en)
        #expect(Language(environment: ["LC_ALL": "C", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(Language(environment: ["LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"]) == .zh)
        #expect(Language(environment: ["FIELDBOOK_LANG": "en", "LC_ALL": "zh_CN.UTF-8"]) == .en)
        #expect(Language(environment: ["FIELDBOOK_LANG": "zh", "LANG": "C"]) == .zh)
        #expect(Language(environment: ["FIELDBOOK_LANG": "klingon", "LANG": "zh_CN.UTF-8"]) == .zh)
    }

    @Test("the scanner reads keys as the interpolation builds them")
    func scannerAgreesWithInterpolation() {
        let source = #"""
            let a = tr("Packed \(count, "change") into \(path.oneLine).")
            let b = tr("Said \"\(names.joined(separator: ", "))\" \(n, "entry", plural: "entries")")
            let c = attr("not a key")
            let d = tr(id: "help.fieldbook", "A long text")
            """#
        let keys = SourceScanner.keys(in: source).map(\.key)
        #expect(keys == ["Packed {1 change} into {2}.", #"Said "{1}" {2 entry|entries}"#, "help.fieldbook"])
        let path = "x", names = ["a", "b"], count = 3, n = 2
        let built: [LocalizedText] = [
            "Packed \(count, "change") into \(path).", "Said \"\(names.joined(separator: ", "))\" \(n, "entry", plural: "entries")",
        ]
        #expect(built.map(\.key) == Array(keys.prefix(2)))
    }
}

/// Reads the `tr("…")` and `tr(id: "…", …)` keys out of Swift source text.
enum SourceScanner {
    /// The package's Swift sources, by path relative to the package.
    static func sources() -> [(String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        var files: [(String, String)] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            if url.lastPathComponent.hasPrefix("ChineseCatalog") { continue }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            files.append((String(url.path.dropFirst(root.path.count + 1)), text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    struct Use { var key: String; var line: Int }

    static func keys(in text: String) -> [Use] {
        let chars = Array(text.unicodeScalars)
        var uses: [Use] = []
        var i = 0
        var line = 1
        while i < chars.count {
            if chars[i] == "\n" { line += 1 }
            if matches(chars, i, "//") {
                // A comment, to the end of its line (documentation shows tr in examples).
                while i + 1 < chars.count, chars[i + 1] != "\n" { i += 1 }
                i += 1
                continue
            }
            if matches(chars, i, "tr("), i == 0 || !isIdentifier(chars[i - 1]) {
                var j = i + 3
                if matches(chars, j, "\""), let (key, _) = literal(chars, j + 1, interpolating: true) {
                    uses.append(Use(key: key, line: line))
                } else if matches(chars, j, "id: \"") {
                    j += 5
                    if let (key, _) = literal(chars, j, interpolating: false) { uses.append(Use(key: key, line: line)) }
                }
            }
            i += 1
        }
        return uses
    }

    static func matches(_ chars: [Unicode.Scalar], _ at: Int, _ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard at + w.count <= chars.count else { return false }
        return Array(chars[at..<at + w.count]) == w
    }

    static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c == "." || CharacterSet.alphanumerics.contains(c)
    }

    /// The key of the literal whose text starts at `start` (after its quote), and the index after
    /// its closing quote; placeholders numbered as ``LocalizedText`` numbers them.
    static func literal(_ chars: [Unicode.Scalar], _ start: Int, interpolating: Bool) -> (String, Int)? {
        var key = ""
        var count = 0
        var i = start
        while i < chars.count {
            let c = chars[i]
            if c == "\"" { return (key, i + 1) }
            if c == "\n" { return nil }
            if c == "\\", i + 1 < chars.count {
                let next = chars[i + 1]
                switch next {
                case "(":
                    guard let (inside, end) = interpolation(chars, i + 2) else { return nil }
                    count += 1
                    let parts = splitTopLevel(inside)
                    if interpolating, parts.count >= 2, let singular = simpleLiteral(parts[1]) {
                        var plural = singular + "s"
                        if parts.count == 3, parts[2].hasPrefix("plural:"),
                            let p = simpleLiteral(String(parts[2].dropFirst("plural:".count)))
                        {
                            plural = p
                        }
                        key += "{\(count) \(plural == singular + "s" ? singular : singular + "|" + plural)}"
                    } else {
                        key += "{\(count)}"
                    }
                    i = end
                    continue
                case "n": key += "\n"
                case "t": key += "\t"
                case "r": key += "\r"
                case "0": key += "\0"
                case "u":
                    var j = i + 3
                    var hex = ""
                    while j < chars.count, chars[j] != "}" { hex.unicodeScalars.append(chars[j]); j += 1 }
                    if let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) { key.unicodeScalars.append(s) }
                    i = j + 1
                    continue
                default: key.unicodeScalars.append(next)
                }
                i += 2
                continue
            }
            key.unicodeScalars.append(c)
            i += 1
        }
        return nil
    }

    /// The text of an interpolation starting after `\(`, and the index after its `)`.
    static func interpolation(_ chars: [Unicode.Scalar], _ start: Int) -> (String, Int)? {
        var depth = 0
        var i = start
        var text = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\"" {
                // A string inside the interpolation: copy it whole.
                var j = i + 1
                text.unicodeScalars.append(c)
                while j < chars.count, chars[j] != "\"" {
                    if chars[j] == "\\", j + 1 < chars.count {
                        if chars[j + 1] == "(", let (inner, end) = interpolation(chars, j + 2) {
                            text += "\\(" + inner + ")"
                            j = end
                            continue
                        }
                        text.unicodeScalars.append(chars[j])
                        j += 1
                    }
                    text.unicodeScalars.append(chars[j])
                    j += 1
                }
                text += "\""
                i = j + 1
                continue
            }
            if c == "(" || c == "[" { depth += 1 }
            if c == ")" || c == "]" {
                if depth == 0 && c == ")" { return (text, i + 1) }
                depth -= 1
            }
            text.unicodeScalars.append(c)
            i += 1
        }
        return nil
    }

    /// `a, "b", plural: "c"` → `["a", "\"b\"", "plural: \"c\""]`, commas inside brackets or strings kept.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        var previous: Character = " "
        for c in text {
            if c == "\"" && previous != "\\" { inString.toggle() }
            if !inString {
                if c == "(" || c == "[" { depth += 1 }
                if c == ")" || c == "]" { depth -= 1 }
                if c == ",", depth == 0 {
                    parts.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                    previous = c
                    continue
                }
            }
            current.append(c)
            previous = c
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// `"word"` → `word`, for a literal with no escapes or interpolation; nil otherwise.
    static func simpleLiteral(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\""), !t.dropFirst().dropLast().contains("\"") else { return nil }
        return String(t.dropFirst().dropLast())
    }
}
