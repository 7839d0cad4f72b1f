import Foundation
import Testing

@testable import FieldbookCore

/// The folders of paths users give: the same answers as Foundation's `deletingLastPathComponent`
/// (a bare name's folder spelled `.`), and an answer where that traps (a path of one character).
struct FilePathsTests {
    @Test(arguments: [
        ("a", "."), ("中", "."), ("a/", "."), ("a//", "."), ("", "."), (".", "."), ("..", "."),
        ("/", "/"), ("//", "/"), ("/a", "/"), ("/a/", "/"), ("//a", "/"),
        ("d/a", "d"), ("d//a", "d"), ("d/a/", "d"), ("./a", "."), ("../a", ".."), ("/d/e/中.sqlite", "/d/e"),
        ("office.sqlite", "."), ("区巡察办/office.sqlite", "区巡察办"), ("a b/c d", "a b"),
    ])
    func folders(_ path: String, _ folder: String) {
        #expect(FilePaths.folder(of: path) == folder)
    }

    /// Where Foundation answers (not on one-character names), it agrees, with `.` for its empty answer.
    @Test func foundationAgreesWhereItAnswers() {
        for path in ["ab", "/ab", "d/ab", "d/e/ab", "/d/e/office.sqlite", "区巡察办/office.sqlite", "ab/", "/d/ab/", "./ab", "../ab"] {
            let foundation = (path as NSString).deletingLastPathComponent
            #expect(FilePaths.folder(of: path) == (foundation.isEmpty ? "." : foundation), "\(path)")
        }
    }

    @Test func besideAStore() {
        #expect(FilePaths.beside("a", "bundles") == "bundles")
        #expect(FilePaths.beside("office.sqlite", "bundles") == "bundles")
        #expect(FilePaths.beside("d/office.sqlite", "bundles") == "d/bundles")
        #expect(FilePaths.beside("/office.sqlite", "bundles") == "/bundles")
    }
}
