import Foundation

/// Everything that can go wrong that a person can act on. Each message names the file, record or
/// value at fault and says what to do.
public enum FieldbookError: Error, LocalizedError, Hashable, Sendable {
    case noStore(path: String)
    case storeExists(path: String)
    case notAStore(path: String, reason: String)
    case newerSchema(path: String)
    case storeFailure(path: String, message: String)
    /// The store can only be read: a write-protected stick, a read-only folder or file.
    case storeReadOnly(path: String, reason: String)
    /// Reading the store failed (a report, a query): nothing was being written.
    case storeReadFailure(path: String, message: String)
    /// The store holds what no fieldbook writes: its file was changed by another program.
    case alteredStore(path: String, reason: String)
    /// A bundle could not be written into the folder given with `pack --out`; nothing was left there.
    case bundleNotWritten(folder: String, reason: String)
    /// A file or folder of bundles named on the command line cannot be read.
    case unreadableInput(path: String, reason: String)
    /// Another file named on the command line (a roster) cannot be read: missing, a folder, a
    /// pipe or a device, or closed to this user.
    case unreadableFile(path: String, reason: String)
    /// The folders named on the command line hold no bundle files.
    case noBundles(paths: [String])
    case unknownVillage(String, suggestions: [String])
    case ambiguousVillage(String, candidates: [String])
    case unknownHousehold(String, suggestions: [String])
    /// `visit TEXT` where TEXT, not a code, matches several households (`fieldbook find`).
    case ambiguousHousehold(String, candidates: [String], total: Int)
    case householdExists(code: String, village: String)
    case unknownRecord(String)
    case ambiguousID(String, candidates: [String])
    case unknownRound(String, known: [String])
    case noRound
    case invalidValue(field: String, value: String, expected: String)
    /// A township, county, city, team or category named that the store does not hold; `expected`
    /// lists what it does hold (exit code 1, as an unknown village, household or round).
    case unknownName(field: String, value: String, expected: String)
    case unknownField(String, kind: RecordKind)
    case notEditable(field: String, kind: RecordKind, hint: String)
    case recordDeleted(id: String)
    case nothingToChange(id: String)
    case badFile(path: String, reason: String)
    /// This store may not make the change: the roster and reference data are the office's.
    case notPermitted(String)

    /// The process exit code: 64 usage, 65 bad data in a file, 66 no usable store or no input to
    /// read (a file or folder of bundles that cannot be read, or holds none), 73 store exists, 1 for
    /// a name or id that is not there, 74 for an I/O failure (the store, or the folder a bundle is
    /// written to), 77 for a change this store may not make (the roster is the office's).
    public var exitCode: Int32 {
        switch self {
        case .invalidValue, .unknownField, .notEditable, .noRound: 64
        case .badFile: 65
        case .noStore, .notAStore, .newerSchema, .unreadableInput, .unreadableFile, .noBundles: 66
        case .storeExists: 73
        case .storeFailure, .storeReadFailure, .alteredStore, .storeReadOnly, .bundleNotWritten: 74
        case .notPermitted: 77
        case .unknownVillage, .ambiguousVillage, .unknownHousehold, .ambiguousHousehold, .householdExists, .unknownRecord,
            .ambiguousID, .unknownRound, .unknownName, .recordDeleted, .nothingToChange:
            1
        }
    }

    public var errorDescription: String? { message }

    public var message: String { message(in: Language.current) }

    /// The message in `language` (the interface's is ``message``).
    public func message(in language: Language) -> String {
        switch self {
        case .noStore(let path):
            return tr("No Fieldbook store at \(path). Create one with `fieldbook init --device NAME`, or name another with --db.", in: language)
        case .storeExists(let path):
            return tr("A file already exists at \(path); it was left untouched. Choose another path with --db.", in: language)
        case .notAStore(let path, let reason):
            return tr("\(path) is not a Fieldbook store (\(reason)). Check the path given with --db or $FIELDBOOK_DB.", in: language)
        case .newerSchema(let path):
            return tr("\(path) was written by a newer Fieldbook; it was left untouched. Update fieldbook to open it.", in: language)
        case .storeFailure(let path, let message):
            return tr("Could not update \(path): \(message). Nothing was written; try again.", in: language)
        case .storeReadOnly(let path, let reason):
            return tr("Could not update \(path): \(reason). Nothing was written; copy the store to a writable folder, or remove the stick's write protection.", in: language)
        case .storeReadFailure(let path, let message):
            return tr("Could not read \(path): \(message). Nothing was changed; run `sqlite3 \(path) 'PRAGMA integrity_check'` and keep a copy of the file.", in: language)
        case .alteredStore(let path, let reason):
            return tr("\(path) was changed outside fieldbook: \(reason). Nothing was changed; restore the store from a copy, or make a new one with `fieldbook init` and merge the bundles again.", in: language)
        case .bundleNotWritten(let folder, let reason):
            return tr("Could not write the bundle to --out \(folder): \(reason). Nothing was left there, and the store was not changed.", in: language)
        case .unreadableInput(let path, let reason):
            return tr("Cannot read \(path): \(reason). Nothing was done; check the path, or copy the bundles again.", in: language)
        case .unreadableFile(let path, let reason):
            return tr("Cannot read \(path): \(reason). Nothing was done; check the path.", in: language)
        case .noBundles(let paths):
            let names = paths.joined(separator: ", ")
            return paths.count == 1
                ? tr("The folder \(names) holds no bundle files (NAME.\(BundleFile.fileExtension)). Nothing was done; name the folder a laptop's `fieldbook pack` wrote to.", in: language)
                : tr("The folders \(names) hold no bundle files (NAME.\(BundleFile.fileExtension)). Nothing was done; name the folder a laptop's `fieldbook pack` wrote to.", in: language)
        case .unknownVillage(let name, let suggestions):
            return suggestions.isEmpty
                ? tr("No village or community named \(name). Import the roster with `fieldbook roster import FILE.csv`.", in: language)
                : tr("No village or community named \(name). Did you mean: \(suggestions.joined(separator: ", "))?", in: language)
        case .ambiguousVillage(let name, let candidates):
            let form = ["TOWNSHIP/VILLAGE", "COUNTY/TOWNSHIP/VILLAGE", "CITY/COUNTY/TOWNSHIP/VILLAGE"][
                min(2, max(0, (candidates.first?.filter { $0 == "/" }.count ?? 1) - 1))]
            return tr("\(name) is the name of several villages: \(candidates.joined(separator: ", ")). Name one as \(form).", in: language)
        case .unknownHousehold(let code, let suggestions):
            return suggestions.isEmpty
                ? tr("No household \(code) on the roster. To record a household found in the field, add --new-household --village VILLAGE.", in: language)
                : tr("No household \(code) on the roster. Closest: \(suggestions.joined(separator: ", ")). To record a household found in the field, add --new-household --village VILLAGE.", in: language)
        case .ambiguousHousehold(let text, let candidates, let total):
            let list = candidates.joined(separator: ", ")
            return candidates.count < total
                ? tr("\(text) matches \(total, "household"), the closest: \(list). Give the household's code (户号); `fieldbook find \(text)` lists them all.", in: language)
                : tr("\(text) matches \(total, "household"): \(list). Give the household's code (户号).", in: language)
        case .householdExists(let code, let village):
            return tr("Household \(code) is already on the roster (\(village)); drop --new-household.", in: language)
        case .unknownRecord(let id):
            return tr("No record with id \(id). `fieldbook list` shows the ids.", in: language)
        case .ambiguousID(let id, let candidates):
            return tr("\(id) starts several ids: \(candidates.joined(separator: ", ")). Give more characters.", in: language)
        case .unknownRound(let name, let known):
            return known.isEmpty
                ? tr("No round named \(name).", in: language)
                : tr("No round named \(name). Known rounds: \(known.joined(separator: ", ")).", in: language)
        case .noRound:
            return tr("No round is set on this device. Set one with `fieldbook round NAME` (e.g. 五届第五轮).", in: language)
        case .invalidValue(let field, let value, let expected):
            return tr("Invalid \(field) \"\(value)\": \(expected).", in: language)
        case .unknownName(let field, let value, let expected):
            // The kind of name as the language says it (the catalog's text keeps its place).
            let names = ["township": "乡镇", "county": "县区", "city": "市", "team": "巡察组", "category": "问题类别"]
            let kind = language == .zh ? names[field] ?? field : field
            return tr("Unknown \(kind) \"\(value)\": \(expected).", in: language)
        case .unknownField(let field, let kind):
            let names = kind.fields.map(\.name).joined(separator: ", ")
            return tr("A \(kind.rawValue) has no field \(field). Its fields: \(names).", in: language)
        case .notEditable(let field, let kind, let hint):
            return tr("The \(field) of a \(kind.rawValue) cannot be set with edit: \(hint).", in: language)
        case .recordDeleted(let id):
            return tr("Record \(id) was deleted; `fieldbook history \(id)` shows what it held.", in: language)
        case .nothingToChange(let id):
            return tr("Record \(id) already holds those values; nothing was written.", in: language)
        case .badFile(let path, let reason):
            return "\(path): \(reason)"
        case .notPermitted(let reason):
            return tr("This store may not do that: \(reason).", in: language)
        }
    }
}
