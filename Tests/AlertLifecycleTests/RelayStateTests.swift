import AlertLifecycle
import Foundation
import Testing

/// Our relay being down is the channel's state, not each alert's: the rule in pure code.
struct RelayStateTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anAlertWaitingOnADownRelayIsNotChargedAnAttemptAndIsDueAtOnce() {
        let t = AlertLifecycle.after(.relayUnavailable(error: "smtp our relay 10.0.0.1:25 cannot be reached"),
                                     deadline: t0.addingTimeInterval(3_600), now: t0)
        #expect(t.state == .queued)
        #expect(t.attemptsChange == -1, "the claim's attempt is given back")
        #expect(t.nextAttemptAt == t0, "no backoff: the next run takes it")
        #expect(t.notices.isEmpty, "the outage is told once for all, not per alert")
        #expect(t.lastError?.contains("cannot be reached") == true)

        // A temporary failure, by contrast, keeps its attempt and waits for its backoff.
        let temporary = AlertLifecycle.after(.temporary(error: "x", retryAt: t0.addingTimeInterval(60)), deadline: t0.addingTimeInterval(3_600), now: t0)
        #expect(temporary.attemptsChange == 0 && temporary.nextAttemptAt == t0.addingTimeInterval(60))
    }

    @Test func pastItsDeadlineItTurnsOverdueAndTheHubHearsOfThatAlert() {
        let t = AlertLifecycle.after(.relayUnavailable(error: "down"), deadline: t0.addingTimeInterval(-1), now: t0)
        #expect(t.state == .overdue && t.attemptsChange == -1 && t.nextAttemptAt == t0)
        #expect(t.notices == [.alert(kind: "overdue", detail: "down")])
    }

    @Test func onceTheRelayIsDownTheRunClaimsNoMoreEmailAndTellsTheHubOnceAnOutage() {
        var relay = RelayState()
        #expect(!relay.isDown && relay.excludedChannels.isEmpty)
        relay.learn(.temporary(error: "451", retryAt: t0))
        relay.learn(.delivered)
        #expect(!relay.isDown, "a school's temporary failure is not the relay's")
        #expect(!relay.tellsHub(previousRunFoundItDown: false), "nothing to tell while the relay answers")

        relay.learn(.relayUnavailable(error: "not sent, as an earlier message in this run found: down"), firstHand: false)
        relay.learn(.relayUnavailable(error: "smtp our relay 10.0.0.1:25 cannot be reached"))
        relay.learn(.relayUnavailable(error: "smtp our relay 10.0.0.1:25 cannot be reached again"))
        #expect(relay.isDown)
        #expect(relay.excludedChannels == ["smtp"])
        #expect(relay.unreachable == "smtp our relay 10.0.0.1:25 cannot be reached", "the first connection attempt's own words")
        #expect(relay.tellsHub(previousRunFoundItDown: false), "the first run of an outage tells the hub")
        #expect(!relay.tellsHub(previousRunFoundItDown: true), "the runs after it do not tell it again")
    }
}
