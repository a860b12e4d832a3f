import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing

/// `/report` (SPEC §11): supervisors and admins only, the same figures as `encompass report`, every
/// view audited, a bad period refused with the problem named, and the months as CSV.
@Suite struct ReportPageTests {
    /// Each `data-key="section.key">N` on the page: the figure's count, as the page shows it.
    static func figures(_ html: String) -> [String: Int] {
        var out: [String: Int] = [:]
        let pattern = try! NSRegularExpression(pattern: #"data-key="([a-z_]+\.[a-z_0-9]+)">([0-9,]+)"#)
        for m in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let key = String(html[Range(m.range(at: 1), in: html)!])
            out[key] = Int(html[Range(m.range(at: 2), in: html)!].replacingOccurrences(of: ",", with: ""))
        }
        return out
    }

    @Test func aSupervisorSeesTheSameFiguresAsTheCommandLineAndTheViewIsAudited() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.store.record(Decision(childId: "C-1", outcome: .referred, on: LocalDate(iso: "2026-11-10")!, reason: nil,
                                                by: "sam", recordedAt: fixture.clock.now()))
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.get("/report?from=2026-06-01&to=2026-11-30")
        }
        #expect(page.status == .ok)
        let cli = try await EncompassProcess.run(["report", "--from", "2026-06-01", "--to", "2026-11-30", "--json"], database: fixture.databasePath)
        #expect(cli.status == 0, "\(cli.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        var expected: [String: Int] = [:]
        for section in ["incidents", "alerts", "decisions", "missing"] {
            for (key, value) in try #require(json[section] as? [String: Int]) { expected["\(section).\(key)"] = value }
        }
        let shown = Self.figures(page.text)
        #expect(expected.count == 25, "the SPEC's 24 and the added alerts.too_old")
        #expect(shown.filter { !$0.key.hasPrefix("extra.") } == expected)
        #expect(expected["incidents.count"] == 6 && expected["incidents.child_links"] == 6 && expected["decisions.marac_referred"] == 1)
        #expect(page.text.contains("1 of 6 children (17%)"), "child's voice recorded, with its rate")
        #expect(page.text.contains(#"<svg class="report-chart""#))
        #expect(page.text.contains("<caption>Figures by month</caption>"))
        #expect(!page.text.contains("<script"))
        // The fixture's clock is 22 November: the period runs to the 30th, so its figures are not final.
        #expect(page.text.contains(#"<p class="notice" role="status">This period has not ended: until the end of 2026-11-30, alerts whose deadline is still ahead"#))
        // Only ids and the period: never a name.
        let audit = try #require(try await fixture.store.auditEntries(limit: 20).first { $0.action == "report.viewed" })
        #expect(audit.actor == "user:sam" && audit.subject == "report:2026-06-01/2026-11-30")
    }

    @Test func withNoPeriodItShowsLastMonth() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.get("/report")
        }
        #expect(page.status == .ok)
        // The fixture's clock is 22 November 2026: last month is October.
        #expect(page.text.contains(#"name="from" type="date" value="2026-10-01""#))
        #expect(page.text.contains(#"name="to" type="date" value="2026-10-31""#))
        #expect(Self.figures(page.text)["incidents.count"] == 1)
        #expect(page.text.contains("By month, Nov 2025 to Oct 2026"))
        #expect(!page.text.contains("This period has not ended"), "October has")
    }

    @Test(arguments: [("from=2026-12-01&to=2026-11-01", "From must be on or before To."),
                      ("from=yesterday&to=2026-11-01", "From must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01."),
                      ("from=2026-10-01&to=2026-02-30", "To must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01.")])
    func aPeriodThatCannotBeReadIsNamedAndNothingIsAudited(query: String, message: String) async throws {
        let (page, audited) = try await Self.asSupervisor("/report?" + query)
        #expect(page.status == .badRequest)
        #expect(page.text.contains("<title>Error: Inspection report"))
        #expect(page.text.contains(message))
        #expect(!page.text.contains("data-key="))
        #expect(!audited.contains("report.viewed"))
    }

    /// `uri` as a supervisor gets it, on a fixture of its own, and the audit's actions then.
    static func asSupervisor(_ uri: String) async throws -> (response: TestResponse, audited: [String]) {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.get(uri)
        }
        return (response, try await fixture.store.auditEntries(limit: 20).map(\.action))
    }

    /// Each field that names no date is named, linked from the summary and marked, not only the
    /// first: `?to=bad` alone was told only that From was not a date.
    @Test(arguments: [("from=2026-10-01&to=bad", ["to"]), ("to=bad", ["from", "to"]), ("from=2026-13-01&to=2026-10-31", ["from"])])
    func eachFieldThatNamesNoDateIsNamedAndMarked(query: String, named: [String]) async throws {
        let page = try await Self.asSupervisor("/report?" + query).response
        #expect(page.status == .badRequest)
        for field in ["from", "to"] {
            let label = field == "from" ? "From" : "To"
            let message = "\(label) must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01."
            #expect(page.text.contains("<a href=\"#\(field)\">\(message)</a>") == named.contains(field), "\(field): \(page.text)")
            let marked = try #require(page.text.range(of: "id=\"\(field)\" name=\"\(field)\"[^>]*>", options: .regularExpression))
            #expect(page.text[marked].contains(#"aria-invalid="true""#) == named.contains(field), "\(field)")
        }
        #expect(!page.text.contains("data-key="))
    }

    /// The download's `to` that names no date, or a `from` (the download is the twelve months
    /// ending with `to`'s; a `from` was ignored): 400 naming the parameter and its form, not audited.
    @Test(arguments: [
        ("to=November", "to must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01."),
        ("to=2026-02-30", "to must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01."),
        ("from=2026-06-01&to=2026-11-30", "from: the download takes no from: it is the twelve months ending with the month of to, "
            + "a date as YYYY-MM-DD (such as /report.csv?to=2026-10-31); leave from out."),
        ("from=bad", "from: the download takes no from"),
    ])
    func aDownloadsParameterThatCannotBeTakenIsNamed(query: String, message: String) async throws {
        let (csv, audited) = try await Self.asSupervisor("/report.csv?" + query)
        #expect(csv.status == .badRequest)
        #expect(csv.headers[.contentType] != "text/csv; charset=utf-8")
        #expect(csv.text.contains(message), "\(csv.text)")
        #expect(!audited.contains("report.downloaded"))
    }

    @Test func hubStaffAreRefusedTheReportAndItsDownload() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (page, csv, menu) = try await fixture.withBrowser { browser in
            let queue = try await browser.signIn("hana")
            return (try await browser.get("/report"), try await browser.get("/report.csv"), queue)
        }
        #expect(page.status == .forbidden && csv.status == .forbidden)
        #expect(!menu.text.contains(#"href="/report""#), "hub staff are not offered the link")
    }

    @Test func theMonthsDownloadAsCSVAndTheDownloadIsAudited() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (csv, bad) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return (try await browser.get("/report.csv?to=2026-11-30"), try await browser.get("/report.csv?to=November"))
        }
        #expect(csv.status == .ok)
        #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
        #expect(csv.headers[.contentDisposition] == #"attachment; filename="encompass-report-2025-12-to-2026-11.csv""#)
        let lines = csv.text.split(separator: "\r\n")
        #expect(lines.count == 13)
        #expect(lines[0].hasPrefix("month,incidents.count,"))
        // November: I-3, I-5 and I-6.
        #expect(lines[12].hasPrefix("2026-11,3,3,3,"))
        #expect(lines[7].hasPrefix("2026-06,1,1,1,"))
        #expect(bad.status == .badRequest)
        let audit = try #require(try await fixture.store.auditEntries(limit: 20).first { $0.action == "report.downloaded" })
        #expect(audit.subject == "report:2025-12-01/2026-11-30")
    }
}
