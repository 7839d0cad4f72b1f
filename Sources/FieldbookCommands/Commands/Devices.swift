import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Devices: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("List every device: enrolled, pending, revoked; what this store holds of each."),
            discussion: tr(id: "help.devices.discussion", """
                standing: enrolled (in the office's trust list), pending (its changes were seen, it \
                was never enrolled), revoked (its changes after N are refused), office, this (this \
                store). A laptop an office below this one enrolled (a county office's, at the \
                city's) stands as that office's trust list says: "enrolled by" that office. seq: the \
                highest sequence number held; held: up to which every change is held without a gap. `devices enroll`, `devices revoke` and `devices policy` change them.
                """),
            subcommands: [EnrollRequest.self, Revoke.self, Policy.self])

        enum Format: String, CaseIterable, ExpressibleByArgument {
            case table, csv, json
        }

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("table (default), csv (UTF-8 with BOM, for Excel and WPS) or json."))) var format: Format = .table

        func run(_ context: CommandContext) throws {
            let listings = try context.open().deviceListings()
            let zone = context.environment.timeZone
            switch format {
            case .table: print(Self.table(listings, zone: zone))
            case .csv: Console.writeRaw(Self.csv(listings, zone: zone))
            case .json: Console.writeRaw(Self.json(listings).rendered() + "\n")
            }
        }

        static func standing(_ d: DeviceListing) -> String {
            let by = d.enrolledBy.map { tr(" by \($0)") } ?? ""
            switch d.standing {
            case .revoked: return tr("revoked after \(d.revokedAfterSeq ?? 0)") + by
            case .this: return d.role == .central ? tr("this (office)") : tr("this")
            case .enrolled: return (d.role == .central ? tr("enrolled (office)") : tr("enrolled")) + by
            case .pending: return tr("pending")
            case .office: return tr("office")
            }
        }

        /// An ISO 8601 time as the local `2026-11-21 09:00`.
        static func when(_ iso: String?, zone: TimeZone) -> String {
            guard let iso, let date = ISO8601DateFormatter().date(from: iso) else { return iso ?? "" }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            return formatter.string(from: date)
        }

        static func table(_ listings: [DeviceListing], zone: TimeZone) -> String {
            guard !listings.isEmpty else { return tr("No devices.") }
            var table = TextTable(columns: [
                .init(tr("device"), shrinks: true), .init(tr("team"), shrinks: true), .init(tr("standing")), .init(tr("fingerprint")),
                .init(tr("seq"), alignRight: true), .init(tr("held"), alignRight: true), .init(tr("last bundle"), shrinks: true),
                .init(tr("when")),
            ])
            for d in listings {
                table.add([
                    d.name, d.team ?? "", standing(d), d.fingerprint ?? "", String(d.lastSeq), String(d.contiguousSeq),
                    d.lastBundle ?? "", when(d.lastBundleAt, zone: zone),
                ])
            }
            let counts = Dictionary(grouping: listings, by: \.standing).mapValues(\.count)
            let summary = tr("\(counts[.enrolled] ?? 0) enrolled, \(counts[.pending] ?? 0) pending, \(counts[.revoked] ?? 0) revoked.")
            return table.render(maxWidth: 160) + "\n" + summary
        }

        static func csv(_ listings: [DeviceListing], zone: TimeZone) -> String {
            func field(_ value: String) -> String {
                var text = value
                if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
                guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            var lines = [["id", "device", "team", "role", "standing", "revoked_after_seq", "fingerprint", "seq", "held",
                          "last_bundle", "last_bundle_at", "enrolled_by"]]
            for d in listings {
                lines.append([
                    d.id, d.name, d.team ?? "", d.role.rawValue, d.standing.rawValue, d.revokedAfterSeq.map(String.init) ?? "",
                    d.fingerprint ?? "", String(d.lastSeq), String(d.contiguousSeq), d.lastBundle ?? "", when(d.lastBundleAt, zone: zone),
                    d.enrolledBy ?? "",
                ])
            }
            return "\u{FEFF}" + lines.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
        }

        static func json(_ listings: [DeviceListing]) -> JSONValue {
            .array(listings.map { d in
                .object([
                    "id": .string(d.id), "name": .string(d.name), "team": d.team.map(JSONValue.string) ?? .null,
                    "role": .string(d.role.rawValue), "standing": .string(d.standing.rawValue),
                    "revoked_after_seq": d.revokedAfterSeq.map(JSONValue.int) ?? .null,
                    "fingerprint": d.fingerprint.map(JSONValue.string) ?? .null,
                    "last_seq": .int(d.lastSeq), "held_through_seq": .int(d.contiguousSeq),
                    "last_bundle": d.lastBundle.map(JSONValue.string) ?? .null,
                    "last_bundle_at": d.lastBundleAt.map(JSONValue.string) ?? .null,
                    "enrolled_by": d.enrolledBy.map(JSONValue.string) ?? .null,
                ])
            })
        }

        struct EnrollRequest: StoreCommand {
            static let configuration = CommandConfiguration(
                commandName: "enroll",
                abstract: tr("Enroll a laptop (or an office below this one) from the request `fieldbook enroll` wrote on it."),
                discussion: tr(id: "help.devices.enroll.discussion", """
                    Shows the request's device, team and fingerprint. At a terminal it asks whether the \
                    laptop shows the same fingerprint (the team leader reads it from the laptop's \
                    screen); otherwise give --fingerprint with the digits the laptop shows (spaces do \
                    not matter), or --yes once compared. A fingerprint that does not match, or is not \
                    confirmed, exits 77 and enrolls nothing. Enrolling the same request again changes \
                    nothing; a revoked laptop is never enrolled again. A county office's request (its \
                    `fieldbook enroll` on an office store) enrolls it here as an office: its bundles \
                    then merge here, with the laptops its own trust list enrolls.
                    """))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The request file (NAME_ID.fbenroll)."))) var request: String
            @Option(help: ArgumentHelp(tr("The fingerprint the laptop shows, e.g. \"12345 67890 …\"."))) var fingerprint: String?
            @Flag(help: ArgumentHelp(tr("Enroll without asking: the fingerprints were compared already."))) var yes = false

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                guard try store.trustSummary().isCentral else {
                    throw FieldbookError.notPermitted(
                        tr("only the office enrolls devices; on a laptop, `fieldbook enroll --out DIR` writes the request to carry there"))
                }
                let data = try KeyFiles.read(request, what: tr("the enrollment request"))
                let parsed: EnrollmentRequest
                do {
                    parsed = try EnrollmentRequest.decode(data)
                } catch let error as TrustError {
                    throw KeyFiles.bad(request, error)
                }
                let shown = parsed.keys.fingerprint
                let known = try store.deviceListings().first { $0.id == parsed.device }
                if known?.standing == .enrolled, known?.fingerprint == shown {
                    print(tr("\(parsed.name) (id \(parsed.device)) is enrolled already with these keys; nothing changed.").oneLine)
                    return
                }
                let office = parsed.role == .central
                let team = parsed.team.map { tr(", team \($0)") } ?? tr(", no team")
                let describe = office
                    ? tr("the office \(parsed.name) (id \(parsed.device)), to report to this one, request written \(parsed.createdAt)")
                    : tr("\(parsed.name) (id \(parsed.device))\(team), request written \(parsed.createdAt)")
                if let fingerprint {
                    let digits = fingerprint.filter { $0 != " " }
                    guard digits.count == 30, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                        throw FieldbookError.invalidValue(
                            field: "fingerprint", value: fingerprint, expected: tr("30 digits as the laptop shows them, e.g. \"12345 67890 12345 67890 12345 67890\""))
                    }
                    guard digits == shown.filter({ $0 != " " }) else {
                        throw FieldbookError.notPermitted(
                            tr("the fingerprint given (\(fingerprint)) is not the request's (\(shown)): the request may not come from that laptop. Nothing was enrolled"))
                    }
                } else if !yes {
                    guard Prompt.canAsk else {
                        throw KeyFiles.refuse(
                            tr("the fingerprint of \(request) must be compared with the laptop's: give --fingerprint \"…\" as the laptop shows it (or --yes once compared). Nothing was enrolled."),
                            code: 64)
                    }
                    print(tr("Request: \(describe)").oneLine)
                    print(tr("Fingerprint: \(shown)"))
                    guard Prompt.confirm(office ? tr("Does that office show this fingerprint?") : tr("Does the laptop show this fingerprint?")) else {
                        throw FieldbookError.notPermitted(tr("the fingerprint was not confirmed. Nothing was enrolled"))
                    }
                }
                try store.enroll(parsed)
                print(tr("Enrolled \(describe).").oneLine)
                print(tr("Fingerprint \(shown)."))
                if office {
                    print(tr("Its bundles (`fieldbook pack` there) now merge here, with the laptops its trust list enrolls."))
                } else {
                    print(tr("The next `fieldbook pack --roster` carries the trust list to the laptops."))
                }
            }
        }

        struct Revoke: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Revoke a lost or stolen laptop: its changes up to N stay, later ones are refused."),
                discussion: tr(id: "help.devices.revoke.discussion", """
                    N is --after-seq, by default what this office holds of the laptop without a gap. A \
                    revocation can only move earlier, and is never undone. The next `fieldbook pack \
                    --roster` carries it to the laptops, which then refuse the revoked laptop's later \
                    changes too.
                    """))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The device's name, or the start of its id (`fieldbook devices` lists them)."))) var device: String
            @Option(help: ArgumentHelp(tr("Keep its changes up to this sequence number; refuse the later ones."))) var afterSeq: Int64?

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                let revoked = try store.revoke(device: device, afterSeq: afterSeq)
                let n = revoked.afterSeq
                let listing = try store.deviceListings().first { $0.name == revoked.name && $0.revokedAfterSeq == n }
                let held = listing?.contiguousSeq ?? 0
                let last = listing?.lastSeq ?? 0
                let id = listing.map { tr(" (id \($0.id))") } ?? ""
                print(tr("Revoked \(revoked.name)\(id) after change \(n).").oneLine)
                print(n == 0 ? tr("Kept: none of its changes.") : tr("Kept: its changes 1–\(n); this office holds \(held == 0 ? tr("none") : "1–\(held)") of them without a gap."))
                if n > held {
                    print(tr("Its changes \(held + 1)–\(n) that are not here yet are still merged when they arrive."))
                }
                if last > n {
                    print(tr("This office holds changes after \(n) already (up to \(last)); the revocation does not remove them."))
                }
                print(tr("Refused: every change of it after \(n), by this office and by every laptop the revocation reaches."))
                print(tr("The next `fieldbook pack --roster` carries the revocation to the laptops."))
            }
        }

        struct Policy: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Show or change whether unsigned (format 1) bundles are merged."),
                discussion: tr(id: "help.devices.policy.discussion", """
                    auto (the default): signatures are required once a device is enrolled (the office) \
                    or the office's trust list has arrived (a laptop). --require: always. \
                    --allow-unsigned: never, to merge old sticks; go back with --auto.
                    """))

            enum Choice: String, EnumerableFlag {
                case auto, require, allowUnsigned

                var policy: SignaturePolicy {
                    switch self {
                    case .auto: .auto
                    case .require: .require
                    case .allowUnsigned: .allowUnsigned
                    }
                }
            }

            @OptionGroup var store: StoreOptions
            @Flag(help: ArgumentHelp(tr("Set the policy."))) var choice: Choice?

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                let before = try store.signaturePolicy().policy
                if let choice, choice.policy != before {
                    try store.setSignaturePolicy(choice.policy)
                    print(tr("Signature policy changed from \(before.rawValue) to \(choice.policy.rawValue)."))
                }
                let (policy, requires) = try store.signaturePolicy()
                let summary = try store.trustSummary()
                print(tr("Signature policy: \(policy.rawValue)."))
                print(Self.explain(policy, requires: requires, summary: summary))
            }

            static func explain(_ policy: SignaturePolicy, requires: Bool, summary: TrustSummary) -> String {
                switch policy {
                case .require:
                    return tr("Signatures are required now, always: unsigned (format 1) bundles are refused.")
                case .allowUnsigned:
                    return tr("Signatures are not required: unsigned (format 1) bundles are merged. Go back with `fieldbook devices policy --auto` once the old sticks are in.")
                case .auto:
                    let devices = summary.enrolled + summary.revoked
                    if requires {
                        return summary.isCentral
                            ? tr("Signatures are required now: the trust list names \(devices) devices, so unsigned (format 1) bundles are refused.")
                            : tr("Signatures are required now: the office's trust list has arrived, so unsigned (format 1) bundles are refused.")
                    }
                    return summary.isCentral
                        ? tr("Signatures are not required yet: no device is enrolled, so unsigned (format 1) bundles are merged until the first one is.")
                        : tr("Signatures are not required yet: no trust list from the office has arrived, so unsigned (format 1) bundles are merged until one does.")
                }
            }
        }
    }
}
