extension ChineseCatalog {
    /// The Chinese of the demo part's messages.
    static let demo: [(String, String)] = [
    ]
}
