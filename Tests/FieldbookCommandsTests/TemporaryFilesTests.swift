import FieldbookTestSupport
import Foundation
import Testing

/// The commands leave nothing in the temporary folder: each run gets a private one (TMPDIR),
/// which must be as empty afterwards as before. (The `TemporaryDirectory.*` folders, each holding
/// a `.keep-directory`, that pile up in /tmp come from the toolchain: every `swift build` and
/// `swift test` leaves some, swiftlang/swift-driver#1720; .ci/run gives them a TMPDIR it removes.)
@Suite("Temporary files")
struct TemporaryFilesTests {
    @Test("an office and a laptop through a day's commands leave the temporary folder empty")
    func nothingLeftInTheTemporaryFolder() throws {
        let sandbox = Sandbox()
        let temporary = TemporaryDirectory("tmpdir")
        let environment = ["TMPDIR": temporary.url.path]
        func ok(_ arguments: String...) throws {
            let result = try sandbox.run(arguments, environment: environment)
            #expect(result.status == 0, "\(result)")
        }
        sandbox.write("roster.csv", sampleRosterCSV)
        try ok("init", "--db", "office.sqlite", "--central", "--device", "巡察办", "--round", "五届第五轮")
        try ok("--db", "office.sqlite", "roster", "import", "roster.csv")
        try ok("--db", "office.sqlite", "keys", "export", "--out", "office.fbkey")
        try ok("init", "--device", "第一组-笔记本1", "--team", "第一巡察组", "--round", "五届第五轮", "--inspectors", "张三", "--office", "office.fbkey")
        try ok("enroll", "--out", "requests")
        let request = try #require(try FileManager.default.contentsOfDirectory(atPath: sandbox.path("requests")).first)
        try ok("--db", "office.sqlite", "devices", "enroll", "requests/" + request, "--yes")
        try ok("--db", "office.sqlite", "pack", "--roster", "--out", "roster-stick")
        try ok("merge", "roster-stick")
        try ok("visit", "DG001", "--note", "反映低保评定不透明")
        try ok("forum", "城关镇/东关村", "--participants", "12")
        try ok("pack", "--out", "stick")
        let bundle = try #require(try FileManager.default.contentsOfDirectory(atPath: sandbox.path("stick")).first)
        try ok("verify", "stick/" + bundle)
        // A truncated copy is refused (exit 65), the real one merges.
        let bytes = try #require(sandbox.contents("stick/" + bundle))
        try FileManager.default.createDirectory(atPath: sandbox.path("bad"), withIntermediateDirectories: true)
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: sandbox.path("bad/" + bundle)))
        #expect(try sandbox.run(["--db", "office.sqlite", "merge", "bad"], environment: environment).status != 0)
        try ok("--db", "office.sqlite", "merge", "stick")
        try ok("--db", "office.sqlite", "tally", "--format", "html", "--out", "report.html")
        #expect(FileManager.default.fileExists(atPath: sandbox.path("report.html")))
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary.url.path)
        #expect(left.isEmpty, "left in TMPDIR: \(left)")
    }
}
