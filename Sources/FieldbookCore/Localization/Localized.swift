/// A message in English, with its interpolated values kept apart, so that it can be looked up in
/// the catalog and rendered in either language.
///
/// Write `tr("Packed \(count, "change") into \(path).")`: the literal text with a `{N}` for the
/// N-th interpolated value is the key (`"Packed {1 change} into {2}."`), and ``ChineseCatalog``
/// holds its Chinese text (`"已打包 {1} 个变更，写入 {2}。"`), which may put the values in any
/// order. A count with a noun, `\(n, "change")` or `\(n, "entry", plural: "entries")`, reads
/// "1 change" / "1,234 changes" in English and the grouped number alone in Chinese (where the
/// catalog's text gives the measure word). Every `tr("…")` in the sources must be in the catalog:
/// `LocalizationTests` reads the sources and compares the two languages' keys. Keep `tr` texts
/// on one line (no `"""`, no braces); a long text takes an id instead: `tr(id: "help.x", "…")`.
public struct LocalizedText: ExpressibleByStringInterpolation, Sendable, Hashable {
    /// The English text with `{N}` placeholders: the catalog's key.
    public private(set) var key: String
    /// The values, in the order they were interpolated.
    public private(set) var arguments: [Argument]

    public enum Argument: Sendable, Hashable {
        case text(String)
        case count(Int, singular: String, plural: String)
    }

    public init(stringLiteral value: String) {
        key = value
        arguments = []
    }

    public init(stringInterpolation: StringInterpolation) {
        key = stringInterpolation.key
        arguments = stringInterpolation.arguments
    }

    /// A text whose key is an id (for long texts), with its English given beside.
    init(id: String, english: String) {
        key = id
        arguments = [.text(english)]
        isIdentified = true
    }

    private var isIdentified = false

    public struct StringInterpolation: StringInterpolationProtocol {
        var key = ""
        var arguments: [Argument] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            key.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { key += literal }

        public mutating func appendInterpolation(_ value: some Any) {
            arguments.append(.text(String(describing: value)))
            key += "{\(arguments.count)}"
        }

        /// `\(n, "change")`: "1 change", "2 changes"; `plural:` for an irregular plural.
        public mutating func appendInterpolation(_ count: Int, _ singular: String, plural: String? = nil) {
            let plural = plural ?? singular + "s"
            arguments.append(.count(count, singular: singular, plural: plural))
            key += "{\(arguments.count) \(plural == singular + "s" ? singular : singular + "|" + plural)}"
        }
    }

    /// The text in `language`: the catalog's Chinese, or the English, with the values put in.
    public func rendered(in language: Language) -> String {
        if isIdentified {
            guard language == .zh, let chinese = ChineseCatalog.text(for: key) else {
                if case .text(let english) = arguments.first { return english }
                return key
            }
            return chinese
        }
        if language == .zh, let chinese = ChineseCatalog.text(for: key) {
            return Self.fill(chinese, arguments, language: .zh)
        }
        return Self.fill(key, arguments, language: .en)
    }

    /// Replaces each `{N}` or `{N noun}` / `{N noun|nouns}` in `template` by the N-th argument.
    static func fill(_ template: String, _ arguments: [Argument], language: Language) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 16 * arguments.count)
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let inside = rest[rest.index(after: open)..<close]
            let digits = inside.prefix { $0.isASCII && $0.isNumber }
            if let n = Int(digits), n >= 1, n <= arguments.count {
                out += render(arguments[n - 1], language: language)
            } else {
                out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    static func render(_ argument: Argument, language: Language) -> String {
        switch argument {
        case .text(let text):
            return text
        case .count(let n, let singular, let plural):
            let number = NumberText.grouped(n)
            return language == .zh ? number : number + " " + (n == 1 ? singular : plural)
        }
    }
}

/// The message in the current ``Language``.
public func tr(_ text: LocalizedText) -> String {
    text.rendered(in: Language.current)
}

/// A long text (a command's discussion, a quick-start) named by `id`, with its English beside;
/// ``ChineseCatalog`` holds its Chinese under the same id.
public func tr(id: String, _ english: String) -> String {
    LocalizedText(id: id, english: english).rendered(in: Language.current)
}

/// The message in `language`, for output whose language is chosen apart from the interface's
/// (a report written with `--lang`).
public func tr(_ text: LocalizedText, in language: Language) -> String {
    text.rendered(in: language)
}
