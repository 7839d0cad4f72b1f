// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Fieldbook",
    platforms: [.macOS(.v13)],
    products: [
        // The command-line tool inspectors and the office run.
        .executable(name: "fieldbook", targets: ["fieldbook"]),
        // The core, for anyone who builds on Fieldbook's store, bundles and tallies.
        .library(name: "FieldbookCore", targets: ["FieldbookCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // 3.x: its _CryptoExtras has scrypt (for key backups); 4.x dropped it.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // The system zlib (zlib1g-dev), for the gzip payload of bundles.
        .systemLibrary(name: "CZlibSys", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // One SQLite setting Swift cannot make itself (sqlite3_config is a C variadic function):
        // no memory statistics, so that SQLite's allocations take no process-wide lock.
        .target(name: "CSQLiteSettings", dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The core: model, store, roster import, bundles, merge, reports. No command-line code.
        .target(
            name: "FieldbookCore",
            dependencies: [
                "CZlibSys", "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's own calls, for the roster import's inserts (ReferenceBatch).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        // The `fieldbook` commands, a library so tests can parse them in process.
        .target(
            name: "FieldbookCommands",
            dependencies: [
                "FieldbookCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The executable: a few lines that hand over to FieldbookCommands.
        .executableTarget(name: "fieldbook", dependencies: ["FieldbookCommands"]),
        // The benchmark: builds N changes on several laptops, then times pack, verify and merge of the
        // real binary against plain SQLite. Run it with `swift run -c release fieldbook-bench`.
        .executableTarget(
            name: "fieldbook-bench",
            dependencies: [
                "FieldbookCore", "CZlibSys", "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The libFuzzer target for the bundle reader and validator. Without -DFUZZING it is a stub that
        // says how to build it; Scripts/fuzz builds it with the fuzzer flags. See Fuzz/README.md.
        .executableTarget(name: "fieldbook-fuzz", dependencies: ["FieldbookCore"]),
        // Fixtures shared by the test targets: temporary stores, a fixed clock, counting ids.
        // Also zlib and SHA-256, to write crafted (hostile) bundles byte by byte.
        .target(
            name: "FieldbookTestSupport",
            dependencies: ["FieldbookCore", "CZlibSys", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Tests of the core, folder by folder.
        .testTarget(
            name: "FieldbookCoreTests",
            dependencies: [
                "FieldbookCore", "FieldbookTestSupport", "CSQLiteSettings", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // Tests of the commands: parsing in process, and the built binary end to end.
        .testTarget(
            name: "FieldbookCommandsTests",
            dependencies: [
                "FieldbookCommands", "FieldbookCore", "FieldbookTestSupport", "fieldbook",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
