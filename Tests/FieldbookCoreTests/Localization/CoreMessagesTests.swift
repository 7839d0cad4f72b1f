import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// The core's messages in both languages: errors read Chinese with their values in place when asked
/// for Chinese, stay the English the other tests compare when not, and English counts take their
/// plural. Nothing global is set: Chinese is asked for with `message(in:)` or `rendered(in:)`.
@Suite struct CoreMessagesTests {
    /// Whether `text` holds a Chinese character (or Chinese punctuation).
    static func readsChinese(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3000...0x303F).contains($0.value) || (0xFF00...0xFFEF).contains($0.value) }
    }

    @Test("errors render in Chinese with their values in place, and in English as before")
    func errorsInChinese() {
        let noStore = FieldbookError.noStore(path: "/mnt/u盘/fb.sqlite")
        #expect(noStore.message(in: .zh) == "/mnt/u盘/fb.sqlite 处没有 Fieldbook 数据库。请用 `fieldbook init --device NAME` 新建一个，或用 --db 指定其他数据库。")
        #expect(noStore.message(in: .en) == "No Fieldbook store at /mnt/u盘/fb.sqlite. Create one with `fieldbook init --device NAME`, or name another with --db.")
        #expect(noStore.message == noStore.message(in: .en), "the library speaks English unless told otherwise")

        let round = FieldbookError.unknownRound("五届第六轮", known: ["五届第五轮", "五届第四轮"])
        #expect(round.message(in: .zh) == "没有名为 五届第六轮 的轮次。已有轮次：五届第五轮, 五届第四轮。")
        #expect(round.message(in: .en) == "No round named 五届第六轮. Known rounds: 五届第五轮, 五届第四轮.")
        #expect(FieldbookError.unknownRound("x", known: []).message(in: .en) == "No round named x.")

        let invalid = FieldbookError.invalidValue(field: "date", value: "2026-13-01", expected: "give a real date")
        #expect(invalid.message(in: .zh) == "date 的取值“2026-13-01”无效：give a real date。")

        let notEditable = FieldbookError.notEditable(field: "status", kind: .problem, hint: "use rectify")
        #expect(notEditable.message(in: .zh) == "problem 记录的 status 不能用 edit 修改：use rectify。", "placeholders may change order")

        let village = FieldbookError.unknownVillage("东关", suggestions: ["东关村", "东光村"])
        #expect(village.message(in: .zh).contains("东关村, 东光村"))
        #expect(village.message(in: .en) == "No village or community named 东关. Did you mean: 东关村, 东光村?")

        let household = FieldbookError.unknownHousehold("A-017", suggestions: [])
        #expect(household.message(in: .zh) == "名册中没有户号 A-017。如要记录实地发现的户，请加上 --new-household --village VILLAGE。")

        // Every case reads Chinese in Chinese, and none is left as its English.
        let all: [FieldbookError] = [
            .noStore(path: "p"), .storeExists(path: "p"), .notAStore(path: "p", reason: "r"), .newerSchema(path: "p"),
            .storeFailure(path: "p", message: "m"), .storeReadOnly(path: "p", reason: "r"), .storeReadFailure(path: "p", message: "m"),
            .bundleNotWritten(folder: "f", reason: "r"), .unreadableInput(path: "p", reason: "r"), .unreadableFile(path: "p", reason: "r"), .noBundles(paths: ["a"]),
            .noBundles(paths: ["a", "b"]), .unknownVillage("v", suggestions: []), .ambiguousVillage("v", candidates: ["t/v", "u/v"]),
            .unknownHousehold("h", suggestions: ["h1"]), .householdExists(code: "h", village: "v"), .unknownRecord("i"),
            .ambiguousID("i", candidates: ["i1", "i2"]), .unknownRound("r", known: []), .noRound,
            .invalidValue(field: "f", value: "v", expected: "e"), .unknownField("f", kind: .visit),
            .notEditable(field: "f", kind: .visit, hint: "h"), .recordDeleted(id: "i"), .nothingToChange(id: "i"), .notPermitted("r"),
        ]
        for error in all {
            #expect(Self.readsChinese(error.message(in: .zh)), "\(error.message(in: .zh))")
            #expect(!Self.readsChinese(error.message(in: .en)) || error == .noRound, "\(error.message(in: .en))")
            #expect(error.message(in: .zh) != error.message(in: .en))
        }
    }

    @Test("English counts of the core take their plural")
    func englishPlurals() throws {
        #expect(FieldbookError.noBundles(paths: ["a"]).message(in: .en).hasPrefix("The folder a holds no bundle files"))
        #expect(FieldbookError.noBundles(paths: ["a", "b"]).message(in: .en).hasPrefix("The folders a, b hold no bundle files"))
        #expect(ChangeRules.textProblem("长长", maxLength: 1) == "it is 2 characters long; at most 1 are allowed")

        let dir = TemporaryDirectory()
        let csv = dir.write("r.csv", "乡镇,村,户号\n东关镇\n东关镇,东关村\n")
        let rejected = try Roster.read(path: csv).rejected.map(\.reason)
        #expect(rejected == ["has 1 field; the header has 3", "has 2 fields; the header has 3"])
    }

    @Test("core reasons render in Chinese with their counts and values in place")
    func reasonsInChinese() {
        let short: LocalizedText = "has \(1, "field"); the header has \(3)"
        #expect(short.rendered(in: .en) == "has 1 field; the header has 3")
        #expect(short.rendered(in: .zh) == "有 1 个字段，而表头有 3 个")
        let changes: LocalizedText = "range of device \("d1") (\(Int(1234), "change") numbered \(1)–\(1234)) is impossible"
        #expect(changes.rendered(in: .en) == "range of device d1 (1,234 changes numbered 1–1234) is impossible")
        #expect(changes.rendered(in: .zh) == "设备 d1 的范围（1,234 条变更，序号 1–1234）不可能")
        let one: LocalizedText = "has unexpected bytes after its end (\(1, "byte"))"
        #expect(one.rendered(in: .en) == "has unexpected bytes after its end (1 byte)")
        #expect(one.rendered(in: .zh) == "末尾之后多出 1 字节")
        let line: LocalizedText = "has a change at line \(7) that \("is not UTF-8 text")"
        #expect(line.rendered(in: .zh) == "第 7 行的变更有误：is not UTF-8 text")
        let refused: LocalizedText = "has a \("visit") change at line \(12) whose \("date") \("\"2026-02-30\"") is refused: \("x")"
        #expect(refused.rendered(in: .zh) == "第 12 行的 visit 变更中，date \"2026-02-30\" 不予接受：x")
    }

    @Test("every core entry reads Chinese and puts each of its values in")
    func everyCoreEntryFills() {
        let core = ChineseCatalog.allEntries.filter { $0.part == "core" }
        #expect(core.count > 400)
        for entry in core {
            let numbers = LocalizationTests.placeholders(entry.key)
            let arguments: [LocalizedText.Argument] = (1...max(1, numbers.max() ?? 1)).map { .text("«\($0)»") }
            let chinese = LocalizedText.fill(entry.chinese, arguments, language: .zh)
            #expect(Self.readsChinese(chinese), "\(entry.key) → \(chinese)")
            for n in Set(numbers) { #expect(chinese.contains("«\(n)»"), "\(entry.key) → \(chinese)") }
            #expect(!chinese.contains("{"), "\(entry.key) → \(chinese)")
        }
    }
}
