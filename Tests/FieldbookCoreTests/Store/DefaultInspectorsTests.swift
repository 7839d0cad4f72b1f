import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The inspectors a visit names when `--by` is not given (`init --inspectors`, `round
/// --inspectors`) meet the rules of a visit's `inspectors`: they were stored unchecked, and every
/// later visit without `--by` then failed, naming a value typed on another command.
struct DefaultInspectorsTests {
    static let bad: [(label: String, names: String)] = [
        ("an escape sequence", "张三\u{1B}[2J"), ("a bell", "李四\u{07}"), ("a right-to-left override", "王\u{202E}五"),
        ("a zero-width space", "赵\u{200B}六"), ("a name too long", String(repeating: "名", count: 201)),
        ("too many names", (1...101).map { "巡察员\($0)" }.joined(separator: ",")),
    ]

    @Test(arguments: bad) func refusedWhenSetAsTheyAreOnAVisit(_ bad: (label: String, names: String)) throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        #expect(throws: FieldbookError.self, "\(bad.label)") { try store.setInspectors(bad.names) }
        let setup = DeviceSetup(name: "笔记本2", inspectors: Store.splitNames(bad.names))
        #expect(throws: FieldbookError.self, "\(bad.label)") { try Store.create(at: dir.path("b.sqlite"), setup: setup) }
        #expect(!FileManager.default.fileExists(atPath: dir.path("b.sqlite")))
        // What a visit would have refused is refused by the visit's own rules.
        let spec = try #require(RecordKind.visit.fields.first { $0.name == "inspectors" })
        #expect(throws: ChangeRules.Violation.self) { try ChangeRules.check(.list(Store.splitNames(bad.names)), spec) }
    }

    @Test func goodNamesAreKept() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        try store.setInspectors("张三, 李四")
        #expect(try store.read { db in try LocalState.fetch(db).inspectors } == ["张三", "李四"])
    }
}
