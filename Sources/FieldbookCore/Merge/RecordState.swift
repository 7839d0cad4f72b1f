/// Two versions of one field where neither replaced the other, and their values differ.
///
/// The winner is the version a store shows; the loser is kept here for a person to review.
public struct FieldConflict: Hashable, Sendable {
    public var kind: RecordKind
    public var recordID: String
    public var field: String
    public var winner: VersionID
    public var winnerValue: FieldValue
    public var winnerHLC: HybridTimestamp
    public var loser: VersionID
    public var loserValue: FieldValue
    public var loserHLC: HybridTimestamp
}

/// The state of one record, folded from every change to it that a store holds.
///
/// The fold is a pure function of the *set* of changes, so it gives the same record whatever order
/// the changes arrived in and however often they were merged. For each field:
/// - a version is replaced when a later change names it in its `base`;
/// - of the versions nobody replaced (the leaves), the one with the greatest (clock, device id) wins;
/// - the other leaves whose values differ from the winner's are conflicts.
/// Because a version that replaces another wins over it whatever the clocks say, a laptop whose
/// clock runs ahead wins only against edits that never saw its own.
public struct RecordState: Sendable {
    public var kind: RecordKind
    public var id: String
    /// The winning value of every field, ``deletedField`` included.
    public var values: [String: FieldValue] = [:]
    /// Every version nobody has replaced, per field: what a local edit, delete or resolution names
    /// as its base, so it replaces all of them.
    public var leaves: [String: [VersionID]] = [:]
    /// The earliest create, by (clock, device id): who recorded the record, and when.
    public var created: Change?
    /// The latest clock reading among the changes.
    public var updatedHLC = HybridTimestamp.zero
    public var conflicts: [FieldConflict] = []

    /// A record exists once a create for it has arrived; edits that arrive first wait for it.
    public var exists: Bool { created != nil }
    public var deleted: Bool { values[deletedField] == .int(1) }

    /// The state of a record that has one change: its create. The same as folding that one change,
    /// without the work.
    static func single(kind: RecordKind, id: String, _ change: Change) -> RecordState {
        guard change.op == .create, change.base.isEmpty else { return RecordState(kind: kind, id: id, changes: [change]) }
        var state = RecordState(kind: kind, id: id, changes: [])
        state.values = change.fields
        state.created = change
        state.updatedHLC = change.hlc
        for field in change.fields.keys {
            state.leaves[field] = [change.version]
        }
        return state
    }

    public init(kind: RecordKind, id: String, changes: [Change]) {
        self.kind = kind
        self.id = id
        var byField: [String: [(change: Change, value: FieldValue)]] = [:]
        for change in changes {
            if change.op == .create, created.map({ Change.wins($0, over: change) }) ?? true {
                created = change
            }
            updatedHLC = max(updatedHLC, change.hlc)
            for (field, value) in change.fields {
                byField[field, default: []].append((change, value))
            }
        }
        // A household on the office's roster outranks a laptop's record of the same code found in
        // the field: the laptop's values never win over the roster's, whatever its clock; where they
        // differ they are kept as conflicts for the office to decide.
        var outranked = Set<VersionID>()
        if kind == .household, changes.contains(where: { $0.op == .create && $0.fields["source"] == .text("roster") }) {
            for change in changes where change.op == .create && change.fields["source"] == .text("field") {
                outranked.insert(change.version)
            }
        }
        for (field, candidates) in byField {
            var replaced = Set<VersionID>()
            for (change, _) in candidates {
                for base in change.base[field] ?? [] { replaced.insert(base) }
            }
            var leafVersions = candidates.filter { !replaced.contains($0.change.version) }
            // Only a forged history could make every version replace another; fall back to all.
            if leafVersions.isEmpty { leafVersions = candidates }
            let contenders = leafVersions.contains { !outranked.contains($0.change.version) }
                ? leafVersions.filter { !outranked.contains($0.change.version) } : leafVersions
            let winner = contenders.max { Change.wins($1.change, over: $0.change) }!
            values[field] = winner.value
            leaves[field] = leafVersions.map(\.change.version).sorted()
            for leaf in leafVersions where leaf.change.version != winner.change.version {
                guard leaf.value != winner.value else { continue }
                conflicts.append(
                    FieldConflict(
                        kind: kind, recordID: id, field: field,
                        winner: winner.change.version, winnerValue: winner.value,
                        winnerHLC: winner.change.hlc,
                        loser: leaf.change.version, loserValue: leaf.value, loserHLC: leaf.change.hlc))
            }
        }
        conflicts.sort { ($0.field, $0.loser) < ($1.field, $1.loser) }
    }
}
