import Foundation
import GRDB

/// What the shell completes from a store: household codes and heads' names, village names.
public enum StoreCompletions {
    public enum Source: Sendable {
        case households, villages
    }

    /// The words of `source` in the store at `path` that begin with `prefix`, at most `limit`;
    /// nothing, silently, when the store cannot be read (a completion must never print an error).
    /// The store is opened read-only and never migrated or locked for writing.
    public static func words(_ source: Source, prefix: String, storeAt path: String, limit: Int = 1_000) -> [String] {
        guard FileManager.default.isReadableFile(atPath: path) else { return [] }
        do {
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(0.5)
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            return try queue.read { db in
                guard try Int32.fetchOne(db, sql: "PRAGMA application_id") == Schema.applicationID else { return [] }
                let like = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                switch source {
                case .households:
                    var words = try String.fetchAll(
                        db, sql: "SELECT code FROM household WHERE deleted = 0 AND code LIKE ? ESCAPE '\\' ORDER BY code LIMIT ?",
                        arguments: [like, limit])
                    // Names too, once something is typed (not 45,000 names for an empty word).
                    if !prefix.isEmpty {
                        words += try String.fetchAll(
                            db,
                            sql: "SELECT DISTINCT head FROM household WHERE deleted = 0 AND head LIKE ? ESCAPE '\\' ORDER BY head LIMIT ?",
                            arguments: [like, limit])
                    }
                    return words.filter { $0.hasPrefix(prefix) && safe($0) }
                case .villages:
                    let rows = try Row.fetchAll(
                        db,
                        sql: "SELECT v.name, t.name FROM village v LEFT JOIN township t ON t.id = v.township_id WHERE v.deleted = 0")
                    let names = rows.map { $0[0] as String }
                    var counts: [String: Int] = [:]
                    for name in names { counts[name, default: 0] += 1 }
                    var words = Set<String>()
                    for row in rows {
                        let name: String = row[0]
                        let qualified = "\(row[1] as String? ?? "")/\(name)"
                        // NAME where no other village has it; TOWNSHIP/NAME always.
                        if counts[name] == 1 { words.insert(name) }
                        words.insert(qualified)
                    }
                    return words.filter { $0.hasPrefix(prefix) && safe($0) }.sorted().prefix(limit).map { $0 }
                }
            }
        } catch {
            return []
        }
    }

    /// Whether a word may be offered to the shell: bash expands the words of `compgen -W` (a `$(…)`
    /// in a code would run), and a space, a control or a bidi character would break or disguise the
    /// line. Letters, digits, Chinese text and `-_./·` only; other words are not offered.
    static func safe(_ word: String) -> Bool {
        !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            if scalar.isASCII {
                return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_./".unicodeScalars.contains(scalar)
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate:
                return false
            default:
                return true
            }
        }
    }
}
