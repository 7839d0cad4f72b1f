import Foundation
import Testing

@testable import FieldbookCore

/// Which hidden files a pack takes for its own leftovers, and when it may remove them.
@Suite("Leftovers of interrupted packs: names and writers")
struct BundleLeftoversTests {
    let bundle = "第一组-笔记本1_s1-22_20261122-010704_a5f73820.fbundle"

    @Test("the temporary names a pack writes are recognised, with their writer")
    func ownNames() throws {
        let names = BundleLeftovers.temporaryNames(for: bundle)
        for name in [names.envelope, names.payload] {
            let writer = try #require(BundleLeftovers.parse(name), "\(name)")
            if let boot = BundleLeftovers.bootID {
                #expect(writer.boot == boot)
                #expect(writer.pid == getpid())
            } else {
                #expect(writer.boot == nil && writer.pid == nil)
            }
        }
        #expect(names.payload.hasSuffix(".payload.tmp") && names.envelope.hasSuffix(".tmp"))
        #expect(names.envelope.hasPrefix(".\(bundle)") && names.payload.hasPrefix(".\(bundle)"))
    }

    @Test("earlier versions' names carry no writer; anything else is not a pack's")
    func otherNames() {
        #expect(BundleLeftovers.parse(".\(bundle).tmp").map { $0.boot == nil && $0.pid == nil } == true)
        #expect(BundleLeftovers.parse(".\(bundle).payload.tmp").map { $0.boot == nil && $0.pid == nil } == true)
        #expect(BundleLeftovers.parse(".\(bundle).w0123456789ab-42.tmp").map { $0.boot == "0123456789ab" && $0.pid == 42 } == true)
        for name in [
            "\(bundle).tmp", ".\(bundle)", ".\(bundle).tmp.bak", ".\(bundle).partial", ".fbundle.tmp", ".notes.tmp",
            ".\(bundle).wABCDEF012345-1.tmp", ".\(bundle).w0123-1.tmp", ".\(bundle).w0123456789ab-0.tmp",
            ".\(bundle).w0123456789ab-.tmp", ".\(bundle).payload.payload.tmp", ".x.sqlite.tmp",
        ] {
            #expect(BundleLeftovers.parse(name) == nil, "\(name)")
        }
    }

    @Test("a writer on this machine is asked; one elsewhere, or unnamed, is judged by the file's age")
    func abandoned() throws {
        let now = Date()
        let fresh = now.addingTimeInterval(-5)
        let old = now.addingTimeInterval(-BundleLeftovers.staleAfter - 60)
        // Unnamed or another machine's: by age alone.
        #expect(!BundleLeftovers.isAbandoned(boot: nil, pid: nil, modified: fresh, now: now))
        #expect(BundleLeftovers.isAbandoned(boot: nil, pid: nil, modified: old, now: now))
        #expect(!BundleLeftovers.isAbandoned(boot: "000000000000", pid: 1, modified: fresh, now: now))
        #expect(BundleLeftovers.isAbandoned(boot: "000000000000", pid: 1, modified: old, now: now))
        // A clock that ran ahead on the machine that wrote it: never stale.
        #expect(!BundleLeftovers.isAbandoned(boot: nil, pid: nil, modified: now.addingTimeInterval(86_400), now: now))
        guard let boot = BundleLeftovers.bootID else { return }
        // This machine: this very process is writing it, however old the file.
        #expect(!BundleLeftovers.isAbandoned(boot: boot, pid: getpid(), modified: old, now: now))
        // This machine, a live process (init), a fresh file: kept; a process that is gone: removed.
        #expect(!BundleLeftovers.isAbandoned(boot: boot, pid: 1, modified: fresh, now: now))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        #expect(BundleLeftovers.isAbandoned(boot: boot, pid: process.processIdentifier, modified: fresh, now: now))
    }
}
