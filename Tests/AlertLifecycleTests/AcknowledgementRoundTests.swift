import AlertLifecycle
import Foundation
import Testing

/// Who may acknowledge an alert after it moved school or was withdrawn, and which calls say its
/// school was phoned (audit 23, F7, F11, F15): each rule at its edges.
struct AcknowledgementRoundTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var end: Date { t0.addingTimeInterval(86_400) }

    /// The hub phones about an unacknowledged alert while its links still work, their end included
    /// (audit 26, F1: kept for good, the list was two years long); one sent with no link, or
    /// acknowledged, or not yet due, is never to phone.
    @Test func anUnacknowledgedAlertIsToPhoneUntilItsLinksClose() {
        let deadline = t0.addingTimeInterval(-3_600)
        #expect(AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: nil, deadline: deadline, linksEnd: end, now: t0))
        #expect(AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: nil, deadline: deadline, linksEnd: end, now: end))
        #expect(!AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: nil, deadline: deadline, linksEnd: end, now: end.addingTimeInterval(1)))
        #expect(AlertLifecycle.isUnacknowledged(state: .delivered, linkIssued: true, acknowledgedAt: nil, deadline: deadline,
                                                now: end.addingTimeInterval(1)), "still unacknowledged to the record")
        #expect(!AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: nil, deadline: deadline, linksEnd: nil, now: t0))
        #expect(!AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: t0, deadline: deadline, linksEnd: end, now: t0))
        #expect(!AlertLifecycle.isToPhone(state: .delivered, acknowledgedAt: nil, deadline: end, linksEnd: end, now: t0))
    }

    @Test func aWebhookAcknowledgesByReferenceOnlyInTheAlertsFirstSchoolRound() {
        #expect(AlertLifecycle.acceptsWebhookAcknowledgement(channel: "https", linksEnd: end, lastError: nil, schoolRound: 0, now: t0))
        #expect(!AlertLifecycle.acceptsWebhookAcknowledgement(channel: "https", linksEnd: end, lastError: nil, schoolRound: 1, now: t0))
        #expect(!AlertLifecycle.acceptsWebhookAcknowledgement(channel: "smtp", linksEnd: end, lastError: nil, schoolRound: 0, now: t0))
        #expect(!AlertLifecycle.acceptsWebhookAcknowledgement(channel: "https", linksEnd: end, lastError: AlertLifecycle.withdrawnReason,
                                                              schoolRound: 0, now: t0))
    }

    @Test func aWithdrawnAlertsLinksOpenNothingWhileAnyOtherFailuresDoUntilTheirEnd() {
        #expect(AlertLifecycle.opensForSchool(linksEnd: end, lastError: nil, now: end))
        #expect(AlertLifecycle.opensForSchool(linksEnd: end, lastError: "smtp 550", now: t0))
        #expect(!AlertLifecycle.opensForSchool(linksEnd: end, lastError: AlertLifecycle.withdrawnReason, now: t0))
        // Named again too late to alert (audit 24, S3): owed to no school, as a withdrawn one.
        #expect(!AlertLifecycle.opensForSchool(linksEnd: end, lastError: AlertLifecycle.namedTooLateReason, now: t0))
        #expect(!AlertLifecycle.opensForSchool(linksEnd: end, lastError: nil, now: end.addingTimeInterval(1)))
        #expect(!AlertLifecycle.opensForSchool(linksEnd: nil, lastError: nil, now: t0))
    }

    @Test func aMoveStartsASchoolRoundOnlyWhenTheAlertHadBeenClaimedToBeSent() {
        #expect(AlertLifecycle.schoolRoundAfterMove(0, attempts: 0) == 0)
        #expect(AlertLifecycle.schoolRoundAfterMove(0, attempts: 1) == 1)
        #expect(AlertLifecycle.schoolRoundAfterMove(2, attempts: 3) == 3)
    }

    @Test func onlyACallInTheAlertsCurrentSchoolRoundIsToItsSchool() {
        #expect(AlertLifecycle.callIsToItsSchool(callRound: 1, alertRound: 1))
        #expect(!AlertLifecycle.callIsToItsSchool(callRound: 0, alertRound: 1))
    }
}
