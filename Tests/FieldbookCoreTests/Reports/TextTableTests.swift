import Testing

@testable import FieldbookCore

@Suite struct TextTableTests {
    @Test func chineseCharactersTakeTwoColumns() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("东关村") == 6)
        #expect(DisplayWidth.of("五保户 A1") == 9)
        #expect(DisplayWidth.of("，、（）") == 8)
        #expect(DisplayWidth.of("e\u{301}") == 1)
    }

    @Test func columnsLineUpWithChineseText() {
        var table = TextTable(columns: [.init("village"), .init("households", alignRight: true), .init("head")])
        table.add(["东关村", "12", "张建国"])
        table.add(["Xinhua", "7", "Li"])
        table.add(["新华社区居委会", "1234", "赵"])
        table.totals = ["合计", "1253", ""]
        let lines = table.render().split(separator: "\n").map(String.init)
        let dataLines = lines.filter { !$0.hasPrefix("-") }
        let ends = dataLines.map { line -> Int in
            // Display column where the right-aligned count ends.
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let count = String(parts[1])
            let prefix = line.components(separatedBy: count)[0]
            return DisplayWidth.of(prefix) + DisplayWidth.of(count)
        }
        #expect(Set(ends).count == 1, "counts end at one column: \(lines.joined(separator: "\n"))")
    }

    @Test func longCellsAreCutToFitTheWidth() {
        var table = TextTable(columns: [.init("id"), .init("note", shrinks: true)])
        table.add(["01a1fb9e-0685", String(repeating: "户主反映低保评定不透明", count: 10)])
        let lines = table.render(maxWidth: 80).split(separator: "\n")
        #expect(lines.allSatisfy { DisplayWidth.of(String($0)) <= 80 })
        #expect(lines[2].hasSuffix("…"))
        #expect(lines[2].hasPrefix("01a1fb9e-0685"))
    }
}
