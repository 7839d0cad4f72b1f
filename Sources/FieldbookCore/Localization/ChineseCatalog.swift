/// The one catalog: the Chinese text of every English message, keyed by the English text with
/// `{N}` placeholders (see ``LocalizedText``), or by the id of a long text.
///
/// The entries live in one file per part of the program (`ChineseCatalog+Part.swift`), each an
/// array of (English key, Chinese) pairs, so that no part's entries crowd another's.
/// `LocalizationTests` checks that every `tr` in the sources has its entry here, that no entry is
/// left over or given twice, and that each Chinese text uses the same placeholders as its key.
public enum ChineseCatalog {
    /// Every part's entries, in one list (the test reads duplicates from it).
    static let parts: [(name: String, entries: [(String, String)])] = [
        ("core", core), ("commands", commands), ("reports", reports), ("find", find),
        ("distribution", distribution), ("demo", demo), ("behaviour", behaviour),
    ]

    /// The entries as a dictionary; of a key given twice, the first wins (the test refuses both).
    static let table: [String: String] = {
        var table: [String: String] = [:]
        for part in parts {
            for (key, chinese) in part.entries where table[key] == nil { table[key] = chinese }
        }
        return table
    }()

    /// The Chinese for `key`, if the catalog has it.
    public static func text(for key: String) -> String? { table[key] }

    /// Every key with its Chinese and the part that holds it, for tests.
    public static var allEntries: [(part: String, key: String, chinese: String)] {
        parts.flatMap { part in part.entries.map { (part.name, $0.0, $0.1) } }
    }
}
