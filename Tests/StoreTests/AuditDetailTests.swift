import CivilTime
import Foundation
import RiskModel
import StoreContract
import Testing
import TestSupport

/// The audit's detail is written by hand (AuditDetail), and must give the bytes `JSONSerialization`
/// with `.sortedKeys` gives, which the rows already in a force's audit were written with: the same
/// key order (numbers in keys as numbers, case set aside), the same escapes.
@Suite struct AuditDetailTests {
    static let characters: [Character] = Array("aAbBzZ0129_.[]-/ \"\\\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}é€😀\u{2028}")

    static func text(_ g: inout SeededGenerator, upTo length: Int) -> String {
        String((0..<Int.random(in: 0...length, using: &g)).map { _ in characters.randomElement(using: &g)! })
    }

    static func value(_ g: inout SeededGenerator, depth: Int) -> Any {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 6), using: &g) {
        case 0, 1: return text(&g, upTo: 8)
        case 2: return NSNull()
        case 3: return Bool.random(using: &g)
        case 4: return Int.random(in: -1_000_000...1_000_000, using: &g)
        case 5: return Int64.random(in: Int64.min...Int64.max, using: &g)
        case 6: return (0..<Int.random(in: 0...3, using: &g)).map { _ in value(&g, depth: depth - 1) }
        default:
            var d: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &g) { d[text(&g, upTo: 6)] = value(&g, depth: depth - 1) }
            return d
        }
    }

    static func serialised(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func randomValuesGiveJSONSerializationsBytes() throws {
        var g = SeededGenerator(state: 2026_12_07)
        for round in 0..<4_000 {
            var top: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...8, using: &g) { top[Self.text(&g, upTo: 10)] = Self.value(&g, depth: 3) }
            let expected = try Self.serialised(top)
            let written = try AuditDetail.text(top)
            #expect(written == expected, "round \(round)")
            if written != expected { return }
        }
    }

    @Test func anIncidentsChangesGiveJSONSerializationsBytes() throws {
        let old = Incident(id: "I-1", reportedAt: Date(timeIntervalSince1970: 1_790_000_000), riskTool: .dash,
                           officerGrade: .standard, dashYesCount: 3, supervisorGrade: nil, victimId: "V/1", perpetratorId: nil,
                           children: (1...12).map { ChildLink(childId: "C-\($0)", givenName: "Ann", familyName: "Lee",
                                                               dateOfBirth: LocalDate(year: 2015, month: 3, day: $0)!, schoolURN: "1000\($0)",
                                                               present: true, spokenTo: false, voice: nil, bodyWornVideo: nil) })
        var new = old
        new.supervisorGrade = .high
        new.children = old.children.dropFirst(2).map { var c = $0; c.schoolURN = "200001"; c.voice = "said \"no\""; return c }
            + [ChildLink(childId: "c-100", givenName: "Bo", familyName: "Lee", dateOfBirth: LocalDate(year: 2016, month: 1, day: 1)!,
                         schoolURN: nil, present: false, spokenTo: nil, voice: nil, bodyWornVideo: true)]
        for (a, b) in [(old, new), (nil, new), (new, old)] {
            let changes = IncidentDiff.changes(from: a, to: b)
            #expect(changes.count > 10)
            #expect(try AuditDetail.text(changes) == Self.serialised(changes))
        }
    }

    @Test func numbersInKeysSortAsNumbersAndNothingIsNull() throws {
        #expect(try AuditDetail.text(["child[10].x": 1, "child[2].x": 2, "B": true]) == #"{"B":true,"child[2].x":2,"child[10].x":1}"#)
        #expect(try AuditDetail.text(nil) == nil)
        #expect(try AuditDetail.text(["d": 1.5, "e": 1.0]) == #"{"d":1.5,"e":1}"#)
        #expect(throws: AuditDetail.NotJSON.self) { try AuditDetail.text(["when": Date()]) }
    }
}
