import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Enroll: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Write this laptop's enrollment request, for the office to enroll."),
            discussion: tr(id: "help.enroll.discussion", """
                Writes NAME_ID8.fbenroll into the folder: this laptop's name, team and public keys, \
                signed with its own key. Carry it to the office, where `fieldbook devices enroll FILE` \
                enrolls it after the team leader reads out the fingerprint printed here. On an \
                office store it writes the office's request for the office above it (a county \
                office's, for the city's), which enrolls it as an office.
                """))

        static let fileExtension = "fbenroll"

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp(tr("The folder to write the request to (a USB stick)."))) var out: String

        func run(_ context: CommandContext) throws {
            let store = try context.open()
            let (request, keys) = try store.enrollmentRequest()
            let office = request.role == .central
            let what = office ? tr("office") : tr("laptop")
            let path = (out as NSString).appendingPathComponent(Self.fileName(request))
            try KeyFiles.makeFolder(out)
            if let held = FileManager.default.contents(atPath: path), let existing = try? EnrollmentRequest.decode(held),
                existing.device == request.device, existing.keys == request.keys
            {
                print(tr("\(path) already holds this \(what)'s request; it was left as it is.").oneLine)
            } else {
                try KeyFiles.writeNew(request.encoded(signedBy: keys), to: path)
                let team = request.team.map { tr(", team \($0)") } ?? ""
                print(tr("Wrote \(path): the enrollment request of \(request.name)\(team).").oneLine)
            }
            print(office ? tr("This office's fingerprint, to read to the office above when it enrolls the request:") : tr("This laptop's fingerprint, to read to the office when it enrolls the request:"))
            print("    \(request.keys.fingerprint)")
            if office {
                if try store.trustSummary().upstream == nil {
                    print(tr("No office above this one is pinned yet: pin its key file with `fieldbook keys pin city.fbkey`, so `fieldbook pack` can pack for it."))
                }
            } else if try store.trustSummary().office == nil {
                print(tr("No office keys are pinned here yet: pin them with `fieldbook keys pin office.fbkey`, so this laptop can check what the office sends."))
            }
        }

        /// `第一组-笔记本1_2f1c9a0b.fbenroll`: the device's name made safe for a file name, and the
        /// start of its id.
        static func fileName(_ request: EnrollmentRequest) -> String {
            var safe = String(request.name.map { "/\\:*?\"<>| \t".contains($0) || $0.isNewline ? "_" : $0 }.prefix(40))
                .terminalSafe.replacingOccurrences(of: "\\", with: "_")
            if safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
            return "\(safe)_\(request.device.prefix(8)).\(fileExtension)"
        }
    }
}
