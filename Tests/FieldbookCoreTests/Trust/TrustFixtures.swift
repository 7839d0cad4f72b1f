import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

/// An office with the roster and its keys, and laptops made from it, on fixed clocks.
struct TrustOffice {
    let dir = TemporaryDirectory("trust")
    let office: Store
    let rosterBundle: String

    init(name: String = "office.sqlite", clock: FixedEnvironment = FixedEnvironment(seed: 90)) throws {
        office = try makeOfficeStore(in: dir, name: name, clock: clock)
        _ = try office.publicKeys()
        rosterBundle = try #require(try office.pack(into: dir.path("roster-\(name)"), scope: .roster)).path
    }

    /// A laptop that got the roster from this office and pinned its keys.
    func laptop(_ name: String, team: String? = "第一巡察组", seed: UInt64) throws -> Store {
        let store = try Store.create(
            at: dir.path("\(name).sqlite"), setup: DeviceSetup(name: name, team: team, round: "五届第五轮"),
            environment: FixedEnvironment(seed: seed).environment)
        #expect(store.merge(bundleAt: rosterBundle).status == .merged)
        try store.pinOffice(try #require(try office.officeKeyFile()))
        return store
    }

    /// The laptop's enrollment request as the file `fieldbook enroll` writes, read back.
    func request(of laptop: Store) throws -> EnrollmentRequest {
        let (request, keys) = try laptop.enrollmentRequest()
        return try EnrollmentRequest.decode(request.encoded(signedBy: keys))
    }

    /// Records `visits` visits on `laptop`, and packs them into a new bundle.
    func packVisits(_ laptop: Store, _ visits: Int, folder: String) throws -> String {
        for _ in 0..<visits { _ = try laptop.record(.visit, ["household": "DG001"]) }
        return try #require(try laptop.pack(into: dir.path(folder))).path
    }
}

/// A cheap scrypt for tests: the standard cost takes half a second a derivation in a debug build.
let cheapCost = KeyBackup.Cost(n: 1024, r: 8, p: 1)
