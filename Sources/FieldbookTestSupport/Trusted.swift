import FieldbookCore
import Foundation

/// An office and its enrolled laptops, as the trust issue's flow makes them: the office with the
/// sample roster and keys; each laptop made with the office's key pinned, enrolled from its request,
/// and given the office's signed roster bundle (which carries the trust list).
public final class TrustedDistrict {
    public let directory: TemporaryDirectory
    public let office: Store
    public private(set) var laptops: [String: Store] = [:]
    public private(set) var rosterBundle: String?
    private var seed: UInt64 = 100

    public init(_ directory: TemporaryDirectory) throws {
        self.directory = directory
        office = try makeOfficeStore(in: directory, clock: FixedEnvironment(seed: 1))
        _ = try office.publicKeys()
    }

    /// A laptop with the office pinned (not yet enrolled).
    public func makeLaptop(_ name: String, team: String = "第一巡察组", enroll: Bool = true) throws -> Store {
        seed += 1
        let store = try Store.create(
            at: directory.path("\(name).sqlite"),
            setup: DeviceSetup(name: name, team: team, round: "五届第五轮", inspectors: ["张三"]),
            environment: FixedEnvironment(seed: seed).environment)
        try store.pinOffice(try office.officeKeyFile()!)
        if enroll { try office.enroll(try store.enrollmentRequest().request) }
        laptops[name] = store
        return store
    }

    /// Packs the office's roster (with the trust list and receipts) and merges it into every laptop
    /// named, or all of them.
    @discardableResult
    public func handOutRoster(to names: [String]? = nil) throws -> String {
        let folder = directory.path("roster-\(UUID().uuidString.prefix(8))")
        guard let bundle = try office.pack(into: folder, scope: .roster) else { throw BundleError("no roster") }
        rosterBundle = bundle.path
        for name in names ?? Array(laptops.keys) {
            let outcome = laptops[name]!.merge(bundleAt: bundle.path)
            if case .rejected(let reason) = outcome.status { throw BundleError("\(name): \(reason)") }
        }
        return bundle.path
    }

    /// Packs a store's changes into a new folder; the bundle's path.
    public func pack(_ store: Store, scope: PackScope = .unpacked) throws -> String {
        let folder = directory.path("stick-\(UUID().uuidString.prefix(8))")
        guard let bundle = try store.pack(into: folder, scope: scope) else { throw BundleError("nothing to pack") }
        return bundle.path
    }
}
