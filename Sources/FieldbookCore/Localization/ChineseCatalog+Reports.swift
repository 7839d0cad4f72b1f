extension ChineseCatalog {
    /// The Chinese of the reports part's messages.
    static let reports: [(String, String)] = [
    ]
}
