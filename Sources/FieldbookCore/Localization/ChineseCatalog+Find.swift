extension ChineseCatalog {
    /// The Chinese of the find part's messages.
    static let find: [(String, String)] = [
    ]
}
