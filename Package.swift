// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "encompass",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "encompass", targets: ["encompass"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Pure rules: Foundation only, no I/O, the clock passed in.
        .target(name: "CivilTime", swiftSettings: strict),
        .target(name: "RiskModel", dependencies: ["CivilTime"], swiftSettings: strict),
        .target(name: "DelimitedText", swiftSettings: strict),
        .target(name: "SchoolCalendar", dependencies: ["CivilTime", "DelimitedText"], swiftSettings: strict),
        // Rows in: CSV and JSON Lines to validated incidents.
        .target(name: "Ingest", dependencies: ["RiskModel"], swiftSettings: strict),
        // Seeded synthetic incidents for benchmarks and the sample data.
        .target(name: "Synth", dependencies: ["RiskModel"], swiftSettings: strict),
        // Schools and their key adults: GIAS extracts and the contacts file.
        .target(name: "Schools", dependencies: ["DelimitedText"], swiftSettings: strict),
        // Config/ on disk and the environment, read once into typed values.
        .target(name: "Settings", dependencies: [
            "RiskModel", "SchoolCalendar", "Schools",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Persistence behind the Store protocol; SQLite through GRDB.
        .target(name: "Store", dependencies: [
            "RiskModel", "SchoolCalendar", "Schools",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ], swiftSettings: strict),
        // The review queue as the CLI, the pages and the API show it.
        .target(name: "Review", dependencies: ["RiskModel", "Store"], swiftSettings: strict),
        .executableTarget(name: "encompass", dependencies: [
            "RiskModel", "SchoolCalendar", "Ingest", "Synth", "Settings", "Store", "Schools", "Review",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        .testTarget(name: "RiskModelTests", dependencies: ["RiskModel"], swiftSettings: strict),
        .testTarget(name: "SchoolCalendarTests", dependencies: ["SchoolCalendar"], swiftSettings: strict),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "RiskModel"], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: [
            "Store", "RiskModel", "SchoolCalendar", .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "RiskModel"], swiftSettings: strict),
        .testTarget(name: "EncompassCLITests", dependencies: ["encompass", "Store", "RiskModel"], swiftSettings: strict),
    ]
)
