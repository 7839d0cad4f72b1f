import Foundation
import GRDB

/// How a name reads in pinyin, so that a household can be found by `zhangjianguo` or `zjg`.
///
/// A reading is the name's syllables, lowercase ASCII without tones, separated by spaces
/// (`张建国` → `zhang jian guo`; ü is written u, and a search reads `v` as u). Latin letters and
/// digits in a name are kept as one syllable each run (`李a2` → `li a2`). Where the surname has a
/// reading of its own, the name has a second reading after a `|`: `单雄信` →
/// `shan xiong xin|dan xiong xin`.
///
/// The syllables come from Foundation's ICU transform (`Han-Latin`, then `Latin-ASCII`), one
/// character at a time, and are remembered per character: a district roster holds a few thousand
/// distinct characters, and the transform costs some 40 µs a call. It gives each character one
/// reading, the commonest: 单 dan, 曾 ceng, 解 jie, 区 qu. The first character also gets its
/// reading as a surname (ICU's `Han-Latin/Names`, and a short table for the ones it misses and the
/// compound surnames), so 单 is found as shan and dan, 曾 as zeng and ceng. Given names keep the one
/// reading the transform gives (a 乐 in a given name reads le, never yue).
public struct NameReader: Sendable {
    private var plain: [UInt32: String] = [:]
    private var surname: [UInt32: String] = [:]

    public init() {}

    /// Compound surnames and single ones ICU's name readings miss, with their readings as surnames.
    static let surnameReadings: [String: [String]] = [
        "长孙": ["chang", "sun"], "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "澹台": ["tan", "tai"],
        "单于": ["chan", "yu"], "朴": ["piao"], "缪": ["miao"], "薄": ["bo"], "祭": ["zhai"],
    ]

    /// The reading of `name`: syllables separated by spaces, alternatives by `|`; empty when
    /// nothing in it can be read.
    public mutating func reading(of name: String) -> String {
        var syllables: [String] = []
        var word = ""
        var hanAt: [Int: Unicode.Scalar] = [:]
        for scalar in name.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                word.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: scalar).lowercasedASCII))
                continue
            }
            if !word.isEmpty {
                syllables.append(word)
                word = ""
            }
            if scalar.properties.isUnifiedIdeograph {
                let syllable = plainSyllable(scalar)
                if !syllable.isEmpty {
                    hanAt[syllables.count] = scalar
                    syllables.append(syllable)
                }
            }
        }
        if !word.isEmpty { syllables.append(word) }
        guard !syllables.isEmpty else { return "" }
        let primary = syllables.joined(separator: " ")
        // The surname's own reading, when the name starts with a Chinese character.
        guard let first = hanAt[0] else { return primary }
        var alternative = syllables
        let scalars = Array(name.unicodeScalars.prefix(2))
        if scalars.count == 2, hanAt[1] != nil,
            let compound = Self.surnameReadings[String(String.UnicodeScalarView(scalars))], compound.count == 2
        {
            alternative[0] = compound[0]
            alternative[1] = compound[1]
        } else if let single = Self.surnameReadings[String(first)], single.count == 1 {
            alternative[0] = single[0]
        } else {
            alternative[0] = surnameSyllable(first)
        }
        guard alternative != syllables, !alternative[0].isEmpty else { return primary }
        return alternative.joined(separator: " ") + "|" + primary
    }

    private mutating func plainSyllable(_ scalar: Unicode.Scalar) -> String {
        if let known = plain[scalar.value] { return known }
        let syllable = Self.transform(scalar, Self.plainTransform)
        plain[scalar.value] = syllable
        return syllable
    }

    private mutating func surnameSyllable(_ scalar: Unicode.Scalar) -> String {
        if let known = surname[scalar.value] { return known }
        let syllable = Self.transform(scalar, Self.surnameTransform)
        surname[scalar.value] = syllable
        return syllable
    }

    static let plainTransform = StringTransform("Han-Latin; Latin-ASCII")
    static let surnameTransform = StringTransform("Han-Latin/Names; Latin-ASCII")

    /// One character's syllable: lowercase ASCII letters only (the transform's tones stripped).
    static func transform(_ scalar: Unicode.Scalar, _ transform: StringTransform) -> String {
        let latin = String(scalar).applyingTransform(transform, reverse: false) ?? ""
        return String(String.UnicodeScalarView(latin.unicodeScalars.compactMap { s -> Unicode.Scalar? in
            guard s.isASCII, s.properties.isAlphabetic else { return nil }
            return Unicode.Scalar(UInt8(ascii: s).lowercasedASCII)
        }))
    }
}

extension UInt8 {
    init(ascii scalar: Unicode.Scalar) { self = UInt8(truncatingIfNeeded: scalar.value) }

    var lowercasedASCII: UInt8 { self >= 65 && self <= 90 ? self + 32 : self }
}

/// The readings of heads' and villages' names, kept beside them (migration v9-household-search)
/// so that a search reads 45,000 readings instead of transforming 45,000 names: a cache derived
/// from the names, local to the store, never packed. Each reading is keyed by its household's or
/// village's rowid and holds the name it was read from: a reading whose name no longer matches
/// (an edit, a merge) is read again, as is a household's that has none yet (merged from the
/// office's roster bundle, found in the field): a search does that for what it reads, and
/// stores it when the store can be written; roster import does it for the whole roster.
enum NameReadings {
    /// What is read of one kind's records: `field` (a column of the same name in the kind's
    /// table), kept in `readings` keyed by the record's rowid in a column named as that table.
    struct Read: Sendable {
        var kind: RecordKind
        var field: String
        var readings: String
        var records: String { kind.table }
        var key: String { kind.table }

        /// Stores one reading (bound: the record's rowid, the name, its reading).
        var storeSQL: String {
            "INSERT OR REPLACE INTO \(readings) (\(key), name, reading) VALUES (?, ?, ?)"
        }

        /// Stores one reading (bound: the record's id, the name, its reading) for the row of that id.
        var storeByIDSQL: String {
            "INSERT OR REPLACE INTO \(readings) (\(key), name, reading) SELECT rowid, ?2, ?3 FROM \(records) WHERE id = ?1"
        }
    }

    /// Households' heads' names.
    static let households = Read(kind: .household, field: "head", readings: "household_reading")
    /// Villages' names.
    static let villages = Read(kind: .village, field: "name", readings: "village_reading")
    /// The names read: households' heads, villages' names.
    static let reads = [households, villages]

    /// What is read of `kind`'s records, if anything.
    static func read(_ kind: RecordKind) -> Read? { reads.first { $0.kind == kind } }

    /// Reads and stores the names of households and villages whose reading is missing or stale.
    static func fillMissing(_ db: Database) throws {
        var reader = NameReader()
        for read in reads {
            let (table, readings, column, key) = (read.records, read.readings, read.field, read.key)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT x.rowid, x.\(column) FROM \(table) x LEFT JOIN \(readings) r ON r.\(key) = x.rowid
                    WHERE x.\(column) IS NOT NULL AND (r.\(key) IS NULL OR r.name IS NOT x.\(column))
                    """)
            try store(db, read, rows.map { row in
                let name: String = row[1]
                return (row[0], name, reader.reading(of: name))
            })
        }
    }

    /// Stores readings of what `read` reads: (rowid, name, reading).
    static func store(_ db: Database, _ read: Read, _ readings: [(Int64, String, String)]) throws {
        guard !readings.isEmpty else { return }
        let statement = try db.makeStatement(sql: read.storeSQL)
        for (rowid, name, reading) in readings {
            try statement.execute(arguments: [rowid, name, reading])
        }
    }
}

extension Schema {
    /// The readings of names for `fieldbook find` (``NameReadings``), filled for the store's
    /// households and villages.
    static func createHouseholdSearch(_ db: Database) throws {
        try db.execute(
            sql: """
                -- The pinyin of heads' names, by household rowid, with the name it was read from
                -- (derived from the household table; never packed).
                CREATE TABLE household_reading (
                    household INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    reading TEXT NOT NULL
                );

                -- The same for villages' names, by village rowid.
                CREATE TABLE village_reading (
                    village INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    reading TEXT NOT NULL
                );
                """)
        try NameReadings.fillMissing(db)
    }
}
