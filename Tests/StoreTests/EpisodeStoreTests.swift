import Foundation
import Review
import RiskModel
import StoreContract
import Testing

/// Missing episodes, strategy-meeting decisions and the serial perpetrator as both stores keep and
/// read them (SPEC §4, §5, §10).
@Suite("Episodes, strategy meetings and serial perpetrators, on SQLite and PostgreSQL")
struct EpisodeStoreTests {
    let now = at("2026-11-22T08:00:00Z")

    static func episode(_ id: String, child: String = "C-9", missing: String, returned: String? = nil, interview: String? = nil,
                        risk: EpisodeRisk? = .medium) -> Episode {
        Episode(id: id, childId: child, givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2012-03-03")!,
                schoolURN: "120501", missingAt: at(missing), returnedAt: returned.map(at), risk: risk, returnInterviewAt: interview.map(at))
    }

    static let three = [
        episode("E-1", missing: "2026-09-01T20:00:00Z", returned: "2026-09-02T08:00:00Z", interview: "2026-09-03T10:00:00Z"),
        episode("E-2", missing: "2026-10-10T20:00:00Z", returned: "2026-10-11T08:00:00Z"),
        episode("E-3", missing: "2026-11-15T20:00:00Z"),
    ]

    /// The store's fast path (only children with enough episodes to fire, and their meetings)
    /// against the plain one (every episode in the span): the same children, the same assessments.
    @Test(arguments: StoreKind.allCases)
    func leavingOutChildrenWithTooFewEpisodesChangesNoAssessment(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let c2 = Self.three.prefix(2).map { Self.episode($0.id + "b", child: "C-2", missing: JSONText.utc($0.missingAt)) }
        // C-3: three episodes, one before the 90 days.
        let c3 = [Self.episode("E-7", child: "C-3", missing: "2026-06-01T20:00:00Z"), Self.episode("E-8", child: "C-3", missing: "2026-11-01T20:00:00Z"),
                  Self.episode("E-9", child: "C-3", missing: "2026-11-02T20:00:00Z")]
        _ = try await ingest(t, episodes: Self.three + c2 + c3)
        for child in ["C-9", "C-2", "C-3"] {
            try await t.store.record(Decision(childId: child, kind: .strategyMeeting, outcome: .held, on: LocalDate(iso: "2026-11-20")!,
                                              reason: nil, by: "hub.lead", recordedAt: now))
        }
        let settings = ScoringSettings()
        let from = now.addingTimeInterval(-Double(settings.missingDays) * RiskRules.secondsPerDay)
        let plain = try await t.store.riskContext(missingFrom: from, asOf: now, minimumEpisodes: 1)
        let fast = try await t.store.riskContext(missingFrom: from, asOf: now, minimumEpisodes: RiskRules.episodesThatCanFire(settings))
        #expect(Set(plain.episodes.keys) == ["C-9", "C-2", "C-3"])
        #expect(Set(fast.episodes.keys) == ["C-9"])
        #expect(Set(fast.strategyMeetings.keys) == ["C-9"])
        #expect(fast.episodes["C-9"] == plain.episodes["C-9"])
        func assess(_ child: String, _ c: RiskContext) -> Assessment? {
            RiskRules.assess(ChildHistory(childId: child, incidents: [], episodes: c.episodes[child] ?? [],
                                          strategyMeetings: c.strategyMeetings[child] ?? []), asOf: now, settings: settings)
        }
        for child in ["C-9", "C-2", "C-3"] {
            #expect(assess(child, fast) == assess(child, plain), "\(child)")
        }
        #expect(assess("C-9", fast)?.hit(.repeatMissing) != nil)
    }

    func ingest(_ t: TempStore, incidents: [Incident] = [], episodes: [Episode]?) async throws -> IngestSummary {
        try await t.store.ingest(IncidentFeed(batch: incidents, episodes: episodes), actor: "cli:test", at: now, planner: nil)
    }

    /// A child new to the store in several episodes of one feed takes the newest episode's details
    /// (PostgreSQL writes a feed's episodes and children a table at a time), a child already stored
    /// by an older episode takes a newer one's, and a feed that adds and changes episodes writes the
    /// same rows on both databases.
    @Test func aFeedOfEpisodesWritesTheSameOnBothDatabases() async throws {
        var written: [[String: [String]]] = []
        for kind in StoreKind.allCases {
            let t = try await TempStore(kind)
            defer { t.cleanUp() }
            _ = try await ingest(t, episodes: [Self.episode("E-0", child: "C-1", missing: "2026-08-01T20:00:00Z")])
            var feed = Self.three + [Self.episode("E-4", child: "C-1", missing: "2026-09-05T20:00:00Z"),
                                     Self.episode("E-0", child: "C-1", missing: "2026-08-01T20:00:00Z", returned: "2026-08-02T08:00:00Z")]
            feed[1].givenName = "Later"
            feed[2].givenName = "Newest"
            feed[3].givenName = "Other"
            let summary = try #require(try await ingest(t, episodes: feed).episodes)
            #expect((summary.added, summary.updated, summary.unchanged) == (4, 1, 0))
            #expect(try await t.store.childRecord("C-9")?.name.given == "Newest", "the newest episode's details")
            #expect(try await t.store.childRecord("C-1")?.name.given == "Other", "a newer episode's details over a stored older one's")
            var contents = try await StoreCopy.contents(of: t.store)
            // The children's keys aside: PostgreSQL's ingest takes a key from the sequence as it starts,
            // so a child first known by episodes is numbered one on (keys are the store's own).
            contents["children"] = contents["children"]?.map { String($0.drop { $0 != "," }) }
            written.append(contents)
        }
        #expect(written[0]["audit"]?.contains { $0.contains("episode.updated") } == true)
        #expect(written[0]["children"]?.count == 2)
        #expect(written[0] == written[1])
    }

    /// A child known only by missing episodes is shown at the school of their newest episode (the
    /// school the hub phones), whatever order the episodes come in, in one feed or several; any
    /// incident, even an older one, then gives the child's details (incidents are the force's record).
    @Test(arguments: StoreKind.allCases)
    func aChildKnownByEpisodesAloneIsAtTheirNewestEpisodesSchool(kind: StoreKind) async throws {
        func k(_ n: Int, _ month: Int, _ urn: String) -> Episode {
            var e = Self.episode("K-\(n)", child: "C-K", missing: "2026-\(String(format: "%02d", month))-01T20:00:00Z")
            e.schoolURN = urn
            return e
        }
        let (sep, oct, nov) = (k(1, 9, "120501"), k(2, 10, "120502"), k(3, 11, "120503"))
        for feeds in [[[oct, nov, sep]], [[nov], [sep, oct]], [[sep], [oct], [nov]], [[nov, oct], [sep]]] {
            let t = try await TempStore(kind)
            defer { t.cleanUp() }
            for feed in feeds { _ = try await ingest(t, episodes: feed) }
            #expect(try await t.store.childSummaries(["C-K"])["C-K"]?.schoolURN == "120503", "\(feeds.map { $0.map(\.id) })")
            _ = try await ingest(t, incidents: [incident("I-K", "2026-06-01T10:00:00Z", children: [child("C-K", urn: "100000")])], episodes: nil)
            #expect(try await t.store.childSummaries(["C-K"])["C-K"]?.schoolURN == "100000")
            _ = try await ingest(t, episodes: [k(4, 12, "120504")])
            #expect(try await t.store.childSummaries(["C-K"])["C-K"]?.schoolURN == "100000", "an incident's details stand")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func episodesAreKeptOnceAndAChangeIsAudited(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        #expect(try await ingest(t, episodes: Self.three).episodes == { var c = EpisodeCounts(); c.added = 3; return c }())
        #expect(try await ingest(t, episodes: Self.three).episodes?.unchanged == 3, "the same content changes nothing")
        var changed = Self.three
        changed[2].returnedAt = at("2026-11-16T09:00:00Z")
        let again = try #require(try await ingest(t, episodes: changed).episodes)
        #expect((again.added, again.updated, again.unchanged) == (0, 1, 2))
        let audit = try await t.store.auditEntries(limit: 20).filter { $0.action == "episode.updated" }
        #expect(audit.map(\.subject) == ["episode:E-3"])
        #expect(audit.first?.detail?.contains("returned_at") == true)
        #expect(audit.first?.detail?.contains("Zoë") == false, "no names in the audit")
        // The child is known by the episodes alone.
        let record = try #require(try await t.store.childRecord("C-9"))
        #expect(record.name.given == "Zoë")
        #expect(record.episodes.map(\.episodeId) == ["E-1", "E-2", "E-3"])
        #expect(record.episodes[2].returnedAt == at("2026-11-16T09:00:00Z"))
        #expect(record.episodes[1].fact.flags(asOf: now) == [.returnInterviewOverdue])
        #expect(record.episodes[0].fact.flags(asOf: now) == [])
    }

    @Test(arguments: StoreKind.allCases)
    func aChildWithEpisodesAndNoIncidentIsQueuedForAStrategyMeetingUntilOneIsDecided(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await ingest(t, episodes: Self.three)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: false)
        let entry = try #require(queue.entries.first { $0.assessment.childId == "C-9" })
        #expect(entry.assessment.level == .high)
        #expect(entry.assessment.suggestions == ["strategy-meeting"])
        #expect(entry.assessment.hit(.repeatMissing)?.episodeIds == ["E-1", "E-2", "E-3"])
        #expect(queue.json().contains(#""rule": "repeat-missing", "incident_ids": [], "episode_ids": ["E-1", "E-2", "E-3"]"#))

        try await t.store.record(Decision(childId: "C-9", kind: .strategyMeeting, outcome: .declined, on: LocalDate(iso: "2026-11-20")!,
                                          reason: "Already open to children's social care", by: "hana", recordedAt: now))
        let after = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: false)
        #expect(after.entries.first { $0.assessment.childId == "C-9" }?.assessment.suggestions == [])
        let decisions = try await t.store.decisions(childId: "C-9")
        #expect(decisions.map(\.kind) == [.strategyMeeting])
        #expect(try await t.store.latestDecisions()["C-9"]?.outcome == .declined)
        #expect(try await t.store.auditEntries(limit: 5).contains { $0.action == "strategy-meeting.declined" })
    }

    @Test(arguments: StoreKind.allCases)
    func strategyMeetingDecisionsCannotBeEditedOrDeleted(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await ingest(t, episodes: Self.three)
        try await t.store.record(Decision(childId: "C-9", kind: .strategyMeeting, outcome: .held, on: LocalDate(iso: "2026-11-20")!,
                                          reason: nil, by: "hana", recordedAt: now))
        for sql in ["UPDATE strategy_meetings SET outcome = 'declined'", "DELETE FROM strategy_meetings"] {
            #expect(try await t.refusal(sql)?.contains("append-only") == true, "\(sql)")
        }
        #expect(try await t.refusal("""
            INSERT INTO strategy_meetings (child_id, outcome, on_date, decided_by, recorded_at) VALUES ('C-9', 'declined', '2026-11-21', 'x', 0)
            """) != nil, "a declined meeting needs a reason, even written directly")
    }

    @Test(arguments: StoreKind.allCases)
    func aSerialPerpetratorAcrossTwoHouseholdsRaisesTheOtherHouseholdsChild(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        func named(_ id: String, _ when: String, victim: String, perpetrator: String?, children: [ChildLink]) -> Incident {
            Incident(id: id, reportedAt: at(when), officerGrade: .standard, dashYesCount: 2, victimId: victim, perpetratorId: perpetrator,
                     children: children)
        }
        _ = try await ingest(t, incidents: [
            // P-7 against V-1 two years ago, with no child; then against V-2, whose child is C-5.
            named("I-1", "2024-12-01T20:00:00Z", victim: "V-1", perpetrator: "P-7", children: []),
            named("I-2", "2026-11-01T20:00:00Z", victim: "V-2", perpetrator: "P-7", children: [child("C-5")]),
            // One perpetrator, one victim, many incidents: not serial.
            named("I-3", "2026-06-01T20:00:00Z", victim: "V-3", perpetrator: "P-8", children: [child("C-6")]),
            named("I-4", "2026-06-02T20:00:00Z", victim: "V-3", perpetrator: "P-8", children: []),
            // No perpetrator named.
            named("I-5", "2026-06-01T20:00:00Z", victim: "V-4", perpetrator: nil, children: [child("C-7")]),
        ], episodes: nil)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: true)
        let levels = Dictionary(uniqueKeysWithValues: queue.entries.map { ($0.assessment.childId, $0.assessment) })
        #expect(levels["C-5"]?.level == .medium)
        #expect(levels["C-5"]?.hit(.serialPerpetrator)?.incidentIds == ["I-2"])
        #expect(levels["C-6"]?.hit(.serialPerpetrator) == nil)
        #expect(levels["C-7"]?.hit(.serialPerpetrator) == nil)
        // Without --all the medium child is queued too.
        let medium = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: false)
        #expect(medium.entries.map(\.assessment.childId) == ["C-5"])
        // The child's page reads the same perpetrator's incidents.
        let found = try await t.store.perpetratorIncidents(["P-7"], from: at("2023-11-23T08:00:00Z"), to: now)
        #expect(Set(found.map(\.incidentId)) == ["I-1", "I-2"])
    }

    /// SQLite sets the candidates' index and triggers aside for a first load into an empty store and
    /// makes them again at its end: the same candidates as a store that kept them up row by row, the
    /// same schema as a migrated store, the same serial perpetrators as the plain path (every
    /// perpetrator's incidents), and the triggers working for the next ingest.
    @Test(arguments: StoreKind.allCases)
    func aFirstLoadFindsTheSameSerialPerpetratorsAsOneIncidentAtATime(kind: StoreKind) async throws {
        func named(_ id: String, _ day: Int, victim: String, perpetrator: String?) -> Incident {
            Incident(id: id, reportedAt: at("2026-06-01T20:00:00Z").addingTimeInterval(Double(day) * 86_400), officerGrade: .standard,
                     dashYesCount: 2, victimId: victim, perpetratorId: perpetrator, children: [child("C-\(id)")])
        }
        let incidents = [named("I-1", 0, victim: "V-1", perpetrator: "P-7"), named("I-2", 1, victim: "V-2", perpetrator: "P-7"),
                         named("I-3", 2, victim: "V-3", perpetrator: "P-8"), named("I-4", 3, victim: "V-3", perpetrator: "P-8"),
                         named("I-5", 4, victim: "V-4", perpetrator: nil), named("I-6", 5, victim: "V-5", perpetrator: "P-9")]
        let (bulk, oneByOne) = (try await TempStore(kind), try await TempStore(kind))
        defer { bulk.cleanUp(); oneByOne.cleanUp() }
        _ = try await ingest(bulk, incidents: incidents, episodes: nil)
        for i in incidents { _ = try await ingest(oneByOne, incidents: [i], episodes: nil) }
        let from = at("2026-01-01T00:00:00Z")
        func serial(_ t: TempStore, minimumVictims: Int) async throws -> [String: SerialFinding] {
            let incidents = try await t.store.serialCandidateIncidents(from: from, to: now, minimumVictims: minimumVictims)
            return RiskRules.serialPerpetrators(incidents, asOf: now, settings: ScoringSettings()).findings
        }
        let plain = try await serial(oneByOne, minimumVictims: 1)
        #expect(Set(plain.keys) == ["P-7"])
        #expect(try await serial(bulk, minimumVictims: 2) == plain)
        #expect(try await serial(oneByOne, minimumVictims: 2) == plain)
        if kind == .sqlite {
            let migrated = try await TempStore(kind)
            defer { migrated.cleanUp() }
            #expect(try bulk.schema() == migrated.schema(), "the index and triggers made again as the migration made them")
        }
        // The triggers are back: P-9's second victim makes them serial.
        _ = try await ingest(bulk, incidents: [named("I-7", 6, victim: "V-6", perpetrator: "P-9")], episodes: nil)
        #expect(Set(try await serial(bulk, minimumVictims: 2).keys) == ["P-7", "P-9"])
    }
}
