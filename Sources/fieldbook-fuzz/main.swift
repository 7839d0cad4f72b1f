// The libFuzzer target for the bundle reader and validator. See Fuzz/README.md.
//
// Built only with the fuzzer flags (Scripts/fuzz does it):
//   swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING \
//     --scratch-path .build-fuzz --product fieldbook-fuzz
// Without FUZZING this is a tiny program that says so, keeping the normal build cheap.

#if FUZZING
import FieldbookCore
import Foundation

/// Where the inputs are written as files: a folder of this process (FIELDBOOK_FUZZ_TMP when set,
/// else under /dev/shm when it exists, else the system's temporary folder).
nonisolated(unsafe) private var workFolder: String = {
    let env = ProcessInfo.processInfo.environment
    let parent = env["FIELDBOOK_FUZZ_TMP"]
        ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    let folder = (parent as NSString).appendingPathComponent("fieldbook-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit {
        // Only the two files this process writes, then its own folder.
        let folder = workFolder
        unlink((folder as NSString).appendingPathComponent("input.fbundle"))
        rmdir(folder)
    }
    return folder
}()

nonisolated(unsafe) private var bundlePath: String = (workFolder as NSString).appendingPathComponent("input.fbundle")

/// Writes `bytes` to the input file (replacing it). A write that fails is the machine's problem,
/// not a finding: stop loudly rather than fuzz nothing.
private func writeInput(_ bytes: UnsafeRawBufferPointer) {
    let fd = open(bundlePath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("fieldbook-fuzz: cannot write \(bundlePath): errno \(errno)") }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard n > 0 else { fatalError("fieldbook-fuzz: cannot write \(bundlePath): errno \(errno)") }
        done += n
    }
    close(fd)
}

/// `BundleVerifier.verify` on the input file: a `BundleError` is a refusal, as it should be;
/// any other error escaping is a finding (traps and crashes are caught by libFuzzer itself).
private func verifyInput() {
    do {
        _ = try BundleVerifier.verify(bundlePath)
    } catch is BundleError {
    } catch {
        fatalError("fieldbook-fuzz: BundleVerifier.verify threw something other than a BundleError: \(type(of: error)): \(error)")
    }
}

/// One input, three ways:
/// a. the bytes as a whole bundle file, through `BundleVerifier.verify`;
/// b. the bytes as payload lines, through the parser, `ChangeRules` and `BundleChecks`;
/// c. when the bytes start with `{`: the part before the first `\n` as a manifest template and the
///    rest as the raw payload, sealed into a bundle with right digests and sizes
///    (`BundleFuzzing.seal`), then through `BundleVerifier.verify`, so that the manifest checks,
///    the inflater and the line reader are reached past the SHA-256 checks of way a.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)

    // a.
    writeInput(bytes)
    verifyInput()

    // b.
    BundleFuzzing.checkLines(bytes)

    // c.
    if bytes.first == UInt8(ascii: "{") {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
        let template = UnsafeRawBufferPointer(rebasing: bytes[..<newline])
        let payload = UnsafeRawBufferPointer(rebasing: bytes[min(newline + 1, bytes.count)...])
        if let sealed = BundleFuzzing.seal(manifestTemplate: template, payload: payload) {
            sealed.withUnsafeBytes { writeInput($0) }
            verifyInput()
        }
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

_ = workFolder
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))

#else

print("""
    fieldbook-fuzz: this build has no fuzzer in it.

    The libFuzzer target for the bundle reader is built with the fuzzer flags:
      swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING \\
        --scratch-path .build-fuzz --product fieldbook-fuzz
    and run with Scripts/fuzz [SECONDS] (default 60), which builds it, fuzzes a copy of
    Fuzz/corpus for that long and exits non-zero on a finding. See Fuzz/README.md.
    """)

#endif
