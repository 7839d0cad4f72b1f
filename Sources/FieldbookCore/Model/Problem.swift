/// Where a problem stands in its rectification (整改): found, being rectified, rectified, checked
/// off by someone other than who rectified it (验收销号), or found not rectifiable.
public enum ProblemStatus: String, CaseIterable, Sendable {
    case open
    case rectifying
    case rectified
    case verified
    case notRectifiable = "not-rectifiable"

    public var chinese: String {
        switch self {
        case .open: "未整改"
        case .rectifying: "整改中"
        case .rectified: "已整改"
        case .verified: "已验收销号"
        case .notRectifiable: "无法整改"
        }
    }

    /// Whether the ledger still follows it: neither rectified, verified nor found not rectifiable.
    public var isOpen: Bool { self == .open || self == .rectifying }

    /// Reads the English word or the Chinese name.
    public init?(input: String) {
        let text = input.trimmingCharacters(in: .whitespaces).lowercased()
        if let status = ProblemStatus(rawValue: text) {
            self = status
            return
        }
        switch text {
        case "未整改", "待整改": self = .open
        case "整改中", "正在整改": self = .rectifying
        case "已整改", "整改完成": self = .rectified
        case "已验收销号", "已验收", "销号", "已销号", "验收销号": self = .verified
        case "无法整改", "不能整改", "not_rectifiable", "notrectifiable": self = .notRectifiable
        default: return nil
        }
    }
}

/// Where a problem clue is transferred (移交问题线索).
public enum ClueDestination: String, CaseIterable, Sendable {
    /// 纪委监委: clues about cadres' violations of discipline or law.
    case discipline
    /// 组织部门: clues about appointments and the party organisation.
    case organisation
    case other

    public var chinese: String {
        switch self {
        case .discipline: "纪委监委"
        case .organisation: "组织部门"
        case .other: "其他部门"
        }
    }

    /// Reads the English word or the Chinese name.
    public init?(input: String) {
        let text = input.trimmingCharacters(in: .whitespaces).lowercased()
        if let destination = ClueDestination(rawValue: text) {
            self = destination
            return
        }
        switch text {
        case "纪委监委", "纪委", "监委", "纪检监察机关": self = .discipline
        case "organization", "组织部门", "组织部": self = .organisation
        case "其他", "其他部门": self = .other
        default: return nil
        }
    }
}

/// A problem category: a stable key and its Chinese name.
public struct ProblemCategory: Sendable, Hashable {
    public var key: String
    public var name: String

    public init(key: String, name: String) {
        self.key = key
        self.name = name
    }

    /// The default list, drawn from the source articles; the office may add to it
    /// (`fieldbook categories add`), and its additions travel to the laptops with the roster.
    public static let defaults: [ProblemCategory] = [
        ProblemCategory(key: "party-leadership", name: "党的领导弱化"),
        ProblemCategory(key: "party-building", name: "党的建设缺失"),
        ProblemCategory(key: "strict-governance", name: "全面从严治党不力"),
        ProblemCategory(key: "farm-subsidies", name: "惠农资金"),
        ProblemCategory(key: "village-assets", name: "村级三资管理"),
        ProblemCategory(key: "favouritism", name: "优亲厚友"),
        ProblemCategory(key: "extortion", name: "吃拿卡要"),
        ProblemCategory(key: "false-claims", name: "虚报冒领"),
        ProblemCategory(key: "work-style", name: "作风问题"),
        ProblemCategory(key: "livelihood", name: "民生问题"),
        ProblemCategory(key: "other", name: "其他"),
    ]

    /// Whether `key` has the shape of a category key: lowercase letters, digits and `-`, 1 to 40.
    public static func isKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard let first = utf8.first, first >= 0x61 && first <= 0x7A, utf8.count <= 40 else { return false }
        return utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}
