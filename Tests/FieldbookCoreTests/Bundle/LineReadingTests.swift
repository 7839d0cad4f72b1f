import Foundation
import Testing

@testable import FieldbookCore

/// The shortcuts the line reader takes for speed (issue 10) against the plain definitions they
/// stand for: the field-name table against ``RecordKind/fields``, the byte-level UTF-8 and number
/// reading against the standard library's, a text or device id lent by the line before against
/// reading it afresh, and the sequence numbers' ranges against a set.
@Suite struct LineReadingTests {
    /// Every name any kind defines, `_deleted`, and near misses of them.
    static let names: [String] = {
        var names = Set(RecordKind.allCases.flatMap { $0.fields.map(\.name) })
        names.insert(deletedField)
        for name in Array(names) {
            names.insert(String(name.dropLast()))
            names.insert(name + "s")
            names.insert(name.uppercased())
            names.insert(" " + name)
            names.insert(name + "\u{301}")
            names.insert(String(name.reversed()))
        }
        names.formUnion(["", "id", "_", "deleted", "village_id", "ｎame", "name\u{0}", String(repeating: "a", count: 70)])
        return names.sorted()
    }()

    @Test func theFieldTableAgreesWithEveryKindsFields() {
        #expect(FieldNames.table.names.count < 128)
        for kind in RecordKind.allCases {
            #expect(kind.fields.count <= FieldNames.Table.maxFields)
            for name in Self.names {
                let plain = kind.fields.firstIndex { $0.name == name }
                #expect(kind.fieldIndex(name) == plain, "\(kind) \(name)")
                #expect(kind.field(name) == plain.map { kind.fields[$0] }, "\(kind) \(name)")
            }
            for (index, spec) in kind.fields.enumerated() {
                let target: RecordKind? = if case .reference(let target) = spec.type { target } else { nil }
                #expect(kind.referenceTarget(index) == target, "\(kind) \(spec.name)")
            }
        }
        for name in Self.names {
            let known = name == deletedField || RecordKind.allCases.contains { kind in kind.fields.contains { $0.name == name } }
            #expect((FieldNames.id(name) != nil) == known, "\(name)")
            if let id = FieldNames.id(name) { #expect(FieldNames.table.names[id] == name) }
        }
    }

    @Test func utf8IsCheckedAsTheStandardLibraryChecksIt() {
        var cases: [[UInt8]] = [
            [], [0x41], [0xC2, 0x80], [0xC1, 0xBF], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC2], [0xE4, 0xB8], [0x80], [0xFF], [0xE4, 0xB8, 0xAD, 0x41],
        ]
        // Every one- and two-byte sequence, and pseudo-random longer ones rich in high bytes.
        for a in 0...255 {
            cases.append([UInt8(a)])
            for b in stride(from: 0, through: 255, by: 3) { cases.append([UInt8(a), UInt8(b)]) }
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<(1 + Int(seed % 7)) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let r = UInt8(truncatingIfNeeded: seed >> 33)
                bytes.append(r < 0x40 ? r : 0x80 | r)
            }
            cases.append(bytes)
        }
        for bytes in cases {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBufferPointer { ChangeLineParser.Reader.isUTF8($0) } == expected, "\(bytes)")
        }
    }

    /// A notice create whose `copies` is spelled `number`.
    func notice(copies number: String) -> String {
        #"{"base":{},"device":"91c64fe0-7a95-42b7-bab1-22973a4f2bea","fields":{"_deleted":0,"copies":"#
            + number
            + #","date":"2026-03-02","place":"村委会","round":"b59547ce-8428-89ec-a757-8de5f8332a13","village":"30df5349-87e9-8292-be73-b9a2f7b0ca54"},"hlc":1,"kind":"notice","op":"create","record":"019cac0f-2681-745a-86d6-404e8aa20a17","seq":1}"#
    }

    /// A notice create whose `place` is spelled `text` between its quotes.
    func notice(place text: String) -> String {
        notice(copies: "3").replacingOccurrences(of: #""place":"村委会""#, with: #""place":""# + text + #"""#)
    }

    /// The reader steps over eight bytes at a time: a quote, a backslash, a control character or
    /// the line's end is found at every place within those eight.
    @Test func stringsEndWhereverTheirQuoteFalls() {
        for k in 0..<24 {
            let pad = String(String(repeating: "村a委b会cd", count: 4).prefix(k))
            for tail in ["", "x", "1234567", "12345678", "中文中文中文"] {
                guard case .success(let line) = parse(notice(place: pad + #"\""# + tail)) else {
                    Issue.record("\(k) \(tail)")
                    continue
                }
                #expect(line.values["place"] == .text(pad + "\"" + tail))
                #expect(line.values["round"] == .text("b59547ce-8428-89ec-a757-8de5f8332a13"))
                for control in ["\u{01}", "\u{1F}", "\n", "\t"] {
                    guard case .failure(let failure) = parse(notice(place: pad + control + tail)) else {
                        Issue.record("\(k) \(tail): a control character read")
                        continue
                    }
                    #expect(failure.reason == tr("has a control character inside a string"))
                }
                guard case .success(let plain) = parse(notice(place: pad + tail)) else {
                    Issue.record("\(k) \(tail) plain")
                    continue
                }
                #expect(plain.values["place"] == .text(pad + tail))
            }
            let cut = #"{"base":{},"fields":{"place":""# + pad
            guard case .failure(let failure) = parse(cut) else {
                Issue.record("\(k): a cut line read")
                continue
            }
            #expect(failure.reason == tr("ends inside a string"))
        }
    }

    /// A string of many escapes between letters: its text was built by appending each run to a
    /// `String.UnicodeScalarView`, which grows in time with the square of the runs (a field of a
    /// megabyte took 3.8 s; this one about five minutes). It reads in a moment now (the rules,
    /// checked after the line is read, then refuse a place this long).
    @Test(.timeLimit(.minutes(1))) func manyEscapesReadInTime() {
        let runs = 3_000_000
        let parts = notice(copies: "3").components(separatedBy: "村委会")
        guard case .success(let line) = parse(parts[0] + String(repeating: #"a\n"#, count: runs) + parts[1]) else {
            Issue.record("a place of many escapes did not read")
            return
        }
        #expect(line.values["place"] == .text(String(repeating: "a\n", count: runs)))
        guard case .success(let line) = parse(notice(place: #"a\nb\u00e9\ud83d\ude00\\c"#)) else {
            Issue.record("a place with escapes did not read")
            return
        }
        #expect(line.values["place"] == .text("a\nbé😀\\c"))
    }

    func parse(_ line: String, previous: ChangeLine? = nil, texts: Bool = true) -> Result<ChangeLine, ChangeLineParser.Failure> {
        var line = line
        return line.withUTF8 { bytes in
            Result { () throws(ChangeLineParser.Failure) in
                try ChangeLineParser.parse(UnsafeRawBufferPointer(bytes), previous: previous, texts: texts)
            }
        }
    }

    @Test func wholeNumbersAreReadAsInt64ReadsThem() {
        let numbers = [
            "0", "-0", "1", "42", "-7", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "-9223372036854775809", "18446744073709551616", "1.0", "1e3", "-1E-2", "0.5", "99999999999999999999999",
        ]
        for number in numbers {
            switch parse(notice(copies: number)) {
            case .success(let line):
                #expect(Int64(number) != nil, "\(number)")
                #expect(line.values["copies"] == .int(Int64(number)!), "\(number)")
            case .failure(let failure):
                #expect(Int64(number) == nil, "\(number): \(failure.reason)")
                #expect(failure.reason.contains("copies"), "\(number): \(failure.reason)")
            }
        }
    }

    /// `textProblem` as it read a text scalar by scalar before it read the UTF-8 bytes.
    static func textProblemByScalars(_ text: String, maxLength: Int, multiline: Bool, allowsInvisible: Bool) -> String? {
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            let v = scalar.value
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) {
                if multiline, v == 0x0A || v == 0x09 { continue }
                return tr("it holds the control character U+\(ChangeRules.hex4(v)); remove it")
            }
            if !allowsInvisible, v >= 0xAD, !(0x2E80...0xFDFF).contains(v), scalar.properties.generalCategory == .format {
                return tr("it holds the invisible formatting character U+\(ChangeRules.hex4(v)); remove it")
            }
        }
        if count > maxLength { return tr("it is \(count) characters long; at most \(maxLength) are allowed") }
        return nil
    }

    @Test func textProblemsAreFoundAsScalarByScalar() {
        let pieces = ["a", "中", "é", "\u{301}", "\n", "\t", "\r", "\u{0}", "\u{1F}", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}", "\u{AD}",
                      "\u{200B}", "\u{200D}", "\u{202E}", "\u{2060}", "\u{FEFF}", "\u{E0001}", "\u{1F600}", "\u{10FFFF}", "\u{FFFD}", " "]
        var texts = [""] + pieces
        var seed: UInt64 = 11
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<(seed % 9) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += pieces[Int(seed >> 33) % pieces.count]
            }
            texts.append(text)
        }
        for text in texts {
            for (maxLength, multiline, allowsInvisible) in [(200, false, true), (4, true, true), (3, false, false), (8, true, false)] {
                #expect(
                    ChangeRules.textProblem(text, maxLength: maxLength, multiline: multiline, allowsInvisible: allowsInvisible)
                        == Self.textProblemByScalars(text, maxLength: maxLength, multiline: multiline, allowsInvisible: allowsInvisible),
                    "\(text.unicodeScalars.map(\.value))")
            }
        }
    }

    @Test func datesAreCheckedDigitByDigit() {
        for text in ["2026-03-02", "2024-02-29", "2023-02-29", "1900-01-01", "1899-12-31", "2200-12-31", "2201-01-01", "2026-13-01",
                     "2026-00-10", "2026-04-31", "2026-04-30", "2026-4-30", "2026/04/30", "２026-04-30", "2026-04-3a", ""] {
            let expected: Bool = {
                let parts = text.split(separator: "-", omittingEmptySubsequences: false)
                guard text.utf8.count == 10, parts.count == 3, parts.map(\.utf8.count) == [4, 2, 2],
                    let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), parts.allSatisfy({ $0.allSatisfy(\.isASCII) })
                else { return false }
                var c = DateComponents()
                (c.year, c.month, c.day) = (y, m, d)
                let calendar = Calendar(identifier: .gregorian)
                return (1900...2200).contains(y) && c.isValidDate(in: calendar)
            }()
            #expect(FieldDate.isCanonical(text) == expected, "\(text)")
        }
    }

    @Test func blankIsEveryCharacterWhitespace() {
        var texts = ["", " ", "\t\n", "\r\n", "a", " a", "中", "　", "\u{3000}中", "\u{85}", "\u{A0}", "\u{1680}", "\u{2028}", "\u{202F}",
                     "\u{205F}", "\u{200B}", "\u{FEFF}", " \u{301}", "\u{301}", "\u{180E}", "\u{1F600}", "한", "カ", "ｎ", "\u{D7FF}x"]
        for v in 0..<0x3100 where v < 0xD800 {
            let scalar = Unicode.Scalar(UInt32(v))!
            texts.append(String(scalar))
            texts.append(String(scalar) + "x")
        }
        for text in texts {
            #expect(ChangeRules.isBlank(text) == text.allSatisfy(\.isWhitespace), "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test func sequencesAreASet() {
        var sequences = BundleChecks.Sequences()
        var set = Set<Int64>()
        var seed: UInt64 = 7
        var next: Int64 = 1
        for _ in 0..<5_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let seq: Int64
            switch seed >> 61 {
            case 0, 1, 2, 3: seq = next; next += 1  // in order
            case 4: seq = max(1, next - Int64(seed >> 50 & 15))  // again, lately
            case 5: seq = next + Int64(seed >> 50 & 7)  // ahead
            default: seq = 1 + Int64(seed >> 40 & 4095)  // anywhere
            }
            #expect(sequences.insert(seq) == set.insert(seq).inserted, "\(seq)")
        }
        #expect(sequences.insert(Int64.max) && !sequences.insert(Int64.max))
    }

    /// Every line seed read alone, after every other seed (lending its device id and texts), and
    /// without texts: the same verdict, the same values.
    @Test func aLineReadsTheSameWhateverCameBefore() throws {
        let folder = BundleFuzzingTests.corpus + "/line"
        var lines: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
            lines += text.split(separator: "\n").map(String.init)
        }
        // The same device and texts at the same places, or a text one byte longer or shorter.
        let visit = lines.first { $0.contains(#""kind":"visit""#) && $0.contains(#""op":"create""#) }!
        lines += [
            visit.replacingOccurrences(of: #""seq":"#, with: #""seq":1"#),
            visit.replacingOccurrences(of: #""met":""#, with: #""met":"x"#),
            visit.replacingOccurrences(of: #""date":"2026-03-02""#, with: #""date":"2026-03-0""#),
            visit.replacingOccurrences(of: "91c64fe0", with: "91c64fe1"),
        ]
        let alone = lines.map { parse($0) }
        for (i, line) in lines.enumerated() {
            for previous in alone {
                guard case .success(let previous) = previous else { continue }
                for texts in [true, false] {
                    switch (alone[i], parse(line, previous: previous, texts: texts)) {
                    case (.success(let a), .success(let b)):
                        #expect(a.device == b.device && a.record == b.record && a.seq == b.seq && a.kind == b.kind && a.op == b.op)
                        #expect(a.values == b.values && a.entries.map(\.spec) == b.entries.map(\.spec) && a.replaced == b.replaced)
                        #expect(texts ? (a.fields == b.fields && a.base == b.base) : (b.fields.isEmpty && b.base.isEmpty))
                    case (.failure(let a), .failure(let b)):
                        #expect(a.reason == b.reason)
                    default:
                        Issue.record("line \(i) read differently after another line")
                    }
                }
            }
        }
    }

    /// The parser places each name in its kind's fields as ``LineField`` does from the name alone.
    @Test func theParserPlacesFieldsAsTheirKindDefinesThem() throws {
        let folder = BundleFuzzingTests.corpus + "/line"
        var read = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
            for line in text.split(separator: "\n").map(String.init) {
                guard case .success(let line) = parse(line) else { continue }
                read += 1
                #expect(line.entries.map(\.spec) == line.entries.map { LineField(line.kind, name: $0.name, value: $0.value).spec }, "\(name)")
                #expect(line.entries.contains { $0.spec == LineField.deleted })
            }
        }
        #expect(read >= 10)
    }
}
