import Foundation

/// The team leader's evening list of households not yet visited, for the terminal or the printer.
public enum PendingTable {
    public static func render(_ list: PendingList, language: ReportLanguage = .zh, width: Int = 80) -> String {
        let l = TallyLabels(language)
        var out = TextWrap.lines(l.pendingTitle(list), width: width)
        out += TextWrap.lines(l.pendingFilters(list) + (language == .zh ? "　" : "   ") + l.generated(list.generatedAt), width: width)
        out.append("")
        if !list.pending.isEmpty {
            // One village: its name is in the title, so the column would only repeat it.
            let oneVillage = list.village != nil
            var table = TextTable(
                columns: [
                    .init(l.pendingPriority, shrinks: true), .init(l.pendingCode), .init(l.pendingHead, shrinks: true),
                    .init(l.pendingGroup, shrinks: true),
                ] + (oneVillage ? [] : [.init(l.pendingVillage, shrinks: true)]) + [.init(l.pendingDone)])
            for h in list.pending {
                let place = "\(h.township ?? l.unknownTownship)/\(h.village ?? l.unknownVillage)"
                table.add(
                    [h.isPriority ? l.priorities(h.priority) : "", h.code, h.head ?? "", h.group ?? ""]
                        + (oneVillage ? [] : [place]) + ["[ ]"])
            }
            out.append(table.render(maxWidth: width))
            out.append("")
        }
        out += TextWrap.lines(l.pendingSummary(list), width: width)
        return out.joined(separator: "\n")
    }
}
