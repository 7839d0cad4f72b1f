extension ChineseCatalog {
    /// The Chinese of the core part's messages.
    static let core: [(String, String)] = [
    ]
}
