import Testing

@testable import FieldbookCore

/// The fold's rules: field by field, concurrent versions resolved by (clock, device), losers kept.
@Suite struct RecordStateTests {
    let id = "r1"

    func change(
        _ device: String, _ seq: Int64, at clock: Int64,
        _ fields: [String: FieldValue], op: ChangeOp = .update, base: [String: [VersionID]] = [:]
    ) -> Change {
        var written = fields
        written[deletedField] = .int(op == .delete ? 1 : 0)
        return Change(
            device: device, seq: seq, hlc: HybridTimestamp(millis: clock, counter: 0), kind: .notice,
            recordID: id, op: op, fields: written, base: base)
    }

    var create: Change {
        change("A", 1, at: 100, ["place": .text("公示栏"), "copies": .int(2)], op: .create)
    }

    func v(_ device: String, _ seq: Int64) -> VersionID { VersionID(device: device, seq: seq) }

    @Test func concurrentEditsOfDifferentFieldsBothSurvive() {
        let a = change("A", 2, at: 200, ["place": .text("村委会")], base: ["place": [v("A", 1)], deletedField: [v("A", 1)]])
        let b = change("B", 1, at: 150, ["copies": .int(5)], base: ["copies": [v("A", 1)], deletedField: [v("A", 1)]])
        let state = RecordState(kind: .notice, id: id, changes: [create, a, b])
        #expect(state.values["place"] == .text("村委会"))
        #expect(state.values["copies"] == .int(5))
        #expect(state.conflicts.isEmpty)
    }

    @Test func concurrentEditsOfOneFieldKeepTheLaterAndLogTheOther() {
        let a = change("A", 2, at: 200, ["copies": .int(3)], base: ["copies": [v("A", 1)]])
        let b = change("B", 1, at: 300, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        let state = RecordState(kind: .notice, id: id, changes: [create, a, b])
        #expect(state.values["copies"] == .int(5))
        #expect(state.conflicts.count == 1)
        #expect(state.conflicts.first?.loser == v("A", 2))
        #expect(state.conflicts.first?.loserValue == .int(3))
        #expect(state.conflicts.first?.winner == v("B", 1))
    }

    @Test func equalClocksAreBrokenByDeviceId() {
        let a = change("A", 2, at: 200, ["copies": .int(3)], base: ["copies": [v("A", 1)]])
        let b = change("B", 1, at: 200, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        for changes in [[create, a, b], [b, create, a], [a, b, create]] {
            let state = RecordState(kind: .notice, id: id, changes: changes)
            #expect(state.values["copies"] == .int(5))
        }
    }

    @Test func anEditThatSawAnotherReplacesItWhateverTheClocks() {
        // B's clock runs ahead; A edits after seeing B's value, with an earlier clock reading.
        let b = change("B", 1, at: 9_000, ["copies": .int(9)], base: ["copies": [v("A", 1)]])
        let a = change("A", 2, at: 300, ["copies": .int(4)], base: ["copies": [v("B", 1)]])
        let state = RecordState(kind: .notice, id: id, changes: [create, b, a])
        #expect(state.values["copies"] == .int(4))
        #expect(state.conflicts.isEmpty)
    }

    @Test func aDeleteConcurrentWithAnEditIsAConflictResolvedByClock() {
        let edit = change("B", 1, at: 200, ["copies": .int(5)], base: ["copies": [v("A", 1)], deletedField: [v("A", 1)]])
        let delete = change("A", 2, at: 300, [:], op: .delete, base: [deletedField: [v("A", 1)]])
        let state = RecordState(kind: .notice, id: id, changes: [create, edit, delete])
        #expect(state.deleted)
        #expect(state.values["copies"] == .int(5))
        #expect(state.conflicts.map(\.field) == [deletedField])

        let laterEdit = change("B", 1, at: 400, ["copies": .int(5)], base: ["copies": [v("A", 1)], deletedField: [v("A", 1)]])
        let revived = RecordState(kind: .notice, id: id, changes: [create, laterEdit, delete])
        #expect(!revived.deleted)
        #expect(revived.conflicts.map(\.field) == [deletedField])
    }

    @Test func concurrentWritesOfTheSameValueAreNoConflict() {
        let a = change("A", 2, at: 200, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        let b = change("B", 1, at: 300, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        #expect(RecordState(kind: .notice, id: id, changes: [create, a, b]).conflicts.isEmpty)
    }

    @Test func resolvingNamesEveryLeafAndEndsTheConflict() {
        let a = change("A", 2, at: 200, ["copies": .int(3)], base: ["copies": [v("A", 1)]])
        let b = change("B", 1, at: 300, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        let before = RecordState(kind: .notice, id: id, changes: [create, a, b])
        #expect(before.leaves["copies"] == [v("A", 2), v("B", 1)])
        let resolve = change("C", 1, at: 350, ["copies": .int(3)], base: ["copies": before.leaves["copies"]!])
        let after = RecordState(kind: .notice, id: id, changes: [create, a, b, resolve])
        #expect(after.values["copies"] == .int(3))
        #expect(after.conflicts.isEmpty)
    }

    @Test func everyOrderGivesTheSameState() {
        let changes = [
            create,
            change("A", 2, at: 200, ["copies": .int(3)], base: ["copies": [v("A", 1)]]),
            change("B", 1, at: 250, ["copies": .int(7), "place": .text("二组")], base: ["copies": [v("A", 1)], "place": [v("A", 1)]]),
            change("C", 1, at: 250, [:], op: .delete, base: [deletedField: [v("A", 1)]]),
            change("A", 3, at: 260, ["place": .text("三组")], base: ["place": [v("B", 1)]]),
        ]
        let reference = RecordState(kind: .notice, id: id, changes: changes)
        for order in permutations(changes) {
            let state = RecordState(kind: .notice, id: id, changes: order)
            #expect(state.values == reference.values)
            #expect(state.conflicts == reference.conflicts)
            #expect(state.created == reference.created)
        }
        #expect(reference.values["place"] == .text("三组"))
        #expect(reference.values["copies"] == .int(7))
    }

    @Test func editsWaitForTheirCreate() {
        let edit = change("B", 1, at: 200, ["copies": .int(5)], base: ["copies": [v("A", 1)]])
        #expect(!RecordState(kind: .notice, id: id, changes: [edit]).exists)
        #expect(RecordState(kind: .notice, id: id, changes: [edit, create]).values["copies"] == .int(5))
    }
}

func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[T]] in
        var rest = items
        let head = rest.remove(at: i)
        return permutations(rest).map { [head] + $0 }
    }
}
