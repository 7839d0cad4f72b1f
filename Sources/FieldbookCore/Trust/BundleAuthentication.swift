import Crypto
import Foundation

/// What a store checks of a format 2 bundle before and while merging it: who signed it, that this
/// store can open it, that every change is its author's (bundles/FORMAT.md, "Format 2").
///
/// Before the payload: the packer's signature over the header (and so the manifest) by a key this
/// store trusts, the manifest's claims about roles against the keys, a revoked packer past its
/// revocation point, the file key unwrapped with this store's key, every segment's signature by its
/// author's key. While the lines stream: each line hashed into its segment, in order. After: every
/// segment whole and its digest matching.
struct BundleAuthentication {
    /// One segment being checked.
    final class Check {
        let segment: Segment
        var hasher = SHA256()
        var next: Int64
        init(_ segment: Segment) {
            self.segment = segment
            next = segment.firstSeq
        }
    }

    /// Whether a line is merged, or left out because its author was revoked before it.
    enum Verdict { case merge, revoked }

    let packer: String
    let packerRole: DeviceRole
    private(set) var trust: TrustContext
    /// The trust list the bundle carries, read and checked (the office's bundles).
    let carriedTrust: TrustList.Signed?
    /// Whether the packer is an office enrolled below this one (a county office at the city's):
    /// its signature vouches for its own changes and for devices no trust list names, not for
    /// devices this office or another office below it enrolled.
    let packerIsLowerOffice: Bool
    /// A lower office this office revoked: its bundles bring nothing new.
    let packerRevoked: Bool
    /// The lower office's trust list, checked, when newer than the one this office holds of it.
    private(set) var delegatedTrust: (signed: TrustList.Signed, list: TrustList)?
    private var checks: [String: [Check]] = [:]
    /// Authors whose segments were signed by the office's key: central stores.
    private(set) var roles: [String: DeviceRole] = [:]
    private(set) var leftOutRevoked = 0
    private var line = [UInt8]()

    /// Checks everything readable before the payload, and unwraps the file key into `envelope`.
    init(_ envelope: inout BundleFile.Envelope, trust: TrustContext) throws {
        let manifest = envelope.manifest
        self.trust = trust
        packer = manifest.device.id
        guard let signature = manifest.signature, let packerSignature = envelope.packerSignature else {
            throw BundleError(tr("is format 2 without a signature"))
        }
        guard let signer = trust.signer(keyID: signature.keyID) else {
            if let upstream = trust.upstream, upstream.keys.signID == signature.keyID {
                throw BundleError(
                    tr("is packed by \(upstream.name), the office above this one: bundles flow upward, to it, and this office does not merge its bundles"))
            }
            throw BundleError(
                trust.isCentral
                    ? tr("is signed by device \(manifest.device.name) (key \(signature.keyID)), which this store does not know: enroll it first (fieldbook devices enroll REQUEST), then merge this bundle again")
                    : tr("is signed by device \(manifest.device.name) (key \(signature.keyID)), which this store does not know: merge the office's latest roster bundle, which lists the enrolled devices, then merge this one again"))
        }
        guard signer.keys.signingKey.isValidSignature(packerSignature, for: BundleCrypto.bundleContext + Data(envelope.header))
        else {
            throw BundleError(tr("has a signature that does not match its contents: it was altered after it was signed. Copy it again from the laptop"))
        }
        if let device = signer.device, device != packer {
            throw BundleError(tr("is signed with the key of device \(trust.members[device]?.name ?? device) but says it was packed by \(manifest.device.name)"))
        }
        if signer.device == nil, signer.role == .central, trust.isCentral, packer != trust.localID {
            throw BundleError(
                tr("is signed with this office's own key by another store (\(manifest.device.name)): a copy of the office store, or one restored from its key backup, packs for the laptops, not for this office. Merge the laptops' bundles here instead"))
        }
        // An enrolled laptop is who the office enrolled: it cannot rename itself or change team.
        // (What a laptop's manifest says of relayed devices is not taken at all: DeviceBook.)
        if let member = trust.members[packer], member.name != manifest.device.name || member.team != manifest.device.team {
            throw BundleError(
                tr("says its laptop is \(manifest.device.name) (team \(manifest.device.team ?? tr("none"))), but the office enrolled it as \(member.name) (team \(member.team ?? tr("none"))); a laptop's name and team are the ones it was enrolled with"))
        }
        packerRole = signer.role
        guard manifest.device.role == signer.role.rawValue else {
            throw BundleError(tr("says its packer \(manifest.device.name) is a \(manifest.device.role) store, but it is signed by a \(signer.role.rawValue) store's key"))
        }
        if let member = trust.members[packer], let after = member.revokedAfterSeq, let own = manifest.ownRange, own.lastSeq > after {
            throw BundleError(
                tr("is packed by \(member.name), which the office revoked after its change \(after); this bundle holds its changes up to \(own.lastSeq). Changes after the revocation are refused"))
        }
        packerIsLowerOffice = trust.isLowerOffice(packer)
        packerRevoked = packerIsLowerOffice && trust.members[packer]?.revokedAfterSeq != nil
        if packerIsLowerOffice {
            // An office below this one packs its own changes and its laptops'; it speaks for no
            // other office.
            for d in manifest.devices where d.id != packer && d.id != trust.localID && d.role != DeviceRole.field.rawValue {
                throw BundleError(
                    tr("is packed by \(manifest.device.name), an office below this one, and says device \(d.name) is an office (central) store; an office below this one relays its laptops' changes only"))
            }
        }
        // The trust list an office bundle carries: read now, so the segments of the devices it
        // enrolls can be checked; written to the store in the merge's transaction.
        if let carried = manifest.trust, packerIsLowerOffice {
            // An office below this one (a county's, at the city's): its list is signed by its own
            // key, as this office enrolled it, and may enroll only its own laptops.
            let office = trust.members[packer]!
            guard let document = Data(base64Encoded: carried.document), let signatureBytes = Data(base64Encoded: carried.signature),
                office.keys.signingKey.isValidSignature(signatureBytes, for: TrustList.signingContext + document)
            else {
                throw BundleError(
                    tr("carries a trust list not signed by \(office.name), which packed it (its signature does not match the key this office enrolled): forged or altered on the way"))
            }
            let list: TrustList
            do { list = try TrustList.open(carried, officeKey: office.keys) } catch let error as TrustError { throw BundleError(error.reason) }
            if let problem = trust.delegationProblem(list, office: packer) { throw BundleError(problem) }
            // Against the one held: an older list is not taken (a bundle packed before the newer one,
            // arriving after it, still merges); a newer one may not undo a revocation.
            let packerID = manifest.device.id, delegatedBy = trust.delegatedBy
            let heldMembers = trust.delegated.values.filter { delegatedBy[$0.device] == packerID }
            let heldVersion = trust.delegatedVersions[packer] ?? 0
            if list.version > heldVersion, heldVersion > 0, let undoes = TrustList.replacementProblem(
                older: TrustList(version: heldVersion, issuedAt: "", office: list.office, members: Array(heldMembers), receipts: [:]),
                newer: list)
            {
                throw BundleError(tr("carries a trust list of \(office.name) that \(undoes)"))
            }
            if !packerRevoked, list.version > heldVersion {
                for (id, by) in trust.delegatedBy where by == packer {
                    self.trust.delegated[id] = nil
                    self.trust.delegatedBy[id] = nil
                }
                for m in list.members {
                    self.trust.delegated[m.device] = m
                    self.trust.delegatedBy[m.device] = packer
                }
                delegatedTrust = (carried, list)
            }
            carriedTrust = nil
        } else if let carried = manifest.trust {
            guard signer.role == .central, let office = trust.office else {
                throw BundleError(tr("carries a trust list, but is not signed by the office"))
            }
            let list: TrustList
            do { list = try TrustList.open(carried, officeKey: office.keys) } catch let error as TrustError { throw BundleError(error.reason) }
            if !trust.isCentral, list.version >= trust.version {
                self.trust.members = Dictionary(list.members.map { ($0.device, $0) }, uniquingKeysWith: { a, _ in a })
            }
            carriedTrust = carried
        } else {
            carriedTrust = nil
        }
        // The file key, wrapped for this store's key.
        guard let keys = trust.keys else {
            throw BundleError(tr("is encrypted, and this store has no keys to open it (fieldbook keys show makes them); it is addressed to \(Self.addressees(manifest, trust))"))
        }
        let myID = keys.publicKeys.boxID
        guard let entry = manifest.encryption?.recipients.first(where: { $0.keyID == myID }) else {
            throw BundleError(tr("is not addressed to this store, so it cannot be opened here: it is addressed to \(Self.addressees(manifest, self.trust))"))
        }
        let fileKey = try BundleCrypto.unwrap(entry, with: keys.agreement, bundleID: manifest.bundleID)
        envelope.fileKey = fileKey.withUnsafeBytes { Data($0) }
        // Every segment signed by its author.
        for segment in manifest.segments ?? [] {
            if packerIsLowerOffice, self.trust.memberName(segment.device) == nil, segment.device != self.trust.localID {
                // Not this office's own, nor one an office's trust list enrolls.
                if self.trust.requiresSignatures {
                    throw BundleError(
                        tr("carries signed changes of device \(segment.device), which neither this office nor \(manifest.device.name)'s trust list enrolls"))
                }
                continue
            }
            guard let author = self.trust.signer(segment.device) else {
                if self.trust.requiresSignatures {
                    throw BundleError(tr("carries changes of device \(segment.device), which this store does not know (not enrolled)"))
                }
                continue
            }
            guard segment.isSigned(by: author.keys) else {
                if self.trust.memberName(segment.device) == nil, !self.trust.requiresSignatures { continue }
                throw BundleError(
                    tr("carries changes of device \(self.trust.memberName(segment.device) ?? tr("\(segment.device) (not enrolled)")) (numbers \(segment.firstSeq)–\(segment.lastSeq)) whose signature is not that device's: forged or altered on the way"))
            }
            roles[segment.device] = author.role
            checks[segment.device, default: []].append(Check(segment))
        }
        for key in checks.keys { checks[key]!.sort { $0.segment.firstSeq < $1.segment.firstSeq } }
        roles[packer] = packerRole
        // A device's role in the manifest must be the one its key gives it.
        for d in manifest.devices {
            if let role = roles[d.id], role.rawValue != d.role {
                throw BundleError(tr("says device \(d.name) is a \(d.role) store, but its changes are signed by a \(role.rawValue) store's key"))
            }
        }
    }

    /// Whom a bundle is addressed to, by name where this store knows the key.
    static func addressees(_ manifest: BundleManifest, _ trust: TrustContext) -> String {
        let names = (manifest.encryption?.recipients ?? []).map { trust.recipientName($0.keyID) }
        return names.count > 6 ? tr("\(names.prefix(6).joined(separator: ", ")) and \(names.count - 6) more") : names.joined(separator: ", ")
    }

    /// Judges one line: hashed into its author's segment; a change no signature covers is refused
    /// when signatures are required, unless its author packed the bundle (the bundle's signature
    /// covers it) or this store holds that very change already.
    mutating func admit(_ change: ChangeLine, number: Int, holds: () throws -> Bool) throws -> Verdict {
        var covered = false
        if let list = checks[change.device] {
            var lo = 0, hi = list.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                let g = list[mid].segment
                if change.seq < g.firstSeq { hi = mid - 1 } else if change.seq > g.lastSeq { lo = mid + 1 } else {
                    let check = list[mid]
                    guard change.seq == check.next else {
                        throw BundleError(tr("has change \(change.seq) of device \(name(change.device)) at line \(number) out of its signed order (a segment's changes come in order, whole)"))
                    }
                    line.removeAll(keepingCapacity: true)
                    Segment.canonicalLine(
                        device: change.device, seq: change.seq, hlc: change.hlc, kind: change.kind.rawValue, record: change.record,
                        op: change.op.rawValue, fields: change.fields, base: change.base, into: &line)
                    line.append(0x0A)
                    check.hasher.update(data: line)
                    check.next += 1
                    covered = true
                    break
                }
            }
        }
        // The office's signature vouches for every change its bundle carries (it speaks for every
        // device); a laptop's covers only its own; an office below this one's, its own and those of
        // devices no trust list here names (its laptops enrolled before signatures, say).
        let vouched = packerIsLowerOffice
            ? trust.members[change.device] == nil && trust.delegated[change.device] == nil && change.device != trust.localID
            : packerRole == .central
        if !(covered || change.device == packer || vouched || !trust.requiresSignatures), try !holds() {
            throw BundleError(
                tr("has change \(change.seq) of device \(name(change.device)) at line \(number) that its author did not sign (a relay carries its author's signed segment; this one does not)"))
        }
        if packerRevoked, try !holds() {
            throw BundleError(
                tr("is packed by \(trust.members[packer]?.name ?? packer), an office below this one that this office revoked: its bundles bring nothing new here (change \(change.seq) of device \(name(change.device)) at line \(number) is not held)"))
        }
        if let after = trust.revokedAfterSeq(change.device), change.seq > after {
            leftOutRevoked += 1
            return .revoked
        }
        return .merge
    }

    /// A device as messages name it.
    private func name(_ device: String) -> String { trust.memberName(device) ?? tr("\(device) (not enrolled)") }

    /// Every segment whole and matching its author's digest.
    func finish() throws {
        for list in checks.values {
            for check in list {
                let g = check.segment
                guard check.next - 1 == g.lastSeq else {
                    throw BundleError(tr("carries a signed segment of device \(name(g.device)) (numbers \(g.firstSeq)–\(g.lastSeq)) without all of its changes"))
                }
                guard RecordID.hex(Array(check.hasher.finalize())) == g.sha256 else {
                    throw BundleError(
                        tr("has changes of device \(name(g.device)) (numbers \(g.firstSeq)–\(g.lastSeq)) that differ from what their author signed: altered or forged on the way"))
                }
            }
        }
    }

    /// The segments checked, for the store to keep and pass on (none of a revoked device past its point).
    var verifiedSegments: [Segment] {
        checks.values.flatMap { $0.map(\.segment) }.filter { g in
            trust.revokedAfterSeq(g.device).map { g.lastSeq <= $0 } ?? true
        }
    }
}
