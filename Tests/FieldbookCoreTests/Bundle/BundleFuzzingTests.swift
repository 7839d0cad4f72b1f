import Foundation
import Testing

@testable import FieldbookCore

/// The fuzz target's entry points and seed corpus (Fuzz/): the seeds mean what their names say, so
/// the fuzzer starts from inputs that reach deep into the reader.
@Suite struct BundleFuzzingTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus").path

    func seed(_ folder: String, _ name: String) throws -> [UInt8] {
        let path = "\(Self.corpus)/\(folder)/\(name)"
        return [UInt8](try #require(FileManager.default.contents(atPath: path), "no seed \(path)"))
    }

    func acceptedLines(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBytes { BundleFuzzing.checkLines($0) } }

    /// Seals a `sealed/` seed as the fuzz target does, and verifies it; nil when accepted.
    func sealedRefusal(_ name: String) throws -> String? {
        let bytes = try seed("sealed", name)
        let newline = try #require(bytes.firstIndex(of: 0x0A))
        let sealed = try #require(
            bytes.withUnsafeBytes {
                BundleFuzzing.seal(
                    manifestTemplate: UnsafeRawBufferPointer(rebasing: $0[..<newline]),
                    payload: UnsafeRawBufferPointer(rebasing: $0[(newline + 1)...]))
            })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sealed.fbundle").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(sealed))
        return refusal(path)
    }

    func refusal(_ path: String) -> String? {
        do {
            _ = try BundleVerifier.verify(path)
            return nil
        } catch let error as BundleError {
            return error.reason
        } catch {
            return "not a BundleError: \(error)"
        }
    }

    @Test func lineSeedsFromTheFixturesAreAccepted() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(Self.corpus)/line")
            .filter { $0.hasSuffix("-create.jsonl") || $0.hasSuffix("-update.jsonl") }
        #expect(names.count >= 10)
        for name in names {
            #expect(acceptedLines(try seed("line", name)) == 1, "\(name)")
        }
        for name in ["delete.jsonl", "escapes.jsonl", "spaces.jsonl", "unknown-member-and-field.jsonl"] {
            #expect(acceptedLines(try seed("line", name)) == 1, "\(name)")
        }
    }

    @Test func lineChecksRunAcrossLinesLikeTheReader() throws {
        // The second line repeats (device, seq), or makes a round id a household: BundleChecks refuses it.
        #expect(acceptedLines(try seed("line", "two-lines-dup-seq.jsonl")) == 1)
        #expect(acceptedLines(try seed("line", "kind-clash.jsonl")) == 1)
        #expect(acceptedLines(try seed("line", "empty-object.jsonl")) == 0)
        #expect(acceptedLines([]) == 0)
        let line = try seed("line", "visit-create.jsonl")
        #expect(acceptedLines(line + [0x0A]) == 1)
    }

    @Test func sealedSeedsAreWholeBundles() throws {
        for name in ["visit-s25.txt", "visit-s25-gzip.txt", "round-s16.txt", "s15-24.txt", "no-changes.txt"] {
            #expect(try sealedRefusal(name) == nil, "\(name)")
        }
        #expect(try sealedRefusal("gzip-two-members.txt")?.contains("after the end") == true)
        #expect(try sealedRefusal("gzip-trailing-bytes.txt")?.contains("after the end") == true)
        #expect(try sealedRefusal("gzip-bomb.txt")?.contains("longer than") == true)
    }

    @Test func bundleSeedsAreValidOrNearMisses() throws {
        let folder = "\(Self.corpus)/bundle"
        for name in ["visit-s25.fbundle", "round-s16.fbundle", "relay.fbundle", "s15-24.fbundle"] {
            #expect(refusal("\(folder)/\(name)") == nil, "\(name)")
        }
        let misses = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { !["visit-s25.fbundle", "round-s16.fbundle", "relay.fbundle", "s15-24.fbundle"].contains($0) }
        #expect(misses.count >= 10)
        for name in misses {
            let reason = refusal("\(folder)/\(name)")
            #expect(reason != nil && reason?.hasPrefix("not a BundleError") == false, "\(name): \(reason ?? "accepted")")
        }
    }
}

/// What the fuzzer found: refusals that named the wrong thing.
@Suite struct FuzzFindingTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/bundle")

    func reason(_ name: String) -> String? {
        do {
            _ = try BundleVerifier.verify(Self.corpus.appendingPathComponent(name).path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func anEmptyLineIsCalledEmptyNotByteMinusOne() {
        let why = reason("empty-lines.fbundle")
        #expect(why?.contains("line 1 that is empty") == true, "\(why ?? "sound")")
        #expect(why?.contains("-1") == false)
    }

    @Test func aPayloadDamagedInTransitIsCalledDamagedNotABadLine() {
        let why = reason("payload-bit-flip.fbundle")
        #expect(why?.contains("damaged payload") == true, "\(why ?? "sound")")
    }
}
