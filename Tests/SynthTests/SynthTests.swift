import CivilTime
import Foundation
import RiskModel
import Synth
import Testing

private let end = Date(timeIntervalSince1970: 1_795_334_400)  // 2026-11-22T08:00:00Z
private let urns = ["120501", "120502", "139900", "119603"]

private func generate(rows: Int, seed: UInt64 = 42, days: Int = 730, urns: [String] = urns) -> String {
    var text = ""
    Synth.generateCSV(SynthOptions(rows: rows, seed: seed, end: end, days: days, urns: urns)) { text += $0 }
    return text
}

/// Data rows as column-name dictionaries.
private func rows(_ text: String) throws -> [[String: String]] {
    let records = try CSVReader.records(text)
    let header = records[0]
    return records.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

private func instant(_ iso: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: iso)
}

@Test(arguments: [0, 1, 2, 3, 4, 5, 7, 100, 1_234])
func writesExactlyTheRowsAsked(count: Int) throws {
    let records = try CSVReader.records(generate(rows: count))
    #expect(records.count == count + 1)
    #expect(records[0].joined(separator: ",") == Synth.header)
    #expect(records.allSatisfy { $0.count == 17 })
}

@Test func sameSeedSameBytesOtherSeedOtherBytes() {
    let a = generate(rows: 2_000, seed: 9)
    #expect(a == generate(rows: 2_000, seed: 9))
    #expect(a != generate(rows: 2_000, seed: 10))
}

@Test func streamsInSeveralChunksWithWholeRows() {
    var chunks: [String] = []
    Synth.generateCSV(SynthOptions(rows: 20_000, seed: 1, end: end, urns: urns)) { chunks.append($0) }
    #expect(chunks.count > 1)
    #expect(chunks.allSatisfy { $0.hasSuffix("\r\n") })
    #expect(chunks.joined() == generate(rows: 20_000, seed: 1))
}

@Test func passesTheIngestRules() throws {
    let data = try rows(generate(rows: 20_000))
    let oldest = end.addingTimeInterval(-730 * 86_400)
    for row in data {
        let id = row["incident_id"]!
        #expect(id.range(of: #"^PPN-\d{6}$"#, options: .regularExpression) != nil, "\(id)")
        #expect(row["victim_id"]!.hasPrefix("V-"))
        #expect(row["perpetrator_id"]!.isEmpty || row["perpetrator_id"]!.hasPrefix("P-"))
        let at = try #require(instant(row["reported_at"]!), "\(id)")
        #expect(at >= oldest && at <= end, "\(id)")
        let tool = try #require(RiskTool(text: row["risk_tool"]!))
        #expect(Grade(text: row["officer_grade"]!) != nil)
        #expect(row["supervisor_grade"]!.isEmpty || Grade(text: row["supervisor_grade"]!) != nil)
        if let max = tool.maximumYesCount {
            if let yes = Int(row["dash_yes_count"]!) { #expect((0...max).contains(yes), "\(id)") }
            else { #expect(row["dash_yes_count"]!.isEmpty) }
        } else {
            #expect(row["dash_yes_count"]!.isEmpty, "\(id)")
        }
        let urn = row["school_urn"]!
        #expect(urn.isEmpty || urns.contains(urn))
        for flag in ["child_present", "child_spoken_to", "bwv_used"] {
            #expect(["", "Y", "N"].contains(row[flag]!))
        }
        guard !row["child_id"]!.isEmpty else { continue }
        let dob = try #require(LocalDate(iso: row["child_dob"]!))
        let day = try #require(LocalDate(iso: row["reported_at"]!.prefix(10)))
        let age = day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day) ? 1 : 0)
        #expect((4...17).contains(age), "\(row["child_id"]!) aged \(age) in \(id)")
    }
}

@Test func aWrittenOffsetIsLondonsOffsetAtThatInstant() throws {
    let data = try rows(generate(rows: 5_000))
    let stamps = data.map { $0["reported_at"]! }
    let offsets = stamps.filter { !$0.hasSuffix("Z") }
    #expect(offsets.contains { $0.hasSuffix("+01:00") })
    #expect(offsets.contains { $0.hasSuffix("+00:00") })
    #expect(stamps.contains { $0.hasSuffix("Z") })
    for stamp in offsets {
        let at = try #require(instant(stamp))
        #expect(Zone.london.iso8601(at) == stamp)
    }
}

@Test func incidentColumnsAgreeAndAChildIsTheSameChildEverywhere() throws {
    let data = try rows(generate(rows: 20_000))
    let incidentColumns = ["reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
                           "victim_id", "perpetrator_id"]
    let childColumns = ["child_given_name", "child_family_name", "child_dob", "school_urn"]
    var incidents: [String: [String]] = [:]
    var children: [String: [String]] = [:]
    var childrenOfIncident: [String: Set<String>] = [:]
    for row in data {
        let incident = incidentColumns.map { row[$0]! }
        #expect(incidents[row["incident_id"]!, default: incident] == incident)
        incidents[row["incident_id"]!] = incident
        let child = row["child_id"]!
        guard !child.isEmpty else { continue }
        let fields = childColumns.map { row[$0]! }
        #expect(children[child, default: fields] == fields)
        children[child] = fields
        childrenOfIncident[row["incident_id"]!, default: []].insert(child)
    }
    // Siblings come together: two incidents sharing a child share every child.
    var household: [String: Set<String>] = [:]
    for (_, kids) in childrenOfIncident {
        for kid in kids {
            #expect(household[kid, default: kids] == kids)
            household[kid] = kids
        }
    }
}

@Test func looksLikeAForcesYear() throws {
    let data = try rows(generate(rows: 50_000))
    var firstRow: [String: [String: String]] = [:]
    var childrenPerIncident: [String: Int] = [:]
    var incidentsPerChild: [String: Int] = [:]
    for row in data {
        if firstRow[row["incident_id"]!] == nil { firstRow[row["incident_id"]!] = row }
        if !row["child_id"]!.isEmpty {
            childrenPerIncident[row["incident_id"]!, default: 0] += 1
            incidentsPerChild[row["child_id"]!, default: 0] += 1
        }
    }
    let incidents = Array(firstRow.values)
    func share(_ p: ([String: String]) -> Bool) -> Double {
        Double(incidents.filter(p).count) / Double(incidents.count)
    }
    #expect((0.68...0.82).contains(share { $0["officer_grade"] == "standard" }))
    #expect((0.15...0.25).contains(share { $0["officer_grade"] == "medium" }))
    #expect((0.03...0.07).contains(share { $0["officer_grade"] == "high" }))
    #expect((0.07...0.13).contains(share { $0["risk_tool"] == "DARA" }))
    #expect(share { $0["risk_tool"] == "DASH24" } > 0)
    #expect(share { $0["officer_grade"] == "medium" && (Int($0["dash_yes_count"]!) ?? 0) >= 14 } > 0)
    #expect(share { g in Grade(text: g["supervisor_grade"]!).map { $0 > Grade(text: g["officer_grade"]!)! } ?? false } > 0.01)
    #expect(share { g in Grade(text: g["supervisor_grade"]!).map { $0 < Grade(text: g["officer_grade"]!)! } ?? false } > 0.01)

    let counts = firstRow.keys.map { childrenPerIncident[$0, default: 0] }
    #expect(counts.allSatisfy { (0...4).contains($0) })
    let oneOrTwo = Double(counts.filter { $0 == 1 || $0 == 2 }.count) / Double(counts.count)
    #expect(oneOrTwo > 0.6)

    let perChild = Array(incidentsPerChild.values)
    let once = Double(perChild.filter { $0 == 1 }.count) / Double(perChild.count)
    #expect((0.6...0.8).contains(once))
    #expect(perChild.contains { $0 >= 10 })
    #expect(perChild.allSatisfy { $0 <= 20 })

    let noSchool = Double(data.filter { !$0["child_id"]!.isEmpty && $0["school_urn"]!.isEmpty }.count) / Double(data.count)
    #expect((0.02...0.08).contains(noSchool))
    #expect(data.contains { $0["child_given_name"] == "Zoë" })
    #expect(data.contains { $0["child_voice"]!.contains("\n") })
    #expect(data.contains { $0["child_voice"]!.contains("\"") })
    #expect(data.contains { $0["child_voice"]!.contains(",") })
}

@Test func withoutURNsNoChildHasASchool() throws {
    let data = try rows(generate(rows: 500, urns: []))
    #expect(data.allSatisfy { $0["school_urn"]!.isEmpty })
}

@Test(arguments: [1, 30])
func aShortSpanStaysInsideIt(days: Int) throws {
    let data = try rows(generate(rows: 2_000, days: days))
    let oldest = end.addingTimeInterval(-Double(days) * 86_400)
    for row in data {
        let at = try #require(instant(row["reported_at"]!))
        #expect(at >= oldest && at <= end)
    }
}
