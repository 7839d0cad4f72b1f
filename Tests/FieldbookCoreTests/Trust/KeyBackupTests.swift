import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct KeyBackupTests {
    /// An office with two laptops enrolled, one of them revoked after its change 3.
    struct Enrolled {
        let t: TrustOffice
        let a: Store
        let b: Store

        init() throws {
            t = try TrustOffice()
            a = try t.laptop("笔记本A", seed: 1)
            b = try t.laptop("笔记本B", seed: 2)
            try t.office.enroll(try t.request(of: a))
            try t.office.enroll(try t.request(of: b))
            _ = try t.office.revoke(device: "笔记本B", afterSeq: 3)
            // The office issues a trust list, as its next roster bundle would.
            _ = try t.office.write { db in try t.office.currentTrustList(db) }
        }
    }

    /// A new office store, as `fieldbook init --central` makes it on a new machine (its own new keys).
    func newOffice(_ dir: TemporaryDirectory, _ name: String = "new-office.sqlite", seed: UInt64 = 91) throws -> Store {
        let store = try Store.create(
            at: dir.path(name), setup: DeviceSetup(name: "新巡察办", central: true),
            environment: FixedEnvironment(seed: seed).environment)
        _ = try store.publicKeys()
        return store
    }

    func state(_ store: Store) throws -> [String] {
        try store.deviceListings().filter { $0.standing != .this }.map {
            "\($0.id) \($0.name) \($0.standing) \($0.fingerprint ?? "-") \($0.revokedAfterSeq.map(String.init) ?? "-")"
        }
    }

    @Test func aBackupRestoresTheKeysAndTheTrustListOnANewOffice() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "正确的口令 horse", cost: cheapCost)
        let restored = try newOffice(e.t.dir)
        let before = try restored.publicKeys()
        let result = try restored.restoreKeys(from: data, passphrase: "正确的口令 horse")

        let keys = try e.t.office.publicKeys()
        #expect(result.keys == keys)
        #expect(result.replaced == before)
        #expect(result.enrolled == 1 && result.revoked == 1)
        #expect(try restored.publicKeys() == keys)
        #expect(try restored.officeKeyFile()?.keys == keys)
        #expect(try state(restored) == state(e.t.office))
        let summary = try restored.trustSummary()
        #expect(summary.trustListVersion == (try e.t.office.trustSummary().trustListVersion))
        #expect(summary.trustListVersion >= 1)
        #expect(summary.requiresSignatures)
        // The restored office signs with the old keys: the trust list it issues opens with them.
        let list = try #require(try restored.write { db in try restored.currentTrustList(db) })
        let opened = try TrustList.open(list, officeKey: keys)
        #expect(opened.members.count == 2)
        #expect(opened.members.first { $0.name == "笔记本B" }?.revokedAfterSeq == 3)
    }

    @Test func theFileNamesScryptAndTheCipherAndHoldsNoKeyInTheClear() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "a passphrase")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["fieldbook"] as? String == "key-backup")
        #expect(object["format"] as? Int == 1)
        #expect(object["cipher"] as? String == "chacha20-poly1305")
        let kdf = try #require(object["kdf"] as? [String: Any])
        #expect(kdf["name"] as? String == "scrypt")
        #expect(kdf["n"] as? Int == 32768 && kdf["r"] as? Int == 8 && kdf["p"] as? Int == 1)
        #expect(Data(base64Encoded: kdf["salt"] as? String ?? "")?.count == 16)
        #expect(Data(base64Encoded: object["nonce"] as? String ?? "")?.count == 12)
        let text = String(decoding: data, as: UTF8.self)
        let keys = try e.t.office.publicKeys()
        for secret in [keys.sign.base64EncodedString(), "笔记本A", "key-backup-contents"] {
            #expect(!text.contains(secret))
        }
        // The standard cost opens too (the restore reads the cost from the file).
        let restored = try newOffice(e.t.dir)
        #expect(try restored.restoreKeys(from: data, passphrase: "a passphrase").keys == keys)
    }

    @Test func aWrongPassphraseOrADamagedFileRestoresNothing() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "the right one", cost: cheapCost)
        let restored = try newOffice(e.t.dir)
        let own = try restored.publicKeys()
        let wrong = TrustError("the passphrase is wrong, or the file is damaged; nothing was restored")
        #expect(throws: wrong) { try restored.restoreKeys(from: data, passphrase: "the wrong one") }

        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var sealed = try #require(Data(base64Encoded: object["sealed"] as! String))
        sealed[sealed.count / 2] ^= 0x01
        object["sealed"] = sealed.base64EncodedString()
        let flipped = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: wrong) { try restored.restoreKeys(from: flipped, passphrase: "the right one") }

        // A cost changed in the header fails too: the header is authenticated.
        var cheaper = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var kdf = cheaper["kdf"] as! [String: Any]
        kdf["n"] = 512
        cheaper["kdf"] = kdf
        #expect(throws: wrong) {
            try restored.restoreKeys(from: try JSONSerialization.data(withJSONObject: cheaper), passphrase: "the right one")
        }
        // A crafted cost is refused before scrypt runs (2^30 rounds would take 128 GiB).
        kdf["n"] = 1 << 30
        cheaper["kdf"] = kdf
        #expect(throws: TrustError.self) {
            try restored.restoreKeys(from: try JSONSerialization.data(withJSONObject: cheaper), passphrase: "the right one")
        }
        #expect(throws: TrustError.self) { try restored.restoreKeys(from: Data("hello".utf8), passphrase: "the right one") }

        #expect(try restored.publicKeys() == own)
        #expect(try restored.deviceListings().count == 1)
    }

    @Test func aPassphraseIsAtLeastEightCharactersAndTypedAnyWayItComposes() throws {
        let e = try Enrolled()
        #expect(throws: FieldbookError.invalidValue(field: "passphrase", value: "7 characters", expected: "use at least 8 characters")) {
            try e.t.office.backupKeys(passphrase: "1234567", cost: cheapCost)
        }
        // é as one code point at backup, as e + combining accent at restore: the same passphrase.
        let data = try e.t.office.backupKeys(passphrase: "caf\u{E9} au lait", cost: cheapCost)
        let restored = try newOffice(e.t.dir)
        #expect(try restored.restoreKeys(from: data, passphrase: "cafe\u{301} au lait").keys == (try e.t.office.publicKeys()))
    }

    @Test func onlyTheOfficeBacksUpAndRestores() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)
        #expect(throws: FieldbookError.self) { try e.a.backupKeys(passphrase: "a passphrase", cost: cheapCost) }
        let keys = try e.a.publicKeys()
        do {
            try e.a.restoreKeys(from: data, passphrase: "a passphrase")
            Issue.record("a laptop restored the office's keys")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
        }
        #expect(try e.a.publicKeys() == keys)
    }

    @Test func restoringTheSameBackupTwiceIsHarmless() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)
        let restored = try newOffice(e.t.dir)
        try restored.restoreKeys(from: data, passphrase: "a passphrase")
        let once = (try state(restored), try restored.trustSummary(), try restored.publicKeys())
        let again = try restored.restoreKeys(from: data, passphrase: "a passphrase")
        #expect(again.replaced == nil)
        #expect(try state(restored) == once.0)
        #expect(try restored.trustSummary() == once.1)
        #expect(try restored.publicKeys() == once.2)
        // And into the office it came from: nothing changes there either.
        let before = (try state(e.t.office), try e.t.office.trustSummary())
        try e.t.office.restoreKeys(from: data, passphrase: "a passphrase")
        #expect(try state(e.t.office) == before.0)
        #expect(try e.t.office.trustSummary() == before.1)
    }

    @Test func anOlderBackupKeepsARevocationMadeSinceAndADeviceEnrolledSince() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let b = try t.laptop("笔记本B", seed: 2)
        try t.office.enroll(try t.request(of: a))
        let old = try t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)
        try t.office.enroll(try t.request(of: b))
        _ = try t.office.revoke(device: "笔记本A", afterSeq: 0)
        try t.office.restoreKeys(from: old, passphrase: "a passphrase")
        let listings = try t.office.deviceListings()
        #expect(listings.first { $0.name == "笔记本A" }?.standing == .revoked)
        #expect(listings.first { $0.name == "笔记本B" }?.standing == .enrolled)
    }

    @Test func aStoreThatEnrolledDevicesUnderOtherKeysIsNotRestoredOver() throws {
        let e = try Enrolled()
        let data = try e.t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)
        // Another office, with its own keys, that enrolled a laptop of its own.
        let other = try TrustOffice(name: "other.sqlite", clock: FixedEnvironment(seed: 95))
        let c = try other.laptop("笔记本C", seed: 3)
        try other.office.enroll(try other.request(of: c))
        let keys = try other.office.publicKeys()
        do {
            try other.office.restoreKeys(from: data, passphrase: "a passphrase")
            Issue.record("restored over an office that enrolled devices under other keys")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
            #expect(error.message.contains(keys.fingerprint))
        }
        #expect(try other.office.publicKeys() == keys)
        #expect(try other.office.deviceListings().filter { $0.standing == .enrolled }.map(\.name) == ["笔记本C"])
    }

    @Test func aDeviceEnrolledWithOtherKeysThanTheBackupsIsRefused() throws {
        let t = try TrustOffice()
        let a = try t.laptop("笔记本A", seed: 1)
        let early = try t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)
        try t.office.enroll(try t.request(of: a))
        let late = try t.office.backupKeys(passphrase: "a passphrase", cost: cheapCost)

        // A new office restores the early backup, then is handed a forged request for 笔记本A's id
        // with other keys; the late backup, which holds 笔记本A's real keys, is then refused.
        let restored = try newOffice(t.dir)
        try restored.restoreKeys(from: early, passphrase: "a passphrase")
        let real = try t.request(of: a)
        let forger = StoreKeys(random: Array(repeating: 7, count: 64))
        let forged = EnrollmentRequest(device: real.device, name: real.name, team: real.team, keys: forger.publicKeys, createdAt: real.createdAt)
        try restored.enroll(try EnrollmentRequest.decode(forged.encoded(signedBy: forger)))
        do {
            try restored.restoreKeys(from: late, passphrase: "a passphrase")
            Issue.record("restored a device's keys over other keys")
        } catch let error as FieldbookError {
            #expect(error.exitCode == 77)
            #expect(error.message.contains("笔记本A"))
        }
        #expect(try restored.deviceListings().first { $0.name == "笔记本A" }?.fingerprint == forger.publicKeys.fingerprint)
    }
}
