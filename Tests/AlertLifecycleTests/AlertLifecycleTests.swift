import AlertLifecycle
import Foundation
import Testing

/// The state machine both stores keep: each decision checked at its edges.
struct AlertLifecycleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var deadline: Date { t0.addingTimeInterval(3_600) }

    let planner = AlertPlanner(deadline: { reported, _, _ in reported.addingTimeInterval(7_200) },
                               reference: { "R-\($0)-\($1)" }, maxAge: 86_400)
    let contact = AlertContact(channel: "smtp", recipient: "dsl@school.example")

    @Test func aChildWithNoSchoolOrNoKeyAdultIsUnmatchedWithTheReason() {
        #expect(planner.plan(reportedAt: t0, urn: nil, contact: nil, laCode: nil, now: t0)
            == AlertPlan(state: .unmatched, reason: "no school known for the child"))
        #expect(planner.plan(reportedAt: t0, urn: "100001", contact: nil, laCode: nil, now: t0)
            == AlertPlan(state: .unmatched, reason: "school 100001 has no key adult"))
    }

    /// SPEC §7, audit 21 F3: a link works `ack_days` after the deadline, or after its send when that
    /// is later; an alert's links end at the latest any send gave.
    @Test func aLinkWorksItsDaysFromTheDeadlineOrFromALaterSend() {
        let days: TimeInterval = 14 * 86_400
        #expect(AlertLifecycle.linkEnd(sentAt: t0, deadline: deadline, validFor: days) == deadline.addingTimeInterval(days))
        let late = deadline.addingTimeInterval(1)
        #expect(AlertLifecycle.linkEnd(sentAt: late, deadline: deadline, validFor: days) == late.addingTimeInterval(days))
        #expect(AlertLifecycle.linksEnd(kept: nil, issued: deadline) == deadline)
        #expect(AlertLifecycle.linksEnd(kept: deadline, issued: late) == late)
        #expect(AlertLifecycle.linksEnd(kept: late, issued: deadline) == late, "no link ends sooner than it was sent with")
    }

    @Test func aKnownSchoolIsQueuedWithTheCalendarsDeadline() {
        #expect(planner.plan(reportedAt: t0, urn: "100001", contact: contact, laCode: "202", now: t0)
            == AlertPlan(state: .queued, channel: "smtp", recipient: "dsl@school.example", deadline: t0.addingTimeInterval(7_200)))
    }

    @Test(arguments: [(86_400.0, true), (86_401.0, false)])
    func anIncidentOlderThanTheMaximumAgeAlertsNobody(age: Double, planned: Bool) {
        let plan = planner.plan(reportedAt: t0, urn: "100001", contact: contact, laCode: nil, now: t0.addingTimeInterval(age))
        #expect((plan != nil) == planned)
        #expect(planner.plan(reportedAt: t0, urn: "100001", contact: contact, laCode: nil, now: t0.addingTimeInterval(age),
                             ignoringAge: true) != nil)
    }

    @Test func deliveredRecordsTheTimeAndClearsTheError() {
        let t = AlertLifecycle.after(.delivered, deadline: deadline, now: t0)
        #expect(t.state == .delivered && t.deliveredAt == t0 && t.lastError == nil && t.notices.isEmpty)
    }

    /// Audit 19, finding 2: an alert taken back from a killed run and delivered past its deadline
    /// never waited as overdue, so the delivery itself tells the hub it was late.
    @Test func deliveredPastTheDeadlineTellsTheHubItWasOverdue() {
        let t = AlertLifecycle.after(.delivered, deadline: t0.addingTimeInterval(-1), now: t0)
        #expect(t.state == .delivered && t.deliveredAt == t0)
        #expect(t.notices == [.alert(kind: "overdue", detail: AlertLifecycle.overdueDetail)])
    }

    /// One key adult's address refused for good while another took the alert: delivered, and the hub
    /// is told the school and the dead address with the relay's code (a problem of key-adults.csv, no
    /// alert's reference, so one a day per address); one refused for now is not told.
    @Test func aDeliveryWithARefusedKeyAdultTellsTheHubOfTheAddressRefusedForGoodOnly() {
        let refused = [RefusedAddress(address: "old-dsl@school.example", replyCode: 550),
                       RefusedAddress(address: "deputy@school.example", replyCode: 451)]
        let t = AlertLifecycle.after(.deliveredRefusing(school: "100001", refused: refused), deadline: deadline, now: t0)
        #expect(t.state == .delivered && t.deliveredAt == t0 && t.lastError == nil)
        let detail = "school 100001: our relay refused key adult address old-dsl@school.example with reply 550 "
            + "(another of the school's key adults had the alert): correct Config/key-adults.csv"
        #expect(t.notices == [.refusedAddress(channel: "smtp", detail: detail)])
        #expect(AlertLifecycle.refusedAddressNotices(school: "100001", refused: [refused[1]]).isEmpty, "4xx: not told")

        let late = AlertLifecycle.after(.deliveredRefusing(school: "100001", refused: refused), deadline: t0.addingTimeInterval(-1), now: t0)
        #expect(late.notices == [.alert(kind: "overdue", detail: AlertLifecycle.overdueDetail), .refusedAddress(channel: "smtp", detail: detail)])
    }

    @Test func aTemporaryFailureRetriesBeforeTheDeadlineAndIsOverdueAfterIt() {
        let retry = t0.addingTimeInterval(300)
        let before = AlertLifecycle.after(.temporary(error: "451", retryAt: retry), deadline: deadline, now: t0)
        #expect(before.state == .retrying && before.nextAttemptAt == retry && before.notices.isEmpty)
        // At the deadline exactly it is not yet late.
        let at = AlertLifecycle.after(.temporary(error: "451", retryAt: retry), deadline: deadline, now: deadline)
        #expect(at.state == .retrying)
        let after = AlertLifecycle.after(.temporary(error: "451", retryAt: retry), deadline: deadline, now: deadline.addingTimeInterval(1))
        #expect(after.state == .overdue && after.notices == [.alert(kind: "overdue", detail: "451")])
    }

    @Test func aPermanentFailureFailsAndTellsTheHub() {
        let t = AlertLifecycle.after(.permanent(error: "550"), deadline: deadline, now: t0)
        #expect(t.state == .failed && t.lastError == "550" && t.notices == [.alert(kind: "failed", detail: "550")])
    }

    @Test func aConfigurationFailureIsNotAnAttemptAndWaitsThePause() {
        let t = AlertLifecycle.after(.configuration(error: "no secret", channel: "https"), deadline: deadline, now: t0)
        #expect(t.state == .queued && t.attemptsChange == -1)
        #expect(t.nextAttemptAt == t0.addingTimeInterval(AlertLifecycle.configurationPause))
        // Not claimed again by the run that held it (it judges what is due at t0), but by a run
        // seconds later, which then finds the settings still wrong and says so.
        #expect(!AlertLifecycle.isClaimable(state: t.state, nextAttemptAt: t.nextAttemptAt, leaseUntil: nil, ownerDead: false, now: t0))
        #expect(AlertLifecycle.isClaimable(state: t.state, nextAttemptAt: t.nextAttemptAt, leaseUntil: nil, ownerDead: false,
                                           now: t0.addingTimeInterval(10)))
        #expect(t.notices == [.configuration(channel: "https", detail: "no secret")])
        let late = AlertLifecycle.after(.configuration(error: "no secret", channel: "https"), deadline: deadline, now: deadline.addingTimeInterval(1))
        #expect(late.state == .overdue && late.notices.count == 2)
    }

    /// An outcome for an alert its school acknowledged while the run held it: delivered when it
    /// was acknowledged (or earlier), whatever the run heard, and late only if that was.
    @Test func anOutcomeForAnAlertAcknowledgedMeanwhileIsADelivery() {
        let read = deadline.addingTimeInterval(-600)
        let heard = deadline.addingTimeInterval(600)
        for result: AlertResult in [.temporary(error: "503", retryAt: heard), .permanent(error: "400"), .relayUnavailable(error: "down"),
                                    .configuration(error: "no secret", channel: "https"), .delivered] {
            let t = AlertLifecycle.after(result, deadline: deadline, now: heard, acknowledgedAt: read)
            #expect(t.state == .delivered && t.deliveredAt == read && t.notices.isEmpty && t.attemptsChange == 0, "\(result)")
        }
        let lateRead = AlertLifecycle.after(.temporary(error: "503", retryAt: heard), deadline: deadline, now: heard,
                                            acknowledgedAt: deadline.addingTimeInterval(60))
        #expect(lateRead.state == .delivered && lateRead.notices == [.alert(kind: "overdue", detail: AlertLifecycle.overdueDetail)])
        let earlyDelivery = AlertLifecycle.after(.delivered, deadline: deadline, now: read.addingTimeInterval(-60), acknowledgedAt: read)
        #expect(earlyDelivery.deliveredAt == read.addingTimeInterval(-60), "delivered before it was read")
    }

    @Test func claimsFollowTheStateTheClockAndTheLease() {
        let later = t0.addingTimeInterval(60)
        #expect(AlertLifecycle.isClaimable(state: .queued, nextAttemptAt: t0, leaseUntil: nil, ownerDead: false, now: t0))
        #expect(!AlertLifecycle.isClaimable(state: .retrying, nextAttemptAt: later, leaseUntil: nil, ownerDead: false, now: t0))
        #expect(!AlertLifecycle.isClaimable(state: .sending, nextAttemptAt: nil, leaseUntil: later, ownerDead: false, now: t0))
        #expect(AlertLifecycle.isClaimable(state: .sending, nextAttemptAt: nil, leaseUntil: later, ownerDead: true, now: t0))
        #expect(AlertLifecycle.isClaimable(state: .sending, nextAttemptAt: nil, leaseUntil: t0, ownerDead: false, now: later))
        for finished in AlertLifecycle.finished {
            #expect(!AlertLifecycle.isClaimable(state: finished, nextAttemptAt: t0, leaseUntil: nil, ownerDead: true, now: later))
        }
    }

    @Test func onlyQueuedAndRetryingAlertsTurnOverduePastTheirDeadline() {
        let past = deadline.addingTimeInterval(1)
        #expect(AlertLifecycle.turnsOverdue(state: .queued, deadline: deadline, now: past))
        #expect(AlertLifecycle.turnsOverdue(state: .retrying, deadline: deadline, now: past))
        #expect(!AlertLifecycle.turnsOverdue(state: .queued, deadline: deadline, now: deadline))
        for state in [AlertState.overdue, .sending, .delivered, .failed, .unmatched] {
            #expect(!AlertLifecycle.turnsOverdue(state: state, deadline: deadline, now: past))
        }
    }

    /// SPEC §7: an alert not delivered by its deadline is overdue, read so from that instant
    /// whatever a run has stored (audit 27, F1): waiting or being sent, past its deadline. At the
    /// deadline itself it is not yet late (`turnsOverdue`'s edge); one delivered, failed, unmatched
    /// or with no deadline reads as stored.
    @Test func anAlertNotDeliveredByItsDeadlineReadsOverdueBeforeARunStoresIt() {
        let past = deadline.addingTimeInterval(1)
        for state in [AlertState.queued, .sending, .retrying] {
            #expect(AlertLifecycle.stateAsRead(state, deadline: deadline, now: past) == .overdue, "\(state)")
            #expect(AlertLifecycle.stateAsRead(state, deadline: deadline, now: deadline) == state, "\(state)")
            #expect(AlertLifecycle.stateAsRead(state, deadline: nil, now: past) == state, "\(state)")
        }
        for state in [AlertState.overdue, .delivered, .failed, .unmatched] {
            #expect(AlertLifecycle.stateAsRead(state, deadline: deadline, now: past) == state, "\(state)")
        }
        // Counted so: moved from their stored state to overdue, every alert counted once.
        let counts = AlertLifecycle.countsAsRead(stored: [.queued: 3, .retrying: 1, .overdue: 2, .delivered: 5],
                                                 late: [.queued: 2, .retrying: 1])
        #expect(counts == [.queued: 1, .overdue: 5, .delivered: 5])
    }

    @Test func aCorrectedIncidentMovesAlertsNotYetSentAndReRoutesFinishedOnesToANewSchool() {
        func replan(_ state: AlertState, urn: String?, now: Date? = nil) -> AlertLifecycle.Replan {
            AlertLifecycle.replan(stored: AlertPlan(state: state, deadline: t0.addingTimeInterval(7_200)), lastError: nil, acknowledged: false, urn: "100001", planner: planner,
                                  reportedAt: t0, urn: urn, contact: contact, laCode: nil, now: now ?? t0)
        }
        #expect(replan(.queued, urn: "100001") == .keep)
        #expect(replan(.queued, urn: "100002") != .keep)
        #expect(replan(.overdue, urn: "100002") != .keep)
        #expect(replan(.sending, urn: "100002") == .keep, "its run holds it: `follow` reads the record when it is given back")
        let queued = AlertPlan(state: .queued, channel: "smtp", recipient: "dsl@school.example", deadline: t0.addingTimeInterval(7_200))
        for state in [AlertState.delivered, .failed] {
            #expect(replan(state, urn: "100002") == .update(queued), "the school the record now names must hear")
            #expect(replan(state, urn: "100001") == .keep, "the same school: sent as it should be")
            #expect(replan(state, urn: nil) == .keep, "nobody else is owed it")
            #expect(replan(state, urn: "100002", now: t0.addingTimeInterval(86_401)) == .keep, "too old to alert a school about now")
        }
        // An unmatched alert is planned afresh even with the same school: it may now have a key adult.
        #expect(replan(.unmatched, urn: "100001") != .keep)
    }

    /// A failed alert refused by its school's key adult is sent again, as a new round, once the
    /// school's key adults include an address it was not sent to: queued to them with the deadline
    /// its incident gives (as for a re-route), while the incident is within the maximum age, whoever
    /// asks. Nothing is sent again when the list is as it was or only lost an address, to another
    /// school (that is a re-route), for a delivered alert, or for one withdrawn or unreadable.
    @Test func aFailedAlertIsSentAgainOnceItsSchoolsKeyAdultsAreCorrected() {
        let refused = AlertPlan(state: .failed, channel: "smtp", recipient: "old@school.example, deputy@school.example",
                                deadline: t0.addingTimeInterval(7_200))
        func replan(_ stored: AlertPlan = refused, urn: String? = "100001", recipient: String, channel: String = "smtp",
                    now: Date? = nil, ignoringAge: Bool = false) -> AlertLifecycle.Replan {
            AlertLifecycle.replan(stored: stored, lastError: nil, acknowledged: false, urn: "100001", planner: planner, reportedAt: t0, urn: urn,
                                  contact: AlertContact(channel: channel, recipient: recipient), laCode: nil, now: now ?? t0,
                                  ignoringAge: ignoringAge)
        }
        let corrected = "new@school.example, deputy@school.example"
        #expect(replan(recipient: corrected) == .update(AlertPlan(state: .queued, channel: "smtp", recipient: corrected,
                                                                  deadline: t0.addingTimeInterval(7_200))))
        #expect(replan(recipient: "old@school.example, deputy@school.example, head@school.example") != .keep, "an address added")
        #expect(replan(recipient: "https://school.example/alerts", channel: "https") != .keep, "another channel")
        #expect(replan(recipient: "Old@School.example, deputy@school.example") == .keep, "the same addresses")
        #expect(replan(recipient: "deputy@school.example") == .keep, "an address removed: those left refused it")
        #expect(replan(recipient: corrected, now: t0.addingTimeInterval(86_401)) == .keep, "too old to alert a school about now")
        #expect(replan(recipient: corrected, now: t0.addingTimeInterval(86_401), ignoringAge: true) == .keep,
                "the age counts whoever asks")
        var delivered = refused
        delivered.state = .delivered
        #expect(replan(delivered, recipient: corrected) == .keep, "a delivered alert is never sent again")
        #expect(AlertLifecycle.startsNewRound(from: .failed), "the hub's notices start afresh")

        #expect(AlertLifecycle.failedMayBeResent(stored: refused, lastError: "smtp reply 550", acknowledged: false, sentURN: "100001", urn: "100001",
                                                 contact: AlertContact(channel: "smtp", recipient: corrected)))
        #expect(!AlertLifecycle.failedMayBeResent(stored: refused, lastError: "smtp reply 550", acknowledged: false, sentURN: "100001", urn: "100001",
                                                  contact: AlertContact(channel: "smtp", recipient: "deputy@school.example")))
        #expect(!AlertLifecycle.failedMayBeResent(stored: refused, lastError: "smtp reply 550", acknowledged: true, sentURN: "100001", urn: "100001",
                                                  contact: AlertContact(channel: "smtp", recipient: corrected)),
                "acknowledged: a copy reached the school, and a key adult there has it")
        for reason in [AlertLifecycle.withdrawnReason, AlertLifecycle.namedTooLateReason, AlertLifecycle.unreadablePrefix + "its stored school is missing"] {
            #expect(!AlertLifecycle.failedMayBeResent(stored: refused, lastError: reason, acknowledged: false, sentURN: "100001", urn: "100001",
                                                      contact: AlertContact(channel: "smtp", recipient: corrected)), "\(reason)")
        }
    }

    /// An ingest of a failed alert's incident sends it again to the school's corrected key adults
    /// only as `matchUnmatched` would (`failedMayBeResent`, the one rule): not once the school
    /// acknowledged it (a copy arrived), nor when its record could not make a message. A re-route
    /// to another school still sends it: that school never had it (audit 24).
    @Test func anIngestSendsAFailedAlertAgainToCorrectedKeyAdultsOnlyAsMatchUnmatchedWould() {
        let refused = AlertPlan(state: .failed, channel: "smtp", recipient: "old@school.example", deadline: t0.addingTimeInterval(7_200))
        let corrected = AlertContact(channel: "smtp", recipient: "new@school.example")
        func replan(lastError: String = "smtp reply 550", acknowledged: Bool, urn: String = "100001") -> AlertLifecycle.Replan {
            AlertLifecycle.replan(stored: refused, lastError: lastError, acknowledged: acknowledged, urn: "100001", planner: planner,
                                  reportedAt: t0, urn: urn, contact: corrected, laCode: nil, now: t0)
        }
        #expect(replan(acknowledged: false) != .keep)
        #expect(replan(acknowledged: true) == .keep, "a key adult at the school has it")
        #expect(replan(lastError: AlertLifecycle.unreadablePrefix + "its stored school is missing", acknowledged: false) == .keep)
        #expect(replan(acknowledged: true, urn: "100002") == .update(AlertPlan(state: .queued, channel: "smtp", recipient: "new@school.example",
                                                                               deadline: t0.addingTimeInterval(7_200))),
                "re-routed: the school the record names now never had it")
        for acknowledged in [false, true] {
            #expect((replan(acknowledged: acknowledged) != .keep)
                    == AlertLifecycle.failedMayBeResent(stored: refused, lastError: "smtp reply 550", acknowledged: acknowledged, sentURN: "100001",
                                                        urn: "100001", contact: corrected))
        }
    }

    /// An alert withdrawn because a correction dropped the child, asked again for a link the
    /// incident has (the child named again), is planned afresh: its school never heard. Another
    /// failure at the same school stays as it is, and a withdrawal too old to alert about stays.
    @Test func aWithdrawnAlertWhoseChildIsNamedAgainIsPlannedAfresh() {
        let withdrawn = AlertPlan(state: .failed, channel: "smtp", recipient: "dsl@school.example", deadline: t0.addingTimeInterval(7_200))
        func replan(lastError: String?, now: Date? = nil) -> AlertLifecycle.Replan {
            AlertLifecycle.replan(stored: withdrawn, lastError: lastError, acknowledged: false, urn: "100001", planner: planner, reportedAt: t0, urn: "100001",
                                  contact: contact, laCode: nil, now: now ?? t0)
        }
        #expect(replan(lastError: AlertLifecycle.withdrawnReason) == .update(AlertPlan(
            state: .queued, channel: "smtp", recipient: "dsl@school.example", deadline: t0.addingTimeInterval(7_200))))
        #expect(replan(lastError: "smtp reply 550") == .keep, "refused there: the same school, the same key adults")
        #expect(replan(lastError: AlertLifecycle.withdrawnReason, now: t0.addingTimeInterval(86_401)) == .tooOld, "too old to alert about now")
        #expect(replan(lastError: AlertLifecycle.namedTooLateReason, now: t0.addingTimeInterval(86_401)) == .tooOld, "still too old")
        #expect(replan(lastError: AlertLifecycle.namedTooLateReason) != .keep, "planned once the age allows it, as a link with no alert")
        #expect(AlertLifecycle.lastErrorAfterReplan(AlertLifecycle.withdrawnReason) == nil)
        #expect(AlertLifecycle.lastErrorAfterReplan(AlertLifecycle.namedTooLateReason) == nil)
        #expect(AlertLifecycle.lastErrorAfterReplan("smtp reply 550") == "smtp reply 550")
    }

    /// A withdrawn child named again too late is a link too old to alert: counted as one, its row
    /// removed when nothing refers to it, else kept with a reason that is true; and its withdrawal's
    /// notice not yet told is no longer told (audit 24, S3).
    @Test func aWithdrawnChildNamedAgainTooLateIsCountedTooOldAndItsWithdrawalNoLongerTold() {
        var tooOld = TooOldLinks()
        #expect(AlertLifecycle.namedTooLate(referenced: false, incidentId: "I-1", planner: planner, tooOld: &tooOld) == .removed)
        #expect(AlertLifecycle.namedTooLate(referenced: true, incidentId: "I-1", planner: planner, tooOld: &tooOld)
            == .kept(lastError: AlertLifecycle.namedTooLateReason))
        #expect(tooOld.children == 2 && tooOld.incidents == 1 && tooOld.incidentIds == ["I-1"] && tooOld.maxAgeDays == 1)
        func holds(_ detail: String, lastError: String?) -> Bool {
            AlertLifecycle.noticeStillHolds(kind: AlertLifecycle.failedKind, detail: detail, state: .failed, lastError: lastError,
                                            acknowledgedAt: nil, linkIssued: false, noticeSchool: nil, alertSchool: "100001")
        }
        #expect(holds(AlertLifecycle.withdrawnReason, lastError: AlertLifecycle.withdrawnReason))
        #expect(!holds(AlertLifecycle.withdrawnReason, lastError: AlertLifecycle.namedTooLateReason), "no longer withdrawn")
        #expect(holds("smtp reply 550", lastError: "smtp reply 550"), "a refusal holds while the alert is failed")
    }

    /// Every writing command re-plans every unmatched alert: one still unmatched for the same
    /// reason, with nothing else to change, is left as it is; any difference is written.
    @Test func anUnmatchedAlertThatWouldBeWrittenBackAsItIsIsKept() {
        let none = AlertPlan(state: .unmatched, reason: "school 100009 has no key adult")
        func replan(_ stored: AlertPlan, urn: String?, contact: AlertContact? = nil) -> AlertLifecycle.Replan {
            AlertLifecycle.replan(stored: stored, lastError: nil, acknowledged: false, urn: "100009", planner: planner, reportedAt: t0, urn: urn, contact: contact, laCode: nil,
                                  now: t0)
        }
        #expect(replan(none, urn: "100009") == .keep)
        #expect(replan(none, urn: "100009", contact: contact) != .keep, "a key adult now: queued")
        #expect(replan(none, urn: "100010") != .keep, "another school")
        #expect(replan(none, urn: nil) != .keep, "no school now")
        var recorded = none
        recorded.reason = "school 100009 recorded; queued at the next run of encompass"
        #expect(replan(recorded, urn: "100009") == .update(none), "the reason brought up to date")
        var leftOver = none
        (leftOver.channel, leftOver.recipient) = ("smtp", "old@school.example")
        #expect(replan(leftOver, urn: "100009") == .update(none), "a contact left from before it went unmatched is cleared")
    }

    /// `matchUnmatched` reads an unmatched alert's incident only when this says it may change: it
    /// must say so exactly when `replan` (its school unchanged) would not keep the alert.
    @Test func anUnmatchedAlertMayChangeExactlyWhenReplanningWouldNotKeepIt() {
        let reasons: [String?] = [nil, "no school known for the child", "school 100009 has no key adult", "school 100010 has no key adult",
                                  "school 100009 recorded; queued at the next run of encompass"]
        var storedPlans = reasons.map { AlertPlan(state: .unmatched, reason: $0) }
        storedPlans.append(AlertPlan(state: .unmatched, channel: "smtp", recipient: "old@school.example", reason: "school 100009 has no key adult"))
        storedPlans.append(AlertPlan(state: .unmatched, reason: "school 100009 has no key adult", deadline: deadline))
        var checked = 0
        for stored in storedPlans {
            for urn in [nil, "100009"] as [String?] {
                for contact in [nil, contact] {
                    let replanned = AlertLifecycle.replan(stored: stored, lastError: nil, acknowledged: false, urn: urn, planner: planner, reportedAt: t0, urn: urn, contact: contact,
                                                          laCode: nil, now: t0, ignoringAge: true)
                    #expect(AlertLifecycle.unmatchedMayChange(stored: stored, urn: urn, contact: contact) == (replanned != .keep),
                            "\(stored), school \(urn ?? "none"), key adult \(contact != nil)")
                    checked += 1
                }
            }
        }
        #expect(checked == 28)
        #expect(!AlertLifecycle.unmatchedMayChange(stored: AlertPlan(state: .unmatched, reason: "school 100009 has no key adult"),
                                                   urn: "100009", contact: nil), "the alert most of a store's unmatched list is")
    }

    /// A `sending` alert given back (its outcome recorded, or taken back after its lease) follows
    /// what the record says now: ingest and key-adult changes leave it to its run.
    @Test func anAlertGivenBackFollowsTheRecordAsItNowStands() {
        let sent = AlertPlan(state: .sending, channel: "smtp", recipient: "dsl@school.example", deadline: deadline)
        let other = AlertContact(channel: "https", recipient: "https://new.example/hook")
        func follow(_ state: AlertState, linked: Bool = true, urn: String? = "100001", contact: AlertContact? = nil,
                    planner: AlertPlanner? = nil) -> AlertLifecycle.Follow {
            AlertLifecycle.follow(state: state, sent: sent, sentURN: "100001", childStillLinked: linked, urn: urn,
                                  contact: contact ?? self.contact, laCode: nil, reportedAt: t0, planner: planner ?? self.planner, now: t0)
        }
        let newSchool = AlertPlan(state: .queued, channel: "smtp", recipient: "dsl@school.example", deadline: t0.addingTimeInterval(7_200))
        for state in [AlertState.sending, .queued, .retrying, .overdue] {
            #expect(follow(state) == .stays, "\(state): nothing changed")
            #expect(follow(state, linked: false) == .withdrawn, "\(state): the incident no longer names the child")
            #expect(follow(state, urn: "100002") == .replanned(newSchool), "\(state): another school")
            #expect(follow(state, urn: nil) == .replanned(AlertPlanner.unmatched(urn: nil)), "\(state): no school now")
            #expect(follow(state, contact: other) == .replanned(AlertPlan(state: .queued, channel: "https", recipient: other.recipient,
                                                                          deadline: deadline)), "\(state): the school's new key adult, its deadline kept")
        }
        for state in [AlertState.delivered, .failed] {
            #expect(follow(state) == .stays)
            #expect(follow(state, contact: other) == .stays, "the school was sent it")
            #expect(follow(state, linked: false) == .stays, "sent already: nothing to withdraw, nobody else owed it")
            #expect(follow(state, urn: "100002") == .replanned(newSchool), "re-routed: the school the record names must hear")
        }
        let noPlanner = AlertLifecycle.follow(state: .retrying, sent: sent, sentURN: "100001", childStillLinked: true, urn: "100002",
                                              contact: contact, laCode: nil, reportedAt: t0, planner: nil, now: t0)
        #expect(noPlanner == .replanned(AlertPlan(state: .unmatched, reason: AlertPlanner.schoolRecorded("100002", hasKeyAdult: true))),
                "without a planner it waits for the next command's matchUnmatched")
    }

    /// Audit 22, people F8: a school corrected after the alert was delivered leaves the child's
    /// details at a school that is not the child's; the hub is told which, and when it had them, so
    /// staff ask its key adult to delete the notification. Only a delivery tells: refused for good,
    /// or not yet sent, no school holds it; the same school, or none, is no re-route.
    @Test func aReRouteAfterDeliveryTellsTheHubWhichSchoolHasTheChildsDetails() {
        let delivered = t0.addingTimeInterval(600)
        for state in AlertState.allCases {
            let notices = AlertLifecycle.reroutedNotices(from: state, sentURN: "100001", deliveredAt: delivered, urn: "100002", heldTold: nil)
            if state == .delivered {
                #expect(notices == [.rerouted(school: "100001", deliveredAt: delivered,
                                              detail: AlertLifecycle.reroutedDetail(school: "100001"))])
            } else {
                #expect(notices.isEmpty, "\(state): not received there, even with an earlier school's delivery time kept")
            }
        }
        #expect(AlertLifecycle.reroutedNotices(from: .delivered, sentURN: "100001", deliveredAt: delivered, urn: "100001", heldTold: nil).isEmpty,
                "the same school: not re-routed")
        #expect(AlertLifecycle.reroutedNotices(from: .delivered, sentURN: "100001", deliveredAt: delivered, urn: nil, heldTold: nil).isEmpty,
                "no school now: not re-routed")
        #expect(AlertLifecycle.reroutedNotices(from: .delivered, sentURN: "100001", deliveredAt: nil, urn: "100002", heldTold: nil).isEmpty,
                "no delivery time: not known to be delivered")
        let detail = AlertLifecycle.reroutedDetail(school: "100001")
        #expect(detail.contains("school 100001") && detail.contains("delete the notification") && detail.contains("disclosure"))
    }

    /// Issue 9: the hub was told by a `no-longer-named` notice of the round a re-route closes that
    /// the school the alert leaves holds the child's details: the re-route tells nothing more of it
    /// (the hub asks that school once). A notice naming another school is no reason to keep quiet.
    @Test func aReRouteFromASchoolTheHubWasToldHoldsTheDetailsTellsNothingMore() {
        let delivered = t0.addingTimeInterval(600)
        #expect(AlertLifecycle.reroutedNotices(from: .delivered, sentURN: "100001", deliveredAt: delivered, urn: "100002",
                                               heldTold: "100001").isEmpty)
        #expect(AlertLifecycle.reroutedNotices(from: .delivered, sentURN: "100001", deliveredAt: delivered, urn: "100002",
                                               heldTold: "100003")
                == [.rerouted(school: "100001", deliveredAt: delivered, detail: AlertLifecycle.reroutedDetail(school: "100001"))])
    }

    /// Audit 23: delivered to a school the record then stops naming for the child, with no re-route
    /// (the child taken off the incident, no school now, an incident too old to re-route), that
    /// school holds the child's details as surely: the hub is told, and its links close. The same
    /// states count as for a re-route: only a delivery.
    @Test func aDeliveredAlertTheRecordNoLongerTiesToItsSchoolTellsTheHub() {
        let delivered = t0.addingTimeInterval(600)
        for state in AlertState.allCases {
            for named in [nil, "100002"] {
                let notices = AlertLifecycle.noLongerNamedNotices(state: state, sentURN: "100001", deliveredAt: delivered, namedURN: named)
                if state == .delivered {
                    #expect(notices == [.noLongerNamed(school: "100001", deliveredAt: delivered,
                                                       detail: AlertLifecycle.noLongerNamedDetail(school: "100001"))])
                    #expect(notices.map(\.kind) == [AlertLifecycle.noLongerNamedKind])
                    #expect(AlertLifecycle.closesLinks(notices))
                } else {
                    #expect(notices.isEmpty, "\(state): not received there")
                    #expect(!AlertLifecycle.closesLinks(notices))
                }
            }
        }
        #expect(AlertLifecycle.noLongerNamedNotices(state: .delivered, sentURN: "100001", deliveredAt: delivered, namedURN: "100001").isEmpty,
                "the school the record names: nothing to delete")
        #expect(AlertLifecycle.noLongerNamedNotices(state: .delivered, sentURN: "100001", deliveredAt: nil, namedURN: nil).isEmpty,
                "no delivery time: not known to be delivered")
        let detail = AlertLifecycle.noLongerNamedDetail(school: "100001")
        #expect(detail.contains("school 100001") && detail.contains("no other school") && detail.contains("delete the notification")
                && detail.contains("disclosure"))
    }

    /// A `no-longer-named` notice not yet told no longer holds once the record names that school
    /// again for the child and incident (the correction undone by the next feed): the hub was told
    /// to have the child's own school delete what it should hold. Its alert stays for that school
    /// all along, so the alert's school cannot tell; the record's school does. Re-routed elsewhere,
    /// that school still holds the details, and the notice holds.
    @Test func aNoLongerNamedNoticeHoldsOnlyWhileTheRecordDoesNotNameItsSchool() {
        func holds(named: String?, alert: String? = "100001") -> Bool {
            AlertLifecycle.noticeStillHolds(kind: AlertLifecycle.noLongerNamedKind, detail: AlertLifecycle.noLongerNamedDetail(school: "100001"),
                                            state: .delivered, lastError: nil, acknowledgedAt: nil, linkIssued: false,
                                            noticeSchool: "100001", alertSchool: alert, namedSchool: named)
        }
        #expect(holds(named: nil), "no school named for the child, or the child taken off the incident")
        #expect(holds(named: "100002"), "another school named (an incident too old to re-route)")
        #expect(!holds(named: "100001"), "named again: the school holds what it should")
        #expect(holds(named: "100002", alert: "100002"), "re-routed to the school named now: 100001 still holds the details")
        #expect(!holds(named: "100001", alert: "100001"), "re-routed back")
    }

    /// The hub's one word about a school that holds a child's details, when no run fell between the
    /// record naming no school for the child and the next feed's re-route (which tells nothing more
    /// of that school: `heldTold`), said the alert went to no other school. It says where it went.
    @Test func aNoLongerNamedNoticeWhoseAlertWasReRoutedSinceSaysWhere() {
        let kind = AlertLifecycle.noLongerNamedKind
        #expect(AlertLifecycle.reroutedSince(kind: kind, noticeSchool: "100001", alertSchool: "100001") == nil, "kept as it was sent")
        #expect(AlertLifecycle.reroutedSince(kind: kind, noticeSchool: "100001", alertSchool: "100002") == "100002")
        #expect(AlertLifecycle.reroutedSince(kind: kind, noticeSchool: "100001", alertSchool: nil) == nil)
        #expect(AlertLifecycle.reroutedSince(kind: AlertLifecycle.reroutedKind, noticeSchool: "100001", alertSchool: "100002") == nil,
                "a re-route's own notice says so already")
        let kept = AlertLifecycle.noLongerNamedDetail(school: "100001")
        #expect(AlertLifecycle.detailNow(kind: kind, detail: kept, noticeSchool: "100001", alertSchool: "100001") == kept)
        let now = AlertLifecycle.detailNow(kind: kind, detail: kept, noticeSchool: "100001", alertSchool: "100002")
        #expect(now == AlertLifecycle.noLongerNamedDetail(school: "100001", reroutedTo: "100002"))
        #expect(!now.contains("no other school") && now.contains("re-routed since to school 100002")
                && now.contains("ask school 100001's key adult to delete the notification") && now.contains("disclosure"), "\(now)")
    }

    @Test func withdrawalTakesOnlyUnsentAlertsOfUnlinkedChildren() {
        for state in AlertState.allCases where state != .unmatched {
            #expect(AlertLifecycle.withdrawal(state: state, childStillLinked: false, referenced: false)
                    == (AlertLifecycle.notYetSent.contains(state) ? .withdrawn : .stays))
        }
        for state in AlertState.allCases {
            #expect(AlertLifecycle.withdrawal(state: state, childStillLinked: true, referenced: false) == .stays)
        }
    }

    /// An unmatched entry was never going to be sent: its child removed from the incident, it leaves
    /// the unmatched list and nothing else (audit 23 year, F2), unless the hub was told or called
    /// about it (queued once, before its school lost its key adult), whose record stays.
    @Test func anUnmatchedEntryWhoseChildIsRemovedIsRemovedNotFailed() {
        #expect(AlertLifecycle.withdrawal(state: .unmatched, childStillLinked: false, referenced: false) == .removed)
        #expect(AlertLifecycle.withdrawal(state: .unmatched, childStillLinked: false, referenced: true) == .withdrawn)
        #expect(AlertLifecycle.withdrawal(state: .unmatched, childStillLinked: true, referenced: false) == .stays)
    }

    /// A link too old to alert about makes no alert, whatever its school, and is counted once an
    /// ingest; the hub's one line names each incident once, at most `namedIncidents` of them (audit
    /// 23 year, F1).
    @Test func aLinkTooOldToAlertIsCountedAndTheHubNoticeNamesItsIncidentsCapped() {
        let reported = Date(timeIntervalSince1970: 1_700_000_000)
        let late = reported.addingTimeInterval(86_400 + 1)
        let contact = AlertContact(channel: "smtp", recipient: "ka@school.example")
        var tooOld = TooOldLinks()
        #expect(tooOld.notice == nil)
        // Recent enough: planned, not counted.
        #expect(planner.planNew(reportedAt: reported, urn: "100001", contact: contact, laCode: nil, now: reported.addingTimeInterval(60),
                                incidentId: "PPN-0", tooOld: &tooOld)?.state == .queued)
        #expect(tooOld.children == 0)
        // Too old: nil and counted, with a key adult, with none, and with no school.
        #expect(planner.planNew(reportedAt: reported, urn: "100001", contact: contact, laCode: nil, now: late,
                                incidentId: "PPN-1", tooOld: &tooOld) == nil)
        #expect(planner.planNew(reportedAt: reported, urn: "100002", contact: nil, laCode: nil, now: late,
                                incidentId: "PPN-1", tooOld: &tooOld) == nil)
        #expect(planner.planNew(reportedAt: reported, urn: nil, contact: nil, laCode: nil, now: late,
                                incidentId: "PPN-2", tooOld: &tooOld) == nil)
        // An existing alert follows its incident whatever its age: not counted.
        #expect(planner.planNew(reportedAt: reported, urn: "100001", contact: contact, laCode: nil, now: late, ignoringAge: true,
                                incidentId: "PPN-3", tooOld: &tooOld) != nil)
        #expect(tooOld.children == 3 && tooOld.incidents == 2 && tooOld.incidentIds == ["PPN-1", "PPN-2"] && tooOld.maxAgeDays == 1)
        #expect(tooOld.notice == "3 children in 2 incidents reached the hub more than 1 day after the incident was reported "
                + "(alerts.max_age_days): no school was alerted. Incidents: PPN-1, PPN-2")
        var many = TooOldLinks()
        for i in 0..<25 {
            for _ in 0..<2 {
                _ = planner.planNew(reportedAt: reported, urn: "100001", contact: contact, laCode: nil, now: late,
                                    incidentId: "PPN-\(100 + i)", tooOld: &many)
            }
        }
        #expect(many.children == 50 && many.incidents == 25 && many.incidentIds.count == TooOldLinks.namedIncidents)
        #expect(many.notice?.hasPrefix("50 children in 25 incidents") == true)
        let notice = many.notice ?? ""
        #expect(notice.hasSuffix("Incidents: " + (100..<120).map { "PPN-\($0)" }.joined(separator: ", ") + " and 5 more"))
        #expect(!notice.contains("PPN-120"))
    }

    /// A corrected school calendar (SPEC §6): an alert not yet sent takes the deadline it gives
    /// now; one told overdue by a deadline no longer the school's waits again while the new one is
    /// ahead; a finished or sending one keeps the deadline it was judged by.
    @Test func aCorrectedCalendarMovesTheDeadlineOfAnAlertNotYetSentOnly() {
        let earlier = deadline.addingTimeInterval(-7_200), later = deadline.addingTimeInterval(7_200)
        let now = deadline.addingTimeInterval(60)
        for state in [AlertState.queued, .retrying, .unmatched] {
            #expect(AlertLifecycle.redate(state: state, deadline: deadline, attempts: 1, calendarDeadline: earlier, now: now)
                == .update(state: state, deadline: earlier), "\(state)")
        }
        // Overdue by the old deadline, the new one ahead: waiting again, as it was before.
        #expect(AlertLifecycle.redate(state: .overdue, deadline: deadline, attempts: 0, calendarDeadline: later, now: now)
            == .update(state: .queued, deadline: later))
        #expect(AlertLifecycle.redate(state: .overdue, deadline: deadline, attempts: 2, calendarDeadline: later, now: now)
            == .update(state: .retrying, deadline: later))
        // Still past (or due this instant, as `turnsOverdue` has it): overdue by the new one.
        #expect(AlertLifecycle.redate(state: .overdue, deadline: deadline, attempts: 0, calendarDeadline: earlier, now: now)
            == .update(state: .overdue, deadline: earlier))
        #expect(AlertLifecycle.redate(state: .overdue, deadline: earlier, attempts: 0, calendarDeadline: now, now: now)
            == .update(state: .queued, deadline: now))
        for state in [AlertState.delivered, .failed, .sending] {
            #expect(AlertLifecycle.redate(state: state, deadline: deadline, attempts: 1, calendarDeadline: later, now: now) == .keep, "\(state)")
        }
        // The same deadline, or none to move: nothing to write.
        #expect(AlertLifecycle.redate(state: .queued, deadline: later, attempts: 0, calendarDeadline: later, now: now) == .keep)
        #expect(AlertLifecycle.redate(state: .unmatched, deadline: nil, attempts: 0, calendarDeadline: later, now: now) == .keep)
    }
}
