import Foundation
import InputRules
import RiskModel

/// One record: the incident's columns and at most one child. A record with errors is still handed
/// on, so that its rows are checked against the incident's other rows in the same run (every error
/// in one run); its columns that failed a check hold placeholders and are marked unknown.
struct ValidRow {
    /// Children are left empty here; the assembler gathers them across rows.
    var incident: Incident
    /// Nil when the record names no child, or its child columns failed a check.
    var child: ChildLink?
    /// Bit `Column.rawValue` set: the column failed a check, and its value here is a placeholder.
    var unknownColumns: UInt32 = 0
}

/// The column rules of SPEC §2 for one record, whatever file format it came from.
struct RowValidator {
    /// `reported_at` may be this late: one hour of clock skew past `now`.
    let latestReportedAt: Date
    /// A date of birth after London's calendar date of `now` is in the future.
    let today: LocalDate

    init(now: Date) {
        latestReportedAt = now.addingTimeInterval(3600)
        today = Zone.london.localDate(of: now)
    }

    /// Reports every problem in the record to `log`. Returns nil only when the record has no
    /// incident id; a record with other problems comes back with them marked `unknownColumns`.
    /// `reported`: columns whose problem the reader has already reported (a JSON array where text
    /// was due): they are unknown, and not reported again as empty.
    func validate(_ row: RawRow, line: Int, reported: UInt32 = 0, log: inout FileErrorLog) -> ValidRow? {
        var failed: UInt32 = reported
        func fail(_ column: Column, _ message: @autoclosure () -> String) {
            let bit: UInt32 = 1 << UInt32(column.rawValue)
            failed |= bit
            if reported & bit == 0 { log.add(line: line, column, message()) }
        }

        let id = row.bytes(.incidentId)
        if id.isEmpty { fail(.incidentId, "is required") }
        checkText(id, .incidentId, as: .identifier, fail)

        var reportedAt = Date(timeIntervalSince1970: 0)
        var reportedAtRead = false
        let reported = row.bytes(.reportedAt)
        if reported.isEmpty {
            fail(.reportedAt, "is required")
        } else {
            switch FieldValues.instant(reported, latest: latestReportedAt) {
            case .success(let instant):
                reportedAt = instant
                reportedAtRead = true
            case .failure(let problem): fail(.reportedAt, problem.message)
            }
        }

        var tool: RiskTool? = .dash
        let toolText = row.bytes(.riskTool)
        if !toolText.isEmpty {
            tool = FieldValues.riskTool(toolText)
            if tool == nil {
                fail(.riskTool, "unknown risk tool (expected DASH, DASH24, DARA or NONE)")
            }
        }

        let officer = requiredGrade(row, .officerGrade, fail)
        let supervisor = optionalGrade(row, .supervisorGrade, fail)

        var yesCount: Int?
        let yesText = row.bytes(.dashYesCount)
        if !yesText.isEmpty {
            if let value = FieldValues.wholeNumber(yesText) {
                if let tool {
                    if let maximum = tool.maximumYesCount {
                        if value > maximum {
                            fail(.dashYesCount, "\(value) is out of range 0-\(maximum) for \(tool.rawValue)")
                        }
                        yesCount = value
                    } else {
                        fail(.dashYesCount, "must be empty when risk_tool is \(tool.rawValue)")
                    }
                }
            } else {
                fail(.dashYesCount, "is not a whole number")
            }
        }

        let victim = row.bytes(.victimId)
        if victim.isEmpty { fail(.victimId, "is required") }
        checkText(victim, .victimId, as: .identifier, fail)
        let perpetrator = row.bytes(.perpetratorId)
        checkText(perpetrator, .perpetratorId, as: .identifier, fail)

        let bodyWornVideo = yesNo(row, .bwvUsed, fail)
        let child = validateChild(row, bodyWornVideo: bodyWornVideo, reportedAt: reportedAtRead ? reportedAt : nil, fail)

        guard !id.isEmpty else { return nil }
        if tool == nil { failed |= 1 << UInt32(Column.riskTool.rawValue) | 1 << UInt32(Column.dashYesCount.rawValue) }
        let incident = Incident(
            id: id.text, reportedAt: reportedAt, riskTool: tool ?? .dash, officerGrade: officer ?? .standard,
            dashYesCount: yesCount, supervisorGrade: supervisor ?? nil, victimId: victim.text,
            perpetratorId: perpetrator.isEmpty ? nil : perpetrator.text,
            // A row with a child keeps it on the child's link; one without, on the incident.
            bodyWornVideo: Self.hasChild(row) ? nil : bodyWornVideo ?? nil)
        return ValidRow(incident: incident, child: child, unknownColumns: failed)
    }

    private func requiredGrade(_ row: RawRow, _ column: Column, _ fail: (Column, @autoclosure () -> String) -> Void) -> Grade? {
        let text = row.bytes(column)
        if text.isEmpty {
            fail(column, "is required")
            return nil
        }
        return optionalGrade(row, column, fail) ?? nil
    }

    /// nil when invalid; `.some(nil)` when empty.
    private func optionalGrade(_ row: RawRow, _ column: Column, _ fail: (Column, @autoclosure () -> String) -> Void) -> Grade?? {
        let text = row.bytes(column)
        if text.isEmpty { return .some(nil) }
        guard let grade = FieldValues.grade(text) else {
            fail(column, "unknown grade (expected standard, medium or high)")
            return nil
        }
        return grade
    }

    /// `bwv_used` alone does not make a child: body-worn video is about the incident, and a force
    /// may fill it in on rows with no child. Any other child column does.
    private static func hasChild(_ row: RawRow) -> Bool {
        Column.childColumns.contains { $0 != .bwvUsed && !row.isEmpty($0) }
    }

    /// `bodyWornVideo`: the row's `bwv_used` (nil when invalid, `.some(nil)` when empty).
    /// `reportedAt`: the incident's, nil when it failed its check.
    private func validateChild(_ row: RawRow, bodyWornVideo: Bool??, reportedAt: Date?, _ fail: (Column, @autoclosure () -> String) -> Void) -> ChildLink? {
        guard Self.hasChild(row) else { return nil }

        let id = row.bytes(.childId)
        if id.isEmpty { fail(.childId, "is required when any other child column is given") }
        let given = row.bytes(.childGivenName)
        if given.isEmpty { fail(.childGivenName, "is required for a child") }
        let family = row.bytes(.childFamilyName)
        if family.isEmpty { fail(.childFamilyName, "is required for a child") }
        let idOK = checkText(id, .childId, as: .identifier, fail)
        let givenOK = checkText(given, .childGivenName, as: .name, fail)
        let familyOK = checkText(family, .childFamilyName, as: .name, fail)

        var dateOfBirth: LocalDate?
        let dobText = row.bytes(.childDob)
        if dobText.isEmpty {
            fail(.childDob, "is required for a child")
        } else {
            switch FieldValues.dateOfBirth(dobText, today: today, event: reportedAt.map { ($0, Column.reportedAt.name) }) {
            case .success(let date): dateOfBirth = date
            case .failure(let problem): fail(.childDob, problem.message)
            }
        }

        let urn = row.bytes(.schoolUrn)
        if !urn.isEmpty, !URN.isValid(utf8: urn) {
            fail(.schoolUrn, "is not a 6-digit URN")
        }
        let present = yesNo(row, .childPresent, fail)
        let spokenTo = yesNo(row, .childSpokenTo, fail)
        let voice = row.bytes(.childVoice)
        let voiceOK = checkText(voice, .childVoice, as: .words, fail)

        guard idOK, givenOK, familyOK, voiceOK, let dateOfBirth, !id.isEmpty, !given.isEmpty, !family.isEmpty,
              let present, let spokenTo, let bodyWornVideo else { return nil }
        return ChildLink(
            childId: id.text, givenName: given.text, familyName: family.text, dateOfBirth: dateOfBirth,
            schoolURN: urn.isEmpty ? nil : urn.text, present: present, spokenTo: spokenTo,
            voice: voice.isEmpty ? nil : voice.text, bodyWornVideo: bodyWornVideo)
    }

    /// The one text rule (FieldText): no control characters, a length limit. False after a failure.
    @discardableResult
    private func checkText(
        _ text: UnsafeBufferPointer<UInt8>, _ column: Column, as kind: FieldText.Kind,
        _ fail: (Column, @autoclosure () -> String) -> Void
    ) -> Bool {
        guard let problem = FieldText.problem(utf8: text, as: kind) else { return true }
        fail(column, problem.description)
        return false
    }

    /// nil when invalid; `.some(nil)` when empty (unknown).
    private func yesNo(_ row: RawRow, _ column: Column, _ fail: (Column, @autoclosure () -> String) -> Void) -> Bool?? {
        let text = row.bytes(column)
        if text.isEmpty { return .some(nil) }
        guard let value = FieldValues.yesNo(text) else {
            fail(column, "is not Y or N")
            return nil
        }
        return value
    }
}
