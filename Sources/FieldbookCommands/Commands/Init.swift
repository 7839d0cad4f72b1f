import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Init: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Create a store for this laptop (or, with --central, for the office)."),
            discussion: tr(id: "help.init.discussion", """
                Every store gets its own keys. The office's fingerprint is printed at --central; a \
                laptop made with --office pins the office's keys from office.fbkey (which the office \
                writes with `fieldbook keys export`) and prints the office's fingerprint, to compare \
                with the office's screen. An office store made with --central --office pins the \
                office above it instead (a county office pins the city's), which it packs its \
                changes for.
                """))

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("A name for this laptop, e.g. 第一巡察组-笔记本1."))) var device: String
        @Option(help: ArgumentHelp(tr("The inspection team, e.g. 第一巡察组."))) var team: String?
        @Option(help: ArgumentHelp(tr("The round to record in, e.g. 五届第五轮."))) var round: String?
        @Option(help: ArgumentHelp(tr("Inspectors named on visits when --by is not given, e.g. 张三,李四."))) var inspectors: String?
        @Flag(help: ArgumentHelp(tr("Make the office's central store, which merges every team's bundles."))) var central = false
        @Option(help: ArgumentHelp(tr("The office's key file (office.fbkey) to pin on this laptop; with --central, the key file of the office above this one (the city's).")))
        var office: String?
        @Option(help: ArgumentHelp(tr("The district (区/县) a roster without county columns covers, e.g. 睢阳区: tallies name it (else 全区).")))
        var district: String?

        func run(_ context: CommandContext) throws {
            // The office's file is read before the store is made: a bad file leaves no store behind.
            var officeFile: OfficeKeyFile?
            if let office {
                let data = try KeyFiles.read(office, what: tr("the office key file"))
                do {
                    officeFile = try OfficeKeyFile.decode(data)
                } catch let error as TrustError {
                    throw KeyFiles.bad(office, error)
                }
            }
            let created = try Store.create(
                at: context.path,
                setup: DeviceSetup(
                    name: device, team: team, round: round,
                    inspectors: inspectors.map(Store.splitNames) ?? [], central: central, district: district),
                environment: context.environment)
            let keys: PublicKeys
            let status: StoreStatus
            do {
                keys = try created.publicKeys()
                if let officeFile { try created.pinOffice(officeFile) }
                status = try created.status()
            } catch {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: context.path + suffix) }
                throw error
            }
            var line = central
                ? tr("Created central store \(context.path) for device \(status.deviceName) (id \(status.deviceID))")
                : tr("Created store \(context.path) for device \(status.deviceName) (id \(status.deviceID))")
            if let team = status.team { line += tr(", team \(team)") }
            if let round = status.round { line += tr(", round \(round)") }
            if let district = district?.trimmingCharacters(in: .whitespaces), !district.isEmpty { line += tr(", district \(district)") }
            print((line + tr(".")).oneLine)
            if central {
                print(tr("The office's keys were made; its fingerprint: \(keys.fingerprint)"))
                print(tr("Back them up now and keep the copy off this machine: `fieldbook keys backup --out FILE`."))
                print(tr("`fieldbook keys export --out office.fbkey` writes the file each laptop pins at `fieldbook init --office`."))
                if let officeFile {
                    print(tr("Pinned the office above this one from \(office ?? ""): \(officeFile.name), fingerprint \(officeFile.keys.fingerprint)").oneLine)
                    print(tr("Compare these digits with that office's screen (`fieldbook keys show` there). Enroll this office there with `fieldbook enroll --out DIR`; `fieldbook pack` then packs this office's changes for it.").oneLine)
                }
            } else if let officeFile {
                print(tr("Pinned the office's keys from \(office ?? ""): \(officeFile.name), fingerprint \(officeFile.keys.fingerprint)").oneLine)
                print(tr("Compare these digits with the office's screen (`fieldbook keys show` there); if they differ, this is not your office's file: delete \(context.path) and ask for the file again.").oneLine)
                print(tr("This laptop's fingerprint: \(keys.fingerprint). Enroll it at the office with `fieldbook enroll --out DIR`."))
            }
            // A laptop made without --office says no more than before keys existed: `keys show`
            // and `status` tell it has no office pinned.
        }
    }
}
