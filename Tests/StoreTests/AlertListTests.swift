import Foundation
import GRDB
import Review
import RiskModel
import StoreContract
import Testing
import TestSupport

/// `encompass alerts` is written as the store reads the rows, a piece at a time: the pieces make the
/// document it always wrote, each piece is bounded, and the table's two passes read the same rows.
@Suite("The alerts list, written as it is read")
struct AlertListTests {
    static let zone = ScoringSettings().zone
    static let now = at("2026-11-22T08:00:00Z")

    static let rows: [AlertRow] = [
        AlertRow(reference: "ENC-I-9-C-1", incidentId: "I-9", childId: "C-1", schoolURN: "120501", channel: "smtp", state: .overdue,
                 deadline: at("2026-11-20T09:00:00Z"), attempts: 12, lastError: "421 try later\r\nagain"),
        AlertRow(reference: "ENC-I-10-C-22", incidentId: "I-10", childId: "C-22", state: .unmatched, attempts: 0,
                 lastError: "child has no school"),
        AlertRow(reference: "ENC-I-\"11\"-C-3", incidentId: "I-\"11\"", childId: "C-3\u{1}", schoolURN: "100001", channel: "https",
                 state: .delivered, deadline: at("2026-07-01T08:00:00Z"), attempts: 1,
                 deliveredAt: Date(timeIntervalSince1970: 1_782_000_000.25), acknowledgedAt: at("2026-07-01T07:00:00Z"), linkIssued: true),
    ]

    /// The pieces a writer hands over for these rows, each pass in turn.
    static func pieces(_ form: AlertList.Writer.Form, _ rows: [AlertRow], piece: Int = 1 << 20) throws -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        let writer = AlertList.Writer(form, zone: zone, piece: piece) { pieces.append(Array($0)) }
        for pass in 0..<writer.passes {
            for row in rows { try writer.add(pass: pass, row) }
        }
        try writer.finish()
        return pieces
    }

    /// The pieces a writer hands over as the store reads the rows.
    static func pieces(_ form: AlertList.Writer.Form, _ store: any AlertStore, piece: Int) async throws -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        let writer = AlertList.Writer(form, zone: zone, piece: piece) { pieces.append(Array($0)) }
        try await store.alerts(state: nil, passes: writer.passes) { pass, row in try writer.add(pass: pass, row) }
        try writer.finish()
        return pieces
    }

    static func text(_ pieces: [[UInt8]]) -> String { String(decoding: pieces.joined(), as: UTF8.self) }

    /// `count` incidents, one child each; every fifth child has no school (unmatched), the rest are
    /// queued for school 120501, each a minute earlier than the one before.
    static func store(_ kind: StoreKind, count: Int) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let first = at("2026-11-21T20:00:00Z")
        let incidents = (0..<count).map { n in
            Incident(id: "I-\(n)", reportedAt: first.addingTimeInterval(-60 * Double(n)), officerGrade: .standard, dashYesCount: 2,
                     victimId: "V-1", perpetratorId: "P-1", children: [child("C-\(n)", urn: n % 5 == 0 ? nil : "120501")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        return t
    }

    @Test func theTableAndTheJSONAreWhatTheCommandAlwaysWrote() throws {
        let table = [
            "STATE      REFERENCE       INCIDENT  CHILD     SCHOOL  CHANNEL  DEADLINE                   TRIES  LAST ERROR\n",
            "overdue    ENC-I-9-C-1     I-9       C-1       120501  smtp     2026-11-20T09:00:00+00:00  12     421 try later again\n",
            "unmatched  ENC-I-10-C-22   I-10      C-22      -       -        -                          0      child has no school\n",
            "delivered  ENC-I-\"11\"-C-3  I-\"11\"    C-3\\u{1}  100001  https    2026-07-01T09:00:00+01:00  1      \n",
        ].joined()
        #expect(Self.text(try Self.pieces(.table, Self.rows)) == table)
        let json = [
            "{\"alerts\": [\n",
            "  {\"reference\": \"ENC-I-9-C-1\", \"incident_id\": \"I-9\", \"child_id\": \"C-1\", \"school_urn\": \"120501\", \"channel\": \"smtp\", ",
            "\"state\": \"overdue\", \"deadline\": \"2026-11-20T09:00:00+00:00\", \"attempts\": 12, \"last_error\": \"421 try later again\", ",
            "\"delivered_at\": null, \"acknowledged_at\": null},\n",
            "  {\"reference\": \"ENC-I-10-C-22\", \"incident_id\": \"I-10\", \"child_id\": \"C-22\", \"school_urn\": null, \"channel\": null, ",
            "\"state\": \"unmatched\", \"deadline\": null, \"attempts\": 0, \"last_error\": \"child has no school\", ",
            "\"delivered_at\": null, \"acknowledged_at\": null},\n",
            "  {\"reference\": \"ENC-I-\\\"11\\\"-C-3\", \"incident_id\": \"I-\\\"11\\\"\", \"child_id\": \"C-3\\u0001\", \"school_urn\": \"100001\", ",
            "\"channel\": \"https\", \"state\": \"delivered\", \"deadline\": \"2026-07-01T09:00:00+01:00\", \"attempts\": 1, \"last_error\": null, ",
            "\"delivered_at\": \"2026-06-21T00:00:00.250Z\", \"acknowledged_at\": \"2026-07-01T07:00:00Z\"}\n",
            "]}\n",
        ].joined()
        #expect(Self.text(try Self.pieces(.json, Self.rows)) == json)
        #expect(Self.text(try Self.pieces(.table, [])) == "No alerts.\n")
        #expect(Self.text(try Self.pieces(.json, [])) == "{\"alerts\": []}\n")
    }

    @Test(arguments: StoreKind.allCases)
    func thePiecesMakeTheWholeListAndEachIsBounded(kind: StoreKind) async throws {
        let t = try await Self.store(kind, count: 300)
        defer { t.cleanUp() }
        let rows = try await t.store.alerts(state: nil)
        #expect(rows.count == 300)
        for form in [AlertList.Writer.Form.json, .table] {
            let whole = Self.text(try await Self.pieces(form, t.store, piece: Int.max))
            #expect(whole == Self.text(try Self.pieces(form, rows)), "the store's rows, as it reads them")
            let longest = whole.split(separator: "\n").map(\.utf8.count).max() ?? 0
            let pieces = try await Self.pieces(form, t.store, piece: 1_024)
            #expect(pieces.count > 20, "written as it is read, not at the end")
            #expect(pieces.allSatisfy { $0.count < 1_024 + longest + 2 })
            #expect(Self.text(pieces) == whole)
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try await Self.pieces(.json, t.store, piece: 1_024).joined()))
            as? [String: [[String: Any]]])
        #expect(json["alerts"]?.compactMap { $0["reference"] as? String } == rows.map(\.reference))
        let table = Self.text(try await Self.pieces(.table, t.store, piece: 1_024)).split(separator: "\n")
        #expect(table.count == 301, "a header and a row an alert")
        // Every row's columns line up: each row's school starts where the header's does.
        let schoolAt = try #require(table[0].range(of: "SCHOOL")).lowerBound.utf16Offset(in: table[0])
        #expect(table.dropFirst().allSatisfy { $0.utf16.dropFirst(schoolAt - 2).prefix(2).allSatisfy { $0 == 0x20 } })
    }

    /// Runs SQL at once on the store's database from another connection, while a read is part way.
    static func change(_ t: TempStore, _ sql: String) throws {
        switch t.kind {
        case .sqlite: try DatabaseQueue(path: t.path).write { try $0.execute(sql: sql) }
        case .postgres: #expect(try PostgresServer.shared().psqlBlocking(String(t.url.split(separator: "/").last!), sql).exitCode == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyPassReadsTheSameRowsThoughTheyChangeMeanwhile(kind: StoreKind) async throws {
        let t = try await Self.store(kind, count: 10)
        defer { t.cleanUp() }
        let before = try await t.store.alerts(state: .queued)
        #expect(before.count == 8)
        let read = ScanResults<AlertRow>(parts: 2)
        try await t.store.alerts(state: .queued, passes: 2) { pass, row in
            if pass == 0, read[0].isEmpty {
                try Self.change(t, "UPDATE alerts SET attempts = 7")
                try Self.change(t, "DELETE FROM alerts WHERE child_id = 'C-9'")
            }
            read.append(row, to: pass)
        }
        #expect(read[1] == before, "the table's rows, in the list's order, as they were when the read began")
        #expect(read[0].sorted { $0.reference < $1.reference } == before.sorted { $0.reference < $1.reference },
                "its widths from the same rows, in any order")
        #expect(try await t.store.alerts(state: nil).map(\.attempts) == Array(repeating: 7, count: 9), "the change was made")
    }
}
