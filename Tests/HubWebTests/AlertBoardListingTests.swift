import AlertLifecycle
import Foundation
@testable import HubWeb
import StoreContract
import Testing

/// Which failed alerts the alerts board lists among its failures, the schools to contact: one a
/// school refused, not one owed to no school.
@Suite struct AlertBoardListingTests {
    static let startOfToday = Date(timeIntervalSince1970: 1_796_342_400) // 2026-12-04T00:00:00Z

    static func failed(_ lastError: String) -> AlertRow {
        AlertRow(reference: "ENC-I-1-C-2", incidentId: "I-1", childId: "C-2", schoolURN: "120501", channel: "smtp", state: .failed,
                 deadline: startOfToday.addingTimeInterval(-86_400), attempts: 1, lastError: lastError,
                 failedAt: startOfToday.addingTimeInterval(-3_600))
    }

    /// A refusal yesterday is a school to contact; a withdrawal, or a child named again too late to
    /// alert (audit 24, S3: its row kept as the record of what was tried), is owed to nobody. The
    /// latter was listed among the failures for a week.
    @Test func aFailureOwedToNoSchoolIsNotAmongTheSchoolsToContact() {
        #expect(AlertBoard.inTodaysRun(Self.failed("smtp reply 550"), startOfToday: Self.startOfToday))
        #expect(!AlertBoard.inTodaysRun(Self.failed(AlertLifecycle.withdrawnReason), startOfToday: Self.startOfToday))
        #expect(!AlertBoard.inTodaysRun(Self.failed(AlertLifecycle.namedTooLateReason), startOfToday: Self.startOfToday))
    }
}
