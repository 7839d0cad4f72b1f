import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct EnrollmentTests {
    /// The laptop's own last sequence number (its team and round made changes 1 and 2 at init).
    func lastSeq(_ store: Store) throws -> Int64 {
        try store.read { db in try LocalState.fetch(db).lastSeq }
    }

    @Test func enrollingTheSameRequestTwiceChangesNothing() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let request = try t.request(of: a)
        let first = try t.office.enroll(request)
        let listings = try t.office.deviceListings()
        let second = try t.office.enroll(request)
        #expect(first == second)
        #expect(try t.office.deviceListings() == listings)
        let enrolled = listings.filter { $0.standing == .enrolled }
        #expect(enrolled.map(\.name) == ["笔记本A"])
        #expect(enrolled.first?.fingerprint == (try a.publicKeys()).fingerprint)
        #expect(enrolled.first?.team == "第一巡察组")
    }

    @Test func aRevokedDeviceIsNeverEnrolledAgain() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let request = try t.request(of: a)
        try t.office.enroll(request)
        _ = try t.office.revoke(device: "笔记本A", afterSeq: 0)
        do {
            try t.office.enroll(request)
            Issue.record("a revoked device was enrolled again")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
            #expect(error.message.contains("revoked"))
        }
        #expect(try t.office.deviceListings().first { $0.name == "笔记本A" }?.standing == .revoked)
    }

    @Test func aDeviceIdWithOtherKeysOrKeysOfAnotherDeviceAreRefused() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let real = try t.request(of: a)
        try t.office.enroll(real)
        let other = StoreKeys(random: Array(repeating: 9, count: 64))
        let sameID = EnrollmentRequest(device: real.device, name: real.name, team: real.team, keys: other.publicKeys, createdAt: real.createdAt)
        #expect(throws: FieldbookError.self) { try t.office.enroll(sameID) }
        // A copied store: another id, the same keys.
        let copy = EnrollmentRequest(
            device: "0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b", name: "拷贝", team: nil, keys: real.keys, createdAt: real.createdAt)
        #expect(throws: FieldbookError.self) { try t.office.enroll(copy) }
        // The office's own keys.
        let officeKeys = try t.office.publicKeys()
        let own = EnrollmentRequest(
            device: "0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c", name: "假办", team: nil, keys: officeKeys, createdAt: real.createdAt)
        #expect(throws: FieldbookError.self) { try t.office.enroll(own) }
        #expect(try t.office.deviceListings().filter { $0.standing == .enrolled }.count == 1)
    }

    @Test func onlyTheOfficeEnrollsAndAnOfficesRequestIsAnOffices() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let b = try t.laptop("笔记本B", seed: 2)
        #expect(throws: FieldbookError.self) { try a.enroll(try t.request(of: b)) }
        // An office's request is for the office above it, which enrolls it as an office.
        #expect(try t.office.enrollmentRequest().request.role == .central)
        #expect(try t.request(of: a).role == .field)
    }

    @Test func revokingByDefaultKeepsWhatTheOfficeHoldsWithoutAGap() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let first = try t.packVisits(a, 3, folder: "s1")
        let held = try lastSeq(a)
        _ = try t.packVisits(a, 2, folder: "s2")
        // Enrolled first: the office merges signed bundles only from laptops it enrolled.
        try t.office.enroll(try t.request(of: a))
        #expect(t.office.merge(bundleAt: first).status == .merged)
        let listing = try #require(try t.office.deviceListings().first { $0.name == "笔记本A" })
        #expect(listing.contiguousSeq == held && listing.lastSeq == held)
        let revoked = try t.office.revoke(device: "笔记本A", afterSeq: nil)
        #expect(revoked.name == "笔记本A" && revoked.afterSeq == held)
        #expect(try t.office.deviceListings().first { $0.name == "笔记本A" }?.revokedAfterSeq == held)
    }

    @Test func aGapKeepsTheRevocationBeforeIt() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let first = try t.packVisits(a, 2, folder: "s1")
        let held = try lastSeq(a)
        _ = try t.packVisits(a, 2, folder: "s2")
        let third = try t.packVisits(a, 2, folder: "s3")
        // The office got the first and the third stick; the second was lost.
        try t.office.enroll(try t.request(of: a))
        #expect(t.office.merge(bundleAt: first).status == .merged)
        #expect(t.office.merge(bundleAt: third).status == .merged)
        let listing = try #require(try t.office.deviceListings().first { $0.name == "笔记本A" })
        let last = try lastSeq(a)
        #expect(listing.contiguousSeq == held && listing.lastSeq == last && held < last - 2)
        #expect(try t.office.revoke(device: String(listing.id.prefix(8)), afterSeq: nil).afterSeq == held)
    }

    @Test func aRevocationOnlyMovesEarlier() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        try t.office.enroll(try t.request(of: a))
        #expect(try t.office.revoke(device: "笔记本A", afterSeq: 5).afterSeq == 5)
        #expect(try t.office.revoke(device: "笔记本A", afterSeq: 3).afterSeq == 3)
        do {
            _ = try t.office.revoke(device: "笔记本A", afterSeq: 4)
            Issue.record("a revocation moved later")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
        }
        #expect(try t.office.deviceListings().first { $0.name == "笔记本A" }?.revokedAfterSeq == 3)
        #expect(throws: FieldbookError.self) { try t.office.revoke(device: "笔记本A", afterSeq: -1) }
        #expect(throws: FieldbookError.self) { try t.office.revoke(device: "没有这台", afterSeq: nil) }
        #expect(throws: FieldbookError.self) { try a.revoke(device: "笔记本A", afterSeq: nil) }
    }

    @Test func aLaptopPinsOneOfficeOnly() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let file = try #require(try t.office.officeKeyFile())
        try a.pinOffice(file)
        let summary = try a.trustSummary()
        #expect(summary.office?.keys == file.keys)
        #expect(!summary.isCentral && summary.standing == nil && summary.keys != nil)
        let other = OfficeKeyFile(device: file.device, name: file.name, keys: StoreKeys(random: Array(repeating: 5, count: 64)).publicKeys)
        #expect(throws: FieldbookError.self) { try a.pinOffice(other) }
        #expect(try a.trustSummary().office?.keys == file.keys)
        #expect(throws: FieldbookError.self) { try t.office.pinOffice(other) }
    }

    @Test func statusReadsTrustWithoutMakingKeys() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        let summary = try store.trustSummary()
        #expect(summary.keys == nil && summary.office == nil && summary.trustListVersion == 0)
        #expect(try store.trustSummary().keys == nil)
        #expect(try store.officeConfirmation().receipts == false)
    }
}
