/// How many terminal columns text takes: East Asian wide and fullwidth characters take two,
/// combining marks none.
public enum DisplayWidth {
    public static func of(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        // Fast paths: printable ASCII and the common CJK block need no property lookup.
        if v >= 0x20 && v < 0x7F { return 1 }
        if v >= 0x4E00 && v <= 0x9FFF { return 2 }
        if v == 0 { return 0 }
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v == 0x200B || v == 0x200C || v == 0x200D || (0xFE00...0xFE0F).contains(v) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return 0
        default: break
        }
        return isWide(v) ? 2 : 1
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
            0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
            0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
            0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
            0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
            0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
            0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F,
            0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF,
            0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `text` cut to at most `width` columns, ending in … when cut.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard of(text) > width else { return text }
        guard width > 1 else { return width == 1 ? "…" : "" }
        var result = ""
        var used = 0
        for character in text {
            let w = of(String(character))
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// `text` padded with spaces to `width` columns.
    public static func pad(_ text: String, to width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - of(text)))
        return right ? fill + text : text + fill
    }
}

extension String {
    /// The text as one terminal line: line breaks, tabs, terminal controls and bidi controls are
    /// shown escaped (``terminalSafe``, e.g. a line feed as `\u{A}`), so a value from a bundle
    /// cannot break a table row, forge a line of a one-line message, move the cursor or reorder
    /// the text. Widths measured on the result line up: every escape is printable ASCII.
    public var oneLine: String { terminalSafe }
}

/// A plain-text table that lines up with Chinese text, fits a width, and can end in a totals row.
public struct TextTable: Sendable {
    public struct Column: Sendable {
        public var title: String
        public var alignRight: Bool
        /// Whether this column may be cut to fit the width (long notes yes, ids and counts no).
        public var shrinks: Bool
        /// The narrowest a shrinking column is cut to (default: 6, or its title's width if wider).
        public var minWidth: Int?

        public init(_ title: String, alignRight: Bool = false, shrinks: Bool = false, minWidth: Int? = nil) {
            self.title = title
            self.alignRight = alignRight
            self.shrinks = shrinks
            self.minWidth = minWidth
        }
    }

    public var columns: [Column]
    public var rows: [[String]] = []
    public var totals: [String]?

    public init(columns: [Column]) { self.columns = columns }

    public mutating func add(_ row: [String]) { rows.append(row.map(\.oneLine)) }

    /// The table as lines no wider than `maxWidth` columns (when the fixed columns allow it).
    public func render(maxWidth: Int = 80) -> String {
        let titles = columns.map(\.title.oneLine)
        // Cells set through `rows` directly, not `add`, are made one line here too (it is idempotent).
        let rows = self.rows.map { $0.map(\.oneLine) }
        let totals = self.totals?.map(\.oneLine)
        let all = rows + (totals.map { [$0] } ?? [])
        var widths = columns.indices.map { i in
            ([DisplayWidth.of(titles[i])] + all.map { DisplayWidth.of($0.indices.contains(i) ? $0[i] : "") }).max() ?? 0
        }
        let gap = 2
        func total() -> Int { widths.reduce(0, +) + gap * max(0, widths.count - 1) }
        let shrinkable = columns.indices.filter { columns[$0].shrinks }
        func minimum(_ i: Int) -> Int { max(columns[i].minWidth ?? 6, DisplayWidth.of(titles[i])) }
        while total() > maxWidth {
            // The widest column that may still be cut.
            guard let widest = shrinkable.filter({ widths[$0] > minimum($0) }).max(by: { widths[$0] < widths[$1] })
            else { break }
            widths[widest] -= 1
        }
        func line(_ cells: [String]) -> String {
            columns.indices.map { i in
                let cell = DisplayWidth.truncate(cells.indices.contains(i) ? cells[i] : "", to: widths[i])
                return i == columns.count - 1 && !columns[i].alignRight
                    ? cell : DisplayWidth.pad(cell, to: widths[i], right: columns[i].alignRight)
            }.joined(separator: String(repeating: " ", count: gap))
        }
        var out = [line(titles), String(repeating: "-", count: total())]
        out += rows.map(line)
        if let totals {
            out.append(String(repeating: "-", count: total()))
            out.append(line(totals))
        }
        return out.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }
}
