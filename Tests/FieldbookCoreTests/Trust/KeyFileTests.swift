import FieldbookTestSupport
import Foundation
import Testing

@testable import FieldbookCore

@Suite struct KeyFileTests {
    static var keys: StoreKeys { StoreKeys(random: Array(0..<64)) }

    @Test func aFingerprintIsSixGroupsOfFiveDigitsAndStaysTheSame() throws {
        let fingerprint = Self.keys.publicKeys.fingerprint
        #expect(fingerprint.wholeMatch(of: #/\d{5}( \d{5}){5}/#) != nil, "\(fingerprint)")
        // The same keys give the same digits, on every machine and in every release.
        #expect(fingerprint == "26093 59591 50736 82002 22880 03775")
        // As documented: SHA-256 of the label and both raw keys, each 5-byte slice mod 100,000.
        let digest = HostileBytes.sha256(
            Array("fieldbook fingerprint v1\n".utf8) + Array(Self.keys.publicKeys.sign) + Array(Self.keys.publicKeys.box))
        let groups = (0..<6).map { g in
            String(format: "%05llu", digest[g * 5..<g * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 100_000)
        }
        #expect(groups.joined(separator: " ") == fingerprint)
        #expect(Self.keys.publicKeys.signID.wholeMatch(of: #/[0-9a-f]{16}/#) != nil)
        #expect(Self.keys.publicKeys.signID != Self.keys.publicKeys.boxID)
        // Any other key changes them.
        let other = StoreKeys(random: Array(1..<65)).publicKeys
        #expect(other.fingerprint != fingerprint)
        let mixed = try PublicKeys(sign: Self.keys.publicKeys.sign, box: other.box)
        #expect(mixed.fingerprint != fingerprint)
    }

    /// Each position in the base64 text of `member`, changed to another base64 character.
    func flips(of data: Data, member: String) throws -> [Data] {
        let text = String(decoding: data, as: UTF8.self)
        let value = try #require(text.firstMatch(of: try Regex("\"\(member)\":\"([^\"]+)\"")))
        let range = try #require(value.output[1].range)
        var out: [Data] = []
        for offset in 0..<text[range].count {
            let index = text.index(range.lowerBound, offsetBy: offset)
            let original = text[index]
            guard original != "=" else { continue }
            var changed = text
            changed.replaceSubrange(index...index, with: original == "A" ? "B" : "A")
            out.append(Data(changed.utf8))
        }
        return out
    }

    @Test func anOfficeKeyFileReadsBackAndADamagedOneIsRefused() throws {
        let file = OfficeKeyFile(device: "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a", name: "某某区巡察办", keys: Self.keys.publicKeys)
        let data = file.encoded()
        #expect(try OfficeKeyFile.decode(data) == file)
        for member in ["sign", "box", "check"] {
            for damaged in try flips(of: data, member: member) {
                #expect(throws: TrustError.self, "a changed \(member) was read") { try OfficeKeyFile.decode(damaged) }
            }
        }
        let renamed = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "某某区巡察办", with: "假巡察办").utf8)
        #expect(throws: TrustError.self) { try OfficeKeyFile.decode(renamed) }
        #expect(throws: TrustError.self) { try OfficeKeyFile.decode(Data("{}".utf8)) }
        #expect(throws: TrustError.self) { try OfficeKeyFile.decode(data.prefix(data.count / 2)) }
        // A file written before the check existed is still read (its fingerprint is what protects it).
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["check"] = nil
        #expect(try OfficeKeyFile.decode(try JSONSerialization.data(withJSONObject: object)) == file)
    }

    @Test func anEnrollmentRequestChangedAfterItWasSignedIsRefused() throws {
        let request = EnrollmentRequest(
            device: "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a", name: "第一组-笔记本1", team: "第一巡察组", keys: Self.keys.publicKeys,
            createdAt: "2026-11-21T01:00:00Z")
        let data = request.encoded(signedBy: Self.keys)
        #expect(try EnrollmentRequest.decode(data) == request)
        for member in ["request", "signature"] {
            for damaged in try flips(of: data, member: member) {
                #expect(throws: TrustError.self, "a changed \(member) was read") { try EnrollmentRequest.decode(damaged) }
            }
        }
        // Another team written into the body, without the laptop's key to sign it.
        var outer = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        let body = String(decoding: Data(base64Encoded: outer["request"]!)!, as: UTF8.self)
        outer["request"] = Data(body.replacingOccurrences(of: "第一巡察组", with: "第二巡察组").utf8).base64EncodedString()
        #expect(throws: TrustError.self) { try EnrollmentRequest.decode(try JSONSerialization.data(withJSONObject: outer)) }
        // Keys of another laptop, signed by the keys it names: a valid request, but of another fingerprint.
        let other = StoreKeys(random: Array(1..<65))
        var swapped = request
        swapped.keys = other.publicKeys
        #expect(throws: TrustError.self) {
            var o = try #require(try JSONSerialization.jsonObject(with: swapped.encoded(signedBy: other)) as? [String: String])
            o["signature"] = outer["signature"]
            _ = try EnrollmentRequest.decode(try JSONSerialization.data(withJSONObject: o))
        }
    }
}
