import Delivery
import Foundation
import Outbox
import StoreContract
import Testing
import TestSupport

/// `notify --dry-run` reads what is due a page at a time, and renders and writes each page before
/// it reads the next: the pages make what one read made, and the files are the same whatever the page.
@Suite("The dry run, a page at a time")
struct DryRunPageTests {
    let now = AlertListTests.now

    /// Ten alerts: C-0 and C-5 unmatched, the other eight queued and due; C-3's date of birth is not
    /// a date, so a run could not make its message.
    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await AlertListTests.store(kind, count: 10)
        try AlertListTests.change(t, "UPDATE children SET dob = '2015-02-30' WHERE child_id = 'C-3'")
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func thePagesAreTheDueAlertsInClaimOrder(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        // Each incident a minute before the last: the deadlines run the other way from the keys.
        let claimOrder = ["C-9", "C-8", "C-7", "C-6", "C-4", "C-2", "C-1"]
        #expect(try await t.store.peekDue(now: now, limit: 100).map(\.childId) == claimOrder, "C-3 left out")
        var pages: [[DueAlert]] = []
        try await t.store.peekDue(now: now, limit: 100, page: 3) { pages.append($0) }
        #expect(pages.map(\.count) == [3, 2, 2], "three keys a page; C-3's page is one short")
        #expect(pages.joined().map(\.childId) == claimOrder)
        pages = []
        try await t.store.peekDue(now: now, limit: 4, page: 3) { pages.append($0) }
        #expect(pages.joined().map(\.childId) == Array(claimOrder.prefix(4)), "the limit holds across pages")
        #expect(try await t.store.alerts(state: .queued).count == 8, "nothing claimed")
    }

    @Test(arguments: StoreKind.allCases)
    func eachPageIsWrittenBeforeTheNextIsReadAndTheFilesAreTheSame(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let composer = EmailComposer(from: "hub@police.example", fromName: "Police Safeguarding Hub")
        let run = NotifyRun(store: t.store, transport: FileTransport(folder: t.dir.appendingPathComponent("outbox"), composer: composer),
                            renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                            hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                            retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
        func files(_ folder: URL) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        }
        let paged = t.dir.appendingPathComponent("paged")
        var rendered: [String] = []
        var writtenBefore: [Int] = []
        let count = try await run.dryRun(now: now, into: FileTransport(folder: paged, composer: composer), limit: 100, page: 2) { alert in
            writtenBefore.append(files(paged).count)
            rendered.append(alert.childId)
        }
        #expect(count == 7)
        #expect(rendered == ["C-9", "C-8", "C-7", "C-6", "C-4", "C-2", "C-1"])
        // Pages of two keys: C-9 C-8 | C-7 C-6 | C-4 (C-3 left out) | C-2 C-1.
        #expect(writtenBefore == [0, 0, 2, 2, 4, 5, 5], "each page's files are written before the next page is read")

        let whole = t.dir.appendingPathComponent("whole")
        #expect(try await run.dryRun(now: now, into: FileTransport(folder: whole, composer: composer), limit: 100) { _ in } == 7)
        #expect(files(paged).count == 7)
        #expect(files(paged) == files(whole))
        for name in files(whole) {
            #expect(FileManager.default.contents(atPath: paged.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: whole.appendingPathComponent(name).path), "\(name)")
        }
        #expect(files(t.dir.appendingPathComponent("outbox")).isEmpty, "nothing sent")
        #expect(try await t.store.alerts(state: .queued).count == 8, "nothing claimed")
        #expect(try await t.store.latestNotifyRun() == nil, "nor a run recorded")
    }
}
