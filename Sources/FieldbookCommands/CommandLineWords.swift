import ArgumentParser
import FieldbookCore

/// The command line before ArgumentParser reads it: options given before the subcommand, as in
/// git, and a mistyped subcommand named with the closest ones.
enum CommandLineWords {
    /// The options that may come before the subcommand: each belongs to every command that opens
    /// a store (``StoreOptions``).
    static let leadingOptions = ["--db"]

    /// `--db FILE status` → `status --db FILE`: the options given before the subcommand (`--db FILE`
    /// or `--db=FILE`) moved after its path (`roster import`, `keys export`), where ArgumentParser
    /// reads them. Anything else is left as it is.
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        let (moved, rest) = leadingOptions(of: arguments)
        guard !moved.isEmpty else { return arguments }
        var words = rest
        words.insert(contentsOf: moved, at: path(in: words).count)
        return words
    }

    /// The leading options (`--db FILE`, `--db=FILE`) and the words after them.
    static func leadingOptions(of arguments: [String]) -> (options: [String], rest: [String]) {
        var rest = arguments[...]
        var moved: [String] = []
        while let first = rest.first {
            if leadingOptions.contains(first), rest.count >= 2 {
                moved += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if leadingOptions.contains(where: { first.hasPrefix($0 + "=") }) {
                moved.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        return (moved, Array(rest))
    }

    /// The subcommands at the start of `arguments` (`["roster", "import"]`), with their types.
    static func path(in arguments: [String]) -> [(word: String, command: any ParsableCommand.Type)] {
        var command: any ParsableCommand.Type = Fieldbook.self
        var path: [(String, any ParsableCommand.Type)] = []
        for word in arguments {
            guard !word.hasPrefix("-"), let next = subcommand(of: command, named: word) else { break }
            path.append((word, next))
            command = next
        }
        return path
    }

    /// The message for a command line whose subcommand is not one: at the top (`fieldbook vist`),
    /// always; below it (`fieldbook roster imprt`), when a subcommand is close to the word (the
    /// word may otherwise be the command's own argument). Nil when there is nothing to say.
    static func unknownCommand(in arguments: [String]) -> String? {
        // `--db FILE xyzzy`: the options stay before a word that is no subcommand.
        let arguments = leadingOptions(of: arguments).rest
        let path = path(in: arguments)
        let command = path.last?.command ?? Fieldbook.self
        guard path.count < arguments.count else { return nil }
        let word = arguments[path.count]
        let subcommands = command.configuration.subcommands
        guard !word.hasPrefix("-"), !subcommands.isEmpty, !(path.isEmpty && word == "help") else { return nil }
        let parent = (["fieldbook"] + path.map(\.word)).joined(separator: " ")
        let close = suggestions(for: word, among: subcommands.flatMap(names))
        let typed = word.oneLine
        if close.isEmpty {
            guard path.isEmpty else { return nil }
            return tr("\(typed) is not a \(parent) command. `\(parent) --help` lists the commands.")
        }
        let alternatives = close.map { "`\(parent) \($0)`" }.joined(separator: ", ")
        return tr("\(typed) is not a \(parent) command. Did you mean \(alternatives)?")
    }

    /// A command's name and its aliases.
    static func names(_ command: any ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    static func subcommand(of command: any ParsableCommand.Type, named word: String) -> (any ParsableCommand.Type)? {
        command.configuration.subcommands.first { names($0).contains(word) }
    }

    /// The names closest to `word` by edit distance (a letter left out, added, changed, or two
    /// swapped), when close enough to be a slip: at most 2 edits, and fewer than half the name.
    /// Of names equally close, those that begin as the word does (`vist`: visit, not list).
    static func suggestions(for word: String, among names: [String]) -> [String] {
        let typed = Array(word.lowercased())
        let scored = names.map { name -> (name: String, distance: Int, prefix: Int) in
            let candidate = Array(name.lowercased())
            let prefix = zip(typed, candidate).prefix { $0 == $1 }.count
            return (name, editDistance(typed, candidate), prefix)
        }
        .filter { $0.distance <= 2 && $0.distance * 2 < max($0.name.count, typed.count) }
        guard let best = scored.min(by: { ($0.distance, -$0.prefix) < ($1.distance, -$1.prefix) }) else { return [] }
        return scored.filter { $0.distance == best.distance && $0.prefix == best.prefix }.map(\.name)
    }

    /// The optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// two neighbours, each one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
