import Foundation

/// The rectification ledger (整改台账) as a printable table, as CSV for Excel and WPS, and as JSON.
///
/// Pure functions of a ``ProblemLedger``, which holds no problem's detail nor transfer note: a
/// transferred clue shows as "[已移交纪委监委]" beside its summary, in every format.
public enum ProblemLedgerReport {
    public static let schema = "fieldbook.problems/1"

    /// "已移交纪委监委" for a transferred clue, nil otherwise.
    public static func transferMark(_ item: ProblemLedger.Item) -> String? {
        item.transferredTo.map { "已移交\($0.chinese)" }
    }

    // MARK: Table

    /// The ledger for the terminal or the printer: a title, the filters, the table (at most
    /// `width` columns: the text columns shrink), the status words, and a summary in Chinese.
    public static func table(_ ledger: ProblemLedger, width: Int = 80) -> String {
        var out = TextWrap.lines(title(ledger), width: width)
        out += TextWrap.lines(filters(ledger) + "　截至 \(ledger.today)", width: width)
        out.append("")
        if !ledger.items.isEmpty {
            let table = layout(ledger, width: width, oneVillage: ledger.village != nil)
            out.append(table.render(maxWidth: width))
            out.append("")
            out += TextWrap.lines(
                "状态 status：" + ProblemStatus.allCases.map { "\($0.chinese) \($0.rawValue)" }.joined(separator: "，") + "。",
                width: width)
        }
        out += TextWrap.lines(summary(ledger), width: width)
        return out.joined(separator: "\n")
    }

    /// The ledger's columns, as many as fit `width` with the item's text still readable: the day
    /// found goes first, then the category, the responsible person, the village when all items are
    /// in one, the measures (CSV and JSON hold them all).
    static func layout(_ ledger: ProblemLedger, width: Int, oneVillage: Bool) -> TextTable {
        struct Column {
            var column: TextTable.Column
            var floor: Int?
            var cell: (ProblemLedger.Item) -> String
        }
        let itemMinimum = ledger.items.contains(where: \.isTransferred) ? 22 : 12
        let all: [(name: String, Column)] = [
            ("id", Column(column: .init("编号"), floor: nil, cell: \.shortID)),
            ("village", Column(column: .init("村", shrinks: true), floor: 6, cell: \.village)),
            // A transferred item's mark must stay readable: "[已移交纪委监委] " and a few characters.
            ("item", Column(column: .init("问题", shrinks: true, minWidth: itemMinimum), floor: itemMinimum, cell: { item in
                (transferMark(item).map { "[\($0)] " } ?? "") + item.summary
            })),
            ("category", Column(column: .init("类别", shrinks: true), floor: 6, cell: { $0.categoryName ?? "" })),
            ("found", Column(column: .init("发现日期"), floor: nil, cell: \.foundOn)),
            ("responsible", Column(column: .init("责任人", shrinks: true), floor: 6, cell: { $0.responsible ?? "" })),
            ("deadline", Column(column: .init("整改时限"), floor: nil, cell: { $0.deadline ?? "" })),
            ("status", Column(column: .init("状态"), floor: nil, cell: \.status.chinese)),
            ("overdue", Column(column: .init("逾期", alignRight: true), floor: nil, cell: { $0.daysOverdue.map { "\($0)天" } ?? "" })),
            ("measures", Column(column: .init("措施", shrinks: true), floor: 6, cell: { $0.measures ?? "" })),
        ]
        // One village: its name is in the title. Nothing overdue: the column would stay empty.
        var dropped: Set<String> = []
        if oneVillage { dropped.insert("village") }
        if ledger.overdue == 0 { dropped.insert("overdue") }
        var candidates: [Set<String>] = []
        let sameVillage = Set(ledger.items.map(\.villageID)).count <= 1
        for name in ["found", "category", "responsible"] + (sameVillage ? ["village"] : []) + ["measures"] {
            candidates.append(dropped)
            dropped.insert(name)
        }
        candidates.append(dropped)
        func columns(_ without: Set<String>) -> [Column] { all.filter { !without.contains($0.name) }.map(\.1) }
        let chosen = candidates.first { without in
            let cols = columns(without)
            let needed = cols.reduce(2 * (cols.count - 1)) { sum, col in
                let natural = ([col.column.title] + ledger.items.map { col.cell($0).oneLine }).map(DisplayWidth.of).max() ?? 0
                return sum + (col.floor.map { min(natural, $0) } ?? natural)
            }
            return needed <= width
        } ?? dropped
        let cols = columns(chosen)
        var table = TextTable(columns: cols.map(\.column))
        for item in ledger.items { table.add(cols.map { $0.cell(item) }) }
        return table
    }

    static func title(_ ledger: ProblemLedger) -> String {
        let what = ledger.overdueOnly ? "逾期未整改问题" : "整改台账"
        return ledger.village.map { "\($0) \(what)" } ?? what
    }

    static func filters(_ ledger: ProblemLedger) -> String {
        var parts = ["轮次：\(ledger.round ?? "全部")"]
        if let status = ledger.status { parts.append("状态：\(status.chinese)") }
        return parts.joined(separator: "　")
    }

    /// The footer: how many problems, by status, how many overdue and how many clues transferred.
    public static func summary(_ ledger: ProblemLedger) -> String {
        guard !ledger.items.isEmpty else { return ledger.overdueOnly ? "没有逾期未整改的问题。" : "没有问题。" }
        let statuses = ProblemStatus.allCases.compactMap { status -> String? in
            let n = ledger.count(status)
            return n == 0 ? nil : "\(status.chinese) \(n) 个"
        }
        var text = "共 \(ledger.items.count) 个问题：" + statuses.joined(separator: "，")
        text += "；逾期 \(ledger.overdue) 个"
        if ledger.transferred > 0 {
            let by = ClueDestination.allCases.compactMap { d -> String? in
                let n = ledger.items.filter { $0.transferredTo == d }.count
                return n == 0 ? nil : "\(d.chinese) \(n) 条"
            }
            text += "；移交问题线索 \(ledger.transferred) 条（\(by.joined(separator: "，"))）"
        }
        return text + "。"
    }

    // MARK: CSV

    /// The ledger as CSV: UTF-8 with a byte-order mark, CRLF, Chinese headers, every item in
    /// ledger order. No column holds a detail or a transfer note.
    public static func csv(_ ledger: ProblemLedger) -> String {
        var lines = [[
            "编号", "乡镇", "村", "问题", "类别", "类别代码", "发现日期", "责任人", "整改时限", "状态", "status", "整改措施",
            "逾期天数", "整改日期", "验收销号日期", "移交", "移交日期", "轮次",
        ]]
        for item in ledger.items {
            lines.append([
                item.id, item.township ?? "", item.village, item.summary, item.categoryName ?? "", item.categoryKey ?? "",
                item.foundOn, item.responsible ?? "", item.deadline ?? "", item.status.chinese, item.status.rawValue,
                item.measures ?? "", item.daysOverdue.map(String.init) ?? "", item.rectifiedOn ?? item.closedOn ?? "",
                item.verifiedOn ?? "", transferMark(item) ?? "", item.transferredOn ?? "", item.round ?? "",
            ].map(TallyCSV.text))
        }
        return TallyCSV.document(lines)
    }

    // MARK: JSON

    /// The ledger as JSON (schema `fieldbook.problems/1`), keys sorted. A transferred item has
    /// `sensitive: true`; no item has a detail or a transfer note.
    public static func json(_ ledger: ProblemLedger) -> String {
        let optional = { (s: String?) in s.map(JSONValue.string) ?? .null }
        let int = { (n: Int) in JSONValue.int(Int64(n)) }
        let items: [JSONValue] = ledger.items.map { item in
            .object([
                "id": .string(item.id), "township": optional(item.township), "village": .string(item.village),
                "village_id": .string(item.villageID), "round": optional(item.round), "summary": .string(item.summary),
                "category": optional(item.categoryKey), "category_name": optional(item.categoryName),
                "found_on": .string(item.foundOn), "responsible": optional(item.responsible),
                "deadline": optional(item.deadline), "status": .string(item.status.rawValue),
                "status_name": .string(item.status.chinese), "measures": optional(item.measures),
                "rectified_on": optional(item.rectifiedOn), "verified_on": optional(item.verifiedOn),
                "closed_on": optional(item.closedOn), "overdue": .bool(item.isOverdue),
                "days_overdue": item.daysOverdue.map(int) ?? .null,
                "transferred_to": optional(item.transferredTo?.rawValue),
                "transferred_to_name": optional(item.transferredTo?.chinese),
                "transferred_on": optional(item.transferredOn), "sensitive": .bool(item.isTransferred),
            ])
        }
        var byStatus: [String: JSONValue] = [:]
        for status in ProblemStatus.allCases { byStatus[status.rawValue] = int(ledger.count(status)) }
        var byDestination: [String: JSONValue] = [:]
        for d in ClueDestination.allCases { byDestination[d.rawValue] = int(ledger.items.filter { $0.transferredTo == d }.count) }
        return JSONValue.object([
            "schema": .string(schema),
            "as_of": .string(ledger.today),
            "filters": .object([
                "village": optional(ledger.village), "round": optional(ledger.round),
                "status": optional(ledger.status?.rawValue), "overdue": .bool(ledger.overdueOnly),
            ]),
            "items": .array(items),
            "totals": .object([
                "problems": int(ledger.items.count), "overdue": int(ledger.overdue), "status": .object(byStatus),
                "transferred": int(ledger.transferred), "transferred_to": .object(byDestination),
            ]),
        ]).rendered()
    }
}
