/// Fieldbook's version, and the file formats this build reads and writes.
///
/// `fieldbook --version` prints it; `Scripts/dist` names its archive after ``version``.
public enum FieldbookVersion {
    /// The release version (semantic versioning).
    public static let version = "0.1.0"

    /// The bundle formats every store reads.
    public static let bundleFormatsRead: [UInt16] = [BundleFile.formatVersion, BundleFile.signedFormatVersion]

    /// The store's schema: the name of its last migration.
    public static var storeSchema: String { Schema.migrator.migrations.last ?? "" }

    /// What `fieldbook --version` prints: the version, the bundle formats it reads and writes, the
    /// store schema it makes.
    public static var text: String {
        let read = bundleFormatsRead.map(String.init).joined(separator: ", ")
        return [
            "fieldbook \(version)",
            tr("Bundle formats: reads \(read); writes \(BundleFile.formatVersion) (plain, a store without keys) and \(BundleFile.signedFormatVersion) (signed and encrypted)."),
            tr("Store schema: \(storeSchema)."),
        ].joined(separator: "\n")
    }
}
