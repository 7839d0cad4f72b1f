extension ChineseCatalog {
    /// The Chinese of the distribution part's messages.
    static let distribution: [(String, String)] = [
    ]
}
