import GRDB

/// Which townships a tally's place filters (`--city`, `--county`, `--township`) leave: resolved
/// against the store's live townships, each unknown or ambiguous name refused in one line that
/// lists the names the store holds.
enum TallyPlace {
    /// The ids of the townships asked for, in roster order.
    static func townships(
        _ db: Database, township: String?, county: String?, city: String?, districtName: String?, store: Store
    ) throws -> [String] {
        // Only a township: as it always was (its name, or COUNTY/TOWNSHIP where names repeat).
        if let township, county == nil, city == nil {
            return [try store.resolveTownship(db, township)]
        }
        struct Township {
            var id: String
            var name: String
            var county: String?
            var city: String?
        }
        var set = try Row.fetchAll(db, sql: "SELECT id, name, county, city FROM township WHERE deleted = 0 ORDER BY created_hlc, id")
            .map { Township(id: $0["id"], name: $0["name"], county: $0["county"], city: $0["city"]) }
        if let city {
            let matching = set.filter { $0.city == city }
            guard !matching.isEmpty else {
                let known = distinct(set.compactMap(\.city))
                throw FieldbookError.unknownName(
                    field: "city", value: city,
                    expected: known.isEmpty
                        ? tr("no township of this store names a city (市); its roster has no city column")
                        : tr("use a city of this store: \(listed(known))"))
            }
            set = matching
        }
        if let county {
            let matching = set.filter { $0.county == county || ($0.county == nil && county == districtName) }
            guard !matching.isEmpty else {
                let known = distinct(set.compactMap { $0.county ?? districtName })
                throw FieldbookError.unknownName(
                    field: "county", value: county,
                    expected: known.isEmpty
                        ? tr("no township of this store names a county (区/县); its roster has no county column")
                        : city.map { tr("use a county of this store in \($0): \(listed(known))") } ?? tr("use a county of this store: \(listed(known))"))
            }
            let cities = distinct(matching.map { $0.city ?? "?" })
            if cities.count > 1 {
                throw FieldbookError.invalidValue(
                    field: "county", value: county,
                    expected: tr("counties of this name are in several cities: \(listed(cities.map { "\($0)/\(county)" })); add --city CITY"))
            }
            set = matching
        }
        if let township {
            let matching = set.filter { $0.name == township }
            if matching.isEmpty {
                let scope = [city, county].compactMap { $0 }.joined(separator: "/")
                throw FieldbookError.unknownName(
                    field: "township", value: township,
                    expected: tr("a township of \(scope) on the roster: \(listed(distinct(set.map(\.name))))"))
            }
            if matching.count > 1 {
                let labels = matching.map { [$0.county ?? districtName ?? "?", $0.name].joined(separator: "/") }
                throw FieldbookError.invalidValue(
                    field: "township", value: township,
                    expected: tr("several townships have this name: \(listed(labels)); add --county COUNTY"))
            }
            set = matching
        }
        return set.map(\.id)
    }

    /// Each name once, in the order first seen.
    static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// Names joined for a one-line message: the first 30, then how many in all.
    static func listed(_ names: [String]) -> String {
        names.count <= 30 ? names.joined(separator: ", ") : tr("\(names.prefix(30).joined(separator: ", ")), … (\(names.count) in all)")
    }
}
