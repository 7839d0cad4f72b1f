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
    /// A bundle could not be written into the folder given with `pack --out`; nothing was left there.
    case bundleNotWritten(folder: String, reason: String)
    /// A file or folder of bundles named on the command line cannot be read.
    case unreadableInput(path: String, reason: String)
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
        case .noStore, .notAStore, .newerSchema, .unreadableInput, .noBundles: 66
        case .storeExists: 73
        case .storeFailure, .storeReadFailure, .storeReadOnly, .bundleNotWritten: 74
        case .notPermitted: 77
        case .unknownVillage, .ambiguousVillage, .unknownHousehold, .ambiguousHousehold, .householdExists, .unknownRecord,
            .ambiguousID, .unknownRound, .recordDeleted, .nothingToChange:
            1
        }
    }

    public var errorDescription: String? { message }

    public var message: String {
        switch self {
        case .noStore(let path):
            return "No Fieldbook store at \(path). Create one with `fieldbook init --device NAME`, or name another with --db."
        case .storeExists(let path):
            return "A file already exists at \(path); it was left untouched. Choose another path with --db."
        case .notAStore(let path, let reason):
            return "\(path) is not a Fieldbook store (\(reason)). Check the path given with --db or $FIELDBOOK_DB."
        case .newerSchema(let path):
            return "\(path) was written by a newer Fieldbook; it was left untouched. Update fieldbook to open it."
        case .storeFailure(let path, let message):
            return "Could not update \(path): \(message). Nothing was written; try again."
        case .storeReadOnly(let path, let reason):
            return "Could not update \(path): \(reason). Nothing was written; copy the store to a writable folder, or remove the stick's write protection."
        case .storeReadFailure(let path, let message):
            return "Could not read \(path): \(message). Nothing was changed; run `sqlite3 \(path) 'PRAGMA integrity_check'` and keep a copy of the file."
        case .bundleNotWritten(let folder, let reason):
            return "Could not write the bundle to --out \(folder): \(reason). Nothing was left there, and the store was not changed."
        case .unreadableInput(let path, let reason):
            return "Cannot read \(path): \(reason). Nothing was done; check the path, or copy the bundles again."
        case .noBundles(let paths):
            let names = paths.joined(separator: ", ")
            return (paths.count == 1 ? "The folder \(names) holds" : "The folders \(names) hold")
                + " no bundle files (NAME.\(BundleFile.fileExtension)). Nothing was done; name the folder a laptop's `fieldbook pack` wrote to."
        case .unknownVillage(let name, let suggestions):
            return "No village or community named \(name)."
                + (suggestions.isEmpty
                    ? " Import the roster with `fieldbook roster import FILE.csv`."
                    : " Did you mean: \(suggestions.joined(separator: ", "))?")
        case .ambiguousVillage(let name, let candidates):
            let form = ["TOWNSHIP/VILLAGE", "COUNTY/TOWNSHIP/VILLAGE", "CITY/COUNTY/TOWNSHIP/VILLAGE"][
                min(2, max(0, (candidates.first?.filter { $0 == "/" }.count ?? 1) - 1))]
            return "\(name) is the name of several villages: \(candidates.joined(separator: ", ")). Name one as \(form)."
        case .unknownHousehold(let code, let suggestions):
            return "No household \(code) on the roster."
                + (suggestions.isEmpty ? "" : " Closest: \(suggestions.joined(separator: ", ")).")
                + " To record a household found in the field, add --new-household --village VILLAGE."
        case .ambiguousHousehold(let text, let candidates, let total):
            let list = candidates.joined(separator: ", ")
            return candidates.count < total
                ? tr("\(text) matches \(total, "household"), the closest: \(list). Give the household's code (户号); `fieldbook find \(text)` lists them all.")
                : tr("\(text) matches \(total, "household"): \(list). Give the household's code (户号).")
        case .householdExists(let code, let village):
            return "Household \(code) is already on the roster (\(village)); drop --new-household."
        case .unknownRecord(let id):
            return "No record with id \(id). `fieldbook list` shows the ids."
        case .ambiguousID(let id, let candidates):
            return "\(id) starts several ids: \(candidates.joined(separator: ", ")). Give more characters."
        case .unknownRound(let name, let known):
            return "No round named \(name)."
                + (known.isEmpty ? "" : " Known rounds: \(known.joined(separator: ", ")).")
        case .noRound:
            return "No round is set on this device. Set one with `fieldbook round NAME` (e.g. 五届第五轮)."
        case .invalidValue(let field, let value, let expected):
            return "Invalid \(field) \"\(value)\": \(expected)."
        case .unknownField(let field, let kind):
            let names = kind.fields.map(\.name).joined(separator: ", ")
            return "A \(kind.rawValue) has no field \(field). Its fields: \(names)."
        case .notEditable(let field, let kind, let hint):
            return "The \(field) of a \(kind.rawValue) cannot be set with edit: \(hint)."
        case .recordDeleted(let id):
            return "Record \(id) was deleted; `fieldbook history \(id)` shows what it held."
        case .nothingToChange(let id):
            return "Record \(id) already holds those values; nothing was written."
        case .badFile(let path, let reason):
            return "\(path): \(reason)"
        case .notPermitted(let reason):
            return "This store may not do that: \(reason)."
        }
    }
}
