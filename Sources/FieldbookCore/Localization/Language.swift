import Foundation

/// The language of the interface: every message, table header, status word and help text.
///
/// The core speaks English unless told otherwise, so its tests read the same on any machine; the
/// `fieldbook` command sets ``current`` once at start from the environment (``init(environment:)``).
/// Exit codes, and the field names of JSON and CSV, never change with the language.
public enum Language: String, Sendable, CaseIterable {
    case en
    case zh

    /// `FIELDBOOK_LANG=zh|en` decides; otherwise the locale (`LC_ALL`, then `LC_MESSAGES`, then
    /// `LANG`): Chinese when it starts with `zh`, English otherwise.
    public init(environment: [String: String]) {
        if let chosen = environment["FIELDBOOK_LANG"].flatMap(Language.parse) {
            self = chosen
            return
        }
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            self = value.lowercased().hasPrefix("zh") ? .zh : .en
            return
        }
        self = .en
    }

    /// `zh`, `zh_CN.UTF-8`, `chinese`, `中文` → zh; `en`, `en_US`, `english` → en; anything else → nil.
    static func parse(_ text: String) -> Language? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value.hasPrefix("zh") || value == "chinese" || value == "中文" { return .zh }
        if value.hasPrefix("en") || value == "english" { return .en }
        return nil
    }

    /// The language messages are rendered in now.
    public static var current: Language {
        get { lock.withLock { storage } }
        set { lock.withLock { storage = newValue } }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var storage: Language = .en
}
