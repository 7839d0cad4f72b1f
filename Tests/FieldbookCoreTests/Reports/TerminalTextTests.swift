import Testing

@testable import FieldbookCore

/// Text from bundles shown on a terminal: every character that could drive the terminal, break a
/// line or reorder the text is escaped as `\u{HEX}`, and nothing else is touched.
@Suite struct TerminalTextTests {
    /// Every character the escaping must catch, by class.
    static let classes: [(name: String, scalars: [UInt32])] = [
        ("C0 controls", Array(0x00...0x1F)),
        ("DEL", [0x7F]),
        ("C1 controls", Array(0x80...0x9F)),
        ("line and paragraph separators", [0x2028, 0x2029]),
        ("bidi embeddings and overrides", Array(0x202A...0x202E)),
        ("bidi isolates", Array(0x2066...0x2069)),
        ("bidi marks", [0x200E, 0x200F, 0x061C]),
    ]

    @Test("each control, line break and bidi character reads as \\u{HEX}", arguments: classes)
    func everyClassIsEscaped(_ c: (name: String, scalars: [UInt32])) {
        for value in c.scalars {
            let scalar = Unicode.Scalar(value)!
            let text = "村" + String(Character(scalar)) + "名"
            let expected = "村\\u{" + String(value, radix: 16, uppercase: true) + "}名"
            #expect(text.terminalSafe == expected, "\(c.name): U+\(String(value, radix: 16))")
            #expect(text.oneLine == expected, "\(c.name): U+\(String(value, radix: 16))")
            #expect(text.terminalSafe.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F || $0.value > 0xFF })
        }
    }

    /// A message quoting a long value full of characters to escape (a roster's header of NUL
    /// bytes, a note of overrides) was escaped by appending to a `String.UnicodeScalarView`, in
    /// time growing with the square of its length: 256 KB of NUL bytes took 102 s.
    @Test(.timeLimit(.minutes(1))) func longTextsEscapeInTime() {
        for scalar in ["\u{0}", "\u{202E}"] {
            let text = String(repeating: scalar + "x", count: 500_000)
            let escaped = text.terminalSafe
            let one = TerminalText.escaped(scalar.unicodeScalars.first!) + "x"
            #expect(escaped.utf8.count == 500_000 * one.utf8.count)
            #expect(escaped.hasPrefix(one + one) && escaped.hasSuffix(one + one))
        }
    }

    @Test("escape sequences, line breaks and overrides become visible text")
    func examples() {
        #expect("\u{1B}[2J".terminalSafe == "\\u{1B}[2J")
        #expect("\u{1B}]0;title\u{07}".terminalSafe == "\\u{1B}]0;title\\u{7}")
        #expect("一行\n二行\r\n三行\u{85}四\u{2028}五".terminalSafe == "一行\\u{A}二行\\u{D}\\u{A}三行\\u{85}四\\u{2028}五")
        #expect("abc\u{202E}fed".terminalSafe == "abc\\u{202E}fed")
        #expect("a\tb\u{0}c\u{7F}".terminalSafe == "a\\u{9}b\\u{0}c\\u{7F}")
        // A combining mark after an escaped control stays after the escape, not on the control.
        #expect("\u{1B}\u{301}".terminalSafe == "\\u{1B}\u{301}")
    }

    @Test("plain Chinese text, punctuation and other scripts are left as they are")
    func plainTextUntouched() {
        let texts = [
            "城关镇/东关村", "户主外出务工，家属接待。", "低保户;五保户、危房改造户", "「引号」（括号）【方括号】《书名》",
            "ASCII punctuation !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "emoji 🙂 and 𠀀", "عربي עברית", "café e\u{301}",
            "zero\u{200B}width\u{200D}joiner", "“quotes” — dash … ellipsis ‘’", "",
        ]
        for text in texts {
            #expect(text.terminalSafe == text)
            #expect(text.oneLine == text)
        }
    }

    @Test("escaping twice gives the same text as escaping once")
    func idempotent() {
        var all = ""
        for c in Self.classes { for v in c.scalars { all.unicodeScalars.append(Unicode.Scalar(v)!) } }
        for text in [all, "东关村\u{1B}[2J\n\u{202E}rejected", "\\u{1B} already", "plain 文本"] {
            let once = text.terminalSafe
            #expect(once.terminalSafe == once)
            #expect(once.oneLine == once)
            #expect(TerminalText.escape(once, keepingLineFeeds: true) == once)
        }
    }

    @Test("keeping line feeds escapes everything else, carriage returns included")
    func keepingLineFeeds() {
        let text = "第一行\n第二行\u{1B}[K\r\u{202E}x\u{2028}y"
        #expect(TerminalText.escape(text, keepingLineFeeds: true) == "第一行\n第二行\\u{1B}[K\\u{D}\\u{202E}x\\u{2028}y")
    }

    @Test("a table measures the escaped text, so its columns stay aligned")
    func tableAlignsEscapedCells() {
        var table = TextTable(columns: [.init("village"), .init("households", alignRight: true), .init("head")])
        table.add(["东关村\u{1B}[2J", "12", "张\u{202E}建国"])
        table.add(["西河村\nrejected", "7", "李"])
        table.add(["新华社区", "1234", "赵"])
        table.totals = ["合计\u{85}", "1253", ""]
        let text = table.render()
        #expect(!text.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\n" }, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(text)")
        #expect(lines[2].hasPrefix("东关村\\u{1B}[2J"))
        #expect(lines[3].hasPrefix("西河村\\u{A}rejected"))
        let ends = lines.filter { !$0.hasPrefix("-") }.dropFirst().map { line -> Int in
            let count = String(line.split(separator: " ", omittingEmptySubsequences: true)[1])
            let prefix = line.components(separatedBy: " " + count)[0]
            return DisplayWidth.of(prefix) + 1 + DisplayWidth.of(count)
        }
        #expect(Set(ends).count == 1, "counts end at one column: \(text)")
    }

    @Test("a record's detail, history line and headline show a value's controls escaped, each on its own line")
    func recordReportEscapes() throws {
        let record = Record(
            kind: .visit, id: "0190a3b4-5c6d-7000-8000-000000000001",
            values: ["household": .text("H1"), "date": .text("2026-11-21"), "note": .text("好\u{1B}[2J\nrejected\u{202E}")],
            labels: ["household": "H1 张\u{1B}]0;t\u{07}三", "village": "城关镇/东关村\u{202E}"],
            deleted: false, createdBy: "d1", createdByName: "笔记本\u{1B}[2J\nFORGED",
            createdAt: HybridTimestamp(millis: 1_795_222_800_000, counter: 0),
            updatedAt: HybridTimestamp(millis: 1_795_222_800_000, counter: 0))
        for text in [RecordReport.detail(record, timeZone: .gmt), RecordReport.summary(record), RecordReport.headline(record),
                     RecordReport.table([record])] {
            #expect(!text.unicodeScalars.contains { TerminalText.needsEscape($0) && $0 != "\n" }, "\(text)")
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("rejected") || $0.hasPrefix("FORGED") }, "\(text)")
        }
        #expect(RecordReport.detail(record, timeZone: .gmt).contains("笔记本\\u{1B}[2J\\u{A}FORGED"))
        // JSON keeps the exact text.
        let json = RecordReport.json(record)
        guard case .object(let object) = json else { Issue.record("not an object"); return }
        #expect(object["note"] == .string("好\u{1B}[2J\nrejected\u{202E}"))
        #expect(object["recorded_by"] == .string("笔记本\u{1B}[2J\nFORGED"))
    }
}
