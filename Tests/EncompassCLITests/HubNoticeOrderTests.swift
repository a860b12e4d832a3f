import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// Issue 9: the hub is told the same things, in the same order, on SQLite and PostgreSQL, and told
/// once about a school that holds a child's details. With the real relay and webhook receiver, a
/// real `serve` for the alerts board, and both databases.
@Suite("the hub's notices, alike on both databases")
struct HubNoticeOrderTests {
    /// One ingest corrects three incidents three ways, the re-route first: I-1's C-1 moved from
    /// 120501 (delivered) to 119603; I-2 no longer names C-3, whose alert still waits (120503's
    /// relay greylisted it); I-3 no longer names C-4, delivered to 120501. SQLite told the hub
    /// incident by incident; PostgreSQL withdrew the whole batch's waiting alerts before any
    /// incident's links, so C-3's notice was numbered before C-1's there. The hub's e-mail, grouped
    /// by kind, read the same; the board, newest first, listed the two the other way round from
    /// SQLite's.
    @Test(arguments: TestDatabase.allCases)
    func aCorrectionOfSeveralIncidentsTellsTheHubAndTheBoardInOneOrder(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let i1 = "2026-11-19T21:40:00Z", i2 = "2026-11-19T21:50:00Z", i3 = "2026-11-19T22:00:00Z"
        try await rig.ingest([
            CSVRows.row("I-1", i1, child: "C-1", urn: "120501"),
            CSVRows.row("I-2", i2, child: "C-2", urn: "120501"),
            CSVRows.row("I-2", i2, child: "C-3", urn: "120503"),
            CSVRows.row("I-3", i3, child: "C-4", urn: "120501"),
            CSVRows.row("I-3", i3, child: "C-5", urn: "120501"),
        ])
        let first = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(first.status == 0, "\(first.stderr)")
        let before = try await rig.alerts()
        #expect(before.mapValues { $0["state"] as? String ?? "" }
                == ["C-1": "delivered", "C-2": "delivered", "C-3": "retrying", "C-4": "delivered", "C-5": "delivered"])
        #expect(try rig.hubMail().isEmpty, "nothing to tell yet")

        try await rig.ingest([
            CSVRows.row("I-1", i1, child: "C-1", urn: "119603"),
            CSVRows.row("I-2", i2, child: "C-2", urn: "120501"),
            CSVRows.row("I-3", i3, child: "C-5", urn: "120501"),
        ])
        let second = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(second.status == 0, "\(second.stderr)")
        let ref = try before.mapValues { try #require($0["reference"] as? String) }
        let mail = try rig.hubMail()
        #expect(mail.map(\.subject) == ["Encompass needs the hub: 1 withdrawn, 1 sent to a school no longer named, "
                                        + "1 held by a school no longer named [ENC-HUB-1-3]"])
        #expect(try mail.map { try #require($0.part("text/plain")?.text) } == [Self.digest(sections: """

            WITHDRAWN: not to be sent, and no school to contact: a later ingest no longer links the child
            to the incident
              \(ref["C-3"]!)  incident I-2  child C-3  school 120503

            SENT TO A SCHOOL NO LONGER NAMED: delivered to a school, then the record was corrected to
            another school (the alert goes there now). The school it went to holds the child's details:
            phone its key adult, ask that the notification be deleted, and log it as a disclosure.
              \(ref["C-1"]!)  incident I-1  delivered to school 120501 on \(Self.sixAM)

            \(Self.heldHeading)
              \(ref["C-4"]!)  incident I-3  delivered to school 120501 on \(Self.sixAM)
            """)])
        // Newest first, and one ingest's notices made at one instant: in the order they were kept.
        #expect(try await Self.boardNotices(rig) == [
            "no-longer-named \(ref["C-4"]!) I-3",
            "withdrawn \(ref["C-3"]!) I-2",
            "rerouted \(ref["C-1"]!) I-1",
        ])
    }

    /// C-1's alert delivered to 120501; the force then records no school for C-1 (120501 holds
    /// the child's details: `no-longer-named`), and later corrects it to 119603, where the alert is
    /// re-routed and delivered. The hub asks 120501 to delete the details once, whether or not a run
    /// told it before the re-route: it was told twice, by a second digest naming 120501 again, or
    /// by both notices in one. With no run between, that one notice said the alert went to no other
    /// school, though it had been re-routed (fix-order's note): its line names 119603, in the e-mail
    /// and on the board (a run between told the truth then, and the board says what came after).
    @Test(arguments: TestDatabase.allCases, [true, false])
    func aSchoolTheHubWasToldHoldsAChildsDetailsIsNotToldAgainWhenTheAlertIsReRouted(_ database: TestDatabase,
                                                                                      runBetween: Bool) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let at = "2026-11-19T21:40:00Z"
        try await rig.ingest([CSVRows.row("I-1", at, child: "C-1", urn: "120501")])
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        try await rig.ingest([CSVRows.row("I-1", at, child: "C-1", urn: "")])
        if runBetween { #expect(try await rig.notify("2026-11-20T06:10:00Z").status == 0) }
        try await rig.ingest([CSVRows.row("I-1", at, child: "C-1", urn: "119603")])
        let last = try await rig.notify("2026-11-20T06:20:00Z")
        #expect(last.status == 0, "\(last.stderr)")

        let alert = try #require(try await rig.alerts()["C-1"])
        #expect(alert["state"] as? String == "delivered" && alert["school_urn"] as? String == "119603", "\(alert)")
        let reference = try #require(alert["reference"] as? String)
        let rerouted = runBetween ? "" : "; re-routed since to school 119603"
        let section = "\n\(Self.heldHeading)\n  \(reference)  incident I-1  delivered to school 120501 on \(Self.sixAM)\(rerouted)"
        #expect(try rig.hubMail().map { try #require($0.part("text/plain")?.text) } == [Self.digest(sections: section)])
        #expect(try await Self.boardNotices(rig, details: true)
                == ["no-longer-named \(reference) I-1: delivered to school 120501, which the record no longer names for this child and "
                    + "incident (the alert was re-routed since to school 119603): ask school 120501&#39;s key adult to delete the "
                    + "notification, and log it as a disclosure"])
    }

    /// fix-notices: C-1's alert delivered to 120501; a correction stops naming 120501 for C-1 (no
    /// school known, or C-1 taken off the incident): a `no-longer-named` notice. The next feed names
    /// 120501 again (the correction undone) before any run. The run told the hub to have 120501
    /// delete the child's details, which 120501 should hold; it now tells nothing, and the board
    /// lists nothing: the notice settled untold was listed as e-mailed at the run's time.
    @Test(arguments: TestDatabase.allCases, [false, true])
    func aCorrectionUndoneBeforeARunTellsTheHubNothing(_ database: TestDatabase, childTakenOff: Bool) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let at = "2026-11-19T21:40:00Z"
        let both = [CSVRows.row("I-1", at, child: "C-1", urn: "120501"), CSVRows.row("I-1", at, child: "C-2", urn: "120501")]
        try await rig.ingest(both)
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        try await rig.ingest([childTakenOff ? nil : CSVRows.row("I-1", at, child: "C-1", urn: ""),
                              CSVRows.row("I-1", at, child: "C-2", urn: "120501")].compactMap { $0 })
        try await rig.ingest(both)
        let run = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(run.status == 0, "\(run.stderr)")

        let alert = try #require(try await rig.alerts()["C-1"])
        #expect(alert["state"] as? String == "delivered" && alert["school_urn"] as? String == "120501", "\(alert)")
        #expect(try rig.hubMail().isEmpty, "120501 holds what it should: nothing to tell")
        #expect(try await Self.boardNotices(rig).isEmpty, "settled untold: neither to tell nor e-mailed")
    }

    /// The digest's text around `sections` (each begins with its blank line).
    static func digest(sections: String) -> String {
        """
        ENCOMPASS: ALERTS THAT NEED THE HUB

        This run of the morning alerts found the following. Ids only: look each one up on
        the alerts board or with `encompass alerts`.
        \(sections)

        Police Safeguarding Hub - Encompass

        """
    }

    static let sixAM = "Friday 20 November 2026 at 06:00 (GMT)"

    static let heldHeading = """
        HELD BY A SCHOOL NO LONGER NAMED: delivered to a school, then the record was corrected so that
        it no longer names that school for the child and incident (the child taken off the incident, no
        school known, or an incident too old to alert about now); the alert went to no other school,
        unless its line names the school it was re-routed to since.
        The school it went to holds the child's details: phone its key adult, ask that the notification
        be deleted, and log it as a disclosure.
        """

    /// The alerts board's hub notices, as a hub user signed in to a real `serve` reads them: each
    /// row's kind, reference and incident, top to bottom, and its line after a colon with `details`.
    static func boardNotices(_ rig: OutboxRig, details: Bool = false) async throws -> [String] {
        let password = "correct horse battery"
        let added = try await rig.h.run(["users", "add", "hana", "--role", "hub"], environment: ["ENCOMPASS_PASSWORD": password])
        #expect(added.status == 0, "\(added.stderr)")
        let (server, address) = try rig.h.serve(environment: rig.environment)
        defer { server.terminate() }
        var browser = CookieBrowser(base: address)
        let signIn = try await browser.get("/sign-in")
        let token = try #require(signIn.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1, "no CSRF field")
        let signedIn = try await browser.post("/sign-in", form: ["csrf": String(token), "name": "hana", "password": password])
        #expect(signedIn.status == 303, "signed in: \(signedIn.status)")
        let board = try await browser.get("/alerts")
        #expect(board.status == 200)
        let notices = try #require(board.text.firstRange(of: #"<h2 id="notices-heading">"#))
        return board.text[notices.lowerBound...].split(separator: "<tr>").compactMap { row in
            guard let kind = row.firstMatch(of: /class="state state-([a-z-]+)"/)?.1,
                  let reference = row.firstMatch(of: /<code>([^<]+)<\/code>/)?.1,
                  let incident = row.firstMatch(of: /data-label="Incident">([^<]*)</)?.1 else { return nil }
            let detail = details ? (row.firstMatch(of: /data-label="Detail">([^<]*)</)?.1).map { ": \($0)" } ?? ":" : ""
            return "\(kind) \(reference) \(incident)\(detail)"
        }
    }
}

/// Just enough of a browser for a real `serve`: its cookies kept here (the process's shared store
/// is written by other tests' servers on 127.0.0.1 too), and no redirect followed, so the answer
/// that sets a cookie is the one read.
struct CookieBrowser {
    let base: String
    var cookies: [String: String] = [:]
    let session = URLSession(configuration: {
        let c = URLSessionConfiguration.ephemeral
        c.httpShouldSetCookies = false
        c.httpCookieAcceptPolicy = .never
        return c
    }(), delegate: NoRedirects(), delegateQueue: nil)

    mutating func get(_ path: String) async throws -> (status: Int, text: String) {
        try await send(URLRequest(url: try #require(URL(string: base + path))))
    }

    mutating func post(_ path: String, form: KeyValuePairs<String, String>) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        request.httpBody = Data(form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: safe) ?? "")" }
            .joined(separator: "&").utf8)
        return try await send(request)
    }

    private mutating func send(_ request: URLRequest) async throws -> (status: Int, text: String) {
        var request = request
        if !cookies.isEmpty {
            request.setValue(cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                             forHTTPHeaderField: "Cookie")
        }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        if let line = http.value(forHTTPHeaderField: "Set-Cookie") {
            // Each cookie is `name=value; attributes`, several joined by commas: a name is what follows
            // the start or a comma, up to `=`.
            for cookie in line.matches(of: /(?:^|,)\s*([^=;,\s]+)=([^;,]*)/) {
                cookies[String(cookie.1)] = cookie.2.isEmpty ? nil : String(cookie.2)
            }
        }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
