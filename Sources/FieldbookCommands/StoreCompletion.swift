import FieldbookCore
import Foundation

/// Shell completion of household codes and names and of village names, read from the store the
/// command line names with --db (else $FIELDBOOK_DB, else ./fieldbook.sqlite). Any failure
/// completes nothing.
enum StoreCompletion {
    @Sendable static func households(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        StoreCompletions.words(.households, prefix: prefix, storeAt: storePath(words))
    }

    @Sendable static func villages(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        StoreCompletions.words(.villages, prefix: prefix, storeAt: storePath(words))
    }

    /// The store the words being completed name.
    static func storePath(_ words: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var path: String?
        for (i, word) in words.enumerated() {
            if word == "--db", i + 1 < words.count {
                path = words[i + 1]
            } else if word.hasPrefix("--db=") {
                path = String(word.dropFirst(5))
            }
        }
        let chosen = path ?? environment["FIELDBOOK_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "fieldbook.sqlite"
        if chosen.hasPrefix("~/"), let home = environment["HOME"] {
            return home + chosen.dropFirst()
        }
        return chosen
    }
}
