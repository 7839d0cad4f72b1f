import Foundation

/// How records, histories and the store's status read on a terminal and in JSON.
///
/// The terminal renderings show every value from data through `oneLine` (``TerminalText``), so a
/// value can neither start a line of its own nor drive the terminal; only the line breaks this
/// type composes separate lines. ``json(_:)`` keeps the exact text.
public enum RecordReport {
    /// One line saying what a record is: kind, id, what and where.
    public static func summary(_ record: Record) -> String {
        "\(kindWord(record.kind)) \(record.id) \(headline(record))".oneLine
    }

    /// A record kind as a message names it: `visit` in English (the word commands take), 入户走访 in Chinese.
    public static func kindWord(_ kind: RecordKind) -> String { Language.current == .zh ? kind.chinese : kind.rawValue }

    /// A problem's status as a message names it: `open` in English (the word `--status` takes), 未整改 in Chinese.
    public static func statusWord(_ status: ProblemStatus) -> String { Language.current == .zh ? status.chinese : status.rawValue }

    /// A fix's status as a message names it: `fixed` in English, 已整改 in Chinese.
    public static func statusWord(_ status: FixStatus) -> String { Language.current == .zh ? status.chinese : status.rawValue }

    /// A clue's destination as a message names it: `discipline` in English (the word `transfer --to`
    /// takes), 纪委监委 in Chinese.
    public static func destinationWord(_ destination: ClueDestination) -> String {
        Language.current == .zh ? destination.chinese : destination.rawValue
    }

    /// The status word of a stored status value: as ``statusWord(_:)`` for a known one, else as stored.
    static func statusWord(_ value: String?, of kind: RecordKind) -> String {
        guard let value else { return "?" }
        if kind == .problem, let status = ProblemStatus(rawValue: value) { return statusWord(status) }
        if kind == .fix, let status = FixStatus(rawValue: value) { return statusWord(status) }
        return value
    }

    /// A line of `fieldbook status`: the label in a column of 10, then the value (`device     …`).
    public static func statusLine(_ label: String, _ value: String) -> String {
        DisplayWidth.pad(label, to: 10) + " " + value
    }

    /// The short description used in lists and one-line confirmations, on one line.
    public static func headline(_ r: Record) -> String { rawHeadline(r).oneLine }

    private static func rawHeadline(_ r: Record) -> String {
        let village = r.labels["village"] ?? "?"
        switch r.kind {
        case .visit:
            let by = r["inspectors"].list
            let household = r.labels["household"] ?? "?"
            let date = r.date ?? ""
            return by.isEmpty
                ? tr("\(household) (\(village)) \(date)")
                : tr("\(household) (\(village)) \(date) by \(by.joined(separator: "、"))")
        case .forum:
            return tr("\(village) \(r.date ?? "") \(Int(r["participants"].int ?? 0), "participant")")
        case .notice:
            return tr("\(village) \(r.date ?? "") \(Int(r["copies"].int ?? 0), "copy", plural: "copies") at \(r["place"].text ?? "?")")
        case .fix:
            return "\(village) \(r.date ?? "") [\(statusWord(r["status"].text, of: .fix))] \(r["problem"].text ?? "")"
        case .problem:
            let transferred = transferredTo(r).map { tr(" [clue transferred to \(destinationWord($0))]") } ?? ""
            return "\(village) \(r.date ?? "") [\(statusWord(r["status"].text, of: .problem))] \(r["summary"].text ?? "")" + transferred
        default:
            return r["name"].text ?? r["code"].text ?? ""
        }
    }

    /// Where a problem's clue was transferred (移交问题线索); nil for any other record.
    public static func transferredTo(_ r: Record) -> ClueDestination? {
        guard r.kind == .problem else { return nil }
        return r["transferred_to"].text.flatMap(ClueDestination.init(rawValue:))
    }

    /// Whether the record holds text that no list or report may show: a transferred clue's detail
    /// and the transfer's note.
    public static func isSensitive(_ r: Record) -> Bool { transferredTo(r) != nil }

    /// The fields of a sensitive record that lists and reports withhold.
    public static let sensitiveFields = ["detail", "transfer_note"]

    /// The line `show` and `history` put above a transferred clue.
    static func sensitiveLine(_ r: Record) -> String? {
        guard let to = transferredTo(r) else { return nil }
        let on = r["transferred_on"].text.map { tr(" on \($0)") } ?? ""
        return tr("sensitive: clue transferred to \(to.chinese) (\(to.rawValue))\(on); keep this screen private")
    }

    /// Every field of one record, a line each.
    public static func detail(_ r: Record, timeZone: TimeZone = .current) -> String {
        var lines = [("\(kindWord(r.kind)) \(r.id)" + (r.deleted ? "  " + tr("(deleted)") : "")).oneLine]
        if let sensitive = sensitiveLine(r) { lines.append(sensitive.oneLine) }
        var table: [(String, String)] = []
        for spec in r.kind.fields {
            let value = r[spec.name]
            var name = spec.name
            var text = r.labels[spec.name] ?? plain(value)
            if spec.name == "priority" {
                text = value.list.compactMap { PriorityKind(rawValue: $0)?.chinese }.joined(separator: "、")
            }
            if r.kind == .problem {
                switch spec.name {
                case "status":
                    text = ProblemStatus(rawValue: value.text ?? "").map { "\($0.chinese) (\($0.rawValue))" } ?? text
                case "category":
                    if let key = value.text, let label = r.labels["category"], label != key { text = "\(label) (\(key))" }
                case "transferred_to":
                    text = ClueDestination(rawValue: value.text ?? "").map { "\($0.chinese) (\($0.rawValue))" } ?? text
                case let field where isSensitive(r) && sensitiveFields.contains(field):
                    name += tr(" [sensitive]")
                default:
                    break
                }
            }
            if text.isEmpty || text == "—", !spec.required { continue }
            table.append((name, text))
        }
        if r.kind == .visit, let village = r.labels["village"] { table.insert(("village", village), at: 2) }
        table.append((tr("recorded by"), r.createdByName))
        table.append((tr("recorded at"), r.createdAt.formatted(in: timeZone)))
        if r.updatedAt != r.createdAt { table.append((tr("last change"), r.updatedAt.formatted(in: timeZone))) }
        let width = table.map { DisplayWidth.of($0.0) }.max() ?? 0
        lines += table.map { "  " + DisplayWidth.pad($0.0, to: width) + "  " + $0.1.oneLine }
        return lines.joined(separator: "\n")
    }

    static func plain(_ value: FieldValue) -> String {
        switch value {
        case .null: "—"
        case .int(let n): String(n)
        case .text(let s): s
        case .list(let items): items.joined(separator: "、")
        }
    }

    /// Records as a table, ids first so they can be copied into `edit`, `delete` and `show`.
    /// `shortIDs` maps ids to the prefixes to show (``Store/shortIDs(for:)``); full ids otherwise.
    public static func table(_ records: [Record], shortIDs: [String: String] = [:], maxWidth: Int = 80) -> String {
        guard !records.isEmpty else { return tr("No records.") }
        var table = TextTable(columns: [
            .init(tr("id")), .init(tr("kind")), .init(tr("date")), .init(tr("village"), shrinks: true), .init(tr("what"), shrinks: true),
        ])
        for r in records {
            let what: String
            switch r.kind {
            case .visit:
                what = [r.labels["household"], r["note"].text, r["issues"].text].compactMap { $0 }.joined(separator: " · ")
            case .forum:
                what = tr("\(Int(r["participants"].int ?? 0), "person", plural: "people")") + (r["topics"].list.isEmpty ? "" : " · " + r["topics"].list.joined(separator: "、"))
            case .notice:
                what = tr("\(Int(r["copies"].int ?? 0), "copy", plural: "copies") · \(r["place"].text ?? "")")
            case .fix:
                what = "[\(statusWord(r["status"].text, of: .fix))] \(r["problem"].text ?? "")"
            case .problem:
                let status = statusWord(r["status"].text, of: .problem)
                what = "[\(status)" + (transferredTo(r).map { tr("·clue to \(destinationWord($0))") } ?? "") + "] \(r["summary"].text ?? "")"
            default:
                what = headline(r)
            }
            let village = (r.labels["village"] ?? "?").split(separator: "/").last.map(String.init) ?? "?"
            table.add([shortIDs[r.id] ?? r.id, kindWord(r.kind), r.date ?? "", village, (r.deleted ? tr("[deleted]") + " " : "") + what])
        }
        return table.render(maxWidth: maxWidth)
    }

    /// A record as a JSON object: fields by name, references as ids plus readable names.
    ///
    /// A transferred clue has `sensitive: true`; its detail and transfer note are null, and named
    /// in `withheld`, unless `revealSensitive` (`show --json`, the one place that prints them).
    public static func json(_ r: Record, revealSensitive: Bool = false) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(r.id), "kind": .string(r.kind.rawValue), "deleted": .bool(r.deleted),
            "recorded_by": .string(r.createdByName), "recorded_by_device": .string(r.createdBy),
            "recorded_at": .string(r.createdAt.description), "updated_at": .string(r.updatedAt.description),
        ]
        for spec in r.kind.fields {
            let value = r[spec.name]
            if case .reference = spec.type {
                object[spec.name + "_id"] = JSONValue(value)
                object[spec.name] = r.labels[spec.name].map(JSONValue.string) ?? .null
            } else {
                object[spec.name] = JSONValue(value)
            }
        }
        if r.kind == .visit { object["village"] = r.labels["village"].map(JSONValue.string) ?? .null }
        if r.kind == .problem {
            object["category_name"] = r.labels["category"].map(JSONValue.string) ?? .null
            object["status_name"] = ProblemStatus(rawValue: r["status"].text ?? "").map { .string($0.chinese) } ?? .null
            object["transferred_to_name"] = transferredTo(r).map { .string($0.chinese) } ?? .null
            object["sensitive"] = .bool(isSensitive(r))
            if isSensitive(r), !revealSensitive {
                for field in sensitiveFields { object[field] = .null }
                object["withheld"] = .array(sensitiveFields.map(JSONValue.string))
            }
        }
        return .object(object)
    }

    /// A record's history, oldest change first.
    /// A transferred clue's detail and note are withheld: `show` is the one place that prints them.
    public static func history(_ record: Record, _ entries: [HistoryEntry], timeZone: TimeZone = .current) -> String {
        var lines = [summary(record)]
        if let sensitive = sensitiveLine(record) { lines.append(sensitive) }
        for entry in entries {
            lines.append(tr("\(entry.hlc.formatted(in: timeZone))  \(opWord(entry.op)) by \(entry.deviceName) (change \(entry.version.seq))"))
            for change in entry.fields {
                let field = change.field == deletedField ? tr("deleted") : change.field
                if isSensitive(record), sensitiveFields.contains(change.field) {
                    lines.append("    \(field): " + tr("(sensitive: `fieldbook show \(record.id.prefix(13))` prints it)"))
                    continue
                }
                let to = change.field == deletedField ? (change.to == .int(1) ? tr("yes") : tr("no")) : change.toLabel
                if let from = change.fromLabel {
                    let before = change.field == deletedField ? (change.from?.first == .int(1) ? tr("yes") : tr("no")) : from
                    lines.append("    \(field): \(before) → \(to)")
                } else {
                    lines.append("    \(field): \(to)")
                }
            }
        }
        // Each line is composed as one line: what a value holds must not break it.
        return lines.map(\.oneLine).joined(separator: "\n")
    }

    /// What a change did, as the history names it.
    static func opWord(_ op: ChangeOp) -> String {
        switch op {
        case .create: tr("create")
        case .update: tr("update")
        case .delete: tr("delete")
        }
    }

    /// What `fieldbook status` prints.
    public static func status(_ s: StoreStatus, timeZone: TimeZone = .current) -> String {
        let role = s.role == "central" ? tr("central") : s.role == "field" ? tr("field") : s.role
        var lines = [
            statusLine(tr("device"), tr("\(s.deviceName) (\(role), id \(s.deviceID))")),
            statusLine(tr("team"), s.team ?? "—"),
            statusLine(tr("round"), s.round ?? tr("— (set one with `fieldbook round NAME`)")),
            statusLine(tr("inspectors"), s.inspectors.isEmpty ? "—" : s.inspectors.joined(separator: "、")),
            statusLine(tr("roster"), tr("\(s.counts[.township] ?? 0, "township"), \(s.counts[.village] ?? 0, "village"), \(s.counts[.household] ?? 0, "household")")),
        ].map(\.oneLine)
        var table = TextTable(columns: [.init(tr("record")), .init(tr("live"), alignRight: true), .init(tr("deleted"), alignRight: true)])
        for kind in RecordKind.fieldKinds {
            let name = Language.current == .zh ? kind.chinese : "\(kind.plural) \(kind.chinese)"
            table.add([name, String(s.counts[kind] ?? 0), String(s.deletedCounts[kind] ?? 0)])
        }
        lines.append("")
        lines.append(table.render())
        let problems = s.problemStatuses.values.reduce(0, +)
        if problems > 0 {
            let byStatus = ProblemStatus.allCases.compactMap { status in
                s.problemStatuses[status].flatMap { $0 > 0 ? tr("\($0) \(status.rawValue) \(status.chinese)") : nil }
            }
            lines.append("")
            lines.append(statusLine(
                tr("problems"),
                tr("\(byStatus.joined(separator: tr(", "))); \(s.problemsOverdue) overdue, \(s.cluesTransferred, "clue") transferred")))
        }
        lines.append("")
        lines.append(statusLine(tr("changes"), tr("\(s.changes) in the log, \(s.ownChanges) made here, \(s.unpacked) not yet packed")))
        if s.conflicts > 0 { lines.append(statusLine(tr("conflicts"), tr("\(s.conflicts) to review (`fieldbook conflicts`)"))) }
        if let last = s.lastChange { lines.append(statusLine(tr("last"), last.formatted(in: timeZone))) }
        return lines.joined(separator: "\n")
    }
}
