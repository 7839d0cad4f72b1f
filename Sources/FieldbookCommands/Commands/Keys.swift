import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: tr("Show, export, back up, restore or pin keys."),
            discussion: tr(id: "help.keys.discussion", """
                Every store has its own keys: Ed25519 to sign what it packs, X25519 to receive bundles \
                encrypted to it. A fingerprint (six groups of five digits) is what two people read \
                aloud to check that two screens name the same keys.
                """),
            subcommands: [Show.self, Export.self, Backup.self, Restore.self, Pin.self],
            defaultSubcommand: Show.self)

        struct Show: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Print this store's fingerprint and key ids, and on a laptop the office's it pinned."))

            @OptionGroup var store: StoreOptions

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                var summary = try store.trustSummary()
                if summary.keys == nil {
                    // A store made before keys existed gets them now.
                    _ = try store.publicKeys()
                    summary = try store.trustSummary()
                }
                let status = try store.status()
                print(Self.render(summary, name: status.deviceName))
            }

            static func render(_ s: TrustSummary, name: String) -> String {
                func row(_ label: String, _ value: String) -> String {
                    (DisplayWidth.pad(label, to: 12) + value).oneLine
                }
                let role = s.isCentral ? tr("central") : tr("field")
                var lines = [row(s.isCentral ? tr("office") : tr("laptop"), tr("\(name) (\(role), id \(s.deviceID))"))]
                if let keys = s.keys {
                    lines.append(row(tr("fingerprint"), keys.fingerprint))
                    lines.append(row(tr("sign key"), "\(keys.signID) (Ed25519)"))
                    lines.append(row(tr("box key"), "\(keys.boxID) (X25519)"))
                }
                if s.isCentral {
                    lines.append(row(tr("devices"), tr("\(s.enrolled) enrolled, \(s.revoked) revoked (`fieldbook devices` lists them)")))
                    if s.offices > 0 {
                        lines.append(row(tr("below"), tr("\(s.offices) offices enrolled; their trust lists enroll \(s.delegated) devices")))
                    }
                    if let upstream = s.upstream {
                        lines.append(row(tr("reports to"), tr("\(upstream.name) (id \(upstream.device)), pinned")))
                        lines.append(row("", tr("fingerprint \(upstream.keys.fingerprint)")))
                    }
                    return lines.joined(separator: "\n")
                }
                if let office = s.office {
                    lines.append(row(tr("office"), tr("\(office.name) (id \(office.device)), pinned")))
                    lines.append(row("", tr("fingerprint \(office.keys.fingerprint)")))
                } else {
                    lines.append(row(tr("office"), tr("none pinned: `fieldbook keys pin office.fbkey`")))
                }
                lines.append(row(tr("enrolled"), TrustText.standing(s)))
                return lines.joined(separator: "\n")
            }
        }

        struct Export: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Write the office's public keys to office.fbkey, for the teams' laptops."),
                discussion: tr(id: "help.keys.export.discussion", """
                    Each laptop pins the file with `fieldbook init --office office.fbkey` (or `fieldbook \
                    keys pin`). The file holds no secret; what makes it trustworthy is the fingerprint, \
                    which the laptop prints and a person compares with this office's screen. An existing \
                    file is not replaced (exit 73).
                    """))

            @OptionGroup var store: StoreOptions
            @Option(help: ArgumentHelp(tr("The file to write."))) var out = "office.fbkey"

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                guard try store.trustSummary().isCentral else {
                    throw FieldbookError.notPermitted(
                        tr("office.fbkey is the office's to export; a laptop's keys go to the office in an enrollment request: `fieldbook enroll --out DIR`"))
                }
                guard let file = try store.officeKeyFile() else {
                    throw FieldbookError.notPermitted(tr("this office store has no keys"))
                }
                try KeyFiles.writeNew(file.encoded(), to: out)
                print(tr("Wrote \(out): the public keys of the office \(file.name), fingerprint \(file.keys.fingerprint).").oneLine)
                print(tr("Each laptop pins it with `fieldbook init --office \(out)` and shows that fingerprint: compare the digits.").oneLine)
            }
        }

        struct Backup: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Write the office's private keys and trust list to a file, under a passphrase."),
                discussion: tr(id: "help.keys.backup.discussion", """
                    The passphrase (at least 8 characters) is the first line of --passphrase-file, or \
                    $FIELDBOOK_PASSPHRASE, or typed twice at the terminal. The key is derived with \
                    scrypt (N=32768, r=8, p=1) and the file sealed with ChaCha20-Poly1305. Keep the file \
                    off the office machine, and make it again after enrolling or revoking devices. An \
                    existing file is not replaced (exit 73).
                    """))

            @OptionGroup var store: StoreOptions
            @Option(help: ArgumentHelp(tr("The backup file to write."))) var out: String
            @Option(help: ArgumentHelp(tr("A file whose first line is the passphrase."))) var passphraseFile: String?

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                guard try store.trustSummary().isCentral else {
                    throw FieldbookError.notPermitted(
                        tr("only the office's keys are backed up; a laptop's keys never leave it (a lost laptop is revoked, and a new store is enrolled)"))
                }
                if FileManager.default.fileExists(atPath: out) {
                    throw KeyFiles.refuse(tr("\(out) already exists; it was left untouched. Remove it first, or choose another path with --out."), code: 73)
                }
                let passphrase = try Passphrase.obtain(
                    file: passphraseFile, confirm: true, environment: ProcessInfo.processInfo.environment)
                let data = try store.backupKeys(passphrase: passphrase)
                try KeyFiles.writeNew(data, to: out, mode: 0o600)
                let summary = try store.trustSummary()
                print(tr("Wrote \(out): the office's private keys (fingerprint \(summary.keys?.fingerprint ?? "?")) and its trust list (\(summary.enrolled, "device") enrolled, \(summary.revoked) revoked), under the passphrase.").oneLine)
                print(tr("Keep it off this machine, with the passphrase kept apart; `fieldbook keys restore \(out)` brings the keys back on a new office store.").oneLine)
            }
        }

        struct Restore: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Bring the office's keys and trust list back from a backup, into an office store."),
                discussion: tr(id: "help.keys.restore.discussion", """
                    Into a new office store (`fieldbook init --central` on the new machine), whose own \
                    new keys the backup's replace; or into the same office, where restoring changes \
                    nothing it should not. Refused over an office store that has enrolled devices \
                    under other keys (exit 77). A wrong passphrase or a damaged file exits 65.
                    """))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The backup file (from `fieldbook keys backup`)."))) var file: String
            @Option(help: ArgumentHelp(tr("A file whose first line is the passphrase."))) var passphraseFile: String?

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                guard try store.trustSummary().isCentral else {
                    throw FieldbookError.notPermitted(
                        tr("keys are restored only into an office store (make one with `fieldbook init --central`); a laptop keeps its own keys"))
                }
                let data = try KeyFiles.read(file, what: tr("the key backup"))
                // A passphrase file is read as its first line; a backup made with the same file by an
                // earlier release, which read some files otherwise (Windows line ends), opens too.
                let passphrases = try Passphrase.candidates(
                    file: passphraseFile, confirm: false, environment: ProcessInfo.processInfo.environment)
                var restored: KeyRestore?
                var refusal: TrustError?
                for passphrase in passphrases where restored == nil {
                    do {
                        restored = try store.restoreKeys(from: data, passphrase: passphrase)
                    } catch let error as TrustError {
                        refusal = refusal ?? error
                    }
                }
                guard let restored else { throw KeyFiles.bad(file, refusal ?? TrustError(tr("the passphrase is wrong, or the file is damaged; nothing was restored"))) }
                print(tr("Restored the office's keys from \(file) (made \(restored.madeAt)): fingerprint \(restored.keys.fingerprint).").oneLine)
                print(tr("Devices: \(restored.enrolled) enrolled, \(restored.revoked) revoked (trust list version \(restored.trustListVersion)). Laptops that pinned this office go on trusting it."))
                if let replaced = restored.replaced {
                    print(tr("They replace the keys this store was made with (fingerprint \(replaced.fingerprint)); no laptop should pin those."))
                }
            }
        }

        struct Pin: StoreCommand {
            static let configuration = CommandConfiguration(
                abstract: tr("Pin the office's keys from office.fbkey on a laptop made without --office (on an office: the office above it)."),
                discussion: tr(id: "help.keys.pin.discussion", """
                    On an office store it pins the office above it (a county office pins the city's \
                    key file): `fieldbook enroll` then writes this office's request for that office, \
                    and `fieldbook pack` packs this office's changes for it, signed and encrypted to it. \
                    A laptop that already trusts another office's keys refuses (exit 77), unless \
                    --replace is given: for an office whose disk died without a key backup, which made \
                    new keys. The laptop then forgets the old office's trust list and receipts, enrolls \
                    with the new office (`fieldbook enroll`), and `fieldbook pack --all` gives the new \
                    office everything it holds.
                    """))

            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp(tr("The office's key file (from `fieldbook keys export` at the office)."))) var file: String
            @Flag(help: ArgumentHelp(tr("Trust this office instead of the one pinned before (compare the fingerprint first).")))
            var replace = false

            func run(_ context: CommandContext) throws {
                let store = try context.open()
                let data = try KeyFiles.read(file, what: tr("the office key file"))
                let office: OfficeKeyFile
                do {
                    office = try OfficeKeyFile.decode(data)
                } catch let error as TrustError {
                    throw KeyFiles.bad(file, error)
                }
                let summary = try store.trustSummary()
                if summary.isCentral {
                    let before = summary.upstream
                    try store.pinOffice(office, replace: replace)
                    if before?.keys == office.keys {
                        print(tr("This office already reports to \(office.name), fingerprint \(office.keys.fingerprint). Nothing changed.").oneLine)
                        return
                    }
                    print(tr("Pinned the office above this one from \(file): \(office.name), fingerprint \(office.keys.fingerprint)").oneLine)
                    print(tr("Compare these digits with that office's screen (`fieldbook keys show` there). Then `fieldbook enroll --out DIR`, and `fieldbook pack` packs this office's changes for it."))
                    return
                }
                let before = summary.office
                try store.pinOffice(office, replace: replace)
                if replace, let before, before.keys != office.keys {
                    print(tr("Replaced the office this laptop trusted (fingerprint \(before.keys.fingerprint)) with \(office.name), fingerprint \(office.keys.fingerprint).").oneLine)
                    print(tr("Compare these digits with the new office's screen. Then `fieldbook enroll --out DIR`, and once enrolled, `fieldbook pack --all` for the new office."))
                    return
                }
                if before?.keys == office.keys {
                    print(tr("This laptop already trusts these keys: \(office.name), fingerprint \(office.keys.fingerprint). Nothing changed.").oneLine)
                    return
                }
                print(tr("Pinned the office's keys from \(file): \(office.name), fingerprint \(office.keys.fingerprint)").oneLine)
                print(tr("Compare these digits with the office's screen (`fieldbook keys show` there). Then `fieldbook enroll --out DIR`."))
            }
        }
    }
}

/// How the commands word a store's trust.
enum TrustText {
    /// A laptop's standing at the office, as far as the trust list it holds says.
    static func standing(_ s: TrustSummary) -> String {
        switch s.standing {
        case .enrolled: tr("yes (trust list version \(s.trustListVersion) names this laptop)")
        case .revoked: tr("revoked: the office refuses this laptop's changes after \(s.revokedAfterSeq ?? 0)")
        default:
            s.office == nil
                ? tr("not yet: pin the office's keys, then `fieldbook enroll --out DIR`")
                : tr("not yet, as far as this laptop knows: `fieldbook enroll --out DIR` writes the request; the office's next roster bundle confirms it")
        }
    }
}
