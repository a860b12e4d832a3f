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
        // The hub's web application (HubWeb). FullFoundation only: swift-configuration is not used.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // /metrics on `serve`: swift-metrics' types over an in-process Prometheus registry.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure rules: Foundation only, no I/O, the clock passed in.
        .target(name: "CivilTime", swiftSettings: strict),
        // The rules every input meets (FieldText, URN, LACode) and the kinds of failure (FailureKind).
        .target(name: "InputRules", swiftSettings: strict),
        .target(name: "RiskModel", dependencies: ["CivilTime", "InputRules"], swiftSettings: strict),
        .target(name: "DelimitedText", dependencies: ["InputRules"], swiftSettings: strict),
        .target(name: "SchoolCalendar", dependencies: ["CivilTime", "DelimitedText"], swiftSettings: strict),
        // Pure: compact indexes of ids for a large ingest (a set of hashes, a numbering).
        .target(name: "IdIndex", swiftSettings: strict),
        // Rows in: CSV and JSON Lines to validated incidents.
        .target(name: "Ingest", dependencies: ["RiskModel", "DelimitedText", "IdIndex"], swiftSettings: strict),
        // The one way incidents reach a store, for the command line and the web API alike.
        .target(name: "Intake", dependencies: ["Ingest", "RiskModel", "StoreContract"], swiftSettings: strict),
        // Seeded synthetic incidents for benchmarks and the sample data.
        .target(name: "Synth", dependencies: ["RiskModel"], swiftSettings: strict),
        // Schools and their key adults: GIAS extracts and the contacts file.
        .target(name: "Schools", dependencies: ["DelimitedText"], swiftSettings: strict),
        // Config/ on disk and the environment, read once into typed values.
        .target(name: "Settings", dependencies: [
            "RiskModel", "SchoolCalendar", "Schools",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Pure: the alert state machine (plan, next state for an outcome, withdrawal) both stores keep.
        .target(name: "AlertLifecycle", dependencies: ["Schools"], swiftSettings: strict),
        // An answer within a time limit, without waiting for a late task to notice cancellation.
        .target(name: "TimeLimit", swiftSettings: strict),
        // The store protocols and their value types: no database library in sight.
        .target(name: "StoreContract", dependencies: ["RiskModel", "Schools", "AlertLifecycle", "InputRules", "IdIndex"], swiftSettings: strict),
        // The embedded default: SQLite through GRDB, its fast paths behind this wall.
        .target(name: "SQLiteStore", dependencies: [
            "StoreContract", "RiskModel", "Schools", "AlertLifecycle",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ], swiftSettings: strict),
        // The shared database: PostgreSQL through PostgresNIO (COPY, SKIP LOCKED, advisory-lock migrations).
        .target(name: "PostgresStore", dependencies: [
            "InputRules", "StoreContract", "TimeLimit", "RiskModel", "Schools", "AlertLifecycle",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        // The composition root's choice of store from a database URL.
        .target(name: "Stores", dependencies: ["StoreContract", "SQLiteStore", "PostgresStore"], swiftSettings: strict),
        // libcurl, for SMTP and HTTPS: seen only by Delivery.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Rendering and sending alerts: templates, MIME, SMTP and signed HTTPS over libcurl, retries.
        .target(name: "Delivery", dependencies: [
            "AlertLifecycle", "CCurl", "CivilTime", "InputRules", "RiskModel", "Schools",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Mustache", package: "swift-mustache"),
        ], swiftSettings: strict),
        // The outbox run: claim, send, record each outcome, tell the hub.
        .target(name: "Outbox", dependencies: ["Delivery", "InputRules", "StoreContract", "AlertLifecycle", "RiskModel", "SchoolCalendar"], swiftSettings: strict),
        // The review queue as the CLI, the pages and the API show it.
        .target(name: "Review", dependencies: ["RiskModel", "StoreContract"], swiftSettings: strict),
        // `encompass doctor`: the install's checks (settings and files, database, calendar, relay).
        .target(name: "Doctor", dependencies: ["CivilTime", "InputRules", "RiskModel", "Delivery", "SchoolCalendar", "Schools", "Settings", "StoreContract"], swiftSettings: strict),
        // The inspection report (SPEC §11): its figures from a store's counts, the table, JSON and CSV.
        .target(name: "Inspection", dependencies: ["CivilTime", "InputRules", "RiskModel", "StoreContract", "Review"], swiftSettings: strict),
        // The hub's web application and JSON API: sign-in, the queue, a child's record, decisions.
        .target(name: "HubWeb", dependencies: [
            "RiskModel", "StoreContract", "Review", "Inspection", "Ingest", "Intake", "Settings", "Delivery", "Outbox", "TimeLimit",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        .executableTarget(name: "encompass", dependencies: [
            "HubWeb", "Delivery", "Outbox", "CivilTime", "RiskModel", "SchoolCalendar", "Ingest", "Intake", "Synth", "Settings", "StoreContract", "Stores", "Schools", "Review", "Inspection", "Doctor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        .testTarget(name: "RiskModelTests", dependencies: ["RiskModel"], swiftSettings: strict),
        .testTarget(name: "SchoolCalendarTests", dependencies: ["SchoolCalendar"], swiftSettings: strict),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "RiskModel", "InputRules"], swiftSettings: strict),
        .testTarget(name: "AlertLifecycleTests", dependencies: ["AlertLifecycle"], swiftSettings: strict),
        .testTarget(name: "IdIndexTests", dependencies: ["IdIndex"], swiftSettings: strict),
        .testTarget(name: "IntakeTests", dependencies: ["Intake", "Ingest"], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: [
            "StoreContract", "SQLiteStore", "PostgresStore", "Stores", "RiskModel", "Review", "Inspection", "SchoolCalendar", "TestSupport",
            "Outbox", "Delivery", "TimeLimit",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "RiskModel"], swiftSettings: strict),
        .testTarget(name: "HubWebTests", dependencies: [
            "HubWeb", "TestSupport", "encompass", "StoreContract", "SQLiteStore", "Stores", "Review", "RiskModel", "Ingest",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Real servers for tests: the loopback SMTP relay and HTTPS receiver in scripts/testservers.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "CivilTime", "InputRules", "RiskModel", "Schools", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EncompassCLITests", dependencies: ["encompass", "Doctor", "StoreContract", "SQLiteStore", "PostgresStore", "Stores", "RiskModel", "Schools", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
    ]
)
